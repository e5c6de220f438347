//! Reply decoding against every `reply` vector, every `invalid` vector fed as a reply, and the real server
//! transcripts, whole and split at every byte offset; proptest round trips and no-panic properties.
mod common;

use common::Vector;
use ftpkit_proto::reply::{parse_reply_with, Code, Framing, Limits, Reply, ReplyDecoder, ReplyRef};
use proptest::prelude::*;
use serde_json::Value;

/// What a decoder produced: a reply (code, raw lines, text lines) or an error kind name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Out {
    Reply { code: u16, lines: Vec<Vec<u8>>, text: Vec<Vec<u8>>, raw: Vec<u8> },
    Error(&'static str),
}

fn out_of(r: &ReplyRef<'_>) -> Out {
    Out::Reply {
        code: r.code().get(),
        lines: r.lines().map(<[u8]>::to_vec).collect(),
        text: r.text_lines().map(<[u8]>::to_vec).collect(),
        raw: r.raw().to_vec(),
    }
}

/// Feed the chunks in order, draining after each; every output in order.
fn decode_chunks(framing: Framing, limits: Limits, chunks: &[&[u8]]) -> Vec<Out> {
    let mut d = ReplyDecoder::new(framing, limits);
    let mut out = Vec::new();
    for chunk in chunks {
        d.feed(chunk);
        drain(&mut d, &mut out);
    }
    out
}

/// Decode every complete reply the decoder holds.
fn drain(d: &mut ReplyDecoder, out: &mut Vec<Out>) {
    loop {
        match d.decode() {
            Ok(Some(r)) => out.push(out_of(&r)),
            Ok(None) => break,
            Err(e) => out.push(Out::Error(e.kind().name())),
        }
    }
}

