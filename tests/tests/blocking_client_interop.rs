//! ftpkit's blocking client against real servers: vsftpd, pure-ftpd, pyftpdlib and libunftp (with unftp-sbe-fs),
//! passive and active, on 127.0.0.1 and on `::1` (libunftp: passive only there, it has no EPRT).
//!
//! Every test starts its own server (fresh tree, free ports) and runs one session through the whole client API:
//! login, parsed listing (names, sizes, the symlink), `big.bin` down with its sha256, resumed download
//! (`retrieve_from`), upload compared on disk, resumed upload (`store_at`, REST + STOR), SIZE, MDTM, rename, delete,
//! mkdir/cwd/pwd/rmdir, refusals typed, QUIT. vsftpd's anonymous login writes only under `upload/`, so every write
//! goes there for all three servers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ftpkit::blocking::Client;
use ftpkit::client::{ClientMode, Error as ClientError, Options, TraceLine};
use ftpkit::proto::listing::{Entry, EntryKind};
use ftpkit_interop::{sha256_hex, Server, ServerOpts, Tree};

type TestResult = Result<(), String>;

/// 2023-03-14 15:09:26 UTC: the tree's small files' mtime.
const OLD_MTIME: i64 = 1_678_806_566;

/// Prints the test's wall time when it ends (visible with `--nocapture`).
struct Timer(String, Instant);

impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("blocking_client_interop: test {} took {:.3} s", self.0, self.1.elapsed().as_secs_f64());
    }
}

/// How a server lists `link-to-readme` (10 bytes, pointing to the 48-byte `readme.txt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkForm {
    /// LIST (vsftpd has no MLSD): an `l` line with ` -> readme.txt`.
    ListArrow,
    /// MLSD `type=OS.unix=slink:` without the target (pure-ftpd).
    MlsdSlink,
    /// MLSD of what the link points to, `type=file;size=48` (pyftpdlib follows links).
    Followed,
    /// MLSD `type=file;size=10`: the link's own size (its target's name, `readme.txt`) under the type `file`
    /// (libunftp's unftp-sbe-fs: a quirk; downloading it gives the target's 48 bytes).
    LinkSizeAsFile,
}

/// One session's context for failure messages: the server, and the control lines the client saw.
struct Ctx<'a> {
    server: &'a Server,
    mode: ClientMode,
    link: LinkForm,
    trace: Arc<Mutex<Vec<String>>>,
}

impl Ctx<'_> {
    fn trace_text(&self) -> String {
        self.trace.lock().map(|t| t.join("\n")).unwrap_or_default()
    }

    fn fail(&self, step: &str, why: impl std::fmt::Display) -> String {
        format!(
            "{} on {} ({:?}): {step}: {why}\n=== client trace ===\n{}\n=== server log ===\n{}",
            self.server.name(),
            self.server.addr(),
            self.mode,
            self.trace_text(),
            self.server.log()
        )
    }

    /// Maps a client error to a failure message naming the step.
    fn step<T>(&self, step: &str, r: Result<T, ClientError>) -> Result<T, String> {
        r.map_err(|e| self.fail(step, e))
    }

    fn expect<T: PartialEq + std::fmt::Debug>(&self, step: &str, got: T, want: T) -> TestResult {
        if got == want {
            Ok(())
        } else {
            Err(self.fail(step, format!("got {got:?}, want {want:?}")))
        }
    }
}

/// Bytes for uploads: bare CR, LF, CRLF, NUL and 0xff, then 400 KB of lines (a binary transfer keeps them all).
fn upload_content(tag: &str) -> Vec<u8> {
    let mut content = format!("ftpkit blocking client {tag}\n").into_bytes();
    content.extend_from_slice(b"\r\n\n\r\x00\xff");
    content.extend(std::iter::repeat_n(b"blocking\r\n".iter().copied(), 40_000).flatten());
    content
}

