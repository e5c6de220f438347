//! Zero heap allocations per borrowed parse: a counting global allocator (`stats_alloc`, since the workspace
//! forbids unsafe code and a `GlobalAlloc` impl needs it) wraps the system allocator, and each operation is run
//! over real inputs inside a measured region.
//!
//! This is a `harness = false` test: one thread, checks in sequence, so no other test's allocations are counted.
//! Inputs are built before each region opens. It prints one line per operation and exits non-zero if any operation
//! that must not allocate did.
#[path = "../benches/common/corpus.rs"]
mod corpus;

use ftpkit_proto::command::{Command, CommandDecoder, CommandLine};
use ftpkit_proto::feat::Features;
use ftpkit_proto::hostport::{self, Mode};
use ftpkit_proto::listing::{parse_list_line, parse_mlsd_line, Date, ListLine};
use ftpkit_proto::path::parse_257;
use ftpkit_proto::reply::{parse_reply, Framing, ReplyDecoder};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::hint::black_box;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const LIST_TEXT: [&str; 3] = [
    include_str!("../testdata/transcripts/vsftpd-list.txt"),
    include_str!("../testdata/transcripts/pureftpd-list.txt"),
    include_str!("../testdata/transcripts/pyftpdlib-list.txt"),
];
const MLSD_TEXT: [&str; 2] = [
    include_str!("../testdata/transcripts/pureftpd-mlsd.txt"),
    include_str!("../testdata/transcripts/pyftpdlib-mlsd.txt"),
];
/// DOS/IIS-form lines (source: ftpkit, shaped like IIS output: 12-hour and 24-hour clocks, a directory).
const DOS_LINES: [&str; 3] = [
    "03-14-23  03:09PM                   48 readme.txt",
    "03-14-23  15:09                     30 hello world.txt",
    "02-29-24  11:59PM       <DIR>          subdir",
];
/// LPRT arguments and 228 replies (RFC 1639 forms; source: ftpkit, addresses from the transcripts' loopback).
const LPRT_ARGS: [&str; 2] = ["4,4,127,0,0,1,2,117,56", "6,16,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,117,57"];
const LPSV_REPLIES: [&[u8]; 2] = [
    b"228 Entering Long Passive Mode (4,4,127,0,0,1,2,117,56)\r\n",
    b"228 Entering Long Passive Mode (6,16,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,117,57)\r\n",
];

struct Report {
    failed: Vec<String>,
    passed: usize,
}

impl Report {
    /// The counter is live: `op` (which allocates by design) must be seen allocating, else every zero above is void.
    fn control(&mut self, name: &str, op: impl FnOnce() -> u64) {
        let region = Region::new(GLOBAL);
        let checksum = black_box(op());
        let stats = region.change();
        let live = stats.allocations > 0;
        println!(
            "{:>9}  control: {name}: {} allocations (checksum {checksum})",
            if live { "ok" } else { "NOT SEEN" },
            stats.allocations
        );
        if live {
            self.passed += 1;
        } else {
            self.failed.push(format!("control: {name} (the counting allocator saw nothing)"));
        }
    }

    /// Run `op` inside a counting region; it must make no allocation and no reallocation unless `expect_zero` is
    /// false (then the count is only reported).
    fn check(&mut self, name: &str, expect_zero: bool, op: impl FnOnce() -> u64) {
        let region = Region::new(GLOBAL);
        let checksum = black_box(op());
        let stats = region.change();
        let count = stats.allocations + stats.reallocations;
        let verdict = match (expect_zero, count) {
            (true, 0) => "ok",
            (true, _) => "ALLOCATES",
            (false, _) => "reported",
        };
        println!(
            "{verdict:>9}  {name}: {} allocations, {} reallocations, {} bytes (checksum {checksum})",
            stats.allocations, stats.reallocations, stats.bytes_allocated
        );
        if expect_zero {
            if count == 0 {
                self.passed += 1;
            } else {
                self.failed.push(name.to_string());
            }
        }
    }
}

