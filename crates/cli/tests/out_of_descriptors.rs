//! Out of file descriptors, `ftpkit serve` answers new clients `421` instead of leaving them without a word: the
//! server runs under `prlimit --nofile=40` and the test opens 60 connections at once.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn a_server_out_of_descriptors_answers_421() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = ["--max-sessions", "1000", "--max-sessions-per-ip", "1000"];
    let (mut child, port) = common::serve(&["prlimit", "--nofile=40:40"], dir.path(), &limits, &[], false);
    std::thread::sleep(Duration::from_millis(300));
    let conns: Vec<TcpStream> = (0..60).filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok()).collect();
    let firsts: Vec<String> = conns
        .iter()
        .map(|c| {
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            let mut line = String::new();
            let _ = BufReader::new(c).read_line(&mut line);
            line
        })
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let greeted = firsts.iter().filter(|l| l.starts_with("220 ")).count();
    let refused = firsts.iter().filter(|l| l.starts_with("421 ") && l.contains("file descriptors")).count();
    assert!(greeted > 0 && refused > 0, "greeted {greeted}, refused {refused}: {firsts:?}");
    assert_eq!(greeted + refused, firsts.len(), "every client got a reply: {firsts:?}");
}