fn connect(ctx: &Ctx<'_>) -> Result<Client, String> {
    let trace = Arc::clone(&ctx.trace);
    let opts = Options {
        mode: ctx.mode,
        connect_timeout: Duration::from_secs(5),
        reply_timeout: Duration::from_secs(10),
        data_timeout: Duration::from_secs(10),
        trace: Some(Arc::new(move |line: &TraceLine| {
            let text = match line {
                TraceLine::Sent(l) => format!("---> {l}"),
                TraceLine::Received(l) => l.clone(),
                _ => return,
            };
            if let Ok(mut t) = trace.lock() {
                t.push(text);
            }
        })),
        ..Options::default()
    };
    let mut client = ctx.step("connect", Client::connect_with(ctx.server.addr(), opts))?;
    ctx.step("login", client.login(ctx.server.user(), ctx.server.pass()))?;
    Ok(client)
}

/// The listing has every root name once, the files with their sizes, `subdir` and `upload` as directories, and the
/// symlink in the form the server gives it.
fn check_root_listing(ctx: &Ctx<'_>, entries: &[Entry<'static>]) -> TestResult {
    let tree = ctx.server.tree();
    let find = |name: &str| entries.iter().find(|e| e.name == name);
    for name in Tree::ROOT_NAMES {
        let count = entries.iter().filter(|e| e.name == name).count();
        ctx.expect(&format!("entries named {name:?}"), count, 1)?;
    }
    for file in tree.files().iter().filter(|f| !f.path.contains('/')) {
        let e = find(&file.path).ok_or_else(|| ctx.fail("list", format!("no {}", file.path)))?;
        ctx.expect(&format!("kind of {}", file.path), &e.kind, &EntryKind::File)?;
        ctx.expect(&format!("size of {}", file.path), e.size, Some(file.len))?;
    }
    for dir in ["subdir", Tree::UPLOAD] {
        let e = find(dir).ok_or_else(|| ctx.fail("list", format!("no {dir}")))?;
        ctx.expect(&format!("kind of {dir}"), &e.kind, &EntryKind::Dir)?;
    }
    let link = find("link-to-readme").ok_or_else(|| ctx.fail("list", "no link-to-readme"))?;
    let got = (&link.kind, link.link_target.as_deref(), link.size);
    let want = match ctx.link {
        // `lrwxrwxrwx ... 10 ... link-to-readme -> readme.txt`
        LinkForm::ListArrow => (&EntryKind::Symlink, Some("readme.txt"), Some(10)),
        // `type=OS.unix=slink:;size=10;...`: a symlink, its target not given.
        LinkForm::MlsdSlink => (&EntryKind::Symlink, None, Some(10)),
        // `type=file;size=48;...`: the link followed to readme.txt.
        LinkForm::Followed => (&EntryKind::File, None, Some(48)),
        LinkForm::LinkSizeAsFile => (&EntryKind::File, None, Some(10)),
    };
    if got != want {
        return Err(ctx.fail("list", format!("link-to-readme is {got:?}, want {want:?}: {:?}", link.raw)));
    }
    Ok(())
}

/// The data-connection verb the mode calls for was sent, and the other modes' verbs were not.
fn check_verbs(ctx: &Ctx<'_>) -> TestResult {
    let trace = ctx.trace_text();
    let ipv6 = ctx.server.addr().is_ipv6();
    let (want, not): (&[&str], &[&str]) = match (ctx.mode, ipv6) {
        (ClientMode::Passive, _) => (&["---> EPSV"], &["---> PORT", "---> EPRT"]),
        (ClientMode::Active, false) => (&["---> PORT", "---> EPRT"], &["---> EPSV", "---> PASV"]),
        (ClientMode::Active, true) => (&["---> EPRT"], &["---> EPSV", "---> PASV", "---> PORT"]),
    };
    if !want.iter().any(|w| trace.contains(w)) {
        return Err(ctx.fail("data-connection mode", format!("none of {want:?} was sent")));
    }
    if let Some(n) = not.iter().find(|n| trace.contains(*n)) {
        return Err(ctx.fail("data-connection mode", format!("{n:?} was sent")));
    }
    Ok(())
}

