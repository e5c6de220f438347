//! The commands real clients send beyond transfers, against ftpkit's tokio server: each answered as the session
//! decides and checked through a real client (Python's ftplib `sendcmd`, curl `-Q`, lftp `quote`) or, where no
//! installed peer speaks the command, a raw socket.
//!
//! Each test starts its own embedded server ([`FtpkitServer`]: fresh tree, free port, free passive range).

use ftpkit_interop::{curl, ftplib, lftp, FtpkitOpts, FtpkitServer, RunOutput, Tree};

type TestResult = Result<(), String>;

fn server() -> Result<FtpkitServer, String> {
    FtpkitServer::start(FtpkitOpts::default()).map_err(|e| e.to_string())
}

fn failed(server: &FtpkitServer, out: &RunOutput, why: &str) -> String {
    format!("{why}\ncommand: {}\n{}\n=== server ===\n{}", out.command, out.describe(), server.log())
}

/// Runs `body` in Python with `ftp` (ftplib) connected to `server` and logged in as the read-write user (or as
/// `login`, `None` for no login), and `show(label, value)` printing `label=<repr>` lines read back by [`shown`].
fn python(server: &FtpkitServer, login: Option<(&str, &str)>, body: &str) -> Result<RunOutput, String> {
    let mut code = format!(
        "import ftplib, hashlib, os, sys\nftp = ftplib.FTP()\nftp.connect({:?}, {}, timeout=10)\n\
         def show(label, value):\n    print(label + '=' + repr(value))\n\
         def reply(cmd):\n    try:\n        return ftp.sendcmd(cmd)\n    except ftplib.Error as e:\n        return str(e)\n",
        server.addr().ip().to_string(),
        server.port()
    );
    if let Some((user, pass)) = login {
        code.push_str(&format!("ftp.login({user:?}, {pass:?})\n"));
    }
    code.push_str(body);
    let out = ftplib(&code).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(failed(server, &out, "the Python script failed"));
    }
    Ok(out)
}

/// The value printed as `label=<python repr of a str>` (quotes and `\r\n` escapes undone).
fn shown(out: &RunOutput, label: &str) -> Option<String> {
    let prefix = format!("{label}=");
    let text = out.stdout_text();
    let repr = text.lines().rev().find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))?;
    let inner = repr.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')).unwrap_or(&repr).to_owned();
    Some(inner.replace("\\r", "\r").replace("\\n", "\n").replace("\\'", "'"))
}

fn expect(server: &FtpkitServer, out: &RunOutput, label: &str, want: &str) -> TestResult {
    match shown(out, label) {
        Some(got) if got == want => Ok(()),
        got => Err(failed(server, out, &format!("{label} is {got:?}, want {want:?}"))),
    }
}

fn user(server: &FtpkitServer) -> Option<(&'static str, &'static str)> {
    Some((server.user(), server.pass()))
}

// ---------------------------------------------------------------------------------------------------------------
// STAT <path>
// ---------------------------------------------------------------------------------------------------------------

/// The listing lines of a STAT reply name every root entry, as LIST would.
fn check_root_listing(server: &FtpkitServer, out: &RunOutput, text: &str) -> TestResult {
    for name in Tree::ROOT_NAMES {
        if !text.lines().any(|l| l.ends_with(&format!(" {name}")) || l.contains(&format!(" {name} -> "))) {
            return Err(failed(server, out, &format!("the STAT listing does not name {name:?}")));
        }
    }
    Ok(())
}

