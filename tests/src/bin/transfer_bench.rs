//! ftpkit's transfer, session and memory benchmark against real peers on loopback (issue 5).
//!
//! ```text
//! cargo run --release -p ftpkit-interop --bin transfer_bench -- [--size-mib N] [--rounds R] [--sessions S]
//!     [--secs T] [--vsftpd-sessions V] [--only throughput,sessions,memory]
//! ```
//!
//! Prints markdown tables (medians of R rounds, rows interleaved) and PASS/MISS per target; always exits 0 unless the
//! arguments are wrong: the machine is shared and noisy, so figures are reported, not gated. See docs/BENCHMARKS.md.

#![forbid(unsafe_code)]

#[path = "../bench/mod.rs"]
mod bench;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// Parsed command line.
#[derive(Debug)]
struct Args {
    size_mib: u64,
    rounds: usize,
    sessions: usize,
    secs: f64,
    vsftpd_sessions: Option<usize>,
    parts: Vec<String>,
    servers: Vec<String>,
}

const USAGE: &str = "usage: transfer_bench [--size-mib N (1024)] [--rounds R (3)] [--sessions S (1000)] \
[--secs T (3)] [--vsftpd-sessions V (min(S, 50))] [--only throughput,sessions,memory,s3 (s3: not by default)] \
[--servers ftpkit,vsftpd,pyftpdlib,floor (part 2's servers; all by default)]";

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        size_mib: 1024,
        rounds: 3,
        sessions: 1000,
        secs: 3.0,
        vsftpd_sessions: None,
        parts: vec!["throughput".into(), "sessions".into(), "memory".into()],
        servers: bench::sessions::SERVERS.iter().map(|s| (*s).to_owned()).collect(),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        let bad = |v: &str| format!("{flag}: {v:?} is not a valid value\n{USAGE}");
        match flag.as_str() {
            "--size-mib" => a.size_mib = value()?.parse().map_err(|_| bad("size"))?,
            "--rounds" => a.rounds = value()?.parse().map_err(|_| bad("rounds"))?,
            "--sessions" => a.sessions = value()?.parse().map_err(|_| bad("sessions"))?,
            "--secs" => a.secs = value()?.parse().map_err(|_| bad("secs"))?,
            "--vsftpd-sessions" => a.vsftpd_sessions = Some(value()?.parse().map_err(|_| bad("count"))?),
            "--only" => a.parts = value()?.split(',').map(str::to_owned).collect(),
            "--servers" => a.servers = value()?.split(',').map(str::to_owned).collect(),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if a.size_mib == 0 || a.rounds == 0 || a.secs.is_nan() || a.secs <= 0.0 {
        return Err(format!("--size-mib, --rounds and --secs must be above 0\n{USAGE}"));
    }
    if let Some(p) = a.parts.iter().find(|p| !["throughput", "sessions", "memory", "s3"].contains(&p.as_str())) {
        return Err(format!("--only: unknown part {p:?}\n{USAGE}"));
    }
    if let Some(s) = a.servers.iter().find(|s| !bench::sessions::SERVERS.contains(&s.as_str())) {
        return Err(format!("--servers: unknown server {s:?}\n{USAGE}"));
    }
    Ok(a)
}

