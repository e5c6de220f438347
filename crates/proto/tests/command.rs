//! Command parsing against every `command` vector (except PORT/EPRT/LPRT, which need the host-port parsers: see
//! `command_hostport.rs`), every `invalid` vector fed as a command or to the formatter; proptest round trips for
//! every other variant and no-panic properties for the decoder.
mod common;

use common::Vector;
use ftpkit_proto::command::{
    format_command, Allocation, Command, CommandDecoder, CommandLine, EpsvArg, FormatControl, ProtectionLevel,
    Structure, TransferMode, TransferType,
};
use proptest::prelude::*;
use serde_json::Value;
use std::borrow::Cow;

/// Verbs whose argument goes through `crate::hostport`.
const HOSTPORT_VERBS: &[&str] = &["PORT", "EPRT", "LPRT"];

fn is_latin1(v: &Vector) -> bool {
    v.raw.get("encoding").and_then(Value::as_str) == Some("latin-1")
}

/// The input with a line end, for the decoder.
fn with_line_end(mut bytes: Vec<u8>) -> Vec<u8> {
    if !bytes.ends_with(b"\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

type Decoded = Result<(String, Option<String>), (u16, &'static str)>;

/// Decode one line fed in two chunks split at `at`; the outcome as (verb, arg) or an error (hint, kind).
fn decode_split(input: &[u8], at: usize) -> Vec<Decoded> {
    let mut d = CommandDecoder::default();
    let mut out = Vec::new();
    for chunk in [&input[..at], &input[at..]] {
        d.feed(chunk);
        loop {
            match d.decode() {
                Ok(Some(c)) => out.push(Ok((c.verb().to_ascii_uppercase(), c.arg().map(Cow::into_owned)))),
                Ok(None) => break,
                Err(e) => out.push(Err((e.reply_hint(), e.kind().name()))),
            }
        }
    }
    out
}

fn check_command_vector(v: &Vector) {
    let verb = v.expect["verb"].as_str().expect("verb");
    let arg = v.expect["arg"].as_str();
    let bytes = v.input_bytes();
    // Through the decoder, split at every offset (Telnet bytes of latin-1 vectors are stripped there).
    let framed = with_line_end(bytes.clone());
    let whole = decode_split(&framed, framed.len());
    for at in 0..=framed.len() {
        assert_eq!(decode_split(&framed, at), whole, "{}: split at {at}", v.at());
    }
    assert_eq!(whole.len(), 1, "{}: {whole:?}", v.at());
    let (got_verb, got_arg) = whole[0].clone().unwrap_or_else(|e| panic!("{}: decoder error {e:?}", v.at()));
    assert_eq!(got_verb, verb, "{}: verb via decoder", v.at());
    if !HOSTPORT_VERBS.contains(&verb) && !["TYPE", "EPSV", "ALLO", "STRU", "MODE", "PROT"].contains(&verb) {
        assert_eq!(got_arg.as_deref(), arg, "{}: arg via decoder", v.at());
    }
    if is_latin1(v) {
        return;
    }
    // The raw split.
    let line = v.input.strip_suffix("\r\n").or_else(|| v.input.strip_suffix('\n')).unwrap_or(&v.input);
    let split = CommandLine::split(line);
    assert_eq!(split.verb_upper(), verb, "{}: split verb", v.at());
    assert_eq!(split.arg, arg, "{}: split arg", v.at());
    // The typed parse, and encode → parse gives the same command back.
    let cmd = Command::parse(&v.input).unwrap_or_else(|e| panic!("{}: {e}", v.at()));
    assert_eq!(cmd.verb().to_ascii_uppercase(), verb, "{}: verb", v.at());
    let encoded = cmd.to_bytes().unwrap_or_else(|e| panic!("{}: encode: {e}", v.at()));
    let again = Command::parse_bytes(&encoded).unwrap_or_else(|e| panic!("{}: reparse: {e}", v.at()));
    assert_eq!(again, cmd, "{}: round trip through {:?}", v.at(), String::from_utf8_lossy(&encoded));
}

#[test]
fn command_vectors() {
    let vectors: Vec<_> = common::of_kind("command")
        .into_iter()
        .filter(|v| !HOSTPORT_VERBS.contains(&v.expect["verb"].as_str().unwrap_or("")))
        .collect();
    assert!(vectors.len() >= 70, "only {} command vectors", vectors.len());
    for v in &vectors {
        check_command_vector(v);
    }
}

#[test]
fn invalid_command_vectors() {
    let vectors = common::invalid_as("command");
    assert!(vectors.len() >= 15, "only {}", vectors.len());
    for v in &vectors {
        let bytes = v.input_bytes();
        let parsed = Command::parse_bytes(&bytes);
        let err = match parsed {
            Err(e) => e,
            Ok(c) => panic!("{}: accepted as {c:?}", v.at()),
        };
        if let Some(hint) = v.expect.get("hint").and_then(Value::as_u64) {
            assert_eq!(u64::from(err.reply_hint()), hint, "{}: reply hint of {err}", v.at());
        }
        if let Some(kind) = v.expect.get("error_kind").and_then(Value::as_str) {
            assert_eq!(err.kind().name(), kind, "{}: kind of {err}", v.at());
        }
        // Through the decoder every line of the input is refused or the first one is.
        let framed = with_line_end(bytes);
        let outs = decode_split(&framed, framed.len());
        assert!(matches!(outs.first(), Some(Err(_))), "{}: decoder gave {outs:?}", v.at());
        for at in 0..=framed.len() {
            assert_eq!(decode_split(&framed, at), outs, "{}: split at {at}", v.at());
        }
    }
}

#[test]
fn invalid_format_vectors() {
    let vectors = common::invalid_as("command_format");
    assert!(vectors.len() >= 5, "only {}", vectors.len());
    for v in &vectors {
        let split = CommandLine::split(&v.input);
        let mut out = b"before".to_vec();
        let err = format_command(split.verb, split.arg, &mut out)
            .err()
            .unwrap_or_else(|| panic!("{}: formatted as {:?}", v.at(), String::from_utf8_lossy(&out)));
        assert_eq!(err.kind(), ftpkit_proto::ErrorKind::Injection, "{}: {err}", v.at());
        assert_eq!(out, b"before", "{}: wrote on error", v.at());
        // The typed encoder refuses it too, whichever variant the verb maps to.
        let cmd = Command::Other { verb: Cow::Borrowed(split.verb), arg: split.arg.map(Cow::Borrowed) };
        assert!(cmd.encode(&mut out).is_err(), "{}", v.at());
        if !split.verb.contains(['\r', '\n', '\0']) {
            let retr = Command::Retr(Cow::Borrowed(split.arg.unwrap_or_default()));
            assert_eq!(retr.encode(&mut out).map_err(|e| e.kind()), Err(ftpkit_proto::ErrorKind::Injection));
        }
    }
}

/// Text for arguments: anything but CR, LF and NUL, blanks included at either end.
fn arg_text(non_empty: bool) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![Just(' '), Just('a'), Just('/'), Just('\u{e9}'), Just('\u{1F600}'), any::<char>()],
        usize::from(non_empty)..12,
    )
    .prop_map(|cs| cs.into_iter().filter(|c| !matches!(c, '\r' | '\n' | '\0')).collect::<String>())
    .prop_filter("non-empty", move |s| !non_empty || !s.is_empty())
}

fn owned(s: String) -> Cow<'static, str> {
    Cow::Owned(s)
}