#[test]
fn stat_with_a_path_lists_on_the_control_connection_ftplib() -> TestResult {
    let server = server()?;
    let body =
        "ftp.set_debuglevel(1)\nshow('ROOT', ftp.sendcmd('STAT /'))\nshow('FILE', ftp.sendcmd('STAT readme.txt'))\n\
                show('SUB', ftp.sendcmd('STAT -la subdir'))\nshow('NONE', reply('STAT nothing-here'))\n";
    let out = python(&server, user(&server), body)?;
    let root = shown(&out, "ROOT").unwrap_or_default();
    if !root.starts_with("213-Status of /:\n") || !root.ends_with("\n213 End of status.") {
        return Err(failed(&server, &out, "STAT / is not a 213 multi-line reply"));
    }
    check_root_listing(&server, &out, &root)?;
    let file = shown(&out, "FILE").unwrap_or_default();
    let size = server.tree().file("readme.txt").map(|f| f.len).unwrap_or_default();
    if !file.lines().any(|l| l.starts_with('-') && l.contains(&format!(" {size} ")) && l.ends_with(" readme.txt")) {
        return Err(failed(&server, &out, "STAT readme.txt does not show the file with its size"));
    }
    if !shown(&out, "SUB").unwrap_or_default().lines().any(|l| l.starts_with("213-Status of /subdir:")) {
        return Err(failed(&server, &out, "STAT -la subdir did not list /subdir"));
    }
    expect(&server, &out, "NONE", "550 No such file or directory.")?;
    // No data connection: ftplib's debug trace shows no PASV/EPSV/PORT/EPRT at all.
    let trace = out.stdout_text();
    if ["*cmd* 'PASV", "*cmd* 'EPSV", "*cmd* 'PORT", "*cmd* 'EPRT"].iter().any(|v| trace.contains(v)) {
        return Err(failed(&server, &out, "a data connection was set up for STAT"));
    }
    Ok(())
}

#[test]
fn stat_with_a_path_through_curl_quote_and_lftp_quote() -> TestResult {
    let server = server()?;
    // curl: the quoted command's reply is in the verbose trace (-I: no transfer after it).
    let url = server.url("");
    let out = curl(["-sS", "-v", "--max-time", "20", "-u", &server.userpass(), "-Q", "STAT /", "-I", &url])
        .map_err(|e| e.to_string())?;
    let trace = out.stderr_text();
    let reply: String = trace
        .lines()
        .filter_map(|l| l.strip_prefix("< "))
        .skip_while(|l| !l.starts_with("213-Status of /:"))
        .take_while(|l| !l.starts_with("213 "))
        .map(|l| format!("{l}\n"))
        .collect();
    if !out.success() || reply.is_empty() {
        return Err(failed(&server, &out, "curl -Q 'STAT /' got no 213 listing"));
    }
    check_root_listing(&server, &out, &reply)?;
    // lftp: `quote` prints the reply on stdout.
    let script = format!(
        "open -u '{}','{}' -p {} {}; quote STAT /; bye",
        server.user(),
        server.pass(),
        server.port(),
        server.addr().ip()
    );
    let out = lftp(&script).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(failed(&server, &out, "lftp quote STAT / failed"));
    }
    check_root_listing(&server, &out, &out.stdout_text())
}

// ---------------------------------------------------------------------------------------------------------------
// MFMT
// ---------------------------------------------------------------------------------------------------------------

/// FileZilla's sequence after an upload that keeps times: FEAT (MFMT listed), MFMT, then MDTM reads it back; the
/// file's mtime on disk is the one set.
#[test]
fn mfmt_sets_the_time_mdtm_reads_it_back_ftplib() -> TestResult {
    let server = server()?;
    let body = "show('FEAT', ftp.sendcmd('FEAT'))\nshow('MFMT', ftp.sendcmd('MFMT 20200229123456 hello world.txt'))\n\
                show('MDTM', ftp.sendcmd('MDTM hello world.txt'))\nshow('NONE', reply('MFMT 20200229123456 nothing'))\n\
                show('BAD', reply('MFMT 2020022912345 readme.txt'))\n";
    let out = python(&server, user(&server), body)?;
    if !shown(&out, "FEAT").unwrap_or_default().lines().any(|l| l == " MFMT") {
        return Err(failed(&server, &out, "FEAT does not list MFMT"));
    }
    expect(&server, &out, "MFMT", "213 Modify=20200229123456; hello world.txt")?;
    expect(&server, &out, "MDTM", "213 20200229123456")?;
    expect(&server, &out, "NONE", "550 No such file or directory.")?;
    expect(&server, &out, "BAD", "501 Bad time: use YYYYMMDDHHMMSS (UTC).")?;
    let mtime = std::fs::metadata(server.root().join("hello world.txt"))
        .and_then(|m| m.modified())
        .map_err(|e| e.to_string())?
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    if mtime != 1_582_979_696 {
        return Err(failed(&server, &out, &format!("the file's mtime on disk is {mtime}, want 1582979696")));
    }
    // Anonymous (read-only) may not set times.
    let out = python(&server, Some(("anonymous", "a@b")), "show('RO', reply('MFMT 20200229123456 readme.txt'))\n")?;
    expect(&server, &out, "RO", "550 Permission denied: read-only session.")
}

