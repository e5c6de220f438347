//! Renderers: channels to text, JSON, nftables and iptables-save. Pure functions returning `String`.

use super::{Channel, DataMatch, Direction, Host, PortRange, Purpose, Side};
use core::fmt::Write as _;
use std::net::IpAddr;

/// How a port range reads in a sentence: `port 21`, `ports > 1023`, `ports 30000-30009`, `any port`.
fn port_phrase(r: PortRange) -> String {
    if r.is_single() {
        format!("port {}", r.start())
    } else if r.end() == u16::MAX && r.start() == 1 {
        "any port".to_owned()
    } else if r.end() == u16::MAX {
        format!("ports > {}", r.start() - 1)
    } else {
        format!("ports {}-{}", r.start(), r.end())
    }
}

fn host_phrase(h: Host) -> String {
    match h {
        Host::Server => "the FTP server".to_owned(),
        Host::Client => "the FTP client".to_owned(),
        Host::Any => "any host".to_owned(),
        Host::Addr(ip) => ip.to_string(),
    }
}

fn owner_phrase(side: Side, local: Host) -> String {
    let role = match side {
        Side::Server => "FTP server",
        Side::Client => "FTP client",
    };
    match local {
        Host::Addr(ip) => format!("{role} {ip}'s"),
        _ => format!("{role}'s"),
    }
}

/// One human line per channel, worded like the seed with the real ports, e.g.
/// `FTP server's port 21 from ports > 1023 on any host (Client initiates connection)`.
///
/// The sentence starts from the channel's own side: "from" means inbound, "to" outbound. Ranges ending at 65535 read
/// as "ports > N" as in the seed; other ranges as "ports A-B". Each line ends with `\n`.
pub fn render_text(channels: &[Channel]) -> String {
    let mut out = String::new();
    for c in channels {
        let local = c.local();
        let remote = c.remote();
        let word = match c.direction {
            Direction::Inbound => "from",
            Direction::Outbound => "to",
        };
        let _ = writeln!(
            out,
            "{} {} {} {} on {} ({})",
            owner_phrase(c.side, local.host),
            port_phrase(local.ports),
            word,
            port_phrase(remote.ports),
            host_phrase(remote.host),
            c.description
        );
    }
    out
}

/// Writes `s` as a JSON string literal: quotes, backslash and control characters escaped.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_endpoint(out: &mut String, host: Host, ports: PortRange) {
    out.push_str("{\"host\": ");
    json_str(out, &host.to_string());
    out.push_str(", \"ports\": ");
    json_str(out, &ports.to_string());
    out.push('}');
}

/// A JSON array with one object per channel, one object per line:
///
/// ```json
/// [
///   {"side": "server", "direction": "inbound", "from": {"host": "any", "ports": "1024-65535"}, "to": {"host": "server", "ports": "21"}, "purpose": "control", "initiator": "client", "reply": false, "description": "Client initiates connection"}
/// ]
/// ```
///
/// Ports are always strings: `"21"` for one port, `"1024-65535"` for a range (the [`PortRange`] `Display` form, which
/// parses back with `str::parse`). `host` is `"server"`, `"client"`, `"any"` or an address (`"192.0.2.1"`,
/// `"2001:db8::1"`). `reply` is [`Channel::is_reply_traffic`]. An empty slice gives `[]`.
pub fn render_json(channels: &[Channel]) -> String {
    if channels.is_empty() {
        return "[]\n".to_owned();
    }
    let mut out = String::from("[\n");
    for (i, c) in channels.iter().enumerate() {
        out.push_str("  {\"side\": ");
        json_str(&mut out, c.side.name());
        out.push_str(", \"direction\": ");
        json_str(&mut out, c.direction.name());
        out.push_str(", \"from\": ");
        json_endpoint(&mut out, c.from.host, c.from.ports);
        out.push_str(", \"to\": ");
        json_endpoint(&mut out, c.to.host, c.to.ports);
        out.push_str(", \"purpose\": ");
        json_str(&mut out, c.purpose.name());
        out.push_str(", \"initiator\": ");
        json_str(&mut out, c.initiator.name());
        out.push_str(", \"reply\": ");
        out.push_str(if c.is_reply_traffic() { "true" } else { "false" });
        out.push_str(", \"description\": ");
        json_str(&mut out, c.description);
        out.push('}');
        if i + 1 < channels.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("]\n");
    out
}

/// A `#` comment line's text: control characters dropped so a description can never end the comment early.
fn comment(c: &Channel) -> String {
    let state = if c.is_reply_traffic() { "reply" } else { "new" };
    let text: String = c.description.chars().filter(|ch| !ch.is_control()).collect();
    format!("{} {} {}, {}: {}", c.side, c.purpose, c.direction, state, text)
}

fn nft_range(r: PortRange) -> String {
    r.to_string()
}

fn nft_addr(out: &mut String, which: &str, host: Host) {
    match host {
        Host::Addr(IpAddr::V4(ip)) => {
            let _ = write!(out, "ip {which} {ip} ");
        }
        Host::Addr(IpAddr::V6(ip)) => {
            let _ = write!(out, "ip6 {which} {ip} ");
        }
        _ => {}
    }
}

/// The name of the conntrack helper object the helper-form rules declare and assign.
pub const NFT_HELPER: &str = "ftpkit-ftp";

/// Why a channel gets no rule of its own, or `None` when it opens a connection that needs one.
fn passed_without_rule(c: &Channel, data: DataMatch) -> Option<&'static str> {
    if c.is_reply_traffic() {
        return Some("passed by the established,related rule above");
    }
    if data == DataMatch::Helper && c.purpose == Purpose::Data {
        return Some(
            "passed as related: the FTP helper read the PORT/227 on the control connection and expects exactly that \
             connection; no other port is open",
        );
    }
    None
}

