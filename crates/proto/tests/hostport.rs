//! Host-port tuples against every vector (shared and ftpkit's own), the seed's examples, the real transcripts, and
//! proptest properties.
mod common;

use common::Vector;
use ftpkit_proto::hostport::{
    parse_eprt, parse_epsv, parse_lprt, parse_lpsv, parse_pasv, parse_port, EprtArg, EpsvText, HostPortError, LprtArg,
    LpsvText, Mode, PasvText, PortArg,
};
use proptest::prelude::*;
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::ops::Range;

/// The parsers the vectors name, by `kind` / `as`.
const PARSERS: [&str; 6] = ["pasv", "epsv", "port_arg", "eprt_arg", "lprt_arg", "lpsv"];

fn mode_of(v: &Vector) -> Mode {
    match v.raw.get("mode").and_then(Value::as_str) {
        Some("strict") => Mode::Strict,
        Some("tolerant") | None => Mode::Tolerant,
        Some(other) => panic!("{}: unknown mode {other:?}", v.at()),
    }
}

/// What one parser gives, reduced to comparable values: the address (port 0 address for EPSV), the delimiter when
/// there is one, and the span.
#[derive(Debug)]
struct Outcome {
    ip: Option<IpAddr>,
    port: u16,
    delimiter: Option<u8>,
    span: Range<usize>,
}

fn run(parser: &str, input: &[u8], mode: Mode) -> Result<Outcome, HostPortError> {
    let text = || std::str::from_utf8(input).expect("argument vectors are UTF-8");
    Ok(match parser {
        "pasv" => {
            let p = parse_pasv(input, mode)?;
            Outcome { ip: Some(IpAddr::V4(*p.value.ip())), port: p.value.port(), delimiter: None, span: p.span }
        }
        "port_arg" => {
            let p = parse_port(text(), mode)?;
            Outcome { ip: Some(IpAddr::V4(*p.value.ip())), port: p.value.port(), delimiter: None, span: p.span }
        }
        "epsv" => {
            let p = parse_epsv(input)?;
            Outcome { ip: None, port: p.value.port, delimiter: Some(p.value.delimiter), span: p.span }
        }
        "eprt_arg" => {
            let p = parse_eprt(text())?;
            let a = p.value.addr;
            Outcome { ip: Some(a.ip()), port: a.port(), delimiter: Some(p.value.delimiter), span: p.span }
        }
        "lprt_arg" => {
            let p = parse_lprt(text())?;
            Outcome { ip: Some(p.value.ip()), port: p.value.port(), delimiter: None, span: p.span }
        }
        "lpsv" => {
            let p = parse_lpsv(input, mode)?;
            Outcome { ip: Some(p.value.ip()), port: p.value.port(), delimiter: None, span: p.span }
        }
        other => panic!("no parser {other}"),
    })
}