fn form() -> impl Strategy<Value = Option<FormatControl>> {
    prop_oneof![
        Just(None),
        Just(Some(FormatControl::NonPrint)),
        Just(Some(FormatControl::Telnet)),
        Just(Some(FormatControl::Carriage))
    ]
}

/// Every variant except PORT, EPRT and LPRT (see `command_hostport.rs`).
fn command() -> impl Strategy<Value = Command<'static>> {
    use Command as C;
    let none = prop_oneof![
        Just(C::Cdup),
        Just(C::Rein),
        Just(C::Quit),
        Just(C::Pasv),
        Just(C::Abor),
        Just(C::Pwd),
        Just(C::Syst),
        Just(C::Noop),
        Just(C::Feat),
        Just(C::Ccc),
        Just(C::Lpsv),
        Just(C::Xpwd),
        Just(C::Xcup),
    ];
    let may_be_empty = (0..3usize, arg_text(false)).prop_map(|(i, s)| match i {
        0 => C::User(owned(s)),
        1 => C::Pass(owned(s)),
        _ => C::Acct(owned(s)),
    });
    let text = (0..23usize, arg_text(true)).prop_map(|(i, s)| {
        let s = owned(s);
        match i {
            0 => C::Cwd(s),
            1 => C::Smnt(s),
            2 => C::Retr(s),
            3 => C::Stor(s),
            4 => C::Appe(s),
            5 => C::Rnfr(s),
            6 => C::Rnto(s),
            7 => C::Dele(s),
            8 => C::Rmd(s),
            9 => C::Mkd(s),
            10 => C::Site(s),
            11 => C::Opts(s),
            12 => C::Size(s),
            13 => C::Mdtm(s),
            14 => C::Auth(s),
            15 => C::Adat(s),
            16 => C::Mic(s),
            17 => C::Conf(s),
            18 => C::Enc(s),
            19 => C::Host(s),
            20 => C::Xcwd(s),
            21 => C::Xmkd(s),
            _ => C::Xrmd(s),
        }
    });
    let optional = (0..8usize, proptest::option::of(arg_text(false))).prop_map(|(i, s)| {
        let s = s.map(owned);
        match i {
            0 => C::Stou(s),
            1 => C::List(s),
            2 => C::Nlst(s),
            3 => C::Stat(s),
            4 => C::Help(s),
            5 => C::Mlst(s),
            6 => C::Mlsd(s),
            _ => C::Lang(s),
        }
    });
    let typed = prop_oneof![
        form().prop_map(|f| C::Type(TransferType::Ascii(f))),
        form().prop_map(|f| C::Type(TransferType::Ebcdic(f))),
        Just(C::Type(TransferType::Image)),
        (1u8..=255).prop_map(|n| C::Type(TransferType::Local(n))),
        prop_oneof![Just(Structure::File), Just(Structure::Record), Just(Structure::Page)].prop_map(C::Stru),
        prop_oneof![Just(TransferMode::Stream), Just(TransferMode::Block), Just(TransferMode::Compressed)]
            .prop_map(C::Mode),
        prop_oneof![
            Just(ProtectionLevel::Clear),
            Just(ProtectionLevel::Safe),
            Just(ProtectionLevel::Confidential),
            Just(ProtectionLevel::Private)
        ]
        .prop_map(C::Prot),
        (any::<u64>(), proptest::option::of(any::<u64>()))
            .prop_map(|(size, record_size)| C::Allo(Allocation { size, record_size })),
        any::<u64>().prop_map(C::Rest),
        any::<u64>().prop_map(C::Pbsz),
        prop_oneof![Just(None), Just(Some(EpsvArg::All)), any::<u16>().prop_map(|p| Some(EpsvArg::Protocol(p)))]
            .prop_map(C::Epsv),
    ];
    let other = ("[A-Za-z]{1,4}[0-9A-Za-z]{0,4}", proptest::option::of(arg_text(false)))
        .prop_filter("not a known verb", |(v, _)| CommandLine::split(v).known_verb().is_none())
        .prop_map(|(v, a)| C::Other { verb: owned(v), arg: a.map(owned) });
    prop_oneof![none, may_be_empty, text, optional, typed, other]
}

