//! ftpkit's server with FTPS (RFC 4217) against real TLS clients: curl `--ssl-reqd` (explicit, passive) and
//! `ftps://` (implicit), lftp with `ftp:ssl-force` + `ftp:ssl-protect-data` (passive and active), and Python's
//! `ftplib.FTP_TLS` with `prot_p()`. The server requires TLS and requires every data connection to resume the
//! control connection's TLS session; the hostile cases check that a data connection from another TLS session is
//! refused with 522 and gets no data, that USER in clear gets 530, and that garbage instead of a ClientHello gets a
//! reply and leaves the session working. The certificate (IP SAN 127.0.0.1, DNS SAN localhost) is made by the test
//! with `openssl`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ftpkit::server::{TlsPolicy, TlsReuse};
use ftpkit_interop::install::ensure_openssl;
use ftpkit_interop::{
    curl, curl_with_timeout, ftplib, lftp, sha256_hex, Certs, FtpkitOpts, FtpkitServer, FtpkitTls, RunOutput,
    ServerOpts, Tree, Vsftpd,
};

type TestResult = Result<(), String>;

/// A self-signed certificate and key for 127.0.0.1 / localhost in `dir`.
fn make_cert(dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    let openssl = ensure_openssl().map_err(|e| e.to_string())?;
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new(openssl)
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map_err(|e| format!("openssl: {e}"))?;
    if !out.status.success() {
        return Err(format!("openssl req failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok((cert, key))
}

/// A server requiring TLS for login and data, and session reuse on data connections (522 otherwise).
fn start(dir: &Path, implicit: bool) -> Result<(FtpkitServer, PathBuf), String> {
    let (cert, key) = make_cert(dir)?;
    let tls = FtpkitTls { cert: cert.clone(), key, policy: TlsPolicy::required(), implicit, client_certs: None };
    let server =
        FtpkitServer::start(FtpkitOpts { tls: Some(tls), ..FtpkitOpts::default() }).map_err(|e| e.to_string())?;
    Ok((server, cert))
}

fn fail(server: &FtpkitServer, out: &RunOutput, why: &str) -> String {
    format!("{why}\ncommand: {}\n{}\n=== server ===\n{}", out.command, out.describe(), server.log())
}

fn check_file(server: &FtpkitServer, out: &RunOutput, local: &Path) -> TestResult {
    let bytes = std::fs::read(local).map_err(|e| fail(server, out, &format!("no downloaded file: {e}")))?;
    let big = server.tree().big();
    if bytes.len() as u64 != big.len || sha256_hex(&bytes) != big.sha256 {
        return Err(fail(server, out, &format!("downloaded {} bytes, want {} (sha256 differs)", bytes.len(), big.len)));
    }
    Ok(())
}

fn check_disk(server: &FtpkitServer, out: &RunOutput, path: &str, want: &[u8]) -> TestResult {
    let got = server.tree().read(path).map_err(|e| fail(server, out, &e.to_string()))?;
    if got != want {
        return Err(fail(server, out, &format!("{path}: {} bytes on disk, want {}", got.len(), want.len())));
    }
    Ok(())
}

fn upload_content(tag: &str) -> Vec<u8> {
    let mut c = format!("ftpkit ftps upload {tag}\n\r\n\x00\u{ff}").into_bytes();
    c.extend(std::iter::repeat_n(b"ftps\r\n".iter().copied(), 50_000).flatten());
    c
}

#[test]
fn curl_explicit_passive_download_and_upload_byte_exact() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, cert) = start(dir.path(), false)?;
    let local = dir.path().join("big.bin");
    let url = format!("ftp://127.0.0.1:{}/big.bin", server.port());
    let out = curl(["-sS", "--ssl-reqd", "--cacert"].map(String::from).into_iter().chain([
        cert.display().to_string(),
        "-u".into(),
        server.userpass(),
        url,
        "-o".into(),
        local.display().to_string(),
    ]))
    .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(fail(&server, &out, "curl --ssl-reqd download failed"));
    }
    check_file(&server, &out, &local)?;
    let up = dir.path().join("up.bin");
    let content = upload_content("curl");
    std::fs::write(&up, &content).map_err(|e| e.to_string())?;
    let url = format!("ftp://127.0.0.1:{}/upload/curl.bin", server.port());
    let out = curl(["-sS", "--ssl-reqd", "--cacert"].map(String::from).into_iter().chain([
        cert.display().to_string(),
        "-u".into(),
        server.userpass(),
        "-T".into(),
        up.display().to_string(),
        url,
    ]))
    .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(fail(&server, &out, "curl --ssl-reqd upload failed"));
    }
    check_disk(&server, &out, "upload/curl.bin", &content)
}

