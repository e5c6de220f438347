//! Helpers for the hostile-input tests: a server on loopback with short limits, a raw control connection that
//! sends exactly the bytes it is given, and the checks every case ends with.

#![allow(dead_code)]

use ftpkit::server::{Access, Server};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long any single read waits before the test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The bytes of the file outside the root; no reply or data connection may ever carry them.
pub const SECRET: &[u8] = b"outside-secret-7f3a91";

/// The knobs a case may change.
#[derive(Debug, Clone)]
pub struct Limits {
    pub idle: Duration,
    pub data: Duration,
    pub max_sessions: usize,
    pub max_per_ip: usize,
    /// The failed-login back-off (by address: every test here connects from 127.0.0.1).
    pub backoff: ftpkit::server::BackoffPolicy,
}

impl Default for Limits {
    fn default() -> Self {
        let backoff = ftpkit::server::BackoffPolicy {
            free_failures: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(200),
            refuse_after: 12,
            ..ftpkit::server::BackoffPolicy::default()
        };
        Limits {
            idle: Duration::from_secs(30),
            data: Duration::from_secs(5),
            max_sessions: 64,
            max_per_ip: 32,
            backoff,
        }
    }
}

/// A running server, its root, and a directory outside the root that must stay untouched.
pub struct Env {
    pub addr: SocketAddr,
    pub root: tempfile::TempDir,
    pub outside: tempfile::TempDir,
    outside_before: Vec<(PathBuf, Vec<u8>)>,
    handle: ftpkit::server::Handle,
    rt: Option<tokio::runtime::Runtime>,
}