type Owned = Result<Command<'static>, ftpkit_proto::command::CommandError>;

/// Decode every complete command the decoder holds.
fn drain(d: &mut CommandDecoder, out: &mut Vec<Owned>) {
    while let Some(result) = d.decode_owned().transpose() {
        out.push(result);
    }
}

#[cfg(feature = "bytes")]
proptest! {
    /// `feed_buf` decodes what `feed` decodes: from one `BytesMut` reused for every read (left empty by each
    /// call), and from a chain of two `Bytes` (two chunks, as a `Buf` can be) fed in one call.
    #[test]
    fn feed_buf_is_feed(
        input in proptest::collection::vec(
            prop_oneof![Just(b'R'), Just(b'E'), Just(b'T'), Just(b' '), Just(b'\r'), Just(b'\n'), Just(0xFFu8),
                        Just(0xF4u8), any::<u8>()], 0..200),
        read in 1usize..24,
        split in any::<prop::sample::Index>(),
    ) {
        use bytes::{Buf, Bytes, BytesMut};
        let mut want = Vec::new();
        let mut d = CommandDecoder::new(16);
        d.feed(&input);
        drain(&mut d, &mut want);

        let (mut got, mut d, mut buf) = (Vec::new(), CommandDecoder::new(16), BytesMut::new());
        for read in input.chunks(read) {
            buf.extend_from_slice(read);
            d.feed_buf(&mut buf);
            prop_assert!(buf.is_empty());
            drain(&mut d, &mut got);
        }
        prop_assert_eq!(&got, &want);

        let at = split.index(input.len() + 1);
        let mut chain = Bytes::copy_from_slice(&input[..at]).chain(Bytes::copy_from_slice(&input[at..]));
        let (mut got, mut d) = (Vec::new(), CommandDecoder::new(16));
        d.feed_buf(&mut chain);
        prop_assert!(!chain.has_remaining());
        drain(&mut d, &mut got);
        prop_assert_eq!(got, want);
    }
}

