//! `cargo xtask explainer`: builds the in-browser explainer (`bindings/wasm`), serves it, and tests it end to end.
//!
//! - `cargo xtask explainer [--out DIR]` builds the site into DIR (default `target/explainer`): the `ftpkit-wasm`
//!   crate for `wasm32-unknown-unknown` with the size profile `wasm`, `wasm-bindgen --target web` at exactly the
//!   crate's pinned version (installed when missing), `wasm-opt -Oz` when Debian's binaryen is on PATH, then the
//!   page's files from `bindings/wasm/www/`. Prints the `.wasm` size raw and gzipped.
//! - `--serve [--port N]` also serves DIR on 127.0.0.1 and prints the URL (Ctrl-C stops it).
//! - `--test` builds, serves on a free loopback port and runs `bindings/wasm/e2e/test.mjs` in headless Chromium
//!   (Debian's `chromium`, and `nodejs`/`npm`, installed when missing; npm `playwright-core` and `binaryen` from the
//!   committed lock file, `npm ci` when `node_modules` is missing). Screenshots go to `target/explainer-screenshots/`.

use crate::{cargo, root, run, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

const TARGET: &str = "wasm32-unknown-unknown";

pub fn explainer(args: &[String]) -> Result {
    let mut out = root().join("target/explainer");
    let mut serve = false;
    let mut test = false;
    let mut port = 8765u16;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            "--serve" => serve = true,
            "--test" => test = true,
            "--port" => {
                port = it.next().and_then(|p| p.parse().ok()).ok_or("--port needs a number")?;
            }
            other => {
                return Err(format!("explainer: unknown argument {other:?} (--out DIR, --serve, --port N, --test)"))
            }
        }
    }
    let out = if out.is_absolute() { out } else { std::env::current_dir().map_err(|e| e.to_string())?.join(out) };
    if test {
        ensure_npm()?;
    }
    build(&out)?;
    if test {
        return e2e(&out);
    }
    if serve {
        let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("bind 127.0.0.1:{port}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("explainer: serving {} at http://{addr}/index.html (Ctrl-C stops)", out.display());
        serve_forever(listener, out, Arc::new(AtomicBool::new(false)));
    }
    Ok(())
}

/// The version of a package in Cargo.lock.
fn locked_version(name: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == format!("name = \"{name}\"") {
            if let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err(format!("{name} is not in Cargo.lock"))
}

fn output(cmd: &mut Command) -> Option<String> {
    cmd.output().ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Installs what the build needs when missing: the wasm32 target and wasm-bindgen-cli at the locked version.
fn ensure_tools() -> Result<String> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == TARGET) {
        let mut c = Command::new("rustup");
        c.args(["target", "add", TARGET]);
        run(c)?;
    }
    let want = locked_version("wasm-bindgen")?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(want.as_str()) {
        // Without --locked: a locked install fails on a yanked dependency of the CLI.
        let mut c = cargo();
        c.args(["install", "wasm-bindgen-cli", "--version", &want]);
        run(c)?;
    }
    Ok(want)
}

/// The oldest binaryen whose wasm-opt keeps wasm-bindgen's externref table intact. Debian 12's binaryen 108 turns
/// it into a funcref table and the module fails to instantiate ("Table.set(): Argument 1 is invalid").
const MIN_BINARYEN: u32 = 116;

/// A wasm-opt that works on this output: the npm package pinned in `bindings/wasm/e2e` when installed, else one on
/// PATH that is new enough.
fn wasm_opt() -> Option<PathBuf> {
    let npm = root().join("bindings/wasm/e2e/node_modules/.bin/wasm-opt");
    let candidates = [npm, PathBuf::from("wasm-opt")];
    candidates.into_iter().find(|c| {
        let v = output(Command::new(c).arg("--version")).unwrap_or_default();
        // "wasm-opt version 132 (version_132)"
        v.split_whitespace().nth(2).and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n >= MIN_BINARYEN)
    })
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest).map_err(|e| format!("{} -> {}: {e}", path.display(), dest.display()))?;
        }
    }
    Ok(())
}

fn gzip_size(path: &Path) -> Option<usize> {
    let out = Command::new("gzip").args(["-9", "-c"]).arg(path).output().ok()?;
    out.status.success().then_some(out.stdout.len())
}

