//! Decoding whole session transcripts: `ftp -d` debug output, or plain logs of commands and replies.
//!
//! A transcript is text, one protocol line per line. Lines that start with a three-digit code are replies (a
//! multi-line reply is grouped into one item, by the strict RFC 959 rule); other lines are commands. When the text
//! uses the `---> ` marker of `ftp -d` output, only marked lines are commands (the marker is stripped) and the
//! client program's own chatter (`ftp> ls`, `Name (...)`, `Password:`, listing lines) is skipped, so a pasted
//! debug session decodes as it stands.
//!
//! Every item carries its 1-based line number. Anything that cannot be decoded — a reply line with a bad code, a
//! 227 or PORT whose tuple is wrong — becomes an [`Item::Error`] and decoding goes on with the next line.
//!
//! This is the one place transcript decoding lives: the CLI, the timeline and the browser explainer all use it.

use crate::command::{Command, CommandLine};
use crate::hostport::{self, Mode};
use crate::reply::{Framing, Limits, ReplyDecoder};
use crate::ErrorKind;
use core::ops::Range;
use std::net::IpAddr;

/// The prefix `ftp -d` puts before each command it sends.
pub const DEBUG_MARKER: &str = "---> ";

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

/// True when the line opens a multi-line reply (`NNN-`).
fn opens_multiline(line: &str) -> bool {
    looks_like_reply(line) && line.as_bytes().get(3) == Some(&b'-')
}

/// Decodes a transcript into items. Never fails: undecodable lines become [`Item::Error`].
pub fn decode(text: &str) -> Vec<Item> {
    let marker_mode = text.lines().any(|l| l.starts_with(DEBUG_MARKER));
    let lines: Vec<&str> = text.lines().map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let mut items = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let number = i + 1;
        if let Some(cmd) = line.strip_prefix(DEBUG_MARKER) {
            items.push(decode_command(number, cmd));
            i += 1;
        } else if looks_like_reply(line) {
            let (item, used) = decode_reply(number, &lines[i..], marker_mode);
            items.push(item);
            i += used;
        } else {
            if !marker_mode && !line.trim().is_empty() {
                items.push(decode_command(number, line));
            }
            i += 1;
        }
    }
    items
}

/// Decodes one command line.
pub fn decode_command(line: usize, input: &str) -> Item {
    let error = |error: String, kind: ErrorKind| Item::Error(ErrorItem { line, input: input.to_owned(), error, kind });
    let raw = CommandLine::split(input);
    let endpoint = match Command::parse(input) {
        Ok(cmd) => command_endpoint(&cmd, &raw),
        Err(e) => return error(e.to_string(), e.kind()),
    };
    Item::Command(CommandItem {
        line,
        input: input.to_owned(),
        verb: raw.verb_upper().into_owned(),
        arg: raw.arg.map(str::to_owned),
        endpoint,
    })
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
fn decode_reply(line: usize, lines: &[&str], marker_mode: bool) -> (Item, usize) {
    let mut decoder = ReplyDecoder::new(Framing::Strict, Limits::default());
    let multiline = opens_multiline(lines[0]);
    let mut used = 0;
    let mut buf = String::new();
    for (k, l) in lines.iter().enumerate() {
        // A marked command inside an unterminated multi-line reply ends it.
        if k > 0 && (l.starts_with(DEBUG_MARKER) || (!marker_mode && !multiline)) {
            break;
        }
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
                return (reply_item(line, buf, owned.code.get(), owned.lines), used);
            }
            Ok(None) if multiline => continue,
            Ok(None) => break,
            Err(e) => return (Item::Error(ErrorItem { line, input: buf, error: e.to_string(), kind: e.kind() }), used),
        }
    }
    // Unterminated: report the opening line alone and go on decoding from the line after it.
    let error = if multiline {
        format!("multi-line reply opened by {:?} is never closed", lines[0].get(..3).unwrap_or(lines[0]))
    } else {
        "incomplete reply".to_owned()
    };
    let _ = used;
    (Item::Error(ErrorItem { line, input: lines[0].to_owned(), error, kind: ErrorKind::Incomplete }), 1)
}

/// Builds the reply item, extracting the endpoint (227/228/229) or path (257); a wrong tuple is an error item.
fn reply_item(line: usize, input: String, code: u16, text: Vec<String>) -> Item {
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
                    Err(e) => return Item::Error(ErrorItem { line, input, error: e.to_string(), kind: e.kind() }),
                }
            } else {
                None
            };
            return Item::Reply(ReplyItem { line, input, code, text, endpoint: None, path });
        }
    };
    match endpoint {
        Ok(ep) => Item::Reply(ReplyItem { line, input, code, text, endpoint: Some(ep), path: None }),
        Err(e) => Item::Error(ErrorItem { line, input, error: e.to_string(), kind: e.kind() }),
    }
}

/// The seed's active-mode session (`ftp -d` against ProFTPD 1.2.2RC2), verbatim: PORT 192,168,150,80,14,178.
pub const SEED_ACTIVE: &str = include_str!("../testdata/seed-active.ftp-d.txt");

/// The seed's passive-mode session, verbatim: 227 Entering Passive Mode (192,168,150,90,195,149).
pub const SEED_PASSIVE: &str = include_str!("../testdata/seed-passive.ftp-d.txt");
