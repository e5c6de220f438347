//! The client session against recorded sessions: the seed's two transcripts, the real servers' replies split at
//! every byte offset, the reply vectors that reach the session (227, 229, 257, and ftpkit-client.jsonl's NAT
//! table), and proptest properties (no panic, closing always reachable).
mod common;

use ftpkit_proto::command::{Command, TransferType};
use ftpkit_proto::session::client::{
    ClientSession, CloseReason, Config, DataMode, Event, RequestId, SessionError, Transfer, TransferFailure,
    TransferKind,
};
use ftpkit_proto::session::{DataEvent, NatReason, PasvAddressPolicy};
use ftpkit_proto::transcript::{self, Item};
use ftpkit_proto::ErrorKind;
use proptest::prelude::*;
use serde_json::Value;
use std::net::SocketAddr;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn summary(e: &Event) -> String {
    match e {
        Event::Greeting { reply } => format!("Greeting {}", reply.code),
        Event::LoggedIn { id, reply } => format!("LoggedIn#{} {}", id.get(), reply.code),
        Event::LoginFailed { id, reply } => format!("LoginFailed#{} {}", id.get(), reply.code),
        Event::Features { id, features } => {
            format!(
                "Features#{} {}",
                id.get(),
                features.iter().map(|f| f.name().to_owned()).collect::<Vec<_>>().join(",")
            )
        }
        Event::Path { id, path } => format!("Path#{} {path}", id.get()),
        Event::Size { id, size } => format!("Size#{} {size}", id.get()),
        Event::Modified { id, time } => format!("Modified#{} {}", id.get(), time.to_mlsd()),
        Event::Done { id, reply } => format!("Done#{} {}", id.get(), reply.code),
        Event::Failed { id, reply } => format!("Failed#{} {}", id.get(), reply.code),
        Event::Reply { id, reply } => format!("Reply#{} {}", id.get(), reply.code),
        Event::ConnectData { id, addr, nat } => {
            format!("ConnectData#{} {addr}{}", id.get(), nat.map_or(String::new(), |n| format!(" nat={:?}", n.reason)))
        }
        Event::AcceptData { id, expect_from } => format!("AcceptData#{} {expect_from}", id.get()),
        Event::TransferStarted { id, reply } => format!("Started#{} {}", id.get(), reply.code),
        Event::DataReady { id } => format!("DataReady#{}", id.get()),
        Event::TransferComplete { id, reply } => format!("Complete#{} {}", id.get(), reply.code),
        Event::TransferFailed { id, failure, reply } => {
            format!("TransferFailed#{} {failure:?} {}", id.get(), reply.as_ref().map_or(0, |r| r.code.get()))
        }
        Event::Aborted { id, reply } => format!("Aborted#{} {}", id.get(), reply.as_ref().map_or(0, |r| r.code.get())),
        Event::Closed { reason, unanswered } => {
            let r = match reason {
                CloseReason::Quit(_) => "Quit",
                CloseReason::ServiceNotAvailable(_) => "421",
                CloseReason::Refused(_) => "Refused",
                _ => "Local",
            };
            format!("Closed {r} {:?}", unanswered.iter().map(|i| i.get()).collect::<Vec<_>>())
        }
        _ => format!("{e:?}"),
    }
}

/// A scripted caller: connects when told, reports EOF when data is ready (accepting, in active mode, when the
/// transfer starts, as ftplib does), and records what the session sent and said.
struct Driver {
    session: ClientSession,
    wire: Vec<u8>,
    events: Vec<String>,
    errors: Vec<SessionError>,
    active_from: SocketAddr,
    accept: Vec<RequestId>,
}

impl Driver {
    fn new(config: Config) -> Driver {
        let active_from = SocketAddr::new(config.peer.ip(), 20);
        Driver {
            session: ClientSession::new(config),
            wire: Vec::new(),
            events: Vec::new(),
            errors: Vec::new(),
            active_from,
            accept: Vec::new(),
        }
    }