/// Whole, then split at every offset: the outputs must not depend on how the bytes arrived.
fn decode_every_split(framing: Framing, limits: Limits, input: &[u8], at: &str) -> Vec<Out> {
    let whole = decode_chunks(framing, limits, &[input]);
    for i in 0..=input.len() {
        let split = decode_chunks(framing, limits, &[&input[..i], &input[i..]]);
        assert_eq!(split, whole, "{at}: split at byte {i} differs");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(decode_chunks(framing, limits, &bytes), whole, "{at}: byte-at-a-time differs");
    whole
}

fn framing_of(v: &Vector) -> Framing {
    match v.raw.get("framing").and_then(Value::as_str) {
        Some("tolerant") => Framing::Tolerant,
        None | Some("strict") => Framing::Strict,
        Some(other) => panic!("{}: unknown framing {other:?}", v.at()),
    }
}

fn limits_of(v: &Vector) -> Limits {
    let mut limits = Limits::default();
    if let Some(l) = v.raw.get("limits") {
        let get = |k: &str| l.get(k).and_then(Value::as_u64).map(|n| n as usize);
        limits.max_line = get("max_line").unwrap_or(limits.max_line);
        limits.max_reply_bytes = get("max_reply_bytes").unwrap_or(limits.max_reply_bytes);
        limits.max_reply_lines = get("max_reply_lines").unwrap_or(limits.max_reply_lines);
    }
    limits
}

/// An expected string as wire bytes (latin-1 vectors map each char to one byte).
fn wire(v: &Vector, s: &str) -> Vec<u8> {
    if v.raw.get("encoding").and_then(Value::as_str) == Some("latin-1") {
        s.chars().map(|c| c as u32 as u8).collect()
    } else {
        s.as_bytes().to_vec()
    }
}

fn strings(v: &Vector, key: &str) -> Vec<Vec<u8>> {
    v.expect[key]
        .as_array()
        .unwrap_or_else(|| panic!("{}: expect.{key} is not an array", v.at()))
        .iter()
        .map(|s| wire(v, s.as_str().expect("string")))
        .collect()
}

#[test]
fn reply_vectors() {
    let vectors = common::of_kind("reply");
    assert!(vectors.len() >= 40, "only {} reply vectors", vectors.len());
    for v in &vectors {
        let input = v.input_bytes();
        let framing = framing_of(v);
        let code = v.expect["code"].as_u64().expect("code") as u16;
        let lines = strings(v, "lines");
        let text = strings(v, "text");
        let outs = decode_every_split(framing, limits_of(v), &input, &v.at());
        let Some(Out::Reply { code: got, lines: got_lines, text: got_text, .. }) = outs.first() else {
            panic!("{}: no reply decoded, got {outs:?}", v.at());
        };
        assert_eq!(*got, code, "{}: code", v.at());
        assert_eq!(*got_lines, lines, "{}: lines", v.at());
        assert_eq!(*got_text, text, "{}: text", v.at());
        // The whole input is one reply unless the vector says otherwise (tolerant framing may close early).
        if framing == Framing::Strict {
            assert_eq!(outs.len(), 1, "{}: expected exactly one reply, got {outs:?}", v.at());
        }
        // The one-shot parser agrees (no Telnet stripping there, so only for inputs without IAC).
        if !input.contains(&0xFF) {
            let (r, n) = parse_reply_with(&input, framing, &limits_of(v))
                .unwrap_or_else(|e| panic!("{}: parse_reply: {e}", v.at()))
                .unwrap_or_else(|| panic!("{}: parse_reply needs more", v.at()));
            assert_eq!(out_of(&r), outs[0], "{}: parse_reply", v.at());
            assert_eq!(n, r.raw().len(), "{}: consumed", v.at());
        }
        // Owned form: the text lines, lossily decoded.
        let owned = decode_chunks(framing, limits_of(v), &[&input]);
        assert!(!owned.is_empty());
        let mut d = ReplyDecoder::new(framing, limits_of(v));
        d.feed(&input);
        let reply = d.decode_owned().expect("decodes").expect("complete");
        let want: Vec<String> = text.iter().map(|t| String::from_utf8_lossy(t).into_owned()).collect();
        assert_eq!(reply, Reply::multiline(Code::new(code).expect("valid code"), want), "{}: owned", v.at());
    }
}

#[test]
fn invalid_reply_vectors() {
    let vectors = common::invalid_as("reply");
    assert!(vectors.len() >= 15, "only {} invalid reply vectors", vectors.len());
    for v in &vectors {
        let input = v.input_bytes();
        let outs = decode_every_split(framing_of(v), limits_of(v), &input, &v.at());
        match outs.first() {
            Some(Out::Error(kind)) => {
                if let Some(want) = v.expect.get("error_kind").and_then(Value::as_str) {
                    assert_eq!(*kind, want, "{}: error kind", v.at());
                }
            }
            other => panic!("{}: expected an error first, got {other:?}", v.at()),
        }
        if !input.contains(&0xFF) {
            let got = parse_reply_with(&input, framing_of(v), &limits_of(v));
            assert!(got.is_err(), "{}: parse_reply accepted it: {got:?}", v.at());
        }
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex")).collect()
}

#[test]
fn transcripts() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/transcripts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("transcripts dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with("-session.jsonl"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    for path in files {
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("read");
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let at = format!("{name}:{}", i + 1);
            let entry: Value = serde_json::from_str(line).expect("json");
            let bytes = unhex(entry["reply_bytes_hex"].as_str().expect("reply_bytes_hex"));
            // Each entry is one reply, or (data commands) a preliminary and a final reply; both framings agree on
            // these servers, and the replies tile the bytes exactly.
            for framing in [Framing::Strict, Framing::Tolerant] {
                let outs = decode_chunks(framing, Limits::default(), &[&bytes]);
                let mut raw = Vec::new();
                for o in &outs {
                    match o {
                        Out::Reply { code, raw: r, .. } => {
                            assert_eq!(code.to_string().as_bytes(), &r[..3], "{at}");
                            raw.extend_from_slice(r);
                        }
                        Out::Error(e) => panic!("{at}: {e}"),
                    }
                }
                assert_eq!(raw, bytes, "{at}: replies do not tile the bytes");
                let want = if entry.get("data_hex").is_some() { 2 } else { 1 };
                assert_eq!(outs.len(), want, "{at}: reply count");
                if framing == Framing::Strict {
                    expected.extend(outs);
                }
            }
            stream.extend_from_slice(&bytes);
        }
        let whole = decode_every_split(Framing::Strict, Limits::default(), &stream, &name);
        assert_eq!(whole, expected, "{name}: the stream decodes to the per-entry replies");
        #[cfg(feature = "bytes")]
        check_feed_buf(&stream, &whole, &name);
        // 23 exchanges; LIST, MLSD and NLST bring two replies each, but vsftpd refuses MLSD (one reply).
        let want = if name.starts_with("vsftpd") { 25 } else { 26 };
        assert_eq!(whole.len(), want, "{name}: reply count");
    }
}

