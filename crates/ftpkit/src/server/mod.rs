//! The tokio FTP server: one task per control connection, each a drive loop over
//! [`ServerSession`](crate::proto::session::server::ServerSession).
//!
//! Every protocol decision — login gating, FTP bounce and privileged-port refusal, the passive data connection's
//! source check, path normalisation, reply codes — is the session's. This module only accepts connections, maps
//! the session's requests onto a storage back end ([`Storage`]: by default the jailed local file system,
//! [`LocalStorage`] over [`fs::Jail`]) and sockets, and reports back.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use ftpkit::server::{Access, Server};
//! let server = Server::builder("/srv/ftp")
//!     .bind("127.0.0.1:2121".parse().unwrap())
//!     .passive_ports(30000..=30009)
//!     .anonymous(true)
//!     .user("alice", "secret", Access::ReadWrite)
//!     .build()
//!     .await?;
//! let handle = server.handle();
//! tokio::spawn(server.run());
//! // ... later:
//! handle.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Transfers stream: files go to the socket with non-blocking `sendfile(2)` from the runtime on Linux (a 256 KiB
//! read/write loop on the blocking pool elsewhere); uploads are read in 256 KiB blocks into a temporary file that is
//! renamed into place only when the whole upload arrived. Memory does not grow with file size.

mod conn;
mod data;
pub mod fs;
mod hash;
mod metrics;
mod pace;
mod proxy;
#[cfg(feature = "s3")]
pub mod s3;
pub mod storage;
#[cfg(feature = "tls")]
pub mod tls;
pub mod users;

pub use crate::proto::proxy::{Cidr, ProxyPolicy};
pub use crate::proto::session::server::backoff::BackoffPolicy;
use crate::proto::session::server::backoff::{LoginBackoff, LoginVerdict};
pub use crate::proto::session::server::rate::RateLimits;
use crate::proto::session::server::rate::TokenBucket;
pub use crate::proto::session::server::{Access, Masquerade, Rights, StorageCaps, TlsPolicy, TlsReuse};
use crate::proto::session::server::{ServerConfig, VirtualHost};
#[cfg(feature = "s3")]
pub use s3::{S3Config, S3Storage};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
pub use storage::{LocalStorage, MemoryStorage, Storage};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A user account: its rights, home and bandwidth limits.
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// What the user may do: read-only, read-write, or any set of [`Rights`] (`Access::Rights`); the session
    /// answers 550 to a command whose right is missing.
    pub access: Access,
    /// The user's home, which is also the user's root: the user sees it as `/` and cannot leave it (on the local
    /// back end; a shared [`Builder::storage`] has no per-user roots). `None` means the server's root.
    pub root: Option<PathBuf>,
    /// The user's bandwidth limits, bytes a second, for all of the user's sessions together (on top of the
    /// per-session limits of [`Builder::max_rate_down`] and [`Builder::max_rate_up`]).
    pub rates: RateLimits,
}

/// Checks user names and passwords. Implement it to plug in an application's own user store.
pub trait Authenticator: Send + Sync + std::fmt::Debug {
    /// The account for this user and password, or `None` to refuse the login. Runs on a blocking thread unless
    /// [`Authenticator::may_block`] says it never blocks.
    fn authenticate(&self, user: &str, password: &str) -> Option<Account>;

    /// Whether [`Authenticator::authenticate`] may block or take long (a password hash, a file, a network
    /// directory): then it runs on tokio's blocking pool. An authenticator that only looks at memory returns
    /// false and is called on the session's own task, which saves a thread hand-off on every login.
    fn may_block(&self) -> bool {
        true
    }
}

/// Users and passwords held in memory.
#[derive(Debug, Default, Clone)]
pub struct StaticUsers {
    users: HashMap<String, (String, Account)>,
}

impl StaticUsers {
    /// Adds a user.
    pub fn add(&mut self, user: &str, password: &str, account: Account) {
        self.users.insert(user.to_owned(), (password.to_owned(), account));
    }
}

impl Authenticator for StaticUsers {
    fn authenticate(&self, user: &str, password: &str) -> Option<Account> {
        let (pass, account) = self.users.get(user)?;
        // Compare without an early exit on the first differing byte.
        let same = pass.len() == password.len()
            && pass.bytes().zip(password.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        same.then(|| account.clone())
    }
    fn may_block(&self) -> bool {
        false
    }
}

/// Where active-mode data connections come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveSource {
    /// Port 20 when it can be bound (root, nothing else on it), else an ephemeral port.
    Port20OrEphemeral,
    /// Always an ephemeral port.
    Ephemeral,
}