    /// The reference drive loop's inner half: drain transmits and events until both are empty.
    fn drain(&mut self) {
        loop {
            if let Some(bytes) = self.session.poll_transmit() {
                self.wire.extend_from_slice(&bytes);
                continue;
            }
            let Some(event) = self.session.poll_event() else { break };
            self.events.push(summary(&event));
            let result = match event {
                Event::ConnectData { id, .. } => self.session.handle_data(id, DataEvent::Connected),
                Event::AcceptData { id, .. } => {
                    self.accept.push(id);
                    Ok(())
                }
                Event::TransferStarted { id, .. } if self.accept.contains(&id) => {
                    self.session.handle_data(id, DataEvent::Accepted { from: self.active_from })
                }
                Event::DataReady { id } => self.session.handle_data(id, DataEvent::Eof),
                _ => Ok(()),
            };
            if let Err(e) = result {
                self.errors.push(e);
            }
        }
    }

    fn input(&mut self, bytes: &[u8]) {
        if let Err(e) = self.session.handle_input(bytes) {
            self.errors.push(e);
        }
        self.drain();
    }

    fn sent_lines(&self) -> Vec<String> {
        String::from_utf8(self.wire.clone()).unwrap().split_terminator("\r\n").map(str::to_owned).collect()
    }
}

fn reply_bytes(r: &transcript::ReplyItem) -> Vec<u8> {
    format!("{}\r\n", r.input.replace('\n', "\r\n")).into_bytes()
}

// ---- the seed's transcripts ----

#[test]
fn seed_transcripts_replayed() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/active-vs-passive-ftp.txt");
    let items = transcript::decode(&std::fs::read_to_string(path).unwrap());
    // Two sessions, each from a 220 greeting to a 221.
    let starts: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Item::Reply(r) if r.code == 220))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(starts.len(), 2, "two seed sessions");
    let sessions = [&items[starts[0]..starts[1]], &items[starts[1]..]];
    for (n, items) in sessions.iter().enumerate() {
        let active = n == 0;
        let want: Vec<String> = items
            .iter()
            .filter_map(|i| match i {
                Item::Command(c) => Some(c.input.clone()),
                _ => None,
            })
            .collect();
        let mut d = Driver::new(Config::new(sa("192.168.150.90:21")));
        d.session.login("slacker", "XXXX", None).unwrap();
        d.session.command(Command::Syst).unwrap();
        let mode = if active { DataMode::Active(sa("192.168.150.80:3762")) } else { DataMode::Pasv };
        d.session.transfer(Transfer::new(TransferKind::List(None), mode)).unwrap();
        d.session.quit().unwrap();
        d.drain();
        for item in items.iter() {
            if let Item::Reply(r) = item {
                d.input(&reply_bytes(r));
            }
        }
        assert_eq!(d.sent_lines(), want, "session {n}: the same commands as the seed's client");
        assert!(d.errors.is_empty(), "session {n}: {:?}", d.errors);
        let data =
            if active { vec!["AcceptData#3 192.168.150.90"] } else { vec!["ConnectData#3 192.168.150.90:50069"] };
        let mut events = vec!["Greeting 220", "LoggedIn#1 230", "Reply#2 215"];
        events.extend(data);
        events.extend(["Started#3 150", "DataReady#3", "Complete#3 226", "Closed Quit []"]);
        assert_eq!(d.events, events, "session {n}");
    }
    // The active PORT is the seed's: 14 * 256 + 178 = 3762.
    assert!(items.iter().any(|i| matches!(i, Item::Command(c) if c.input == "PORT 192,168,150,80,14,178")));
}

// ---- the real servers' replies ----

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap()).collect()
}

struct Exchange {
    sent: Option<String>,
    bytes: Vec<u8>,
}

fn exchanges(server: &str) -> Vec<Exchange> {
    let path = format!("{}/testdata/transcripts/{server}-session.jsonl", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            Exchange {
                sent: v["sent"].as_str().map(str::to_owned),
                bytes: unhex(v["reply_bytes_hex"].as_str().unwrap()),
            }
        })
        .collect()
}

