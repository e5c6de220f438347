//! `cargo xtask lab [--test]`: the network-namespace lab (`tests/src/lab/`), which checks ftpkit's firewall and NAT
//! predictions against the Linux kernel.
//!
//! - `cargo xtask lab`: builds the `ftpkit` command, runs every scenario, prints the table (prediction beside the
//!   kernel's outcome, with the evidence) and writes it to `docs/LAB.md`.
//! - `cargo xtask lab --test`: the lab's integration tests (`tests/tests/lab.rs`, `--ignored` in the normal suite):
//!   every ruleset `ftpkit firewall` prints loads (`nft -c`, `iptables-restore --test`), every prediction matches the
//!   kernel, the `--balancer` rules pass sessions through HAProxy and drop the rest, namespaces are removed after a
//!   failure. The CI step.
//!
//! Both need root and network namespaces and install nftables, tcpdump, conntrack, iptables and haproxy when
//! missing. Where namespaces are not permitted the lab skips with a loud message; the CI step sets
//! `FTPKIT_LAB_REQUIRE=1` so that is a failure there, unless `FTPKIT_LAB_ALLOW_SKIP=1`.

use crate::{cargo, root, run, Result};

pub fn lab(args: &[String]) -> Result {
    let mut build = cargo();
    build.args(["build", "-p", "ftpkit-cli"]);
    run(build)?;
    if args.iter().any(|a| a == "--test") {
        let mut t = cargo();
        t.args(["test", "-p", "ftpkit-interop", "--test", "lab", "--", "--ignored"]);
        if std::env::var_os("FTPKIT_LAB_REQUIRE").is_none() {
            t.env("FTPKIT_LAB_REQUIRE", "1");
        }
        return run(t);
    }
    let doc = root().join("docs").join("LAB.md");
    let mut r = cargo();
    r.args(["run", "--quiet", "-p", "ftpkit-interop", "--bin", "lab", "--", "--write"]).arg(&doc);
    r.args(args);
    run(r)
}
