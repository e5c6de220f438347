//! The measured workloads, shared by the criterion bench (`parsers`) and the one-run ratio table (`ratios`), so both
//! time exactly the same code. Each returns a checksum that depends on every result, so nothing is optimised away.
#![allow(dead_code)] // Shared by several bench targets; each uses a part.

use super::corpus::CHUNK;
use super::peers::{split_parse, RegexPeer, SplitCommand};
use ftpkit_proto::command::{Command, CommandDecoder};
use ftpkit_proto::hostport::{self, Mode};
use ftpkit_proto::reply::ReplyDecoder;

/// The floor: a `memchr(b'\n')` scan that visits every line of `stream` and counts them.
pub fn floor_memchr(stream: &[u8]) -> u64 {
    let mut lines = 0u64;
    let mut pos = 0;
    while let Some(i) = memchr::memchr(b'\n', &stream[pos..]) {
        lines += 1;
        pos += i + 1;
    }
    lines
}

/// A minimal hand-written reply framer over a whole buffer: the floor plus the 3-digit code and the multi-line
/// rule (a reply opened with `NNN-` closes at a line starting `NNN `). No limits, no errors, no Telnet, no
/// chunking: a reference point between the floor and a real decoder, not a usable parser.
pub fn hand_framing(stream: &[u8]) -> u64 {
    let mut acc = 0u64;
    let mut open: Option<[u8; 3]> = None;
    let mut pos = 0;
    while let Some(i) = memchr::memchr(b'\n', &stream[pos..]) {
        let line = &stream[pos..pos + i];
        pos += i + 1;
        let (code, sep) = match line {
            [a, b, c, s, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => ([*a, *b, *c], *s),
            _ => continue,
        };
        match open {
            Some(o) if o == code && sep == b' ' => open = None,
            Some(_) => continue,
            None if sep == b'-' => {
                open = Some(code);
                continue;
            }
            None => {}
        }
        acc += u64::from(code[0] - b'0') * 100 + u64::from(code[1] - b'0') * 10 + u64::from(code[2] - b'0');
    }
    acc
}

/// `ReplyDecoder` over `stream` fed in 4 KiB chunks; touches each reply's code and every text line.
pub fn reply_stream(stream: &[u8]) -> u64 {
    let mut decoder = ReplyDecoder::default();
    let mut acc = 0u64;
    for chunk in stream.chunks(CHUNK) {
        decoder.feed(chunk);
        loop {
            match decoder.decode() {
                Ok(Some(reply)) => {
                    acc += u64::from(reply.code().get());
                    for text in reply.text_lines() {
                        acc += text.len() as u64;
                    }
                }
                Ok(None) => break,
                Err(_) => acc += 1,
            }
        }
    }
    acc
}

/// As [`reply_stream`], touching only the code and the raw length (no second pass over the text lines).
pub fn reply_stream_code_only(stream: &[u8]) -> u64 {
    let mut decoder = ReplyDecoder::default();
    let mut acc = 0u64;
    for chunk in stream.chunks(CHUNK) {
        decoder.feed(chunk);
        loop {
            match decoder.decode() {
                Ok(Some(reply)) => acc += u64::from(reply.code().get()) + reply.raw().len() as u64,
                Ok(None) => break,
                Err(_) => acc += 1,
            }
        }
    }
    acc
}

/// A value from a parsed command that depends on its variant and argument, without allocating.
fn touch(command: &Command<'_>) -> u64 {
    match command {
        Command::Port(a) => u64::from(a.port()),
        Command::Eprt(a) => u64::from(a.port()),
        Command::User(s) | Command::Pass(s) | Command::Cwd(s) | Command::Retr(s) | Command::Stor(s) => s.len() as u64,
        Command::Size(s) | Command::Mdtm(s) | Command::Opts(s) | Command::Mkd(s) | Command::Dele(s) => s.len() as u64,
        Command::List(s) | Command::Nlst(s) | Command::Mlsd(s) | Command::Stat(s) => {
            s.as_ref().map_or(3, |s| s.len()) as u64
        }
        Command::Type(_) => 7,
        other => other.verb().len() as u64,
    }
}

/// `CommandDecoder` over `stream` fed in 4 KiB chunks; touches each command's variant and argument.
pub fn command_stream(stream: &[u8]) -> u64 {
    let mut decoder = CommandDecoder::default();
    let mut acc = 0u64;
    for chunk in stream.chunks(CHUNK) {
        decoder.feed(chunk);
        loop {
            match decoder.decode() {
                Ok(Some(command)) => acc += touch(&command),
                Ok(None) => break,
                Err(_) => acc += 1,
            }
        }
    }
    acc
}

fn touch_split(command: &SplitCommand) -> u64 {
    match command {
        SplitCommand::Bare(v) => v.len() as u64,
        SplitCommand::Text(_, a) => a.len() as u64,
        SplitCommand::Port(a) => u64::from(a.port()),
        SplitCommand::Other(v, _) => v.len() as u64,
    }
}

/// The split-style peer over the same stream (whole buffer, lines found with memchr).
pub fn command_stream_split_peer(stream: &[u8]) -> u64 {
    let mut acc = 0u64;
    let mut pos = 0;
    while let Some(i) = memchr::memchr(b'\n', &stream[pos..]) {
        acc += split_parse(&stream[pos..pos + i + 1]).as_ref().map_or(1, touch_split);
        pos += i + 1;
    }
    acc
}

/// `parse_pasv` (tolerant, the client default) over every reply of the set.
pub fn pasv(replies: &[Vec<u8>]) -> u64 {
    replies.iter().map(|r| hostport::parse_pasv(r, Mode::Tolerant).map_or(1, |p| u64::from(p.value.port()))).sum()
}

/// The floor for a set of single inputs: a `memchr` scan for the line end of each (the end of the input when it
/// has none), the least any parser of the same bytes does.
pub fn floor_each<T: AsRef<[u8]>>(inputs: &[T]) -> u64 {
    inputs.iter().map(|i| memchr::memchr(b'\n', i.as_ref()).map_or(i.as_ref().len(), |n| n + 1) as u64).sum()
}

/// `parse_epsv` over every reply of the set.
pub fn epsv(replies: &[Vec<u8>]) -> u64 {
    replies.iter().map(|r| hostport::parse_epsv(r).map_or(1, |p| u64::from(p.value.port))).sum()
}

/// `parse_port` (strict, as a server judges a client) over every argument of the set.
pub fn port(args: &[String]) -> u64 {
    args.iter().map(|a| hostport::parse_port(a, Mode::Strict).map_or(1, |p| u64::from(p.value.port()))).sum()
}

/// The regex peer's 227 parse over the set.
pub fn pasv_regex_peer(peer: &RegexPeer, replies: &[Vec<u8>]) -> u64 {
    replies.iter().map(|r| peer.pasv(r).map_or(1, |a| u64::from(a.port()))).sum()
}

/// The regex peer's 229 parse over the set.
pub fn epsv_regex_peer(peer: &RegexPeer, replies: &[Vec<u8>]) -> u64 {
    replies.iter().map(|r| peer.epsv(r).map_or(1, u64::from)).sum()
}

/// `Command::parse` over whole command lines (CRLF included).
pub fn command_lines(lines: &[String]) -> u64 {
    lines.iter().map(|l| Command::parse(l).as_ref().map_or(1, touch)).sum()
}

/// The split-style peer over the same whole command lines.
pub fn command_lines_split_peer(lines: &[String]) -> u64 {
    lines.iter().map(|l| split_parse(l.as_bytes()).as_ref().map_or(1, touch_split)).sum()
}
