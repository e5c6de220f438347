//! The sans-IO FTP server session: command bytes in, reply bytes and requests out.
//!
//! [`ServerSession`] is one control connection. It opens no socket and reads no file or clock: it decodes the
//! client's commands, keeps the session state (login, working directory, data channel, REST/RNFR sequencing),
//! takes every policy decision (login gating, read-only sessions, FTP bounce, privileged ports, the data
//! connection's source address, path escape), writes the replies, and asks its caller to do the IO through
//! [`ServerRequest`]s. The caller answers each request with [`ServerSession::complete`].
//!
//! ```text
//!   control socket ──bytes──► handle_input ─┐                  ┌─► poll_transmit ──bytes──► control socket
//!   data listener ──peer────► handle_data_accepted (verdict)   ├─► poll_request  ──► file system / sockets
//!   timer ──────────kind────► handle_timeout                   ├─► poll_event    ──► close data, close control
//!   file system ──outcome───► complete(id, Outcome) ─────────────┘ poll_timeout ──► (re)arm the one timer
//! ```
//!
//! # Calling order (the drive loop)
//!
//! After **every** `new`, `handle_*` or `complete` call, drain the outputs, in this order, until each returns
//! `None`: [`poll_transmit`](ServerSession::poll_transmit) (write the bytes), [`poll_event`](ServerSession::poll_event)
//! (act on it), [`poll_request`](ServerSession::poll_request) (start the IO; answer later with
//! [`complete`](ServerSession::complete)), then read [`poll_timeout`](ServerSession::poll_timeout) and set the one
//! timer to now + that duration (cancel it on `None`). When the timer fires, call
//! [`handle_timeout`](ServerSession::handle_timeout); a late or spurious timeout is harmless. Stop when
//! [`ServerEvent::Close`] came out (after writing the last bytes). A reference loop:
//!
//! ```
//! use ftpkit_proto::session::server::{ServerEvent, Outcome, ServerRequest, ServerConfig, ServerSession};
//! let mut s = ServerSession::new(ServerConfig::default(), "192.0.2.7:50000".parse().unwrap(),
//!                                "192.0.2.1:21".parse().unwrap());
//! let mut wire = Vec::new();
//! for input in [&b"USER alice\r\n"[..], b"PASS secret\r\n", b"QUIT\r\n"] {
//!     s.handle_input(input).unwrap();
//!     loop {
//!         while let Some(bytes) = s.poll_transmit() { wire.extend_from_slice(&bytes); }
//!         while let Some(_event) = s.poll_event() { /* CloseData, Cancel, LoggedIn, Close */ }
//!         let Some(request) = s.poll_request() else { break };
//!         match request {
//!             ServerRequest::Authenticate { id, .. } => s.complete(id, Outcome::LoggedIn(Default::default())).unwrap(),
//!             other => s.complete(other.id(), Outcome::Failed("not in this example".into())).unwrap(),
//!         }
//!     }
//! }
//! assert!(s.is_closed());
//! assert_eq!(String::from_utf8(wire).unwrap(),
//!            "220 ftpkit ready\r\n331 Password required.\r\n230 Logged in.\r\n221 Goodbye.\r\n");
//! ```
//!
//! # States
//!
//! The session state is a few orthogonal parts; every transition is in `on_command` (commands, gated by the `gate`
//! table), `on_reply`/`on_opened`/`on_connected`/`on_transferred` (request outcomes), [`ServerSession::handle_data_accepted`] and [`ServerSession::handle_timeout`].
//!
//! | part | values |
//! | --- | --- |
//! | login | `AwaitUser` → (USER) `AwaitPass` → (PASS, `Authenticate` → `LoggedIn`) `LoggedIn { access }`; `Closed` |
//! | wait | `Idle`, `Reply { id, op }` (one request out), `Transfer { step: Open → Connect/Accept → Stream }` |
//! | data | `None`, `Passive { peer: None \| Some }` (after 227/229), `Active { addr }` (after PORT/EPRT 200) |
//! | sequence | `rename_from` (set by RNFR 350, used by the very next command only), `rest` (next transfer only) |
//! | flags | `epsv_all`, transfer type (`A`/`I`), cwd (a [`VirtualPath`]) |
//!
//! At most **one** request is out at a time. While one is out, further command lines are queued (up to 64, then
//! 421 and close) and handled in order once it is answered; only ABOR (during a transfer) and STAT (while data
//! flows) are answered at once. QUIT during a transfer waits for the transfer's final reply (RFC 959 §4.1.1).
//!
//! # Commands
//!
//! | gate | commands |
//! | --- | --- |
//! | any time | USER PASS QUIT FEAT SYST HELP NOOP; AUTH ADAT PBSZ PROT CCC MIC CONF ENC HOST (502: no TLS) |
//! | logged in | PWD CWD CDUP TYPE MODE STRU OPTS REST PASV EPSV PORT EPRT RETR LIST NLST MLSD MLST SIZE MDTM STAT ABOR ALLO |
//! | read-write login | STOR APPE STOU DELE MKD RMD RNFR RNTO (550 on a read-only login) |
//! | 502 everywhere | ACCT SMNT REIN LPRT LPSV SITE LANG, STAT with a path |
//! | 500 | unknown verbs, bad verbs, empty lines, over-long lines |
//!
//! Before login, a logged-in-only command gets 530. Argument errors found by the decoder get their
//! [`reply_hint`](crate::command::CommandError::reply_hint) (501/504). `TYPE` takes `A`, `A N`, `I` and `L 8`;
//! `MODE S`; `STRU F`; every other known parameter gets 504.
//!
//! # Requests and outcomes
//!
//! | request | good outcomes → reply | bad outcomes → reply |
//! | --- | --- | --- |
//! | `Authenticate` | `LoggedIn(access)` → 230 | `Denied`/other → 530 (after `max_failed_logins`: 530, 421, close) |
//! | `Stat` (CWD, CDUP, RNFR, MLST) | `Dir` → 250 / `File`,`Dir` → 350 / `Entry` → 250 facts | `File` for CWD, `NotFound`, ... → 550 |
//! | `OpenRead`, `List` | `Ok`/`File`/`Dir` → data connection | `NotFound`, `PermissionDenied`, `Dir` (RETR) → 550; `Failed` → 451 |
//! | `OpenWrite` | `Ok`, `UniqueName(n)` (STOU) → data connection | `PermissionDenied`,`NotFound`,`Exists` → 553; `NoSpace` → 452 |
//! | `ConnectActive` | `Ok` → 150 | anything else → 425 |
//! | `Transfer` | `TransferDone { bytes }` → 226 | `ConnectionLost` → 426; `NoSpace` → 452; `QuotaExceeded` → 552; else 451 |
//! | `Delete`, `Rmdir`, `Rename` | `Ok` → 250 | `Exists` (RNTO) → 553; else 550 |
//! | `Mkdir` | `Ok` → 257 | 550 |
//! | `Size`, `Mtime` | `Size(n)`, `Time(t)` → 213 | 550 |
//! | `ListenPassive` | `Bound(addr)`, port in the range → 227/229 | `PassiveRangeExhausted`, a port outside the range → 425 |
//!
//! A transfer runs: `OpenRead`/`OpenWrite`/`List` (nothing on the wire yet, so a missing file is a clean 550), then
//! the data connection (`ConnectActive` after PORT/EPRT, or a client connection reported with
//! [`ServerSession::handle_data_accepted`] after PASV/EPSV), then 150 (125 when the client had already connected)
//! and `Transfer { id, opened }`: stream the file or listing opened for `opened`, then answer `id`. Afterwards the
//! data channel is gone ([`ServerEvent::CloseData`]); the client sends PASV/PORT again for the next transfer.
//!
//! # Decisions
//! - **Authentication is a request**, not a callback in the config: checking a password is IO (a database, PAM,
//!   an HTTP call) and often async; a request keeps the session pure, lets a tokio adapter await it, and binds to C
//!   and Python the same way as every other request. Anonymous login (`anonymous` or `ftp`, any password,
//!   read-only) is decided inside the session when [`ServerConfig::anonymous`] is on; then no request is made.
//! - **Bounce and privileged ports**: PORT/EPRT naming another host than the control connection's client, or a
//!   port below 1024, get 501 before any connection is tried. IPv4-mapped IPv6 addresses compare as IPv4.
//! - **Passive port range**: 49152-65534 by default (the IANA dynamic range, less 65535). A `Bound` port outside
//!   the range (or 0) is refused with 425 and the listener closed: the session never advertises a port the caller's
//!   kernel picked.
//! - **Data source check**: a passive data connection from another address than the client's is refused
//!   ([`DataVerdict::Refuse`]) and the session keeps waiting for the right one.
//! - ABOR while a transfer is anywhere between its command and its end: the transfer command gets 426, ABOR 226.
//!   An ABOR that arrives while another request (say SIZE) is out waits its turn like any command.
//! - REST is kept until the next transfer command (PASV may come between); only RETR and STOR use it.
//! - LIST/NLST options (`-la`) are skipped; a name starting with `-` must be written `./-name`.
//! - STOU's argument is ignored; the caller picks a unique name in the working directory and answers
//!   `UniqueName`; the name must be one plain segment.
//! - Reply texts never echo a client's user name or an adapter's error text (which may name real paths).
mod config;
pub mod machine;
mod values;