/// Server settings (the session's policy plus the adapter's own).
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub session: ServerConfig,
    pub root: PathBuf,
    pub anonymous_root: Option<PathBuf>,
    /// The roots of the virtual hosts (HOST, RFC 7151), in the order of `session.vhosts`.
    pub vhost_roots: Vec<PathBuf>,
    pub active_source: ActiveSource,
    pub data_timeout: Duration,
    pub max_sessions: usize,
    pub max_per_ip: usize,
    /// The PROXY protocol: off (`None`), or the trusted proxies every control connection must come from.
    pub proxy: Option<ProxyPolicy>,
    /// Failed logins per client address, across connections.
    pub login_backoff: BackoffPolicy,
    /// Each session's bandwidth limits.
    pub max_rate: RateLimits,
    /// Files hashed at once (HASH), server-wide.
    pub max_hashes: usize,
}

/// Where the server's certificate comes from.
#[cfg(feature = "tls")]
#[derive(Debug)]
enum TlsSource {
    Pem(PathBuf, PathBuf),
    Config(Arc<rustls::ServerConfig>),
}

/// Builds a [`Server`].
#[derive(Debug)]
pub struct Builder {
    bind: SocketAddr,
    #[cfg(feature = "tls")]
    tls: Option<TlsSource>,
    #[cfg(feature = "tls")]
    implicit_bind: Option<SocketAddr>,
    #[cfg(feature = "tls")]
    client_certs: Option<tls::ClientCerts>,
    settings: Settings,
    users: StaticUsers,
    auth: Option<Arc<dyn Authenticator>>,
    storage: Option<Arc<dyn Storage>>,
    metrics_bind: Option<SocketAddr>,
}

