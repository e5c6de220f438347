//! Part 3: memory per idle logged-in control session. ftpkit's server runs as a child process (this binary again,
//! `--serve-child ROOT`, which starts `ftpkit::server::Server`); its VmRSS is read before and after S sessions are
//! opened. vsftpd (two processes a session) is measured by summing its session processes' RSS and PSS; pyftpdlib's
//! async server (one process) by its VmRSS before and after, as ftpkit's.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use ftpkit::blocking::Client;
use ftpkit::client::Options;
use ftpkit::server::fs::WriteMode;
use ftpkit::server::storage::WriteStream;
use ftpkit::server::{Cidr, Masquerade, ProxyPolicy, S3Config, S3Storage, Server, Storage};
use ftpkit_interop::{Pyftpdlib, ServerOpts, Vsftpd};

use super::proc_kib;

/// The child side: serves `root` anonymously on 127.0.0.1 (any port), with the session limits raised, prints
/// `ADDR <addr>` and runs until its standard input closes. With `s3` (endpoint, bucket; credentials from
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`): on that bucket (prefix `bench`) instead of `root`, with a
/// `readme.txt` put there first. Returns the process exit code.
/// With `behind`, a passive range: behind HAProxy ([`PROXY_SOURCE`] trusted, the PROXY protocol on, that range,
/// announcing [`PROXY_FRONT`]).
pub fn serve_child(root: &Path, s3: Option<(&str, &str)>, behind: Option<(u16, u16)>) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("serve-child: runtime: {e}");
            return 1;
        }
    };
    let mut builder = Server::builder(root)
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .anonymous(true)
        .max_sessions(1_000_000)
        .max_sessions_per_ip(1_000_000)
        .idle_timeout(Duration::from_secs(3600));
    if let Some((lo, hi)) = behind {
        let trusted = match Cidr::new(PROXY_SOURCE.into(), 32) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("serve-child: {e}");
                return 1;
            }
        };
        builder = builder
            .proxy_protocol(ProxyPolicy::new(vec![trusted]))
            .passive_ports(lo..=hi)
            .masquerade(Masquerade::One(PROXY_FRONT));
    }
    if let Some((endpoint, bucket)) = s3 {
        match rt.block_on(s3_storage(endpoint, bucket)) {
            Ok(s) => builder = builder.storage(s),
            Err(e) => {
                eprintln!("serve-child: S3: {e}");
                return 1;
            }
        }
    }
    let built = rt.block_on(builder.build());
    let server = match built {
        Ok(s) => s,
        Err(e) => {
            eprintln!("serve-child: cannot serve {}: {e}", root.display());
            return 1;
        }
    };
    match server.local_addr() {
        Ok(a) => println!("ADDR {a}"),
        Err(e) => {
            eprintln!("serve-child: {e}");
            return 1;
        }
    }
    rt.spawn(server.run());
    // Until the parent closes our stdin (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    0
}

/// HAProxy's address toward a child behind it (the child trusts it).
pub const PROXY_SOURCE: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 9);
/// HAProxy's frontend address (what a child behind it announces).
pub const PROXY_FRONT: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 10);

/// S3 storage on `bucket` at `endpoint` (prefix `bench`), with a `readme.txt` in it.
async fn s3_storage(endpoint: &str, bucket: &str) -> Result<std::sync::Arc<dyn Storage>, String> {
    let env = |k: &str| std::env::var(k).map_err(|_| format!("{k} not set"));
    let config = S3Config {
        bucket: bucket.to_owned(),
        prefix: "bench".into(),
        endpoint: Some(endpoint.to_owned()),
        access_key_id: env("AWS_ACCESS_KEY_ID")?,
        secret_access_key: env("AWS_SECRET_ACCESS_KEY")?,
        ..S3Config::default()
    };
    let s3 = S3Storage::new(&config).map_err(|e| e.to_string())?;
    // The store may take a moment after its port opens (its bucket appears a little later): bounded retries.
    let mut last = String::new();
    for _ in 0..40 {
        let put = async {
            match s3.write("/readme.txt", WriteMode::Replace).await? {
                WriteStream::Sink(mut sink) => {
                    sink.write(b"idle sessions\r\n").await?;
                    sink.finish().await
                }
                WriteStream::File(_) => Err(std::io::Error::other("S3 storage gave a file")),
            }
        };
        match put.await {
            Ok(()) => return Ok(std::sync::Arc::new(s3)),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!("no readme.txt put in 20 s: {last}"))
}

/// A child server (this binary again, `--serve-child ARGS...`): the process, its PID and address.
pub fn spawn_child(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> Result<(Child, u32, SocketAddr), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("--serve-child")
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the child server: {e}"))?;
    let pid = child.id();
    let mut line = String::new();
    let read = child.stdout.take().map(|out| BufReader::new(out).read_line(&mut line));
    match line.trim().strip_prefix("ADDR ").and_then(|a| a.parse().ok()) {
        Some(addr) => Ok((child, pid, addr)),
        None => {
            stop(child);
            Err(format!("the child server said {line:?} ({read:?})"))
        }
    }
}

/// What part 3 measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Sessions asked for.
    pub sessions: usize,
    /// ftpkit: sessions logged in.
    pub ftpkit_open: usize,
    /// ftpkit: VmRSS before and after, KiB.
    pub ftpkit_rss: Option<(u64, u64)>,
    /// ftpkit: the first failure.
    pub ftpkit_error: Option<String>,
    /// vsftpd: sessions logged in.
    pub vsftpd_open: usize,
    /// vsftpd: session processes, their summed VmRSS and Pss, KiB.
    pub vsftpd: Option<(usize, u64, u64)>,
    /// vsftpd: the first failure.
    pub vsftpd_error: Option<String>,
    /// pyftpdlib: sessions logged in.
    pub pyftpdlib_open: usize,
    /// pyftpdlib: VmRSS before and after, KiB.
    pub pyftpdlib_rss: Option<(u64, u64)>,
    /// pyftpdlib: the first failure.
    pub pyftpdlib_error: Option<String>,
    /// The open-file limit seen.
    pub nofile: String,
    /// Load average before.
    pub load: String,
}

impl Report {
    /// ftpkit's KiB per session.
    pub fn ftpkit_per_session(&self) -> Option<f64> {
        per_session(self.ftpkit_rss, self.ftpkit_open)
    }

    /// pyftpdlib's KiB per session.
    pub fn pyftpdlib_per_session(&self) -> Option<f64> {
        per_session(self.pyftpdlib_rss, self.pyftpdlib_open)
    }

    /// The markdown table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| server ({} asked) | sessions | measure | per session |", self.sessions);
        let _ = writeln!(s, "| --- | ---: | --- | ---: |");
        let rows = [
            ("ftpkit (child process)", self.ftpkit_open, self.ftpkit_rss, &self.ftpkit_error),
            ("pyftpdlib (async, one process)", self.pyftpdlib_open, self.pyftpdlib_rss, &self.pyftpdlib_error),
        ];
        for (name, open, rss, error) in rows {
            match (rss, per_session(rss, open)) {
                (Some((b, a)), Some(per)) => {
                    let _ = writeln!(s, "| {name} | {open} | VmRSS {b} → {a} KiB | {per:.1} KiB |");
                }
                _ => {
                    let why = error.as_deref().unwrap_or("no figure");
                    let _ = writeln!(s, "| {name} | {open} | failed: {why} | |");
                }
            }
        }
        match self.vsftpd {
            Some((procs, rss, pss)) if self.vsftpd_open > 0 => {
                let n = self.vsftpd_open as f64;
                let _ = writeln!(
                    s,
                    "| vsftpd ({procs} session processes) | {} | ΣVmRSS {rss} KiB, ΣPss {pss} KiB | {:.1} KiB RSS, {:.1} KiB PSS |",
                    self.vsftpd_open,
                    rss as f64 / n,
                    pss as f64 / n
                );
            }
            _ => {
                let why = self.vsftpd_error.as_deref().unwrap_or("no figure");
                let _ = writeln!(s, "| vsftpd | {} | failed: {why} | |", self.vsftpd_open);
            }
        }
        s
    }
}

/// (after - before) / sessions, in KiB.
fn per_session(rss: Option<(u64, u64)>, open: usize) -> Option<f64> {
    let (before, after) = rss?;
    (open > 0).then(|| (after as f64 - before as f64) / open as f64)
}

/// One process's VmRSS before and after `sessions` idle logged-in sessions (one warm-up session first, closed, as
/// what the first session allocates once is not per session): (sessions open, (before, after) KiB, first failure).
pub fn rss_growth(
    pid: u32,
    addr: SocketAddr,
    user: &str,
    pass: &str,
    sessions: usize,
) -> (usize, Option<(u64, u64)>, Option<String>) {
    let (warm, _) = open_sessions(addr, user, pass, 1);
    for c in warm {
        let _ = c.quit();
    }
    thread::sleep(Duration::from_millis(300));
    let before = proc_kib(pid, "status", "VmRSS");
    let (clients, err) = open_sessions(addr, user, pass, sessions);
    thread::sleep(Duration::from_millis(500));
    let after = proc_kib(pid, "status", "VmRSS");
    let open = clients.len();
    drop(clients);
    (open, before.zip(after), err)
}

fn measure_pyftpdlib(sessions: usize, r: &mut Report) -> Result<(), String> {
    let server = Pyftpdlib::start(ServerOpts { big_len: 1024, bench: true, ..ServerOpts::default() })
        .map_err(|e| e.to_string())?;
    let (open, rss, err) = rss_growth(server.pid(), server.addr(), server.user(), server.pass(), sessions);
    (r.pyftpdlib_open, r.pyftpdlib_rss, r.pyftpdlib_error) = (open, rss, err);
    eprintln!("[memory] pyftpdlib: {open} sessions, VmRSS {rss:?} KiB");
    Ok(())
}

/// Opens up to `n` logged-in sessions; stops at the first failure and says why.
fn open_sessions(addr: SocketAddr, user: &str, pass: &str, n: usize) -> (Vec<Client>, Option<String>) {
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        let opts = Options { reply_timeout: Duration::from_secs(10), ..Options::default() };
        let opened = Client::connect_with(addr, opts).and_then(|mut c| c.login(user, pass).map(|()| c));
        match opened {
            Ok(c) => clients.push(c),
            Err(e) => return (clients, Some(format!("session {}: {e}", i + 1))),
        }
    }
    (clients, None)
}

/// The open-files limit, `soft/hard`.
pub fn nofile() -> String {
    fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .map(|l| l.split_whitespace().skip(3).take(2).collect::<Vec<_>>().join("/"))
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// Stops the child by its PID: closes its stdin (it exits by itself), then kills it if it has not.
pub fn stop(mut child: Child) {
    drop(child.stdin.take());
    for _ in 0..50 {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn measure_ftpkit(sessions: usize, r: &mut Report) -> Result<(), String> {
    let dir = tempfile::Builder::new().prefix("ftpkit-bench-mem-").tempdir().map_err(|e| e.to_string())?;
    fs::write(dir.path().join("readme.txt"), b"idle sessions\r\n").map_err(|e| e.to_string())?;
    let (child, pid, addr) = spawn_child(&[dir.path().as_os_str()], &[])?;
    // One session first: what the first session allocates once (runtime, allocator arenas) is not per session.
    let (open, rss, err) = rss_growth(pid, addr, "anonymous", "bench@", sessions);
    (r.ftpkit_open, r.ftpkit_rss, r.ftpkit_error) = (open, rss, err);
    eprintln!("[memory] ftpkit: {open} sessions, VmRSS {rss:?} KiB");
    stop(child);
    Ok(())
}

/// The live (not zombie) descendants of `root` (vsftpd makes each session its own session leader, so its process
/// group does not hold them: follow parent links instead).
fn descendants(root: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else { return Vec::new() };
    // (pid, ppid) of every live process.
    let procs: Vec<(u32, u32)> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let rest = stat.get(stat.rfind(')')? + 1..)?;
            let mut f = rest.split_ascii_whitespace();
            let state = f.next()?;
            let ppid = f.next()?.parse().ok()?;
            (state != "Z").then_some((pid, ppid))
        })
        .collect();
    let mut out: Vec<u32> = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(pid, ppid) in &procs {
            if ppid == p && !out.contains(&pid) {
                out.push(pid);
                frontier.push(pid);
            }
        }
    }
    out
}

fn measure_vsftpd(sessions: usize, r: &mut Report) -> Result<(), String> {
    let server = Vsftpd::start(ServerOpts { big_len: 1024, ..ServerOpts::default() }).map_err(|e| e.to_string())?;
    let (clients, err) = open_sessions(server.addr(), server.user(), server.pass(), sessions);
    thread::sleep(Duration::from_millis(500));
    let procs = descendants(server.pid());
    let rss: u64 = procs.iter().filter_map(|&p| proc_kib(p, "status", "VmRSS")).sum();
    let pss: u64 = procs.iter().filter_map(|&p| proc_kib(p, "smaps_rollup", "Pss")).sum();
    r.vsftpd_open = clients.len();
    r.vsftpd_error = err;
    r.vsftpd = Some((procs.len(), rss, pss));
    eprintln!("[memory] vsftpd: {} sessions, {} processes, ΣRSS {rss} KiB, ΣPss {pss} KiB", clients.len(), procs.len());
    drop(clients);
    Ok(())
}

/// Measures ftpkit with `sessions` sessions and vsftpd with `vsftpd_sessions` (it forks two processes a session).
pub fn run(sessions: usize, vsftpd_sessions: usize) -> Report {
    let mut r = Report { sessions, nofile: nofile(), load: super::loadavg(), ..Report::default() };
    if let Err(e) = measure_ftpkit(sessions, &mut r) {
        r.ftpkit_error = Some(e);
    }
    if let Err(e) = measure_pyftpdlib(sessions, &mut r) {
        r.pyftpdlib_error = Some(e);
    }
    if vsftpd_sessions > 0 {
        if let Err(e) = measure_vsftpd(vsftpd_sessions, &mut r) {
            r.vsftpd_error = Some(e);
        }
    }
    r
}
