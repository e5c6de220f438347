//! Unit tests of the server session's internals: the transition table walked row by row, the gate, the failure
//! tables.

use super::commands::{gate, strip_list_options};
use super::outcomes::{failure, open_failure};
use super::*;
use machine::{Next, TRANSITIONS};
use std::cell::RefCell;
use std::net::IpAddr;
use std::time::Duration;

thread_local! {
    /// Every move the sessions of this thread made: (before, input, after).
    static MOVES: RefCell<Vec<(ServerState, ServerInput, ServerState)>> = const { RefCell::new(Vec::new()) };
}

pub(super) fn record(before: ServerState, input: ServerInput, after: ServerState) {
    MOVES.with(|m| m.borrow_mut().push((before, input, after)));
}

/// A session on virtual time with its outputs drained after every input.
struct T {
    s: ServerSession,
    now: Instant,
    out: Vec<ServerRequest>,
}

impl T {
    fn new(config: ServerConfig) -> T {
        let now = Instant::now();
        let client = SocketAddr::from(([192, 0, 2, 7], 50000));
        let server = SocketAddr::from(([192, 0, 2, 1], 21));
        let mut t = T { s: ServerSession::new(config, client, server, now), now, out: Vec::new() };
        t.drain();
        t
    }
    fn logged_in() -> T {
        let mut t = T::new(ServerConfig { anonymous: true, ..ServerConfig::default() });
        t.lines(&["USER ftp", "PASS x"]);
        let mut rw = T::new(ServerConfig::default());
        rw.lines(&["USER u", "PASS p"]);
        rw.answer(Outcome::LoggedIn(Access::ReadWrite));
        drop(t);
        rw
    }
    fn drain(&mut self) {
        while self.s.poll_transmit().is_some() {}
        while let Some(e) = self.s.poll_event() {
            if let ServerEvent::Cancel { id } = e {
                self.out.retain(|r| r.id() != id);
            }
        }
        while let Some(r) = self.s.poll_request() {
            self.out.push(r);
        }
    }
    fn lines(&mut self, lines: &[&str]) {
        for l in lines {
            let _ = self.s.handle_input(self.now, format!("{l}\r\n").as_bytes());
            self.drain();
        }
    }
    fn answer(&mut self, o: Outcome) {
        let r = self.out.remove(0);
        let _ = self.s.complete(self.now, r.id(), o);
        self.drain();
    }
    fn accept(&mut self) {
        let _ = self.s.handle_data_accepted(SocketAddr::from(([192, 0, 2, 7], 40000)));
        self.drain();
    }
    fn timeout(&mut self) {
        self.now += Duration::from_secs(1000);
        self.s.handle_timeout(self.now);
        self.drain();
    }
}

/// Sessions driven through every row of the transition table: each row is taken at least once (and every
/// move made is a row, which `step` asserts as it goes).
#[test]
fn every_transition_row_is_taken() {
    let bound = Outcome::Bound(SocketAddr::from(([192, 0, 2, 1], 50000)));
    // Logging in, and what comes before it.
    let mut t = T::new(ServerConfig::default());
    t.lines(&["PASS x", "FEAT", "CWD x", "RETR x", "STAT", "ABOR", "", "USER a", "USER b", "FEAT", "PASS p"]);
    t.answer(Outcome::Denied);
    t.lines(&["USER a", "PASS p"]);
    t.lines(&["NOOP", "CWD x", "STAT", "ABOR", "USER c", "PASS d", "RETR x", "", "QUIT"]); // queued
    t.answer(Outcome::LoggedIn(Access::ReadWrite));
    let mut t = T::new(ServerConfig { max_failed_logins: 1, ..ServerConfig::default() });
    t.lines(&["USER a", "PASS p"]);
    t.answer(Outcome::Denied);
    let mut t = T::new(ServerConfig::default());
    t.lines(&["USER a", "PASS p"]);
    t.answer(Outcome::Throttled);
    let mut t = T::new(ServerConfig { anonymous: true, ..ServerConfig::default() });
    t.lines(&["USER ftp", "PASS x", "USER a", "PASS b", "NOOP", "STAT", "ABOR", "", "RNTO x", "RETR x"]);
    t.timeout();
    // Security commands.
    let tls = ServerConfig {
        tls: TlsPolicy { available: true, allow_ccc: true, ..TlsPolicy::default() },
        ..ServerConfig::default()
    };
    let mut t = T::new(tls.clone());
    t.lines(&["USER a", "AUTH TLS"]);
    let mut t = T::new(tls.clone());
    t.lines(&["AUTH TLS", "AUTH TLS", "PBSZ 0", "PROT P", "CCC", "USER a", "AUTH TLS"]);
    let mut t = T::new(ServerConfig { tls: TlsPolicy::required(), ..ServerConfig::default() });
    t.lines(&["USER a", "PBSZ 0", "CCC"]);
    let mut t = T::new(tls);
    t.lines(&["AUTH TLS", "USER a", "PASS p", "PBSZ 0"]); // queued while authenticating
    t.answer(Outcome::LoggedIn(Access::ReadWrite));
    t.lines(&["PROT P", "AUTH TLS", "CCC"]);
    let mut t = T::new(ServerConfig::default());
    t.lines(&["QUIT"]);
    t.accept();
    t.answer_stale();
    // Requests and transfers.
    let mut t = T::logged_in();
    t.lines(&["SIZE x"]);
    t.answer(Outcome::Size(1));
    t.lines(&["STAT x"]);
    t.answer(Outcome::Lines(vec![String::from("-rw-r--r-- 1 0 0 1 Jan 01 2024 x")]));
    t.lines(&["STAT a\\b"]); // a refused path: 553, no request
    t.lines(&["PORT 192,0,2,7,200,1", "RETR x"]);
    t.answer(Outcome::Ok);
    t.answer(Outcome::Ok); // connected
    t.answer(Outcome::TransferDone { bytes: 1 });
    t.lines(&["PORT 192,0,2,7,200,1", "RETR x"]);
    t.answer(Outcome::Ok);
    t.answer(Outcome::Failed("x".into())); // not connected
    t.lines(&["PORT 192,0,2,7,200,1", "RETR x"]);
    t.answer(Outcome::NotFound);
    t.lines(&["PASV"]);
    t.answer(bound.clone());
    t.lines(&["RETR x"]);
    t.answer(Outcome::Ok);
    t.timeout(); // no data connection came
    t.lines(&["PASV"]);
    t.answer(bound.clone());
    t.lines(&["RETR x"]);
    t.answer(Outcome::Ok);
    t.accept();
    t.lines(&["STAT", "ABOR"]);
    t.lines(&["PASV"]);
    t.answer(bound.clone());
    t.accept();
    t.lines(&["RETR x"]);
    t.answer(Outcome::Ok); // already connected: straight to streaming
    t.answer_stale();
    t.s.shutdown();
    t.answer_stale(); // after the close
                      // A full queue closes, whatever the line that overflows it.
    for last in ["STAT", "ABOR", "USER a", "PASS b", "QUIT", "NOOP", "CWD x", "RETR x", "PBSZ 0", ""] {
        let mut t = T::logged_in();
        t.lines(&["SIZE x"]);
        for _ in 0..MAX_QUEUED_COMMANDS {
            t.lines(&["NOOP"]);
        }
        t.lines(&[last]);
        assert!(t.s.is_closed(), "{last:?}");
    }
    let moves = MOVES.with(|m| m.borrow().clone());
    for row in TRANSITIONS {
        let taken = moves.iter().any(|&(b, i, a)| {
            i == row.input
                && row.from.contains(&b)
                && match row.to {
                    Next::Same => a == b,
                    Next::To(s) => a == s,
                }
        });
        assert!(taken, "row never taken: {row:?}");
    }
}

