//! ftpkit's tokio server against real FTP clients: curl (EPSV, PASV, EPRT, PORT), lftp (passive on and off), Python's
//! ftplib (`set_pasv(True/False)`) and tnftp, on 127.0.0.1 and on `::1`.
//!
//! Each test starts its own embedded server ([`FtpkitServer`]: fresh tree, free port, free passive range), so tests
//! run in parallel. Checks are exact: the listing names every tree entry, the 4 MiB `big.bin` arrives with its
//! sha256, uploads are compared byte for byte on disk, the data-connection verb the mode calls for is in the client's
//! trace and the other modes' verbs are not.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use ftpkit_interop::{curl, ftplib, lftp, sha256_hex, tnftp, FtpkitOpts, FtpkitServer, RunOutput, Tree};

type TestResult = Result<(), String>;

/// Prints the test's wall time when it ends (visible with `--nocapture`).
struct Timer(&'static str, Instant);

impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("server_interop: test {} took {:.3} s", self.0, self.1.elapsed().as_secs_f64());
    }
}

fn start(opts: FtpkitOpts) -> Result<FtpkitServer, String> {
    FtpkitServer::start(opts).map_err(|e| e.to_string())
}

fn fail(server: &FtpkitServer, out: &RunOutput, why: &str) -> String {
    format!(
        "{} on {}: {why}\ncommand: {}\n{}\n=== server ===\n{}",
        server.name(),
        server.addr(),
        out.command,
        out.describe(),
        server.log()
    )
}

/// Bytes for uploads: a header naming `tag`, bare CR, LF, CRLF, NUL and 0xff, then 320 KB of text lines (a binary
/// transfer must keep every byte).
fn upload_content(tag: &str) -> Vec<u8> {
    let mut content = format!("ftpkit upload {tag}\n").into_bytes();
    content.extend_from_slice(b"\r\n\n\r\x00\xff");
    content.extend(std::iter::repeat_n(b"ftpkit\r\n".iter().copied(), 40_000).flatten());
    content
}

/// `what` on disk under the tree is exactly `want`.
fn check_disk(server: &FtpkitServer, out: &RunOutput, path: &str, want: &[u8]) -> TestResult {
    let got = server.tree().read(path).map_err(|e| fail(server, out, &e.to_string()))?;
    if got != want {
        return Err(fail(
            server,
            out,
            &format!(
                "{path} on disk: {} bytes sha256 {}, want {} bytes sha256 {}",
                got.len(),
                sha256_hex(&got),
                want.len(),
                sha256_hex(want)
            ),
        ));
    }
    Ok(())
}