/// Turn the scripted session's commands into session requests. Returns the indices of the exchanges that start
/// each request (a transfer's PASV/EPSV and its LIST/MLSD/NLST are one request).
fn plan(session: &mut ClientSession, xs: &[Exchange]) {
    let mut i = 1; // 0 is the greeting
    while i < xs.len() {
        let sent = xs[i].sent.as_deref().unwrap();
        let next = xs.get(i + 1).and_then(|x| x.sent.as_deref());
        let (verb, arg) = sent.split_once(' ').map_or((sent, None), |(v, a)| (v, Some(a)));
        let transfer_kind = match next {
            Some("LIST") => Some(TransferKind::List(None)),
            Some("MLSD") => Some(TransferKind::Mlsd(None)),
            Some("NLST") => Some(TransferKind::Nlst(None)),
            _ => None,
        };
        match (verb, arg, transfer_kind) {
            ("USER", Some(user), _) => {
                let answered_at_once = xs[i].bytes.starts_with(b"230");
                let pass = next.and_then(|n| n.strip_prefix("PASS ")).unwrap();
                session.login(user, pass, None).unwrap();
                i += usize::from(!answered_at_once); // PASS is part of the login unless USER got 230
            }
            ("PASV", None, Some(kind)) => {
                session.transfer(Transfer::new(kind, DataMode::Pasv)).unwrap();
                i += 1;
            }
            ("EPSV", None, Some(kind)) => {
                session.transfer(Transfer::new(kind, DataMode::Epsv)).unwrap();
                i += 1;
            }
            ("FEAT", None, _) => drop(session.feat().unwrap()),
            ("PWD", None, _) => drop(session.pwd().unwrap()),
            ("TYPE", Some("I"), _) => drop(session.type_(TransferType::Image).unwrap()),
            ("SIZE", Some(p), _) => drop(session.size(p).unwrap()),
            ("MDTM", Some(p), _) => drop(session.mdtm(p).unwrap()),
            ("CWD", Some(p), _) => drop(session.cwd(p).unwrap()),
            ("QUIT", None, _) => drop(session.quit().unwrap()),
            _ => {
                let command = Command::parse(sent).unwrap_or_else(|_| Command::Other {
                    verb: verb.to_owned().into(),
                    arg: arg.map(|a| a.to_owned().into()),
                });
                session.command(command).unwrap();
            }
        }
        i += 1;
    }
}

/// Drive one server's session with the stream cut at `split` (and at every exchange boundary, since a server
/// never answers a command before it was sent).
fn run_server(server: &str, xs: &[Exchange], split: Option<usize>) -> Driver {
    let mut d = Driver::new(Config::new(sa("127.0.0.1:2121")));
    plan(&mut d.session, xs);
    d.drain();
    let mut offset = 0;
    for x in xs {
        let end = offset + x.bytes.len();
        match split {
            Some(k) if k > offset && k < end => {
                d.input(&x.bytes[..k - offset]);
                d.input(&x.bytes[k - offset..]);
            }
            _ => d.input(&x.bytes),
        }
        offset = end;
    }
    assert!(d.session.is_closed(), "{server} split {split:?}: closed at the end");
    d
}

#[test]
fn real_transcripts_at_every_split() {
    for server in ["vsftpd", "pureftpd", "pyftpdlib"] {
        let xs = exchanges(server);
        assert_eq!(xs.len(), 23, "{server}");
        let whole = run_server(server, &xs, None);
        let sent: Vec<String> = xs.iter().filter_map(|x| x.sent.clone()).collect();
        assert_eq!(whole.sent_lines(), sent, "{server}: the session sends the scripted commands");
        // The only errors are none: every reply made sense.
        assert!(whole.errors.is_empty(), "{server}: {:?}", whole.errors);
        let has = |prefix: &str| whole.events.iter().filter(|e| e.starts_with(prefix)).count();
        assert_eq!(has("LoggedIn#1 230"), 1, "{server}");
        assert_eq!(has("Size#"), 1, "{server}");
        assert!(whole.events.iter().any(|e| e.ends_with(" 48") && e.starts_with("Size#")), "{server}");
        assert!(whole.events.iter().any(|e| e.starts_with("Modified#") && e.ends_with("20230314150926")), "{server}");
        assert!(whole.events.iter().any(|e| e.starts_with("Path#") && e.ends_with(" /")), "{server}");
        assert_eq!(has("ConnectData#"), 3, "{server}");
        assert!(whole.events.iter().all(|e| !e.contains("nat=")), "{server}: loopback everywhere, no NAT");
        let (complete, failed) = if server == "vsftpd" { (2, 1) } else { (3, 0) };
        assert_eq!(has("Complete#"), complete, "{server}: {:?}", whole.events);
        assert_eq!(has("TransferFailed#"), failed, "{server}");
        assert_eq!(whole.events.last().map(String::as_str), Some("Closed Quit []"), "{server}");
        let total: usize = xs.iter().map(|x| x.bytes.len()).sum();
        for k in 1..total {
            let d = run_server(server, &xs, Some(k));
            assert_eq!(d.events, whole.events, "{server}: split at byte {k}");
            assert_eq!(d.wire, whole.wire, "{server}: split at byte {k}");
        }
    }
}

