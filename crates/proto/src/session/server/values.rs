//! The values the server session exchanges with its caller: requests and their outcomes, events, verdicts on
//! data connections, timers and errors.

#[cfg(doc)]
use super::{ServerConfig, ServerSession};
use crate::listing::{DateTime, Entry};
use crate::vpath::VirtualPath;
use crate::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;

/// Names one request; answer it with [`ServerSession::complete`]. Ids are never reused within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerRequestId(pub(super) u64);

impl ServerRequestId {
    /// The number (for logs and bindings).
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// What a logged-in user may do: [`Access::ReadOnly`] and [`Access::ReadWrite`] are the two common sets of
/// [`Rights`], [`Access::Rights`] any other. What each right gates is [`Rights`]' table; [`Access::rights`] is the
/// meaning (compare rights, not variants: `Rights(Rights::ALL)` grants what `ReadWrite` grants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Access {
    /// Read and list only ([`Rights::READ`]): every other gated command gets 550.
    ReadOnly,
    /// Everything ([`Rights::ALL`]).
    #[default]
    ReadWrite,
    /// Exactly these rights.
    Rights(Rights),
}

impl Access {
    /// The rights this access grants.
    pub const fn rights(self) -> Rights {
        match self {
            Access::ReadOnly => Rights::READ,
            Access::ReadWrite => Rights::ALL,
            Access::Rights(r) => r,
        }
    }
}

/// A set of rights of a logged-in user, each gating its own verbs (the verb table's [`LoginGate`]; a verb
/// without one of these gates needs only a login). A command the user has no right for gets 550.
///
/// | right | name | verbs |
/// | --- | --- | --- |
/// | [`READ`](Rights::READ) | `read` | RETR, LIST, NLST, MLSD, MLST, SIZE, MDTM (file contents and names) |
/// | [`WRITE`](Rights::WRITE) | `write` | STOR, APPE, STOU (uploads) |
/// | [`DELETE`](Rights::DELETE) | `delete` | DELE, RMD, XRMD |
/// | [`MKDIR`](Rights::MKDIR) | `mkdir` | MKD, XMKD |
/// | [`RENAME`](Rights::RENAME) | `rename` | RNFR, RNTO |
///
/// CWD, CDUP and PWD need only a login, so a user with `write` alone can move about and upload without seeing
/// what is there (a drop box). The names are the text form ([`Display`](std::fmt::Display), [`FromStr`]): a
/// comma-separated list such as `read,write,mkdir`, or `all`, or `none` (the empty set).
///
/// [`LoginGate`]: crate::command::LoginGate
/// [`FromStr`]: std::str::FromStr
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rights(u8);

impl Rights {
    /// No right: log in, move about, nothing else.
    pub const NONE: Rights = Rights(0);
    /// Download and list.
    pub const READ: Rights = Rights(1);
    /// Upload (STOR, APPE, STOU).
    pub const WRITE: Rights = Rights(1 << 1);
    /// Delete files and remove directories.
    pub const DELETE: Rights = Rights(1 << 2);
    /// Make directories.
    pub const MKDIR: Rights = Rights(1 << 3);
    /// Rename.
    pub const RENAME: Rights = Rights(1 << 4);
    /// Every right.
    pub const ALL: Rights = Rights(0b1_1111);
    /// Each right with its name, in the order the text form writes them.
    pub const NAMED: [(Rights, &'static str); 5] = [
        (Rights::READ, "read"),
        (Rights::WRITE, "write"),
        (Rights::DELETE, "delete"),
        (Rights::MKDIR, "mkdir"),
        (Rights::RENAME, "rename"),
    ];

    /// True when every right of `other` is in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets together.
    #[must_use]
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }
}

