//! The one client driver: a whole client call (log in, list a directory, download a file, abort) as a sans-IO
//! machine that tells an IO shell what to do next.
//!
//! [`ClientSession`] answers *which command follows which reply*. A client also has to decide things the session
//! leaves open: what a login consists of (FEAT, then `TYPE I`), MLSD or LIST, passive or active and which passive
//! command, when a call is over and with which value or error, what a timeout means, what to do with a data
//! connection that arrives early, what a trace shows. [`ClientDriver`] holds every one of those rules, so that the
//! blocking client, the tokio client and the C, Python and WASM bindings are IO loops that only perform its
//! [`Action`]s and report what happened. It opens no socket and reads no clock: time comes in as `Instant` values.
//!
//! ```text
//!   shell (sockets, clock)                         ClientDriver
//!   ──────────────────────                         ────────────
//!   start(Call, now) ─────────────────────────────► one call at a time (Login, Cwd, Open a transfer, Finish, Abort, ...)
//!   bytes read from the control connection ───────► handle_control(now, bytes)
//!   control connection closed ────────────────────► handle_control_closed(now)
//!   data connection connected / failed ───────────► handle_connected / handle_connect_failed
//!   listener bound / failed, connection accepted ─► handle_listening / handle_listen_failed / handle_accepted
//!   the deadline passed ──────────────────────────► handle_timeout(now)
//!   what to do ◄───────────────────────────────────  poll_action: Send, Connect, Listen, StartTls, CloseData, Trace,
//!                                                     Log, then Done(result) last
//!   until when to wait ◄───────────────────────────  poll_timeout
//! ```
//!
//! # Calling order
//!
//! After [`ClientDriver::new`] the driver waits for the greeting: run it like a call, until it gives
//! [`Action::Done`]. Then, for each call: [`ClientDriver::start`], then loop: drain [`ClientDriver::poll_action`]
//! until it returns `None` or [`Action::Done`] (performing each action and reporting its result with the matching
//! `handle_*` call, which may queue more actions), then block on the control connection (and on the listener
//! while [`ClientDriver::wants_accept`] is true) until [`ClientDriver::poll_timeout`], and report what came. A
//! `Done` is always the last action of its call. `handle_timeout` before the deadline does nothing.
//!
//! A transfer is two calls: [`Call::Open`] ends with [`Outcome::DataReady`] once data may flow (the shell holds
//! the data connection); the shell moves the data itself, then [`Call::Finish`] reports how the data ended and
//! ends with the final reply. [`Call::Abort`] stops an open transfer.
//!
//! # The rules it holds (one place for every client)
//!
//! | rule | what the driver does |
//! | --- | --- |
//! | login | `USER`/`PASS`/`ACCT`, then `FEAT` (its refusal is no error), `OPTS UTF8 ON` when FEAT lists `UTF8` and the encoding is UTF-8 (its refusal is no error), and `TYPE I`, each optional ([`DriverConfig`]) |
//! | names | one [`TextEncoding`] per connection ([`Config::encoding`](crate::session::client::Config::encoding), UTF-8 by default, Latin-1 for servers that send Latin-1 names): a call whose names do not fit fails with [`DriverError::Encoding`] before anything is sent; commands are written and `257` replies read in it; [`parse_entries`] and [`parse_names`] decode listings in it, refusing bytes that are not UTF-8 in UTF-8 ([`EncodingError::Undecodable`]) rather than replacing them |
//! | passive or active | [`ClientMode::Passive`]: `EPSV` falling back to `PASV` (or `PASV` only); [`ClientMode::Active`]: [`Action::Listen`] on the control connection's local address, then `EPRT`/`PORT` |
//! | a call's end | only the awaited request's failure event fails a call; other requests' events (an aborted transfer's `426` while `ABOR` is awaited) are logged |
//! | control timeout | no reply within [`DriverConfig::reply_timeout`]: the session is closed (a late reply could be taken for the next request's) and the call fails with [`DriverError::Timeout`] |
//! | data timeout | no server connection within [`DriverConfig::data_timeout`] in active mode: the same |
//! | early data connection | a connection accepted before the session asks for it (pyftpdlib connects on `PORT`) is kept and offered to the session when it does |
//! | foreign data connection | refused by the session's check: [`Action::CloseData`], and accepting goes on |
//! | undecodable control bytes | the session is closed and the call fails with [`DriverError::Protocol`] |
//! | QUIT | the `221` or the server closing the connection both end `quit` successfully |
//! | listings | MLSD when FEAT lists it, LIST otherwise ([`ClientDriver::listing_command`]); lines parsed by [`parse_entries`], `total` lines of `ls -l` dropped, nothing else |
//! | trace | `ftp -d` style lines ([`TraceLine`]), a line split across reads traced once, `PASS` masked |
//! | FTPS (RFC 4217) | [`TlsPolicy`]: explicit login is `AUTH TLS` → [`Action::StartTls`] → `USER`/`PASS` → `PBSZ 0` → `PROT P`; AUTH refused with [`TlsPolicy::require`]: the session ends before `USER` ([`DriverError::TlsRefused`]); [`TlsMode::Manual`]: each step is the caller's call ([`Call::Auth`], [`Call::Pbsz`], [`Call::Prot`], [`Call::Ccc`]), as in ftplib; a protected data connection is secured ([`Action::SecureData`]) once the server has answered the transfer command, and its TLS facts are traced |
//!
//! # The reference drive loop
//!
//! A shell is this loop with real sockets; here the server is canned bytes and the data connection is imaginary:
//!
//! ```
//! use ftpkit_proto::driver::{Action, Call, ClientDriver, DriverConfig, Outcome};
//! use ftpkit_proto::session::client::TransferKind;
//! use std::time::Instant;
//!
//! let server = "192.168.150.90:21".parse().unwrap();
//! let local = "192.168.150.80:3000".parse().unwrap();
//! let mut config = DriverConfig::new(server, local);
//! config.extended_passive = false; // PASV, to replay the seed's 227
//! let mut driver = ClientDriver::new(config, Instant::now());
//! let mut replies = [
//!     &b"220 ready\r\n"[..],
//!     b"331 Password required.\r\n",
//!     b"230 Logged in.\r\n",
//!     b"211 no features\r\n",
//!     b"200 Binary.\r\n",
//!     b"227 Entering Passive Mode (192,168,150,90,195,149).\r\n",
//!     b"150 Here it comes.\r\n",
//!     b"226 Done.\r\n",
//! ]
//! .into_iter();
//! let mut wire = Vec::new();
//! let mut calls = [
//!     Call::Login { user: "slacker".into(), password: "XXXX".into(), account: None },
//!     Call::Open { kind: TransferKind::Nlst(None), rest: None },
//!     Call::Finish { end: ftpkit_proto::driver::DataEnd::Eof },
//! ]
//! .into_iter();
//! let mut outcomes = Vec::new();
//! loop {
//!     // Drain the actions; a Done ends the call (the first one is the greeting's).
//!     while let Some(action) = driver.poll_action() {
//!         match action {
//!             Action::Send(bytes) => wire.extend_from_slice(&bytes), // control.write_all
//!             Action::Connect { addr, .. } => {
//!                 assert_eq!(addr.port(), 50069); // TcpStream::connect(addr)
//!                 driver.handle_connected(Instant::now(), None, None);
//!             }
//!             Action::Done(result) => {
//!                 outcomes.push(result.unwrap());
//!                 match calls.next() {
//!                     Some(call) => driver.start(call, Instant::now()).unwrap(),
//!                     None => break,
//!                 }
//!             }
//!             _ => {} // Listen, CloseData, Trace, Log: not needed here
//!         }
//!     }
//!     if !driver.is_busy() {
//!         break;
//!     }
//!     // Block on the control connection until driver.poll_timeout(), then report what came.
//!     let Some(bytes) = replies.next() else { break };
//!     driver.handle_control(Instant::now(), bytes);
//! }
//! assert!(matches!(outcomes.last(), Some(Outcome::Transferred(r)) if r.code.get() == 226));
//! assert_eq!(wire, b"USER slacker\r\nPASS XXXX\r\nFEAT\r\nTYPE I\r\nPASV\r\nNLST\r\n");
//! ```
//!
//! (With [`DriverConfig::extended_passive`] on, the default, the first passive command is `EPSV`.)