fn exercise(server: &Server, mode: ClientMode, link: LinkForm) -> TestResult {
    let ctx = Ctx { server, mode, link, trace: Arc::new(Mutex::new(Vec::new())) };
    let tree = server.tree();
    let mut c = connect(&ctx)?;
    ctx.expect("PWD", ctx.step("pwd", c.pwd())?, "/".to_owned())?;

    // Listings.
    let entries = ctx.step("list /", c.list(None))?;
    check_root_listing(&ctx, &entries)?;
    let nested = ctx.step("list subdir", c.list(Some("subdir")))?;
    let names: Vec<(&str, Option<u64>)> = nested
        .iter()
        .filter(|e| !matches!(e.kind, EntryKind::CurrentDir | EntryKind::ParentDir))
        .map(|e| (e.name.as_ref(), e.size))
        .collect();
    ctx.expect("entries of subdir", names, vec![("nested.txt", Some(13))])?;
    let mut nlst = ctx.step("nlst", c.nlst(None))?;
    // pure-ftpd's NLST names `.` and `..` too.
    nlst.retain(|n| n != "." && n != "..");
    nlst.sort();
    let mut want: Vec<String> = Tree::ROOT_NAMES.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    ctx.expect("NLST names", nlst, want)?;

    // Downloads: whole, then resumed.
    let big = tree.read(Tree::BIG).map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    let n = ctx.step("retrieve big.bin", c.retrieve_to(Tree::BIG, &mut got))?;
    ctx.expect("bytes of big.bin", n, tree.big().len)?;
    ctx.expect("sha256 of big.bin", sha256_hex(&got), tree.big().sha256.clone())?;
    let offset = 3 * 1024 * 1024 + 5;
    let mut tail = Vec::new();
    ctx.step("retrieve_from big.bin", c.retrieve_from(Tree::BIG, offset as u64, &mut tail))?;
    ctx.expect("sha256 of big.bin's tail", sha256_hex(&tail), sha256_hex(big.get(offset..).unwrap_or_default()))?;
    let mut readme = Vec::new();
    ctx.step("retrieve readme", c.retrieve_to("readme.txt", &mut readme))?;
    ctx.expect("readme.txt", readme, tree.read("readme.txt").map_err(|e| e.to_string())?)?;
    let mut utf8 = Vec::new();
    ctx.step("retrieve the UTF-8 name", c.retrieve_to("café-ñandú.txt", &mut utf8))?;
    ctx.expect("café-ñandú.txt", utf8, tree.read("café-ñandú.txt").map_err(|e| e.to_string())?)?;

    // Uploads: whole, then resumed with REST + STOR.
    let content = upload_content(&format!("{} {mode:?}", server.name()));
    let sent = ctx.step("store", c.store_from("upload/whole.bin", &mut content.as_slice()))?;
    ctx.expect("bytes sent", sent, content.len() as u64)?;
    ctx.expect("upload/whole.bin on disk", tree.read("upload/whole.bin").map_err(|e| e.to_string())?, content.clone())?;
    let cut = 150_001;
    let (head, rest) = content.split_at(cut);
    ctx.step("store the first part", c.store_from("upload/resumed.bin", &mut &head[..]))?;
    ctx.expect("SIZE of the first part", ctx.step("size", c.size("upload/resumed.bin"))?, cut as u64)?;
    ctx.step("store_at", c.store_at("upload/resumed.bin", cut as u64, &mut &rest[..]))?;
    ctx.expect(
        "upload/resumed.bin on disk",
        tree.read("upload/resumed.bin").map_err(|e| e.to_string())?,
        content.clone(),
    )?;
    ctx.expect("SIZE after store_at", ctx.step("size", c.size("upload/resumed.bin"))?, content.len() as u64)?;
    ctx.expect("MDTM of readme.txt", ctx.step("mdtm", c.mdtm("readme.txt"))?.to_unix(), OLD_MTIME)?;

    // Rename, delete, directories.
    ctx.step("rename", c.rename("upload/whole.bin", "upload/renamed.bin"))?;
    ctx.expect("renamed on disk", tree.read("upload/renamed.bin").map_err(|e| e.to_string())?, content.clone())?;
    ctx.expect("old name gone", server.root().join("upload/whole.bin").exists(), false)?;
    ctx.step("delete", c.delete("upload/renamed.bin"))?;
    ctx.expect("deleted on disk", server.root().join("upload/renamed.bin").exists(), false)?;
    ctx.step("mkdir", c.mkdir("upload/new dir"))?;
    ctx.expect("made on disk", server.root().join("upload/new dir").is_dir(), true)?;
    ctx.step("cwd", c.cwd("upload/new dir"))?;
    ctx.expect("PWD in the new dir", ctx.step("pwd", c.pwd())?, "/upload/new dir".to_owned())?;
    ctx.step("cwd ..", c.cwd(".."))?;
    ctx.step("rmdir", c.rmdir("new dir"))?;
    ctx.expect("removed on disk", server.root().join("upload/new dir").exists(), false)?;
    ctx.step("cwd /", c.cwd("/"))?;

    // Refusals come back typed with the server's code, and the session goes on.
    match c.retrieve_to("missing.txt", &mut Vec::new()) {
        Err(ClientError::Transfer { reply: Some(r), .. }) => ctx.expect("RETR of a missing file", r.code.get(), 550)?,
        other => return Err(ctx.fail("RETR of a missing file", format!("{other:?}"))),
    }
    match c.cwd("no-such-dir") {
        Err(ClientError::Refused(r)) => ctx.expect("CWD to a missing dir", r.code.get(), 550)?,
        other => return Err(ctx.fail("CWD to a missing dir", format!("{other:?}"))),
    }
    ctx.step("noop", c.noop())?;
    check_verbs(&ctx)?;
    ctx.step("quit", c.quit())
}

