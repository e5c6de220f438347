//! A client session and a server session wired to each other in memory: no sockets, no clock. The test plays the
//! part of both adapters (the network, the file system) and checks that a login, a passive and an active transfer
//! complete, with the exact commands and reply codes on the wire.

use ftpkit_proto::command::TransferType;
use ftpkit_proto::session::client::{self, ClientSession, DataMode, Transfer, TransferKind};
use ftpkit_proto::session::server::{Access, DataVerdict, Outcome, ServerConfig, ServerRequest, ServerSession};
use ftpkit_proto::session::DataEvent;
use std::net::SocketAddr;

const CLIENT: &str = "192.0.2.10:40000";
const SERVER: &str = "192.0.2.20:21";

/// The in-memory world: both sessions, what each wrote, and the data "connections".
struct World {
    client: ClientSession,
    server: ServerSession,
    c2s: Vec<String>,
    s2c: Vec<String>,
    events: Vec<client::Event>,
    /// The file the server "sends", and the bytes the client "received".
    file: Vec<u8>,
    received: Vec<u8>,
    /// Transfer id on the client side whose data connection is open, and whether the server side streamed.
    client_data: Option<client::RequestId>,
    server_streamed: bool,
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes).split_terminator("\r\n").map(str::to_owned).collect()
}

impl World {
    fn new() -> World {
        let c: SocketAddr = CLIENT.parse().unwrap();
        let s: SocketAddr = SERVER.parse().unwrap();
        let config = ServerConfig { passive_ports: 50000..=50100, ..ServerConfig::default() };
        World {
            client: ClientSession::new(client::Config::new(s)),
            server: ServerSession::new(config, c, s, std::time::Instant::now()),
            c2s: Vec::new(),
            s2c: Vec::new(),
            events: Vec::new(),
            file: (0..10_000u32).map(|i| i as u8).collect(),
            received: Vec::new(),
            client_data: None,
            server_streamed: false,
        }
    }

    /// Moves bytes and answers requests until nothing moves any more (bounded).
    fn run(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            while let Some(b) = self.client.poll_transmit() {
                self.c2s.extend(lines(&b));
                self.server.handle_input(std::time::Instant::now(), &b).unwrap();
                moved = true;
            }
            while let Some(b) = self.server.poll_transmit() {
                self.s2c.extend(lines(&b));
                // A reply the client finds unexpected is a test failure.
                self.client.handle_input(&b).unwrap();
                moved = true;
            }
            while let Some(_ev) = self.server.poll_event() {
                moved = true;
            }
            while let Some(req) = self.server.poll_request() {
                moved = true;
                self.answer(req);
            }
            while let Some(ev) = self.client.poll_event() {
                moved = true;
                self.client_event(ev);
            }
            if !moved {
                return;
            }
        }
        panic!("the two sessions did not settle");
    }

    fn answer(&mut self, req: ServerRequest) {
        let id = req.id();
        let outcome = match req {
            ServerRequest::Authenticate { user, password, .. } => {
                assert_eq!((user.as_str(), password.as_str()), ("slacker", "abcd"));
                Outcome::LoggedIn(Access::ReadWrite)
            }
            ServerRequest::ListenPassive { ip, ports, .. } => {
                assert_eq!(ip.to_string(), "192.0.2.20");
                Outcome::Bound(SocketAddr::new(ip, *ports.start() + 7))
            }
            ServerRequest::OpenRead { .. } => Outcome::File,
            ServerRequest::List { .. } => Outcome::Ok,
            ServerRequest::ConnectActive { addr, .. } => {
                assert_eq!(addr.ip().to_string(), "192.0.2.10", "the server connects back to the client only");
                Outcome::Ok
            }
            ServerRequest::Transfer { .. } => {
                // The "data connection" carries the file; the client reads it to EOF.
                self.server_streamed = true;
                self.received.extend_from_slice(&self.file);
                if let Some(cid) = self.client_data {
                    self.client.handle_data(cid, DataEvent::Eof).unwrap();
                }
                Outcome::TransferDone { bytes: self.file.len() as u64 }
            }
            other => panic!("unexpected request {other:?}"),
        };
        self.server.complete(std::time::Instant::now(), id, outcome).unwrap();
    }

    fn client_event(&mut self, ev: client::Event) {
        match &ev {
            client::Event::ConnectData { id, addr, nat } => {
                assert!(nat.is_none(), "the 227 names the control peer: no NAT notice");
                assert_eq!(addr.to_string(), "192.0.2.20:50007");
                let from: SocketAddr = "192.0.2.10:40001".parse().unwrap();
                assert_eq!(self.server.handle_data_accepted(from), DataVerdict::Use);
                self.client_data = Some(*id);
                self.client.handle_data(*id, DataEvent::Connected).unwrap();
            }
            client::Event::AcceptData { id, expect_from } => {
                assert_eq!(expect_from.to_string(), "192.0.2.20");
                self.client_data = Some(*id);
                let from: SocketAddr = "192.0.2.20:20".parse().unwrap();
                self.client.handle_data(*id, DataEvent::Accepted { from }).unwrap();
            }
            _ => {}
        }
        self.events.push(ev);
    }
}

