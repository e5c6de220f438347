//! A small simulated world: ftpkit's own [`ClientSession`] and [`ServerSession`] wired to each other in memory,
//! with an in-memory file tree and an optional NAT in front of either side, stepped one event at a time.
//!
//! Nothing here touches a socket or a clock: the world plays both adapters. Each side has its own view of the
//! addresses — the client connects to the server's *public* address, the server sees the client's *public*
//! address — so a NAT between them is just two views, plus what the NAT does to the control connection's bytes:
//! with an FTP helper it rewrites the tuple of `PORT`/`EPRT` (client side) or `227` (server side) by its span, as a
//! conntrack helper does; without one the bytes pass unchanged and the data connection fails where the seed's
//! "Other Notes" say it does.
//!
//! ```text
//!   client 192.168.1.10 ─[NAT 203.0.113.5]─ … ─[NAT 198.51.100.7]─ server 10.0.0.21
//!   client's view: itself 192.168.1.10, server 198.51.100.7     server's view: itself 10.0.0.21, client 203.0.113.5
//! ```
//!
//! The script is fixed: login, `TYPE I`, `PWD`, a listing, a download of the first file, `QUIT`, with the data
//! mode chosen in [`SimConfig::mode`]. [`Sim::step`] performs the next action and returns the events it caused;
//! [`Sim::back`] steps back by replaying the world from the start (the world is deterministic). The client's
//! transcript ([`Sim::transcript`]) is plain protocol lines and goes through [`crate::transcript::decode`] and
//! [`crate::timeline::build`] exactly as a pasted one does ([`Sim::timeline`]).

use crate::command::{Command, TransferType};
use crate::hostport::{self, EprtArg, PortArg};
use crate::session::client::{self, ClientSession, DataMode, PasvAddressPolicy, Transfer, TransferKind};
use crate::session::server::{
    Access, DataVerdict, ListKind, Outcome, ServerConfig, ServerEvent, ServerRequest as Request, ServerSession,
};
use crate::session::DataEvent;
use crate::time::Instant;
use crate::timeline::{self, Context, Timeline};
use crate::transcript::json::{self, Obj};
use crate::transcript::{self, Item};
use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

/// How the client sets up its data connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimMode {
    /// `PASV` (the seed's passive mode).
    Pasv,
    /// `EPSV` (RFC 2428).
    Epsv,
    /// `PORT` (the seed's active mode).
    Port,
    /// `EPRT` (RFC 2428).
    Eprt,
}

impl SimMode {
    /// Every mode.
    pub const ALL: &'static [SimMode] = &[SimMode::Pasv, SimMode::Epsv, SimMode::Port, SimMode::Eprt];

    /// `"pasv"`, `"epsv"`, `"port"` or `"eprt"`.
    pub const fn name(self) -> &'static str {
        match self {
            SimMode::Pasv => "pasv",
            SimMode::Epsv => "epsv",
            SimMode::Port => "port",
            SimMode::Eprt => "eprt",
        }
    }

    /// The mode named `name` (see [`SimMode::name`]), case-insensitive.
    pub fn from_name(name: &str) -> Option<SimMode> {
        SimMode::ALL.iter().copied().find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// True for PORT and EPRT: the server connects to the client.
    pub const fn is_active(self) -> bool {
        matches!(self, SimMode::Port | SimMode::Eprt)
    }
}

/// A NAT device in front of one side: the side's own (inside) address is translated to `public`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nat {
    /// The address the other side sees.
    pub public: Ipv4Addr,
    /// True when the NAT has an FTP helper that rewrites the tuples in the control connection by their span.
    pub helper: bool,
}

