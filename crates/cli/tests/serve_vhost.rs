//! `ftpkit serve --vhost NAME=DIR`: HOST before login (RFC 7151) roots the session in DIR.
mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `line` and returns the whole reply (every line), bounded at 64 lines.
fn ask(w: &mut TcpStream, r: &mut BufReader<TcpStream>, line: &str) -> String {
    if !line.is_empty() {
        w.write_all(format!("{line}\r\n").as_bytes()).unwrap();
    }
    let mut reply = String::new();
    for _ in 0..64 {
        let mut l = String::new();
        if r.read_line(&mut l).unwrap_or(0) == 0 {
            break;
        }
        reply.push_str(&l);
        if l.len() > 3 && l.as_bytes()[3] == b' ' && l.as_bytes()[..3].iter().all(u8::is_ascii_digit) {
            break;
        }
    }
    reply
}

#[test]
fn host_before_login_serves_the_virtual_hosts_directory() {
    let main = tempfile::tempdir().unwrap();
    let vhost = tempfile::tempdir().unwrap();
    std::fs::write(main.path().join("main.txt"), b"m").unwrap();
    std::fs::write(vhost.path().join("vhost.txt"), b"v").unwrap();
    let arg = format!("docs.example={}", vhost.path().display());
    let (mut child, port) = common::serve(&[], main.path(), &["--vhost", &arg], &[], false);
    let run = || {
        let ctrl = TcpStream::connect(("127.0.0.1", port)).unwrap();
        ctrl.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        (ctrl.try_clone().unwrap(), BufReader::new(ctrl))
    };
    let (mut w, mut r) = run();
    assert!(ask(&mut w, &mut r, "").starts_with("220 "));
    assert_eq!(ask(&mut w, &mut r, "HOST docs.example"), "220 ftpkit ready (docs.example)\r\n");
    assert!(ask(&mut w, &mut r, "USER anonymous").starts_with("331 "));
    assert!(ask(&mut w, &mut r, "PASS a@b").starts_with("230 "));
    let listing = ask(&mut w, &mut r, "STAT /");
    assert!(listing.contains(" vhost.txt\r\n") && !listing.contains("main.txt"), "{listing}");
    // Without HOST: the main directory.
    let (mut w, mut r) = run();
    ask(&mut w, &mut r, "");
    ask(&mut w, &mut r, "USER anonymous");
    ask(&mut w, &mut r, "PASS a@b");
    let listing = ask(&mut w, &mut r, "STAT /");
    assert!(listing.contains(" main.txt\r\n") && !listing.contains("vhost.txt"), "{listing}");
    let _ = child.kill();
    let _ = child.wait();
}
