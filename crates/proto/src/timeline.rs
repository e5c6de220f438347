//! The data connections of a session as the seed's numbered steps.
//!
//! From a decoded transcript ([`crate::transcript::decode`]) — or, item by item, from a live session — this module
//! finds every data connection that was opened and tells its story the way the seed does: who connects, from which
//! address and port to which, in which order, and which side's firewall sees an inbound connection. It also warns
//! where NAT breaks the exchange: a private address in a PORT (the seed's "Other Notes"), a 227 naming an address
//! other than the control connection's peer, or 0.0.0.0.
//!
//! ```text
//!   active (PORT/EPRT)                              passive (PASV/EPSV)
//!   1. client N   ──PORT──► server 21              1. client N   ──PASV──► server 21
//!   2. client N   ◄──200─── server 21              2. client N   ◄──227─── server 21
//!   3. client N+1 ◄──SYN─── server 20  (new, in    3. client N+1 ───SYN──► server P   (new, inbound
//!                                       at client)                                     at server)
//!   4. client N+1 ───ACK──► server 20              4. client N+1 ◄──ACK─── server P
//! ```

use crate::firewall::{Mode, Side};
use crate::transcript::{Endpoint, EndpointForm, Item};
use std::fmt::{self, Write as _};
use std::net::IpAddr;

/// What the caller knows about the control connection; every field is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Context {
    /// The client's address on the control connection.
    pub client: Option<IpAddr>,
    /// The server's address on the control connection.
    pub server: Option<IpAddr>,
    /// The server's control port (21 when unknown).
    pub control_port: Option<u16>,
}

/// One end of a step: a side, the address when known, and a port (a number, or a description such as `N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    /// Whose end this is.
    pub side: Side,
    /// The address, when the transcript or the caller's context names it.
    pub ip: Option<IpAddr>,
    /// The port: a number when known.
    pub port: Option<u16>,
    /// How to describe the port when it is not known (`"N (> 1023)"`, `"20"`).
    pub port_label: String,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = match self.side {
            Side::Client => "client",
            Side::Server => "server",
        };
        write!(f, "{who}")?;
        if let Some(ip) = self.ip {
            write!(f, " {ip}")?;
        }
        match self.port {
            Some(p) => write!(f, ":{p}"),
            None => write!(f, ":{}", self.port_label),
        }
    }
}

/// One numbered step of the seed's drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1 to 4.
    pub number: u8,
    /// Where the packets come from.
    pub from: End,
    /// Where they go.
    pub to: End,
    /// What happens, in words.
    pub what: String,
    /// When this step opens a new TCP connection: the side whose firewall sees it come in.
    pub new_inbound_at: Option<Side>,
}

/// Something about the exchange that NAT or a firewall will break, or that looks wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The transcript line the warning is about.
    pub line: usize,
    /// What and why.
    pub text: String,
}

/// A data connection of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataConnection {
    /// 1-based, in order of appearance.
    pub index: usize,
    /// Active (the server connects) or passive (the client connects).
    pub mode: Mode,
    /// The endpoint that was announced, and by which form.
    pub endpoint: Endpoint,
    /// The line of the PORT/EPRT/LPRT command or the 227/228/229 reply.
    pub announced_at: usize,
    /// The transfer command the connection served (`LIST`, `RETR x`), when the transcript shows one.
    pub command: Option<String>,
    /// The line of that command.
    pub command_at: Option<usize>,
    /// The reply that ended the transfer, when the transcript shows it.
    pub outcome: Option<u16>,
    /// The seed's four steps.
    pub steps: [Step; 4],
    /// The control connection was under TLS when the endpoint was announced (after `AUTH` and its `234`, until
    /// `CCC` and its `200`): no firewall or NAT helper on the path could read the announcement.
    pub control_protected: bool,
    /// NAT and firewall warnings for this connection.
    pub warnings: Vec<Warning>,
}

/// The whole timeline of a transcript.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeline {
    /// The data connections, in order.
    pub connections: Vec<DataConnection>,
    /// Warnings not tied to one connection (an endpoint announced but never used, say).
    pub warnings: Vec<Warning>,
}

const TRANSFER_VERBS: &[&str] = &["RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"];