#[test]
fn mfmt_through_curl_quote() -> TestResult {
    let server = server()?;
    let url = server.url("readme.txt");
    let up = server.userpass();
    let args = [
        "-sS",
        "-v",
        "--max-time",
        "20",
        "-u",
        &up,
        "-Q",
        "MFMT 19991231235959 readme.txt",
        "-R",
        "-o",
        "/dev/null",
        &url,
    ];
    let out = curl(args).map_err(|e| e.to_string())?;
    if !out.success() || !out.stderr_text().contains("< 213 Modify=19991231235959; readme.txt") {
        return Err(failed(&server, &out, "curl -Q MFMT did not get the 213"));
    }
    // curl -R asks MDTM after the MFMT and gives the download that time.
    if !out.stderr_text().contains("< 213 19991231235959") {
        return Err(failed(&server, &out, "MDTM did not read the time MFMT set"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// HASH
// ---------------------------------------------------------------------------------------------------------------

/// The hex digest `tool` (sha256sum, sha1sum, md5sum) prints for `file`.
fn coreutils_hash(tool: &str, file: &std::path::Path) -> Result<String, String> {
    let out = std::process::Command::new(tool).arg(file).output().map_err(|e| format!("{tool}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    match text.split_whitespace().next() {
        Some(hex) if out.status.success() => Ok(hex.to_owned()),
        _ => Err(format!("{tool} {}: {text}", file.display())),
    }
}

/// HASH of the 4 MiB random `big.bin` and of a small file in each algorithm, as FileZilla asks it (FEAT, OPTS
/// HASH, HASH), against coreutils' sums of the files on disk.
#[test]
fn hash_matches_coreutils_sums_ftplib() -> TestResult {
    let server = server()?;
    let body = "show('FEAT', ftp.sendcmd('FEAT'))\n\
                for alg in ['SHA-256', 'SHA-1', 'MD5']:\n    show('OPTS ' + alg, ftp.sendcmd('OPTS HASH ' + alg))\n    \
                for name in ['big.bin', 'subdir/nested.txt']:\n        show(alg + ' ' + name, ftp.sendcmd('HASH ' + name))\n\
                show('NOW', ftp.sendcmd('OPTS HASH'))\nshow('DIR', reply('HASH subdir'))\nshow('BAD', reply('OPTS HASH CRC32'))\n";
    let out = python(&server, user(&server), body)?;
    if !shown(&out, "FEAT").unwrap_or_default().lines().any(|l| l == " HASH SHA-256*;SHA-1;MD5") {
        return Err(failed(&server, &out, "FEAT does not list HASH SHA-256*;SHA-1;MD5"));
    }
    for (alg, tool) in [("SHA-256", "sha256sum"), ("SHA-1", "sha1sum"), ("MD5", "md5sum")] {
        expect(&server, &out, &format!("OPTS {alg}"), &format!("200 {alg}"))?;
        for name in ["big.bin", "subdir/nested.txt"] {
            let file = server.root().join(name);
            let size = std::fs::metadata(&file).map_err(|e| e.to_string())?.len();
            let hex = coreutils_hash(tool, &file)?;
            expect(&server, &out, &format!("{alg} {name}"), &format!("213 {alg} 0-{size} {hex} {name}"))?;
        }
    }
    expect(&server, &out, "NOW", "200 MD5")?;
    expect(&server, &out, "DIR", "550 Not a plain file.")?;
    expect(&server, &out, "BAD", "501 Unknown algorithm: use SHA-256, SHA-1 or MD5.")
}

#[test]
fn hash_through_curl_quote() -> TestResult {
    let server = server()?;
    let url = server.url("readme.txt");
    let up = server.userpass();
    let args = ["-sS", "-v", "--max-time", "20", "-u", &up, "-Q", "HASH readme.txt", "-I", &url];
    let out = curl(args).map_err(|e| e.to_string())?;
    let file = server.root().join("readme.txt");
    let want = format!(
        "< 213 SHA-256 0-{} {} readme.txt",
        std::fs::metadata(&file).map_err(|e| e.to_string())?.len(),
        coreutils_hash("sha256sum", &file)?
    );
    if !out.success() || !out.stderr_text().lines().any(|l| l == want) {
        return Err(failed(&server, &out, &format!("no {want:?} in curl's trace")));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// SITE CHMOD, SITE HELP
// ---------------------------------------------------------------------------------------------------------------

fn mode_on_disk(server: &FtpkitServer, name: &str) -> Result<u32, String> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(server.root().join(name)).map_err(|e| e.to_string())?.permissions().mode() & 0o7777)
}

#[test]
fn site_chmod_and_site_help_ftplib_and_curl() -> TestResult {
    let server = server()?;
    let body = "show('HELP', ftp.sendcmd('SITE HELP'))\nshow('CHMOD', ftp.sendcmd('SITE CHMOD 600 readme.txt'))\n\
                show('DIR', ftp.sendcmd('SITE CHMOD 750 subdir'))\nshow('BAD', reply('SITE CHMOD 99 readme.txt'))\n\
                show('NONE', reply('SITE CHMOD 644 nothing'))\n";
    let out = python(&server, user(&server), body)?;
    expect(&server, &out, "HELP", "214-The following SITE commands are recognized.\n214- CHMOD HELP\n214 Help OK.")?;
    expect(&server, &out, "CHMOD", "200 SITE CHMOD command ok.")?;
    expect(&server, &out, "DIR", "200 SITE CHMOD command ok.")?;
    expect(&server, &out, "BAD", "501 Use SITE CHMOD <octal mode, 0-7777> <path>.")?;
    expect(&server, &out, "NONE", "550 No such file or directory.")?;
    for (name, want) in [("readme.txt", 0o600), ("subdir", 0o750)] {
        let got = mode_on_disk(&server, name)?;
        if got != want {
            return Err(failed(&server, &out, &format!("{name} has mode {got:o} on disk, want {want:o}")));
        }
    }
    // Anonymous logins are read-only: no SITE CHMOD.
    let out = python(&server, Some(("anonymous", "a@b")), "show('RO', reply('SITE CHMOD 777 readme.txt'))\n")?;
    expect(&server, &out, "RO", "550 Permission denied: read-only session.")?;
    if mode_on_disk(&server, "readme.txt")? != 0o600 {
        return Err(failed(&server, &out, "an anonymous SITE CHMOD changed the file"));
    }
    // curl -Q, as scripts set modes after an upload.
    let (url, up) = (server.url("hello world.txt"), server.userpass());
    let args = ["-sS", "-v", "--max-time", "20", "-u", &up, "-Q", "SITE CHMOD 604 hello world.txt", "-I", &url];
    let out = curl(args).map_err(|e| e.to_string())?;
    if !out.success() || !out.stderr_text().contains("< 200 SITE CHMOD command ok.") {
        return Err(failed(&server, &out, "curl -Q SITE CHMOD was not answered 200"));
    }
    match mode_on_disk(&server, "hello world.txt")? {
        0o604 => Ok(()),
        m => Err(failed(&server, &out, &format!("hello world.txt has mode {m:o}, want 604"))),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// CLNT, LANG, HOST
// ---------------------------------------------------------------------------------------------------------------

/// HOST before login selects the virtual host: its greeting, then its files in the listing (as ftplib and curl
/// see them); HOST after login is 503, an unknown host 504. CLNT and LANG as FileZilla sends them.
#[test]
fn host_selects_a_virtual_host_clnt_and_lang_ftplib_and_curl() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let vroot = dir.path().join("vhost-root");
    std::fs::create_dir_all(vroot.join("only-in-vhost-dir")).map_err(|e| e.to_string())?;
    std::fs::write(vroot.join("only-in-vhost.txt"), b"v\n").map_err(|e| e.to_string())?;
    let opts = FtpkitOpts { vhosts: vec![("files.example".into(), vroot.clone())], ..FtpkitOpts::default() };
    let server = FtpkitServer::start(opts).map_err(|e| e.to_string())?;
    let body = format!(
        "show('FEAT', ftp.sendcmd('FEAT'))\nshow('CLNT', ftp.sendcmd('CLNT FileZilla 3.66.5'))\n\
         show('LANG', ftp.sendcmd('LANG EN'))\nshow('LANGX', reply('LANG tlh'))\nshow('UNKNOWN', reply('HOST nowhere.example'))\n\
         show('HOST', ftp.sendcmd('HOST files.example'))\nftp.login({:?}, {:?})\n\
         show('AFTER', reply('HOST files.example'))\nshow('NAMES', ' '.join(sorted(ftp.nlst())))\n",
        server.user(),
        server.pass()
    );
    let out = python(&server, None, &body)?;
    let feat = shown(&out, "FEAT").unwrap_or_default();
    for line in [" CLNT", " HOST", " LANG EN*"] {
        if !feat.lines().any(|l| l == line) {
            return Err(failed(&server, &out, &format!("FEAT has no {line:?} line")));
        }
    }
    expect(&server, &out, "CLNT", "200 Noted.")?;
    expect(&server, &out, "LANG", "200 Language set to EN.")?;
    expect(&server, &out, "LANGX", "504 Language not supported; LANG EN is.")?;
    expect(&server, &out, "UNKNOWN", "504 Unknown host.")?;
    expect(&server, &out, "HOST", "220 files.example ready")?;
    expect(&server, &out, "AFTER", "503 HOST must come before USER and PASS.")?;
    expect(&server, &out, "NAMES", "only-in-vhost-dir only-in-vhost.txt")?;
    // Without HOST the same login sees the main tree.
    let out = python(&server, user(&server), "show('NAMES', ' '.join(sorted(ftp.nlst())))\n")?;
    if shown(&out, "NAMES").unwrap_or_default().contains("only-in-vhost") {
        return Err(failed(&server, &out, "the main root shows the virtual host's files"));
    }
    // An anonymous login after HOST is rooted in the virtual host too.
    let out = python(
        &server,
        None,
        "ftp.sendcmd('HOST files.example')\nftp.login()\nshow('NAMES', ' '.join(sorted(ftp.nlst())))\n",
    )?;
    expect(&server, &out, "NAMES", "only-in-vhost-dir only-in-vhost.txt")?;
    // curl has no hook before USER: its -Q commands come after login, where HOST is 503 (RFC 7151).
    let up = server.userpass();
    let args =
        ["-sS", "-v", "--max-time", "20", "-u", &up, "-Q", "HOST files.example", "-I", &server.url("readme.txt")];
    let out = curl(args).map_err(|e| e.to_string())?;
    if !out.stderr_text().contains("< 503 HOST must come before USER and PASS.") {
        return Err(failed(&server, &out, "curl's -Q HOST after login was not answered 503"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// LPRT, LPSV (RFC 1639)
// ---------------------------------------------------------------------------------------------------------------

/// A control connection spoken by hand: no installed client sends LPRT or LPSV (curl, lftp, ftplib and tnftp use
/// PORT/PASV/EPRT/EPSV only), so a raw socket does, with the core's parser reading the 228.
struct Raw {
    w: std::net::TcpStream,
    r: std::io::BufReader<std::net::TcpStream>,
}

impl Raw {
    fn login(server: &FtpkitServer) -> Result<Raw, String> {
        let ctrl = std::net::TcpStream::connect(server.addr()).map_err(|e| e.to_string())?;
        ctrl.set_read_timeout(Some(std::time::Duration::from_secs(10))).map_err(|e| e.to_string())?;
        let mut raw = Raw { w: ctrl.try_clone().map_err(|e| e.to_string())?, r: std::io::BufReader::new(ctrl) };
        raw.expect("", "220 ")?;
        raw.expect(&format!("USER {}", server.user()), "331 ")?;
        raw.expect(&format!("PASS {}", server.pass()), "230 ")?;
        raw.expect("TYPE I", "200 ")?;
        Ok(raw)
    }

    /// Sends `line` (none when empty) and returns the reply's last line, which must start with `code`.
    fn expect(&mut self, line: &str, code: &str) -> Result<String, String> {
        use std::io::Write;
        if !line.is_empty() {
            self.w.write_all(format!("{line}\r\n").as_bytes()).map_err(|e| e.to_string())?;
        }
        let reply = ftpkit_interop::read_reply(&mut self.r);
        if reply.starts_with(code) {
            Ok(reply.trim_end().to_owned())
        } else {
            Err(format!("{line:?}: got {reply:?}, want {code}..."))
        }
    }
}

fn read_all(mut s: std::net::TcpStream) -> Result<Vec<u8>, String> {
    use std::io::Read;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    s.read_to_end(&mut got).map_err(|e| e.to_string())?;
    Ok(got)
}

#[test]
fn lpsv_and_lprt_carry_a_download_raw_socket() -> TestResult {
    use ftpkit::proto::hostport::{parse_lpsv, Mode};
    let server = server()?;
    let want = std::fs::read(server.root().join("readme.txt")).map_err(|e| e.to_string())?;
    let mut raw = Raw::login(&server)?;
    // LPSV: the 228 names the server's address and a port of its passive range; the download comes through it.
    let reply = raw.expect("LPSV", "228 ")?;
    let addr = parse_lpsv(reply.as_bytes(), Mode::Strict).map_err(|e| format!("{reply:?}: {e}"))?.value;
    if addr.ip() != server.addr().ip() || !server.passive_ports().contains(&addr.port()) {
        return Err(format!("{reply:?} names {addr}, not {} in {:?}", server.addr().ip(), server.passive_ports()));
    }
    let data = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    raw.expect("RETR readme.txt", "125 ")?; // connected before RETR: 125, data connection already open
    let got = read_all(data)?;
    raw.expect("", "226 ")?;
    if got != want {
        return Err(format!("LPSV download: {} bytes, want {}", got.len(), want.len()));
    }
    // LPRT: the server connects to the client's listener.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    raw.expect(&format!("LPRT 4,4,127,0,0,1,2,{},{}", port >> 8, port & 0xff), "200 ")?;
    raw.expect("RETR readme.txt", "150 ")?;
    let (data, _) = listener.accept().map_err(|e| e.to_string())?;
    let got = read_all(data)?;
    raw.expect("", "226 ")?;
    if got != want {
        return Err(format!("LPRT download: {} bytes, want {}", got.len(), want.len()));
    }
    // The same checks as PORT: another host (FTP bounce) and a privileged port are refused before any connection.
    raw.expect(&format!("LPRT 4,4,127,0,0,2,2,{},{}", port >> 8, port & 0xff), "501 LPRT refused: address")?;
    raw.expect("LPRT 4,4,127,0,0,1,2,0,21", "501 LPRT refused: port 21")?;
    raw.expect("QUIT", "221 ")?;
    Ok(())
}

#[test]
fn lpsv_on_ipv6_names_the_servers_ipv6_address_raw_socket() -> TestResult {
    use ftpkit::proto::hostport::{parse_lpsv, Mode};
    let server = FtpkitServer::start(FtpkitOpts::ipv6()).map_err(|e| e.to_string())?;
    let want = std::fs::read(server.root().join("readme.txt")).map_err(|e| e.to_string())?;
    let mut raw = Raw::login(&server)?;
    let reply = raw.expect("LPSV", "228 Entering Long Passive Mode (6,16,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,")?;
    let addr = parse_lpsv(reply.as_bytes(), Mode::Strict).map_err(|e| format!("{reply:?}: {e}"))?.value;
    let data = std::net::TcpStream::connect(addr).map_err(|e| e.to_string())?;
    raw.expect("RETR readme.txt", "125 ")?;
    let got = read_all(data)?;
    raw.expect("", "226 ")?;
    if got != want {
        return Err(format!("LPSV download on ::1: {} bytes, want {}", got.len(), want.len()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// FEAT and HELP: exactly what is implemented; MLST facts
// ---------------------------------------------------------------------------------------------------------------

/// Every fact MLSD writes is one FEAT's MLST line lists, and `OPTS MLST` (ftplib's `mlsd(facts=...)`) chooses
/// which are written.
#[test]
fn mlsd_writes_the_facts_feat_lists_and_opts_mlst_chooses_ftplib() -> TestResult {
    let server = server()?;
    let body = "show('FEAT', ftp.sendcmd('FEAT'))\n\
                show('ALL', sorted(set(k for _, f in ftp.mlsd() for k in f)))\n\
                show('SOME', sorted(set(k for _, f in ftp.mlsd(facts=['size', 'unix.mode']) for k in f)))\n\
                show('MLST', ftp.sendcmd('MLST readme.txt'))\n";
    let out = python(&server, user(&server), body)?;
    let feat = shown(&out, "FEAT").unwrap_or_default();
    let Some(mlst) = feat.lines().find_map(|l| l.strip_prefix(" MLST ")) else {
        return Err(failed(&server, &out, "FEAT has no MLST line"));
    };
    let listed: Vec<String> =
        mlst.split(';').filter(|f| !f.is_empty()).map(|f| f.trim_end_matches('*').to_ascii_lowercase()).collect();
    // ftplib lower-cases fact names; the listing's facts must all be in FEAT's list.
    let all = shown(&out, "ALL").unwrap_or_default();
    for fact in all.trim_matches(['[', ']']).split(", ").map(|f| f.trim_matches('\'')) {
        if !listed.iter().any(|l| l == fact) {
            return Err(failed(
                &server,
                &out,
                &format!("MLSD wrote {fact:?}, which FEAT's MLST {mlst:?} does not list"),
            ));
        }
    }
    if all != "['modify', 'size', 'type', 'unix.mode']" {
        return Err(failed(&server, &out, &format!("MLSD's facts are {all}")));
    }
    expect(&server, &out, "SOME", "['size', 'unix.mode']")?;
    let mlst = shown(&out, "MLST").unwrap_or_default();
    if !mlst.lines().any(|l| l.starts_with(" size=48;UNIX.mode=") && l.ends_with("; /readme.txt")) {
        return Err(failed(&server, &out, "MLST after OPTS MLST does not write just the chosen facts"));
    }
    Ok(())
}

/// Every verb HELP lists is answered (never 500 or 502), as seen by ftplib: HELP is generated from the verb
/// table and the session's offer (storage, TLS, virtual hosts).
#[test]
fn help_lists_only_verbs_that_are_answered_ftplib() -> TestResult {
    let server = server()?;
    let body = "help = ftp.sendcmd('HELP')\nshow('HELP', help)\n\
                verbs = [w for l in help.splitlines()[1:-1] for w in l[4:].split()]\n\
                skip = {'QUIT', 'USER', 'PASS', 'ABOR', 'STOU', 'STOR', 'APPE', 'RETR', 'LIST', 'NLST', 'MLSD', 'REIN'}\n\
                bad = []\nfor v in verbs:\n    if v in skip:\n        continue\n    r = reply(v + (' HELP' if v == 'SITE' else ' readme.txt'))\n    \
                if r[:3] in ('500', '502'):\n        bad.append(v + ': ' + r)\nshow('BAD', ' | '.join(bad))\nshow('N', str(len(verbs)))\n";
    let out = python(&server, user(&server), body)?;
    expect(&server, &out, "BAD", "")?;
    match shown(&out, "N").and_then(|n| n.parse::<usize>().ok()) {
        Some(n) if n >= 40 => Ok(()),
        n => Err(failed(&server, &out, &format!("HELP listed {n:?} verbs"))),
    }
}