fn check_valid(v: &Vector) {
    let input = v.input_bytes();
    let got = run(&v.kind, &input, mode_of(v)).unwrap_or_else(|e| panic!("{}: refused: {e}", v.at()));
    let e = &v.expect;
    let port = e["port"].as_u64().unwrap_or_else(|| panic!("{}: no port", v.at()));
    assert_eq!(u64::from(got.port), port, "{}: port", v.at());
    if let Some(ip) = e.get("ip").and_then(Value::as_str) {
        let want: IpAddr = ip.parse().unwrap_or_else(|_| panic!("{}: bad expected ip", v.at()));
        assert_eq!(got.ip, Some(want), "{}: ip (compared by value)", v.at());
    }
    if let Some(af) = e.get("af").and_then(Value::as_u64) {
        let family = match (v.kind.as_str(), got.ip) {
            ("eprt_arg", Some(IpAddr::V4(_))) => 1,
            ("eprt_arg", Some(IpAddr::V6(_))) => 2,
            (_, Some(IpAddr::V4(_))) => 4,
            (_, Some(IpAddr::V6(_))) => 6,
            (_, None) => 0,
        };
        assert_eq!(family, af, "{}: af", v.at());
    }
    if let Some(d) = e.get("delimiter").and_then(Value::as_str) {
        assert_eq!(got.delimiter.map(char::from).map(String::from).as_deref(), Some(d), "{}: delimiter", v.at());
    }
    // The span is the tuple: its text holds the port's digits (or p1,p2), and when the vector names the tuple, it
    // is exactly that text.
    let at = input.get(got.span.clone()).unwrap_or_else(|| panic!("{}: span {:?} out of input", v.at(), got.span));
    let at = std::str::from_utf8(at).expect("span on char boundaries");
    if let Some(tuple) = e.get("tuple").and_then(Value::as_str) {
        assert_eq!(at, tuple, "{}: text at span", v.at());
    }
    match v.kind.as_str() {
        "pasv" | "port_arg" | "lprt_arg" | "lpsv" => {
            let [p1, p2] = got.port.to_be_bytes();
            assert!(
                at.ends_with(&format!(",{p1},{p2}")) || at.ends_with(&format!(",{p1:03},{p2:03}")),
                "{}: span text {at:?}",
                v.at()
            );
            assert!(at.starts_with(|c: char| c.is_ascii_digit()), "{}: span text {at:?}", v.at());
        }
        _ => {
            let d = char::from(got.delimiter.expect("delimiter"));
            assert!(at.starts_with(d) && at.ends_with(d), "{}: span text {at:?}", v.at());
            let port_text = at.trim_matches(d).rsplit(d).next().unwrap_or_default();
            assert_eq!(port_text.parse::<u16>().ok(), Some(got.port), "{}: span text {at:?}", v.at());
        }
    }
}

#[test]
fn every_valid_vector_parses() {
    let mut count = 0;
    for kind in PARSERS {
        for v in common::of_kind(kind) {
            check_valid(&v);
            count += 1;
        }
    }
    assert!(count >= 63, "only {count} valid vectors found");
}

#[test]
fn every_invalid_vector_is_refused() {
    let mut count = 0;
    for parser in PARSERS {
        for v in common::invalid_as(parser) {
            let input = v.input_bytes();
            match run(parser, &input, mode_of(&v)) {
                Ok(got) => panic!("{}: accepted as {got:?}, expected refusal ({})", v.at(), v.expect["reason"]),
                Err(e) => {
                    assert!(!e.to_string().is_empty(), "{}", v.at());
                    if let Some(kind) = v.expect.get("error_kind").and_then(Value::as_str) {
                        assert_eq!(e.kind().name(), kind, "{}: error kind ({e})", v.at());
                    }
                }
            }
            count += 1;
        }
    }
    assert!(count >= 80, "only {count} invalid vectors found");
}

#[test]
fn own_vectors_are_many_and_sourced() {
    let own: Vec<_> = common::all().into_iter().filter(|v| v.file == "ftpkit-hostport.jsonl").collect();
    assert!(own.len() >= 40, "{} own vectors", own.len());
    for v in &own {
        assert!(!v.source.is_empty(), "{}: no source", v.at());
        let parser = if v.kind == "invalid" { v.as_.clone().unwrap_or_default() } else { v.kind.clone() };
        assert!(PARSERS.contains(&parser.as_str()), "{}: not a host-port vector", v.at());
    }
}

#[test]
fn seed_examples() {
    let p = parse_port("192,168,150,80,14,178", Mode::Strict).unwrap();
    assert_eq!(p.value, SocketAddrV4::new(Ipv4Addr::new(192, 168, 150, 80), 3762));
    let reply = b"227 Entering Passive Mode (192,168,150,90,195,149).";
    let p = parse_pasv(reply, Mode::Strict).unwrap();
    assert_eq!(p.value, SocketAddrV4::new(Ipv4Addr::new(192, 168, 150, 90), 50069));
    assert_eq!(&reply[p.span], b"192,168,150,90,195,149");
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect()
}

fn transcripts(suffix: &str) -> Vec<(String, String)> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/transcripts");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

