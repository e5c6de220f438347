//! A plain loop over one decoding workload, for `perf record` and for quick A/B runs of two builds
//! (`cargo bench -p ftpkit-proto --bench prof --no-run`, then run the binary it names). Not a measurement of record:
//! the ratio table (`--bench ratios`) is.
//!
//! `PROF` picks the workload: `command` (default: `CommandDecoder`, touching each command as the ratio table does),
//! `command_untouched` (the same, the command dropped unread), `lines` (the decoder's line framing only), `reply`
//! (`ReplyDecoder`, code and text lines), `floor` (the `memchr` scan), or `pasv` / `epsv` (the single-reply parsers
//! over the corpus's 227 / 229 replies). `N` is the number of passes (default
//! 300). `LINE` replaces the command corpus with one line repeated to 1 MiB (`LINE="RETR a.txt"`), to see a verb's
//! cost without the branch mispredictions of a mixed stream.
mod common;

use common::{corpus, kernels};
use ftpkit_proto::command::CommandDecoder;
use std::hint::black_box;

fn main() {
    let which = std::env::var("PROF").unwrap_or_else(|_| "command".into());
    let passes: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let commands = match std::env::var("LINE") {
        Ok(line) => format!("{line}\r\n").repeat(corpus::STREAM_BYTES / (line.len() + 2)).into_bytes(),
        Err(_) => corpus::command_stream(),
    };
    if which == "pasv" || which == "epsv" {
        return single_replies(&which, passes);
    }
    let replies = corpus::reply_stream();
    let stream = if which == "reply" { &replies } else { &commands };
    let started = std::time::Instant::now();
    for _ in 0..passes {
        let checksum = match which.as_str() {
            "reply" => kernels::reply_stream(black_box(stream)),
            "floor" => kernels::floor_memchr(black_box(stream)),
            "lines" => lines_only(black_box(stream)),
            "command_untouched" => untouched(black_box(stream)),
            _ => kernels::command_stream(black_box(stream)),
        };
        black_box(checksum);
    }
    let lines = corpus::count_lines(stream);
    println!("{which}: {:.2} ns/line", started.elapsed().as_nanos() as f64 / (passes * lines) as f64);
}

/// `parse_pasv` (tolerant) or `parse_epsv` over the corpus's 227 or 229 replies, 1000 times a pass.
fn single_replies(which: &str, passes: usize) {
    type Parse = fn(&[Vec<u8>]) -> u64;
    let (replies, parse): (_, Parse) =
        if which == "pasv" { (corpus::pasv_replies(), kernels::pasv) } else { (corpus::epsv_replies(), kernels::epsv) };
    let started = std::time::Instant::now();
    for _ in 0..passes * 1000 {
        black_box(parse(black_box(&replies)));
    }
    let parses = passes * 1000 * replies.len();
    println!("{which}: {:.2} ns/parse", started.elapsed().as_nanos() as f64 / parses as f64);
}

/// `CommandDecoder::decode_line` only: framing, Telnet stripping and the line limit, no parse.
fn lines_only(stream: &[u8]) -> u64 {
    let mut decoder = CommandDecoder::default();
    let mut acc = 0u64;
    for chunk in stream.chunks(corpus::CHUNK) {
        decoder.feed(chunk);
        while let Ok(Some(line)) = decoder.decode_line() {
            acc += line.len() as u64;
        }
    }
    acc
}

/// `CommandDecoder::decode`, counting results without reading the commands.
fn untouched(stream: &[u8]) -> u64 {
    let mut decoder = CommandDecoder::default();
    let mut acc = 0u64;
    for chunk in stream.chunks(corpus::CHUNK) {
        decoder.feed(chunk);
        loop {
            match decoder.decode() {
                Ok(Some(command)) => acc += u64::from(!black_box(&command).verb().is_empty()),
                Ok(None) => break,
                Err(_) => acc += 2,
            }
        }
    }
    acc
}
