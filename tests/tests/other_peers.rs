//! More real peers (issue 16): clients users run against servers, against ftpkit's server, and names in Latin-1.
//!
//! * suppaftp (Rust, crates.io; `tests/peers-rs`) against ftpkit's server in PASV, EPSV and active (PORT) mode;
//!   basic-ftp (Node.js, npm) and aioftp (Python asyncio, PyPI), both passive only (neither has an active mode):
//!   each lists (LIST/MLSD), reads MLST, downloads the multi-MiB `big.bin` (sha256), resumes it from an offset
//!   (REST), uploads byte-exact (checked on disk), reads SIZE and renames (checked on disk). Debian's ncftp
//!   (ncftpls/ncftpget/ncftpput, C) does the same in PASV and PORT mode, its rename being `ncftpput -S`'s
//!   upload-then-RNFR/RNTO.
//! * ftpkit's blocking client reads MLST from libunftp (the other Rust server; the full client matrix against it is
//!   in `blocking_client_interop.rs` and `tokio_client_interop.rs`).
//! * Latin-1: pyftpdlib with `encoding = "latin1"` sends names as ISO-8859-1 bytes and lists no `UTF8` in FEAT.
//!   Both ftpkit clients set to Latin-1 list a name with `é`/`ñ`, download it by that name byte-exact, upload one
//!   (the server, decoding Latin-1, stores the right name), read it back from a `257`, and refuse a name Latin-1
//!   cannot write (`€`) before sending anything; no `OPTS UTF8 ON` goes out. A UTF-8 client gets a typed error for
//!   the Latin-1 listing instead of replaced names; against a server whose FEAT lists `UTF8` it sends the OPTS.
//!
//! Every test starts its own server (fresh tree, free ports).

use std::fs;
use std::time::Instant;

use ftpkit::client::{ClientMode, EncodingError, Error as ClientError, Options, TextEncoding};
use ftpkit::proto::listing::parse_mlsd_line;
use ftpkit_interop::{
    aioftp, basic_ftp, binary_content, ncftp, sha256_hex, suppaftp, FtpkitOpts, FtpkitServer, Libunftp, Pyftpdlib,
    RunOutput, ServerOpts, Tree,
};

type TestResult = Result<(), String>;

/// Prints the test's wall time when it ends (visible with `--nocapture`).
struct Timer(&'static str, Instant);

impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("other_peers: test {} took {:.3} s", self.0, self.1.elapsed().as_secs_f64());
    }
}

fn fail(server: &FtpkitServer, out: &RunOutput, why: &str) -> String {
    format!("{} on {}: {why}\ncommand: {}\n{}", server.name(), server.addr(), out.command, out.describe())
}

/// What a client run must leave behind, checked the same way for every client: the downloads, the resumed tail,
/// the upload (renamed) on the server's disk.
struct Expect<'a> {
    server: &'a FtpkitServer,
    out: &'a RunOutput,
    dir: &'a std::path::Path,
    upload: &'a [u8],
    offset: u64,
}

impl Expect<'_> {
    fn check(&self) -> TestResult {
        let (server, out) = (self.server, self.out);
        if !out.success() {
            return Err(fail(server, out, "the client failed"));
        }
        let big = server.tree().big();
        let got = fs::read(self.dir.join("big.bin")).map_err(|e| fail(server, out, &format!("no download: {e}")))?;
        if got.len() as u64 != big.len || sha256_hex(&got) != big.sha256 {
            return Err(fail(server, out, &format!("downloaded {} bytes sha256 {}", got.len(), sha256_hex(&got))));
        }
        let resumed = fs::read(self.dir.join("resumed.bin")).map_err(|e| fail(server, out, &e.to_string()))?;
        if resumed != got {
            return Err(fail(
                server,
                out,
                &format!("resumed from {}: {} bytes, not the file", self.offset, resumed.len()),
            ));
        }
        let stored = server.tree().read("upload/renamed.bin").map_err(|e| fail(server, out, &e.to_string()))?;
        if stored != self.upload {
            return Err(fail(server, out, &format!("stored {} bytes, sent {}", stored.len(), self.upload.len())));
        }
        if server.tree().read("upload/sent.bin").is_ok() {
            return Err(fail(server, out, "the old name is still on disk after the rename"));
        }
        let text = out.stdout_text();
        for want in ["readme.txt", "hello world.txt", "café-ñandú.txt", "subdir", Tree::BIG] {
            if !text.lines().any(|l| l.starts_with("LIST") && l.ends_with(want)) {
                return Err(fail(server, out, &format!("the listing does not name {want:?}")));
            }
        }
        Ok(())
    }
}

