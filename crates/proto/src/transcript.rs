//! Decoding whole session transcripts: `ftp -d` debug output, or plain logs of commands and replies.
//!
//! A transcript is bytes, one protocol line per line ([`decode_bytes`]; [`decode`] takes text). Lines that start
//! with a digit are replies (a multi-line reply is grouped into one item, by the strict RFC 959 rule): FTP verbs are
//! letters (RFC 959 §5.3), so a line such as `2a0 ok` or `22` is a malformed reply, never a command. Other lines are
//! commands. When the text uses the `---> ` marker of `ftp -d` output, only marked lines are commands (the marker is
//! stripped) and the client program's own chatter (`ftp> ls`, `Name (...)`, `Password:`, listing lines — also one
//! that starts with digits, such as a file named `2024-report`) is skipped, so a pasted debug session decodes as it
//! stands; there a line is a reply only when it is shaped like one (`NNN`, then a space, a `-` or the line end).
//!
//! Telnet commands are stripped as on the control connection (`IAC IP IAC DM ABOR` is an `ABOR`), and a line that
//! is not UTF-8 (a Latin-1 file name) is decoded as far as its syntax allows with its text shown lossily
//! (`U+FFFD` for each bad byte; [`CommandItem::lossy`], [`ReplyItem::lossy`]).
//!
//! Every item carries its 1-based line number. Anything that cannot be decoded — a reply line with a bad code, a
//! 227 or PORT whose tuple is wrong, a line over [`MAX_LINE`] bytes — becomes an [`Item::Error`] and decoding goes
//! on with the next line.
//!
//! This is the one place transcript decoding lives: the CLI, the timeline and the browser explainer all use it.

use crate::command::{Command, CommandLine};
use crate::hostport::{self, Field, Mode};
use crate::line::LineBuffer;
use crate::reply::{Framing, Limits, ReplyDecoder};
use crate::ErrorKind;
use core::ops::Range;
use std::net::IpAddr;

pub mod json;

/// The prefix `ftp -d` puts before each command it sends.
pub const DEBUG_MARKER: &str = "---> ";

/// The longest transcript line decoded, in bytes (without its line end); a longer one is an error item.
pub const MAX_LINE: usize = 64 * 1024;

/// Which host-port form a data endpoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointForm {
    /// `PORT h1,h2,h3,h4,p1,p2` (RFC 959): the client listens.
    Port,
    /// `EPRT |af|addr|port|` (RFC 2428): the client listens.
    Eprt,
    /// `LPRT af,hal,...` (RFC 1639): the client listens.
    Lprt,
    /// `227 ... (h1,h2,h3,h4,p1,p2)` (RFC 959): the server listens.
    Pasv,
    /// `229 ... (|||port|)` (RFC 2428): the server listens, on the control connection's address.
    Epsv,
    /// `228 ... (af,hal,...)` (RFC 1639): the server listens.
    Lpsv,
}

impl EndpointForm {
    /// True when the client listens and the server connects (active mode).
    pub const fn is_active(self) -> bool {
        matches!(self, EndpointForm::Port | EndpointForm::Eprt | EndpointForm::Lprt)
    }

    /// The command or reply that carries this form (`"PORT"`, `"227"`, ...).
    pub const fn label(self) -> &'static str {
        match self {
            EndpointForm::Port => "PORT",
            EndpointForm::Eprt => "EPRT",
            EndpointForm::Lprt => "LPRT",
            EndpointForm::Pasv => "227",
            EndpointForm::Epsv => "229",
            EndpointForm::Lpsv => "228",
        }
    }
}

/// A data-connection endpoint named by a command or reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The address, or `None` for a 229 (EPSV names only a port: the address is the control connection's peer).
    pub ip: Option<IpAddr>,
    /// The port.
    pub port: u16,
    /// Where it came from.
    pub form: EndpointForm,
    /// The byte range of the tuple inside the item's input text.
    pub span: Range<usize>,
}

impl Endpoint {
    /// For PORT and 227: the two port bytes, `(p1, p2)`, with `port = p1 * 256 + p2`.
    pub const fn port_bytes(&self) -> (u8, u8) {
        ((self.port >> 8) as u8, (self.port & 0xff) as u8)
    }
}