/// The world's set-up. [`Default`] is the seed's: client 192.168.150.80, server 192.168.150.90, no NAT, PORT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// The data mode.
    pub mode: SimMode,
    /// The client's own address.
    pub client_ip: Ipv4Addr,
    /// The server's own address.
    pub server_ip: Ipv4Addr,
    /// The client's control connection source port.
    pub client_port: u16,
    /// The port the client listens on in active mode (the seed's 3762 = 14*256+178).
    pub active_port: u16,
    /// The server's passive port range.
    pub passive_ports: (u16, u16),
    /// A NAT in front of the client.
    pub client_nat: Option<Nat>,
    /// A NAT in front of the server.
    pub server_nat: Option<Nat>,
    /// The client connects to the address a 227 announces (the RFC 959 behaviour) instead of the control
    /// connection's peer (ftpkit's safe default).
    pub trust_pasv_address: bool,
    /// The user and password the server accepts and the client sends.
    pub user: String,
    /// The password.
    pub password: String,
    /// The server's files: name and content, in the root directory.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            mode: SimMode::Port,
            client_ip: Ipv4Addr::new(192, 168, 150, 80),
            server_ip: Ipv4Addr::new(192, 168, 150, 90),
            client_port: 1026,
            active_port: 3762,
            passive_ports: (50069, 50079),
            client_nat: None,
            server_nat: None,
            trust_pasv_address: false,
            user: "slacker".to_owned(),
            password: "XXXX".to_owned(),
            files: vec![
                ("README".to_owned(), b"Active FTP vs. Passive FTP, a definitive explanation\n".to_vec()),
                ("notes.txt".to_owned(), b"data goes over a second connection\n".to_vec()),
            ],
        }
    }
}

impl SimConfig {
    /// The client's address as the server sees it.
    pub fn client_public(&self) -> Ipv4Addr {
        self.client_nat.map_or(self.client_ip, |n| n.public)
    }

    /// The server's address as the client sees it (the one it connects to).
    pub fn server_public(&self) -> Ipv4Addr {
        self.server_nat.map_or(self.server_ip, |n| n.public)
    }
}

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimEventKind {
    /// The client decided what to do next (a step of the script).
    Action,
    /// Command bytes on the control connection, client to server.
    Command,
    /// Reply bytes on the control connection, server to client.
    Reply,
    /// A NAT helper rewrote a tuple on the control connection.
    Rewrite,
    /// A side listens for the data connection.
    Listen,
    /// A new TCP data connection was opened (the seed's step 3).
    Connect,
    /// A data connection could not be opened, or was refused.
    ConnectFailed,
    /// Bytes over the data connection.
    Data,
    /// The control connection closed.
    Closed,
}

impl SimEventKind {
    /// A stable lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            SimEventKind::Action => "action",
            SimEventKind::Command => "command",
            SimEventKind::Reply => "reply",
            SimEventKind::Rewrite => "rewrite",
            SimEventKind::Listen => "listen",
            SimEventKind::Connect => "connect",
            SimEventKind::ConnectFailed => "connect_failed",
            SimEventKind::Data => "data",
            SimEventKind::Closed => "closed",
        }
    }
}

/// One thing that happened in the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEvent {
    /// What it is.
    pub kind: SimEventKind,
    /// Where the packets came from (as the sender sees itself), when it is traffic.
    pub from: Option<SocketAddr>,
    /// Where they went (as the sender addressed them).
    pub to: Option<SocketAddr>,
    /// The text: the protocol lines, or a sentence.
    pub text: String,
    /// For [`SimEventKind::Rewrite`]: the text after the rewrite, and the tuple's byte span in the text before it.
    pub rewritten: Option<(String, core::ops::Range<usize>)>,
}

/// What one transfer moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The transfer command (`LIST`, `RETR README`).
    pub command: String,
    /// The bytes the client received.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Login,
    Type,
    Pwd,
    List,
    Retr,
    Quit,
}

const SCRIPT: &[Action] = &[Action::Login, Action::Type, Action::Pwd, Action::List, Action::Retr, Action::Quit];
const MAX_STEPS: usize = 10_000;

/// The world. See the [module docs](self).
#[derive(Debug)]
pub struct Sim {
    config: SimConfig,
    client: ClientSession,
    server: ServerSession,
    script: VecDeque<Action>,
    steps: usize,
    events: Vec<SimEvent>,
    /// The client's view: commands as sent, replies as received.
    transcript: Vec<String>,
    /// The server's view: commands as received, replies as sent.
    server_transcript: Vec<String>,
    /// What each open request of the server prepared: the file or listing bytes.
    prepared: BTreeMap<u64, Vec<u8>>,
    /// The client transfer whose data connection is open, and whether it is waiting for the server to connect.
    client_data: Option<client::RequestId>,
    client_listening: Option<client::RequestId>,
    server_connected_early: bool,
    eof_pending: bool,
    data_source_port: u16,
    current: Option<String>,
    received: Vec<Received>,
    done: bool,
    /// The server session's clock (constant: no timer fires in the world).
    now: Instant,
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes).split_terminator("\r\n").map(str::to_owned).collect()
}

