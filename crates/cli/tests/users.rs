//! `ftpkit passwd` and `ftpkit serve --users FILE`, end to end: users written with passwd, logins with curl and
//! with ftpkit's own client, a wrong password refused, rights enforced (a read-only user's STOR gets 550 and no
//! file appears), homes as roots, and an edited file seen by the next login while a session in progress goes on.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// `ftpkit passwd --file FILE ARGS` with `password` on standard input.
fn passwd(file: &Path, args: &[&str], password: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ftpkit"))
        .arg("passwd")
        .arg("--file")
        .arg(file)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ftpkit passwd starts");
    // A passwd that refuses its arguments exits without reading the password: the write may then meet a closed
    // pipe, which is not this helper's failure (the exit status tells).
    let _ = child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes());
    child.wait_with_output().expect("ftpkit passwd ends")
}

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A control connection logged in by hand, to keep a session open across an edit of the file.
struct Raw {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Raw {
    fn login(port: u16, user: &str, pass: &str) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut r = Raw { stream, reader };
        assert_eq!(r.code(), 220);
        assert_eq!(r.send(&format!("USER {user}")), 331);
        assert_eq!(r.send(&format!("PASS {pass}")), 230);
        r
    }
    /// The next reply's code (multi-line replies read to their end).
    fn code(&mut self) -> u16 {
        loop {
            let mut line = String::new();
            assert!(self.reader.read_line(&mut line).expect("reply") > 0, "connection closed");
            if line.as_bytes().get(3) == Some(&b' ') {
                return line[..3].parse().expect("code");
            }
        }
    }
    fn send(&mut self, line: &str) -> u16 {
        self.stream.write_all(format!("{line}\r\n").as_bytes()).expect("send");
        self.code()
    }
}

fn curl(args: &[&str]) -> ftpkit_interop::RunOutput {
    let mut all = vec!["-sS", "--max-time", "20"];
    all.extend_from_slice(args);
    ftpkit_interop::curl(all).expect("curl runs")
}

#[test]
fn passwd_writes_users_that_serve_authenticates_enforces_and_reloads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("alice")).expect("alice's home");
    std::fs::write(root.join("alice/hello.txt"), b"hello alice\n").expect("a file");
    std::fs::write(root.join("shared.txt"), b"shared\n").expect("a file");
    let file = dir.path().join("users");

    // passwd: a new file (mode 0600), two users, the password from standard input.
    ok(&passwd(&file, &["alice", "--home", "alice", "--rights", "read,write,mkdir"], "alice-pw-1"));
    ok(&passwd(&file, &["reader"], "reader-pw"));
    let text = std::fs::read_to_string(&file).expect("users file");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("alice:$argon2id$v=19$m=19456,t=2,p=1$") && lines[0].ends_with(":alice:read,write,mkdir")
    );
    assert!(lines[1].starts_with("reader:$argon2id$") && lines[1].ends_with("::read"), "a new user gets read only");
    assert!(!text.contains("alice-pw-1") && !text.contains("reader-pw"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777, 0o600);
    }
    // A bad rights list and a bad name are refused before anything is written.
    let bad = passwd(&file, &["carol", "--rights", "read,fly"], "x");
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("fly"));
    assert!(!passwd(&file, &["car ol"], "x").status.success());
    assert_eq!(std::fs::read_to_string(&file).expect("file"), text);

    let (mut child, port) =
        common::serve(&[], &root, &["--users", file.to_str().expect("utf-8 path"), "--no-anonymous"], &[], false);
    let url = |user: &str, pass: &str, path: &str| format!("ftp://{user}:{pass}@127.0.0.1:{port}{path}");

    // curl: alice lists her home (her root), downloads, uploads into it.
    let out = curl(&["--list-only", &url("alice", "alice-pw-1", "/")]);
    assert!(out.success(), "{}", out.describe());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hello.txt");
    let up = dir.path().join("up.txt");
    std::fs::write(&up, b"uploaded by alice\n").expect("upload source");
    let out = curl(&["-T", up.to_str().expect("path"), &url("alice", "alice-pw-1", "/up.txt")]);
    assert!(out.success(), "{}", out.describe());
    assert_eq!(std::fs::read(root.join("alice/up.txt")).expect("uploaded"), b"uploaded by alice\n");
    // A wrong password is refused (curl: 67, login denied).
    let out = curl(&["--list-only", &url("alice", "wrong", "/")]);
    assert_eq!(out.status.and_then(|s| s.code()), Some(67), "{}", out.describe());
    // The read-only user: downloads the whole root, STOR gets 550 and no file appears.
    let out = curl(&[&url("reader", "reader-pw", "/shared.txt")]);
    assert_eq!(out.stdout, b"shared\n", "{}", out.describe());
    let out = curl(&["-T", up.to_str().expect("path"), &url("reader", "reader-pw", "/nope.txt")]);
    assert!(!out.success() && String::from_utf8_lossy(&out.stderr).contains("550"), "{}", out.describe());
    assert!(!root.join("nope.txt").exists());

    // ftpkit's own client.
    let ls = Command::new(env!("CARGO_BIN_EXE_ftpkit"))
        .args(["ls", &url("alice", "alice-pw-1", "/")])
        .output()
        .expect("ftpkit ls runs");
    assert!(ls.status.success(), "{}", String::from_utf8_lossy(&ls.stderr));
    let listed = String::from_utf8_lossy(&ls.stdout);
    assert!(listed.contains("hello.txt") && listed.contains("up.txt"), "{listed}");
    let ls = Command::new(env!("CARGO_BIN_EXE_ftpkit"))
        .args(["ls", &url("alice", "wrong", "/")])
        .output()
        .expect("ftpkit ls runs");
    assert!(!ls.status.success());

    // A session logged in before the edit, and the edit: a new password for alice, write for reader.
    let mut before = Raw::login(port, "alice", "alice-pw-1");
    ok(&passwd(&file, &["alice"], "alice-pw-2"));
    ok(&passwd(&file, &["reader", "--rights", "read,write"], "reader-pw"));
    assert!(
        std::fs::read_to_string(&file).expect("file").contains(":alice:read,write,mkdir\n"),
        "home and rights kept"
    );
    let out = curl(&["--list-only", &url("alice", "alice-pw-1", "/")]);
    assert_eq!(out.status.and_then(|s| s.code()), Some(67), "the old password no longer works: {}", out.describe());
    let out = curl(&["--list-only", &url("alice", "alice-pw-2", "/")]);
    assert!(out.success(), "the new one does: {}", out.describe());
    let out = curl(&["-T", up.to_str().expect("path"), &url("reader", "reader-pw", "/now.txt")]);
    assert!(out.success(), "{}", out.describe());
    assert!(root.join("now.txt").exists());
    // The session from before goes on, as it was.
    assert_eq!(before.send("PWD"), 257);
    assert_eq!(before.send("MKD made"), 257);
    assert!(root.join("alice/made").is_dir());
    assert_eq!(before.send("QUIT"), 221);

    let _ = child.kill();
    let _ = child.wait();
}

