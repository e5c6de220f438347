//! Proves the harness against the peers themselves: for vsftpd, pure-ftpd and pyftpdlib, curl lists the root in every
//! data-connection mode, downloads the multi-MiB file (sha256 checked) and uploads a file (bytes checked on disk);
//! lftp and ftplib list in active mode. On `::1` (all three servers listen there): curl EPSV and EPRT lists, ftplib
//! active (EPRT) list.
//!
//! Each test starts its own server (fresh tree, fresh ports), so they run in parallel.

use std::time::Instant;

use ftpkit_interop::{curl, ftplib, lftp, sha256_hex, RunOutput, Server, ServerOpts, Tree};

type TestResult = Result<(), String>;

/// Prints the test's wall time when it ends (visible with `--nocapture`).
struct Timer(&'static str, Instant);

impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("ftpkit-interop: test {} took {:.3} s", self.0, self.1.elapsed().as_secs_f64());
    }
}

fn fail(server: &Server, out: &RunOutput, why: &str) -> String {
    format!(
        "{} on {}: {why}\ncommand: {}\n{}\n=== server log ===\n{}",
        server.name(),
        server.addr(),
        out.command,
        out.describe(),
        server.log()
    )
}

/// The run succeeded, its stdout names every root entry, and `verb` (e.g. `> EPSV`) appears in its trace.
fn check_listing(server: &Server, out: &RunOutput, trace: &str, verb: &str, refused: &[&str]) -> TestResult {
    if !out.success() {
        return Err(fail(server, out, "the client failed"));
    }
    let listing = out.stdout_text();
    for name in Tree::ROOT_NAMES {
        if !listing.lines().any(|l| l.ends_with(name) || l.contains(&format!(" {name} -> "))) {
            return Err(fail(server, out, &format!("the listing does not name {name:?}")));
        }
    }
    if !trace.contains(verb) {
        return Err(fail(server, out, &format!("{verb:?} was not sent: the wrong data-connection mode was used")));
    }
    for not in refused {
        if trace.contains(not) {
            return Err(fail(server, out, &format!("{not:?} was sent, but that mode was turned off")));
        }
    }
    Ok(())
}

fn curl_list(server: &Server, extra: &[&str], verb: &str, refused: &[&str]) -> TestResult {
    let mut args = vec!["-sS", "-v", "--max-time", "20", "-u"];
    let userpass = server.userpass();
    let url = server.url("");
    args.push(&userpass);
    args.extend_from_slice(extra);
    args.push(&url);
    let out = curl(&args).map_err(|e| e.to_string())?;
    let trace = out.stderr_text();
    check_listing(server, &out, &trace, verb, refused)
}

fn curl_download_big(server: &Server) -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let local = dir.path().join("big.bin");
    let url = server.url(Tree::BIG);
    let out = curl(
        ["-sS", "--max-time", "20", "-u", &server.userpass(), "-o"]
            .iter()
            .copied()
            .chain([local.to_str().unwrap_or_default(), url.as_str()]),
    )
    .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(fail(server, &out, "the download failed"));
    }
    let bytes = std::fs::read(&local).map_err(|e| fail(server, &out, &format!("no downloaded file: {e}")))?;
    let big = server.tree().big();
    if bytes.len() as u64 != big.len || sha256_hex(&bytes) != big.sha256 {
        return Err(fail(
            server,
            &out,
            &format!(
                "downloaded {} bytes sha256 {}, want {} bytes sha256 {}",
                bytes.len(),
                sha256_hex(&bytes),
                big.len,
                big.sha256
            ),
        ));
    }
    Ok(())
}

fn curl_upload(server: &Server) -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let local = dir.path().join("up.bin");
    // Random bytes plus bare CR, LF and CRLF: a binary upload must keep them all.
    let mut content = sha256_hex(server.root().to_string_lossy().as_bytes()).into_bytes();
    content.extend_from_slice(b"\r\n\n\r\x00\xff");
    content.extend(std::iter::repeat_n(b"ftpkit\r\n".iter().copied(), 40_000).flatten());
    std::fs::write(&local, &content).map_err(|e| e.to_string())?;
    let remote = "upload/up loaded.bin";
    let url = server.url(remote);
    let out = curl(
        ["-sS", "--max-time", "20", "-u", &server.userpass(), "-T"]
            .iter()
            .copied()
            .chain([local.to_str().unwrap_or_default(), url.as_str()]),
    )
    .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(fail(server, &out, "the upload failed"));
    }
    let stored = server.tree().read(remote).map_err(|e| fail(server, &out, &e.to_string()))?;
    if stored != content {
        return Err(fail(
            server,
            &out,
            &format!(
                "the server stored {} bytes sha256 {}, sent {} bytes sha256 {}",
                stored.len(),
                sha256_hex(&stored),
                content.len(),
                sha256_hex(&content)
            ),
        ));
    }
    Ok(())
}

