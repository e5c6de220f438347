use super::decode::{scan, single_line, Partial, Scan};
use super::*;
use crate::ErrorKind;

fn decode_all(framing: Framing, limits: Limits, chunks: &[&[u8]]) -> Vec<Result<(u16, Vec<String>), ErrorKind>> {
    let mut d = ReplyDecoder::new(framing, limits);
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c);
        loop {
            match d.decode() {
                Ok(Some(r)) => out.push(Ok((r.code().get(), r.to_owned().lines))),
                Ok(None) => break,
                Err(e) => out.push(Err(e.kind())),
            }
        }
    }
    out
}

fn ok(code: u16, lines: &[&str]) -> Result<(u16, Vec<String>), ErrorKind> {
    Ok((code, lines.iter().map(|s| s.to_string()).collect()))
}

#[test]
fn code_checks() {
    let cases: &[(u16, bool)] =
        &[(99, false), (100, true), (599, true), (600, false), (630, false), (631, true), (633, true), (634, false)];
    for &(v, good) in cases {
        assert_eq!(Code::new(v).is_ok(), good, "{v}");
    }
    assert_eq!(Code::OK.class(), Class::PositiveCompletion);
    assert_eq!(Code::FILE_UNAVAILABLE.category(), Category::FileSystem);
    assert_eq!(Code::new(161).unwrap().category(), Category::Other(6));
    assert_eq!(Code::PRIVACY_PROTECTED.class(), Class::Protected);
    assert!(Code::PRIVACY_PROTECTED.is_protected() && !Code::PRIVACY_PROTECTED.is_negative());
    assert!(Code::NEED_PASSWORD.is_intermediate() && Code::NEED_PASSWORD.is_positive());
    assert!(Code::SERVICE_NOT_AVAILABLE.is_transient_negative());
    assert_eq!(Code::new(120).unwrap().to_string(), "120");
    assert_eq!(Code::from_digits(*b"2a0", 1), Err(ReplyError::NonDigit { line: 1, position: 2, byte: b'a' }));
    assert_eq!(Code::from_digits(*b"099", 1).unwrap_err().kind(), ErrorKind::Range);
}

type Outcome = Result<(u16, Vec<String>), ErrorKind>;
type Case<'a> = (Framing, Limits, &'a [u8], Vec<Outcome>);

#[test]
fn decoder_table() {
    let strict = Framing::Strict;
    let tol = Framing::Tolerant;
    let d = Limits::default();
    let cases: Vec<Case<'_>> = vec![
        (strict, d, b"200 ok\r\n", vec![ok(200, &["ok"])]),
        (strict, d, b"200-a\r\n201 b\r\n200 c\r\n", vec![ok(200, &["a", "201 b", "c"])]),
        (tol, d, b"200-a\r\n201 b\r\n200 c\r\n", vec![ok(201, &["a", "b"]), ok(200, &["c"])]),
        (tol, d, b"200-a\r\n 201 b\r\n200 c\r\n", vec![ok(200, &["a", " 201 b", "c"])]),
        (strict, d, b"200-a\r\n550\r\n200 c\r\n", vec![ok(200, &["a", "550", "c"])]),
        (tol, d, b"200-a\r\n550\r\n200 c\r\n", vec![ok(200, &["a", "550", "c"])]),
        (
            tol,
            d,
            b"200-a\r\n099 x\r\nok\r\n200 c\r\n",
            vec![Err(ErrorKind::Range), Err(ErrorKind::Syntax), ok(200, &["c"])],
        ),
        (strict, d, b"\r\n200 ok\r\n", vec![Err(ErrorKind::Syntax), ok(200, &["ok"])]),
        (
            strict,
            d,
            b"20\r\n200\r\n200_\r\n200 ok\n",
            vec![Err(ErrorKind::Syntax), Err(ErrorKind::Syntax), Err(ErrorKind::Syntax), ok(200, &["ok"])],
        ),
        (strict, d, b"631 base64\r\n", vec![ok(631, &["base64"])]),
        (strict, d, b"200 a\xff\xff\xff\xfb\x01b\r\n", vec![ok(200, &["a\u{fffd}b"])]),
        // Limits.
        (
            strict,
            Limits { max_line: 8, ..d },
            b"200 123456\r\n200 ok\r\n",
            vec![Err(ErrorKind::TooLong), ok(200, &["ok"])],
        ),
        (
            strict,
            Limits { max_line: 8, ..d },
            b"200-a\r\nlong line here\r\nb\r\n200 x\r\n220 ok\r\n",
            vec![Err(ErrorKind::TooLong), ok(220, &["ok"])],
        ),
        (strict, Limits { max_reply_lines: 2, ..d }, b"200-a\r\nb\r\n200 c\r\n", vec![Err(ErrorKind::TooLong)]),
        (
            strict,
            Limits { max_reply_lines: 3, ..d },
            b"200-a\r\nb\r\nc\r\nd\r\n200 e\r\n221 bye\r\n",
            vec![Err(ErrorKind::TooLong), ok(221, &["bye"])],
        ),
        (
            strict,
            Limits { max_reply_bytes: 12, ..d },
            b"200-a\r\nb\r\n200 c\r\n221 bye\r\n",
            vec![Err(ErrorKind::TooLong), ok(221, &["bye"])],
        ),
        (
            strict,
            Limits { max_reply_bytes: 12, ..d },
            b"200-abcdefghijk\r\n200 c\r\n221 bye\r\n",
            vec![Err(ErrorKind::TooLong), ok(221, &["bye"])],
        ),
    ];
    for (framing, limits, input, want) in cases {
        assert_eq!(decode_all(framing, limits, &[input]), want, "{:?} {:?}", framing, String::from_utf8_lossy(input));
        // Every split gives the same result.
        for i in 0..=input.len() {
            assert_eq!(decode_all(framing, limits, &[&input[..i], &input[i..]]), want, "split at {i}");
        }
    }
}

