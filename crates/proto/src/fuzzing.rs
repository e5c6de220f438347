//! Invariant checks shared by the fuzz targets (`fuzz/`) and the crash replay test (`tests/fuzz_regressions.rs`).
//!
//! Not part of the public API: hidden from the docs and free to change. Each `check_*` function takes the raw bytes
//! one fuzz target receives and **panics when an invariant of the crate is broken** (that is the point: libFuzzer
//! reports the panic as a crash). Input the parsers refuse is not a failure; only a broken promise is: a round trip
//! that changes the value, a span outside the input, a decoder holding more bytes than its limits allow, a result
//! that depends on how the bytes were split.
//!
//! Every target is listed in [`TARGETS`], which the replay test walks; a new target is one `check_*` function, one
//! line in [`TARGETS`] and one small file in `fuzz/fuzz_targets/`.
//!
//! Input layouts: most targets read the bytes as the parser's input (text targets skip input that is not UTF-8).
//! The two streaming decoders read one header byte first: bits 0-1 pick the limits, bits 2-7 seed the chunk
//! splitter (0: one chunk, 1: one byte at a time).
use crate::command::{Command, CommandDecoder, CommandError};
use crate::feat::Features;
use crate::firewall::PortRange;
use crate::hostport::{self, EprtArg, EpsvText, LprtArg, LpsvText, Mode, PasvText, PortArg};
use crate::line::DEFAULT_MAX_LINE;
use crate::listing::{self, Date, Entry, ListFormat, ListLine};
use crate::path;
use crate::reply::{self, Framing, Limits, Reply, ReplyDecoder, ReplyError};
use crate::transcript::{self, Item};
use std::net::{SocketAddr, SocketAddrV4};

/// One fuzz target: its name (the fuzz binary and the regression folder) and its check.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target, by name. The name is the `fuzz/fuzz_targets/<name>.rs` binary and the folder of its crash
/// files under `testdata/fuzz-regressions/`.
pub const TARGETS: &[Target] = &[
    ("reply_decoder", check_reply_decoder),
    ("command_decoder", check_command_decoder),
    ("command_roundtrip", check_command_roundtrip),
    ("pasv", check_pasv),
    ("epsv", check_epsv),
    ("port", check_port),
    ("eprt", check_eprt),
    ("lprt", check_lprt),
    ("lpsv", check_lpsv),
    ("path_257", check_path_257),
    ("feat", check_feat),
    ("mlsd_line", check_mlsd_line),
    ("list_line", check_list_line),
    ("list_formats", check_list_formats),
    ("transcript", check_transcript),
    ("firewall", check_firewall),
    ("proxy_header", check_proxy_header),
    ("hash_reply", check_hash_reply),
    ("users_file", check_users_file),
    ("client_session", check_client_session),
    ("server_session", check_server_session),
];

/// The check of the target called `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

/// Splits `data` into chunks: seed 0 is one chunk, seed 1 one byte per chunk, any other seed chunks of 1-16 bytes
/// from a small xorshift generator.
fn chunks(data: &[u8], seed: u8) -> Vec<&[u8]> {
    match seed {
        0 => return vec![data],
        1 => return data.chunks(1).collect(),
        _ => {}
    }
    let mut state = u32::from(seed).wrapping_mul(0x9E37_79B9) | 1;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state % 16 + 1) as usize;
        let (head, tail) = rest.split_at(n.min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out
}

/// The limits picked by bits 0-1 of a decoder target's header byte.
fn limits_of(header: u8) -> Limits {
    match header & 3 {
        0 => Limits::default(),
        1 => Limits { max_line: 8, max_reply_bytes: 32, max_reply_lines: 3 },
        2 => Limits { max_line: 64, max_reply_bytes: 256, max_reply_lines: 8 },
        _ => Limits { max_line: 4, max_reply_bytes: 12, max_reply_lines: 2 },
    }
}

/// Limits nothing real reaches, for decoding re-encoded replies (U+FFFD makes lossy text longer).
const UNLIMITED: Limits = Limits { max_line: usize::MAX, max_reply_bytes: usize::MAX, max_reply_lines: usize::MAX };

// ---------------------------------------------------------------------------------------------------------------
// Line protocol.