#[test]
fn curl_implicit_ftps_download() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, cert) = start(dir.path(), true)?;
    let port = server.implicit_addr().ok_or("no implicit listener")?.port();
    let local = dir.path().join("big.bin");
    let out = curl(["-sS", "--cacert"].map(String::from).into_iter().chain([
        cert.display().to_string(),
        "-u".into(),
        server.userpass(),
        format!("ftps://127.0.0.1:{port}/big.bin"),
        "-o".into(),
        local.display().to_string(),
    ]))
    .map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(fail(&server, &out, "curl ftps:// (implicit) failed"));
    }
    check_file(&server, &out, &local)
}

fn lftp_tls(passive: bool) -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, cert) = start(dir.path(), false)?;
    let local = dir.path().join("big.bin");
    let up = dir.path().join("up.bin");
    let content = upload_content(if passive { "lftp passive" } else { "lftp active" });
    std::fs::write(&up, &content).map_err(|e| e.to_string())?;
    let script = format!(
        "set ftp:ssl-allow yes; set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:ca-file '{ca}'; \
         open -u '{user}','{pass}' -p {port} 127.0.0.1; set ftp:passive-mode {mode}; ls; get big.bin -o '{big}'; \
         put '{up}' -o upload/lftp.bin; bye",
        ca = cert.display(),
        user = server.user(),
        pass = server.pass(),
        port = server.port(),
        mode = if passive { "on" } else { "off" },
        big = local.display(),
        up = up.display(),
    );
    let out = lftp(&script).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(fail(&server, &out, "lftp over TLS failed"));
    }
    check_file(&server, &out, &local)?;
    check_disk(&server, &out, "upload/lftp.bin", &content)
}

#[test]
fn lftp_tls_passive() -> TestResult {
    lftp_tls(true)
}

#[test]
fn lftp_tls_active() -> TestResult {
    lftp_tls(false)
}

/// Python prelude: `Reuse` resumes the control connection's TLS session on data connections, `FTP_TLS` does not.
fn python(server: &FtpkitServer, cert: &Path, body: &str) -> String {
    format!(
        "import ftplib, ssl, socket, threading, io, hashlib\n\
         host, port, ca = '127.0.0.1', {port}, {ca:?}\n\
         user, pw = {user:?}, {pass:?}\n\
         ctx = ssl.create_default_context(cafile=ca)\n\
         class Reuse(ftplib.FTP_TLS):\n\
         \x20   def ntransfercmd(self, cmd, rest=None):\n\
         \x20       conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)\n\
         \x20       if self._prot_p:\n\
         \x20           conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session or self.kept)\n\
         \x20       return conn, size\n\
         def login(cls):\n\
         \x20   f = cls(context=ctx)\n\
         \x20   f.kept = None\n\
         \x20   f.connect(host, port, timeout=10)\n\
         \x20   f.login(user, pw)\n\
         \x20   f.prot_p()\n\
         \x20   return f\n\
         def pasv_port(f):\n\
         \x20   r = f.sendcmd('PASV')\n\
         \x20   nums = r[r.index('(') + 1:r.index(')')].split(',')\n\
         \x20   return int(nums[4]) * 256 + int(nums[5])\n\
         def replies(f, cmd):\n\
         \x20   f.putcmd(cmd)\n\
         \x20   try:\n\
         \x20       print('PRE=' + f.getresp()[:3])\n\
         \x20       print('FINAL=' + f.getresp()[:3])\n\
         \x20   except ftplib.all_errors as e:\n\
         \x20       print('FINAL=' + str(e)[:3])\n{body}",
        port = server.port(),
        ca = cert.display().to_string(),
        user = server.user(),
        pass = server.pass(),
    )
}

fn values(out: &RunOutput) -> Vec<(String, String)> {
    out.stdout_text().lines().filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned()))).collect()
}

