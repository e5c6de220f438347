//! What the blocking and the tokio clients share: options, errors, the trace hook, and their request methods
//! (written once, in the `client_calls!` macro). Every protocol decision is the one client driver's
//! ([`ClientDriver`]); the two clients are IO loops that perform its actions.

pub use crate::proto::driver::{parse_entries, parse_names, ClientMode, TlsMode, TlsPolicy, TraceLine};
use crate::proto::driver::{ClientDriver, DriverConfig, DriverError, Outcome};
pub use crate::proto::encoding::{EncodingError, TextEncoding, UnknownEncoding};
use crate::proto::listing::{Date, DateTime};
use crate::proto::reply::Reply;
use crate::proto::session::client::{CloseReason, SessionError, TransferFailure};
pub use crate::proto::session::PasvAddressPolicy;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A function that sees every control line; see [`Options::trace`].
pub type Tracer = std::sync::Arc<dyn Fn(&TraceLine) + Send + Sync>;

/// Client settings.
#[derive(Clone)]
pub struct Options {
    /// Connecting the control connection (default 10 s).
    pub connect_timeout: Duration,
    /// Waiting for any reply on the control connection (default 30 s).
    pub reply_timeout: Duration,
    /// Connecting, accepting, and each read or write on a data connection (default 30 s).
    pub data_timeout: Duration,
    /// Passive (default) or active.
    pub mode: ClientMode,
    /// What to connect to when a 227 names another address than the server's (default: the server's address, as
    /// curl, ftplib and commons-net do since CVE-2020-8284 / CVE-2021-4189).
    pub pasv_policy: PasvAddressPolicy,
    /// Send `EPSV ALL` and use EPSV only (helps NAT devices; no active mode afterwards).
    pub epsv_all: bool,
    /// Passive mode tries EPSV first, falling back to PASV (default true). False: PASV only, the classic
    /// `h1,h2,h3,h4,p1,p2` reply (as curl's `--disable-epsv`).
    pub extended_passive: bool,
    /// Size of the buffer used to copy data (default 256 KiB: large reads come close to raw TCP speed).
    pub buffer_size: usize,
    /// Called with every command sent and every reply line received (default none).
    pub trace: Option<Tracer>,
    /// FTPS: off (default), explicit (`AUTH TLS` at login) or implicit; protect data, require TLS.
    pub tls: TlsPolicy,
    /// FTPS certificates: roots, server name, client certificate, the opt-out for self-signed test servers.
    #[cfg(feature = "tls")]
    pub tls_config: crate::tls::TlsConfig,
    /// TCP keep-alive on the control connection (default on: first probe after 60 s idle, then every 15 s).
    /// While a long transfer runs the control connection carries nothing, and NAT devices and firewalls drop
    /// connections they have not seen traffic on for a few minutes; the probes keep their state alive. `None`
    /// leaves the socket as the system made it.
    pub keepalive: Option<KeepAlive>,
    /// The local address to connect from (Python ftplib's `source_address`; default: the system's choice). The
    /// control connection is bound to it; passive data connections to its IP (any port: its port is the control
    /// connection's); active mode listens on the control connection's local IP, so on it too.
    pub source_address: Option<SocketAddr>,
    /// The encoding of path names (default UTF-8; `OPTS UTF8 ON` is sent when FEAT lists `UTF8`). Latin-1 for
    /// servers that send ISO-8859-1 names: names given are written one byte per character, names in listings and
    /// `257` replies read the same way, so a name listed downloads byte for byte. A name that does not fit fails
    /// its call with [`Error::Encoding`] before anything is sent; a listing that is not valid UTF-8 in UTF-8 fails
    /// the same way (never replaced).
    pub encoding: TextEncoding,
}

/// TCP keep-alive settings for the control connection; see [`Options::keepalive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    /// Idle time before the first probe (`TCP_KEEPIDLE`).
    pub idle: Duration,
    /// Time between probes (`TCP_KEEPINTVL`).
    pub interval: Duration,
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive { idle: Duration::from_secs(60), interval: Duration::from_secs(15) }
    }
}

/// Which connection a socket is for, for [`bind_address`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conn {
    Control,
    Data,
}

