//! Part 2: short sessions per second (connect, login, EPSV, LIST, QUIT) with the blocking client, against ftpkit's
//! server, vsftpd and pyftpdlib's async server (its DEBUG log off: `ServerOpts::bench`), and the floor (canned
//! replies: [`super::floor`]), from 1 and 8 client loops; each loop bounded by a count and a time.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ftpkit::blocking::Client;
use ftpkit::client::Options;
use ftpkit_interop::{FtpkitOpts, FtpkitServer, Pyftpdlib, ServerOpts, Vsftpd};

use super::median;

/// Sessions one loop does at most.
const MAX_PER_LOOP: u64 = 20_000;

/// One session: connect, login (USER/PASS, then FEAT and TYPE I as the client always does), EPSV + LIST, QUIT.
fn session(addr: SocketAddr, user: &str, pass: &str) -> Result<(), String> {
    let opts =
        Options { reply_timeout: Duration::from_secs(10), data_timeout: Duration::from_secs(10), ..Options::default() };
    let mut c = Client::connect_with(addr, opts).map_err(|e| format!("connect: {e}"))?;
    c.login(user, pass).map_err(|e| format!("login: {e}"))?;
    let lines = c.list_raw(None).map_err(|e| format!("LIST: {e}"))?;
    if lines.is_empty() {
        return Err("empty listing".into());
    }
    c.quit().map_err(|e| format!("QUIT: {e}"))
}

/// Runs `loops` threads for `secs` seconds (or [`MAX_PER_LOOP`] sessions each); returns (sessions/s, failures,
/// first failure).
pub fn measure(addr: SocketAddr, user: &str, pass: &str, loops: usize, secs: f64) -> (f64, u64, Option<String>) {
    let user: Arc<str> = user.into();
    let pass: Arc<str> = pass.into();
    let limit = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let handles: Vec<_> = (0..loops)
        .map(|_| {
            let (user, pass) = (user.clone(), pass.clone());
            thread::spawn(move || {
                let (mut ok, mut failed, mut first) = (0u64, 0u64, None);
                while start.elapsed() < limit && ok + failed < MAX_PER_LOOP {
                    match session(addr, &user, &pass) {
                        Ok(()) => ok += 1,
                        Err(e) => {
                            failed += 1;
                            first.get_or_insert(e);
                            // A refusing server must not make this loop spin.
                            thread::sleep(Duration::from_millis(10));
                        }
                    }
                }
                (ok, failed, first)
            })
        })
        .collect();
    let (mut ok, mut failed, mut first) = (0, 0, None);
    for h in handles {
        match h.join() {
            Ok((o, f, e)) => {
                ok += o;
                failed += f;
                if first.is_none() {
                    first = e;
                }
            }
            Err(_) => {
                failed += 1;
                first.get_or_insert_with(|| "client loop panicked".to_owned());
            }
        }
    }
    (ok as f64 / start.elapsed().as_secs_f64(), failed, first)
}

/// One row: a server and a loop count.
#[derive(Debug, Clone)]
pub struct Row {
    /// The server.
    pub server: &'static str,
    /// Client loops.
    pub loops: usize,
    /// Sessions/s of each round.
    pub samples: Vec<f64>,
    /// Failed sessions over all rounds.
    pub failed: u64,
    /// The first failure.
    pub first_error: Option<String>,
}

/// Everything part 2 measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The rows.
    pub rows: Vec<Row>,
    /// Rounds.
    pub rounds: usize,
    /// Seconds per loop and round.
    pub secs: f64,
    /// Load average before and after.
    pub load: (String, String),
}

/// The servers part 2 can measure; `floor` is [`super::floor::Floor`], canned replies (what any server is left).
pub const SERVERS: [&str; 4] = ["ftpkit", "vsftpd", "pyftpdlib", "floor"];