impl T {
    /// Answer a request id that is no longer out (or never was answered before a close).
    fn answer_stale(&mut self) {
        let _ = self.s.complete(self.now, ServerRequestId(1), Outcome::Ok);
        self.drain();
    }
}

#[test]
fn gate_table() {
    let cases: &[(&str, LoginGate)] = &[
        ("USER a", LoginGate::Always),
        ("PASS a", LoginGate::Always),
        ("QUIT", LoginGate::Always),
        ("FEAT", LoginGate::Always),
        ("SYST", LoginGate::Always),
        ("HELP", LoginGate::Always),
        ("NOOP", LoginGate::Always),
        ("AUTH TLS", LoginGate::Always),
        ("PBSZ 0", LoginGate::Always),
        ("XYZZY", LoginGate::Always),
        ("PWD", LoginGate::Login),
        ("RETR x", LoginGate::Read),
        ("LIST", LoginGate::Read),
        ("PORT 1,2,3,4,5,6", LoginGate::Login),
        ("ABOR", LoginGate::Login),
        ("ACCT x", LoginGate::Login),
        ("CWD x", LoginGate::Login),
        ("NLST", LoginGate::Read),
        ("MLSD", LoginGate::Read),
        ("MLST x", LoginGate::Read),
        ("SIZE x", LoginGate::Read),
        ("MDTM x", LoginGate::Read),
        ("STOR x", LoginGate::Write),
        ("APPE x", LoginGate::Write),
        ("STOU", LoginGate::Write),
        ("DELE x", LoginGate::Delete),
        ("MKD x", LoginGate::Mkdir),
        ("XMKD x", LoginGate::Mkdir),
        ("RMD x", LoginGate::Delete),
        ("XRMD x", LoginGate::Delete),
        ("RNFR x", LoginGate::Rename),
        ("RNTO x", LoginGate::Rename),
    ];
    for (line, want) in cases {
        assert_eq!(gate(&Command::parse(line).unwrap()), *want, "{line}");
    }
}

#[test]
fn list_options() {
    let cases: &[(&str, &str)] = &[
        ("", ""),
        ("-la", ""),
        ("-l -a", ""),
        ("-la dir", "dir"),
        ("  -a  dir x", "dir x"),
        ("dir", "dir"),
        ("./-odd", "./-odd"),
    ];
    for (arg, want) in cases {
        assert_eq!(strip_list_options(arg), *want, "{arg:?}");
    }
}