proptest! {
    #[test]
    fn command_round_trip(cmd in command(), split in any::<prop::sample::Index>()) {
        let bytes = cmd.to_bytes().expect("encodes");
        prop_assert!(bytes.ends_with(b"\r\n"));
        let parsed = Command::parse_bytes(&bytes).expect("parses");
        prop_assert_eq!(&parsed, &cmd);
        // Through the decoder, in two chunks.
        let mut d = CommandDecoder::default();
        let at = split.index(bytes.len() + 1);
        d.feed(&bytes[..at]);
        let early = d.decode_owned().expect("no error");
        d.feed(&bytes[at..]);
        let got = match early { Some(c) => c, None => d.decode_owned().expect("no error").expect("complete") };
        prop_assert_eq!(got, cmd);
    }

    #[test]
    fn decoder_never_panics_and_ignores_splits(
        input in proptest::collection::vec(
            prop_oneof![Just(b'R'), Just(b'E'), Just(b'T'), Just(b' '), Just(b'\r'), Just(b'\n'), Just(0xFFu8),
                        Just(0xF4u8), Just(b'1'), any::<u8>()], 0..200),
        split in any::<prop::sample::Index>(),
        max_line in 0usize..40,
    ) {
        let run = |chunks: &[&[u8]]| {
            let mut d = CommandDecoder::new(max_line);
            let mut out = Vec::new();
            for c in chunks {
                d.feed(c);
                drain(&mut d, &mut out);
            }
            out
        };
        let whole = run(&[&input]);
        let at = split.index(input.len() + 1);
        prop_assert_eq!(run(&[&input[..at], &input[at..]]), whole);
    }

    #[test]
    fn parse_never_panics(line in ".{0,40}") {
        if let Ok(cmd) = Command::parse(&line) {
            // Whatever parses encodes again, unless its host-port form needs the host-port formatter.
            if !["PORT", "EPRT", "LPRT"].contains(&cmd.verb()) {
                let bytes = cmd.to_bytes().expect("a parsed command encodes");
                prop_assert_eq!(Command::parse_bytes(&bytes).expect("reparses"), cmd);
            }
        }
    }
}