fn expect(server: &FtpkitServer, out: &RunOutput, key: &str, want: &str) -> TestResult {
    match values(out).iter().find(|(k, _)| k == key) {
        Some((_, v)) if v == want => Ok(()),
        other => Err(fail(server, out, &format!("{key}: got {other:?}, want {want:?}"))),
    }
}

fn expect_all(server: &FtpkitServer, out: &RunOutput, want: &[(&str, &str)]) -> TestResult {
    want.iter().try_for_each(|(key, value)| expect(server, out, key, value))
}

#[test]
fn ftplib_resuming_the_session_works_on_tls13_and_tls12_and_stock_ftp_tls_gets_522() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, cert) = start(dir.path(), false)?;
    let big = server.tree().big().sha256.clone();
    let body = "f = login(Reuse)\nprint('FEAT=' + str('AUTH TLS' in f.sendcmd('FEAT')))\n\
                for i in range(5):\n\
                \x20   b = io.BytesIO(); f.retrbinary('RETR big.bin', b.write)\n\
                \x20   f.storbinary('STOR upload/py%d.bin' % i, io.BytesIO(b.getvalue()))\n\
                print('SHA=' + hashlib.sha256(b.getvalue()).hexdigest())\n\
                print('VERSION=' + f.sock.version())\nf.quit()\n\
                g = login(ftplib.FTP_TLS)\n\
                try:\n\
                \x20   g.retrbinary('RETR big.bin', lambda d: None)\n\
                \x20   print('STOCK=served')\n\
                except ftplib.error_perm as e:\n\
                \x20   print('STOCK=' + str(e)[:3])\n\
                print('AFTER=' + g.sendcmd('NOOP')[:3])\n\
                ctx.maximum_version = ssl.TLSVersion.TLSv1_2\n\
                h = login(Reuse)\n\
                for i in range(3):\n\
                \x20   b = io.BytesIO(); h.retrbinary('RETR big.bin', b.write)\n\
                print('V12=' + h.sock.version())\n\
                print('SHA12=' + hashlib.sha256(b.getvalue()).hexdigest())\n";
    let out = ftplib(&python(&server, &cert, body)).map_err(|e| e.to_string())?;
    expect(&server, &out, "FEAT", "True")?;
    expect(&server, &out, "V12", "TLSv1.2")?;
    expect(&server, &out, "SHA12", &big)?;
    expect(&server, &out, "SHA", &big)?;
    expect(&server, &out, "STOCK", "522")?;
    expect(&server, &out, "AFTER", "200")?;
    let bytes = server.tree().read("upload/py4.bin").map_err(|e| fail(&server, &out, &e.to_string()))?;
    if sha256_hex(&bytes) != big {
        return Err(fail(&server, &out, "upload over a resumed data connection differs"));
    }
    eprintln!(
        "ftps_server: ftplib resumed 10 data connections on {}",
        values(&out).iter().find(|(k, _)| k == "VERSION").map_or("?", |(_, v)| v)
    );
    Ok(())
}

#[test]
fn hostile_a_thief_on_the_passive_port_gets_522_and_no_data() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, cert) = start(dir.path(), false)?;
    // The client opens a passive port; a second party (same address, its own TLS session) connects first and
    // makes its handshake when the server starts TLS for the client's RETR.
    let body = "f = login(Reuse)\n\
                dport = pasv_port(f)\n\
                got = {}\n\
                def thief():\n\
                \x20   s = socket.create_connection((host, dport), timeout=10)\n\
                \x20   try:\n\
                \x20       t = ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname=host)\n\
                \x20       n = 0\n\
                \x20       while True:\n\
                \x20           d = t.recv(65536)\n\
                \x20           if not d: break\n\
                \x20           n += len(d)\n\
                \x20       got['n'] = n\n\
                \x20   except Exception as e:\n\
                \x20       got['n'] = 0\n\
                th = threading.Thread(target=thief); th.start()\n\
                import time; time.sleep(0.5)\n\
                replies(f, 'RETR big.bin')\n\
                th.join(15)\n\
                print('THIEF=' + str(got.get('n')))\n\
                print('AFTER=' + f.sendcmd('NOOP')[:3])\n";
    let out = ftplib(&python(&server, &cert, body)).map_err(|e| e.to_string())?;
    expect_all(&server, &out, &[("FINAL", "522"), ("THIEF", "0"), ("AFTER", "200")])
}