impl Sim {
    /// A new world, nothing played yet. `now` is the instant the server session's clock starts at (the world
    /// plays no timeouts: it stays there).
    pub fn new(config: SimConfig, now: Instant) -> Sim {
        let server_public = SocketAddr::new(IpAddr::V4(config.server_public()), 21);
        let mut cc = client::Config::new(server_public);
        if config.trust_pasv_address {
            cc.pasv_policy = PasvAddressPolicy::TrustServer;
        }
        let client_seen = SocketAddr::new(IpAddr::V4(config.client_public()), config.client_port);
        let server_own = SocketAddr::new(IpAddr::V4(config.server_ip), 21);
        let (lo, hi) = config.passive_ports;
        let sc = ServerConfig { passive_ports: lo.min(hi)..=hi.max(lo), ..ServerConfig::default() };
        Sim {
            client: ClientSession::new(cc),
            server: ServerSession::new(sc, client_seen, server_own, now),
            now,
            script: SCRIPT.iter().copied().collect(),
            steps: 0,
            events: Vec::new(),
            transcript: Vec::new(),
            server_transcript: Vec::new(),
            prepared: BTreeMap::new(),
            client_data: None,
            client_listening: None,
            server_connected_early: false,
            eof_pending: false,
            data_source_port: config.client_port + 1,
            current: None,
            received: Vec::new(),
            done: false,
            config,
        }
    }

    /// The set-up.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// How many steps were played.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// True when the session is over (nothing more happens).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Every event so far, in order.
    pub fn events(&self) -> &[SimEvent] {
        &self.events
    }

    /// What the transfers moved so far.
    pub fn received(&self) -> &[Received] {
        &self.received
    }

    /// The client's view of the control connection: commands as sent, replies as received, one line each.
    pub fn transcript(&self) -> String {
        join(&self.transcript)
    }

    /// The server's view: commands as received (after any NAT rewrite), replies as sent.
    pub fn server_transcript(&self) -> String {
        join(&self.server_transcript)
    }

    /// The client's transcript decoded by [`transcript::decode`], as a pasted one would be.
    pub fn items(&self) -> Vec<Item> {
        transcript::decode(&self.transcript())
    }

    /// The control connection as the client sees it, for [`timeline::build`].
    pub fn context(&self) -> Context {
        Context {
            client: Some(IpAddr::V4(self.config.client_ip)),
            server: Some(IpAddr::V4(self.config.server_public())),
            control_port: Some(21),
        }
    }

    /// The timeline of the client's transcript.
    pub fn timeline(&self) -> Timeline {
        timeline::build(&self.items(), &self.context())
    }

    /// Plays the next step: returns the events it caused (empty once the session is over).
    pub fn step(&mut self) -> Vec<SimEvent> {
        let before = self.events.len();
        // Actions that cause no visible event (a CloseData notice) are folded into the next one.
        for _ in 0..64 {
            if self.done || self.steps >= MAX_STEPS {
                self.done = true;
                break;
            }
            if !self.act() {
                self.done = true;
                break;
            }
            if self.events.len() > before {
                break;
            }
        }
        if self.events.len() > before {
            self.steps += 1;
        }
        self.events[before..].to_vec()
    }

    /// Plays until the session is over (bounded).
    pub fn run(&mut self) {
        while !self.done && self.steps < MAX_STEPS {
            self.step();
        }
    }

    /// Steps back one step: replays a fresh world up to the step before this one.
    pub fn back(&mut self) {
        let target = self.steps.saturating_sub(1);
        let mut fresh = Sim::new(self.config.clone(), self.now);
        while fresh.steps < target && !fresh.done {
            fresh.step();
        }
        *self = fresh;
    }

    fn push(&mut self, kind: SimEventKind, from: Option<SocketAddr>, to: Option<SocketAddr>, text: String) {
        self.events.push(SimEvent { kind, from, to, text, rewritten: None });
    }