/// True for addresses that cannot be reached from the public Internet: RFC 1918, CGNAT 100.64/10, link-local,
/// loopback, unspecified, IPv6 unique-local and link-local.
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback() || v6.is_unspecified() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

fn end(side: Side, ip: Option<IpAddr>, port: Option<u16>, label: &str) -> End {
    End { side, ip, port, port_label: label.to_owned() }
}

impl DataConnection {
    /// Builds the connection's steps from an announced endpoint and what is known of the control connection.
    pub fn new(index: usize, endpoint: Endpoint, announced_at: usize, ctx: &Context) -> DataConnection {
        let control_port = Some(ctx.control_port.unwrap_or(21));
        let announcer = endpoint.form.label();
        let (mode, steps) = if endpoint.form.is_active() {
            let client_ip = endpoint.ip.or(ctx.client);
            let client_cmd = end(Side::Client, ctx.client, None, "N (> 1023)");
            let server_cmd = end(Side::Server, ctx.server, control_port, "21");
            let client_data = end(Side::Client, client_ip, Some(endpoint.port), "");
            let server_data = end(Side::Server, ctx.server, None, "20");
            let steps = [
                Step {
                    number: 1,
                    from: client_cmd.clone(),
                    to: server_cmd.clone(),
                    what: format!("the client sends {announcer} naming its data port {}", endpoint.port),
                    new_inbound_at: None,
                },
                Step {
                    number: 2,
                    from: server_cmd,
                    to: client_cmd,
                    what: "the server acknowledges on the control connection (200)".to_owned(),
                    new_inbound_at: None,
                },
                Step {
                    number: 3,
                    from: server_data.clone(),
                    to: client_data.clone(),
                    what: "the server opens the data connection from its data port to the client's".to_owned(),
                    new_inbound_at: Some(Side::Client),
                },
                Step {
                    number: 4,
                    from: client_data,
                    to: server_data,
                    what: "the client acknowledges on the data connection".to_owned(),
                    new_inbound_at: None,
                },
            ];
            (Mode::Active, steps)
        } else {
            let server_ip = endpoint.ip.or(ctx.server);
            let client_cmd = end(Side::Client, ctx.client, None, "N (> 1023)");
            let server_cmd = end(Side::Server, ctx.server, control_port, "21");
            let client_data = end(Side::Client, ctx.client, None, "N+1 (> 1023)");
            let server_data = end(Side::Server, server_ip, Some(endpoint.port), "");
            let request = match endpoint.form {
                EndpointForm::Epsv => "EPSV",
                EndpointForm::Lpsv => "LPSV",
                _ => "PASV",
            };
            let steps = [
                Step {
                    number: 1,
                    from: client_cmd.clone(),
                    to: server_cmd.clone(),
                    what: format!("the client sends {request} on the control connection"),
                    new_inbound_at: None,
                },
                Step {
                    number: 2,
                    from: server_cmd,
                    to: client_cmd,
                    what: format!("the server answers {announcer} naming the port it listens on, {}", endpoint.port),
                    new_inbound_at: None,
                },
                Step {
                    number: 3,
                    from: client_data.clone(),
                    to: server_data.clone(),
                    what: "the client opens the data connection to the server's announced port".to_owned(),
                    new_inbound_at: Some(Side::Server),
                },
                Step {
                    number: 4,
                    from: server_data,
                    to: client_data,
                    what: "the server acknowledges (and sends data) on the data connection".to_owned(),
                    new_inbound_at: None,
                },
            ];
            (Mode::Passive, steps)
        };
        let warnings = nat_warnings(&endpoint, announced_at, ctx);
        DataConnection {
            index,
            mode,
            endpoint,
            announced_at,
            command: None,
            command_at: None,
            outcome: None,
            steps,
            control_protected: false,
            warnings,
        }
    }

