//! Peak memory of ftpkit's server while a client lists a huge directory (issue 17: listings are streamed to the
//! data connection, not built in memory). Makes a directory of N empty files in a temporary directory (local
//! storage), starts the server as a child process (`transfer_bench`'s `--serve-child`), and lists the directory
//! with NLST, LIST and MLSD over passive data connections, one after the other, reading every byte. The server's
//! VmHWM (peak resident set, from `/proc/PID/status`) is printed before the first listing and after each.
//!
//! ```text
//! cargo run --release -p ftpkit-interop --bin listing_bench -- [--entries N (1000000)]
//! ```
//!
//! Figures are reported, not gated; exits 1 when a listing fails or comes back short.

#![forbid(unsafe_code)]

#[path = "../bench/mod.rs"]
#[allow(dead_code)] // the other parts are transfer_bench's
mod bench;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: listing_bench [--entries N (1000000)]";

/// Reads one reply (its last line).
fn reply(r: &mut BufReader<TcpStream>) -> Result<String, String> {
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) => return Err("control connection closed".into()),
            Ok(_) if line.as_bytes().get(3) == Some(&b' ') => return Ok(line.trim_end().to_owned()),
            Ok(_) => {}
            Err(e) => return Err(format!("control connection: {e}")),
        }
    }
}

fn cmd(w: &mut TcpStream, r: &mut BufReader<TcpStream>, line: &str) -> Result<String, String> {
    w.write_all(format!("{line}\r\n").as_bytes()).map_err(|e| format!("{line}: {e}"))?;
    reply(r)
}

/// One listing: the bytes and lines that came, and the time it took.
fn list(addr: SocketAddr, verb: &str) -> Result<(u64, u64, Duration), String> {
    let ctrl = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    ctrl.set_read_timeout(Some(Duration::from_secs(600))).map_err(|e| e.to_string())?;
    let mut r = BufReader::new(ctrl.try_clone().map_err(|e| e.to_string())?);
    let mut w = ctrl;
    reply(&mut r)?;
    cmd(&mut w, &mut r, "USER anonymous")?;
    let logged = cmd(&mut w, &mut r, "PASS bench@")?;
    if !logged.starts_with("230") {
        return Err(format!("login: {logged}"));
    }
    let epsv = cmd(&mut w, &mut r, "EPSV")?;
    let port: u16 = epsv
        .split("|||")
        .nth(1)
        .and_then(|s| s.split('|').next())
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("EPSV: {epsv}"))?;
    let t0 = Instant::now();
    w.write_all(format!("{verb}\r\n").as_bytes()).map_err(|e| e.to_string())?;
    let mut data = TcpStream::connect((addr.ip(), port)).map_err(|e| format!("data: {e}"))?;
    let mark = reply(&mut r)?;
    if !mark.starts_with("150") && !mark.starts_with("125") {
        return Err(format!("{verb}: {mark}"));
    }
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match data.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                bytes += n as u64;
                lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            }
            Err(e) => return Err(format!("{verb}: data: {e}")),
        }
    }
    let done = reply(&mut r)?;
    let took = t0.elapsed();
    if !done.starts_with("226") {
        return Err(format!("{verb}: {done}"));
    }
    let _ = cmd(&mut w, &mut r, "QUIT");
    Ok((bytes, lines, took))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let entries: u64 = match args.as_slice() {
        [] => 1_000_000,
        [flag, n] if flag == "--entries" => match n.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(entries) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("listing_bench: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(entries: u64) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let dir = tmp.path().join("big");
    std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    for i in 0..entries {
        std::fs::File::create(dir.join(format!("file-{i:08}"))).map_err(|e| format!("making file {i}: {e}"))?;
    }
    println!("# ftpkit listing_bench: {entries} empty files made in {:.1} s", t0.elapsed().as_secs_f64());
    println!("load average at start {}\n", bench::loadavg());

    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let transfer_bench = me.with_file_name("transfer_bench");
    let server = if transfer_bench.exists() { transfer_bench } else { PathBuf::from("transfer_bench") };
    let mut child = Command::new(&server)
        .arg("--serve-child")
        .arg(tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e} (build it: cargo build --release -p ftpkit-interop --bins)", server.display()))?;
    let pid = child.id();
    let addr: SocketAddr = {
        let out = child.stdout.take().ok_or("no child stdout")?;
        let mut line = String::new();
        BufReader::new(out).read_line(&mut line).map_err(|e| e.to_string())?;
        line.trim().strip_prefix("ADDR ").and_then(|a| a.parse().ok()).ok_or_else(|| format!("child said {line:?}"))?
    };
    let hwm = || bench::proc_kib(pid, "status", "VmHWM").unwrap_or(0);
    let rss = || bench::proc_kib(pid, "status", "VmRSS").unwrap_or(0);
    println!("| listing | entries | bytes | seconds | server VmRSS after, KiB | server VmHWM (peak) after, KiB |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    println!("| (idle, before) | | | | {} | {} |", rss(), hwm());
    let mut result = Ok(());
    for verb in ["NLST /big", "LIST /big", "MLSD /big"] {
        match list(addr, verb) {
            Ok((bytes, lines, took)) => {
                println!("| {verb} | {lines} | {bytes} | {:.2} | {} | {} |", took.as_secs_f64(), rss(), hwm());
                if lines != entries {
                    result = Err(format!("{verb}: {lines} lines for {entries} entries"));
                }
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    drop(child.stdin.take());
    let _ = child.wait();
    println!("\nload average at end {}", bench::loadavg());
    result
}