    fn client_ctl(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.config.client_ip), self.config.client_port)
    }

    fn server_ctl_public(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.config.server_public()), 21)
    }

    fn server_ctl_own(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.config.server_ip), 21)
    }

    /// Does one thing; false when nothing is left to do.
    fn act(&mut self) -> bool {
        if let Some(b) = self.client.poll_transmit() {
            self.send_command(&b);
            return true;
        }
        if let Some(ev) = self.client.poll_event() {
            self.client_event(ev);
            return true;
        }
        if let Some(b) = self.server.poll_transmit() {
            self.send_reply(&b);
            return true;
        }
        if let Some(ev) = self.server.poll_event() {
            if matches!(ev, ServerEvent::Close) {
                self.client.handle_close();
                let (c, s) = (self.client_ctl(), self.server_ctl_public());
                self.push(SimEventKind::Closed, Some(s), Some(c), "the server closes the control connection".into());
            }
            return true;
        }
        if let Some(req) = self.server.poll_request() {
            self.answer(req);
            return true;
        }
        if self.client.is_closed() || self.server.is_closed() {
            return false;
        }
        // Only start the next action when the previous one is answered.
        if self.client.in_flight().is_some() || self.client.pending() > 0 {
            return false;
        }
        match self.script.pop_front() {
            Some(a) => {
                self.start(a);
                true
            }
            None => false,
        }
    }

    fn start(&mut self, a: Action) {
        let first = self.config.files.first().map(|(n, _)| n.clone()).unwrap_or_else(|| "missing".to_owned());
        let mode = match self.config.mode {
            SimMode::Pasv => DataMode::Pasv,
            SimMode::Epsv => DataMode::Epsv,
            SimMode::Port => DataMode::Port(SocketAddrV4::new(self.config.client_ip, self.config.active_port)),
            SimMode::Eprt => {
                DataMode::Eprt(SocketAddr::new(IpAddr::V4(self.config.client_ip), self.config.active_port))
            }
        };
        let (what, result) = match a {
            Action::Login => {
                let (u, p) = (self.config.user.clone(), self.config.password.clone());
                (format!("log in as {u}"), self.client.login(&u, &p, None).map(drop))
            }
            Action::Type => ("binary type".to_owned(), self.client.type_(TransferType::Image).map(drop)),
            Action::Pwd => ("ask the working directory".to_owned(), self.client.pwd().map(drop)),
            Action::List => {
                self.current = Some("LIST".to_owned());
                (
                    "list the directory".to_owned(),
                    self.client.transfer(Transfer::new(TransferKind::List(None), mode)).map(drop),
                )
            }
            Action::Retr => {
                self.current = Some(format!("RETR {first}"));
                let t = Transfer::new(TransferKind::Retr(first.clone()), mode);
                (format!("download {first}"), self.client.transfer(t).map(drop))
            }
            Action::Quit => ("say goodbye".to_owned(), self.client.quit().map(drop)),
        };
        let text = match result {
            Ok(()) => format!("the client wants to {what}"),
            Err(e) => format!("the client cannot {what}: {e}"),
        };
        self.push(SimEventKind::Action, None, None, text);
    }

    fn send_command(&mut self, bytes: &[u8]) {
        let sent = lines(bytes);
        self.transcript.extend(sent.iter().cloned());
        let (from, to) = (self.client_ctl(), self.server_ctl_public());
        self.push(SimEventKind::Command, Some(from), Some(to), sent.join("\n"));
        let mut arrived = Vec::with_capacity(bytes.len());
        for line in &sent {
            let out = match self.config.client_nat.filter(|n| n.helper) {
                Some(nat) => self.rewrite_command(line, nat),
                None => line.clone(),
            };
            arrived.extend_from_slice(out.as_bytes());
            arrived.extend_from_slice(b"\r\n");
            self.server_transcript.push(out);
        }
        if let Err(e) = self.server.handle_input(self.now, &arrived) {
            self.push(SimEventKind::Closed, None, None, format!("the server refused the input: {e}"));
        }
    }

    /// A client-side NAT helper: rewrite the client's private address in PORT/EPRT to the public one.
    fn rewrite_command(&mut self, line: &str, nat: Nat) -> String {
        let inside = IpAddr::V4(self.config.client_ip);
        let Some((verb, arg)) = line.split_once(' ') else { return line.to_owned() };
        let offset = verb.len() + 1;
        let (span, replacement) = match Command::parse(line) {
            Ok(Command::Port(_)) => match hostport::parse_port(arg, hostport::Mode::Strict) {
                Ok(p) if IpAddr::V4(*p.value.ip()) == inside => {
                    (p.span, PortArg(SocketAddrV4::new(nat.public, p.value.port())).to_string())
                }
                _ => return line.to_owned(),
            },
            Ok(Command::Eprt(_)) => match hostport::parse_eprt(arg) {
                Ok(p) if p.value.addr.ip() == inside => {
                    let addr = SocketAddr::new(IpAddr::V4(nat.public), p.value.addr.port());
                    (p.span, EprtArg(addr).to_string())
                }
                _ => return line.to_owned(),
            },
            _ => return line.to_owned(),
        };
        let span = span.start + offset..span.end + offset;
        let out = String::from_utf8_lossy(&hostport::rewrite(line.as_bytes(), span.clone(), replacement.as_bytes()))
            .into_owned();
        self.events.push(SimEvent {
            kind: SimEventKind::Rewrite,
            from: None,
            to: None,
            text: line.to_owned(),
            rewritten: Some((out.clone(), span)),
        });
        out
    }

    fn send_reply(&mut self, bytes: &[u8]) {
        let sent = lines(bytes);
        self.server_transcript.extend(sent.iter().cloned());
        let (from, to) =
            (self.server_ctl_own(), SocketAddr::new(IpAddr::V4(self.config.client_public()), self.config.client_port));
        self.push(SimEventKind::Reply, Some(from), Some(to), sent.join("\n"));
        let mut arrived = Vec::with_capacity(bytes.len());
        for line in &sent {
            let out = match self.config.server_nat.filter(|n| n.helper) {
                Some(nat) if line.starts_with("227") => self.rewrite_227(line, nat),
                _ => line.clone(),
            };
            arrived.extend_from_slice(out.as_bytes());
            arrived.extend_from_slice(b"\r\n");
            self.transcript.push(out);
        }
        if let Err(e) = self.client.handle_input(&arrived) {
            self.push(SimEventKind::Closed, None, None, format!("the client refused the reply: {e}"));
            self.done = true;
        }
    }

    /// A server-side NAT helper: rewrite the server's private address in a 227 to the public one.
    fn rewrite_227(&mut self, line: &str, nat: Nat) -> String {
        let Ok(p) = hostport::parse_pasv(line.as_bytes(), hostport::Mode::Tolerant) else { return line.to_owned() };
        if *p.value.ip() != self.config.server_ip {
            return line.to_owned();
        }
        let replacement = PortArg(SocketAddrV4::new(nat.public, p.value.port())).to_string();
        let out = String::from_utf8_lossy(&hostport::rewrite(line.as_bytes(), p.span.clone(), replacement.as_bytes()))
            .into_owned();
        self.events.push(SimEvent {
            kind: SimEventKind::Rewrite,
            from: None,
            to: None,
            text: line.to_owned(),
            rewritten: Some((out.clone(), p.span)),
        });
        out
    }

    fn file(&self, name: &str) -> Option<&[u8]> {
        let name = name.trim_start_matches('/');
        self.config.files.iter().find(|(n, _)| n == name).map(|(_, c)| c.as_slice())
    }

    fn listing(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, content) in &self.config.files {
            let line = format!("-rw-r--r--   1 ftp      ftp      {:>8} Jan 01 00:00 {name}\r\n", content.len());
            out.extend_from_slice(line.as_bytes());
        }
        out
    }

    fn answer(&mut self, req: Request) {
        let id = req.id();
        let outcome = match req {
            Request::Authenticate { user, password, .. } => {
                if user == self.config.user && password == self.config.password {
                    Outcome::LoggedIn(Access::ReadOnly)
                } else {
                    Outcome::Denied
                }
            }
            Request::Stat { path, .. } => {
                if path.as_str() == "/" {
                    Outcome::Dir
                } else if self.file(path.as_str()).is_some() {
                    Outcome::File
                } else {
                    Outcome::NotFound
                }
            }
            Request::OpenRead { id, path, .. } => match self.file(path.as_str()).map(<[u8]>::to_vec) {
                Some(bytes) => {
                    self.prepared.insert(id.get(), bytes);
                    Outcome::File
                }
                None => Outcome::NotFound,
            },
            Request::List { id, kind, .. } => {
                let bytes = match kind {
                    ListKind::Names => {
                        self.config.files.iter().flat_map(|(n, _)| format!("{n}\r\n").into_bytes()).collect()
                    }
                    _ => self.listing(),
                };
                self.prepared.insert(id.get(), bytes);
                Outcome::Ok
            }
            Request::ListenPassive { ip, ports, .. } => {
                let addr = SocketAddr::new(ip, *ports.start());
                let text = format!("the server listens on {addr} for the data connection");
                self.push(SimEventKind::Listen, None, Some(addr), text);
                Outcome::Bound(addr)
            }
            Request::ConnectActive { addr, .. } => self.server_connects(addr),
            Request::Transfer { opened, .. } => {
                let bytes = self.prepared.remove(&opened.get()).unwrap_or_default();
                let n = bytes.len() as u64;
                let (from, to) = self.data_ends();
                self.push(SimEventKind::Data, Some(from), Some(to), format!("{n} bytes over the data connection"));
                self.received.push(Received { command: self.current.clone().unwrap_or_default(), bytes });
                match self.client_data.take() {
                    Some(cid) => drop(self.client.handle_data(cid, DataEvent::Eof)),
                    None => self.eof_pending = true,
                }
                Outcome::TransferDone { bytes: n }
            }
            _ => Outcome::Failed("not simulated".to_owned()),
        };
        // An answer the session no longer waits for (cancelled) is harmless.
        let _ = self.server.complete(self.now, id, outcome);
    }

    /// The two ends of the current data connection as the sender (the server) addresses them.
    fn data_ends(&self) -> (SocketAddr, SocketAddr) {
        let server = SocketAddr::new(
            IpAddr::V4(self.config.server_ip),
            if self.config.mode.is_active() { 20 } else { self.config.passive_ports.0 },
        );
        let client = SocketAddr::new(
            IpAddr::V4(self.config.client_public()),
            if self.config.mode.is_active() { self.config.active_port } else { self.data_source_port },
        );
        (server, client)
    }

    /// Active mode: the server opens the data connection to `addr` from its port 20.
    fn server_connects(&mut self, addr: SocketAddr) -> Outcome {
        let from = SocketAddr::new(IpAddr::V4(self.config.server_ip), 20);
        let reachable = match self.config.client_nat {
            // Through a NAT only the public address is reachable, and only with a helper that expects it.
            Some(nat) => addr.ip() == IpAddr::V4(nat.public) && nat.helper,
            None => addr.ip() == IpAddr::V4(self.config.client_ip),
        };
        if !reachable {
            let why = if self.config.client_nat.is_some() {
                "the client's NAT has no mapping for it"
            } else {
                "no host answers there"
            };
            self.push(
                SimEventKind::ConnectFailed,
                Some(from),
                Some(addr),
                format!("the server cannot connect to {addr}: {why}"),
            );
            return Outcome::Failed(format!("connect to {addr} failed"));
        }
        self.push(
            SimEventKind::Connect,
            Some(from),
            Some(addr),
            format!("the server opens the data connection from port 20 to {addr}: new inbound at the client"),
        );
        match self.client_listening.take() {
            Some(cid) => self.client_accepts(cid),
            None => self.server_connected_early = true,
        }
        Outcome::Ok
    }

    fn client_accepts(&mut self, cid: client::RequestId) {
        let from = SocketAddr::new(IpAddr::V4(self.config.server_public()), 20);
        self.client_data = Some(cid);
        let _ = self.client.handle_data(cid, DataEvent::Accepted { from });
        self.deliver_pending_eof();
    }

    /// The server finished streaming before the client knew its data connection: the EOF reaches it now.
    fn deliver_pending_eof(&mut self) {
        if std::mem::take(&mut self.eof_pending) {
            if let Some(cid) = self.client_data.take() {
                let _ = self.client.handle_data(cid, DataEvent::Eof);
            }
        }
    }

    fn client_event(&mut self, ev: client::Event) {
        match ev {
            client::Event::ConnectData { id, addr, .. } => {
                self.data_source_port = self.data_source_port.wrapping_add(1).max(1024);
                let from = SocketAddr::new(IpAddr::V4(self.config.client_ip), self.data_source_port);
                let reachable = match self.config.server_nat {
                    Some(nat) => addr.ip() == IpAddr::V4(nat.public),
                    None => addr.ip() == IpAddr::V4(self.config.server_ip),
                };
                if !reachable {
                    self.push(
                        SimEventKind::ConnectFailed,
                        Some(from),
                        Some(addr),
                        format!("the client cannot connect to {addr}: that address is not reachable from the client"),
                    );
                    let reason = format!("connect to {addr}: unreachable");
                    let _ = self.client.handle_data(id, DataEvent::Failed { reason });
                    return;
                }
                let seen = SocketAddr::new(IpAddr::V4(self.config.client_public()), self.data_source_port);
                match self.server.handle_data_accepted(seen) {
                    DataVerdict::Use => {
                        self.push(
                            SimEventKind::Connect,
                            Some(from),
                            Some(addr),
                            format!("the client opens the data connection to {addr}: new inbound at the server"),
                        );
                        self.client_data = Some(id);
                        let _ = self.client.handle_data(id, DataEvent::Connected);
                        self.deliver_pending_eof();
                    }
                    DataVerdict::Refuse(r) => {
                        self.push(
                            SimEventKind::ConnectFailed,
                            Some(from),
                            Some(addr),
                            format!("the server refuses the data connection ({r:?})"),
                        );
                        let _ = self.client.handle_data(id, DataEvent::Failed { reason: format!("{r:?}") });
                    }
                }
            }
            client::Event::AcceptData { id, .. } => {
                let at = SocketAddr::new(IpAddr::V4(self.config.client_ip), self.config.active_port);
                self.push(SimEventKind::Listen, None, Some(at), format!("the client listens on {at}"));
                if std::mem::take(&mut self.server_connected_early) {
                    self.client_accepts(id);
                } else {
                    self.client_listening = Some(id);
                }
            }
            _ => {}
        }
    }
}

