//! FTPS benchmarks (issue 12), every figure measured against a peer in the same run, rounds interleaved:
//!
//! - **download throughput**: one big file over TLS (explicit, PROT P, passive). Clients: ftpkit's blocking
//!   client and curl (`--ssl-reqd`); servers: vsftpd (`ssl_enable=YES`, `require_ssl_reuse=YES`) and ftpkit's
//!   server (TLS required, data sessions bound to the control session). GB/s medians and the ratios.
//! - **short TLS sessions per second**: connect, AUTH TLS, USER/PASS, PBSZ/PROT P, QUIT, one after the other from
//!   ftpkit's blocking client, against ftpkit's server and vsftpd (the handshake cost on the server side).
//!
//! ```text
//! cargo run --release -p ftpkit-interop --bin ftps_bench -- [--size-mib N (1024)] [--rounds R (3)] [--sessions S (200)]
//! ```
//!
//! Figures are reported, not gated (the machine is shared); exits 0 unless the arguments are wrong or a peer
//! cannot be started.

#![forbid(unsafe_code)]

use std::io;
use std::net::SocketAddr;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use ftpkit::client::{ClientMode, Options, TlsMode, TlsPolicy};
use ftpkit::server::TlsPolicy as ServerTls;
use ftpkit::tls::TlsConfig;
use ftpkit_interop::install::ensure_curl;
use ftpkit_interop::{run_with_timeout, Certs, FtpkitOpts, FtpkitServer, FtpkitTls, ServerOpts, Vsftpd};

const USAGE: &str = "usage: ftps_bench [--size-mib N (1024)] [--rounds R (3)] [--sessions S (200)]";

fn median(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

fn main() -> ExitCode {
    let (mut size_mib, mut rounds, mut sessions) = (1024usize, 3usize, 200usize);
    let flags: &mut [(&str, &mut usize)] =
        &mut [("--size-mib", &mut size_mib), ("--rounds", &mut rounds), ("--sessions", &mut sessions)];
    if !ftpkit_interop::usize_flags(USAGE, flags) {
        return ExitCode::from(2);
    }
    match run(size_mib, rounds, sessions) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ftps_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One server under test: where it listens and its login.
struct Target {
    name: &'static str,
    addr: SocketAddr,
    user: String,
    pass: String,
}

/// Explicit FTPS options trusting `certs`, passive, with long timeouts; data handshakes recorded.
fn options(certs: &Certs, resumed: &std::sync::Arc<std::sync::Mutex<Vec<bool>>>) -> Options {
    let sink = resumed.clone();
    Options {
        mode: ClientMode::Passive,
        tls: TlsPolicy { mode: TlsMode::Explicit, ..TlsPolicy::default() },
        tls_config: TlsConfig { ca_file: Some(certs.ca()), ..TlsConfig::default() },
        data_timeout: Duration::from_secs(120),
        reply_timeout: Duration::from_secs(120),
        trace: Some(std::sync::Arc::new(move |l: &ftpkit::client::TraceLine| {
            if let ftpkit::client::TraceLine::Tls { data: true, info } = l {
                if let Ok(mut v) = sink.lock() {
                    v.push(info.resumed);
                }
            }
        })),
        ..Options::default()
    }
}

/// ftpkit's client: connect, login, RETR big.bin into a sink; GB/s until the 226.
fn ftpkit_download(
    t: &Target,
    certs: &Certs,
    size: usize,
    resumed: &std::sync::Arc<std::sync::Mutex<Vec<bool>>>,
) -> Result<f64, String> {
    let start = Instant::now();
    let mut c = ftpkit::blocking::Client::connect_with(t.addr, options(certs, resumed)).map_err(|e| e.to_string())?;
    c.login(&t.user, &t.pass).map_err(|e| e.to_string())?;
    let n = c.retrieve_to("big.bin", &mut io::sink()).map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    let _ = c.quit();
    if n != size as u64 {
        return Err(format!("ftpkit from {}: {n} bytes of {size}", t.name));
    }
    Ok(size as f64 / secs / 1e9)
}

/// curl `--ssl-reqd`, passive: GB/s from its own `time_total`.
fn curl_download(t: &Target, certs: &Certs, size: usize) -> Result<f64, String> {
    let curl = ensure_curl().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(curl);
    cmd.args(["-sS", "--ssl-reqd", "--cacert"])
        .arg(certs.ca())
        .args(["-o", "/dev/null", "-w", "%{time_total} %{size_download}", "-u"])
        .arg(format!("{}:{}", t.user, t.pass))
        .arg(format!("ftp://{}:{}/big.bin", t.addr.ip(), t.addr.port()));
    let out = run_with_timeout(&mut cmd, None, Duration::from_secs(600)).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!("curl from {}: {}", t.name, out.describe()));
    }
    let text = out.stdout_text();
    let mut f = text.split_whitespace();
    let secs: f64 = f.next().and_then(|s| s.parse().ok()).ok_or_else(|| format!("curl said {text:?}"))?;
    let got: u64 = f.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    if got != size as u64 {
        return Err(format!("curl from {}: {got} bytes of {size}", t.name));
    }
    Ok(size as f64 / secs / 1e9)
}

