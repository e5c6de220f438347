//! The network-namespace lab: ftpkit's firewall and NAT predictions checked against the Linux kernel.
//!
//! Hosts are network namespaces joined by veth pairs ([`Topology`]: `client | server`, `client | nat-router |
//! server`, `client | server-side nat | server`), addressed from the documentation ranges 192.0.2.0/24,
//! 198.51.100.0/24 and 203.0.113.0/24, which exist only inside them. Each host gets the nftables ruleset `ftpkit
//! firewall` prints; real sessions run across them (`ftpkit serve`, `ftpkit ls`, curl) under `ip netns exec`, with
//! `tcpdump` capturing on each side; [`scenarios`] compares each outcome with [`ftpkit::proto::firewall::predict`].
//! [`balancer`] builds `client | load balancer | two instances`, loads what `ftpkit firewall --balancer` prints
//! (rules, HAProxy's configuration, serve flags) and runs sessions through HAProxy and connections the rules drop.
//!
//! Needs root (CI is) and `ip netns`; [`gate`] decides what happens where namespaces are not permitted: a loud skip,
//! or a failure when `FTPKIT_LAB_REQUIRE=1` (the CI's lab step sets it unless `FTPKIT_LAB_ALLOW_SKIP=1`).
//! Every namespace and process is removed on drop and on SIGINT/SIGTERM ([`net`]); every command has a timeout.

pub mod balancer;
mod evidence;
pub mod net;
mod report;
mod rules;
pub mod scenarios;

pub use net::{availability, Addrs, Bg, Host, Lab, Netns, Topology, PREFIX};

use crate::install::find_program;
use crate::{Error, Result};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Whether the lab can run here. `Ok(true)`: go on. `Ok(false)`: skipped, with the reason printed loudly to
/// stderr. `Err`: namespaces are not permitted and `FTPKIT_LAB_REQUIRE=1` says the lab must run (CI), unless
/// `FTPKIT_LAB_ALLOW_SKIP=1`.
pub fn gate() -> Result<bool> {
    match availability() {
        Ok(()) => Ok(true),
        Err(reason) => {
            let required = std::env::var_os("FTPKIT_LAB_REQUIRE").is_some_and(|v| v == "1");
            let allowed = std::env::var_os("FTPKIT_LAB_ALLOW_SKIP").is_some_and(|v| v == "1");
            if required && !allowed {
                return Err(Error::new(
                    "lab",
                    format!("{reason}; the lab is required here (FTPKIT_LAB_REQUIRE=1; FTPKIT_LAB_ALLOW_SKIP=1 allows skipping)"),
                ));
            }
            eprintln!("\n**************** ftpkit lab SKIPPED ****************");
            eprintln!("* {reason}");
            eprintln!("* The lab needs root and network namespaces; nothing was checked against the kernel.");
            eprintln!("****************************************************\n");
            Ok(false)
        }
    }
}

/// The tools the lab runs, installed with apt when missing: `nft` (nftables), `tcpdump`, `conntrack`,
/// `iptables-restore` (iptables), `curl`.
pub fn ensure_tools() -> Result<()> {
    static ONCE: OnceLock<Result<()>> = OnceLock::new();
    ONCE.get_or_init(|| {
        for (program, package) in
            [("nft", "nftables"), ("tcpdump", "tcpdump"), ("conntrack", "conntrack"), ("iptables-restore", "iptables")]
        {
            crate::install::ensure_apt_program(program, package)?;
        }
        crate::install::ensure_curl().map(|_| ())
    })
    .clone()
}

/// The `ftpkit` command the lab runs: `$FTPKIT_BIN`, else `ftpkit` in the target folder of the running executable
/// (`target/<profile>/`), built by `cargo build -p ftpkit-cli` (which `cargo xtask lab` runs first).
pub fn ftpkit_bin() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("FTPKIT_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| Error::new("ftpkit", e.to_string()))?;
    let candidates: Vec<PathBuf> = exe.ancestors().skip(1).take(2).map(|d| d.join("ftpkit")).collect();
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        Error::new(
            "ftpkit",
            format!("no ftpkit binary at {candidates:?}: run `cargo build -p ftpkit-cli` first (cargo xtask lab does)"),
        )
    })
}

/// `find_program` for the lab's tools, as an error when missing.
pub(crate) fn program(name: &str) -> Result<PathBuf> {
    find_program(name).ok_or_else(|| Error::new(name, "not found on PATH"))
}