/// Feeds `data` in the given chunks, draining after each one; returns every outcome, owned.
fn run_reply_decoder(framing: Framing, limits: Limits, parts: &[&[u8]]) -> Vec<Result<Reply, ReplyError>> {
    let mut dec = ReplyDecoder::new(framing, limits);
    let mut out = Vec::new();
    // Complete lines of one unclosed reply, plus one unterminated line and the CR slack.
    let bound = limits.max_reply_bytes.saturating_add(limits.max_line).saturating_add(2);
    for part in parts {
        dec.feed(part);
        loop {
            match dec.decode() {
                Ok(None) => break,
                Ok(Some(r)) => {
                    check_reply_ref(&r, framing, &limits);
                    out.push(Ok(r.to_owned()));
                }
                Err(e) => out.push(Err(e)),
            }
        }
        assert!(dec.buffered() <= bound, "decoder holds {} bytes after draining, over {bound}", dec.buffered());
    }
    out
}

/// One decoded reply against the limits, the buffer parser and the encoder.
fn check_reply_ref(r: &reply::ReplyRef<'_>, framing: Framing, limits: &Limits) {
    let raw = r.raw();
    assert!(raw.len() <= limits.max_reply_bytes, "reply of {} bytes over the limit {limits:?}", raw.len());
    assert!(raw.ends_with(b"\n"), "reply does not end with its line end: {raw:?}");
    let n = r.lines().count();
    assert!(n >= 1 && n <= limits.max_reply_lines, "reply of {n} lines, limits {limits:?}");
    for line in r.lines() {
        assert!(line.len() <= limits.max_line, "line of {} bytes over the limit {limits:?}", line.len());
    }
    assert_eq!(r.text_lines().count(), n, "text_lines and lines differ in count");
    assert!(reply::Code::try_from(u16::from(r.code())).is_ok(), "decoded reply has an invalid code {}", r.code());
    // The same bytes given whole to the buffer parser: the same reply, all of them consumed.
    match reply::parse_reply_with(raw, framing, limits) {
        Ok(Some((again, used))) => {
            assert_eq!(used, raw.len(), "parse_reply consumed {used} of {} bytes of {raw:?}", raw.len());
            assert_eq!(again, *r, "parse_reply read {raw:?} differently");
        }
        other => panic!("parse_reply on a decoded reply {raw:?} gave {other:?}"),
    }
    // Encode the owned form and decode it again: the same code and text lines.
    let owned = r.to_owned();
    if let Ok(bytes) = owned.to_bytes() {
        let mut dec = ReplyDecoder::new(framing, UNLIMITED);
        dec.feed(&bytes);
        let again = dec.decode_owned();
        assert_eq!(again, Ok(Some(owned.clone())), "re-encoded reply {bytes:?} decodes differently");
        assert_eq!(dec.decode_owned(), Ok(None), "re-encoded reply {bytes:?} decodes to more than one reply");
        assert!(dec.is_idle(), "decoder not idle after the re-encoded reply {bytes:?}");
    }
}

/// `reply_decoder`: header byte (limits, split seed), then the stream. Both framings; chunked decoding must give
/// what one-chunk decoding gives.
pub fn check_reply_decoder(data: &[u8]) {
    let Some((&header, stream)) = data.split_first() else {
        return;
    };
    let limits = limits_of(header);
    let parts = chunks(stream, header >> 2);
    for framing in [Framing::Strict, Framing::Tolerant] {
        let whole = run_reply_decoder(framing, limits, &[stream]);
        if parts.len() > 1 {
            let split = run_reply_decoder(framing, limits, &parts);
            assert_eq!(split, whole, "{framing:?}: decoding depends on the chunk split");
        }
    }
}

fn run_command_decoder(max_line: usize, parts: &[&[u8]]) -> Vec<Result<Command<'static>, CommandError>> {
    let mut dec = CommandDecoder::new(max_line);
    let mut out = Vec::new();
    for part in parts {
        dec.feed(part);
        loop {
            match dec.decode() {
                Ok(None) => break,
                Ok(Some(cmd)) => {
                    check_command(&cmd);
                    out.push(Ok(cmd.into_owned()));
                }
                Err(e) => out.push(Err(e)),
            }
        }
        let bound = max_line.saturating_add(1);
        assert!(dec.buffered() <= bound, "command decoder holds {} bytes after draining, over {bound}", dec.buffered());
    }
    out
}

/// A parsed command: when it encodes, the encoding parses back to the same value and encodes the same.
fn check_command(cmd: &Command<'_>) {
    let Ok(bytes) = cmd.to_bytes() else {
        return;
    };
    assert!(bytes.ends_with(b"\r\n"), "encoding {bytes:?} does not end with CRLF");
    let again = Command::parse_bytes(&bytes);
    assert_eq!(again.as_ref(), Ok(cmd), "{cmd:?} encodes as {bytes:?}, which parses differently");
    if let Ok(again) = again {
        assert_eq!(again.to_bytes().as_deref(), Ok(&bytes[..]), "{cmd:?}: encoding is not stable");
    }
}

