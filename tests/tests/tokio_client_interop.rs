//! The tokio client (`ftpkit::tokio::Client`) against real servers: vsftpd, pure-ftpd, pyftpdlib and libunftp (with
//! unftp-sbe-fs), passive and active, on `127.0.0.1` and `::1` (libunftp has no EPRT: active on `::1` is its typed
//! `500`). Each test logs in, lists the tree (parsed: names, sizes, kinds, the big file's
//! date), downloads the multi-MiB `big.bin` (sha256 checked) and its tail (REST), reads SIZE and MDTM, uploads into
//! `upload/` (bytes checked on disk) by stream, resumes the upload (REST + STOR) and appends (APPE), renames,
//! deletes, makes and removes a folder, aborts a download and goes on, and quits. Writes go under `upload/` only:
//! vsftpd's anonymous user may write nowhere else.
//!
//! pure-ftpd, when `ABOR` comes while it is still sending, ends the transfer with a reply coded `150`
//! (`150 0.5 seconds (measured here), ...`) and then answers `ABOR` with `226`; the session counts a second 1xx
//! after ABOR as the transfer's answer, so the abort completes on all three servers.
//!
//! Each test starts its own server (fresh tree, fresh ports), so they run in parallel.

use std::fmt::Debug;
use std::time::Instant;

use ftpkit::client::{ClientMode, Options, TraceLine};
use ftpkit::proto::listing::EntryKind;
use ftpkit::tokio::Client;
use ftpkit_interop::{sha256_hex, Server, ServerOpts, Tree};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type TestResult = Result<(), String>;

/// 2024-02-29 23:59:00 UTC, `big.bin`'s mtime in the harness tree.
const BIG_MTIME: i64 = 1_709_251_140;

/// Prints the test's wall time when it ends (visible with `--nocapture`).
struct Timer(String, Instant);

impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("ftpkit-interop: test {} took {:.3} s", self.0, self.1.elapsed().as_secs_f64());
    }
}

/// The failure text: which server and step, why, the control exchange so far and the server's log.
struct Ctx<'a> {
    server: &'a Server,
    mode: ClientMode,
    trace: Arc<Mutex<Vec<String>>>,
}

impl Ctx<'_> {
    fn fail(&self, step: &str, why: impl Debug) -> String {
        let trace = self.trace.lock().map(|t| t.join("\n")).unwrap_or_default();
        format!(
            "{} on {} ({:?}): {step}: {why:?}\n=== control exchange ===\n{trace}\n=== server log ===\n{}",
            self.server.name(),
            self.server.addr(),
            self.mode,
            self.server.log()
        )
    }

    /// `r`, or the failure text for `step`.
    fn at<T, E: Debug>(&self, step: &str, r: Result<T, E>) -> Result<T, String> {
        r.map_err(|e| self.fail(step, e))
    }

    fn check(&self, step: &str, ok: bool, why: impl Debug) -> TestResult {
        if ok {
            Ok(())
        } else {
            Err(self.fail(step, why))
        }
    }
}