/// `n` short explicit-TLS sessions one after the other (full handshake each, no data); sessions per second.
fn short_sessions(t: &Target, certs: &Certs, n: usize) -> Result<f64, String> {
    let unused = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let start = Instant::now();
    for _ in 0..n {
        let mut c =
            ftpkit::blocking::Client::connect_with(t.addr, options(certs, &unused)).map_err(|e| e.to_string())?;
        c.login(&t.user, &t.pass).map_err(|e| format!("{}: {e}", t.name))?;
        c.quit().map_err(|e| e.to_string())?;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn run(size_mib: usize, rounds: usize, sessions: usize) -> Result<(), String> {
    let size = size_mib * 1024 * 1024;
    let certs = Certs::new().map_err(|e| e.to_string())?;
    eprintln!("ftps_bench: making two {size_mib} MiB trees, starting vsftpd (TLS) and ftpkit's server (TLS) ...");
    let vsftpd = Vsftpd::start(ServerOpts { big_len: size, tls: Some(certs.server()), ..ServerOpts::default() })
        .map_err(|e| e.to_string())?;
    let tls = FtpkitTls {
        cert: certs.cert(),
        key: certs.key(),
        policy: ServerTls::required(),
        implicit: false,
        client_certs: None,
    };
    let ours = FtpkitServer::start(FtpkitOpts {
        big_len: size,
        tls: Some(tls),
        data_timeout: Duration::from_secs(120),
        ..FtpkitOpts::default()
    })
    .map_err(|e| e.to_string())?;
    let targets = [
        Target { name: "vsftpd", addr: vsftpd.addr(), user: vsftpd.user().into(), pass: vsftpd.pass().into() },
        Target { name: "ftpkit server", addr: ours.addr(), user: ours.user().into(), pass: ours.pass().into() },
    ];
    // [server][client]: GB/s per round; client 0 = ftpkit, 1 = curl.
    let mut gbs = [[Vec::new(), Vec::new()], [Vec::new(), Vec::new()]];
    let mut rate = [Vec::new(), Vec::new()];
    let resumed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    for round in 1..=rounds {
        for (i, t) in targets.iter().enumerate() {
            gbs[i][0].push(ftpkit_download(t, &certs, size, &resumed)?);
            gbs[i][1].push(curl_download(t, &certs, size)?);
            rate[i].push(short_sessions(t, &certs, sessions)?);
        }
        eprintln!(
            "round {round}: vsftpd: ftpkit {:.3} / curl {:.3} GB/s, {:.0} sessions/s; ftpkit server: ftpkit {:.3} / \
             curl {:.3} GB/s, {:.0} sessions/s",
            gbs[0][0][round - 1],
            gbs[0][1][round - 1],
            rate[0][round - 1],
            gbs[1][0][round - 1],
            gbs[1][1][round - 1],
            rate[1][round - 1]
        );
    }
    let m = |v: &mut Vec<f64>| median(v).unwrap_or(f64::NAN);
    let [[mut vf, mut vc], [mut of, mut oc]] = gbs;
    let (vf, vc, of, oc) = (m(&mut vf), m(&mut vc), m(&mut of), m(&mut oc));
    let [mut rv, mut ro] = rate;
    let (rv, ro) = (m(&mut rv), m(&mut ro));
    println!("| FTPS, explicit TLS, PROT P, passive, {size_mib} MiB download (median of {rounds}) | vsftpd | ftpkit server |");
    println!("| --- | --- | --- |");
    println!("| ftpkit blocking client, GB/s | {vf:.3} | {of:.3} |");
    println!("| curl --ssl-reqd, GB/s | {vc:.3} | {oc:.3} |");
    println!("| ratio ftpkit client / curl | {:.2} | {:.2} |", vf / vc, of / oc);
    println!("| short TLS sessions/s ({sessions} in a row, ftpkit client) | {rv:.0} | {ro:.0} |");
    println!(
        "ratios on the same client: ftpkit server / vsftpd: download {:.2} (curl), {:.2} (ftpkit); sessions/s {:.2}",
        oc / vc,
        of / vf,
        ro / rv
    );
    let all = resumed.lock().map(|v| v.clone()).unwrap_or_default();
    println!(
        "ftpkit client data connections resumed the control session: {} of {}",
        all.iter().filter(|r| **r).count(),
        all.len()
    );
    Ok(())
}