#[test]
fn hostile_user_in_clear_gets_530_and_garbage_for_a_client_hello_gets_a_reply() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, cert) = start(dir.path(), false)?;
    let body = "p = ftplib.FTP()\np.connect(host, port, timeout=10)\n\
                try:\n\
                \x20   p.login(user, pw)\n\
                \x20   print('CLEAR=logged in')\n\
                except ftplib.error_perm as e:\n\
                \x20   print('CLEAR=' + str(e)[:3])\n\
                f = login(Reuse)\n\
                s = socket.create_connection((host, pasv_port(f)), timeout=10)\n\
                s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n' * 64)\n\
                replies(f, 'RETR big.bin')\n\
                s.close()\n\
                b = io.BytesIO(); f.retrbinary('RETR big.bin', b.write)\n\
                print('THEN=' + str(len(b.getvalue())))\n";
    let out = ftplib(&python(&server, &cert, body)).map_err(|e| e.to_string())?;
    expect(&server, &out, "CLEAR", "530")?;
    expect(&server, &out, "FINAL", "425")?;
    expect(&server, &out, "THEN", &server.tree().big().len.to_string())
}

/// A data connection whose ClientHello (a real one, made by Python's ssl module) stops half-way, the connection
/// then closed: the transfer gets 425, no file data goes to that connection (at most a TLS alert), nothing
/// panics, and the next transfer on the session works.
#[test]
fn hostile_a_client_hello_cut_off_half_way_gets_425_and_the_session_goes_on() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, cert) = start(dir.path(), false)?;
    let body = "other = ssl.create_default_context(cafile=ca)\n\
                bio_in, bio_out = ssl.MemoryBIO(), ssl.MemoryBIO()\n\
                tls = other.wrap_bio(bio_in, bio_out, server_hostname='localhost')\n\
                try:\n\
                \x20   tls.do_handshake()\n\
                except ssl.SSLWantReadError:\n\
                \x20   pass\n\
                hello = bio_out.read()\n\
                print('HELLO=' + str(len(hello) > 100))\n\
                f = login(Reuse)\n\
                s = socket.create_connection((host, pasv_port(f)), timeout=10)\n\
                s.sendall(hello[:len(hello) // 2])\n\
                s.shutdown(socket.SHUT_WR)\n\
                replies(f, 'RETR big.bin')\n\
                print('DATA=' + str(len(s.recv(65536)) > 64))\n\
                s.close()\n\
                b = io.BytesIO(); f.retrbinary('RETR big.bin', b.write)\n\
                print('THEN=' + str(len(b.getvalue())))\n";
    let out = ftplib(&python(&server, &cert, body)).map_err(|e| e.to_string())?;
    let big = server.tree().big().len.to_string();
    expect_all(&server, &out, &[("HELLO", "True"), ("FINAL", "425"), ("DATA", "False"), ("THEN", &big)])
}

#[test]
fn a_reloaded_certificate_serves_new_connections_without_a_restart() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, old) = start(dir.path(), false)?;
    let second = dir.path().join("second");
    std::fs::create_dir(&second).map_err(|e| e.to_string())?;
    let (new, new_key) = make_cert(&second)?;
    let list = |ca: &Path| {
        curl(["-sS", "--ssl-reqd", "--cacert"].map(String::from).into_iter().chain([
            ca.display().to_string(),
            "-u".into(),
            server.userpass(),
            format!("ftp://127.0.0.1:{}/", server.port()),
        ]))
        .map_err(|e| e.to_string())
    };
    let before = list(&old)?;
    if !before.success() || list(&new)?.success() {
        return Err(fail(&server, &before, "before the reload only the first certificate should verify"));
    }
    server.reload_tls(&new, &new_key).map_err(|e| e.to_string())?;
    let after = list(&new)?;
    if !after.success() || list(&old)?.success() {
        return Err(fail(&server, &after, "after the reload only the new certificate should verify"));
    }
    Ok(())
}

/// A server like [`start`]'s (certificate signed by the test CA in `certs`) that also accepts CCC, checking data
/// sessions as `reuse` says.
fn start_ccc(certs: &Certs, reuse: TlsReuse) -> Result<FtpkitServer, String> {
    start_signed(certs, TlsPolicy { allow_ccc: true, reuse, ..TlsPolicy::required() })
}

