//! The rules of a NAT router in front of an FTP client or server, as nftables and iptables-save text.
//!
//! - In front of the **client** ([`Side::Client`]): the router rewrites the client's connections to its public
//!   address (source NAT). Passive mode works through it as it is; active mode needs the kernel's FTP helper on the
//!   control connection, which rewrites the address in PORT/EPRT to the router's and forwards the server's
//!   connection back ([`NatRules::helper`]).
//! - In front of the **server** ([`Side::Server`]): the router forwards its public address's control port and the
//!   server's passive range to the server (destination NAT) and rewrites the server's own connections (active data)
//!   to its public address. The server must advertise the public address in 227 (`ftpkit serve --masquerade`), or
//!   the helper rewrites the 227, or the client must ignore the 227's address (EPSV names none).
//!
//! What each variant lets through is what [`predict`](super::predict) assumes for a [`Nat`](super::Nat).

use super::{FirewallError, Ports, Side, NFT_HELPER};
use core::fmt::Write as _;
use std::net::IpAddr;

/// A NAT router's job: which side it hides, the hidden host's and the router's public address, the ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NatRules {
    side: Side,
    inside: IpAddr,
    public: IpAddr,
    ports: Ports,
    helper: bool,
}

impl NatRules {
    /// A router in front of `side`'s host at `inside`, with the public address `public`. Both addresses are of one
    /// family.
    pub fn new(side: Side, inside: IpAddr, public: IpAddr, ports: Ports) -> Result<NatRules, FirewallError> {
        if inside.is_ipv4() != public.is_ipv4() {
            return Err(FirewallError::MixedFamilies);
        }
        Ok(NatRules { side, inside, public, ports, helper: false })
    }

    /// Assigns the kernel's FTP helper to the control connection, so the router rewrites PORT/EPRT (client side) or
    /// 227 (server side) and forwards exactly the announced data connection.
    pub fn with_helper(self, helper: bool) -> NatRules {
        NatRules { helper, ..self }
    }

    /// Whose host the router hides.
    pub const fn side(&self) -> Side {
        self.side
    }

    /// Whether the FTP helper is assigned.
    pub const fn helper(&self) -> bool {
        self.helper
    }

    fn family(&self) -> (&'static str, &'static str) {
        if self.inside.is_ipv4() {
            ("ip", "ip")
        } else {
            ("ip6", "ip6")
        }
    }

    /// The match of the control connection's first packet where the helper is assigned: from the client (inside)
    /// to port 21; or to the server's port 21, after the destination NAT (nft's forward chain) or before it (the
    /// iptables raw table: the public address).
    fn control_match(&self, nft: bool) -> String {
        let (fam, _) = self.family();
        let ctl = self.ports.control();
        match (self.side, nft) {
            (Side::Client, true) => format!("{fam} saddr {} tcp dport {ctl}", self.inside),
            (Side::Server, true) => format!("{fam} daddr {} tcp dport {ctl}", self.inside),
            (Side::Client, false) => format!("-s {} -p tcp -m tcp --dport {ctl}", host_prefix(self.inside)),
            // The raw table sees the packet before the destination NAT: the public address.
            (Side::Server, false) => format!("-d {} -p tcp -m tcp --dport {ctl}", host_prefix(self.public)),
        }
    }
}

fn host_prefix(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}/32"),
        IpAddr::V6(v6) => format!("{v6}/128"),
    }
}

fn header(out: &mut String, r: &NatRules, tool: &str) {
    let what = match r.side {
        Side::Client => "in front of the FTP client: source NAT of its connections to the public address",
        Side::Server => "in front of the FTP server: its control port and passive range forwarded to it",
    };
    let _ = writeln!(out, "# ftpkit FTP NAT rules for a router {what} ({tool}).");
    if r.helper {
        out.push_str(
            "# The kernel's FTP helper reads PORT/EPRT/227 on the control connection, rewrites the address and\n\
             # forwards the announced data connection; it cannot read a control connection under TLS.\n",
        );
    } else if r.side == Side::Client {
        out.push_str("# No FTP helper: passive mode works; active mode fails (PORT names the private address).\n");
    } else {
        out.push_str(
            "# No FTP helper: the server must advertise the public address in 227 (ftpkit serve --masquerade),\n\
             # or the client must dial the control connection's address (EPSV, or its 227 policy).\n",
        );
    }
}

