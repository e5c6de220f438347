//! Real FTP servers, started in the foreground on loopback and stopped by process group on drop.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::install::{ensure_peers_rs, ensure_pure_ftpd, ensure_pyftpdlib, ensure_pyftpdlib_tls, ensure_vsftpd};
use crate::process::{kill_and_wait, run_with_timeout};
use crate::tree::Tree;
use crate::{Error, Result};

/// How long a server has to send its greeting after being started.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Start attempts (a fresh port each) before giving up: a port found free can be taken before the server binds it.
const START_ATTEMPTS: usize = 5;

/// Options common to every server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOpts {
    /// Listen on `::1` instead of `127.0.0.1` (all three servers support it).
    pub ipv6: bool,
    /// Size of the tree's `big.bin` in bytes.
    pub big_len: usize,
    /// How many passive ports the server gets (a contiguous range below the kernel's ephemeral range).
    pub passive_ports: u16,
    /// Serve FTPS with this certificate (vsftpd: TLS required for login and data, session reuse required).
    pub tls: Option<ServerTls>,
    /// For benchmarks (pyftpdlib): log warnings only (its DEBUG log writes every command and reply to a file) and no
    /// connection limits (its defaults: 512 in all).
    pub bench: bool,
}

/// A server's TLS certificate and key (PEM files, e.g. from [`crate::certs::Certs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTls {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
    /// Implicit FTPS (vsftpd `implicit_ssl=YES`): TLS from the first byte; the harness then waits for the port to
    /// accept connections instead of reading the greeting.
    pub implicit: bool,
    /// Require a client certificate signed by a CA in this file (vsftpd `require_cert=YES`, `validate_cert=YES`).
    pub client_ca: Option<PathBuf>,
}

impl Default for ServerOpts {
    /// IPv4, a 4 MiB `big.bin`, 20 passive ports.
    fn default() -> Self {
        ServerOpts { ipv6: false, big_len: 4 * 1024 * 1024, passive_ports: 20, tls: None, bench: false }
    }
}

impl ServerOpts {
    /// The defaults on `::1`.
    pub fn ipv6() -> Self {
        ServerOpts { ipv6: true, ..ServerOpts::default() }
    }

    fn ip(&self) -> IpAddr {
        if self.ipv6 {
            IpAddr::V6(Ipv6Addr::LOCALHOST)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
    }
}

/// A running server. Killed (its whole process group, so per-session children too) and waited for on drop; its temp
/// folder (config, tree, logs) is removed then.
#[derive(Debug)]
pub struct Server {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    user: String,
    pass: String,
    tree: Tree,
    passive: RangeInclusive<u16>,
    greeting: String,
    logs: Vec<PathBuf>,
    dir: TempDir,
}

impl Server {
    /// `vsftpd`, `pure-ftpd` or `pyftpdlib`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The control connection's address (`127.0.0.1:port` or `[::1]:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The control port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The host as written in a URL: `127.0.0.1` or `[::1]`.
    pub fn url_host(&self) -> String {
        url_host(self.addr)
    }

    /// The login name (`anonymous` for vsftpd, `ftpkit` for the others).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password (empty for vsftpd's anonymous login, which asks none; `ftpkitpw` for the others).
    pub fn pass(&self) -> &str {
        &self.pass
    }

    /// `user:pass`, as curl's `-u` takes it.
    pub fn userpass(&self) -> String {
        format!("{}:{}", self.user, self.pass)
    }

    /// The served tree's root on disk (what the login sees as `/`).
    pub fn root(&self) -> &Path {
        self.tree.root()
    }

    /// The served tree, with its files' hashes.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The server's passive port range.
    pub fn passive_ports(&self) -> RangeInclusive<u16> {
        self.passive.clone()
    }

    /// The greeting read while waiting for the server (all its lines, CRLF kept).
    pub fn greeting(&self) -> &str {
        &self.greeting
    }

    /// The server's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's temp folder (config, logs; the tree is `dir()/root`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `ftp://HOST:PORT/PATH` with `PATH` percent-encoded (blanks, non-ASCII; `/` kept).
    pub fn url(&self, path: &str) -> String {
        ftp_url(self.addr, path)
    }

