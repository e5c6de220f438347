//! ftpkit's server on a back end that is not the local file system: [`MemoryStorage`], an in-memory store with an
//! object store's semantics (files appear whole when their upload finishes; no append, no writing from an offset;
//! rename by copy and delete). This runs the server's stream paths (not sendfile, not the temporary file) against
//! real clients: curl (EPSV, PASV, EPRT, PORT; FTPS), ftplib (passive and active), and checks the honest refusals.

use ftpkit::server::{Access, MemoryStorage, Server, TlsPolicy};
use ftpkit_interop::{curl, ftplib, sha256_hex, Certs};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

struct Running {
    addr: SocketAddr,
    store: MemoryStorage,
    _rt: tokio::runtime::Runtime,
}

fn start(certs: Option<&Certs>) -> Running {
    let store = MemoryStorage::new();
    store.put_dir("/pub").expect("mkdir");
    store.put("/pub/big.bin", content(5 * 1024 * 1024 + 3)).expect("put");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let empty = tempfile::tempdir().expect("temp dir");
    let mut b = Server::builder(empty.path())
        .bind("127.0.0.1:0".parse().expect("addr"))
        .user("u", "p", Access::ReadWrite)
        .data_timeout(Duration::from_secs(5))
        .active_source(ftpkit::server::ActiveSource::Ephemeral)
        .storage(Arc::new(store.clone()));
    if let Some(c) = certs {
        b = b.tls_pem(c.cert(), c.key()).tls_policy(TlsPolicy::required());
    }
    let server = rt.block_on(b.build()).expect("server starts");
    let addr = server.local_addr().expect("addr");
    rt.spawn(server.run());
    Running { addr, store, _rt: rt }
}

fn content(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

fn reply(r: &mut BufReader<TcpStream>) -> String {
    for _ in 0..32 {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return line;
        }
        if line.as_bytes().get(3) == Some(&b' ') {
            return line;
        }
    }
    String::new()
}

#[test]
fn curl_and_ftplib_move_files_byte_exact_through_the_stream_paths() {
    let s = start(None);
    let dir = tempfile::tempdir().expect("temp dir");
    let big = s.store.get("/pub/big.bin").expect("big");
    let want = sha256_hex(&big);
    let base = format!("ftp://127.0.0.1:{}", s.addr.port());
    for (mode, extra) in [
        ("epsv", &[][..]),
        ("pasv", &["--disable-epsv"][..]),
        ("eprt", &["-P", "127.0.0.1"][..]),
        ("port", &["-P", "127.0.0.1", "--disable-eprt"][..]),
    ] {
        let dst = dir.path().join(format!("{mode}.bin"));
        let mut args = vec!["-sS", "-u", "u:p", "-o", dst.to_str().unwrap_or_default()];
        args.extend_from_slice(extra);
        let url = format!("{base}/pub/big.bin");
        args.push(&url);
        let out = curl(&args).expect("curl");
        assert!(out.success(), "download {mode}: {}", out.describe());
        assert_eq!(sha256_hex(&std::fs::read(&dst).unwrap_or_default()), want, "download {mode}");
        // Upload it back under another name: it appears whole, byte-exact.
        let mut args = vec!["-sS", "-u", "u:p", "-T", dst.to_str().unwrap_or_default()];
        args.extend_from_slice(extra);
        let url = format!("{base}/pub/up-{mode}.bin");
        args.push(&url);
        let out = curl(&args).expect("curl");
        assert!(out.success(), "upload {mode}: {}", out.describe());
        let up = s.store.get(&format!("/pub/up-{mode}.bin")).expect("uploaded");
        assert_eq!(sha256_hex(&up), want, "upload {mode}");
    }
    // Resume a download (REST + RETR: a read from an offset).
    let part = dir.path().join("part.bin");
    std::fs::write(&part, &big[..1_000_003]).expect("part");
    let out =
        curl(["-sS", "-u", "u:p", "-C", "-", "-o", part.to_str().unwrap_or_default(), &format!("{base}/pub/big.bin")])
            .expect("curl");
    assert!(out.success(), "resume: {}", out.describe());
    assert_eq!(sha256_hex(&std::fs::read(&part).unwrap_or_default()), want, "resumed download");
    // A listing from the back end.
    let out = curl(["-sS", "-u", "u:p", "-l", &format!("{base}/pub/")]).expect("curl");
    let names: Vec<String> = out.stdout_text().lines().map(str::to_owned).collect();
    assert!(names.contains(&"big.bin".to_owned()) && names.contains(&"up-port.bin".to_owned()), "{names:?}");
    // ftplib, passive and active.
    let code = format!(
        r#"
import ftplib, hashlib, io
f = ftplib.FTP()
f.connect("127.0.0.1", {port}, timeout=20)
f.login("u", "p")
for pasv in (True, False):
    f.set_pasv(pasv)
    got = io.BytesIO()
    f.retrbinary("RETR pub/big.bin", got.write, 262144)
    assert hashlib.sha256(got.getvalue()).hexdigest() == {want:?}
    f.storbinary("STOR pub/py-%d.bin" % pasv, io.BytesIO(got.getvalue()))
    assert f.size("pub/py-%d.bin" % pasv) == len(got.getvalue())
print(sorted(f.nlst("pub")))
f.quit()
"#,
        port = s.addr.port()
    );
    let out = ftplib(&code).expect("python3");
    assert!(out.success(), "ftplib: {}", out.describe());
    for n in [0, 1] {
        assert_eq!(sha256_hex(&s.store.get(&format!("/pub/py-{n}.bin")).expect("py upload")), want);
    }
}