/// An nftables ruleset (for `nft -f`) that passes these channels and drops everything else: [`render_nft_with`]
/// with [`DataMatch::Ports`].
pub fn render_nft(channels: &[Channel]) -> String {
    render_nft_with(channels, DataMatch::Ports)
}

/// An nftables ruleset (for `nft -f`) that passes these channels and drops everything else.
///
/// Assumptions, stated in the output's header too:
/// - one table `inet ftpkit` with two base chains, `input` (filter hook input) and `output` (filter hook output), both
///   with `policy drop`: this is a host firewall for the machine of the channels' side. Inbound channels go to
///   `input`, outbound ones to `output`. The ruleset passes FTP only: loopback, SSH, DNS and the rest need their
///   own rules before it is loaded on a real host.
/// - connection tracking: each chain first accepts `ct state established,related`, which carries all reply traffic
///   and the later packets of every accepted connection. Only channels that open a connection get a rule, with
///   `ct state new`; reply channels are listed as comments.
/// - [`DataMatch::Ports`]: data connections are matched by their port ranges; no helper is needed.
///   [`DataMatch::Helper`]: the table declares a conntrack helper object of type `"ftp"` ([`NFT_HELPER`]), the
///   control connection's rule assigns it (`ct helper set`), and data channels get no rule: the helper reads each
///   PORT/EPRT/227/229 on the control connection and lets exactly the announced connection in as `related`. It
///   cannot read a control connection under TLS.
/// - roles without an address (`server`, `client`, `any`) match any address; [`Host::Addr`] becomes `ip`/`ip6 saddr`
///   or `daddr`.
pub fn render_nft_with(channels: &[Channel], data: DataMatch) -> String {
    let mut out = String::new();
    out.push_str(
        "# ftpkit FTP firewall rules for nftables (nft -f).\n\
         # Default-drop input and output chains; reply traffic passes as ct state established,related.\n\
         # Passes FTP only: add loopback, SSH and other services before loading this on a real host.\n",
    );
    if data == DataMatch::Helper {
        out.push_str(
            "# Data connections: only those the kernel's FTP helper expects (ct state related); it cannot read\n\
             # PORT/227 inside TLS.\n",
        );
    }
    out.push_str("table inet ftpkit {\n");
    if data == DataMatch::Helper {
        let _ = writeln!(out, "\tct helper {NFT_HELPER} {{\n\t\ttype \"ftp\" protocol tcp;\n\t\tl3proto inet;\n\t}}");
    }
    for (chain, dir) in [("input", Direction::Inbound), ("output", Direction::Outbound)] {
        let _ = writeln!(out, "\tchain {chain} {{");
        let _ = writeln!(out, "\t\ttype filter hook {chain} priority 0; policy drop;");
        out.push_str("\t\tct state established,related accept\n");
        for c in channels.iter().filter(|c| c.direction == dir) {
            let _ = writeln!(out, "\t\t# {}", comment(c));
            if let Some(why) = passed_without_rule(c, data) {
                let _ = writeln!(out, "\t\t# ({why})");
                continue;
            }
            out.push_str("\t\t");
            nft_addr(&mut out, "saddr", c.from.host);
            nft_addr(&mut out, "daddr", c.to.host);
            let _ =
                write!(out, "tcp sport {} tcp dport {} ct state new ", nft_range(c.from.ports), nft_range(c.to.ports));
            if data == DataMatch::Helper && c.purpose == Purpose::Control {
                let _ = write!(out, "ct helper set \"{NFT_HELPER}\" ");
            }
            out.push_str("accept\n");
        }
        out.push_str("\t}\n");
    }
    out.push_str("}\n");
    out
}

fn ipt_range(r: PortRange) -> String {
    if r.is_single() {
        r.start().to_string()
    } else {
        format!("{}:{}", r.start(), r.end())
    }
}

fn ipt_addr(out: &mut String, flag: &str, host: Host) {
    match host {
        Host::Addr(IpAddr::V4(ip)) => {
            let _ = write!(out, " {flag} {ip}/32");
        }
        Host::Addr(IpAddr::V6(ip)) => {
            let _ = write!(out, " {flag} {ip}/128");
        }
        _ => {}
    }
}