    /// The server's log text so far (its log file and its captured stdout/stderr), for failure messages.
    pub fn log(&self) -> String {
        read_logs(&self.logs)
    }

    /// Stops the server now (the same as dropping it).
    pub fn stop(self) {}
}

impl Drop for Server {
    fn drop(&mut self) {
        kill_and_wait(&mut self.child);
    }
}

fn read_logs(logs: &[PathBuf]) -> String {
    let mut out = String::new();
    for path in logs {
        let text = fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let _ = writeln!(out, "--- {name} ---\n{text}");
    }
    out
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A port on `ip` that was free a moment ago (bind port 0, read it, release it).
fn free_port(ip: IpAddr) -> Result<u16> {
    TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::new("port", format!("cannot bind {ip} port 0: {e}")))
}

/// `count` consecutive ports on `ip`, all free a moment ago, between 20000 and 32000 (below Linux's ephemeral range,
/// so clients' and control ports do not land in it). Different calls in a process get different ranges.
pub fn free_range(ip: IpAddr, count: u16) -> Result<RangeInclusive<u16>> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let count = count.max(1);
    let slots = u64::from(12_000 / count);
    let seed = u64::from(std::process::id()).wrapping_mul(7919);
    for _ in 0..64 {
        let slot = (seed + NEXT.fetch_add(1, Ordering::Relaxed)) % slots;
        let low = 20_000 + u16::try_from(slot).unwrap_or(0) * count;
        let high = low + (count - 1);
        if (low..=high).all(|p| TcpListener::bind((ip, p)).is_ok()) {
            return Ok(low..=high);
        }
    }
    Err(Error::new("port", format!("no free range of {count} passive ports on {ip} after 64 tries")))
}

/// Reads the greeting: lines until one starting `220 ` (a multi-line `220-` greeting has several).
fn read_greeting(addr: SocketAddr, deadline: Instant) -> std::io::Result<String> {
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(50));
    let stream = TcpStream::connect_timeout(&addr, left.min(Duration::from_secs(1)))?;
    stream.set_read_timeout(Some(left))?;
    let mut reader = BufReader::new(stream);
    let mut greeting = String::new();
    for _ in 0..64 {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("closed after {greeting:?}")));
        }
        greeting.push_str(&line);
        if line.starts_with("220 ") {
            return Ok(greeting);
        }
        if !line.starts_with("220") {
            // A definite answer (e.g. 421): waiting longer will not change it.
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not a 220 greeting: {greeting:?}"),
            ));
        }
    }
    Err(std::io::Error::other(format!("greeting over 64 lines: {greeting:?}")))
}

/// What one start attempt needs to know.
struct Attempt<'a> {
    ip: IpAddr,
    port: u16,
    passive: RangeInclusive<u16>,
    dir: &'a Path,
}