/// Every file under `dir` (recursively, not following symlinks) with its content, sorted.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let ft = e.file_type().unwrap();
            let p = e.path();
            if ft.is_dir() {
                stack.push(p.clone());
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), b"<dir>".to_vec()));
            } else if ft.is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), t.as_os_str().as_encoded_bytes().to_vec()));
            } else {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

impl Env {
    pub fn start(limits: Limits) -> Env {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), SECRET).unwrap();
        std::fs::create_dir(outside.path().join("dir")).unwrap();
        std::fs::write(outside.path().join("dir/inner"), SECRET).unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("readme.txt"), b"hello\r\n").unwrap();
        std::fs::create_dir(root.path().join("pub")).unwrap();
        std::fs::write(root.path().join("pub/a.txt"), b"inside a").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("escape")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("escape-dir")).unwrap();
        std::os::unix::fs::symlink("../../..", root.path().join("pub/up")).unwrap();
        let outside_before = snapshot(outside.path());

        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let server = rt.block_on(async {
            Server::builder(root.path())
                .bind("127.0.0.1:0".parse().unwrap())
                .passive_ports(42000..=42999)
                .user("alice", "pw", Access::ReadWrite)
                .idle_timeout(limits.idle)
                .data_timeout(limits.data)
                .max_sessions(limits.max_sessions)
                .max_sessions_per_ip(limits.max_per_ip)
                .login_backoff(limits.backoff)
                .build()
                .await
                .unwrap()
        });
        let addr = server.local_addr().unwrap();
        let handle = server.handle();
        rt.spawn(server.run());
        Env { addr, root, outside, outside_before, handle, rt: Some(rt) }
    }

    /// Stops the server as `Handle::shutdown` does, waiting until every session has ended.
    pub fn shutdown(&self) {
        if let Some(rt) = &self.rt {
            rt.block_on(self.handle.shutdown());
        }
    }

    /// A raw control connection from 127.0.0.1, greeting read.
    pub fn raw(&self) -> Raw {
        let mut r = Raw::connect(self.addr);
        assert_eq!(r.reply().0, 220);
        r
    }

    /// A raw control connection, logged in as alice.
    pub fn logged_in(&self) -> Raw {
        let mut r = self.raw();
        r.login();
        r
    }

    /// The checks every case ends with: a new session (from another loopback address, so per-address limits do not
    /// get in the way) logs in and lists the root, and nothing outside the root changed.
    pub fn check_still_serving(&self) {
        let mut r = Raw::connect_from(Ipv4Addr::new(127, 0, 0, 9), self.addr);
        assert_eq!(r.reply().0, 220);
        r.login();
        let listing = String::from_utf8(r.list("")).unwrap();
        assert!(listing.contains(" readme.txt\r\n"), "{listing}");
        assert!(listing.contains(" pub\r\n"), "{listing}");
        assert_eq!(r.cmd("QUIT").0, 221);
        self.check_outside_untouched();
    }

    pub fn check_outside_untouched(&self) {
        assert_eq!(snapshot(self.outside.path()), self.outside_before, "something outside the root changed");
    }

    /// Sessions now open on the server.
    pub fn sessions(&self) -> usize {
        self.handle.sessions()
    }

    /// Waits (bounded) until the server counts `n` open sessions.
    pub fn wait_sessions(&self, n: usize) {
        let t = Instant::now();
        while self.sessions() != n {
            assert!(t.elapsed() < READ_TIMEOUT, "still {} sessions, want {n}", self.sessions());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Names in the root's directory `rel` (bounded wait until it equals `want`).
    pub fn wait_names(&self, rel: &str, want: &[&str]) {
        let t = Instant::now();
        loop {
            let mut names: Vec<String> = std::fs::read_dir(self.root.path().join(rel))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            if names == want {
                return;
            }
            assert!(t.elapsed() < READ_TIMEOUT, "names in {rel:?}: {names:?}, want {want:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// A control connection that sends exactly the bytes given.
pub struct Raw {
    pub s: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect_timeout(&addr, READ_TIMEOUT).unwrap();
        s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        s.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
        Raw { s, buf: Vec::new() }
    }

    pub fn connect_from(ip: Ipv4Addr, addr: SocketAddr) -> Raw {
        let s = connect_from(IpAddr::V4(ip), addr);
        s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        s.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
        Raw { s, buf: Vec::new() }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
    }

    /// Sends `line` and CRLF, and reads the reply.
    pub fn cmd(&mut self, line: &str) -> (u16, String) {
        self.cmd_bytes(line.as_bytes())
    }

    pub fn cmd_bytes(&mut self, line: &[u8]) -> (u16, String) {
        let mut v = line.to_vec();
        v.extend_from_slice(b"\r\n");
        self.send(&v);
        self.reply()
    }

    /// One reply line (`ddd text`, or a multi-line reply joined), or a panic on EOF or timeout.
    pub fn reply(&mut self) -> (u16, String) {
        self.try_reply().unwrap_or_else(|e| panic!("no reply: {e}"))
    }

    /// One reply; `Err` on EOF, reset or timeout.
    pub fn try_reply(&mut self) -> Result<(u16, String), String> {
        let first = self.line()?;
        let code: u16 = first.get(..3).and_then(|c| c.parse().ok()).ok_or_else(|| format!("bad reply {first:?}"))?;
        let mut text = first.clone();
        if first.as_bytes().get(3) == Some(&b'-') {
            loop {
                let l = self.line()?;
                text.push('\n');
                text.push_str(&l);
                if l.len() >= 4 && l[..3] == first[..3] && l.as_bytes()[3] == b' ' {
                    break;
                }
            }
        }
        Ok((code, text))
    }

    fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                let s = String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_owned();
                assert!(!s.as_bytes().windows(SECRET.len()).any(|w| w == SECRET), "secret in a reply: {s}");
                return Ok(s);
            }
            let mut chunk = [0u8; 4096];
            match self.s.read(&mut chunk) {
                Ok(0) => return Err("EOF".into()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// True when the server closed the connection (EOF or reset) within the read timeout, nothing else coming.
    pub fn closed(&mut self) -> bool {
        let mut chunk = [0u8; 256];
        loop {
            match self.s.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }

    pub fn login(&mut self) {
        assert_eq!(self.cmd("USER alice").0, 331);
        assert_eq!(self.cmd("PASS pw").0, 230);
    }

    /// EPSV: the data address.
    pub fn epsv(&mut self) -> SocketAddr {
        let (code, text) = self.cmd("EPSV");
        assert_eq!(code, 229, "{text}");
        let port: u16 = text.split('|').nth(3).and_then(|p| p.parse().ok()).unwrap();
        SocketAddr::new(self.s.peer_addr().unwrap().ip(), port)
    }

    /// `LIST path` over EPSV: the listing bytes (the 150 and 226 are checked).
    pub fn list(&mut self, path: &str) -> Vec<u8> {
        let at = self.epsv();
        let mut data = connect_from(self.s.local_addr().unwrap().ip(), at);
        data.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        let line = if path.is_empty() { "LIST".to_owned() } else { format!("LIST {path}") };
        let (code, text) = self.cmd(&line);
        assert!(code == 150 || code == 125, "{text}");
        let mut out = Vec::new();
        data.read_to_end(&mut out).unwrap();
        assert_eq!(self.reply().0, 226);
        assert_no_secret(&out);
        out
    }

    /// `RETR path` over EPSV: the reply to RETR and, when it opened, the bytes and the final reply.
    pub fn retr(&mut self, path: &[u8]) -> Result<(Vec<u8>, u16), (u16, String)> {
        let at = self.epsv();
        let mut data = connect_from(self.s.local_addr().unwrap().ip(), at);
        data.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        let mut line = b"RETR ".to_vec();
        line.extend_from_slice(path);
        let (code, text) = self.cmd_bytes(&line);
        if code != 150 && code != 125 {
            return Err((code, text));
        }
        let mut out = Vec::new();
        data.read_to_end(&mut out).unwrap();
        assert_no_secret(&out);
        Ok((out, self.reply().0))
    }

    /// `STOR path` over EPSV with `bytes`: the reply to STOR, and the final reply when it opened.
    pub fn stor(&mut self, path: &[u8], bytes: &[u8]) -> Result<u16, (u16, String)> {
        let at = self.epsv();
        let mut data = connect_from(self.s.local_addr().unwrap().ip(), at);
        let mut line = b"STOR ".to_vec();
        line.extend_from_slice(path);
        let (code, text) = self.cmd_bytes(&line);
        if code != 150 && code != 125 {
            return Err((code, text));
        }
        data.write_all(bytes).unwrap();
        data.shutdown(Shutdown::Write).unwrap();
        drop(data);
        Ok(self.reply().0)
    }
}

pub fn assert_no_secret(bytes: &[u8]) {
    assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET), "secret bytes crossed the root");
}

/// A TCP connection to `to` from the local address `from` (any port).
pub fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    let sock = socket2::Socket::new(socket2::Domain::for_address(to), socket2::Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::new(from, 0).into()).unwrap();
    sock.connect_timeout(&to.into(), READ_TIMEOUT).unwrap();
    sock.into()
}

/// True when `listener` (non-blocking) gets a connection within `wait`.
pub fn connection_arrives(listener: &TcpListener, wait: Duration) -> bool {
    listener.set_nonblocking(true).unwrap();
    let t = Instant::now();
    while t.elapsed() < wait {
        match listener.accept() {
            Ok(_) => return true,
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("{e}"),
        }
    }
    false
}

/// Memory is measured for the whole test process: a case that measures takes the gate exclusively, every other
/// case shares it, so no other case allocates meanwhile.
static GATE: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Taken by every case that does not measure memory.
pub fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    GATE.read().unwrap_or_else(|p| p.into_inner())
}

/// Taken by a case that measures memory.
pub fn exclusive() -> std::sync::RwLockWriteGuard<'static, ()> {
    GATE.write().unwrap_or_else(|p| p.into_inner())
}
