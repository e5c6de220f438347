//! The sans-IO FTP client session: requests in, commands and events out.
//!
//! [`ClientSession`] owns no socket. The caller connects the control connection, then:
//!
//! ```text
//!   caller                                   ClientSession
//!   ──────                                   ─────────────
//!   login / transfer / pwd / quit ... ──────► queue of requests (sent one at a time, in order)
//!   bytes read from the control conn ──────► handle_input ──► ReplyDecoder ──► the transition table
//!   data-connection facts ─────────────────► handle_data(id, DataEvent)
//!   control connection gone ───────────────► handle_close
//!   bytes to write ◄────────────────────────  poll_transmit
//!   what happened, what to do ◄─────────────  poll_event (ConnectData, AcceptData, DataReady, LoggedIn, ...)
//! ```
//!
//! # Calling order
//!
//! Any call that takes input (`handle_*`) or a request (`login`, `transfer`, `abort`, ...) may leave bytes for
//! [`ClientSession::poll_transmit`] and events for [`ClientSession::poll_event`]. Drain **both** until they return
//! `None` before blocking on the sockets again; handling an event (connecting a data socket and calling
//! [`ClientSession::handle_data`]) can create more output, so drain in a loop, as below. Nothing else creates
//! output: there is no clock and no timer in the session. Timeouts are the caller's: when one fires, call
//! [`ClientSession::handle_close`] (and drop the sockets).
//!
//! # The reference drive loop
//!
//! A blocking adapter is this loop with real sockets; here the server's replies are canned bytes:
//!
//! ```
//! use ftpkit_proto::session::client::{ClientSession, Config, DataMode, Event, Transfer, TransferKind};
//! use ftpkit_proto::session::DataEvent;
//!
//! let mut session = ClientSession::new(Config::new("192.168.150.90:21".parse().unwrap()));
//! // Requests queue up at once; each is sent when the previous one is answered.
//! session.login("slacker", "XXXX", None).unwrap();
//! session.transfer(Transfer::new(TransferKind::List(None), DataMode::Pasv)).unwrap();
//! session.quit().unwrap();
//!
//! let mut server = [
//!     &b"220 testbox2.slacksite.com FTP server ready.\r\n"[..],
//!     b"331 Password required for slacker.\r\n230 User slacker logged in.\r\n",
//!     b"227 Entering Passive Mode (192,168,150,90,195,149).\r\n",
//!     b"150 Opening ASCII mode data connection for file list.\r\n226 Transfer complete.\r\n",
//!     b"221 Goodbye.\r\n",
//! ]
//! .into_iter();
//! let mut wire = Vec::new(); // what a socket would have been sent
//! let mut connected_to = None;
//! loop {
//!     // 1. Drain everything: transmits first, then events; an event handler may feed the session again.
//!     loop {
//!         if let Some(bytes) = session.poll_transmit() {
//!             wire.extend_from_slice(&bytes); // control.write_all(&bytes)
//!             continue;
//!         }
//!         let Some(event) = session.poll_event() else { break };
//!         match event {
//!             Event::ConnectData { id, addr, .. } => {
//!                 connected_to = Some(addr); // TcpStream::connect(addr)
//!                 session.handle_data(id, DataEvent::Connected).unwrap();
//!             }
//!             Event::DataReady { id } => {
//!                 // read the data connection to its end, then:
//!                 session.handle_data(id, DataEvent::Eof).unwrap();
//!             }
//!             _ => {}
//!         }
//!     }
//!     if session.is_closed() {
//!         break;
//!     }
//!     // 2. Block on the control connection (a real loop also waits on its data socket and a timer).
//!     let Some(bytes) = server.next() else { break };
//!     session.handle_input(bytes).unwrap();
//! }
//! assert_eq!(connected_to, Some("192.168.150.90:50069".parse().unwrap()));
//! assert_eq!(wire, b"USER slacker\r\nPASS XXXX\r\nPASV\r\nLIST\r\nQUIT\r\n");
//! ```
//!
//! # States and transitions
//!
//! The session is in one of these states (see [`ClientSession::state_name`]): `greeting` (connected, waiting for
//! the `220`), `idle` (nothing in flight), `sent(step)` (one command in flight), `await-connect` (passive: the
//! caller was told `ConnectData`), `await-data` (the transfer's `2xx` came, its data connection has not ended),
//! `closed` (`221` to QUIT, a `421` in any state, a refused greeting, or [`ClientSession::handle_close`]).
//!
//! Everything below is generated from the tables in `session/client/machine.rs` (`cargo xtask codegen`; `cargo xtask lint`
//! fails when it is stale). First, how each reply code answers the command in flight (`(step, code) → verdict`;
//! any code not listed is *unexpected*):
//!
#![doc = include_str!("client/verdicts.md")]
//!
//! Then what each verdict does — the first matching row wins. A reply that makes no sense (an *unexpected* code:
//! a `227` to USER, a `150` to CWD) still answers the command in flight, so the request fails (its failure event)
//! and the call returns [`SessionError::UnexpectedReply`]. A reply while nothing is in flight is
//! [`SessionError::UnsolicitedReply`] and is dropped. Neither error closes the session.
//!
#![doc = include_str!("client/transitions.md")]
//!
//! ## The transfer join
//!
//! A transfer finishes when two independent things both happened, in either order:
//!
//! ```text
//!   control:  transfer command ──1xx──► started ──2xx──► final     (4xx/5xx at any point: TransferFailed at once)
//!   data:     pending ──Connected/Accepted──► open ──Eof/Closed──► done   (Failed: TransferFailed once final)
//!
//!   DataReady         = (started or final) and data was opened        (emitted once)
//!   TransferComplete  = final 2xx and data done
//! ```
//!
//! Passive mode connects first: the transfer command is sent when the caller reports `Connected`, so a refused
//! connection never leaves a `RETR` pending at the server. In active mode the command is sent right after the
//! `PORT`/`EPRT` is accepted, and the server's connection can be reported before or after the `1xx`.
//!
//! ## Abort
//!
//! [`ClientSession::abort`] sends `ABOR` at once (ahead of the queue). RFC 959 §4.1.3 gives two answers: `426`
//! (the transfer's reply) then `226` (ABOR's), or a lone `226`/`225` when the transfer had ended. The session counts
//! the replies it is owed: if the transfer's final reply has not come yet, the first reply after `ABOR` is the
//! transfer's (unless it is `225`) and the next is ABOR's. `ABOR` is sent as a plain line, without the Telnet
//! IP/Synch sequence (that needs TCP urgent data, which only the socket owner can send).
use crate::command::{Command, CommandError, EpsvArg, ProtectionLevel, TransferType};
use crate::encoding::TextEncoding;
use crate::feat::Features;
use crate::hostport::{self, Mode};
use crate::listing::DateTime;
use crate::path::parse_257;
use crate::reply::{Code, Framing, Limits, Reply, ReplyDecoder, ReplyError};
use crate::ErrorKind;
use machine::{Act, DataAct, State, Step, Verdict};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr, SocketAddrV4};

mod machine;
pub mod nat;
pub use nat::{NatNotice, NatReason, PasvAddressFn, PasvAddressPolicy};

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------------------------------------------
// Public values
// ---------------------------------------------------------------------------------------------------------------

/// Identifies one request; every event about a request carries its id. Ids grow by one per request, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(u64);

impl RequestId {
    /// An id from its number, for bindings that pass ids as integers. An id the session never issued is refused by
    /// [`ClientSession::handle_data`]; one of an ended request is ignored there.
    pub const fn from_u64(n: u64) -> RequestId {
        RequestId(n)
    }

    /// The number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// A fact about a data connection, told by the caller with [`ClientSession::handle_data`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataEvent {
    /// Passive: the connection to the `ConnectData` address is established.
    Connected,
    /// Active: the listener accepted a connection from this address.
    Accepted {
        /// The remote address of the accepted connection.
        from: SocketAddr,
    },
    /// The server closed its side: all data was received (downloads and listings).
    Eof,
    /// The caller closed the data connection: all data was sent (uploads), or it gave up on it.
    Closed,
    /// Connecting, accepting, reading or writing failed.
    Failed {
        /// What went wrong, for the failure event.
        reason: String,
    },
}

impl DataEvent {
    fn name(&self) -> &'static str {
        match self {
            DataEvent::Connected => "Connected",
            DataEvent::Accepted { .. } => "Accepted",
            DataEvent::Eof => "Eof",
            DataEvent::Closed => "Closed",
            DataEvent::Failed { .. } => "Failed",
        }
    }
}