impl Builder {
    /// The address to listen on (default `127.0.0.1:2121`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }
    /// Allow anonymous read-only logins (`anonymous` or `ftp`, any password).
    pub fn anonymous(mut self, on: bool) -> Self {
        self.settings.session.anonymous = on;
        self
    }
    /// A different root for anonymous users.
    pub fn anonymous_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.settings.anonymous_root = Some(root.into());
        self
    }
    /// Adds a virtual host (RFC 7151): a client that sends `HOST name` before logging in gets `greeting` (220)
    /// and, once logged in, `root` instead of the server's root (also for anonymous logins; an account with its own
    /// root keeps it). With a [`Builder::storage`] back end the roots are not used. FEAT lists HOST once there is one.
    pub fn vhost(mut self, name: &str, root: impl Into<PathBuf>, greeting: &str) -> Self {
        let host = VirtualHost { name: name.to_owned(), greeting: greeting.to_owned() };
        self.settings.session.vhosts.push(host);
        self.settings.vhost_roots.push(root.into());
        self
    }
    /// Adds a user with a password, rooted at the server's root.
    pub fn user(mut self, name: &str, password: &str, access: Access) -> Self {
        self.users.add(name, password, Account { access, ..Account::default() });
        self
    }
    /// Adds a user with a password and an account: its rights and its home (the user's root).
    pub fn account(mut self, name: &str, password: &str, account: Account) -> Self {
        self.users.add(name, password, account);
        self
    }
    /// Uses an application's own user store instead of (not besides) the users added with [`Builder::user`].
    pub fn authenticator(mut self, auth: Arc<dyn Authenticator>) -> Self {
        self.auth = Some(auth);
        self
    }
    /// The passive port range (default 49152-65534).
    pub fn passive_ports(mut self, ports: RangeInclusive<u16>) -> Self {
        self.settings.session.passive_ports = ports;
        self
    }
    /// The address to advertise in 227 replies (a server behind NAT).
    pub fn masquerade(mut self, m: Masquerade) -> Self {
        self.settings.session.masquerade = m;
        self
    }
    /// Where active-mode data connections come from (default: port 20 when possible).
    pub fn active_source(mut self, s: ActiveSource) -> Self {
        self.settings.active_source = s;
        self
    }
    /// Idle control connections are closed (421) after this long (default 300 s).
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.settings.session.idle_timeout = d;
        self
    }
    /// A data connection must come, and data must move, within this long (default 30 s).
    pub fn data_timeout(mut self, d: Duration) -> Self {
        self.settings.session.data_connect_timeout = d;
        self.settings.data_timeout = d;
        self
    }
    /// At most this many sessions at once (default 512); more get `421` and are closed.
    pub fn max_sessions(mut self, n: usize) -> Self {
        self.settings.max_sessions = n;
        self
    }
    /// At most this many sessions from one client address (default 16).
    pub fn max_sessions_per_ip(mut self, n: usize) -> Self {
        self.settings.max_per_ip = n;
        self
    }
    /// The PROXY protocol (v1 or v2) on every control connection, for a server behind a load balancer such as
    /// HAProxy (`send-proxy-v2`): connections are taken only from `policy.trusted`, each must begin with a valid
    /// header (within `policy.header_timeout`), and the header's source address is the client the session checks
    /// (bounce, data source), counts (per-address limit) and logs. A passive data connection from a trusted proxy
    /// must carry a header too; one from elsewhere is checked by its own address. Off by default.
    pub fn proxy_protocol(mut self, policy: ProxyPolicy) -> Self {
        self.settings.proxy = Some(policy);
        self
    }
    /// Failed logins per client address, counted across connections (default [`BackoffPolicy::default`]: 3 free,
    /// then the answer to PASS delayed 1 s doubling to 30 s, every login from the address refused with 421 for 15
    /// minutes at 10). The arithmetic is the core's ([`crate::proto::session::server::backoff`]).
    pub fn login_backoff(mut self, policy: BackoffPolicy) -> Self {
        self.settings.login_backoff = policy;
        self
    }
    /// At most this many files hashed at once for HASH, server-wide (default: the number of CPUs; at least 1). A
    /// HASH beyond it waits for a slot (its client waits for the reply): a full read and a core's worth of CPU a
    /// file, so clients asking for the hash of their largest file again and again cannot take every core.
    pub fn max_hashes(mut self, n: usize) -> Self {
        self.settings.max_hashes = n.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        self
    }
    /// At most this many bytes a second to the client (downloads, listings) on each session's data connections
    /// (default: no limit). A paced transfer goes through the async stream path, not `sendfile(2)`.
    pub fn max_rate_down(mut self, bytes_per_second: Option<u64>) -> Self {
        self.settings.max_rate.down = bytes_per_second;
        self
    }
    /// At most this many bytes a second from the client (uploads) on each session's data connections.
    pub fn max_rate_up(mut self, bytes_per_second: Option<u64>) -> Self {
        self.settings.max_rate.up = bytes_per_second;
        self
    }
    /// Keeps the files in `storage` instead of the local root (every user sees the same tree; account roots and
    /// the anonymous root apply to the local back end only). The session answers what the back end cannot do
    /// (its [`Storage::capabilities`]) with 502/504.
    pub fn storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }
    /// Metrics in Prometheus' text format on `GET /metrics` at this address (sessions, logins, commands and replies
    /// by class, transfers and bytes by direction, data-connection failures by cause, back-end latency). Off by
    /// default.
    pub fn metrics_bind(mut self, addr: SocketAddr) -> Self {
        self.metrics_bind = Some(addr);
        self
    }
    /// The whole session policy at once (bounce protection, data-source check, greeting, ...).
    pub fn session_config(mut self, c: ServerConfig) -> Self {
        self.settings.session = c;
        self
    }
    /// FTPS: the certificate chain and private key (PEM files, loaded by [`build`](Self::build)). AUTH TLS is
    /// then accepted on the control port and FEAT lists it.
    #[cfg(feature = "tls")]
    pub fn tls_pem(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsSource::Pem(cert.into(), key.into()));
        self
    }
    /// FTPS with a rustls configuration made by the application (its session store and ticketer are replaced
    /// per control connection).
    #[cfg(feature = "tls")]
    pub fn tls_config(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(TlsSource::Config(config));
        self
    }
    /// FTPS with client certificates (mutual TLS) for [`tls_pem`](Self::tls_pem): signed by a CA in the file,
    /// required or optional. A client whose certificate does not verify fails its handshake (and, on the control
    /// connection, the session ends before USER).
    #[cfg(feature = "tls")]
    pub fn tls_client_certs(mut self, clients: tls::ClientCerts) -> Self {
        self.client_certs = Some(clients);
        self
    }
    /// Implicit FTPS: a second listener where TLS starts at the first byte (port 990 by convention).
    #[cfg(feature = "tls")]
    pub fn implicit_tls_bind(mut self, addr: SocketAddr) -> Self {
        self.implicit_bind = Some(addr);
        self
    }
    /// The FTPS policy (TLS for login, for data, CCC, the data-session reuse check). `available` is set by
    /// [`build`](Self::build) from whether a certificate was given.
    pub fn tls_policy(mut self, policy: TlsPolicy) -> Self {
        self.settings.session.tls = policy;
        self
    }
    /// Binds the listener.
    pub async fn build(self) -> io::Result<Server> {
        #[allow(unused_mut)]
        let mut settings = self.settings;
        // Fail early on a root that cannot be opened; tell the session what the back end can do.
        match &self.storage {
            Some(s) => settings.session.storage = s.capabilities(),
            None => {
                fs::Jail::open(&settings.root)?;
                settings.session.storage = StorageCaps::ALL;
            }
        }
        #[cfg(feature = "tls")]
        let tls = match self.tls {
            Some(TlsSource::Pem(cert, key)) => {
                Some(tls::TlsShared::new(tls::load_pem(&cert, &key, self.client_certs.as_ref())?, self.client_certs))
            }
            Some(TlsSource::Config(c)) => Some(tls::TlsShared::new(c, None)),
            None => None,
        };
        #[cfg(feature = "tls")]
        let implicit = match (self.implicit_bind, &tls) {
            (Some(addr), Some(_)) => Some(TcpListener::bind(addr).await?),
            (Some(_), None) => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "implicit TLS needs a certificate"))
            }
            (None, _) => None,
        };
        #[cfg(feature = "tls")]
        {
            settings.session.tls.available = tls.is_some();
        }
        #[cfg(not(feature = "tls"))]
        {
            settings.session.tls.available = false;
        }
        let listener = TcpListener::bind(self.bind).await?;
        let metrics_listener = match self.metrics_bind {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        let (tx, rx) = watch::channel(false);
        let auth: Arc<dyn Authenticator> = match self.auth {
            Some(a) => a,
            None => Arc::new(self.users),
        };
        let hash_slots = Arc::new(tokio::sync::Semaphore::new(settings.max_hashes));
        Ok(Server {
            listener,
            metrics_listener,
            #[cfg(feature = "tls")]
            implicit,
            shared: Arc::new(Shared {
                backoff: Mutex::new(LoginBackoff::new(settings.login_backoff)),
                user_buckets: Mutex::new(HashMap::new()),
                settings,
                #[cfg(feature = "tls")]
                tls,
                auth,
                storage: self.storage,
                metrics: self.metrics_bind.map(|_| metrics::Metrics::default()),
                roots: Mutex::new(HashMap::new()),
                sessions: AtomicUsize::new(0),
                per_ip: Mutex::new(HashMap::new()),
                next_passive: AtomicU32::new(0),
                hash_slots,
                shutdown: rx,
            }),
            shutdown_tx: Arc::new(tx),
        })
    }
}