#[test]
fn real_session_replies_parse() {
    let (mut pasv, mut epsv, mut port_refused) = (0, 0, 0);
    for (name, text) in transcripts("-session.jsonl") {
        for (i, line) in text.lines().enumerate() {
            let at = format!("{name}:{}", i + 1);
            let rec: Value = serde_json::from_str(line).unwrap();
            let bytes = hex(rec["reply_bytes_hex"].as_str().unwrap());
            let sent = rec["sent"].as_str().unwrap_or("");
            if bytes.starts_with(b"227") {
                for mode in [Mode::Tolerant, Mode::Strict] {
                    let p = parse_pasv(&bytes, mode).unwrap_or_else(|e| panic!("{at}: {e}"));
                    assert_eq!(*p.value.ip(), Ipv4Addr::LOCALHOST, "{at}");
                    assert!(p.value.port() > 1024, "{at}");
                    assert!(bytes[p.span.start - 1] == b'(' && bytes[p.span.end] == b')', "{at}");
                }
                pasv += 1;
            }
            if bytes.starts_with(b"229") {
                let p = parse_epsv(&bytes).unwrap_or_else(|e| panic!("{at}: {e}"));
                assert!((30000..30030).contains(&p.value.port), "{at}");
                assert_eq!(&bytes[p.span.clone()], format!("|||{}|", p.value.port).as_bytes(), "{at}");
                epsv += 1;
            }
            if let Some(arg) = sent.strip_prefix("PORT ") {
                // The scripted session sends a deliberately bad PORT (999 is over 255); every server refused it.
                let e = parse_port(arg, Mode::Tolerant).unwrap_err();
                assert_eq!(e.to_string(), "field 1 (h1) is 999, over 255", "{at}");
                port_refused += 1;
            }
        }
    }
    assert_eq!((pasv, epsv, port_refused), (6, 6, 3));
}

#[test]
fn real_client_debug_output_parses() {
    let (mut eprt, mut epsv) = (0, 0);
    for (name, text) in transcripts(".ftp-d.txt") {
        for (i, line) in text.lines().enumerate() {
            let at = format!("{name}:{}", i + 1);
            if let Some(arg) = line.strip_prefix("---> EPRT ") {
                let p = parse_eprt(arg).unwrap_or_else(|e| panic!("{at}: {e}"));
                assert_eq!(p.value.addr.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST), "{at}");
                assert_eq!(p.span, 0..arg.len(), "{at}");
                eprt += 1;
            }
            if let Some(arg) = line.strip_prefix("---> PORT ") {
                parse_port(arg, Mode::Strict).unwrap_or_else(|e| panic!("{at}: {e}"));
            }
            if line.starts_with("229 ") {
                parse_epsv(line.as_bytes()).unwrap_or_else(|e| panic!("{at}: {e}"));
                epsv += 1;
            }
            if line.starts_with("227 ") {
                parse_pasv(line.as_bytes(), Mode::Strict).unwrap_or_else(|e| panic!("{at}: {e}"));
            }
        }
    }
    assert_eq!((eprt, epsv), (6, 12));
}

// ---------------------------------------------------------------------------------------------------------------
// Properties.

fn any_v4() -> impl Strategy<Value = SocketAddrV4> {
    (any::<[u8; 4]>(), 1..=u16::MAX).prop_map(|(ip, port)| SocketAddrV4::new(Ipv4Addr::from(ip), port))
}

fn any_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        any_v4().prop_map(SocketAddr::V4),
        (any::<[u8; 16]>(), 1..=u16::MAX).prop_map(|(ip, port)| SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(ip),
            port,
            0,
            0
        ))),
        // IPv4-mapped addresses stay IPv6 through every form.
        (any::<[u8; 4]>(), 1..=u16::MAX)
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv4Addr::from(ip).to_ipv6_mapped()), port)),
    ]
}

/// Prose a server might put around a tuple: no digits right next to it is the caller's job (see the strategy).
fn prose() -> impl Strategy<Value = String> {
    "[ -~]{0,40}"
}