fn reply_decoder(report: &mut Report) {
    let stream = corpus::reply_stream();
    let chunks: Vec<&[u8]> = stream.chunks(corpus::CHUNK).collect();
    let (warm, rest) = chunks.split_at(chunks.len() / 2);
    let mut decoder = ReplyDecoder::default();
    let drain = |decoder: &mut ReplyDecoder| {
        let mut acc = 0u64;
        loop {
            match decoder.decode() {
                Ok(Some(r)) => {
                    acc += u64::from(r.code().get());
                    acc += r.text_lines().map(|l| l.len() as u64).sum::<u64>();
                    acc += r.lines().count() as u64 + u64::from(r.is_multiline());
                }
                Ok(None) => return acc,
                Err(_) => acc += 1,
            }
        }
    };
    for chunk in warm {
        decoder.feed(chunk);
        drain(&mut decoder);
    }
    // Decode only: feed outside the region, decode every reply of one chunk inside it.
    let Some((first, rest)) = rest.split_first() else { return };
    decoder.feed(first);
    report.check("ReplyDecoder::decode (warm buffer), code + lines + text_lines", true, || drain(&mut decoder));
    // Steady state, feed included: the buffer reuses its space once warm.
    report.check("ReplyDecoder feed + decode (warm buffer), ~512 KiB in 4 KiB chunks", true, || {
        rest.iter()
            .map(|chunk| {
                decoder.feed(chunk);
                drain(&mut decoder)
            })
            .sum()
    });
}

fn command_decoder(report: &mut Report) {
    let stream = corpus::command_stream();
    let chunks: Vec<&[u8]> = stream.chunks(corpus::CHUNK).collect();
    let (warm, rest) = chunks.split_at(chunks.len() / 2);
    let mut decoder = CommandDecoder::default();
    let drain = |decoder: &mut CommandDecoder| {
        let mut acc = 0u64;
        loop {
            match decoder.decode() {
                Ok(Some(c)) => acc += c.verb().len() as u64,
                Ok(None) => return acc,
                Err(_) => acc += 1,
            }
        }
    };
    for chunk in warm {
        decoder.feed(chunk);
        drain(&mut decoder);
    }
    report.check("CommandDecoder feed + decode (warm buffer), ~512 KiB in 4 KiB chunks", true, || {
        rest.iter()
            .map(|chunk| {
                decoder.feed(chunk);
                drain(&mut decoder)
            })
            .sum()
    });
}

fn replies(report: &mut Report) {
    let replies = corpus::session_replies();
    report.check(&format!("parse_reply over {} real replies", replies.len()), true, || {
        replies
            .iter()
            .map(|r| match parse_reply(r, Framing::Strict) {
                Ok(Some((reply, used))) => u64::from(reply.code().get()) + used as u64,
                _ => 1,
            })
            .sum()
    });
    let pwd: Vec<String> = replies
        .iter()
        .filter(|r| r.starts_with(b"257 "))
        .map(|r| String::from_utf8(r.clone()).expect("257 reply is UTF-8"))
        .collect();
    assert!(!pwd.is_empty(), "the transcripts hold 257 replies");
    report.check(&format!("parse_257 over {} real 257 replies (no doubled quotes)", pwd.len()), true, || {
        pwd.iter().map(|r| parse_257(r).map_or(1, |p| p.len() as u64)).sum()
    });
    let feats: Vec<String> = replies
        .iter()
        .filter(|r| r.starts_with(b"211-") && r.windows(4).any(|w| w == b"EPSV"))
        .map(|r| String::from_utf8(r.clone()).expect("FEAT reply is UTF-8"))
        .collect();
    for (i, feat) in feats.iter().enumerate() {
        // Features holds its list in a Vec by design (documented in src/feat.rs): reported, not asserted.
        report.check(&format!("Features::from_reply_text, FEAT reply {} ({} bytes)", i + 1, feat.len()), false, || {
            Features::from_reply_text(feat).map_or(1, |f| f.len() as u64)
        });
    }
}