    /// Marks the connection as announced inside TLS, with what that means for the firewalls and NAT on the path.
    fn protect(&mut self) {
        self.control_protected = true;
        let label = self.endpoint.form.label();
        let text = if self.endpoint.form.is_active() {
            format!(
                "{label} went inside TLS: no firewall or NAT router on the path can read it, so an FTP helper \
                 (conntrack) neither opens the client's data port for the server's connection nor rewrites a private \
                 address; active mode works only where the client's firewall allows the server's connection by \
                 itself and no NAT is in between, or after CCC (the control connection back in clear)"
            )
        } else {
            format!(
                "{label} came inside TLS: no firewall or NAT router on the path can read it, so an FTP helper \
                 (conntrack) opens nothing for this connection and rewrites nothing: the server's firewall must \
                 allow its passive port range as such, and a server behind NAT must announce its public address \
                 itself (masquerade); CCC puts the control connection back in clear"
            )
        };
        self.warnings.push(Warning { line: self.announced_at, text });
    }
}

/// The NAT warnings for an announced endpoint.
fn nat_warnings(ep: &Endpoint, line: usize, ctx: &Context) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |text: String| out.push(Warning { line, text });
    let Some(ip) = ep.ip else { return out };
    if ep.form.is_active() {
        if let Some(client) = ctx.client.filter(|c| *c != ip) {
            warn(format!(
                "{} names {ip}, not the client's control address {client}: either NAT rewrote nothing (the \
                 server cannot reach a private address) or the client asks the server to connect to a third host \
                 (the FTP bounce attack); servers with bounce protection refuse it",
                ep.form.label()
            ));
        } else if ip.is_unspecified() {
            warn(format!("{} names 0.0.0.0: the server cannot connect there", ep.form.label()));
        } else if is_non_public(ip) && !ip.is_loopback() {
            warn(format!(
                "{} names the private address {ip}: behind NAT this active-mode exchange fails unless the NAT device \
                 rewrites the PORT command (an FTP helper); the server would connect to an address it cannot reach",
                ep.form.label()
            ));
        }
    } else if ip.is_unspecified() {
        warn(format!(
            "227 names 0.0.0.0: the server does not know its own address; clients connect to the control \
             connection's peer{}",
            ctx.server.map(|s| format!(" ({s})")).unwrap_or_default()
        ));
    } else if let Some(server) = ctx.server.filter(|s| *s != ip) {
        warn(format!(
            "227 names {ip}, not the server's control address {server}: a server behind NAT announcing its \
             private address (configure a masquerade address) or a 227 pointing at a third host; safe clients \
             connect to {server} instead"
        ));
    } else if is_non_public(ip) && !ip.is_loopback() && ctx.server.is_none() {
        warn(format!(
            "227 names the private address {ip}: a client outside that network cannot reach it unless the server \
             announces its public (masquerade) address"
        ));
    }
    out
}

/// Makes `ep` the pending endpoint, noting a different one it replaces. The same endpoint again is not a
/// replacement: `ftp -d` clients such as tnftp print the EPSV/EPRT reply twice.
fn replace_pending(tl: &mut Timeline, pending: &mut Option<(Endpoint, usize)>, ep: &Endpoint, line: usize) {
    if let Some((old, old_line)) = pending.take() {
        if old.form == ep.form && old.ip == ep.ip && old.port == ep.port {
            *pending = Some((old, old_line));
            return;
        }
        tl.warnings.push(Warning {
            line: old_line,
            text: format!("{} on line {old_line} was replaced before any transfer used it", old.form.label()),
        });
    }
    *pending = Some((ep.clone(), line));
}