#[test]
fn error_messages_name_the_line() {
    let mut d = ReplyDecoder::default();
    d.feed(b"200 ok\r\n220-x\r\n y\r\n220 z\r\n2x0 bad\r\n");
    assert!(d.decode().unwrap().is_some());
    assert!(d.decode().unwrap().is_some());
    let e = d.decode().unwrap_err();
    assert_eq!(e, ReplyError::NonDigit { line: 5, position: 2, byte: b'x' });
    assert_eq!(e.to_string(), "line 5: byte 2 of the reply code is 0x78, not an ASCII digit");
    assert_eq!(d.decode(), Ok(None));
    assert!(d.is_idle());
    let e = parse_reply(b"099 x\r\n", Framing::Strict).unwrap_err();
    assert_eq!(e.to_string(), "line 1: reply code 099 has first digit 0 (must be 1-5, or 631-633)");
}

#[test]
fn reply_ref_views() {
    let (r, n) = parse_reply(b"230-a\r\n230 b\r\nrest", Framing::Strict).unwrap().unwrap();
    assert_eq!(n, 14);
    assert_eq!(r.raw(), b"230-a\r\n230 b\r\n");
    assert!(r.is_multiline());
    assert_eq!(r.lines().collect::<Vec<_>>(), [&b"230-a"[..], b"230 b"]);
    assert_eq!(r.text_lines().collect::<Vec<_>>(), [&b"a"[..], b"b"]);
    assert_eq!(parse_reply(b"230-a\r\n230", Framing::Strict), Ok(None));
    assert_eq!(parse_reply(b"", Framing::Strict), Ok(None));
}

#[test]
fn recorded_line_ends_read_like_a_search() {
    // A decoder lends the line ends it recorded; parse_reply searches. Both must give the same lines, the
    // same text lines, equal ReplyRefs, and the same results when the reading stops part way.
    let inputs: &[&[u8]] = &[
        b"200 ok\r\n",
        b"230-a\r\n230 b\r\n",
        b"211-x\n\n \r\n211-\r\n211 \r\n",
        b"250-first\r\n 250 not last\r\n250-\r\n\r\r\n250 end\r\n",
        b"220-\xc3\xa9\x80\r\n220 \r\n",
    ];
    for input in inputs {
        let (parsed, _) = parse_reply(input, Framing::Strict).unwrap().unwrap();
        assert!(parsed.ends.is_empty());
        let mut d = ReplyDecoder::default();
        d.feed(b"150-opening\r\n150 ok\r\n"); // a reply before, so the recording is reused
        assert!(d.decode().unwrap().is_some());
        d.feed(input);
        let decoded = d.decode().unwrap().unwrap();
        assert_eq!(decoded.ends.len(), if parsed.is_multiline() { parsed.lines } else { 0 }, "{input:?}");
        assert_eq!(decoded, parsed);
        assert_eq!(decoded.lines().collect::<Vec<_>>(), parsed.lines().collect::<Vec<_>>(), "{input:?}");
        assert_eq!(decoded.text_lines().collect::<Vec<_>>(), parsed.text_lines().collect::<Vec<_>>());
        for n in 0..=parsed.lines {
            let (mut a, mut b) = (decoded.lines(), parsed.lines());
            assert_eq!(a.by_ref().take(n).count(), b.by_ref().take(n).count());
            assert_eq!(a.collect::<Vec<_>>(), b.collect::<Vec<_>>(), "{input:?} after {n}");
        }
    }
    // Offsets that do not describe the reply exactly are not used.
    let raw = b"200-a\r\n200 b\r\n";
    assert!(ReplyRef::with_ends(Code::OK, raw, 2, &[7, 14]).ends.len() == 2);
    assert!(ReplyRef::with_ends(Code::OK, raw, 2, &[7]).ends.is_empty());
    assert!(ReplyRef::with_ends(Code::OK, raw, 2, &[7, u32::MAX]).ends.is_empty());
}