#[test]
fn networks_and_canonical() {
    let net = Ipv4Net { addr: Ipv4Addr::new(10, 1, 2, 3), prefix: 8 };
    assert!(net.contains(Ipv4Addr::new(10, 200, 0, 1)));
    assert!(!net.contains(Ipv4Addr::new(11, 0, 0, 1)));
    assert!(Ipv4Net { addr: Ipv4Addr::UNSPECIFIED, prefix: 0 }.contains(Ipv4Addr::BROADCAST));
    let host = Ipv4Net { addr: Ipv4Addr::new(192, 0, 2, 1), prefix: 40 };
    assert!(host.contains(Ipv4Addr::new(192, 0, 2, 1)));
    assert!(!host.contains(Ipv4Addr::new(192, 0, 2, 2)));
    let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
    assert_eq!(canonical(mapped), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    assert_eq!(canonical(v6), v6);
}

#[test]
fn clean_replaces_controls() {
    assert_eq!(clean("a\r\nb\0c\u{7f}"), "a??b?c?");
    assert_eq!(clean("café"), "café");
}

#[test]
fn failure_tables() {
    let cwd = Op::Cwd { path: VirtualPath::root() };
    let cases: &[(&Op, Outcome, u16)] = &[
        (&cwd, Outcome::File, 550),
        (&cwd, Outcome::NotFound, 550),
        (&Op::Rename, Outcome::Exists, 553),
        (&Op::Delete, Outcome::PermissionDenied, 550),
        (&Op::Size, Outcome::Dir, 550),
        (&Op::Listen { reply: Passive::Epsv }, Outcome::PassiveRangeExhausted, 425),
        (&Op::Listen { reply: Passive::Pasv(Ipv4Addr::LOCALHOST) }, Outcome::Failed(String::new()), 425),
        (&Op::Mkdir { path: VirtualPath::root() }, Outcome::NoSpace, 452),
    ];
    for (op, o, want) in cases {
        assert_eq!(failure(op, o).0.get(), *want, "{op:?} {o:?}");
    }
    let open: &[(XferCmd, Outcome, u16)] = &[
        (XferCmd::Retr, Outcome::NotFound, 550),
        (XferCmd::Retr, Outcome::Dir, 550),
        (XferCmd::Stor, Outcome::PermissionDenied, 553),
        (XferCmd::Appe, Outcome::Exists, 553),
        (XferCmd::Stou, Outcome::QuotaExceeded, 552),
        (XferCmd::List(ListKind::Unix), Outcome::Failed(String::new()), 451),
    ];
    for (cmd, o, want) in open {
        assert_eq!(open_failure(*cmd, o).0.get(), *want, "{cmd:?} {o:?}");
    }
}

/// The replies of a session on `config` to `lines`, one per line (the greeting left out), with its events.
fn replies(config: ServerConfig, implicit: bool, lines: &[&str]) -> (Vec<String>, Vec<ServerEvent>) {
    let now = Instant::now();
    let (client, server) = (SocketAddr::from(([192, 0, 2, 7], 50000)), SocketAddr::from(([192, 0, 2, 1], 21)));
    let mut s = if implicit {
        ServerSession::new_implicit_tls(config, client, server, now)
    } else {
        ServerSession::new(config, client, server, now)
    };
    let mut text = Vec::new();
    let mut events = Vec::new();
    while let Some(b) = s.poll_transmit() {
        text.extend_from_slice(&b);
    }
    text.clear();
    for l in lines {
        let _ = s.handle_input(now, format!("{l}\r\n").as_bytes());
        loop {
            while let Some(b) = s.poll_transmit() {
                text.extend_from_slice(&b);
            }
            while let Some(e) = s.poll_event() {
                events.push(e);
            }
            let Some(r) = s.poll_request() else { break };
            let o = match r {
                ServerRequest::Authenticate { .. } => Outcome::LoggedIn(Access::ReadWrite),
                ServerRequest::ListenPassive { .. } => Outcome::Bound(SocketAddr::from(([192, 0, 2, 1], 50000))),
                _ => Outcome::Ok,
            };
            let _ = s.complete(now, r.id(), o);
        }
    }
    let text = String::from_utf8(text).unwrap_or_default();
    (text.lines().map(|l| l[..3.min(l.len())].to_owned()).collect(), events)
}

fn tls_on() -> ServerConfig {
    ServerConfig { tls: TlsPolicy { available: true, ..TlsPolicy::default() }, ..ServerConfig::default() }
}

#[test]
fn ftps_command_replies() {
    // (config, implicit, lines, replies)
    let required = ServerConfig { tls: TlsPolicy::required(), ..ServerConfig::default() };
    let ccc = ServerConfig {
        tls: TlsPolicy { available: true, allow_ccc: true, ..TlsPolicy::default() },
        ..ServerConfig::default()
    };
    let cases: Vec<(ServerConfig, bool, Vec<&str>, Vec<&str>)> = vec![
        // No certificate: AUTH is not implemented, PBSZ/PROT are out of sequence.
        (ServerConfig::default(), false, vec!["AUTH TLS", "PBSZ 0", "PROT P"], vec!["502", "503", "503"]),
        (tls_on(), false, vec!["AUTH TLS"], vec!["234"]),
        (tls_on(), false, vec!["AUTH KERBEROS_V4"], vec!["504"]),
        (tls_on(), false, vec!["PBSZ 0", "PROT P"], vec!["503", "503"]),
        (
            tls_on(),
            false,
            vec!["AUTH TLS", "PROT P", "PBSZ 0", "PROT S", "PROT E", "PROT C", "PROT P"],
            vec!["234", "503", "200", "536", "536", "200", "200"],
        ),
        (tls_on(), false, vec!["AUTH TLS", "AUTH TLS"], vec!["234", "503"]),
        (tls_on(), true, vec!["AUTH TLS", "PBSZ 0", "PROT P"], vec!["503", "200", "200"]),
        // TLS required: USER in clear refused, a transfer under PROT C refused (521), PROT P served.
        (required.clone(), false, vec!["USER a"], vec!["530"]),
        (
            required.clone(),
            false,
            vec!["AUTH TLS", "USER a", "PASS b", "PASV", "RETR x", "PBSZ 0", "PROT P", "PASV", "RETR x"],
            vec!["234", "331", "230", "227", "521", "200", "200", "227"],
        ),
        (required.clone(), false, vec!["AUTH TLS", "USER a", "PASS b", "CCC"], vec!["234", "331", "230", "534"]),
        (ccc.clone(), false, vec!["CCC"], vec!["533"]),
        (
            ccc.clone(),
            false,
            vec!["AUTH TLS", "USER a", "PASS b", "CCC", "CCC"],
            vec!["234", "331", "230", "200", "533"],
        ),
        (ccc, false, vec!["AUTH TLS", "CCC"], vec!["234", "534"]),
        (tls_on(), false, vec!["USER a", "PASS b", "AUTH TLS"], vec!["331", "230", "503"]),
    ];
    for (config, implicit, lines, want) in cases {
        let (got, _) = replies(config, implicit, &lines);
        assert_eq!(got, want, "{lines:?}");
    }
}

#[test]
fn auth_starts_tls_and_drops_what_came_after_it_in_clear() {
    let now = Instant::now();
    let (client, server) = (SocketAddr::from(([192, 0, 2, 7], 50000)), SocketAddr::from(([192, 0, 2, 1], 21)));
    let mut s = ServerSession::new(tls_on(), client, server, now);
    while s.poll_transmit().is_some() {}
    // A STARTTLS-style injection: a command pipelined in clear behind AUTH must not run under TLS.
    s.handle_input(now, b"USER a\r\nAUTH TLS\r\nPASS injected\r\n").unwrap();
    let mut text = Vec::new();
    while let Some(b) = s.poll_transmit() {
        text.extend_from_slice(&b);
    }
    assert_eq!(s.poll_event(), Some(ServerEvent::StartTls));
    assert!(s.poll_request().is_none(), "the PASS sent in clear after AUTH ran");
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("331 ") && text.contains("\r\n234 ") && !text.contains("503"), "{text}");
    assert!(s.control_protected() && !s.data_protected());
    assert_eq!(s.state(), ServerState::AwaitUser);
    // AUTH SSL implies a protected data channel.
    let mut s = ServerSession::new(tls_on(), client, server, now);
    s.handle_input(now, b"AUTH SSL\r\n").unwrap();
    assert!(s.data_protected());
}