proptest! {
    #[test]
    fn port_round_trip(a in any_v4()) {
        let text = PortArg(a).to_string();
        let p = parse_port(&text, Mode::Strict).unwrap();
        prop_assert_eq!(p.value, a);
        prop_assert_eq!(p.span, 0..text.len());
    }

    #[test]
    fn pasv_round_trip(a in any_v4()) {
        let reply = format!("227 {}\r\n", PasvText(a));
        for mode in [Mode::Strict, Mode::Tolerant] {
            let p = parse_pasv(reply.as_bytes(), mode).unwrap();
            prop_assert_eq!(p.value, a);
            prop_assert_eq!(&reply[p.span], PortArg(a).to_string());
        }
    }

    #[test]
    fn eprt_round_trip(a in any_addr()) {
        let text = EprtArg(a).to_string();
        let p = parse_eprt(&text).unwrap();
        prop_assert_eq!(p.value.addr, a);
        prop_assert_eq!(p.value.delimiter, b'|');
    }

    #[test]
    fn epsv_round_trip(port in 1..=u16::MAX) {
        let reply = format!("229 {}\r\n", EpsvText(port));
        let p = parse_epsv(reply.as_bytes()).unwrap();
        prop_assert_eq!(p.value.port, port);
        prop_assert_eq!(&reply[p.span], format!("|||{port}|"));
    }

    #[test]
    fn lprt_round_trip(a in any_addr()) {
        let text = LprtArg(a).to_string();
        prop_assert_eq!(parse_lprt(&text).unwrap().value, a);
    }

    #[test]
    fn lpsv_round_trip(a in any_addr()) {
        let reply = format!("228 {}", LpsvText(a));
        for mode in [Mode::Strict, Mode::Tolerant] {
            let p = parse_lpsv(reply.as_bytes(), mode).unwrap();
            prop_assert_eq!(p.value, a);
            prop_assert_eq!(&reply[p.span], LprtArg(a).to_string());
        }
    }

    /// RFC 1123 §4.1.2.6: prose around the six numbers does not matter in tolerant mode, as long as the prose does
    /// not itself hold a number run before the tuple and nothing is glued to it.
    #[test]
    fn pasv_tolerant_finds_tuple_in_prose(
        a in any_v4(),
        before in prose(),
        after in prose(),
        open in prop_oneof![Just(""), Just("("), Just("="), Just(" ")],
        close in prop_oneof![Just(""), Just(")"), Just(")."), Just(".")],
    ) {
        let before: String = before.chars().filter(|c| !c.is_ascii_digit()).collect();
        let glue = |c: Option<char>| c.is_some_and(|c| matches!(c, ',' | '.' | '+' | '-'));
        prop_assume!(!glue(before.chars().last()) || !open.is_empty());
        let after = if close.is_empty() || close.ends_with('.') { format!(" {after}") } else { after };
        let tuple = PortArg(a).to_string();
        let reply = format!("227 {before}{open}{tuple}{close}{after}\r\n");
        let p = parse_pasv(reply.as_bytes(), Mode::Tolerant).unwrap();
        prop_assert_eq!(p.value, a);
        prop_assert_eq!(&reply[p.span], tuple.as_str());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80), tail in "[0-9,()|=. ]{0,40}") {
        let mut input = bytes.clone();
        input.extend_from_slice(tail.as_bytes());
        for b in [&bytes[..], &input[..]] {
            for code in [&b"227 "[..], b"228 ", b"229 ", b""] {
                let mut reply = code.to_vec();
                reply.extend_from_slice(b);
                for mode in [Mode::Strict, Mode::Tolerant] {
                    check_span(parse_pasv(&reply, mode).map(|p| p.span), reply.len());
                    check_span(parse_lpsv(&reply, mode).map(|p| p.span), reply.len());
                }
                check_span(parse_epsv(&reply).map(|p| p.span), reply.len());
            }
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,60}", t in "[0-9,|!.:a-f ]{0,40}") {
        for arg in [s.clone(), t.clone(), format!("{t}{s}")] {
            for mode in [Mode::Strict, Mode::Tolerant] {
                check_span(parse_port(&arg, mode).map(|p| p.span), arg.len());
            }
            check_span(parse_eprt(&arg).map(|p| p.span), arg.len());
            check_span(parse_lprt(&arg).map(|p| p.span), arg.len());
        }
    }
}

fn check_span(r: Result<Range<usize>, HostPortError>, len: usize) {
    match r {
        Ok(span) => assert!(span.start < span.end && span.end <= len, "span {span:?} of {len}"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}