/// Common start logic: tree, ports, spawn, wait for the greeting, retry on early exit.
fn launch(
    name: &'static str,
    opts: &ServerOpts,
    user: &str,
    pass: &str,
    prepare: impl FnOnce(&Tree, &Path) -> Result<()>,
    mut command: impl FnMut(&Attempt<'_>) -> Result<(Command, Vec<PathBuf>)>,
) -> Result<Server> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("ftpkit-{name}-"))
        .tempdir()
        .map_err(|e| Error::new(name, format!("cannot create a temp dir: {e}")))?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::new(name, format!("chmod temp dir: {e}")))?;
    let tree = Tree::create(&dir.path().join("root"), opts.big_len)?;
    prepare(&tree, dir.path()).map_err(|e| Error::new(name, e.to_string()))?;
    let ip = opts.ip();
    let mut last = String::new();
    for attempt in 1..=START_ATTEMPTS {
        let port = free_port(ip)?;
        let passive = free_range(ip, opts.passive_ports)?;
        let (mut cmd, mut logs) = command(&Attempt { ip, port, passive: passive.clone(), dir: dir.path() })?;
        let out = dir.path().join(format!("stdout-{attempt}.txt"));
        let err = dir.path().join(format!("stderr-{attempt}.txt"));
        let open = |p: &Path| fs::File::create(p).map_err(|e| Error::new(name, format!("create {}: {e}", p.display())));
        cmd.stdin(Stdio::null()).stdout(open(&out)?).stderr(open(&err)?).process_group(0);
        logs.push(out);
        logs.push(err);
        let mut child = cmd.spawn().map_err(|e| Error::new(name, format!("cannot start {cmd:?}: {e}")))?;
        let addr = SocketAddr::new(ip, port);
        let deadline = Instant::now() + READY_TIMEOUT;
        let outcome = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break Err(format!("exited with {status} before greeting"));
            }
            let ready = if opts.tls.as_ref().is_some_and(|t| t.implicit) {
                // The greeting is inside TLS: a connection accepted is enough.
                TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                    .map(|_| "(implicit TLS: greeting not read)".to_owned())
            } else {
                read_greeting(addr, deadline)
            };
            match ready {
                Ok(greeting) => break Ok(greeting),
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => break Err(e.to_string()),
                Err(e) if Instant::now() >= deadline => {
                    break Err(format!("no greeting within {READY_TIMEOUT:?}: {e}"))
                }
                Err(_) => thread::sleep(Duration::from_millis(20)),
            }
        };
        match outcome {
            Ok(greeting) => {
                return Ok(Server {
                    name,
                    child,
                    addr,
                    user: user.to_owned(),
                    pass: pass.to_owned(),
                    tree,
                    passive,
                    greeting,
                    logs,
                    dir,
                });
            }
            Err(why) => {
                kill_and_wait(&mut child);
                last = format!("attempt {attempt} on {addr}: {why}\n{}", read_logs(&logs));
                if Instant::now() >= deadline || why.contains("not a 220 greeting") {
                    // Hung, or refusing: a new port will not help.
                    break;
                }
            }
        }
    }
    Err(Error::new(name, format!("did not start: {last}")))
}

/// `(uid, gid)` of `account` from `/etc/passwd`.
pub fn account_ids(account: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        if f.next()? != account {
            return None;
        }
        let _password = f.next()?;
        Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
    })
}

/// vsftpd 3.0.3 (Debian package), anonymous login without password, uploads into `upload/`.
#[derive(Debug, Clone, Copy)]
pub struct Vsftpd;

