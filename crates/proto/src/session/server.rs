//! The sans-IO FTP server session: command bytes in, reply bytes and requests out.
//!
//! [`ServerSession`] is one control connection. It opens no socket and reads no file or clock: it decodes the
//! client's commands, keeps the session state (login, working directory, data channel, REST/RNFR sequencing),
//! takes every policy decision (login gating, read-only sessions, FTP bounce, privileged ports, the data
//! connection's source address, path escape), writes the replies, and asks its caller to do the IO through
//! [`Request`]s. The caller answers each request with [`ServerSession::complete`].
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
//! [`Event::Close`] came out (after writing the last bytes). A reference loop:
//!
//! ```
//! use ftpkit_proto::session::server::{Event, Outcome, Request, ServerConfig, ServerSession};
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
//!             Request::Authenticate { id, .. } => s.complete(id, Outcome::LoggedIn(Default::default())).unwrap(),
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
//! data channel is gone ([`Event::CloseData`]); the client sends PASV/PORT again for the next transfer.
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
use crate::command::{Command, CommandDecoder, CommandError, EpsvArg, Structure, TransferMode, TransferType};
use crate::feat::Features;
use crate::hostport::{EpsvText, PasvText};
use crate::listing::{DateTime, Entry, EntryKind};
use crate::path::QuotedPath;
use crate::reply::{Code, Reply};
use crate::vpath::VirtualPath;
use crate::ErrorKind;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::ops::RangeInclusive;
use std::time::Duration;

/// Most command lines queued while a request is out; one more gets 421 and the session closes.
pub const MAX_QUEUED_COMMANDS: usize = 64;

// ---------------------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------------------

/// An IPv4 network, `addr/prefix`, for choosing a masquerade address by the client's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Net {
    /// The network address (host bits are ignored).
    pub addr: Ipv4Addr,
    /// The prefix length, 0-32 (over 32 counts as 32).
    pub prefix: u8,
}

impl Ipv4Net {
    /// True when `ip` is inside the network.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let prefix = u32::from(self.prefix.min(32));
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        (u32::from(self.addr) & mask) == (u32::from(ip) & mask)
    }
}

/// The address a 227 reply advertises (EPSV replies carry no address).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Masquerade {
    /// The server's own address of the control connection (must be IPv4, else PASV gets 425).
    #[default]
    Off,
    /// Always this address (a server behind NAT).
    One(Ipv4Addr),
    /// The address of the first rule whose network holds the client's address; else `fallback`; else the
    /// server's own address (split horizon: LAN clients get the LAN address).
    ByNetwork {
        /// `(network, address)` pairs, tried in order.
        rules: Vec<(Ipv4Net, Ipv4Addr)>,
        /// The address when no rule matches.
        fallback: Option<Ipv4Addr>,
    },
}

impl Masquerade {
    /// The IPv4 address to advertise to `client` from a control connection on `server`, if there is one.
    pub fn choose(&self, client: IpAddr, server: IpAddr) -> Option<Ipv4Addr> {
        let own = match canonical(server) {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        };
        match self {
            Masquerade::Off => own,
            Masquerade::One(a) => Some(*a),
            Masquerade::ByNetwork { rules, fallback } => {
                let hit = match canonical(client) {
                    IpAddr::V4(c) => rules.iter().find(|(net, _)| net.contains(c)).map(|(_, a)| *a),
                    IpAddr::V6(_) => None,
                };
                hit.or(*fallback).or(own)
            }
        }
    }
}

