//! FTPS download throughput (issue 12): one big file over TLS from vsftpd (`ssl_enable=YES`,
//! `require_ssl_reuse=YES`), ftpkit's blocking client (explicit TLS, PROT P, passive) against curl
//! (`--ssl-reqd`, passive) in the same run, rounds interleaved; prints GB/s medians and the ratio.
//!
//! ```text
//! cargo run --release -p ftpkit-interop --bin ftps_bench -- [--size-mib N (1024)] [--rounds R (3)]
//! ```
//!
//! Figures are reported, not gated (the machine is shared); exits 0 unless the arguments are wrong or a peer
//! cannot be started.

#![forbid(unsafe_code)]

use std::io;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use ftpkit::client::{ClientMode, Options, TlsMode, TlsPolicy};
use ftpkit::tls::TlsConfig;
use ftpkit_interop::install::ensure_curl;
use ftpkit_interop::{run_with_timeout, Certs, ServerOpts, Vsftpd};

const USAGE: &str = "usage: ftps_bench [--size-mib N (1024)] [--rounds R (3)]";

fn median(v: &mut [f64]) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

fn main() -> ExitCode {
    let Some((size_mib, rounds)) = ftpkit_interop::size_and_rounds(USAGE, 1024, 3) else {
        return ExitCode::from(2);
    };
    match run(size_mib, rounds) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ftps_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(size_mib: usize, rounds: usize) -> Result<(), String> {
    let size = size_mib * 1024 * 1024;
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let curl = ensure_curl().map_err(|e| e.to_string())?;
    eprintln!("ftps_bench: making a {size_mib} MiB tree and starting vsftpd with TLS ...");
    let server = Vsftpd::start(ServerOpts { big_len: size, tls: Some(certs.server()), ..ServerOpts::default() })
        .map_err(|e| e.to_string())?;
    let url = format!("ftp://127.0.0.1:{}/big.bin", server.port());
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let mut resumed = String::new();
    for round in 1..=rounds {
        // ftpkit: connect, AUTH TLS, login, PBSZ/PROT P, RETR into a sink; timed until the 226.
        let trace_resumed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = trace_resumed.clone();
        let opts = Options {
            mode: ClientMode::Passive,
            tls: TlsPolicy { mode: TlsMode::Explicit, ..TlsPolicy::default() },
            tls_config: TlsConfig { ca_file: Some(certs.ca()), ..TlsConfig::default() },
            data_timeout: Duration::from_secs(120),
            reply_timeout: Duration::from_secs(120),
            trace: Some(std::sync::Arc::new(move |l: &ftpkit::client::TraceLine| {
                if let ftpkit::client::TraceLine::Tls { data: true, info } = l {
                    if let Ok(mut v) = sink.lock() {
                        v.push(format!("{} {} resumed={}", info.version, info.cipher, info.resumed));
                    }
                }
            })),
            ..Options::default()
        };
        let start = Instant::now();
        let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts).map_err(|e| e.to_string())?;
        c.login(server.user(), server.pass()).map_err(|e| e.to_string())?;
        let n = c.retrieve_to("big.bin", &mut io::sink()).map_err(|e| e.to_string())?;
        let t = start.elapsed();
        let _ = c.quit();
        if n != size as u64 {
            return Err(format!("ftpkit got {n} bytes of {size}"));
        }
        resumed = trace_resumed.lock().map(|v| v.join(", ")).unwrap_or_default();
        ours.push(size as f64 / t.as_secs_f64() / 1e9);
        // curl: explicit TLS required, passive (EPSV), time_total.
        let mut cmd = Command::new(&curl);
        cmd.args(["-sS", "--ssl-reqd", "--cacert"])
            .arg(certs.ca())
            .args(["-o", "/dev/null", "-w", "%{time_total} %{size_download}", "-u", "anonymous:"])
            .arg(&url);
        let out = run_with_timeout(&mut cmd, None, Duration::from_secs(600)).map_err(|e| e.to_string())?;
        if !out.success() {
            return Err(format!("curl: {}", out.describe()));
        }
        let text = out.stdout_text();
        let mut f = text.split_whitespace();
        let secs: f64 = f.next().and_then(|s| s.parse().ok()).ok_or_else(|| format!("curl said {text:?}"))?;
        let got: u64 = f.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if got != size as u64 {
            return Err(format!("curl got {got} bytes of {size}"));
        }
        theirs.push(size as f64 / secs / 1e9);
        eprintln!(
            "round {round}: ftpkit {:.3} GB/s, curl {:.3} GB/s",
            ours.last().unwrap_or(&0.0),
            theirs.last().unwrap_or(&0.0)
        );
    }
    let (a, b) = (median(&mut ours).unwrap_or(f64::NAN), median(&mut theirs).unwrap_or(f64::NAN));
    println!("| FTPS download, {size_mib} MiB, vsftpd (TLS, require_ssl_reuse), passive | GB/s (median of {rounds}) |");
    println!("| --- | --- |");
    println!("| ftpkit blocking client (explicit TLS, PROT P) | {a:.3} |");
    println!("| curl --ssl-reqd | {b:.3} |");
    println!("| ratio ftpkit / curl | {:.2} |", a / b);
    println!("data connection TLS: {resumed}");
    Ok(())
}