pub use config::{Ipv4Net, Masquerade, ServerConfig};
pub use machine::{ServerInput, ServerState};
pub use values::{
    Access, DataType, DataVerdict, ListKind, Outcome, Refusal, ServerError, ServerEvent, ServerRequest,
    ServerRequestId, TimeoutKind, WriteMode,
};

use crate::command::{
    Command, CommandDecoder, CommandError, EpsvArg, Handling, LoginGate, Structure, TransferMode, TransferType, VERBS,
};
use crate::feat::Features;
use crate::hostport::{EpsvText, PasvText};
use crate::listing::EntryKind;
use crate::path::QuotedPath;
use crate::reply::{Code, Reply};
use crate::vpath::VirtualPath;
use config::canonical;
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Instant;

/// Most command lines queued while a request is out; one more gets 421 and the session closes.
pub const MAX_QUEUED_COMMANDS: usize = 64;

// ---------------------------------------------------------------------------------------------------------------
// Internal state
// ---------------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Login {
    AwaitUser,
    AwaitPass { user: String },
    LoggedIn { user: String, access: Access },
}

/// What a non-transfer request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Auth { user: String },
    Cwd { path: VirtualPath },
    Rnfr { path: VirtualPath },
    Mlst { path: VirtualPath },
    Delete,
    Rmdir,
    Mkdir { path: VirtualPath },
    Rename,
    Size,
    Mtime,
    Listen { extended: bool, advertise: Option<Ipv4Addr> },
}