/// A user's bucket, held by the user's logged-in sessions (dropped with the last one).
type UserBucket = std::sync::Weak<Mutex<TokenBucket>>;

/// State shared by the accept loop and the sessions.
#[derive(Debug)]
pub(crate) struct Shared {
    pub settings: Settings,
    /// The TLS configuration, when the server has a certificate.
    #[cfg(feature = "tls")]
    pub tls: Option<tls::TlsShared>,
    pub auth: Arc<dyn Authenticator>,
    /// A shared back end; `None`: each login opens its local root.
    pub storage: Option<Arc<dyn Storage>>,
    /// The totals a metrics scrape reads, when metrics are on.
    pub metrics: Option<metrics::Metrics>,
    /// Local roots open now, shared by the sessions logged in to them (one descriptor a root, not a session).
    pub roots: Mutex<HashMap<PathBuf, std::sync::Weak<LocalStorage>>>,
    pub sessions: AtomicUsize,
    pub per_ip: Mutex<HashMap<IpAddr, usize>>,
    /// Failed logins per client address (the core's table; this only locks it and reads the clock).
    pub backoff: Mutex<LoginBackoff>,
    /// The users' bandwidth buckets (user, download?), shared by each user's sessions while any is logged in.
    pub user_buckets: Mutex<HashMap<(String, bool), UserBucket>>,
    /// Where the next passive port search starts, so consecutive sessions spread over the range.
    pub next_passive: AtomicU32,
    /// HASH's slots (`Settings::max_hashes`): a hash runs while it holds one.
    pub hash_slots: Arc<tokio::sync::Semaphore>,
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// What to do with a login from `ip` now.
    pub(crate) fn login_verdict(&self, ip: IpAddr) -> LoginVerdict {
        let now = tokio::time::Instant::now().into_std();
        self.backoff.lock().unwrap_or_else(|p| p.into_inner()).check(ip, now)
    }