#[test]
fn feat_lists_tls_only_when_available_and_verdicts_follow_the_policy() {
    let feat = |config: ServerConfig| {
        let now = Instant::now();
        let mut s = ServerSession::new(
            config,
            SocketAddr::from(([192, 0, 2, 7], 1)),
            SocketAddr::from(([192, 0, 2, 1], 21)),
            now,
        );
        while s.poll_transmit().is_some() {}
        s.handle_input(now, b"FEAT\r\n").unwrap();
        let mut t = Vec::new();
        while let Some(b) = s.poll_transmit() {
            t.extend_from_slice(&b);
        }
        String::from_utf8(t).unwrap()
    };
    let with = feat(tls_on());
    assert!(with.contains(" AUTH TLS\r\n") && with.contains(" PBSZ\r\n") && with.contains(" PROT\r\n"), "{with}");
    let without = feat(ServerConfig::default());
    assert!(!without.contains("AUTH") && !without.contains("PBSZ") && !without.contains("PROT"), "{without}");
    let now = Instant::now();
    let (c, sv) = (SocketAddr::from(([192, 0, 2, 7], 1)), SocketAddr::from(([192, 0, 2, 1], 21)));
    for (reuse, want) in
        [(TlsReuse::Require, TlsVerdict::Refuse), (TlsReuse::Warn, TlsVerdict::Warn), (TlsReuse::Off, TlsVerdict::Use)]
    {
        let config = ServerConfig {
            tls: TlsPolicy { available: true, reuse, ..TlsPolicy::default() },
            ..ServerConfig::default()
        };
        let s = ServerSession::new(config, c, sv, now);
        assert_eq!(s.data_tls_verdict(false), want);
        assert_eq!(s.data_tls_verdict(true), TlsVerdict::Use);
    }
}

#[test]
fn a_refused_or_failed_data_handshake_is_a_reply() {
    for (outcome, code) in [(Outcome::TlsNotResumed, "522"), (Outcome::TlsHandshakeFailed, "425")] {
        let mut t = T::new(ServerConfig { tls: TlsPolicy::required(), ..ServerConfig::default() });
        let mut text = Vec::new();
        for l in ["AUTH TLS", "USER a", "PASS b"] {
            t.s.handle_input(t.now, format!("{l}\r\n").as_bytes()).unwrap();
            while let Some(r) = t.s.poll_request() {
                let _ = t.s.complete(t.now, r.id(), Outcome::LoggedIn(Access::ReadWrite));
            }
        }
        t.drain();
        t.lines(&["PBSZ 0", "PROT P", "PASV"]);
        t.answer(Outcome::Bound(SocketAddr::from(([192, 0, 2, 1], 50000))));
        t.lines(&["RETR x"]);
        t.answer(Outcome::Ok);
        t.accept();
        assert!(t.s.data_protected());
        let r = t.out.remove(0);
        let _ = t.s.complete(t.now, r.id(), outcome);
        while let Some(b) = t.s.poll_transmit() {
            text.extend_from_slice(&b);
        }
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with(code), "{text}");
        assert_eq!(t.s.state(), ServerState::Ready);
    }
}

/// The text the session writes for `lines`, after a read-write login, answering every request with `answer`.
fn wire(lines: &[&str], answer: impl Fn(&ServerRequest) -> Outcome) -> String {
    wire_as(ServerConfig::default(), "u", lines, answer)
}