/// A users file with a bad line: serve refuses to start and names the line.
#[test]
fn serve_refuses_a_bad_users_file_with_its_line_number() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("users");
    std::fs::write(
        &file,
        "# users\nalice:$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA::read\nbob:nohash::read\n",
    )
    .expect("file");
    let out = Command::new(env!("CARGO_BIN_EXE_ftpkit"))
        .args(["serve", "--bind", "127.0.0.1:0", "--users", file.to_str().expect("path")])
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("ftpkit serve runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("PHC"), "{err}");
}

/// `--max-failed-logins-per-ip 2`: two wrong passwords from 127.0.0.1 (two connections) and the right one is
/// refused with 421; from 127.0.0.2 the right one still logs in.
#[test]
fn failed_logins_per_address_are_refused_across_connections() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("users");
    ok(&passwd(&file, &["alice"], "right"));
    let (mut child, port) = common::serve(
        &[],
        dir.path(),
        &["--users", file.to_str().expect("path"), "--max-failed-logins-per-ip", "2", "--login-ban", "60"],
        &[],
        false,
    );
    for _ in 0..2 {
        let out = curl(&["--list-only", &format!("ftp://alice:wrong@127.0.0.1:{port}/")]);
        assert_eq!(out.status.and_then(|s| s.code()), Some(67), "{}", out.describe());
    }
    let out = curl(&["--list-only", &format!("ftp://alice:right@127.0.0.1:{port}/")]);
    assert!(!out.success(), "{}", out.describe());
    let out = curl(&["-v", "--list-only", &format!("ftp://alice:right@127.0.0.1:{port}/")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("< 421 Too many failed logins"), "{}", out.describe());
    let out = curl(&["--interface", "127.0.0.2", "--list-only", &format!("ftp://alice:right@127.0.0.1:{port}/")]);
    assert!(out.success(), "{}", out.describe());
    let _ = child.kill();
    let _ = child.wait();
}