/// The local address a new connection is bound to before it connects, from [`Options::source_address`]: the
/// whole address for the control connection, its IP with any port for a data connection. `None`: not bound (the
/// system chooses).
pub(crate) fn bind_address(opts: &Options, conn: Conn) -> Option<SocketAddr> {
    let source = opts.source_address?;
    Some(match conn {
        Conn::Control => source,
        Conn::Data => SocketAddr::new(source.ip(), 0),
    })
}

/// Sets (or leaves alone, for `None`) TCP keep-alive on a control socket.
pub(crate) fn set_keepalive(sock: socket2::SockRef<'_>, keepalive: Option<KeepAlive>) -> io::Result<()> {
    let Some(k) = keepalive else { return Ok(()) };
    let params = socket2::TcpKeepalive::new().with_time(k.idle).with_interval(k.interval);
    sock.set_tcp_keepalive(&params)
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("connect_timeout", &self.connect_timeout)
            .field("reply_timeout", &self.reply_timeout)
            .field("data_timeout", &self.data_timeout)
            .field("mode", &self.mode)
            .field("pasv_policy", &self.pasv_policy)
            .field("epsv_all", &self.epsv_all)
            .field("extended_passive", &self.extended_passive)
            .field("buffer_size", &self.buffer_size)
            .field("trace", &self.trace.is_some())
            .field("tls", &self.tls)
            .field("keepalive", &self.keepalive)
            .field("source_address", &self.source_address)
            .field("encoding", &self.encoding)
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Duration::from_secs(10),
            reply_timeout: Duration::from_secs(30),
            data_timeout: Duration::from_secs(30),
            mode: ClientMode::Passive,
            pasv_policy: PasvAddressPolicy::default(),
            epsv_all: false,
            extended_passive: true,
            buffer_size: 256 * 1024,
            trace: None,
            tls: TlsPolicy::default(),
            #[cfg(feature = "tls")]
            tls_config: crate::tls::TlsConfig::default(),
            keepalive: Some(KeepAlive::default()),
            source_address: None,
            encoding: TextEncoding::Utf8,
        }
    }
}

