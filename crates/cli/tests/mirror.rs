//! `ftpkit mirror` as a user runs it, against the embedded server started in the test: download, the up-to-date
//! second run, dry run with `--delete`, upload, and the usage error.

use ftpkit::server::{Access, Server};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

struct TestServer {
    addr: SocketAddr,
    root: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn server() -> TestServer {
    let root = tempfile::tempdir().expect("temp dir");
    for (path, len) in [("tree/a.txt", 10usize), ("tree/sub/b.bin", 300_000), ("tree/sub/deeper/c", 0)] {
        let full = root.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(&full, (0..len).map(|i| (i % 251) as u8).collect::<Vec<_>>()).expect("write");
    }
    std::fs::create_dir(root.path().join("up")).expect("up");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let server = rt
        .block_on(
            Server::builder(root.path())
                .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                .user("bob", "pw", Access::ReadWrite)
                .build(),
        )
        .expect("server starts");
    let addr = server.local_addr().expect("addr");
    rt.spawn(server.run());
    TestServer { addr, root, _rt: rt }
}

fn ftpkit(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ftpkit")).current_dir(dir).args(args).output().expect("ftpkit runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn mirror_down_up_dry_run_and_usage() {
    let srv = server();
    let work = tempfile::tempdir().expect("work dir");
    let url = format!("ftp://bob:pw@{}/tree", srv.addr);

    let out = ftpkit(work.path(), &["mirror", &url, "copy", "-P", "2"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for line in
        ["mkdir sub", "mkdir sub/deeper", "get a.txt (10 B)", "get sub/b.bin (293.0 KiB)", "get sub/deeper/c (0 B)"]
    {
        assert!(stdout.lines().any(|l| l == line), "{line:?} missing in:\n{stdout}");
    }
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("3 files in source: 3 copied (0 resumed), 293.0 KiB in "), "{last}");
    assert!(
        last.ends_with("0 up to date; 2 directories made; 0 deleted; 3 verified (SHA-256), 0 not verifiable"),
        "{last}"
    );
    for f in ["a.txt", "sub/b.bin", "sub/deeper/c"] {
        let want = std::fs::read(srv.root.path().join("tree").join(f)).expect("served");
        assert_eq!(std::fs::read(work.path().join("copy").join(f)).expect("copied"), want, "{f}");
    }

    let again = ftpkit(work.path(), &["mirror", &url, "copy"]);
    let last = text(&again.stdout).lines().last().unwrap_or_default().to_owned();
    assert!(last.contains(" 0 copied ") && last.contains("3 up to date"), "{last}");

    std::fs::write(work.path().join("copy/extra"), b"x").expect("extra");
    let dry = ftpkit(work.path(), &["mirror", &url, "copy", "--delete", "--dry-run"]);
    assert_eq!(
        text(&dry.stdout),
        "would delete extra\ndry run: 3 files in source, 1 actions would be taken, 3 up to date\n"
    );
    assert!(work.path().join("copy/extra").exists());

    let up_url = format!("ftp://bob:pw@{}/up/tree", srv.addr);
    let up = ftpkit(work.path(), &["mirror", "-q", "--no-verify", "copy", &up_url]);
    let stdout = text(&up.stdout);
    assert!(up.status.success(), "{stdout}\n{}", text(&up.stderr));
    assert_eq!(stdout.lines().count(), 1, "-q prints the summary only: {stdout}");
    assert!(stdout.starts_with("4 files in source: 4 copied"), "{stdout}");
    assert!(stdout.contains("; 0 verified (SHA-256), 4 not verifiable (not verified: verification is off"), "{stdout}");
    assert_eq!(std::fs::read(srv.root.path().join("up/tree/sub/b.bin")).expect("uploaded").len(), 300_000);

    let bad = ftpkit(work.path(), &["mirror", "a", "b"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("one of SRC and DST must be an ftp:// URL"), "{}", text(&bad.stderr));
}