/// A command line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandItem {
    /// 1-based line number in the transcript.
    pub line: usize,
    /// The command line as it stood (without the `---> ` marker and line end).
    pub input: String,
    /// The verb, upper-cased.
    pub verb: String,
    /// The text after the first space, or `None`.
    pub arg: Option<String>,
    /// The data endpoint the command names (PORT, EPRT, LPRT).
    pub endpoint: Option<Endpoint>,
    /// True when the line was not UTF-8 and `input` shows it lossily (`U+FFFD` for each bad byte).
    pub lossy: bool,
}

/// A (possibly multi-line) reply of the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyItem {
    /// 1-based line number of the reply's first line.
    pub line: usize,
    /// The reply's lines as they stood, joined with `\n`.
    pub input: String,
    /// The reply code.
    pub code: u16,
    /// Each line's text, without its `NNN-`/`NNN ` prefix.
    pub text: Vec<String>,
    /// The data endpoint the reply names (227, 228, 229).
    pub endpoint: Option<Endpoint>,
    /// The path of a 257 reply.
    pub path: Option<String>,
    /// True when a line was not UTF-8 and `input`/`text` show it lossily (`U+FFFD` for each bad byte).
    pub lossy: bool,
}

/// A line (or group of lines) that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorItem {
    /// 1-based line number.
    pub line: usize,
    /// The input as it stood.
    pub input: String,
    /// What is wrong: which field and why.
    pub error: String,
    /// The stable class of the error.
    pub kind: ErrorKind,
    /// The host-port field the error is about (`p1`, `h3`, `port`, ...), when it is about one.
    pub field: Option<Field>,
}

/// One decoded item of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A command sent by the client.
    Command(CommandItem),
    /// A reply sent by the server.
    Reply(ReplyItem),
    /// Something that could not be decoded.
    Error(ErrorItem),
}

impl Item {
    /// The item's 1-based line number.
    pub fn line(&self) -> usize {
        match self {
            Item::Command(c) => c.line,
            Item::Reply(r) => r.line,
            Item::Error(e) => e.line,
        }
    }

    /// The data endpoint this item names, if any.
    pub fn endpoint(&self) -> Option<&Endpoint> {
        match self {
            Item::Command(c) => c.endpoint.as_ref(),
            Item::Reply(r) => r.endpoint.as_ref(),
            Item::Error(_) => None,
        }
    }
}

/// True when the line starts like a reply: three ASCII digits.
fn looks_like_reply(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 3 && b[..3].iter().all(u8::is_ascii_digit)
}

/// True when the line is shaped like a reply line: three digits, then a space, a `-` or the line end.
fn reply_shaped(line: &str) -> bool {
    looks_like_reply(line) && matches!(line.as_bytes().get(3), None | Some(b' ' | b'-'))
}

/// True when the line opens a multi-line reply (`NNN-`).
fn opens_multiline(line: &str) -> bool {
    looks_like_reply(line) && line.as_bytes().get(3) == Some(&b'-')
}

/// One transcript line after framing: its text (lossy when it was not UTF-8), or why it could not be framed.
#[derive(Debug)]
struct Line {
    text: String,
    lossy: bool,
    /// The framing error (a line over [`MAX_LINE`]); `text` is then empty.
    error: Option<(String, ErrorKind)>,
}

/// Splits bytes into lines as the control connection would: Telnet commands stripped, CR LF or LF line ends, a
/// last line without a line end kept.
fn split_lines(bytes: &[u8]) -> Vec<Line> {
    let mut buf = LineBuffer::new(MAX_LINE);
    let mut out = Vec::new();
    let drain = |buf: &mut LineBuffer, out: &mut Vec<Line>| loop {
        match buf.next_line() {
            Ok(Some(l)) => {
                let (text, lossy) = match core::str::from_utf8(l) {
                    Ok(t) => (t.to_owned(), false),
                    Err(_) => (String::from_utf8_lossy(l).into_owned(), true),
                };
                out.push(Line { text, lossy, error: None });
            }
            Ok(None) => break,
            Err(e) => out.push(Line { text: String::new(), lossy: false, error: Some((e.to_string(), e.kind())) }),
        }
    };
    // Feed in slices so the buffer holds one slice of complete lines at a time.
    for chunk in bytes.chunks(64 * 1024) {
        buf.feed(chunk);
        drain(&mut buf, &mut out);
    }
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        buf.feed(b"\n");
        drain(&mut buf, &mut out);
    }
    out
}

