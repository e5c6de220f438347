//! ftpkit's own tokio server, embedded: serves a fresh [`Tree`] on a free loopback port from a background tokio
//! runtime, and stops (graceful shutdown, then the runtime) when dropped.
//!
//! Logins: `ftpkit` / `ftpkitpw` read-write, and `anonymous` (or `ftp`, any password) read-only, both rooted at the
//! tree. Active data connections come from an ephemeral port by default (see [`FtpkitOpts::port20`]).

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::Path;
use std::time::Duration;

use ftpkit::server::tls::ClientCerts;
use ftpkit::server::{Access, ActiveSource, Handle, Server, TlsPolicy};
use tempfile::TempDir;

use crate::servers::free_range;
use crate::tree::Tree;
use crate::{Error, Result};

/// The read-write user.
pub const USER: &str = "ftpkit";
/// Its password.
pub const PASS: &str = "ftpkitpw";

/// How to start the embedded server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpkitOpts {
    /// Listen on `::1` instead of `127.0.0.1`.
    pub ipv6: bool,
    /// Size of the tree's `big.bin` in bytes.
    pub big_len: usize,
    /// How many passive ports the server gets.
    pub passive_ports: u16,
    /// Active connections from port 20 when it can be bound (the server's default; the harness runs as root),
    /// instead of an ephemeral port.
    pub port20: bool,
    /// Data connection timeout (connect, and each read or write).
    pub data_timeout: Duration,
    /// FTPS: certificate and key (PEM), the policy, and whether to open an implicit-TLS listener too.
    pub tls: Option<FtpkitTls>,
    /// Virtual hosts (RFC 7151 HOST): name and root, greeted `<name> ready`.
    pub vhosts: Vec<(String, std::path::PathBuf)>,
}

/// The embedded server's FTPS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpkitTls {
    /// Certificate chain, PEM.
    pub cert: std::path::PathBuf,
    /// Private key, PEM.
    pub key: std::path::PathBuf,
    /// The policy (`available` is set from the certificate).
    pub policy: TlsPolicy,
    /// Open an implicit-TLS listener on a free port as well.
    pub implicit: bool,
    /// Ask for client certificates (mutual TLS).
    pub client_certs: Option<ClientCerts>,
}

impl Default for FtpkitOpts {
    /// IPv4, a 4 MiB `big.bin`, 20 passive ports, ephemeral active source, 10 s data timeout.
    fn default() -> Self {
        FtpkitOpts {
            ipv6: false,
            big_len: 4 * 1024 * 1024,
            passive_ports: 20,
            port20: false,
            data_timeout: Duration::from_secs(10),
            tls: None,
            vhosts: Vec::new(),
        }
    }
}

impl FtpkitOpts {
    /// The defaults on `::1`.
    pub fn ipv6() -> Self {
        FtpkitOpts { ipv6: true, ..FtpkitOpts::default() }
    }
}

/// The embedded ftpkit server. Dropping it shuts it down (sessions get `421`, at most 2 s) and stops its runtime;
/// drop it outside any tokio runtime (the harness's tests are plain `#[test]` functions).
#[derive(Debug)]
pub struct FtpkitServer {
    addr: SocketAddr,
    tree: Tree,
    passive: RangeInclusive<u16>,
    implicit: Option<SocketAddr>,
    handle: Handle,
    rt: Option<tokio::runtime::Runtime>,
    dir: TempDir,
}

