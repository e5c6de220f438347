//! The tokio client against the embedded server, both on loopback: every client operation in both modes, aborts
//! (explicit and by drop), the trace hook, and timeouts against a scripted server that stalls.

use ftpkit::client::{ClientMode, Error, Options, TraceLine};
use ftpkit::proto::listing::EntryKind;
use ftpkit::server::{Access, Server};
use ftpkit::tokio::Client;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

async fn serve(root: &Path) -> SocketAddr {
    let server = Server::builder(root)
        .bind("127.0.0.1:0".parse().unwrap())
        .passive_ports(41000..=41999)
        .anonymous(true)
        .user("alice", "pw", Access::ReadWrite)
        .build()
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run());
    addr
}

fn tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("readme.txt"), b"hello\r\nworld\r\n").unwrap();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    std::fs::write(d.path().join("sub/nested.txt"), b"nested").unwrap();
    std::fs::write(d.path().join("big.bin"), big()).unwrap();
    d
}

fn big() -> Vec<u8> {
    (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

type Lines = Arc<Mutex<Vec<TraceLine>>>;

fn traced(mode: ClientMode) -> (Options, Lines) {
    let lines: Lines = Arc::default();
    let sink = Arc::clone(&lines);
    let opts = Options {
        mode,
        trace: Some(Arc::new(move |l: &TraceLine| sink.lock().unwrap().push(l.clone()))),
        ..Options::default()
    };
    (opts, lines)
}

async fn client(addr: SocketAddr, mode: ClientMode) -> Client {
    let opts = Options { mode, ..Options::default() };
    let mut c = Client::connect_with(addr, opts).await.unwrap();
    c.login("alice", "pw").await.unwrap();
    c
}

/// The commands sent so far, in order.
fn sent(lines: &Lines) -> Vec<String> {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| match l {
            TraceLine::Sent(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Waits (bounded) until the served root holds exactly `n` entries; returns them.
async fn settle_dir(root: &Path, n: usize) -> Vec<std::ffi::OsString> {
    let mut names = Vec::new();
    for _ in 0..200 {
        names = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name()).collect();
        if names.len() == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    names
}

async fn exercise(mode: ClientMode) {
    let root = tree();
    let addr = serve(root.path()).await;
    let (opts, lines) = traced(mode);
    let mut c = Client::connect_with(addr, opts).await.unwrap();
    c.login("alice", "pw").await.unwrap();
    assert_eq!(c.pwd().await.unwrap(), "/");

    let entries = c.list(None).await.unwrap();
    let names: Vec<_> = entries.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(names, ["big.bin", "readme.txt", "sub"], "{entries:?}");
    assert_eq!(entries[0].size, Some(3_000_000));
    assert_eq!(entries[1].size, Some(14));
    assert!(matches!(entries[2].kind, EntryKind::Dir));
    let sub = c.list(Some("sub")).await.unwrap();
    assert_eq!(sub.len(), 1);
    assert_eq!((sub[0].name.as_ref(), sub[0].size), ("nested.txt", Some(6)));
    assert_eq!(c.nlst(None).await.unwrap(), ["big.bin", "readme.txt", "sub"]);
    let raw = c.list_raw(None).await.unwrap();
    assert_eq!(raw.len(), 3, "{raw:?}");
    assert!(raw[1].ends_with(" readme.txt"), "{raw:?}");

    let mut got = Vec::new();
    assert_eq!(c.retrieve_to("big.bin", &mut got).await.unwrap(), 3_000_000);
    assert_eq!(got, big());

    // Into a tokio file: retrieve_to flushes the writer.
    let local = tempfile::tempdir().unwrap();
    let path = local.path().join("copy.bin");
    let mut file = tokio::fs::File::create(&path).await.unwrap();
    assert_eq!(c.retrieve_to("big.bin", &mut file).await.unwrap(), 3_000_000);
    drop(file);
    assert_eq!(std::fs::read(&path).unwrap(), got);

    // Resume from an offset.
    let mut tail = Vec::new();
    assert_eq!(c.retrieve_from("big.bin", 2_999_000, &mut tail).await.unwrap(), 1000);
    assert_eq!(tail, got[2_999_000..]);

    // Streams.
    let mut d = c.retrieve("readme.txt").await.unwrap();
    let mut s = String::new();
    d.read_to_string(&mut s).await.unwrap();
    assert_eq!(d.finish().await.unwrap().code.get(), 226);
    assert_eq!(s, "hello\r\nworld\r\n");

    let mut up = c.store("up.bin").await.unwrap();
    up.write_all(&got[..1_000_000]).await.unwrap();
    assert_eq!(up.finish().await.unwrap().code.get(), 226);
    assert_eq!(std::fs::read(root.path().join("up.bin")).unwrap(), &got[..1_000_000]);
    assert_eq!(c.store_at("up.bin", 1_000_000, &mut &got[1_000_000..]).await.unwrap(), 2_000_000);
    assert_eq!(std::fs::read(root.path().join("up.bin")).unwrap(), got);
    assert_eq!(c.append_from("up.bin", &mut &b"tail"[..]).await.unwrap(), 4);
    assert_eq!(c.size("up.bin").await.unwrap(), 3_000_004);
    assert_eq!(&std::fs::read(root.path().join("up.bin")).unwrap()[3_000_000..], b"tail");

    // An upload shut down by the caller before finish.
    let mut up = c.store("small.txt").await.unwrap();
    up.write_all(b"abc").await.unwrap();
    up.shutdown().await.unwrap();
    up.finish().await.unwrap();
    assert_eq!(std::fs::read(root.path().join("small.txt")).unwrap(), b"abc");
    c.store_from("small.txt", &mut &b"xyz!"[..]).await.unwrap();
    assert_eq!(std::fs::read(root.path().join("small.txt")).unwrap(), b"xyz!");
    c.delete("small.txt").await.unwrap();

    assert_eq!(c.mkdir("newdir").await.unwrap().as_deref(), Some("/newdir"));
    c.cwd("newdir").await.unwrap();
    assert_eq!(c.pwd().await.unwrap(), "/newdir");
    c.cwd("..").await.unwrap();
    c.rename("up.bin", "newdir/moved.bin").await.unwrap();
    assert!(root.path().join("newdir/moved.bin").exists());
    assert!(!root.path().join("up.bin").exists());
    c.delete("newdir/moved.bin").await.unwrap();
    c.rmdir("newdir").await.unwrap();
    assert!(!root.path().join("newdir").exists());
    let t = c.mdtm("readme.txt").await.unwrap();
    assert!(t.year() >= 2024, "{t}");
    c.noop().await.unwrap();
    c.set_type(ftpkit::proto::command::TransferType::Ascii(None)).await.unwrap();
    c.set_type(ftpkit::proto::command::TransferType::Image).await.unwrap();
    // SITE: whatever the server answers, a refusal is typed and the session goes on.
    match c.site("HELP").await {
        Ok(r) => assert!(r.code.get() / 100 == 2, "{r:?}"),
        Err(Error::Refused(r)) => assert!(r.code.get() >= 500, "{r:?}"),
        Err(other) => panic!("{other:?}"),
    }

    // Refusals are typed and the session goes on.
    match c.retrieve_to("missing.txt", &mut Vec::new()).await {
        Err(Error::Transfer { reply: Some(r), .. }) => assert_eq!(r.code.get(), 550),
        other => panic!("{other:?}"),
    }
    match c.cwd("../../etc").await {
        Err(Error::Refused(r)) => assert_eq!(r.code.get(), 550),
        other => panic!("{other:?}"),
    }
    assert!(matches!(c.size("sub").await, Err(Error::Refused(_))));
    c.noop().await.unwrap();
    c.quit().await.unwrap();

    // The data-connection commands are the mode's.
    let sent = sent(&lines);
    let (yes, no) = match mode {
        ClientMode::Passive => ("EPSV", ["PORT", "EPRT"]),
        ClientMode::Active => ("PORT", ["EPSV", "PASV"]),
    };
    assert!(sent.iter().any(|l| l.starts_with(yes)), "{sent:?}");
    assert!(!sent.iter().any(|l| no.iter().any(|n| l.starts_with(n))), "{sent:?}");
    assert!(sent.contains(&"REST 2999000".to_owned()), "{sent:?}");
    assert_eq!(sent.last().map(String::as_str), Some("QUIT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_mode_end_to_end() {
    exercise(ClientMode::Passive).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_mode_end_to_end() {
    exercise(ClientMode::Active).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_mode_switches_between_transfers() {
    let root = tree();
    let addr = serve(root.path()).await;
    let (opts, lines) = traced(ClientMode::Passive);
    let mut c = Client::connect_with(addr, opts).await.unwrap();
    c.login("alice", "pw").await.unwrap();
    assert_eq!(c.nlst(None).await.unwrap().len(), 3);
    c.set_mode(ClientMode::Active);
    assert_eq!(c.nlst(None).await.unwrap().len(), 3);
    let sent = sent(&lines);
    let data: Vec<_> = sent.iter().filter(|l| l.starts_with("EPSV") || l.starts_with("PORT")).collect();
    assert_eq!(data.len(), 2, "{sent:?}");
    assert_eq!(data[0], "EPSV");
    assert!(data[1].starts_with("PORT 127,0,0,1,"), "{sent:?}");
    assert!(c.session().is_logged_in());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_reads_the_servers_digest_and_follows_opts_hash() {
    use ftpkit::proto::hash::{to_hex, HashAlgorithm};
    use sha2::Digest;
    let root = tree();
    let addr = serve(root.path()).await;
    let mut c = client(addr, ClientMode::Passive).await;
    let features = c.session().features().unwrap();
    assert!(features.offers_hash(HashAlgorithm::Sha256));
    assert_eq!(features.hash_selected(), Some(HashAlgorithm::Sha256));
    let h = c.hash("sub/nested.txt").await.unwrap();
    assert_eq!((h.algorithm, h.start, h.end, h.path.as_str()), (HashAlgorithm::Sha256, 0, 6, "sub/nested.txt"));
    assert_eq!(h.digest, sha2::Sha256::digest(b"nested").to_vec());
    c.select_hash(HashAlgorithm::Md5).await.unwrap();
    let md5 = c.hash("sub/nested.txt").await.unwrap();
    assert_eq!(md5.algorithm, HashAlgorithm::Md5);
    assert_eq!(to_hex(&md5.digest), to_hex(&md5::Md5::digest(b"nested")));
    match c.hash("missing").await {
        Err(Error::Refused(r)) => assert_eq!(r.code.get(), 550),
        other => panic!("{other:?}"),
    }
    assert!(c.session().is_logged_in());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_is_read_only_and_bad_password_is_refused() {
    let root = tree();
    let addr = serve(root.path()).await;
    let mut anon = Client::connect(addr).await.unwrap();
    anon.login("anonymous", "guest@").await.unwrap();
    match anon.store_from("x.txt", &mut &b"x"[..]).await {
        Err(Error::Transfer { reply: Some(r), .. }) | Err(Error::Refused(r)) => assert_eq!(r.code.get(), 550),
        other => panic!("{other:?}"),
    }
    assert!(!root.path().join("x.txt").exists());
    anon.noop().await.unwrap();
    let mut bad = Client::connect(addr).await.unwrap();
    match bad.login("alice", "wrong").await {
        Err(Error::LoginFailed(r)) => assert_eq!(r.code.get(), 530),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_hook_sees_every_line_and_masks_the_password() {
    let root = tree();
    let addr = serve(root.path()).await;
    let (opts, lines) = traced(ClientMode::Passive);
    let mut c = Client::connect_with(addr, opts).await.unwrap();
    c.login("alice", "pw").await.unwrap();
    c.quit().await.unwrap();
    let lines = lines.lock().unwrap().clone();
    assert!(matches!(&lines[0], TraceLine::Received(l) if l.starts_with("220")), "{lines:?}");
    assert_eq!(lines[1], TraceLine::Sent("USER alice".into()));
    assert_eq!(lines[3], TraceLine::Sent("PASS XXXX".into()));
    assert!(!lines.iter().any(|l| matches!(l, TraceLine::Sent(s) if s.contains("pw"))), "{lines:?}");
    assert!(lines.contains(&TraceLine::Sent("FEAT".into())));
    assert!(lines.contains(&TraceLine::Sent("TYPE I".into())));
    assert_eq!(lines.iter().rfind(|l| matches!(l, TraceLine::Sent(_))), Some(&TraceLine::Sent("QUIT".into())));
    assert!(matches!(lines.last(), Some(TraceLine::Received(l)) if l.starts_with("221")), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_aborts_keep_the_session_usable() {
    for mode in [ClientMode::Passive, ClientMode::Active] {
        let root = tree();
        let addr = serve(root.path()).await;
        let mut c = client(addr, mode).await;
        let mut d = c.retrieve("big.bin").await.unwrap();
        let mut first = [0u8; 1000];
        d.read_exact(&mut first).await.unwrap();
        assert_eq!(first[..], big()[..1000]);
        d.abort().await.unwrap();
        c.noop().await.unwrap();

        let mut up = c.store("partial.bin").await.unwrap();
        up.write_all(&[7u8; 100_000]).await.unwrap();
        up.abort().await.unwrap();
        c.noop().await.unwrap();
        assert!(!root.path().join("partial.bin").exists(), "an aborted upload leaves no file under its name");
        let left = settle_dir(root.path(), 3).await;
        assert_eq!(left.len(), 3, "{left:?}");
        // Still fully usable for transfers.
        assert_eq!(c.nlst(None).await.unwrap(), ["big.bin", "readme.txt", "sub"]);
        c.quit().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_transfers_are_aborted_at_once_and_settled_by_the_next_call() {
    let root = tree();
    let addr = serve(root.path()).await;
    let (opts, lines) = traced(ClientMode::Passive);
    let mut c = Client::connect_with(addr, opts).await.unwrap();
    c.login("alice", "pw").await.unwrap();

    {
        let mut d = c.retrieve("big.bin").await.unwrap();
        let mut first = [0u8; 1000];
        d.read_exact(&mut first).await.unwrap();
        // dropped unfinished
    }
    // The first half happened in drop: ABOR is already on the wire, nothing else was read.
    assert_eq!(sent(&lines).last().map(String::as_str), Some("ABOR"));
    let before = lines.lock().unwrap().len();
    c.noop().await.unwrap();
    // The second half: the abort's replies (426 then 226, or a lone 226) came before NOOP went out.
    let after: Vec<TraceLine> = lines.lock().unwrap()[before..].to_vec();
    let noop = after.iter().position(|l| *l == TraceLine::Sent("NOOP".into())).unwrap();
    let received: Vec<_> = after[..noop]
        .iter()
        .filter_map(|l| match l {
            TraceLine::Received(r) => Some(r[..3].to_owned()),
            TraceLine::Sent(s) => panic!("sent {s} before the abort settled: {after:?}"),
            _ => None, // data-connection lines
        })
        .collect();
    // 426 + 226 (cut off), 226 + 226 (the server had sent everything already), or a lone 226.
    assert!(
        matches!(received.as_slice(), [a, b] if (a == "426" || a == "226") && b == "226") || received == ["226"],
        "{after:?}"
    );

    {
        let mut up = c.store("partial.bin").await.unwrap();
        up.write_all(&[7u8; 100_000]).await.unwrap();
        // dropped without finish
    }
    assert_eq!(sent(&lines).last().map(String::as_str), Some("ABOR"));
    c.noop().await.unwrap();
    assert!(!root.path().join("partial.bin").exists(), "an aborted upload leaves no file under its name");
    let left = settle_dir(root.path(), 3).await;
    assert_eq!(left.len(), 3, "{left:?}");

    // A download read to its end but dropped without finish: nothing to abort; the next call reads its 226.
    {
        let mut d = c.retrieve("readme.txt").await.unwrap();
        let mut all = Vec::new();
        d.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"hello\r\nworld\r\n");
    }
    assert_ne!(sent(&lines).last().map(String::as_str), Some("ABOR"));
    assert_eq!(c.pwd().await.unwrap(), "/");

    // A download dropped right after it started (no byte read) is aborted too.
    drop(c.retrieve("big.bin").await.unwrap());
    assert_eq!(c.size("readme.txt").await.unwrap(), 14);
    let mut got = Vec::new();
    c.retrieve_to("big.bin", &mut got).await.unwrap();
    assert_eq!(got, big());
    c.quit().await.unwrap();
}

/// A scripted server: answers each command line with `answer(line)` (empty: no answer); greets unless `greet` is
/// false. `EPSV` opens a passive listener; `PORT` connects to the client at once, before its answer (as pyftpdlib
/// does). With a `payload`, `RETR` sends it on the data connection after its answer, closes it, and says `226`.
/// Returns its address and what it saw: every command line, and after `ABOR` how the open data connection ended
/// (`data: reset` or `data: eof`).
async fn scripted(
    greet: bool,
    answer: fn(&str) -> &'static str,
    payload: Option<&'static [u8]>,
) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (sock, _) = l.accept().await.unwrap();
        let (r, mut w) = sock.into_split();
        if !greet {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        w.write_all(b"220 scripted\r\n").await.unwrap();
        let mut r = BufReader::new(r);
        let mut line = String::new();
        let mut data = None; // the open passive data connection, never written to
        let mut pasv: Option<TcpListener> = None;
        while r.read_line(&mut line).await.unwrap_or(0) > 0 {
            let cmd = line.trim_end().to_owned();
            line.clear();
            let _ = tx.send(cmd.clone());
            if cmd == "EPSV" {
                let p = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let port = p.local_addr().unwrap().port();
                w.write_all(format!("229 Entering Extended Passive Mode (|||{port}|)\r\n").as_bytes()).await.unwrap();
                pasv = Some(p);
                continue;
            }
            if let Some(h) = cmd.strip_prefix("PORT ") {
                let f: Vec<u16> = h.split(',').map(|n| n.parse().unwrap()).collect();
                let port = f[4] * 256 + f[5];
                data = Some(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap());
            }
            if cmd.starts_with("RETR") {
                if let Some(p) = pasv.take() {
                    data = Some(p.accept().await.unwrap().0);
                }
                if let Some((bytes, mut d)) = payload.and_then(|b| Some((b, data.take()?))) {
                    w.write_all(answer(&cmd).as_bytes()).await.unwrap();
                    d.write_all(bytes).await.unwrap();
                    drop(d);
                    w.write_all(b"226 done\r\n").await.unwrap();
                    continue;
                }
            }
            if cmd == "ABOR" {
                if let Some(mut d) = data.take() {
                    let mut b = [0u8; 16];
                    let how = match tokio::time::timeout(Duration::from_secs(5), d.read(&mut b)).await {
                        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => "data: reset",
                        Ok(Ok(0)) => "data: eof",
                        _ => "data: other",
                    };
                    let _ = tx.send(how.to_owned());
                }
            }
            let a = answer(&cmd);
            if !a.is_empty() {
                w.write_all(a.as_bytes()).await.unwrap();
            }
        }
    });
    (addr, rx)
}

fn stalling(cmd: &str) -> &'static str {
    match cmd.split(' ').next().unwrap_or("") {
        "USER" => "230 in\r\n",
        "FEAT" => "211-Features:\r\n EPSV\r\n211 End\r\n",
        "TYPE" | "NOOP" => "200 ok\r\n",
        "RETR" => "150 here it comes (never)\r\n",
        "ABOR" => "426 aborted\r\n226 abort ok\r\n",
        _ => "", // PWD: never answered
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let (addr, _seen) = scripted(false, stalling, None).await;
    let opts = Options { reply_timeout: Duration::from_millis(200), ..Options::default() };
    let t = std::time::Instant::now();
    match Client::connect_with(addr, opts).await {
        Err(Error::Timeout(what)) => assert_eq!(what, "a reply"),
        other => panic!("{other:?}"),
    }
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn stalled_data_times_out_and_is_aborted_and_a_lost_reply_closes_the_session() {
    let (addr, mut seen) = scripted(true, stalling, None).await;
    let (mut opts, lines) = traced(ClientMode::Passive);
    opts.reply_timeout = Duration::from_millis(300);
    opts.data_timeout = Duration::from_millis(200);
    let mut c = Client::connect_with(addr, opts).await.unwrap();
    c.login("u", "p").await.unwrap();
    let mut d = c.retrieve("f").await.unwrap();
    let mut buf = [0u8; 10];
    let err = d.read(&mut buf).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    // Dropped: ABOR reaches the server without any further call, then the data connection is reset (not closed).
    drop(d);
    let mut got = Vec::new();
    while got.last().map(String::as_str) != Some("data: reset") {
        match tokio::time::timeout(Duration::from_secs(2), seen.recv()).await {
            Ok(Some(l)) => got.push(l),
            other => panic!("{other:?} after {got:?}"),
        }
    }
    assert_eq!(got.iter().rev().take(2).collect::<Vec<_>>(), ["data: reset", "ABOR"], "{got:?}");
    c.noop().await.unwrap();
    // The same through retrieve_to: the stall is an error, the transfer is aborted, the session goes on.
    match c.retrieve_to("f", &mut Vec::new()).await {
        Err(Error::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::TimedOut),
        other => panic!("{other:?}"),
    }
    c.noop().await.unwrap();
    let sent = sent(&lines);
    assert_eq!(sent.iter().filter(|l| *l == "ABOR").count(), 2, "{sent:?}");
    // PWD is never answered: the reply timeout closes the session; later calls say so at once.
    match c.pwd().await {
        Err(Error::Timeout("a reply")) => {}
        other => panic!("{other:?}"),
    }
    assert!(c.session().is_closed());
    match c.noop().await {
        Err(e) => assert_eq!(e.kind(), ftpkit::proto::ErrorKind::Closed, "{e:?}"),
        Ok(()) => panic!("noop on a closed session"),
    }
}

fn eager(cmd: &str) -> &'static str {
    match cmd.split(' ').next().unwrap_or("") {
        "USER" => "230 in\r\n",
        "FEAT" => "211-Features:\r\n EPRT\r\n211 End\r\n",
        "TYPE" | "PORT" => "200 ok\r\n",
        "RETR" => "125 Data connection already open\r\n",
        "QUIT" => "221 bye\r\n",
        _ => "502 no\r\n",
    }
}

#[tokio::test]
async fn active_mode_takes_a_connection_made_before_the_port_reply() {
    let (addr, _seen) = scripted(true, eager, Some(b"early bytes")).await;
    let opts = Options {
        mode: ClientMode::Active,
        reply_timeout: Duration::from_secs(5),
        data_timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let mut c = Client::connect_with(addr, opts).await.unwrap();
    c.login("u", "p").await.unwrap();
    let mut got = Vec::new();
    assert_eq!(c.retrieve_to("f", &mut got).await.unwrap(), 11);
    assert_eq!(got, b"early bytes");
    c.quit().await.unwrap();
}

/// `source_address` on the tokio client: the data connection comes from the control connection's source IP too.
#[tokio::test]
async fn source_address_binds_the_data_connection_too() {
    let root = tree();
    let srv = serve(root.path()).await;
    let (mut opts, lines) = traced(ClientMode::Passive);
    opts.source_address = Some("127.0.0.2:0".parse().unwrap());
    let mut c = Client::connect_with(srv, opts).await.unwrap();
    c.login("alice", "pw").await.unwrap();
    assert!(!c.nlst(None).await.unwrap().is_empty());
    c.quit().await.unwrap();
    let data: Vec<_> = lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| match l {
            TraceLine::Data { local, .. } => Some(*local),
            _ => None,
        })
        .collect();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0].ip(), "127.0.0.2".parse::<std::net::IpAddr>().unwrap());
}