/// Decodes a transcript given as text into items. Never fails: undecodable lines become [`Item::Error`].
pub fn decode(text: &str) -> Vec<Item> {
    decode_bytes(text.as_bytes())
}

/// Decodes a transcript given as bytes into items. Never fails and never stops early: a line that is not UTF-8 is
/// decoded as far as its syntax allows and shown lossily, an undecodable line becomes an [`Item::Error`].
pub fn decode_bytes(bytes: &[u8]) -> Vec<Item> {
    let lines = split_lines(bytes);
    let marker_mode = lines.iter().any(|l| l.text.starts_with(DEBUG_MARKER));
    let mut items = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let number = i + 1;
        if let Some((error, kind)) = &line.error {
            items.push(Item::Error(ErrorItem {
                line: number,
                input: String::new(),
                error: error.clone(),
                kind: *kind,
                field: None,
            }));
            i += 1;
        } else if let Some(cmd) = line.text.strip_prefix(DEBUG_MARKER) {
            items.push(command_item(number, cmd, line.lossy));
            i += 1;
        } else if line.text.starts_with(|c: char| c.is_ascii_digit()) && (!marker_mode || reply_shaped(&line.text)) {
            let (item, used) = decode_reply(number, &lines[i..], marker_mode);
            items.push(item);
            i += used;
        } else {
            if !marker_mode && !line.text.trim().is_empty() {
                items.push(command_item(number, &line.text, line.lossy));
            }
            i += 1;
        }
    }
    items
}

/// Decodes one command line. A line that starts with a digit is not a command (verbs are letters): it is decoded
/// as a reply, and a malformed one is an error item.
pub fn decode_command(line: usize, input: &str) -> Item {
    if input.starts_with(|c: char| c.is_ascii_digit()) {
        let l = Line { text: input.to_owned(), lossy: false, error: None };
        return decode_reply(line, core::slice::from_ref(&l), false).0;
    }
    command_item(line, input, false)
}

fn command_item(line: usize, input: &str, lossy: bool) -> Item {
    let raw = CommandLine::split(input);
    let endpoint = match Command::parse(input) {
        Ok(cmd) => command_endpoint(&cmd, &raw),
        Err(e) => {
            let field = command_field(&raw);
            return Item::Error(ErrorItem {
                line,
                input: input.to_owned(),
                error: e.to_string(),
                kind: e.kind(),
                field,
            });
        }
    };
    Item::Command(CommandItem {
        line,
        input: input.to_owned(),
        verb: raw.verb_upper().into_owned(),
        arg: raw.arg.map(str::to_owned),
        endpoint,
        lossy,
    })
}

/// For a PORT/EPRT/LPRT the command parser refused: the host-port field that is wrong.
fn command_field(raw: &CommandLine<'_>) -> Option<Field> {
    let arg = raw.arg?;
    let err = match raw.verb_upper().as_ref() {
        "PORT" => hostport::parse_port(arg, Mode::Strict).err(),
        "EPRT" => hostport::parse_eprt(arg).err(),
        "LPRT" => hostport::parse_lprt(arg).err(),
        _ => None,
    };
    err.and_then(|e| e.field())
}

/// The endpoint a parsed command names, with its span in the command line.
fn command_endpoint(cmd: &Command<'_>, raw: &CommandLine<'_>) -> Option<Endpoint> {
    let arg = raw.arg?;
    let offset = raw.verb.len() + 1;
    let shift = |r: Range<usize>| r.start + offset..r.end + offset;
    let (ip, port, form, span) = match cmd {
        Command::Port(_) => {
            let p = hostport::parse_port(arg, Mode::Strict).ok()?;
            (IpAddr::V4(*p.value.ip()), p.value.port(), EndpointForm::Port, p.span)
        }
        Command::Eprt(_) => {
            let p = hostport::parse_eprt(arg).ok()?;
            (p.value.addr.ip(), p.value.addr.port(), EndpointForm::Eprt, p.span)
        }
        Command::Lprt(_) => {
            let p = hostport::parse_lprt(arg).ok()?;
            (p.value.ip(), p.value.port(), EndpointForm::Lprt, p.span)
        }
        _ => return None,
    };
    Some(Endpoint { ip: Some(ip), port, form, span: shift(span) })
}