/// What a transfer moves over its data connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferKind {
    /// `RETR <path>`: download.
    Retr(String),
    /// `STOR <path>`: upload.
    Stor(String),
    /// `STOU`: upload under a name the server picks.
    Stou,
    /// `APPE <path>`: upload, appended.
    Appe(String),
    /// `LIST [<arg>]`: a human-readable listing.
    List(Option<String>),
    /// `NLST [<arg>]`: names only.
    Nlst(Option<String>),
    /// `MLSD [<path>]`: a machine listing (RFC 3659).
    Mlsd(Option<String>),
}

/// Which way the data flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The server sends: read the data connection until EOF, then report [`DataEvent::Eof`].
    Download,
    /// The client sends: write everything, close, then report [`DataEvent::Closed`].
    Upload,
}

impl TransferKind {
    /// Which way the data flows.
    pub fn direction(&self) -> Direction {
        match self {
            TransferKind::Stor(_) | TransferKind::Stou | TransferKind::Appe(_) => Direction::Upload,
            _ => Direction::Download,
        }
    }

    /// The path or argument the transfer command carries (`None` for STOU and a bare listing).
    pub fn path(&self) -> Option<&str> {
        match self {
            TransferKind::Retr(p) | TransferKind::Stor(p) | TransferKind::Appe(p) => Some(p),
            TransferKind::List(a) | TransferKind::Nlst(a) | TransferKind::Mlsd(a) => a.as_deref(),
            TransferKind::Stou => None,
        }
    }

    fn command(&self) -> Command<'_> {
        fn opt(o: &Option<String>) -> Option<Cow<'_, str>> {
            o.as_deref().map(Cow::Borrowed)
        }
        match self {
            TransferKind::Retr(p) => Command::Retr(Cow::Borrowed(p)),
            TransferKind::Stor(p) => Command::Stor(Cow::Borrowed(p)),
            TransferKind::Stou => Command::Stou(None),
            TransferKind::Appe(p) => Command::Appe(Cow::Borrowed(p)),
            TransferKind::List(a) => Command::List(opt(a)),
            TransferKind::Nlst(a) => Command::Nlst(opt(a)),
            TransferKind::Mlsd(a) => Command::Mlsd(opt(a)),
        }
    }
}

/// How the data connection is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataMode {
    /// Passive: `EPSV`, falling back to `PASV` on 500/501/502 (and straight to `PASV` once EPSV failed). With
    /// [`Config::epsv_all`], `EPSV ALL` is sent first and there is no fallback.
    Passive,
    /// `PASV` only (like curl's `--disable-epsv`).
    Pasv,
    /// `EPSV` only, no fallback (after `EPSV ALL` once, with [`Config::epsv_all`]).
    Epsv,
    /// Active, listening on this address: `PORT` for IPv4 (`EPRT` first when [`Config::prefer_eprt`], falling back
    /// to `PORT` on 500/501/502), `EPRT` for IPv6.
    Active(SocketAddr),
    /// `PORT` with this address only.
    Port(SocketAddrV4),
    /// `EPRT` with this address only, no fallback.
    Eprt(SocketAddr),
}

impl DataMode {
    const fn is_active(self) -> bool {
        matches!(self, DataMode::Active(_) | DataMode::Port(_) | DataMode::Eprt(_))
    }
}

/// A data transfer request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transfer {
    /// What to transfer.
    pub kind: TransferKind,
    /// How to set up the data connection.
    pub mode: DataMode,
    /// Restart at this byte offset: `REST <offset>` is sent right before the transfer command (RFC 3659 §5).
    pub rest: Option<u64>,
}

impl Transfer {
    /// A transfer from the start of the file.
    pub fn new(kind: TransferKind, mode: DataMode) -> Transfer {
        Transfer { kind, mode, rest: None }
    }

    /// The same transfer, restarted at `offset`.
    pub fn restart_at(self, offset: u64) -> Transfer {
        Transfer { rest: Some(offset), ..self }
    }
}

/// Why a transfer failed: the typed outcome of [`Event::TransferFailed`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferFailure {
    /// The data-connection setup (EPSV, PASV, EPRT, PORT) was refused, its reply unreadable, or the mode is not
    /// allowed after `EPSV ALL`.
    Setup,
    /// `REST` was refused.
    Restart,
    /// `425`: the server could not open the data connection.
    NoDataConnection,
    /// `426`, or [`ClientSession::abort`]: the transfer was aborted.
    Aborted,
    /// `451`: a local error at the server.
    LocalError,
    /// Any other 4xx/5xx to the transfer command (550 no such file, 452/552 no space, 553 name not allowed, ...).
    Refused,
    /// The caller reported the data connection failed.
    DataConnection(String),
}

impl TransferFailure {
    fn of_code(code: u16) -> TransferFailure {
        match code {
            425 => TransferFailure::NoDataConnection,
            426 => TransferFailure::Aborted,
            451 => TransferFailure::LocalError,
            _ => TransferFailure::Refused,
        }
    }
}

/// Why the session closed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The server answered `QUIT`.
    Quit(Reply),
    /// `421`: the server is closing the control connection.
    ServiceNotAvailable(Reply),
    /// The greeting was a refusal (4xx/5xx other than 421).
    Refused(Reply),
    /// The caller called [`ClientSession::handle_close`].
    Local,
}

/// What the session tells the caller. See the [module docs](self) for when each comes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server's `220` greeting arrived; queued requests are being sent.
    Greeting {
        /// The greeting.
        reply: Reply,
    },
    /// `login` succeeded.
    LoggedIn {
        /// The login request.
        id: RequestId,
        /// The `230`/`202`.
        reply: Reply,
    },
    /// `login` failed (530, an account needed but none given, ...).
    LoginFailed {
        /// The login request.
        id: RequestId,
        /// The refusing reply.
        reply: Reply,
    },
    /// `feat` succeeded; the features are also kept ([`ClientSession::features`]).
    Features {
        /// The request.
        id: RequestId,
        /// The parsed `211` reply.
        features: Features<'static>,
    },
    /// `pwd` or `mkd` succeeded with a `257` path.
    Path {
        /// The request.
        id: RequestId,
        /// The path, unquoted.
        path: String,
    },
    /// `size` succeeded.
    Size {
        /// The request.
        id: RequestId,
        /// The size in bytes.
        size: u64,
    },
    /// `mdtm` succeeded.
    Modified {
        /// The request.
        id: RequestId,
        /// The time (UTC by RFC 3659).
        time: DateTime,
    },
    /// A request with nothing more to report succeeded (TYPE, CWD, CDUP, DELE, RMD, RNFR+RNTO, REST, SITE, NOOP,
    /// REIN, or MKD without a readable path).
    Done {
        /// The request.
        id: RequestId,
        /// The final reply.
        reply: Reply,
    },
    /// The server refused a request (4xx/5xx), or answered it with a reply it cannot get.
    Failed {
        /// The request.
        id: RequestId,
        /// The reply.
        reply: Reply,
    },
    /// The final reply to a raw [`ClientSession::command`], whatever its code.
    Reply {
        /// The request.
        id: RequestId,
        /// The final reply.
        reply: Reply,
    },
    /// Passive: connect a data connection to `addr` now, then report [`DataEvent::Connected`] (or `Failed`).
    ConnectData {
        /// The transfer.
        id: RequestId,
        /// Where to connect (after the NAT policy).
        addr: SocketAddr,
        /// Set when the server announced another address than the control connection's peer.
        nat: Option<NatNotice>,
    },
    /// Active: the server will connect to your listener; report [`DataEvent::Accepted`] when it does.
    AcceptData {
        /// The transfer.
        id: RequestId,
        /// The only address a data connection may come from (the control connection's peer).
        expect_from: IpAddr,
    },
    /// The transfer command got its first `1xx` (the text may announce a size).
    TransferStarted {
        /// The transfer.
        id: RequestId,
        /// The preliminary reply.
        reply: Reply,
    },
    /// The server started the transfer and the data connection is up: data may flow now. Read to EOF and report
    /// [`DataEvent::Eof`], or write everything, close, and report [`DataEvent::Closed`].
    DataReady {
        /// The transfer.
        id: RequestId,
    },
    /// The transfer's final `2xx` came and the data connection ended.
    TransferComplete {
        /// The transfer.
        id: RequestId,
        /// The final reply (226, 250).
        reply: Reply,
    },
    /// The transfer failed; drop its data connection (or listener) if there is one.
    TransferFailed {
        /// The transfer.
        id: RequestId,
        /// Why.
        failure: TransferFailure,
        /// The reply that said so, when a reply did.
        reply: Option<Reply>,
    },
    /// `ABOR` was answered (or, when no command was in flight, the transfer was simply dropped).
    Aborted {
        /// The abort request.
        id: RequestId,
        /// ABOR's reply (`226`, `225`, or a refusal), or `None` when nothing had to be sent.
        reply: Option<Reply>,
    },
    /// `AUTH` was accepted (`234`): start TLS on the control connection now (this session is the TLS client),
    /// then call [`ClientSession::tls_done`]. Nothing is sent before that. If the handshake fails, call
    /// [`ClientSession::handle_close`]: nothing may be sent in clear after an accepted AUTH.
    StartTls {
        /// The AUTH request.
        id: RequestId,
        /// The `234`.
        reply: Reply,
    },
    /// `CCC` was accepted: end TLS on the control connection (send and await `close_notify`), keep the TCP
    /// connection, then call [`ClientSession::tls_done`]. Nothing is sent before that.
    StopTls {
        /// The CCC request.
        id: RequestId,
        /// The `200`.
        reply: Reply,
    },
    /// The session is closed; the last event.
    Closed {
        /// Why.
        reason: CloseReason,
        /// Requests that were queued or in flight and will never be answered, in order.
        unanswered: Vec<RequestId>,
    },
}