/// A server with the certificate signed by the test CA in `certs`, under `policy`.
fn start_signed(certs: &Certs, policy: TlsPolicy) -> Result<FtpkitServer, String> {
    let tls = FtpkitTls { cert: certs.cert(), key: certs.key(), policy, implicit: false, client_certs: None };
    FtpkitServer::start(FtpkitOpts { tls: Some(tls), ..FtpkitOpts::default() }).map_err(|e| e.to_string())
}

/// CCC (RFC 4217 §6) with ftplib: after `ccc()` the control connection is a plain socket whose commands the server
/// still reads (the close_notify exchange took exactly the TLS records), and data connections stay protected and
/// resumed. With the default policy, CCC gets 534 and the session goes on under TLS.
#[test]
fn ccc_with_ftplib_clears_the_control_connection_and_data_stays_protected() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = start_ccc(&certs, TlsReuse::Require)?;
    let big = server.tree().big().sha256.clone();
    // `unwrap()` keeps the socket object and drops its TLS state (`version()` is None then), and with it the
    // session that data connections resume: kept aside first.
    let body = "f = login(Reuse)\n\
                f.kept = f.sock.session\n\
                print('CCC=' + f.ccc()[:3])\n\
                print('CLEAR=' + str(f.sock.version() is None))\n\
                print('PWD=' + f.pwd())\n\
                b = io.BytesIO(); f.retrbinary('RETR big.bin', b.write)\n\
                print('SHA=' + hashlib.sha256(b.getvalue()).hexdigest())\n\
                f.storbinary('STOR upload/after-ccc.bin', io.BytesIO(b'after ccc\\r\\n'))\n\
                print('QUIT=' + f.quit()[:3])\n";
    let out = ftplib(&python(&server, &certs.ca(), body)).map_err(|e| e.to_string())?;
    expect_all(&server, &out, &[("CCC", "200"), ("CLEAR", "True"), ("PWD", "/"), ("SHA", &big), ("QUIT", "221")])?;
    check_disk(&server, &out, "upload/after-ccc.bin", b"after ccc\r\n")?;
    // The default (strict) policy refuses CCC and keeps the control connection protected.
    let strict = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, cert) = start(strict.path(), false)?;
    let body = "f = login(Reuse)\n\
                try:\n\
                \x20   f.ccc(); print('CCC=accepted')\n\
                except ftplib.error_perm as e:\n\
                \x20   print('CCC=' + str(e)[:3])\n\
                print('TLS=' + str(f.sock.version() is not None))\n\
                print('NOOP=' + f.voidcmd('NOOP')[:3])\n";
    let out = ftplib(&python(&server, &cert, body)).map_err(|e| e.to_string())?;
    expect_all(&server, &out, &[("CCC", "534"), ("TLS", "True"), ("NOOP", "200")])
}

/// curl `--ftp-ssl-ccc` in both of its modes. "active": curl sends its own close_notify, and its data connections
/// resume the control session as the strict policy requires. "passive": curl never answers the server's
/// close_notify and sends its next command in clear (which the server reads as such); OpenSSL then drops the
/// session as not cleanly shut down, so data connections make full handshakes, which only a server that does not
/// require reuse accepts (the strict server refuses them with 522, curl exit 18 with nothing written).
#[test]
fn ccc_with_curl_active_and_passive_shutdown() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    for (mode, reuse, works) in
        [("active", TlsReuse::Require, true), ("passive", TlsReuse::Warn, true), ("passive", TlsReuse::Require, false)]
    {
        let server = start_ccc(&certs, reuse)?;
        let local = dir.path().join(format!("big-{mode}-{reuse:?}.bin"));
        let url = format!("ftp://127.0.0.1:{}/big.bin", server.port());
        let args = ["-sS", "-v", "--ssl-reqd", "--ftp-ssl-ccc", "--ftp-ssl-ccc-mode", mode, "--cacert"];
        let out = curl(args.map(String::from).into_iter().chain([
            certs.ca().display().to_string(),
            "-u".into(),
            server.userpass(),
            url,
            "-o".into(),
            local.display().to_string(),
        ]))
        .map_err(|e| e.to_string())?;
        let err = out.stderr_text();
        // The first command after CCC went in clear and was answered.
        if !err.contains("< 200 CCC ok") || !err.contains("< 257 ") {
            return Err(fail(&server, &out, &format!("curl --ftp-ssl-ccc-mode {mode}: no clear PWD after CCC")));
        }
        match (works, out.success()) {
            (true, true) => check_file(&server, &out, &local)?,
            (false, false) if std::fs::metadata(&local).map_or(0, |m| m.len()) == 0 => {}
            _ => return Err(fail(&server, &out, &format!("curl --ftp-ssl-ccc-mode {mode} with {reuse:?}"))),
        }
    }
    Ok(())
}

