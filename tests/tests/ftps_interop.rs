//! FTPS (RFC 4217): ftpkit's blocking and tokio clients against vsftpd with `ssl_enable=YES`,
//! `force_anon_logins_ssl`, `force_anon_data_ssl` and `require_ssl_reuse=YES` (every protected data connection must
//! resume the control connection's TLS session, or vsftpd answers `522`), with TLS 1.3 and TLS 1.2, passive and
//! active; byte-exact transfers; 50 consecutive small uploads on one control connection (writes only: no reads on
//! the data connections, the case where single-use TLS 1.3 tickets run out); and the hostile cases: a certificate
//! the client cannot verify, and a server that refuses AUTH while TLS is required (no USER in clear).
//!
//! Certificates are made by the test (`openssl req -x509`, SAN 127.0.0.1); the client trusts exactly that file.

use std::sync::{Arc, Mutex};

use ftpkit::client::{ClientMode, Error as ClientError, Options, TlsMode, TlsPolicy, TraceLine};
use ftpkit::tls::TlsConfig;
use ftpkit_interop::{sha256_hex, Certs, Server, ServerOpts, Vsftpd};

type TestResult = Result<(), String>;

/// vsftpd's protocol log has a `USER` command.
fn sent_user(server: &Server) -> bool {
    server.log().lines().any(|l| l.contains("FTP command") && l.contains("\"USER"))
}

fn vsftpd_tls(certs: &Certs) -> Result<Server, String> {
    Vsftpd::start(ServerOpts { tls: Some(certs.server()), ..ServerOpts::default() }).map_err(|e| e.to_string())
}

/// Options for explicit FTPS trusting `ca`, with a trace recorder.
fn options(ca: std::path::PathBuf, mode: ClientMode, tls12_only: bool) -> (Options, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let opts = Options {
        mode,
        tls: TlsPolicy { mode: TlsMode::Explicit, ..TlsPolicy::default() },
        tls_config: TlsConfig { ca_file: Some(ca), tls12_only, ..TlsConfig::default() },
        trace: Some(Arc::new(move |l: &TraceLine| {
            if let Ok(mut v) = sink.lock() {
                v.push(match l {
                    TraceLine::Sent(s) => format!("---> {s}"),
                    TraceLine::Received(s) => s.clone(),
                    TraceLine::Tls { data, info } => format!(
                        "tls {} {} {} resumed={}",
                        if *data { "data" } else { "control" },
                        info.version,
                        info.cipher,
                        info.resumed
                    ),
                    other => format!("{other:?}"),
                });
            }
        })),
        ..Options::default()
    };
    (opts, lines)
}

fn context(server: &Server, trace: &Arc<Mutex<Vec<String>>>, step: &str, e: impl std::fmt::Display) -> String {
    format!(
        "{step}: {e}\n=== client trace ===\n{}\n=== server log ===\n{}",
        trace.lock().map(|t| t.join("\n")).unwrap_or_default(),
        server.log()
    )
}

/// Every data connection's handshake in the trace resumed, and there were `want` of them; the control handshake
/// used `version`.
fn check_trace(trace: &Arc<Mutex<Vec<String>>>, version: &str, want: usize) -> Result<(), String> {
    check_trace_resumed(trace, version, want, true)
}

/// As [`check_trace`]; `resumed`: every data handshake must have resumed (servers that offer resumption).
fn check_trace_resumed(
    trace: &Arc<Mutex<Vec<String>>>,
    version: &str,
    want: usize,
    resumed: bool,
) -> Result<(), String> {
    let lines = trace.lock().map(|t| t.clone()).unwrap_or_default();
    let control: Vec<&String> = lines.iter().filter(|l| l.starts_with("tls control")).collect();
    let data: Vec<&String> = lines.iter().filter(|l| l.starts_with("tls data")).collect();
    if control.len() != 1 || !control[0].contains(version) {
        return Err(format!("control handshake: {control:?}, want one with {version}"));
    }
    if data.len() != want || (resumed && data.iter().any(|l| !l.ends_with("resumed=true"))) {
        return Err(format!("data handshakes: {data:?}, want {want} resumed"));
    }
    if lines.iter().any(|l| {
        l.starts_with("---> USER")
            && lines.iter().position(|x| x == l) < lines.iter().position(|x| x.starts_with("tls control"))
    }) {
        return Err("USER before TLS".into());
    }
    Ok(())
}