/// A session error: the peer's violation ([`ErrorKind::UnexpectedInput`], a decoding error), or the caller's misuse
/// ([`ErrorKind::InvalidState`], an injection). None closes the session by itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A reply to the command in flight with a code that command cannot get; the request failed.
    #[error("reply {code} makes no sense as the answer to {step}")]
    UnexpectedReply {
        /// The reply code.
        code: u16,
        /// The command it answered (`"USER"`, `"greeting"`, ...).
        step: &'static str,
    },
    /// A reply while no command was in flight; dropped.
    #[error("reply {code} arrived while no command was in flight (state {state})")]
    UnsolicitedReply {
        /// The reply code.
        code: u16,
        /// The session state.
        state: &'static str,
    },
    /// A reply whose payload could not be read (a 227 without a tuple, a 213 without a number); the request failed.
    #[error("reply {code} to {step}: {reason}")]
    BadPayload {
        /// The reply code.
        code: u16,
        /// The command it answered.
        step: &'static str,
        /// The class of the payload parser's error.
        kind: ErrorKind,
        /// The parser's message.
        reason: String,
    },
    /// The control-connection bytes held a malformed reply (skipped by the decoder).
    #[error("control connection: {0}")]
    Decode(#[from] ReplyError),
    /// A request's text cannot be sent (CR, LF or NUL in it: command injection).
    #[error("request refused: {0}")]
    Command(#[from] CommandError),
    /// The request or data event is not allowed in the session's state.
    #[error("{what} is not allowed now: {why}")]
    InvalidState {
        /// The request or event.
        what: &'static str,
        /// Why.
        why: &'static str,
    },
    /// An active-mode data connection came from another host than the control connection's peer (FTP bounce or
    /// data theft); drop it and keep listening.
    #[error("data connection from {from}, but only {expected} may connect")]
    ForeignDataPeer {
        /// Where it came from.
        from: IpAddr,
        /// The control connection's peer.
        expected: IpAddr,
    },
    /// The session is closed.
    #[error("the session is closed")]
    Closed,
}

impl SessionError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SessionError::UnexpectedReply { .. } | SessionError::UnsolicitedReply { .. } => ErrorKind::UnexpectedInput,
            SessionError::BadPayload { kind, .. } => *kind,
            SessionError::Decode(e) => e.kind(),
            SessionError::Command(e) => e.kind(),
            SessionError::InvalidState { .. } => ErrorKind::InvalidState,
            SessionError::ForeignDataPeer { .. } => ErrorKind::Refused,
            SessionError::Closed => ErrorKind::Closed,
        }
    }
}

/// Session settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The control connection's peer (the server's address as connected). Passive addresses are checked against
    /// it, `EPSV` ports are on it, and active data connections must come from it.
    pub peer: SocketAddr,
    /// What to do with a `227` naming another address. Default [`PasvAddressPolicy::UseControlPeer`].
    pub pasv_policy: PasvAddressPolicy,
    /// Send `EPSV ALL` before the first passive transfer; afterwards only EPSV is used, and active modes and `PASV`
    /// are refused ([`ErrorKind::InvalidState`]). Default false.
    pub epsv_all: bool,
    /// In [`DataMode::Active`] with an IPv4 address, try `EPRT` before `PORT`. Default false (`PORT`, as the
    /// classic clients do).
    pub prefer_eprt: bool,
    /// Refuse active data connections from any host but the peer. Default true.
    pub check_data_peer: bool,
    /// How multi-line replies are closed. Default [`Framing::Strict`].
    pub framing: Framing,
    /// Reply size limits.
    pub limits: Limits,
    /// The control connection is TLS from its first byte (implicit FTPS, port 990): the session starts
    /// protected, and `auth` is refused. Default false.
    pub implicit_tls: bool,
    /// The encoding of names on the control connection: commands are written in it and replies (a `257` path)
    /// read in it. Default [`TextEncoding::Utf8`]. Names that do not fit are refused by the client driver before
    /// a request is made; the session writes nothing for a command that does not fit (the request fails).
    pub encoding: TextEncoding,
}