impl Expect<'_> {
    /// [`check`](Self::check), and the `MLST <facts>` and `SIZE <n>` lines give `big.bin`'s size.
    fn check_with_mlst(&self) -> TestResult {
        self.check()?;
        let (server, out) = (self.server, self.out);
        let text = out.stdout_text();
        let big_len = server.tree().big().len;
        let mlst = text.lines().find_map(|l| l.strip_prefix("MLST ")).unwrap_or_default();
        let entry = parse_mlsd_line(mlst).map_err(|e| fail(server, out, &format!("MLST {mlst:?}: {e}")))?;
        if entry.size != Some(big_len) || !text.lines().any(|l| l == format!("SIZE {big_len}")) {
            return Err(fail(server, out, &format!("MLST/SIZE do not give {big_len} bytes")));
        }
        Ok(())
    }
}

/// A fresh download folder with `resumed.bin` holding the first `offset` bytes of `big.bin`.
fn download_dir(server: &FtpkitServer, offset: u64) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let big = server.tree().read(Tree::BIG).map_err(|e| e.to_string())?;
    let head = usize::try_from(offset).map_err(|e| e.to_string())?;
    fs::write(dir.path().join("resumed.bin"), &big[..head]).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// A server, a download folder, the upload (`dir/up.bin`) and the script's arguments as a JSON array:
/// `[host, port, user, password, dir, offset]`.
struct ScriptRun {
    server: FtpkitServer,
    dir: tempfile::TempDir,
    upload: Vec<u8>,
    args: String,
}

fn script_run(offset: u64, upload_len: usize, seed: u32) -> Result<ScriptRun, String> {
    let server = FtpkitServer::start(FtpkitOpts::default()).map_err(|e| e.to_string())?;
    let dir = download_dir(&server, offset)?;
    let upload = binary_content(upload_len, seed);
    fs::write(dir.path().join("up.bin"), &upload).map_err(|e| e.to_string())?;
    let args = format!(
        "[{:?}, {}, {:?}, {:?}, {:?}, {offset}]",
        server.addr().ip().to_string(),
        server.port(),
        server.user(),
        server.pass(),
        dir.path().to_string_lossy()
    );
    Ok(ScriptRun { server, dir, upload, args })
}

// ---- suppaftp (Rust) ----