#[test]
fn vsftpd_events_in_full() {
    let d = run_server("vsftpd", &exchanges("vsftpd"), None);
    let want = [
        "Greeting 220",
        "LoggedIn#1 230",
        "Reply#2 230",
        "Reply#3 215",
        "Features#4 EPRT,EPSV,MDTM,PASV,REST,SIZE,TVFS",
        "Reply#5 200",
        "Path#6 /",
        "Done#7 200",
        "Size#8 48",
        "Modified#9 20230314150926",
        "Reply#10 229",
        "ConnectData#11 127.0.0.1:30008",
        "Started#11 150",
        "DataReady#11",
        "Complete#11 226",
        "ConnectData#12 127.0.0.1:30007",
        "TransferFailed#12 Refused 500",
        "ConnectData#13 127.0.0.1:30003",
        "Started#13 150",
        "DataReady#13",
        "Complete#13 226",
        "Reply#14 211",
        "Reply#15 214",
        "Reply#16 500",
        "Reply#17 500",
        "Failed#18 550",
        "Closed Quit []",
    ];
    assert_eq!(d.events, want);
    assert!(d.session.features().is_some_and(|f| f.supports_epsv() && f.supports_rest_stream()));
}

// ---- vectors ----

fn with_crlf(input: &str) -> Vec<u8> {
    let mut b = input.as_bytes().to_vec();
    if !b.ends_with(b"\n") {
        b.extend_from_slice(b"\r\n");
    }
    b
}

/// A logged-in session with a transfer whose setup command is in flight.
fn awaiting_setup(config: Config, mode: DataMode) -> Driver {
    let mut d = Driver::new(config);
    d.session.login("u", "p", None).unwrap();
    d.input(b"220 hi\r\n230 ok\r\n");
    d.session.transfer(Transfer::new(TransferKind::List(None), mode)).unwrap();
    d.events.clear();
    d.drain();
    d.wire.clear();
    d
}

#[test]
fn pasv_and_epsv_vectors_through_the_session() {
    let peer = "192.0.2.10:21";
    let mut checked = 0;
    for v in common::of_kind("pasv") {
        let mut config = Config::new(sa(peer));
        config.pasv_policy = PasvAddressPolicy::TrustServer;
        let mut d = awaiting_setup(config, DataMode::Pasv);
        let ip = v.expect["ip"].as_str().unwrap();
        let port = v.expect["port"].as_u64().unwrap();
        d.session.handle_input(&with_crlf(&v.input)).unwrap_or_else(|e| panic!("{}: {e}", v.at()));
        let first = d.session.poll_event().unwrap();
        match first {
            Event::ConnectData { addr, nat, .. } => {
                assert_eq!(addr, SocketAddr::new(ip.parse().unwrap(), port as u16), "{}", v.at());
                assert_eq!(nat.is_some(), ip != "192.0.2.10", "{}", v.at());
            }
            other => panic!("{}: {other:?}", v.at()),
        }
        checked += 1;
    }
    for v in common::invalid_as("pasv") {
        if v.raw.get("mode").and_then(Value::as_str) == Some("strict") {
            continue; // the session reads 227 tolerantly
        }
        let mut d = awaiting_setup(Config::new(sa(peer)), DataMode::Pasv);
        let err = d.session.handle_input(&with_crlf(&v.input));
        let events: Vec<String> = std::iter::from_fn(|| d.session.poll_event()).map(|e| summary(&e)).collect();
        // Never a data connection to a refused tuple. When the reply reached the session, the transfer failed with
        // a typed error; a vector the strict reply framing does not close yet (or refuses) never reaches it.
        assert!(!events.iter().any(|e| e.starts_with("ConnectData")), "{}: {events:?}", v.at());
        if events.iter().any(|e| e.starts_with("TransferFailed#2 Setup")) {
            assert!(
                matches!(err, Err(SessionError::BadPayload { .. } | SessionError::UnexpectedReply { .. })),
                "{}: {err:?}",
                v.at()
            );
        } else {
            assert!(matches!(err, Ok(()) | Err(SessionError::Decode(_))), "{}: {err:?} {events:?}", v.at());
            assert_eq!(d.session.state_name(), "sent(PASV)", "{}", v.at());
        }
        checked += 1;
    }
    for v in common::of_kind("epsv") {
        let mut d = awaiting_setup(Config::new(sa(peer)), DataMode::Epsv);
        d.session.handle_input(&with_crlf(&v.input)).unwrap_or_else(|e| panic!("{}: {e}", v.at()));
        let port = v.expect["port"].as_u64().unwrap() as u16;
        let want =
            Event::ConnectData { id: first_transfer_id(), addr: SocketAddr::new(sa(peer).ip(), port), nat: None };
        assert_eq!(d.session.poll_event(), Some(want), "{}", v.at());
        checked += 1;
    }
    for v in common::invalid_as("epsv") {
        let mut d = awaiting_setup(Config::new(sa(peer)), DataMode::Epsv);
        assert!(d.session.handle_input(&with_crlf(&v.input)).is_err(), "{}", v.at());
        assert!(!matches!(d.session.poll_event(), Some(Event::ConnectData { .. })), "{}", v.at());
        checked += 1;
    }
    assert!(checked > 60, "{checked}");
}

