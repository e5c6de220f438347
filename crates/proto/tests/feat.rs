//! FEAT replies: the three real servers' replies from the transcripts, and proptest properties.
mod common;

use ftpkit_proto::feat::Features;
use proptest::prelude::*;
use serde_json::Value;

/// The `reply_text` of the exchange whose `sent` is `command` in `testdata/transcripts/<server>-session.jsonl`.
fn reply_to(server: &str, command: &str) -> String {
    let path = format!("{}/testdata/transcripts/{server}-session.jsonl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}: {e}"));
        if v["sent"].as_str() == Some(command) {
            return v["reply_text"].as_str().expect("reply_text").to_owned();
        }
    }
    panic!("{path}: no exchange for {command}")
}

fn names(f: &Features<'_>) -> Vec<String> {
    f.iter().map(|x| x.name().to_owned()).collect()
}

#[test]
fn vsftpd_feat() {
    let text = reply_to("vsftpd", "FEAT");
    let f = Features::from_reply_text(&text).unwrap();
    assert_eq!(names(&f), ["EPRT", "EPSV", "MDTM", "PASV", "REST", "SIZE", "TVFS"]);
    assert!(f.supports_epsv() && f.supports_eprt() && f.supports_rest_stream() && f.supports_size());
    assert!(!f.utf8() && !f.supports_mlsd() && f.mlst_facts().is_none());
    assert_eq!(f.params("rest"), Some("STREAM"));
}

#[test]
fn pureftpd_feat() {
    let text = reply_to("pureftpd", "FEAT");
    let f = Features::from_reply_text(&text).unwrap();
    assert_eq!(f.len(), 17);
    assert!(f.utf8() && f.supports_mlsd() && f.supports_auth_tls() && f.has("PRET") && f.has("esta"));
    let facts: Vec<_> = f.mlst_facts().unwrap().map(|m| (m.name, m.default)).collect();
    assert_eq!(
        facts,
        [
            ("type", true),
            ("size", true),
            ("sizd", true),
            ("modify", true),
            ("UNIX.mode", true),
            ("UNIX.uid", true),
            ("UNIX.gid", true),
            ("unique", true)
        ]
    );
}

#[test]
fn pyftpdlib_feat() {
    let text = reply_to("pyftpdlib", "FEAT");
    let f = Features::from_reply_text(&text).unwrap();
    assert_eq!(names(&f), ["EPRT", "EPSV", "MDTM", "MFMT", "MLST", "REST", "SIZE", "TVFS", "UTF8"]);
    let facts: Vec<_> = f.mlst_facts().unwrap().map(|m| (m.name, m.default)).collect();
    assert_eq!(
        facts,
        [
            ("type", true),
            ("perm", true),
            ("size", true),
            ("modify", true),
            ("unique", true),
            ("unix.mode", false),
            ("unix.uid", false),
            ("unix.gid", false)
        ]
    );
    assert!(f.utf8() && f.supports_mlsd() && !f.supports_auth_tls());
}

#[test]
fn text_lines_form_matches_raw_form() {
    for server in ["vsftpd", "pureftpd", "pyftpdlib"] {
        let text = reply_to(server, "FEAT");
        let raw = Features::from_reply_text(&text).unwrap();
        // The reply decoder's `text` lines: the code prefix removed where a line starts with it.
        let lines: Vec<&str> =
            text.lines().map(|l| if l.starts_with("211") { l.get(4..).unwrap_or("") } else { l }).collect();
        assert_eq!(Features::parse(lines.iter().copied()), raw, "{server}");
        // And a server writing the same features produces text that reads back equal.
        assert_eq!(Features::from_reply_text(&raw.to_reply_text()).unwrap(), raw, "{server}");
    }
}

#[test]
fn feat_refused_is_wrong_reply() {
    let err = Features::from_reply_text("502 Command not implemented.\r\n").unwrap_err();
    assert_eq!(err.kind(), ftpkit_proto::ErrorKind::WrongReply);
}

proptest! {
    #[test]
    fn format_then_parse(feats in proptest::collection::vec(("[A-Za-z0-9.]{1,8}", "([!-~]([ -~]{0,10}[!-~])?)?"), 0..8)) {
        let mut f = Features::new();
        for (name, params) in &feats {
            f.push(name.as_str(), params.as_str()).unwrap();
        }
        let text = f.to_reply_text();
        let back = Features::from_reply_text(&text).unwrap();
        prop_assert_eq!(back, f);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(.|\r|\n){0,120}") {
        if let Ok(f) = Features::from_reply_text(&text) {
            let _ = f.mlst_facts().map(|m| m.count());
            let _ = f.to_reply_text();
        }
        let _ = Features::parse(text.split('\n'));
    }
}
