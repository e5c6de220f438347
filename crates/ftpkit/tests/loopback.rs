//! The blocking client against the embedded server, both on loopback: every client operation in both modes.

use ftpkit::blocking::Client;
use ftpkit::client::{ClientMode, Error, Options};
use ftpkit::proto::listing::EntryKind;
use ftpkit::server::{Access, Server};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;

struct Running {
    addr: SocketAddr,
    _rt: tokio::runtime::Runtime,
}

fn serve(root: &Path) -> Running {
    serve_with(root, |b| b.anonymous(true).user("alice", "pw", Access::ReadWrite))
}

/// A server on `root` on loopback (passive ports 40000-40999) with the users and settings `more` adds.
fn serve_with(root: &Path, more: impl FnOnce(ftpkit::server::Builder) -> ftpkit::server::Builder) -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = rt.block_on(async {
        more(Server::builder(root).bind("127.0.0.1:0".parse().unwrap()).passive_ports(40000..=40999))
            .build()
            .await
            .unwrap()
    });
    let addr = server.local_addr().unwrap();
    rt.spawn(server.run());
    Running { addr, _rt: rt }
}

fn tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("readme.txt"), b"hello\r\nworld\r\n").unwrap();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    std::fs::write(d.path().join("sub/nested.txt"), b"nested").unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(d.path().join("big.bin"), big).unwrap();
    d
}

fn client(addr: SocketAddr, mode: ClientMode) -> Client {
    let opts = Options { mode, ..Options::default() };
    let mut c = Client::connect_with(addr, opts).unwrap();
    c.login("alice", "pw").unwrap();
    c
}

fn exercise(mode: ClientMode) {
    let root = tree();
    let srv = serve(root.path());
    let mut c = client(srv.addr, mode);
    assert_eq!(c.pwd().unwrap(), "/");

    let entries = c.list(None).unwrap();
    let names: Vec<_> = entries.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(names, ["big.bin", "readme.txt", "sub"], "{entries:?}");
    assert_eq!(entries[0].size, Some(3_000_000));
    assert!(matches!(entries[2].kind, EntryKind::Dir));
    assert_eq!(c.nlst(None).unwrap(), ["big.bin", "readme.txt", "sub"]);
    assert!(c.list_raw(None).unwrap()[1].ends_with(" readme.txt"));

    let mut got = Vec::new();
    assert_eq!(c.retrieve_to("big.bin", &mut got).unwrap(), 3_000_000);
    assert_eq!(got, std::fs::read(root.path().join("big.bin")).unwrap());

    // Resume from an offset.
    let mut tail = Vec::new();
    c.retrieve_from("big.bin", 2_999_000, &mut tail).unwrap();
    assert_eq!(tail, got[2_999_000..]);

    // Streams.
    let mut d = c.retrieve("readme.txt").unwrap();
    let mut s = String::new();
    d.read_to_string(&mut s).unwrap();
    assert_eq!(d.finish().unwrap().code.get(), 226);
    assert_eq!(s, "hello\r\nworld\r\n");

    let mut up = c.store("up.bin").unwrap();
    up.write_all(&got[..1_000_000]).unwrap();
    up.finish().unwrap();
    assert_eq!(std::fs::read(root.path().join("up.bin")).unwrap(), &got[..1_000_000]);
    c.store_at("up.bin", 1_000_000, &mut &got[1_000_000..]).unwrap();
    assert_eq!(std::fs::read(root.path().join("up.bin")).unwrap(), got);
    c.append_from("up.bin", &mut &b"tail"[..]).unwrap();
    assert_eq!(c.size("up.bin").unwrap(), 3_000_004);

    c.mkdir("newdir").unwrap();
    c.cwd("newdir").unwrap();
    assert_eq!(c.pwd().unwrap(), "/newdir");
    c.cwd("..").unwrap();
    c.rename("up.bin", "newdir/moved.bin").unwrap();
    assert!(root.path().join("newdir/moved.bin").exists());
    c.delete("newdir/moved.bin").unwrap();
    c.rmdir("newdir").unwrap();
    assert!(!root.path().join("newdir").exists());
    let t = c.mdtm("readme.txt").unwrap();
    assert!(t.year() >= 2024, "{t}");
    c.noop().unwrap();

    // Refusals are typed and the session goes on.
    match c.retrieve_to("missing.txt", &mut Vec::new()) {
        Err(Error::Transfer { reply: Some(r), .. }) => assert_eq!(r.code.get(), 550),
        other => panic!("{other:?}"),
    }
    match c.cwd("../../etc") {
        Err(Error::Refused(r)) => assert_eq!(r.code.get(), 550),
        other => panic!("{other:?}"),
    }
    assert!(c.size("sub").is_err());
    c.noop().unwrap();
    c.quit().unwrap();
}