/// [`wire`] on `config` (anonymous logins on) after logging in as `user` (`ftp`: anonymous, read-only).
fn wire_as(config: ServerConfig, user: &str, lines: &[&str], answer: impl Fn(&ServerRequest) -> Outcome) -> String {
    let mut t = T::new(ServerConfig { anonymous: true, ..config });
    t.lines(&[&format!("USER {user}"), "PASS p"]);
    if !t.out.is_empty() {
        t.answer(Outcome::LoggedIn(Access::ReadWrite));
    }
    let mut wire = Vec::new();
    for l in lines {
        let _ = t.s.handle_input(t.now, format!("{l}\r\n").as_bytes());
        loop {
            while let Some(b) = t.s.poll_transmit() {
                wire.extend_from_slice(&b);
            }
            while t.s.poll_event().is_some() {}
            let Some(r) = t.s.poll_request() else { break };
            let _ = t.s.complete(t.now, r.id(), answer(&r));
        }
    }
    String::from_utf8(wire).unwrap()
}

/// Whether the 214 HELP reply in `text` names `verb`.
fn help_lists(text: &str, verb: &str) -> bool {
    text.lines().filter(|l| l.starts_with("214")).any(|l| l[4..].split_whitespace().any(|w| w == verb))
}

#[test]
fn stat_with_a_path_is_the_listing_on_the_control_connection() {
    let listing = |r: &ServerRequest| match r {
        ServerRequest::ListLines { path, max, .. } if path.as_str() == "/pub" => {
            assert_eq!(*max, MAX_STAT_LINES);
            Outcome::Lines(vec![
                String::from("drwxr-xr-x 2 0 0 4096 Jan 01 2024 sub"),
                String::from("-rw-r--r-- 1 0 0 5 Jan 01 2024 a b"),
                String::from("213 x"),
                String::from("0-leading digit"),
            ])
        }
        ServerRequest::ListLines { .. } => Outcome::NotFound,
        _ => Outcome::Failed("not here".into()),
    };
    assert_eq!(
        wire(&["STAT /pub"], listing),
        "213-Status of /pub:\r\ndrwxr-xr-x 2 0 0 4096 Jan 01 2024 sub\r\n-rw-r--r-- 1 0 0 5 Jan 01 2024 a b\r\n \
         213 x\r\n 0-leading digit\r\n213 End of status.\r\n"
    );
    // ls options are skipped as for LIST; a relative path resolves against the working directory.
    assert!(wire(&["STAT -la /pub"], listing).starts_with("213-Status of /pub:\r\n"));
    assert_eq!(wire(&["STAT /nope"], listing), "550 No such file or directory.\r\n");
    assert_eq!(wire(&["STAT a\\b"], listing), "553 File name not allowed: it holds '\\'.\r\n");
    // A listing longer than the limit is cut, and the last line says so.
    let long = |_: &ServerRequest| Outcome::Lines(vec![String::from("x"); MAX_STAT_LINES + 5]);
    let text = wire(&["STAT /"], long);
    assert_eq!(text.lines().filter(|l| *l == "x").count(), MAX_STAT_LINES);
    assert!(text.ends_with("213 End of status: cut at 10000 lines; use LIST or MLSD for the rest.\r\n"), "{text}");
    assert_eq!(text.lines().count(), MAX_STAT_LINES + 2);
    // Without a path STAT is still the session's status, and needs no request.
    assert!(wire(&["STAT"], |_| Outcome::Failed("no request".into())).starts_with("211-ftpkit status:"));
}

#[test]
fn mfmt_sets_the_time_and_is_offered_only_when_the_storage_can() {
    let set = |r: &ServerRequest| match r {
        ServerRequest::SetMtime { path, time, .. } if path.as_str() == "/a b.txt" => {
            assert_eq!((time.to_unix(), time.nanosecond()), (1_704_164_645, 0));
            Outcome::Ok
        }
        ServerRequest::SetMtime { .. } => Outcome::NotFound,
        _ => Outcome::Failed("not here".into()),
    };
    assert_eq!(wire(&["MFMT 20240102030405 a b.txt"], set), "213 Modify=20240102030405; a b.txt\r\n");
    // A fraction is read and dropped (whole seconds are kept).
    assert_eq!(wire(&["MFMT 20240102030405.5 /a b.txt"], set), "213 Modify=20240102030405; /a b.txt\r\n");
    assert_eq!(wire(&["MFMT 20240102030405 nothing"], set), "550 No such file or directory.\r\n");
    for bad in ["MFMT 20240102030405", "MFMT x y", "MFMT 2024010203040 y", "MFMT 20241302030405 y", "MFMT  y"] {
        assert!(wire(&[bad], set).starts_with("501 "), "{bad}");
    }
    assert!(wire(&["FEAT"], set).contains("\r\n MFMT\r\n"));
    assert!(help_lists(&wire(&["HELP"], set), "MFMT"));
    // A back end that cannot set times: 502, and neither FEAT nor HELP lists MFMT.
    let no_mtime = ServerConfig { storage: StorageCaps { set_mtime: false, ..StorageCaps::ALL }, ..Default::default() };
    let text = wire_as(no_mtime.clone(), "u", &["FEAT", "HELP", "MFMT 20240102030405 x"], set);
    let (lists, last) = text.rsplit_once("214 Help OK.\r\n").unwrap();
    assert!(!lists.contains("MFMT"), "{text}");
    assert_eq!(last, "502 MFMT is not supported by this server's storage.\r\n");
    let text = wire_as(no_mtime, "ftp", &["MFMT 20240102030405 x"], set);
    assert_eq!(text, "550 Permission denied: read-only session.\r\n");
}

