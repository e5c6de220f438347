//! `cargo xtask <task>`: every task a contributor or CI runs, in one small binary with no dependencies.
//!
//! Tasks:
//! - `ci`: every check the project has, installing what it needs when missing (see [`ci`]).
//! - `lint`: `cargo fmt --check`, clippy with `-D warnings` (and the core without default features), rustdoc with
//!   `-D warnings`.
//! - `test`: the workspace's tests.
//! - `explainer`: builds the in-browser explainer (`--out DIR`), serves it (`--serve`) or tests it in headless
//!   Chromium (`--test`); see [`explainer`].

mod explainer;
mod fuzz;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let result = match task {
        "ci" => ci(),
        "lint" => lint(),
        "test" => test(),
        "main-job" => main_job(),
        "fuzz" => fuzz::fuzz(&args[1..]),
        "explainer" => explainer::explainer(&args[1..]),
        "help" | "--help" | "-h" => {
            println!("usage: cargo xtask <ci|lint|test|fuzz|explainer|main-job>\n  explainer: [--out DIR] [--serve [--port N]] [--test]\n  fuzz: --smoke [--time S] | --target NAME [--time S] | --seed-corpus | --list");
            Ok(())
        }
        other => Err(format!("unknown task {other:?}; try `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's folder).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command, echoing it, and fails with its exit status.
fn run(mut cmd: Command) -> Result {
    eprintln!("$ {cmd:?}");
    let status = cmd.status().map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} exited with {status}"))
    }
}

fn step(name: &str, f: impl FnOnce() -> Result) -> Result {
    eprintln!("\n==> {name}");
    let t = Instant::now();
    let r = f();
    eprintln!("<== {name}: {} in {:.1}s", if r.is_ok() { "ok" } else { "FAILED" }, t.elapsed().as_secs_f64());
    r
}

fn ci() -> Result {
    step("lint", lint)?;
    step("test (unit, vectors, properties, loopback, interop with real FTP peers)", test)?;
    step("fuzz smoke (every target, briefly)", || fuzz::fuzz(&["--smoke".into(), "--time".into(), "5".into()]))?;
    step("benchmark smoke (one-run ratios; figures reported, not gated)", bench_smoke)?;
    step("explainer (wasm build and size, end-to-end tests in headless Chromium)", || {
        explainer::explainer(&["--test".into()])
    })?;
    step("main job", main_job)?;
    Ok(())
}

/// Runs the core's one-run ratio bench: it prints ns/line and ratios against the line-scan floor, always exits 0.
fn bench_smoke() -> Result {
    let mut c = cargo();
    c.args(["bench", "-p", "ftpkit-proto", "--bench", "ratios"]);
    run(c)
}

fn lint() -> Result {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run(fmt)?;
    let mut clippy = cargo();
    clippy.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    run(clippy)?;
    // The core without its optional `bytes` integration still builds, tests included, warning-free.
    let mut bare = cargo();
    bare.args(["clippy", "-p", "ftpkit-proto", "--no-default-features", "--all-targets", "--", "-D", "warnings"]);
    run(bare)?;
    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings");
    run(doc)
}

fn test() -> Result {
    let mut t = cargo();
    t.args(["test", "--workspace"]);
    run(t)
}

/// The README's first command: the embedded server and client, one active and one passive session, annotated.
fn main_job() -> Result {
    let mut c = cargo();
    c.args(["run", "--quiet", "-p", "ftpkit-cli", "--", "demo"]);
    run(c)
}