impl Config {
    /// Defaults for a control connection to `peer`.
    pub fn new(peer: SocketAddr) -> Config {
        Config {
            peer,
            pasv_policy: PasvAddressPolicy::default(),
            epsv_all: false,
            prefer_eprt: false,
            check_data_peer: true,
            framing: Framing::default(),
            limits: Limits::default(),
            implicit_tls: false,
            encoding: TextEncoding::Utf8,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Internal state
// ---------------------------------------------------------------------------------------------------------------

/// The data side of the transfer in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Data {
    Pending,
    Open,
    Done,
    Failed(String),
}

/// The control and data sides of the transfer in progress.
#[derive(Debug, Clone)]
struct Join {
    /// A 1xx came.
    started: bool,
    /// The final 2xx, once it came (taken when the transfer ends).
    last: Option<Reply>,
    data: Data,
    /// DataReady was emitted.
    ready_sent: bool,
    /// TransferFailed was emitted.
    reported: bool,
}

impl Join {
    fn new() -> Join {
        Join { started: false, last: None, data: Data::Pending, ready_sent: false, reported: false }
    }
}

#[derive(Debug, Clone)]
enum Request {
    Login { user: String, pass: String, account: Option<String> },
    Feat,
    Pwd,
    Mkd(String),
    Size(String),
    Mdtm(String),
    Rename { from: String, to: String },
    Rest(u64),
    Simple(Command<'static>),
    Raw(Command<'static>),
    Quit,
    Rein,
    Transfer(Transfer),
    Auth(String),
    Pbsz,
    Prot(ProtectionLevel),
    Ccc,
}

#[derive(Debug, Clone)]
struct Current {
    id: RequestId,
    req: Request,
    join: Join,
    /// Set by `abort` while a setup command is in flight: the transfer is dropped when its reply comes.
    cancel: Option<RequestId>,
    /// The abort request answering ABOR.
    abort: Option<RequestId>,
}

/// What the session remembers about the server between requests.
#[derive(Debug, Clone, Default)]
struct Memory {
    epsv_failed: bool,
    eprt_failed: bool,
    epsv_all_active: bool,
    epsv_all_refused: bool,
    logged_in: bool,
    login_requested: bool,
    quit_requested: bool,
    features: Option<Features<'static>>,
    /// TLS runs on the control connection.
    control_tls: bool,
    /// Data connections are protected (PROT P accepted, or AUTH SSL).
    data_tls: bool,
    /// PBSZ was requested (PROT needs it first, RFC 2228 §3).
    pbsz_requested: bool,
}

/// The sans-IO FTP client session. See the [module docs](self) for the calling order and the drive loop.
#[derive(Debug)]
pub struct ClientSession {
    config: Config,
    decoder: ReplyDecoder,
    state: State,
    current: Option<Current>,
    queue: VecDeque<(RequestId, Request)>,
    next_id: u64,
    memory: Memory,
    transmit: Vec<u8>,
    /// The reply being handled had bytes [`Config::encoding`] cannot read.
    reply_undecodable: bool,
    events: VecDeque<Event>,
}

/// The session's generated documentation: the verdict table, the reply and data transition tables (Markdown),
/// and the state diagram (Mermaid), in that order, exactly as `cargo xtask codegen` writes them into the module
/// docs and `docs/ARCHITECTURE.md`.
pub fn generated_docs() -> [String; 3] {
    [machine::verdict_markdown(), machine::transitions_markdown(), machine::state_diagram()]
}

impl ClientSession {
    /// A session on a freshly connected control connection, waiting for the greeting. No output yet.
    pub fn new(config: Config) -> ClientSession {
        let implicit_tls = config.implicit_tls;
        ClientSession {
            decoder: ReplyDecoder::new(config.framing, config.limits),
            config,
            state: State::Greeting,
            current: None,
            queue: VecDeque::new(),
            next_id: 1,
            memory: Memory { control_tls: implicit_tls, ..Memory::default() },
            transmit: Vec::new(),
            reply_undecodable: false,
            events: VecDeque::new(),
        }
    }

    // ---- outputs ----

    /// The bytes to write to the control connection, all that is pending, or `None`. There may be some after any
    /// `handle_*` call and any request.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.transmit.is_empty()).then(|| std::mem::take(&mut self.transmit))
    }

    /// The next event, or `None`. There may be some after any `handle_*` call and after `abort`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ---- inputs ----

    /// Bytes read from the control connection. Every complete reply in them is handled (partial ones are kept for
    /// the next call); afterwards drain [`poll_transmit`](Self::poll_transmit) and [`poll_event`](Self::poll_event).
    ///
    /// # Errors
    /// The first error among the replies (later ones are handled all the same): a malformed reply
    /// ([`SessionError::Decode`], skipped), or one that makes no sense (see [`handle_reply`](Self::handle_reply)).
    /// [`SessionError::Closed`] when the session was already closed.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        if self.state == State::Closed {
            return Err(SessionError::Closed);
        }
        self.decoder.feed(bytes);
        let mut first = None;
        let encoding = self.config.encoding;
        while self.state != State::Closed {
            let next = self.decoder.decode().map(|r| {
                r.map(|r| {
                    // Bytes the encoding cannot read (only UTF-8 can refuse any): a 257 path is then refused,
                    // never returned with U+FFFD in it (it would name another file when sent back).
                    let undecodable = r.text_lines().any(|l| encoding.decode(l).is_err());
                    (r.to_owned_in(encoding), undecodable)
                })
            });
            let result = match next {
                Ok(Some((reply, undecodable))) => {
                    self.reply_undecodable = undecodable;
                    let result = self.handle_reply(reply);
                    self.reply_undecodable = false;
                    result
                }
                Ok(None) => break,
                Err(e) => Err(SessionError::Decode(e)),
            };
            if let Err(e) = result {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// One already decoded reply. Afterwards drain the outputs.
    ///
    /// # Errors
    /// [`SessionError::UnexpectedReply`] (the request in flight failed), [`SessionError::UnsolicitedReply`] (the
    /// reply was dropped), [`SessionError::BadPayload`] (the request failed). The session stays usable after
    /// each. [`SessionError::Closed`] when closed.
    pub fn handle_reply(&mut self, reply: Reply) -> Result<(), SessionError> {
        let step = match self.state {
            State::Closed => return Err(SessionError::Closed),
            _ if reply.code == Code::SERVICE_NOT_AVAILABLE => {
                self.close(CloseReason::ServiceNotAvailable(reply));
                return Ok(());
            }
            State::Greeting => Step::Greeting,
            State::Sent(step) => step,
            State::Idle | State::AwaitConnect | State::AwaitData | State::Tls => {
                return Err(SessionError::UnsolicitedReply { code: reply.code.get(), state: self.state_name() })
            }
        };
        let verdict = machine::verdict(step, reply.code.get());
        let result = self.transition(step, verdict, reply);
        self.pump();
        result
    }

    /// A fact about the data connection of transfer `id` (the id from `ConnectData` / `AcceptData`). Afterwards
    /// drain the outputs.
    ///
    /// Facts about a transfer that has already ended (late EOFs after an abort or a failure) are ignored.
    ///
    /// # Errors
    /// [`SessionError::ForeignDataPeer`] for an accepted connection from another host (drop it; the session is
    /// unchanged); [`SessionError::InvalidState`] for a fact the transfer cannot have now (`Accepted` in passive
    /// mode, `Connected` before `ConnectData`, an id that is no started transfer); [`SessionError::Closed`].
    pub fn handle_data(&mut self, id: RequestId, event: DataEvent) -> Result<(), SessionError> {
        if self.state == State::Closed {
            return Err(SessionError::Closed);
        }
        let current_id = self.current.as_ref().map(|c| c.id);
        if current_id != Some(id) {
            // Ids below the request in progress (or the first queued one) belong to requests that have ended.
            let started = current_id.or_else(|| self.queue.front().map(|(id, _)| *id)).map_or(self.next_id, |c| c.0);
            return if id.0 < started {
                Ok(()) // a transfer that has ended: late facts are harmless
            } else {
                Err(SessionError::InvalidState { what: "handle_data", why: "that request is no started transfer" })
            };
        }
        let result = self.data_transition(event);
        self.pump();
        result
    }

    /// The control connection is gone (EOF, error, or the caller's timeout). Emits [`Event::Closed`] unless the
    /// session was already closed; harmless to repeat.
    pub fn handle_close(&mut self) {
        if self.state != State::Closed {
            self.close(CloseReason::Local);
        }
    }

    // ---- queries ----

    /// The shell has done what [`Event::StartTls`] or [`Event::StopTls`] asked (the TLS handshake on the control
    /// connection is complete, or TLS on it is closed): queued requests go out now.
    ///
    /// # Errors
    /// [`SessionError::InvalidState`] when no TLS step was asked for; [`SessionError::Closed`].
    pub fn tls_done(&mut self) -> Result<(), SessionError> {
        match self.state {
            State::Tls => {
                // CCC clears the control connection only: data connections keep the protection PROT set (the
                // server's session does the same; so do curl --ftp-ssl-ccc, ftplib's ccc() and lftp's
                // ftp:ssl-use-ccc, and servers report "control: off (cleared), data: private" after it).
                self.memory.control_tls = !self.memory.control_tls;
                self.state = State::Idle;
                self.pump();
                Ok(())
            }
            State::Closed => Err(SessionError::Closed),
            _ => Err(SessionError::InvalidState { what: "tls_done", why: "no TLS step was asked for" }),
        }
    }

    /// True while TLS runs on the control connection (after AUTH and the shell's handshake, or implicit TLS).
    pub fn control_protected(&self) -> bool {
        self.memory.control_tls
    }

    /// True when data connections must be protected with TLS (`PROT P` accepted, or `AUTH SSL`).
    pub fn data_protected(&self) -> bool {
        self.memory.data_tls
    }

    /// True once the session is closed (after [`Event::Closed`]); it then takes no more input.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// True after a successful login (until REIN).
    pub fn is_logged_in(&self) -> bool {
        self.memory.logged_in
    }

    /// The features of the last successful `feat`.
    pub fn features(&self) -> Option<&Features<'static>> {
        self.memory.features.as_ref()
    }

    /// True once `EPSV ALL` was accepted: only EPSV is used from then on.
    pub fn epsv_all_active(&self) -> bool {
        self.memory.epsv_all_active
    }

    /// The state's name, as in the module docs' table (`"idle"`, `"sent(PASV)"`, ...), for logs.
    pub fn state_name(&self) -> &'static str {
        self.state.name()
    }

    /// The request in progress (its command in flight, or its data connection awaited), if any.
    pub fn in_flight(&self) -> Option<RequestId> {
        self.current.as_ref().map(|c| c.id)
    }

    /// Requests queued or in flight.
    pub fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.current.is_some())
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ---- requests ----

    /// Log in: `USER`, then `PASS` on 331, `ACCT` on 332 (refused without an account). Ends in
    /// [`Event::LoggedIn`] or [`Event::LoginFailed`].
    ///
    /// # Errors
    /// [`SessionError::Command`] when a field holds CR, LF or NUL; [`SessionError::Closed`]; InvalidState after
    /// `quit`.
    pub fn login(&mut self, user: &str, pass: &str, account: Option<&str>) -> Result<RequestId, SessionError> {
        check(&Command::User(user.into()))?;
        check(&Command::Pass(pass.into()))?;
        if let Some(a) = account {
            check(&Command::Acct(a.into()))?;
        }
        let id =
            self.push(Request::Login { user: user.into(), pass: pass.into(), account: account.map(Into::into) })?;
        self.memory.login_requested = true;
        Ok(id)
    }

    /// `FEAT` → [`Event::Features`] (also kept: [`features`](Self::features)).
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn feat(&mut self) -> Result<RequestId, SessionError> {
        self.push(Request::Feat)
    }

    /// `TYPE` → [`Event::Done`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn type_(&mut self, t: TransferType) -> Result<RequestId, SessionError> {
        self.simple(Command::Type(t))
    }