impl std::fmt::Display for Rights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if *self == Rights::NONE {
            return f.write_str("none");
        }
        let mut first = true;
        for (r, name) in Rights::NAMED {
            if self.contains(r) {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// A rights list with a name that is not a right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown right {name:?} (rights are read, write, delete, mkdir, rename, all, none)")]
pub struct RightsError {
    /// The name that is not a right (cut to 64 bytes).
    pub name: String,
}

impl RightsError {
    /// The stable error class: [`ErrorKind::Syntax`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Syntax
    }
}

impl std::str::FromStr for Rights {
    type Err = RightsError;

    /// `read,write`, `all`, `none`; spaces around names and empty items are ignored (so the empty text is `none`).
    fn from_str(text: &str) -> Result<Rights, RightsError> {
        let mut rights = Rights::NONE;
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let lower = item.to_ascii_lowercase();
            rights = rights.union(match lower.as_str() {
                "all" => Rights::ALL,
                "none" => Rights::NONE,
                name => match Rights::NAMED.iter().find(|(_, n)| *n == name) {
                    Some((r, _)) => *r,
                    None => {
                        let mut name = item.to_owned();
                        let mut cut = name.len().min(64);
                        while !name.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        name.truncate(cut);
                        return Err(RightsError { name });
                    }
                },
            });
        }
        Ok(rights)
    }
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

/// The hash a `HASH` command computes (draft-bryan-ftpext-hash), chosen with `OPTS HASH`; SHA-256 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HashAlgorithm {
    /// SHA-256 (FIPS 180-4): the default.
    #[default]
    Sha256,
    /// SHA-1 (FIPS 180-4).
    Sha1,
    /// MD5 (RFC 1321).
    Md5,
}

impl HashAlgorithm {
    /// Every algorithm, in the order FEAT lists them.
    pub const ALL: [HashAlgorithm; 3] = [HashAlgorithm::Sha256, HashAlgorithm::Sha1, HashAlgorithm::Md5];

    /// The name as the draft writes it (`SHA-256`, `SHA-1`, `MD5`).
    pub const fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Md5 => "MD5",
        }
    }

    /// The digest's length in bytes.
    pub const fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Md5 => 16,
        }
    }

    /// The algorithm named `name` (any letter case), if it is one of [`HashAlgorithm::ALL`].
    pub fn from_name(name: &str) -> Option<HashAlgorithm> {
        HashAlgorithm::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// FEAT's `HASH` parameters with this algorithm starred as the one in use.
    pub(super) const fn feat_params(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256*;SHA-1;MD5",
            HashAlgorithm::Sha1 => "SHA-256;SHA-1*;MD5",
            HashAlgorithm::Md5 => "SHA-256;SHA-1;MD5*",
        }
    }
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