#[test]
fn passive_mode_end_to_end() {
    exercise(ClientMode::Passive);
}

#[test]
fn active_mode_end_to_end() {
    exercise(ClientMode::Active);
}

#[test]
fn anonymous_is_read_only_and_bad_password_is_refused() {
    let root = tree();
    let srv = serve(root.path());
    let mut anon = Client::connect(srv.addr).unwrap();
    anon.login("anonymous", "guest@").unwrap();
    match anon.store_from("x.txt", &mut &b"x"[..]) {
        Err(Error::Transfer { reply: Some(r), .. }) | Err(Error::Refused(r)) => assert_eq!(r.code.get(), 550),
        other => panic!("{other:?}"),
    }
    assert!(!root.path().join("x.txt").exists());
    let mut bad = Client::connect(srv.addr).unwrap();
    match bad.login("alice", "wrong") {
        Err(Error::LoginFailed(r)) => assert_eq!(r.code.get(), 530),
        other => panic!("{other:?}"),
    }
}

#[test]
fn aborted_download_and_dropped_upload_keep_the_session_usable() {
    let root = tree();
    let srv = serve(root.path());
    let mut c = client(srv.addr, ClientMode::Passive);
    let mut d = c.retrieve("big.bin").unwrap();
    let mut first = [0u8; 1000];
    d.read_exact(&mut first).unwrap();
    d.abort().unwrap();
    c.noop().unwrap();
    {
        let mut up = c.store("partial.bin").unwrap();
        up.write_all(&[7u8; 100_000]).unwrap();
        // dropped without finish: aborted
    }
    c.noop().unwrap();
    assert!(!root.path().join("partial.bin").exists(), "an aborted upload leaves no file under its name");
    // The server answers ABOR at once; its transfer thread removes the temporary file as soon as it sees the reset
    // data connection. Give it a bounded moment.
    let mut leftovers = Vec::new();
    for _ in 0..200 {
        leftovers = std::fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        if leftovers.len() == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(leftovers.len(), 3, "{leftovers:?}");
    assert!(!root.path().join("partial.bin").exists());
    c.quit().unwrap();
}

/// `source_address`: the control connection from 127.0.0.2 and, in both modes, the data connections too (the
/// trace shows each data connection's client end; the server's data-source check refuses one whose IP is not the
/// control connection's peer, so a served listing also shows where the control connection came from).
#[test]
fn source_address_binds_the_control_and_the_data_connections() {
    use ftpkit::client::TraceLine;
    use std::sync::{Arc, Mutex};
    let root = tree();
    let srv = serve(root.path());
    let source: SocketAddr = "127.0.0.2:0".parse().unwrap();
    for mode in [ClientMode::Passive, ClientMode::Active] {
        let seen: Arc<Mutex<Vec<(SocketAddr, SocketAddr)>>> = Arc::default();
        let sink = Arc::clone(&seen);
        let opts = Options {
            mode,
            source_address: Some(source),
            trace: Some(Arc::new(move |l: &TraceLine| {
                if let TraceLine::Data { local, remote } = l {
                    sink.lock().unwrap().push((*local, *remote));
                }
            })),
            ..Options::default()
        };
        let mut c = Client::connect_with(srv.addr, opts).unwrap();
        c.login("alice", "pw").unwrap();
        assert_eq!(c.nlst(None).unwrap().len(), 3, "{mode:?}");
        let mut got = Vec::new();
        c.retrieve_to("readme.txt", &mut got).unwrap();
        assert_eq!(got, b"hello\r\nworld\r\n");
        c.quit().unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2, "{mode:?}: {seen:?}");
        for (local, remote) in seen.iter() {
            assert_eq!(local.ip(), source.ip(), "{mode:?}: the data connection's client end");
            assert_eq!(remote.ip(), srv.addr.ip(), "{mode:?}");
        }
    }
    // A source the machine does not have: the connect fails with the system's error, nothing is sent.
    let opts = Options { source_address: Some("192.0.2.1:0".parse().unwrap()), ..Options::default() };
    assert!(matches!(Client::connect_with(srv.addr, opts), Err(Error::Io(_))));
}

