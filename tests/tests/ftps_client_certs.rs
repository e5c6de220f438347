//! FTPS with client certificates (mutual TLS), both ways: ftpkit's server asking for them, against curl
//! (`--cert/--key`) and ftpkit's own clients; and ftpkit's clients presenting one to vsftpd with `require_cert=YES`,
//! `validate_cert=YES`. Certificates are made by the test with `openssl`: a client certificate signed by the CA the
//! server trusts, and one signed by a CA it does not.

use std::path::PathBuf;

use ftpkit::client::{Error as ClientError, Options, TlsMode, TlsPolicy as ClientTls};
use ftpkit::server::tls::ClientCerts;
use ftpkit::server::TlsPolicy;
use ftpkit::tls::TlsConfig;
use ftpkit_interop::{curl, sha256_hex, Certs, FtpkitOpts, FtpkitServer, FtpkitTls, ServerOpts, ServerTls, Vsftpd};

type TestResult = Result<(), String>;

/// Explicit FTPS options trusting the test CA, presenting `client` when given.
fn options(certs: &Certs, client: Option<(PathBuf, PathBuf)>) -> Options {
    Options {
        tls: ClientTls { mode: TlsMode::Explicit, ..ClientTls::default() },
        tls_config: TlsConfig { ca_file: Some(certs.ca()), client_cert: client, ..TlsConfig::default() },
        ..Options::default()
    }
}

/// Logs in and downloads `big.bin` with the blocking client; the bytes' sha256.
fn blocking_download(addr: std::net::SocketAddr, opts: Options, user: &str, pass: &str) -> Result<String, ClientError> {
    let mut c = ftpkit::blocking::Client::connect_with(addr, opts)?;
    c.login(user, pass)?;
    let mut got = Vec::new();
    c.retrieve_to("big.bin", &mut got)?;
    c.quit()?;
    Ok(sha256_hex(&got))
}

#[test]
fn ftpkit_server_requiring_client_certificates_with_curl_and_ftpkit() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let tls = FtpkitTls {
        cert: certs.cert(),
        key: certs.key(),
        policy: TlsPolicy::required(),
        implicit: false,
        client_certs: Some(ClientCerts { ca_file: certs.ca(), required: true }),
    };
    let server =
        FtpkitServer::start(FtpkitOpts { tls: Some(tls), ..FtpkitOpts::default() }).map_err(|e| e.to_string())?;
    let big = server.tree().big().sha256.clone();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = format!("ftp://127.0.0.1:{}/big.bin", server.port());
    let (good, good_key) = certs.client();
    let (bad, bad_key) = certs.untrusted_client();
    // curl: with the trusted client certificate (byte-exact), without one, with one from another CA.
    for (name, cert, works) in [
        ("trusted", Some((&good, &good_key)), true),
        ("none", None, false),
        ("other CA", Some((&bad, &bad_key)), false),
    ] {
        let local = dir.path().join(format!("big-{}.bin", name.replace(' ', "-")));
        let mut args: Vec<String> = ["-sS", "--ssl-reqd", "--cacert"].map(String::from).into();
        args.push(certs.ca().display().to_string());
        if let Some((c, k)) = cert {
            args.extend(["--cert".into(), c.display().to_string(), "--key".into(), k.display().to_string()]);
        }
        args.extend(["-u".into(), server.userpass(), url.clone(), "-o".into(), local.display().to_string()]);
        let out = curl(&args).map_err(|e| e.to_string())?;
        let got = std::fs::read(&local).map(|b| sha256_hex(&b)).unwrap_or_default();
        match (works, out.success()) {
            (true, true) if got == big => {}
            (false, false) if got.is_empty() || !local.exists() => {}
            _ => return Err(format!("curl, client certificate {name}: {}\n{}", out.describe(), server.log())),
        }
    }
    // ftpkit's blocking client: with the certificate every data connection works too; without, the control
    // handshake fails and no USER is sent.
    let sha = blocking_download(server.addr(), options(&certs, Some(certs.client())), server.user(), server.pass())
        .map_err(|e| format!("blocking client with a certificate: {e}\n{}", server.log()))?;
    if sha != big {
        return Err("blocking client: big.bin differs".into());
    }
    match blocking_download(server.addr(), options(&certs, None), server.user(), server.pass()) {
        Err(ClientError::Tls(e)) if e.contains("alert") => {}
        other => return Err(format!("blocking client without a certificate: {other:?}, want a TLS failure")),
    }
    // The tokio client presents it as well.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut c = ftpkit::tokio::Client::connect_with(server.addr(), options(&certs, Some(certs.client())))
            .await
            .map_err(|e| e.to_string())?;
        c.login(server.user(), server.pass()).await.map_err(|e| format!("tokio login: {e}"))?;
        let names = c.nlst(None).await.map_err(|e| format!("tokio nlst: {e}"))?;
        if !names.iter().any(|n| n.ends_with("big.bin")) {
            return Err(format!("tokio nlst: {names:?}"));
        }
        c.quit().await.map_err(|e| e.to_string())
    })
}

#[test]
fn vsftpd_requiring_client_certificates_gets_ftpkits() -> TestResult {
    let certs = Certs::new().map_err(|e| e.to_string())?;
    let tls = ServerTls { client_ca: Some(certs.ca()), ..certs.server() };
    let server = Vsftpd::start(ServerOpts { tls: Some(tls), ..ServerOpts::default() }).map_err(|e| e.to_string())?;
    let big = server.tree().big().sha256.clone();
    let sha = blocking_download(server.addr(), options(&certs, Some(certs.client())), server.user(), server.pass())
        .map_err(|e| format!("with a certificate: {e}\n{}", server.log()))?;
    if sha != big {
        return Err("big.bin differs".into());
    }
    for (name, client) in [("none", None), ("other CA", Some(certs.untrusted_client()))] {
        match blocking_download(server.addr(), options(&certs, client), server.user(), server.pass()) {
            Err(ClientError::Tls(e)) if e.contains("alert") => {
                eprintln!("ftps_client_certs: vsftpd, client certificate {name}: refused ({e})")
            }
            other => return Err(format!("vsftpd, client certificate {name}: {other:?}, want a TLS alert")),
        }
    }
    Ok(())
}