/// Server policy and limits. [`Default`] is the safe setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The 220 greeting text (`\n` separates lines of a multi-line greeting). Default `ftpkit ready`.
    pub greeting: String,
    /// Allow `USER anonymous` / `USER ftp` with any password, read-only, without an `Authenticate` request.
    /// Default off.
    pub anonymous: bool,
    /// Ports a passive listener may use. Default 49152-65534.
    pub passive_ports: RangeInclusive<u16>,
    /// The address advertised in 227 replies. Default [`Masquerade::Off`].
    pub masquerade: Masquerade,
    /// Refuse PORT/EPRT naming another host than the client (FTP bounce). Default on.
    pub bounce_protection: bool,
    /// Refuse PORT/EPRT ports below 1024. Default on.
    pub refuse_privileged_ports: bool,
    /// Refuse passive data connections from another address than the client's. Default on.
    pub check_data_source: bool,
    /// Close a session idle this long (421). Default 300 s. The caller keeps the clock.
    pub idle_timeout: Duration,
    /// Give up on a data connection that has not come this long after a transfer command (425). Default 30 s.
    pub data_connect_timeout: Duration,
    /// Failed logins before the session closes with 421. Default 3.
    pub max_failed_logins: u32,
    /// Longest command line in bytes, line end not counted. Default 4096 (as vsftpd).
    pub max_line: usize,
    /// Accept `\` in path arguments (a separator on Windows, so refused with 553 by default).
    pub allow_backslash: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            greeting: String::from("ftpkit ready"),
            anonymous: false,
            passive_ports: 49152..=65534,
            masquerade: Masquerade::Off,
            bounce_protection: true,
            refuse_privileged_ports: true,
            check_data_source: true,
            idle_timeout: Duration::from_secs(300),
            data_connect_timeout: Duration::from_secs(30),
            max_failed_logins: 3,
            max_line: 4096,
            allow_backslash: false,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Requests, outcomes, events
// ---------------------------------------------------------------------------------------------------------------

/// Names one request; answer it with [`ServerSession::complete`]. Ids are never reused within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// The number (for logs and bindings).
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// What a logged-in user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Access {
    /// Read and list only: every write command gets 550.
    ReadOnly,
    /// Everything.
    #[default]
    ReadWrite,
}

/// How `OpenWrite` opens its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteMode {
    /// STOR: create or truncate (at `offset` when REST came before: keep the first `offset` bytes).
    Create,
    /// APPE: append, creating the file when missing.
    Append,
    /// STOU: `path` is a directory; create a new file with a name not in use there, and answer
    /// [`Outcome::UniqueName`].
    Unique,
}

/// What a `List` request produces on the data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// LIST: `ls -l` lines ([`crate::listing::format_unix_list_line`]), CRLF ends.
    Unix,
    /// MLSD: RFC 3659 entries ([`crate::listing::format_mlsd_line`]), CRLF ends.
    Mlsd,
    /// NLST: names only, CRLF ends.
    Names,
}

/// How file bytes go over the data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DataType {
    /// TYPE A: text, lines end CRLF on the wire (convert local line ends).
    Ascii,
    /// TYPE I (or L 8): bytes as they are.
    #[default]
    Binary,
}