/// Per-user rights and homes through the Builder: a user with `read,mkdir` in `home/carol` sees that directory as
/// `/`, cannot leave it, gets 550 for STOR/DELE/RNFR (and no file appears), and may make a directory; the older
/// `user(.., Access::ReadOnly)` is the `read` right alone.
#[test]
fn per_user_rights_and_homes() {
    use ftpkit::server::{Account, Rights};
    let root = tree();
    std::fs::create_dir_all(root.path().join("home/carol")).unwrap();
    std::fs::write(root.path().join("home/carol/mine.txt"), b"carol's").unwrap();
    let home = root.path().join("home/carol");
    let carol = Account {
        access: Access::Rights(Rights::READ.union(Rights::MKDIR)),
        root: Some(home.clone()),
        ..Account::default()
    };
    let srv = serve_with(root.path(), |b| b.account("carol", "pw", carol).user("reader", "pw", Access::ReadOnly));
    let addr = srv.addr;

    let refused = |r: Result<(), Error>| match r {
        Err(Error::Refused(reply)) | Err(Error::Transfer { reply: Some(reply), .. }) => reply.code.get(),
        other => panic!("{other:?}"),
    };
    let mut c = Client::connect(addr).unwrap();
    c.login("carol", "pw").unwrap();
    assert_eq!(c.nlst(None).unwrap(), ["mine.txt"], "the home is the user's root");
    c.cwd("..").unwrap();
    assert_eq!(c.pwd().unwrap(), "/");
    assert_eq!(c.nlst(None).unwrap(), ["mine.txt"], "and cannot be left");
    let mut got = Vec::new();
    c.retrieve_to("mine.txt", &mut got).unwrap();
    assert_eq!(got, b"carol's");
    assert_eq!(refused(c.store_from("new.txt", &mut &b"x"[..]).map(drop)), 550);
    assert_eq!(refused(c.delete("mine.txt")), 550);
    assert_eq!(refused(c.rename("mine.txt", "theirs.txt")), 550);
    c.mkdir("made").unwrap();
    assert!(home.join("made").is_dir());
    assert!(!home.join("new.txt").exists() && home.join("mine.txt").exists());
    c.quit().unwrap();

    let mut c = Client::connect(addr).unwrap();
    c.login("reader", "pw").unwrap();
    assert_eq!(c.nlst(None).unwrap(), ["big.bin", "home", "readme.txt", "sub"]);
    assert_eq!(refused(c.mkdir("x").map(drop)), 550);
    assert_eq!(refused(c.store_from("x", &mut &b"x"[..]).map(drop)), 550);
    assert!(!root.path().join("x").exists());
}

/// One login attempt on a new connection from `source` (127.0.0.x): the answer to PASS and how long it took.
fn attempt(addr: SocketAddr, source: [u8; 4], user: &str, pass: &str) -> (u16, std::time::Duration) {
    use std::io::BufRead;
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::from((source, 0)).into()).unwrap();
    sock.connect(&addr.into()).unwrap();
    let mut stream: std::net::TcpStream = sock.into();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let mut next = || loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "closed before a reply");
        if line.as_bytes().get(3) == Some(&b' ') {
            return line[..3].parse::<u16>().unwrap();
        }
    };
    assert_eq!(next(), 220);
    stream.write_all(format!("USER {user}\r\n").as_bytes()).unwrap();
    assert_eq!(next(), 331);
    stream.write_all(format!("PASS {pass}\r\n").as_bytes()).unwrap();
    let t0 = std::time::Instant::now();
    let code = next();
    (code, t0.elapsed())
}