/// Builds the timeline of a decoded transcript.
pub fn build(items: &[Item], ctx: &Context) -> Timeline {
    let mut tl = Timeline::default();
    // The endpoint announced most recently and not yet used, with the index of the connection it became, if any.
    let mut pending: Option<(Endpoint, usize)> = None;
    let mut current: Option<usize> = None;
    let mut last_command: Option<(String, usize, bool)> = None;
    // TLS on the control connection: on after AUTH's 234, off after CCC's 200; and its state when the pending
    // endpoint was announced.
    let mut protected = false;
    let mut pending_protected = false;
    let mut last_verb = String::new();
    for item in items {
        match item {
            Item::Command(c) => {
                if let Some(ep) = &c.endpoint {
                    replace_pending(&mut tl, &mut pending, ep, c.line);
                    pending_protected = protected;
                }
                if let Some(path) = crate::explain::stat_path(c) {
                    tl.warnings.push(Warning {
                        line: c.line,
                        text: format!(
                            "STAT {path} lists on the control connection (a 211/212/213 reply): no data connection, so \
                             no firewall or NAT between the two can stop this listing"
                        ),
                    });
                }
                last_verb.clone_from(&c.verb);
                let is_transfer = TRANSFER_VERBS.contains(&c.verb.as_str());
                let text = match &c.arg {
                    Some(a) => format!("{} {a}", c.verb),
                    None => c.verb.clone(),
                };
                last_command = Some((text, c.line, is_transfer));
            }
            Item::Reply(r) => {
                match (last_verb.as_str(), r.code) {
                    ("AUTH", 234) => protected = true,
                    ("CCC", 200..=299) => protected = false,
                    _ => {}
                }
                if let Some(ep) = &r.endpoint {
                    replace_pending(&mut tl, &mut pending, ep, r.line);
                    pending_protected = protected;
                    continue;
                }
                // A PORT/EPRT the server refused is not an endpoint any more.
                if r.code >= 400 {
                    if let (Some((ep, _)), Some((_, _, false))) = (&pending, &last_command) {
                        if ep.form.is_active() {
                            pending = None;
                        }
                    }
                }
                let in_transfer = matches!(&last_command, Some((_, _, true)));
                if in_transfer && (r.code == 125 || r.code == 150) {
                    if let Some((ep, at)) = pending.take() {
                        let index = tl.connections.len() + 1;
                        let mut dc = DataConnection::new(index, ep, at, ctx);
                        if pending_protected {
                            dc.protect();
                        }
                        if let Some((cmd, line, _)) = &last_command {
                            dc.command = Some(cmd.clone());
                            dc.command_at = Some(*line);
                        }
                        tl.connections.push(dc);
                        current = Some(index - 1);
                    }
                } else if in_transfer && r.code >= 200 {
                    if let Some(i) = current.take() {
                        tl.connections[i].outcome = Some(r.code);
                    } else if let Some((ep, at)) = pending.take() {
                        // A transfer refused before any data connection (425, 550 ...): the endpoint was not used.
                        tl.warnings.push(Warning {
                            line: r.line,
                            text: format!(
                                "the transfer was answered {} before a data connection opened; the {} from line {at} \
                                 was not used",
                                r.code,
                                ep.form.label()
                            ),
                        });
                    }
                    last_command = None;
                }
            }
            Item::Error(_) => {}
        }
    }
    if let Some((ep, line)) = pending {
        tl.warnings
            .push(Warning { line, text: format!("{} on line {line} was never used by a transfer", ep.form.label()) });
    }
    tl
}

/// Writes the timeline as text: each data connection with its steps and warnings.
pub fn render_text(tl: &Timeline) -> String {
    let mut s = String::new();
    if tl.connections.is_empty() {
        s.push_str("no data connection was opened\n");
    }
    for dc in &tl.connections {
        let mode = match dc.mode {
            Mode::Active => "active",
            Mode::Passive => "passive",
        };
        let _ =
            write!(s, "data connection {} ({mode}, {} on line {}", dc.index, dc.endpoint.form.label(), dc.announced_at);
        if dc.control_protected {
            s.push_str(" inside TLS");
        }
        if let (Some(cmd), Some(at)) = (&dc.command, dc.command_at) {
            let _ = write!(s, ", for {cmd} on line {at}");
        }
        if let Some(code) = dc.outcome {
            let _ = write!(s, ", ended {code}");
        }
        s.push_str(")\n");
        for step in &dc.steps {
            let _ = write!(s, "  {}. {} -> {}: {}", step.number, step.from, step.to, step.what);
            if let Some(side) = step.new_inbound_at {
                let whose = match side {
                    Side::Client => "client's",
                    Side::Server => "server's",
                };
                let _ = write!(s, " [new inbound connection at the {whose} firewall]");
            }
            s.push('\n');
        }
        for w in &dc.warnings {
            let _ = writeln!(s, "  warning (line {}): {}", w.line, w.text);
        }
    }
    for w in &tl.warnings {
        let _ = writeln!(s, "note (line {}): {}", w.line, w.text);
    }
    s
}