impl Vsftpd {
    /// Installs vsftpd if missing, writes its config, serves a fresh [`Tree`] and waits for `220 (vsFTPd 3.0.3)`.
    ///
    /// Settings: standalone, foreground, `listen_address=127.0.0.1` (or `listen_ipv6=YES`,
    /// `listen_address6=::1`), anonymous only (`no_anon_password=YES`, so `USER anonymous` gets `230` at once),
    /// `anon_root` = the tree (root-owned 0755), `upload/` owned by `ftp`, uploads/mkdir/rename/delete allowed there
    /// (`anon_umask=022`), passive on with `pasv_address=127.0.0.1` (IPv4), active on (`connect_from_port_20=NO`),
    /// seccomp sandbox and isolation off, protocol log in `vsftpd.log`.
    pub fn start(opts: ServerOpts) -> Result<Server> {
        const NAME: &str = "vsftpd";
        let bin = ensure_vsftpd()?;
        let (uid, gid) =
            account_ids("ftp").ok_or_else(|| Error::new(NAME, "no `ftp` account (the vsftpd package creates it)"))?;
        launch(
            NAME,
            &opts,
            "anonymous",
            "",
            |tree, dir| {
                tree.chown_upload(uid, gid)?;
                fs::create_dir_all(dir.join("empty")).map_err(|e| Error::new(NAME, format!("mkdir empty: {e}")))
            },
            |a| {
                let log = a.dir.join("vsftpd.log");
                let listen = match a.ip {
                    IpAddr::V4(ip) => format!("listen=YES\nlisten_ipv6=NO\nlisten_address={ip}\npasv_address={ip}\n"),
                    IpAddr::V6(ip) => format!("listen=NO\nlisten_ipv6=YES\nlisten_address6={ip}\n"),
                };
                let conf = format!(
                    "{listen}listen_port={port}\nbackground=NO\n\
                     anonymous_enable=YES\nlocal_enable=NO\nno_anon_password=YES\nftp_username=ftp\n\
                     anon_root={root}\nwrite_enable=YES\nanon_upload_enable=YES\nanon_mkdir_write_enable=YES\n\
                     anon_other_write_enable=YES\nanon_umask=022\n\
                     pasv_enable=YES\npasv_min_port={lo}\npasv_max_port={hi}\n\
                     port_enable=YES\nconnect_from_port_20=NO\n\
                     seccomp_sandbox=NO\nisolate=NO\nisolate_network=NO\nsecure_chroot_dir={empty}\n\
                     xferlog_enable=YES\nxferlog_std_format=NO\nlog_ftp_protocol=YES\nvsftpd_log_file={log}\n\
                     syslog_enable=NO\n{tls}",
                    tls = match &opts.tls {
                        // vsftpd 3.0.3's default cipher list is DES-CBC3-SHA alone; HIGH lets modern clients in.
                        Some(t) => format!(
                            "ssl_enable=YES\nrsa_cert_file={}\nrsa_private_key_file={}\nallow_anon_ssl=YES\n\
                             force_anon_logins_ssl=YES\nforce_anon_data_ssl=YES\nrequire_ssl_reuse=YES\n\
                             ssl_sslv2=NO\nssl_sslv3=NO\nssl_ciphers=HIGH\nimplicit_ssl={}\n{}",
                            t.cert.display(),
                            t.key.display(),
                            if t.implicit { "YES" } else { "NO" },
                            t.client_ca.as_ref().map_or_else(String::new, |ca| format!(
                                "require_cert=YES\nvalidate_cert=YES\nca_certs_file={}\n",
                                ca.display()
                            ))
                        ),
                        None => String::new(),
                    },
                    port = a.port,
                    root = a.dir.join("root").display(),
                    lo = a.passive.start(),
                    hi = a.passive.end(),
                    empty = a.dir.join("empty").display(),
                    log = log.display(),
                );
                let path = a.dir.join("vsftpd.conf");
                fs::write(&path, conf).map_err(|e| Error::new(NAME, format!("write config: {e}")))?;
                fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                    .map_err(|e| Error::new(NAME, format!("chmod config: {e}")))?;
                let mut cmd = Command::new(&bin);
                cmd.arg(&path);
                Ok((cmd, vec![log]))
            },
        )
    }
}

/// pure-ftpd 1.0.50 (unpacked from the Debian package), one PureDB virtual user `ftpkit` / `ftpkitpw`.
#[derive(Debug, Clone, Copy)]
pub struct PureFtpd;

