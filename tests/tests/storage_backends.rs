//! ftpkit's server on back ends that are not the local file system, each test run on both: [`MemoryStorage`] (an
//! in-memory store with an object store's semantics) and [`S3Storage`] against a real S3-compatible store
//! (SeaweedFS, installed when missing, on loopback; 64 MiB files). Files appear whole when their upload finishes;
//! no append and no writing from an offset (502/504); rename by copy and delete. This runs the server's stream paths
//! (not sendfile, not the temporary file) against real clients: curl (EPSV, PASV, EPRT, PORT; resume; FTPS), ftplib
//! (passive and active), and a STOR cut off by a reset.

use ftpkit::server::fs::WriteMode;
use ftpkit::server::storage::{ReadStream, WriteStream};
use ftpkit::server::{Access, MemoryStorage, S3Config, S3Storage, Server, Storage, TlsPolicy};
use ftpkit_interop::seaweed::SeaweedFs;
use ftpkit_interop::{curl, ftplib, read_reply, sha256_hex, Certs};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

struct Running {
    addr: SocketAddr,
    storage: Arc<dyn Storage>,
    rt: tokio::runtime::Runtime,
    big_len: usize,
}

/// The back ends under test.
#[derive(Debug, Clone, Copy)]
enum Backend<'a> {
    Memory,
    /// SeaweedFS, and the key prefix the server's `/` is.
    S3(&'a SeaweedFs, &'a str),
}

fn start(backend: Backend<'_>, certs: Option<&Certs>) -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (storage, big_len): (Arc<dyn Storage>, usize) = match backend {
        Backend::Memory => (Arc::new(MemoryStorage::new()), 5 * 1024 * 1024 + 3),
        Backend::S3(sw, prefix) => {
            let config = S3Config {
                bucket: sw.bucket.clone(),
                prefix: format!("srv/{prefix}"),
                endpoint: Some(sw.endpoint.clone()),
                region: None,
                access_key_id: sw.access_key.clone(),
                secret_access_key: sw.secret_key.clone(),
                session_token: None,
            };
            let storage = S3Storage::new(&config).expect("S3 back end");
            // Ready when a listing of the root goes through (the store takes a moment after its port opens).
            let t0 = std::time::Instant::now();
            while rt.block_on(async { storage.list("/").await?.collect().await }).is_err() {
                assert!(t0.elapsed() < Duration::from_secs(60), "SeaweedFS never answered\n{}", sw.log());
                std::thread::sleep(Duration::from_millis(200));
            }
            (Arc::new(storage), 64 * 1024 * 1024 + 3)
        }
    };
    rt.block_on(async {
        storage.mkdir("/pub").await.expect("mkdir /pub");
        put(storage.as_ref(), "/pub/big.bin", &content(big_len)).await;
    });
    let empty = tempfile::tempdir().expect("temp dir");
    let mut b = Server::builder(empty.path())
        .bind("127.0.0.1:0".parse().expect("addr"))
        .user("u", "p", Access::ReadWrite)
        .data_timeout(Duration::from_secs(10))
        .active_source(ftpkit::server::ActiveSource::Ephemeral)
        .storage(storage.clone());
    if let Some(c) = certs {
        b = b.tls_pem(c.cert(), c.key()).tls_policy(TlsPolicy::required());
    }
    let server = rt.block_on(b.build()).expect("server starts");
    let addr = server.local_addr().expect("addr");
    rt.spawn(server.run());
    Running { addr, storage, rt, big_len }
}

/// Writes a whole file through the back end's own upload path.
async fn put(storage: &dyn Storage, path: &str, data: &[u8]) {
    match storage.write(path, WriteMode::Replace).await.expect("write") {
        WriteStream::Sink(mut sink) => {
            for chunk in data.chunks(1 << 20) {
                sink.write(chunk).await.expect("write chunk");
            }
            sink.finish().await.expect("finish");
        }
        WriteStream::File(mut up) => {
            std::io::Write::write_all(up.file().expect("file"), data).expect("write");
            up.commit().expect("commit");
        }
    }
}

impl Running {
    /// A file's bytes read back through the back end, if it exists.
    fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.rt.block_on(async {
            let mut out = Vec::new();
            match self.storage.read(path, 0).await.ok()? {
                ReadStream::Stream(mut r) => {
                    r.read_to_end(&mut out).await.ok()?;
                }
                ReadStream::File(mut f) => {
                    std::io::Read::read_to_end(&mut f, &mut out).ok()?;
                }
            }
            Some(out)
        })
    }
}