async fn exercise(server: Server, mode: ClientMode) -> TestResult {
    let _t = Timer(format!("tokio client {} {} {mode:?}", server.name(), server.addr()), Instant::now());
    let (lines, tracer) = ftpkit_interop::trace_recorder();
    let cx = Ctx { server: &server, mode, trace: Arc::clone(&lines) };
    let opts = Options { mode, trace: Some(tracer), ..Options::default() };
    let tree = server.tree();
    let big = tree.big();

    let mut c = cx.at("connect", Client::connect_with(server.addr(), opts).await)?;
    cx.at("login", c.login(server.user(), server.pass()).await)?;

    // The listing, parsed (MLSD where the server has it, LIST otherwise).
    let entries = cx.at("list", c.list(None).await)?;
    for name in Tree::ROOT_NAMES {
        cx.check("list", entries.iter().any(|e| e.name == name), format!("{name:?} missing from {entries:?}"))?;
    }
    for file in tree.files().iter().filter(|f| !f.path.contains('/')) {
        let e = entries.iter().find(|e| e.name == file.path.as_str());
        cx.check(
            "list sizes",
            e.is_some_and(|e| e.size == Some(file.len) && e.kind == EntryKind::File),
            format!("{}: want a {}-byte file, got {e:?}", file.path, file.len),
        )?;
    }
    let dir = entries.iter().find(|e| e.name == "subdir");
    cx.check("list kinds", dir.is_some_and(|e| e.kind == EntryKind::Dir), dir)?;
    let day = entries.iter().find(|e| e.name == Tree::BIG).and_then(|e| e.modified).map(|t| t.date());
    cx.check("list dates", day.is_some_and(|d| (d.year(), d.month(), d.day()) == (2024, 2, 29)), day)?;
    let sub = cx.at("list subdir", c.list(Some("subdir")).await)?;
    let nested = sub.iter().find(|e| e.name == "nested.txt");
    cx.check("list subdir", nested.is_some_and(|e| e.size == Some(13)), &sub)?;
    let names = cx.at("nlst", c.nlst(None).await)?;
    cx.check("nlst", names.iter().any(|n| n.trim_start_matches("./") == Tree::BIG), &names)?;

    // The big file, whole and its tail.
    let mut got = Vec::new();
    let n = cx.at("retrieve big.bin", c.retrieve_to(Tree::BIG, &mut got).await)?;
    cx.check(
        "retrieve big.bin",
        n == big.len && got.len() as u64 == big.len && sha256_hex(&got) == big.sha256,
        format!("got {n} bytes sha256 {}, want {} bytes sha256 {}", sha256_hex(&got), big.len, big.sha256),
    )?;
    let offset = big.len - 123_457;
    let mut tail = Vec::new();
    cx.at("retrieve_from big.bin", c.retrieve_from(Tree::BIG, offset, &mut tail).await)?;
    cx.check("retrieve_from big.bin", tail == got[got.len() - 123_457..], format!("{} bytes", tail.len()))?;
    let size = cx.at("size", c.size(Tree::BIG).await)?;
    cx.check("size", size == big.len, size)?;
    let t = cx.at("mdtm", c.mdtm(Tree::BIG).await)?;
    cx.check("mdtm", t.to_unix() == BIG_MTIME, t)?;

    abort_download(&cx, &mut c, &got).await?;

    // Uploads: a stream, a resumed upload, an append.
    let up = ftpkit_interop::binary_content(1_500_000, 0x2545_f491);
    let remote = "upload/tokio up.bin";
    let mut s = cx.at("store", c.store(remote).await)?;
    cx.at("store write", s.write_all(&up[..1_000_000]).await)?;
    cx.at("store finish", s.finish().await)?;
    let on_disk = cx.at("read back", tree.read(remote))?;
    cx.check("store", on_disk == up[..1_000_000], format!("{} bytes on disk", on_disk.len()))?;
    cx.at("store_at (REST + STOR)", c.store_at(remote, 1_000_000, &mut &up[1_000_000..]).await)?;
    let on_disk = cx.at("read back", tree.read(remote))?;
    cx.check("store_at", on_disk == up, format!("{} bytes on disk, sha256 {}", on_disk.len(), sha256_hex(&on_disk)))?;
    cx.at("append_from", c.append_from(remote, &mut &b"appended"[..]).await)?;
    let on_disk = cx.at("read back", tree.read(remote))?;
    cx.check("append_from", on_disk.len() == up.len() + 8 && on_disk.ends_with(b"appended"), on_disk.len())?;
    cx.at("store_from", c.store_from("upload/small.txt", &mut &b"small\r\n"[..]).await)?;
    cx.check("store_from", tree.read("upload/small.txt").ok().as_deref() == Some(&b"small\r\n"[..]), "content")?;

    // Names and folders.
    cx.at("rename", c.rename(remote, "upload/renamed.bin").await)?;
    cx.check("rename", tree.read("upload/renamed.bin").is_ok() && tree.read(remote).is_err(), "not moved on disk")?;
    cx.at("delete", c.delete("upload/renamed.bin").await)?;
    cx.at("delete", c.delete("upload/small.txt").await)?;
    cx.check("delete", tree.read("upload/renamed.bin").is_err(), "still on disk")?;
    cx.at("mkdir", c.mkdir("upload/newdir").await)?;
    cx.check("mkdir", tree.upload_dir().join("newdir").is_dir(), "no folder on disk")?;
    cx.at("cwd", c.cwd("upload/newdir").await)?;
    let pwd = cx.at("pwd", c.pwd().await)?;
    cx.check("pwd", pwd.ends_with("/upload/newdir"), &pwd)?;
    cx.at("cwd ..", c.cwd("../..").await)?;
    if server.name() == "libunftp" {
        // libunftp keeps the working directory as written (`257 "/upload/newdir/../.."`) and lets the file system
        // resolve the `..` on each use, which fails once `newdir` is removed: back to `/` by name (its quirk).
        cx.at("cwd /", c.cwd("/").await)?;
    }
    cx.at("rmdir", c.rmdir("upload/newdir").await)?;
    cx.check("rmdir", !tree.upload_dir().join("newdir").exists(), "folder still on disk")?;
    let left = cx.at("list upload", c.list(Some("upload")).await)?;
    cx.check("list upload", left.iter().all(|e| !matches!(e.kind, EntryKind::File | EntryKind::Dir)), &left)?;

    // A refusal is typed, and the session goes on.
    match c.retrieve_to("no such file", &mut Vec::new()).await {
        Err(ftpkit::client::Error::Transfer { reply: Some(r), .. }) if r.code.get() == 550 => {}
        other => return Err(cx.fail("retrieve a missing file", other)),
    }
    cx.at("noop", c.noop().await)?;
    cx.at("quit", c.quit().await)?;
    let trace = lines.lock().map(|t| t.clone()).unwrap_or_default();
    let verb = match (mode, server.addr().is_ipv6()) {
        (ClientMode::Passive, _) => "> EPSV",
        (ClientMode::Active, false) => "> PORT ",
        (ClientMode::Active, true) => "> EPRT ",
    };
    cx.check("data-connection mode", trace.iter().any(|l| l.starts_with(verb)), verb)?;
    Ok(())
}