/// Decodes the reply starting at `lines[0]`; returns the item and how many lines it used.
fn decode_reply(line: usize, lines: &[Line], marker_mode: bool) -> (Item, usize) {
    let mut decoder = ReplyDecoder::new(Framing::Strict, Limits::default());
    let first = lines[0].text.as_str();
    let multiline = opens_multiline(first);
    let mut used = 0;
    let mut buf = String::new();
    let mut lossy = false;
    for (k, rec) in lines.iter().enumerate() {
        let l = rec.text.as_str();
        // A marked command (or a line that could not be framed) inside an unterminated multi-line reply ends it.
        if k > 0 && (l.starts_with(DEBUG_MARKER) || rec.error.is_some() || (!marker_mode && !multiline)) {
            break;
        }
        lossy |= rec.lossy;
        used = k + 1;
        if k > 0 {
            buf.push('\n');
        }
        buf.push_str(l);
        decoder.feed(l.as_bytes());
        decoder.feed(b"\r\n");
        match decoder.decode() {
            Ok(Some(reply)) => {
                let owned = reply.to_owned();
                return (reply_item(line, buf, owned.code.get(), owned.lines, lossy), used);
            }
            Ok(None) if multiline => continue,
            Ok(None) => break,
            Err(e) => {
                let error = malformed(first, e.to_string());
                return (Item::Error(ErrorItem { line, input: buf, error, kind: e.kind(), field: None }), used);
            }
        }
    }
    // Unterminated: report the opening line alone and go on decoding from the line after it.
    let error = if multiline {
        format!("multi-line reply opened by {:?} is never closed", first.get(..3).unwrap_or(first))
    } else {
        malformed(first, "incomplete reply".to_owned())
    };
    let _ = used;
    (Item::Error(ErrorItem { line, input: first.to_owned(), error, kind: ErrorKind::Incomplete, field: None }), 1)
}

/// The message for a line that starts with a digit but is no reply: says why it is not a command either.
fn malformed(first: &str, error: String) -> String {
    if looks_like_reply(first) {
        error
    } else {
        format!("malformed reply (a line starting with a digit is a reply, and FTP verbs are letters): {error}")
    }
}

/// Builds the reply item, extracting the endpoint (227/228/229) or path (257); a wrong tuple is an error item.
fn reply_item(line: usize, input: String, code: u16, text: Vec<String>, lossy: bool) -> Item {
    let bytes = input.as_bytes();
    let endpoint = match code {
        227 => hostport::parse_pasv(bytes, Mode::Tolerant).map(|p| Endpoint {
            ip: Some(IpAddr::V4(*p.value.ip())),
            port: p.value.port(),
            form: EndpointForm::Pasv,
            span: p.span,
        }),
        228 => hostport::parse_lpsv(bytes, Mode::Tolerant).map(|p| Endpoint {
            ip: Some(p.value.ip()),
            port: p.value.port(),
            form: EndpointForm::Lpsv,
            span: p.span,
        }),
        229 => hostport::parse_epsv(bytes).map(|p| Endpoint {
            ip: None,
            port: p.value.port,
            form: EndpointForm::Epsv,
            span: p.span,
        }),
        _ => {
            let path = if code == 257 {
                match crate::path::parse_257(&input) {
                    Ok(p) => Some(p.into_owned()),
                    Err(e) => {
                        return Item::Error(ErrorItem {
                            line,
                            input,
                            error: e.to_string(),
                            kind: e.kind(),
                            field: None,
                        })
                    }
                }
            } else {
                None
            };
            return Item::Reply(ReplyItem { line, input, code, text, endpoint: None, path, lossy });
        }
    };
    match endpoint {
        Ok(ep) => Item::Reply(ReplyItem { line, input, code, text, endpoint: Some(ep), path: None, lossy }),
        Err(e) => {
            let field = e.field();
            Item::Error(ErrorItem { line, input, error: e.to_string(), kind: e.kind(), field })
        }
    }
}

/// The seed's active-mode session (`ftp -d` against ProFTPD 1.2.2RC2), verbatim: PORT 192,168,150,80,14,178.
pub const SEED_ACTIVE: &str = include_str!("../testdata/seed-active.ftp-d.txt");

/// The seed's passive-mode session, verbatim: 227 Entering Passive Mode (192,168,150,90,195,149).
pub const SEED_PASSIVE: &str = include_str!("../testdata/seed-passive.ftp-d.txt");