/// Bandwidth limits from `serve --max-rate-up 1M` (each session) and from the users file (`passwd --max-rate-down
/// 1M`: the user's, shared by the user's sessions), measured with curl over 2 MiB: at least 1.8 s where a limit
/// applies (the bucket starts with a tenth of a second's worth), at most a generous 8 s; bob, without a download
/// limit, is not slowed.
#[test]
fn rate_limits_from_flags_and_from_the_users_file() {
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).expect("root");
    let two_mib: Vec<u8> = (0..2u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8).collect();
    std::fs::write(root.join("two.bin"), &two_mib).expect("file");
    std::fs::write(root.join("one.bin"), &two_mib[..1 << 20]).expect("file");
    let file = dir.path().join("users");
    ok(&passwd(&file, &["alice", "--max-rate-down", "1M"], "a"));
    ok(&passwd(&file, &["bob", "--rights", "all"], "b"));
    assert!(std::fs::read_to_string(&file).expect("file").contains("::read:1048576:\n"));
    let (mut child, port) =
        common::serve(&[], &root, &["--users", file.to_str().expect("path"), "--max-rate-up", "1M"], &[], false);
    let within = |t: Duration| t >= Duration::from_millis(1800) && t <= Duration::from_secs(8);

    let out = curl(&["-o", "/dev/null", &format!("ftp://alice:a@127.0.0.1:{port}/two.bin")]);
    assert!(out.success() && within(out.elapsed), "alice down: {:?} {}", out.elapsed, out.describe());
    let alice = out.elapsed;
    let out = curl(&["-o", "/dev/null", &format!("ftp://bob:b@127.0.0.1:{port}/two.bin")]);
    assert!(out.success() && out.elapsed < Duration::from_millis(1500), "bob down: {:?}", out.elapsed);
    let bob = out.elapsed;
    let up = dir.path().join("up.bin");
    std::fs::write(&up, &two_mib).expect("upload source");
    let out = curl(&["-T", up.to_str().expect("path"), &format!("ftp://bob:b@127.0.0.1:{port}/up.bin")]);
    assert!(out.success() && within(out.elapsed), "bob up: {:?} {}", out.elapsed, out.describe());
    assert_eq!(std::fs::read(root.join("up.bin")).expect("uploaded"), two_mib);
    // Two of alice's sessions at once share her 1 MiB/s: 2 x 1 MiB take as long as 2 MiB alone.
    let t0 = std::time::Instant::now();
    let both: Vec<_> = (0..2)
        .map(|_| {
            let url = format!("ftp://alice:a@127.0.0.1:{port}/one.bin");
            std::thread::spawn(move || curl(&["-o", "/dev/null", &url]))
        })
        .collect();
    for t in both {
        let out = t.join().expect("curl thread");
        assert!(out.success(), "{}", out.describe());
    }
    let shared = t0.elapsed();
    println!("2 MiB: alice (1 MiB/s) {alice:?}, bob (no limit) {bob:?}; alice's two 1 MiB at once {shared:?}");
    assert!(within(shared), "alice's two sessions together: {shared:?}");
    let _ = child.kill();
    let _ = child.wait();
}

/// Under TLS (`--require-tls`, curl `--ssl-reqd`, PROT P): `--max-rate-down 1M` paces the protected download too.
#[test]
fn rate_limits_apply_under_tls() {
    use std::time::Duration;
    let certs = ftpkit_interop::Certs::new().expect("certificates");
    let dir = tempfile::tempdir().expect("temp dir");
    let two_mib: Vec<u8> = (0..2u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 9) as u8).collect();
    std::fs::write(dir.path().join("two.bin"), &two_mib).expect("file");
    let (cert, key) = (certs.cert(), certs.key());
    let args = ["--user", "u:p", "--tls-cert", cert.to_str().expect("path"), "--tls-key", key.to_str().expect("path")];
    let (mut child, port) =
        common::serve(&[], dir.path(), &[&args[..], &["--require-tls", "--max-rate-down", "1M"]].concat(), &[], false);
    let got = dir.path().join("got.bin");
    let ca = certs.ca();
    let url = format!("ftp://u:p@127.0.0.1:{port}/two.bin");
    let out = curl(&["--ssl-reqd", "--cacert", ca.to_str().expect("path"), "-o", got.to_str().expect("path"), &url]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.success(), "{}", out.describe());
    assert!(std::fs::read(&got).expect("downloaded") == two_mib, "arrived whole");
    println!("2 MiB at 1 MiB/s under TLS: {:?}", out.elapsed);
    assert!(out.elapsed >= Duration::from_millis(1800) && out.elapsed <= Duration::from_secs(8), "{:?}", out.elapsed);
}