/// ftpkit's own clients: `ccc()` after an explicit-FTPS login, then commands in clear and a protected download.
#[test]
fn ccc_with_ftpkits_clients() -> TestResult {
    use ftpkit::client::{Options, TlsMode};
    use ftpkit::tls::TlsConfig;
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = start_ccc(&certs, TlsReuse::Require)?;
    let opts = Options {
        tls: ftpkit::client::TlsPolicy { mode: TlsMode::Explicit, ..Default::default() },
        tls_config: TlsConfig { ca_file: Some(certs.ca()), ..TlsConfig::default() },
        ..Options::default()
    };
    let big = server.tree().big().sha256.clone();
    let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts.clone()).map_err(|e| e.to_string())?;
    c.login(server.user(), server.pass()).map_err(|e| e.to_string())?;
    c.ccc().map_err(|e| format!("blocking ccc: {e}\n{}", server.log()))?;
    let pwd = c.pwd().map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    c.retrieve_to("big.bin", &mut got).map_err(|e| format!("blocking retr after CCC: {e}\n{}", server.log()))?;
    if pwd != "/" || sha256_hex(&got) != big {
        return Err(format!("blocking: pwd {pwd:?}, {} bytes", got.len()));
    }
    c.quit().map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut c = ftpkit::tokio::Client::connect_with(server.addr(), opts).await.map_err(|e| e.to_string())?;
        c.login(server.user(), server.pass()).await.map_err(|e| e.to_string())?;
        c.ccc().await.map_err(|e| format!("tokio ccc: {e}"))?;
        let names = c.nlst(None).await.map_err(|e| format!("tokio nlst after CCC: {e}"))?;
        if !names.iter().any(|n| n.ends_with("big.bin")) {
            return Err(format!("tokio: nlst after CCC: {names:?}"));
        }
        c.quit().await.map_err(|e| e.to_string())
    })
}

/// A self-signed certificate made as `openssl req -x509` makes it (a CA certificate) is refused as a server's
/// certificate even when the client trusts that file; the error says why and what to do.
#[test]
fn a_self_signed_ca_certificate_gets_an_error_that_says_what_to_do() -> TestResult {
    use ftpkit::client::{Error as ClientError, Options, TlsMode};
    use ftpkit::tls::TlsConfig;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (server, cert) = start(dir.path(), false)?;
    let opts = Options {
        tls: ftpkit::client::TlsPolicy { mode: TlsMode::Explicit, ..Default::default() },
        tls_config: TlsConfig { ca_file: Some(cert), ..TlsConfig::default() },
        ..Options::default()
    };
    let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts).map_err(|e| e.to_string())?;
    match c.login(server.user(), server.pass()) {
        Err(ClientError::Certificate(why)) if why.contains("basicConstraints=critical,CA:FALSE") => Ok(()),
        other => Err(format!("{other:?}, want a certificate error naming the fix")),
    }
}

