//! One behavioural table, run through both clients: the same scripted server (its replies and its data-connection
//! timing), the same calls, and the same results, errors and bytes on the wire from the blocking and the tokio
//! client. Both are IO loops over the one driver, so any difference here is a bug in a shell.

use ftpkit::client::{ClientMode, Error, Options};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const FILE: &[u8] = b"0123456789abcdefghij";

/// How the scripted server behaves.
#[derive(Debug, Clone, Copy, Default)]
struct Script {
    /// Never answer PWD.
    silent_pwd: bool,
    /// Active mode: connect to the client as soon as PORT arrives, before answering it (pyftpdlib does).
    connect_on_port: bool,
    /// RETR sends the first half of the file, then waits for ABOR and answers 426 + 226.
    stall_retr: bool,
}

/// Starts the scripted server for one session; returns its address and the lines it will have received.
fn scripted(script: Script) -> (SocketAddr, mpsc::Receiver<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok((ctrl, _)) = listener.accept() else { return };
        ctrl.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut w = ctrl.try_clone().unwrap();
        let mut r = BufReader::new(ctrl);
        let mut seen = Vec::new();
        let mut pasv: Option<TcpListener> = None;
        let mut active: Option<SocketAddrV4> = None;
        let mut data: Option<TcpStream> = None;
        let mut rest = 0usize;
        w.write_all(b"220 scripted\r\n").unwrap();
        let open = |pasv: &Option<TcpListener>, active: Option<SocketAddrV4>, data: &mut Option<TcpStream>| {
            data.take().or_else(|| match (pasv, active) {
                (Some(l), _) => l.accept().ok().map(|(s, _)| s),
                (None, Some(to)) => TcpStream::connect(to).ok(),
                _ => None,
            })
        };
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let line = line.trim_end().to_owned();
            seen.push(line.clone());
            let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
            let reply: String = match verb {
                "USER" => "331 pw".into(),
                "PASS" => "230 in".into(),
                "FEAT" => "211-Features:\r\n EPSV\r\n SIZE\r\n211 End".into(),
                "TYPE" | "NOOP" => "200 ok".into(),
                "PWD" if script.silent_pwd => continue,
                "PWD" => "257 \"/home\" is cwd".into(),
                "CWD" => "550 no such directory".into(),
                "SIZE" => format!("213 {}", FILE.len()),
                "EPSV" => {
                    let l = TcpListener::bind("127.0.0.1:0").unwrap();
                    let port = l.local_addr().unwrap().port();
                    pasv = Some(l);
                    format!("229 Entering Extended Passive Mode (|||{port}|)")
                }
                "PORT" => {
                    let n: Vec<u8> = arg.split(',').map(|p| p.parse().unwrap()).collect();
                    let to = SocketAddrV4::new(
                        Ipv4Addr::new(n[0], n[1], n[2], n[3]),
                        u16::from(n[4]) * 256 + u16::from(n[5]),
                    );
                    active = Some(to);
                    if script.connect_on_port {
                        data = TcpStream::connect(to).ok();
                        thread::sleep(Duration::from_millis(100));
                    }
                    "200 PORT ok".into()
                }
                "REST" => {
                    rest = arg.parse().unwrap();
                    "350 restarting".into()
                }
                "RETR" => {
                    let Some(mut d) = open(&pasv, active, &mut data) else { break };
                    w.write_all(b"150 here it comes\r\n").unwrap();
                    if script.stall_retr {
                        let _ = d.write_all(&FILE[..10]);
                        let mut abor = String::new();
                        let _ = r.read_line(&mut abor);
                        seen.push(abor.trim_end().to_owned());
                        drop(d);
                        "426 aborted\r\n226 ABOR ok".into()
                    } else {
                        d.write_all(&FILE[rest..]).unwrap();
                        rest = 0;
                        drop(d);
                        "226 done".into()
                    }
                }
                "STOR" => {
                    let Some(mut d) = open(&pasv, active, &mut data) else { break };
                    w.write_all(b"150 send it\r\n").unwrap();
                    let mut got = Vec::new();
                    d.read_to_end(&mut got).unwrap();
                    format!("226 got {} bytes", got.len())
                }
                "QUIT" => {
                    w.write_all(b"221 bye\r\n").unwrap();
                    break;
                }
                _ => "502 not here".into(),
            };
            w.write_all(format!("{reply}\r\n").as_bytes()).unwrap();
        }
        let _ = tx.send(seen);
    });
    (addr, rx)
}