impl PureFtpd {
    /// Unpacks pure-ftpd if missing, creates the virtual user (a PureDB made by `pure-pw mkdb` from a passwd line with a
    /// SHA-512 crypt hash; mapped to the `ftp` account, or `nobody` when there is none) whose home is a fresh [`Tree`]
    /// owned entirely by that account, and runs
    /// `pure-ftpd -S HOST,PORT -l puredb:PDB -E -A -H -p LOW:HIGH -P HOST -O clf:LOG` in the foreground
    /// (no anonymous, chroot everyone, no DNS, passive address = the host). On `::1` `-P` is left out: with
    /// `-P ::1` pure-ftpd greets every client with `421`.
    pub fn start(opts: ServerOpts) -> Result<Server> {
        const NAME: &str = "pure-ftpd";
        const USER: &str = "ftpkit";
        const PASS: &str = "ftpkitpw";
        /// `openssl passwd -6 -salt ftpkitinterop ftpkitpw`.
        const PASS_SHA512_CRYPT: &str =
            "$6$ftpkitinterop$82xD1xd.ccdb1lXqQc3FeQNTnZSIxYA6/ugqyDY5yiImBn90HF.H66bJ20bXJKt30CHpTcyYb.1.4ul.9Bs5U/";
        let bins = ensure_pure_ftpd()?;
        let (uid, gid) = ["ftp", "nobody"]
            .iter()
            .find_map(|a| account_ids(a))
            .ok_or_else(|| Error::new(NAME, "neither an `ftp` nor a `nobody` account exists"))?;
        let pdb = |dir: &Path| dir.join("pureftpd.pdb");
        launch(
            NAME,
            &opts,
            USER,
            PASS,
            |tree, dir| {
                tree.chown_all(uid, gid)?;
                // The passwd line as `pure-pw useradd NAME -u UID -g GID -d HOME` writes it, but with a SHA-512 crypt
                // hash: pure-pw's own argon2id hash costs ~3 s to make and ~3 s at every login on this machine.
                let passwd = dir.join("pureftpd.passwd");
                let line =
                    format!("{USER}:{PASS_SHA512_CRYPT}:{uid}:{gid}::{}/./::::::::::::\n", tree.root().display());
                fs::write(&passwd, line).map_err(|e| Error::new(NAME, format!("write {}: {e}", passwd.display())))?;
                let mut cmd = Command::new(&bins.pure_pw);
                cmd.arg("mkdb").arg(pdb(dir)).arg("-f").arg(&passwd);
                run_with_timeout(&mut cmd, None, Duration::from_secs(30))?.ok().map(|_| ())
            },
            |a| {
                let log = a.dir.join("pureftpd-transfers.log");
                let mut cmd = Command::new(&bins.pure_ftpd);
                cmd.arg("-S")
                    .arg(format!("{},{}", a.ip, a.port))
                    .arg("-l")
                    .arg(format!("puredb:{}", pdb(a.dir).display()))
                    .args(["-E", "-A", "-H", "-p"])
                    .arg(format!("{}:{}", a.passive.start(), a.passive.end()));
                if a.ip.is_ipv4() {
                    cmd.arg("-P").arg(a.ip.to_string());
                }
                cmd.arg("-O").arg(format!("clf:{}", log.display()));
                if let Some(t) = &opts.tls {
                    // -Y 2: TLS required on the control connection (a clear USER is refused); the certificate and
                    // key as `--certfile CERT,KEY`.
                    cmd.args(["-Y", "2", "-2"]).arg(format!("{},{}", t.cert.display(), t.key.display()));
                }
                Ok((cmd, vec![log]))
            },
        )
    }
}

/// pyftpdlib (pip), `DummyAuthorizer` user `ftpkit` / `ftpkitpw` (perms `elradfmwMT`) plus read-only anonymous.
#[derive(Debug, Clone, Copy)]
pub struct Pyftpdlib;

const PYFTPDLIB_SERVER: &str = r#"
import logging, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

host, port, root, low, high, user, password, log, bench = sys.argv[1:10]
tls = sys.argv[10:12]
bench = bench == "bench"
level = logging.WARNING if bench else logging.DEBUG
logging.basicConfig(filename=log, level=level, format="%(asctime)s %(message)s")
authorizer = DummyAuthorizer()
authorizer.add_user(user, password, root, perm="elradfmwMT")
authorizer.add_anonymous(root)

if tls:
    from pyftpdlib.handlers import TLS_FTPHandler as Base
else:
    Base = FTPHandler

class Handler(Base):
    pass

if tls:
    Handler.certfile, Handler.keyfile = tls
    Handler.tls_control_required = True
    Handler.tls_data_required = True

import os
# A server that sends names in Latin-1 (FEAT then lists no UTF8): start_latin1.
Handler.encoding = os.environ.get("FTPKIT_PYFTPDLIB_ENCODING", "utf8")
Handler.authorizer = authorizer
Handler.passive_ports = range(int(low), int(high) + 1)
server = FTPServer((host, int(port)), Handler)
if bench:
    server.max_cons = 0
    server.max_cons_per_ip = 0
server.serve_forever()
"#;

impl Pyftpdlib {
    /// Installs pyftpdlib if missing and serves a fresh [`Tree`] with `FTPServer((HOST, PORT), Handler)`, the
    /// handler's `passive_ports` set, default banner; DEBUG log (every command and reply) in `pyftpdlib.log`.
    pub fn start(opts: ServerOpts) -> Result<Server> {
        Pyftpdlib::start_with_encoding(opts, "utf8")
    }

