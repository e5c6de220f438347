//! `ftpkit mirror` against `lftp mirror` (Debian's lftp, installed when missing): a tree of many small files in
//! nested directories downloaded from the same server, with the same number of parallel connections, in the same
//! run, alternating, fresh target directory each time. Prints files/s for each and the ratio.
//!
//! ```text
//! cargo run --release -p ftpkit-interop --bin mirror_bench -- [--files N (10000)] [--parallel P (4)]
//!     [--rounds R (3)] [--server vsftpd|ftpkit|both (both)]
//! ```
//!
//! Both downloads are checked complete (every file present with its length) before their time counts. The machine
//! is shared and noisy, so the figures are reported (medians of R rounds), never gated; exits 0 unless the
//! arguments are wrong or a run fails.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use ftpkit::blocking::Client;
use ftpkit::mirror::{mirror, Direction, MirrorOptions};
use ftpkit_interop::clients::LFTP_PRELUDE;
use ftpkit_interop::install::ensure_lftp;
use ftpkit_interop::{FtpkitOpts, FtpkitServer, ServerOpts, Vsftpd};

const USAGE: &str = "usage: mirror_bench [--files N (10000)] [--parallel P (4)] [--rounds R (3)] \
[--server vsftpd|ftpkit|both (both)]";

struct Args {
    files: usize,
    parallel: usize,
    rounds: usize,
    servers: Vec<String>,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args { files: 10_000, parallel: 4, rounds: 3, servers: vec!["vsftpd".into(), "ftpkit".into()] };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        let bad = || format!("{flag}: not a valid value\n{USAGE}");
        match flag.as_str() {
            "--files" => a.files = value()?.parse().map_err(|_| bad())?,
            "--parallel" => a.parallel = value()?.parse().map_err(|_| bad())?,
            "--rounds" => a.rounds = value()?.parse().map_err(|_| bad())?,
            "--server" => {
                a.servers = match value()?.as_str() {
                    "both" => vec!["vsftpd".into(), "ftpkit".into()],
                    s @ ("vsftpd" | "ftpkit") => vec![s.to_owned()],
                    _ => return Err(bad()),
                }
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if a.files == 0 || a.parallel == 0 || a.rounds == 0 {
        return Err(format!("--files, --parallel and --rounds must be above 0\n{USAGE}"));
    }
    Ok(a)
}

/// `files` files of 0..=1,999 bytes, 100 to a directory, directories two levels deep (10 per parent).
fn make_tree(root: &Path, files: usize) -> Result<u64, String> {
    let mut total = 0;
    for i in 0..files {
        let dir = root.join(format!("d{:03}/s{}", i / 1000, (i / 100) % 10));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let len = (i as u64).wrapping_mul(7919) % 2000;
        let bytes: Vec<u8> = (0..len).map(|k| (k as u8) ^ (i as u8)).collect();
        std::fs::write(dir.join(format!("f{i}.dat")), &bytes).map_err(|e| e.to_string())?;
        total += len;
    }
    Ok(total)
}

/// Every regular file under `root` with its length.
fn files_in(root: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(m) = p.metadata() {
                out.push((p.strip_prefix(root).map(|r| r.display().to_string()).unwrap_or_default(), m.len()));
            }
        }
    }
    out.sort();
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Peer {
    name: &'static str,
    addr: SocketAddr,
    user: String,
    pass: String,
    root: std::path::PathBuf,
}

fn bench(peer: &Peer, args: &Args, lftp: &Path) -> Result<(f64, f64), String> {
    let src = peer.root.join("mtree");
    let bytes = make_tree(&src, args.files)?;
    let want = files_in(&src);
    eprintln!("{}: {} files, {} bytes, parallel {}", peer.name, want.len(), bytes, args.parallel);
    let (addr, user, pass) = (peer.addr, peer.user.clone(), peer.pass.clone());
    let connect = move || -> ftpkit::client::Result<Client> {
        let mut c = Client::connect(addr)?;
        c.login(&user, &pass)?;
        Ok(c)
    };
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..args.rounds {
        let out = tempfile::tempdir().map_err(|e| e.to_string())?;

        let dst = out.path().join("ftpkit");
        let opts = MirrorOptions { parallel: args.parallel, ..MirrorOptions::new(Direction::Download, "mtree", &dst) };
        let t = Instant::now();
        let s = mirror(&connect, &opts, &AtomicBool::new(false), &|_| {}).map_err(|e| e.to_string())?;
        let secs = t.elapsed().as_secs_f64();
        if !s.failed.is_empty() || files_in(&dst) != want {
            return Err(format!("ftpkit mirror incomplete: {} failed {:?}", s.failed.len(), s.failed.first()));
        }
        ours.push(want.len() as f64 / secs);

        let dst = out.path().join("lftp");
        let script = format!(
            "{LFTP_PRELUDE}open -u {},{} -p {} {}; mirror --parallel={} mtree {}; bye",
            peer.user,
            if peer.pass.is_empty() { "x" } else { &peer.pass },
            addr.port(),
            addr.ip(),
            args.parallel,
            dst.display()
        );
        let t = Instant::now();
        let run = Command::new(lftp).arg("-c").arg(&script).output().map_err(|e| e.to_string())?;
        let secs = t.elapsed().as_secs_f64();
        if !run.status.success() || files_in(&dst) != want {
            return Err(format!(
                "lftp mirror incomplete ({}, {} of {} files): {}",
                run.status,
                files_in(&dst).len(),
                want.len(),
                String::from_utf8_lossy(&run.stderr)
            ));
        }
        theirs.push(want.len() as f64 / secs);
        eprintln!("  round {}: ftpkit {:.0} files/s, lftp {:.0} files/s", round + 1, ours[round], theirs[round]);
    }
    Ok((median(ours), median(theirs)))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let lftp = match ensure_lftp() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("mirror_bench: {e}");
            return ExitCode::from(1);
        }
    };
    println!("| server | files | parallel | ftpkit mirror files/s | lftp mirror files/s | ratio ftpkit/lftp |");
    println!("|---|---|---|---|---|---|");
    for name in &args.servers {
        let result = if name == "vsftpd" {
            Vsftpd::start(ServerOpts { passive_ports: 400, ..ServerOpts::default() })
                .map_err(|e| e.to_string())
                .and_then(|s| {
                    let peer = Peer {
                        name: "vsftpd",
                        addr: s.addr(),
                        user: s.user().into(),
                        pass: s.pass().into(),
                        root: s.root().to_owned(),
                    };
                    bench(&peer, &args, &lftp)
                })
        } else {
            FtpkitServer::start(FtpkitOpts { passive_ports: 400, ..FtpkitOpts::default() })
                .map_err(|e| e.to_string())
                .and_then(|s| {
                    let peer = Peer {
                        name: "ftpkit-server",
                        addr: s.addr(),
                        user: s.user().into(),
                        pass: s.pass().into(),
                        root: s.root().to_owned(),
                    };
                    bench(&peer, &args, &lftp)
                })
        };
        match result {
            Ok((ours, theirs)) => println!(
                "| {name} | {} | {} | {ours:.0} | {theirs:.0} | {:.2} |",
                args.files,
                args.parallel,
                ours / theirs
            ),
            Err(e) => {
                eprintln!("mirror_bench: {name}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
