//! Every ruleset `ftpkit firewall` prints, loaded by the kernel's own checkers.

use super::scenarios::ftpkit_firewall;
use super::{ftpkit_bin, program};
use crate::{Error, Result};
use std::time::Duration;

/// Checks that every ruleset `ftpkit firewall` prints loads: nft output with `nft -c -f -` and iptables output with
/// `iptables-restore --test`, for every mode and side with and without `--conntrack-helper`, and both `--nat`
/// variants, inside a throwaway namespace. Returns how many rulesets were checked.
pub fn check_rules_load() -> Result<usize> {
    let ftpkit = ftpkit_bin()?;
    program("nft")?;
    program("iptables-restore")?;
    let ns = super::Netns::create("rules")?;
    let mut variants: Vec<Vec<String>> = Vec::new();
    for mode in ["active", "passive"] {
        for side in ["server", "client"] {
            for helper in [false, true] {
                let mut v: Vec<String> =
                    ["--mode", mode, "--side", side, "--pasv-range", "30000-30009"].map(String::from).to_vec();
                if helper {
                    v.push("--conntrack-helper".into());
                }
                variants.push(v);
            }
        }
    }
    for (nat, inside) in [("client", "192.0.2.2"), ("server", "198.51.100.10")] {
        for helper in [false, true] {
            let mut v: Vec<String> =
                ["--nat", nat, "--inside", inside, "--public", "203.0.113.1"].map(String::from).to_vec();
            if helper {
                v.push("--conntrack-helper".into());
            }
            variants.push(v);
        }
    }
    let mut checked = 0;
    for v in &variants {
        for (format, check) in
            [("nft", &["nft", "-c", "-f", "-"][..]), ("iptables", &["iptables-restore", "--test"][..])]
        {
            let mut args = v.clone();
            args.extend(["--format".into(), format.into()]);
            let text = ftpkit_firewall(&ftpkit, &args)?;
            let out = ns.run(check, Some(text.as_bytes()), Duration::from_secs(20))?;
            if !out.success() {
                return Err(Error::new(
                    format!("ftpkit firewall {}", args.join(" ")),
                    format!("does not load: {}\n{text}", out.describe()),
                ));
            }
            checked += 1;
        }
    }
    // And the checkers do refuse a broken ruleset (so the loop above can fail).
    let broken = ns.run(
        &["nft", "-c", "-f", "-"],
        Some(b"table inet x { chain y { tcp dport 99999 accept } }\n"),
        Duration::from_secs(20),
    )?;
    if broken.success() {
        return Err(Error::new("nft -c", "accepted a broken ruleset: the check proves nothing"));
    }
    Ok(checked)
}