fn commands(report: &mut Report) {
    let lines = corpus::session_commands();
    let with_crlf: Vec<String> = lines.iter().map(|l| format!("{l}\r\n")).collect();
    report.check(&format!("CommandLine::split over {} real command lines", lines.len()), true, || {
        lines.iter().map(|l| CommandLine::split(l).arg.map_or(0, str::len) as u64).sum()
    });
    // Every line of the corpus one by one, so a failure names the line: path verbs, PORT, EPRT, bare verbs, an
    // unknown verb, and the refused `PORT 999,...`.
    let mut seen = std::collections::BTreeSet::new();
    for line in &with_crlf {
        if !seen.insert(line.as_str()) {
            continue;
        }
        let label = format!("Command::parse({:?})", line.trim_end());
        report.check(&label, true, || Command::parse(line).map_or(1, |c| c.verb().len() as u64));
    }
}

fn hostports(report: &mut Report) {
    let pasv = corpus::pasv_replies();
    let epsv = corpus::epsv_replies();
    let port = corpus::port_args();
    let eprt: Vec<String> =
        corpus::session_commands().iter().filter_map(|c| c.strip_prefix("EPRT ").map(str::to_owned)).collect();
    let bad_port = "999,0,0,1,1,1".to_string();
    report.check(&format!("hostport::parse_pasv over {} real 227 replies (both modes)", pasv.len()), true, || {
        pasv.iter()
            .flat_map(|r| [Mode::Tolerant, Mode::Strict].map(|m| hostport::parse_pasv(r, m)))
            .map(|p| p.map_or(1, |p| u64::from(p.value.port())))
            .sum()
    });
    report.check(&format!("hostport::parse_epsv over {} real 229 replies", epsv.len()), true, || {
        epsv.iter().map(|r| hostport::parse_epsv(r).map_or(1, |p| u64::from(p.value.port))).sum()
    });
    report.check(&format!("hostport::parse_port over {} real PORT arguments + 1 refused", port.len()), true, || {
        port.iter()
            .chain([&bad_port])
            .map(|a| hostport::parse_port(a, Mode::Strict).map_or(1, |p| u64::from(p.value.port())))
            .sum()
    });
    report.check(&format!("hostport::parse_eprt over {} real EPRT arguments", eprt.len()), true, || {
        eprt.iter().map(|a| hostport::parse_eprt(a).map_or(1, |p| u64::from(p.value.addr.port()))).sum()
    });
    report.check("hostport::parse_lprt over 2 LPRT arguments (af 4, af 6)", true, || {
        LPRT_ARGS.iter().map(|a| hostport::parse_lprt(a).map_or(1, |p| u64::from(p.value.port()))).sum()
    });
    report.check("hostport::parse_lpsv over 2 228 replies (af 4, af 6)", true, || {
        LPSV_REPLIES
            .iter()
            .map(|r| hostport::parse_lpsv(r, Mode::Tolerant).map_or(1, |p| u64::from(p.value.port())))
            .sum()
    });
}

fn listings(report: &mut Report) {
    let today = Date::new(2026, 11, 24).expect("a valid date");
    let list: Vec<&str> = LIST_TEXT.iter().flat_map(|t| t.lines()).chain(DOS_LINES).collect();
    let mlsd: Vec<&str> = MLSD_TEXT.iter().flat_map(|t| t.lines()).collect();
    report.check(&format!("parse_list_line over {} real Unix + 3 DOS lines", list.len() - 3), true, || {
        list.iter()
            .map(|l| match parse_list_line(l, today) {
                ListLine::Entry(e) => e.name.len() as u64 + e.size.unwrap_or(0),
                _ => 1,
            })
            .sum()
    });
    report.check(&format!("parse_mlsd_line over {} real MLSD lines", mlsd.len()), true, || {
        mlsd.iter().map(|l| parse_mlsd_line(l).map_or(1, |e| e.name.len() as u64)).sum()
    });
}

fn main() {
    let mut report = Report { failed: Vec::new(), passed: 0 };
    report.control("Command::parse(..).into_owned() copies its argument", || {
        let owned = Command::parse("RETR hello world.txt").map(Command::into_owned);
        owned.map_or(1, |c| c.verb().len() as u64)
    });
    reply_decoder(&mut report);
    command_decoder(&mut report);
    replies(&mut report);
    commands(&mut report);
    hostports(&mut report);
    listings(&mut report);
    println!("alloc: {} passed, {} failed", report.passed, report.failed.len());
    if !report.failed.is_empty() {
        eprintln!("operations that allocated: {:#?}", report.failed);
        std::process::exit(1);
    }
}