    /// The bucket of `user`'s transfers in one direction at `rate`: the one the user's sessions share, or a new one.
    pub(crate) fn user_bucket(&self, user: &str, down: bool, rate: u64) -> pace::Bucket {
        let mut map = self.user_buckets.lock().unwrap_or_else(|p| p.into_inner());
        let key = (user.to_owned(), down);
        if let Some(b) = map.get(&key).and_then(std::sync::Weak::upgrade) {
            if b.lock().unwrap_or_else(|p| p.into_inner()).rate() == rate {
                return b;
            }
        }
        let b = pace::bucket(rate);
        map.retain(|_, w| w.strong_count() > 0);
        map.insert(key, Arc::downgrade(&b));
        b
    }

    /// A login from `ip` was checked: it succeeded or failed.
    pub(crate) fn login_result(&self, ip: IpAddr, ok: bool) {
        let mut b = self.backoff.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            b.succeeded(ip);
        } else {
            b.failed(ip, tokio::time::Instant::now().into_std());
        }
    }

    /// The local back end on `root`: the one the sessions on it already share, or a newly opened one. An idle
    /// logged-in session then holds one descriptor (its socket) rather than two.
    pub(crate) fn local_root(&self, root: &std::path::Path) -> io::Result<Arc<LocalStorage>> {
        let mut roots = self.roots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = roots.get(root).and_then(std::sync::Weak::upgrade) {
            return Ok(s);
        }
        let s = Arc::new(LocalStorage::open(root)?);
        roots.retain(|_, w| w.strong_count() > 0);
        roots.insert(root.to_path_buf(), Arc::downgrade(&s));
        Ok(s)
    }
}

/// A running FTP server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    #[cfg(feature = "tls")]
    implicit: Option<TcpListener>,
    shared: Arc<Shared>,
    shutdown_tx: Arc<watch::Sender<bool>>,
}

/// Stops a server: no new connections; each session ends after its current command (idle ones at once, with 421).
#[derive(Debug, Clone)]
pub struct Handle {
    tx: Arc<watch::Sender<bool>>,
    shared: Arc<Shared>,
}

impl Handle {
    /// Asks the server to stop and waits (up to 30 s) until every session has ended.
    pub async fn shutdown(&self) {
        let _ = self.tx.send(true);
        for _ in 0..3000 {
            if self.shared.sessions.load(Ordering::Acquire) == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Loads a new certificate and key (PEM) for the connections that come from now on; sessions already open
    /// keep theirs. No restart.
    ///
    /// # Errors
    /// The files cannot be loaded (the old certificate stays), or the server has no TLS.
    #[cfg(feature = "tls")]
    pub fn reload_tls(&self, cert: &std::path::Path, key: &std::path::Path) -> io::Result<()> {
        let Some(t) = &self.shared.tls else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "this server was built without TLS"));
        };
        t.reload(tls::load_pem(cert, key, t.client_certs())?);
        Ok(())
    }

    /// Sessions now open.
    pub fn sessions(&self) -> usize {
        self.shared.sessions.load(Ordering::Acquire)
    }
}