/// Defines [`ServerRequest`] from one list of variants: each gets an `id` field first, and its arm in
/// [`ServerRequest::id`] and [`ServerRequest::name`]; a new request is one entry here.
macro_rules! server_requests {
    ($($(#[$doc:meta])* $var:ident = $name:literal { $($(#[$fdoc:meta])* $field:ident: $ty:ty,)* },)*) => {
        /// Work the session asks its caller to do. Answer every one, exactly once, with [`ServerSession::complete`]
        /// (unless an [`ServerEvent::Cancel`] names it first). Paths are normalised virtual paths: map them under
        /// the session's root and check symbolic links there.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum ServerRequest {
            $($(#[$doc])* $var {
                /// The request id.
                id: ServerRequestId,
                $($(#[$fdoc])* $field: $ty,)*
            },)*
        }

        impl ServerRequest {
            /// The id to answer with.
            pub fn id(&self) -> ServerRequestId {
                match self {
                    $(ServerRequest::$var { id, .. } => *id,)*
                }
            }

            /// A short stable name (`"authenticate"`, `"open_read"`, ...).
            pub fn name(&self) -> &'static str {
                match self {
                    $(ServerRequest::$var { .. } => $name,)*
                }
            }
        }
    };
}

server_requests! {
    /// Check a user name and password: answer [`Outcome::LoggedIn`] or [`Outcome::Denied`].
    Authenticate = "authenticate" {
        /// The user name as sent.
        user: String,
        /// The password as sent (may be empty).
        password: String,
    },
    /// Does `path` exist, and what is it? Answer [`Outcome::Dir`], [`Outcome::File`] or [`Outcome::Entry`] (MLST
    /// wants the entry's facts), or a failure.
    Stat = "stat" {
        /// The path.
        path: VirtualPath,
    },
    /// Open a file for reading from `offset`; keep it for the [`ServerRequest::Transfer`] naming this id as `opened`.
    OpenRead = "open_read" {
        /// The file.
        path: VirtualPath,
        /// Where to start (REST), 0 normally.
        offset: u64,
    },
    /// Open a file for writing; keep it for the [`ServerRequest::Transfer`] naming this id as `opened`.
    OpenWrite = "open_write" {
        /// The file (for [`WriteMode::Unique`], the directory).
        path: VirtualPath,
        /// Create, append or unique.
        mode: WriteMode,
        /// Where to start writing (REST before STOR), 0 normally.
        offset: u64,
    },
    /// Prepare a listing of `path` (a directory, or one file); keep it for the [`ServerRequest::Transfer`].
    List = "list" {
        /// The directory or file.
        path: VirtualPath,
        /// The line format.
        kind: ListKind,
        /// For MLSD: the facts to write (OPTS MLST; [`format_mlsd_entry_with`](crate::listing::format_mlsd_entry_with)).
        facts: crate::listing::MlstFacts,
    },
    /// Delete a file.
    Delete = "delete" {
        /// The file.
        path: VirtualPath,
    },
    /// Make a directory.
    Mkdir = "mkdir" {
        /// The new directory.
        path: VirtualPath,
    },
    /// Remove an empty directory.
    Rmdir = "rmdir" {
        /// The directory.
        path: VirtualPath,
    },
    /// Rename `from` to `to`.
    Rename = "rename" {
        /// The existing path (checked by an earlier `Stat`).
        from: VirtualPath,
        /// The new path.
        to: VirtualPath,
    },
    /// The size of a file in bytes: [`Outcome::Size`].
    Size = "size" {
        /// The file.
        path: VirtualPath,
    },
    /// The modification time of a file, UTC: [`Outcome::Time`].
    Mtime = "mtime" {
        /// The file.
        path: VirtualPath,
    },
    /// MFMT: set a file's modification time (UTC) to `time`, then answer [`Outcome::Ok`]. Only asked when
    /// [`StorageCaps::set_mtime`](super::StorageCaps) is on.
    SetMtime = "set_mtime" {
        /// The file.
        path: VirtualPath,
        /// The new modification time, UTC.
        time: DateTime,
    },
    /// SITE CHMOD: set the Unix permission bits of `path` to `mode` (at most `0o7777`), then answer
    /// [`Outcome::Ok`]. Only asked when [`StorageCaps::chmod`](super::StorageCaps) is on.
    Chmod = "chmod" {
        /// The file or directory.
        path: VirtualPath,
        /// The permission bits.
        mode: u32,
    },
    /// HASH: hash the whole file with `algorithm` and answer [`Outcome::Hash`] (a directory: [`Outcome::Dir`]).
    Hash = "hash" {
        /// The file.
        path: VirtualPath,
        /// The algorithm (OPTS HASH's choice).
        algorithm: HashAlgorithm,
    },
    /// STAT with a path (RFC 959): the listing of `path` (a directory's entries, or the one file) as LIST's
    /// lines (`ls -l` form, no line ends), for the session to send on the control connection: answer
    /// [`Outcome::Lines`] with at most `max` lines (more are cut off), or a failure.
    ListLines = "list_lines" {
        /// The directory or file.
        path: VirtualPath,
        /// The most lines the reply carries.
        max: usize,
    },
    /// Bind a passive listener on `ip` at a port in `ports` (never port 0: the kernel's pick is refused) and answer
    /// [`Outcome::Bound`], or [`Outcome::PassiveRangeExhausted`]. Then report each accepted connection with
    /// [`ServerSession::handle_data_accepted`].
    ListenPassive = "listen_passive" {
        /// The local address of the control connection.
        ip: IpAddr,
        /// The configured range.
        ports: RangeInclusive<u16>,
    },
    /// Connect to the client's data port (already checked against bounce and privileged ports): answer
    /// [`Outcome::Ok`] once connected.
    ConnectActive = "connect_active" {
        /// Where to connect.
        addr: SocketAddr,
    },
    /// The data connection is up and the preliminary reply is written: stream what `opened` prepared (send a file
    /// or a listing, or receive into the file), close the data connection, then answer
    /// [`Outcome::TransferDone`] (or [`Outcome::ConnectionLost`], ...).
    Transfer = "transfer" {
        /// The `OpenRead`/`OpenWrite`/`List` request whose file or listing to stream.
        opened: ServerRequestId,
        /// ASCII or binary.
        data_type: DataType,
    },
}

/// The caller's answer to a [`ServerRequest`].
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
    /// `Hash`: the file's size and its digest (as many bytes as the algorithm's [`HashAlgorithm::digest_len`]).
    Hash {
        /// The file's size in bytes (the range hashed is `0-size`).
        size: u64,
        /// The digest.
        digest: Vec<u8>,
    },
    /// `ListLines`: the listing's lines, without line ends.
    Lines(Vec<String>),
    /// `ListenPassive`: the listener's local address.
    Bound(SocketAddr),
    /// `Authenticate`: accepted, with this access.
    LoggedIn(Access),
    /// `Authenticate`: refused.
    Denied,
    /// `Authenticate`: not checked, the client's address has too many failed logins behind it
    /// ([`backoff::LoginVerdict::Refuse`](super::backoff::LoginVerdict::Refuse)): 421, and the session closes.
    Throttled,
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
    /// `Transfer` on a protected data connection: the TLS handshake failed (garbage, cut off, refused
    /// certificate): 425.
    TlsHandshakeFailed,
    /// `Transfer` on a protected data connection: the handshake did not resume this control connection's TLS
    /// session and [`ServerSession::data_tls_verdict`] said refuse: 522.
    TlsNotResumed,
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
            Outcome::Lines(_) => "lines",
            Outcome::Hash { .. } => "hash",
            Outcome::Bound(_) => "bound",
            Outcome::LoggedIn(_) => "logged_in",
            Outcome::Denied => "denied",
            Outcome::Throttled => "throttled",
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
            Outcome::TlsHandshakeFailed => "tls_handshake_failed",
            Outcome::TlsNotResumed => "tls_not_resumed",
        }
    }
}