/// The data command being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum XferCmd {
    Retr,
    Stor,
    Appe,
    Stou,
    List(ListKind),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Xfer {
    cmd: XferCmd,
    path: VirtualPath,
    opened: ServerRequestId,
    unique: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Waiting for the open/list outcome (`opened`).
    Open,
    /// Waiting for `ConnectActive`'s outcome.
    Connect(ServerRequestId),
    /// Waiting for the client's passive connection.
    Accept,
    /// Data flowing; waiting for `Transfer`'s outcome.
    Stream(ServerRequestId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Wait {
    Idle,
    Reply { id: ServerRequestId, op: Op },
    Transfer { xfer: Xfer, step: Step },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
    None,
    Passive { peer: Option<SocketAddr> },
    Active { addr: SocketAddr },
}

type Line = Result<Command<'static>, CommandError>;

/// One FTP control connection, server side. See the [module docs](self) for the calling order.
#[derive(Debug)]
pub struct ServerSession {
    config: ServerConfig,
    client: SocketAddr,
    server: SocketAddr,
    decoder: CommandDecoder,
    queue: VecDeque<Line>,
    out: Vec<u8>,
    requests: VecDeque<ServerRequest>,
    events: VecDeque<ServerEvent>,
    next_id: u64,
    closed: bool,
    login: Login,
    failed_logins: u32,
    wait: Wait,
    data: Data,
    cwd: VirtualPath,
    data_type: DataType,
    rest: Option<u64>,
    rename_from: Option<VirtualPath>,
    epsv_all: bool,
    /// The one timer: its kind and deadline (see [`ServerState::timer`]).
    timer: Option<(TimeoutKind, Instant)>,
}

/// Reply text with control characters replaced, so a reply can always be written.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// What a command needs before it runs: the verb table's gate (a verb it does not know runs any time, to be
/// answered 500).
fn gate(cmd: &Command<'_>) -> LoginGate {
    cmd.info().map_or(LoginGate::Always, |v| v.gate)
}

/// The table input a line is: its verb's class from the verb table, or a bad line.
fn input_of(line: &Line) -> ServerInput {
    match line {
        Ok(cmd) => match cmd.info().map(|v| v.server) {
            Some(Handling::User) => ServerInput::User,
            Some(Handling::Pass) => ServerInput::Pass,
            Some(Handling::Quit) => ServerInput::Quit,
            Some(Handling::Abor) => ServerInput::Abor,
            Some(Handling::Stat) => ServerInput::Stat,
            Some(Handling::Request) => ServerInput::Request,
            Some(Handling::Transfer) => ServerInput::Transfer,
            Some(Handling::Immediate) | None => ServerInput::Immediate,
        },
        Err(_) => ServerInput::BadLine,
    }
}

/// Skip `ls` options (`-la`, `-a -l`) at the start of a LIST/NLST argument.
fn strip_list_options(arg: &str) -> &str {
    let mut rest = arg.trim_start_matches(' ');
    while rest.starts_with('-') {
        rest = match rest.split_once(' ') {
            Some((_, after)) => after.trim_start_matches(' '),
            None => "",
        };
    }
    rest
}

/// The HELP reply: every verb the verb table marks for HELP, alphabetically, fifteen to a line.
fn help_lines() -> Vec<String> {
    let mut verbs: Vec<&str> = VERBS.iter().filter(|v| v.help).map(|v| v.name).collect();
    verbs.sort_unstable();
    let mut lines = vec![String::from("The following commands are recognized.")];
    for row in verbs.chunks(15) {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:<4}")).collect();
        lines.push(format!(" {}", cells.join(" ").trim_end()));
    }
    lines.push(String::from("Help OK."));
    lines
}

/// Features that belong to no verb: TVFS is a property of the server's path names (RFC 3659 §6).
const FEATURES_WITHOUT_VERB: &[(&str, &str)] = &[("TVFS", "")];

impl ServerSession {
    /// A session for a control connection from `client` accepted on `server`. The 220 greeting is ready in
    /// [`poll_transmit`](Self::poll_transmit).
    ///
    /// `now` is the caller's clock when the control connection was accepted: the idle timer starts there.
    pub fn new(config: ServerConfig, client: SocketAddr, server: SocketAddr, now: Instant) -> Self {
        let mut s = ServerSession {
            decoder: CommandDecoder::new(config.max_line),
            config,
            client,
            server,
            queue: VecDeque::new(),
            out: Vec::new(),
            requests: VecDeque::new(),
            events: VecDeque::new(),
            next_id: 0,
            closed: false,
            login: Login::AwaitUser,
            failed_logins: 0,
            wait: Wait::Idle,
            data: Data::None,
            cwd: VirtualPath::root(),
            data_type: DataType::Binary,
            rest: None,
            rename_from: None,
            epsv_all: false,
            timer: None,
        };
        s.rearm(now, true);
        let lines: Vec<String> = s.config.greeting.split('\n').map(clean).collect();
        s.reply_lines(Code::SERVICE_READY, lines);
        s
    }

    // ---- outputs ------------------------------------------------------------------------------------------

    /// Bytes to write to the control connection (all replies queued so far), or `None`.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.out.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.out))
        }
    }

    /// The next request for the caller, or `None`. At most one request is out at a time.
    #[must_use]
    pub fn poll_request(&mut self) -> Option<ServerRequest> {
        self.requests.pop_front()
    }

    /// The next event for the caller, or `None`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// The deadline of the one timer, or `None` (no timer runs). Read it after every input and (re)arm the
    /// caller's timer to it; when it passes, call [`handle_timeout`](Self::handle_timeout).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer.map(|(_, at)| at)
    }

    /// The one timer's kind and deadline (for logs and tests), or `None`.
    pub fn timer(&self) -> Option<(TimeoutKind, Instant)> {
        self.timer
    }

    /// Where the session is in its [transition table](machine::TRANSITIONS).
    pub fn state(&self) -> ServerState {
        if self.closed {
            return ServerState::Closed;
        }
        match &self.wait {
            Wait::Reply { op: Op::Auth { .. }, .. } => ServerState::Authenticating,
            Wait::Reply { .. } => ServerState::Working,
            Wait::Transfer { step: Step::Open, .. } => ServerState::Opening,
            Wait::Transfer { step: Step::Connect(_), .. } => ServerState::Connecting,
            Wait::Transfer { step: Step::Accept, .. } => ServerState::Accepting,
            Wait::Transfer { step: Step::Stream(_), .. } => ServerState::Streaming,
            Wait::Idle => match self.login {
                Login::AwaitUser => ServerState::AwaitUser,
                Login::AwaitPass { .. } => ServerState::AwaitPass,
                Login::LoggedIn { .. } => ServerState::Ready,
            },
        }
    }

    /// True once the session has closed (after QUIT, a timeout or too many failed logins).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The virtual working directory.
    pub fn cwd(&self) -> &VirtualPath {
        &self.cwd
    }

    /// The logged-in user and access, if any.
    pub fn user(&self) -> Option<(&str, Access)> {
        match &self.login {
            Login::LoggedIn { user, access } => Some((user, *access)),
            _ => None,
        }
    }

    // ---- inputs -------------------------------------------------------------------------------------------

    /// Bytes read from the control connection at `now`. Complete lines are handled at once (or queued while a
    /// request is out); a partial line waits for more bytes. A complete line (a command, or a line that is no
    /// command) restarts the idle timer; bytes of a line that has not ended, or of an over-long line, do not, so
    /// a client trickling an endless line is still timed out.
    ///
    /// # Errors
    /// [`ServerError::Closed`] after the session closed (the bytes are dropped).
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) -> Result<(), ServerError> {
        if self.closed {
            return Err(ServerError::Closed);
        }
        self.decoder.feed(bytes);
        let lines = self.pump();
        self.rearm(now, lines);
        Ok(())
    }

    /// The caller's timer went off at `now`. Harmless when early (before [`poll_timeout`](Self::poll_timeout)'s
    /// deadline), late, spurious or after the session closed.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some((kind, at)) = self.timer else { return };
        if self.closed || now < at {
            return;
        }
        let before = self.state();
        match kind {
            TimeoutKind::Idle => {
                self.cancel_wait();
                self.reply(Code::SERVICE_NOT_AVAILABLE, "Timeout: closing the control connection.");
                self.close();
                self.step(before, ServerInput::IdleTimeout);
            }
            TimeoutKind::DataConnect => {
                self.cancel_wait();
                self.reply(Code::CANT_OPEN_DATA, "No data connection came in time.");
                self.step(before, ServerInput::DataTimeout);
                self.pump();
            }
        }
        self.rearm(now, false);
    }

    /// The server is shutting down: abandon the request that is out (if any), write 421 and close. Call it once
    /// the work in progress may be cut off (a graceful adapter waits for a running transfer first), then drain
    /// the outputs as after any input; [`ServerEvent::Close`] comes last.
    pub fn shutdown(&mut self) {
        if self.closed {
            return;
        }
        let before = self.state();
        self.cancel_wait();
        self.reply(Code::SERVICE_NOT_AVAILABLE, "Server shutting down.");
        self.close();
        self.step(before, ServerInput::Shutdown);
        self.timer = None;
    }

    /// The caller accepted a connection on the passive listener from `peer`. Close it when the verdict is
    /// [`DataVerdict::Refuse`].
    pub fn handle_data_accepted(&mut self, peer: SocketAddr) -> DataVerdict {
        let before = self.state();
        let verdict = self.accept_data(peer);
        self.step(before, ServerInput::DataAccepted);
        // The only move here is accepting → streaming, which stops the data timer; no timer starts, so no clock
        // is needed.
        if self.state().timer().is_none() {
            self.timer = None;
        }
        verdict
    }

    fn accept_data(&mut self, peer: SocketAddr) -> DataVerdict {
        match self.data {
            Data::Passive { peer: None } if !self.closed => {}
            Data::Passive { peer: Some(_) } => return DataVerdict::Refuse(Refusal::AlreadyConnected),
            _ => return DataVerdict::Refuse(Refusal::NotListening),
        }
        if self.config.check_data_source && canonical(peer.ip()) != canonical(self.client.ip()) {
            return DataVerdict::Refuse(Refusal::ForeignPeer);
        }
        self.data = Data::Passive { peer: Some(peer) };
        if matches!(self.wait, Wait::Transfer { step: Step::Accept, .. }) {
            self.start_stream(false);
        }
        DataVerdict::Use
    }

    /// Answer request `id` at `now`.
    ///
    /// # Errors
    /// [`ServerError::UnknownRequest`] for an id never issued; [`ServerError::UnexpectedOutcome`] when the outcome
    /// does not fit the request (the session answered the client as for a failure). An answer to a request that is
    /// no longer out (cancelled) is ignored, as is anything after the session closed.
    pub fn complete(&mut self, now: Instant, id: ServerRequestId, outcome: Outcome) -> Result<(), ServerError> {
        if id.0 == 0 || id.0 > self.next_id {
            return Err(ServerError::UnknownRequest { id: id.0 });
        }
        if self.closed {
            self.step(ServerState::Closed, ServerInput::Outcome);
            return Ok(());
        }
        let before = self.state();
        let result = match std::mem::replace(&mut self.wait, Wait::Idle) {
            Wait::Reply { id: want, op } if want == id => self.on_reply(op, outcome),
            Wait::Transfer { xfer, step } if (step == Step::Open && xfer.opened == id) => self.on_opened(xfer, outcome),
            Wait::Transfer { xfer, step: Step::Connect(want) } if want == id => self.on_connected(xfer, outcome),
            Wait::Transfer { xfer, step: Step::Stream(want) } if want == id => self.on_transferred(xfer, outcome),
            other => {
                self.wait = other;
                Ok(())
            }
        };
        self.step(before, ServerInput::Outcome);
        let lines = self.pump();
        self.rearm(now, lines);
        result
    }

    // ---- the machine ------------------------------------------------------------------------------------

    /// Check the move just made from `before` on `input` against the [transition table](machine::TRANSITIONS).
    /// A move the table does not have is a bug in this file: it fails every test and fuzz run (debug builds).
    fn step(&self, before: ServerState, input: ServerInput) {
        let after = self.state();
        #[cfg(test)]
        tests::record(before, input, after);
        debug_assert!(machine::allows(before, input, after), "no transition row: {before:?} --{input:?}--> {after:?}");
    }

    /// Set the one timer for the state the session is in: keep a running timer of the same kind, unless a
    /// complete command line came (`restart`), which restarts the idle timer.
    fn rearm(&mut self, now: Instant, restart: bool) {
        let want = if self.closed { None } else { self.state().timer() };
        self.timer = match (want, self.timer) {
            (None, _) => None,
            (Some(kind), Some((k, at))) if k == kind && !(restart && kind == TimeoutKind::Idle) => Some((k, at)),
            (Some(kind), _) => {
                let after = match kind {
                    TimeoutKind::Idle => self.config.idle_timeout,
                    TimeoutKind::DataConnect => self.config.data_connect_timeout,
                };
                // A timeout too long for the clock to represent never fires.
                now.checked_add(after).map(|at| (kind, at))
            }
        };
    }

    // ---- the command loop ---------------------------------------------------------------------------------

    fn busy(&self) -> bool {
        self.wait != Wait::Idle
    }

    /// Handle queued and buffered lines while no request is out. True when a complete line came from the decoder
    /// (an over-long line does not count: see [`handle_input`](Self::handle_input)).
    fn pump(&mut self) -> bool {
        let mut lines = false;
        while !self.closed {
            if !self.busy() {
                if let Some(line) = self.queue.pop_front() {
                    self.on_line(line);
                    continue;
                }
            }
            let line = match self.decoder.decode_owned() {
                Ok(None) => break,
                Ok(Some(cmd)) => Ok(cmd),
                Err(e) => Err(e),
            };
            lines |= !matches!(line, Err(CommandError::TooLong { .. }));
            let before = self.state();
            let input = input_of(&line);
            if !self.busy() {
                self.on_line(line);
            } else if !self.out_of_band(&line) {
                if self.queue.len() >= MAX_QUEUED_COMMANDS {
                    self.cancel_wait();
                    self.reply(Code::SERVICE_NOT_AVAILABLE, "Too many commands queued; closing.");
                    self.close();
                    self.step(before, input);
                    break;
                }
                self.queue.push_back(line);
                self.step(before, input);
            } else {
                self.step(before, input);
            }
        }
        lines
    }

    /// ABOR during a transfer and STAT while data flows: answered at once. True when handled.
    fn out_of_band(&mut self, line: &Line) -> bool {
        let Wait::Transfer { step, .. } = &self.wait else { return false };
        let streaming = matches!(step, Step::Stream(_));
        match line {
            Ok(Command::Abor) => {
                self.abort_transfer();
                self.reply(Code::CLOSING_DATA, "ABOR successful.");
                true
            }
            Ok(Command::Stat(None)) if streaming => {
                self.reply(Code::SYSTEM_STATUS, "Data transfer in progress.");
                true
            }
            _ => false,
        }
    }

    fn on_line(&mut self, line: Line) {
        let before = self.state();
        let input = input_of(&line);
        self.handle_line(line);
        self.step(before, input);
    }

    fn handle_line(&mut self, line: Line) {
        match line {
            Ok(cmd) => self.on_command(cmd),
            Err(e) => {
                self.rename_from = None;
                let code = Code::new(e.reply_hint()).unwrap_or(Code::SYNTAX_ERROR);
                let text = match &e {
                    CommandError::TooLong { .. } => String::from("Command line too long."),
                    CommandError::NotUtf8 { .. } => String::from("Command is not valid UTF-8."),
                    CommandError::EmptyLine | CommandError::BadVerb { .. } => String::from("Unknown command."),
                    other => clean(&other.to_string()),
                };
                self.reply(code, &text);
            }
        }
    }

    /// The transition function for commands: gate, then one arm per verb.
    fn on_command(&mut self, cmd: Command<'static>) {
        use Command as C;
        let rename_from = self.rename_from.take();
        match (gate(&cmd), &self.login) {
            (LoginGate::Always, _) => {}
            (_, Login::LoggedIn { access, .. }) => {
                if gate(&cmd) == LoginGate::Write && *access == Access::ReadOnly {
                    return self.reply(Code::FILE_UNAVAILABLE, "Permission denied: read-only session.");
                }
            }
            _ => return self.reply(Code::NOT_LOGGED_IN, "Please log in with USER and PASS first."),
        }
        match cmd {
            // -- login
            C::User(user) => self.on_user(user.into_owned()),
            C::Pass(pass) => self.on_pass(pass.into_owned()),
            C::Quit => self.quit(),
            // -- information
            C::Noop => self.reply(Code::OK, "NOOP ok."),
            C::Syst => self.reply(Code::SYSTEM_TYPE, "UNIX Type: L8"),
            C::Feat => self.feat(),
            C::Help(_) => self.reply_lines(Code::HELP, help_lines()),
            C::Stat(None) => self.stat(),
            C::Stat(Some(_)) => self.reply(Code::NOT_IMPLEMENTED, "STAT with a path is not implemented."),
            // -- not implemented (recognised)
            C::Auth(_) | C::Adat(_) | C::Pbsz(_) | C::Prot(_) | C::Ccc | C::Mic(_) | C::Conf(_) | C::Enc(_) => {
                self.reply(Code::NOT_IMPLEMENTED, "Security extensions (TLS) are not implemented.")
            }
            C::Acct(_) | C::Smnt(_) | C::Rein | C::Lprt(_) | C::Lpsv | C::Site(_) | C::Lang(_) | C::Host(_) => {
                self.reply(Code::NOT_IMPLEMENTED, "Command not implemented.")
            }
            C::Allo(_) => self.reply(Code::SUPERFLUOUS, "ALLO not needed."),
            // -- parameters
            C::Type(t) => self.on_type(t),
            C::Mode(TransferMode::Stream) => self.reply(Code::OK, "Mode set to S."),
            C::Mode(_) => self.reply(Code::PARAMETER_NOT_IMPLEMENTED, "Only MODE S is implemented."),
            C::Stru(Structure::File) => self.reply(Code::OK, "Structure set to F."),
            C::Stru(_) => self.reply(Code::PARAMETER_NOT_IMPLEMENTED, "Only STRU F is implemented."),
            C::Opts(arg) => self.on_opts(&arg),
            C::Rest(offset) => {
                self.rest = Some(offset);
                self.reply(Code::PENDING_FURTHER_INFO, &format!("Restarting at {offset}. Send RETR or STOR."))
            }
            // -- directories
            C::Pwd | C::Xpwd => self.pwd(),
            C::Cwd(p) | C::Xcwd(p) => self.with_path(&p, |s, path| s.ask(Op::Cwd { path: path.clone() }, stat(path))),
            C::Cdup | C::Xcup => {
                let path = self.cwd.parent();
                self.ask(Op::Cwd { path: path.clone() }, stat(path))
            }
            C::Mkd(p) | C::Xmkd(p) => self.with_path(&p, |s, path| {
                s.ask(Op::Mkdir { path: path.clone() }, |id| ServerRequest::Mkdir { id, path })
            }),
            C::Rmd(p) | C::Xrmd(p) => {
                self.with_path(&p, |s, path| s.ask(Op::Rmdir, |id| ServerRequest::Rmdir { id, path }))
            }
            C::Dele(p) => self.with_path(&p, |s, path| s.ask(Op::Delete, |id| ServerRequest::Delete { id, path })),
            C::Size(p) => self.with_path(&p, |s, path| s.ask(Op::Size, |id| ServerRequest::Size { id, path })),
            C::Mdtm(p) => self.with_path(&p, |s, path| s.ask(Op::Mtime, |id| ServerRequest::Mtime { id, path })),
            C::Mlst(p) => {
                let arg = p.as_deref().unwrap_or("");
                self.with_path(arg, |s, path| s.ask(Op::Mlst { path: path.clone() }, stat(path)))
            }
            C::Rnfr(p) => self.with_path(&p, |s, path| s.ask(Op::Rnfr { path: path.clone() }, stat(path))),
            C::Rnto(p) => match rename_from {
                None => self.reply(Code::BAD_SEQUENCE, "RNFR first."),
                Some(from) => {
                    self.with_path(&p, |s, to| s.ask(Op::Rename, |id| ServerRequest::Rename { id, from, to }))
                }
            },
            // -- data channel
            C::Pasv => self.on_passive(false),
            C::Epsv(None) => self.on_passive(true),
            C::Epsv(Some(EpsvArg::All)) => {
                self.epsv_all = true;
                self.reply(Code::OK, "EPSV ALL ok: only EPSV from now on.")
            }
            C::Epsv(Some(EpsvArg::Protocol(p))) => {
                let own = if canonical(self.server.ip()).is_ipv4() { 1 } else { 2 };
                if p == own {
                    self.on_passive(true)
                } else {
                    self.reply(
                        Code::new(522).unwrap_or(Code::NOT_IMPLEMENTED),
                        &format!("Protocol not supported, use ({own})"),
                    )
                }
            }
            C::Port(addr) => self.on_active(SocketAddr::V4(addr), "PORT"),
            C::Eprt(addr) => self.on_active(addr, "EPRT"),
            C::Abor => {
                // Nothing going (a transfer in progress is handled out of band).
                self.reply(Code::CLOSING_DATA, "No transfer to abort.")
            }
            // -- transfers
            C::Retr(p) => self.on_transfer(XferCmd::Retr, &p),
            C::Stor(p) => self.on_transfer(XferCmd::Stor, &p),
            C::Appe(p) => self.on_transfer(XferCmd::Appe, &p),
            C::Stou(_) => self.on_transfer(XferCmd::Stou, ""),
            C::List(p) => {
                self.on_transfer(XferCmd::List(ListKind::Unix), strip_list_options(p.as_deref().unwrap_or("")))
            }
            C::Nlst(p) => {
                self.on_transfer(XferCmd::List(ListKind::Names), strip_list_options(p.as_deref().unwrap_or("")))
            }
            C::Mlsd(p) => self.on_transfer(XferCmd::List(ListKind::Mlsd), p.as_deref().unwrap_or("")),
            C::Other { .. } => self.reply(Code::SYNTAX_ERROR, "Unknown command."),
        }
    }

    // ---- command handlers ---------------------------------------------------------------------------------

    fn on_user(&mut self, user: String) {
        match self.login {
            Login::LoggedIn { .. } => self.reply(Code::NOT_LOGGED_IN, "Already logged in; cannot change user."),
            _ => {
                let anonymous = self.config.anonymous && is_anonymous(&user);
                self.login = Login::AwaitPass { user };
                if anonymous {
                    self.reply(Code::NEED_PASSWORD, "Anonymous login ok, send your e-mail address as password.")
                } else {
                    self.reply(Code::NEED_PASSWORD, "Password required.")
                }
            }
        }
    }

    fn on_pass(&mut self, password: String) {
        match std::mem::replace(&mut self.login, Login::AwaitUser) {
            Login::AwaitUser => self.reply(Code::BAD_SEQUENCE, "Send USER first."),
            Login::LoggedIn { user, access } => {
                self.login = Login::LoggedIn { user, access };
                self.reply(Code::LOGGED_IN, "Already logged in.")
            }
            Login::AwaitPass { user } => {
                if self.config.anonymous && is_anonymous(&user) {
                    self.logged_in(user, Access::ReadOnly, true)
                } else {
                    let u = user.clone();
                    self.ask(Op::Auth { user }, |id| ServerRequest::Authenticate { id, user: u, password })
                }
            }
        }
    }

    fn logged_in(&mut self, user: String, access: Access, anonymous: bool) {
        self.events.push_back(ServerEvent::LoggedIn { user: user.clone(), access, anonymous });
        self.login = Login::LoggedIn { user, access };
        self.cwd = VirtualPath::root();
        self.reply(Code::LOGGED_IN, if anonymous { "Anonymous login ok, read-only." } else { "Logged in." })
    }

    fn quit(&mut self) {
        self.reply(Code::CLOSING, "Goodbye.");
        self.close();
    }

    fn feat(&mut self) {
        let mut lines: Vec<(&str, &str)> = VERBS.iter().filter_map(|v| v.feat).collect();
        lines.extend_from_slice(FEATURES_WITHOUT_VERB);
        lines.sort_unstable();
        let mut f = Features::new();
        for (name, params) in lines {
            // The names and parameters above are constant and valid; an error cannot happen.
            let _ = f.push(name, params);
        }
        self.out.extend_from_slice(f.to_reply_text().as_bytes());
    }

    fn stat(&mut self) {
        let user = match &self.login {
            Login::LoggedIn { access: Access::ReadOnly, .. } => "Logged in, read-only.",
            Login::LoggedIn { .. } => "Logged in.",
            _ => "Not logged in.",
        };
        let data = match self.data {
            Data::None => "No data connection.",
            Data::Passive { peer: None } => "Passive listener open.",
            Data::Passive { peer: Some(_) } => "Passive data connection open.",
            Data::Active { .. } => "Active data port set.",
        };
        let ty = match self.data_type {
            DataType::Ascii => "TYPE: ASCII; STRU: File; MODE: Stream",
            DataType::Binary => "TYPE: BINARY; STRU: File; MODE: Stream",
        };
        let lines = ["ftpkit status:", user, ty, data, "End of status."];
        self.reply_lines(Code::SYSTEM_STATUS, lines.iter().map(|s| (*s).to_owned()).collect());
    }

    fn pwd(&mut self) {
        let text = match QuotedPath::new(self.cwd.as_str()) {
            Ok(q) => format!("{q} is the current directory."),
            Err(_) => String::from("\"/\" is the current directory."),
        };
        self.reply(Code::PATH_CREATED, &text)
    }

    fn on_type(&mut self, t: TransferType) {
        match t {
            TransferType::Ascii(None | Some(crate::command::FormatControl::NonPrint)) => {
                self.data_type = DataType::Ascii;
                self.reply(Code::OK, "Switching to ASCII mode.")
            }
            TransferType::Image | TransferType::Local(8) => {
                self.data_type = DataType::Binary;
                self.reply(Code::OK, "Switching to Binary mode.")
            }
            _ => self.reply(Code::PARAMETER_NOT_IMPLEMENTED, "Only TYPE A, A N, I and L 8 are implemented."),
        }
    }

    fn on_opts(&mut self, arg: &str) {
        let (name, value) = arg.split_once(' ').unwrap_or((arg, ""));
        if name.eq_ignore_ascii_case("UTF8") && (value.eq_ignore_ascii_case("ON") || value.is_empty()) {
            self.reply(Code::OK, "Always in UTF8 mode.")
        } else if name.eq_ignore_ascii_case("MLST") {
            self.reply(Code::OK, "MLST OPTS type;size;modify;")
        } else {
            self.reply(Code::ARGUMENT_SYNTAX_ERROR, "Option not understood.")
        }
    }

    /// Resolve a path argument (refusing `\` unless allowed) and run `then` with it; 553 when refused.
    fn with_path(&mut self, arg: &str, then: impl FnOnce(&mut Self, VirtualPath)) {
        match self.resolve(arg) {
            Ok(path) => then(self, path),
            Err(text) => self.reply(Code::FILE_NAME_NOT_ALLOWED, &text),
        }
    }

    fn resolve(&self, arg: &str) -> Result<VirtualPath, String> {
        if !self.config.allow_backslash && arg.contains('\\') {
            return Err(String::from("File name not allowed: it holds '\\'."));
        }
        self.cwd.resolve(arg).map_err(|e| clean(&e.to_string()))
    }

    fn on_passive(&mut self, extended: bool) {
        if self.epsv_all && !extended {
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, "PASV not allowed after EPSV ALL.");
        }
        let advertise = if extended {
            None
        } else {
            match self.config.masquerade.choose(self.client.ip(), self.server.ip()) {
                Some(a) => Some(a),
                None => return self.reply(Code::CANT_OPEN_DATA, "PASV needs an IPv4 address here; use EPSV."),
            }
        };
        self.drop_data();
        let ip = self.server.ip();
        let ports = self.config.passive_ports.clone();
        self.ask(Op::Listen { extended, advertise }, |id| ServerRequest::ListenPassive { id, ip, ports })
    }

    fn on_active(&mut self, addr: SocketAddr, verb: &str) {
        if self.epsv_all {
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, &format!("{verb} not allowed after EPSV ALL."));
        }
        if self.config.bounce_protection && canonical(addr.ip()) != canonical(self.client.ip()) {
            let text = format!("{verb} refused: address {} is not your own (FTP bounce).", addr.ip());
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, &text);
        }
        if self.config.refuse_privileged_ports && addr.port() < 1024 {
            let text = format!("{verb} refused: port {} is privileged (below 1024).", addr.port());
            return self.reply(Code::ARGUMENT_SYNTAX_ERROR, &text);
        }
        self.drop_data();
        self.data = Data::Active { addr };
        self.reply(Code::OK, &format!("{verb} command successful."))
    }

    fn on_transfer(&mut self, cmd: XferCmd, arg: &str) {
        let rest = self.rest.take();
        if self.data == Data::None {
            return self.reply(Code::CANT_OPEN_DATA, "Use PORT, EPRT, PASV or EPSV first.");
        }
        let path = match cmd {
            XferCmd::Stou => self.cwd.clone(),
            _ => match self.resolve(arg) {
                Ok(p) => p,
                Err(text) => return self.reply(Code::FILE_NAME_NOT_ALLOWED, &text),
            },
        };
        let offset = match cmd {
            XferCmd::Retr | XferCmd::Stor => rest.unwrap_or(0),
            _ => 0,
        };
        let id = self.issue();
        let p = path.clone();
        self.requests.push_back(match cmd {
            XferCmd::Retr => ServerRequest::OpenRead { id, path: p, offset },
            XferCmd::Stor => ServerRequest::OpenWrite { id, path: p, mode: WriteMode::Create, offset },
            XferCmd::Appe => ServerRequest::OpenWrite { id, path: p, mode: WriteMode::Append, offset },
            XferCmd::Stou => ServerRequest::OpenWrite { id, path: p, mode: WriteMode::Unique, offset },
            XferCmd::List(kind) => ServerRequest::List { id, path: p, kind },
        });
        self.wait = Wait::Transfer { xfer: Xfer { cmd, path, opened: id, unique: None }, step: Step::Open };
    }

    // ---- outcome transitions ------------------------------------------------------------------------------

    /// The transition function for non-transfer outcomes: one arm per (op, outcome) that succeeds, the failure
    /// table below for the rest.
    fn on_reply(&mut self, op: Op, outcome: Outcome) -> Result<(), ServerError> {
        match (op, outcome) {
            (Op::Auth { user }, Outcome::LoggedIn(access)) => self.logged_in(user, access, false),
            (Op::Auth { .. }, o) => {
                self.failed_logins = self.failed_logins.saturating_add(1);
                self.reply(Code::NOT_LOGGED_IN, "Login incorrect.");
                if self.failed_logins >= self.config.max_failed_logins {
                    self.reply(Code::SERVICE_NOT_AVAILABLE, "Too many failed logins; closing.");
                    self.close();
                }
                return unexpected("authenticate", &o, matches!(o, Outcome::Denied | Outcome::Failed(_)));
            }
            (Op::Cwd { path }, Outcome::Dir) => {
                self.cwd = path;
                self.reply(Code::FILE_ACTION_OK, "Directory changed.")
            }
            (Op::Cwd { path }, Outcome::Entry(e)) if e.kind.is_dir() => {
                self.cwd = path;
                self.reply(Code::FILE_ACTION_OK, "Directory changed.")
            }
            (Op::Rnfr { path }, Outcome::Dir | Outcome::File | Outcome::Entry(_)) => {
                self.rename_from = Some(path);
                self.reply(Code::PENDING_FURTHER_INFO, "Ready for RNTO.")
            }
            (Op::Mlst { path }, o @ (Outcome::Dir | Outcome::File | Outcome::Entry(_))) => self.mlst(&path, o),
            (Op::Delete | Op::Rmdir | Op::Rename, Outcome::Ok) => self.reply(Code::FILE_ACTION_OK, "Done."),
            (Op::Mkdir { path }, Outcome::Ok) => {
                let text = match QuotedPath::new(path.as_str()) {
                    Ok(q) => format!("{q} created."),
                    Err(_) => String::from("Directory created."),
                };
                self.reply(Code::PATH_CREATED, &text)
            }
            (Op::Size, Outcome::Size(n)) => self.reply(Code::FILE_STATUS, &n.to_string()),
            (Op::Mtime, Outcome::Time(t)) => {
                let text = t.to_mlsd();
                self.reply(Code::FILE_STATUS, &text)
            }
            (Op::Listen { extended, advertise }, Outcome::Bound(addr)) => {
                let port = addr.port();
                if port == 0 || !self.config.passive_ports.contains(&port) {
                    self.events.push_back(ServerEvent::CloseData);
                    self.reply(Code::CANT_OPEN_DATA, "Passive listener is outside the configured port range.");
                    return Err(ServerError::UnexpectedOutcome { request: "listen_passive", outcome: "bound" });
                }
                self.data = Data::Passive { peer: None };
                match (extended, advertise) {
                    (false, Some(ip)) => {
                        let text = PasvText(SocketAddrV4::new(ip, port)).to_string();
                        self.reply(Code::PASSIVE, &text)
                    }
                    _ => self.reply(Code::EXTENDED_PASSIVE, &EpsvText(port).to_string()),
                }
            }
            (op, o) => {
                let (code, text) = failure(&op, &o);
                self.reply(code, text);
                return unexpected(op_name(&op), &o, expected_failure(&o));
            }
        }
        Ok(())
    }

    fn on_opened(&mut self, mut xfer: Xfer, outcome: Outcome) -> Result<(), ServerError> {
        let ok = match (&xfer.cmd, &outcome) {
            (XferCmd::Retr, Outcome::Ok | Outcome::File) => true,
            (XferCmd::Stor | XferCmd::Appe, Outcome::Ok) => true,
            (XferCmd::Stou, Outcome::UniqueName(name)) => {
                let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0']);
                if plain {
                    xfer.unique = Some(clean(name));
                }
                plain
            }
            (XferCmd::List(_), Outcome::Ok | Outcome::Dir | Outcome::File) => true,
            _ => false,
        };
        if !ok {
            self.events.push_back(ServerEvent::Cancel { id: xfer.opened });
            self.drop_data();
            let (code, text) = open_failure(xfer.cmd, &outcome);
            self.reply(code, text);
            return unexpected(req_name(xfer.cmd), &outcome, expected_failure(&outcome));
        }
        match self.data {
            Data::Active { addr } => {
                let id = self.issue();
                self.requests.push_back(ServerRequest::ConnectActive { id, addr });
                self.wait = Wait::Transfer { xfer, step: Step::Connect(id) };
            }
            Data::Passive { peer: Some(_) } => {
                self.wait = Wait::Transfer { xfer, step: Step::Accept };
                self.start_stream(true);
            }
            Data::Passive { peer: None } => self.wait = Wait::Transfer { xfer, step: Step::Accept },
            Data::None => {
                // Cannot happen: a transfer starts only with a data channel, and nothing drops it meanwhile.
                self.events.push_back(ServerEvent::Cancel { id: xfer.opened });
                self.reply(Code::CANT_OPEN_DATA, "No data connection.");
            }
        }
        Ok(())
    }

    fn on_connected(&mut self, xfer: Xfer, outcome: Outcome) -> Result<(), ServerError> {
        if outcome == Outcome::Ok {
            self.wait = Wait::Transfer { xfer, step: Step::Accept };
            self.start_stream(false);
            return Ok(());
        }
        self.events.push_back(ServerEvent::Cancel { id: xfer.opened });
        self.drop_data();
        self.reply(Code::CANT_OPEN_DATA, "Cannot open the data connection.");
        unexpected("connect_active", &outcome, expected_failure(&outcome))
    }

    /// The data connection is up: write 150/125, issue the `Transfer` request and move to `Stream`.
    fn start_stream(&mut self, already_open: bool) {
        let Wait::Transfer { xfer, .. } = &self.wait else { return };
        let what = match xfer.cmd {
            XferCmd::List(_) => String::from("Here comes the directory listing."),
            XferCmd::Stou => format!("FILE: {}", xfer.unique.as_deref().unwrap_or("")),
            XferCmd::Retr => format!("Opening {} mode data connection for {}.", self.mode_name(), xfer.path),
            XferCmd::Stor | XferCmd::Appe => format!("Ok to send data for {}.", xfer.path),
        };
        let (opened, data_type) = (xfer.opened, self.data_type);
        let code = if already_open { Code::DATA_ALREADY_OPEN } else { Code::FILE_STATUS_OK };
        self.reply(code, &clean(&what));
        let id = self.issue();
        self.requests.push_back(ServerRequest::Transfer { id, opened, data_type });
        if let Wait::Transfer { step, .. } = &mut self.wait {
            *step = Step::Stream(id);
        }
    }

    fn mode_name(&self) -> &'static str {
        match self.data_type {
            DataType::Ascii => "ASCII",
            DataType::Binary => "BINARY",
        }
    }

    fn on_transferred(&mut self, _xfer: Xfer, outcome: Outcome) -> Result<(), ServerError> {
        self.drop_data();
        let (code, text) = match &outcome {
            Outcome::TransferDone { .. } => (Code::CLOSING_DATA, "Transfer complete."),
            Outcome::ConnectionLost => (Code::TRANSFER_ABORTED, "Data connection lost; transfer aborted."),
            Outcome::NoSpace => (Code::INSUFFICIENT_STORAGE, "Insufficient storage space."),
            Outcome::QuotaExceeded => (Code::EXCEEDED_STORAGE, "Storage allocation exceeded."),
            _ => (Code::LOCAL_ERROR, "Transfer failed: local error."),
        };
        self.reply(code, text);
        let fits = !matches!(
            outcome,
            Outcome::Dir
                | Outcome::File
                | Outcome::Entry(_)
                | Outcome::Size(_)
                | Outcome::Time(_)
                | Outcome::Bound(_)
                | Outcome::LoggedIn(_)
                | Outcome::UniqueName(_)
        );
        unexpected("transfer", &outcome, fits)
    }

    fn mlst(&mut self, path: &VirtualPath, o: Outcome) {
        let name = path.as_str().to_owned();
        let (kind, size, modify) = match &o {
            Outcome::Entry(e) => (kind_fact(&e.kind), e.size, e.modified.map(|t| t.to_mlsd())),
            Outcome::Dir => ("dir", None, None),
            _ => ("file", None, None),
        };
        let size = size.map(|s| s.to_string());
        let mut facts = vec![("type", kind)];
        if let Some(s) = &size {
            facts.push(("size", s));
        }
        if let Some(m) = &modify {
            facts.push(("modify", m));
        }
        match crate::listing::format_mlsd_line(facts, &name) {
            Ok(line) if !line.contains(['\r', '\n', '\0']) => {
                // RFC 3659 §7.2: `250-` text, then the entry on a line of its own that starts with one SP (no
                // code), then `250` text.
                let out = &mut self.out;
                out.extend_from_slice(format!("250-Listing {}\r\n", clean(&name)).as_bytes());
                out.push(b' ');
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(b"\r\n250 End\r\n");
            }
            _ => self.reply(Code::FILE_UNAVAILABLE, "Cannot list this name."),
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    fn issue(&mut self) -> ServerRequestId {
        self.next_id += 1;
        ServerRequestId(self.next_id)
    }

    /// Issue the request built by `make` and wait for its outcome.
    fn ask(&mut self, op: Op, make: impl FnOnce(ServerRequestId) -> ServerRequest) {
        let id = self.issue();
        self.requests.push_back(make(id));
        self.wait = Wait::Reply { id, op };
    }

    /// Tell the caller to close the data channel, if there is one.
    fn drop_data(&mut self) {
        if self.data != Data::None {
            self.data = Data::None;
            self.events.push_back(ServerEvent::CloseData);
        }
    }

    /// Abandon whatever request is out (a timeout, QUIT, a flood).
    fn cancel_wait(&mut self) {
        match std::mem::replace(&mut self.wait, Wait::Idle) {
            Wait::Idle => {}
            Wait::Reply { id, .. } => self.events.push_back(ServerEvent::Cancel { id }),
            Wait::Transfer { xfer, step } => {
                self.cancel_transfer_ids(&xfer, step);
                self.drop_data();
            }
        }
    }

    fn cancel_transfer_ids(&mut self, xfer: &Xfer, step: Step) {
        match step {
            Step::Connect(id) | Step::Stream(id) => self.events.push_back(ServerEvent::Cancel { id }),
            Step::Open | Step::Accept => {}
        }
        self.events.push_back(ServerEvent::Cancel { id: xfer.opened });
    }

    /// ABOR or QUIT during a transfer: cancel it, close the data channel, and answer the transfer command 426.
    fn abort_transfer(&mut self) {
        if let Wait::Transfer { xfer, step } = std::mem::replace(&mut self.wait, Wait::Idle) {
            self.cancel_transfer_ids(&xfer, step);
            self.drop_data();
            self.reply(Code::TRANSFER_ABORTED, "Transfer aborted.");
        }
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.drop_data();
            self.queue.clear();
            self.requests.clear();
            self.events.push_back(ServerEvent::Close);
        }
    }

    fn reply(&mut self, code: Code, text: &str) {
        self.reply_lines(code, vec![clean(text)]);
    }

    fn reply_lines(&mut self, code: Code, lines: Vec<String>) {
        let reply = Reply::multiline(code, lines.iter().map(|l| clean(l)));
        if reply.encode(&mut self.out).is_err() {
            // Unreachable: every line was cleaned of control characters.
            self.out.extend_from_slice(b"451 Internal error.\r\n");
        }
    }
}