use crate::command::{Command, ProtectionLevel, TransferType};
use crate::encoding::{EncodingError, TextEncoding};
use crate::hash::{HashAlgorithm, HashReply, HashReplyError};
use crate::listing::{parse_listing, parse_mlsd_line, Date, DateTime, Entry, ListLine};
use crate::reply::{Code, Reply};
use crate::session::client::{
    ClientSession, CloseReason, Config, DataMode, Event, RequestId, SessionError, Transfer, TransferFailure,
    TransferKind,
};
use crate::session::DataEvent;
use crate::time::Instant;
use crate::ErrorKind;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------------------------------------------
// Configuration and values
// ---------------------------------------------------------------------------------------------------------------

/// How data connections are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum ClientMode {
    /// The client connects to the server (EPSV, falling back to PASV). Works through client-side firewalls and NAT.
    #[default]
    Passive,
    /// The server connects to the client (PORT for IPv4, EPRT for IPv6), which listens on the control connection's
    /// local address, on an ephemeral port.
    Active,
}

/// Whether, and how, the control connection uses TLS (RFC 4217).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum TlsMode {
    /// Plain FTP.
    #[default]
    Off,
    /// Explicit FTPS: `AUTH TLS` (or `AUTH SSL`) on the plain control connection, as the first step of a login.
    Explicit,
    /// Implicit FTPS: the shell runs TLS on the control connection from its first byte (port 990); set
    /// [`Config::implicit_tls`] too (done by [`DriverConfig::with_tls`]).
    Implicit,
    /// Explicit FTPS driven step by step by the caller, as Python's `ftplib.FTP_TLS` is: a login sends no `AUTH`,
    /// `PBSZ` or `PROT` of its own; [`Call::Auth`], [`Call::Pbsz`], [`Call::Prot`] and [`Call::Ccc`] do each step.
    /// The shell keeps its TLS configuration ready for them.
    Manual,
}

/// The FTPS policy, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlsPolicy {
    /// Off, explicit or implicit.
    pub mode: TlsMode,
    /// Explicit: send `AUTH SSL` rather than `AUTH TLS` (older servers; it protects data connections without PROT).
    pub auth_ssl: bool,
    /// After login, `PBSZ 0` and `PROT P`: data connections protected too (default true).
    pub protect_data: bool,
    /// Refuse to go on without protection (default true): AUTH refused ends the session before `USER` is sent in
    /// clear, and a refused PBSZ/PROT fails the login.
    pub require: bool,
}

impl Default for TlsPolicy {
    fn default() -> Self {
        TlsPolicy { mode: TlsMode::Off, auth_ssl: false, protect_data: true, require: true }
    }
}

/// What the shell tells of a finished TLS handshake (for the trace).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsInfo {
    /// The protocol version (`TLSv1_3`).
    pub version: String,
    /// The cipher suite.
    pub cipher: String,
    /// The handshake resumed an earlier session (for a data connection: the control connection's).
    pub resumed: bool,
}

/// The driver's settings: the session's, and the client rules the session leaves open.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// The session's settings (its `peer` is the control connection's remote address).
    pub session: Config,
    /// The control connection's local address: active mode listens on its IP.
    pub local: SocketAddr,
    /// Waiting for any reply on the control connection (default 30 s). When it runs out the session is closed.
    pub reply_timeout: Duration,
    /// Connecting a data connection, and waiting for the server's in active mode (default 30 s).
    pub data_timeout: Duration,
    /// Passive (default) or active.
    pub mode: ClientMode,
    /// Passive mode tries EPSV first, falling back to PASV (default true). False: PASV only.
    pub extended_passive: bool,
    /// After a successful login, ask for the features (FEAT; a refusal is no error). Default true.
    pub feat_after_login: bool,
    /// After FEAT, when it lists `UTF8` and the encoding is UTF-8, send `OPTS UTF8 ON` (RFC 2640 §3.2; some
    /// servers, Windows IIS among them, send UTF-8 names only after it). A refusal is no error. Default true.
    pub utf8_on: bool,
    /// After a successful login (and FEAT), set binary type (`TYPE I`). Default true.
    pub binary_after_login: bool,
    /// Emit [`Action::Trace`] lines (default false: no trace work at all).
    pub trace: bool,
    /// FTPS (default off).
    pub tls: TlsPolicy,
}

impl DriverConfig {
    /// Defaults for a control connection from `local` to `peer`.
    pub fn new(peer: SocketAddr, local: SocketAddr) -> DriverConfig {
        DriverConfig {
            session: Config::new(peer),
            local,
            reply_timeout: Duration::from_secs(30),
            data_timeout: Duration::from_secs(30),
            mode: ClientMode::Passive,
            extended_passive: true,
            feat_after_login: true,
            utf8_on: true,
            binary_after_login: true,
            trace: false,
            tls: TlsPolicy::default(),
        }
    }

    /// The same settings with the FTPS policy `tls` (implicit mode also marks the session's control connection
    /// protected from the start).
    #[must_use]
    pub fn with_tls(mut self, tls: TlsPolicy) -> DriverConfig {
        self.session.implicit_tls = tls.mode == TlsMode::Implicit;
        self.tls = tls;
        self
    }

    /// The same settings with names in `encoding` ([`Config::encoding`](crate::session::client::Config::encoding)).
    #[must_use]
    pub fn with_encoding(mut self, encoding: TextEncoding) -> DriverConfig {
        self.session.encoding = encoding;
        self
    }
}

/// One client call. Each ends with exactly one [`Action::Done`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Call {
    /// Log in (then FEAT and `TYPE I`, as configured). Ends with [`Outcome::LoggedIn`].
    Login {
        /// User name.
        user: String,
        /// Password (masked in traces).
        password: String,
        /// Account, sent when the server asks (332).
        account: Option<String>,
    },
    /// FEAT. Ends with [`Outcome::Features`].
    Feat,
    /// `TYPE`. Ends with [`Outcome::Done`].
    Type(TransferType),
    /// `PWD`. Ends with [`Outcome::Path`].
    Pwd,
    /// `CWD`. Ends with [`Outcome::Done`].
    Cwd(String),
    /// `CDUP`. Ends with [`Outcome::Done`].
    Cdup,
    /// `MKD`. Ends with [`Outcome::Path`] (the `257` path) or [`Outcome::Done`] (no readable path).
    Mkd(String),
    /// `RMD`. Ends with [`Outcome::Done`].
    Rmd(String),
    /// `DELE`. Ends with [`Outcome::Done`].
    Dele(String),
    /// `RNFR` + `RNTO`. Ends with [`Outcome::Done`].
    Rename {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// `SIZE`. Ends with [`Outcome::Size`].
    Size(String),
    /// `MDTM`. Ends with [`Outcome::Modified`].
    Mdtm(String),
    /// `HASH <path>` (draft-bryan-ftpext-hash). Ends with [`Outcome::Hash`] on `213`; a reply that does not read
    /// as one is [`DriverError::BadHash`].
    Hash(String),
    /// `OPTS HASH <algorithm>`: the algorithm later `HASH` commands use. Ends with [`Outcome::Done`] on a `2xx`,
    /// [`DriverError::Refused`] otherwise.
    OptsHash(HashAlgorithm),
    /// `NOOP`. Ends with [`Outcome::Done`].
    Noop,
    /// `SITE <text>`. Ends with [`Outcome::Done`].
    Site(String),
    /// A raw command line (no line end): parsed, checked for injection, sent. Ends with [`Outcome::Reply`] whatever
    /// the final code (a 1xx is waited past).
    Raw(String),
    /// `QUIT`. Ends with [`Outcome::Quit`] on `221` or when the server closes the connection.
    Quit,
    /// Set up a transfer: the data connection (passive or active) and the transfer command. Ends with
    /// [`Outcome::DataReady`] once data may flow over the shell's data connection.
    Open {
        /// What to transfer.
        kind: TransferKind,
        /// `REST` offset sent before the command.
        rest: Option<u64>,
    },
    /// The open transfer's data ended as `end` says; ends with [`Outcome::Transferred`] (the final `226`).
    Finish {
        /// How the data ended.
        end: DataEnd,
    },
    /// Abort the open transfer: `ABOR`, then the data connection is reset. Ends with [`Outcome::Aborted`].
    Abort,
    /// `CCC`: the control connection goes back to clear text ([`Action::StopTls`]), then one clear `NOOP`
    /// resynchronises any FTP helper on the path (Linux's conntrack helper reads only segments that start after a
    /// newline it saw) before a `PORT`/`EPRT` can go out. Ends with [`Outcome::Done`] (CCC's reply).
    Ccc,
    /// `AUTH TLS` (`AUTH SSL` with [`TlsPolicy::auth_ssl`]) on its own, then the shell's handshake
    /// ([`Action::StartTls`]). Ends with [`Outcome::Done`] (the `234`) once TLS runs on the control connection. For
    /// [`TlsMode::Manual`]; in the other modes a login does it. Refused before anything is sent with
    /// [`TlsMode::Off`] (the shell has no TLS configuration) or when TLS already runs.
    Auth,
    /// `PBSZ 0` (RFC 4217 §8). Ends with [`Outcome::Done`]. Needs TLS on the control connection.
    Pbsz,
    /// `PROT C` or `PROT P`: the data connections from now on are clear or protected (RFC 4217 §9). Ends with
    /// [`Outcome::Done`]. Needs `PBSZ` first (RFC 2228).
    Prot(ProtectionLevel),
}

