//! `ftpkit ls|get|put` as a user runs them, against the embedded server started in the test, in both modes.

use ftpkit::server::{Access, Server};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An embedded server on 127.0.0.1 over a temporary tree: `a.txt`, `big.bin` (300 000 bytes), `pub/`.
/// Anonymous is read-only; `bob:pw` may write.
struct TestServer {
    addr: SocketAddr,
    root: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn big() -> Vec<u8> {
    // Not a multiple of any buffer size, and no repeating 256-byte period.
    (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

fn server() -> TestServer {
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::write(root.path().join("a.txt"), b"hello world\n").expect("a.txt");
    std::fs::write(root.path().join("big.bin"), big()).expect("big.bin");
    std::fs::create_dir(root.path().join("pub")).expect("pub");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let server = rt
        .block_on(
            Server::builder(root.path())
                .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                .anonymous(true)
                .user("bob", "pw", Access::ReadWrite)
                .build(),
        )
        .expect("server starts");
    let addr = server.local_addr().expect("addr");
    rt.spawn(server.run());
    TestServer { addr, root, _rt: rt }
}

impl TestServer {
    fn url(&self, path: &str) -> String {
        format!("ftp://{}/{path}", self.addr)
    }
    fn bob(&self, path: &str) -> String {
        format!("ftp://bob:pw@{}/{path}", self.addr)
    }
}

fn ftpkit(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ftpkit")).current_dir(dir).args(args).output().expect("ftpkit runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const MODES: [&str; 2] = ["--passive", "--active"];

#[test]
fn ls_lists_in_both_modes() {
    let srv = server();
    let cwd = tempfile::tempdir().expect("cwd");
    for mode in MODES {
        let out = ftpkit(cwd.path(), &["ls", mode, &srv.url("")]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
        assert_eq!(lines.len(), 3, "{mode}: {lines:?}");
        let names: Vec<&str> = lines.iter().map(|l| l.rsplit(' ').next().unwrap_or_default()).collect();
        assert_eq!(names, ["a.txt", "big.bin", "pub"], "{mode}");
        assert!(lines[1].starts_with("-       300000 "), "{mode}: {}", lines[1]);
        assert!(lines[2].starts_with("d "), "{mode}: {}", lines[2]);

        let out = ftpkit(cwd.path(), &["ls", "--json", mode, &srv.url("")]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let arr = v.as_array().expect("array");
        assert_eq!(arr.len(), 3);
        assert_eq!(
            (arr[0]["name"].as_str(), arr[0]["type"].as_str(), arr[0]["size"].as_u64()),
            (Some("a.txt"), Some("file"), Some(12))
        );
        assert_eq!(arr[2]["type"], "dir");
    }
    // A sub-directory, and an empty one.
    let out = ftpkit(cwd.path(), &["ls", &srv.url("pub")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn trace_shows_the_exchange_and_the_numbered_steps() {
    let srv = server();
    let cwd = tempfile::tempdir().expect("cwd");
    let port = srv.addr.port();

    let out = ftpkit(cwd.path(), &["ls", "--passive", "--trace", &srv.url("")]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert_eq!(text(&out.stdout).lines().count(), 3, "the listing stays on stdout");
    assert!(err.lines().any(|l| l == "---> EPSV"), "{err}");
    assert!(err.lines().any(|l| l == "---> PASS XXXX"), "the password is masked: {err}");
    assert!(err.lines().any(|l| l == "211 End"), "multi-line replies, whole lines: {err}");
    let epsv: u16 = err
        .lines()
        .find_map(|l| l.strip_prefix("229 Entering Extended Passive Mode (|||")?.strip_suffix("|)")?.parse().ok())
        .expect("a 229 line");
    assert!(err.contains("data connection 1 (passive, 229 on line"), "{err}");
    assert!(err.contains(&format!("  2. server 127.0.0.1:{port} -> client 127.0.0.1:")), "{err}");
    assert!(
        err.contains(&format!(
            " -> server 127.0.0.1:{epsv}: the client opens the data connection to the server's announced port [new \
             inbound connection at the server's firewall]"
        )),
        "{err}"
    );

    let out = ftpkit(cwd.path(), &["ls", "--active", "--trace", &srv.url("")]);
    assert!(out.status.success());
    let err = text(&out.stderr);
    let port_arg = err.lines().find_map(|l| l.strip_prefix("---> PORT ")).expect("a PORT line");
    let n: Vec<u16> = port_arg.split(',').map(|x| x.parse().expect("number")).collect();
    assert_eq!(&n[..4], [127, 0, 0, 1]);
    let data_port = n[4] * 256 + n[5];
    assert!(err.contains("data connection 1 (active, PORT on line"), "{err}");
    assert!(err.contains(&format!("the client sends PORT naming its data port {data_port}")), "{err}");
    assert!(
        err.contains(&format!(
            " -> client 127.0.0.1:{data_port}: the server opens the data connection from its data port to the \
             client's [new inbound connection at the client's firewall]"
        )),
        "{err}"
    );
    assert!(!err.contains("N (> 1023)"), "every port is the session's real one: {err}");
}

#[test]
fn get_downloads_in_both_modes_without_leaving_a_part_file() {
    let srv = server();
    for mode in MODES {
        let cwd = tempfile::tempdir().expect("cwd");
        let out = ftpkit(cwd.path(), &["get", mode, &srv.url("big.bin")]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        assert_eq!(std::fs::read(cwd.path().join("big.bin")).expect("big.bin"), big(), "{mode}");
        assert_eq!(text(&out.stderr), "", "{mode}: no progress bar when stderr is not a terminal");
        assert_eq!(files_in(cwd.path()), ["big.bin"], "{mode}");

        let out = ftpkit(cwd.path(), &["get", mode, "-o", "copy.txt", &srv.url("a.txt")]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        assert_eq!(std::fs::read(cwd.path().join("copy.txt")).expect("copy"), b"hello world\n");

        let out = ftpkit(cwd.path(), &["get", mode, "-o", "-", &srv.url("a.txt")]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        assert_eq!(out.stdout, b"hello world\n", "{mode}: -o - writes to stdout");
        assert_eq!(files_in(cwd.path()), ["big.bin", "copy.txt"], "{mode}");
    }
}

#[test]
fn get_of_a_missing_file_fails_clearly_and_leaves_nothing() {
    let srv = server();
    for mode in MODES {
        let cwd = tempfile::tempdir().expect("cwd");
        for extra in [&[][..], &["--resume"][..]] {
            let url = srv.url("missing.txt");
            let mut args = vec!["get", mode];
            args.extend_from_slice(extra);
            args.push(&url);
            let out = ftpkit(cwd.path(), &args);
            assert_eq!(out.status.code(), Some(1), "{mode} {extra:?}");
            let err = text(&out.stderr);
            assert_eq!(
                err.trim_end(),
                "ftpkit: download of \"missing.txt\": transfer failed (Refused): 550 No such file or directory.",
                "{mode} {extra:?}"
            );
            assert!(files_in(cwd.path()).is_empty(), "{mode} {extra:?}: {:?}", files_in(cwd.path()));
        }
    }
}

#[test]
fn get_resume_continues_a_part_file() {
    let srv = server();
    let cwd = tempfile::tempdir().expect("cwd");
    let whole = big();
    std::fs::write(cwd.path().join("big.bin.part"), &whole[..123_457]).expect("part");
    let out = ftpkit(cwd.path(), &["get", "--resume", "--trace", &srv.url("big.bin")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).lines().any(|l| l == "---> REST 123457"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(cwd.path().join("big.bin")).expect("big.bin"), whole);
    assert_eq!(files_in(cwd.path()), ["big.bin"]);

    // A part file longer than the remote file is not a partial download of it: refused, kept.
    std::fs::write(cwd.path().join("a.txt.part"), b"this is longer than twelve bytes").expect("part");
    let out = ftpkit(cwd.path(), &["get", "--resume", &srv.url("a.txt")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("a.txt.part holds 32 bytes, more than the remote file's 12"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(files_in(cwd.path()), ["a.txt.part", "big.bin"]);

    // Without --resume an old part file is started over.
    let out = ftpkit(cwd.path(), &["get", &srv.url("a.txt")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(cwd.path().join("a.txt")).expect("a.txt"), b"hello world\n");
    assert_eq!(files_in(cwd.path()), ["a.txt", "big.bin"]);
}

#[test]
fn put_then_get_round_trips_in_both_modes() {
    let srv = server();
    let cwd = tempfile::tempdir().expect("cwd");
    let payload: Vec<u8> = (0..70_001u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(cwd.path().join("up.bin"), &payload).expect("up.bin");
    for mode in MODES {
        let name = format!("up{mode}.bin");
        let out = ftpkit(cwd.path(), &["put", mode, "--trace", "up.bin", &srv.bob(&format!("pub/{name}"))]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.lines().any(|l| l == format!("---> STOR pub/{name}")), "{err}");
        assert!(err.contains("data connection 1 ("), "{err}");
        let served: PathBuf = srv.root.path().join("pub").join(&name);
        assert_eq!(std::fs::read(&served).expect("uploaded"), payload, "{mode}");

        let out = ftpkit(cwd.path(), &["get", mode, "-o", "back.bin", &srv.bob(&format!("pub/{name}"))]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        assert_eq!(std::fs::read(cwd.path().join("back.bin")).expect("back"), payload, "{mode}");
    }
    // A URL ending in / takes the local file's name.
    let out = ftpkit(cwd.path(), &["put", "up.bin", &srv.bob("pub/")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(srv.root.path().join("pub/up.bin")).expect("uploaded"), payload);
}

#[test]
fn errors_are_clear_and_non_zero() {
    let srv = server();
    let cwd = tempfile::tempdir().expect("cwd");
    std::fs::write(cwd.path().join("f"), b"x").expect("f");
    let table: [(Vec<String>, i32, String); 6] = [
        (
            vec!["put".into(), "f".into(), srv.url("f")],
            1,
            "ftpkit: upload of f to \"f\": transfer failed (Refused): 550 Permission denied: read-only session.".into(),
        ),
        (
            vec!["ls".into(), format!("ftp://bob:nope@{}/", srv.addr)],
            1,
            format!("ftpkit: login as \"bob\" on {} failed: login refused: 530 Login incorrect.", srv.addr),
        ),
        (
            vec!["get".into(), srv.url("")],
            2,
            "ftpkit: the URL names no file (its path is empty or ends in /); give \
                                                one, or -o FILE"
                .into(),
        ),
        (
            vec!["ls".into(), "http://x/".into()],
            2,
            "ftpkit: bad URL: URL \"http://x/\" does not start with ftp://".into(),
        ),
        (
            vec!["get".into(), "ftp://127.0.0.1/a%0d%0aDELE%20x".into()],
            2,
            "ftpkit: bad URL: path: decodes to a CR, LF or NUL byte, which cannot be sent in an FTP command".into(),
        ),
        (vec!["put".into(), "nonexistent".into(), srv.bob("")], 1, "ftpkit: cannot open nonexistent: ".into()),
    ];
    for (args, code, want) in table {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ftpkit(cwd.path(), &args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.starts_with(&want), "{args:?}: got {err:?}, want {want:?}");
    }
    assert_eq!(files_in(cwd.path()), ["f"]);
}

/// `-o` naming something that is not a regular file (here a FIFO; /dev/null is the common case) is written into,
/// never replaced by a renamed temporary file. A FIFO in a temporary folder keeps a regression from touching a real
/// device.
#[test]
fn get_into_a_fifo_writes_through_and_keeps_the_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let srv = server();
    let cwd = tempfile::tempdir().expect("cwd");
    let fifo = cwd.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).expect("read the fifo"))
    };
    let out = ftpkit(cwd.path(), &["get", "-o", "pipe", &srv.url("big.bin")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Checked before joining: a replaced FIFO would leave the reader blocked for ever.
    assert!(std::fs::metadata(&fifo).expect("still there").file_type().is_fifo(), "the FIFO was replaced");
    assert_eq!(reader.join().expect("reader"), big());
    assert_eq!(files_in(cwd.path()), ["pipe"], "no .part file");

    // --resume into something that is not a regular file is refused.
    let out = ftpkit(cwd.path(), &["get", "--resume", "-o", "pipe", &srv.url("a.txt")]);
    assert!(!out.status.success());
    assert!(std::fs::metadata(&fifo).expect("still there").file_type().is_fifo());
}

#[test]
fn encoding_sends_opts_utf8_only_in_utf8_and_refuses_names_latin1_cannot_write() {
    let srv = server();
    let cwd = tempfile::tempdir().expect("cwd");
    // ftpkit's server lists UTF8 in FEAT: the default UTF-8 client confirms it with OPTS UTF8 ON.
    let out = ftpkit(cwd.path(), &["ls", "--trace", &srv.url("")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("OPTS UTF8 ON"), "{err}");
    // In Latin-1 the client leaves the server in its own mode, and the listing is the same.
    let out = ftpkit(cwd.path(), &["ls", "--trace", "--encoding", "latin1", &srv.url("")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("OPTS UTF8"), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 3);
    // A name Latin-1 has no byte for: a clear error, non-zero, and no RETR on the wire.
    let out = ftpkit(cwd.path(), &["get", "--trace", "--encoding", "latin1", &srv.url("%E2%82%AC.txt")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("cannot be written in ISO-8859-1"), "{err}");
    assert!(!err.contains("RETR"), "{err}");
    assert_eq!(files_in(cwd.path()), Vec::<String>::new());
    // An unknown encoding is refused by the command line.
    let out = ftpkit(cwd.path(), &["ls", "--encoding", "cp1252", &srv.url("")]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("use utf8 (UTF-8) or latin1 (ISO-8859-1)"));
}