fn is_anonymous(user: &str) -> bool {
    user.eq_ignore_ascii_case("anonymous") || user.eq_ignore_ascii_case("ftp")
}

fn stat(path: VirtualPath) -> impl FnOnce(ServerRequestId) -> ServerRequest {
    move |id| ServerRequest::Stat { id, path }
}

fn kind_fact(kind: &EntryKind<'_>) -> &'static str {
    match kind {
        EntryKind::Dir => "dir",
        EntryKind::CurrentDir => "cdir",
        EntryKind::ParentDir => "pdir",
        _ => "file",
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Auth { .. } => "authenticate",
        Op::Cwd { .. } | Op::Rnfr { .. } | Op::Mlst { .. } => "stat",
        Op::Delete => "delete",
        Op::Rmdir => "rmdir",
        Op::Mkdir { .. } => "mkdir",
        Op::Rename => "rename",
        Op::Size => "size",
        Op::Mtime => "mtime",
        Op::Listen { .. } => "listen_passive",
    }
}

fn req_name(cmd: XferCmd) -> &'static str {
    match cmd {
        XferCmd::Retr => "open_read",
        XferCmd::Stor | XferCmd::Appe | XferCmd::Stou => "open_write",
        XferCmd::List(_) => "list",
    }
}

/// Outcomes that are failures any request may report.
fn expected_failure(o: &Outcome) -> bool {
    matches!(
        o,
        Outcome::NotFound
            | Outcome::PermissionDenied
            | Outcome::Exists
            | Outcome::NoSpace
            | Outcome::QuotaExceeded
            | Outcome::PassiveRangeExhausted
            | Outcome::Failed(_)
            | Outcome::Denied
            | Outcome::ConnectionLost
            | Outcome::Dir
            | Outcome::File
            | Outcome::Entry(_)
    )
}