fn first_transfer_id() -> RequestId {
    RequestId::from_u64(2) // login is request 1
}

#[test]
fn pwd_vectors_through_the_session() {
    let mut checked = 0;
    for v in common::of_kind("pwd").into_iter().chain(common::invalid_as("pwd")) {
        if !v.input.starts_with("257") {
            continue; // a payload without its reply code: for the 257 parser alone
        }
        let mut d = Driver::new(Config::new(sa("192.0.2.10:21")));
        d.session.login("u", "p", None).unwrap();
        d.input(b"220 hi\r\n230 ok\r\n");
        d.session.pwd().unwrap();
        d.events.clear();
        let result = d.session.handle_input(&with_crlf(&v.input));
        let event = d.session.poll_event();
        match v.expect.get("path").and_then(Value::as_str) {
            Some(path) => {
                assert_eq!(result, Ok(()), "{}", v.at());
                assert!(matches!(&event, Some(Event::Path { path: p, .. }) if p == path), "{}: {event:?}", v.at());
            }
            None => {
                assert!(result.is_err(), "{}", v.at());
                assert!(!matches!(event, Some(Event::Path { .. })), "{}", v.at());
            }
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn nat_vectors() {
    let vectors = common::of_kind("pasv_nat");
    assert!(vectors.len() >= 14);
    for v in vectors {
        let e = &v.expect;
        let peer: std::net::IpAddr = e["peer"].as_str().unwrap().parse().unwrap();
        let mut config = Config::new(SocketAddr::new(peer, 21));
        config.pasv_policy = match e["policy"].as_str().unwrap() {
            "use_control_peer" => PasvAddressPolicy::UseControlPeer,
            "trust_server" => PasvAddressPolicy::TrustServer,
            "replace_bogus" => PasvAddressPolicy::ReplaceBogus,
            p => panic!("{}: policy {p}", v.at()),
        };
        let mut d = awaiting_setup(config, DataMode::Pasv);
        d.session.handle_input(&with_crlf(&v.input)).unwrap_or_else(|err| panic!("{}: {err}", v.at()));
        let Some(Event::ConnectData { addr, nat, .. }) = d.session.poll_event() else { panic!("{}", v.at()) };
        assert_eq!(addr, sa(e["used"].as_str().unwrap()), "{}", v.at());
        let reason = nat.map(|n| match n.reason {
            NatReason::Unspecified => "unspecified",
            NatReason::Loopback => "loopback",
            NatReason::Multicast => "multicast",
            NatReason::PrivateBehindPublic => "private_behind_public",
            NatReason::OtherHost => "other_host",
        });
        assert_eq!(reason, e["reason"].as_str(), "{}", v.at());
    }
}

// ---- properties ----

#[derive(Debug, Clone)]
enum Op {
    Reply(u16, u8),
    Data(u64, u8),
    Request(u8),
    Abort,
    Bytes(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    let codes = prop::sample::select(vec![
        110u16, 120, 125, 150, 200, 202, 211, 213, 215, 220, 221, 225, 226, 227, 229, 230, 250, 257, 331, 332, 350,
        421, 425, 426, 450, 451, 500, 501, 502, 503, 530, 550, 553,
    ]);
    prop_oneof![
        6 => (codes, any::<u8>()).prop_map(|(c, t)| Op::Reply(c, t)),
        1 => (100u16..600, any::<u8>()).prop_map(|(c, t)| Op::Reply(c, t)),
        3 => (0u64..12, any::<u8>()).prop_map(|(id, k)| Op::Data(id, k)),
        3 => any::<u8>().prop_map(Op::Request),
        1 => Just(Op::Abort),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Op::Bytes),
    ]
}

fn reply_text(code: u16, t: u8) -> String {
    let text = match t % 6 {
        0 => "ok".to_owned(),
        1 => "Entering Passive Mode (192,0,2,10,19,136)".to_owned(),
        2 => "Entering Extended Passive Mode (|||5000|)".to_owned(),
        3 => "\"/dir\" is cwd".to_owned(),
        4 => "20230314150926".to_owned(),
        _ => "48".to_owned(),
    };
    format!("{code} {text}\r\n")
}

fn request(s: &mut ClientSession, k: u8) -> Result<RequestId, SessionError> {
    let modes = [
        DataMode::Passive,
        DataMode::Pasv,
        DataMode::Epsv,
        DataMode::Active(sa("192.0.2.99:4000")),
        DataMode::Active(sa("[2001:db8::9]:4000")),
        DataMode::Port("192.0.2.99:4000".parse().unwrap()),
        DataMode::Eprt(sa("192.0.2.99:4000")),
    ];
    match k % 14 {
        0 => s.login("u", "p", (k & 0x80 != 0).then_some("a")),
        1 => s.pwd(),
        2 => s.feat(),
        3 => s.rename("a", "b"),
        4 => s.size("f"),
        5 => s.mdtm("f"),
        6 => s.mkd("d"),
        7 => s.rein(),
        8 => s.command(Command::Syst),
        9 => s.command(Command::Epsv(Some(ftpkit_proto::command::EpsvArg::All))),
        10 if k > 200 => s.quit(),
        _ => {
            let mode = modes[usize::from(k / 14) % modes.len()];
            let t = Transfer::new(TransferKind::Retr("f".into()), mode);
            s.transfer(if k & 1 == 1 { t.restart_at(7) } else { t })
        }
    }
}

fn data_event(k: u8) -> DataEvent {
    match k % 6 {
        0 => DataEvent::Connected,
        1 => DataEvent::Accepted { from: sa("192.0.2.10:20") },
        2 => DataEvent::Accepted { from: sa("198.51.100.1:20") },
        3 => DataEvent::Eof,
        4 => DataEvent::Closed,
        _ => DataEvent::Failed { reason: "x".into() },
    }
}

fn apply(s: &mut ClientSession, op: &Op) {
    let _ = match op {
        Op::Reply(code, t) => s.handle_input(reply_text(*code, *t).as_bytes()),
        Op::Data(id, k) => {
            // Data facts go to the request in flight most of the time, to an arbitrary id otherwise.
            let target = match s.in_flight() {
                Some(current) if id % 3 != 0 => current,
                _ => RequestId::from_u64(*id),
            };
            s.handle_data(target, data_event(*k))
        }
        Op::Request(k) => request(s, *k).map(drop),
        Op::Abort => s.abort().map(drop),
        Op::Bytes(b) => s.handle_input(b),
    };
}

/// Answer whatever the session waits for with a refusal (or a goodbye to QUIT, or a data EOF), until it closes.
/// Never uses 421 or `handle_close`: closing must be reachable by ordinary means.
fn wind_down(s: &mut ClientSession) -> usize {
    let mut steps = 0;
    while !s.is_closed() && steps < 64 {
        steps += 1;
        let _ = s.quit();
        let _ = std::iter::from_fn(|| s.poll_transmit()).count();
        let _ = match s.state_name() {
            "greeting" => s.handle_input(b"220 hi\r\n"),
            "sent(QUIT)" => s.handle_input(b"221 bye\r\n"),
            "await-connect" => s.handle_data(s.in_flight().unwrap(), DataEvent::Failed { reason: "gone".into() }),
            "await-data" => s.handle_data(s.in_flight().unwrap(), DataEvent::Eof),
            _ if s.state_name().starts_with("sent(") => s.handle_input(b"550 no\r\n"),
            other => panic!("stuck in {other} with {} pending", s.pending()),
        };
    }
    steps
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any sequence of replies, bytes, data facts and requests: no panic; a closed session refuses everything;
    /// `Closed` is the last event and comes once; and closing is always reachable without 421.
    #[test]
    fn never_panics_and_always_winds_down(ops in prop::collection::vec(op(), 0..60)) {
        let mut s = ClientSession::new(Config::new(sa("192.0.2.10:21")));
        let mut closed_events = 0;
        for op in &ops {
            let was_closed = s.is_closed();
            apply(&mut s, op);
            let _ = std::iter::from_fn(|| s.poll_transmit()).count();
            for e in std::iter::from_fn(|| s.poll_event()) {
                prop_assert!(closed_events == 0, "an event after Closed: {e:?}");
                if matches!(e, Event::Closed { .. }) {
                    closed_events += 1;
                }
            }
            if was_closed {
                prop_assert!(s.is_closed());
                prop_assert_eq!(s.noop().unwrap_err().kind(), ErrorKind::Closed);
            }
        }
        let steps = wind_down(&mut s);
        prop_assert!(s.is_closed(), "not closed after {} steps in {}", steps, s.state_name());
        for e in std::iter::from_fn(|| s.poll_event()) {
            prop_assert!(closed_events == 0, "an event after Closed: {e:?}");
            if matches!(e, Event::Closed { .. }) {
                closed_events += 1;
            }
        }
        s.handle_close();
        prop_assert_eq!(s.poll_event(), None);
        prop_assert_eq!(closed_events, 1);
    }

    /// The transfer join: any interleaving of the data facts and the 1xx/2xx replies of an active transfer ends
    /// in exactly one TransferComplete, with DataReady before it.
    #[test]
    fn active_join_any_order(order in Just(vec![0u8, 1, 2, 3]).prop_shuffle()) {
        let mut s = ClientSession::new(Config::new(sa("192.0.2.10:21")));
        s.login("u", "p", None).unwrap();
        s.handle_input(b"220 hi\r\n230 ok\r\n").unwrap();
        let id = s.transfer(Transfer::new(TransferKind::Retr("f".into()), DataMode::Active(sa("192.0.2.99:4000")))).unwrap();
        s.handle_input(b"200 ok\r\n").unwrap();
        // 150 must precede 226 and Accepted must precede Eof; other pairs may come in any order.
        let mut seq: Vec<u8> = order.clone();
        let pos = |v: &Vec<u8>, x: u8| v.iter().position(|&y| y == x).unwrap();
        if pos(&seq, 0) > pos(&seq, 1) { let (a, b) = (pos(&seq, 0), pos(&seq, 1)); seq.swap(a, b); }
        if pos(&seq, 2) > pos(&seq, 3) { let (a, b) = (pos(&seq, 2), pos(&seq, 3)); seq.swap(a, b); }
        for x in seq {
            match x {
                0 => s.handle_input(b"150 go\r\n").unwrap(),
                1 => s.handle_input(b"226 done\r\n").unwrap(),
                2 => s.handle_data(id, DataEvent::Accepted { from: sa("192.0.2.10:20") }).unwrap(),
                _ => s.handle_data(id, DataEvent::Eof).unwrap(),
            }
        }
        let events: Vec<String> = std::iter::from_fn(|| s.poll_event()).map(|e| summary(&e)).collect();
        let tail: Vec<&str> = events.iter().map(String::as_str).filter(|e| !e.starts_with("Greeting") && !e.starts_with("LoggedIn") && !e.starts_with("AcceptData")).collect();
        prop_assert_eq!(tail, vec!["Started#2 150", "DataReady#2", "Complete#2 226"]);
        prop_assert_eq!(s.state_name(), "idle");
    }
}

#[test]
fn failure_outcomes_are_typed() {
    for (code, failure) in [
        (425, TransferFailure::NoDataConnection),
        (426, TransferFailure::Aborted),
        (451, TransferFailure::LocalError),
        (550, TransferFailure::Refused),
        (452, TransferFailure::Refused),
    ] {
        let mut d = awaiting_setup(Config::new(sa("192.0.2.10:21")), DataMode::Pasv);
        d.input(b"227 Entering Passive Mode (192,0,2,10,19,136)\r\n");
        d.input(format!("{code} no\r\n").as_bytes());
        assert_eq!(
            d.events,
            ["ConnectData#2 192.0.2.10:5000".to_string(), format!("TransferFailed#2 {failure:?} {code}")],
            "{code}"
        );
    }
}