#[test]
fn hash_replies_with_the_chosen_algorithm_and_feat_stars_it() {
    let hash = |r: &ServerRequest| match r {
        ServerRequest::Hash { path, algorithm, .. } if path.as_str() == "/f" => {
            Outcome::Hash { size: 3, digest: (0..algorithm.digest_len() as u8).collect() }
        }
        ServerRequest::Hash { path, .. } if path.as_str() == "/d" => Outcome::Dir,
        ServerRequest::Hash { path, .. } if path.as_str() == "/short" => Outcome::Hash { size: 3, digest: vec![1] },
        _ => Outcome::NotFound,
    };
    let sha256: String = (0..32u8).map(|b| format!("{b:02x}")).collect();
    assert_eq!(wire(&["HASH f"], hash), format!("213 SHA-256 0-3 {sha256} f\r\n"));
    assert!(wire(&["FEAT"], hash).contains("\r\n HASH SHA-256*;SHA-1;MD5\r\n"));
    let text = wire(&["OPTS HASH", "OPTS HASH md5", "OPTS HASH", "FEAT", "HASH /f"], hash);
    let md5: String = (0..16u8).map(|b| format!("{b:02x}")).collect();
    assert!(text.starts_with("200 SHA-256\r\n200 MD5\r\n200 MD5\r\n211-Features:\r\n"), "{text}");
    assert!(text.contains("\r\n HASH SHA-256;SHA-1;MD5*\r\n"), "{text}");
    assert!(text.ends_with(&format!("213 MD5 0-3 {md5} /f\r\n")), "{text}");
    let text = wire(&["OPTS HASH SHA-1", "HASH f"], hash);
    assert!(text.starts_with("200 SHA-1\r\n213 SHA-1 0-3 000102030405060708090a0b0c0d0e0f10111213 f\r\n"), "{text}");
    // An unknown algorithm keeps the one in use.
    let text = wire(&["OPTS HASH CRC32", "OPTS HASH"], hash);
    assert_eq!(text, "501 Unknown algorithm: use SHA-256, SHA-1 or MD5.\r\n200 SHA-256\r\n");
    assert_eq!(wire(&["HASH d"], hash), "550 Not a plain file.\r\n");
    assert_eq!(wire(&["HASH nothing"], hash), "550 No such file or directory.\r\n");
    // A digest of the wrong length is the adapter's bug: 451, never a wrong hash on the wire.
    assert_eq!(wire(&["HASH short"], hash), "451 Hash failed: local error.\r\n");
    let mut t = T::new(ServerConfig::default());
    t.lines(&["HASH f"]);
    assert!(t.out.is_empty(), "no request before login");
}

#[test]
fn site_chmod_for_writers_on_a_storage_with_permissions_and_site_help() {
    let chmod = |r: &ServerRequest| match r {
        ServerRequest::Chmod { path, mode, .. } if path.as_str() == "/f" => {
            assert_eq!(*mode, 0o640);
            Outcome::Ok
        }
        ServerRequest::Chmod { .. } => Outcome::NotFound,
        _ => Outcome::Failed("not here".into()),
    };
    assert_eq!(wire(&["SITE CHMOD 640 f"], chmod), "200 SITE CHMOD command ok.\r\n");
    assert_eq!(wire(&["site chmod 0640 /f"], chmod), "200 SITE CHMOD command ok.\r\n");
    assert_eq!(wire(&["SITE CHMOD 640 nothing"], chmod), "550 No such file or directory.\r\n");
    for bad in ["SITE CHMOD 640", "SITE CHMOD 9 f", "SITE CHMOD 17777 f", "SITE CHMOD rwx f", "SITE CHMOD"] {
        assert_eq!(wire(&[bad], chmod), "501 Use SITE CHMOD <octal mode, 0-7777> <path>.\r\n", "{bad}");
    }
    assert_eq!(
        wire(&["SITE HELP"], chmod),
        "214-The following SITE commands are recognized.\r\n214- CHMOD HELP\r\n214 Help OK.\r\n"
    );
    assert_eq!(wire(&["SITE EXEC ls"], chmod), "500 Unknown SITE command; SITE HELP lists them.\r\n");
    assert!(help_lists(&wire(&["HELP"], chmod), "SITE"));
    // A read-only login, and a storage without permissions.
    let lines = ["SITE CHMOD 640 f", "SITE HELP"];
    assert!(wire_as(ServerConfig::default(), "ftp", &lines, chmod)
        .starts_with("550 Permission denied: read-only session.\r\n"));
    let no_chmod =
        ServerConfig { storage: StorageCaps { chmod: false, ..StorageCaps::ALL }, ..ServerConfig::default() };
    assert_eq!(
        wire_as(no_chmod, "u", &lines, chmod),
        "502 SITE CHMOD is not supported by this server's storage.\r\n\
         214-The following SITE commands are recognized.\r\n214- HELP\r\n214 Help OK.\r\n"
    );
}