fn unexpected(request: &'static str, o: &Outcome, fits: bool) -> Result<(), ServerError> {
    if fits {
        Ok(())
    } else {
        Err(ServerError::UnexpectedOutcome { request, outcome: o.name() })
    }
}

/// The failure table for non-transfer requests.
fn failure(op: &Op, o: &Outcome) -> (Code, &'static str) {
    match (op, o) {
        (Op::Listen { .. }, Outcome::PassiveRangeExhausted) => {
            (Code::CANT_OPEN_DATA, "No passive port free in the configured range; try again later.")
        }
        (Op::Listen { .. }, _) => (Code::CANT_OPEN_DATA, "Cannot open a passive listener."),
        (Op::Cwd { .. }, Outcome::File | Outcome::Entry(_)) => (Code::FILE_UNAVAILABLE, "Not a directory."),
        (Op::Size | Op::Mtime, Outcome::Dir) => (Code::FILE_UNAVAILABLE, "Not a plain file."),
        (Op::Rename, Outcome::Exists) => (Code::FILE_NAME_NOT_ALLOWED, "Target already exists."),
        (Op::Mkdir { .. }, Outcome::Exists) => (Code::FILE_UNAVAILABLE, "Already exists."),
        (_, Outcome::NotFound) => (Code::FILE_UNAVAILABLE, "No such file or directory."),
        (_, Outcome::PermissionDenied) => (Code::FILE_UNAVAILABLE, "Permission denied."),
        (_, Outcome::NoSpace) => (Code::INSUFFICIENT_STORAGE, "Insufficient storage space."),
        (_, Outcome::QuotaExceeded) => (Code::EXCEEDED_STORAGE, "Storage allocation exceeded."),
        _ => (Code::FILE_UNAVAILABLE, "Requested action not taken."),
    }
}