/// `feed_buf` decodes what `feed` decodes: from one `BytesMut` reused for reads of every size up to 64 bytes (left
/// empty by each call), and from a chain of two `Bytes` (split at every 97th byte) fed in one call.
#[cfg(feature = "bytes")]
fn check_feed_buf(stream: &[u8], want: &[Out], at: &str) {
    use bytes::{Buf, Bytes, BytesMut};
    let strict = || ReplyDecoder::new(Framing::Strict, Limits::default());
    for read in 1..=64 {
        let (mut d, mut buf, mut got) = (strict(), BytesMut::new(), Vec::new());
        for part in stream.chunks(read) {
            buf.extend_from_slice(part);
            d.feed_buf(&mut buf);
            assert!(buf.is_empty(), "{at}: feed_buf left bytes in the BytesMut");
            drain(&mut d, &mut got);
        }
        assert_eq!(got, want, "{at}: feed_buf with {read}-byte reads differs");
    }
    for split in (0..=stream.len()).step_by(97) {
        let mut chain = Bytes::copy_from_slice(&stream[..split]).chain(Bytes::copy_from_slice(&stream[split..]));
        let (mut d, mut got) = (strict(), Vec::new());
        d.feed_buf(&mut chain);
        assert!(!chain.has_remaining(), "{at}: feed_buf left bytes in the chain");
        drain(&mut d, &mut got);
        assert_eq!(got, want, "{at}: feed_buf of a chain split at {split} differs");
    }
}

#[test]
fn transcript_multiline_texts() {
    // Pure-FTPd's greeting: six lines, the first one `220---------- Welcome ...`.
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/transcripts/pureftpd-session.jsonl");
    let text = std::fs::read_to_string(path).expect("read");
    let first: Value = serde_json::from_str(text.lines().next().expect("line")).expect("json");
    let bytes = unhex(first["reply_bytes_hex"].as_str().expect("hex"));
    let mut d = ReplyDecoder::default();
    d.feed(&bytes);
    let r = d.decode().expect("ok").expect("complete");
    assert_eq!(r.code(), Code::SERVICE_READY);
    assert_eq!(r.lines().count(), 6);
    assert!(r.text_lines().next().expect("first").starts_with(b"--------- Welcome"));
}

fn code_strategy() -> impl Strategy<Value = Code> {
    prop_oneof![100u16..600, 631u16..634].prop_map(|c| Code::new(c).expect("valid"))
}

fn text_strategy() -> impl Strategy<Value = String> {
    // Printable text, digits and separators included so lines can look like codes; no CR, LF or NUL.
    proptest::collection::vec(
        prop_oneof![Just('2'), Just('0'), Just(' '), Just('-'), Just('\u{e9}'), Just('\t'), any::<char>()],
        0..12,
    )
    .prop_map(|cs| cs.into_iter().filter(|c| !matches!(c, '\r' | '\n' | '\0')).collect())
}

proptest! {
    #[test]
    fn reply_round_trip(code in code_strategy(), lines in proptest::collection::vec(text_strategy(), 1..6),
                        split in any::<prop::sample::Index>()) {
        let reply = Reply::multiline(code, lines);
        let bytes = reply.to_bytes().expect("encodes");
        for framing in [Framing::Strict, Framing::Tolerant] {
            let mut d = ReplyDecoder::new(framing, Limits::default());
            let at = split.index(bytes.len() + 1);
            d.feed(&bytes[..at]);
            let early = d.decode_owned().expect("no error");
            d.feed(&bytes[at..]);
            let got = match early { Some(r) => r, None => d.decode_owned().expect("no error").expect("complete") };
            prop_assert_eq!(&got, &reply);
            prop_assert_eq!(d.decode_owned(), Ok(None));
            prop_assert!(d.is_idle());
        }
    }

    #[test]
    fn decoder_never_panics_and_ignores_splits(
        input in proptest::collection::vec(
            prop_oneof![Just(b'2'), Just(b'0'), Just(b'5'), Just(b' '), Just(b'-'), Just(b'\r'), Just(b'\n'),
                        Just(0xFFu8), Just(0xFBu8), Just(b'a'), any::<u8>()], 0..200),
        split in any::<prop::sample::Index>(),
        tolerant in any::<bool>(),
        max_line in 0usize..40,
    ) {
        let framing = if tolerant { Framing::Tolerant } else { Framing::Strict };
        let limits = Limits { max_line, max_reply_bytes: 120, max_reply_lines: 6 };
        let whole = decode_chunks(framing, limits, &[&input]);
        let at = split.index(input.len() + 1);
        prop_assert_eq!(decode_chunks(framing, limits, &[&input[..at], &input[at..]]), whole);
        let _ = parse_reply_with(&input, framing, &limits);
    }
}
