//! Will a transfer get through? The firewall and NAT model applied to one path.
//!
//! [`predict`] walks one transfer — the control connection, the endpoint announced on it, the data connection —
//! through what stands between the client and the server:
//!
//! ```text
//!   client ─[client's firewall]─ (NAT router) ─ ... ─ (NAT router) ─[server's firewall]─ server
//! ```
//!
//! - each host's firewall is a [`Guard`]: the channels it passes (what [`rules`](super::rules) gives, rendered by
//!   [`render_nft_with`](super::render_nft_with) with the same [`DataMatch`]), stateful, dropping the rest;
//! - a NAT router in front of the client (masquerading) or the server (port forwarding of the control port and the
//!   passive range), with or without the kernel's FTP helper ([`Nat`]);
//! - the server's advertised address (its masquerade setting), the client's policy for a `227` address, TLS on the
//!   control connection (which no helper can read), the server's bounce protection.
//!
//! Each step is a [`Check`] numbered like the seed's drawing (1-2 the control connection and the announcement, 3 the
//! new data connection); the first check that fails is where the transfer fails. The model reasons about roles and
//! port ranges, never about a socket: a range "passes" when every port of it does.
//!
//! ```
//! use ftpkit_proto::firewall::{predict, rules, DataMatch, Guard, Mode, Path, Ports, Side};
//!
//! // The seed's "main problem": a client firewall passing only what passive mode needs.
//! let ports = Ports::default();
//! let client = Guard::new(rules(Mode::Passive, Side::Client, &ports), DataMatch::Ports);
//! let mut path = Path::new(Mode::Active, ports);
//! path.client_firewall = Some(client.clone());
//! let p = predict(&path);
//! assert!(!p.works);
//! assert_eq!(p.failure().map(|c| c.step), Some(3));
//! path.mode = Mode::Passive;
//! assert!(predict(&path).works);
//! ```

use super::{Channel, DataMatch, Direction, Host, Mode, PortRange, Ports, Purpose};
use core::fmt::Write as _;
use std::net::IpAddr;

/// A host's stateful firewall: the channels it passes, and how it recognises data connections.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Guard {
    /// The channels its rules pass (reply channels pass as established traffic).
    pub channels: Vec<Channel>,
    /// Data connections by port rules, or by the FTP helper.
    pub data: DataMatch,
}

/// A new TCP connection (its first packet) as one host's firewall sees it: ports as ranges, all of which must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NewConnection {
    /// Arriving at (inbound) or leaving (outbound) the guarded host.
    pub direction: Direction,
    /// The guarded host's ports.
    pub local: PortRange,
    /// The other host's ports.
    pub remote: PortRange,
}

const fn covers(outer: PortRange, inner: PortRange) -> bool {
    outer.start() <= inner.start() && inner.end() <= outer.end()
}

impl Guard {
    /// A guard passing `channels`.
    pub fn new(channels: impl Into<Vec<Channel>>, data: DataMatch) -> Guard {
        Guard { channels: channels.into(), data }
    }

    /// Whether one of its `ct state new` rules passes every connection `conn` describes. Rules match ports and
    /// direction, as the rendered rules do (not the purpose: a data connection to the control port passes the
    /// control rule); addresses in the channels are not compared (the model reasons about roles). In the helper
    /// form data channels have no rule.
    pub fn admits_new(&self, conn: &NewConnection) -> bool {
        self.admits(conn, None)
    }

    /// [`Guard::admits_new`] between two concrete addresses (the guarded host's `local`, the other end's
    /// `remote`): a channel whose end is a [`Host::Addr`](super::Host::Addr) passes only that address there, as the
    /// rendered `ip saddr`/`daddr` match does; a role (`server`, `client`, `any`) passes any address. What tells the
    /// rules of [`Balanced`](super::Balanced) apart: an instance passes its control port and range from the load
    /// balancer's source address only.
    pub fn admits_new_between(&self, conn: &NewConnection, local: IpAddr, remote: IpAddr) -> bool {
        self.admits(conn, Some((local, remote)))
    }