/// `command_decoder`: header byte (bits 0-1 the line limit, bits 2-7 the split seed), then the stream.
pub fn check_command_decoder(data: &[u8]) {
    let Some((&header, stream)) = data.split_first() else {
        return;
    };
    let max_line = [DEFAULT_MAX_LINE, 0, 8, 64][usize::from(header & 3)];
    let whole = run_command_decoder(max_line, &[stream]);
    let parts = chunks(stream, header >> 2);
    if parts.len() > 1 {
        assert_eq!(run_command_decoder(max_line, &parts), whole, "command decoding depends on the chunk split");
    }
}

/// `command_roundtrip`: one command line; parse, encode, parse gives the same value.
pub fn check_command_roundtrip(data: &[u8]) {
    if let Ok(cmd) = Command::parse_bytes(data) {
        check_command(&cmd);
        if let Some(arg) = cmd.arg() {
            assert!(!arg.contains(['\r', '\n', '\0']), "{cmd:?}: argument {arg:?} holds a line end or NUL");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Host-port tuples.

const MODES: [Mode; 2] = [Mode::Tolerant, Mode::Strict];

fn spanned<'a>(input: &'a [u8], span: &core::ops::Range<usize>) -> &'a [u8] {
    assert!(span.start <= span.end && span.end <= input.len(), "span {span:?} out of bounds of {input:?}");
    &input[span.clone()]
}

fn spanned_str<'a>(input: &'a [u8], span: &core::ops::Range<usize>) -> &'a str {
    let text = spanned(input, span);
    std::str::from_utf8(text).unwrap_or_else(|_| panic!("spanned tuple {text:?} is not UTF-8"))
}

/// `pasv`: a 227 reply, both modes.
pub fn check_pasv(data: &[u8]) {
    for mode in MODES {
        let general = hostport::parse_pasv_general(data, mode);
        assert_eq!(hostport::parse_pasv(data, mode), general, "227 fast and general paths disagree on {data:?}");
        let Ok(p) = general else {
            continue;
        };
        let tuple = spanned_str(data, &p.span);
        let again = hostport::parse_port(tuple, Mode::Strict).map(|q| q.value);
        assert_eq!(again, Ok(p.value), "{mode:?}: spanned tuple {tuple:?} reads differently");
        let text = format!("227 {}\r\n", PasvText(p.value));
        let again = hostport::parse_pasv(text.as_bytes(), Mode::Strict).map(|q| q.value);
        assert_eq!(again, Ok(p.value), "formatted {text:?} reads differently");
        // A NAT helper's rewrite: the new address reads back.
        let public = SocketAddrV4::new([203, 0, 113, 9].into(), 1025);
        let rewritten = hostport::rewrite_pasv(data, mode, public).map(|r| hostport::parse_pasv(&r, mode));
        assert!(
            matches!(rewritten, Ok(Ok(ref q)) if q.value == public),
            "{mode:?}: rewriting {data:?} to {public} gives {rewritten:?}"
        );
        if mode == Mode::Strict {
            assert!(hostport::parse_pasv(data, Mode::Tolerant).is_ok(), "strict accepts {data:?}, tolerant does not");
        }
    }
}

/// `epsv`: a 229 reply.
pub fn check_epsv(data: &[u8]) {
    let parsed = hostport::parse_epsv(data);
    assert_eq!(parsed, hostport::parse_epsv_general(data), "229 fast and general paths disagree on {data:?}");
    let Ok(p) = parsed else {
        return;
    };
    let tuple = spanned(data, &p.span);
    let mut wrapped = b"229 (".to_vec();
    wrapped.extend_from_slice(tuple);
    wrapped.extend_from_slice(b")\r\n");
    let again = hostport::parse_epsv(&wrapped).map(|q| q.value);
    assert_eq!(again, Ok(p.value), "spanned tuple {tuple:?} reads differently");
    assert_ne!(p.value.port, 0, "port 0 accepted from {data:?}");
    let text = format!("229 {}\r\n", EpsvText(p.value.port));
    let again = hostport::parse_epsv(text.as_bytes()).map(|q| q.value.port);
    assert_eq!(again, Ok(p.value.port), "formatted {text:?} reads differently");
}