impl Server {
    /// A builder serving `root`.
    pub fn builder(root: impl Into<PathBuf>) -> Builder {
        Builder {
            bind: SocketAddr::from(([127, 0, 0, 1], 2121)),
            settings: Settings {
                session: ServerConfig::default(),
                root: root.into(),
                anonymous_root: None,
                vhost_roots: Vec::new(),
                active_source: ActiveSource::Port20OrEphemeral,
                data_timeout: Duration::from_secs(30),
                max_sessions: 512,
                max_per_ip: 16,
                proxy: None,
                login_backoff: BackoffPolicy::default(),
                max_rate: RateLimits::default(),
                max_hashes: std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            },
            users: StaticUsers::default(),
            auth: None,
            storage: None,
            metrics_bind: None,
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            implicit_bind: None,
            #[cfg(feature = "tls")]
            client_certs: None,
        }
    }

    /// The address of the implicit-TLS listener, if there is one.
    #[cfg(feature = "tls")]
    pub fn implicit_addr(&self) -> Option<SocketAddr> {
        self.implicit.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The address of the metrics listener, if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> Handle {
        Handle { tx: self.shutdown_tx.clone(), shared: self.shared.clone() }
    }

    /// Accepts connections until shut down.
    pub async fn run(mut self) {
        let mut stop = self.shared.shutdown.clone();
        if let Some(l) = self.metrics_listener.take() {
            tokio::spawn(metrics::serve(l, self.shared.clone(), stop.clone()));
        }
        // One descriptor kept in reserve: when accept fails for lack of descriptors, it is given up to accept the
        // waiting client and tell it so, instead of leaving it without a word.
        let mut reserve = std::fs::File::open("/dev/null").ok();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => self.admit(stream, peer, false),
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        if matches!(e.raw_os_error(), Some(23 | 24)) {
                            shed(&self.listener, &mut reserve, None).await;
                        }
                        // Out of file descriptors and the like: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                accepted = accept_implicit(self.implicit_listener()) => match accepted {
                    Ok((stream, peer)) => self.admit(stream, peer, true),
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed (implicit TLS)");
                        if matches!(e.raw_os_error(), Some(23 | 24)) {
                            if let Some(l) = self.implicit_listener() {
                                shed(l, &mut reserve, Some(&self.shared)).await;
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
            }
        }
        tracing::info!("server stopped accepting");
    }

    fn implicit_listener(&self) -> Option<&TcpListener> {
        #[cfg(feature = "tls")]
        return self.implicit.as_ref();
        #[cfg(not(feature = "tls"))]
        None
    }

    fn admit(&self, stream: tokio::net::TcpStream, from: SocketAddr, implicit: bool) {
        let shared = self.shared.clone();
        let total = shared.sessions.fetch_add(1, Ordering::AcqRel) + 1;
        if let Some(m) = &shared.metrics {
            m.connections.fetch_add(1, Ordering::Relaxed);
        }
        tokio::spawn(async move {
            let mut guard = SessionGuard { shared: shared.clone(), ip: None };
            let mut stream = stream;
            // Behind a load balancer the client is the one its PROXY header names; no header, no session.
            let peer = match &shared.settings.proxy {
                None => from,
                // Boxed: this task's future is as large as its largest await, and every idle session holds it.
                Some(policy) => match Box::pin(proxy::client_of(policy, &mut stream, from, true)).await {
                    Ok((peer, header)) => {
                        tracing::info!(client = %peer, proxy = %from, version = header.map(|h| h.version), "PROXY header");
                        peer
                    }
                    Err(e) => {
                        tracing::warn!(%from, error = %e, "connection refused: PROXY protocol");
                        if let Some(m) = &shared.metrics {
                            m.proxy_refused.fetch_add(1, Ordering::Relaxed);
                        }
                        return;
                    }
                },
            };
            let per_ip = guard.count(peer.ip());
            let refuse = if total > shared.settings.max_sessions {
                Some("421 Too many sessions, try again later.\r\n")
            } else if per_ip > shared.settings.max_per_ip {
                Some("421 Too many sessions from your address.\r\n")
            } else {
                None
            };
            if let Some(text) = refuse {
                tracing::info!(%peer, "session refused: {}", text.trim_end());
                use tokio::io::AsyncWriteExt;
                let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(text.as_bytes())).await;
                return;
            }
            if let Err(e) = conn::serve(stream, peer, shared, implicit).await {
                tracing::debug!(%peer, error = %e, "session ended with an error");
            }
        });
    }
}

