mod common;
use common::{corpus, kernels};
use std::hint::black_box;
fn main() {
    let which = std::env::var("PROF").unwrap_or_default();
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let commands = corpus::command_stream();
    let replies = corpus::reply_stream();
    let t = std::time::Instant::now();
    for _ in 0..n {
        match which.as_str() {
            "reply" => {
                black_box(kernels::reply_stream(black_box(&replies)));
            }
            "floor" => {
                black_box(kernels::floor_memchr(black_box(&commands)));
            }
            _ => {
                black_box(kernels::command_stream(black_box(&commands)));
            }
        }
    }
    let lines = corpus::count_lines(if which == "reply" { &replies } else { &commands });
    println!("{:.2} ns/line", t.elapsed().as_nanos() as f64 / (n * lines) as f64);
}