/// How a transfer's data ended, told with [`Call::Finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataEnd {
    /// Download: the server closed its side after the last byte.
    Eof,
    /// Upload: the client sent everything and closed its side.
    Closed,
}

/// What a call gave.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The greeting (the driver's first call, started by [`ClientDriver::new`]).
    Greeting(Reply),
    /// The login (with its FEAT and TYPE) succeeded.
    LoggedIn(Reply),
    /// FEAT answered; the features are kept by the session.
    Features,
    /// A request with nothing more to report succeeded; the final reply.
    Done(Reply),
    /// A `257` path (PWD, MKD).
    Path(String),
    /// SIZE.
    Size(u64),
    /// MDTM (UTC).
    Modified(DateTime),
    /// HASH's `213`, parsed.
    Hash(HashReply),
    /// A raw command's final reply, whatever its code.
    Reply(Reply),
    /// QUIT answered (or the server closed the connection).
    Quit,
    /// The transfer's data may flow now over the shell's data connection.
    DataReady,
    /// The transfer completed; the final reply.
    Transferred(Reply),
    /// The transfer was aborted; ABOR's reply when there was one.
    Aborted(Option<Reply>),
}

/// Why a call failed. Shells add their own IO errors beside these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// No answer in time; the session is closed.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The server refused the request.
    #[error("server refused: {} {}", .0.code, .0.text())]
    Refused(Reply),
    /// HASH's `213` did not read as a hash reply.
    #[error("bad HASH reply: {0}")]
    BadHash(#[from] HashReplyError),
    /// The login was refused.
    #[error("login refused: {} {}", .0.code, .0.text())]
    LoginFailed(Reply),
    /// A transfer failed.
    #[error("transfer failed ({failure:?}){}", reply.as_ref().map(|r| format!(": {} {}", r.code, r.text())).unwrap_or_default())]
    Transfer {
        /// Why.
        failure: TransferFailure,
        /// The server's reply, when one said so.
        reply: Option<Reply>,
    },
    /// The server broke the protocol, or the call was not possible in the session's state.
    #[error("protocol: {0}")]
    Protocol(#[from] SessionError),
    /// The control connection is closed.
    #[error("connection closed ({0:?})")]
    Closed(CloseReason),
    /// TLS is required and the server refused it (AUTH, PBSZ or PROT); with AUTH refused the session is closed
    /// and nothing was sent in clear after it.
    #[error("TLS required, but the server refused: {} {}", .0.code, .0.text())]
    TlsRefused(Reply),
    /// The TLS handshake on the control connection failed; the session is closed.
    #[error("TLS handshake failed: {reason}")]
    Tls {
        /// The shell's reason.
        reason: String,
        /// The server's certificate could not be verified.
        certificate: bool,
    },
    /// A call was started while another is in progress.
    #[error("a call is already in progress")]
    Busy,
    /// A name of the call does not fit the connection's encoding; nothing was sent.
    #[error("encoding: {0}")]
    Encoding(#[from] EncodingError),
}

impl DriverError {
    /// The stable class of the error (for bindings).
    pub fn kind(&self) -> ErrorKind {
        match self {
            DriverError::Timeout(_) | DriverError::Transfer { .. } => ErrorKind::Incomplete,
            DriverError::Refused(_) | DriverError::LoginFailed(_) | DriverError::TlsRefused(_) => ErrorKind::Refused,
            DriverError::BadHash(e) => e.kind(),
            DriverError::Tls { certificate: true, .. } => ErrorKind::Refused,
            DriverError::Tls { .. } => ErrorKind::Closed,
            DriverError::Protocol(e) => e.kind(),
            DriverError::Closed(_) => ErrorKind::Closed,
            DriverError::Busy => ErrorKind::InvalidState,
            DriverError::Encoding(e) => e.kind(),
        }
    }
}

/// One line of the control exchange, for tracing (`ftp -d` style), or a data connection being set up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TraceLine {
    /// A command sent, without its line end (`PASS` arguments are masked as `XXXX`).
    Sent(String),
    /// A reply line received, without its line end. A line split across reads is reported once, whole.
    Received(String),
    /// A data connection was established: its client-side (`local`) and server-side (`remote`) addresses. In
    /// active mode `remote` is where the server connected from; in passive mode `local` is the port the client
    /// connected from. Comes between the control lines, in the order things happened.
    Data {
        /// The client's end of the data connection.
        local: SocketAddr,
        /// The server's end of the data connection.
        remote: SocketAddr,
    },
    /// A TLS handshake finished: on the control connection (`data` false) or on a data connection.
    Tls {
        /// A data connection's handshake.
        data: bool,
        /// What the shell reported.
        info: TlsInfo,
    },
    /// TLS on the control connection was closed (CCC).
    TlsClosed,
}

impl TraceLine {
    /// A TLS step as one trace line (`TLS data connection: TLSv1_3, TLS13_AES_256_GCM_SHA384, resumed: yes`);
    /// `None` for the other lines.
    pub fn tls_text(&self) -> Option<String> {
        match self {
            TraceLine::Tls { data, info } => Some(format!(
                "TLS {}: {}, {}, resumed: {}",
                if *data { "data connection" } else { "control connection" },
                info.version,
                info.cipher,
                if info.resumed { "yes" } else { "no" }
            )),
            TraceLine::TlsClosed => Some("TLS control connection: closed (CCC)".to_owned()),
            _ => None,
        }
    }
}

/// How loud a [`Action::Log`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogLevel {
    /// Worth telling an operator (a 227 address replaced, a foreign data connection refused).
    Info,
    /// Detail (an event of another request passed over).
    Debug,
}

/// What the shell must do. See the [module docs](self) for the order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Write these bytes to the control connection.
    Send(Vec<u8>),
    /// Passive: connect a data connection to `addr` within `timeout`, then report [`ClientDriver::handle_connected`]
    /// or [`ClientDriver::handle_connect_failed`].
    Connect {
        /// Where to connect (the NAT policy already applied).
        addr: SocketAddr,
        /// How long the connect may take.
        timeout: Duration,
        /// The data connection will be protected: an [`Action::SecureData`] follows once the server has answered
        /// the transfer command.
        protected: bool,
    },
    /// Active: bind a listener on `ip`, port 0, then report [`ClientDriver::handle_listening`] (its address) or
    /// [`ClientDriver::handle_listen_failed`]. Accept on it while [`ClientDriver::wants_accept`] is true.
    Listen {
        /// The control connection's local IP.
        ip: IpAddr,
        /// Accepted connections will be protected (the client is the TLS client on them too, RFC 4217 §7): an
        /// [`Action::SecureData`] follows.
        protected: bool,
    },
    /// Start TLS on the control connection (this side is the TLS client), then report
    /// [`ClientDriver::handle_tls_started`] or [`ClientDriver::handle_tls_failed`]. Nothing else is sent meanwhile.
    StartTls,
    /// End TLS on the control connection (CCC): send `close_notify`, read up to the server's, keep the TCP
    /// connection; then report [`ClientDriver::handle_tls_stopped`].
    StopTls,
    /// Run the TLS handshake on the data connection the shell holds, resuming the control connection's TLS
    /// session, then report [`ClientDriver::handle_data_secured`].
    SecureData,
    /// Active: the listener is no longer needed; drop it.
    StopListening,
    /// Drop the data connection the shell holds (the transfer failed, or an accepted connection was refused).
    /// `reset`: set linger 0 first, so the server sees a reset and cannot take cut-off data for a whole file.
    CloseData {
        /// Reset rather than close.
        reset: bool,
    },
    /// A trace line (only with [`DriverConfig::trace`]).
    Trace(TraceLine),
    /// A message for the shell's log.
    Log {
        /// How loud.
        level: LogLevel,
        /// What happened.
        message: String,
    },
    /// The call ended; always the last action of its call.
    Done(Result<Outcome, DriverError>),
}