/// One event as JSON: `{"kind":..,"from":"ip:port"|null,"to":..,"text":..}`, plus for a rewrite `"after"`, and the
/// tuple's `"span"` in the text before it (bytes) and `"span_utf16"` (JavaScript string offsets).
pub fn event_json(e: &SimEvent) -> String {
    let addr = |a: Option<SocketAddr>| a.map(|a| a.to_string());
    let mut o = Obj::new()
        .str("kind", e.kind.name())
        .opt_str("from", addr(e.from).as_deref())
        .opt_str("to", addr(e.to).as_deref())
        .str("text", &e.text);
    if let Some((after, span)) = &e.rewritten {
        let s16 = json::utf16_span(&e.text, span);
        o = o
            .str("after", after)
            .raw("span", &format!("[{},{}]", span.start, span.end))
            .raw("span_utf16", &format!("[{},{}]", s16.start, s16.end));
    }
    o.finish()
}

impl Sim {
    /// The whole state as one JSON object: `steps`, `done`, `events`, the client's `transcript` and the server's
    /// `server_transcript`, the decoded `items` (as [`json::item_detailed`]), the `timeline` (as [`json::timeline`])
    /// and what each transfer `received` (`{"command":..,"bytes":N,"text":..}`).
    pub fn to_json(&self) -> String {
        let items = self.items();
        let tl = timeline::build(&items, &self.context());
        let received = json::array(self.received.iter().map(|r| {
            Obj::new()
                .str("command", &r.command)
                .num("bytes", r.bytes.len() as u64)
                .str("text", &String::from_utf8_lossy(&r.bytes))
                .finish()
        }));
        Obj::new()
            .num("steps", self.steps as u64)
            .bool("done", self.done)
            .str("mode", self.config.mode.name())
            .str("client_ip", &self.config.client_ip.to_string())
            .str("server_ip", &self.config.server_ip.to_string())
            .str("client_public", &self.config.client_public().to_string())
            .str("server_public", &self.config.server_public().to_string())
            .raw("events", &json::array(self.events.iter().map(event_json)))
            .str("transcript", &self.transcript())
            .str("server_transcript", &self.server_transcript())
            .raw("items", &json::items(&items, true))
            .raw("timeline", &json::timeline(&tl))
            .raw("received", &received)
            .finish()
    }
}