fn blocking_session(server: &Server, certs: &Certs, mode: ClientMode, tls12_only: bool) -> TestResult {
    // pure-ftpd neither requires nor grants resumption of the control session on data connections; vsftpd
    // requires it, pyftpdlib grants it.
    let resumed = server.name() != "pure-ftpd";
    let (opts, trace) = options(certs.ca(), mode, tls12_only);
    let fail = |step: &str, e: &dyn std::fmt::Display| context(server, &trace, step, e);
    let version = if tls12_only { "TLSv1_2" } else { "TLSv1_3" };
    let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts).map_err(|e| fail("connect", &e))?;
    c.login(server.user(), server.pass()).map_err(|e| fail("login", &e))?;
    // Listing, then the big file byte-exact.
    let names = c.nlst(None).map_err(|e| fail("nlst", &e))?;
    if !names.iter().any(|n| n.ends_with("readme.txt")) {
        return Err(fail("nlst", &format!("no readme.txt in {names:?}")));
    }
    let mut big = Vec::new();
    c.retrieve_to("big.bin", &mut big).map_err(|e| fail("retr big.bin", &e))?;
    if sha256_hex(&big) != server.tree().big().sha256 {
        return Err(fail("retr big.bin", &"sha256 differs"));
    }
    // An upload, byte-exact on disk.
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    c.store_from("upload/up.bin", &mut payload.as_slice()).map_err(|e| fail("stor", &e))?;
    let on_disk = std::fs::read(server.tree().upload_dir().join("up.bin")).map_err(|e| fail("read back", &e))?;
    if on_disk != payload {
        return Err(fail("stor", &"the stored file differs"));
    }
    c.quit().map_err(|e| fail("quit", &e))?;
    check_trace_resumed(&trace, version, 3, resumed).map_err(|e| fail("trace", &e))
}

#[test]
fn blocking_client_vsftpd_requiring_reuse_tls13_and_tls12_passive_and_active() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = vsftpd_tls(&certs)?;
    for mode in [ClientMode::Passive, ClientMode::Active] {
        for tls12_only in [false, true] {
            blocking_session(&server, &certs, mode, tls12_only)
                .map_err(|e| format!("{mode:?}, tls12_only {tls12_only}: {e}"))?;
        }
    }
    Ok(())
}

/// 50 uploads on one control connection, nothing read on the data connections: every one must resume (vsftpd
/// refuses the first that does not with 522), with TLS 1.3 (single-use tickets) and TLS 1.2.
#[test]
fn fifty_consecutive_uploads_resume_every_time() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = vsftpd_tls(&certs)?;
    for tls12_only in [false, true] {
        let (opts, trace) = options(certs.ca(), ClientMode::Passive, tls12_only);
        let fail = |step: &str, e: &dyn std::fmt::Display| context(&server, &trace, step, e);
        let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts).map_err(|e| fail("connect", &e))?;
        c.login(server.user(), server.pass()).map_err(|e| fail("login", &e))?;
        for i in 0..50 {
            let body = format!("upload {i} over TLS, tls12_only {tls12_only}\n");
            let name = format!("upload/many-{tls12_only}-{i}.txt");
            c.store_from(&name, &mut body.as_bytes()).map_err(|e| fail(&format!("upload {i}"), &e))?;
            let back = std::fs::read(server.tree().root().join(&name)).map_err(|e| fail("read back", &e))?;
            if back != body.as_bytes() {
                return Err(fail(&format!("upload {i}"), &"content differs"));
            }
        }
        c.quit().map_err(|e| fail("quit", &e))?;
        check_trace(&trace, if tls12_only { "TLSv1_2" } else { "TLSv1_3" }, 50).map_err(|e| fail("trace", &e))?;
    }
    Ok(())
}

