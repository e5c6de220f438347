//! Server session: replies per state, policy cases, transcripts replayed, splits at every offset, vectors, proptest.
mod common;

use ftpkit_proto::listing::DateTime;
use ftpkit_proto::reply::ReplyDecoder;
use ftpkit_proto::session::server::{
    Access, DataVerdict, Direction, Ipv4Net, ListKind, Masquerade, Outcome, Refusal, Rights, ServerConfig, ServerError,
    ServerEvent, ServerRequest, ServerRequestId, ServerSession, StorageCaps, TimeoutKind, VirtualHost, WriteMode,
};
use ftpkit_proto::vpath::VirtualPath;
use ftpkit_proto::ErrorKind;
use proptest::prelude::*;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const CLIENT: &str = "192.0.2.7:50000";
const SERVER: &str = "192.0.2.1:21";

/// The tests' virtual clock starts at one real reading, taken once per process; the session never reads a clock.
fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A fake file tree answering requests, and a harness that drives the session the way an adapter would.
struct Harness {
    s: ServerSession,
    client: SocketAddr,
    server: SocketAddr,
    /// Answer requests automatically from the fake tree (else they pile up in `pending`).
    auto: bool,
    /// Connect passive data connections from the client automatically when the session waits for one.
    auto_accept: bool,
    pending: Vec<ServerRequest>,
    events: Vec<ServerEvent>,
    log: Vec<ServerRequest>,
    wire: Vec<u8>,
    /// The virtual clock passed to the session.
    now: Instant,
}

const FILES: &[(&str, u64)] = &[("/readme.txt", 48), ("/hello world.txt", 30), ("/subdir/nested.txt", 5)];
const DIRS: &[&str] = &["/", "/subdir", "/upload"];

fn fs_answer(req: &ServerRequest, server: SocketAddr) -> Outcome {
    let is_file = |p: &VirtualPath| FILES.iter().find(|(f, _)| *f == p.as_str()).map(|(_, n)| *n);
    let is_dir = |p: &VirtualPath| DIRS.contains(&p.as_str());
    match req {
        ServerRequest::Authenticate { password, .. } => {
            if password == "bad" {
                Outcome::Denied
            } else {
                Outcome::LoggedIn(Access::ReadWrite)
            }
        }
        ServerRequest::Stat { path, .. } => match (is_dir(path), is_file(path)) {
            (true, _) => Outcome::Dir,
            (_, Some(_)) => Outcome::File,
            _ => Outcome::NotFound,
        },
        ServerRequest::OpenRead { path, .. } => match (is_dir(path), is_file(path)) {
            (true, _) => Outcome::Dir,
            (_, Some(_)) => Outcome::Ok,
            _ => Outcome::NotFound,
        },
        ServerRequest::OpenWrite { path, mode, .. } => match mode {
            WriteMode::Unique => Outcome::UniqueName("ftpkit.1".into()),
            _ if path.as_str().starts_with("/upload/") => Outcome::Ok,
            _ => Outcome::PermissionDenied,
        },
        ServerRequest::List { path, .. } => {
            if is_dir(path) || is_file(path).is_some() {
                Outcome::Ok
            } else {
                Outcome::NotFound
            }
        }
        ServerRequest::Delete { path, .. } => match is_file(path) {
            Some(_) => Outcome::Ok,
            None => Outcome::NotFound,
        },
        ServerRequest::Mkdir { path, .. } => {
            if is_dir(path) {
                Outcome::Exists
            } else {
                Outcome::Ok
            }
        }
        ServerRequest::Rmdir { path, .. } => {
            if is_dir(path) {
                Outcome::Ok
            } else {
                Outcome::NotFound
            }
        }
        ServerRequest::Rename { to, .. } => {
            if is_file(to).is_some() {
                Outcome::Exists
            } else {
                Outcome::Ok
            }
        }
        ServerRequest::Size { path, .. } => match (is_dir(path), is_file(path)) {
            (true, _) => Outcome::Dir,
            (_, Some(n)) => Outcome::Size(n),
            _ => Outcome::NotFound,
        },
        ServerRequest::Mtime { path, .. } => match is_file(path) {
            Some(_) => Outcome::Time(DateTime::new(2023, 3, 14, 15, 9, 26, 0).unwrap()),
            None => Outcome::NotFound,
        },
        ServerRequest::Chmod { path, .. } => match (is_dir(path), is_file(path)) {
            (false, None) => Outcome::NotFound,
            _ => Outcome::Ok,
        },
        ServerRequest::ListLines { path, .. } => match (is_dir(path), is_file(path)) {
            (true, _) => Outcome::Lines(
                FILES
                    .iter()
                    .filter(|(f, _)| {
                        f.rsplit_once('/').map(|(d, _)| if d.is_empty() { "/" } else { d }) == Some(path.as_str())
                    })
                    .map(|(f, n)| format!("-rw-r--r-- 1 0 0 {n} Mar 14 2023 {}", f.rsplit('/').next().unwrap_or(f)))
                    .collect(),
            ),
            (_, Some(n)) => Outcome::Lines(vec![format!("-rw-r--r-- 1 0 0 {n} Mar 14 2023 {}", path.as_str())]),
            _ => Outcome::NotFound,
        },
        ServerRequest::ListenPassive { ports, .. } => Outcome::Bound(SocketAddr::new(server.ip(), *ports.start())),
        ServerRequest::ConnectActive { .. } => Outcome::Ok,
        ServerRequest::Transfer { .. } => Outcome::TransferDone { bytes: 48 },
        _ => Outcome::Failed("unknown request".into()),
    }
}

impl Harness {
    fn with(config: ServerConfig, client: &str, server: &str) -> Self {
        let (client, server) = (addr(client), addr(server));
        let mut h = Harness {
            s: ServerSession::new(config, client, server, epoch()),
            now: epoch(),
            client,
            server,
            auto: true,
            auto_accept: true,
            pending: Vec::new(),
            events: Vec::new(),
            log: Vec::new(),
            wire: Vec::new(),
        };
        h.drive();
        h
    }

    fn new() -> Self {
        Harness::with(ServerConfig::default(), CLIENT, SERVER)
    }

    fn logged_in() -> Self {
        let mut h = Harness::new();
        assert_eq!(h.take_codes(), [220]);
        assert_eq!(h.send("USER alice"), [331]);
        assert_eq!(h.send("PASS secret"), [230]);
        h
    }

    /// Drain outputs, answering requests from the fake tree while `auto` is on.
    fn drive(&mut self) {
        loop {
            while let Some(b) = self.s.poll_transmit() {
                self.wire.extend_from_slice(&b);
            }
            while let Some(e) = self.s.poll_event() {
                self.events.push(e);
            }
            if let Some(r) = self.s.poll_request() {
                self.log.push(r.clone());
                if self.auto {
                    let o = fs_answer(&r, self.server);
                    self.s.complete(self.now, r.id(), o).unwrap();
                } else {
                    self.pending.push(r);
                }
                continue;
            }
            if self.auto_accept && self.s.timer().map(|t| t.0) == Some(TimeoutKind::DataConnect) {
                let waiting_passive =
                    !self.log.iter().rev().take(1).any(|r| matches!(r, ServerRequest::ConnectActive { .. }));
                if waiting_passive {
                    let peer = SocketAddr::new(self.client.ip(), 40000);
                    if self.s.handle_data_accepted(peer) == DataVerdict::Use {
                        continue;
                    }
                }
            }
            break;
        }
    }

    /// Reply codes written since the last call.
    fn take_codes(&mut self) -> Vec<u16> {
        let mut d = ReplyDecoder::default();
        d.feed(&std::mem::take(&mut self.wire));
        let mut codes = Vec::new();
        while let Some(r) = d.decode_owned().unwrap() {
            codes.push(r.code.get());
        }
        assert_eq!(d.buffered(), 0, "a reply was left incomplete");
        codes
    }

    fn feed(&mut self, bytes: &[u8]) -> Vec<u16> {
        self.s.handle_input(self.now, bytes).unwrap();
        self.drive();
        self.take_codes()
    }

    fn send(&mut self, line: &str) -> Vec<u16> {
        self.feed(format!("{line}\r\n").as_bytes())
    }

    /// Answer the oldest pending request (an `UnexpectedOutcome` error is allowed: some tests give bad answers).
    fn complete(&mut self, outcome: Outcome) -> Vec<u16> {
        let r = self.pending.remove(0);
        let result = self.s.complete(self.now, r.id(), outcome);
        assert!(matches!(result, Ok(()) | Err(ServerError::UnexpectedOutcome { .. })), "{result:?}");
        self.drive();
        self.take_codes()
    }

    /// Move the clock on by `by`, call `handle_timeout` and drain.
    fn fire(&mut self, by: Duration) {
        self.now += by;
        self.s.handle_timeout(self.now);
        self.drive();
    }

    fn last_request(&self) -> &ServerRequest {
        self.log.last().unwrap()
    }

    fn text(&mut self, line: &str) -> String {
        self.s.handle_input(self.now, format!("{line}\r\n").as_bytes()).unwrap();
        self.drive();
        String::from_utf8(std::mem::take(&mut self.wire)).unwrap()
    }
}