/// One step of a case: a call and what it gave, as text both clients must agree on.
type Steps = Vec<String>;

fn show<T: std::fmt::Debug>(r: &Result<T, Error>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        // Error text, not Debug: an io::Error's Debug carries an OS code and message.
        Err(Error::Io(e)) => format!("io {:?}", e.kind()),
        Err(e) => format!("err {e}"),
    }
}

fn opts(mode: ClientMode) -> Options {
    Options {
        mode,
        reply_timeout: Duration::from_millis(700),
        data_timeout: Duration::from_secs(3),
        ..Options::default()
    }
}

fn run_blocking(addr: SocketAddr, mode: ClientMode, case: &str) -> Steps {
    use ftpkit::blocking::Client;
    let mut c = Client::connect_with(addr, opts(mode)).unwrap();
    let mut out = vec![show(&c.login("u", "p"))];
    match case {
        "everyday" => {
            out.push(show(&c.pwd()));
            out.push(show(&c.cwd("nowhere")));
            out.push(show(&c.size("f")));
            let mut got = Vec::new();
            out.push(show(&c.retrieve_to("f", &mut got)));
            out.push(format!("{:?}", String::from_utf8_lossy(&got)));
            let mut tail = Vec::new();
            out.push(show(&c.retrieve_from("f", 15, &mut tail)));
            out.push(format!("{:?}", String::from_utf8_lossy(&tail)));
            out.push(show(&c.store_from("up", &mut &b"upload!"[..])));
            out.push(show(&c.quit()));
        }
        "silent" => {
            out.push(show(&c.pwd()));
            out.push(show(&c.noop()));
        }
        "abort" => {
            let mut d = c.retrieve("f").unwrap();
            let mut first = [0u8; 10];
            d.read_exact(&mut first).unwrap();
            out.push(format!("{:?}", String::from_utf8_lossy(&first)));
            out.push(show(&d.abort()));
            out.push(show(&c.noop()));
            out.push(show(&c.quit()));
        }
        other => panic!("no case {other}"),
    }
    out
}

fn run_tokio(addr: SocketAddr, mode: ClientMode, case: &str) -> Steps {
    use ftpkit::tokio::Client;
    use tokio::io::AsyncReadExt;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut c = Client::connect_with(addr, opts(mode)).await.unwrap();
        let mut out = vec![show(&c.login("u", "p").await)];
        match case {
            "everyday" => {
                out.push(show(&c.pwd().await));
                out.push(show(&c.cwd("nowhere").await));
                out.push(show(&c.size("f").await));
                let mut got = Vec::new();
                out.push(show(&c.retrieve_to("f", &mut got).await));
                out.push(format!("{:?}", String::from_utf8_lossy(&got)));
                let mut tail = Vec::new();
                out.push(show(&c.retrieve_from("f", 15, &mut tail).await));
                out.push(format!("{:?}", String::from_utf8_lossy(&tail)));
                out.push(show(&c.store_from("up", &mut &b"upload!"[..]).await));
                out.push(show(&c.quit().await));
            }
            "silent" => {
                out.push(show(&c.pwd().await));
                out.push(show(&c.noop().await));
            }
            "abort" => {
                let mut d = c.retrieve("f").await.unwrap();
                let mut first = [0u8; 10];
                d.read_exact(&mut first).await.unwrap();
                out.push(format!("{:?}", String::from_utf8_lossy(&first)));
                out.push(show(&d.abort().await));
                out.push(show(&c.noop().await));
                out.push(show(&c.quit().await));
            }
            other => panic!("no case {other}"),
        }
        out
    })
}

