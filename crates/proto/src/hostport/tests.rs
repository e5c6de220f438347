use super::fast::candidate_start;
use super::*;
use crate::ErrorKind;
use core::ops::Range;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

fn v4(s: &str) -> SocketAddrV4 {
    s.parse().unwrap()
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn port_accepts() {
    let cases: &[(&str, Mode, &str, Range<usize>)] = &[
        ("192,168,150,80,14,178", Mode::Strict, "192.168.150.80:3762", 0..21),
        ("010,000,000,001,004,001", Mode::Strict, "10.0.0.1:1025", 0..23),
        ("0,0,0,0,0,1", Mode::Strict, "0.0.0.0:1", 0..11),
        ("255,255,255,255,255,255", Mode::Strict, "255.255.255.255:65535", 0..23),
        (" 1,2,3,4,5,6\r\n", Mode::Tolerant, "1.2.3.4:1286", 1..12),
        ("\t1,2,3,4,5,6 ", Mode::Tolerant, "1.2.3.4:1286", 1..12),
    ];
    for (input, mode, want, span) in cases {
        let got = parse_port(input, *mode).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(got, Parsed { value: v4(want), span: span.clone() }, "{input:?}");
    }
}

#[test]
fn port_refuses_with_field_and_reason() {
    let cases: &[(&str, Mode, ErrorKind, &str)] = &[
        ("", Mode::Tolerant, ErrorKind::Syntax, "field 1 (h1) is empty"),
        ("10,0,1,2,256,22", Mode::Strict, ErrorKind::Range, "field 5 (p1) is 256, over 255"),
        ("1,2,3,4,5", Mode::Strict, ErrorKind::Syntax, "field 6 (p2) is missing"),
        ("1,2,3,4,5,", Mode::Strict, ErrorKind::Syntax, "field 6 (p2) is empty"),
        ("1,2,3,4,5,6,7", Mode::Strict, ErrorKind::Syntax, "field 7 (extra) is one too many: the tuple has 6 fields"),
        ("1,2,,4,5,6", Mode::Strict, ErrorKind::Syntax, "field 3 (h3) is empty"),
        (
            "1, 2,3,4,5,6",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 2 (h2) starts with a blank (no blanks inside a tuple)",
        ),
        ("1 ,2,3,4,5,6", Mode::Tolerant, ErrorKind::Syntax, "field 1 (h1) is followed by a blank where ',' should be"),
        ("1,+2,3,4,5,6", Mode::Strict, ErrorKind::Syntax, "field 2 (h2) has a sign '+' (numbers are unsigned)"),
        ("1,2,3,4,-5,6", Mode::Strict, ErrorKind::Syntax, "field 5 (p1) has a sign '-' (numbers are unsigned)"),
        ("1192,2,3,4,5,6", Mode::Strict, ErrorKind::Syntax, "field 1 (h1) has 4 digits, at most 3 allowed"),
        ("1,2,3,4,0,0", Mode::Strict, ErrorKind::Range, "port (p1,p2) is 0, and port 0 is not a usable data port"),
        ("1.2.3.4,5,6", Mode::Strict, ErrorKind::Syntax, "field 1 (h1) is followed by '.' where ',' should be"),
        (
            "１,2,3,4,5,6",
            Mode::Strict,
            ErrorKind::Syntax,
            "field 1 (h1) has a non-ASCII byte where an ASCII digit 0-9 should be",
        ),
        ("X,0,0,1,1,1", Mode::Strict, ErrorKind::Syntax, "field 1 (h1) has 'X' where a decimal digit should be"),
        (
            " 1,2,3,4,5,6",
            Mode::Strict,
            ErrorKind::Syntax,
            "field 1 (h1) starts with a blank (no blanks inside a tuple)",
        ),
        (
            "1,2,3,4,5,6\r\n",
            Mode::Strict,
            ErrorKind::Syntax,
            "field 6 (p2) is followed by byte 0x0d where it should end",
        ),
        ("1,2,3,4,5,6)", Mode::Tolerant, ErrorKind::Syntax, "field 6 (p2) is followed by ')' where it should end"),
    ];
    for (input, mode, kind, msg) in cases {
        let e = parse_port(input, *mode).expect_err(input);
        assert_eq!((e.kind(), e.to_string().as_str()), (*kind, *msg), "{input:?}");
    }
}

#[test]
fn pasv_accepts_and_spans() {
    let cases: &[(&str, Mode, &str, &str)] = &[
        (
            "227 Entering Passive Mode (192,168,150,90,195,149).",
            Mode::Strict,
            "192.168.150.90:50069",
            "192,168,150,90,195,149",
        ),
        (
            "227 Entering Passive Mode (192,168,150,90,195,149).\r\n",
            Mode::Tolerant,
            "192.168.150.90:50069",
            "192,168,150,90,195,149",
        ),
        ("227 =10,0,0,1,4,1", Mode::Tolerant, "10.0.0.1:1025", "10,0,0,1,4,1"),
        ("227 Entering Passive Mode =10,0,0,1,4,1.", Mode::Tolerant, "10.0.0.1:1025", "10,0,0,1,4,1"),
        ("227 10,0,0,1,4,1", Mode::Tolerant, "10.0.0.1:1025", "10,0,0,1,4,1"),
        ("227 ok 2 go: 10,0,0,1,4,1 now", Mode::Tolerant, "10.0.0.1:1025", "10,0,0,1,4,1"),
        ("227 (EPSV preferred) 10,0,0,1,4,1", Mode::Tolerant, "10.0.0.1:1025", "10,0,0,1,4,1"),
        ("227-first\r\n second 9,9,9,9,9,9\r\n227 (1,2,3,4,5,6)\r\n", Mode::Strict, "1.2.3.4:1286", "1,2,3,4,5,6"),
        ("227 entering passive mode (127,0,0,1,31,64)\n", Mode::Strict, "127.0.0.1:8000", "127,0,0,1,31,64"),
    ];
    for (input, mode, want, at) in cases {
        let got = parse_pasv(input.as_bytes(), *mode).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(got.value, v4(want), "{input:?}");
        assert_eq!(&input[got.span], *at, "{input:?}");
    }
}

#[test]
fn pasv_refuses() {
    let cases: &[(&str, Mode, ErrorKind, &str)] = &[
        (
            "229 Entering Extended Passive Mode (|||6446|)",
            Mode::Tolerant,
            ErrorKind::WrongReply,
            "reply code is 229, but this parser reads 227 replies",
        ),
        (
            "227-(1,2,3,4,5,6)\r\n200 ok\r\n",
            Mode::Tolerant,
            ErrorKind::WrongReply,
            "reply code is 200, but this parser reads 227 replies",
        ),
        ("", Mode::Tolerant, ErrorKind::Syntax, "reply code is missing"),
        ("2a7 (1,2,3,4,5,6)", Mode::Tolerant, ErrorKind::Syntax, "reply code has 'a' where a decimal digit should be"),
        ("2270 (1,2,3,4,5,6)", Mode::Tolerant, ErrorKind::Syntax, "reply code has 4 digits, at most 3 allowed"),
        ("227 Logout.", Mode::Tolerant, ErrorKind::Syntax, "tuple was not found in the reply text"),
        ("227 Entering Passive Mode (", Mode::Tolerant, ErrorKind::Syntax, "field 1 (h1) is empty"),
        ("227 Entering Passive Mode (192,168,1,1,4)", Mode::Tolerant, ErrorKind::Syntax, "field 6 (p2) is missing"),
        (
            "227 Entering Passive Mode (10.0.0.1,4,1)",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 1 (h1) is followed by '.' where ',' should be",
        ),
        (
            "227 Entering Passive Mode (10, 0, 0, 1, 4, 1)",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 2 (h2) starts with a blank (no blanks inside a tuple)",
        ),
        (
            "227 Entering Passive Mode (1192,168,1,1,4,1)",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 1 (h1) has 4 digits, at most 3 allowed",
        ),
        (
            "227 Entering Passive Mode (10,0,0,1,99999999999999999999,1)",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 5 (p1) has 20 digits, at most 3 allowed",
        ),
        (
            "227 Entering Passive Mode (1216,256,2,127,127,127)",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 1 (h1) has 4 digits, at most 3 allowed",
        ),
        (
            "227 Entering Passive Mode (10,0,0,256,4,1)",
            Mode::Tolerant,
            ErrorKind::Range,
            "field 4 (h4) is 256, over 255",
        ),
        (
            "227 Entering Passive Mode (10,0,0,1,0,0)",
            Mode::Tolerant,
            ErrorKind::Range,
            "port (p1,p2) is 0, and port 0 is not a usable data port",
        ),
        (
            "227 Entering Passive Mode (10,0,0,1,4,1,7)",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 7 (extra) is one too many: the tuple has 6 fields",
        ),
        (
            "227 Entering Passive Mode (-10,0,0,1,4,1)",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 1 (h1) has a sign '-' (numbers are unsigned)",
        ),
        (
            "227 Mode 5.10,0,0,1,4,1",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 1 (h1) is followed by '.' where ',' should be",
        ),
        (
            "227 Mode 10,0,0,1,4,1.5",
            Mode::Tolerant,
            ErrorKind::Syntax,
            "field 6 (p2) is followed by '.' where it should end",
        ),
        (
            "227 Entering Passive Mode 10,0,0,1,4,1",
            Mode::Strict,
            ErrorKind::Syntax,
            "tuple is not in parentheses (strict mode)",
        ),
        ("227 Entering Passive Mode (10,0,0,1,4,1", Mode::Strict, ErrorKind::Syntax, "tuple is not closed by ')'"),
        (
            "227 Entering Passive Mode =10,0,0,1,4,1",
            Mode::Strict,
            ErrorKind::Syntax,
            "tuple is not in parentheses (strict mode)",
        ),
        (
            "227-Entering Passive Mode (10,0,0,1,4,1)",
            Mode::Strict,
            ErrorKind::Syntax,
            "reply code is followed by '-' where a blank should be",
        ),
    ];
    for (input, mode, kind, msg) in cases {
        let e = parse_pasv(input.as_bytes(), *mode).expect_err(input);
        assert_eq!((e.kind(), e.to_string().as_str()), (*kind, *msg), "{input:?}");
    }
}

#[test]
fn eprt_cases() {
    let ok: &[(&str, &str, u8)] = &[
        ("|1|132.235.1.2|6275|", "132.235.1.2:6275", b'|'),
        ("|2|1080::8:800:200C:417A|5282|", "[1080::8:800:200c:417a]:5282", b'|'),
        ("!1!0.0.0.0!00021!", "0.0.0.0:21", b'!'),
        ("#2#::ffff:1.2.3.4#65535#", "[::ffff:1.2.3.4]:65535", b'#'),
        ("~2~::1~1~", "[::1]:1", b'~'),
    ];
    for (input, want, d) in ok {
        let p = parse_eprt(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(p, Parsed { value: Eprt { addr: sa(want), delimiter: *d }, span: 0..input.len() }, "{input:?}");
    }
    let bad: &[(&str, ErrorKind, &str)] = &[
        ("", ErrorKind::Syntax, "delimiter is missing"),
        ("||", ErrorKind::Syntax, "field 1 (af) is empty"),
        ("|1", ErrorKind::Syntax, "field 1 (af) is not closed by the delimiter '|'"),
        ("|3|127.0.0.1|2000|", ErrorKind::Unsupported, "field 1 (af) is 3; supported: 1 (IPv4) and 2 (IPv6)"),
        ("|+1|127.0.0.1|2000|", ErrorKind::Syntax, "field 1 (af) has a sign '+' (numbers are unsigned)"),
        (
            "|1|010.1.2.3|2000|",
            ErrorKind::Syntax,
            "field 2 (address) has a part with a leading zero (octal or decimal is ambiguous)",
        ),
        ("|1|1.2.3.256|2000|", ErrorKind::Range, "field 2 (address) is 256, over 255"),
        ("|1|::1|2000|", ErrorKind::Syntax, "field 2 (address) is not an IPv4 dotted quad (af 1)"),
        ("|2|1.2.3.4|2000|", ErrorKind::Syntax, "field 2 (address) is not an IPv6 address (af 2)"),
        (
            "|2|fe80::1%eth0|2000|",
            ErrorKind::Syntax,
            "field 2 (address) has a zone id ('%'), which means nothing to the peer",
        ),
        ("|1|1.2.3.4|0|", ErrorKind::Range, "field 3 (port) is 0, and port 0 is not a usable data port"),
        ("|1|1.2.3.4|65536|", ErrorKind::Range, "field 3 (port) is 65536, over 65535"),
        ("|1|1.2.3.4|-1|", ErrorKind::Syntax, "field 3 (port) has a sign '-' (numbers are unsigned)"),
        ("|1|1.2.3.4|2000", ErrorKind::Syntax, "field 3 (port) is not closed by the delimiter '|'"),
        ("|1|1.2.3.4|2000!", ErrorKind::Syntax, "field 3 (port) is followed by '!' where '|' should be"),
        ("|1|1.2.3.4|2000|x", ErrorKind::Syntax, "EPRT argument is followed by 'x' where it should end"),
        (
            "1110.0.0.1120481",
            ErrorKind::Syntax,
            "delimiter is '1', which cannot be a delimiter (printable ASCII, not a digit, '.', ':' or hex letter)",
        ),
        (
            "a1a1.2.3.4a21a",
            ErrorKind::Syntax,
            "delimiter is 'a', which cannot be a delimiter (printable ASCII, not a digit, '.', ':' or hex letter)",
        ),
        (
            " 1 1.2.3.4 21 ",
            ErrorKind::Syntax,
            "delimiter is a blank, which cannot be a delimiter (printable ASCII, not a digit, '.', ':' or hex letter)",
        ),
    ];
    for (input, kind, msg) in bad {
        let e = parse_eprt(input).expect_err(input);
        assert_eq!((e.kind(), e.to_string().as_str()), (*kind, *msg), "{input:?}");
    }
}

#[test]
fn epsv_cases() {
    let ok: &[(&str, u16, u8, &str)] = &[
        ("229 Entering Extended Passive Mode (|||6446|)\r\n", 6446, b'|', "|||6446|"),
        ("229 Extended Passive Mode OK (###35031#)", 35031, b'#', "###35031#"),
        ("229 Entering Passive Mode (|||00001|).", 1, b'|', "|||00001|"),
        ("229 (note) |||2121|", 2121, b'|', "|||2121|"),
        ("229 Entering Extended Passive Mode |||2121|", 2121, b'|', "|||2121|"),
    ];
    for (input, port, d, at) in ok {
        let p = parse_epsv(input.as_bytes()).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(p.value, Epsv { port: *port, delimiter: *d }, "{input:?}");
        assert_eq!(&input[p.span], *at, "{input:?}");
    }
    let bad: &[(&str, ErrorKind, &str)] = &[
        (
            "227 Entering Passive Mode (1,2,3,4,5,6)",
            ErrorKind::WrongReply,
            "reply code is 227, but this parser reads 229 replies",
        ),
        (
            "229 Entering Extended Passive Mode (|1|10.0.0.1|6446|)",
            ErrorKind::Syntax,
            "field 1 (net-prt) must be empty (RFC 2428 §3)",
        ),
        (
            "229 Entering Extended Passive Mode (||x|6446|)",
            ErrorKind::Syntax,
            "field 2 (net-addr) must be empty (RFC 2428 §3)",
        ),
        ("229 Entering Extended Passive Mode (|||65536|)", ErrorKind::Range, "field 3 (port) is 65536, over 65535"),
        (
            "229 Entering Extended Passive Mode (|||0|)",
            ErrorKind::Range,
            "field 3 (port) is 0, and port 0 is not a usable data port",
        ),
        (
            "229 Entering Extended Passive Mode (|||4242)",
            ErrorKind::Syntax,
            "field 3 (port) is followed by ')' where '|' should be",
        ),
        ("229 Entering Extended Passive Mode (|||4242|", ErrorKind::Syntax, "tuple is not closed by ')'"),
        (
            "229 Entering Extended Passive Mode (|||+6446|)",
            ErrorKind::Syntax,
            "field 3 (port) has a sign '+' (numbers are unsigned)",
        ),
        (
            "229 Entering Extended Passive Mode (111644461)",
            ErrorKind::Syntax,
            "delimiter is '1', which cannot be a delimiter (printable ASCII, not a digit, '.', ':' or hex letter)",
        ),
        ("229 Entering Extended Passive Mode (|||)", ErrorKind::Syntax, "field 3 (port) is empty"),
        ("229 Entering Extended Passive Mode", ErrorKind::Syntax, "tuple was not found in the reply text"),
        (
            "229 Entering Extended Passive Mode (|||99999999999999999999999|)",
            ErrorKind::Syntax,
            "field 3 (port) has 23 digits, at most 5 allowed",
        ),
    ];
    for (input, kind, msg) in bad {
        let e = parse_epsv(input.as_bytes()).expect_err(input);
        assert_eq!((e.kind(), e.to_string().as_str()), (*kind, *msg), "{input:?}");
    }
}

#[test]
fn lprt_and_lpsv_cases() {
    let ok: &[(&str, &str)] = &[
        ("4,4,132,235,1,2,2,24,131", "132.235.1.2:6275"),
        ("6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162", "[1080::8:800:200c:417a]:5282"),
        ("6,16,0,0,0,0,0,0,0,0,0,0,255,255,1,2,3,4,2,0,1", "[::ffff:1.2.3.4]:1"),
    ];
    for (input, want) in ok {
        let p = parse_lprt(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(p, Parsed { value: sa(want), span: 0..input.len() }, "{input:?}");
        let reply = format!("228 Entering Long Passive Mode ({input})\r\n");
        let p = parse_lpsv(reply.as_bytes(), Mode::Strict).unwrap_or_else(|e| panic!("{reply:?}: {e}"));
        assert_eq!((p.value, &reply[p.span]), (sa(want), *input), "{reply:?}");
    }
    let bad: &[(&str, ErrorKind, &str)] = &[
        ("4,4,132,235,1,2,2,24", ErrorKind::Syntax, "field 9 (p2) is missing"),
        ("4,4,132,235,1,2,3,0,24,131", ErrorKind::Syntax, "field 7 (pal) is 3, but a port is 2 octets"),
        ("4,16,1,2,3,4,2,0,1", ErrorKind::Syntax, "field 2 (hal) is 16, but the address family needs 4"),
        ("5,4,1,2,3,4,2,0,1", ErrorKind::Unsupported, "field 1 (af) is 5; supported: 4 (IPv4) and 6 (IPv6)"),
        ("4,4,1,2,3,4,2,0,0", ErrorKind::Range, "port (p1,p2) is 0, and port 0 is not a usable data port"),
        ("4,4,1,2,3,4,2,0,1,9", ErrorKind::Syntax, "field 10 (extra) is one too many: the tuple has 9 fields"),
        ("6,16,1,2,3", ErrorKind::Syntax, "field 6 (h4) is missing"),
        ("4,4,1,2,300,4,2,0,1", ErrorKind::Range, "field 5 (h3) is 300, over 255"),
    ];
    for (input, kind, msg) in bad {
        let e = parse_lprt(input).expect_err(input);
        assert_eq!((e.kind(), e.to_string().as_str()), (*kind, *msg), "{input:?}");
    }
    let e = parse_lpsv(b"227 (4,4,1,2,3,4,2,0,1)", Mode::Tolerant).unwrap_err();
    assert_eq!(e, HostPortError::WrongReply { found: 227, expected: 228 });
}

#[test]
fn formatting() {
    let cases: Vec<(String, &str)> = vec![
        (PortArg(v4("192.168.150.80:3762")).to_string(), "192,168,150,80,14,178"),
        (EprtArg(sa("132.235.1.2:6275")).to_string(), "|1|132.235.1.2|6275|"),
        (EprtArg(sa("[1080:0:0:0:8:800:200C:417A]:5282")).to_string(), "|2|1080::8:800:200c:417a|5282|"),
        (EprtArg(sa("[::ffff:1.2.3.4]:21")).to_string(), "|2|::ffff:1.2.3.4|21|"),
        (EprtArg(sa("[fe80::1%7]:21")).to_string(), "|2|fe80::1|21|"),
        (LprtArg(sa("132.235.1.2:6275")).to_string(), "4,4,132,235,1,2,2,24,131"),
        (
            LprtArg(sa("[1080::8:800:200c:417a]:5282")).to_string(),
            "6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162",
        ),
        (PasvText(v4("192.168.150.90:50069")).to_string(), "Entering Passive Mode (192,168,150,90,195,149)."),
        (EpsvText(6446).to_string(), "Entering Extended Passive Mode (|||6446|)"),
        (LpsvText(sa("10.1.2.3:50069")).to_string(), "Entering Long Passive Mode (4,4,10,1,2,3,2,195,149)"),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
}

#[test]
fn rewrite_cases() {
    assert_eq!(rewrite(b"abcdef", 2..4, b"XYZ"), b"abXYZef");
    assert_eq!(rewrite(b"abc", 5..9, b"X"), b"abcX");
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = 3..1;
    assert_eq!(rewrite(b"abcdef", backwards, b"X"), b"aXbcdef");
    let out = rewrite_pasv(b"227-x\r\n227 =10,0,0,1,4,1.\r\n", Mode::Tolerant, v4("203.0.113.9:65535")).unwrap();
    assert_eq!(out, b"227-x\r\n227 =203,0,113,9,255,255.\r\n");
    assert_eq!(rewrite_pasv(b"227 nothing", Mode::Tolerant, v4("1.2.3.4:5")).unwrap_err().kind(), ErrorKind::Syntax);
}

#[test]
fn error_field_accessor() {
    let e = parse_port("1,2,3,4,5,256", Mode::Strict).unwrap_err();
    assert_eq!(e.field(), Some(Field { index: 6, role: "p2" }));
    assert_eq!(parse_epsv(b"227 x").unwrap_err().field(), None);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]
    /// The one-pass EPRT path gives what the general path gives, value and error: for valid af-1 arguments
    /// (any address, port, delimiter and zero padding) with zero to three byte edits (replace, insert, delete)
    /// from EPRT's alphabet, and for any short string over that alphabet.
    #[test]
    fn eprt_fast_path_is_the_general_path(
        octets in proptest::prelude::any::<[u8; 4]>(),
        port in proptest::prop_oneof![1 => proptest::strategy::Just(0u16), 1 => proptest::strategy::Just(u16::MAX), 6 => proptest::prelude::any::<u16>()],
        d in proptest::sample::select(&[b'|', b'|', b'!', b'#', b'a', b'.', b' '][..]),
        padding in 0..3usize,
        edits in crate::testutil::edits(b"|!1.09a ,\r"),
        any in "[|!1.0-9a]{0,30}",
    ) {
        let d = char::from(d);
        let arg = format!("{d}1{d}{}{d}{}{port}{d}", Ipv4Addr::from(octets), "0".repeat(padding));
        let arg = String::from_utf8(crate::testutil::apply(arg.into_bytes(), &edits)).unwrap();
        proptest::prop_assert_eq!(parse_eprt(&arg), parse_eprt_general(&arg), "{}", arg);
        proptest::prop_assert_eq!(parse_eprt(&any), parse_eprt_general(&any), "{}", any);
    }

    /// The unrolled octet reader reads what the general field reader reads: six comma-separated fields of 1-3
    /// digits, at most 255, or nothing (six fields of 1-4 digits and what may follow them, and any short string
    /// over the digits, `,`, `)` and a letter).
    #[test]
    fn octets_fast_is_the_cursor(
        b in proptest::prop_oneof!["([0-9]{1,4},){5}[0-9]{1,4}[0-9,)a]?", "[0-9,)a]{0,30}"],
    ) {
        let b = b.as_bytes();
        let mut c = read::Cursor::new(b, 0);
        let general: Option<Vec<u8>> =
            port::PORT_FIELDS.iter().map(|f| c.next(*f).ok()).collect::<Option<Vec<u8>>>();
        let fast = fast::octets_fast::<6>(b, 0);
        proptest::prop_assert_eq!(fast.map(|(v, end)| (v.to_vec(), end)), general.map(|v| (v, c.pos)), "{:?}", b);
    }

    /// The one-pass 227 path gives what the general path gives, in both modes, value, span and error: for
    /// well-formed replies (any address and port, zero-padded octets, any text around the tuple, line ends,
    /// a preceding line) with zero to three byte edits from the 227 grammar's alphabet, and for any short string
    /// over that alphabet.
    #[test]
    fn pasv_fast_path_is_the_general_path(
        ip in proptest::prelude::any::<[u8; 4]>(),
        port in proptest::prop_oneof![1 => proptest::strategy::Just(0u16), 1 => proptest::strategy::Just(256u16), 6 => proptest::prelude::any::<u16>()],
        pad in proptest::prelude::any::<bool>(),
        before in proptest::sample::select(&["Entering Passive Mode ", "", "=", "x9 ", "ok "][..]),
        after in proptest::sample::select(&[".", "", ",", ".7", ")", " 1"][..]),
        head in proptest::sample::select(&["", "227-first\r\n", "227-(1,2,3,4,5,6)\n"][..]),
        end in proptest::sample::select(&["\r\n", "", "\n", "\r\n\r\n"][..]),
        edits in crate::testutil::edits(b"(),=09 7\r\n-"),
        any in "[(),=0-9 2\r\n-]{0,40}",
    ) {
        let [p1, p2] = port.to_be_bytes();
        let tuple: Vec<String> =
            ip.iter().chain(&[p1, p2]).map(|o| if pad { format!("{o:03}") } else { o.to_string() }).collect();
        let reply = format!("{head}227 {before}({}){after}{end}", tuple.join(","));
        let reply = crate::testutil::apply(reply.into_bytes(), &edits);
        for mode in [Mode::Strict, Mode::Tolerant] {
            proptest::prop_assert_eq!(parse_pasv(&reply, mode), parse_pasv_general(&reply, mode), "{:?}", reply);
            let any = format!("227 {any}");
            proptest::prop_assert_eq!(
                parse_pasv(any.as_bytes(), mode), parse_pasv_general(any.as_bytes(), mode), "{:?}", any
            );
        }
    }

    /// The one-pass 229 path gives what the general path gives (value, span and error), for well-formed replies
    /// (any port, delimiter, zero padding, text around, line ends, a preceding line) with zero to three byte edits,
    /// and for any short string over the 229 grammar's alphabet.
    #[test]
    fn epsv_fast_path_is_the_general_path(
        port in proptest::prop_oneof![1 => proptest::strategy::Just(0u32), 1 => proptest::strategy::Just(65535u32), 1 => proptest::strategy::Just(65536u32), 6 => 0..70000u32],
        d in proptest::sample::select(&[b'|', b'|', b'!', b'#', b'a', b'.', b' ', b'('][..]),
        padding in 0..4usize,
        before in proptest::sample::select(&["Entering Extended Passive Mode ", "", "(", "x ("][..]),
        after in proptest::sample::select(&["", ".", ")", " (|||5|)"][..]),
        head in proptest::sample::select(&["", "229-first\r\n", "229-(|||7|)\n"][..]),
        end in proptest::sample::select(&["\r\n", "", "\n"][..]),
        edits in crate::testutil::edits(b"|!(9)0 \r\n-"),
        any in "[|!()0-9 \r\n-]{0,30}",
    ) {
        let d = char::from(d);
        let reply = format!("{head}229 {before}({d}{d}{d}{}{port}{d}){after}{end}", "0".repeat(padding));
        let reply = crate::testutil::apply(reply.into_bytes(), &edits);
        proptest::prop_assert_eq!(parse_epsv(&reply), parse_epsv_general(&reply), "{:?}", reply);
        let any = format!("229 {any}");
        proptest::prop_assert_eq!(parse_epsv(any.as_bytes()), parse_epsv_general(any.as_bytes()), "{:?}", any);
    }

    /// The word-wide candidate search finds what a byte loop finds, at every length and place (digits and their
    /// neighbours `/` and `:`, `(`, `=`, bytes with the top bit set, and bytes that differ from them by one bit).
    #[test]
    fn candidate_start_is_the_byte_loop(
        b in proptest::collection::vec(proptest::sample::select(&b"(=09/:)<>a\xb0\xb9\x80\xff\x10\x19"[..]), 0..90),
    ) {
        let want = b.iter().position(|&c| c == b'(' || c == b'=' || c.is_ascii_digit());
        proptest::prop_assert_eq!(candidate_start(&b), want);
    }
}