/// The tokio client's session: login, the big file byte-exact, ten uploads read back; every data connection under
/// TLS in the trace.
async fn tokio_session(server: &Server, certs: &Certs, mode: ClientMode, tls12_only: bool) -> TestResult {
    let (opts, trace) = options(certs.ca(), mode, tls12_only);
    let fail = |step: &str, e: &dyn std::fmt::Display| {
        format!("{mode:?} tls12_only {tls12_only}: {}", context(server, &trace, step, e))
    };
    let mut c = ftpkit::tokio::Client::connect_with(server.addr(), opts).await.map_err(|e| fail("connect", &e))?;
    c.login(server.user(), server.pass()).await.map_err(|e| fail("login", &e))?;
    let mut big = Vec::new();
    c.retrieve_to("big.bin", &mut big).await.map_err(|e| fail("retr", &e))?;
    if sha256_hex(&big) != server.tree().big().sha256 {
        return Err(fail("retr big.bin", &"sha256 differs"));
    }
    for i in 0..10 {
        let body = format!("tokio upload {i} {mode:?} {tls12_only}\n");
        let name = format!("upload/tokio-{mode:?}-{tls12_only}-{i}.txt");
        c.store_from(&name, &mut body.as_bytes()).await.map_err(|e| fail("stor", &e))?;
        let back = std::fs::read(server.tree().root().join(&name)).map_err(|e| fail("read back", &e))?;
        if back != body.as_bytes() {
            return Err(fail("stor", &"content differs"));
        }
    }
    c.quit().await.map_err(|e| fail("quit", &e))?;
    // pure-ftpd neither requires nor grants resumption of the control session on data connections; vsftpd
    // requires it, pyftpdlib grants it.
    let resumed = server.name() != "pure-ftpd";
    check_trace_resumed(&trace, if tls12_only { "TLSv1_2" } else { "TLSv1_3" }, 11, resumed)
        .map_err(|e| fail("trace", &e))
}

/// [`tokio_session`] in both modes and both TLS versions.
fn tokio_sessions(server: &Server, certs: &Certs) -> TestResult {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        for mode in [ClientMode::Passive, ClientMode::Active] {
            for tls12_only in [false, true] {
                tokio_session(server, certs, mode, tls12_only).await?;
            }
        }
        Ok(())
    })
}

#[test]
fn tokio_client_vsftpd_requiring_reuse_passive_and_active() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    tokio_sessions(&vsftpd_tls(&certs)?, &certs)
}

/// pure-ftpd with TLS required (`-Y 2`): the tokio client, passive and active, TLS 1.3 and 1.2.
#[test]
fn tokio_client_pure_ftpd_tls_required() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = ftpkit_interop::PureFtpd::start(ServerOpts { tls: Some(certs.server()), ..ServerOpts::default() })
        .map_err(|e| e.to_string())?;
    tokio_sessions(&server, &certs)
}

/// pyftpdlib's `TLS_FTPHandler` (pyOpenSSL) with TLS required on control and data: both clients, passive and
/// active, TLS 1.3 and 1.2, byte-exact.
#[test]
fn both_clients_pyftpdlib_tls_required() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = ftpkit_interop::Pyftpdlib::start(ServerOpts { tls: Some(certs.server()), ..ServerOpts::default() })
        .map_err(|e| e.to_string())?;
    for mode in [ClientMode::Passive, ClientMode::Active] {
        for tls12_only in [false, true] {
            blocking_session(&server, &certs, mode, tls12_only)
                .map_err(|e| format!("blocking {mode:?}, tls12_only {tls12_only}: {e}"))?;
        }
    }
    tokio_sessions(&server, &certs)
}

/// A server certificate signed by no CA the client trusts: a typed error, and no login sent.
#[test]
fn an_unverifiable_certificate_is_refused() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = Vsftpd::start(ServerOpts { tls: Some(certs.untrusted()), ..ServerOpts::default() })
        .map_err(|e| e.to_string())?;
    let (opts, trace) = options(certs.ca(), ClientMode::Passive, false);
    let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts.clone())
        .map_err(|e| context(&server, &trace, "connect", e))?;
    match c.login(server.user(), server.pass()) {
        Err(ClientError::Certificate(why)) if why.contains("certificate") => {}
        other => return Err(context(&server, &trace, "login", format!("{other:?}, want Error::Certificate"))),
    }
    // The tokio client says the same.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut c = ftpkit::tokio::Client::connect_with(server.addr(), opts).await.map_err(|e| e.to_string())?;
        match c.login(server.user(), server.pass()).await {
            Err(ClientError::Certificate(_)) => Ok(()),
            other => Err(format!("tokio: {other:?}, want Error::Certificate")),
        }
    })?;
    if sent_user(&server) {
        return Err(context(&server, &trace, "server log", "USER was sent"));
    }
    Ok(())
}