/// What the driver says of an accepted data connection ([`ClientDriver::handle_accepted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AcceptVerdict {
    /// Keep it as the transfer's data connection (and stop accepting).
    Use,
    /// Drop it and accept again.
    Refuse,
}

// ---------------------------------------------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------------------------------------------

/// What the call in progress waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wait {
    /// No call in progress.
    Nothing,
    /// The greeting.
    Greeting,
    /// The final event of a simple request.
    Request(RequestId, Expect),
    /// A login, then its FEAT and TYPE.
    Login(RequestId, LoginStep),
    /// Active mode: the shell's listener address, before the transfer is asked for.
    Listen { kind: TransferKind, rest: Option<u64> },
    /// `DataReady` of a transfer.
    DataReady(RequestId),
    /// The final event of the open transfer.
    Transferred(RequestId),
    /// `Aborted`.
    Aborted(RequestId),
    /// The shell's data-connection handshake, before `DataReady`.
    DataTls(RequestId),
    /// CCC: the shell's closing of TLS on the control connection.
    ClearControl(RequestId),
    /// CCC: the clear `NOOP` sent right after TLS closed, so that an FTP helper on the path (Linux's conntrack
    /// helper parses only segments that start after a newline it saw, and TLS gave it none) is back in line
    /// before a command that carries an address (`PORT`/`EPRT`) goes out.
    Resync(RequestId),
    /// [`Call::Auth`]: the shell's handshake on the control connection after the `234`.
    SecureControl(RequestId),
}

/// Which success events answer a simple request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Done,
    Path,
    PathOrDone,
    Size,
    Modified,
    /// HASH: a `213` parsed as [`HashReply`], anything else refused.
    Hash,
    /// A raw command that must end on `2xx`.
    Completion,
    Features,
    Reply,
    Quit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoginStep {
    /// `AUTH TLS` (explicit FTPS).
    Auth,
    /// The shell's handshake on the control connection.
    Handshake,
    User,
    Pbsz,
    Prot,
    Feat,
    /// `OPTS UTF8 ON`.
    Utf8,
    Type,
}

/// A login's fields, kept while AUTH and the handshake run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Credentials {
    user: String,
    password: String,
    account: Option<String>,
}

/// The transfer open at the shell, between `Open` and `Finish`/`Abort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OpenTransfer {
    id: RequestId,
    /// The session asked for the server's connection (`AcceptData`).
    accept_wanted: bool,
    /// The shell holds a data connection (connected or accepted).
    held: Option<Held>,
}

/// A data connection the shell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    /// Where an accepted connection came from (`None` for a passive connection).
    from: Option<SocketAddr>,
    /// The session has been told of it.
    reported: bool,
    /// Both ends, for the trace once the session takes it.
    ends: Option<(SocketAddr, SocketAddr)>,
}

/// The one client driver. See the [module docs](self).
#[derive(Debug)]
pub struct ClientDriver {
    session: ClientSession,
    config: DriverConfig,
    wait: Wait,
    /// The login reply, kept while FEAT and TYPE run.
    login_reply: Option<Reply>,
    transfer: Option<OpenTransfer>,
    listening: bool,
    deadline: Option<Instant>,
    /// What the deadline waits for, for the timeout error.
    waiting_for: &'static str,
    actions: VecDeque<Action>,
    done: Option<Result<Outcome, DriverError>>,
    trace: TraceBuf,
    /// The login's fields while AUTH runs.
    credentials: Option<Credentials>,
    /// CCC's (or a lone AUTH's) reply, while the shell closes (or starts) TLS.
    tls_reply: Option<Reply>,
}

impl ClientDriver {
    /// A driver on a freshly connected control connection; its first call, waiting for the greeting, is in
    /// progress (it ends with [`Outcome::Greeting`] or an error).
    pub fn new(config: DriverConfig, now: Instant) -> ClientDriver {
        let encoding = config.session.encoding;
        let mut d = ClientDriver {
            session: ClientSession::new(config.session.clone()),
            config,
            wait: Wait::Greeting,
            login_reply: None,
            transfer: None,
            listening: false,
            deadline: None,
            waiting_for: "a reply",
            actions: VecDeque::new(),
            done: None,
            trace: TraceBuf { encoding, ..TraceBuf::default() },
            credentials: None,
            tls_reply: None,
        };
        d.await_reply(now, "a reply");
        d
    }

    // ---- outputs ----

