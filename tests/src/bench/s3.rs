//! Part 4 (issue 17): short sessions per second and idle memory a session with the S3 back end (SeaweedFS on
//! loopback) and through HAProxy beside the local back end, in one run. The servers are child processes (this
//! binary again, `--serve-child`), anonymous: one on the local file system, one on S3, and one on the local file
//! system behind HAProxy (PROXY protocol v2 on control and passive data connections, its passive range forwarded,
//! announcing HAProxy's address). The short sessions (connect, login, EPSV, LIST, QUIT) list the root, which on S3 is
//! a paged LIST call per session.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ftpkit_interop::seaweed::SeaweedFs;

use super::{median, memory, sessions};

/// One back end's figures.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// `local` or `S3`.
    pub backend: &'static str,
    /// Sessions/s of each round, with 1 and 8 loops.
    pub rates: [Vec<f64>; 2],
    /// Failed sessions, and the first failure.
    pub failed: (u64, Option<String>),
    /// Idle sessions opened, VmRSS before and after (KiB).
    pub memory: (usize, Option<(u64, u64)>),
    /// Through HAProxy: HAProxy's own VmRSS before and after the idle sessions (KiB).
    pub proxy_memory: Option<(u64, u64)>,
}

/// HAProxy in front of a child server at `child` (control) with the passive range `lo..=hi`, listening on
/// [`memory::PROXY_FRONT`]: the process and the frontend's control address.
fn haproxy(dir: &std::path::Path, child: SocketAddr, lo: u16, hi: u16) -> Result<(Child, SocketAddr), String> {
    let bin = ftpkit_interop::install::ensure_haproxy().map_err(|e| e.to_string())?;
    let front = std::net::TcpListener::bind((memory::PROXY_FRONT, 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port on {}: {e}", memory::PROXY_FRONT))?;
    let (src, fip, cip) = (memory::PROXY_SOURCE, memory::PROXY_FRONT, child.ip());
    // Two descriptors a connection, under the open-files limit HAProxy inherits (it cannot raise it here).
    let soft: u64 = memory::nofile().split('/').next().and_then(|n| n.parse().ok()).unwrap_or(1024);
    let maxconn = soft.saturating_sub(100) / 2;
    let cfg = format!(
        "global\n  maxconn {maxconn}\n\
         defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 3600s\n  timeout server 3600s\n\
         frontend ftp\n  bind {front}\n  default_backend ftp\n\
         backend ftp\n  source {src}\n  server a {child} send-proxy-v2\n\
         frontend pasv\n  bind {fip}:{lo}-{hi}\n  default_backend pasv\n\
         backend pasv\n  source {src}\n  server a {cip} send-proxy-v2\n"
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, cfg).map_err(|e| e.to_string())?;
    let proc = Command::new(bin)
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("haproxy: {e}"))?;
    let t0 = std::time::Instant::now();
    while std::net::TcpListener::bind(front).is_ok() {
        if t0.elapsed() > Duration::from_secs(10) {
            return Err("HAProxy did not listen within 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((proc, front))
}

/// A block of `n` ports free on both the front and the loopback address (bind and release).
fn free_range(n: u16) -> Result<(u16, u16), String> {
    for base in (41_000..50_000u16).step_by(usize::from(n)) {
        let all = (base..base + n).all(|p| {
            std::net::TcpListener::bind((memory::PROXY_FRONT, p)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
        });
        if all {
            return Ok((base, base + n - 1));
        }
    }
    Err(format!("no free block of {n} ports"))
}

/// What part 4 measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Local, then S3.
    pub rows: Vec<Row>,
    /// Load average before and after.
    pub load: (String, String),
}

/// Runs `rounds` interleaved rounds of `secs` seconds per back end and loop count, then `idle` idle sessions on each.
pub fn run(rounds: usize, secs: f64, idle: usize) -> Result<Report, String> {
    let load_before = super::loadavg();
    let sw = SeaweedFs::start("bench").map_err(|e| e.to_string())?;
    let dir = tempfile::Builder::new().prefix("ftpkit-bench-s3-").tempdir().map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("readme.txt"), b"idle sessions\r\n").map_err(|e| e.to_string())?;
    let creds = [("AWS_ACCESS_KEY_ID", sw.access_key.as_str()), ("AWS_SECRET_ACCESS_KEY", sw.secret_key.as_str())];
    let s3_args = [dir.path().as_os_str(), "s3".as_ref(), sw.endpoint.as_ref(), sw.bucket.as_ref()];
    let mut children = Vec::new();
    for (name, args) in [("local", &s3_args[..1]), ("S3", &s3_args[..])] {
        let (child, pid, addr) = memory::spawn_child(args, &creds)?;
        children.push((name, child, pid, addr, None));
    }
    let (lo, hi) = free_range(50)?;
    let (lo_s, hi_s) = (lo.to_string(), hi.to_string());
    let behind = [dir.path().as_os_str(), "proxy".as_ref(), lo_s.as_ref(), hi_s.as_ref()];
    let (child, pid, addr) = memory::spawn_child(&behind, &[])?;
    let (proxy, front) = haproxy(dir.path(), addr, lo, hi)?;
    let proxy_pid = proxy.id();
    children.push(("local through HAProxy", child, pid, front, Some(proxy)));
    let mut rows: Vec<Row> = children.iter().map(|c| Row { backend: c.0, ..Row::default() }).collect();
    for round in 1..=rounds {
        for (row, (_, _, _, addr, _)) in rows.iter_mut().zip(&children) {
            for (k, loops) in [1usize, 8].into_iter().enumerate() {
                let (rate, failed, first) = sessions::measure(*addr, "anonymous", "bench@", loops, secs);
                eprintln!("[s3] round {round}/{rounds} {} × {loops}: {rate:.0}/s, {failed} failed", row.backend);
                row.rates[k].push(rate);
                row.failed.0 += failed;
                if row.failed.1.is_none() {
                    row.failed.1 = first;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    }
    for (row, (_, _, pid, addr, proxy)) in rows.iter_mut().zip(&children) {
        let proxy_before = proxy.as_ref().and_then(|_| super::proc_kib(proxy_pid, "status", "VmRSS"));
        let (open, rss, err) = memory::rss_growth(*pid, *addr, "anonymous", "bench@", idle);
        let proxy_after = proxy.as_ref().and_then(|_| super::proc_kib(proxy_pid, "status", "VmRSS"));
        row.proxy_memory = proxy_before.zip(proxy_after);
        if let Some(e) = err {
            row.failed.1.get_or_insert(e);
        }
        row.memory = (open, rss);
        eprintln!("[s3] {}: {open} idle sessions, VmRSS {rss:?} KiB", row.backend);
    }
    for (_, child, _, _, proxy) in children {
        memory::stop(child);
        if let Some(mut p) = proxy {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
    drop(sw);
    Ok(Report { rows, load: (load_before, super::loadavg()) })
}

impl Report {
    /// The markdown table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        s.push_str("| back end | sessions/s, 1 loop | sessions/s, 8 loops | failed | idle sessions | VmRSS before → after | per session |\n");
        s.push_str("| --- | ---: | ---: | ---: | ---: | --- | ---: |\n");
        let fmt = |v: &[f64]| median(v).map_or("n/a".to_owned(), |m| format!("{m:.0}"));
        for r in &self.rows {
            let (open, rss) = r.memory;
            let (mem, per) = match rss {
                Some((b, a)) if open > 0 => {
                    (format!("{b} → {a} KiB"), format!("{:.1} KiB", (a as f64 - b as f64) / open as f64))
                }
                _ => ("n/a".to_owned(), "n/a".to_owned()),
            };
            let failed = match &r.failed.1 {
                Some(e) => format!("{} ({})", r.failed.0, e.lines().next().unwrap_or("")),
                None => r.failed.0.to_string(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {failed} | {open} | {mem} | {per} |",
                r.backend,
                fmt(&r.rates[0]),
                fmt(&r.rates[1])
            );
            if let Some((b, a)) = r.proxy_memory.filter(|_| open > 0) {
                let per = (a as f64 - b as f64) / open as f64;
                let _ = writeln!(s, "| (HAProxy itself) | | | | {open} | {b} → {a} KiB | {per:.1} KiB |");
            }
        }
        s
    }
}