fn suppaftp_against_ftpkit(mode: &str) -> TestResult {
    let server = FtpkitServer::start(FtpkitOpts::default()).map_err(|e| e.to_string())?;
    let offset = 1_234_567;
    let dir = download_dir(&server, offset)?;
    let upload = binary_content(700_001, 0x5eed);
    let local_up = dir.path().join("up.bin");
    fs::write(&local_up, &upload).map_err(|e| e.to_string())?;
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let addr = server.addr().to_string();
    let offset_text = offset.to_string();
    let up_text = local_up.to_string_lossy().into_owned();
    let (big, resumed) = (p("big.bin"), p("resumed.bin"));
    #[rustfmt::skip]
    let args = [
        "--addr", addr.as_str(), "--user", server.user(), "--pass", server.pass(), "--mode", mode,
        "list", "/", "mlsd", "/", "mlst", Tree::BIG, "size", Tree::BIG, "pwd",
        "get", Tree::BIG, big.as_str(),
        "rest-get", Tree::BIG, resumed.as_str(), offset_text.as_str(),
        "put", up_text.as_str(), "upload/sent.bin",
        "rename", "upload/sent.bin", "upload/renamed.bin",
    ];
    let out = suppaftp(args).map_err(|e| e.to_string())?;
    // The data connections went the way asked: suppaftp's commands, as it printed them.
    let sent = out.stderr_text();
    let verb = match mode {
        "passive" => "> PASV",
        "epsv" => "> EPSV",
        _ => "> PORT ",
    };
    let others = ["> PASV", "> EPSV", "> PORT ", "> EPRT "].into_iter().filter(|v| *v != verb);
    if !sent.lines().any(|l| l.starts_with(verb)) || others.clone().any(|v| sent.contains(v)) {
        return Err(fail(&server, &out, &format!("{verb:?} alone should open the data connections")));
    }
    Expect { server: &server, out: &out, dir: dir.path(), upload: &upload, offset }.check_with_mlst()?;
    let text = out.stdout_text();
    let big_len = server.tree().big().len;
    if !text.lines().any(|l| l.starts_with("MLSD ") && l.contains("type=file") && l.ends_with(" big.bin")) {
        return Err(fail(&server, &out, "MLSD does not list big.bin as a file"));
    }
    if !text.lines().any(|l| l == format!("REST-GET {}", big_len - offset)) || !text.contains("PWD /") {
        return Err(fail(&server, &out, "the resumed download or PWD is missing"));
    }
    Ok(())
}

#[test]
fn suppaftp_passive_pasv() -> TestResult {
    let _t = Timer("suppaftp_passive_pasv", Instant::now());
    suppaftp_against_ftpkit("passive")
}

#[test]
fn suppaftp_passive_epsv() -> TestResult {
    let _t = Timer("suppaftp_passive_epsv", Instant::now());
    suppaftp_against_ftpkit("epsv")
}

#[test]
fn suppaftp_active_port() -> TestResult {
    let _t = Timer("suppaftp_active_port", Instant::now());
    suppaftp_against_ftpkit("active")
}

// ---- basic-ftp (Node.js) ----

const BASIC_FTP_SCRIPT: &str = r#"
const ftp = require("basic-ftp");
const [host, port, user, password, dir, offset] = ARGS;
(async () => {
    const c = new ftp.Client(20000);
    c.ftp.verbose = true;
    c.ftp.log = (m) => console.error(m);
    try {
        await c.access({ host, port, user, password, secure: false });
        for (const e of await c.list("/")) console.log(`LIST ${e.type} ${e.size} ${e.name}`);
        const mlst = await c.send("MLST big.bin");
        console.log(`MLST ${mlst.message.split("\n")[1].trim()}`);
        console.log(`SIZE ${await c.size("big.bin")}`);
        await c.downloadTo(`${dir}/big.bin`, "big.bin");
        await c.downloadTo(`${dir}/resumed.bin`, "big.bin", offset);
        await c.uploadFrom(`${dir}/up.bin`, "upload/sent.bin");
        await c.rename("upload/sent.bin", "upload/renamed.bin");
        console.log(`PWD ${await c.pwd()}`);
    } catch (e) {
        console.error(`ERROR ${e}`);
        process.exitCode = 1;
    }
    c.close();
})();
"#;

#[test]
fn basic_ftp_passive() -> TestResult {
    let _t = Timer("basic_ftp_passive", Instant::now());
    let offset = 2_000_003;
    let ScriptRun { server, dir, upload, args } = script_run(offset, 900_000, 0xb451c)?;
    let out = basic_ftp(&format!("const ARGS = {args};\n{BASIC_FTP_SCRIPT}")).map_err(|e| e.to_string())?;
    Expect { server: &server, out: &out, dir: dir.path(), upload: &upload, offset }.check_with_mlst()?;
    let trace = out.stderr_text();
    for verb in ["> EPSV", "> MLSD", "> REST 2000003", "> STOR upload/sent.bin", "> RNTO upload/renamed.bin"] {
        if !trace.contains(verb) {
            return Err(fail(&server, &out, &format!("{verb:?} not in basic-ftp's log")));
        }
    }
    Ok(())
}

// ---- aioftp (Python asyncio) ----