#[test]
fn clnt_lang_and_host() {
    let none = |_: &ServerRequest| Outcome::Failed("no request".into());
    let vhosts = ServerConfig {
        vhosts: vec![
            VirtualHost { name: "one.example".into(), greeting: "one ready".into() },
            VirtualHost { name: "two.example".into(), greeting: "two\nready".into() },
        ],
        ..ServerConfig::default()
    };
    // Before login: CLNT, LANG and HOST (RFC 2640, RFC 7151).
    let (codes, _) =
        replies(vhosts.clone(), false, &["CLNT FileZilla 3.66", "LANG", "LANG en-GB", "LANG fr", "HOST x"]);
    assert_eq!(codes, ["200", "200", "200", "504", "504"]);
    let mut t = T::new(vhosts.clone());
    t.lines(&["CLNT Filezilla\u{7}", "HOST TWO.example"]);
    assert_eq!(t.s.client_name(), Some("Filezilla?"));
    assert_eq!(t.s.host().map(|h| h.name.as_str()), Some("two.example"));
    t.lines(&["HOST one.example", "USER u", "HOST two.example"]);
    assert_eq!(t.s.host().map(|h| h.name.as_str()), Some("one.example"), "HOST after USER changes nothing");
    let text = wire_as(vhosts.clone(), "u", &["HOST two.example", "FEAT", "HELP", "LANG EN"], none);
    assert!(text.starts_with("503 HOST must come before USER and PASS.\r\n211-Features:\r\n CLNT\r\n"), "{text}");
    assert!(text.contains("\r\n HOST\r\n") && text.contains("\r\n LANG EN*\r\n"), "{text}");
    assert!(["CLNT", "HOST", "LANG"].iter().all(|v| help_lists(&text, v)), "{text}");
    assert!(text.ends_with("200 Language set to EN.\r\n"), "{text}");
    // The greeting of the host chosen, as multi-line as the main one.
    let mut t = T::new(vhosts);
    let _ = t.s.handle_input(t.now, b"HOST two.example\r\n");
    assert_eq!(t.s.poll_transmit().map(|b| String::from_utf8(b).unwrap()).as_deref(), Some("220-two\r\n220 ready\r\n"));
    // No virtual hosts configured: HOST is 502 and FEAT does not offer it.
    let text = wire_as(ServerConfig::default(), "u", &["FEAT"], none);
    assert!(!text.contains("HOST"), "{text}");
    let (codes, _) = replies(ServerConfig::default(), false, &["HOST a"]);
    assert_eq!(codes, ["502"]);
}

#[test]
fn lpsv_and_lprt_answered_in_the_session() {
    let bound = |r: &ServerRequest| match r {
        ServerRequest::ListenPassive { ip, ports, .. } => Outcome::Bound(SocketAddr::new(*ip, *ports.start())),
        ServerRequest::ConnectActive { .. } => Outcome::Ok,
        _ => Outcome::Failed("not here".into()),
    };
    // 49152 = 192*256 + 0.
    assert_eq!(wire(&["LPSV"], bound), "228 Entering Long Passive Mode (4,4,192,0,2,1,2,192,0)\r\n");
    let masq = ServerConfig { masquerade: Masquerade::One(Ipv4Addr::new(203, 0, 113, 5)), ..ServerConfig::default() };
    assert_eq!(wire_as(masq, "u", &["LPSV"], bound), "228 Entering Long Passive Mode (4,4,203,0,113,5,2,192,0)\r\n");
    // LPRT: the client's own address and an unprivileged port; the same bounce and privileged-port checks as PORT.
    assert_eq!(wire(&["LPRT 4,4,192,0,2,7,2,4,1"], bound), "200 LPRT command successful.\r\n");
    assert_eq!(
        wire(&["LPRT 4,4,192,0,2,8,2,4,1"], bound),
        "501 LPRT refused: address 192.0.2.8 is not your own (FTP bounce).\r\n"
    );
    assert_eq!(
        wire(&["LPRT 4,4,192,0,2,7,2,0,21"], bound),
        "501 LPRT refused: port 21 is privileged (below 1024).\r\n"
    );
    assert!(wire(&["LPRT 4,4,192,0,2"], bound).starts_with("501 "));
    assert_eq!(
        wire(&["EPSV ALL", "LPSV", "LPRT 4,4,192,0,2,7,2,4,1"], bound)
            .lines()
            .skip(1)
            .map(|l| &l[..3])
            .collect::<Vec<_>>(),
        ["501", "501"]
    );
    // A transfer after LPRT connects to the address it named.
    let mut t = T::logged_in();
    t.lines(&["LPRT 4,4,192,0,2,7,2,4,1", "RETR x"]);
    t.answer(Outcome::Ok);
    assert!(
        matches!(&t.out[..], [ServerRequest::ConnectActive { addr, .. }] if *addr == SocketAddr::from(([192, 0, 2, 7], 1025)))
    );
    // On IPv6, LPSV names the server's own IPv6 address (family 6, 16 address bytes).
    let (client, server): (SocketAddr, SocketAddr) =
        ("[2001:db8::7]:50000".parse().unwrap(), "[2001:db8::1]:21".parse().unwrap());
    let now = Instant::now();
    let mut s = ServerSession::new(ServerConfig { anonymous: true, ..ServerConfig::default() }, client, server, now);
    let mut text = Vec::new();
    for l in ["USER ftp", "PASS x", "LPSV", "LPRT 6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,7,2,4,1"] {
        let _ = s.handle_input(now, format!("{l}\r\n").as_bytes());
        while let Some(b) = s.poll_transmit() {
            text.clear();
            text.extend_from_slice(&b);
        }
        if let Some(r) = s.poll_request() {
            let _ = s.complete(now, r.id(), bound(&r));
            while let Some(b) = s.poll_transmit() {
                text.clear();
                text.extend_from_slice(&b);
            }
            assert_eq!(
                String::from_utf8(text.clone()).unwrap(),
                "228 Entering Long Passive Mode (6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,1,2,192,0)\r\n"
            );
        }
    }
    assert_eq!(String::from_utf8(text).unwrap(), "200 LPRT command successful.\r\n");
}