fn shell(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn verdict(pass: Option<bool>) -> &'static str {
    match pass {
        Some(true) => "PASS",
        Some(false) => "MISS",
        None => "n/a",
    }
}

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("--serve-child") {
        let root = argv.nth(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
        // `--serve-child ROOT [s3 ENDPOINT BUCKET] [proxy LO HI]`
        let rest: Vec<String> = argv.collect();
        let (mut s3, mut behind) = (None, None);
        for w in rest.windows(3) {
            match w {
                [kind, endpoint, bucket] if kind == "s3" => s3 = Some((endpoint.as_str(), bucket.as_str())),
                [kind, lo, hi] if kind == "proxy" => behind = lo.parse().ok().zip(hi.parse().ok()),
                _ => {}
            }
        }
        return ExitCode::from(u8::try_from(bench::memory::serve_child(&root, s3, behind)).unwrap_or(1));
    }
    let args = match parse(argv) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    println!("# ftpkit transfer_bench, {}", shell("date", &["-u", "+%Y-%m-%d %H:%M UTC"]));
    println!(
        "kernel {}, {cpus} CPUs, load average at start {}; args: --size-mib {} --rounds {} --sessions {} --secs {}\n",
        shell("uname", &["-r"]),
        bench::loadavg(),
        args.size_mib,
        args.rounds,
        args.sessions,
        args.secs
    );
    let want = |p: &str| args.parts.iter().any(|x| x == p);

    if want("throughput") {
        println!("## 1. Download throughput\n");
        match bench::throughput::run(args.size_mib, args.rounds) {
            Ok(r) => {
                println!("{}", r.table());
                println!("load average before / after: {} / {}\n", r.load.0, r.load.1);
                println!("| target | figures | verdict |\n| --- | --- | --- |");
                for v in r.verdicts() {
                    println!("| {} | {} | {} |", v.target, v.detail, verdict(v.pass));
                }
                println!();
            }
            Err(e) => println!("throughput: could not run: {e}\n"),
        }
    }
    if want("sessions") {
        println!("## 2. Short sessions per second\n");
        match bench::sessions::run(args.rounds, args.secs, &args.servers) {
            Ok(r) => {
                println!("{}", r.table());
                println!("load average before / after: {} / {}\n", r.load.0, r.load.1);
                println!("| target (issue 17) | figures | verdict |\n| --- | --- | --- |");
                for loops in [1, 8] {
                    let ratio = r.rate("ftpkit", loops).zip(r.rate("pyftpdlib", loops)).map(|(a, b)| a / b);
                    println!(
                        "| ftpkit ≥ 2× pyftpdlib, {loops} loop(s) | {} | {} |",
                        ratio.map_or("n/a".to_owned(), |x| format!("{x:.2}×")),
                        verdict(ratio.map(|x| x >= 2.0))
                    );
                }
                println!();
                // The floor: what the client and the kernel leave for any server (canned replies, no work).
                for loops in [1, 8] {
                    let (Some(floor), Some(peer)) = (r.rate("floor", loops), r.rate("pyftpdlib", loops)) else {
                        continue;
                    };
                    let share = r.rate("ftpkit", loops).map_or(String::new(), |f| {
                        format!(
                            "; a session takes ftpkit {:.0} µs, the floor {:.0} µs: ftpkit's own share {:.0} µs",
                            1e6 / f,
                            1e6 / floor,
                            1e6 / f - 1e6 / floor
                        )
                    });
                    println!(
                        "- {loops} loop(s): the floor (canned replies, no work) is {:.2}× pyftpdlib — the most any \
                         server reaches against it with this client on this machine{share}",
                        floor / peer
                    );
                }
                println!();
            }
            Err(e) => println!("sessions: could not run: {e}\n"),
        }
    }
    if want("memory") {
        println!("## 3. Memory per idle logged-in session\n");
        // vsftpd refuses a 51st session from one address (its max_per_ip default is 50).
        let v = args.vsftpd_sessions.unwrap_or(args.sessions.min(50));
        let r = bench::memory::run(args.sessions, v);
        println!("{}", r.table());
        let per = r.ftpkit_per_session();
        let py = r.pyftpdlib_per_session();
        println!(
            "open files limit (soft/hard) {}; load average at start {}\n\n| target | figures | verdict |\n| --- | --- | --- |\n| ftpkit < 64 KiB a session | {} | {} |\n| ftpkit ≤ 4 KiB a session (issue 17, at 10,000) | {} vs pyftpdlib {} | {} |\n",
            r.nofile,
            r.load,
            per.map_or("n/a".to_owned(), |p| format!("{p:.1} KiB")),
            verdict(per.map(|p| p < 64.0)),
            per.map_or("n/a".to_owned(), |p| format!("{p:.2} KiB")),
            py.map_or("n/a".to_owned(), |p| format!("{p:.2} KiB")),
            verdict(per.map(|p| p <= 4.0))
        );
    }
    if want("s3") {
        println!("## 4. Short sessions and idle memory on S3 (SeaweedFS) and through HAProxy beside local\n");
        match bench::s3::run(args.rounds, args.secs, args.sessions) {
            Ok(r) => {
                println!("{}", r.table());
                println!("load average before / after: {} / {}\n", r.load.0, r.load.1);
            }
            Err(e) => println!("s3: could not run: {e}\n"),
        }
    }
    ExitCode::SUCCESS
}