/// `port`: a PORT argument (UTF-8), both modes; the command parser's fast path agrees with strict mode.
pub fn check_port(data: &[u8]) {
    let Ok(arg) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(addr) = hostport::port_fast_addr(arg) {
        let general = hostport::parse_port(arg, Mode::Strict).map(|p| (p.value, p.span));
        assert_eq!(general, Ok((addr, 0..arg.len())), "PORT command fast path differs on {arg:?}");
    }
    for mode in MODES {
        let Ok(p) = hostport::parse_port(arg, mode) else {
            continue;
        };
        assert_ne!(p.value.port(), 0, "port 0 accepted from {arg:?}");
        let tuple = spanned_str(data, &p.span);
        let again = hostport::parse_port(tuple, Mode::Strict).map(|q| q.value);
        assert_eq!(again, Ok(p.value), "{mode:?}: spanned tuple {tuple:?} reads differently");
        let text = PortArg(p.value).to_string();
        let again = hostport::parse_port(&text, Mode::Strict);
        assert_eq!(again.map(|q| (q.value, q.span)), Ok((p.value, 0..text.len())), "formatted {text:?} differs");
        if mode == Mode::Strict {
            let tolerant = hostport::parse_port(arg, Mode::Tolerant);
            assert_eq!(tolerant.map(|q| q.value), Ok(p.value), "strict and tolerant disagree on {arg:?}");
        }
    }
}

/// `eprt`: an EPRT argument (UTF-8); the fast paths agree with the general parser.
pub fn check_eprt(data: &[u8]) {
    let Ok(arg) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = hostport::parse_eprt(arg);
    assert_eq!(parsed, hostport::parse_eprt_general(arg), "EPRT fast and general paths disagree on {arg:?}");
    if let Some(addr) = hostport::eprt_v4_fast_addr(arg) {
        assert_eq!(parsed.as_ref().map(|p| p.value.addr), Ok(addr), "EPRT command fast path differs on {arg:?}");
    }
    let Ok(p) = parsed else {
        return;
    };
    assert_eq!(p.span, 0..arg.len(), "EPRT span is not the whole argument");
    assert_ne!(p.value.addr.port(), 0, "port 0 accepted from {arg:?}");
    let text = EprtArg(p.value.addr).to_string();
    let again = hostport::parse_eprt(&text).map(|q| q.value);
    assert_eq!(again.map(|e| (e.addr, e.delimiter)), Ok((p.value.addr, b'|')), "formatted {text:?} differs");
}

/// `lprt`: an LPRT argument (UTF-8).
pub fn check_lprt(data: &[u8]) {
    let Ok(arg) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = hostport::parse_lprt(arg) else {
        return;
    };
    assert_eq!(p.span, 0..arg.len(), "LPRT span is not the whole argument");
    check_long(p.value);
}

/// The LPRT form of an address reads back to it.
fn check_long(addr: SocketAddr) {
    assert_ne!(addr.port(), 0, "port 0 accepted");
    let text = LprtArg(addr).to_string();
    assert_eq!(hostport::parse_lprt(&text).map(|q| q.value), Ok(addr), "formatted {text:?} differs");
}

