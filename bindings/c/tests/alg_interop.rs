//! The C example `alg` (a userspace FTP ALG) between real clients and real servers: curl in its four modes (EPSV,
//! PASV, EPRT, PORT) and ftpkit's blocking client (passive, active), through `alg`, to ftpkit's own server and to
//! vsftpd. Downloads and uploads must be byte-exact, and alg's log must show that it rewrote each form (so the
//! traffic really crossed it).
//!
//! `bindings/c/tests/run.sh` (run by `cargo xtask c`) compiles `examples/alg.c` against the installed library and
//! runs this test with `FTPKIT_C_ALG` naming the binary: it is `#[ignore]`d in a plain `cargo test` because the
//! binary is built by that script, not by cargo.

use ftpkit::blocking::Client;
use ftpkit::client::ClientMode as Mode;
use ftpkit_interop::{curl, sha256_hex, FtpkitOpts, FtpkitServer, ServerOpts, Vsftpd};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `alg` process, killed on drop; its stderr lines are collected.
struct Alg {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Alg {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Alg {
    fn start(server: SocketAddr) -> Alg {
        let bin = std::env::var_os("FTPKIT_C_ALG").map(PathBuf::from).expect(
            "FTPKIT_C_ALG must name the compiled examples/alg.c (run bindings/c/tests/run.sh or cargo xtask c)",
        );
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0);
            let mut child = Command::new(&bin)
                .args([port.to_string(), server.ip().to_string(), server.port().to_string()])
                .stderr(Stdio::piped())
                .spawn()
                .expect("alg starts");
            let log = Arc::new(Mutex::new(Vec::new()));
            let stderr = child.stderr.take().expect("piped stderr");
            let sink = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    eprintln!("{line}");
                    sink.lock().expect("log lock").push(line);
                }
            });
            let alg = Alg { child, port, log };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    // That probe was a session of its own: alg serves sessions one at a time, and ends this one
                    // when the server's greeting finds the client gone.
                    std::thread::sleep(Duration::from_millis(100));
                    return alg;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("alg did not start listening");
    }

    fn url(&self, path: &str) -> String {
        format!("ftp://127.0.0.1:{}/{path}", self.port)
    }

    fn log_has(&self, prefix: &str) -> bool {
        self.log.lock().expect("log lock").iter().any(|l| l.starts_with(prefix))
    }
}

const CURL_MODES: [(&str, &[&str], &str); 4] = [
    ("EPSV", &[], "alg: 229 "),
    ("PASV", &["--disable-epsv"], "alg: 227 "),
    ("EPRT", &["-P", "127.0.0.1"], "alg: EPRT "),
    ("PORT", &["-P", "127.0.0.1", "--disable-eprt"], "alg: PORT "),
];

/// Runs every client in every mode through alg to one server.
fn through_alg(server: SocketAddr, userpass: &str, user: &str, pass: &str, root: &Path, big_sha: &str) {
    let alg = Alg::start(server);
    let tmp = tempfile_dir();
    let upload_src = root.join("big.bin");
    let big = std::fs::read(&upload_src).expect("big.bin");
    for (name, flags, log_line) in CURL_MODES {
        let got = tmp.join(format!("curl-{name}.bin"));
        let mut args: Vec<String> = vec!["-sS".into(), "--max-time".into(), "30".into(), "-u".into(), userpass.into()];
        args.extend(flags.iter().map(|s| s.to_string()));
        args.extend([alg.url("big.bin"), "-o".into(), got.display().to_string()]);
        let out = curl(&args).expect("curl runs");
        assert!(
            out.status.is_some_and(|s| s.success()),
            "curl {name} download: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(sha256_hex(&std::fs::read(&got).expect("downloaded")), big_sha, "curl {name}: download differs");
        let remote = format!("upload/curl-{name}.bin");
        let mut args: Vec<String> = vec!["-sS".into(), "--max-time".into(), "30".into(), "-u".into(), userpass.into()];
        args.extend(flags.iter().map(|s| s.to_string()));
        args.extend(["-T".into(), upload_src.display().to_string(), alg.url(&remote)]);
        let out = curl(&args).expect("curl runs");
        assert!(
            out.status.is_some_and(|s| s.success()),
            "curl {name} upload: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(std::fs::read(root.join(&remote)).expect("uploaded") == big, "curl {name}: upload differs");
        assert!(alg.log_has(log_line), "alg did not rewrite for curl {name}: {:?}", alg.log.lock().expect("lock"));
    }
    for mode in [Mode::Passive, Mode::Active] {
        let mut c = Client::connect(("127.0.0.1", alg.port)).expect("ftpkit client connects through alg");
        c.set_mode(mode);
        c.login(user, pass).expect("login through alg");
        let mut got = Vec::new();
        c.retrieve_to("big.bin", &mut got).expect("ftpkit client download through alg");
        assert_eq!(sha256_hex(&got), big_sha, "ftpkit {mode:?}: download differs");
        let remote = format!("upload/ftpkit-{mode:?}.bin");
        c.store_from(&remote, &mut big.as_slice()).expect("ftpkit client upload through alg");
        c.quit().expect("quit");
        // The server may finish writing the file just after 226 reached the client through alg.
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::read(root.join(&remote)).map(|b| b != big).unwrap_or(true) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(std::fs::read(root.join(&remote)).expect("uploaded") == big, "ftpkit {mode:?}: upload differs");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ftpkit-alg-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
#[ignore = "needs the alg binary built by bindings/c/tests/run.sh (cargo xtask c), which runs it"]
fn alg_to_ftpkit_server() {
    let server = FtpkitServer::start(FtpkitOpts::default()).expect("ftpkit server");
    let big = server.tree().file("big.bin").expect("big.bin").sha256.clone();
    through_alg(server.addr(), &server.userpass(), server.user(), server.pass(), server.root(), &big);
}

#[test]
#[ignore = "needs the alg binary built by bindings/c/tests/run.sh (cargo xtask c), which runs it"]
fn alg_to_vsftpd() {
    let server = Vsftpd::start(ServerOpts::default()).expect("vsftpd");
    let big = server.tree().file("big.bin").expect("big.bin").sha256.clone();
    let (user, pass) = (server.user().to_owned(), server.pass().to_owned());
    through_alg(server.addr(), &server.userpass(), &user, &pass, server.root(), &big);
}