/// Failed logins from one address, each on a new connection: the first three are answered at once, the next ones
/// only after the back-off's delay, and at five the address is refused with 421 even with the right password.
/// Another address is not touched: its correct login and its wrong password are answered at once.
#[test]
fn failed_logins_back_off_by_address_across_reconnects() {
    use ftpkit::server::BackoffPolicy;
    use std::time::Duration;
    let root = tree();
    let policy = BackoffPolicy {
        free_failures: 2,
        base_delay: Duration::from_millis(300),
        max_delay: Duration::from_millis(600),
        refuse_after: 5,
        refuse_for: Duration::from_secs(60),
        forget_after: Duration::from_secs(60),
        max_addresses: 100,
    };
    let srv = serve_with(root.path(), |b| b.user("alice", "pw", Access::ReadOnly).login_backoff(policy));
    let addr = srv.addr;
    let quick = Duration::from_millis(250);
    let bad = [127, 0, 0, 1];
    let mut took = Vec::new();
    for _ in 0..5 {
        let (code, t) = attempt(addr, bad, "alice", "wrong");
        assert_eq!(code, 530);
        took.push(t);
    }
    // Two failures behind it, the third attempt is still free; the fourth waits 300 ms, the fifth 600 ms.
    assert!(took[..3].iter().all(|t| *t < quick), "{took:?}");
    let wants = [300, 600].map(Duration::from_millis);
    for (t, want) in took[3..].iter().zip(wants) {
        assert!(*t >= want && *t < want + Duration::from_secs(5), "{took:?}");
    }
    // Refused now, the right password too, at once.
    let (code, t) = attempt(addr, bad, "alice", "pw");
    assert_eq!(code, 421, "{t:?}");
    assert!(t < quick, "{t:?}");
    // Another address: untouched.
    let (code, t) = attempt(addr, [127, 0, 0, 2], "alice", "pw");
    assert_eq!(code, 230);
    assert!(t < quick, "{t:?}");
    let (code, t) = attempt(addr, [127, 0, 0, 3], "alice", "wrong");
    assert_eq!(code, 530);
    assert!(t < quick, "{t:?}");
}

/// `max_rate_down`/`max_rate_up` at 1 MiB/s: 2 MiB down and 2 MiB up each take about two seconds (at least 1.8 s:
/// the bucket starts with a tenth of a second's worth; at most a generous 8 s), and arrive whole. A correctness
/// check of the limit with wide margins, not a speed figure.
#[test]
fn bandwidth_limits_pace_downloads_and_uploads() {
    use std::time::{Duration, Instant};
    let root = tree();
    let two_mib: Vec<u8> = (0..2u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    std::fs::write(root.path().join("two.bin"), &two_mib).unwrap();
    let srv = serve_with(root.path(), |b| {
        b.user("alice", "pw", Access::ReadWrite).max_rate_down(Some(1 << 20)).max_rate_up(Some(1 << 20))
    });
    let addr = srv.addr;
    let mut c = Client::connect(addr).unwrap();
    c.login("alice", "pw").unwrap();
    let within = |t: Duration| t >= Duration::from_millis(1800) && t <= Duration::from_secs(8);
    let t0 = Instant::now();
    let mut got = Vec::new();
    c.retrieve_to("two.bin", &mut got).unwrap();
    let down = t0.elapsed();
    assert!(got == two_mib, "the download arrived whole");
    let t0 = Instant::now();
    c.store_from("up.bin", &mut &two_mib[..]).unwrap();
    let up = t0.elapsed();
    assert!(std::fs::read(root.path().join("up.bin")).unwrap() == two_mib, "the upload arrived whole");
    println!("2 MiB at 1 MiB/s: down {down:?}, up {up:?}");
    assert!(within(down) && within(up), "down {down:?}, up {up:?}");
}