/// `lpsv`: a 228 reply, both modes.
pub fn check_lpsv(data: &[u8]) {
    for mode in MODES {
        let Ok(p) = hostport::parse_lpsv(data, mode) else {
            continue;
        };
        let tuple = spanned_str(data, &p.span);
        let again = hostport::parse_lprt(tuple).map(|q| q.value);
        assert_eq!(again, Ok(p.value), "{mode:?}: spanned tuple {tuple:?} reads differently");
        check_long(p.value);
        let text = format!("228 {}\r\n", LpsvText(p.value));
        let again = hostport::parse_lpsv(text.as_bytes(), Mode::Strict).map(|q| q.value);
        assert_eq!(again, Ok(p.value), "formatted {text:?} reads differently");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Reply payloads.

/// `path_257`: a 257 reply (UTF-8): parse, quote, parse again.
pub fn check_path_257(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = path::parse_257(text) else {
        return;
    };
    let quoted = path::quote_path(&p);
    let quoted = quoted.unwrap_or_else(|e| panic!("parsed path {p:?} cannot be quoted: {e}"));
    assert_eq!(path::parse_257(&quoted).as_deref(), Ok(&*p), "quoted {quoted:?} reads differently");
    let line = path::format_257(&p, "created").unwrap_or_else(|e| panic!("parsed path {p:?}: format_257: {e}"));
    assert_eq!(path::parse_257(&line).as_deref(), Ok(&*p), "formatted {line:?} reads differently");
}

/// `feat`: a FEAT reply (UTF-8): features that can be written back read back the same.
pub fn check_feat(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(features) = Features::from_reply_text(text) else {
        return;
    };
    let mut checked = Features::new();
    for f in &features {
        assert!(!f.name().is_empty() && !f.name().contains(' '), "feature name {:?} from {text:?}", f.name());
        if checked.push(f.name(), f.params()).is_err() {
            return; // a control character or a blank the writer refuses: nothing to round-trip
        }
    }
    let wire = checked.to_reply_text();
    let again = Features::from_reply_text(&wire);
    assert_eq!(again.as_ref(), Ok(&features), "written back as {wire:?}, reads differently");
}

/// Drops `raw` so entries from different lines compare by what they say.
fn without_raw(mut e: Entry<'_>) -> Entry<'static> {
    e.raw = "".into();
    e.into_owned()
}

/// `mlsd_line`: one MLSD line (UTF-8): parse, format, parse again.
pub fn check_mlsd_line(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let first = listing::parse_mlsd_line(line);
    if let Ok(e) = &first {
        assert!(line.contains(&*e.name), "name {:?} is not in {line:?}", e.name);
    }
    let Ok((facts, name)) = listing::split_mlsd_line(line) else {
        assert!(first.is_err(), "parse_mlsd_line accepts {line:?}, split_mlsd_line does not");
        return;
    };
    let Ok(written) = listing::format_mlsd_line(facts, name) else {
        return;
    };
    let (facts2, name2) =
        listing::split_mlsd_line(&written).unwrap_or_else(|e| panic!("formatted {written:?} does not split: {e}"));
    assert_eq!(name2, name, "formatted {written:?}: name differs");
    assert!(facts2.eq(facts), "formatted {written:?}: facts differ");
    let second = listing::parse_mlsd_line(&written);
    assert_eq!(second.map(without_raw), first.map(without_raw), "formatted {written:?} parses differently");
}

/// `list_line`: LIST text (UTF-8), each line (with its line end) through `parse_list_line` against three
/// reference dates, and the whole through `parse_listing`: never panics, one item per line, the name (and a link
/// target) is a piece of the line.
pub fn check_list_line(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (y, m, d) in [(2026, 11, 24), (2024, 2, 29), (2000, 1, 1)] {
        let Ok(today) = Date::new(y, m, d) else {
            panic!("reference date {y}-{m}-{d} refused");
        };
        for line in text.split_inclusive('\n') {
            check_one_list_line(line, today);
        }
        let n = listing::parse_listing(text, today).count();
        let expect = if text.is_empty() { 0 } else { text.strip_suffix('\n').unwrap_or(text).split('\n').count() };
        assert_eq!(n, expect, "parse_listing gave {n} items for {text:?}");
    }
}

/// The `LIST` forms beyond Unix and DOS and their detector. The first line of the input is taken as a `SYST`
/// reply's text, the rest as a listing. Invariants: no panic; the detected listing and the listing read as each
/// form give exactly one item per line; each item keeps its line whole (entry `raw` or `Unparsed` text); every
/// entry has a non-empty name.
pub fn check_list_formats(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (syst, body) = text.split_once('\n').unwrap_or(("", &text));
    let Ok(today) = Date::new(2026, 11, 24) else {
        panic!("reference date refused");
    };
    let lines: Vec<&str> = if body.is_empty() {
        Vec::new()
    } else {
        // Each line without its line end, and without one more `\r` (a line ending `\r\r\n`), as `parse_list_line`
        // reads it.
        let strip = |l: &'_ str| -> usize {
            let l = l.strip_suffix('\r').unwrap_or(l);
            l.strip_suffix('\r').unwrap_or(l).len()
        };
        body.strip_suffix('\n').unwrap_or(body).split('\n').map(|l| &l[..strip(l)]).collect()
    };
    let _ = listing::format_from_syst(syst);
    let detected = listing::parse_listing_detected(body, Some(syst), today);
    let forms = [
        None,
        Some(ListFormat::Eplf),
        Some(ListFormat::Vms),
        Some(ListFormat::Os400),
        Some(ListFormat::Mvs),
        Some(ListFormat::NetWare),
        Some(ListFormat::Os2),
    ];
    let mut runs: Vec<Vec<ListLine<'_>>> = vec![detected.collect()];
    runs.extend(forms.iter().map(|f| listing::parse_listing_as(body, *f, today).collect()));
    for items in runs {
        assert_eq!(items.len(), lines.len(), "{} items for {} lines", items.len(), lines.len());
        for (item, line) in items.iter().zip(&lines) {
            match item {
                ListLine::Entry(e) => {
                    assert_eq!(&*e.raw, *line, "raw is not the line");
                    assert!(!e.name.is_empty(), "empty name from {line:?}");
                }
                ListLine::Unparsed(s) => assert_eq!(&**s, *line, "unparsed text is not the line"),
            }
        }
    }
}

/// One line, at most one LF, at its end.
fn check_one_list_line(line: &str, today: Date) {
    let stripped = line.strip_suffix('\n').unwrap_or(line);
    let stripped = stripped.strip_suffix('\r').unwrap_or(stripped);
    match listing::parse_list_line(line, today) {
        ListLine::Entry(e) => {
            assert!(!e.name.is_empty(), "empty name from {line:?}");
            assert!(stripped.contains(&*e.name), "name {:?} is not in {line:?}", e.name);
            if let Some(t) = &e.link_target {
                assert!(stripped.contains(&**t), "link target {t:?} is not in {line:?}");
            }
            assert_eq!(&*e.raw, stripped, "raw is not the line without its line end");
        }
        ListLine::Unparsed(s) => assert_eq!(&*s, stripped, "unparsed text is not the line"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Transcripts and firewall.

/// `transcript`: `transcript::decode` on any text: line numbers increase and stay in the text, spans stay in the
/// item's input.
pub fn check_transcript(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let total = text.lines().count();
    let items = transcript::decode(&text);
    let mut last = 0;
    for item in &items {
        let line = item.line();
        assert!(line > last && line <= total, "item line {line} after {last}, of {total} lines");
        last = line;
        let input = match item {
            Item::Command(c) => &c.input,
            Item::Reply(r) => &r.input,
            Item::Error(e) => &e.input,
        };
        if let Some(ep) = item.endpoint() {
            assert!(input.get(ep.span.clone()).is_some(), "endpoint span {:?} not in {input:?}", ep.span);
        }
        if let Item::Reply(r) = item {
            assert!((100..=699).contains(&r.code), "reply code {} from {input:?}", r.code);
        }
    }
}

/// `firewall`: a port range (UTF-8): parse, format, parse.
pub fn check_firewall(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(r) = text.parse::<PortRange>() else {
        return;
    };
    assert!(r.start() >= 1 && r.start() <= r.end(), "range {r:?} from {text:?}");
    assert_eq!(r.len(), u32::from(r.end()) - u32::from(r.start()) + 1);
    let written = r.to_string();
    assert_eq!(written.parse::<PortRange>(), Ok(r), "formatted {written:?} reads differently");
}

/// `proxy_header`: a PROXY header (v1/v2) from any bytes. A complete header lies within the bytes and reads the same
/// alone; an incomplete one is incomplete at every shorter prefix too (all its bytes are header bytes, so the server
/// may consume them) and shorter than the bound; the bytes before an error's end are never a complete header.
pub fn check_proxy_header(data: &[u8]) {
    use crate::proxy::{parse_header, HeaderStatus, MAX_HEADER};
    match parse_header(data) {
        Ok(HeaderStatus::Complete(h)) => {
            assert!(h.len >= 15 && h.len <= data.len() && h.len <= MAX_HEADER, "{h:?} from {} bytes", data.len());
            assert_eq!(parse_header(&data[..h.len]), Ok(HeaderStatus::Complete(h)), "the header alone");
            for end in 0..h.len {
                assert_eq!(parse_header(&data[..end]), Ok(HeaderStatus::Incomplete), "prefix of {end} bytes");
            }
        }
        Ok(HeaderStatus::Incomplete) => {
            assert!(data.len() < MAX_HEADER, "incomplete at {} bytes", data.len());
            for end in 0..data.len() {
                assert_eq!(parse_header(&data[..end]), Ok(HeaderStatus::Incomplete), "prefix of {end} bytes");
            }
        }
        Err(_) => {}
    }
}

/// `hash_reply`: a HASH reply's text (draft-bryan-ftpext-hash) from any UTF-8. What reads is written back by
/// `to_text` as text that reads the same.
pub fn check_hash_reply(data: &[u8]) {
    use crate::hash::HashReply;
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(reply) = HashReply::parse(text) {
        assert!(reply.start <= reply.end, "{reply:?} from {text:?}");
        assert_eq!(reply.digest.len(), reply.algorithm.digest_len(), "{reply:?} from {text:?}");
        let written = reply.to_text();
        assert_eq!(HashReply::parse(&written), Ok(reply), "written {written:?} reads differently");
    }
}

/// `users_file`: a users file from any UTF-8. Every entry that reads is written back by `to_line` as one line that
/// reads as that entry alone.
pub fn check_users_file(data: &[u8]) {
    use crate::session::server::users;
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(entries) = users::parse(text) {
        for entry in entries {
            let line = match entry.to_line() {
                Ok(line) => line,
                Err(e) => panic!("{entry:?} read from {text:?} cannot be written: {e:?}"),
            };
            assert!(!line.contains(['\n', '\r']), "{line:?}");
            assert_eq!(users::parse(&line), Ok(vec![entry]), "written {line:?} reads differently");
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Sessions: the input is a script of operations, one op byte followed by its operands.

/// Every line a session writes must be one well-formed CRLF-terminated line with no stray CR, LF or NUL.
fn assert_lines(bytes: &[u8], who: &str) {
    assert!(bytes.ends_with(b"\r\n"), "{who} wrote an unterminated line: {bytes:?}");
    for line in bytes.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(!line.contains(&b'\r') && !line.contains(&0), "{who} wrote a stray CR or NUL: {bytes:?}");
    }
}

/// `client_session`: replies (arbitrary bytes), requests, data events, aborts and closes in any order. The session
/// never panics, writes only well-formed command lines, emits `Closed` at most once and last, and is closed after
/// `handle_close`.
pub fn check_client_session(data: &[u8]) {
    use crate::command::TransferType;
    use crate::session::client::{ClientSession, Config, DataMode, Event, RequestId, Transfer, TransferKind};
    use crate::session::DataEvent;
    let peer: SocketAddr = SocketAddr::from(([192, 0, 2, 1], 21));
    let mut s = ClientSession::new(Config::new(peer));
    let mut data_ids: Vec<RequestId> = Vec::new();
    let mut closed_events = 0usize;
    let mut drain = |s: &mut ClientSession, data_ids: &mut Vec<RequestId>| {
        while let Some(b) = s.poll_transmit() {
            assert_lines(&b, "client");
            for line in b.split_inclusive(|c| *c == b'\n') {
                assert!(Command::parse_bytes(line).is_ok(), "client wrote an unparsable command {line:?}");
            }
        }
        while let Some(ev) = s.poll_event() {
            assert_eq!(closed_events, 0, "event after Closed: {ev:?}");
            match ev {
                Event::ConnectData { id, .. } | Event::AcceptData { id, .. } => data_ids.push(id),
                Event::Closed { .. } => closed_events += 1,
                _ => {}
            }
        }
    };
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        i += 1;
        let arg = data.get(i).copied().unwrap_or(0);
        match op % 8 {
            0 => {
                // Control bytes: the next `arg` bytes.
                i = (i + 1).min(data.len());
                let end = (i + usize::from(arg)).min(data.len());
                let _ = s.handle_input(&data[i..end]);
                i = end;
            }
            1 => {
                i += 1;
                let _ = match arg % 10 {
                    0 => s.login("u", "p", None),
                    1 => s.pwd(),
                    2 => s.feat(),
                    3 => s.type_(TransferType::Image),
                    4 => s.rename("a", "b"),
                    5 => s.size("f"),
                    6 => s.quit(),
                    7 => s.transfer(Transfer::new(TransferKind::Retr("f".into()), DataMode::Passive)),
                    8 => s.transfer(Transfer::new(
                        TransferKind::List(None),
                        DataMode::Active(SocketAddr::from(([192, 0, 2, 9], 4000))),
                    )),
                    _ => s.transfer(Transfer::new(TransferKind::Stor("f".into()), DataMode::Pasv).restart_at(7)),
                };
            }
            2 => {
                i += 1;
                if let Some(id) = data_ids.last().copied() {
                    let ev = match arg % 5 {
                        0 => DataEvent::Connected,
                        1 => DataEvent::Accepted { from: SocketAddr::from(([192, 0, 2, arg], 20)) },
                        2 => DataEvent::Eof,
                        3 => DataEvent::Closed,
                        _ => DataEvent::Failed { reason: "x".into() },
                    };
                    let _ = s.handle_data(id, ev);
                }
            }
            3 => {
                let _ = s.abort();
            }
            4 if arg == 0xff => s.handle_close(),
            _ => {}
        }
        drain(&mut s, &mut data_ids);
    }
    s.handle_close();
    drain(&mut s, &mut data_ids);
    assert!(s.is_closed(), "not closed after handle_close");
    assert_eq!(closed_events, 1, "Closed must come exactly once");
}

/// `server_session`: command bytes, outcomes for the outstanding request, data connections from chosen addresses and
/// timeouts in any order. The session never panics, has at most one request out, writes only replies a strict
/// decoder reads back, and closes on QUIT once its request is answered.
pub fn check_server_session(data: &[u8]) {
    use crate::session::server::{Access, Outcome, ServerConfig, ServerRequest, ServerSession};
    // Virtual time: one real reading as the epoch (the harness's, never the session's), then only additions.
    let mut now = crate::time::Instant::now();
    let client = SocketAddr::from(([192, 0, 2, 10], 40000));
    let server = SocketAddr::from(([192, 0, 2, 20], 21));
    let config = ServerConfig { anonymous: true, passive_ports: 50000..=50010, ..ServerConfig::default() };
    let mut s = ServerSession::new(config, client, server, now);
    let mut out: Option<ServerRequest> = None;
    let mut replies = ReplyDecoder::new(Framing::Strict, Limits::default());
    let drain = |s: &mut ServerSession, out: &mut Option<ServerRequest>, replies: &mut ReplyDecoder| {
        while let Some(b) = s.poll_transmit() {
            assert_lines(&b, "server");
            replies.feed(&b);
            loop {
                match replies.decode() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => panic!("server wrote a reply a strict decoder refuses: {e}: {b:?}"),
                }
            }
        }
        while s.poll_event().is_some() {}
        while let Some(r) = s.poll_request() {
            assert!(out.is_none(), "two requests out at once: {out:?} and {r:?}");
            *out = Some(r);
        }
    };
    drain(&mut s, &mut out, &mut replies);
    let mut i = 0;
    while i < data.len() {
        let op = data[i];
        i += 1;
        let arg = data.get(i).copied().unwrap_or(0);
        match op % 6 {
            0 => {
                i = (i + 1).min(data.len());
                let end = (i + usize::from(arg)).min(data.len());
                let _ = s.handle_input(now, &data[i..end]);
                i = end;
            }
            1 => {
                i += 1;
                if let Some(r) = out.take() {
                    let outcome = match (&r, arg % 6) {
                        (ServerRequest::Authenticate { .. }, 0) => Outcome::LoggedIn(Access::ReadWrite),
                        (ServerRequest::ListenPassive { ip, .. }, 0) => Outcome::Bound(SocketAddr::new(*ip, 50003)),
                        (ServerRequest::Transfer { .. }, 0) => Outcome::TransferDone { bytes: 3 },
                        (_, 1) => Outcome::Ok,
                        (_, 2) => Outcome::NotFound,
                        (_, 3) => Outcome::Dir,
                        (_, 4) => Outcome::File,
                        _ => Outcome::Failed("x".into()),
                    };
                    let _ = s.complete(now, r.id(), outcome);
                }
            }
            2 => {
                i += 1;
                let _ =
                    s.handle_data_accepted(SocketAddr::from(([192, 0, 2, if arg % 2 == 0 { 10 } else { 11 }], 5000)));
            }
            3 => {
                // Even: the clock reaches the deadline; odd: an early (spurious) call, which must change nothing.
                if let Some(at) = s.poll_timeout().filter(|_| arg % 2 == 0) {
                    now = now.max(at);
                }
                s.handle_timeout(now);
            }
            4 => now += std::time::Duration::from_secs(u64::from(arg)),
            _ => {}
        }
        drain(&mut s, &mut out, &mut replies);
    }
    // QUIT always ends the session once the outstanding request (if any) is answered.
    // A line end first: a partial line left by the script would otherwise swallow the QUIT.
    let _ = s.handle_input(now, b"\r\nQUIT\r\n");
    drain(&mut s, &mut out, &mut replies);
    // QUIT waits for a transfer in progress (RFC 959 §4.1.1): the adapter answers the outstanding request, and its
    // timer fires for a data connection that never comes. After that the session must be closed.
    for _ in 0..8 {
        if let Some(r) = out.take() {
            let _ = s.complete(now, r.id(), Outcome::Failed("end".into()));
        } else if let Some(at) = s.poll_timeout() {
            now = now.max(at);
            s.handle_timeout(now);
        }
        drain(&mut s, &mut out, &mut replies);
    }
    assert!(s.is_closed(), "QUIT did not close the session");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_input() {
        let data: Vec<u8> = (0..200u8).collect();
        for seed in 0..64 {
            let parts = chunks(&data, seed);
            assert_eq!(parts.concat(), data, "seed {seed}");
            assert_eq!(parts.len() == 1, seed == 0, "seed {seed}");
            assert_eq!(parts.iter().all(|p| p.len() == 1), seed == 1, "seed {seed}");
        }
    }

    #[test]
    fn targets_are_unique_and_found() {
        for (i, (name, _)) in TARGETS.iter().enumerate() {
            assert!(TARGETS[..i].iter().all(|(n, _)| n != name), "{name} listed twice");
            assert!(target(name).is_some());
        }
        assert!(target("nope").is_none());
    }

    #[test]
    #[should_panic(expected = "spanned tuple")]
    fn a_broken_span_check_fails() {
        let _ = spanned_str(b"\xff", &(0..1));
    }
}