/// iptables-save lines (for `iptables-restore`) that pass these channels and drop everything else:
/// [`render_iptables_with`] with [`DataMatch::Ports`].
pub fn render_iptables(channels: &[Channel]) -> String {
    render_iptables_with(channels, DataMatch::Ports)
}

fn ipt_match(out: &mut String, c: &Channel) {
    ipt_addr(out, "-s", c.from.host);
    ipt_addr(out, "-d", c.to.host);
    let _ = write!(out, " -p tcp -m tcp --sport {} --dport {}", ipt_range(c.from.ports), ipt_range(c.to.ports));
}

/// iptables-save lines (for `iptables-restore`) that pass these channels and drop everything else.
///
/// Assumptions, stated in the output's header too:
/// - the `filter` table; `INPUT` and `OUTPUT` set to policy `DROP` (a host firewall for the machine of the
///   channels' side; `FORWARD` is left alone). Inbound channels go to `INPUT`, outbound ones to `OUTPUT`. It passes
///   FTP only: loopback, SSH, DNS and the rest need their own rules before it is loaded on a real host.
/// - conntrack: each chain first accepts `--ctstate RELATED,ESTABLISHED` (all reply traffic and later packets of
///   accepted connections); channels that open a connection get a `--ctstate NEW` rule; reply channels are comments.
/// - [`DataMatch::Helper`]: a `raw` table assigns the kernel's `ftp` helper to the control connection (`-j CT
///   --helper ftp`, in `PREROUTING` for an inbound control connection, `OUTPUT` for an outbound one) and data
///   channels get no rule: they pass as `RELATED`.
/// - ranges are written `A:B`, the iptables form. Addresses (from [`Host::Addr`]) are written as given: channels with
///   IPv6 addresses make an `ip6tables-restore` file, so do not mix address families in one call.
pub fn render_iptables_with(channels: &[Channel], data: DataMatch) -> String {
    let mut out = String::new();
    out.push_str(
        "# ftpkit FTP firewall rules, iptables-save format (iptables-restore).\n\
         # filter table, default-drop INPUT and OUTPUT; reply traffic passes as RELATED,ESTABLISHED.\n\
         # Passes FTP only: add loopback, SSH and other services before loading this on a real host.\n",
    );
    if data == DataMatch::Helper {
        out.push_str("# raw table: the kernel's FTP helper on the control connection; data passes as RELATED.\n*raw\n");
        out.push_str(":PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        for c in channels.iter().filter(|c| c.purpose == Purpose::Control && !c.is_reply_traffic()) {
            let chain = match c.direction {
                Direction::Inbound => "PREROUTING",
                Direction::Outbound => "OUTPUT",
            };
            let _ = write!(out, "-A {chain}");
            ipt_match(&mut out, c);
            out.push_str(" -j CT --helper ftp\n");
        }
        out.push_str("COMMIT\n");
    }
    out.push_str("*filter\n:INPUT DROP [0:0]\n:OUTPUT DROP [0:0]\n");
    for (chain, dir) in [("INPUT", Direction::Inbound), ("OUTPUT", Direction::Outbound)] {
        let _ = writeln!(out, "-A {chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        for c in channels.iter().filter(|c| c.direction == dir) {
            let _ = writeln!(out, "# {}", comment(c));
            if let Some(why) = passed_without_rule(c, data) {
                let _ = writeln!(out, "# ({why})");
                continue;
            }
            let _ = write!(out, "-A {chain}");
            ipt_match(&mut out, c);
            out.push_str(" -m conntrack --ctstate NEW -j ACCEPT\n");
        }
    }
    out.push_str("COMMIT\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes() {
        let table: &[(&str, &str)] = &[
            ("plain", "\"plain\""),
            ("a\"b", "\"a\\\"b\""),
            ("a\\b", "\"a\\\\b\""),
            ("l\nr\r\t", "\"l\\nr\\r\\t\""),
            ("\u{1}\u{7f}", "\"\\u0001\\u007f\""),
            ("é\u{2028}", "\"é\\u2028\""),
        ];
        for (input, want) in table {
            let mut out = String::new();
            json_str(&mut out, input);
            assert_eq!(&out, want, "input {input:?}");
            let back: String = serde_json::from_str(&out).unwrap_or_default();
            assert_eq!(&back, input);
        }
    }

    #[test]
    fn port_phrases() {
        let table: &[((u16, u16), &str)] = &[
            ((21, 21), "port 21"),
            ((1024, 65535), "ports > 1023"),
            ((1, 65535), "any port"),
            ((30000, 30009), "ports 30000-30009"),
            ((65535, 65535), "port 65535"),
        ];
        for ((a, b), want) in table {
            let r = PortRange::new(*a, *b).unwrap_or(PortRange::UNPRIVILEGED);
            assert_eq!(port_phrase(r), *want);
        }
    }

    #[test]
    fn ipt_ranges() {
        assert_eq!(ipt_range(PortRange::UNPRIVILEGED), "1024:65535");
        assert_eq!(ipt_range(PortRange { start: 21, end: 21 }), "21");
    }
}
