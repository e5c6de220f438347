//! What the core is not allowed to touch, checked on its source (invariant 1 of `docs/ARCHITECTURE.md`: the core
//! knows nothing of sockets, threads or time; invariant 2: one measured `unsafe` block).
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted, but the unit-test modules kept in their own `tests.rs` files (declared
/// `#[cfg(test)] mod tests;`, so they are the tests, which may use what the library may not: a base `Instant`) and
/// `fuzzing.rs`, the fuzz targets' harness, which takes one clock reading as its virtual clock's epoch.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs")
            && !path.ends_with("tests.rs")
            && !path.ends_with("fuzzing.rs")
        {
            out.push(path);
        }
    }
    out
}

/// The code lines of a file, with their numbers: comments cut off, and top-level `#[cfg(test)]` items (the unit
/// tests, which may use what the library may not) left out.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if line.trim_start() == "#[cfg(test)]" && !line.starts_with(' ') {
            // Skip the item: to its closing brace at column 0 (a module), or just its one line (`mod tests;`).
            for (_, l) in lines.by_ref() {
                if l == "}" || (l.starts_with("mod ") && l.ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        let code = line.split("//").next().unwrap_or_default();
        if !code.trim().is_empty() {
            out.push((i + 1, code));
        }
    }
    out
}

/// Socket, thread, clock and runtime names the core's library code must not use: it gets bytes, events and times
/// from its caller.
const FORBIDDEN: &[&str] = &[
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "std::net::Tcp",
    "Instant::now",
    "SystemTime::now",
    "UNIX_EPOCH.elapsed",
    ".elapsed()",
    "std::thread",
    "thread::spawn",
    "thread::sleep",
    "tokio",
    "std::fs",
    "std::process",
];

#[test]
fn the_core_opens_no_socket_spawns_no_thread_and_reads_no_clock() {
    let files = rust_files(&src());
    assert!(files.len() > 20, "only {} source files found under {}", files.len(), src().display());
    let mut found = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (n, code) in code_lines(&text) {
            for word in FORBIDDEN.iter().filter(|w| code.contains(*w)) {
                found.push(format!("{}:{n}: {word}: {}", path.display(), code.trim()));
            }
        }
    }
    assert!(found.is_empty(), "the core must not do IO, threads or time itself:\n{}", found.join("\n"));
}

#[test]
fn the_scan_sees_code_and_skips_comments_and_unit_tests() {
    let text = "use std::net::TcpStream;\n// std::thread here is prose\nfn f() {} // tokio in a comment\n\
                #[cfg(test)]\nmod tests {\n    use std::fs;\n}\nfn g() { std::thread::yield_now() }\n";
    let code: Vec<(usize, &str)> = code_lines(text);
    assert_eq!(code, [(1, "use std::net::TcpStream;"), (3, "fn f() {} "), (8, "fn g() { std::thread::yield_now() }")]);
}

/// The `[dependencies]` of the core are the parsing helpers and `bytes`; no runtime, no socket library.
#[test]
fn the_core_depends_on_parsing_crates_only() {
    let manifest = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap_or_default();
    let deps: Vec<&str> = manifest
        .split("\n[")
        .find(|section| section.starts_with("dependencies]"))
        .map(|section| section.lines().skip(1).filter_map(|l| l.split(['=', '.']).next()).map(str::trim))
        .into_iter()
        .flatten()
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .collect();
    assert_eq!(deps, ["bytes", "memchr", "nom", "ppp", "thiserror"], "crates/proto/Cargo.toml [dependencies]");
}

/// One `unsafe` block, where its measured reason is written (`line::plain_prefix`), and the lint that refuses any
/// other.
#[test]
fn one_measured_unsafe_block() {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap_or_default();
    assert!(lib.contains("#![deny(unsafe_code)]"), "lib.rs must deny unsafe_code");
    let mut allowed = Vec::new();
    for path in rust_files(&src()) {
        let text = fs::read_to_string(&path).unwrap_or_default();
        for (n, code) in code_lines(&text) {
            if code.contains("allow(unsafe_code)") {
                allowed.push(format!("{}:{n}", path.strip_prefix(src()).unwrap_or(&path).display()));
            }
        }
    }
    assert_eq!(allowed.len(), 1, "unsafe allowed at {allowed:?}");
    assert!(allowed[0].starts_with("line.rs:"), "unsafe allowed at {allowed:?}, not in line.rs");
}
