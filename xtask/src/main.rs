//! `cargo xtask <task>`: every task a contributor or CI runs, in one small binary. Its dependencies: the core (read
//! by `codegen`) and cbindgen (pinned, for the C header).
//!
//! Tasks:
//! - `ci`: every check the project has, installing what it needs when missing (see [`ci`]).
//! - `lint`: `cargo fmt --check`, clippy with `-D warnings` (and the core and `ftpkit` without default features, with
//!   `ftpkit`'s unit tests run that way), rustdoc with `-D warnings`.
//! - `test`: the workspace's tests.
//! - `codegen [--check]`: write the docs generated from the code (transition tables, state diagrams), or check
//!   that the committed text is fresh (run by `lint`).
//! - `python`: the Python module built, installed into a fresh environment and tested (see [`python`]).
//! - `c`, `c-header [--check]`, `c-install --prefix DIR`: the C library (see `c.rs`).
//! - `explainer`: builds the in-browser explainer (`--out DIR`), serves it (`--serve`) or tests it in headless
//!   Chromium (`--test`); see [`explainer`].
//! - `lab [--test]`: the network-namespace lab: prints ftpkit's firewall and NAT predictions beside the kernel's
//!   outcomes and writes `docs/LAB.md`, or (`--test`, the CI step) runs its integration tests; see [`lab`].

mod c;
mod codegen;
mod explainer;
mod fuzz;
mod lab;
mod python;

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
        "codegen" => codegen::codegen(&args[1..]),
        "python" => python::python(&args[1..]),
        "c-header" => c::c_header(&args[1..]),
        "c-install" => c::c_install(&args[1..]),
        "c" => c::ci_step(),
        "explainer" => explainer::explainer(&args[1..]),
        "lab" => lab::lab(&args[1..]),
        "help" | "--help" | "-h" => {
            println!(
                "usage: cargo xtask <ci|lint|test|fuzz|codegen|python|c|c-header|c-install|explainer|lab|main-job>\n  \
                 codegen: [--check]\n  fuzz: --smoke [--time S] | --target NAME [--time S] | --seed-corpus | --list\n  \
                 python: [--bench] (the full benchmark instead of its quick smoke)\n  c-header: [--check]\n  c-install: \
                 --prefix DIR\n  explainer: [--out DIR] [--serve [--port N]] [--test]\n  lab: [--test] [--only 2a,4c] (root: network \
                 namespaces)"
            );
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
    step("python (wheel, fresh venv, pytest incl. ftplib/pyftpdlib comparisons, mypy --strict, bench smoke)", || {
        python::python(&[])
    })?;
    step("fuzz smoke (every target, briefly)", || fuzz::fuzz(&["--smoke".into(), "--time".into(), "5".into()]))?;
    step("benchmark smoke (one-run ratios; figures reported, not gated)", bench_smoke)?;
    step("c library (header, C tests, valgrind, ASan, examples, ALG interop, install, bench)", c::ci_step)?;
    step("explainer (wasm build and size, end-to-end tests in headless Chromium)", || {
        explainer::explainer(&["--test".into()])
    })?;
    step("lab (network namespaces: ftpkit's firewall and NAT predictions against the kernel)", || {
        lab::lab(&["--test".into()])
    })?;
    step("main job", main_job)?;
    Ok(())
}

/// Runs the core's one-run ratio bench: it prints ns/line and ratios against the line-scan floor, always exits 0.
/// Then the server's listing bench on a directory of 100,000 empty files (`listing_bench`: the server's peak
/// memory while it streams NLST/LIST/MLSD; fails only when a listing comes back short; docs/BENCHMARKS.md has the
/// 1,000,000-entry figure).
fn bench_smoke() -> Result {
    let mut c = cargo();
    c.args(["bench", "-p", "ftpkit-proto", "--bench", "ratios"]);
    run(c)?;
    let mut build = cargo();
    build.args(["build", "--release", "-p", "ftpkit-interop", "--bin", "listing_bench", "--bin", "transfer_bench"]);
    run(build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let mut listing = Command::new(target.join("release").join("listing_bench"));
    listing.args(["--entries", "100000"]);
    run(listing)
}

fn lint() -> Result {
    // Generated docs (transition tables, state diagrams) must match the code.
    codegen::codegen(&["--check".into()])?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--", "--check"]);
    run(fmt)?;
    // tests/peers-rs (suppaftp, libunftp) is its own workspace, outside `--all`; the interop tests build it.
    let mut fmt_peers = cargo();
    fmt_peers.args(["fmt", "--manifest-path", "tests/peers-rs/Cargo.toml", "--", "--check"]);
    run(fmt_peers)?;
    let mut clippy = cargo();
    clippy.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    run(clippy)?;
    // The core without its optional `bytes` integration still builds, tests included, warning-free.
    let mut bare = cargo();
    bare.args(["clippy", "-p", "ftpkit-proto", "--no-default-features", "--all-targets", "--", "-D", "warnings"]);
    run(bare)?;
    // `ftpkit` without `tokio`: the blocking client alone (no server, no async client) builds and passes its unit
    // tests, warning-free; the integration tests need the server and declare `required-features`.
    let mut blocking_only = cargo();
    blocking_only.args(["clippy", "-p", "ftpkit", "--no-default-features", "--all-targets", "--", "-D", "warnings"]);
    run(blocking_only)?;
    let mut blocking_tests = cargo();
    blocking_tests.args(["test", "-p", "ftpkit", "--no-default-features", "--lib"]);
    run(blocking_tests)?;
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