    /// One of its `ct state new` rules passes `conn`; with `addrs` (local, remote), addresses too.
    fn admits(&self, conn: &NewConnection, addrs: Option<(IpAddr, IpAddr)>) -> bool {
        let passes = |host: Host, addr: Option<IpAddr>| match (host, addr) {
            (Host::Addr(ip), Some(addr)) => ip == addr,
            _ => true,
        };
        self.channels.iter().any(|c| {
            let no_rule = c.is_reply_traffic() || (self.data == DataMatch::Helper && c.purpose == Purpose::Data);
            !no_rule
                && c.direction == conn.direction
                && covers(c.local().ports, conn.local)
                && covers(c.remote().ports, conn.remote)
                && passes(c.local().host, addrs.map(|a| a.0))
                && passes(c.remote().host, addrs.map(|a| a.1))
        })
    }

    /// Whether the guard assigns the FTP helper to the control connection (helper form with a control rule that
    /// opens it): it then passes the announced data connection as `related`, when it can read the announcement.
    pub fn has_helper(&self) -> bool {
        self.data == DataMatch::Helper
            && self.channels.iter().any(|c| c.purpose == Purpose::Control && !c.is_reply_traffic())
    }
}

/// A NAT router on the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nat {
    /// In front of the client, masquerading it: the server sees the router's address. With `helper`, the router's
    /// FTP helper rewrites the address in PORT/EPRT to its own and forwards the server's connection back.
    Client {
        /// The kernel's FTP NAT helper is assigned to the control connection.
        helper: bool,
    },
    /// In front of the server, forwarding the control port and the passive range to it (and masquerading its
    /// outbound connections). With `helper`, the router's FTP helper rewrites the address in a 227 to its own.
    Server {
        /// The kernel's FTP NAT helper is assigned to the control connection.
        helper: bool,
    },
}

/// One transfer's path from client to server: what stands in it, and how both ends behave.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// Active (the server connects) or passive (the client connects).
    pub mode: Mode,
    /// EPSV/EPRT instead of PASV/PORT. A 229 names no address (the client dials the control connection's peer).
    pub extended: bool,
    /// The deployment's ports.
    pub ports: Ports,
    /// The client host's firewall, if any.
    pub client_firewall: Option<Guard>,
    /// The server host's firewall, if any.
    pub server_firewall: Option<Guard>,
    /// A NAT router, if any.
    pub nat: Option<Nat>,
    /// The server advertises the NAT's public address in 227 (its masquerade setting).
    pub masquerade: bool,
    /// The client connects to the address a 227 names (RFC 959, `TrustServer`) instead of the control connection's
    /// peer (ftpkit's, curl's and ftplib's default).
    pub trust_227: bool,
    /// TLS on the control connection when the endpoint is announced: under TLS no helper can read it; cleared by
    /// CCC it can again.
    pub tls: ControlTls,
    /// The server refuses a PORT/EPRT naming another address than the control connection's peer (ftpkit's and
    /// vsftpd's default).
    pub bounce_protection: bool,
}

impl Path {
    /// A path with nothing in it: no firewall, no NAT, PASV/PORT, no TLS, bounce protection on, the client using
    /// the control connection's peer for 227.
    pub fn new(mode: Mode, ports: Ports) -> Path {
        Path {
            mode,
            extended: false,
            ports,
            client_firewall: None,
            server_firewall: None,
            nat: None,
            masquerade: false,
            trust_227: false,
            tls: ControlTls::Clear,
            bounce_protection: true,
        }
    }
}