impl FtpkitServer {
    /// Creates a fresh tree in a temp folder and starts serving it.
    pub fn start(opts: FtpkitOpts) -> Result<FtpkitServer> {
        const NAME: &str = "ftpkit-server";
        let dir = tempfile::Builder::new()
            .prefix("ftpkit-ftpkit-")
            .tempdir()
            .map_err(|e| Error::new(NAME, format!("cannot create a temp dir: {e}")))?;
        let tree = Tree::create(&dir.path().join("root"), opts.big_len)?;
        let ip = if opts.ipv6 { IpAddr::from(std::net::Ipv6Addr::LOCALHOST) } else { IpAddr::from([127, 0, 0, 1]) };
        let passive = free_range(ip, opts.passive_ports)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ftpkit-server")
            .enable_all()
            .build()
            .map_err(|e| Error::new(NAME, format!("cannot build a tokio runtime: {e}")))?;
        let source = if opts.port20 { ActiveSource::Port20OrEphemeral } else { ActiveSource::Ephemeral };
        let mut builder = Server::builder(tree.root())
            .bind(SocketAddr::new(ip, 0))
            .passive_ports(passive.clone())
            .anonymous(true)
            .user(USER, PASS, Access::ReadWrite)
            .active_source(source)
            .data_timeout(opts.data_timeout);
        for (name, root) in &opts.vhosts {
            builder = builder.vhost(name, root, &format!("{name} ready"));
        }
        if let Some(tls) = &opts.tls {
            builder = builder.tls_pem(&tls.cert, &tls.key).tls_policy(tls.policy);
            if let Some(clients) = &tls.client_certs {
                builder = builder.tls_client_certs(clients.clone());
            }
            if tls.implicit {
                builder = builder.implicit_tls_bind(SocketAddr::new(ip, 0));
            }
        }
        let server =
            rt.block_on(builder.build()).map_err(|e| Error::new(NAME, format!("cannot bind {ip} port 0: {e}")))?;
        let addr = server.local_addr().map_err(|e| Error::new(NAME, format!("no local address: {e}")))?;
        let implicit = server.implicit_addr();
        let handle = server.handle();
        rt.spawn(server.run());
        Ok(FtpkitServer { addr, tree, passive, implicit, handle, rt: Some(rt), dir })
    }

    /// Loads a new certificate and key for the connections that come from now on (no restart).
    pub fn reload_tls(&self, cert: &Path, key: &Path) -> Result<()> {
        self.handle.reload_tls(cert, key).map_err(|e| Error::new("ftpkit-server", format!("reload: {e}")))
    }

    /// The implicit-TLS listener's address, when [`FtpkitTls::implicit`] asked for one.
    pub fn implicit_addr(&self) -> Option<SocketAddr> {
        self.implicit
    }

    /// `ftpkit-server`.
    pub fn name(&self) -> &'static str {
        "ftpkit-server"
    }

    /// The control connection's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The control port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The host as written in a URL: `127.0.0.1` or `[::1]`.
    pub fn url_host(&self) -> String {
        crate::servers::url_host(self.addr)
    }

    /// `ftp://HOST:PORT/PATH` with `PATH` percent-encoded.
    pub fn url(&self, path: &str) -> String {
        crate::servers::ftp_url(self.addr, path)
    }

    /// The read-write user ([`USER`]).
    pub fn user(&self) -> &'static str {
        USER
    }

    /// Its password ([`PASS`]).
    pub fn pass(&self) -> &'static str {
        PASS
    }

    /// `user:pass` for curl's `-u`.
    pub fn userpass(&self) -> String {
        format!("{USER}:{PASS}")
    }

    /// The served tree.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The tree's root on disk.
    pub fn root(&self) -> &Path {
        self.tree.root()
    }

    /// The passive port range.
    pub fn passive_ports(&self) -> RangeInclusive<u16> {
        self.passive.clone()
    }

    /// Sessions open now.
    pub fn sessions(&self) -> usize {
        self.handle.sessions()
    }

    /// The temp folder (the tree is `dir()/root`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A description for failure messages (the embedded server logs through `tracing`, which tests do not collect).
    pub fn log(&self) -> String {
        format!(
            "ftpkit server on {}, passive {:?}, {} session(s) open, root {}",
            self.addr,
            self.passive,
            self.sessions(),
            self.root().display()
        )
    }
}

impl Drop for FtpkitServer {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            let handle = self.handle.clone();
            // Bounded: a session stuck in a transfer must not hang the test.
            rt.block_on(async move {
                let _ = tokio::time::timeout(Duration::from_secs(2), handle.shutdown()).await;
            });
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}
