//! Deterministic inputs for the benches and the allocation test, built from the real server transcripts in
//! `testdata/` (compiled in with `include_str!`, so no file is read at run time and every run sees the same bytes).
//!
//! - [`reply_stream`]: every reply of the three scripted sessions (`*-session.jsonl`, `reply_bytes_hex`: greetings,
//!   FEAT, STAT, HELP, 150/226 pairs, 227/229, errors; single- and multi-line), in capture order, repeated to
//!   [`STREAM_BYTES`].
//! - [`command_stream`]: every command line the sessions and the `ftp -d` transcripts sent (including the seed's),
//!   plus a few lines ftpkit adds so STOR/CWD/PORT/RETR with a path appear, each ending in CRLF, repeated to
//!   [`STREAM_BYTES`].
//! - [`pasv_replies`], [`epsv_replies`], [`port_args`]: the 227/229 replies and PORT arguments seen in the same
//!   files.
#![allow(dead_code)] // Shared by several bench and test targets; each uses a part.

use serde_json::Value;

/// Size a stream corpus reaches (it stops at the first whole session past this).
pub const STREAM_BYTES: usize = 1 << 20;

/// Chunk size the streaming decoders are fed with.
pub const CHUNK: usize = 4096;

const SESSIONS: [&str; 3] = [
    include_str!("../../testdata/transcripts/vsftpd-session.jsonl"),
    include_str!("../../testdata/transcripts/pureftpd-session.jsonl"),
    include_str!("../../testdata/transcripts/pyftpdlib-session.jsonl"),
];

const FTP_D: [&str; 8] = [
    include_str!("../../testdata/transcripts/vsftpd-active.ftp-d.txt"),
    include_str!("../../testdata/transcripts/vsftpd-passive.ftp-d.txt"),
    include_str!("../../testdata/transcripts/pureftpd-active.ftp-d.txt"),
    include_str!("../../testdata/transcripts/pureftpd-passive.ftp-d.txt"),
    include_str!("../../testdata/transcripts/pyftpdlib-active.ftp-d.txt"),
    include_str!("../../testdata/transcripts/pyftpdlib-passive.ftp-d.txt"),
    include_str!("../../testdata/seed-active.ftp-d.txt"),
    include_str!("../../testdata/seed-passive.ftp-d.txt"),
];

/// Command lines no transcript happens to hold, so the stream has uploads, directory changes and a non-loopback
/// PORT (source: ftpkit, shaped like the transcripts' own lines).
const EXTRA_COMMANDS: [&str; 8] = [
    "CWD subdir",
    "STOR upload/hello world.txt",
    "RETR subdir/nested.txt",
    "PORT 127,0,0,1,233,41",
    "EPRT |1|127.0.0.1|50123|",
    "CWD /",
    "MKD upload/new folder",
    "DELE upload/hello world.txt",
];

fn hex(text: &str) -> Vec<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("bad hex digit {c:#x} in a transcript"),
    };
    text.as_bytes().chunks(2).map(|p| digit(p[0]) << 4 | digit(p[1])).collect()
}

fn session_records() -> impl Iterator<Item = Value> {
    SESSIONS.into_iter().flat_map(|s| s.lines()).map(|l| serde_json::from_str(l).expect("transcript line is JSON"))
}

/// Every reply of the scripted sessions, raw bytes, in capture order.
pub fn session_replies() -> Vec<Vec<u8>> {
    session_records().map(|r| hex(r["reply_bytes_hex"].as_str().expect("reply_bytes_hex"))).collect()
}

/// Every command line sent in the transcripts (sessions, `ftp -d` runs, the seed), then [`EXTRA_COMMANDS`];
/// without line ends.
pub fn session_commands() -> Vec<String> {
    let mut out: Vec<String> = session_records().filter_map(|r| r["sent"].as_str().map(str::to_owned)).collect();
    for text in FTP_D {
        out.extend(text.lines().filter_map(|l| l.strip_prefix("---> ")).map(str::to_owned));
    }
    out.extend(EXTRA_COMMANDS.iter().map(|s| s.to_string()));
    out
}

fn repeat_to(unit: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + unit.len());
    while out.len() < size {
        out.extend_from_slice(unit);
    }
    out
}

/// The reply stream: [`session_replies`] concatenated and repeated to [`STREAM_BYTES`].
pub fn reply_stream() -> Vec<u8> {
    repeat_to(&session_replies().concat(), STREAM_BYTES)
}

/// The command stream: [`session_commands`] with CRLF, concatenated and repeated to [`STREAM_BYTES`].
pub fn command_stream() -> Vec<u8> {
    let unit: Vec<u8> = session_commands().iter().flat_map(|c| c.bytes().chain(*b"\r\n")).collect();
    repeat_to(&unit, STREAM_BYTES)
}

fn replies_with_code(code: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = session_replies().into_iter().filter(|r| r.starts_with(code.as_bytes())).collect();
    for text in FTP_D {
        out.extend(text.lines().filter(|l| l.starts_with(code)).map(|l| format!("{l}\r\n").into_bytes()));
    }
    out
}

/// The 227 replies of the sessions and the `ftp -d` transcripts (CRLF-terminated).
pub fn pasv_replies() -> Vec<Vec<u8>> {
    replies_with_code("227 ")
}

/// The 229 replies of the sessions and the `ftp -d` transcripts (CRLF-terminated).
pub fn epsv_replies() -> Vec<Vec<u8>> {
    replies_with_code("229 ")
}

/// The arguments of the well-formed PORT commands in [`session_commands`].
pub fn port_args() -> Vec<String> {
    session_commands()
        .into_iter()
        .filter_map(|c| c.strip_prefix("PORT ").map(str::to_owned))
        .filter(|a| !a.starts_with("999"))
        .collect()
}

/// Count the LF-terminated lines of a stream.
pub fn count_lines(stream: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', stream).count()
}
