//! Both clients facing a hostile server: endless multi-line replies, replies over the limits, a 227 naming a third
//! host, a data connection that never ends. Each case must end in bounded time with a typed error, with bounded
//! memory, and without traffic to any address but loopback. The "server" is a scripted std TcpListener.

use ftpkit::client::{ClientMode, Error, Options};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

fn opts() -> Options {
    Options {
        reply_timeout: Duration::from_secs(3),
        data_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(2),
        mode: ClientMode::Passive,
        ..Options::default()
    }
}

/// Reads one command line from the client (bounded).
fn read_line(s: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while line.len() < 4096 {
        match s.read(&mut b) {
            Ok(1) => {
                line.push(b[0]);
                if b[0] == b'\n' {
                    break;
                }
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&line).trim_end().to_owned()
}

/// A scripted server on 127.0.0.1: `script` runs in a thread with the accepted control connection.
fn server(script: impl FnOnce(TcpStream) + Send + 'static) -> (SocketAddr, thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let h = thread::spawn(move || {
        if let Ok((s, _)) = l.accept() {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
            script(s);
        }
    });
    (addr, h)
}

/// Greets, then answers USER/PASS/FEAT/TYPE so a login completes.
fn login(s: &mut TcpStream) {
    s.write_all(b"220 hostile\r\n").unwrap();
    for reply in [&b"331 pass\r\n"[..], b"230 ok\r\n", b"502 no feat\r\n", b"200 type\r\n"] {
        read_line(s);
        s.write_all(reply).unwrap();
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn an_endless_multiline_greeting_is_a_typed_error_with_bounded_memory() {
    let (addr, h) = server(|mut s| {
        let _ = s.write_all(b"220-welcome\r\n");
        let line = [b'x'; 1000];
        // 64 MiB of continuation lines, or until the client hangs up.
        for _ in 0..65_536 {
            if s.write_all(&line).and_then(|()| s.write_all(b"\r\n")).is_err() {
                break;
            }
        }
    });
    let before = rss_kib();
    let t = Instant::now();
    let err = ftpkit::blocking::Client::connect_with(addr, opts()).unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(err.to_string().contains("reply"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(10));
    assert!(rss_kib().saturating_sub(before) < 16 * 1024, "memory grew by {} KiB", rss_kib() - before);
    let _ = h.join();
}

#[test]
fn a_reply_line_over_the_limit_is_a_typed_error() {
    let (addr, h) = server(|mut s| {
        let mut long = b"220 ".to_vec();
        long.extend(std::iter::repeat_n(b'a', 100_000));
        long.extend_from_slice(b"\r\n");
        let _ = s.write_all(&long);
        thread::sleep(Duration::from_millis(500));
    });
    let err = ftpkit::blocking::Client::connect_with(addr, opts()).unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    let _ = h.join();
}

#[test]
fn an_http_server_is_not_taken_for_ftp() {
    let (addr, h) = server(|mut s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        thread::sleep(Duration::from_millis(500));
    });
    let err = ftpkit::blocking::Client::connect_with(addr, opts()).unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    let _ = h.join();
}

#[test]
fn a_silent_server_times_out() {
    let (addr, h) = server(|_s| thread::sleep(Duration::from_secs(4)));
    let mut o = opts();
    o.reply_timeout = Duration::from_millis(500);
    let t = Instant::now();
    let err = ftpkit::blocking::Client::connect_with(addr, o).unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(3));
    let _ = h.join();
}

/// A 227 naming another host: by default the client connects to the control connection's peer instead. The
/// announced host is 127.0.0.2 (still loopback: no traffic leaves the machine even if the policy were wrong); the
/// scripted server listens on 127.0.0.1 at the announced port and serves the listing there.
#[test]
fn a_227_naming_a_third_host_is_not_followed() {
    let data = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = data.local_addr().unwrap().port();
    let (addr, h) = server(move |mut s| {
        login(&mut s);
        assert_eq!(read_line(&mut s), "PASV");
        let reply = format!("227 Entering Passive Mode (127,0,0,2,{},{}).\r\n", port >> 8, port & 0xff);
        s.write_all(reply.as_bytes()).unwrap();
        data.set_nonblocking(false).unwrap();
        let (mut d, from) = data.accept().unwrap();
        assert_eq!(from.ip().to_string(), "127.0.0.1");
        assert_eq!(read_line(&mut s), "LIST");
        s.write_all(b"150 here\r\n").unwrap();
        d.write_all(b"-rw-r--r--   1 a b 5 Jan  1  2024 x.txt\r\n").unwrap();
        drop(d);
        s.write_all(b"226 done\r\n").unwrap();
        let _ = read_line(&mut s);
    });
    let mut o = opts();
    o.extended_passive = false;
    let mut c = ftpkit::blocking::Client::connect_with(addr, o).unwrap();
    c.login("u", "p").unwrap();
    let names: Vec<String> = c.list(None).unwrap().into_iter().map(|e| e.name.into_owned()).collect();
    assert_eq!(names, ["x.txt"]);
    drop(c);
    h.join().unwrap();
}

/// A data connection that never ends and a 226 that never comes: the data timeout ends the download.
#[test]
fn a_data_connection_that_never_closes_times_out() {
    let data = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = data.local_addr().unwrap().port();
    let (addr, h) = server(move |mut s| {
        login(&mut s);
        assert_eq!(read_line(&mut s), "EPSV");
        s.write_all(format!("229 ok (|||{port}|)\r\n").as_bytes()).unwrap();
        let (mut d, _) = data.accept().unwrap();
        assert_eq!(read_line(&mut s), "RETR f");
        s.write_all(b"150 here\r\n").unwrap();
        let _ = d.write_all(&[7u8; 1000]);
        // Then nothing: no more data, no close, no 226, until the client gives up.
        let _ = read_line(&mut s);
        thread::sleep(Duration::from_millis(200));
    });
    let mut c = ftpkit::blocking::Client::connect_with(addr, opts()).unwrap();
    c.login("u", "p").unwrap();
    let t = Instant::now();
    let mut sink = Vec::new();
    let err = c.retrieve_to("f", &mut sink).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert!(
        matches!(&err, Error::Io(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut))
            || matches!(err, Error::Timeout(_)),
        "{err:?}"
    );
    assert_eq!(sink.len(), 1000);
    drop(c);
    let _ = h.join();
}

#[test]
fn the_tokio_client_gets_the_same_typed_errors() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (addr, h) = server(|mut s| {
        let _ = s.write_all(b"220-welcome\r\n");
        for _ in 0..65_536 {
            if s.write_all(&[b'y'; 1000]).and_then(|()| s.write_all(b"\r\n")).is_err() {
                break;
            }
        }
    });
    let err = rt.block_on(ftpkit::tokio::Client::connect_with(addr, opts())).unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    let _ = h.join();

    let (addr, h) = server(|_s| thread::sleep(Duration::from_secs(3)));
    let mut o = opts();
    o.reply_timeout = Duration::from_millis(400);
    let err = rt.block_on(ftpkit::tokio::Client::connect_with(addr, o)).unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    let _ = h.join();
}