/// Runs one case through both clients; returns what the blocking one did (after checking the tokio one did the
/// same) and the lines the server received.
fn both(script: Script, mode: ClientMode, case: &str) -> (Steps, Vec<String>) {
    let (addr, seen) = scripted(script);
    let blocking = run_blocking(addr, mode, case);
    let wire_b = seen.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
    let (addr, seen) = scripted(script);
    let tokio = run_tokio(addr, mode, case);
    let wire_t = seen.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
    assert_eq!(blocking, tokio, "{case} ({mode:?}): the clients disagree on the results");
    // PORT arguments carry each run's own port: compare the verbs there.
    let verbs = |w: &[String]| {
        w.iter().map(|l| if l.starts_with("PORT ") { "PORT".into() } else { l.clone() }).collect::<Vec<_>>()
    };
    assert_eq!(verbs(&wire_b), verbs(&wire_t), "{case} ({mode:?}): the clients disagree on the wire");
    (blocking, verbs(&wire_b))
}

#[test]
fn everyday_calls_give_the_same_results_and_bytes_passive_and_active() {
    for mode in [ClientMode::Passive, ClientMode::Active] {
        let (steps, wire) = both(Script::default(), mode, "everyday");
        let data = if mode == ClientMode::Passive { "EPSV" } else { "PORT" };
        assert_eq!(
            wire,
            [
                "USER u",
                "PASS p",
                "FEAT",
                "TYPE I",
                "PWD",
                "CWD nowhere",
                "SIZE f",
                data,
                "RETR f",
                data,
                "REST 15",
                "RETR f",
                data,
                "STOR up",
                "QUIT"
            ],
            "{mode:?}"
        );
        assert_eq!(steps[1], "ok \"/home\"");
        assert_eq!(steps[2], "err server refused: 550 no such directory");
        assert_eq!(steps[3], "ok 20");
        assert_eq!(steps[5], "\"0123456789abcdefghij\"");
        assert_eq!(steps[7], "\"fghij\"");
        assert_eq!(steps[8], "ok 7");
        assert_eq!(steps[9], "ok ()");
    }
}

/// Divergence 1 of the driver issue: on a reply timeout the blocking client used to keep the session (a late reply
/// could then be matched to the next request); both close it now.
#[test]
fn a_reply_timeout_closes_the_session_in_both() {
    let (steps, _) = both(Script { silent_pwd: true, ..Script::default() }, ClientMode::Passive, "silent");
    assert_eq!(steps[1], "err timed out waiting for a reply");
    assert!(steps[2].starts_with("err protocol: "), "{steps:?}");
}

/// Divergence 2: a data connection that arrives before the 1xx (before PORT is even answered) was kept by one
/// client and awaited through AcceptData by the other; both keep it now, by the driver's one rule.
#[test]
fn an_early_active_connection_is_used_by_both() {
    let (steps, wire) = both(Script { connect_on_port: true, ..Script::default() }, ClientMode::Active, "everyday");
    assert_eq!(steps[5], "\"0123456789abcdefghij\"");
    assert!(wire.contains(&"REST 15".to_owned()));
}

/// Divergence 3: the blocking client failed a call on any request's failure event; an abort's call must not fail
/// on the aborted transfer's 426, and the session goes on.
#[test]
fn an_abort_is_not_failed_by_the_aborted_transfers_426_in_both() {
    for mode in [ClientMode::Passive, ClientMode::Active] {
        let (steps, wire) = both(Script { stall_retr: true, ..Script::default() }, mode, "abort");
        assert_eq!(steps[1], "\"0123456789\"");
        assert_eq!(steps[2], "ok ()", "{mode:?}");
        assert_eq!(steps[3], "ok ()", "{mode:?}: the NOOP after the abort");
        assert!(wire.contains(&"ABOR".to_owned()), "{wire:?}");
    }
}