fn completed(events: &[client::Event]) -> usize {
    events.iter().filter(|e| matches!(e, client::Event::TransferComplete { .. })).count()
}

#[test]
fn login_passive_and_active_transfers_complete_in_memory() {
    let mut w = World::new();
    w.client.login("slacker", "abcd", None).unwrap();
    w.client.type_(TransferType::Image).unwrap();
    w.run();
    assert!(w.client.is_logged_in());
    assert_eq!(w.server.user().map(|(u, _)| u), Some("slacker"));

    // Passive: EPSV is tried first and the server answers it (229), so no PASV is needed.
    w.client.transfer(Transfer::new(TransferKind::Retr("file.bin".into()), DataMode::Passive)).unwrap();
    w.run();
    assert_eq!(completed(&w.events), 1, "{:#?}", w.events);
    assert_eq!(w.received, w.file);

    // PASV explicitly: the 227 carries the server's address and port 50007 = 195*256+87.
    w.client.transfer(Transfer::new(TransferKind::List(None), DataMode::Pasv)).unwrap();
    w.run();
    assert_eq!(completed(&w.events), 2);

    // Active: the client names where it listens; the server connects back.
    let listen: SocketAddr = "192.0.2.10:3762".parse().unwrap();
    w.client.transfer(Transfer::new(TransferKind::Retr("file.bin".into()), DataMode::Active(listen))).unwrap();
    w.run();
    assert_eq!(completed(&w.events), 3, "{:#?}", w.events);

    w.client.quit().unwrap();
    w.run();
    assert!(w.client.is_closed() && w.server.is_closed());

    let commands: Vec<&str> = w.c2s.iter().map(String::as_str).collect();
    assert_eq!(
        commands,
        [
            "USER slacker",
            "PASS abcd",
            "TYPE I",
            "EPSV",
            "RETR file.bin",
            "PASV",
            "LIST",
            "PORT 192,0,2,10,14,178",
            "RETR file.bin",
            "QUIT"
        ]
    );
    let codes: Vec<&str> = w.s2c.iter().map(|l| &l[..3]).collect();
    // Passive: the client connects before it sends RETR/LIST, so the server finds the data connection already open
    // (125). Active: the server connects after the command (150).
    assert_eq!(
        codes,
        ["220", "331", "230", "200", "229", "125", "226", "227", "125", "226", "200", "150", "226", "221"]
    );
    assert!(w.s2c.iter().any(|l| l == "227 Entering Passive Mode (192,0,2,20,195,87)."), "{:?}", w.s2c);
}

#[test]
fn server_refuses_a_bounce_port_and_the_client_reports_it() {
    let mut w = World::new();
    w.client.login("slacker", "abcd", None).unwrap();
    w.run();
    // The client asks the server to connect to a third host: the server refuses before connecting.
    let third: SocketAddr = "198.51.100.9:4000".parse().unwrap();
    w.client.transfer(Transfer::new(TransferKind::Retr("f".into()), DataMode::Active(third))).unwrap();
    w.run();
    assert!(w.s2c.iter().any(|l| l.starts_with("501")), "{:?}", w.s2c);
    assert!(w.events.iter().any(|e| matches!(e, client::Event::TransferFailed { .. })), "{:#?}", w.events);
    assert!(!w.server_streamed);
    // Both sessions go on.
    w.client.noop().unwrap();
    w.run();
    assert_eq!(w.s2c.last().map(|l| &l[..3]), Some("200"));
}

#[test]
fn rest_and_epsv_all_flow_between_the_sessions() {
    let mut w = World::new();
    w.client.login("slacker", "abcd", None).unwrap();
    w.run();
    w.client.transfer(Transfer::new(TransferKind::Retr("f".into()), DataMode::Epsv).restart_at(100)).unwrap();
    w.run();
    assert_eq!(completed(&w.events), 1, "{:#?}", w.events);
    assert!(w.c2s.iter().any(|l| l == "REST 100"), "{:?}", w.c2s);
    // After EPSV ALL the server refuses PORT (RFC 2428 §4): sent raw, it gets 501.
    w.client.command(ftpkit_proto::command::Command::parse("EPSV ALL").unwrap()).unwrap();
    w.run();
    assert_eq!(w.s2c.last().map(|l| &l[..3]), Some("200"), "{:?}", w.s2c);
    // The client refuses to send PORT itself now ...
    let port = ftpkit_proto::command::Command::parse("PORT 192,0,2,10,14,178").unwrap();
    assert!(w.client.command(port).is_err());
    // ... and a client that sends it anyway gets 501 (RFC 2428 §4).
    w.server.handle_input(std::time::Instant::now(), b"PORT 192,0,2,10,14,178\r\n").unwrap();
    let reply = w.server.poll_transmit().expect("a reply");
    assert!(reply.starts_with(b"501"), "{}", String::from_utf8_lossy(&reply));
    assert!(w.server.poll_request().is_none(), "no connection is attempted");
}