/// Work the session asks its caller to do. Answer every one, exactly once, with [`ServerSession::complete`]
/// (unless an [`Event::Cancel`] names it first). Paths are normalised virtual paths: map them under the session's
/// root and check symbolic links there.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// Check a user name and password: answer [`Outcome::LoggedIn`] or [`Outcome::Denied`].
    Authenticate {
        /// The request id.
        id: RequestId,
        /// The user name as sent.
        user: String,
        /// The password as sent (may be empty).
        password: String,
    },
    /// Does `path` exist, and what is it? Answer [`Outcome::Dir`], [`Outcome::File`] or [`Outcome::Entry`] (MLST
    /// wants the entry's facts), or a failure.
    Stat {
        /// The request id.
        id: RequestId,
        /// The path.
        path: VirtualPath,
    },
    /// Open a file for reading from `offset`; keep it for the [`Request::Transfer`] naming this id as `opened`.
    OpenRead {
        /// The request id.
        id: RequestId,
        /// The file.
        path: VirtualPath,
        /// Where to start (REST), 0 normally.
        offset: u64,
    },
    /// Open a file for writing; keep it for the [`Request::Transfer`] naming this id as `opened`.
    OpenWrite {
        /// The request id.
        id: RequestId,
        /// The file (for [`WriteMode::Unique`], the directory).
        path: VirtualPath,
        /// Create, append or unique.
        mode: WriteMode,
        /// Where to start writing (REST before STOR), 0 normally.
        offset: u64,
    },
    /// Prepare a listing of `path` (a directory, or one file); keep it for the [`Request::Transfer`].
    List {
        /// The request id.
        id: RequestId,
        /// The directory or file.
        path: VirtualPath,
        /// The line format.
        kind: ListKind,
    },
    /// Delete a file.
    Delete {
        /// The request id.
        id: RequestId,
        /// The file.
        path: VirtualPath,
    },
    /// Make a directory.
    Mkdir {
        /// The request id.
        id: RequestId,
        /// The new directory.
        path: VirtualPath,
    },
    /// Remove an empty directory.
    Rmdir {
        /// The request id.
        id: RequestId,
        /// The directory.
        path: VirtualPath,
    },
    /// Rename `from` to `to`.
    Rename {
        /// The request id.
        id: RequestId,
        /// The existing path (checked by an earlier `Stat`).
        from: VirtualPath,
        /// The new path.
        to: VirtualPath,
    },
    /// The size of a file in bytes: [`Outcome::Size`].
    Size {
        /// The request id.
        id: RequestId,
        /// The file.
        path: VirtualPath,
    },
    /// The modification time of a file, UTC: [`Outcome::Time`].
    Mtime {
        /// The request id.
        id: RequestId,
        /// The file.
        path: VirtualPath,
    },
    /// Bind a passive listener on `ip` at a port in `ports` (never port 0: the kernel's pick is refused) and answer
    /// [`Outcome::Bound`], or [`Outcome::PassiveRangeExhausted`]. Then report each accepted connection with
    /// [`ServerSession::handle_data_accepted`].
    ListenPassive {
        /// The request id.
        id: RequestId,
        /// The local address of the control connection.
        ip: IpAddr,
        /// The configured range.
        ports: RangeInclusive<u16>,
    },
    /// Connect to the client's data port (already checked against bounce and privileged ports): answer
    /// [`Outcome::Ok`] once connected.
    ConnectActive {
        /// The request id.
        id: RequestId,
        /// Where to connect.
        addr: SocketAddr,
    },
    /// The data connection is up and the preliminary reply is written: stream what `opened` prepared (send a file
    /// or a listing, or receive into the file), close the data connection, then answer
    /// [`Outcome::TransferDone`] (or [`Outcome::ConnectionLost`], ...).
    Transfer {
        /// The request id.
        id: RequestId,
        /// The `OpenRead`/`OpenWrite`/`List` request whose file or listing to stream.
        opened: RequestId,
        /// ASCII or binary.
        data_type: DataType,
    },
}

impl Request {
    /// The id to answer with.
    pub fn id(&self) -> RequestId {
        match self {
            Request::Authenticate { id, .. }
            | Request::Stat { id, .. }
            | Request::OpenRead { id, .. }
            | Request::OpenWrite { id, .. }
            | Request::List { id, .. }
            | Request::Delete { id, .. }
            | Request::Mkdir { id, .. }
            | Request::Rmdir { id, .. }
            | Request::Rename { id, .. }
            | Request::Size { id, .. }
            | Request::Mtime { id, .. }
            | Request::ListenPassive { id, .. }
            | Request::ConnectActive { id, .. }
            | Request::Transfer { id, .. } => *id,
        }
    }

    /// A short stable name (`"authenticate"`, `"open_read"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Request::Authenticate { .. } => "authenticate",
            Request::Stat { .. } => "stat",
            Request::OpenRead { .. } => "open_read",
            Request::OpenWrite { .. } => "open_write",
            Request::List { .. } => "list",
            Request::Delete { .. } => "delete",
            Request::Mkdir { .. } => "mkdir",
            Request::Rmdir { .. } => "rmdir",
            Request::Rename { .. } => "rename",
            Request::Size { .. } => "size",
            Request::Mtime { .. } => "mtime",
            Request::ListenPassive { .. } => "listen_passive",
            Request::ConnectActive { .. } => "connect_active",
            Request::Transfer { .. } => "transfer",
        }
    }
}