const AIOFTP_SCRIPT: &str = r#"
import asyncio, json, os, sys, aioftp
host, port, user, password, d, offset = json.loads(os.environ["FTPKIT_ARGS"])

async def main():
    async with aioftp.Client.context(host, port, user, password, socket_timeout=20) as c:
        for path, info in await c.list("/"):
            print("LIST", info["type"], info.get("size"), path.name)
        info = await c.stat("big.bin")
        print("STAT", info["type"], info["size"])
        await c.download("big.bin", d + "/big.bin", write_into=True)
        with open(d + "/resumed.bin", "ab") as f:
            async with c.download_stream("big.bin", offset=offset) as stream:
                async for block in stream.iter_by_block():
                    f.write(block)
        await c.upload(d + "/up.bin", "upload/sent.bin", write_into=True)
        await c.rename("upload/sent.bin", "upload/renamed.bin")
        print("PWD", await c.get_current_directory())

asyncio.run(main())
"#;

#[test]
fn aioftp_passive() -> TestResult {
    let _t = Timer("aioftp_passive", Instant::now());
    let offset = 3_000_017;
    let ScriptRun { server, dir, upload, args } = script_run(offset, 1_100_000, 0xa10f7)?;
    let code = format!("import os\nos.environ['FTPKIT_ARGS'] = {args:?}\n{AIOFTP_SCRIPT}");
    let out = aioftp(&code).map_err(|e| e.to_string())?;
    Expect { server: &server, out: &out, dir: dir.path(), upload: &upload, offset }.check()?;
    let text = out.stdout_text();
    let big_len = server.tree().big().len;
    if !text.lines().any(|l| l == format!("STAT file {big_len}")) {
        return Err(fail(&server, &out, &format!("MLST (stat) does not give a {big_len}-byte file")));
    }
    if !text.lines().any(|l| l == "PWD /") {
        return Err(fail(&server, &out, "PWD is not /"));
    }
    Ok(())
}

// ---- ncftp (Debian) ----

/// ncftpls, ncftpget (whole, then resumed with `-z`) and ncftpput (`-S .tmp`: into a temporary name, then RNFR/RNTO)
/// against ftpkit's server, in passive (`-F`: PASV on IPv4, though FEAT lists EPSV) or active (`-E`: PORT) mode;
/// their `-d` logs show every command (ncftpget reads MLST before each download; `CLNT` gets ftpkit's `500`).
fn ncftp_against_ftpkit(active: bool) -> TestResult {
    let server = FtpkitServer::start(FtpkitOpts::default()).map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let d = dir.path();
    let port = server.port().to_string();
    let mode = if active { "-E" } else { "-F" };
    let login = ["-u", server.user(), "-p", server.pass(), "-P", port.as_str(), mode];
    let log = |name: &str| d.join(name).to_string_lossy().into_owned();
    let run = |tool: &str, args: &[&str]| -> Result<RunOutput, String> {
        let out = ncftp(tool, login.iter().chain(args)).map_err(|e| e.to_string())?;
        if out.success() {
            Ok(out)
        } else {
            Err(fail(&server, &out, &format!("{tool} failed")))
        }
    };
    let ls = run("ncftpls", &["-l", "ftp://127.0.0.1/"])?;
    for name in ["readme.txt", "hello world.txt", "café-ñandú.txt", "subdir", Tree::BIG] {
        if !ls.stdout_text().lines().any(|l| l.ends_with(name)) {
            return Err(fail(&server, &ls, &format!("ncftpls does not list {name:?}")));
        }
    }
    let whole = d.join("whole");
    let resumed = d.join("resumed");
    fs::create_dir_all(&whole).and_then(|()| fs::create_dir_all(&resumed)).map_err(|e| e.to_string())?;
    let big = server.tree().read(Tree::BIG).map_err(|e| e.to_string())?;
    fs::write(resumed.join(Tree::BIG), &big[..1_500_000]).map_err(|e| e.to_string())?;
    let (get_log, resume_log, put_log) = (log("get.log"), log("resume.log"), log("put.log"));
    let get = run("ncftpget", &["-d", &get_log, "127.0.0.1", &whole.to_string_lossy(), "/big.bin"])?;
    run("ncftpget", &["-z", "-d", &resume_log, "127.0.0.1", &resumed.to_string_lossy(), "/big.bin"])?;
    for folder in [&whole, &resumed] {
        let got = fs::read(folder.join(Tree::BIG)).map_err(|e| e.to_string())?;
        if got != big {
            return Err(fail(&server, &get, &format!("{}: {} bytes, not big.bin", folder.display(), got.len())));
        }
    }
    let upload = binary_content(654_321, 0x0ecf);
    let local = d.join("nc up.bin");
    fs::write(&local, &upload).map_err(|e| e.to_string())?;
    let put = run("ncftpput", &["-S", ".tmp", "-d", &put_log, "127.0.0.1", "/upload", &local.to_string_lossy()])?;
    let stored = server.tree().read("upload/nc up.bin").map_err(|e| fail(&server, &put, &e.to_string()))?;
    if stored != upload || server.tree().read("upload/nc up.bin.tmp").is_ok() {
        return Err(fail(&server, &put, &format!("stored {} bytes (or the .tmp name is left)", stored.len())));
    }
    let logs = [&get_log, &resume_log, &put_log].map(|p| fs::read_to_string(p).unwrap_or_default()).join("\n");
    let (verb, not): (&str, &[&str]) =
        if active { ("Cmd: PORT ", &["Cmd: PASV", "Cmd: EPSV"]) } else { ("Cmd: PASV", &["Cmd: PORT", "Cmd: EPRT"]) };
    let wanted = [verb, "Cmd: MLST /big.bin", "Cmd: REST 1500000", "Cmd: RNFR nc up.bin.tmp", "Cmd: RNTO nc up.bin"];
    for want in wanted {
        if !logs.contains(want) || not.iter().any(|n| logs.contains(n)) {
            return Err(format!("ncftp's logs lack {want:?} or hold one of {not:?}:\n{logs}"));
        }
    }
    Ok(())
}