/// The local file is `big.bin`, byte for byte.
fn check_big(server: &FtpkitServer, out: &RunOutput, local: &Path) -> TestResult {
    let bytes = std::fs::read(local).map_err(|e| fail(server, out, &format!("no downloaded file: {e}")))?;
    let big = server.tree().big();
    if bytes.len() as u64 != big.len || sha256_hex(&bytes) != big.sha256 {
        return Err(fail(
            server,
            out,
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

/// The listing names every root entry (the symlink with its target) and the trace has `verb` and none of `refused`.
fn check_listing(
    server: &FtpkitServer,
    out: &RunOutput,
    listing: &str,
    trace: &str,
    verb: &str,
    refused: &[&str],
) -> TestResult {
    if !out.success() {
        return Err(fail(server, out, "the client failed"));
    }
    for name in Tree::ROOT_NAMES {
        if !listing.lines().any(|l| l.ends_with(&format!(" {name}")) || l.contains(&format!(" {name} -> "))) {
            return Err(fail(server, out, &format!("the listing does not name {name:?}")));
        }
    }
    if !listing.lines().any(|l| l.starts_with('l') && l.ends_with(" link-to-readme -> readme.txt")) {
        return Err(fail(server, out, "the listing does not show link-to-readme as a symlink to readme.txt"));
    }
    check_verbs(server, out, trace, verb, refused)
}

fn check_verbs(server: &FtpkitServer, out: &RunOutput, trace: &str, verb: &str, refused: &[&str]) -> TestResult {
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

fn run_curl(args: &[&str]) -> Result<RunOutput, String> {
    let mut all = vec!["-sS", "-v", "--max-time", "20"];
    all.extend_from_slice(args);
    curl(&all).map_err(|e| e.to_string())
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------------------------
// curl
// ---------------------------------------------------------------------------------------------------------------

/// In one data-connection mode (`extra` curl flags): list the root, download `big.bin`, upload a file.
fn curl_mode(server: &FtpkitServer, extra: &[&str], verb: &str, refused: &[&str]) -> TestResult {
    let up = server.userpass();
    let mut args = vec!["-u", &up];
    args.extend_from_slice(extra);

    let url = server.url("");
    let out = run_curl(&[args.as_slice(), &[url.as_str()]].concat())?;
    check_listing(server, &out, &out.stdout_text(), &out.stderr_text(), verb, refused)?;

    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let local = dir.path().join("big.bin");
    let url = server.url(Tree::BIG);
    let out = run_curl(&[args.as_slice(), &["-o", path_str(&local), url.as_str()]].concat())?;
    if !out.success() {
        return Err(fail(server, &out, "the download failed"));
    }
    check_verbs(server, &out, &out.stderr_text(), verb, refused)?;
    check_big(server, &out, &local)?;

    let content = upload_content(verb);
    let local = dir.path().join("up.bin");
    std::fs::write(&local, &content).map_err(|e| e.to_string())?;
    let remote = "upload/up loaded.bin";
    let url = server.url(remote);
    let out = run_curl(&[args.as_slice(), &["-T", path_str(&local), url.as_str()]].concat())?;
    if !out.success() {
        return Err(fail(server, &out, "the upload failed"));
    }
    check_verbs(server, &out, &out.stderr_text(), verb, refused)?;
    check_disk(server, &out, remote, &content)
}

#[test]
fn curl_passive_epsv() -> TestResult {
    let _t = Timer("curl_passive_epsv", Instant::now());
    curl_mode(&start(FtpkitOpts::default())?, &[], "> EPSV", &["> PASV", "> EPRT", "> PORT"])
}

#[test]
fn curl_passive_pasv() -> TestResult {
    let _t = Timer("curl_passive_pasv", Instant::now());
    curl_mode(&start(FtpkitOpts::default())?, &["--disable-epsv"], "> PASV", &["> EPSV", "> EPRT", "> PORT"])
}

#[test]
fn curl_active_eprt() -> TestResult {
    let _t = Timer("curl_active_eprt", Instant::now());
    curl_mode(&start(FtpkitOpts::default())?, &["-P", "127.0.0.1"], "> EPRT", &["> EPSV", "> PASV", "> PORT"])
}

#[test]
fn curl_active_port() -> TestResult {
    let _t = Timer("curl_active_port", Instant::now());
    let server = start(FtpkitOpts::default())?;
    curl_mode(&server, &["-P", "127.0.0.1", "--disable-eprt"], "> PORT", &["> EPSV", "> PASV", "> EPRT"])
}

#[test]
fn curl_ipv6_epsv_and_eprt() -> TestResult {
    let _t = Timer("curl_ipv6_epsv_and_eprt", Instant::now());
    let server = start(FtpkitOpts::ipv6())?;
    curl_mode(&server, &[], "> EPSV", &["> PASV", "> EPRT", "> PORT"])?;
    curl_mode(&server, &["-P", "::1"], "> EPRT", &["> EPSV", "> PASV", "> PORT"])
}

#[test]
fn curl_anonymous_reads_but_cannot_write() -> TestResult {
    let _t = Timer("curl_anonymous_reads_but_cannot_write", Instant::now());
    let server = start(FtpkitOpts::default())?;
    let url = server.url("");
    let out = run_curl(&["-u", "anonymous:guest@example.com", &url])?;
    check_listing(&server, &out, &out.stdout_text(), &out.stderr_text(), "> EPSV", &[])?;
    if !out.stderr_text().contains("< 230") {
        return Err(fail(&server, &out, "no 230 for the anonymous login"));
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let local = dir.path().join("big.bin");
    let big_url = server.url(Tree::BIG);
    let out = run_curl(&["-u", "anonymous:guest@example.com", "-o", path_str(&local), &big_url])?;
    if !out.success() {
        return Err(fail(&server, &out, "the anonymous download failed"));
    }
    check_big(&server, &out, &local)?;

    // Every writing command is refused with 550 and leaves the disk as it was.
    let up = dir.path().join("anon.txt");
    std::fs::write(&up, b"anonymous must not write\r\n").map_err(|e| e.to_string())?;
    let anon = "anonymous:guest@example.com";
    let up_url = server.url("upload/anon.txt");
    let attempts: [(&str, Vec<&str>); 5] = [
        ("STOR", vec!["-u", anon, "-T", path_str(&up), &up_url]),
        ("MKD", vec!["-u", anon, "-Q", "MKD upload/anondir", &url]),
        ("DELE", vec!["-u", anon, "-Q", "DELE readme.txt", &url]),
        ("RNFR/RNTO", vec!["-u", anon, "-Q", "RNFR readme.txt", "-Q", "RNTO upload/stolen.txt", &url]),
        ("RMD", vec!["-u", anon, "-Q", "RMD subdir", &url]),
    ];
    for (what, args) in attempts {
        let out = run_curl(&args)?;
        if out.success() {
            return Err(fail(&server, &out, &format!("anonymous {what} succeeded")));
        }
        if !out.stderr_text().contains("< 550") {
            return Err(fail(&server, &out, &format!("anonymous {what} was not refused with 550")));
        }
    }
    let root = server.root();
    for gone in ["upload/anon.txt", "upload/anondir", "upload/stolen.txt"] {
        if root.join(gone).symlink_metadata().is_ok() {
            return Err(format!("anonymous writes left {gone} on disk"));
        }
    }
    for kept in ["readme.txt", "subdir/nested.txt"] {
        if !root.join(kept).is_file() {
            return Err(format!("anonymous writes removed {kept}"));
        }
    }
    Ok(())
}

#[test]
fn curl_resumes_download_and_upload() -> TestResult {
    let _t = Timer("curl_resumes_download_and_upload", Instant::now());
    let server = start(FtpkitOpts::default())?;
    let up = server.userpass();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;

    // Download: the first 1 MiB + 7 bytes are already here.
    let big = server.tree().read(Tree::BIG).map_err(|e| e.to_string())?;
    let have = 1024 * 1024 + 7;
    let local = dir.path().join("big.bin");
    std::fs::write(&local, big.get(..have).unwrap_or_default()).map_err(|e| e.to_string())?;
    let url = server.url(Tree::BIG);
    let out = run_curl(&["-u", &up, "-C", "-", "-o", path_str(&local), &url])?;
    if !out.success() {
        return Err(fail(&server, &out, "the resumed download failed"));
    }
    check_verbs(&server, &out, &out.stderr_text(), &format!("> REST {have}"), &[])?;
    if !out.stderr_text().contains("< 350") {
        return Err(fail(&server, &out, "REST was not answered with 350"));
    }
    check_big(&server, &out, &local)?;

    // Upload: the server has the first 100,003 bytes; curl asks SIZE and appends the rest (APPE).
    let content = upload_content("resume");
    let part = 100_003;
    std::fs::write(server.root().join("upload/resumed.bin"), content.get(..part).unwrap_or_default())
        .map_err(|e| e.to_string())?;
    let local = dir.path().join("resumed.bin");
    std::fs::write(&local, &content).map_err(|e| e.to_string())?;
    let url = server.url("upload/resumed.bin");
    let out = run_curl(&["-u", &up, "-C", "-", "-T", path_str(&local), &url])?;
    if !out.success() {
        return Err(fail(&server, &out, "the resumed upload failed"));
    }
    check_verbs(&server, &out, &out.stderr_text(), "> APPE", &["> STOR"])?;
    if !out.stderr_text().contains(&format!("< 213 {part}")) {
        return Err(fail(&server, &out, &format!("SIZE did not answer 213 {part}")));
    }
    check_disk(&server, &out, "upload/resumed.bin", &content)
}

#[test]
fn curl_rename_delete_mkdir_rmdir() -> TestResult {
    let _t = Timer("curl_rename_delete_mkdir_rmdir", Instant::now());
    let server = start(FtpkitOpts::default())?;
    let up = server.userpass();
    let url = server.url("");
    let root = server.root();
    let readme = server.tree().read("readme.txt").map_err(|e| e.to_string())?;

    let out = run_curl(&[
        "-u",
        &up,
        "-Q",
        "MKD upload/new dir",
        "-Q",
        "RNFR readme.txt",
        "-Q",
        "RNTO upload/new dir/renamed.txt",
        &url,
    ])?;
    if !out.success() {
        return Err(fail(&server, &out, "MKD, RNFR, RNTO failed"));
    }
    let trace = out.stderr_text();
    for reply in ["< 257 \"/upload/new dir\"", "< 350", "< 250"] {
        if !trace.contains(reply) {
            return Err(fail(&server, &out, &format!("no {reply:?} reply")));
        }
    }
    if root.join("readme.txt").exists() {
        return Err(fail(&server, &out, "readme.txt still there after RNFR/RNTO"));
    }
    check_disk(&server, &out, "upload/new dir/renamed.txt", &readme)?;

    // RMD of a non-empty directory fails; DELE then RMD succeed.
    let out = run_curl(&["-u", &up, "-Q", "RMD upload/new dir", &url])?;
    if out.success() || !out.stderr_text().contains("< 550") {
        return Err(fail(&server, &out, "RMD of a non-empty directory was not refused with 550"));
    }
    let out = run_curl(&["-u", &up, "-Q", "DELE upload/new dir/renamed.txt", "-Q", "RMD upload/new dir", &url])?;
    if !out.success() {
        return Err(fail(&server, &out, "DELE, RMD failed"));
    }
    if root.join("upload/new dir").symlink_metadata().is_ok() {
        return Err(fail(&server, &out, "upload/new dir still there after DELE and RMD"));
    }
    // A rename onto a missing source fails with 550 and changes nothing.
    let out = run_curl(&["-u", &up, "-Q", "RNFR missing.txt", "-Q", "RNTO other.txt", &url])?;
    if out.success() || !out.stderr_text().contains("< 550") {
        return Err(fail(&server, &out, "RNFR of a missing file was not refused with 550"));
    }
    Ok(())
}

/// Waits (at most `limit`) until 127.0.0.1:20 can be bound with SO_REUSEADDR, as the server binds it. Another
/// daemon's active connections from port 20 (vsftpd's, pure-ftpd's, run by earlier test binaries) leave TIME_WAIT
/// sockets that keep it from being bound for up to a minute; the server then rightly falls back to an ephemeral
/// port, which is not what this test is about.
fn wait_until_port_20_binds(limit: Duration) -> TestResult {
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], 20).into();
    let deadline = Instant::now() + limit;
    loop {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .map_err(|e| format!("socket: {e}"))?;
        socket.set_reuse_address(true).map_err(|e| format!("SO_REUSEADDR: {e}"))?;
        match socket.bind(&addr.into()) {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!("127.0.0.1:20 still cannot be bound after {limit:?}: {e}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }
}

#[test]
fn curl_active_from_port_20() -> TestResult {
    let _t = Timer("curl_active_from_port_20", Instant::now());
    // The server's default active source: port 20 when it can be bound (the harness runs as root).
    wait_until_port_20_binds(Duration::from_secs(90))?;
    let server = start(FtpkitOpts { port20: true, ..FtpkitOpts::default() })?;
    curl_mode(&server, &["-P", "127.0.0.1", "--disable-eprt"], "> PORT", &["> EPSV", "> PASV", "> EPRT"])?;
    // ftplib's active transfercmd hands back the accepted socket: its peer is the server's source port.
    let body = "conn = ftp.transfercmd('LIST')\nprint('FROM=' + str(conn.getpeername()[1]))\n\
                while conn.recv(65536):\n    pass\nconn.close()\nprint('DONE=' + ftp.voidresp()[:3])\n";
    let out = run_ftplib(&server, Some((server.user(), server.pass())), false, &[], body)?;
    expect_value(&server, &out, "FROM", "20")?;
    expect_value(&server, &out, "DONE", "226")
}

// ---------------------------------------------------------------------------------------------------------------
// lftp
// ---------------------------------------------------------------------------------------------------------------

fn lftp_session(server: &FtpkitServer, passive: bool) -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let local_big = dir.path().join("big.bin");
    let local_up = dir.path().join("up.bin");
    let content = upload_content(if passive { "lftp passive" } else { "lftp active" });
    std::fs::write(&local_up, &content).map_err(|e| e.to_string())?;
    let host = server.addr().ip().to_string();
    let script = format!(
        "debug 5; open -u '{user}','{pass}' -p {port} {host}; set ftp:passive-mode {mode}; ls; \
         get big.bin -o '{big}'; put '{up}' -o upload/lftp.bin; put '{up}' -o upload/gone.bin; \
         mkdir upload/d; rmdir upload/d; mv upload/lftp.bin upload/moved.bin; rm upload/gone.bin; bye",
        user = server.user(),
        pass = server.pass(),
        port = server.port(),
        mode = if passive { "on" } else { "off" },
        big = local_big.display(),
        up = local_up.display(),
    );
    let out = lftp(&script).map_err(|e| e.to_string())?;
    let (verb, refused): (&str, &[&str]) = match (passive, server.addr().is_ipv6()) {
        (true, false) => ("---> PASV", &["---> PORT", "---> EPRT"]),
        (true, true) => ("---> EPSV", &["---> PORT", "---> EPRT"]),
        (false, false) => ("---> PORT", &["---> EPSV", "---> PASV"]),
        (false, true) => ("---> EPRT", &["---> EPSV", "---> PASV"]),
    };
    check_listing(server, &out, &out.stdout_text(), &out.stderr_text(), verb, refused)?;
    check_big(server, &out, &local_big)?;
    check_disk(server, &out, "upload/moved.bin", &content)?;
    for gone in ["upload/lftp.bin", "upload/gone.bin", "upload/d"] {
        if server.root().join(gone).symlink_metadata().is_ok() {
            return Err(fail(server, &out, &format!("{gone} is still on disk")));
        }
    }
    Ok(())
}

#[test]
fn lftp_passive() -> TestResult {
    let _t = Timer("lftp_passive", Instant::now());
    lftp_session(&start(FtpkitOpts::default())?, true)
}

#[test]
fn lftp_active() -> TestResult {
    let _t = Timer("lftp_active", Instant::now());
    lftp_session(&start(FtpkitOpts::default())?, false)
}

#[test]
fn lftp_ipv6_passive_and_eprt_of_the_unspecified_address() -> TestResult {
    let _t = Timer("lftp_ipv6_passive_and_eprt_of_the_unspecified_address", Instant::now());
    let server = start(FtpkitOpts::ipv6())?;
    lftp_session(&server, true)?;
    // lftp 4.9.2 on ::1 announces the unspecified address in active mode (`EPRT |2|::|port|`), whatever
    // `net:socket-bind-ipv6` says. ftpkit refuses an active address that is not the client's own (FTP bounce), `::`
    // included, as pyftpdlib (501) and pure-ftpd (500) do; vsftpd takes it and connects to `::`, which Linux treats
    // as the local host. IPv6 active mode is covered by curl and ftplib.
    let script = format!(
        "debug 5; open -u '{}','{}' -p {} ::1; set ftp:passive-mode off; ls; bye",
        server.user(),
        server.pass(),
        server.port()
    );
    let out = lftp(&script).map_err(|e| e.to_string())?;
    let trace = out.stderr_text();
    if out.success() || !trace.contains("---> EPRT |2|::|") || !trace.contains("<--- 501 ") {
        return Err(fail(&server, &out, "lftp's EPRT with the unspecified address was not refused with 501"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Python ftplib
// ---------------------------------------------------------------------------------------------------------------

/// Runs a Python ftplib script: `ftp` is connected (10 s timeout), logged in as `login` (`None`: anonymous) and
/// has `set_pasv(pasv)` and debug level 1 (every command on stdout as `*cmd* '...'`); `host`, `port` and `args`
/// (a dict of strings) are defined. The script prints `KEY=VALUE` lines that the caller reads back.
fn run_ftplib(
    server: &FtpkitServer,
    login: Option<(&str, &str)>,
    pasv: bool,
    args: &[(&str, String)],
    body: &str,
) -> Result<RunOutput, String> {
    let mut code = String::from("import ftplib, hashlib, io, sys\n");
    let _ = writeln!(code, "host, port = {:?}, {}", server.addr().ip().to_string(), server.port());
    code.push_str("args = {");
    for (k, v) in args {
        let _ = write!(code, "{k:?}: {v:?}, ");
    }
    code.push_str("}\n");
    code.push_str("ftp = ftplib.FTP()\nftp.connect(host, port, timeout=10)\n");
    match login {
        Some((u, p)) => {
            let _ = writeln!(code, "ftp.login({u:?}, {p:?})");
        }
        None => code.push_str("ftp.login()\n"),
    }
    let _ = writeln!(code, "ftp.set_pasv({})", if pasv { "True" } else { "False" });
    code.push_str("ftp.set_debuglevel(1)\n");
    code.push_str(body);
    ftplib(&code).map_err(|e| e.to_string())
}

/// The value of the last `KEY=...` line of the output.
fn value(out: &RunOutput, key: &str) -> Option<String> {
    let prefix = format!("{key}=");
    out.stdout_text().lines().rev().find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
}

fn expect_value(server: &FtpkitServer, out: &RunOutput, key: &str, want: &str) -> TestResult {
    match value(out, key) {
        Some(v) if v == want => Ok(()),
        Some(v) => Err(fail(server, out, &format!("{key} is {v:?}, want {want:?}"))),
        None => Err(fail(server, out, &format!("the script printed no {key}"))),
    }
}

const FTPLIB_SESSION: &str = r#"
lines = []
ftp.retrlines('LIST', lines.append)
print('LISTING<<')
print('\n'.join(lines))
print('>>LISTING')
h = hashlib.sha256()
ftp.retrbinary('RETR big.bin', h.update, blocksize=262144)
print('BIG=' + h.hexdigest())
tail = hashlib.sha256()
ftp.retrbinary('RETR big.bin', tail.update, blocksize=262144, rest=int(args['rest']))
print('TAIL=' + tail.hexdigest())
data = open(args['local'], 'rb').read()
cut = int(args['cut'])
ftp.storbinary('STOR upload/ftplib.bin', io.BytesIO(data[:cut]))
print('PART=' + str(ftp.size('upload/ftplib.bin')))
ftp.storbinary('STOR upload/ftplib.bin', io.BytesIO(data[cut:]), rest=cut)
print('SIZE=' + str(ftp.size('upload/ftplib.bin')))
print('RENAME=' + ftp.rename('upload/ftplib.bin', 'upload/renamed.bin')[:3])
print('MKD=' + ftp.mkd('upload/d'))
print('CWD=' + ftp.cwd('upload/d')[:3])
print('PWD=' + ftp.pwd())
ftp.cwd('/')
print('RMD=' + ftp.rmd('upload/d')[:3])
ftp.storbinary('STOR upload/gone.bin', io.BytesIO(b'x' * 10))
print('DELE=' + ftp.delete('upload/gone.bin')[:3])
try:
    ftp.size('upload/gone.bin')
    print('GONE=no')
except ftplib.error_perm as e:
    print('GONE=' + str(e)[:3])
print('QUIT=' + ftp.quit()[:3])
"#;

fn ftplib_session(server: &FtpkitServer, pasv: bool) -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let local = dir.path().join("up.bin");
    let content = upload_content(if pasv { "ftplib passive" } else { "ftplib active" });
    std::fs::write(&local, &content).map_err(|e| e.to_string())?;
    let big = server.tree().read(Tree::BIG).map_err(|e| e.to_string())?;
    let rest = 3 * 1024 * 1024 + 11;
    let cut = 123_457;
    let args = [("local", local.display().to_string()), ("rest", rest.to_string()), ("cut", cut.to_string())];
    let out = run_ftplib(server, Some((server.user(), server.pass())), pasv, &args, FTPLIB_SESSION)?;
    let text = out.stdout_text();
    let listing = text.split("LISTING<<").nth(1).and_then(|s| s.split(">>LISTING").next()).unwrap_or_default();
    let (verb, refused): (&str, &[&str]) = match (pasv, server.addr().is_ipv6()) {
        (true, false) => ("*cmd* 'PASV'", &["*cmd* 'EPSV", "*cmd* 'PORT", "*cmd* 'EPRT"]),
        (true, true) => ("*cmd* 'EPSV'", &["*cmd* 'PASV", "*cmd* 'PORT", "*cmd* 'EPRT"]),
        (false, false) => ("*cmd* 'PORT ", &["*cmd* 'EPSV", "*cmd* 'PASV", "*cmd* 'EPRT"]),
        (false, true) => ("*cmd* 'EPRT ", &["*cmd* 'EPSV", "*cmd* 'PASV", "*cmd* 'PORT"]),
    };
    check_listing(server, &out, listing, &text, verb, refused)?;
    expect_value(server, &out, "BIG", &server.tree().big().sha256)?;
    expect_value(server, &out, "TAIL", &sha256_hex(big.get(rest..).unwrap_or_default()))?;
    check_verbs(server, &out, &text, &format!("*cmd* 'REST {rest}'"), &[])?;
    expect_value(server, &out, "PART", &cut.to_string())?;
    expect_value(server, &out, "SIZE", &content.len().to_string())?;
    check_verbs(server, &out, &text, &format!("*cmd* 'REST {cut}'"), &[])?;
    check_disk(server, &out, "upload/renamed.bin", &content)?;
    expect_value(server, &out, "RENAME", "250")?;
    expect_value(server, &out, "MKD", "/upload/d")?;
    expect_value(server, &out, "CWD", "250")?;
    expect_value(server, &out, "PWD", "/upload/d")?;
    expect_value(server, &out, "RMD", "250")?;
    expect_value(server, &out, "DELE", "250")?;
    expect_value(server, &out, "GONE", "550")?;
    expect_value(server, &out, "QUIT", "221")?;
    for gone in ["upload/ftplib.bin", "upload/gone.bin", "upload/d"] {
        if server.root().join(gone).symlink_metadata().is_ok() {
            return Err(fail(server, &out, &format!("{gone} is still on disk")));
        }
    }
    Ok(())
}

#[test]
fn ftplib_passive() -> TestResult {
    let _t = Timer("ftplib_passive", Instant::now());
    ftplib_session(&start(FtpkitOpts::default())?, true)
}

#[test]
fn ftplib_active() -> TestResult {
    let _t = Timer("ftplib_active", Instant::now());
    ftplib_session(&start(FtpkitOpts::default())?, false)
}

#[test]
fn ftplib_ipv6_passive_and_active() -> TestResult {
    let _t = Timer("ftplib_ipv6_passive_and_active", Instant::now());
    let server = start(FtpkitOpts::ipv6())?;
    ftplib_session(&server, true)?;
    ftplib_session(&server, false)
}

const FTPLIB_ANONYMOUS: &str = r#"
print('WELCOME=' + ftp.getwelcome()[:3])
names = ftp.nlst()
print('NLST=' + ','.join(sorted(names)))
def refused(name, f):
    try:
        f()
        print(name + '=ok')
    except ftplib.error_perm as e:
        print(name + '=' + str(e)[:3])
refused('STOR', lambda: ftp.storbinary('STOR upload/anon.bin', io.BytesIO(b'anonymous data')))
refused('APPE', lambda: ftp.storbinary('APPE readme.txt', io.BytesIO(b'anonymous data')))
refused('MKD', lambda: ftp.mkd('upload/anondir'))
refused('DELE', lambda: ftp.delete('readme.txt'))
refused('RNFR', lambda: ftp.rename('readme.txt', 'upload/r.txt'))
refused('RMD', lambda: ftp.rmd('subdir'))
h = hashlib.sha256()
ftp.retrbinary('RETR readme.txt', h.update)
print('README=' + h.hexdigest())
print('QUIT=' + ftp.quit()[:3])
"#;

#[test]
fn ftplib_anonymous_cannot_write() -> TestResult {
    let _t = Timer("ftplib_anonymous_cannot_write", Instant::now());
    let server = start(FtpkitOpts::default())?;
    let out = run_ftplib(&server, None, true, &[], FTPLIB_ANONYMOUS)?;
    if !out.success() {
        return Err(fail(&server, &out, "the script failed"));
    }
    let mut names: Vec<&str> = Tree::ROOT_NAMES.to_vec();
    names.sort_unstable();
    expect_value(&server, &out, "NLST", &names.join(","))?;
    for verb in ["STOR", "APPE", "MKD", "DELE", "RNFR", "RMD"] {
        expect_value(&server, &out, verb, "550")?;
    }
    let readme = server.tree().file("readme.txt").map(|f| f.sha256.clone()).unwrap_or_default();
    expect_value(&server, &out, "README", &readme)?;
    expect_value(&server, &out, "QUIT", "221")?;
    if server.root().join("upload/anon.bin").exists() || server.root().join("upload/anondir").exists() {
        return Err(fail(&server, &out, "anonymous writes reached the disk"));
    }
    check_disk(&server, &out, "readme.txt", &server.tree().read("readme.txt").map_err(|e| e.to_string())?)
}

/// ftplib's `abort()` sends `ABOR\r\n` with `MSG_OOB`: on Linux the last byte (`\n`) becomes the urgent byte, which
/// a server reading without `SO_OOBINLINE` never sees in the stream. The abort must still be answered, and the
/// session must go on serving: NOOP, then the whole file again.
const FTPLIB_ABORT: &str = r#"
import time
ftp.voidcmd('TYPE I')
conn = ftp.transfercmd('RETR big.bin')
got = 0
while got < 65536:
    chunk = conn.recv(65536 - got)
    if not chunk:
        break
    got += len(chunk)
print('GOT=' + str(got))
time.sleep(0.3)
first = ftp.abort()
print('ABORT1=' + first[:3])
conn.close()
if first[:3] == '426':
    second = ftp.getmultiline()
    print('ABORT2=' + second[:3])
print('NOOP=' + ftp.voidcmd('NOOP')[:3])
h = hashlib.sha256()
ftp.retrbinary('RETR big.bin', h.update, blocksize=262144)
print('BIG=' + h.hexdigest())
print('QUIT=' + ftp.quit()[:3])
"#;

#[test]
fn ftplib_abort_mid_retr_keeps_serving() -> TestResult {
    let _t = Timer("ftplib_abort_mid_retr_keeps_serving", Instant::now());
    // 32 MiB: more than loopback socket buffers hold, so the transfer is still running when ABOR arrives.
    let server = start(FtpkitOpts { big_len: 32 * 1024 * 1024, ..FtpkitOpts::default() })?;
    for pasv in [true, false] {
        let out = run_ftplib(&server, Some((server.user(), server.pass())), pasv, &[], FTPLIB_ABORT)?;
        if !out.success() {
            return Err(fail(&server, &out, "the script failed"));
        }
        expect_value(&server, &out, "GOT", "65536")?;
        expect_value(&server, &out, "ABORT1", "426")?;
        expect_value(&server, &out, "ABORT2", "226")?;
        expect_value(&server, &out, "NOOP", "200")?;
        expect_value(&server, &out, "BIG", &server.tree().big().sha256)?;
        expect_value(&server, &out, "QUIT", "221")?;
    }
    // A fresh client is served too.
    let url = server.url("");
    let out = run_curl(&["-u", &server.userpass(), &url])?;
    check_listing(&server, &out, &out.stdout_text(), &out.stderr_text(), "> EPSV", &[])
}

// ---------------------------------------------------------------------------------------------------------------
// tnftp
// ---------------------------------------------------------------------------------------------------------------

fn tnftp_list(server: &FtpkitServer, passive: bool) -> TestResult {
    let port = server.port().to_string();
    let host = server.addr().ip().to_string();
    let input =
        format!("user {} {}\npassive {}\nls\nquit\n", server.user(), server.pass(), if passive { "on" } else { "off" });
    let out = tnftp(["-n", "-d", "-v", host.as_str(), port.as_str()], &input).map_err(|e| e.to_string())?;
    let text = out.stdout_text();
    let (verb, refused): (&str, &[&str]) =
        if passive { ("---> EPSV", &["---> PORT", "---> EPRT"]) } else { ("---> EPRT", &["---> EPSV", "---> PASV"]) };
    check_listing(server, &out, &text, &text, verb, refused)?;
    if !text.contains("226") || !text.contains("221") {
        return Err(fail(server, &out, "no 226 for the listing or no 221 for QUIT"));
    }
    Ok(())
}

#[test]
fn tnftp_lists_passive_and_active() -> TestResult {
    let _t = Timer("tnftp_lists_passive_and_active", Instant::now());
    let server = start(FtpkitOpts::default())?;
    tnftp_list(&server, true)?;
    tnftp_list(&server, false)
}
