//! The documentation generated from the session tables is up to date: the client's verdict and transition tables
//! in its module docs, and its state diagram in `docs/ARCHITECTURE.md`. `cargo xtask codegen` rewrites them
//! (it runs this test with `FTPKIT_BLESS=1`).

use ftpkit_proto::session::client::generated_docs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bless() -> bool {
    std::env::var_os("FTPKIT_BLESS").is_some()
}

/// Checks (or, when blessing, writes) a whole generated file.
fn check_file(path: &Path, want: &str) -> Result<(), String> {
    let have = std::fs::read_to_string(path).unwrap_or_default();
    if have == want {
        return Ok(());
    }
    if bless() {
        std::fs::write(path, want).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(());
    }
    Err(format!("{} is stale: run `cargo xtask codegen`", path.display()))
}

/// Checks (or writes) the block between `<!-- generated:NAME -->` and `<!-- end:NAME -->` in a file.
fn check_block(path: &Path, name: &str, want: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (open, close) = (format!("<!-- generated:{name} -->\n"), format!("<!-- end:{name} -->"));
    let start = text.find(&open).ok_or(format!("{}: no {open:?} marker", path.display()))? + open.len();
    let end = start + text[start..].find(&close).ok_or(format!("{}: no {close:?} marker", path.display()))?;
    if text[start..end] == *want {
        return Ok(());
    }
    if bless() {
        let mut out = text[..start].to_owned();
        out.push_str(want);
        out.push_str(&text[end..]);
        return std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()));
    }
    Err(format!("{} block {name} is stale: run `cargo xtask codegen`", path.display()))
}

#[test]
fn client_session_docs_are_generated_from_its_tables() {
    let [verdicts, transitions, diagram] = generated_docs();
    let src = root().join("crates/proto/src/session/client");
    let mut errors = Vec::new();
    for r in [
        check_file(&src.join("verdicts.md"), &verdicts),
        check_file(&src.join("transitions.md"), &transitions),
        check_block(&root().join("docs/ARCHITECTURE.md"), "client-diagram", &format!("```mermaid\n{diagram}```\n")),
    ] {
        if let Err(e) = r {
            errors.push(e);
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_generated_tables_name_every_step_and_act() {
    let [verdicts, transitions, diagram] = generated_docs();
    for step in ["greeting", "USER", "EPSV ALL", "REST (transfer)", "ABOR (reply owed)", "transfer"] {
        assert!(verdicts.contains(&format!("| {step} |")), "verdicts lack {step}");
    }
    for act in ["FallbackPasv", "AcceptThenTransfer", "DropCancelled", "RequestFailed", "ConnectedSendXfer"] {
        assert!(transitions.contains(act), "transitions lack {act}");
    }
    for state in ["greeting", "idle", "sent", "await_connect", "await_data", "closed"] {
        assert!(diagram.contains(state), "diagram lacks {state}");
    }
}