#[test]
fn ncftp_passive() -> TestResult {
    let _t = Timer("ncftp_passive", Instant::now());
    ncftp_against_ftpkit(false)
}

#[test]
fn ncftp_active() -> TestResult {
    let _t = Timer("ncftp_active", Instant::now());
    ncftp_against_ftpkit(true)
}

// ---- ftpkit's client against libunftp: MLST ----

#[test]
fn blocking_client_reads_mlst_from_libunftp() -> TestResult {
    let _t = Timer("blocking_client_reads_mlst_from_libunftp", Instant::now());
    let server = Libunftp::start(ServerOpts::default()).map_err(|e| e.to_string())?;
    let mut c = ftpkit::blocking::Client::connect(server.addr()).map_err(|e| e.to_string())?;
    c.login(server.user(), server.pass()).map_err(|e| e.to_string())?;
    let reply = c.quote("MLST big.bin").map_err(|e| e.to_string())?;
    let facts = reply.lines.iter().map(|l| l.trim()).find(|l| l.contains("size=")).unwrap_or_default().to_owned();
    let entry = parse_mlsd_line(&facts).map_err(|e| format!("MLST {:?}: {e}", reply.lines))?;
    let big = server.tree().big();
    if reply.code.get() != 250 || entry.size != Some(big.len) || entry.name != "big.bin" {
        return Err(format!("MLST big.bin from libunftp: {reply:?}"));
    }
    c.quit().map_err(|e| e.to_string())
}

// ---- Latin-1 names ----

/// A name with `é` and `ñ`: on pyftpdlib's disk in UTF-8, on its wire in Latin-1.
const LATIN1_NAME: &str = "ñandú-café.bin";

fn latin1_server() -> Result<(ftpkit_interop::Server, Vec<u8>), String> {
    let server = Pyftpdlib::start_latin1(ServerOpts::default()).map_err(|e| e.to_string())?;
    let data = binary_content(333_333, 0x1a71);
    fs::write(server.root().join(LATIN1_NAME), &data).map_err(|e| e.to_string())?;
    fs::create_dir(server.root().join("upload/répertoire")).map_err(|e| e.to_string())?;
    Ok((server, data))
}