fn run(name: &str, server: Result<Server, ftpkit_interop::Error>, modes: &[ClientMode], link: LinkForm) -> TestResult {
    let _t = Timer(name.to_owned(), Instant::now());
    let server = server.map_err(|e| e.to_string())?;
    for mode in modes {
        exercise(&server, *mode, link)?;
    }
    Ok(())
}

macro_rules! server_tests {
    ($module:ident, $launcher:path, $link:expr) => {
        server_tests!($module, $launcher, $link, ipv6: [ClientMode::Passive, ClientMode::Active]);
    };
    ($module:ident, $launcher:path, $link:expr, ipv6: [$($v6:expr),*]) => {
        mod $module {
            use super::*;

            #[test]
            fn passive() -> TestResult {
                run(
                    concat!(stringify!($module), "::passive"),
                    $launcher(ServerOpts::default()),
                    &[ClientMode::Passive],
                    $link,
                )
            }

            #[test]
            fn active() -> TestResult {
                run(
                    concat!(stringify!($module), "::active"),
                    $launcher(ServerOpts::default()),
                    &[ClientMode::Active],
                    $link,
                )
            }

            #[test]
            fn ipv6_passive_and_active() -> TestResult {
                run(
                    concat!(stringify!($module), "::ipv6_passive_and_active"),
                    $launcher(ServerOpts::ipv6()),
                    &[$($v6),*],
                    $link,
                )
            }
        }
    };
}

server_tests!(vsftpd, ftpkit_interop::Vsftpd::start, LinkForm::ListArrow);
server_tests!(pure_ftpd, ftpkit_interop::PureFtpd::start, LinkForm::MlsdSlink);
server_tests!(pyftpdlib, ftpkit_interop::Pyftpdlib::start, LinkForm::Followed);
// libunftp has no EPRT (`500 Command not implemented`): no active mode on IPv6.
server_tests!(libunftp, ftpkit_interop::Libunftp::start, LinkForm::LinkSizeAsFile, ipv6: [ClientMode::Passive]);