/// Protected uploads in a row from ftpkit's own clients, nothing downloaded in between, against ftpkit's server
/// requiring every data connection to resume the control session. The server sends no TLS 1.3 ticket on uploads
/// (curl would reset them) and rustls clients use each ticket once, so each upload spends one of the control
/// connection's 32: every one of 20 resumes, none gets 522 (with 8, as before, the ninth did).
#[test]
fn twenty_protected_uploads_in_a_row_from_ftpkits_clients_all_resume() -> TestResult {
    use ftpkit::client::{Options, TlsMode, TraceLine};
    use ftpkit::tls::TlsConfig;
    use std::sync::{Arc, Mutex};
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = start_ccc(&certs, TlsReuse::Require)?;
    let resumed = Arc::new(Mutex::new(Vec::new()));
    let sink = resumed.clone();
    let opts = Options {
        tls: ftpkit::client::TlsPolicy { mode: TlsMode::Explicit, ..Default::default() },
        tls_config: TlsConfig { ca_file: Some(certs.ca()), ..TlsConfig::default() },
        trace: Some(Arc::new(move |l: &TraceLine| {
            if let (TraceLine::Tls { data: true, info }, Ok(mut v)) = (l, sink.lock()) {
                v.push(info.resumed);
            }
        })),
        ..Options::default()
    };
    let body = |i: usize| format!("upload {i} of twenty\n").into_bytes();
    let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts.clone()).map_err(|e| e.to_string())?;
    c.login(server.user(), server.pass()).map_err(|e| e.to_string())?;
    for i in 0..20 {
        c.store_from(&format!("upload/b{i}.txt"), &mut body(i).as_slice())
            .map_err(|e| format!("blocking upload {i}: {e}\n{}", server.log()))?;
    }
    c.quit().map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut c = ftpkit::tokio::Client::connect_with(server.addr(), opts).await.map_err(|e| e.to_string())?;
        c.login(server.user(), server.pass()).await.map_err(|e| e.to_string())?;
        for i in 0..20 {
            c.store_from(&format!("upload/t{i}.txt"), &mut body(i).as_slice())
                .await
                .map_err(|e| format!("tokio upload {i}: {e}"))?;
        }
        c.quit().await.map_err(|e| e.to_string())
    })?;
    for (prefix, i) in ["b", "t"].iter().flat_map(|p| (0..20).map(move |i| (p, i))) {
        let got = server.tree().read(&format!("upload/{prefix}{i}.txt")).map_err(|e| e.to_string())?;
        if got != body(i) {
            return Err(format!("upload/{prefix}{i}.txt differs"));
        }
    }
    let resumed = resumed.lock().map(|v| v.clone()).unwrap_or_default();
    if resumed.len() != 40 || resumed.iter().any(|r| !r) {
        return Err(format!("data handshakes resumed: {resumed:?}, want 40 × true"));
    }
    Ok(())
}

/// The installed curl's version (major, minor), from `curl --version`.
fn curl_version() -> Result<(u32, u32), String> {
    let out = curl(["--version"]).map_err(|e| e.to_string())?;
    let text = out.stdout_text();
    let version = text.split_whitespace().nth(1).ok_or_else(|| format!("curl --version: {text:?}"))?;
    let mut parts = version.split('.').map(|p| p.parse::<u32>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => Ok((major, minor)),
        _ => Err(format!("curl --version: {text:?}")),
    }
}

/// One curl run in active mode under PROT P (`--ssl-reqd -P 127.0.0.1`, EPRT or, with `port`, PORT) against `base`
/// (`ftp://127.0.0.1:N`), bounded by `--max-time`.
fn curl_active(base: &str, login: Option<String>, ca: &Path, port: bool, args: &[String]) -> Result<RunOutput, String> {
    let mut all: Vec<String> =
        ["-sS", "--ssl-reqd", "-P", "127.0.0.1", "--max-time", "6", "--cacert"].map(String::from).into();
    all.push(ca.display().to_string());
    if let Some(up) = login {
        all.extend(["-u".to_owned(), up]);
    }
    if port {
        all.push("--disable-eprt".into());
    }
    all.extend(args.iter().map(|a| a.replace("{base}", base)));
    curl_with_timeout(all, Duration::from_secs(12)).map_err(|e| e.to_string())
}

/// How a curl run ended: `ok`, `exit N` (28: `--max-time` ran out), or killed by the harness.
fn ended(out: &RunOutput) -> String {
    match (out.success(), out.status.and_then(|s| s.code())) {
        (true, _) => "ok".into(),
        (false, Some(code)) => format!("exit {code}"),
        (false, None) => "killed".into(),
    }
}