    /// [`start`](Self::start) with the handler's `encoding = "latin1"`: names on the wire are ISO-8859-1 (a name
    /// `é` on disk, UTF-8 there, is the byte `0xE9` in listings and commands), and FEAT lists no `UTF8`.
    pub fn start_latin1(opts: ServerOpts) -> Result<Server> {
        Pyftpdlib::start_with_encoding(opts, "latin1")
    }

    fn start_with_encoding(opts: ServerOpts, encoding: &'static str) -> Result<Server> {
        const NAME: &str = "pyftpdlib";
        let python = if opts.tls.is_some() { ensure_pyftpdlib_tls()? } else { ensure_pyftpdlib()? };
        launch(
            NAME,
            &opts,
            "ftpkit",
            "ftpkitpw",
            |_, dir| {
                fs::write(dir.join("server.py"), PYFTPDLIB_SERVER)
                    .map_err(|e| Error::new(NAME, format!("write server.py: {e}")))
            },
            |a| {
                let log = a.dir.join("pyftpdlib.log");
                let mut cmd = Command::new(&python);
                cmd.arg(a.dir.join("server.py"))
                    .arg(a.ip.to_string())
                    .arg(a.port.to_string())
                    .arg(a.dir.join("root"))
                    .arg(a.passive.start().to_string())
                    .arg(a.passive.end().to_string())
                    .args(["ftpkit", "ftpkitpw"])
                    .arg(&log)
                    .arg(if opts.bench { "bench" } else { "debug" })
                    .env("FTPKIT_PYFTPDLIB_ENCODING", encoding);
                if let Some(t) = &opts.tls {
                    cmd.arg(&t.cert).arg(&t.key);
                }
                Ok((cmd, vec![log]))
            },
        )
    }
}

/// libunftp (crates.io) with its file-system back end `unftp-sbe-fs`, run by `ftpkit-peers unftp`
/// (`tests/peers-rs`): active and passive, libunftp's anonymous authenticator (any user and password; the harness
/// logs in as `ftpkit`/`ftpkitpw`), greeting `ftpkit-peers libunftp ready`. No TLS.
#[derive(Debug, Clone, Copy)]
pub struct Libunftp;

impl Libunftp {
    /// Builds `ftpkit-peers` if needed ([`ensure_peers_rs`]) and serves a fresh [`Tree`].
    pub fn start(opts: ServerOpts) -> Result<Server> {
        const NAME: &str = "libunftp";
        if opts.tls.is_some() {
            return Err(Error::new(NAME, "the harness runs libunftp without TLS"));
        }
        let bin = ensure_peers_rs()?;
        launch(
            NAME,
            &opts,
            "ftpkit",
            "ftpkitpw",
            |_, _| Ok(()),
            |a| {
                let mut cmd = Command::new(&bin);
                cmd.arg("unftp")
                    .arg("--bind")
                    .arg(SocketAddr::new(a.ip, a.port).to_string())
                    .arg("--root")
                    .arg(a.dir.join("root"))
                    .arg("--passive")
                    .arg(format!("{}-{}", a.passive.start(), a.passive.end()))
                    .env("RUST_LOG", "debug");
                Ok((cmd, Vec::new()))
            },
        )
    }
}

/// The host of `addr` as written in a URL: `127.0.0.1` or `[::1]`.
pub fn url_host(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    }
}

/// `ftp://host:port/path` for a server at `addr`, the path percent-encoded.
pub fn ftp_url(addr: SocketAddr, path: &str) -> String {
    format!("ftp://{}:{}/{}", url_host(addr), addr.port(), percent_encode(path.trim_start_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("hello world.txt"), "hello%20world.txt");
        assert_eq!(percent_encode("café-ñandú.txt"), "caf%C3%A9-%C3%B1and%C3%BA.txt");
        assert_eq!(percent_encode("upload/a_b~c"), "upload/a_b~c");
    }

    #[test]
    fn passive_ranges_are_free_and_distinct() {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let a = free_range(ip, 20).unwrap();
        let b = free_range(ip, 20).unwrap();
        assert_eq!(a.end() - a.start(), 19);
        assert!(*a.start() >= 20_000 && *a.end() < 32_768);
        assert!(a.end() < b.start() || b.end() < a.start(), "{a:?} overlaps {b:?}");
    }
}