/// TLS on the control connection at the moment PORT/EPRT or 227 crosses it: what decides whether a conntrack FTP
/// helper (on a host's firewall or a NAT router) can read the endpoint and open or rewrite for it. The data
/// connection's own protection (`PROT P`) does not matter to a helper: it never reads data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ControlTls {
    /// Plain FTP: the helper reads every command and reply.
    #[default]
    Clear,
    /// FTPS (explicit `AUTH TLS` or implicit): the endpoint travels inside TLS records; no helper can read it.
    Protected,
    /// FTPS, then `CCC` after login (RFC 4217 section 12.3): the control connection is back in clear text when the
    /// endpoint is announced (the data connections stay protected).
    ///
    /// Clear is not enough for Linux's helper (`nf_conntrack_ftp`): it parses a segment only when the segment
    /// starts right after a newline it saw in that direction, and the TLS records before CCC's end gave it none.
    /// So the first clear line in each direction after CCC goes unread (it only resynchronises the helper):
    /// `resynced` says whether another command and its reply crossed in clear before the endpoint's (ftpkit's client
    /// always sends a NOOP right after CCC, see [`crate::driver::Call::Ccc`]; curl sends PWD). Without, the PORT/EPRT
    /// (or the 227 answering a first PASV) is that first line and the helper misses it as if it were still under
    /// TLS. Measured in docs/LAB.md, rows 7b-7d.
    ClearedByCcc {
        /// A clear command and its reply crossed after CCC before the one announcing the endpoint.
        resynced: bool,
    },
}

impl ControlTls {
    /// A helper can read the endpoint's announcement.
    pub fn readable(self) -> bool {
        matches!(self, ControlTls::Clear | ControlTls::ClearedByCcc { resynced: true })
    }
}

/// Where a check happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum At {
    /// The client host's firewall.
    ClientFirewall,
    /// The server host's firewall.
    ServerFirewall,
    /// The NAT router.
    Router,
    /// The FTP server program.
    Server,
    /// The FTP client program.
    Client,
}

impl At {
    /// `the client's firewall`, `the NAT router`, ...
    pub const fn phrase(self) -> &'static str {
        match self {
            At::ClientFirewall => "the client's firewall",
            At::ServerFirewall => "the server's firewall",
            At::Router => "the NAT router",
            At::Server => "the FTP server",
            At::Client => "the FTP client",
        }
    }
}

/// One step of the prediction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Check {
    /// The seed's step: 1 the control connection, 2 the announcement (PORT/EPRT's reply, 227/229), 3 the new data
    /// connection.
    pub step: u8,
    /// Where it happens.
    pub at: At,
    /// Whether it passes.
    pub passes: bool,
    /// What happens, in words.
    pub what: String,
}

/// What [`predict`] says about a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Prediction {
    /// The transfer works.
    pub works: bool,
    /// The checks in order, up to and including the first that fails.
    pub checks: Vec<Check>,
}

impl Prediction {
    /// The check that fails, if any.
    pub fn failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| !c.passes)
    }

    /// One line: `works` or `fails at step N (where): what`.
    pub fn summary(&self) -> String {
        match self.failure() {
            None => "works".to_owned(),
            Some(c) => format!("fails at step {} ({}): {}", c.step, c.at.phrase(), c.what),
        }
    }

    /// Every check, one line each, marked `ok` or `FAIL`.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        for c in &self.checks {
            let mark = if c.passes { "ok  " } else { "FAIL" };
            let _ = writeln!(s, "{mark} step {} at {}: {}", c.step, c.at.phrase(), c.what);
        }
        s
    }
}

struct Walk {
    checks: Vec<Check>,
}

impl Walk {
    /// Records a check; false when it failed (the walk stops there).
    fn check(&mut self, step: u8, at: At, passes: bool, what: impl Into<String>) -> bool {
        self.checks.push(Check { step, at, passes, what: what.into() });
        passes
    }

