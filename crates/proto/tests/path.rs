//! 257 paths: every `pwd` vector, every `invalid` vector fed to `pwd`, and proptest properties.
mod common;

use ftpkit_proto::path::{format_257, parse_257, quote_path, QuotedPath};
use proptest::prelude::*;

#[test]
fn pwd_vectors() {
    let vectors = common::of_kind("pwd");
    assert!(vectors.len() >= 10, "expected the shared pwd vectors, found {}", vectors.len());
    for v in &vectors {
        let want = v.expect["path"].as_str().unwrap_or_else(|| panic!("{}: no expect.path", v.at()));
        match parse_257(&v.input) {
            Ok(got) => assert_eq!(got, want, "{}", v.at()),
            Err(e) => panic!("{}: refused: {e}", v.at()),
        }
    }
}

#[test]
fn invalid_pwd_vectors() {
    let vectors = common::invalid_as("pwd");
    assert!(vectors.len() >= 3, "expected invalid pwd vectors, found {}", vectors.len());
    for v in &vectors {
        if let Ok(p) = parse_257(&v.input) {
            panic!("{}: accepted as {p:?}, want refusal ({})", v.at(), v.expect["reason"]);
        }
    }
}

#[test]
fn real_pwd_replies() {
    for (server, text) in [
        ("vsftpd", "257 \"/\" is the current directory\r\n"),
        ("pureftpd", "257 \"/\" is your current location\r\n"),
        ("pyftpdlib", "257 \"/\" is the current directory.\r\n"),
    ] {
        assert_eq!(parse_257(text).as_deref(), Ok("/"), "{server}");
    }
}

proptest! {
    #[test]
    fn format_then_parse(path in "[^\\x00-\\x1f\\x7f]{0,40}", text in "[ -~]{0,20}") {
        let line = format_257(&path, &text).unwrap();
        prop_assert_eq!(parse_257(&line).unwrap(), path.as_str());
        let quoted = quote_path(&path).unwrap();
        prop_assert_eq!(parse_257(&quoted).unwrap(), path.as_str());
        prop_assert_eq!(QuotedPath::new(&path).unwrap().to_string(), quoted);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,80}") {
        let _ = parse_257(&text);
        let _ = quote_path(&text);
    }

    #[test]
    fn control_characters_always_refused(prefix in "[a-z/]{0,8}", c in 0u8..0x20, suffix in "[a-z/]{0,8}") {
        let path = format!("{prefix}{}{suffix}", c as char);
        prop_assert!(quote_path(&path).is_err());
        let reply = format!("257 \"{path}\" x");
        prop_assert!(parse_257(&reply).is_err());
    }
}