#[test]
fn greeting_and_login() {
    let mut h = Harness::with(ServerConfig { greeting: "one\ntwo".into(), ..Default::default() }, CLIENT, SERVER);
    assert_eq!(String::from_utf8(std::mem::take(&mut h.wire)).unwrap(), "220-one\r\n220 two\r\n");
    assert_eq!(h.send("PASS x"), [503]);
    assert_eq!(h.send("USER alice"), [331]);
    assert_eq!(h.send("PASS secret"), [230]);
    assert!(
        matches!(h.last_request(), ServerRequest::Authenticate { user, password, .. } if user == "alice" && password == "secret")
    );
    assert_eq!(h.events, [ServerEvent::LoggedIn { user: "alice".into(), access: Access::ReadWrite, anonymous: false }]);
    assert_eq!(h.s.user(), Some(("alice", Access::ReadWrite)));
    assert_eq!(h.send("PASS again"), [230]);
    assert_eq!(h.send("USER bob"), [530]);
    assert_eq!(h.send("QUIT"), [221]);
    assert!(h.s.is_closed());
    assert_eq!(h.events.last(), Some(&ServerEvent::Close));
    assert_eq!(h.s.handle_input(h.now, b"NOOP\r\n"), Err(ServerError::Closed));
    assert_eq!(ServerError::Closed.kind(), ErrorKind::Closed);
    assert_eq!(h.s.poll_timeout(), None);
}

#[test]
fn before_login_530_except_the_allowed() {
    let allowed: &[(&str, &[u16])] = &[
        ("NOOP", &[200]),
        ("SYST", &[215]),
        ("FEAT", &[211]),
        ("HELP", &[214]),
        ("AUTH TLS", &[502]),
        ("PBSZ 0", &[503]),
        ("PROT P", &[503]),
        ("CCC", &[533]),
        ("HOST ftp.example.com", &[502]),
        ("XYZZY", &[500]),
    ];
    let refused = [
        "PWD",
        "CWD /",
        "CDUP",
        "TYPE I",
        "MODE S",
        "STRU F",
        "REST 5",
        "PASV",
        "EPSV",
        "EPSV ALL",
        "PORT 192,0,2,7,200,1",
        "EPRT |1|192.0.2.7|51201|",
        "RETR x",
        "STOR x",
        "APPE x",
        "STOU",
        "LIST",
        "NLST",
        "MLSD",
        "MLST x",
        "SIZE x",
        "MDTM x",
        "DELE x",
        "MKD x",
        "RMD x",
        "RNFR x",
        "RNTO x",
        "STAT",
        "ABOR",
        "OPTS UTF8 ON",
        "ALLO 5",
        "XPWD",
        "SITE CHMOD 777 x",
        "ACCT a",
    ];
    let mut h = Harness::new();
    h.take_codes();
    for (line, want) in allowed {
        assert_eq!(h.send(line), *want, "{line}");
    }
    for line in refused {
        assert_eq!(h.send(line), [530], "{line}");
    }
    assert!(h.log.is_empty(), "no request before login: {:?}", h.log);
    // Argument errors are reported before the login check.
    assert_eq!(h.send("TYPE X"), [504]);
    assert_eq!(h.send("RETR"), [501]);
}

#[test]
fn failed_logins_close_with_421() {
    let mut h = Harness::new();
    h.take_codes();
    for _ in 0..2 {
        assert_eq!(h.send("USER alice"), [331]);
        assert_eq!(h.send("PASS bad"), [530]);
        assert!(!h.s.is_closed());
    }
    assert_eq!(h.send("USER alice"), [331]);
    assert_eq!(h.send("PASS bad"), [530, 421]);
    assert!(h.s.is_closed());
    assert_eq!(h.events, [ServerEvent::Close]);
}

#[test]
fn anonymous_read_only() {
    let mut h = Harness::with(ServerConfig { anonymous: true, ..Default::default() }, CLIENT, SERVER);
    h.take_codes();
    assert_eq!(h.send("USER anonymous"), [331]);
    assert_eq!(h.send("PASS me@example.com"), [230]);
    assert!(h.log.is_empty(), "anonymous login is the session's own decision");
    assert_eq!(
        h.events,
        [ServerEvent::LoggedIn { user: "anonymous".into(), access: Access::ReadOnly, anonymous: true }]
    );
    for line in ["STOR /upload/x", "APPE x", "STOU", "DELE readme.txt", "MKD d", "RMD subdir", "RNFR readme.txt"] {
        assert_eq!(h.send(line), [550], "{line}");
    }
    assert_eq!(h.send("RNTO y"), [550]);
    assert!(h.log.is_empty());
    assert_eq!(h.send("EPSV"), [229]);
    assert_eq!(h.send("RETR readme.txt"), [150, 226]);
    // Without the option, `anonymous` is an ordinary user name for the authenticator.
    let mut h = Harness::new();
    h.send("USER anonymous");
    h.send("PASS x");
    assert!(matches!(h.log[0], ServerRequest::Authenticate { .. }));
}

/// The verbs each right gates (the `Rights` table), each with an argument the fake tree accepts.
const GATED: &[(Rights, &[&str])] = &[
    (
        Rights::READ,
        &["RETR readme.txt", "LIST", "NLST", "MLSD", "MLST readme.txt", "SIZE readme.txt", "MDTM readme.txt"],
    ),
    (Rights::WRITE, &["STOR /upload/x", "APPE /upload/x", "STOU"]),
    (Rights::DELETE, &["DELE readme.txt", "RMD subdir", "XRMD subdir"]),
    (Rights::MKDIR, &["MKD d", "XMKD d"]),
    (Rights::RENAME, &["RNFR readme.txt", "RNTO y"]),
];

/// A session logged in as `alice` with `access` (answered by hand), on EPSV so transfers can run.
fn logged_in_with(access: Access) -> Harness {
    let mut h = Harness::new();
    h.auto = false;
    h.take_codes();
    h.send("USER alice");
    h.send("PASS secret");
    assert_eq!(h.complete(Outcome::LoggedIn(access)), [230]);
    h.auto = true;
    h.log.clear();
    h
}

/// Sends `line` (after RNFR for RNTO, after EPSV for a transfer) and says whether the session refused it with 550
/// before asking for anything.
fn refused_550(h: &mut Harness, line: &str) -> bool {
    if line.starts_with("RNTO") && !h.send("RNFR readme.txt").contains(&350) {
        // Without the rename right RNFR is refused, and RNTO then has no RNFR: its gate still answers first.
        h.log.clear();
    }
    let transfer = ["RETR", "LIST", "NLST", "MLSD", "STOR", "APPE", "STOU"].iter().any(|v| line.starts_with(v));
    if transfer {
        h.send("EPSV");
    }
    h.log.clear();
    let codes = h.send(line);
    let refused = codes == [550];
    if refused {
        assert!(h.log.is_empty(), "{line}: a refused command asks for nothing");
        assert!(String::from_utf8_lossy(&h.wire).is_empty());
    }
    refused
}

#[test]
fn each_right_gates_its_verbs_and_nothing_else() {
    for (right, _) in GATED {
        // Only this right: its verbs run, every other gated verb gets 550.
        let access = Access::Rights(*right);
        for (other, verbs) in GATED {
            for line in *verbs {
                let mut h = logged_in_with(access);
                assert_eq!(refused_550(&mut h, line), other != right, "{line} with only {right}");
            }
        }
        // Every right but this one: only its verbs get 550.
        let all_but = Rights::NAMED.iter().filter(|(r, _)| r != right).fold(Rights::NONE, |a, (r, _)| a.union(*r));
        for (other, verbs) in GATED {
            for line in *verbs {
                let mut h = logged_in_with(Access::Rights(all_but));
                assert_eq!(refused_550(&mut h, line), other == right, "{line} with {all_but}");
            }
        }
    }
    // No right: moving about and the session's own commands still work.
    let mut h = logged_in_with(Access::Rights(Rights::NONE));
    for (line, want) in [("CWD subdir", 250), ("PWD", 257), ("CDUP", 250), ("TYPE I", 200), ("FEAT", 211)] {
        assert_eq!(h.send(line), [want], "{line}");
    }
    assert!(h.text("RETR readme.txt").contains("no read right"));
    assert!(h.text("STAT").contains("Logged in, rights: none."));
    let mut h = logged_in_with(Access::Rights(Rights::READ.union(Rights::MKDIR)));
    assert!(h.text("STAT").contains("Logged in, rights: read,mkdir."));
    // The two named sets are their rights.
    let mut h = logged_in_with(Access::ReadOnly);
    assert!(h.text("DELE readme.txt").contains("read-only session"));
    assert!(h.text("STAT").contains("Logged in, read-only."));
    assert_eq!(Access::ReadOnly.rights(), Rights::READ);
    assert_eq!(Access::ReadWrite.rights(), Rights::ALL);
}

#[test]
fn rights_text_form() {
    assert_eq!("read, write".parse::<Rights>().unwrap(), Rights::READ.union(Rights::WRITE));
    assert_eq!("ALL".parse::<Rights>().unwrap(), Rights::ALL);
    assert_eq!("".parse::<Rights>().unwrap(), Rights::NONE);
    assert_eq!("none".parse::<Rights>().unwrap().to_string(), "none");
    assert_eq!(Rights::ALL.to_string(), "read,write,delete,mkdir,rename");
    let e = "read,chmod".parse::<Rights>().unwrap_err();
    assert_eq!(e.name, "chmod");
    assert_eq!(e.kind(), ErrorKind::Syntax);
    let long = "é".repeat(100);
    assert!(long.parse::<Rights>().unwrap_err().name.len() <= 64);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any set of rights: a gated verb gets 550 exactly when its right is missing.
    #[test]
    fn any_rights_gate_exactly_their_verbs(bits in proptest::collection::vec(any::<bool>(), 5), pick in 0usize..17) {
        let rights = Rights::NAMED.iter().zip(&bits).filter(|(_, on)| **on).fold(Rights::NONE, |a, ((r, _), _)| a.union(*r));
        let (right, line) = GATED.iter().flat_map(|(r, vs)| vs.iter().map(move |v| (*r, *v))).nth(pick).unwrap();
        let mut h = logged_in_with(Access::Rights(rights));
        prop_assert_eq!(refused_550(&mut h, line), !rights.contains(right), "{} with {}", line, rights);
        // The text form goes both ways.
        prop_assert_eq!(rights.to_string().parse::<Rights>().unwrap(), rights);
    }
}