fn content(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

#[test]
fn memory_transfers_refusals_and_ftps() {
    transfers(&start(Backend::Memory, None));
    refusals(&start(Backend::Memory, None));
    let certs = Certs::new().expect("certs");
    ftps(&start(Backend::Memory, Some(&certs)), &certs);
}

/// One SeaweedFS for the three (it opens fixed side ports, so two at once could collide); each server gets its own
/// prefix in the bucket.
#[test]
fn s3_transfers_refusals_and_ftps() {
    let sw = SeaweedFs::start("ftpkit").expect("SeaweedFS starts");
    transfers(&start(Backend::S3(&sw, "a"), None));
    refusals(&start(Backend::S3(&sw, "b"), None));
    let certs = Certs::new().expect("certs");
    ftps(&start(Backend::S3(&sw, "c"), Some(&certs)), &certs);
}

/// Down and up in every mode with curl, a resumed download, a listing, ftplib both modes: byte-exact.
fn transfers(s: &Running) {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = s.get("/pub/big.bin").expect("big");
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
        let up = s.get(&format!("/pub/up-{mode}.bin")).expect("uploaded");
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
        assert_eq!(sha256_hex(&s.get(&format!("/pub/py-{n}.bin")).expect("py upload")), want);
    }
}

/// APPE 502, REST+STOR 504, a rename that says it is not atomic, MKD/RMD/SIZE; a STOR cut off by a reset leaves
/// nothing under its name.
fn refusals(s: &Running) {
    let ctrl = TcpStream::connect(s.addr).expect("connect");
    ctrl.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut r = BufReader::new(ctrl.try_clone().expect("clone"));
    let mut w = ctrl;
    assert!(read_reply(&mut r).starts_with("220 "));
    w.write_all(b"USER u\r\nPASS p\r\n").expect("login");
    assert!(read_reply(&mut r).starts_with("331 "));
    assert!(read_reply(&mut r).starts_with("230 "));
    let mut send = |line: &str| {
        w.write_all(format!("{line}\r\n").as_bytes()).expect("write");
        read_reply(&mut r)
    };
    assert!(send("EPSV").starts_with("229 "));
    assert!(send("APPE pub/big.bin").starts_with("502 "));
    assert!(send("REST 10").starts_with("350 "));
    assert!(send("STOR pub/big.bin").starts_with("504 "));
    assert!(send("RNFR pub/big.bin").starts_with("350 "));
    let renamed = send("RNTO pub/moved.bin");
    assert!(renamed.starts_with("250 ") && renamed.contains("not atomic"), "{renamed:?}");
    assert!(send("MKD pub/d").starts_with("257 "));
    // A directory is not renamed on an object store: 504 at RNFR, saying why.
    let refused = send("RNFR pub/d");
    assert!(refused.starts_with("504 ") && refused.contains("directory"), "{refused:?}");
    assert!(send("RNTO pub/e").starts_with("503 "));
    assert!(send("RMD pub/d").starts_with("250 "));
    assert_eq!(send("SIZE pub/moved.bin").trim_end(), format!("213 {}", s.big_len));
    // The commands beyond transfers, honest about what the back end can do: no Unix permissions here (502), MFMT
    // only where times can be set (memory yes, S3 no), HASH over the back end's stream.
    assert!(send("SITE CHMOD 644 pub/moved.bin").starts_with("502 "));
    let mfmt = send("MFMT 20200229123456 pub/moved.bin");
    if s.storage.capabilities().set_mtime {
        assert_eq!(mfmt.trim_end(), "213 Modify=20200229123456; pub/moved.bin");
        assert_eq!(send("MDTM pub/moved.bin").trim_end(), "213 20200229123456");
    } else {
        assert!(mfmt.starts_with("502 "), "{mfmt:?}");
    }
    let want = format!("213 SHA-256 0-{} {} pub/moved.bin", s.big_len, ftpkit_interop::sha256_hex(&content(s.big_len)));
    assert_eq!(send("HASH pub/moved.bin").trim_end(), want);
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
    assert!(s.get("/pub/cut.bin").is_none(), "a cut-off upload appeared");
}

/// FTPS down and up (the stream path under TLS).
fn ftps(s: &Running, certs: &Certs) {
    let dir = tempfile::tempdir().expect("temp dir");
    let want = sha256_hex(&s.get("/pub/big.bin").expect("big"));
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
    assert_eq!(sha256_hex(&s.get("/pub/tls-up.bin").expect("uploaded")), want);
}
