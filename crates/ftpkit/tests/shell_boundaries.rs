//! The shells decide nothing and parse no FTP syntax (invariants 7 and 8 of `docs/ARCHITECTURE.md`), checked on the
//! source of `crates/ftpkit` and `crates/cli`: outside their unit tests, no reply line is written by hand (replies
//! come from `ServerSession`) and no tuple is split by hand (tuples are `ftpkit_proto::hostport`'s).
use std::fs;
use std::path::{Path, PathBuf};

/// Hand-written reply lines that stand today, each with why (the shutdown reply is the session's since issue 11).
/// A new row needs a reason the session cannot give.
const KNOWN: &[(&str, &str, &str)] =
    &[("crates/ftpkit/src/server/mod.rs", "421 Too many sessions", "refused before any session exists")];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out
}

/// The code lines of a file with their numbers: `//` comments cut off, top-level `#[cfg(test)]` items left out.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        if line == "#[cfg(test)]" {
            for (_, l) in lines.by_ref() {
                if l == "}" || (l.starts_with("mod ") && l.ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        let code = line.split(" //").next().unwrap_or_default();
        if !code.trim_start().starts_with("//") && !code.trim().is_empty() {
            out.push((i + 1, code));
        }
    }
    out
}

/// The reply line a string literal in `code` starts with: `"NNN text\r\n"` or `"NNN-text\r\n"`, bytes or text.
fn hand_written_reply(code: &str) -> Option<&str> {
    code.match_indices('"').map(|(i, _)| &code[i + 1..]).find(|lit| {
        let b = lit.as_bytes();
        b.len() > 4
            && b[..3].iter().all(u8::is_ascii_digit)
            && matches!(b[3], b' ' | b'-')
            && lit.split('"').next().is_some_and(|l| l.contains("\\r\\n"))
    })
}

#[test]
fn the_shells_write_no_reply_and_split_no_tuple_by_hand() {
    let root = workspace();
    let mut files = rust_files(&root.join("crates/ftpkit/src"));
    files.extend(rust_files(&root.join("crates/cli/src")));
    assert!(files.len() > 10, "only {} files found", files.len());
    let mut found = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        for (n, code) in code_lines(&text) {
            if let Some(lit) = hand_written_reply(code) {
                if !KNOWN.iter().any(|(file, start, _)| *file == rel && lit.starts_with(start)) {
                    found.push(format!("{rel}:{n}: reply written by hand: {}", code.trim()));
                }
            }
            if code.contains("split(',')") || code.contains("split('|')") {
                found.push(format!("{rel}:{n}: a tuple split by hand: {}", code.trim()));
            }
        }
    }
    assert!(found.is_empty(), "the shells must leave FTP syntax to the core:\n{}", found.join("\n"));
}

#[test]
fn the_scan_finds_what_it_looks_for() {
    assert_eq!(hand_written_reply(r#"w.write_all(b"550 No such file.\r\n")"#), Some("550 No such file.\\r\\n\")"));
    assert_eq!(hand_written_reply(r#"info!("227 address replaced")"#), None);
    let text = "fn a() { w(b\"226 ok\\r\\n\") } // \"221 bye\\r\\n\"\n#[cfg(test)]\nmod tests {\n    x(\"550 no\\r\\n\");\n}\n";
    assert_eq!(code_lines(text), [(1, "fn a() { w(b\"226 ok\\r\\n\") }")]);
}
