//! Part 4 (issue 17): short sessions per second and idle memory a session with the S3 back end (SeaweedFS on
//! loopback) beside the local back end, in one run. Both servers are child processes (this binary again,
//! `--serve-child`), anonymous, one with the local file system and one on S3; the short sessions (connect, login,
//! EPSV, LIST, QUIT) list the root, which on S3 is a paged LIST call per session.

use std::fmt::Write as _;
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
        children.push((name, child, pid, addr));
    }
    let mut rows: Vec<Row> = children.iter().map(|c| Row { backend: c.0, ..Row::default() }).collect();
    for round in 1..=rounds {
        for (row, (_, _, _, addr)) in rows.iter_mut().zip(&children) {
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
    for (row, (_, _, pid, addr)) in rows.iter_mut().zip(&children) {
        let (open, rss, err) = memory::rss_growth(*pid, *addr, "anonymous", "bench@", idle);
        if let Some(e) = err {
            row.failed.1.get_or_insert(e);
        }
        row.memory = (open, rss);
        eprintln!("[s3] {}: {open} idle sessions, VmRSS {rss:?} KiB", row.backend);
    }
    for (_, child, ..) in children {
        memory::stop(child);
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
        }
        s
    }
}