fn lftp_active_list(server: &Server) -> TestResult {
    let host = server.addr().ip().to_string();
    let script = format!(
        "debug 5; open -u '{}','{}' -p {} {host}; set ftp:passive-mode off; ls; bye",
        server.user(),
        server.pass(),
        server.port()
    );
    let out = lftp(&script).map_err(|e| e.to_string())?;
    let trace = out.stderr_text();
    let verb = if server.addr().is_ipv6() { "---> EPRT" } else { "---> PORT" };
    check_listing(server, &out, &trace, verb, &["---> EPSV", "---> PASV"])
}

fn ftplib_active_list(server: &Server) -> TestResult {
    let code = format!(
        "import ftplib, sys\n\
         ftp = ftplib.FTP()\n\
         ftp.connect({host:?}, {port}, timeout=10)\n\
         ftp.login({user:?}, {pass:?})\n\
         ftp.set_pasv(False)\n\
         ftp.set_debuglevel(1)\n\
         lines = []\n\
         ftp.retrlines('LIST', lines.append)\n\
         ftp.set_debuglevel(0)\n\
         ftp.quit()\n\
         sys.stdout.flush()\n\
         print('\\n'.join(lines))\n",
        host = server.addr().ip().to_string(),
        port = server.port(),
        user = server.user(),
        pass = server.pass(),
    );
    let out = ftplib(&code).map_err(|e| e.to_string())?;
    let trace = out.stdout_text();
    let verb = if server.addr().is_ipv6() { "*cmd* 'EPRT" } else { "*cmd* 'PORT" };
    check_listing(server, &out, &trace, verb, &["*cmd* 'PASV", "*cmd* 'EPSV"])
}

macro_rules! peer_tests {
    ($module:ident, $launcher:expr, ipv6: [$($v6:ident),*]) => {
        mod $module {
            use super::*;

            fn start() -> Result<Server, String> {
                $launcher(ServerOpts::default()).map_err(|e| e.to_string())
            }

            #[test]
            fn curl_lists_passive_epsv() -> TestResult {
                let _t = Timer(concat!(stringify!($module), "::curl_lists_passive_epsv"), Instant::now());
                curl_list(&start()?, &[], "> EPSV", &["> PASV", "> EPRT", "> PORT"])
            }

            #[test]
            fn curl_lists_passive_pasv() -> TestResult {
                let _t = Timer(concat!(stringify!($module), "::curl_lists_passive_pasv"), Instant::now());
                curl_list(&start()?, &["--disable-epsv"], "> PASV", &["> EPSV", "> EPRT", "> PORT"])
            }

            #[test]
            fn curl_lists_active_eprt() -> TestResult {
                let _t = Timer(concat!(stringify!($module), "::curl_lists_active_eprt"), Instant::now());
                curl_list(&start()?, &["-P", "127.0.0.1"], "> EPRT", &["> EPSV", "> PASV", "> PORT"])
            }

            #[test]
            fn curl_lists_active_port() -> TestResult {
                let _t = Timer(concat!(stringify!($module), "::curl_lists_active_port"), Instant::now());
                curl_list(&start()?, &["-P", "127.0.0.1", "--disable-eprt"], "> PORT", &["> EPSV", "> PASV", "> EPRT"])
            }

            #[test]
            fn curl_downloads_big_file_sha256() -> TestResult {
                let _t = Timer(concat!(stringify!($module), "::curl_downloads_big_file_sha256"), Instant::now());
                curl_download_big(&start()?)
            }

            #[test]
            fn curl_uploads_byte_exact() -> TestResult {
                let _t = Timer(concat!(stringify!($module), "::curl_uploads_byte_exact"), Instant::now());
                curl_upload(&start()?)
            }

            #[test]
            fn lftp_lists_active() -> TestResult {
                let _t = Timer(concat!(stringify!($module), "::lftp_lists_active"), Instant::now());
                lftp_active_list(&start()?)
            }

            #[test]
            fn ftplib_lists_active() -> TestResult {
                let _t = Timer(concat!(stringify!($module), "::ftplib_lists_active"), Instant::now());
                ftplib_active_list(&start()?)
            }

            $(
                #[test]
                fn $v6() -> TestResult {
                    let _t = Timer(concat!(stringify!($module), "::", stringify!($v6)), Instant::now());
                    let server = $launcher(ServerOpts::ipv6()).map_err(|e| e.to_string())?;
                    curl_list(&server, &[], "> EPSV", &["> PASV", "> EPRT", "> PORT"])?;
                    curl_list(&server, &["-P", "::1"], "> EPRT", &["> EPSV", "> PASV", "> PORT"])?;
                    ftplib_active_list(&server)
                }
            )*
        }
    };
}

peer_tests!(vsftpd, ftpkit_interop::Vsftpd::start, ipv6: [ipv6_curl_epsv_eprt_and_ftplib]);
peer_tests!(pure_ftpd, ftpkit_interop::PureFtpd::start, ipv6: [ipv6_curl_epsv_eprt_and_ftplib]);
peer_tests!(pyftpdlib, ftpkit_interop::Pyftpdlib::start, ipv6: [ipv6_curl_epsv_eprt_and_ftplib]);