/// curl's four active PROT P runs against one server: the listing (EPRT, PORT), a byte-exact download and a
/// byte-exact upload, each with how it ended ([`ended`]); a success with wrong bytes is an error.
fn curl_active_runs(
    base: &str,
    login: Option<String>,
    ca: &Path,
    tree: &Tree,
    dir: &Path,
) -> Result<Vec<(String, String)>, String> {
    let mut runs = Vec::new();
    for port in [false, true] {
        let out = curl_active(base, login.clone(), ca, port, &["{base}/".into()])?;
        let ok = out.success();
        if ok && !out.stdout_text().contains("big.bin") {
            return Err(format!("listing without big.bin\n{}", out.describe()));
        }
        runs.push((format!("list ({})", if port { "PORT" } else { "EPRT" }), ended(&out)));
    }
    let local = dir.join("active-get.bin");
    let out = curl_active(
        base,
        login.clone(),
        ca,
        false,
        &["{base}/big.bin".into(), "-o".into(), local.display().to_string()],
    )?;
    let ok = out.success();
    if ok {
        let bytes = std::fs::read(&local).map_err(|e| e.to_string())?;
        if bytes.len() as u64 != tree.big().len || sha256_hex(&bytes) != tree.big().sha256 {
            return Err(format!("active get: {} bytes, want {}\n{}", bytes.len(), tree.big().len, out.describe()));
        }
    }
    runs.push(("get".to_owned(), ended(&out)));
    let content = upload_content("curl active");
    let up = dir.join("active-up.bin");
    std::fs::write(&up, &content).map_err(|e| e.to_string())?;
    let out = curl_active(
        base,
        login,
        ca,
        false,
        &["-T".into(), up.display().to_string(), "{base}/upload/active.bin".into()],
    )?;
    let ok = out.success();
    match tree.read("upload/active.bin") {
        Ok(got) if ok && got != content => {
            return Err(format!("active put: the file on disk differs\n{}", out.describe()))
        }
        // vsftpd creates the file empty at STOR; no byte of the refused clear upload may land.
        Ok(got) if !ok && !got.is_empty() => {
            return Err(format!("active put failed but {} bytes landed\n{}", got.len(), out.describe()))
        }
        Err(e) if ok => return Err(format!("active put: {e}\n{}", out.describe())),
        _ => {}
    }
    runs.push(("put".to_owned(), ended(&out)));
    Ok(runs)
}

/// curl in active mode with protected data (`--ssl-reqd -P`; the server connects, and is still the TLS server):
/// listing with EPRT and with PORT, byte-exact download and upload, against ftpkit's server and vsftpd side by
/// side. curl 7.87 and 7.88 (Debian 12's) accept the server's data connection and never start TLS on it (curl
/// issue 10666: the TLS filter was not added to an accepted data connection; fixed in 8.0), so against any server
/// they wait until `--max-time` (exit 28); an upload writes the file in clear where the server waits for a
/// ClientHello, and both servers refuse it (curl exits 18 or 56) and keep none of it. From curl 8 on every run must
/// work on both; with an older curl each run must work on ftpkit exactly when it works on vsftpd.
#[test]
fn curl_active_prot_p_list_get_put_byte_exact_or_as_vsftpd() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ours = start_signed(&certs, TlsPolicy::required())?;
    let vsftpd =
        Vsftpd::start(ServerOpts { tls: Some(certs.server()), ..ServerOpts::default() }).map_err(|e| e.to_string())?;
    let ours_dir = dir.path().join("ftpkit");
    let theirs_dir = dir.path().join("vsftpd");
    for d in [&ours_dir, &theirs_dir] {
        std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
    }
    let with_log = |e: String, log: String| format!("{e}\n=== server ===\n{log}");
    let ours_runs = curl_active_runs(
        &format!("ftp://127.0.0.1:{}", ours.port()),
        Some(ours.userpass()),
        &certs.ca(),
        ours.tree(),
        &ours_dir,
    )
    .map_err(|e| with_log(e, ours.log()))?;
    let theirs_runs =
        curl_active_runs(&format!("ftp://127.0.0.1:{}", vsftpd.port()), None, &certs.ca(), vsftpd.tree(), &theirs_dir)
            .map_err(|e| with_log(e, vsftpd.log()))?;
    let version = curl_version()?;
    if version >= (8, 0) {
        if let Some((what, _)) = ours_runs.iter().chain(&theirs_runs).find(|(_, end)| end != "ok") {
            return Err(format!("curl {version:?} active PROT P {what} failed\nftpkit: {ours_runs:?}\nvsftpd: {theirs_runs:?}\n=== ftpkit ===\n{}", ours.log()));
        }
    } else if ours_runs.iter().zip(&theirs_runs).any(|((_, a), (_, b))| (a == "ok") != (b == "ok")) {
        return Err(format!(
            "curl {version:?}: ftpkit {ours_runs:?}, vsftpd {theirs_runs:?}\n=== ftpkit ===\n{}",
            ours.log()
        ));
    }
    eprintln!("curl {version:?} active PROT P: ftpkit {ours_runs:?}, vsftpd {theirs_runs:?}");
    Ok(())
}