#[test]
fn opts_mlst_chooses_the_facts_feat_lists_and_mlst_and_mlsd_write() {
    use crate::listing::{DateTime, Entry, EntryKind, ListFormat, MlstFacts};
    let entry = |r: &ServerRequest| match r {
        ServerRequest::Stat { .. } => {
            let mut e = Entry::new("f", EntryKind::File, ListFormat::Unix);
            (e.size, e.unix_mode, e.modified) = (Some(3), Some(0o640), DateTime::from_unix(0, 0));
            Outcome::Entry(Box::new(e))
        }
        _ => Outcome::Failed("not here".into()),
    };
    let text = wire(&["FEAT", "MLST f"], entry);
    assert!(text.contains("\r\n MLST type*;size*;modify*;UNIX.mode*;\r\n"), "{text}");
    assert!(
        text.ends_with("250-Listing /f\r\n type=file;size=3;modify=19700101000000;UNIX.mode=0640; /f\r\n250 End\r\n")
    );
    // Unknown facts are left out, letter case does not matter, the reply names what was chosen.
    let text = wire(&["OPTS MLST Size;unix.MODE;perm;", "FEAT", "MLST f"], entry);
    assert!(text.starts_with("200 MLST OPTS size;UNIX.mode;\r\n"), "{text}");
    assert!(text.contains("\r\n MLST type;size*;modify;UNIX.mode*;\r\n"), "{text}");
    assert!(text.ends_with("250-Listing /f\r\n size=3;UNIX.mode=0640; /f\r\n250 End\r\n"), "{text}");
    // No list: no facts (RFC 3659 §7.9).
    assert!(wire(&["OPTS MLST", "MLST f"], entry).starts_with("200 MLST OPTS\r\n250-Listing /f\r\n  /f\r\n"));
    // MLSD's request carries the choice to the adapter.
    let mut t = T::logged_in();
    t.lines(&["OPTS MLST type;modify;", "PASV"]);
    t.answer(Outcome::Bound(SocketAddr::from(([192, 0, 2, 1], 50000))));
    t.lines(&["MLSD"]);
    let want = MlstFacts::from_opts("type;modify;");
    assert!(matches!(&t.out[..], [ServerRequest::List { kind: ListKind::Mlsd, facts, .. }] if *facts == want));
    assert!(want.has("TYPE") && want.has("modify") && !want.has("size") && !want.has("perm"));
    assert_eq!(
        (MlstFacts::ALL.list(), MlstFacts::NONE.feat_params()),
        ("type;size;modify;UNIX.mode;".to_owned(), "type;size;modify;UNIX.mode;".to_owned())
    );
}

/// HELP names exactly the verbs this session answers: with everything offered (TLS with CCC, virtual hosts, a
/// storage that can do everything), every verb HELP lists gets a reply other than 500/502, and the verbs it leaves
/// out are exactly those answered 502 (or 202 for ALLO: superfluous). Without TLS, CCC or virtual hosts, their
/// verbs leave HELP and FEAT.
#[test]
fn help_lists_exactly_what_is_implemented() {
    let everything = ServerConfig {
        tls: TlsPolicy { available: true, allow_ccc: true, ..TlsPolicy::default() },
        vhosts: vec![VirtualHost { name: "a".into(), greeting: "a".into() }],
        ..ServerConfig::default()
    };
    let any = |r: &ServerRequest| match r {
        ServerRequest::ListenPassive { ip, ports, .. } => Outcome::Bound(SocketAddr::new(*ip, *ports.start())),
        _ => Outcome::NotFound,
    };
    let help = wire_as(everything.clone(), "u", &["HELP"], any);
    let listed: Vec<&str> = crate::command::VERBS.iter().map(|v| v.name).filter(|v| help_lists(&help, v)).collect();
    let unlisted: Vec<&str> = crate::command::VERBS.iter().map(|v| v.name).filter(|v| !help_lists(&help, v)).collect();
    assert_eq!(unlisted, ["REIN", "ACCT", "SMNT", "ADAT", "MIC", "CONF", "ENC", "ALLO"], "{help}");
    for verb in &listed {
        let arg = match *verb {
            "SITE" => "HELP",
            "PORT" => "192,0,2,7,4,1",
            "EPRT" => "|1|192.0.2.7|1025|",
            "LPRT" => "4,4,192,0,2,7,2,4,1",
            "TYPE" => "I",
            "MODE" => "S",
            "STRU" => "F",
            "REST" => "0",
            "PBSZ" => "0",
            "PROT" => "C",
            "AUTH" => "TLS",
            "HOST" | "LANG" => "a",
            "OPTS" => "UTF8 ON",
            "MFMT" => "20240101000000 x",
            "EPSV" => "1",
            _ => "x",
        };
        // A verb that takes no argument is sent bare.
        let line = format!("{verb} {arg}");
        let text = wire_as(everything.clone(), "u", &[&line], any);
        let text =
            if text.contains("takes no argument") { wire_as(everything.clone(), "u", &[verb], any) } else { text };
        assert!(!text.starts_with("500") && !text.starts_with("502") && !text.starts_with("501"), "{line}: {text}");
    }
    for verb in &unlisted {
        let text = wire_as(everything.clone(), "u", &[&format!("{verb} 1")], any);
        let text =
            if text.contains("takes no argument") { wire_as(everything.clone(), "u", &[verb], any) } else { text };
        assert!(text.starts_with("502") || text.starts_with("202"), "{verb}: {text}");
    }
    let plain = wire_as(ServerConfig::default(), "u", &["HELP", "FEAT"], any);
    for verb in ["AUTH", "PBSZ", "PROT", "CCC", "HOST"] {
        assert!(!help_lists(&plain, verb) && !plain.contains(&format!(" {verb}\r\n")), "{verb}: {plain}");
    }
}