    /// A firewall check on a new connection: its rules, or the helper's expectation.
    fn guard(&mut self, guard: Option<&Guard>, at: At, conn: NewConnection, expected: bool, what: &str) -> bool {
        let Some(g) = guard else { return true };
        let dir = match conn.direction {
            Direction::Inbound => "in",
            Direction::Outbound => "out",
        };
        let ports = format!("this host's ports {}, the peer's {}", conn.local, conn.remote);
        if g.admits_new(&conn) {
            return self.check(3, at, true, format!("{what}: a rule lets it {dir} ({ports})"));
        }
        if expected && g.has_helper() {
            return self.check(3, at, true, format!("{what}: the FTP helper expects it ({ports}, ct state related)"));
        }
        let why = if g.has_helper() {
            "no rule lets it in as new and the helper, which cannot read the control connection, expects nothing"
        } else {
            "no rule lets it through as a new connection"
        };
        self.check(3, at, false, format!("{what}: dropped ({ports}): {why}"))
    }
}

/// Walks one transfer through `path` and says whether it works, and if not, where and why it fails.
pub fn predict(path: &Path) -> Prediction {
    let mut w = Walk { checks: Vec::new() };
    let works = walk(path, &mut w);
    Prediction { works, checks: w.checks }
}

fn walk(p: &Path, w: &mut Walk) -> bool {
    let ports = &p.ports;
    let (ctl, client) = (ports.control_range(), ports.client());
    // Step 1: the control connection, client >1023 to server 21.
    if let Some(g) = &p.client_firewall {
        let ok = g.admits_new(&NewConnection { direction: Direction::Outbound, local: client, remote: ctl });
        if !w.check(1, At::ClientFirewall, ok, format!("the control connection to port {ctl} goes out")) {
            return false;
        }
    }
    if let Some(Nat::Server { .. }) = p.nat {
        w.check(1, At::Router, true, format!("the router forwards port {ctl} to the server"));
    }
    if let Some(g) = &p.server_firewall {
        let ok = g.admits_new(&NewConnection { direction: Direction::Inbound, local: ctl, remote: client });
        if !w.check(1, At::ServerFirewall, ok, format!("the control connection to port {ctl} comes in")) {
            return false;
        }
    }
    let readable = p.tls.readable();
    let helper_note = match p.tls {
        ControlTls::Clear => "",
        ControlTls::Protected => " (the FTP helper cannot read it: the control connection is under TLS)",
        ControlTls::ClearedByCcc { resynced: true } => {
            " (the control connection is back in clear text after CCC, and a clear line before resynchronised it)"
        }
        ControlTls::ClearedByCcc { resynced: false } => {
            " (the FTP helper skips it: back in clear after CCC, but it is the first clear line, and Linux's helper parses only segments that start after a newline it saw)"
        }
    };
    match p.mode {
        Mode::Passive => passive(p, w, readable, helper_note),
        Mode::Active => active(p, w, readable, helper_note),
    }
}

fn passive(p: &Path, w: &mut Walk, readable: bool, helper_note: &str) -> bool {
    let ports = &p.ports;
    let (client, pasv) = (ports.client(), ports.passive());
    let (verb, reply) = if p.extended { ("EPSV", "229") } else { ("PASV", "227") };
    // Step 2: the announcement, and which address the client dials.
    if p.extended {
        w.check(2, At::Client, true, "229 names only a port: the client dials the control connection's address");
    } else if let Some(Nat::Server { helper }) = p.nat {
        if p.masquerade {
            w.check(2, At::Server, true, "227 names the router's public address (the server's masquerade setting)");
        } else if helper && readable {
            w.check(
                2,
                At::Router,
                true,
                format!("227 names the server's private address; the router's FTP helper{helper_note} rewrites it to the router's"),
            );
        } else if !p.trust_227 {
            w.check(
                2,
                At::Client,
                true,
                format!(
                    "227 names the server's private address{}; the client dials the control connection's address instead (its policy)",
                    if helper { format!(", which the router's helper cannot rewrite{helper_note}") } else { String::new() }
                ),
            );
        } else {
            return w.check(
                2,
                At::Client,
                false,
                format!(
                    "227 names the server's private address{}, and the client dials it: unreachable from outside",
                    if helper { helper_note } else { "" }
                ),
            );
        }
    } else {
        w.check(2, At::Server, true, format!("{reply} names the server's own address, which the client reaches"));
    }
    // Step 3: the client connects to the passive port.
    let what = format!("the client's data connection after {verb} to the server's port {pasv}");
    let out = NewConnection { direction: Direction::Outbound, local: client, remote: pasv };
    if !w.guard(p.client_firewall.as_ref(), At::ClientFirewall, out, readable, &what) {
        return false;
    }
    if let Some(Nat::Server { .. }) = p.nat {
        w.check(3, At::Router, true, format!("the router forwards the passive range {pasv} to the server"));
    }
    let inb = NewConnection { direction: Direction::Inbound, local: pasv, remote: client };
    w.guard(p.server_firewall.as_ref(), At::ServerFirewall, inb, readable, &what)
}