/// The caller's answer to a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Done (opened, deleted, connected, ...).
    Ok,
    /// `Stat`: a directory. Also accepted as `Ok` by `List`.
    Dir,
    /// `Stat`: a file (or anything that is not a directory). Also accepted as `Ok` by `OpenRead` and `List`.
    File,
    /// `Stat`: the entry with its facts (for MLST).
    Entry(Box<Entry<'static>>),
    /// `Size`: the size in bytes.
    Size(u64),
    /// `Mtime`: the modification time, UTC.
    Time(DateTime),
    /// `ListenPassive`: the listener's local address.
    Bound(SocketAddr),
    /// `Authenticate`: accepted, with this access.
    LoggedIn(Access),
    /// `Authenticate`: refused.
    Denied,
    /// `OpenWrite` with [`WriteMode::Unique`]: the new file's name (one segment, in the requested directory).
    UniqueName(String),
    /// `Transfer`: done; `bytes` moved over the data connection.
    TransferDone {
        /// Bytes sent or received.
        bytes: u64,
    },
    /// `Transfer`: the data connection broke (426).
    ConnectionLost,
    /// No such file or directory.
    NotFound,
    /// The file system refused.
    PermissionDenied,
    /// The target already exists.
    Exists,
    /// No space left (452).
    NoSpace,
    /// A quota is exceeded (552).
    QuotaExceeded,
    /// `ListenPassive`: every port of the range is taken (425).
    PassiveRangeExhausted,
    /// Anything else; the text is for the caller's logs and never sent to the client.
    Failed(String),
}

impl Outcome {
    /// A short stable name (`"ok"`, `"not_found"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Dir => "dir",
            Outcome::File => "file",
            Outcome::Entry(_) => "entry",
            Outcome::Size(_) => "size",
            Outcome::Time(_) => "time",
            Outcome::Bound(_) => "bound",
            Outcome::LoggedIn(_) => "logged_in",
            Outcome::Denied => "denied",
            Outcome::UniqueName(_) => "unique_name",
            Outcome::TransferDone { .. } => "transfer_done",
            Outcome::ConnectionLost => "connection_lost",
            Outcome::NotFound => "not_found",
            Outcome::PermissionDenied => "permission_denied",
            Outcome::Exists => "exists",
            Outcome::NoSpace => "no_space",
            Outcome::QuotaExceeded => "quota_exceeded",
            Outcome::PassiveRangeExhausted => "passive_range_exhausted",
            Outcome::Failed(_) => "failed",
        }
    }
}

/// Something the caller does without answering.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A login succeeded (pick the user's root; anonymous users get the anonymous root).
    LoggedIn {
        /// The user name.
        user: String,
        /// Read-only or read-write.
        access: Access,
        /// An anonymous login decided by the session.
        anonymous: bool,
    },
    /// Close the data connection and any passive listener (a transfer ended or was aborted, or PASV/PORT replaced
    /// the data channel).
    CloseData,
    /// Stop the work of this request and drop what it opened; do not answer it (an answer is ignored).
    Cancel {
        /// The abandoned request.
        id: RequestId,
    },
    /// Write the remaining bytes from `poll_transmit`, then close the control connection. The session is closed.
    Close,
}

/// The verdict on a passive data connection reported with [`ServerSession::handle_data_accepted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a refused data connection must be closed by the caller"]
pub enum DataVerdict {
    /// Keep it: it is the session's data connection.
    Use,
    /// Close it now; the session keeps waiting (when it was waiting).
    Refuse(Refusal),
}

/// Why a data connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It came from another address than the client's control connection.
    ForeignPeer,
    /// No passive listener is open.
    NotListening,
    /// The session already has its data connection.
    AlreadyConnected,
}

/// Which timer fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeoutKind {
    /// No command for [`ServerConfig::idle_timeout`]: 421 and close.
    Idle,
    /// No data connection for [`ServerConfig::data_connect_timeout`] after a transfer command: 425.
    DataConnect,
}

/// A misuse of the session by its caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The session is closed and takes no more input.
    #[error("session is closed")]
    Closed,
    /// `complete` named an id the session never issued.
    #[error("request id {id} was never issued")]
    UnknownRequest {
        /// The id.
        id: u64,
    },
    /// `complete` gave an outcome that does not answer the request; the session treated it as a failure.
    #[error("outcome {outcome} does not answer a {request} request; treated as a failure")]
    UnexpectedOutcome {
        /// The request's name.
        request: &'static str,
        /// The outcome's name.
        outcome: &'static str,
    },
}

impl ServerError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ServerError::Closed => ErrorKind::Closed,
            ServerError::UnknownRequest { .. } | ServerError::UnexpectedOutcome { .. } => ErrorKind::InvalidState,
        }
    }
}

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
    opened: RequestId,
    unique: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Waiting for the open/list outcome (`opened`).
    Open,
    /// Waiting for `ConnectActive`'s outcome.
    Connect(RequestId),
    /// Waiting for the client's passive connection.
    Accept,
    /// Data flowing; waiting for `Transfer`'s outcome.
    Stream(RequestId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Wait {
    Idle,
    Reply { id: RequestId, op: Op },
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
    requests: VecDeque<Request>,
    events: VecDeque<Event>,
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
}

/// The IPv4 form of an IPv4-mapped IPv6 address; other addresses unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Reply text with control characters replaced, so a reply can always be written.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// What a command needs before it runs (the gate column of the module docs' command table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Always,
    Login,
    Write,
}