#[test]
fn encode_table() {
    let cases: Vec<(Reply, &[u8])> = vec![
        (Reply::new(Code::OK, "fine"), b"200 fine\r\n"),
        (Reply::new(Code::OK, ""), b"200 \r\n"),
        (Reply::multiline(Code::OK, Vec::<String>::new()), b"200 \r\n"),
        (
            Reply::multiline(Code::SYSTEM_STATUS, ["Features:", " SIZE", "End"]),
            b"211-Features:\r\n211- SIZE\r\n211 End\r\n",
        ),
        (Reply::multiline(Code::OK, ["200 x", "y"]), b"200-200 x\r\n200 y\r\n"),
    ];
    for (reply, want) in cases {
        assert_eq!(reply.to_bytes().unwrap(), want);
    }
    let mut out = Vec::new();
    assert_eq!(
        Reply::multiline(Code::OK, ["ok", "a\r\n200 forged"]).encode(&mut out),
        Err(ReplyError::Injection { line: 2, byte: b'\r' })
    );
    assert!(out.is_empty());
    assert_eq!(Reply::new(Code::OK, "a\0").encode(&mut out).unwrap_err().kind(), ErrorKind::Injection);
}

/// What `scan` makes of the first reply of `region`, as (code, length) when it is a one-line reply.
fn scanned_single(region: &[u8], framing: Framing) -> Option<(Code, usize)> {
    match scan(region, &mut Partial::default(), framing, &Limits::default(), 1, false, None) {
        Scan::Reply { code, len, lines: 1 } => Some((code, len)),
        _ => None,
    }
}

#[test]
fn single_line_fast_path_table() {
    /// A region, and the code and length the fast path must find in it.
    type Case<'a> = (&'a [u8], Option<(u16, usize)>);
    let cases: &[Case<'_>] = &[
        (b"200 ok\r\n", Some((200, 8))),
        (b"200 \n", Some((200, 5))),
        (b"631 x\n", Some((631, 6))),
        (b"200-a\r\n200 b\r\n", None),
        (b"099 x\n", None),
        (b"600 x\n", None),
        (b"20 x\n", None),
        (b"200\r\n", None),
        (b"200x\n", None),
        (b"2\r0 x\n", None),
        (b"200 ok", None),
        (b"", None),
    ];
    for &(region, want) in cases {
        let got = single_line(region).map(|(c, n)| (c.get(), n));
        assert_eq!(got, want, "{region:?}");
    }
}

proptest::proptest! {
    /// Whenever the fast path frames a reply, `scan` frames the same one (it decides every other case).
    #[test]
    fn single_line_agrees_with_scan(
        head in "[0-9]{0,3}[ \\-x\r\n]?",
        rest in proptest::collection::vec(proptest::sample::select(&b"0125 -\r\nx"[..]), 0..40),
        tolerant in proptest::bool::ANY,
    ) {
        let framing = if tolerant { Framing::Tolerant } else { Framing::Strict };
        let region = [head.as_bytes(), &rest].concat();
        let whole = memchr::memrchr(b'\n', &region).map_or(0, |i| i + 1);
        let region = &region[..whole];
        if let Some(fast) = single_line(region) {
            proptest::prop_assert_eq!(Some(fast), scanned_single(region, framing));
        }
    }
}