fn active(p: &Path, w: &mut Walk, readable: bool, helper_note: &str) -> bool {
    let ports = &p.ports;
    let (client, source) = (ports.client(), ports.active_source());
    let verb = if p.extended { "EPRT" } else { "PORT" };
    // Step 2: the server checks the address the PORT/EPRT names.
    if let Some(Nat::Client { helper }) = p.nat {
        if helper && readable {
            w.check(2, At::Router, true, format!("{verb} names the client's private address; the router's FTP helper{helper_note} rewrites it to the router's and will forward the connection back"));
        } else {
            let why = if helper { helper_note } else { " (no FTP helper on the router)" };
            let what = if p.bounce_protection {
                format!("{verb} names the client's private address, not the control connection's (the router's){why}: the server refuses it (bounce protection)")
            } else {
                format!("{verb} names the client's private address{why}: the server cannot reach it")
            };
            let at = if p.bounce_protection { At::Server } else { At::Router };
            return w.check(2, at, false, what);
        }
    } else {
        w.check(2, At::Server, true, format!("{verb} names the client's own address, the control connection's peer"));
    }
    // Step 3: the server connects back from its data source port.
    let what = format!("the server's data connection from port {source} to the client's port");
    let out = NewConnection { direction: Direction::Outbound, local: source, remote: client };
    if !w.guard(p.server_firewall.as_ref(), At::ServerFirewall, out, readable, &what) {
        return false;
    }
    if let Some(Nat::Client { .. }) = p.nat {
        w.check(3, At::Router, true, "the router's FTP helper forwards the server's connection to the client");
    }
    let inb = NewConnection { direction: Direction::Inbound, local: client, remote: source };
    w.guard(p.client_firewall.as_ref(), At::ClientFirewall, inb, readable, &what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{rules, Side};

    /// (name, path, works, where it fails)
    type Row<'a> = (&'a str, Path, bool, Option<(u8, At)>);

    fn guard(mode: Mode, side: Side, ports: &Ports, data: DataMatch) -> Option<Guard> {
        Some(Guard::new(rules(mode, side, ports), data))
    }

    fn outcome(p: &Path) -> (bool, Option<(u8, At)>) {
        let pr = predict(p);
        (pr.works, pr.failure().map(|c| (c.step, c.at)))
    }

    fn range(a: u16, b: u16) -> PortRange {
        PortRange::new(a, b).unwrap_or(PortRange::UNPRIVILEGED)
    }

    /// The issue's scenarios 1-6 and 7's TLS twist, one row each: (name, path, works, where it fails).
    #[test]
    fn scenario_table() {
        use DataMatch::{Helper, Ports as ByPorts};
        use Mode::{Active as A, Passive as P};
        use Side::{Client as C, Server as S};
        let d = Ports::default();
        let ranged = Ports::default().with_passive(range(30000, 30009));
        let path = |mode, ports: Ports, f: &dyn Fn(&mut Path)| {
            let mut p = Path::new(mode, ports);
            f(&mut p);
            p
        };
        let none: &dyn Fn(&mut Path) = &|_| {};
        let client_seed: &dyn Fn(&mut Path) = &|p| p.client_firewall = guard(P, C, &d, ByPorts);
        let client_helper: &dyn Fn(&mut Path) = &|p| p.client_firewall = guard(P, C, &d, Helper);
        let server_21: &dyn Fn(&mut Path) = &|p| p.server_firewall = guard(A, S, &d, ByPorts);
        let server_range: &dyn Fn(&mut Path) = &|p| p.server_firewall = guard(P, S, &ranged, ByPorts);
        let server_helper: &dyn Fn(&mut Path) = &|p| p.server_firewall = guard(P, S, &d, Helper);
        let cnat: &dyn Fn(&mut Path) = &|p| p.nat = Some(Nat::Client { helper: false });
        let cnat_helper: &dyn Fn(&mut Path) = &|p| p.nat = Some(Nat::Client { helper: true });
        let cnat_helper_tls: &dyn Fn(&mut Path) = &|p| {
            p.nat = Some(Nat::Client { helper: true });
            p.tls = ControlTls::Protected;
        };
        let cnat_helper_ccc: &dyn Fn(&mut Path) = &|p| {
            p.nat = Some(Nat::Client { helper: true });
            p.tls = ControlTls::ClearedByCcc { resynced: true };
        };
        let cnat_helper_ccc_first: &dyn Fn(&mut Path) = &|p| {
            p.nat = Some(Nat::Client { helper: true });
            p.tls = ControlTls::ClearedByCcc { resynced: false };
        };
        let snat_trust: &dyn Fn(&mut Path) = &|p| {
            p.nat = Some(Nat::Server { helper: false });
            p.trust_227 = true;
        };
        let snat_trust_masq: &dyn Fn(&mut Path) = &|p| {
            snat_trust(p);
            p.masquerade = true;
        };
        let snat_peer: &dyn Fn(&mut Path) = &|p| p.nat = Some(Nat::Server { helper: false });
        let snat_epsv: &dyn Fn(&mut Path) = &|p| {
            snat_trust(p);
            p.extended = true;
        };
        let rows: Vec<Row<'_>> = vec![
            ("1 active", path(A, d, none), true, None),
            ("1 passive", path(P, d, none), true, None),
            ("2 active", path(A, d, client_seed), false, Some((3, At::ClientFirewall))),
            ("2 passive", path(P, d, client_seed), true, None),
            ("2+helper active", path(A, d, client_helper), true, None),
            ("3 active", path(A, d, server_21), true, None),
            ("3 passive", path(P, d, server_21), false, Some((3, At::ServerFirewall))),
            ("3 range passive", path(P, ranged, server_range), true, None),
            ("4 passive", path(P, d, cnat), true, None),
            ("4 active", path(A, d, cnat), false, Some((2, At::Server))),
            ("4 helper active", path(A, d, cnat_helper), true, None),
            ("7 helper tls active", path(A, d, cnat_helper_tls), false, Some((2, At::Server))),
            ("7 helper tls+ccc active", path(A, d, cnat_helper_ccc), true, None),
            ("7 helper tls+ccc, PORT first", path(A, d, cnat_helper_ccc_first), false, Some((2, At::Server))),
            ("5 trust passive", path(P, d, snat_trust), false, Some((2, At::Client))),
            ("5 masquerade passive", path(P, d, snat_trust_masq), true, None),
            ("5 peer policy passive", path(P, d, snat_peer), true, None),
            ("5 epsv", path(P, d, snat_epsv), true, None),
            ("6 helper passive", path(P, d, server_helper), true, None),
        ];
        for (name, p, works, fails_at) in rows {
            assert_eq!(outcome(&p), (works, fails_at), "{name}: {}", predict(&p).render_text());
        }
    }

    #[test]
    fn a_balanced_instance_passes_its_own_range_from_the_load_balancer_only() {
        use crate::firewall::{Balanced, Instance};
        use std::net::{Ipv4Addr, SocketAddr};
        let ip = |d| IpAddr::V4(Ipv4Addr::new(198, 51, 100, d));
        let (public, lb) = (IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1)), ip(1));
        let inst = |d, a| Instance { bind: SocketAddr::new(ip(d), 2121), passive: range(a, a + 9) };
        let b = Balanced::new(public, 21, lb, vec![inst(10, 30000), inst(11, 30010)]).unwrap_or_else(|e| panic!("{e}"));
        let a = Guard::new(b.instance_channels(0).unwrap_or_default(), DataMatch::Ports);
        let inbound = |port| NewConnection {
            direction: Direction::Inbound,
            local: range(port, port),
            remote: PortRange::UNPRIVILEGED,
        };
        assert!(a.admits_new_between(&inbound(2121), ip(10), lb));
        assert!(a.admits_new_between(&inbound(30009), ip(10), lb));
        // Another host of the private segment (instance b), b's range, the wrong local address.
        assert!(!a.admits_new_between(&inbound(2121), ip(10), ip(11)));
        assert!(!a.admits_new_between(&inbound(30010), ip(10), lb));
        assert!(!a.admits_new_between(&inbound(2121), ip(11), lb));
        // By ports alone (roles, no addresses) b's address passes: only the addresses tell it apart.
        assert!(a.admits_new(&inbound(2121)));
        let front = Guard::new(b.balancer_channels(), DataMatch::Ports);
        let client = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 2));
        assert!(front.admits_new_between(&inbound(21), public, client));
        assert!(front.admits_new_between(&inbound(30019), public, client));
        assert!(!front.admits_new_between(&inbound(40000), public, client));
        let out = |port| NewConnection {
            direction: Direction::Outbound,
            local: PortRange::UNPRIVILEGED,
            remote: range(port, port),
        };
        assert!(front.admits_new_between(&out(30000), lb, ip(10)));
        assert!(!front.admits_new_between(&out(30010), lb, ip(10)));
        assert!(front.admits_new_between(&out(30010), lb, ip(11)));
        assert!(!front.admits_new_between(&out(2121), public, ip(10)));
    }

    #[test]
    fn ranges_pass_only_when_covered() {
        let ranged = Ports::default().with_passive(range(30000, 30009));
        let g = Guard::new(rules(Mode::Passive, Side::Server, &ranged), DataMatch::Ports);
        let inbound = |port| NewConnection {
            direction: Direction::Inbound,
            local: range(port, port),
            remote: PortRange::UNPRIVILEGED,
        };
        assert!(g.admits_new(&inbound(21)));
        assert!(g.admits_new(&inbound(30009)));
        assert!(!g.admits_new(&inbound(30010)));
        assert!(!g.admits_new(&inbound(40000)));
        let wider = NewConnection {
            direction: Direction::Inbound,
            local: range(29999, 30009),
            remote: PortRange::UNPRIVILEGED,
        };
        assert!(!g.admits_new(&wider));
        let helper = Guard::new(rules(Mode::Passive, Side::Server, &Ports::default()), DataMatch::Helper);
        assert!(helper.has_helper());
        assert!(helper.admits_new(&inbound(21)));
        assert!(!helper.admits_new(&inbound(40000)), "the helper form has no data rule");
        let no_control = Guard::new(
            rules(Mode::Passive, Side::Server, &Ports::default())
                .into_iter()
                .filter(|c| c.purpose == Purpose::Data)
                .collect::<Vec<_>>(),
            DataMatch::Helper,
        );
        assert!(!no_control.has_helper());
    }

    #[test]
    fn helpers_are_blind_under_tls() {
        let d = Ports::default();
        let mut p = Path::new(Mode::Passive, d);
        p.server_firewall = guard(Mode::Passive, Side::Server, &d, DataMatch::Helper);
        p.tls = ControlTls::Protected;
        let pr = predict(&p);
        assert!(!pr.works);
        assert!(pr.summary().contains("cannot read"), "{}", pr.summary());
        p.server_firewall = guard(Mode::Passive, Side::Server, &d, DataMatch::Ports);
        assert!(predict(&p).works, "port rules do not need to read the control connection");
    }

    /// CCC hands the control connection back in clear: every helper that TLS blinds reads the endpoint again, on
    /// a host's firewall and on either NAT router, in both modes, once a clear line resynchronised it; as the
    /// first clear line the endpoint stays unread. The checks say why.
    #[test]
    fn ccc_gives_helpers_their_sight_back() {
        let d = Ports::default();
        let server_helper = |mode| {
            let mut p = Path::new(mode, d);
            p.server_firewall = guard(Mode::Passive, Side::Server, &d, DataMatch::Helper);
            p
        };
        let client_helper = |mode| {
            let mut p = Path::new(mode, d);
            p.client_firewall = guard(Mode::Passive, Side::Client, &d, DataMatch::Helper);
            p
        };
        let nat = |mode, n| {
            let mut p = Path::new(mode, d);
            p.nat = Some(n);
            p
        };
        let cases = [
            server_helper(Mode::Passive),
            client_helper(Mode::Active),
            nat(Mode::Active, Nat::Client { helper: true }),
            {
                let mut p = nat(Mode::Passive, Nat::Server { helper: true });
                p.trust_227 = true;
                p
            },
        ];
        for mut p in cases {
            p.tls = ControlTls::Clear;
            assert!(predict(&p).works, "clear: {}", predict(&p).render_text());
            p.tls = ControlTls::Protected;
            assert!(!predict(&p).works, "under TLS: {}", predict(&p).render_text());
            p.tls = ControlTls::ClearedByCcc { resynced: true };
            let pr = predict(&p);
            assert!(pr.works, "after CCC: {}", pr.render_text());
            p.tls = ControlTls::ClearedByCcc { resynced: false };
            let pr = predict(&p);
            assert!(!pr.works, "after CCC, the endpoint first: {}", pr.render_text());
        }
        // The NAT rows name CCC where the helper rewrites, and the first-line rule where it does not.
        let mut p = nat(Mode::Active, Nat::Client { helper: true });
        p.tls = ControlTls::ClearedByCcc { resynced: true };
        let text = predict(&p).render_text();
        assert!(text.contains("back in clear text after CCC"), "{text}");
        p.tls = ControlTls::ClearedByCcc { resynced: false };
        let summary = predict(&p).summary();
        assert!(summary.contains("first clear line") && summary.contains("bounce protection"), "{summary}");
        // Without a helper CCC changes nothing: the PORT still names the private address.
        p.tls = ControlTls::ClearedByCcc { resynced: true };
        p.nat = Some(Nat::Client { helper: false });
        assert_eq!(outcome(&p), (false, Some((2, At::Server))));
        assert!(ControlTls::Clear.readable() && ControlTls::ClearedByCcc { resynced: true }.readable());
        assert!(!ControlTls::Protected.readable() && !ControlTls::ClearedByCcc { resynced: false }.readable());
        assert_eq!(Path::new(Mode::Active, d).tls, ControlTls::default());
    }

    #[test]
    fn control_blocked_first() {
        let d = Ports::default().with_control(2121).unwrap_or_default();
        let mut p = Path::new(Mode::Passive, d);
        // Passive rules with the default range open 1024-65535, 2121 among them: that passes.
        p.server_firewall = guard(Mode::Passive, Side::Server, &Ports::default(), DataMatch::Ports);
        assert!(predict(&p).works);
        // Active rules open port 21 only.
        p.server_firewall = guard(Mode::Active, Side::Server, &Ports::default(), DataMatch::Ports);
        let pr = predict(&p);
        assert_eq!(pr.failure().map(|c| (c.step, c.at)), Some((1, At::ServerFirewall)));
        assert_eq!(pr.checks.len(), 1);
        assert!(pr.summary().starts_with("fails at step 1 (the server's firewall)"), "{}", pr.summary());
        assert!(pr.render_text().starts_with("FAIL step 1"), "{}", pr.render_text());
    }
}