/// Every command's codes once logged in (fresh session each time), with the request it made.
#[test]
fn logged_in_command_table() {
    let cases: &[(&[&str], &[u16])] = &[
        (&["NOOP"], &[200]),
        (&["PWD"], &[257]),
        (&["XPWD"], &[257]),
        (&["CWD subdir"], &[250]),
        (&["CWD readme.txt"], &[550]),
        (&["CWD nowhere"], &[550]),
        (&["CWD subdir", "CDUP"], &[250]),
        (&["XCWD /subdir"], &[250]),
        (&["XCUP"], &[250]),
        (&["TYPE A"], &[200]),
        (&["TYPE A N"], &[200]),
        (&["TYPE I"], &[200]),
        (&["TYPE L 8"], &[200]),
        (&["TYPE E"], &[504]),
        (&["TYPE A T"], &[504]),
        (&["TYPE L 7"], &[504]),
        (&["TYPE X"], &[504]),
        (&["TYPE"], &[501]),
        (&["MODE S"], &[200]),
        (&["MODE B"], &[504]),
        (&["MODE C"], &[504]),
        (&["MODE Z"], &[504]),
        (&["STRU F"], &[200]),
        (&["STRU R"], &[504]),
        (&["STRU P"], &[504]),
        (&["OPTS UTF8 ON"], &[200]),
        (&["OPTS MLST type;size;"], &[200]),
        (&["OPTS FOO"], &[501]),
        (&["REST 100"], &[350]),
        (&["REST x"], &[501]),
        (&["SIZE readme.txt"], &[213]),
        (&["SIZE subdir"], &[550]),
        (&["SIZE nothing"], &[550]),
        (&["MDTM readme.txt"], &[213]),
        (&["MDTM nothing"], &[550]),
        (&["MLST readme.txt"], &[250]),
        (&["MLST"], &[250]),
        (&["MLST nothing"], &[550]),
        (&["DELE readme.txt"], &[250]),
        (&["DELE nothing"], &[550]),
        (&["MKD newdir"], &[257]),
        (&["XMKD newdir"], &[257]),
        (&["MKD subdir"], &[550]),
        (&["RMD subdir"], &[250]),
        (&["XRMD nothing"], &[550]),
        (&["RNFR readme.txt"], &[350]),
        (&["RNFR nothing"], &[550]),
        (&["RNTO x"], &[503]),
        (&["RNFR readme.txt", "RNTO new.txt"], &[250]),
        (&["RNFR readme.txt", "RNTO hello world.txt"], &[553]),
        (&["RNFR readme.txt", "NOOP", "RNTO new.txt"], &[503]),
        (&["STAT"], &[211]),
        (&["STAT x"], &[550]),
        (&["STAT subdir"], &[213]),
        (&["HELP"], &[214]),
        (&["HELP RETR"], &[214]),
        (&["SYST"], &[215]),
        (&["FEAT"], &[211]),
        (&["ABOR"], &[226]),
        (&["ALLO 100"], &[202]),
        (&["ACCT x"], &[502]),
        (&["SMNT /x"], &[502]),
        (&["REIN"], &[502]),
        (&["SITE CHMOD 644 x"], &[550]),
        (&["SITE CHMOD 644 readme.txt"], &[200]),
        (&["SITE CHMOD 8 readme.txt"], &[501]),
        (&["SITE HELP"], &[214]),
        (&["SITE ZAP"], &[500]),
        (&["LPSV"], &[228]),
        (&["LPRT 4,4,192,0,2,7,4,1"], &[501]),
        (&["LPRT 4,4,192,0,2,7,2,4,1"], &[200]),
        (&["LANG EN"], &[200]),
        (&["LANG de"], &[504]),
        (&["CLNT curl"], &[200]),
        (&["HOST a.example"], &[503]),
        (&["AUTH TLS"], &[502]),
        (&["XYZZY"], &[500]),
        (&["RETR readme.txt"], &[425]),
        (&["LIST"], &[425]),
        (&["STOR /upload/x"], &[425]),
        (&["PASV"], &[227]),
        (&["EPSV"], &[229]),
        (&["EPSV 1"], &[229]),
        (&["EPSV 2"], &[522]),
        (&["EPSV ALL"], &[200]),
        (&["PORT 192,0,2,7,200,1"], &[200]),
        (&["EPRT |1|192.0.2.7|51201|"], &[200]),
        (&["PASV", "RETR readme.txt"], &[150, 226]),
        (&["PASV", "RETR nothing"], &[550]),
        (&["PASV", "RETR subdir"], &[550]),
        (&["PASV", "LIST"], &[150, 226]),
        (&["PASV", "LIST -la"], &[150, 226]),
        (&["PASV", "LIST -la subdir"], &[150, 226]),
        (&["PASV", "LIST nothing"], &[550]),
        (&["EPSV", "NLST"], &[150, 226]),
        (&["EPSV", "MLSD"], &[150, 226]),
        (&["EPSV", "STOR /upload/x"], &[150, 226]),
        (&["EPSV", "STOR readme.txt"], &[553]),
        (&["EPSV", "APPE /upload/x"], &[150, 226]),
        (&["EPSV", "STOU"], &[150, 226]),
        (&["PORT 192,0,2,7,200,1", "RETR readme.txt"], &[150, 226]),
        (&["EPRT |1|192.0.2.7|51201|", "LIST"], &[150, 226]),
        (&["QUIT"], &[221]),
    ];
    for (lines, want) in cases {
        let mut h = Harness::logged_in();
        let mut got = Vec::new();
        for line in lines.iter() {
            got = h.send(line);
        }
        assert_eq!(got, *want, "{lines:?}");
    }
}

#[test]
fn reply_texts() {
    let mut h = Harness::logged_in();
    assert_eq!(h.text("SYST"), "215 UNIX Type: L8\r\n");
    assert_eq!(h.text("PWD"), "257 \"/\" is the current directory.\r\n");
    h.send("CWD subdir");
    assert_eq!(h.text("PWD"), "257 \"/subdir\" is the current directory.\r\n");
    assert_eq!(h.text("SIZE nested.txt"), "213 5\r\n");
    assert_eq!(h.text("MDTM nested.txt"), "213 20230314150926\r\n");
    assert_eq!(h.text("MKD a\"b"), "257 \"/subdir/a\"\"b\" created.\r\n");
    assert_eq!(
        h.text("FEAT"),
        "211-Features:\r\n CLNT\r\n EPRT\r\n EPSV\r\n HASH SHA-256*;SHA-1;MD5\r\n LANG EN*\r\n MDTM\r\n MFMT\r\n MLST type*;size*;modify*;UNIX.mode*;\r\n PASV\r\n REST STREAM\r\n SIZE\r\n \
         TVFS\r\n UTF8\r\n211 End\r\n"
    );
    assert_eq!(h.text("MLST /readme.txt"), "250-Listing /readme.txt\r\n type=file; /readme.txt\r\n250 End\r\n");
    assert_eq!(h.text("PASV"), "227 Entering Passive Mode (192,0,2,1,192,0).\r\n");
    assert_eq!(h.text("EPSV"), "229 Entering Extended Passive Mode (|||49152|)\r\n");
    assert_eq!(h.text("STOU"), "150 FILE: ftpkit.1\r\n226 Transfer complete.\r\n");
    assert_eq!(h.text("PORT 192,0,2,7,4,1"), "200 PORT command successful.\r\n");
    assert_eq!(h.text("PORT 192,0,2,8,4,1"), "501 PORT refused: address 192.0.2.8 is not your own (FTP bounce).\r\n");
    assert_eq!(h.text("PORT 192,0,2,7,0,21"), "501 PORT refused: port 21 is privileged (below 1024).\r\n");
}

/// Checks `wire` (whole replies, CRLF line ends) against RFC 959 §4.2's reply grammar and returns the replies as
/// (code, lines). A one-line reply is `xyz SP text`; a multi-line reply opens with `xyz-text`, ends with the same
/// `xyz SP text`, and no line between may start with that code and a space (it would end the reply early).
fn rfc959_replies(wire: &str) -> Vec<(String, Vec<String>)> {
    assert!(wire.ends_with("\r\n"), "{wire:?}");
    let lines: Vec<&str> = wire[..wire.len() - 2].split("\r\n").collect();
    let mut replies = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let first = lines[i];
        assert!(!first.contains(['\r', '\n']), "bare CR or LF in {first:?}");
        let code =
            first.get(..3).filter(|c| c.bytes().all(|b| b.is_ascii_digit())).expect("a reply starts with a code");
        assert!((b'1'..=b'5').contains(&code.as_bytes()[0]), "{first:?}");
        match first.as_bytes().get(3) {
            Some(b' ') => {
                replies.push((code.to_owned(), vec![first.to_owned()]));
                i += 1;
            }
            Some(b'-') => {
                let end = format!("{code} ");
                let last = (i + 1..lines.len()).find(|&j| lines[j].starts_with(&end)).expect("an end line");
                assert!(lines[i + 1..last].iter().all(|l| !l.starts_with(&end)));
                replies.push((code.to_owned(), lines[i..=last].iter().map(|l| (*l).to_owned()).collect()));
                i = last + 1;
            }
            _ => panic!("neither `xyz ` nor `xyz-`: {first:?}"),
        }
    }
    replies
}