/// The checks both clients share, on the trace and the server's disk.
fn check_latin1_session(server: &ftpkit_interop::Server, trace: &[String]) -> TestResult {
    let why = |w: &str| format!("{w}\n=== trace ===\n{}\n=== server log ===\n{}", trace.join("\n"), server.log());
    if trace.iter().any(|l| l.starts_with("> OPTS UTF8")) {
        return Err(why("OPTS UTF8 ON was sent, but FEAT did not list UTF8 (and the client is in Latin-1)"));
    }
    if !trace.iter().any(|l| l == "> FEAT") || trace.iter().any(|l| l.trim() == "< UTF8") {
        return Err(why("FEAT was not sent, or pyftpdlib in Latin-1 listed UTF8"));
    }
    if !trace.iter().any(|l| *l == format!("> RETR {LATIN1_NAME}")) {
        return Err(why("the trace does not show the RETR of the Latin-1 name as written"));
    }
    // pyftpdlib decoded the command in Latin-1 and stored the name right: the client sent é as one byte.
    let stored = server.tree().read("upload/répertoire/été.bin").map_err(|e| why(&format!("upload: {e}")))?;
    if stored != b"summer" {
        return Err(why("the upload's bytes differ"));
    }
    Ok(())
}

#[test]
fn blocking_client_latin1_names_against_pyftpdlib() -> TestResult {
    let _t = Timer("blocking_client_latin1_names_against_pyftpdlib", Instant::now());
    let (server, data) = latin1_server()?;
    let (lines, trace) = ftpkit_interop::trace_recorder();
    let opts = Options { encoding: TextEncoding::Latin1, trace: Some(trace), ..Options::default() };
    let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts).map_err(|e| e.to_string())?;
    c.login(server.user(), server.pass()).map_err(|e| e.to_string())?;
    let entries = c.list(None).map_err(|e| e.to_string())?;
    if !entries.iter().any(|e| e.name == LATIN1_NAME && e.size == Some(data.len() as u64)) {
        return Err(format!("{LATIN1_NAME:?} not listed: {entries:?}"));
    }
    let names = c.nlst(None).map_err(|e| e.to_string())?;
    if !names.iter().any(|n| n == LATIN1_NAME) {
        return Err(format!("{LATIN1_NAME:?} not in NLST: {names:?}"));
    }
    let mut got = Vec::new();
    c.retrieve_to(LATIN1_NAME, &mut got).map_err(|e| e.to_string())?;
    if got != data {
        return Err(format!("downloaded {} bytes sha256 {}, not the file", got.len(), sha256_hex(&got)));
    }
    c.cwd("upload/répertoire").map_err(|e| e.to_string())?;
    let pwd = c.pwd().map_err(|e| e.to_string())?;
    if pwd != "/upload/répertoire" {
        return Err(format!("PWD read back {pwd:?}"));
    }
    c.store_from("été.bin", &mut &b"summer"[..]).map_err(|e| e.to_string())?;
    let sent_before = lines.lock().map(|l| l.len()).unwrap_or_default();
    match c.store_from("€.bin", &mut &b"euro"[..]) {
        Err(ClientError::Encoding(EncodingError::Unencodable { ch: '€', .. })) => {}
        other => return Err(format!("storing €.bin in Latin-1 gave {other:?}")),
    }
    if lines.lock().map(|l| l.len()).unwrap_or_default() != sent_before {
        return Err("a line was sent for a name Latin-1 cannot write".into());
    }
    c.noop().map_err(|e| e.to_string())?;
    c.quit().map_err(|e| e.to_string())?;
    let trace = lines.lock().map(|l| l.clone()).unwrap_or_default();
    check_latin1_session(&server, &trace)
}

