//! The server's metrics (`Builder::metrics_bind`): after real sessions (curl: a refused login, a listing, a download,
//! an upload; a passive data connection from a foreign address), a scrape over HTTP has the counts, and Prometheus'
//! own `promtool check metrics` (Debian's, unpacked when missing) accepts the text.

use ftpkit::server::{Access, Server};
use ftpkit_interop::install::ensure_promtool;
use ftpkit_interop::{curl, read_reply, run_with_timeout};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn a_scrape_counts_real_sessions_and_promtool_accepts_it() {
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::write(root.path().join("a.bin"), vec![7u8; 100_000]).expect("a.bin");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let server = rt
        .block_on(
            Server::builder(root.path())
                .bind("127.0.0.1:0".parse().expect("addr"))
                .metrics_bind("127.0.0.1:0".parse().expect("addr"))
                .user("u", "p", Access::ReadWrite)
                .active_source(ftpkit::server::ActiveSource::Ephemeral)
                .build(),
        )
        .expect("server");
    let (addr, maddr): (SocketAddr, SocketAddr) =
        (server.local_addr().expect("addr"), server.metrics_addr().expect("m"));
    rt.spawn(server.run());
    let base = format!("ftp://127.0.0.1:{}", addr.port());
    let up = root.path().join("up.src");
    std::fs::write(&up, vec![1u8; 30_000]).expect("up");
    assert!(!curl(["-sS", "-u", "u:wrong", &format!("{base}/")]).expect("curl").success());
    assert!(curl(["-sS", "-u", "u:p", &format!("{base}/")]).expect("curl").success());
    assert!(curl(["-sS", "-u", "u:p", "-o", "/dev/null", &format!("{base}/a.bin")]).expect("curl").success());
    assert!(curl(["-sS", "-u", "u:p", "-T", up.to_str().unwrap_or_default(), &format!("{base}/up.bin")])
        .expect("curl")
        .success());
    // A passive data connection from another loopback address: refused by the source check.
    let ctrl = TcpStream::connect(addr).expect("connect");
    ctrl.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut r = BufReader::new(ctrl.try_clone().expect("clone"));
    let mut w = ctrl;
    assert!(read_reply(&mut r).starts_with("220 "));
    w.write_all(b"USER u\r\nPASS p\r\nEPSV\r\n").expect("login");
    read_reply(&mut r);
    read_reply(&mut r);
    let epsv = read_reply(&mut r);
    let port: u16 = epsv.split('|').nth(3).and_then(|p| p.parse().ok()).expect("EPSV port");
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    sock.bind(&SocketAddr::from(([127, 0, 0, 2], 0)).into()).expect("bind 127.0.0.2");
    sock.connect(&SocketAddr::from(([127, 0, 0, 1], port)).into()).expect("foreign connect");
    std::thread::sleep(Duration::from_millis(300));
    w.write_all(b"QUIT\r\n").expect("quit");
    read_reply(&mut r);
    std::thread::sleep(Duration::from_millis(300));

    let scrape = curl(["-sS", &format!("http://{maddr}/metrics")]).expect("curl");
    assert!(scrape.success(), "{}", scrape.describe());
    let text = scrape.stdout_text();
    let v = |s: &str| value(&text, s).unwrap_or_else(|| panic!("no {s} in\n{text}"));
    assert_eq!(v("ftpkit_connections_total"), 5.0);
    assert_eq!(v("ftpkit_logins_total"), 4.0);
    assert_eq!(v("ftpkit_failed_logins_total"), 1.0);
    assert_eq!(v(r#"ftpkit_transfers_total{direction="download",result="ok"}"#), 1.0);
    assert_eq!(v(r#"ftpkit_transfers_total{direction="upload",result="ok"}"#), 1.0);
    assert_eq!(v(r#"ftpkit_transfers_total{direction="listing",result="ok"}"#), 1.0);
    assert_eq!(v(r#"ftpkit_transfer_bytes_total{direction="download"}"#), 100_000.0);
    assert_eq!(v(r#"ftpkit_transfer_bytes_total{direction="upload"}"#), 30_000.0);
    assert_eq!(v(r#"ftpkit_data_connection_failures_total{cause="refused_source"}"#), 1.0);
    assert!(v(r#"ftpkit_replies_total{class="5xx"}"#) >= 1.0);
    assert!(v("ftpkit_commands_total") >= 20.0);
    assert!(v(r#"ftpkit_storage_operation_seconds_count{op="open_read"}"#) >= 1.0, "{text}");
    let promtool = ensure_promtool().expect("promtool");
    let check = run_with_timeout(
        Command::new(promtool).args(["check", "metrics"]),
        Some(text.as_bytes()),
        Duration::from_secs(30),
    )
    .expect("promtool runs");
    assert!(check.success() && check.stderr_text().trim().is_empty(), "promtool: {}\n{text}", check.describe());
    let other = curl(["-sS", "-o", "/dev/null", "-w", "%{http_code}", &format!("http://{maddr}/")]).expect("curl");
    assert_eq!(other.stdout_text(), "404");
}