/// An aborted download leaves the session usable.
async fn abort_download(cx: &Ctx<'_>, c: &mut Client, big: &[u8]) -> TestResult {
    let mut d = cx.at("retrieve (to abort)", c.retrieve(Tree::BIG).await)?;
    let mut first = vec![0u8; 10_000];
    cx.at("read (to abort)", d.read_exact(&mut first).await)?;
    cx.check("read (to abort)", first == big[..10_000], "other bytes")?;
    cx.at("abort", d.abort().await)?;
    cx.at("noop after abort", c.noop().await)?;
    let size = cx.at("size after abort", c.size(Tree::BIG).await)?;
    cx.check("size after abort", size == big.len() as u64, size)
}

/// Logs in and aborts a download, several times (the pure-ftpd form depends on timing).
async fn aborts_only(server: Server, mode: ClientMode) -> TestResult {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let cx = Ctx { server: &server, mode, trace: Arc::clone(&lines) };
    let opts = Options {
        mode,
        reply_timeout: std::time::Duration::from_secs(5),
        trace: Some(Arc::new(move |l: &TraceLine| {
            if let Ok(mut v) = sink.lock() {
                v.push(format!("{l:?}"));
            }
        })),
        ..Options::default()
    };
    let mut c = cx.at("connect", Client::connect_with(server.addr(), opts).await)?;
    cx.at("login", c.login(server.user(), server.pass()).await)?;
    let big = cx.at("read big.bin", server.tree().read(Tree::BIG))?;
    for _ in 0..5 {
        abort_download(&cx, &mut c, &big).await?;
    }
    Ok(())
}

/// A server without EPRT on IPv6: an active listing fails with its `500`, typed, and the session goes on passive.
async fn refuses_eprt(server: Server) -> TestResult {
    let cx = Ctx { server: &server, mode: ClientMode::Active, trace: Arc::new(Mutex::new(Vec::new())) };
    let opts = Options { mode: ClientMode::Active, ..Options::default() };
    let mut c = cx.at("connect", Client::connect_with(server.addr(), opts).await)?;
    cx.at("login", c.login(server.user(), server.pass()).await)?;
    match c.list(None).await {
        Err(ftpkit::client::Error::Transfer { reply: Some(r), .. }) if r.code.get() == 500 => {}
        other => return Err(cx.fail("active list on IPv6", other.map(|e| e.len()))),
    }
    c.set_mode(ClientMode::Passive);
    let entries = cx.at("passive list after", c.list(None).await)?;
    cx.check("passive list after", entries.iter().any(|e| e.name == Tree::BIG), entries.len())?;
    cx.at("quit", c.quit().await)
}

macro_rules! tokio_client_tests {
    ($module:ident, $launcher:expr) => {
        tokio_client_tests!($module, $launcher, ipv6_active: true);
    };
    ($module:ident, $launcher:expr, ipv6_active: $v6active:expr) => {
        mod $module {
            use super::*;

            async fn run(opts: ServerOpts, mode: ClientMode) -> TestResult {
                let server = $launcher(opts).map_err(|e| e.to_string())?;
                exercise(server, mode).await
            }

            #[tokio::test]
            async fn abort_download() -> TestResult {
                let server = $launcher(ServerOpts::default()).map_err(|e| e.to_string())?;
                aborts_only(server, ClientMode::Passive).await
            }

            #[tokio::test]
            async fn passive_ipv4() -> TestResult {
                run(ServerOpts::default(), ClientMode::Passive).await
            }

            #[tokio::test]
            async fn active_ipv4() -> TestResult {
                run(ServerOpts::default(), ClientMode::Active).await
            }

            #[tokio::test]
            async fn passive_ipv6() -> TestResult {
                run(ServerOpts::ipv6(), ClientMode::Passive).await
            }

            #[tokio::test]
            async fn active_ipv6() -> TestResult {
                if !$v6active {
                    // The server has no EPRT; the test says so rather than passing on nothing.
                    let server = $launcher(ServerOpts::ipv6()).map_err(|e| e.to_string())?;
                    return refuses_eprt(server).await;
                }
                run(ServerOpts::ipv6(), ClientMode::Active).await
            }
        }
    };
}

tokio_client_tests!(vsftpd, ftpkit_interop::Vsftpd::start);
tokio_client_tests!(pure_ftpd, ftpkit_interop::PureFtpd::start);
tokio_client_tests!(pyftpdlib, ftpkit_interop::Pyftpdlib::start);
// libunftp has no EPRT (`500 Command not implemented`): on IPv6, active mode fails with that reply.
tokio_client_tests!(libunftp, ftpkit_interop::Libunftp::start, ipv6_active: false);