/// An nftables ruleset for the router (`nft -f`): one table `ip ftpkit-nat` (`ip6` for IPv6 addresses) with a
/// `prerouting` chain (destination NAT, server side), a `forward` chain that only assigns the helper (policy accept:
/// filtering is the hosts' firewalls' job) and a `postrouting` chain (source NAT to the public address).
pub fn render_nat_nft(r: &NatRules) -> String {
    let mut out = String::new();
    header(&mut out, r, "nft -f");
    let (fam, _) = r.family();
    let _ = writeln!(out, "table {fam} ftpkit-nat {{");
    if r.helper {
        let _ = writeln!(out, "\tct helper {NFT_HELPER} {{\n\t\ttype \"ftp\" protocol tcp;\n\t}}");
    }
    if r.side == Side::Server {
        out.push_str("\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
        let ctl = r.ports.control();
        let pasv = r.ports.passive();
        let _ = writeln!(out, "\t\t{fam} daddr {} tcp dport {ctl} dnat to {}", r.public, r.inside);
        let _ = writeln!(out, "\t\t{fam} daddr {} tcp dport {pasv} dnat to {}", r.public, r.inside);
        out.push_str("\t}\n");
    }
    if r.helper {
        out.push_str("\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n");
        let _ = writeln!(out, "\t\t{} ct state new ct helper set \"{NFT_HELPER}\"", r.control_match(true));
        out.push_str("\t}\n");
    }
    out.push_str("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
    let _ = writeln!(out, "\t\t{fam} saddr {} snat to {}", r.inside, r.public);
    out.push_str("\t}\n}\n");
    out
}

/// iptables-save lines for the router (`iptables-restore`; `ip6tables-restore` for IPv6 addresses): the `nat`
/// table (`DNAT` in `PREROUTING` on the server side, `SNAT` in `POSTROUTING`) and, with the helper, the `raw` table
/// assigning it (`-j CT --helper ftp` in `PREROUTING`).
pub fn render_nat_iptables(r: &NatRules) -> String {
    let mut out = String::new();
    header(&mut out, r, "iptables-restore");
    if r.helper {
        out.push_str("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        let _ = writeln!(out, "-A PREROUTING {} -j CT --helper ftp", r.control_match(false));
        out.push_str("COMMIT\n");
    }
    out.push_str(
        "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n",
    );
    if r.side == Side::Server {
        let public = host_prefix(r.public);
        let ctl = r.ports.control();
        let pasv = r.ports.passive();
        let to = match r.inside {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        let _ = writeln!(out, "-A PREROUTING -d {public} -p tcp -m tcp --dport {ctl} -j DNAT --to-destination {to}");
        let _ = writeln!(
            out,
            "-A PREROUTING -d {public} -p tcp -m tcp --dport {}:{} -j DNAT --to-destination {to}",
            pasv.start(),
            pasv.end()
        );
    }
    let _ = writeln!(out, "-A POSTROUTING -s {} -j SNAT --to-source {}", host_prefix(r.inside), r.public);
    out.push_str("COMMIT\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::PortRange;
    use std::net::Ipv4Addr;

    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
    const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2));
    const PUBLIC: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1));

    fn lines(s: &str) -> Vec<&str> {
        s.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect()
    }

    #[test]
    fn client_side_masquerade_with_and_without_helper() {
        let r = NatRules::new(Side::Client, CLIENT, PUBLIC, Ports::default()).unwrap_or_else(|e| panic!("{e}"));
        let plain = render_nat_nft(&r);
        assert!(lines(&plain).contains(&"ip saddr 192.0.2.2 snat to 203.0.113.1"), "{plain}");
        assert!(!plain.contains("ct helper"), "{plain}");
        assert!(plain.contains("active mode fails"), "{plain}");
        let helped = render_nat_nft(&r.with_helper(true));
        assert!(lines(&helped).contains(&"ip saddr 192.0.2.2 tcp dport 21 ct state new ct helper set \"ftpkit-ftp\""));
        let ipt = render_nat_iptables(&r.with_helper(true));
        assert!(ipt.contains("*raw\n"), "{ipt}");
        assert!(ipt.contains("-A PREROUTING -s 192.0.2.2/32 -p tcp -m tcp --dport 21 -j CT --helper ftp\n"), "{ipt}");
        assert!(ipt.contains("-A POSTROUTING -s 192.0.2.2/32 -j SNAT --to-source 203.0.113.1\n"), "{ipt}");
        assert!(!render_nat_iptables(&r).contains("*raw"));
    }

    #[test]
    fn server_side_port_forwarding() {
        let ports = Ports::default().with_passive(PortRange::new(30000, 30009).unwrap_or(PortRange::UNPRIVILEGED));
        let r = NatRules::new(Side::Server, SERVER, PUBLIC, ports).unwrap_or_else(|e| panic!("{e}"));
        let nft = render_nat_nft(&r);
        let l = lines(&nft);
        assert!(l.contains(&"ip daddr 203.0.113.1 tcp dport 21 dnat to 198.51.100.2"), "{nft}");
        assert!(l.contains(&"ip daddr 203.0.113.1 tcp dport 30000-30009 dnat to 198.51.100.2"), "{nft}");
        assert!(l.contains(&"ip saddr 198.51.100.2 snat to 203.0.113.1"), "{nft}");
        assert!(nft.contains("--masquerade"), "{nft}");
        let ipt = render_nat_iptables(&r);
        assert!(ipt.contains("--dport 30000:30009 -j DNAT --to-destination 198.51.100.2\n"), "{ipt}");
        let helped = render_nat_nft(&r.with_helper(true));
        assert!(helped.contains("ip daddr 198.51.100.2 tcp dport 21 ct state new ct helper set"), "{helped}");
        assert_eq!((r.side(), r.helper(), r.with_helper(true).helper()), (Side::Server, false, true));
    }

    #[test]
    fn mixed_families_refused() {
        let v6: IpAddr = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        assert!(NatRules::new(Side::Client, CLIENT, v6, Ports::default()).is_err());
        let r = NatRules::new(Side::Server, v6, v6, Ports::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(render_nat_nft(&r).contains("table ip6 ftpkit-nat"));
        assert!(render_nat_iptables(&r).contains("--to-destination [2001:db8::1]"));
    }
}