    /// The next action, or `None` when the shell must wait (on the control connection, and on the listener while
    /// [`wants_accept`](Self::wants_accept)). [`Action::Done`] comes last, once all other actions are out.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front().or_else(|| self.done.take().map(Action::Done))
    }

    /// Until when the shell may wait before calling [`handle_timeout`](Self::handle_timeout); `None` when nothing
    /// is awaited from the network.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// True while a call is in progress (its `Done` not yet taken).
    pub fn is_busy(&self) -> bool {
        self.wait != Wait::Nothing || self.done.is_some()
    }

    /// True while the shell should accept on its listener: active mode, no data connection held.
    pub fn wants_accept(&self) -> bool {
        self.listening && self.transfer.is_some_and(|t| t.held.is_none())
    }

    /// The session, for its features and state.
    pub fn session(&self) -> &ClientSession {
        &self.session
    }

    /// The configuration.
    pub fn config(&self) -> &DriverConfig {
        &self.config
    }

    /// Changes passive/active mode for the next transfers.
    pub fn set_mode(&mut self, mode: ClientMode) {
        self.config.mode = mode;
    }

    /// The listing command for `path`: MLSD when the server's FEAT lists it, LIST otherwise. Parse what it
    /// transferred with [`parse_entries`].
    pub fn listing_command(&self, path: Option<&str>) -> TransferKind {
        let path = path.map(str::to_owned);
        if self.session.features().is_some_and(|f| f.supports_mlsd()) {
            TransferKind::Mlsd(path)
        } else {
            TransferKind::List(path)
        }
    }

    /// The connection's encoding of names ([`Config::encoding`](crate::session::client::Config::encoding)).
    pub fn encoding(&self) -> TextEncoding {
        self.session.config().encoding
    }

    /// Checks that every text `call` puts on the wire fits the connection's encoding.
    fn check_names(&self, call: &Call) -> Result<(), EncodingError> {
        let encoding = self.encoding();
        let texts: [Option<&str>; 3] = match call {
            Call::Login { user, password, account } => [Some(user), Some(password), account.as_deref()],
            Call::Cwd(p)
            | Call::Mkd(p)
            | Call::Rmd(p)
            | Call::Dele(p)
            | Call::Size(p)
            | Call::Mdtm(p)
            | Call::Hash(p) => [Some(p), None, None],
            Call::Site(t) | Call::Raw(t) => [Some(t), None, None],
            Call::Rename { from, to } => [Some(from), Some(to), None],
            Call::Open { kind, .. } => [kind.path(), None, None],
            _ => [None; 3],
        };
        texts.into_iter().flatten().try_for_each(|t| encoding.check(t))
    }

    // ---- inputs ----

    /// Starts a call. Drain [`poll_action`](Self::poll_action) afterwards.
    ///
    /// # Errors
    /// [`DriverError::Busy`] while another call is in progress (nothing changes). Every other failure comes as the
    /// call's [`Action::Done`].
    pub fn start(&mut self, call: Call, now: Instant) -> Result<(), DriverError> {
        if self.is_busy() {
            return Err(DriverError::Busy);
        }
        if let Err(e) = self.check_names(&call) {
            self.finish(Err(e.into()));
            return Ok(());
        }
        let asked = match call {
            Call::Login { user, password, account } => {
                if self.config.tls.mode == TlsMode::Explicit && !self.session.control_protected() {
                    // Nothing of the login goes out before TLS runs.
                    self.credentials = Some(Credentials { user, password, account });
                    let mechanism = if self.config.tls.auth_ssl { "SSL" } else { "TLS" };
                    self.session.auth(mechanism).map(|id| Wait::Login(id, LoginStep::Auth))
                } else {
                    self.session.login(&user, &password, account.as_deref()).map(|id| Wait::Login(id, LoginStep::User))
                }
            }
            Call::Ccc => self.session.ccc().map(|id| Wait::Request(id, Expect::Done)),
            Call::Auth if self.config.tls.mode == TlsMode::Off => {
                Err(SessionError::InvalidState { what: "AUTH", why: "FTPS is off (TlsMode::Off): no TLS to start" })
            }
            Call::Auth => {
                let mechanism = if self.config.tls.auth_ssl { "SSL" } else { "TLS" };
                self.session.auth(mechanism).map(|id| Wait::Request(id, Expect::Done))
            }
            Call::Pbsz => self.session.pbsz().map(|id| Wait::Request(id, Expect::Done)),
            Call::Prot(level) => self.session.prot(level).map(|id| Wait::Request(id, Expect::Done)),
            Call::Feat => self.session.feat().map(|id| Wait::Request(id, Expect::Features)),
            Call::Type(t) => self.session.type_(t).map(|id| Wait::Request(id, Expect::Done)),
            Call::Pwd => self.session.pwd().map(|id| Wait::Request(id, Expect::Path)),
            Call::Cwd(p) => self.session.cwd(&p).map(|id| Wait::Request(id, Expect::Done)),
            Call::Cdup => self.session.cdup().map(|id| Wait::Request(id, Expect::Done)),
            Call::Mkd(p) => self.session.mkd(&p).map(|id| Wait::Request(id, Expect::PathOrDone)),
            Call::Rmd(p) => self.session.rmd(&p).map(|id| Wait::Request(id, Expect::Done)),
            Call::Dele(p) => self.session.dele(&p).map(|id| Wait::Request(id, Expect::Done)),
            Call::Rename { from, to } => self.session.rename(&from, &to).map(|id| Wait::Request(id, Expect::Done)),
            Call::Size(p) => self.session.size(&p).map(|id| Wait::Request(id, Expect::Size)),
            Call::Mdtm(p) => self.session.mdtm(&p).map(|id| Wait::Request(id, Expect::Modified)),
            Call::Hash(p) => self.session.command(Command::Hash(p.into())).map(|id| Wait::Request(id, Expect::Hash)),
            Call::OptsHash(a) => {
                let opts = Command::Opts(format!("HASH {}", a.name()).into());
                self.session.command(opts).map(|id| Wait::Request(id, Expect::Completion))
            }
            Call::Noop => self.session.noop().map(|id| Wait::Request(id, Expect::Done)),
            Call::Site(t) => self.session.site(&t).map(|id| Wait::Request(id, Expect::Done)),
            Call::Raw(line) => match Command::parse(&line) {
                Ok(cmd) => self.session.command(cmd).map(|id| Wait::Request(id, Expect::Reply)),
                Err(e) => Err(SessionError::Command(e)),
            },
            Call::Quit => self.session.quit().map(|id| Wait::Request(id, Expect::Quit)),
            Call::Open { kind, rest } => match self.config.mode {
                ClientMode::Active => {
                    let protected = self.session.data_protected();
                    self.actions.push_back(Action::Listen { ip: self.config.local.ip(), protected });
                    Ok(Wait::Listen { kind, rest })
                }
                ClientMode::Passive => {
                    let mode = if self.config.extended_passive { DataMode::Passive } else { DataMode::Pasv };
                    self.ask_transfer(kind, rest, mode)
                }
            },
            Call::Finish { end } => match self.transfer {
                Some(t) => {
                    let fact = match end {
                        DataEnd::Eof => DataEvent::Eof,
                        DataEnd::Closed => DataEvent::Closed,
                    };
                    self.session.handle_data(t.id, fact).map(|()| Wait::Transferred(t.id))
                }
                None => Err(no_transfer("finish")),
            },
            Call::Abort => match self.transfer {
                Some(_) => self.session.abort().map(Wait::Aborted),
                None => Err(no_transfer("abort")),
            },
        };
        match asked {
            Ok(Wait::Listen { kind, rest }) => self.wait = Wait::Listen { kind, rest },
            Ok(wait) => {
                let aborting = matches!(wait, Wait::Aborted(_));
                self.wait = wait;
                self.pump(now);
                if aborting {
                    // ABOR is queued above; only then is the data connection reset.
                    self.close_data(true);
                }
            }
            Err(e) => self.finish(Err(e.into())),
        }
        Ok(())
    }

    /// Bytes read from the control connection. Drain the actions afterwards.
    pub fn handle_control(&mut self, now: Instant, bytes: &[u8]) {
        if self.config.trace {
            for line in self.trace.feed(false, bytes) {
                self.actions.push_back(Action::Trace(line));
            }
        }
        let verdict = self.session.handle_input(bytes);
        match verdict {
            Ok(()) => {}
            Err(e @ SessionError::Decode(_)) => {
                // Bytes that cannot be framed as replies: nothing on this connection can be trusted any more.
                self.fail(DriverError::Protocol(e));
                self.session.handle_close();
                self.pump(now);
                return;
            }
            // A reply whose payload cannot be read (a 257 path not in the encoding, a SIZE that is no number):
            // the call fails with that reason, not as a refusal (the failure event that follows is ignored).
            Err(e @ SessionError::BadPayload { .. }) if self.awaited().is_some() => self.fail(DriverError::Protocol(e)),
            // A reply that makes no sense already failed its request through an event.
            Err(e) => self.log(LogLevel::Debug, format!("reply refused by the session: {e}")),
        }
        self.pump(now);
    }

    /// The control connection reached its end (or failed). Drain the actions afterwards.
    pub fn handle_control_closed(&mut self, now: Instant) {
        if self.config.trace {
            for line in self.trace.flush() {
                self.actions.push_back(Action::Trace(line));
            }
        }
        self.session.handle_close();
        self.pump(now);
    }

    /// The shell gives up on the session (a write to the control connection failed): it is closed, and the call in
    /// progress, if any, ends with [`DriverError::Closed`].
    pub fn close(&mut self, now: Instant) {
        self.session.handle_close();
        self.pump(now);
    }

    /// Passive: the data connection asked for by [`Action::Connect`] is up; `local` and `remote` are its ends
    /// (for the trace, when the shell knows them).
    pub fn handle_connected(&mut self, now: Instant, local: Option<SocketAddr>, remote: Option<SocketAddr>) {
        let Some(t) = self.transfer.as_mut() else { return };
        t.held = Some(Held { from: None, reported: true, ends: None });
        let id = t.id;
        if let (Some(l), Some(r)) = (local, remote) {
            self.trace_line(TraceLine::Data { local: l, remote: r });
        }
        self.tell_session(now, id, DataEvent::Connected);
    }

    /// Passive: the connect asked for by [`Action::Connect`] failed.
    pub fn handle_connect_failed(&mut self, now: Instant, reason: String) {
        let Some(t) = self.transfer else { return };
        self.tell_session(now, t.id, DataEvent::Failed { reason });
    }

    /// Active: the listener asked for by [`Action::Listen`] is bound to `addr`; the transfer is asked for now.
    pub fn handle_listening(&mut self, now: Instant, addr: SocketAddr) {
        let Wait::Listen { kind, rest } = std::mem::replace(&mut self.wait, Wait::Nothing) else { return };
        self.listening = true;
        match self.ask_transfer(kind, rest, DataMode::Active(addr)) {
            Ok(wait) => {
                self.wait = wait;
                self.pump(now);
            }
            Err(e) => {
                self.stop_listening();
                self.finish(Err(e.into()));
            }
        }
    }

    /// Active: binding the listener failed; the call fails with the session unchanged.
    pub fn handle_listen_failed(&mut self, _now: Instant, reason: String) {
        if matches!(self.wait, Wait::Listen { .. }) {
            self.wait = Wait::Nothing;
            self.finish(Err(DriverError::Transfer {
                failure: TransferFailure::DataConnection(format!("cannot listen: {reason}")),
                reply: None,
            }));
        }
    }

    /// Active: the listener accepted a connection from `from` (`local` is its local end). The verdict says whether
    /// to keep it as the data connection. A connection that comes before the session asks for it is kept and
    /// offered to the session when it does (some servers connect as soon as `PORT` arrives).
    pub fn handle_accepted(&mut self, now: Instant, from: SocketAddr, local: Option<SocketAddr>) -> AcceptVerdict {
        let Some(t) = self.transfer.as_mut().filter(|t| t.held.is_none()) else { return AcceptVerdict::Refuse };
        t.held = Some(Held { from: Some(from), reported: false, ends: local.map(|l| (l, from)) });
        if t.accept_wanted && !self.offer_held(now, false) {
            return AcceptVerdict::Refuse;
        }
        AcceptVerdict::Use
    }

    /// The TLS handshake on the control connection asked for by [`Action::StartTls`] is complete (also called,
    /// for the trace, after the shell's implicit-TLS handshake before the greeting).
    pub fn handle_tls_started(&mut self, now: Instant, info: TlsInfo) {
        self.trace_line(TraceLine::Tls { data: false, info });
        match self.wait {
            Wait::Login(_, LoginStep::Handshake) => {
                if let Err(e) = self.session.tls_done() {
                    self.fail(e.into());
                    return;
                }
                self.login_after_tls(now);
            }
            Wait::SecureControl(_) => {
                match (self.session.tls_done(), self.tls_reply.take()) {
                    (Ok(()), Some(reply)) => self.finish(Ok(Outcome::Done(reply))),
                    (Ok(()), None) => self.finish(Err(DriverError::Busy)),
                    (Err(e), _) => self.fail(e.into()),
                }
                self.pump(now);
            }
            _ => {}
        }
    }

    /// The TLS handshake on the control connection failed (`certificate`: the server's certificate could not be
    /// verified): the session is closed; the call fails with [`DriverError::Tls`].
    pub fn handle_tls_failed(&mut self, now: Instant, reason: String, certificate: bool) {
        self.credentials = None;
        self.fail(DriverError::Tls { reason, certificate });
        self.session.handle_close();
        self.pump(now);
    }

    /// CCC: TLS on the control connection is closed ([`Action::StopTls`] done); the resync `NOOP` goes out, and
    /// the call ends with CCC's reply once it is answered.
    pub fn handle_tls_stopped(&mut self, now: Instant) {
        if let Wait::ClearControl(_) = self.wait {
            self.trace_line(TraceLine::TlsClosed);
            match (self.session.tls_done(), self.tls_reply.is_some()) {
                (Ok(()), true) => match self.session.noop() {
                    Ok(id) => {
                        self.wait = Wait::Resync(id);
                        self.await_reply(now, "the reply to NOOP after CCC");
                    }
                    Err(e) => self.fail(e.into()),
                },
                (Ok(()), false) => self.finish(Err(DriverError::Busy)),
                (Err(e), _) => self.fail(e.into()),
            }
            self.pump(now);
        }
    }

    /// The data connection's TLS handshake asked for by [`Action::SecureData`] finished (`Ok`, with what it
    /// was) or failed (`Err`, the reason: the transfer fails with the server's reply, often `522`/`425`).
    pub fn handle_data_secured(&mut self, now: Instant, result: Result<TlsInfo, String>) {
        let Wait::DataTls(id) = self.wait else { return };
        match result {
            Ok(info) => {
                self.trace_line(TraceLine::Tls { data: true, info });
                self.finish(Ok(Outcome::DataReady));
            }
            Err(reason) => {
                self.log(LogLevel::Info, format!("data connection TLS handshake failed: {reason}"));
                self.wait = Wait::Transferred(id);
                self.close_data(true);
                self.tell_session(now, id, DataEvent::Failed { reason });
            }
        }
    }

    /// The deadline from [`poll_timeout`](Self::poll_timeout) may have passed. Harmless before it.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(deadline) = self.deadline else { return };
        if now < deadline {
            return;
        }
        let what = self.waiting_for;
        // Replies can no longer be matched to requests: the session is over.
        self.session.handle_close();
        while self.session.poll_event().is_some() {}
        let _ = self.session.poll_transmit();
        self.fail(DriverError::Timeout(what));
    }

    // ---- internals ----

    fn ask_transfer(&mut self, kind: TransferKind, rest: Option<u64>, mode: DataMode) -> Result<Wait, SessionError> {
        let mut transfer = Transfer::new(kind, mode);
        if let Some(r) = rest {
            transfer = transfer.restart_at(r);
        }
        let id = self.session.transfer(transfer)?;
        self.transfer = Some(OpenTransfer { id, accept_wanted: false, held: None });
        Ok(Wait::DataReady(id))
    }

    /// Tells the session a data fact, then handles what follows.
    fn tell_session(&mut self, now: Instant, id: RequestId, fact: DataEvent) {
        if let Err(e) = self.session.handle_data(id, fact) {
            self.log(LogLevel::Debug, format!("data fact refused by the session: {e}"));
        }
        self.pump(now);
    }

    /// Reports a held, unreported accepted connection to the session; false when the session refused it (then
    /// it is forgotten, and with `shell_holds` the shell is told to drop it).
    fn offer_held(&mut self, now: Instant, shell_holds: bool) -> bool {
        let Some(t) = self.transfer else { return true };
        let Some(held) = t.held.filter(|h| !h.reported) else { return true };
        let Some(from) = held.from else { return true };
        let taken = match self.session.handle_data(t.id, DataEvent::Accepted { from }) {
            Ok(()) => {
                if let Some(t) = self.transfer.as_mut() {
                    t.held = Some(Held { reported: true, ..held });
                }
                if let Some((local, remote)) = held.ends {
                    self.trace_line(TraceLine::Data { local, remote });
                }
                true
            }
            Err(e) => {
                self.log(LogLevel::Info, format!("data connection from {from} refused: {e}"));
                if let Some(t) = self.transfer.as_mut() {
                    t.held = None;
                }
                if shell_holds {
                    self.actions.push_back(Action::CloseData { reset: false });
                }
                false
            }
        };
        self.pump(now);
        taken
    }

    /// Moves the session's output into actions and acts on its events.
    fn pump(&mut self, now: Instant) {
        loop {
            if let Some(bytes) = self.session.poll_transmit() {
                if self.config.trace {
                    for line in self.trace.feed(true, &bytes) {
                        self.actions.push_back(Action::Trace(line));
                    }
                }
                self.actions.push_back(Action::Send(bytes));
                continue;
            }
            let Some(event) = self.session.poll_event() else { break };
            self.on_event(now, event);
        }
        self.arm(now);
    }

    /// Sets the deadline for what the call waits for now.
    fn arm(&mut self, now: Instant) {
        match &self.wait {
            Wait::Nothing | Wait::Listen { .. } => self.deadline = None,
            Wait::DataReady(_) if self.wants_accept() && self.transfer.is_some_and(|t| t.accept_wanted) => {
                self.deadline = Some(now + self.config.data_timeout);
                self.waiting_for = "the server's data connection";
            }
            _ => self.await_reply(now, "a reply"),
        }
    }

    fn await_reply(&mut self, now: Instant, what: &'static str) {
        self.deadline = Some(now + self.config.reply_timeout);
        self.waiting_for = what;
    }

    fn on_event(&mut self, now: Instant, event: Event) {
        let awaited = self.awaited();
        match event {
            Event::Greeting { reply } => {
                if self.wait == Wait::Greeting {
                    self.finish(Ok(Outcome::Greeting(reply)));
                }
            }
            Event::ConnectData { id, addr, nat } => {
                if let Some(n) = nat {
                    self.log(
                        LogLevel::Info,
                        format!("227 address {} replaced by {} ({:?})", n.announced, n.used, n.reason),
                    );
                }
                if self.transfer.is_some_and(|t| t.id == id) {
                    let protected = self.session.data_protected();
                    self.actions.push_back(Action::Connect { addr, timeout: self.config.data_timeout, protected });
                }
            }
            Event::AcceptData { id, .. } => {
                if let Some(t) = self.transfer.as_mut().filter(|t| t.id == id) {
                    t.accept_wanted = true;
                    self.offer_held(now, true);
                }
            }
            Event::DataReady { id } if self.wait == Wait::DataReady(id) => {
                self.stop_listening();
                if self.session.data_protected() {
                    // The server has answered the transfer command, so it runs its side of the handshake now
                    // (vsftpd starts it only after its 150).
                    self.wait = Wait::DataTls(id);
                    self.actions.push_back(Action::SecureData);
                } else {
                    self.finish(Ok(Outcome::DataReady));
                }
            }
            Event::StartTls { id, reply } if awaited == Some(id) => {
                self.wait = match self.wait {
                    Wait::Login(..) => Wait::Login(id, LoginStep::Handshake),
                    _ => {
                        self.tls_reply = Some(reply);
                        Wait::SecureControl(id)
                    }
                };
                self.actions.push_back(Action::StartTls);
            }
            Event::StopTls { id, reply } if awaited == Some(id) => {
                self.wait = Wait::ClearControl(id);
                self.tls_reply = Some(reply);
                self.actions.push_back(Action::StopTls);
            }
            Event::TransferFailed { id, failure, reply } => {
                if self.transfer.is_some_and(|t| t.id == id) {
                    self.stop_listening();
                    if !matches!(self.wait, Wait::Aborted(_)) {
                        self.close_data(false);
                    }
                    self.transfer = None;
                }
                if awaited == Some(id) {
                    self.finish(Err(DriverError::Transfer { failure, reply }));
                } else {
                    self.log(LogLevel::Debug, format!("transfer {} failed ({failure:?}) while not awaited", id.get()));
                }
            }
            Event::TransferComplete { id, reply } => {
                if self.transfer.is_some_and(|t| t.id == id) {
                    self.transfer = None;
                }
                if awaited == Some(id) {
                    self.finish(Ok(Outcome::Transferred(reply)));
                }
            }
            Event::Aborted { id, reply } if awaited == Some(id) => {
                self.transfer = None;
                self.stop_listening();
                self.finish(Ok(Outcome::Aborted(reply)));
            }
            Event::LoggedIn { id, reply } if awaited == Some(id) => {
                self.login_reply = Some(reply);
                self.login_next(now, LoginStep::User);
            }
            Event::Features { id, .. } if awaited == Some(id) => match self.wait {
                Wait::Login(_, LoginStep::Feat) => self.login_next(now, LoginStep::Feat),
                _ => self.finish(Ok(Outcome::Features)),
            },
            Event::LoginFailed { id, reply } if awaited == Some(id) => {
                self.finish(Err(DriverError::LoginFailed(reply)))
            }
            Event::Failed { id, reply } if awaited == Some(id) => match self.wait {
                // A refused NOOP still crossed in clear: the line is resynchronised all the same.
                Wait::Resync(_) => {
                    self.log(LogLevel::Info, format!("NOOP after CCC refused ({}); going on", reply.code));
                    self.finish_resync();
                }
                // A server without FEAT is no error.
                Wait::Login(_, LoginStep::Feat) => self.login_next(now, LoginStep::Feat),
                Wait::Login(_, LoginStep::Auth) if self.config.tls.require => {
                    // RFC 4217 §4: the client may end the session; USER is never sent in clear.
                    self.credentials = None;
                    self.finish(Err(DriverError::TlsRefused(reply)));
                    self.session.handle_close();
                }
                Wait::Login(_, LoginStep::Auth) => {
                    self.log(LogLevel::Info, format!("AUTH refused ({}); going on in clear", reply.code));
                    self.login_after_tls(now);
                }
                Wait::Login(_, LoginStep::Pbsz | LoginStep::Prot) if self.config.tls.require => {
                    self.finish(Err(DriverError::TlsRefused(reply)))
                }
                Wait::Login(_, LoginStep::Pbsz | LoginStep::Prot) => {
                    self.log(LogLevel::Info, format!("data protection refused ({}); data in clear", reply.code));
                    self.login_next(now, LoginStep::Prot);
                }
                _ => self.finish(Err(DriverError::Refused(reply))),
            },
            Event::Closed { reason, .. } => {
                self.stop_listening();
                if self.transfer.take().is_some_and(|t| t.held.is_some()) {
                    self.actions.push_back(Action::CloseData { reset: false });
                }
                match (&self.wait, &reason) {
                    (Wait::Request(_, Expect::Quit), _) => self.finish(Ok(Outcome::Quit)),
                    (Wait::Nothing, _) => {}
                    _ => self.finish(Err(DriverError::Closed(reason))),
                }
            }
            ev => match (final_value(&ev), &self.wait) {
                (Some((id, _)), Wait::Resync(w)) if *w == id => self.finish_resync(),
                (Some((id, Value::Reply(r))), Wait::Request(w, Expect::Hash)) if *w == id => {
                    self.finish(hash_outcome(r));
                }
                (Some((id, Value::Reply(r))), Wait::Request(w, Expect::Completion)) if *w == id => {
                    self.finish(if r.code.is_completion() {
                        Ok(Outcome::Done(r))
                    } else {
                        Err(DriverError::Refused(r))
                    });
                }
                (Some((id, value)), Wait::Request(w, expect)) if *w == id => {
                    let expect = *expect;
                    match value_for(expect, value) {
                        Some(outcome) => self.finish(Ok(outcome)),
                        None => self.finish(Err(DriverError::Protocol(SessionError::InvalidState {
                            what: "the request's answer",
                            why: "the server's reply did not carry the expected value",
                        }))),
                    }
                }
                (Some((id, Value::Reply(r))), Wait::Login(w, LoginStep::Utf8)) if *w == id => {
                    if !r.code.is_completion() {
                        self.log(LogLevel::Info, format!("OPTS UTF8 ON refused ({}); going on", r.code));
                    }
                    self.login_next(now, LoginStep::Utf8);
                }
                (Some((id, Value::Reply(_))), Wait::Login(w, LoginStep::Type)) if *w == id => {
                    let reply = self.login_reply.take();
                    match reply {
                        Some(r) => self.finish(Ok(Outcome::LoggedIn(r))),
                        None => self.finish(Err(DriverError::Busy)),
                    }
                }
                (Some((id, Value::Reply(_))), Wait::Login(w, step @ (LoginStep::Pbsz | LoginStep::Prot)))
                    if *w == id =>
                {
                    let step = *step;
                    self.login_next(now, step);
                }
                _ => self.log(LogLevel::Debug, format!("event passed over: {ev:?}")),
            },
        }
    }

    /// The login proper (USER ...) after AUTH, its handshake, or its refusal when TLS is not required.
    fn login_after_tls(&mut self, now: Instant) {
        let Some(c) = self.credentials.take() else {
            self.finish(Err(DriverError::Busy));
            return;
        };
        match self.session.login(&c.user, &c.password, c.account.as_deref()) {
            Ok(id) => {
                self.wait = Wait::Login(id, LoginStep::User);
                self.pump(now);
            }
            Err(e) => self.finish(Err(e.into())),
        }
    }

    /// The next step of a login after `done`: PBSZ and PROT (protected data), FEAT, TYPE, as configured.
    fn login_next(&mut self, now: Instant, done: LoginStep) {
        let tls_data = self.config.tls.mode != TlsMode::Manual
            && self.session.control_protected()
            && self.config.tls.protect_data
            && !self.session.data_protected();
        let next = match done {
            LoginStep::User if tls_data => Some(LoginStep::Pbsz),
            LoginStep::Pbsz => Some(LoginStep::Prot),
            LoginStep::User | LoginStep::Prot if self.config.feat_after_login => Some(LoginStep::Feat),
            LoginStep::Feat if self.wants_utf8_on() => Some(LoginStep::Utf8),
            LoginStep::User | LoginStep::Prot | LoginStep::Feat | LoginStep::Utf8 if self.config.binary_after_login => {
                Some(LoginStep::Type)
            }
            _ => None,
        };
        let asked = match next {
            Some(LoginStep::Pbsz) => self.session.pbsz(),
            Some(LoginStep::Prot) => self.session.prot(ProtectionLevel::Private),
            Some(LoginStep::Feat) => self.session.feat(),
            Some(LoginStep::Utf8) => self.session.command(Command::Opts("UTF8 ON".into())),
            Some(LoginStep::Type) => self.session.type_(TransferType::Image),
            _ => {
                let reply = self.login_reply.take();
                match reply {
                    Some(r) => self.finish(Ok(Outcome::LoggedIn(r))),
                    None => self.finish(Err(DriverError::Busy)),
                }
                return;
            }
        };
        match (asked, next) {
            (Ok(id), Some(step)) => {
                self.wait = Wait::Login(id, step);
                self.arm(now);
            }
            (Err(e), _) => self.finish(Err(e.into())),
            (Ok(_), None) => {}
        }
    }

    /// `OPTS UTF8 ON` is due after FEAT: configured, FEAT lists `UTF8`, and names are UTF-8 (a Latin-1 connection
    /// leaves the server in its own encoding).
    fn wants_utf8_on(&self) -> bool {
        self.config.utf8_on
            && self.encoding() == TextEncoding::Utf8
            && self.session.features().is_some_and(|f| f.utf8())
    }

    /// The request whose events end the call in progress.
    fn awaited(&self) -> Option<RequestId> {
        match self.wait {
            Wait::Request(id, _)
            | Wait::Login(id, _)
            | Wait::DataReady(id)
            | Wait::Transferred(id)
            | Wait::Aborted(id)
            | Wait::DataTls(id)
            | Wait::ClearControl(id)
            | Wait::Resync(id)
            | Wait::SecureControl(id) => Some(id),
            Wait::Nothing | Wait::Greeting | Wait::Listen { .. } => None,
        }
    }

    fn close_data(&mut self, reset: bool) {
        if let Some(t) = self.transfer.as_mut() {
            if t.held.take().is_some() || reset {
                self.actions.push_back(Action::CloseData { reset });
            }
        } else if reset {
            self.actions.push_back(Action::CloseData { reset });
        }
    }

    fn stop_listening(&mut self) {
        if std::mem::take(&mut self.listening) {
            self.actions.push_back(Action::StopListening);
        }
    }

    /// Ends the call in progress with an error, dropping whatever data connection or listener it had.
    fn fail(&mut self, e: DriverError) {
        self.stop_listening();
        if self.transfer.take().is_some_and(|t| t.held.is_some()) {
            self.actions.push_back(Action::CloseData { reset: false });
        }
        self.finish(Err(e));
    }

    /// The resync NOOP after CCC was answered: the CCC call ends with CCC's reply.
    fn finish_resync(&mut self) {
        match self.tls_reply.take() {
            Some(reply) => self.finish(Ok(Outcome::Done(reply))),
            None => self.finish(Err(DriverError::Busy)),
        }
    }

    fn finish(&mut self, result: Result<Outcome, DriverError>) {
        if self.done.is_some() {
            return;
        }
        self.wait = Wait::Nothing;
        self.deadline = None;
        self.login_reply = None;
        self.done = Some(result);
    }

    fn log(&mut self, level: LogLevel, message: String) {
        self.actions.push_back(Action::Log { level, message });
    }

    fn trace_line(&mut self, line: TraceLine) {
        if self.config.trace {
            self.actions.push_back(Action::Trace(line));
        }
    }
}