/// Builds the site into `out`.
pub fn build(out: &Path) -> Result {
    let t = Instant::now();
    let version = ensure_tools()?;
    let mut c = cargo();
    c.args(["build", "-p", "ftpkit-wasm", "--profile", "wasm", "--target", TARGET]);
    run(c)?;
    let wasm = root().join("target").join(TARGET).join("wasm/ftpkit_wasm.wasm");
    let pkg = out.join("pkg");
    let _ = std::fs::remove_dir_all(&pkg);
    let mut wb = Command::new("wasm-bindgen");
    wb.args(["--target", "web", "--no-typescript", "--out-dir"]).arg(&pkg).arg(&wasm);
    run(wb)?;
    let bg = pkg.join("ftpkit_wasm_bg.wasm");
    let raw_before = std::fs::metadata(&bg).map(|m| m.len()).unwrap_or(0);
    if let Some(opt) = wasm_opt() {
        let tmp = pkg.join("opt.wasm");
        let mut o = Command::new(&opt);
        o.args(["-Oz", "--enable-reference-types", "--enable-bulk-memory", "--enable-nontrapping-float-to-int"])
            .args(["--enable-sign-ext", "--enable-mutable-globals", "--enable-multivalue", "-o"])
            .arg(&tmp)
            .arg(&bg);
        run(o)?;
        std::fs::rename(&tmp, &bg).map_err(|e| e.to_string())?;
    } else {
        eprintln!(
            "explainer: no usable wasm-opt (binaryen >= {MIN_BINARYEN}; `npm ci` in bindings/wasm/e2e installs one); \
             the .wasm is not shrunk further"
        );
    }
    copy_dir(&root().join("bindings/wasm/www"), out)?;
    let raw = std::fs::metadata(&bg).map(|m| m.len()).unwrap_or(0);
    let gz = gzip_size(&bg).map_or_else(|| "?".to_owned(), |n| format!("{:.1} KB", n as f64 / 1024.0));
    println!(
        "explainer: built {} in {:.1}s (wasm-bindgen {version}); ftpkit_wasm_bg.wasm {:.1} KB raw ({:.1} KB before \
         wasm-opt), {gz} gzipped",
        out.display(),
        t.elapsed().as_secs_f64(),
        raw as f64 / 1024.0,
        raw_before as f64 / 1024.0
    );
    Ok(())
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// Answers one HTTP/1.1 GET with a file under `dir` (no `..`), else 404.
fn handle(mut stream: TcpStream, dir: &Path) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request = String::new();
    if reader.by_ref().take(8192).read_line(&mut request).is_err() {
        return;
    }
    // Drain the headers (bounded).
    let mut line = String::new();
    for _ in 0..100 {
        line.clear();
        match reader.by_ref().take(8192).read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let target = request.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let candidate = Path::new(rel);
    let safe = candidate.components().all(|c| matches!(c, Component::Normal(_)));
    let file = dir.join(candidate);
    let (status, body, ctype) = match (safe, std::fs::read(&file)) {
        (true, Ok(body)) => ("200 OK", body, mime(&file)),
        _ => ("404 Not Found", b"not found\n".to_vec(), "text/plain"),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
}

fn serve_forever(listener: TcpListener, dir: PathBuf, stop: Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Ok(s) = stream {
            let dir = dir.clone();
            std::thread::spawn(move || handle(s, &dir));
        }
    }
}

/// Installs Debian's chromium when missing (apt-get update once first).
fn ensure_chromium() -> Result<String> {
    if let Ok(p) = std::env::var("CHROMIUM") {
        return Ok(p);
    }
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).exists() {
            return Ok(p.to_owned());
        }
    }
    let mut u = Command::new("apt-get");
    u.args(["update", "-qq"]);
    run(u)?;
    let mut i = Command::new("apt-get");
    i.args(["install", "-y", "-qq", "chromium"]).env("DEBIAN_FRONTEND", "noninteractive");
    run(i)?;
    Ok("/usr/bin/chromium".to_owned())
}

/// `npm ci` in `bindings/wasm/e2e` (playwright-core, binaryen) when its node_modules is missing.
fn ensure_npm() -> Result {
    let have_node = ["node", "npm"].iter().all(|t| output(Command::new(t).arg("--version")).is_some());
    if !have_node {
        // Debian 12's nodejs is 18, enough for playwright-core.
        let mut u = Command::new("apt-get");
        u.args(["update", "-qq"]);
        run(u)?;
        let mut i = Command::new("apt-get");
        i.args(["install", "-y", "-qq", "nodejs", "npm"]).env("DEBIAN_FRONTEND", "noninteractive");
        run(i)?;
    }
    let e2e = root().join("bindings/wasm/e2e");
    let have = ["playwright-core", "binaryen"].iter().all(|p| e2e.join("node_modules").join(p).exists());
    if !have {
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund"]).current_dir(&e2e);
        run(npm)?;
    }
    Ok(())
}

/// Builds, serves on a free loopback port, and runs the end-to-end tests in headless Chromium.
fn e2e(out: &Path) -> Result {
    let chromium = ensure_chromium()?;
    let e2e = root().join("bindings/wasm/e2e");
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let (dir, flag) = (out.to_path_buf(), stop.clone());
    let server = std::thread::spawn(move || serve_forever(listener, dir, flag));
    let shots = root().join("target/explainer-screenshots");
    let mut node = Command::new("node");
    node.arg(e2e.join("test.mjs"))
        .arg(format!("http://{addr}/"))
        .env("CHROMIUM", chromium)
        .env("SCREENSHOTS", &shots)
        .env("TESTDATA", root().join("crates/proto/testdata"))
        .current_dir(&e2e);
    let r = run(node);
    // Stop the server: set the flag, then wake its accept loop with one connection.
    stop.store(true, Ordering::Relaxed);
    let _ = TcpStream::connect(addr);
    let _ = server.join();
    r?;
    println!("explainer: screenshots in {}", shots.display());
    Ok(())
}
