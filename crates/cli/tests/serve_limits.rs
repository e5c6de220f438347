//! `ftpkit serve --max-sessions N --max-sessions-per-ip M`: the limits are the user's, and one over gets 421.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::time::Duration;

fn greeting(port: u16) -> String {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut line = String::new();
    let _ = BufReader::new(s).read_line(&mut line);
    line
}

#[test]
fn session_limits_are_flags_and_one_over_gets_421() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (flags, open) in [(["--max-sessions", "2"], 2), (["--max-sessions-per-ip", "1"], 1)] {
        let (mut child, port) = common::serve(&[], dir.path(), &flags, &[], false);
        std::thread::sleep(Duration::from_millis(200));
        // Held open: each takes a session.
        let held: Vec<TcpStream> = (0..open)
            .map(|_| {
                let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
                let mut line = String::new();
                let _ = BufReader::new(s.try_clone().expect("clone")).read_line(&mut line);
                assert!(line.starts_with("220 "), "{flags:?}: {line:?}");
                s
            })
            .collect();
        let over = greeting(port);
        let _ = child.kill();
        let _ = child.wait();
        drop(held);
        assert!(over.starts_with("421 "), "{flags:?}: one over the limit got {over:?}");
    }
}