/// Every multi-line reply the server writes, in every state it can write it, against RFC 959's multi-line grammar
/// and the extension's own grammar where it has one (FEAT: RFC 2389 §3.2; MLST: RFC 3659 §7.2). Also every reply
/// to every command before and after login is well-formed.
#[test]
fn multi_line_replies_follow_their_grammar() {
    /// (extension rule, config, command lines to run first, the command, the code of its multi-line reply)
    type Case = (&'static str, fn() -> Harness, &'static [&'static str], &'static str, &'static str);
    let greeting =
        || Harness::with(ServerConfig { greeting: "one\ntwo\n220 three".into(), ..Default::default() }, CLIENT, SERVER);
    let vhost = || {
        let two = VirtualHost { name: "two.example".into(), greeting: "two\n220 ready\n0 digits".into() };
        Harness::with(ServerConfig { vhosts: vec![two], ..Default::default() }, CLIENT, SERVER)
    };
    let cases: &[Case] = &[
        ("", greeting, &[], "", "220"),
        ("feat", Harness::new, &[], "FEAT", "211"),
        ("feat", Harness::logged_in, &[], "FEAT", "211"),
        ("", Harness::new, &[], "HELP", "214"),
        ("", Harness::logged_in, &[], "HELP", "214"),
        ("", Harness::logged_in, &[], "SITE HELP", "214"),
        ("", vhost, &[], "HOST two.example", "220"),
        ("", Harness::logged_in, &[], "STAT", "211"),
        ("", Harness::logged_in, &["TYPE A", "PASV"], "STAT", "211"),
        ("mlst", Harness::logged_in, &[], "MLST /readme.txt", "250"),
        ("mlst", Harness::logged_in, &[], "MLST", "250"),
        ("mlst", Harness::logged_in, &["CWD subdir"], "MLST nested.txt", "250"),
        ("stat", Harness::logged_in, &[], "STAT /", "213"),
        ("stat", Harness::logged_in, &[], "STAT /readme.txt", "213"),
        ("stat", Harness::logged_in, &["CWD subdir"], "STAT -l .", "213"),
    ];
    for (rule, make, before, command, code) in cases {
        let mut h = make();
        for line in *before {
            h.send(line);
        }
        let wire =
            if command.is_empty() { String::from_utf8(std::mem::take(&mut h.wire)).unwrap() } else { h.text(command) };
        let replies = rfc959_replies(&wire);
        let (got, lines) = replies.last().unwrap();
        assert_eq!(got, code, "{command:?}: {wire:?}");
        assert!(lines.len() > 2, "{command:?} is a multi-line reply: {wire:?}");
        let inner = &lines[1..lines.len() - 1];
        match *rule {
            "feat" => assert!(inner.iter().all(|l| l.starts_with(' ') && !l.starts_with("  ")), "{wire:?}"),
            // RFC 959 §4.2: an inner line without the code must not start with a digit (it would read as one).
            "stat" => assert!(inner.iter().all(|l| !l.starts_with(|c: char| c.is_ascii_digit())), "{wire:?}"),
            "mlst" => {
                assert_eq!(inner.len(), 1, "one entry line: {wire:?}");
                assert!(inner[0].starts_with(' ') && !inner[0].starts_with("  "), "{wire:?}");
                assert!(inner[0][1..].contains("; "), "facts, then SP, then the name: {wire:?}");
            }
            _ => {}
        }
    }
    // Every known verb (and a few unknown ones) with and without an argument, before and after login: every reply
    // is well-formed.
    for make in [Harness::new as fn() -> Harness, Harness::logged_in] {
        let mut h = make();
        h.take_codes();
        for verb in ftpkit_proto::command::KNOWN_VERBS.iter().chain(&["XYZZY", "XCRC"]) {
            if *verb == "QUIT" {
                continue;
            }
            for line in [verb.to_string(), format!("{verb} readme.txt")] {
                let wire = h.text(&line);
                if !wire.is_empty() {
                    rfc959_replies(&wire);
                }
            }
        }
    }
}

#[test]
fn paths_resolve_against_cwd_and_never_escape() {
    let cases: &[(&str, &str)] = &[
        ("SIZE ../../../readme.txt", "/readme.txt"),
        ("SIZE //subdir//nested.txt/", "/subdir/nested.txt"),
        ("SIZE ./x/../nested.txt", "/subdir/nested.txt"),
        ("SIZE nested.txt", "/subdir/nested.txt"),
        ("SIZE /..", "/"),
        ("DELE ..", "/"),
    ];
    let mut h = Harness::logged_in();
    h.send("CWD /subdir");
    for (line, want) in cases {
        h.send(line);
        let path = match h.last_request() {
            ServerRequest::Size { path, .. } | ServerRequest::Delete { path, .. } => path.as_str().to_owned(),
            other => panic!("{other:?}"),
        };
        assert_eq!(path, *want, "{line}");
    }
    let before = h.log.len();
    assert_eq!(h.feed(b"SIZE a\0b\r\n"), [501]);
    assert_eq!(h.send("SIZE a\\..\\..\\x"), [553]);
    assert_eq!(h.log.len(), before, "refused paths make no request");
    let mut h = Harness::with(ServerConfig { allow_backslash: true, ..Default::default() }, CLIENT, SERVER);
    h.send("USER a");
    h.send("PASS b");
    h.send("SIZE a\\b");
    assert!(matches!(h.last_request(), ServerRequest::Size { path, .. } if path.as_str() == "/a\\b"));
}

#[test]
fn rest_applies_to_the_next_transfer_only() {
    let mut h = Harness::logged_in();
    assert_eq!(h.send("REST 100"), [350]);
    h.send("PASV");
    assert_eq!(h.send("RETR readme.txt"), [150, 226]);
    assert!(h.log.iter().any(|r| matches!(r, ServerRequest::OpenRead { offset: 100, .. })));
    h.send("PASV");
    h.send("RETR readme.txt");
    assert!(matches!(
        h.log.iter().rev().find(|r| matches!(r, ServerRequest::OpenRead { .. })),
        Some(ServerRequest::OpenRead { offset: 0, .. })
    ));
    h.send("REST 7");
    h.send("PASV");
    h.send("STOR /upload/x");
    assert!(h.log.iter().any(|r| matches!(r, ServerRequest::OpenWrite { offset: 7, mode: WriteMode::Create, .. })));
    // REST then a transfer that fails still consumes the offset.
    h.send("REST 9");
    h.send("PASV");
    h.send("RETR nothing");
    h.send("PASV");
    h.send("RETR readme.txt");
    assert!(matches!(
        h.log.iter().rev().find(|r| matches!(r, ServerRequest::OpenRead { .. })),
        Some(ServerRequest::OpenRead { offset: 0, .. })
    ));
}

/// A back end that cannot append or write from an offset (an object store) gets 502/504 for those, before any data
/// connection; what it can do goes on as usual; a rename by copy says so.
#[test]
fn what_the_storage_cannot_do_is_refused_honestly() {
    let caps = StorageCaps::NONE;
    let mut h = Harness::with(ServerConfig { storage: caps, ..ServerConfig::default() }, CLIENT, SERVER);
    assert_eq!(h.take_codes(), [220]);
    assert_eq!(h.send("USER alice"), [331]);
    assert_eq!(h.send("PASS secret"), [230]);
    h.send("PASV");
    let opened = h.log.len();
    assert_eq!(h.send("APPE /upload/x"), [502]);
    assert_eq!(h.send("REST 7"), [350]);
    assert_eq!(h.send("STOR /upload/x"), [504]);
    assert!(!h.log[opened..].iter().any(|r| matches!(r, ServerRequest::OpenWrite { .. })), "{:?}", &h.log[opened..]);
    // REST still serves downloads, and a whole STOR goes ahead.
    assert_eq!(h.send("REST 7"), [350]);
    assert_eq!(h.send("RETR readme.txt"), [150, 226]);
    h.send("PASV");
    assert_eq!(h.send("STOR /upload/x"), [150, 226]);
    assert_eq!(h.send("RNFR readme.txt"), [350]);
    let reply = h.text("RNTO moved.txt");
    assert!(reply.starts_with("250 ") && reply.contains("not atomic"), "{reply}");
    // A directory cannot be renamed there: 504 at RNFR, and no RNTO is pending after it.
    let opened = h.log.len();
    let reply = h.text("RNFR /upload");
    assert!(reply.starts_with("504 ") && reply.contains("directory"), "{reply}");
    assert_eq!(h.send("RNTO /elsewhere"), [503]);
    assert!(!h.log[opened..].iter().any(|r| matches!(r, ServerRequest::Rename { .. })), "{:?}", &h.log[opened..]);
    // With the capability, a directory is renamed as a file is.
    let mut h = Harness::logged_in();
    assert_eq!(h.send("RNFR /upload"), [350]);
    assert_eq!(h.send("RNTO /elsewhere"), [250]);
}

#[test]
fn bounce_and_privileged_ports_refused_before_any_connection() {
    let cases: &[(&str, u16)] = &[
        ("PORT 192,0,2,8,200,1", 501),
        ("PORT 10,0,0,1,200,1", 501),
        ("PORT 192,0,2,7,0,80", 501),
        ("PORT 192,0,2,7,3,255", 501),
        ("PORT 192,0,2,7,4,0", 200),
        ("EPRT |1|192.0.2.8|51201|", 501),
        ("EPRT |2|2001:db8::1|51201|", 501),
        ("EPRT |1|192.0.2.7|1023|", 501),
        ("EPRT |1|192.0.2.7|1024|", 200),
        ("PORT 999,0,0,1,1,1", 501),
    ];
    for (line, want) in cases {
        let mut h = Harness::logged_in();
        assert_eq!(h.send(line), [*want], "{line}");
        assert_eq!(h.send("RETR readme.txt"), if *want == 200 { vec![150, 226] } else { vec![425] }, "{line}");
        if *want != 200 {
            assert!(!h.log.iter().any(|r| matches!(r, ServerRequest::ConnectActive { .. })), "{line}");
        }
    }
    // Policy off: both allowed.
    let config = ServerConfig { bounce_protection: false, refuse_privileged_ports: false, ..Default::default() };
    let mut h = Harness::with(config, CLIENT, SERVER);
    h.send("USER a");
    h.send("PASS b");
    assert_eq!(h.send("PORT 10,0,0,1,0,80"), [200]);
    h.send("RETR readme.txt");
    assert!(h
        .log
        .iter()
        .any(|r| matches!(r, ServerRequest::ConnectActive { addr, .. } if *addr == self::addr("10.0.0.1:80"))));
    // An IPv4-mapped control connection compares as IPv4.
    let mut h = Harness::with(ServerConfig::default(), "[::ffff:192.0.2.7]:50000", "[::ffff:192.0.2.1]:21");
    h.send("USER a");
    h.send("PASS b");
    assert_eq!(h.send("PORT 192,0,2,7,200,1"), [200]);
    assert_eq!(h.send("PASV"), [227]);
    // IPv6 control connection.
    let mut h = Harness::with(ServerConfig::default(), "[2001:db8::7]:50000", "[2001:db8::1]:21");
    h.send("USER a");
    h.send("PASS b");
    assert_eq!(h.send("EPRT |2|2001:db8::7|51201|"), [200]);
    assert_eq!(h.send("EPRT |1|192.0.2.7|51201|"), [501]);
    assert_eq!(h.send("PASV"), [425]);
    assert_eq!(h.send("EPSV 2"), [229]);
    assert_eq!(h.send("EPSV 1"), [522]);
}

/// The counters the adapters turn into metrics, counted where the session decides.
#[test]
fn stats_count_commands_replies_logins_transfers_and_data_failures() {
    let mut h = Harness::new();
    assert_eq!(h.take_codes(), [220]);
    h.send("USER a");
    assert_eq!(h.send("PASS bad"), [530]);
    h.send("USER a");
    assert_eq!(h.send("PASS good"), [230]);
    h.send("EPSV");
    assert_eq!(h.send("RETR readme.txt"), [150, 226]);
    h.send("EPSV");
    assert_eq!(h.send("STOR upload/x"), [150, 226]);
    h.send("EPSV");
    assert_eq!(h.send("NLST"), [150, 226]);
    assert_eq!(h.send("NOOP"), [200]);
    // A foreign passive connection, then none at all: 425 at the data timeout.
    h.auto_accept = false;
    h.send("EPSV");
    h.send("RETR readme.txt");
    assert_eq!(h.s.handle_data_accepted(addr("198.51.100.9:40000")), DataVerdict::Refuse(Refusal::ForeignPeer));
    h.fire(Duration::from_secs(31));
    assert_eq!(h.take_codes(), [425]);
    let st = *h.s.stats();
    assert_eq!(st.commands, 13);
    assert_eq!((st.logins, st.failed_logins), (1, 1));
    // 1xx: 150 x3; 2xx: 220, 230, 229 x4, 226 x3, 200; 3xx: 331 x2; 4xx: 425; 5xx: 530.
    assert_eq!(st.replies, [3, 10, 2, 1, 1]);
    assert_eq!((st.transfers.download, st.transfers.upload, st.transfers.listing), (1, 1, 1));
    assert_eq!((st.bytes.download, st.bytes.upload, st.bytes.listing), (48, 48, 48));
    assert_eq!((st.data_failures.refused_source, st.data_failures.no_connection), (1, 1));
    // One transfer-log event per transfer.
    let logged: Vec<_> = h.events.iter().filter(|e| matches!(e, ServerEvent::Transferred { .. })).collect();
    assert_eq!(logged.len(), 3, "{logged:?}");
    assert_eq!(
        logged[0],
        &ServerEvent::Transferred {
            direction: Direction::Download,
            path: "/readme.txt".into(),
            bytes: 48,
            completed: true
        }
    );
    assert!(matches!(logged[1], ServerEvent::Transferred { direction: Direction::Upload, completed: true, .. }));
    assert!(matches!(logged[2], ServerEvent::Transferred { direction: Direction::Listing, completed: true, .. }));
}

#[test]
fn foreign_data_source_refused_and_session_keeps_waiting() {
    let mut h = Harness::logged_in();
    h.auto_accept = false;
    assert_eq!(h.s.handle_data_accepted(addr("192.0.2.7:40000")), DataVerdict::Refuse(Refusal::NotListening));
    assert_eq!(h.send("EPSV"), [229]);
    assert_eq!(h.send("RETR readme.txt"), Vec::<u16>::new());
    assert_eq!(h.s.timer(), Some((TimeoutKind::DataConnect, h.now + Duration::from_secs(30))));
    assert_eq!(h.s.handle_data_accepted(addr("198.51.100.9:40000")), DataVerdict::Refuse(Refusal::ForeignPeer));
    h.drive();
    assert_eq!(h.take_codes(), Vec::<u16>::new());
    assert_eq!(h.s.handle_data_accepted(addr("192.0.2.7:40001")), DataVerdict::Use);
    h.drive();
    assert_eq!(h.take_codes(), [150, 226]);
    // The check can be turned off.
    let mut h = Harness::with(ServerConfig { check_data_source: false, ..Default::default() }, CLIENT, SERVER);
    h.send("USER a");
    h.send("PASS b");
    h.auto_accept = false;
    h.send("PASV");
    assert_eq!(h.s.handle_data_accepted(addr("198.51.100.9:40000")), DataVerdict::Use);
    assert_eq!(h.s.handle_data_accepted(addr("192.0.2.7:40000")), DataVerdict::Refuse(Refusal::AlreadyConnected));
    // Connected before the command: 125.
    assert_eq!(h.send("RETR readme.txt"), [125, 226]);
}

#[test]
fn passive_listener_outcomes() {
    let mut h = Harness::logged_in();
    h.auto = false;
    h.send("PASV");
    assert!(
        matches!(h.last_request(), ServerRequest::ListenPassive { ports, ip, .. } if *ports == (49152..=65534) && *ip == addr(SERVER).ip())
    );
    let texts = h.complete(Outcome::PassiveRangeExhausted);
    assert_eq!(texts, [425]);
    h.send("EPSV");
    let r = h.pending.remove(0);
    assert_eq!(
        h.s.complete(h.now, r.id(), Outcome::Bound(addr("192.0.2.1:0"))),
        Err(ServerError::UnexpectedOutcome { request: "listen_passive", outcome: "bound" })
    );
    h.drive();
    assert_eq!(h.take_codes(), [425]);
    h.send("EPSV");
    assert_eq!(h.complete(Outcome::Bound(addr("192.0.2.1:8080"))), [425]);
    h.send("EPSV");
    assert_eq!(h.complete(Outcome::Bound(addr("192.0.2.1:65534"))), [229]);
    assert_eq!(h.send("RETR readme.txt"), Vec::<u16>::new());
    // Unknown and stale ids.
    assert_eq!(h.s.complete(h.now, ServerRequestId::clone(&h.pending[0].id()), Outcome::Ok), Ok(()));
    h.pending.clear();
    let err = h.s.complete(h.now, h.log[0].id(), Outcome::Ok);
    assert_eq!(err, Ok(()), "an answer to a request no longer out is ignored");
}

#[test]
fn masquerade_choice() {
    let net = |a: &str, p| Ipv4Net { addr: a.parse().unwrap(), prefix: p };
    let m = Masquerade::ByNetwork {
        rules: vec![
            (net("10.0.0.0", 8), "10.0.0.1".parse().unwrap()),
            (net("0.0.0.0", 0), "203.0.113.5".parse().unwrap()),
        ],
        fallback: None,
    };
    let server = "192.0.2.1".parse().unwrap();
    assert_eq!(m.choose("10.9.9.9".parse().unwrap(), server), Some("10.0.0.1".parse().unwrap()));
    assert_eq!(m.choose("198.51.100.1".parse().unwrap(), server), Some("203.0.113.5".parse().unwrap()));
    let m = Masquerade::ByNetwork { rules: vec![(net("10.0.0.0", 8), "10.0.0.1".parse().unwrap())], fallback: None };
    assert_eq!(m.choose("198.51.100.1".parse().unwrap(), server), Some("192.0.2.1".parse().unwrap()));
    let m = Masquerade::ByNetwork {
        rules: vec![(net("10.0.0.0", 8), "10.0.0.1".parse().unwrap())],
        fallback: Some("203.0.113.9".parse().unwrap()),
    };
    assert_eq!(m.choose("198.51.100.1".parse().unwrap(), server), Some("203.0.113.9".parse().unwrap()));
    assert_eq!(
        m.choose("2001:db8::1".parse().unwrap(), "2001:db8::2".parse().unwrap()),
        Some("203.0.113.9".parse().unwrap())
    );
    assert_eq!(Masquerade::Off.choose("2001:db8::1".parse().unwrap(), "2001:db8::2".parse().unwrap()), None);
    // In a session.
    let config = ServerConfig { masquerade: Masquerade::One("203.0.113.5".parse().unwrap()), ..Default::default() };
    let mut h = Harness::with(config, CLIENT, SERVER);
    h.send("USER a");
    h.send("PASS b");
    assert_eq!(h.text("PASV"), "227 Entering Passive Mode (203,0,113,5,192,0).\r\n");
}

#[test]
fn epsv_all_refuses_the_others() {
    let mut h = Harness::logged_in();
    assert_eq!(h.send("EPSV ALL"), [200]);
    assert_eq!(h.send("PASV"), [501]);
    assert_eq!(h.send("PORT 192,0,2,7,200,1"), [501]);
    assert_eq!(h.send("EPRT |1|192.0.2.7|51201|"), [501]);
    assert_eq!(h.send("EPSV"), [229]);
    assert_eq!(h.send("LIST"), [150, 226]);
}

#[test]
fn new_data_channel_replaces_the_old() {
    let mut h = Harness::logged_in();
    h.send("PASV");
    assert!(!h.events.contains(&ServerEvent::CloseData));
    h.send("PORT 192,0,2,7,200,1");
    assert_eq!(h.events.iter().filter(|e| **e == ServerEvent::CloseData).count(), 1);
    h.send("EPSV");
    assert_eq!(h.events.iter().filter(|e| **e == ServerEvent::CloseData).count(), 2);
    h.send("RETR readme.txt");
    assert_eq!(h.events.iter().filter(|e| **e == ServerEvent::CloseData).count(), 3, "closed after the transfer");
    assert_eq!(h.send("RETR readme.txt"), [425], "one transfer per PASV");
}

#[test]
fn timeouts() {
    let mut h = Harness::logged_in();
    let idle = Duration::from_secs(300);
    assert_eq!(h.s.timer(), Some((TimeoutKind::Idle, h.now + idle)));
    assert_eq!(h.s.poll_timeout(), Some(h.now + idle));
    h.fire(Duration::from_secs(299)); // early: nothing happens
    assert_eq!(h.take_codes(), Vec::<u16>::new());
    h.auto_accept = false;
    h.send("PASV");
    assert_eq!(h.send("RETR readme.txt"), Vec::<u16>::new());
    assert_eq!(h.s.timer(), Some((TimeoutKind::DataConnect, h.now + Duration::from_secs(30))));
    h.fire(Duration::from_secs(29)); // early while waiting for data
    assert_eq!(h.take_codes(), Vec::<u16>::new());
    h.fire(Duration::from_secs(1));
    assert_eq!(h.take_codes(), [425]);
    let opened = h.log.iter().rev().find(|r| matches!(r, ServerRequest::OpenRead { .. })).unwrap().id();
    assert!(h.events.contains(&ServerEvent::Cancel { id: opened }));
    assert_eq!(h.events.last(), Some(&ServerEvent::CloseData));
    assert_eq!(h.s.timer(), Some((TimeoutKind::Idle, h.now + idle)), "the idle timer starts again");
    assert_eq!(h.send("NOOP"), [200]);
    h.fire(idle);
    assert_eq!(h.take_codes(), [421]);
    assert!(h.s.is_closed());
    assert_eq!(h.s.poll_timeout(), None);
    h.fire(idle); // after the close: harmless
    assert_eq!(h.take_codes(), Vec::<u16>::new());
    // Active connect that never finishes.
    let mut h = Harness::logged_in();
    h.send("PORT 192,0,2,7,200,1");
    h.auto = false;
    h.send("RETR readme.txt");
    let open = h.pending.remove(0);
    h.s.complete(h.now, open.id(), Outcome::Ok).unwrap();
    h.drive();
    assert!(matches!(h.pending[0], ServerRequest::ConnectActive { .. }));
    assert_eq!(h.s.timer().map(|t| t.0), Some(TimeoutKind::DataConnect));
    h.fire(Duration::from_secs(30));
    assert_eq!(h.take_codes(), [425]);
    assert!(h.events.contains(&ServerEvent::Cancel { id: h.pending[0].id() }));
}

/// A complete command restarts the idle timer; bytes of a line that does not end (a slowloris), or of an
/// over-long line, do not. Requests and their outcomes keep the running timer.
#[test]
fn idle_timer_restarts_on_complete_lines_only() {
    let mut h = Harness::logged_in();
    let idle = Duration::from_secs(300);
    let start = h.now;
    assert_eq!(h.s.poll_timeout(), Some(start + idle));
    h.now += Duration::from_secs(100);
    assert_eq!(h.send("NOOP"), [200]);
    assert_eq!(h.s.poll_timeout(), Some(h.now + idle), "a command restarts it");
    let restarted = h.now + idle;
    h.now += Duration::from_secs(100);
    assert_eq!(h.feed(b"NOOP NOOP NOOP"), Vec::<u16>::new());
    assert_eq!(h.s.poll_timeout(), Some(restarted), "a line without its end does not");
    h.now += Duration::from_secs(100);
    assert_eq!(h.feed(&[b'x'; 5000]), [500]);
    assert_eq!(h.s.poll_timeout(), Some(restarted), "nor does an over-long line");
    h.fire(restarted - h.now);
    assert_eq!(h.take_codes(), [421]);
    // A request answered later keeps the deadline of the command that asked for it.
    let mut h = Harness::logged_in();
    h.auto = false;
    h.send("SIZE readme.txt");
    let asked = h.s.poll_timeout().unwrap();
    h.now += Duration::from_secs(10);
    assert_eq!(h.complete(Outcome::Size(3)), [213]);
    assert_eq!(h.s.poll_timeout(), Some(asked));
}

/// `shutdown` abandons the request that is out, writes 421 and closes; later inputs are refused.
#[test]
fn shutdown_writes_421_and_closes() {
    let mut h = Harness::logged_in();
    h.auto = false;
    h.send("SIZE readme.txt");
    let size = h.pending[0].id();
    h.s.shutdown();
    h.drive();
    assert_eq!(String::from_utf8(std::mem::take(&mut h.wire)).unwrap(), "421 Server shutting down.\r\n");
    assert!(h.events.contains(&ServerEvent::Cancel { id: size }));
    assert_eq!(h.events.last(), Some(&ServerEvent::Close));
    assert!(h.s.is_closed());
    assert_eq!(h.s.poll_timeout(), None);
    h.s.shutdown(); // twice: harmless
    h.drive();
    assert!(h.wire.is_empty());
    assert_eq!(h.s.handle_input(h.now, b"NOOP\r\n"), Err(ServerError::Closed));
}

#[test]
fn abort() {
    // During the stream: 426 then 226, and the transfer and open requests are cancelled.
    let mut h = Harness::logged_in();
    h.send("PASV");
    h.auto = false;
    assert_eq!(h.send("RETR readme.txt"), Vec::<u16>::new());
    let open = h.pending.remove(0).id();
    h.s.complete(h.now, open, Outcome::Ok).unwrap();
    h.drive();
    assert_eq!(h.take_codes(), [150]);
    assert!(matches!(h.pending[0], ServerRequest::Transfer { opened, .. } if opened == open));
    assert_eq!(h.s.poll_timeout(), None, "no timer while data flows");
    assert_eq!(h.send("STAT"), [211], "STAT answered while data flows");
    assert_eq!(h.send("NOOP"), Vec::<u16>::new(), "other commands wait");
    assert_eq!(h.feed(b"\xff\xf4\xff\xf2ABOR\r\n"), [426, 226, 200]);
    let transfer = h.pending[0].id();
    assert!(h.events.contains(&ServerEvent::Cancel { id: transfer }));
    assert!(h.events.contains(&ServerEvent::Cancel { id: open }));
    assert_eq!(h.s.complete(h.now, transfer, Outcome::TransferDone { bytes: 1 }), Ok(()));
    h.drive();
    assert_eq!(h.take_codes(), Vec::<u16>::new(), "a late answer writes nothing");
    // While the file is being opened.
    let mut h = Harness::logged_in();
    h.send("PASV");
    h.auto = false;
    h.send("RETR readme.txt");
    assert_eq!(h.send("ABOR"), [426, 226]);
    // Nothing going.
    assert_eq!(h.send("ABOR"), [226]);
    // QUIT during a transfer waits for its end (RFC 959 s4.1.1).
    let mut h = Harness::logged_in();
    h.send("PASV");
    h.auto = false;
    h.send("RETR readme.txt");
    assert_eq!(h.send("QUIT"), Vec::<u16>::new());
    assert_eq!(h.complete(Outcome::Ok), [150]);
    assert_eq!(h.complete(Outcome::TransferDone { bytes: 48 }), [226, 221]);
    assert!(h.s.is_closed());
}

#[test]
fn transfer_outcomes() {
    let cases: &[(Outcome, u16)] = &[
        (Outcome::TransferDone { bytes: 0 }, 226),
        (Outcome::ConnectionLost, 426),
        (Outcome::NoSpace, 452),
        (Outcome::QuotaExceeded, 552),
        (Outcome::Failed("disk".into()), 451),
    ];
    for (outcome, want) in cases {
        let mut h = Harness::logged_in();
        h.send("EPSV");
        h.auto = false;
        h.send("STOR /upload/x");
        let open = h.pending.remove(0).id();
        h.s.complete(h.now, open, Outcome::Ok).unwrap();
        h.drive();
        assert_eq!(h.take_codes(), [150]);
        assert_eq!(h.complete(outcome.clone()), [*want], "{outcome:?}");
    }
    let open_cases: &[(&str, Outcome, u16)] = &[
        ("RETR x", Outcome::NotFound, 550),
        ("RETR x", Outcome::PermissionDenied, 550),
        ("RETR x", Outcome::Dir, 550),
        ("RETR x", Outcome::Failed("io".into()), 451),
        ("STOR x", Outcome::PermissionDenied, 553),
        ("STOR x", Outcome::NotFound, 553),
        ("STOR x", Outcome::NoSpace, 452),
        ("STOR x", Outcome::QuotaExceeded, 552),
        ("STOU", Outcome::UniqueName("../escape".into()), 451),
        ("LIST x", Outcome::NotFound, 550),
    ];
    for (line, outcome, want) in open_cases {
        let mut h = Harness::logged_in();
        h.send("EPSV");
        h.auto = false;
        h.send(line);
        assert_eq!(h.complete(outcome.clone()), [*want], "{line} {outcome:?}");
        assert!(h.events.contains(&ServerEvent::CloseData), "{line}");
    }
    // An outcome that answers another request: a failure reply and an error for the caller.
    let mut h = Harness::logged_in();
    h.auto = false;
    h.send("DELE readme.txt");
    let r = h.pending.remove(0);
    let err = h.s.complete(h.now, r.id(), Outcome::Size(5)).unwrap_err();
    assert_eq!(err, ServerError::UnexpectedOutcome { request: "delete", outcome: "size" });
    assert_eq!(err.kind(), ErrorKind::InvalidState);
    h.drive();
    assert_eq!(h.take_codes(), [550]);
    assert_eq!(h.s.complete(h.now, ServerRequestId::clone(&r.id()), Outcome::Ok), Ok(()));
}

#[test]
fn requests_carry_what_the_adapter_needs() {
    let mut h = Harness::logged_in();
    h.send("TYPE A");
    h.send("EPSV");
    h.send("LIST -l subdir");
    h.send("EPSV");
    h.send("NLST");
    h.send("EPSV");
    h.send("MLSD /upload");
    h.send("EPSV");
    h.send("APPE /upload/log");
    h.send("RNFR /readme.txt");
    h.send("RNTO /upload/r.txt");
    let lists: Vec<_> = h
        .log
        .iter()
        .filter_map(|r| match r {
            ServerRequest::List { path, kind, .. } => Some((path.as_str().to_owned(), *kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        lists,
        [
            ("/subdir".to_owned(), ListKind::Unix),
            ("/".to_owned(), ListKind::Names),
            ("/upload".to_owned(), ListKind::Mlsd)
        ]
    );
    assert!(h.log.iter().any(|r| matches!(
        r,
        ServerRequest::Transfer { data_type: ftpkit_proto::session::server::DataType::Ascii, .. }
    )));
    assert!(h.log.iter().any(
        |r| matches!(r, ServerRequest::OpenWrite { mode: WriteMode::Append, path, .. } if path.as_str() == "/upload/log")
    ));
    assert!(h.log.iter().any(|r| matches!(r, ServerRequest::Rename { from, to, .. } if from.as_str() == "/readme.txt" && to.as_str() == "/upload/r.txt")));
    let names: Vec<_> = h.log.iter().map(ServerRequest::name).collect();
    assert!(names.contains(&"transfer") && names.contains(&"list") && names.contains(&"rename"));
}

#[test]
fn bad_lines_get_an_error_reply_and_the_session_goes_on() {
    let mut h = Harness::logged_in();
    let long = format!("RETR {}\r\n", "x".repeat(5000));
    assert_eq!(h.feed(long.as_bytes()), [500]);
    assert_eq!(h.feed(b"RETR \xe9t\xe9\r\n"), [501]);
    assert_eq!(h.feed(b"RETR a\0b\r\n"), [501]);
    assert_eq!(h.feed(b"\r\n"), [500]);
    assert_eq!(h.feed(b" NOOP\r\n"), [500]);
    assert_eq!(h.feed(b"NOOP x\r\n"), [501]);
    assert_eq!(h.send("NOOP"), [200]);
}

#[test]
fn pipelined_commands_wait_their_turn_and_floods_close() {
    let mut h = Harness::logged_in();
    h.auto = false;
    assert_eq!(h.feed(b"SIZE readme.txt\r\nNOOP\r\nPWD\r\n"), Vec::<u16>::new());
    assert_eq!(h.complete(Outcome::Size(48)), [213, 200, 257]);
    h.feed(b"SIZE readme.txt\r\n");
    let flood = "NOOP\r\n".repeat(ftpkit_proto::session::server::MAX_QUEUED_COMMANDS + 1);
    assert_eq!(h.feed(flood.as_bytes()), [421]);
    assert!(h.s.is_closed());
    assert!(h.events.contains(&ServerEvent::Cancel { id: h.pending[0].id() }));
}

/// The client's commands of an `ftp -d` transcript and the server codes printed after each.
fn ftp_d_exchanges(text: &str) -> Vec<(String, Vec<u16>)> {
    let mut out: Vec<(String, Vec<u16>)> = Vec::new();
    for line in text.lines() {
        if let Some(cmd) = line.strip_prefix("---> ") {
            out.push((cmd.to_owned(), Vec::new()));
        } else if let Some((_, codes)) = out.last_mut() {
            let b = line.as_bytes();
            if b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b' ' {
                let code: u16 = line[..3].parse().unwrap();
                if codes.last() != Some(&code) {
                    codes.push(code);
                }
            }
        }
    }
    out
}

#[test]
fn seed_transcripts_replayed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    for file in ["seed-active.ftp-d.txt", "seed-passive.ftp-d.txt"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let exchanges = ftp_d_exchanges(&text);
        assert!(exchanges.len() >= 5, "{file}");
        let mut h = Harness::with(ServerConfig::default(), "192.168.150.80:1026", "192.168.150.90:21");
        assert_eq!(h.take_codes(), [220]);
        for (cmd, want) in &exchanges {
            // `PASS XXXX`: the client hides the password; any password logs in here.
            let got = h.send(cmd);
            assert_eq!(&got, want, "{file}: {cmd}");
        }
        assert!(h.s.is_closed(), "{file}");
        let sent: Vec<_> = exchanges.iter().map(|(c, _)| c.split(' ').next().unwrap()).collect();
        assert!(sent.contains(&"LIST") && sent.contains(&"QUIT"), "{file}: {sent:?}");
    }
}

#[test]
fn real_client_transcripts_replayed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/transcripts");
    for server in ["vsftpd", "pureftpd", "pyftpdlib"] {
        for mode in ["active", "passive"] {
            let file = format!("{server}-{mode}.ftp-d.txt");
            let text = std::fs::read_to_string(dir.join(&file)).unwrap();
            let mut h = Harness::with(
                ServerConfig { anonymous: true, ..Default::default() },
                "127.0.0.1:40000",
                "127.0.0.1:2121",
            );
            h.take_codes();
            for (cmd, theirs) in ftp_d_exchanges(&text) {
                if cmd.starts_with("USER") && theirs == [230] {
                    // vsftpd logs anonymous in on USER; ftpkit always asks for a password.
                    assert_eq!(h.send(&cmd), [331], "{file}");
                    assert_eq!(h.send("PASS guest@"), [230], "{file}");
                    continue;
                }
                let ours = h.send(&cmd);
                let fixed: Vec<u16> = match (cmd.split(' ').next().unwrap(), theirs.as_slice()) {
                    ("PASS", _) => vec![230],
                    // Some servers answer with 125 where the data connection was already open.
                    (_, [125, 226]) => vec![150, 226],
                    _ => theirs.clone(),
                };
                assert_eq!(ours, fixed, "{file}: {cmd}");
            }
            assert!(h.s.is_closed(), "{file}");
        }
    }
}

#[test]
fn real_session_commands_replayed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/transcripts");
    for server in ["vsftpd", "pureftpd", "pyftpdlib"] {
        let text = std::fs::read_to_string(dir.join(format!("{server}-session.jsonl"))).unwrap();
        let mut h =
            Harness::with(ServerConfig { anonymous: true, ..Default::default() }, "127.0.0.1:40000", "127.0.0.1:2121");
        h.take_codes();
        for (i, line) in text.lines().enumerate() {
            let v: Value = serde_json::from_str(line).unwrap();
            let Some(sent) = v["sent"].as_str() else { continue };
            let reply = v["reply_text"].as_str().unwrap();
            let theirs: u16 = reply[..3].parse().unwrap();
            let ours = h.send(sent);
            // Where ftpkit answers differently from the peer, on purpose.
            let want: Vec<u16> = match (sent, theirs) {
                ("USER anonymous", 230) => vec![331], // vsftpd logs anonymous in on USER
                ("PASS anything", _) => vec![230],
                ("OPTS UTF8 ON", 504) => vec![200], // Pure-FTPd without its charset option
                ("MLSD", 500) => vec![150, 226],    // vsftpd has no MLSD
                ("PORT 999,0,0,1,1,1", 500) => vec![501], // vsftpd says 500; the argument is the problem
                ("LIST" | "MLSD" | "NLST", _) => vec![150, 226], // the reply_bytes hold both
                _ => vec![theirs],
            };
            assert_eq!(ours, want, "{server}-session.jsonl line {}: {sent}", i + 1);
        }
        assert!(h.s.is_closed(), "{server}");
    }
}

/// A whole session's bytes, and the wire it produces.
fn run_bytes(chunks: &[&[u8]]) -> (Vec<u8>, Vec<ServerRequest>) {
    let mut h = Harness::new();
    for c in chunks {
        if h.s.is_closed() {
            assert!(c.is_empty(), "bytes after QUIT");
            continue;
        }
        h.s.handle_input(h.now, c).unwrap();
        h.drive();
    }
    (h.wire, h.log)
}

#[test]
fn split_at_every_offset() {
    let session: &[u8] =
        b"USER alice\r\nPASS secret\r\nSYST\r\nTYPE I\r\nCWD subdir\r\nPWD\r\nEPSV\r\nRETR nested.txt\r\n\
PORT 192,0,2,7,200,1\r\nLIST\r\nREST 5\r\nSIZE nested.txt\r\nRNFR nested.txt\r\nRNTO n2.txt\r\nXYZZY\r\nQUIT\r\n";
    let (whole, whole_log) = run_bytes(&[session]);
    assert!(whole.ends_with(b"221 Goodbye.\r\n"));
    for at in 0..=session.len() {
        let (a, b) = session.split_at(at);
        let (wire, log) = run_bytes(&[a, b]);
        assert_eq!(wire, whole, "split at {at}");
        assert_eq!(log, whole_log, "split at {at}");
    }
    let bytes: Vec<&[u8]> = session.chunks(1).collect();
    assert_eq!(run_bytes(&bytes).0, whole, "byte by byte");
}

/// The shared and own vectors: every command vector gets one final reply (never a panic); every invalid command
/// vector gets its reply hint; ftpkit-server.jsonl vectors get their exact codes in their state.
#[test]
fn vectors() {
    for v in common::of_kind("command") {
        let mut h = Harness::logged_in();
        let mut bytes = v.input_bytes();
        if !bytes.ends_with(b"\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        h.s.handle_input(h.now, &bytes).unwrap();
        h.drive();
        let codes = h.take_codes();
        assert!(!codes.is_empty(), "{}", v.at());
        assert!(codes.iter().all(|c| (100..600).contains(c)), "{}: {codes:?}", v.at());
    }
    let invalid = common::invalid_as("command");
    assert!(!invalid.is_empty());
    for v in invalid {
        let mut h = Harness::logged_in();
        let mut bytes = v.input_bytes();
        if !bytes.ends_with(b"\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        h.s.handle_input(h.now, &bytes).unwrap();
        h.drive();
        // The one vector without a hint is the empty line: 500 (RFC 959 s5.3, a command code is required).
        let hint = v.expect["hint"].as_u64().unwrap_or(500) as u16;
        assert_eq!(h.take_codes(), [hint], "{}", v.at());
    }
    let own = common::of_kind("server");
    assert!(own.len() >= 40, "ftpkit-server.jsonl vectors: {}", own.len());
    for v in own {
        let state = v.expect["state"].as_str().unwrap();
        let mut h = match state {
            "fresh" => Harness::new(),
            "user" => {
                let mut h = Harness::new();
                h.send("USER alice");
                h
            }
            "anonymous" => {
                let mut h = Harness::with(ServerConfig { anonymous: true, ..Default::default() }, CLIENT, SERVER);
                h.send("USER anonymous");
                h.send("PASS x");
                h
            }
            "logged_in" => Harness::logged_in(),
            "passive" => {
                let mut h = Harness::logged_in();
                h.send("PASV");
                h
            }
            "epsv_all" => {
                let mut h = Harness::logged_in();
                h.send("EPSV ALL");
                h
            }
            "rnfr" => {
                let mut h = Harness::logged_in();
                h.send("RNFR readme.txt");
                h
            }
            other => panic!("{}: unknown state {other}", v.at()),
        };
        h.take_codes();
        h.s.handle_input(h.now, &v.input_bytes()).unwrap();
        h.drive();
        let want: Vec<u16> = v.expect["codes"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as u16).collect();
        assert_eq!(h.take_codes(), want, "{}", v.at());
    }
}

#[derive(Debug, Clone)]
enum Step {
    Line(String),
    Answer(u8),
    Accept(bool),
    Timeout(bool),
}

fn line() -> impl Strategy<Value = String> {
    let verbs = prop::sample::select(vec![
        "USER alice",
        "PASS x",
        "PASS bad",
        "USER anonymous",
        "QUIT",
        "NOOP",
        "PWD",
        "CWD subdir",
        "CDUP",
        "CWD ..",
        "TYPE A",
        "TYPE I",
        "REST 5",
        "PASV",
        "EPSV",
        "EPSV ALL",
        "PORT 192,0,2,7,200,1",
        "PORT 10,0,0,1,0,80",
        "EPRT |1|192.0.2.7|51201|",
        "RETR readme.txt",
        "STOR /upload/x",
        "APPE x",
        "STOU",
        "LIST",
        "NLST -la",
        "MLSD",
        "MLST x",
        "SIZE readme.txt",
        "MDTM x",
        "DELE x",
        "MKD d",
        "RMD d",
        "RNFR readme.txt",
        "RNTO y",
        "ABOR",
        "STAT",
        "FEAT",
        "HELP",
        "SYST",
        "XYZZY",
        "OPTS UTF8 ON",
        "MODE B",
        "STRU R",
        "AUTH TLS",
        "",
    ]);
    prop_oneof![
        verbs.prop_map(str::to_owned),
        "[ -~]{0,20}",
        any::<String>().prop_map(|s| s.chars().take(12).collect())
    ]
}

fn outcome(n: u8) -> Outcome {
    match n % 19 {
        0 => Outcome::Ok,
        1 => Outcome::Dir,
        2 => Outcome::File,
        3 => Outcome::Size(7),
        4 => Outcome::Time(DateTime::new(2024, 2, 29, 23, 59, 0, 0).unwrap()),
        5 => Outcome::Bound(addr("192.0.2.1:50000")),
        6 => Outcome::Bound(addr("192.0.2.1:0")),
        7 => Outcome::LoggedIn(Access::ReadOnly),
        8 => Outcome::LoggedIn(Access::ReadWrite),
        9 => Outcome::Denied,
        10 => Outcome::UniqueName("u".into()),
        11 => Outcome::TransferDone { bytes: 3 },
        12 => Outcome::ConnectionLost,
        13 => Outcome::NotFound,
        14 => Outcome::PermissionDenied,
        15 => Outcome::Exists,
        16 => Outcome::NoSpace,
        17 => Outcome::PassiveRangeExhausted,
        _ => Outcome::Failed("x".into()),
    }
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => line().prop_map(Step::Line),
        3 => any::<u8>().prop_map(Step::Answer),
        1 => any::<bool>().prop_map(Step::Accept),
        1 => any::<bool>().prop_map(Step::Timeout),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Resolving gives a normalised path that resolves to itself again, from any directory.
    #[test]
    fn resolve_is_normal_and_idempotent(cwd in "(/?[a.]{0,3}){0,5}", arg in "(/?[a.b]{0,3}){0,6}") {
        let base = VirtualPath::root().resolve(&cwd).unwrap();
        let p = base.resolve(&arg).unwrap();
        prop_assert!(p.as_str().starts_with('/'));
        prop_assert!(p.is_root() || !p.as_str().ends_with('/'));
        prop_assert!(p.segments().all(|s| !s.is_empty() && s != "." && s != ".."));
        prop_assert_eq!(VirtualPath::root().resolve(p.as_str()).unwrap(), p.clone());
        prop_assert_eq!(base.resolve(p.as_str()).unwrap(), p);
    }

    /// Any sequence of command lines, outcomes, data connections and timeouts never panics, every reply is
    /// well-formed, at most one request is out, and QUIT closes.
    #[test]
    fn never_panics_and_quit_closes(steps in prop::collection::vec(step(), 0..40)) {
        let mut now = epoch();
        let mut s = ServerSession::new(ServerConfig { anonymous: true, ..Default::default() }, addr(CLIENT), addr(SERVER), now);
        let mut out = Vec::new();
        let mut pending: Vec<ServerRequestId> = Vec::new();
        let drain = |s: &mut ServerSession, pending: &mut Vec<ServerRequestId>, out: &mut Vec<u8>| {
            while let Some(b) = s.poll_transmit() { out.extend_from_slice(&b); }
            while let Some(e) = s.poll_event() {
                if let ServerEvent::Cancel { id } = e { pending.retain(|p| *p != id); }
            }
            while let Some(r) = s.poll_request() { pending.push(r.id()); }
        };
        drain(&mut s, &mut pending, &mut out);
        for st in steps {
            if s.is_closed() { break; }
            match st {
                Step::Line(l) => { s.handle_input(now, format!("{l}\r\n").as_bytes()).unwrap(); }
                Step::Answer(n) => {
                    if let Some(id) = pending.first().copied() {
                        pending.remove(0);
                        let _ = s.complete(now, id, outcome(n));
                    }
                }
                Step::Accept(own) => {
                    let peer = if own { "192.0.2.7:40000" } else { "198.51.100.1:40000" };
                    let _ = s.handle_data_accepted(addr(peer));
                }
                Step::Timeout(due) => {
                    // Due: the clock reaches the deadline; else an early call, which must change nothing.
                    if let Some(at) = s.poll_timeout().filter(|_| due) { now = now.max(at); }
                    s.handle_timeout(now);
                }
            }
            drain(&mut s, &mut pending, &mut out);
            prop_assert!(pending.len() <= 1 || s.is_closed(), "more than one request out: {pending:?}");
        }
        if !s.is_closed() {
            // QUIT closes whatever is going on.
            s.handle_input(now, b"QUIT\r\n").unwrap();
            let mut spins = 0;
            while !s.is_closed() && spins < 100 {
                drain(&mut s, &mut pending, &mut out);
                if let Some(id) = pending.first().copied() {
                    pending.remove(0);
                    let _ = s.complete(now, id, Outcome::Failed("x".into()));
                }
                spins += 1;
            }
            drain(&mut s, &mut pending, &mut out);
            prop_assert!(s.is_closed());
            prop_assert!(out.ends_with(b"221 Goodbye.\r\n"));
        }
        let mut d = ReplyDecoder::default();
        d.feed(&out);
        while let Some(r) = d.decode_owned().unwrap() { prop_assert!((100..600).contains(&r.code.get())); }
        prop_assert_eq!(d.buffered(), 0);
    }
}