    /// `CWD <path>` → [`Event::Done`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn cwd(&mut self, path: &str) -> Result<RequestId, SessionError> {
        self.simple(Command::Cwd(path.to_owned().into()))
    }

    /// `CDUP` → [`Event::Done`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn cdup(&mut self) -> Result<RequestId, SessionError> {
        self.simple(Command::Cdup)
    }

    /// `PWD` → [`Event::Path`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn pwd(&mut self) -> Result<RequestId, SessionError> {
        self.push(Request::Pwd)
    }

    /// `REST <offset>` alone → [`Event::Done`] on 350. For a restarted transfer use [`Transfer::rest`] instead:
    /// REST must come right before the transfer command.
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn rest(&mut self, offset: u64) -> Result<RequestId, SessionError> {
        self.push(Request::Rest(offset))
    }

    /// `RNFR <from>`, then on 350 `RNTO <to>` → [`Event::Done`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn rename(&mut self, from: &str, to: &str) -> Result<RequestId, SessionError> {
        check(&Command::Rnfr(from.into()))?;
        check(&Command::Rnto(to.into()))?;
        self.push(Request::Rename { from: from.into(), to: to.into() })
    }

    /// `DELE <path>` → [`Event::Done`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn dele(&mut self, path: &str) -> Result<RequestId, SessionError> {
        self.simple(Command::Dele(path.to_owned().into()))
    }

    /// `MKD <path>` → [`Event::Path`] (a 257 with a path) or [`Event::Done`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn mkd(&mut self, path: &str) -> Result<RequestId, SessionError> {
        check(&Command::Mkd(path.into()))?;
        self.push(Request::Mkd(path.into()))
    }

    /// `RMD <path>` → [`Event::Done`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn rmd(&mut self, path: &str) -> Result<RequestId, SessionError> {
        self.simple(Command::Rmd(path.to_owned().into()))
    }

    /// `SIZE <path>` → [`Event::Size`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn size(&mut self, path: &str) -> Result<RequestId, SessionError> {
        check(&Command::Size(path.into()))?;
        self.push(Request::Size(path.into()))
    }

    /// `MDTM <path>` → [`Event::Modified`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn mdtm(&mut self, path: &str) -> Result<RequestId, SessionError> {
        check(&Command::Mdtm(path.into()))?;
        self.push(Request::Mdtm(path.into()))
    }

    /// `SITE <text>` → [`Event::Done`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn site(&mut self, text: &str) -> Result<RequestId, SessionError> {
        self.simple(Command::Site(text.to_owned().into()))
    }

    /// `NOOP` → [`Event::Done`].
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn noop(&mut self) -> Result<RequestId, SessionError> {
        self.simple(Command::Noop)
    }

    /// `REIN` → [`Event::Done`] on 220; the session is logged out.
    ///
    /// # Errors
    /// As [`login`](Self::login).
    pub fn rein(&mut self) -> Result<RequestId, SessionError> {
        self.push(Request::Rein)
    }

    /// `QUIT` (after the requests queued before it) → [`Event::Closed`] on 221. No request is taken after it.
    ///
    /// # Errors
    /// [`SessionError::Closed`]; [`SessionError::InvalidState`] when `quit` was already requested.
    pub fn quit(&mut self) -> Result<RequestId, SessionError> {
        let id = self.push(Request::Quit)?;
        self.memory.quit_requested = true;
        Ok(id)
    }

    /// `AUTH <mechanism>` (`TLS`, or the older `SSL`, which also protects data connections) → [`Event::StartTls`]
    /// on `234`, then, once the shell calls [`tls_done`](Self::tls_done), the queued requests; a refusal
    /// (`504`, `534`, `431`, ...) → [`Event::Failed`] and the session goes on in clear (whether that is acceptable
    /// is the caller's policy).
    ///
    /// # Errors
    /// [`SessionError::InvalidState`] when TLS already runs on the control connection; as [`login`](Self::login).
    pub fn auth(&mut self, mechanism: &str) -> Result<RequestId, SessionError> {
        if self.memory.control_tls {
            return Err(SessionError::InvalidState { what: "auth", why: "TLS already runs on the control connection" });
        }
        check(&Command::Auth(mechanism.into()))?;
        self.push(Request::Auth(mechanism.to_owned()))
    }

    /// `PBSZ 0` (RFC 4217 §8: the only size with TLS) → [`Event::Done`].
    ///
    /// # Errors
    /// [`SessionError::InvalidState`] without TLS on the control connection (a request queued behind AUTH counts
    /// as protected only once AUTH succeeded: call it after [`Event::StartTls`]); as [`login`](Self::login).
    pub fn pbsz(&mut self) -> Result<RequestId, SessionError> {
        if !self.memory.control_tls && self.state != State::Tls {
            return Err(SessionError::InvalidState { what: "PBSZ", why: "no TLS on the control connection" });
        }
        let id = self.push(Request::Pbsz)?;
        self.memory.pbsz_requested = true;
        Ok(id)
    }

    /// `PROT C` or `PROT P` → [`Event::Done`]; on success data connections are protected (P) or clear (C) from
    /// then on ([`data_protected`](Self::data_protected)). A refusal (`534`: policy, `536`, `504`) →
    /// [`Event::Failed`], the level unchanged.
    ///
    /// # Errors
    /// [`SessionError::InvalidState`] for `S` and `E` (no meaning with TLS, RFC 4217 §9), before [`pbsz`](Self::pbsz)
    /// (RFC 2228 §3), or without TLS on the control connection; as [`login`](Self::login).
    pub fn prot(&mut self, level: ProtectionLevel) -> Result<RequestId, SessionError> {
        if matches!(level, ProtectionLevel::Safe | ProtectionLevel::Confidential) {
            return Err(SessionError::InvalidState { what: "PROT", why: "only C and P exist with TLS (RFC 4217)" });
        }
        if !self.memory.pbsz_requested {
            return Err(SessionError::InvalidState { what: "PROT", why: "PBSZ must come first (RFC 2228)" });
        }
        self.push(Request::Prot(level))
    }

    /// `CCC` → [`Event::StopTls`] on `200`: the control connection goes back to clear text (for NAT helpers that
    /// must read PORT/227); data protection is unchanged by the server but the shell must then call
    /// [`tls_done`](Self::tls_done).
    ///
    /// # Errors
    /// [`SessionError::InvalidState`] without TLS on the control connection; as [`login`](Self::login).
    pub fn ccc(&mut self) -> Result<RequestId, SessionError> {
        if !self.memory.control_tls {
            return Err(SessionError::InvalidState { what: "CCC", why: "no TLS on the control connection" });
        }
        self.push(Request::Ccc)
    }

    /// Any command; its final reply comes back as [`Event::Reply`], whatever the code (1xx replies are skipped).
    /// Data-transfer commands belong in [`transfer`](Self::transfer): the session does not track a data
    /// connection for a raw command. A raw `EPSV ALL` that succeeds switches the session to EPSV only.
    ///
    /// # Errors
    /// [`SessionError::Command`] when it cannot be encoded; InvalidState for `PORT`/`EPRT`/`PASV` after
    /// `EPSV ALL`; as [`login`](Self::login).
    pub fn command(&mut self, command: Command<'_>) -> Result<RequestId, SessionError> {
        check(&command)?;
        if self.memory.epsv_all_active && matches!(command, Command::Port(_) | Command::Eprt(_) | Command::Pasv) {
            return Err(SessionError::InvalidState { what: "command", why: "EPSV ALL is in effect" });
        }
        self.push(Request::Raw(command.into_owned()))
    }

    /// A data transfer. Events, in order: `ConnectData` (passive) or `AcceptData` (active); `TransferStarted`;
    /// `DataReady`; then `TransferComplete` or, at any point, `TransferFailed`.
    ///
    /// # Errors
    /// [`SessionError::InvalidState`] before `login` was requested, or for an active mode or `PASV` when
    /// [`Config::epsv_all`] is set or `EPSV ALL` is in effect; [`SessionError::Command`] for CR, LF or NUL in a
    /// path; as [`login`](Self::login).
    pub fn transfer(&mut self, transfer: Transfer) -> Result<RequestId, SessionError> {
        if !(self.memory.logged_in || self.memory.login_requested) {
            return Err(SessionError::InvalidState { what: "transfer", why: "not logged in (call login first)" });
        }
        if self.epsv_only() && !matches!(transfer.mode, DataMode::Passive | DataMode::Epsv) {
            return Err(SessionError::InvalidState { what: "transfer", why: "EPSV ALL: only EPSV may be used" });
        }
        check(&transfer.kind.command())?;
        self.push(Request::Transfer(transfer))
    }

    /// Abort the transfer in progress. With the transfer command in flight (or its data still flowing) `ABOR` is
    /// sent at once; with a setup command in flight the transfer is dropped when that reply comes; while waiting
    /// for the caller's data connection it is dropped at once. The transfer ends in [`Event::TransferFailed`]
    /// ([`TransferFailure::Aborted`]), the abort in [`Event::Aborted`].
    ///
    /// # Errors
    /// [`SessionError::InvalidState`] when no transfer is in progress or it is already being aborted;
    /// [`SessionError::Closed`].
    pub fn abort(&mut self) -> Result<RequestId, SessionError> {
        const NO: SessionError = SessionError::InvalidState { what: "abort", why: "no transfer in progress" };
        if self.state == State::Closed {
            return Err(SessionError::Closed);
        }
        let Some(current) = self.current.as_ref() else { return Err(NO) };
        if !matches!(current.req, Request::Transfer(_)) {
            return Err(NO);
        }
        if current.abort.is_some() || current.cancel.is_some() {
            return Err(SessionError::InvalidState { what: "abort", why: "the transfer is already being aborted" });
        }
        let id = self.new_id();
        match self.state {
            State::Sent(Step::Xfer) | State::AwaitData => {
                let owed = self.state == State::Sent(Step::Xfer);
                if !owed {
                    let reply = self.current.as_mut().and_then(|c| c.join.last.take());
                    self.fail_transfer(TransferFailure::Aborted, reply);
                }
                if let Some(c) = self.current.as_mut() {
                    c.abort = Some(id);
                }
                self.send(if owed { Step::AborOwed } else { Step::Abor });
            }
            State::AwaitConnect => {
                self.fail_transfer(TransferFailure::Aborted, None);
                self.events.push_back(Event::Aborted { id, reply: None });
                self.finish();
                self.pump();
            }
            _ => {
                if let Some(c) = self.current.as_mut() {
                    c.cancel = Some(id);
                }
            }
        }
        Ok(id)
    }

    // ---- internals: requests ----

    fn new_id(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        id
    }

    fn simple(&mut self, command: Command<'static>) -> Result<RequestId, SessionError> {
        check(&command)?;
        self.push(Request::Simple(command))
    }

    fn push(&mut self, request: Request) -> Result<RequestId, SessionError> {
        if self.state == State::Closed {
            return Err(SessionError::Closed);
        }
        if self.memory.quit_requested {
            return Err(SessionError::InvalidState { what: "request", why: "QUIT was already requested" });
        }
        let id = self.new_id();
        self.queue.push_back((id, request));
        self.pump();
        Ok(id)
    }

    fn epsv_only(&self) -> bool {
        self.config.epsv_all || self.memory.epsv_all_active
    }

    /// Start queued requests while nothing is in flight.
    fn pump(&mut self) {
        while self.state == State::Idle {
            let Some((id, req)) = self.queue.pop_front() else { return };
            let first = match &req {
                Request::Login { .. } => Step::User,
                Request::Feat => Step::Feat,
                Request::Pwd => Step::Pwd,
                Request::Mkd(_) => Step::Mkd,
                Request::Size(_) => Step::Size,
                Request::Mdtm(_) => Step::Mdtm,
                Request::Rename { .. } => Step::Rnfr,
                Request::Rest(_) => Step::Rest,
                Request::Simple(c) => Step::Simple(simple_verb(c)),
                Request::Raw(_) => Step::Raw,
                Request::Quit => Step::Quit,
                Request::Rein => Step::Rein,
                Request::Transfer(t) => self.setup_step(t.mode),
                Request::Auth(_) => Step::Auth,
                Request::Pbsz => Step::Pbsz,
                Request::Prot(_) => Step::Prot,
                Request::Ccc => Step::Ccc,
            };
            let blocked = matches!(&req, Request::Transfer(t)
                if self.epsv_only() && !matches!(t.mode, DataMode::Passive | DataMode::Epsv));
            self.current = Some(Current { id, req, join: Join::new(), cancel: None, abort: None });
            if blocked {
                // EPSV ALL came into effect (a raw `EPSV ALL`) after this transfer was queued.
                self.fail_transfer(TransferFailure::Setup, None);
                self.finish();
                continue;
            }
            self.send(first);
        }
    }

    /// The first command of a transfer's data setup, from the mode and what the session remembers.
    fn setup_step(&self, mode: DataMode) -> Step {
        match mode {
            DataMode::Passive | DataMode::Epsv
                if self.config.epsv_all && !self.memory.epsv_all_active && !self.memory.epsv_all_refused =>
            {
                Step::EpsvAll
            }
            DataMode::Passive if self.memory.epsv_failed && !self.epsv_only() => Step::Pasv,
            DataMode::Passive | DataMode::Epsv => Step::Epsv,
            DataMode::Pasv => Step::Pasv,
            DataMode::Active(SocketAddr::V4(_)) if self.config.prefer_eprt && !self.memory.eprt_failed => Step::Eprt,
            DataMode::Active(SocketAddr::V4(_)) | DataMode::Port(_) => Step::Port,
            DataMode::Active(SocketAddr::V6(_)) | DataMode::Eprt(_) => Step::Eprt,
        }
    }

    /// Write `step`'s command for the current request and wait for its reply.
    fn send(&mut self, step: Step) {
        let Some(current) = self.current.as_ref() else { return };
        let command: Command<'_> = match (step, &current.req) {
            (Step::User, Request::Login { user, .. }) => Command::User(user.as_str().into()),
            (Step::Pass, Request::Login { pass, .. }) => Command::Pass(pass.as_str().into()),
            (Step::Acct, Request::Login { account: Some(a), .. }) => Command::Acct(a.as_str().into()),
            (Step::Feat, _) => Command::Feat,
            (Step::Pwd, _) => Command::Pwd,
            (Step::Mkd, Request::Mkd(p)) => Command::Mkd(p.as_str().into()),
            (Step::Size, Request::Size(p)) => Command::Size(p.as_str().into()),
            (Step::Mdtm, Request::Mdtm(p)) => Command::Mdtm(p.as_str().into()),
            (Step::Rnfr, Request::Rename { from, .. }) => Command::Rnfr(from.as_str().into()),
            (Step::Rnto, Request::Rename { to, .. }) => Command::Rnto(to.as_str().into()),
            (Step::Rest, Request::Rest(n)) => Command::Rest(*n),
            (Step::Simple(_), Request::Simple(c)) | (Step::Raw, Request::Raw(c)) => c.clone(),
            (Step::Quit, _) => Command::Quit,
            (Step::Rein, _) => Command::Rein,
            (Step::EpsvAll, _) => Command::Epsv(Some(EpsvArg::All)),
            (Step::Epsv, _) => Command::Epsv(None),
            (Step::Pasv, _) => Command::Pasv,
            (Step::Eprt, Request::Transfer(t)) => match t.mode {
                DataMode::Active(a) | DataMode::Eprt(a) => Command::Eprt(a),
                _ => return self.internal_mismatch(step),
            },
            (Step::Port, Request::Transfer(t)) => match t.mode {
                DataMode::Active(SocketAddr::V4(a)) | DataMode::Port(a) => Command::Port(a),
                _ => return self.internal_mismatch(step),
            },
            (Step::XferRest, Request::Transfer(Transfer { rest: Some(n), .. })) => Command::Rest(*n),
            (Step::Xfer, Request::Transfer(t)) => t.kind.command(),
            (Step::AborOwed | Step::Abor, _) => Command::Abor,
            (Step::Auth, Request::Auth(m)) => Command::Auth(m.as_str().into()),
            (Step::Pbsz, _) => Command::Pbsz(0),
            (Step::Prot, Request::Prot(level)) => Command::Prot(*level),
            (Step::Ccc, _) => Command::Ccc,
            _ => return self.internal_mismatch(step),
        };
        let mut line = Vec::new();
        if command.encode(&mut line).is_err() {
            // Requests are checked when made, so this cannot happen; fail the request rather than panic.
            return self.internal_mismatch(step);
        }
        match self.config.encoding.encode_line(&line) {
            Ok(wire) => {
                self.transmit.extend_from_slice(&wire);
                self.state = State::Sent(step);
            }
            Err(_) => {
                // The driver refuses such names before making the request; a session used alone gets this.
                let reply = Reply::new(Code::LOCAL_ERROR, "ftpkit: a name does not fit the connection's encoding");
                self.fail_request(reply);
                self.finish();
            }
        }
    }

    /// A step that does not fit its request (a bug, never input): drop the request with a failure event.
    fn internal_mismatch(&mut self, _step: Step) {
        let reply = Reply::new(Code::LOCAL_ERROR, "ftpkit: internal step mismatch");
        self.fail_request(reply);
        self.finish();
    }

    // ---- internals: the transition function ----

    /// What a reply with `verdict` does to `step`: the row of [`machine::REPLY_ROWS`] that matches decides.
    fn transition(&mut self, step: Step, verdict: Verdict, reply: Reply) -> Result<(), SessionError> {
        let current = self.current.as_ref();
        let facts = machine::Facts {
            code: reply.code.get(),
            has_account: matches!(current.map(|c| &c.req), Some(Request::Login { account: Some(_), .. })),
            passive_fallback: self.transfer_mode() == Some(DataMode::Passive) && !self.epsv_only(),
            port_fallback: matches!(self.transfer_mode(), Some(DataMode::Active(SocketAddr::V4(_)))),
            cancelled: current.is_some_and(|c| c.cancel.is_some()),
            started: current.is_some_and(|c| c.join.started),
        };
        let act = machine::lookup(step, verdict, &facts).act;
        self.apply(act, step, verdict, reply)
    }

    /// Carries out what a reply row says.
    fn apply(&mut self, act: Act, step: Step, verdict: Verdict, reply: Reply) -> Result<(), SessionError> {
        let code = reply.code.get();
        match act {
            Act::DropCancelled => {
                let abort = self.current.as_ref().and_then(|c| c.cancel);
                self.fail_transfer(TransferFailure::Aborted, None);
                if let Some(abort) = abort {
                    self.events.push_back(Event::Aborted { id: abort, reply: None });
                }
                self.finish();
            }
            Act::XferStarted => {
                if let Some(c) = self.current.as_mut() {
                    let first = !c.join.started;
                    c.join.started = true;
                    if first {
                        let id = c.id;
                        self.events.push_back(Event::TransferStarted { id, reply });
                    }
                }
                self.check_join();
            }
            Act::AborTransferPreliminary => {
                // A second 1xx after ABOR answers the aborted transfer: pure-ftpd sends "150 0.51 seconds
                // (measured here), ..." where others send 426, then "226 ... ABOR must've succeeded".
                self.fail_transfer(TransferFailure::Aborted, Some(reply));
                self.state = State::Sent(Step::Abor);
            }
            Act::MarkStarted => {
                // The transfer's own preliminary reply, late: the next 1xx (if any) is its answer.
                if let Some(c) = self.current.as_mut() {
                    c.join.started = true;
                }
            }
            Act::Stay => {}
            Act::Greeted => {
                self.events.push_back(Event::Greeting { reply });
                self.state = State::Idle;
            }
            Act::GreetingRefused => self.close(CloseReason::Refused(reply)),
            Act::GreetingUnexpected => return Err(unexpected(step, code)),

            // Login.
            Act::LoggedIn => {
                self.memory.logged_in = true;
                self.done(|id| Event::LoggedIn { id, reply });
            }
            Act::SendPass => self.send(Step::Pass),
            Act::SendAcct => self.send(Step::Acct),
            Act::LoginFailed => self.login_failed(reply),
            Act::LoginFailedChecked => {
                self.login_failed(reply);
                return unexpected_unless_failure(step, verdict, code);
            }

            // Simple requests.
            Act::Features => {
                let features = Features::parse(reply.lines.iter().map(String::as_str)).into_owned();
                self.memory.features = Some(features.clone());
                self.done(|id| Event::Features { id, features });
            }
            Act::Path257 if code == 257 && self.reply_undecodable && step != Step::Mkd => {
                let why = format!("the 257 path is not {} (a server sending Latin-1 names?)", self.config.encoding);
                return self.bad_payload(step, reply, ErrorKind::Unsupported, why);
            }
            Act::Path257 => match parse_257(&reply.text()) {
                Ok(path) if code == 257 && !self.reply_undecodable => {
                    let path = path.into_owned();
                    self.done(|id| Event::Path { id, path });
                }
                _ if step == Step::Mkd => self.done(|id| Event::Done { id, reply }),
                Ok(_) => self.done(|id| Event::Done { id, reply }),
                Err(e) => return self.bad_payload(step, reply, e.kind(), e.to_string()),
            },
            Act::Size => match reply.text().trim().parse::<u64>() {
                Ok(size) => self.done(|id| Event::Size { id, size }),
                Err(e) => return self.bad_payload(step, reply, ErrorKind::Syntax, format!("not a size: {e}")),
            },
            Act::Modified => match DateTime::parse_mlsd(reply.text().trim()) {
                Ok(time) => self.done(|id| Event::Modified { id, time }),
                Err(e) => return self.bad_payload(step, reply, e.kind(), e.to_string()),
            },
            Act::SendRnto => self.send(Step::Rnto),
            Act::Done => self.done(|id| Event::Done { id, reply }),
            Act::Reinitialized => {
                self.memory.logged_in = false;
                self.memory.login_requested = false;
                self.done(|id| Event::Done { id, reply });
            }
            Act::RawReply => {
                let epsv_all = matches!(
                    self.current.as_ref().map(|c| &c.req),
                    Some(Request::Raw(Command::Epsv(Some(EpsvArg::All))))
                );
                if epsv_all && reply.code.is_completion() {
                    self.memory.epsv_all_active = true;
                }
                self.done(|id| Event::Reply { id, reply });
            }
            Act::Quit => self.close(CloseReason::Quit(reply)),

            // Data-connection setup.
            Act::EpsvAllOk => {
                self.memory.epsv_all_active = true;
                self.send(Step::Epsv);
            }
            Act::EpsvAllRefused => {
                self.memory.epsv_all_refused = true;
                self.send(Step::Epsv);
                return unexpected_unless_failure(step, verdict, code);
            }
            Act::ConnectEpsv => match hostport::parse_epsv(&wire(&reply)) {
                Ok(p) => self.connect_data(SocketAddr::new(self.config.peer.ip(), p.value.port), None),
                Err(e) => return self.bad_setup(step, reply, e.kind(), e.to_string()),
            },
            Act::ConnectPasv => match hostport::parse_pasv(&wire(&reply), Mode::Tolerant) {
                Ok(p) => {
                    let (addr, nat) = self.config.pasv_policy.resolve(SocketAddr::V4(p.value), self.config.peer.ip());
                    self.connect_data(addr, nat);
                }
                Err(e) => return self.bad_setup(step, reply, e.kind(), e.to_string()),
            },
            Act::FallbackPasv => {
                self.memory.epsv_failed = true;
                self.send(Step::Pasv);
            }
            Act::FallbackPort => {
                self.memory.eprt_failed = true;
                self.send(Step::Port);
            }
            Act::AcceptThenTransfer => {
                let id = self.current.as_ref().map(|c| c.id);
                if let Some(id) = id {
                    self.events.push_back(Event::AcceptData { id, expect_from: self.config.peer.ip() });
                }
                self.send_transfer_command();
            }
            Act::SetupFailed => {
                self.fail_transfer(TransferFailure::Setup, Some(reply));
                self.finish();
                return unexpected_unless_failure(step, verdict, code);
            }
            Act::SendXfer => self.send(Step::Xfer),
            Act::RestFailed => {
                self.fail_transfer(TransferFailure::Restart, Some(reply));
                self.finish();
                return unexpected_unless_failure(step, verdict, code);
            }

            // The transfer command.
            Act::XferFinal => {
                if let Some(c) = self.current.as_mut() {
                    c.join.last = Some(reply);
                }
                self.check_join();
            }
            Act::XferFailed => {
                let failure =
                    if verdict == Verdict::Failure { TransferFailure::of_code(code) } else { TransferFailure::Refused };
                self.fail_transfer(failure, Some(reply));
                self.finish();
                return unexpected_unless_failure(step, verdict, code);
            }

            // Abort.
            Act::AborTransferReply => {
                self.fail_transfer(TransferFailure::Aborted, Some(reply));
                self.state = State::Sent(Step::Abor);
            }
            Act::Aborted | Act::AbortedUnexpected => {
                if step == Step::AborOwed && act == Act::Aborted {
                    self.fail_transfer(TransferFailure::Aborted, None);
                }
                if let Some(id) = self.current.as_ref().and_then(|c| c.abort) {
                    self.events.push_back(Event::Aborted { id, reply: Some(reply) });
                }
                self.finish();
                if act == Act::AbortedUnexpected {
                    return Err(unexpected(step, code));
                }
            }

            // TLS (RFC 4217).
            Act::StartTls => {
                let ssl = matches!(self.current.as_ref().map(|c| &c.req), Some(Request::Auth(m)) if m.eq_ignore_ascii_case("SSL"));
                if ssl {
                    // AUTH SSL: the data connections are protected too, without PROT (RFC 4217 §4, the old
                    // draft's rule that servers still follow).
                    self.memory.data_tls = true;
                }
                if let Some(id) = self.current.as_ref().map(|c| c.id) {
                    self.events.push_back(Event::StartTls { id, reply });
                }
                self.current = None;
                self.state = State::Tls;
            }
            Act::Protection => {
                let level = match self.current.as_ref().map(|c| &c.req) {
                    Some(Request::Prot(level)) => Some(*level),
                    _ => None,
                };
                self.memory.data_tls = level == Some(ProtectionLevel::Private);
                self.done(|id| Event::Done { id, reply });
            }
            Act::ClearControl => {
                if let Some(id) = self.current.as_ref().map(|c| c.id) {
                    self.events.push_back(Event::StopTls { id, reply });
                }
                self.current = None;
                self.state = State::Tls;
            }

            // Everything else: the request failed; say so, and say whether the code made sense.
            Act::RequestFailed => {
                if step == Step::Quit {
                    self.memory.quit_requested = false;
                }
                self.fail_request(reply);
                self.finish();
                return unexpected_unless_failure(step, verdict, code);
            }
        }
        Ok(())
    }

    /// What a data fact does to the transfer in progress: the row of [`machine::DATA_ROWS`] that matches decides.
    fn data_transition(&mut self, event: DataEvent) -> Result<(), SessionError> {
        let active = self.transfer_mode().is_some_and(DataMode::is_active);
        let expected = self.config.peer.ip();
        let check_peer = self.config.check_data_peer;
        let state = self.state;
        let misplaced = SessionError::InvalidState { what: event.name(), why: "not expected in this transfer state" };
        let Some(c) = self.current.as_mut() else {
            return Err(SessionError::InvalidState { what: "handle_data", why: "no transfer in progress" });
        };
        // Once the transfer is aborted or has failed, the data side no longer matters.
        if c.abort.is_some() || c.cancel.is_some() || c.join.reported {
            return Ok(());
        }
        let facts = machine::DataFacts {
            await_connect: state == State::AwaitConnect,
            flowing: matches!(state, State::Sent(Step::Xfer | Step::XferRest) | State::AwaitData),
            active,
            pending: c.join.data == Data::Pending,
            ended: !matches!(c.join.data, Data::Pending | Data::Open),
        };
        match (machine::data_lookup(event.name(), &facts).act, event) {
            (DataAct::ConnectedSendXfer, _) => {
                c.join.data = Data::Open;
                self.send_transfer_command();
            }
            (DataAct::ConnectFailed, DataEvent::Failed { reason }) => {
                self.fail_transfer(TransferFailure::DataConnection(reason), None);
                self.finish();
            }
            (DataAct::ClosedBeforeConnected, _) => {
                self.fail_transfer(TransferFailure::DataConnection("closed before it was connected".into()), None);
                self.finish();
            }
            (DataAct::AcceptedCheckPeer, DataEvent::Accepted { from }) => {
                if check_peer && from.ip().to_canonical() != expected.to_canonical() {
                    return Err(SessionError::ForeignDataPeer { from: from.ip(), expected });
                }
                c.join.data = Data::Open;
                self.check_join();
            }
            (DataAct::DataDone, _) => {
                c.join.data = Data::Done;
                self.check_join();
            }
            (DataAct::DataFailed, DataEvent::Failed { reason }) => {
                c.join.data = Data::Failed(reason);
                self.check_join();
            }
            _ => return Err(misplaced),
        }
        Ok(())
    }

    /// The transfer join: emit DataReady, then TransferComplete / TransferFailed, when both halves allow.
    fn check_join(&mut self) {
        let Some(c) = self.current.as_mut() else { return };
        let id = c.id;
        let opened = matches!(c.join.data, Data::Open | Data::Done);
        if opened && !c.join.ready_sent && (c.join.started || c.join.last.is_some()) {
            c.join.ready_sent = true;
            self.events.push_back(Event::DataReady { id });
        }
        if c.join.last.is_none() {
            return;
        }
        match c.join.data.clone() {
            Data::Done => {
                if let Some(reply) = c.join.last.take() {
                    self.events.push_back(Event::TransferComplete { id, reply });
                }
                self.finish();
            }
            Data::Failed(reason) => {
                let reply = c.join.last.take();
                self.fail_transfer(TransferFailure::DataConnection(reason), reply);
                self.finish();
            }
            Data::Pending | Data::Open => self.state = State::AwaitData,
        }
    }

    fn send_transfer_command(&mut self) {
        let rest =
            matches!(self.current.as_ref().map(|c| &c.req), Some(Request::Transfer(Transfer { rest: Some(_), .. })));
        self.send(if rest { Step::XferRest } else { Step::Xfer });
    }

    fn connect_data(&mut self, addr: SocketAddr, nat: Option<NatNotice>) {
        if let Some(id) = self.current.as_ref().map(|c| c.id) {
            self.events.push_back(Event::ConnectData { id, addr, nat });
            self.state = State::AwaitConnect;
        }
    }

    fn transfer_mode(&self) -> Option<DataMode> {
        match self.current.as_ref().map(|c| &c.req) {
            Some(Request::Transfer(t)) => Some(t.mode),
            _ => None,
        }
    }

    // ---- internals: endings ----

    /// The current request succeeded with `event`.
    fn done(&mut self, event: impl FnOnce(RequestId) -> Event) {
        if let Some(id) = self.current.as_ref().map(|c| c.id) {
            self.events.push_back(event(id));
        }
        self.finish();
    }

    fn login_failed(&mut self, reply: Reply) {
        self.done(|id| Event::LoginFailed { id, reply });
    }

    /// The current request failed with `reply`, with the failure event its kind calls for (no state change).
    fn fail_request(&mut self, reply: Reply) {
        let Some(c) = self.current.as_ref() else { return };
        let id = c.id;
        self.events.push_back(match c.req {
            Request::Login { .. } => Event::LoginFailed { id, reply },
            Request::Transfer(_) => Event::TransferFailed { id, failure: TransferFailure::Refused, reply: Some(reply) },
            _ => Event::Failed { id, reply },
        });
    }

    /// Emit TransferFailed for the current transfer, once (a later call for the same transfer does nothing).
    fn fail_transfer(&mut self, failure: TransferFailure, reply: Option<Reply>) {
        let Some(c) = self.current.as_mut() else { return };
        if std::mem::replace(&mut c.join.reported, true) {
            return;
        }
        let id = c.id;
        self.events.push_back(Event::TransferFailed { id, failure, reply });
    }

    fn bad_payload(&mut self, step: Step, reply: Reply, kind: ErrorKind, reason: String) -> Result<(), SessionError> {
        let code = reply.code.get();
        self.fail_request(reply);
        self.finish();
        Err(SessionError::BadPayload { code, step: step.name(), kind, reason })
    }

    fn bad_setup(&mut self, step: Step, reply: Reply, kind: ErrorKind, reason: String) -> Result<(), SessionError> {
        let code = reply.code.get();
        self.fail_transfer(TransferFailure::Setup, Some(reply));
        self.finish();
        Err(SessionError::BadPayload { code, step: step.name(), kind, reason })
    }

    /// The current request is over: back to idle (the caller of `transition` pumps the queue).
    fn finish(&mut self) {
        self.current = None;
        if self.state != State::Closed {
            self.state = State::Idle;
        }
    }

    fn close(&mut self, reason: CloseReason) {
        let mut unanswered: Vec<RequestId> = Vec::new();
        if let Some(c) = self.current.take() {
            let quit = matches!(c.req, Request::Quit) && matches!(reason, CloseReason::Quit(_));
            if !quit {
                unanswered.push(c.id);
            }
            unanswered.extend(c.abort.or(c.cancel));
        }
        unanswered.extend(self.queue.drain(..).map(|(id, _)| id));
        unanswered.sort();
        self.state = State::Closed;
        self.events.push_back(Event::Closed { reason, unanswered });
    }
}

fn simple_verb(command: &Command<'_>) -> &'static str {
    match command {
        Command::Type(_) => "TYPE",
        Command::Cwd(_) => "CWD",
        Command::Cdup => "CDUP",
        Command::Dele(_) => "DELE",
        Command::Rmd(_) => "RMD",
        Command::Site(_) => "SITE",
        Command::Noop => "NOOP",
        _ => "command",
    }
}

fn check(command: &Command<'_>) -> Result<(), SessionError> {
    let mut scratch = Vec::new();
    command.encode(&mut scratch).map_err(SessionError::Command)
}

fn unexpected(step: Step, code: u16) -> SessionError {
    SessionError::UnexpectedReply { code, step: step.name() }
}

fn unexpected_unless_failure(step: Step, verdict: Verdict, code: u16) -> Result<(), SessionError> {
    if verdict == Verdict::Failure || verdict == Verdict::Unsupported {
        Ok(())
    } else {
        Err(unexpected(step, code))
    }
}

/// A reply's bytes for the host-port parsers (which read the raw reply).
fn wire(reply: &Reply) -> Vec<u8> {
    reply.to_bytes().unwrap_or_default()
}
