//! The FFI benchmark: the core bench's reply and command streams decoded through the Rust API (here) and through
//! the C API (`bench/ffi_bench.c`, linked against libftpkit.a, run by this program in the same run), with the same
//! chunking, the same per-item work and the same timing (per 64 KiB block, best of the passes); prints ns/line for
//! both and the ratio C/Rust (target: within 1.3x).
//!
//! Run by `bindings/c/tests/run.sh` (`cargo xtask c`) with `FTPKIT_C_BENCH` naming the compiled C half; without it
//! only the Rust half runs. Figures are reported, not gated (speed is checked by ratios, never by timed tests),
//! except that both halves must compute the same checksum.

#[path = "../../../crates/proto/benches/common/corpus.rs"]
mod corpus;

use ftpkit_proto::command::CommandDecoder;
use ftpkit_proto::reply::ReplyDecoder;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Rounds (each: PASSES Rust passes, then one C run of PASSES passes); the best pass of each half is reported.
const ROUNDS: usize = 5;
const PASSES: usize = 5;

/// A timed decoding pass: the stream, the per-block best times to update; returns the checksum.
type Kernel = fn(&[u8], &mut [u64]) -> u64;

/// 16 feeds of 4 KiB: each block of a pass is timed alone (see [`best`]).
const BLOCK: usize = 16 * corpus::CHUNK;

/// Records, per block, the best time seen (the work of block i is the same in every pass).
fn lap(blocks: &mut [u64], i: usize, t0: &mut Instant) {
    let now = Instant::now();
    if let Some(b) = blocks.get_mut(i) {
        *b = (*b).min(now.duration_since(*t0).as_nanos() as u64);
    }
    *t0 = now;
}

fn rust_replies(stream: &[u8], blocks: &mut [u64]) -> u64 {
    let mut decoder = ReplyDecoder::default();
    let mut acc = 0u64;
    let mut t0 = Instant::now();
    for (k, chunk) in stream.chunks(corpus::CHUNK).enumerate() {
        if k > 0 && (k * corpus::CHUNK).is_multiple_of(BLOCK) {
            lap(blocks, k * corpus::CHUNK / BLOCK - 1, &mut t0);
        }
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
    lap(blocks, stream.len().saturating_sub(1) / BLOCK, &mut t0);
    acc
}

fn rust_commands(stream: &[u8], blocks: &mut [u64]) -> u64 {
    let mut decoder = CommandDecoder::default();
    let mut acc = 0u64;
    let mut t0 = Instant::now();
    for (k, chunk) in stream.chunks(corpus::CHUNK).enumerate() {
        if k > 0 && (k * corpus::CHUNK).is_multiple_of(BLOCK) {
            lap(blocks, k * corpus::CHUNK / BLOCK - 1, &mut t0);
        }
        decoder.feed(chunk);
        loop {
            match decoder.decode() {
                Ok(Some(c)) => {
                    acc += c.verb().len() as u64;
                    acc += c.arg().map_or(0, |a| a.len() as u64);
                }
                Ok(None) => break,
                Err(_) => acc += 1,
            }
        }
    }
    lap(blocks, stream.len().saturating_sub(1) / BLOCK, &mut t0);
    acc
}

/// `passes` passes; each 64 KiB block's best time across them, summed (preemption on a shared machine lands on
/// some passes of a block, rarely on all), in ns per pass; and the checksum.
fn best(kernel: Kernel, stream: &[u8], passes: usize) -> (u64, u64) {
    let mut blocks = vec![u64::MAX; stream.len().div_ceil(BLOCK)];
    let mut sum = 0;
    for _ in 0..passes {
        sum = black_box(kernel(black_box(stream), &mut blocks));
    }
    (blocks.iter().sum(), sum)
}

/// One run of the C half: (name, best ns per pass, checksum) per stream.
fn run_c(bin: &std::ffi::OsStr, replies: &Path, commands: &Path) -> Vec<(String, u64, u64)> {
    let out = Command::new(bin).arg(replies).arg(commands).arg(PASSES.to_string()).output().expect("run the C half");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the C half failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_owned(), f.next()?.parse::<u64>().ok()?, f.next()?.parse::<u64>().ok()?))
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read.
    let replies = corpus::reply_stream();
    let commands = corpus::command_stream();
    let lines = [("reply_stream", corpus::count_lines(&replies)), ("command_stream", corpus::count_lines(&commands))];
    let kernels: [Kernel; 2] = [rust_replies, rust_commands];
    let streams = [&replies, &commands];
    let c_bin = std::env::var_os("FTPKIT_C_BENCH");
    let dir = std::env::temp_dir().join(format!("ftpkit-ffi-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (rpath, cpath) = (dir.join("replies.bin"), dir.join("commands.bin"));
    std::fs::write(&rpath, &replies).expect("write stream");
    std::fs::write(&cpath, &commands).expect("write stream");
    // Rounds alternate the two halves, so that load from other processes (the machine is shared) falls on both.
    let mut rust = [(u64::MAX, 0u64); 2];
    let mut c: [Option<(u64, u64)>; 2] = [None, None];
    for _ in 0..ROUNDS {
        for (i, k) in kernels.iter().enumerate() {
            let (ns, sum) = best(*k, streams[i], PASSES);
            rust[i] = (rust[i].0.min(ns), sum);
        }
        if let Some(bin) = &c_bin {
            for (name, ns, sum) in run_c(bin, &rpath, &cpath) {
                if let Some(i) = lines.iter().position(|(n, _)| *n == name) {
                    let prev = c[i].map_or(u64::MAX, |p| p.0);
                    c[i] = Some((prev.min(ns), sum));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let rust = [("reply_stream", rust[0]), ("command_stream", rust[1])];
    let c: Option<Vec<(String, u64, u64)>> = c_bin
        .as_ref()
        .map(|_| c.iter().zip(lines).filter_map(|(v, (n, _))| v.map(|(ns, s)| (n.to_owned(), ns, s))).collect());
    println!(
        "FFI benchmark: {ROUNDS} alternating rounds of {PASSES} passes over the core bench's streams (~1 MiB each, 4 KiB \
         chunks; per 64 KiB block the best pass counts)"
    );
    for ((name, (rust_ns, rust_sum)), (_, n)) in rust.iter().zip(lines) {
        let per = |ns: u64| ns as f64 / n as f64;
        match c.as_ref().and_then(|c| c.iter().find(|(cn, _, _)| cn == name)) {
            Some((_, c_ns, c_sum)) => {
                assert_eq!(c_sum, rust_sum, "{name}: the C and Rust halves did different work");
                let ratio = *c_ns as f64 / *rust_ns as f64;
                println!(
                    "  {name:<15} {n:>6} lines  Rust API {:>6.1} ns/line  C API {:>6.1} ns/line  ratio C/Rust {ratio:.2}x (target <= 1.30x){}",
                    per(*rust_ns),
                    per(*c_ns),
                    if ratio <= 1.3 { "" } else { "  ABOVE TARGET" }
                );
            }
            None => println!(
                "  {name:<15} {n:>6} lines  Rust API {:>6.1} ns/line  (C half not run: set FTPKIT_C_BENCH)",
                per(*rust_ns)
            ),
        }
    }
}