#[test]
fn what_the_back_end_cannot_do_is_refused_and_a_cut_off_upload_leaves_nothing() {
    let s = start(None);
    let ctrl = TcpStream::connect(s.addr).expect("connect");
    ctrl.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut r = BufReader::new(ctrl.try_clone().expect("clone"));
    let mut w = ctrl;
    assert!(reply(&mut r).starts_with("220 "));
    w.write_all(b"USER u\r\nPASS p\r\n").expect("login");
    assert!(reply(&mut r).starts_with("331 "));
    assert!(reply(&mut r).starts_with("230 "));
    let mut send = |line: &str| {
        w.write_all(format!("{line}\r\n").as_bytes()).expect("write");
        reply(&mut r)
    };
    assert!(send("EPSV").starts_with("229 "));
    assert!(send("APPE pub/big.bin").starts_with("502 "));
    assert!(send("REST 10").starts_with("350 "));
    assert!(send("STOR pub/big.bin").starts_with("504 "));
    assert!(send("RNFR pub/big.bin").starts_with("350 "));
    let renamed = send("RNTO pub/moved.bin");
    assert!(renamed.starts_with("250 ") && renamed.contains("not atomic"), "{renamed:?}");
    assert!(send("MKD pub/d").starts_with("257 "));
    assert!(send("RMD pub/d").starts_with("250 "));
    assert!(send("SIZE pub/moved.bin").starts_with("213 5242883"));
    // A STOR cut off by a reset: nothing appears under the name.
    let epsv = send("EPSV");
    let port: u16 = epsv.split('|').nth(3).and_then(|p| p.parse().ok()).expect("EPSV port");
    let data = TcpStream::connect((s.addr.ip(), port)).expect("data");
    let opened = send("STOR pub/cut.bin");
    assert!(opened.starts_with("150 ") || opened.starts_with("125 "), "{opened:?}");
    (&data).write_all(&[7u8; 100_000]).expect("some bytes");
    socket2::SockRef::from(&data).set_linger(Some(Duration::ZERO)).expect("linger");
    drop(data);
    let end = send("NOOP");
    assert!(end.starts_with("426 ") || end.starts_with("451 ") || end.starts_with("200 "), "{end:?}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(s.store.get("/pub/cut.bin").is_none(), "{:?}", s.store.paths());
}

#[test]
fn ftps_transfers_go_through_the_same_stream_paths() {
    let certs = Certs::new().expect("certs");
    let s = start(Some(&certs));
    let dir = tempfile::tempdir().expect("temp dir");
    let want = sha256_hex(&s.store.get("/pub/big.bin").expect("big"));
    let dst = dir.path().join("tls.bin");
    let ca = certs.ca();
    let base = format!("ftp://127.0.0.1:{}", s.addr.port());
    let tls = ["-sS", "--ssl-reqd", "--cacert", ca.to_str().unwrap_or_default(), "-u", "u:p"];
    let (src_url, up_url) = (format!("{base}/pub/big.bin"), format!("{base}/pub/tls-up.bin"));
    let down = [&tls[..], &["-o", dst.to_str().unwrap_or_default(), &src_url]].concat();
    let out = curl(&down).expect("curl");
    assert!(out.success(), "FTPS download: {}", out.describe());
    assert_eq!(sha256_hex(&std::fs::read(&dst).unwrap_or_default()), want);
    let up = [&tls[..], &["-T", dst.to_str().unwrap_or_default(), &up_url]].concat();
    let out = curl(&up).expect("curl");
    assert!(out.success(), "FTPS upload: {}", out.describe());
    assert_eq!(sha256_hex(&s.store.get("/pub/tls-up.bin").expect("uploaded")), want);
}