/// Something the caller does without answering.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
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
        id: ServerRequestId,
    },
    /// Write the remaining bytes from `poll_transmit`, then close the control connection. The session is closed.
    Close,
    /// AUTH was accepted (234): write the remaining bytes from `poll_transmit` in clear, then run the TLS
    /// handshake on the control connection (the shell is the TLS server). Every byte after the AUTH line that
    /// came in clear was dropped by the session.
    StartTls,
    /// CCC was accepted (200): after writing the remaining bytes under TLS, end TLS on the control connection
    /// (close_notify both ways) and go on in clear.
    StopTls,
    /// A transfer ended (its 226, or its error reply, is in `poll_transmit`): for a transfer log line.
    Transferred {
        /// Download, upload or listing.
        direction: Direction,
        /// The file (for STOU, the directory), or the listed path.
        path: String,
        /// Bytes moved (0 unless it completed).
        bytes: u64,
        /// It completed (226).
        completed: bool,
    },
}

/// Which way a transfer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// RETR.
    Download,
    /// STOR, APPE, STOU.
    Upload,
    /// LIST, NLST, MLSD.
    Listing,
}

impl Direction {
    /// `download`, `upload`, `listing`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Download => "download",
            Direction::Upload => "upload",
            Direction::Listing => "listing",
        }
    }
}

/// What the shell does with a protected data connection, by whether its TLS handshake resumed the control
/// connection's session ([`ServerSession::data_tls_verdict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVerdict {
    /// Use it.
    Use,
    /// Use it, and log that it did not resume the control session.
    Warn,
    /// Close it and answer the transfer [`Outcome::TlsNotResumed`] (522).
    Refuse,
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

/// What a session has done so far, as counters for metrics: the adapter reads [`ServerSession::stats`](super::ServerSession::stats)
/// after each drain and adds what changed into its own totals. Counted by the session where it decides, so every
/// adapter counts the same things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ServerStats {
    /// Command lines received (bad lines included).
    pub commands: u64,
    /// Replies written, by class: `replies[0]` 1xx ... `replies[4]` 5xx.
    pub replies: [u64; 5],
    /// Successful logins.
    pub logins: u64,
    /// Refused logins (530 after PASS).
    pub failed_logins: u64,
    /// Completed transfers (226): downloads (RETR), uploads (STOR, APPE, STOU), listings.
    pub transfers: TransferCounts,
    /// Transfers that ended in an error reply (425/426/451/452/522/552 after the transfer started).
    pub failed_transfers: TransferCounts,
    /// Bytes of completed transfers: downloads, uploads, listings.
    pub bytes: TransferCounts,
    /// Data connections that could not be set up, by cause.
    pub data_failures: DataFailures,
}

/// A count per transfer direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransferCounts {
    /// RETR.
    pub download: u64,
    /// STOR, APPE, STOU.
    pub upload: u64,
    /// LIST, NLST, MLSD.
    pub listing: u64,
}

/// Data connections that could not be set up, by cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataFailures {
    /// No passive connection came in time, or the active connection could not be made (425).
    pub no_connection: u64,
    /// A passive connection from another address than the client's, refused.
    pub refused_source: u64,
    /// A protected data connection that did not resume the control connection's TLS session (522).
    pub tls_not_resumed: u64,
    /// A TLS handshake on the data connection that failed (425).
    pub tls_handshake: u64,
}