/// Measures the `only` servers of [`SERVERS`] (ftpkit's, vsftpd, pyftpdlib, the floor), 1 and 8 loops, `rounds`
/// rounds interleaved.
pub fn run(rounds: usize, secs: f64, only: &[String]) -> Result<Report, String> {
    let load_before = super::loadavg();
    let want = |name: &str| only.iter().any(|s| s == name);
    let ftpkit = want("ftpkit")
        .then(|| FtpkitServer::start(FtpkitOpts { big_len: 1024, passive_ports: 200, ..FtpkitOpts::default() }))
        .transpose()
        .map_err(|e| e.to_string())?;
    let vsftpd = want("vsftpd")
        .then(|| Vsftpd::start(ServerOpts { big_len: 1024, passive_ports: 200, ..ServerOpts::default() }))
        .transpose()
        .map_err(|e| e.to_string())?;
    let pyftpdlib = want("pyftpdlib")
        .then(|| {
            Pyftpdlib::start(ServerOpts { big_len: 1024, passive_ports: 200, bench: true, ..ServerOpts::default() })
        })
        .transpose()
        .map_err(|e| e.to_string())?;
    // As many threads as the most client loops: each serves one session at a time.
    let floor = want("floor").then(|| super::floor::Floor::start(8)).transpose()?;
    let mut servers = Vec::new();
    if let Some(s) = &ftpkit {
        servers.push(("ftpkit", s.addr(), s.user().to_owned(), s.pass().to_owned()));
    }
    if let Some(s) = &vsftpd {
        servers.push(("vsftpd", s.addr(), s.user().to_owned(), s.pass().to_owned()));
    }
    if let Some(s) = &pyftpdlib {
        servers.push(("pyftpdlib", s.addr(), s.user().to_owned(), s.pass().to_owned()));
    }
    if let Some(s) = &floor {
        servers.push(("floor", s.addr(), "u".to_owned(), "p".to_owned()));
    }
    let mut rows: Vec<Row> = Vec::new();
    for loops in [1usize, 8] {
        for (name, ..) in &servers {
            rows.push(Row { server: name, loops, samples: Vec::new(), failed: 0, first_error: None });
        }
    }
    for round in 1..=rounds {
        for row in &mut rows {
            let Some((_, addr, user, pass)) = servers.iter().find(|s| s.0 == row.server) else { continue };
            let (rate, failed, first) = measure(*addr, user, pass, row.loops, secs);
            eprintln!(
                "[sessions] round {round}/{rounds} {} × {} loop(s): {rate:.0}/s, {failed} failed{}",
                row.server,
                row.loops,
                first.as_deref().map(|e| format!(" (first: {e})")).unwrap_or_default()
            );
            row.samples.push(rate);
            row.failed += failed;
            if row.first_error.is_none() {
                row.first_error = first;
            }
            // Let TIME_WAIT sockets and vsftpd's exiting session processes settle between rows.
            thread::sleep(Duration::from_millis(300));
        }
    }
    drop((ftpkit, vsftpd, pyftpdlib, floor));
    Ok(Report { rows, rounds, secs, load: (load_before, super::loadavg()) })
}

impl Report {
    /// The median rate of a server at a loop count.
    pub fn rate(&self, server: &str, loops: usize) -> Option<f64> {
        self.rows.iter().find(|r| r.server == server && r.loops == loops).and_then(|r| median(&r.samples))
    }

    /// The markdown table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "| server | client loops | sessions/s (median of {}, {} s each) | min–max | failed | ftpkit / vsftpd | ftpkit / pyftpdlib |",
            self.rounds, self.secs
        );
        let _ = writeln!(s, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for r in &self.rows {
            let m = median(&r.samples).map_or("n/a".to_owned(), |m| format!("{m:.0}"));
            let lo = r.samples.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = r.samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let ratio = |peer| match (r.server, self.rate("ftpkit", r.loops), self.rate(peer, r.loops)) {
                ("ftpkit", Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
                _ => String::new(),
            };
            let (vs_vsftpd, vs_py) = (ratio("vsftpd"), ratio("pyftpdlib"));
            let failed = match &r.first_error {
                Some(e) => format!("{} ({})", r.failed, e.lines().next().unwrap_or("")),
                None => r.failed.to_string(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {m} | {lo:.0}–{hi:.0} | {failed} | {vs_vsftpd} | {vs_py} |",
                r.server, r.loops
            );
        }
        s
    }
}
