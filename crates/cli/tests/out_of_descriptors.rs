//! Out of file descriptors, `ftpkit serve` answers new clients `421` instead of leaving them without a word: the
//! server runs under `prlimit --nofile=40` and the test opens 60 connections at once (50 TLS clients on the
//! implicit-TLS listener).

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn a_server_out_of_descriptors_answers_421() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = ["--max-sessions", "1000", "--max-sessions-per-ip", "1000"];
    let (mut child, port) = common::serve(&["prlimit", "--nofile=40:40"], dir.path(), &limits, &[], false);
    std::thread::sleep(Duration::from_millis(300));
    let conns: Vec<TcpStream> = (0..60).filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok()).collect();
    let firsts: Vec<String> = conns
        .iter()
        .map(|c| {
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            let mut line = String::new();
            let _ = BufReader::new(c).read_line(&mut line);
            line
        })
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let greeted = firsts.iter().filter(|l| l.starts_with("220 ")).count();
    let refused = firsts.iter().filter(|l| l.starts_with("421 ") && l.contains("file descriptors")).count();
    assert!(greeted > 0 && refused > 0, "greeted {greeted}, refused {refused}: {firsts:?}");
    assert_eq!(greeted + refused, firsts.len(), "every client got a reply: {firsts:?}");
}

/// The same on the implicit-TLS listener: the 421 comes under TLS (the client speaks TLS from its first byte). The
/// clients are `openssl s_client` processes, each printing the first line it decrypts.
#[test]
fn an_implicit_tls_listener_out_of_descriptors_answers_421_under_tls() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("temp dir");
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("certificate");
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("cert.pem");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("key.pem");
    let root = dir.path().join("root");
    std::fs::create_dir(&root).expect("root");
    let implicit = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let bind = format!("127.0.0.1:{implicit}");
    let args = [
        "--max-sessions",
        "1000",
        "--max-sessions-per-ip",
        "1000",
        "--tls-cert",
        cert_path.to_str().unwrap_or_default(),
        "--tls-key",
        key_path.to_str().unwrap_or_default(),
        "--tls-implicit-bind",
        &bind,
    ];
    let (mut child, _port) = common::serve(&["prlimit", "--nofile=40:40"], &root, &args, &[], false);
    let t0 = std::time::Instant::now();
    while TcpStream::connect(("127.0.0.1", implicit)).is_err() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let clients: Vec<_> = (0..50)
        .filter_map(|_| {
            Command::new("openssl")
                .args(["s_client", "-connect", &bind, "-quiet", "-verify_quiet"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok()
        })
        .collect();
    assert!(!clients.is_empty(), "openssl (s_client) is needed for this test and did not start");
    let (tx, rx) = std::sync::mpsc::channel();
    let mut procs = Vec::new();
    for mut c in clients {
        if let Some(out) = c.stdout.take() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(out).read_line(&mut line);
                let _ = tx.send(line);
            });
        }
        procs.push(c);
    }
    drop(tx);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut firsts = Vec::new();
    while firsts.len() < procs.len() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => firsts.push(line),
            Err(_) => break,
        }
    }
    for mut p in procs {
        let _ = p.kill();
        let _ = p.wait();
    }
    let _ = child.kill();
    let _ = child.wait();
    let greeted = firsts.iter().filter(|l| l.starts_with("220 ")).count();
    let refused = firsts.iter().filter(|l| l.starts_with("421 ") && l.contains("file descriptors")).count();
    assert!(greeted > 0 && refused > 0, "greeted {greeted}, refused {refused}: {firsts:?}");
}