/// vsftpd without TLS refuses AUTH; with TLS required the client ends the session before USER.
#[test]
fn auth_refused_with_tls_required_sends_no_user() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = Vsftpd::start(ServerOpts::default()).map_err(|e| e.to_string())?;
    let (opts, trace) = options(certs.ca(), ClientMode::Passive, false);
    let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts.clone())
        .map_err(|e| context(&server, &trace, "connect", e))?;
    match c.login(server.user(), server.pass()) {
        Err(ClientError::TlsRefused(reply)) if reply.code.get() >= 500 => {}
        other => return Err(context(&server, &trace, "login", format!("{other:?}, want Error::TlsRefused"))),
    }
    drop(c);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut c = ftpkit::tokio::Client::connect_with(server.addr(), opts).await.map_err(|e| e.to_string())?;
        match c.login(server.user(), server.pass()).await {
            Err(ClientError::TlsRefused(_)) => Ok(()),
            other => Err(format!("tokio: {other:?}, want Error::TlsRefused")),
        }
    })?;
    std::thread::sleep(std::time::Duration::from_millis(200));
    if sent_user(&server) || !server.log().contains("\"AUTH TLS\"") {
        return Err(context(&server, &trace, "server log", "want AUTH TLS and no USER"));
    }
    Ok(())
}

/// Implicit FTPS (vsftpd `implicit_ssl=YES`): TLS from the first byte, no AUTH; PBSZ/PROT P; both clients,
/// every data connection resumed.
#[test]
fn implicit_tls_both_clients() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let tls = ftpkit_interop::ServerTls { implicit: true, ..certs.server() };
    let server = Vsftpd::start(ServerOpts { tls: Some(tls), ..ServerOpts::default() }).map_err(|e| e.to_string())?;
    let (mut opts, trace) = options(certs.ca(), ClientMode::Passive, false);
    opts.tls.mode = TlsMode::Implicit;
    let fail = |step: &str, e: &dyn std::fmt::Display| context(&server, &trace, step, e);
    let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts.clone()).map_err(|e| fail("connect", &e))?;
    c.login(server.user(), server.pass()).map_err(|e| fail("login", &e))?;
    let mut big = Vec::new();
    c.retrieve_to("big.bin", &mut big).map_err(|e| fail("retr", &e))?;
    if sha256_hex(&big) != server.tree().big().sha256 {
        return Err(fail("retr big.bin", &"sha256 differs"));
    }
    c.store_from("upload/implicit.txt", &mut &b"implicit"[..]).map_err(|e| fail("stor", &e))?;
    c.quit().map_err(|e| fail("quit", &e))?;
    check_trace(&trace, "TLSv1_3", 2).map_err(|e| fail("trace", &e))?;
    if server.log().contains("\"AUTH") {
        return Err(fail("server log", &"AUTH sent on an implicit connection"));
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut c = ftpkit::tokio::Client::connect_with(server.addr(), opts).await.map_err(|e| e.to_string())?;
        c.login(server.user(), server.pass()).await.map_err(|e| e.to_string())?;
        let names = c.nlst(None).await.map_err(|e| e.to_string())?;
        if !names.iter().any(|n| n.ends_with("big.bin")) {
            return Err(format!("tokio nlst: {names:?}"));
        }
        c.quit().await.map_err(|e| e.to_string())
    })
    .map_err(|e| fail("tokio", &e))
}

/// pure-ftpd with TLS required (`-Y 2`): the blocking client, passive and active, TLS 1.3 and 1.2, byte-exact.
#[test]
fn blocking_client_pure_ftpd_tls_required() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let server = ftpkit_interop::PureFtpd::start(ServerOpts { tls: Some(certs.server()), ..ServerOpts::default() })
        .map_err(|e| e.to_string())?;
    for mode in [ClientMode::Passive, ClientMode::Active] {
        for tls12_only in [false, true] {
            blocking_session(&server, &certs, mode, tls12_only)
                .map_err(|e| format!("{mode:?}, tls12_only {tls12_only}: {e}"))?;
        }
    }
    Ok(())
}