/// A client error. `Refused` and `Transfer` carry the server's reply; `Protocol` is the server breaking the protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket or file operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// No answer in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The server refused the request.
    #[error("server refused: {} {}", .0.code, .0.text())]
    Refused(Reply),
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
    /// The server broke the protocol, or the request was not possible in the session's state.
    #[error("protocol: {0}")]
    Protocol(#[from] SessionError),
    /// The control connection is closed.
    #[error("connection closed ({0:?})")]
    Closed(CloseReason),
    /// TLS is required and the server refused it (AUTH, PBSZ or PROT). After a refused AUTH the session is
    /// closed and nothing else was sent.
    #[error("TLS required, but the server refused: {} {}", .0.code, .0.text())]
    TlsRefused(Reply),
    /// The server's certificate could not be verified (unknown issuer, wrong name, expired); the session is
    /// closed.
    #[error("server certificate refused: {0}")]
    Certificate(String),
    /// TLS failed otherwise (a handshake cut off, a TLS configuration that cannot be loaded, no `tls` feature).
    #[error("TLS: {0}")]
    Tls(String),
    /// A name does not fit the connection's encoding ([`Options::encoding`]): one to send had a character it
    /// cannot write (nothing was sent), or a listing had bytes it cannot read.
    #[error("encoding: {0}")]
    Encoding(#[from] EncodingError),
    /// HASH's `213` did not read as a hash reply.
    #[error("bad HASH reply: {0}")]
    BadHash(#[from] crate::proto::hash::HashReplyError),
}

impl Error {
    /// The stable class of the error (for bindings).
    pub fn kind(&self) -> crate::proto::ErrorKind {
        use crate::proto::ErrorKind as K;
        match self {
            Error::Io(_) | Error::Timeout(_) | Error::Transfer { .. } => K::Incomplete,
            Error::Refused(_) | Error::LoginFailed(_) | Error::TlsRefused(_) | Error::Certificate(_) => K::Refused,
            Error::Tls(_) => K::Closed,
            Error::Protocol(e) => e.kind(),
            Error::Closed(_) => K::Closed,
            Error::Encoding(e) => e.kind(),
            Error::BadHash(e) => e.kind(),
        }
    }
}

/// A client result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Today's date, UTC: the reference for the year of `ls -l` entries that show a time instead.
pub fn today() -> Date {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    DateTime::from_unix(secs, 0).map_or(Date::UNIX_EPOCH, |t| t.date())
}

impl Options {
    /// The driver settings these options ask for, for a control connection from `local` to `peer`.
    pub fn driver_config(&self, peer: SocketAddr, local: SocketAddr) -> DriverConfig {
        let mut config = DriverConfig::new(peer, local);
        config.session.pasv_policy = self.pasv_policy.clone();
        config.session.epsv_all = self.epsv_all;
        config.reply_timeout = self.reply_timeout;
        config.data_timeout = self.data_timeout;
        config.mode = self.mode;
        config.extended_passive = self.extended_passive;
        config.trace = self.trace.is_some();
        config.with_tls(self.tls).with_encoding(self.encoding)
    }
}

/// What both clients set up on a fresh control connection from `local` to `peer`: no Nagle delay, keep-alive
/// as the options say, the driver (waiting for the greeting) and, for FTPS, the TLS state.
pub(crate) struct Setup {
    pub(crate) driver: ClientDriver,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::Tls>,
}

pub(crate) fn setup(sock: socket2::SockRef<'_>, peer: SocketAddr, local: SocketAddr, opts: &Options) -> Result<Setup> {
    sock.set_tcp_nodelay(true)?;
    set_keepalive(sock, opts.keepalive)?;
    let driver = ClientDriver::new(opts.driver_config(peer, local), std::time::Instant::now());
    #[cfg(feature = "tls")]
    let tls = match opts.tls.mode {
        TlsMode::Off => None,
        _ => Some(crate::tls::Tls::new(&opts.tls_config, peer)?),
    };
    Ok(Setup {
        driver,
        #[cfg(feature = "tls")]
        tls,
    })
}

/// The size of a client's control-connection read buffer.
pub(crate) const CONTROL_READ: usize = 8192;

/// The room a listing read into memory starts with: `read_to_end` into an empty vector begins with 32-byte reads
/// and grows from there, several system calls for a small listing.
pub(crate) const LISTING_START: usize = 16 * 1024;

impl From<DriverError> for Error {
    fn from(e: DriverError) -> Error {
        match e {
            DriverError::Timeout(what) => Error::Timeout(what),
            DriverError::Refused(r) => Error::Refused(r),
            DriverError::LoginFailed(r) => Error::LoginFailed(r),
            DriverError::Transfer { failure, reply } => Error::Transfer { failure, reply },
            DriverError::Protocol(e) => Error::Protocol(e),
            DriverError::Closed(reason) => Error::Closed(reason),
            DriverError::TlsRefused(r) => Error::TlsRefused(r),
            DriverError::Tls { reason, certificate: true } => Error::Certificate(reason),
            DriverError::Tls { reason, .. } => Error::Tls(reason),
            DriverError::Encoding(e) => Error::Encoding(e),
            DriverError::BadHash(e) => Error::BadHash(e),
            _ => Error::Protocol(SessionError::InvalidState { what: "call", why: "another call is in progress" }),
        }
    }
}

#[cfg(feature = "tls")]
impl From<crate::tls::ConfigError> for Error {
    fn from(e: crate::tls::ConfigError) -> Error {
        Error::Tls(e.to_string())
    }
}

/// The reason a shell built without the `tls` feature gives for a TLS step.
#[cfg(not(feature = "tls"))]
pub(crate) const NO_TLS: &str = "ftpkit was built without the `tls` feature";

/// The error for a call that ended with another outcome than the one it asks for.
pub(crate) fn unexpected(outcome: Outcome) -> Error {
    Error::Protocol(SessionError::InvalidState {
        what: "the call's answer",
        why: match outcome {
            Outcome::Done(_) => "the server's reply did not carry the expected value",
            _ => "the driver ended the call with another outcome",
        },
    })
}

/// The final reply of a call that ends with [`Outcome::Done`].
pub(crate) fn done(outcome: Outcome) -> Result<Reply> {
    match outcome {
        Outcome::Done(reply) => Ok(reply),
        other => Err(unexpected(other)),
    }
}

/// Hands a driver's log message to `tracing`.
pub(crate) fn log(level: crate::proto::driver::LogLevel, message: &str) {
    match level {
        crate::proto::driver::LogLevel::Info => tracing::info!("{message}"),
        _ => tracing::debug!("{message}"),
    }
}

/// The request methods of both clients, written once: `client_calls!({async} {.await})` for the tokio client,
/// `client_calls!({} {})` for the blocking one. Each shell provides `call(Call) -> Result<Outcome>` and
/// `read_all(TransferKind) -> Result<Vec<u8>>` (sync or async to match).
macro_rules! client_calls {
    ({$($async_:tt)*} {$($await_:tt)*}) => {
        /// Logs in, then asks for the server's features (FEAT; its refusal is no error) and sets binary type.
        pub $($async_)* fn login(&mut self, user: &str, password: &str) -> Result<()> {
            let call = Call::Login { user: user.to_owned(), password: password.to_owned(), account: None };
            self.call(call)$($await_)*.map(drop)
        }

        /// Sets the transfer type (`TYPE I` binary, `TYPE A` ASCII).
        pub $($async_)* fn set_type(&mut self, t: TransferType) -> Result<()> {
            self.call(Call::Type(t))$($await_)*.map(drop)
        }

        /// The working directory (PWD).
        pub $($async_)* fn pwd(&mut self) -> Result<String> {
            match self.call(Call::Pwd)$($await_)*? {
                Outcome::Path(path) => Ok(path),
                other => Err(unexpected(other)),
            }
        }

        /// Changes the working directory.
        pub $($async_)* fn cwd(&mut self, path: &str) -> Result<()> {
            self.call(Call::Cwd(path.to_owned()))$($await_)*.map(drop)
        }

        /// Makes a directory; returns its path when the server says it.
        pub $($async_)* fn mkdir(&mut self, path: &str) -> Result<Option<String>> {
            match self.call(Call::Mkd(path.to_owned()))$($await_)*? {
                Outcome::Path(path) => Ok(Some(path)),
                _ => Ok(None),
            }
        }

        /// Removes a directory.
        pub $($async_)* fn rmdir(&mut self, path: &str) -> Result<()> {
            self.call(Call::Rmd(path.to_owned()))$($await_)*.map(drop)
        }

        /// Deletes a file.
        pub $($async_)* fn delete(&mut self, path: &str) -> Result<()> {
            self.call(Call::Dele(path.to_owned()))$($await_)*.map(drop)
        }

        /// Renames (RNFR + RNTO).
        pub $($async_)* fn rename(&mut self, from: &str, to: &str) -> Result<()> {
            self.call(Call::Rename { from: from.to_owned(), to: to.to_owned() })$($await_)*.map(drop)
        }

        /// A file's size (SIZE).
        pub $($async_)* fn size(&mut self, path: &str) -> Result<u64> {
            match self.call(Call::Size(path.to_owned()))$($await_)*? {
                Outcome::Size(size) => Ok(size),
                other => Err(unexpected(other)),
            }
        }

        /// A file's modification time, UTC (MDTM).
        pub $($async_)* fn mdtm(&mut self, path: &str) -> Result<DateTime> {
            match self.call(Call::Mdtm(path.to_owned()))$($await_)*? {
                Outcome::Modified(time) => Ok(time),
                other => Err(unexpected(other)),
            }
        }

        /// A file's hash as the server computes it (HASH, draft-bryan-ftpext-hash), parsed: algorithm, byte range,
        /// digest, path. Whether the server has HASH, and which algorithm is in use, is in its features
        /// (`session().features()`: `offers_hash`, `hash_selected`).
        pub $($async_)* fn hash(&mut self, path: &str) -> Result<$crate::proto::hash::HashReply> {
            match self.call(Call::Hash(path.to_owned()))$($await_)*? {
                Outcome::Hash(reply) => Ok(reply),
                other => Err(unexpected(other)),
            }
        }

        /// Chooses the algorithm later [`hash`](Self::hash) calls use (`OPTS HASH`); returns the reply.
        pub $($async_)* fn select_hash(&mut self, algorithm: $crate::proto::hash::HashAlgorithm) -> Result<Reply> {
            client::done(self.call(Call::OptsHash(algorithm))$($await_)*?)
        }

        /// NOOP.
        pub $($async_)* fn noop(&mut self) -> Result<()> {
            self.call(Call::Noop)$($await_)*.map(drop)
        }

        /// A SITE command; returns the server's reply.
        pub $($async_)* fn site(&mut self, text: &str) -> Result<Reply> {
            client::done(self.call(Call::Site(text.to_owned()))$($await_)*?)
        }

        /// Sends one raw command line (no line end; CR, LF and NUL are refused before anything is sent) and returns
        /// its final reply, whatever its code (a `1xx` is waited past). Commands that open data connections belong
        /// to the transfer methods.
        pub $($async_)* fn quote(&mut self, line: &str) -> Result<Reply> {
            match self.call(Call::Raw(line.to_owned()))$($await_)*? {
                Outcome::Reply(reply) => Ok(reply),
                other => Err(unexpected(other)),
            }
        }

        /// Ends a transfer whose data connection was read to its end (`DataEnd::Eof`) or written and closed
        /// (`DataEnd::Closed`); returns the final reply.
        pub $($async_)* fn finish_transfer(&mut self, end: DataEnd) -> Result<Reply> {
            match self.call(Call::Finish { end })$($await_)*? {
                Outcome::Transferred(reply) => Ok(reply),
                other => Err(unexpected(other)),
            }
        }

        /// `AUTH TLS` and the TLS handshake on the control connection, on their own (for
        /// [`TlsMode::Manual`](crate::client::TlsMode::Manual), ftplib's `FTP_TLS.auth()`); returns the `234`.
        pub $($async_)* fn auth(&mut self) -> Result<Reply> {
            client::done(self.call(Call::Auth)$($await_)*?)
        }

        /// `PBSZ 0` (needs TLS on the control connection); returns the reply.
        pub $($async_)* fn pbsz(&mut self) -> Result<Reply> {
            client::done(self.call(Call::Pbsz)$($await_)*?)
        }

        /// `PROT C` or `PROT P` (after [`pbsz`](Self::pbsz)): the next data connections in clear or under TLS,
        /// resuming the control connection's session; returns the reply.
        pub $($async_)* fn prot(&mut self, level: $crate::proto::command::ProtectionLevel) -> Result<Reply> {
            client::done(self.call(Call::Prot(level))$($await_)*?)
        }

        /// CCC (RFC 4217 §6): ends TLS on the control connection after login (close_notify both ways) and goes on
        /// in clear on the same TCP connection, so that a firewall's or NAT router's FTP helper can read the
        /// PORT/EPRT commands and 227/229 replies again. Data connections keep the protection PROT set. Returns the
        /// `200`; the server may refuse (534, the usual policy), and the call then fails with the reply.
        pub $($async_)* fn ccc(&mut self) -> Result<Reply> {
            client::done(self.call(Call::Ccc)$($await_)*?)
        }

        /// True while data connections are protected (`PROT P`, or the login's when FTPS protects data).
        pub fn data_protected(&self) -> bool {
            self.driver.session().data_protected()
        }

        /// True while TLS runs on the control connection.
        pub fn control_protected(&self) -> bool {
            self.driver.session().control_protected()
        }

        /// Ends the session (QUIT) and closes the connection.
        pub $($async_)* fn quit(mut self) -> Result<()> {
            self.call(Call::Quit)$($await_)*.map(drop)
        }

        /// The entries of a directory, parsed: MLSD when the server has it, LIST otherwise. Lines no parser
        /// understands are left out; use the `list_raw` method to see them.
        pub $($async_)* fn list(&mut self, path: Option<&str>) -> Result<Vec<Entry<'static>>> {
            let kind = self.driver.listing_command(path);
            let data = self.read_all(kind.clone())$($await_)*?;
            let encoding = self.driver.encoding();
            Ok(client::parse_entries(&kind, &data, client::today(), encoding)?.0)
        }

        /// The raw LIST lines.
        pub $($async_)* fn list_raw(&mut self, path: Option<&str>) -> Result<Vec<String>> {
            let data = self.read_all(TransferKind::List(path.map(str::to_owned)))$($await_)*?;
            Ok(client::parse_names(&data, self.driver.encoding())?)
        }

        /// The names in a directory (NLST).
        pub $($async_)* fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>> {
            let data = self.read_all(TransferKind::Nlst(path.map(str::to_owned)))$($await_)*?;
            Ok(client::parse_names(&data, self.driver.encoding())?)
        }

        /// The session (read-only), for its features and state.
        pub fn session(&self) -> &ClientSession {
            self.driver.session()
        }

        /// Changes passive/active mode for the next transfers.
        pub fn set_mode(&mut self, mode: ClientMode) {
            self.driver.set_mode(mode);
        }
    };
}
pub(crate) use client_calls;