/// The failure table for open/list requests.
fn open_failure(cmd: XferCmd, o: &Outcome) -> (Code, &'static str) {
    let writing = matches!(cmd, XferCmd::Stor | XferCmd::Appe | XferCmd::Stou);
    match o {
        Outcome::NoSpace => (Code::INSUFFICIENT_STORAGE, "Insufficient storage space."),
        Outcome::QuotaExceeded => (Code::EXCEEDED_STORAGE, "Storage allocation exceeded."),
        Outcome::Failed(_) => (Code::LOCAL_ERROR, "Local error in processing."),
        Outcome::NotFound | Outcome::PermissionDenied | Outcome::Exists | Outcome::Dir if writing => {
            (Code::FILE_NAME_NOT_ALLOWED, "Could not create file.")
        }
        Outcome::Dir => (Code::FILE_UNAVAILABLE, "Is a directory."),
        Outcome::PermissionDenied => (Code::FILE_UNAVAILABLE, "Permission denied."),
        Outcome::NotFound => (Code::FILE_UNAVAILABLE, "No such file or directory."),
        _ => (Code::LOCAL_ERROR, "Local error in processing."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use machine::{Next, TRANSITIONS};
    use std::cell::RefCell;
    use std::net::IpAddr;
    use std::time::Duration;

    thread_local! {
        /// Every move the sessions of this thread made: (before, input, after).
        static MOVES: RefCell<Vec<(ServerState, ServerInput, ServerState)>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn record(before: ServerState, input: ServerInput, after: ServerState) {
        MOVES.with(|m| m.borrow_mut().push((before, input, after)));
    }

    /// A session on virtual time with its outputs drained after every input.
    struct T {
        s: ServerSession,
        now: Instant,
        out: Vec<ServerRequest>,
    }

    impl T {
        fn new(config: ServerConfig) -> T {
            let now = Instant::now();
            let client = SocketAddr::from(([192, 0, 2, 7], 50000));
            let server = SocketAddr::from(([192, 0, 2, 1], 21));
            let mut t = T { s: ServerSession::new(config, client, server, now), now, out: Vec::new() };
            t.drain();
            t
        }
        fn logged_in() -> T {
            let mut t = T::new(ServerConfig { anonymous: true, ..ServerConfig::default() });
            t.lines(&["USER ftp", "PASS x"]);
            let mut rw = T::new(ServerConfig::default());
            rw.lines(&["USER u", "PASS p"]);
            rw.answer(Outcome::LoggedIn(Access::ReadWrite));
            drop(t);
            rw
        }
        fn drain(&mut self) {
            while self.s.poll_transmit().is_some() {}
            while let Some(e) = self.s.poll_event() {
                if let ServerEvent::Cancel { id } = e {
                    self.out.retain(|r| r.id() != id);
                }
            }
            while let Some(r) = self.s.poll_request() {
                self.out.push(r);
            }
        }
        fn lines(&mut self, lines: &[&str]) {
            for l in lines {
                let _ = self.s.handle_input(self.now, format!("{l}\r\n").as_bytes());
                self.drain();
            }
        }
        fn answer(&mut self, o: Outcome) {
            let r = self.out.remove(0);
            let _ = self.s.complete(self.now, r.id(), o);
            self.drain();
        }
        fn accept(&mut self) {
            let _ = self.s.handle_data_accepted(SocketAddr::from(([192, 0, 2, 7], 40000)));
            self.drain();
        }
        fn timeout(&mut self) {
            self.now += Duration::from_secs(1000);
            self.s.handle_timeout(self.now);
            self.drain();
        }
    }

    /// Sessions driven through every row of the transition table: each row is taken at least once (and every
    /// move made is a row, which `step` asserts as it goes).
    #[test]
    fn every_transition_row_is_taken() {
        let bound = Outcome::Bound(SocketAddr::from(([192, 0, 2, 1], 50000)));
        // Logging in, and what comes before it.
        let mut t = T::new(ServerConfig::default());
        t.lines(&["PASS x", "FEAT", "CWD x", "RETR x", "STAT", "ABOR", "", "USER a", "USER b", "FEAT", "PASS p"]);
        t.answer(Outcome::Denied);
        t.lines(&["USER a", "PASS p"]);
        t.lines(&["NOOP", "CWD x", "STAT", "ABOR", "USER c", "PASS d", "RETR x", "", "QUIT"]); // queued
        t.answer(Outcome::LoggedIn(Access::ReadWrite));
        let mut t = T::new(ServerConfig { max_failed_logins: 1, ..ServerConfig::default() });
        t.lines(&["USER a", "PASS p"]);
        t.answer(Outcome::Denied);
        let mut t = T::new(ServerConfig { anonymous: true, ..ServerConfig::default() });
        t.lines(&["USER ftp", "PASS x", "USER a", "PASS b", "NOOP", "STAT", "ABOR", "", "RNTO x", "RETR x"]);
        t.timeout();
        let mut t = T::new(ServerConfig::default());
        t.lines(&["QUIT"]);
        t.accept();
        t.answer_stale();
        // Requests and transfers.
        let mut t = T::logged_in();
        t.lines(&["SIZE x"]);
        t.answer(Outcome::Size(1));
        t.lines(&["PORT 192,0,2,7,200,1", "RETR x"]);
        t.answer(Outcome::Ok);
        t.answer(Outcome::Ok); // connected
        t.answer(Outcome::TransferDone { bytes: 1 });
        t.lines(&["PORT 192,0,2,7,200,1", "RETR x"]);
        t.answer(Outcome::Ok);
        t.answer(Outcome::Failed("x".into())); // not connected
        t.lines(&["PORT 192,0,2,7,200,1", "RETR x"]);
        t.answer(Outcome::NotFound);
        t.lines(&["PASV"]);
        t.answer(bound.clone());
        t.lines(&["RETR x"]);
        t.answer(Outcome::Ok);
        t.timeout(); // no data connection came
        t.lines(&["PASV"]);
        t.answer(bound.clone());
        t.lines(&["RETR x"]);
        t.answer(Outcome::Ok);
        t.accept();
        t.lines(&["STAT", "ABOR"]);
        t.lines(&["PASV"]);
        t.answer(bound.clone());
        t.accept();
        t.lines(&["RETR x"]);
        t.answer(Outcome::Ok); // already connected: straight to streaming
        t.answer_stale();
        t.s.shutdown();
        t.answer_stale(); // after the close
                          // A full queue closes, whatever the line that overflows it.
        for last in ["STAT", "ABOR", "USER a", "PASS b", "QUIT", "NOOP", "CWD x", "RETR x", ""] {
            let mut t = T::logged_in();
            t.lines(&["SIZE x"]);
            for _ in 0..MAX_QUEUED_COMMANDS {
                t.lines(&["NOOP"]);
            }
            t.lines(&[last]);
            assert!(t.s.is_closed(), "{last:?}");
        }
        let moves = MOVES.with(|m| m.borrow().clone());
        for row in TRANSITIONS {
            let taken = moves.iter().any(|&(b, i, a)| {
                i == row.input
                    && row.from.contains(&b)
                    && match row.to {
                        Next::Same => a == b,
                        Next::To(s) => a == s,
                    }
            });
            assert!(taken, "row never taken: {row:?}");
        }
    }

    impl T {
        /// Answer a request id that is no longer out (or never was answered before a close).
        fn answer_stale(&mut self) {
            let _ = self.s.complete(self.now, ServerRequestId(1), Outcome::Ok);
            self.drain();
        }
    }

    #[test]
    fn gate_table() {
        let cases: &[(&str, LoginGate)] = &[
            ("USER a", LoginGate::Always),
            ("PASS a", LoginGate::Always),
            ("QUIT", LoginGate::Always),
            ("FEAT", LoginGate::Always),
            ("SYST", LoginGate::Always),
            ("HELP", LoginGate::Always),
            ("NOOP", LoginGate::Always),
            ("AUTH TLS", LoginGate::Always),
            ("PBSZ 0", LoginGate::Always),
            ("XYZZY", LoginGate::Always),
            ("PWD", LoginGate::Login),
            ("RETR x", LoginGate::Login),
            ("LIST", LoginGate::Login),
            ("PORT 1,2,3,4,5,6", LoginGate::Login),
            ("ABOR", LoginGate::Login),
            ("ACCT x", LoginGate::Login),
            ("STOR x", LoginGate::Write),
            ("APPE x", LoginGate::Write),
            ("STOU", LoginGate::Write),
            ("DELE x", LoginGate::Write),
            ("MKD x", LoginGate::Write),
            ("XMKD x", LoginGate::Write),
            ("RMD x", LoginGate::Write),
            ("XRMD x", LoginGate::Write),
            ("RNFR x", LoginGate::Write),
            ("RNTO x", LoginGate::Write),
        ];
        for (line, want) in cases {
            assert_eq!(gate(&Command::parse(line).unwrap()), *want, "{line}");
        }
    }

    #[test]
    fn list_options() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("-la", ""),
            ("-l -a", ""),
            ("-la dir", "dir"),
            ("  -a  dir x", "dir x"),
            ("dir", "dir"),
            ("./-odd", "./-odd"),
        ];
        for (arg, want) in cases {
            assert_eq!(strip_list_options(arg), *want, "{arg:?}");
        }
    }

    #[test]
    fn networks_and_canonical() {
        let net = Ipv4Net { addr: Ipv4Addr::new(10, 1, 2, 3), prefix: 8 };
        assert!(net.contains(Ipv4Addr::new(10, 200, 0, 1)));
        assert!(!net.contains(Ipv4Addr::new(11, 0, 0, 1)));
        assert!(Ipv4Net { addr: Ipv4Addr::UNSPECIFIED, prefix: 0 }.contains(Ipv4Addr::BROADCAST));
        let host = Ipv4Net { addr: Ipv4Addr::new(192, 0, 2, 1), prefix: 40 };
        assert!(host.contains(Ipv4Addr::new(192, 0, 2, 1)));
        assert!(!host.contains(Ipv4Addr::new(192, 0, 2, 2)));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(canonical(mapped), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(canonical(v6), v6);
    }

    #[test]
    fn clean_replaces_controls() {
        assert_eq!(clean("a\r\nb\0c\u{7f}"), "a??b?c?");
        assert_eq!(clean("café"), "café");
    }

    #[test]
    fn failure_tables() {
        let cwd = Op::Cwd { path: VirtualPath::root() };
        let cases: &[(&Op, Outcome, u16)] = &[
            (&cwd, Outcome::File, 550),
            (&cwd, Outcome::NotFound, 550),
            (&Op::Rename, Outcome::Exists, 553),
            (&Op::Delete, Outcome::PermissionDenied, 550),
            (&Op::Size, Outcome::Dir, 550),
            (&Op::Listen { extended: true, advertise: None }, Outcome::PassiveRangeExhausted, 425),
            (&Op::Listen { extended: false, advertise: None }, Outcome::Failed(String::new()), 425),
            (&Op::Mkdir { path: VirtualPath::root() }, Outcome::NoSpace, 452),
        ];
        for (op, o, want) in cases {
            assert_eq!(failure(op, o).0.get(), *want, "{op:?} {o:?}");
        }
        let open: &[(XferCmd, Outcome, u16)] = &[
            (XferCmd::Retr, Outcome::NotFound, 550),
            (XferCmd::Retr, Outcome::Dir, 550),
            (XferCmd::Stor, Outcome::PermissionDenied, 553),
            (XferCmd::Appe, Outcome::Exists, 553),
            (XferCmd::Stou, Outcome::QuotaExceeded, 552),
            (XferCmd::List(ListKind::Unix), Outcome::Failed(String::new()), 451),
        ];
        for (cmd, o, want) in open {
            assert_eq!(open_failure(*cmd, o).0.get(), *want, "{cmd:?} {o:?}");
        }
    }
}