fn no_transfer(what: &'static str) -> SessionError {
    SessionError::InvalidState { what, why: "no transfer is open" }
}

/// The value a success event carries.
#[derive(Debug)]
enum Value {
    Reply(Reply),
    Path(String),
    Size(u64),
    Modified(DateTime),
    Features,
}

/// The request a success event ends, with its value.
fn final_value(ev: &Event) -> Option<(RequestId, Value)> {
    Some(match ev {
        Event::Features { id, .. } => (*id, Value::Features),
        Event::Path { id, path } => (*id, Value::Path(path.clone())),
        Event::Size { id, size } => (*id, Value::Size(*size)),
        Event::Modified { id, time } => (*id, Value::Modified(*time)),
        Event::Done { id, reply } | Event::Reply { id, reply } => (*id, Value::Reply(reply.clone())),
        _ => return None,
    })
}

/// HASH's outcome: a `213` parsed, any other final reply refused.
fn hash_outcome(reply: Reply) -> Result<Outcome, DriverError> {
    if reply.code != Code::FILE_STATUS {
        return Err(DriverError::Refused(reply));
    }
    let last = reply.lines.last().map_or("", String::as_str);
    Ok(Outcome::Hash(HashReply::parse(last)?))
}

/// The outcome a simple request's success event gives, or `None` when it does not carry what was asked for.
fn value_for(expect: Expect, value: Value) -> Option<Outcome> {
    Some(match (expect, value) {
        (Expect::Done, Value::Reply(r)) | (Expect::PathOrDone, Value::Reply(r)) => Outcome::Done(r),
        (Expect::Path | Expect::PathOrDone, Value::Path(p)) => Outcome::Path(p),
        (Expect::Size, Value::Size(s)) => Outcome::Size(s),
        (Expect::Modified, Value::Modified(t)) => Outcome::Modified(t),
        (Expect::Features, Value::Features) => Outcome::Features,
        (Expect::Reply, Value::Reply(r)) => Outcome::Reply(r),
        (Expect::Quit, Value::Reply(_)) => Outcome::Quit,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Listings
// ---------------------------------------------------------------------------------------------------------------

/// Parses a listing payload decoded in `encoding`: MLSD facts when `kind` is MLSD, LIST lines (Unix or DOS) read
/// against `reference` otherwise. Lines no parser understands are returned in the second vector, never dropped —
/// except blank lines and the `total N` line of `ls -l`, which carry no entry.
///
/// # Errors
/// [`EncodingError::Undecodable`] when the payload is not valid in `encoding` (Latin-1 names in UTF-8): the names
/// would not round-trip, so none is returned.
#[allow(clippy::type_complexity)]
pub fn parse_entries(
    kind: &TransferKind,
    data: &[u8],
    reference: Date,
    encoding: TextEncoding,
) -> Result<(Vec<Entry<'static>>, Vec<String>), EncodingError> {
    let text = encoding.decode(data)?;
    let mut entries = Vec::new();
    let mut unparsed = Vec::new();
    if matches!(kind, TransferKind::Mlsd(_)) {
        for line in text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()) {
            match parse_mlsd_line(line) {
                Ok(e) => entries.push(e.into_owned()),
                Err(_) => unparsed.push(line.to_owned()),
            }
        }
    } else {
        for line in parse_listing(&text, reference) {
            match line {
                ListLine::Entry(e) => entries.push(e.into_owned()),
                ListLine::Unparsed(raw) => {
                    if !raw.trim().is_empty() && !raw.starts_with("total ") {
                        unparsed.push(raw.to_string());
                    }
                }
            }
        }
    }
    Ok((entries, unparsed))
}

/// Splits an NLST (or raw LIST) payload, decoded in `encoding`, into its non-empty lines.
///
/// # Errors
/// As [`parse_entries`].
pub fn parse_names(data: &[u8], encoding: TextEncoding) -> Result<Vec<String>, EncodingError> {
    Ok(encoding.decode(data)?.lines().map(|l| l.trim_end_matches('\r').to_owned()).filter(|l| !l.is_empty()).collect())
}

// ---------------------------------------------------------------------------------------------------------------
// Trace lines
// ---------------------------------------------------------------------------------------------------------------

/// The longest partial line kept while waiting for its end; a longer one is reported as it is.
pub const TRACE_LINE_MAX: usize = 64 * 1024;

/// The partial line of each direction, kept until its line end arrives, so a reply split across reads is traced
/// as one line.
#[derive(Debug, Default)]
struct TraceBuf {
    sent: Vec<u8>,
    received: Vec<u8>,
    /// The connection's encoding of names, to show them as sent and received.
    encoding: TextEncoding,
}

impl TraceBuf {
    /// Adds control bytes; returns every line they complete (PASS masked).
    fn feed(&mut self, sent: bool, bytes: &[u8]) -> Vec<TraceLine> {
        let buf = if sent { &mut self.sent } else { &mut self.received };
        buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(end) = buf.get(start..).and_then(|rest| memchr::memchr(b'\n', rest)) {
            out.push(trace_line(sent, buf.get(start..start + end).unwrap_or_default(), self.encoding));
            start += end + 1;
        }
        buf.drain(..start.min(buf.len()));
        if buf.len() > TRACE_LINE_MAX {
            out.push(trace_line(sent, buf, self.encoding));
            buf.clear();
        }
        out
    }

    /// What is left of partial lines (the connection closed before their end).
    fn flush(&mut self) -> Vec<TraceLine> {
        let mut out = Vec::new();
        for (sent, buf) in [(true, &mut self.sent), (false, &mut self.received)] {
            if !buf.is_empty() {
                out.push(trace_line(sent, buf, self.encoding));
                buf.clear();
            }
        }
        out
    }
}

/// One line (without its LF) as a trace line, decoded in `encoding`; a `PASS` argument is masked.
fn trace_line(sent: bool, line: &[u8], encoding: TextEncoding) -> TraceLine {
    let text = encoding.decode_lossy(line);
    let line = text.strip_suffix('\r').unwrap_or(&text);
    if !sent {
        return TraceLine::Received(line.to_owned());
    }
    match line.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("PASS ") => TraceLine::Sent("PASS XXXX".to_owned()),
        _ => TraceLine::Sent(line.to_owned()),
    }
}