fn gate(cmd: &Command<'_>) -> Gate {
    use Command as C;
    match cmd {
        C::User(_) | C::Pass(_) | C::Quit | C::Feat | C::Syst | C::Help(_) | C::Noop => Gate::Always,
        C::Auth(_) | C::Adat(_) | C::Pbsz(_) | C::Prot(_) | C::Ccc | C::Mic(_) | C::Conf(_) | C::Enc(_) => Gate::Always,
        C::Host(_) | C::Other { .. } => Gate::Always,
        C::Stor(_) | C::Appe(_) | C::Stou(_) | C::Dele(_) | C::Mkd(_) | C::Xmkd(_) | C::Rmd(_) | C::Xrmd(_) => {
            Gate::Write
        }
        C::Rnfr(_) | C::Rnto(_) => Gate::Write,
        _ => Gate::Login,
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

const HELP_LINES: &[&str] = &[
    "The following commands are recognized.",
    " ABOR APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD  MLSD MLST MODE",
    " NLST NOOP OPTS PASS PASV PORT PWD  QUIT REST RETR RMD  RNFR RNTO SIZE STAT",
    " STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD XPWD XRMD",
    "Help OK.",
];

impl ServerSession {
    /// A session for a control connection from `client` accepted on `server`. The 220 greeting is ready in
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn new(config: ServerConfig, client: SocketAddr, server: SocketAddr) -> Self {
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
        };
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
    pub fn poll_request(&mut self) -> Option<Request> {
        self.requests.pop_front()
    }

    /// The next event for the caller, or `None`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The timer the caller should run now, as a duration from now; `None`: no timer. Read it after every input
    /// (any command restarts the idle timer).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<(TimeoutKind, Duration)> {
        if self.closed {
            return None;
        }
        match &self.wait {
            Wait::Transfer { step: Step::Accept | Step::Connect(_), .. } => {
                Some((TimeoutKind::DataConnect, self.config.data_connect_timeout))
            }
            Wait::Transfer { .. } => None,
            _ => Some((TimeoutKind::Idle, self.config.idle_timeout)),
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

    /// Bytes read from the control connection. Complete lines are handled at once (or queued while a request is
    /// out); a partial line waits for more bytes.
    ///
    /// # Errors
    /// [`ServerError::Closed`] after the session closed (the bytes are dropped).
    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<(), ServerError> {
        if self.closed {
            return Err(ServerError::Closed);
        }
        self.decoder.feed(bytes);
        self.pump();
        Ok(())
    }

    /// A timer fired. Harmless when it no longer applies.
    pub fn handle_timeout(&mut self, kind: TimeoutKind) {
        if self.closed || self.poll_timeout().map(|(k, _)| k) != Some(kind) {
            return;
        }
        match kind {
            TimeoutKind::Idle => {
                self.cancel_wait();
                self.reply(Code::SERVICE_NOT_AVAILABLE, "Timeout: closing the control connection.");
                self.close();
            }
            TimeoutKind::DataConnect => {
                self.cancel_wait();
                self.reply(Code::CANT_OPEN_DATA, "No data connection came in time.");
                self.pump();
            }
        }
    }

    /// The caller accepted a connection on the passive listener from `peer`. Close it when the verdict is
    /// [`DataVerdict::Refuse`].
    pub fn handle_data_accepted(&mut self, peer: SocketAddr) -> DataVerdict {
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

    /// Answer request `id`.
    ///
    /// # Errors
    /// [`ServerError::UnknownRequest`] for an id never issued; [`ServerError::UnexpectedOutcome`] when the outcome
    /// does not fit the request (the session answered the client as for a failure). An answer to a request that is
    /// no longer out (cancelled) is ignored, as is anything after the session closed.
    pub fn complete(&mut self, id: RequestId, outcome: Outcome) -> Result<(), ServerError> {
        if id.0 == 0 || id.0 > self.next_id {
            return Err(ServerError::UnknownRequest { id: id.0 });
        }
        if self.closed {
            return Ok(());
        }
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
        self.pump();
        result
    }

    // ---- the command loop ---------------------------------------------------------------------------------

    fn busy(&self) -> bool {
        self.wait != Wait::Idle
    }

    /// Handle queued and buffered lines while no request is out.
    fn pump(&mut self) {
        while !self.closed {
            if !self.busy() {
                if let Some(line) = self.queue.pop_front() {
                    self.on_line(line);
                    continue;
                }
            }
            let line = match self.decoder.decode_owned() {
                Ok(None) => return,
                Ok(Some(cmd)) => Ok(cmd),
                Err(e) => Err(e),
            };
            if !self.busy() {
                self.on_line(line);
            } else if !self.out_of_band(&line) {
                if self.queue.len() >= MAX_QUEUED_COMMANDS {
                    self.cancel_wait();
                    self.reply(Code::SERVICE_NOT_AVAILABLE, "Too many commands queued; closing.");
                    self.close();
                    return;
                }
                self.queue.push_back(line);
            }
        }
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
            (Gate::Always, _) => {}
            (_, Login::LoggedIn { access, .. }) => {
                if gate(&cmd) == Gate::Write && *access == Access::ReadOnly {
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
            C::Help(_) => self.reply_lines(Code::HELP, HELP_LINES.iter().map(|s| (*s).to_owned()).collect()),
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
            C::Mkd(p) | C::Xmkd(p) => {
                self.with_path(&p, |s, path| s.ask(Op::Mkdir { path: path.clone() }, |id| Request::Mkdir { id, path }))
            }
            C::Rmd(p) | C::Xrmd(p) => self.with_path(&p, |s, path| s.ask(Op::Rmdir, |id| Request::Rmdir { id, path })),
            C::Dele(p) => self.with_path(&p, |s, path| s.ask(Op::Delete, |id| Request::Delete { id, path })),
            C::Size(p) => self.with_path(&p, |s, path| s.ask(Op::Size, |id| Request::Size { id, path })),
            C::Mdtm(p) => self.with_path(&p, |s, path| s.ask(Op::Mtime, |id| Request::Mtime { id, path })),
            C::Mlst(p) => {
                let arg = p.as_deref().unwrap_or("");
                self.with_path(arg, |s, path| s.ask(Op::Mlst { path: path.clone() }, stat(path)))
            }
            C::Rnfr(p) => self.with_path(&p, |s, path| s.ask(Op::Rnfr { path: path.clone() }, stat(path))),
            C::Rnto(p) => match rename_from {
                None => self.reply(Code::BAD_SEQUENCE, "RNFR first."),
                Some(from) => self.with_path(&p, |s, to| s.ask(Op::Rename, |id| Request::Rename { id, from, to })),
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
                    self.ask(Op::Auth { user }, |id| Request::Authenticate { id, user: u, password })
                }
            }
        }
    }

    fn logged_in(&mut self, user: String, access: Access, anonymous: bool) {
        self.events.push_back(Event::LoggedIn { user: user.clone(), access, anonymous });
        self.login = Login::LoggedIn { user, access };
        self.cwd = VirtualPath::root();
        self.reply(Code::LOGGED_IN, if anonymous { "Anonymous login ok, read-only." } else { "Logged in." })
    }

    fn quit(&mut self) {
        self.reply(Code::CLOSING, "Goodbye.");
        self.close();
    }

    fn feat(&mut self) {
        let mut f = Features::new();
        for (name, params) in [
            ("EPRT", ""),
            ("EPSV", ""),
            ("MDTM", ""),
            ("MLST", "type*;size*;modify*;"),
            ("PASV", ""),
            ("REST", "STREAM"),
            ("SIZE", ""),
            ("TVFS", ""),
            ("UTF8", ""),
        ] {
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
        self.ask(Op::Listen { extended, advertise }, |id| Request::ListenPassive { id, ip, ports })
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
            XferCmd::Retr => Request::OpenRead { id, path: p, offset },
            XferCmd::Stor => Request::OpenWrite { id, path: p, mode: WriteMode::Create, offset },
            XferCmd::Appe => Request::OpenWrite { id, path: p, mode: WriteMode::Append, offset },
            XferCmd::Stou => Request::OpenWrite { id, path: p, mode: WriteMode::Unique, offset },
            XferCmd::List(kind) => Request::List { id, path: p, kind },
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
                    self.events.push_back(Event::CloseData);
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
            self.events.push_back(Event::Cancel { id: xfer.opened });
            self.drop_data();
            let (code, text) = open_failure(xfer.cmd, &outcome);
            self.reply(code, text);
            return unexpected(req_name(xfer.cmd), &outcome, expected_failure(&outcome));
        }
        match self.data {
            Data::Active { addr } => {
                let id = self.issue();
                self.requests.push_back(Request::ConnectActive { id, addr });
                self.wait = Wait::Transfer { xfer, step: Step::Connect(id) };
            }
            Data::Passive { peer: Some(_) } => {
                self.wait = Wait::Transfer { xfer, step: Step::Accept };
                self.start_stream(true);
            }
            Data::Passive { peer: None } => self.wait = Wait::Transfer { xfer, step: Step::Accept },
            Data::None => {
                // Cannot happen: a transfer starts only with a data channel, and nothing drops it meanwhile.
                self.events.push_back(Event::Cancel { id: xfer.opened });
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
        self.events.push_back(Event::Cancel { id: xfer.opened });
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
        self.requests.push_back(Request::Transfer { id, opened, data_type });
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
            Ok(line) => self.reply_lines(
                Code::FILE_ACTION_OK,
                vec![format!("Listing {}", clean(&name)), format!(" {line}"), "End".into()],
            ),
            Err(_) => self.reply(Code::FILE_UNAVAILABLE, "Cannot list this name."),
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    fn issue(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    /// Issue the request built by `make` and wait for its outcome.
    fn ask(&mut self, op: Op, make: impl FnOnce(RequestId) -> Request) {
        let id = self.issue();
        self.requests.push_back(make(id));
        self.wait = Wait::Reply { id, op };
    }

    /// Tell the caller to close the data channel, if there is one.
    fn drop_data(&mut self) {
        if self.data != Data::None {
            self.data = Data::None;
            self.events.push_back(Event::CloseData);
        }
    }

    /// Abandon whatever request is out (a timeout, QUIT, a flood).
    fn cancel_wait(&mut self) {
        match std::mem::replace(&mut self.wait, Wait::Idle) {
            Wait::Idle => {}
            Wait::Reply { id, .. } => self.events.push_back(Event::Cancel { id }),
            Wait::Transfer { xfer, step } => {
                self.cancel_transfer_ids(&xfer, step);
                self.drop_data();
            }
        }
    }

    fn cancel_transfer_ids(&mut self, xfer: &Xfer, step: Step) {
        match step {
            Step::Connect(id) | Step::Stream(id) => self.events.push_back(Event::Cancel { id }),
            Step::Open | Step::Accept => {}
        }
        self.events.push_back(Event::Cancel { id: xfer.opened });
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
            self.events.push_back(Event::Close);
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

fn stat(path: VirtualPath) -> impl FnOnce(RequestId) -> Request {
    move |id| Request::Stat { id, path }
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

    #[test]
    fn gate_table() {
        let cases: &[(&str, Gate)] = &[
            ("USER a", Gate::Always),
            ("PASS a", Gate::Always),
            ("QUIT", Gate::Always),
            ("FEAT", Gate::Always),
            ("SYST", Gate::Always),
            ("HELP", Gate::Always),
            ("NOOP", Gate::Always),
            ("AUTH TLS", Gate::Always),
            ("PBSZ 0", Gate::Always),
            ("XYZZY", Gate::Always),
            ("PWD", Gate::Login),
            ("RETR x", Gate::Login),
            ("LIST", Gate::Login),
            ("PORT 1,2,3,4,5,6", Gate::Login),
            ("ABOR", Gate::Login),
            ("ACCT x", Gate::Login),
            ("STOR x", Gate::Write),
            ("APPE x", Gate::Write),
            ("STOU", Gate::Write),
            ("DELE x", Gate::Write),
            ("MKD x", Gate::Write),
            ("XMKD x", Gate::Write),
            ("RMD x", Gate::Write),
            ("XRMD x", Gate::Write),
            ("RNFR x", Gate::Write),
            ("RNTO x", Gate::Write),
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