#[tokio::test]
async fn tokio_client_latin1_names_against_pyftpdlib_active() -> TestResult {
    let _t = Timer("tokio_client_latin1_names_against_pyftpdlib_active", Instant::now());
    let (server, data) = latin1_server()?;
    let (lines, trace) = ftpkit_interop::trace_recorder();
    let opts =
        Options { encoding: TextEncoding::Latin1, mode: ClientMode::Active, trace: Some(trace), ..Options::default() };
    let mut c = ftpkit::tokio::Client::connect_with(server.addr(), opts).await.map_err(|e| e.to_string())?;
    c.login(server.user(), server.pass()).await.map_err(|e| e.to_string())?;
    let entries = c.list(None).await.map_err(|e| e.to_string())?;
    if !entries.iter().any(|e| e.name == LATIN1_NAME && e.size == Some(data.len() as u64)) {
        return Err(format!("{LATIN1_NAME:?} not listed: {entries:?}"));
    }
    let mut got = Vec::new();
    c.retrieve_to(LATIN1_NAME, &mut got).await.map_err(|e| e.to_string())?;
    if got != data {
        return Err(format!("downloaded {} bytes, not the file", got.len()));
    }
    c.store_from("upload/répertoire/été.bin", &mut &b"summer"[..]).await.map_err(|e| e.to_string())?;
    match c.rename("upload/répertoire/été.bin", "upload/€").await {
        Err(ClientError::Encoding(EncodingError::Unencodable { ch: '€', .. })) => {}
        other => return Err(format!("renaming to € in Latin-1 gave {other:?}")),
    }
    c.quit().await.map_err(|e| e.to_string())?;
    let trace = lines.lock().map(|l| l.clone()).unwrap_or_default();
    check_latin1_session(&server, &trace)
}

#[test]
fn utf8_client_refuses_a_latin1_listing_and_sends_opts_utf8_only_when_listed() -> TestResult {
    let _t = Timer("utf8_client_refuses_a_latin1_listing_and_sends_opts_utf8_only_when_listed", Instant::now());
    let (server, _) = latin1_server()?;
    let (lines, trace) = ftpkit_interop::trace_recorder();
    let opts = Options { trace: Some(trace), ..Options::default() };
    let mut c = ftpkit::blocking::Client::connect_with(server.addr(), opts).map_err(|e| e.to_string())?;
    c.login(server.user(), server.pass()).map_err(|e| e.to_string())?;
    match c.nlst(None) {
        Err(ClientError::Encoding(EncodingError::Undecodable { encoding: TextEncoding::Utf8, .. })) => {}
        other => return Err(format!("a Latin-1 NLST read as UTF-8 gave {other:?}")),
    }
    c.noop().map_err(|e| e.to_string())?;
    let trace = lines.lock().map(|l| l.clone()).unwrap_or_default();
    if trace.iter().any(|l| l.starts_with("> OPTS UTF8")) {
        return Err(format!("OPTS UTF8 ON sent though FEAT did not list UTF8:\n{}", trace.join("\n")));
    }
    // The same client against pyftpdlib in UTF-8, whose FEAT lists UTF8: the OPTS goes out and is accepted.
    let utf8 = Pyftpdlib::start(ServerOpts::default()).map_err(|e| e.to_string())?;
    let (lines, trace) = ftpkit_interop::trace_recorder();
    let opts = Options { trace: Some(trace), ..Options::default() };
    let mut c = ftpkit::blocking::Client::connect_with(utf8.addr(), opts).map_err(|e| e.to_string())?;
    c.login(utf8.user(), utf8.pass()).map_err(|e| e.to_string())?;
    let entries = c.list(None).map_err(|e| e.to_string())?;
    if !entries.iter().any(|e| e.name == "café-ñandú.txt") {
        return Err(format!("the UTF-8 name is not listed: {entries:?}"));
    }
    c.quit().map_err(|e| e.to_string())?;
    let trace = lines.lock().map(|l| l.clone()).unwrap_or_default();
    let at = trace.iter().position(|l| l == "> OPTS UTF8 ON");
    if !at.is_some_and(|i| trace.get(i + 1).is_some_and(|r| r.starts_with("< 200"))) {
        return Err(format!("OPTS UTF8 ON not sent or not accepted:\n{}", trace.join("\n")));
    }
    Ok(())
}