fn join(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{Mode, Side};

    fn played(config: SimConfig) -> Sim {
        let mut sim = Sim::new(config, Instant::now());
        sim.run();
        assert!(sim.is_done());
        sim
    }

    #[test]
    fn port_session_matches_the_seed() {
        let sim = played(SimConfig::default());
        let t = sim.transcript();
        assert!(t.contains("PORT 192,168,150,80,14,178\n"), "{t}");
        assert!(t.contains("226 "), "{t}");
        let items = sim.items();
        assert!(items.iter().all(|i| !matches!(i, Item::Error(_))), "{items:#?}");
        let tl = sim.timeline();
        assert_eq!(tl.connections.len(), 2, "{}\n{:#?}", sim.transcript(), sim.events());
        let dc = &tl.connections[0];
        assert_eq!(dc.mode, Mode::Active);
        assert_eq!(dc.steps[2].to.port, Some(3762));
        assert_eq!(dc.steps[2].new_inbound_at, Some(Side::Client));
        assert_eq!(sim.received()[1].bytes, SimConfig::default().files[0].1);
        assert!(sim.received()[0].bytes.starts_with(b"-rw-r--r--"));
    }

    #[test]
    fn every_mode_completes_without_nat() {
        for &mode in SimMode::ALL {
            let sim = played(SimConfig { mode, ..SimConfig::default() });
            let tl = sim.timeline();
            assert_eq!(tl.connections.len(), 2, "{mode:?}: {}", sim.transcript());
            assert!(tl.connections.iter().all(|c| c.outcome == Some(226)), "{mode:?}: {}", sim.transcript());
            assert_eq!(tl.connections[0].mode == Mode::Active, mode.is_active());
        }
    }

    #[test]
    fn pasv_first_connection_is_50069() {
        let sim = played(SimConfig { mode: SimMode::Pasv, ..SimConfig::default() });
        assert!(sim.transcript().contains("(192,168,150,90,195,149)"), "{}", sim.transcript());
        assert_eq!(sim.timeline().connections[0].steps[2].to.port, Some(50069));
    }

    #[test]
    fn client_nat_without_helper_breaks_port_and_with_helper_rewrites_it() {
        let nat = Nat { public: Ipv4Addr::new(203, 0, 113, 5), helper: false };
        let sim = played(SimConfig { client_nat: Some(nat), ..SimConfig::default() });
        assert!(sim.timeline().connections.is_empty(), "{}", sim.transcript());
        assert!(sim.transcript().contains("\n501 "), "bounce protection refuses: {}", sim.transcript());

        let sim = played(SimConfig { client_nat: Some(Nat { helper: true, ..nat }), ..SimConfig::default() });
        let rw: Vec<_> = sim.events().iter().filter(|e| e.kind == SimEventKind::Rewrite).collect();
        assert_eq!(rw.len(), 2);
        let (after, span) = rw[0].rewritten.clone().unwrap();
        assert_eq!(&rw[0].text[span], "192,168,150,80,14,178");
        assert_eq!(after, "PORT 203,0,113,5,14,178");
        assert!(sim.server_transcript().contains("PORT 203,0,113,5,14,178"));
        assert_eq!(sim.timeline().connections.len(), 2);
        assert_eq!(sim.received().len(), 2);

        // Passive mode goes out through the client's NAT without any help.
        let sim = played(SimConfig { mode: SimMode::Pasv, client_nat: Some(nat), ..SimConfig::default() });
        assert_eq!(sim.received().len(), 2);
    }

    #[test]
    fn server_nat_warns_and_a_trusting_client_fails() {
        let nat = Nat { public: Ipv4Addr::new(198, 51, 100, 7), helper: false };
        let base = SimConfig { mode: SimMode::Pasv, server_nat: Some(nat), ..SimConfig::default() };
        // ftpkit's client uses the control peer: works, and the timeline warns about the private 227.
        let sim = played(base.clone());
        assert_eq!(sim.received().len(), 2, "{}", sim.transcript());
        assert!(!sim.timeline().connections[0].warnings.is_empty());
        // A client that trusts the 227 connects to the private address: fails.
        let sim = played(SimConfig { trust_pasv_address: true, ..base.clone() });
        assert!(sim.events().iter().any(|e| e.kind == SimEventKind::ConnectFailed));
        assert!(sim.received().is_empty());
        // A helper rewrites the 227: the trusting client works and nothing warns.
        let sim = played(SimConfig { trust_pasv_address: true, server_nat: Some(Nat { helper: true, ..nat }), ..base });
        assert_eq!(sim.received().len(), 2, "{}", sim.transcript());
        assert!(sim.transcript().contains("(198,51,100,7,195,149)"));
        assert!(sim.timeline().connections[0].warnings.is_empty(), "{:?}", sim.timeline());
    }

    #[test]
    fn json_state_is_complete() {
        let nat = Nat { public: Ipv4Addr::new(203, 0, 113, 5), helper: true };
        let sim = played(SimConfig { client_nat: Some(nat), ..SimConfig::default() });
        let j = sim.to_json();
        assert!(j.starts_with("{\"steps\":") && j.ends_with('}'), "{j}");
        assert!(j.contains("\"kind\":\"rewrite\""), "{j}");
        assert!(j.contains("\"after\":\"PORT 203,0,113,5,14,178\",\"span\":[5,26]"), "{j}");
    }

    #[test]
    fn back_replays_to_the_previous_step() {
        let mut sim = Sim::new(SimConfig::default(), Instant::now());
        for _ in 0..7 {
            sim.step();
        }
        let events = sim.events().to_vec();
        let at = sim.steps();
        sim.step();
        sim.back();
        assert_eq!(sim.steps(), at);
        assert_eq!(sim.events(), &events[..]);
    }
}
