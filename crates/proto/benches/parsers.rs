//! Criterion benches for the core parsers, throughput in bytes (`cargo bench -p ftpkit-proto --bench parsers`).
//!
//! Groups:
//! - `reply_stream`: `ReplyDecoder` over ~1 MiB of real replies fed in 4 KiB chunks, against `floor_memchr` (a
//!   memchr line scan over the same bytes) and `hand_framing` (the floor plus code and multi-line framing).
//! - `command_stream`: `CommandDecoder` the same way, against `floor_memchr` and the split-style peer.
//! - `hostport`: `pasv`/`epsv`/`port` over the real 227/229 replies and PORT arguments, against the regex peer.
//! - `command_line`: `Command::parse` of RETR and PORT lines against the split-style peer.
//!
//! The peers are re-creations of other crates' *methods*, not their code: see `common/peers.rs`.
mod common;

use common::{corpus, kernels, peers::RegexPeer};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

fn streams(c: &mut Criterion) {
    let replies = corpus::reply_stream();
    let mut g = c.benchmark_group("reply_stream");
    g.throughput(Throughput::Bytes(replies.len() as u64));
    g.bench_function("ftpkit", |b| b.iter(|| kernels::reply_stream(black_box(&replies))));
    g.bench_function("ftpkit_code_only", |b| b.iter(|| kernels::reply_stream_code_only(black_box(&replies))));
    g.bench_function("floor_memchr", |b| b.iter(|| kernels::floor_memchr(black_box(&replies))));
    g.bench_function("hand_framing", |b| b.iter(|| kernels::hand_framing(black_box(&replies))));
    g.finish();

    let commands = corpus::command_stream();
    let mut g = c.benchmark_group("command_stream");
    g.throughput(Throughput::Bytes(commands.len() as u64));
    g.bench_function("ftpkit", |b| b.iter(|| kernels::command_stream(black_box(&commands))));
    g.bench_function("floor_memchr", |b| b.iter(|| kernels::floor_memchr(black_box(&commands))));
    g.bench_function("split_peer", |b| b.iter(|| kernels::command_stream_split_peer(black_box(&commands))));
    g.finish();
}

fn hostport(c: &mut Criterion) {
    let peer = RegexPeer::new();
    let pasv = corpus::pasv_replies();
    let epsv = corpus::epsv_replies();
    let port = corpus::port_args();
    let mut g = c.benchmark_group("hostport");
    let bytes = |set: &[Vec<u8>]| set.iter().map(Vec::len).sum::<usize>() as u64;
    g.throughput(Throughput::Bytes(bytes(&pasv)));
    g.bench_function(BenchmarkId::new("pasv", "ftpkit"), |b| b.iter(|| kernels::pasv(black_box(&pasv))));
    g.bench_function(BenchmarkId::new("pasv", "regex_peer"), |b| {
        b.iter(|| kernels::pasv_regex_peer(&peer, black_box(&pasv)))
    });
    g.throughput(Throughput::Bytes(bytes(&epsv)));
    g.bench_function(BenchmarkId::new("epsv", "ftpkit"), |b| b.iter(|| kernels::epsv(black_box(&epsv))));
    g.bench_function(BenchmarkId::new("epsv", "regex_peer"), |b| {
        b.iter(|| kernels::epsv_regex_peer(&peer, black_box(&epsv)))
    });
    g.throughput(Throughput::Bytes(port.iter().map(String::len).sum::<usize>() as u64));
    g.bench_function(BenchmarkId::new("port", "ftpkit"), |b| b.iter(|| kernels::port(black_box(&port))));
    g.finish();
}

fn command_line(c: &mut Criterion) {
    let retr = vec!["RETR hello world.txt\r\n".to_string()];
    let port = vec!["PORT 192,168,150,80,14,178\r\n".to_string()];
    let mut g = c.benchmark_group("command_line");
    for (name, lines) in [("retr", &retr), ("port", &port)] {
        g.throughput(Throughput::Bytes(lines.iter().map(String::len).sum::<usize>() as u64));
        g.bench_function(BenchmarkId::new(name, "ftpkit"), |b| b.iter(|| kernels::command_lines(black_box(lines))));
        g.bench_function(BenchmarkId::new(name, "split_peer"), |b| {
            b.iter(|| kernels::command_lines_split_peer(black_box(lines)))
        });
    }
    g.finish();
}

criterion_group!(benches, streams, hostport, command_line);
criterion_main!(benches);