/// Out of file descriptors (EMFILE/ENFILE): frees the reserve descriptor, accepts one waiting client, answers it
/// 421 and closes it, then takes the reserve back. No session exists yet, so the reply is this adapter's. On the
/// implicit-TLS listener (`implicit`: the server's TLS settings) the client speaks TLS from its first byte, so the
/// 421 goes under TLS, after a handshake bounded to 2 s (the accept loop waits for it: it has no descriptor to
/// give another client meanwhile anyway).
async fn shed(listener: &TcpListener, reserve: &mut Option<std::fs::File>, implicit: Option<&Shared>) {
    use tokio::io::AsyncWriteExt;
    const TEXT: &str = "421 Too many sessions: the server is out of file descriptors, try again later.\r\n";
    *reserve = None;
    if let Ok(Ok((mut stream, peer))) = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await {
        tracing::warn!(%peer, tls = implicit.is_some(), "out of file descriptors: session refused with 421");
        match implicit {
            None => {
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(TEXT.as_bytes())).await;
            }
            #[cfg(feature = "tls")]
            Some(shared) => {
                if let Some(t) = shared.tls.as_ref() {
                    let acceptor = t.for_session().control;
                    if let Ok(mut tls) = tls::accept(&acceptor, stream, Duration::from_secs(2)).await {
                        let _ = tokio::time::timeout(Duration::from_secs(1), async {
                            tls.write_all(TEXT.as_bytes()).await?;
                            tls.shutdown().await
                        })
                        .await;
                    }
                }
            }
            #[cfg(not(feature = "tls"))]
            Some(_) => drop(stream),
        }
    }
    *reserve = std::fs::File::open("/dev/null").ok();
}

async fn accept_implicit(l: Option<&TcpListener>) -> io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match l {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Decrements the session counters when a session task ends, however it ends.
struct SessionGuard {
    shared: Arc<Shared>,
    /// The client address counted in `per_ip`, once known (after the PROXY header, if any).
    ip: Option<IpAddr>,
}

impl SessionGuard {
    /// Counts one more session from `ip`; returns how many there are now.
    fn count(&mut self, ip: IpAddr) -> usize {
        let mut map = self.shared.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_insert(0);
        *n += 1;
        self.ip = Some(ip);
        *n
    }
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.shared.sessions.fetch_sub(1, Ordering::AcqRel);
        let Some(ip) = self.ip else { return };
        let mut map = self.shared.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Access, Server};
    use std::io::{BufRead, BufReader, Write};
    use std::time::Duration;

    /// A server on `root` (user `u`/`p`, read-only, on a free loopback port) with `more` settings, running on its own
    /// one-thread runtime (keep the runtime as long as the server is needed).
    pub(crate) fn serve_on(
        root: &std::path::Path,
        more: impl FnOnce(super::Builder) -> super::Builder,
    ) -> (tokio::runtime::Runtime, std::net::SocketAddr) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let b = Server::builder(root).bind("127.0.0.1:0".parse().unwrap()).user("u", "p", Access::ReadOnly);
        let server = rt.block_on(more(b).build()).unwrap();
        let addr = server.local_addr().unwrap();
        rt.spawn(server.run());
        (rt, addr)
    }

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
    }

    /// Logged-in idle sessions on one root share the root's handle: each holds its socket and nothing else (the
    /// client's end of each connection is in this process too, so two descriptors a session in all).
    #[test]
    fn idle_sessions_share_their_root_handle() {
        let root = tempfile::tempdir().unwrap();
        let (_rt, addr) = serve_on(root.path(), |b| b.max_sessions_per_ip(100));
        let login = || {
            let c = std::net::TcpStream::connect(addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut r = BufReader::new(c.try_clone().unwrap());
            (&c).write_all(b"USER u\r\nPASS p\r\nPWD\r\n").unwrap();
            let mut seen = 0;
            while seen < 4 {
                let mut line = String::new();
                match r.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{e} after {seen} replies"),
                }
                seen += usize::from(line.as_bytes().get(3) == Some(&b' '));
            }
            assert_eq!(seen, 4, "220, 331, 230, 257");
            c
        };
        let first = login();
        let before = open_fds();
        let held: Vec<_> = (0..20).map(|_| login()).collect();
        let grown = open_fds() - before;
        assert!(grown <= 2 * held.len() + 2, "{grown} descriptors for {} idle sessions", held.len());
        drop((first, held));
    }
}
