//! The driver's rules, on virtual time: no socket, no clock.

use super::*;
use crate::reply::Code;
use std::net::SocketAddr;

const SERVER: &str = "192.0.2.10:21";
const LOCAL: &str = "192.0.2.20:40000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A driver with its virtual clock, and everything it said.
struct Rig {
    d: ClientDriver,
    now: Instant,
    wire: Vec<u8>,
    actions: Vec<Action>,
}

impl Rig {
    fn new(edit: impl FnOnce(&mut DriverConfig)) -> Rig {
        let mut config = DriverConfig::new(addr(SERVER), addr(LOCAL));
        config.trace = true;
        edit(&mut config);
        let now = Instant::now();
        Rig { d: ClientDriver::new(config, now), now, wire: Vec::new(), actions: Vec::new() }
    }

    /// A greeted, logged-in rig (no FEAT, no TYPE: the login is one exchange).
    fn logged_in(edit: impl FnOnce(&mut DriverConfig)) -> Rig {
        let mut r = Rig::new(|c| {
            c.feat_after_login = false;
            c.binary_after_login = false;
            edit(c);
        });
        r.reply("220 hi\r\n");
        assert!(matches!(r.done(), Some(Ok(Outcome::Greeting(_)))));
        r.start(Call::Login { user: "u".into(), password: "p".into(), account: None });
        r.reply("230 in\r\n");
        assert!(matches!(r.done(), Some(Ok(Outcome::LoggedIn(_)))));
        r.wire.clear();
        r
    }

    fn start(&mut self, call: Call) {
        self.d.start(call, self.now).unwrap();
    }

    fn reply(&mut self, text: &str) {
        self.d.handle_control(self.now, text.as_bytes());
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.d.handle_timeout(self.now);
    }

    /// Drains the actions; returns the call's result when it ended.
    fn done(&mut self) -> Option<Result<Outcome, DriverError>> {
        while let Some(a) = self.d.poll_action() {
            match a {
                Action::Done(r) => return Some(r),
                Action::Send(b) => self.wire.extend_from_slice(&b),
                a => self.actions.push(a),
            }
        }
        None
    }

    fn sent(&self) -> String {
        String::from_utf8_lossy(&self.wire).into_owned()
    }

    fn took(&mut self, want: &Action) -> bool {
        let found = self.actions.iter().any(|a| a == want);
        self.actions.clear();
        found
    }
}

#[test]
fn login_is_user_pass_feat_type_and_a_refused_feat_is_no_error() {
    let mut r = Rig::new(|_| {});
    r.reply("220 hi\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Greeting(_)))));
    r.start(Call::Login { user: "alice".into(), password: "secret".into(), account: None });
    for (reply, more) in [("331 pw\r\n", true), ("230 in\r\n", true), ("502 no FEAT\r\n", true), ("200 I\r\n", false)] {
        r.reply(reply);
        let d = r.done();
        assert_eq!(d.is_none(), more, "after {reply:?}: {d:?}");
        if let Some(d) = d {
            assert!(matches!(d, Ok(Outcome::LoggedIn(ref rep)) if rep.code == Code::LOGGED_IN), "{d:?}");
        }
    }
    assert_eq!(r.sent(), "USER alice\r\nPASS secret\r\nFEAT\r\nTYPE I\r\n");
    // The trace masks the password.
    assert!(r.took(&Action::Trace(TraceLine::Sent("PASS XXXX".into()))));
}

#[test]
fn a_refused_login_ends_the_call_with_login_failed() {
    let mut r = Rig::new(|_| {});
    r.reply("220 hi\r\n");
    r.done();
    r.start(Call::Login { user: "a".into(), password: "b".into(), account: None });
    r.reply("331 pw\r\n530 no\r\n");
    assert!(matches!(r.done(), Some(Err(DriverError::LoginFailed(_)))));
    assert!(!r.d.is_busy());
}

#[test]
fn a_reply_timeout_closes_the_session() {
    let mut r = Rig::logged_in(|c| c.reply_timeout = Duration::from_secs(5));
    r.start(Call::Pwd);
    assert_eq!(r.d.poll_timeout(), Some(r.now + Duration::from_secs(5)));
    r.advance(Duration::from_secs(4));
    assert!(r.done().is_none(), "an early timeout call is harmless");
    r.advance(Duration::from_secs(1));
    assert_eq!(r.done(), Some(Err(DriverError::Timeout("a reply"))));
    assert!(r.d.session().is_closed(), "a late reply must never be taken for the next request's");
    // The late reply changes nothing, and the next call fails at once.
    r.reply("257 \"/\"\r\n");
    r.start(Call::Noop);
    assert!(matches!(r.done(), Some(Err(DriverError::Protocol(SessionError::Closed)))));
}

#[test]
fn undecodable_control_bytes_close_the_session() {
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Noop);
    r.reply("HTTP/1.1 200 OK\r\n");
    assert!(matches!(r.done(), Some(Err(DriverError::Protocol(SessionError::Decode(_))))));
    assert!(r.d.session().is_closed());
}

#[test]
fn passive_transfer_connects_then_sends_the_command() {
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: Some(10) });
    r.reply("229 Entering Extended Passive Mode (|||50000|)\r\n");
    assert!(r.done().is_none());
    let want = Action::Connect { addr: addr("192.0.2.10:50000"), timeout: Duration::from_secs(30), protected: false };
    assert!(r.took(&want), "connect first");
    assert_eq!(r.sent(), "EPSV\r\n", "nothing more before the connection is up");
    r.d.handle_connected(r.now, Some(addr("192.0.2.20:41000")), Some(addr("192.0.2.10:50000")));
    r.reply("350 rest\r\n150 here\r\n");
    assert_eq!(r.done(), Some(Ok(Outcome::DataReady)));
    assert_eq!(r.sent(), "EPSV\r\nREST 10\r\nRETR f\r\n");
    r.start(Call::Finish { end: DataEnd::Eof });
    r.reply("226 done\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Transferred(_)))));
}

#[test]
fn pasv_only_and_a_refused_connect() {
    let mut r = Rig::logged_in(|c| c.extended_passive = false);
    r.start(Call::Open { kind: TransferKind::List(None), rest: None });
    r.reply("227 Entering Passive Mode (192,0,2,10,195,149).\r\n");
    assert!(r.done().is_none());
    r.d.handle_connect_failed(r.now, "refused".into());
    let done = r.done();
    assert!(
        matches!(done, Some(Err(DriverError::Transfer { failure: TransferFailure::DataConnection(_), .. }))),
        "{done:?}"
    );
    assert_eq!(r.sent(), "PASV\r\n", "no LIST is left pending at the server");
}

#[test]
fn active_mode_listens_and_keeps_a_connection_that_comes_before_it_is_asked_for() {
    let mut r = Rig::logged_in(|c| c.mode = ClientMode::Active);
    r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: None });
    assert!(r.done().is_none());
    assert!(r.took(&Action::Listen { ip: addr(LOCAL).ip(), protected: false }));
    r.d.handle_listening(r.now, addr("192.0.2.20:40001"));
    assert!(r.d.wants_accept());
    // The server connects as soon as PORT arrives (pyftpdlib), before its 200.
    let verdict = r.d.handle_accepted(r.now, addr("192.0.2.10:20"), Some(addr("192.0.2.20:40001")));
    assert_eq!(verdict, AcceptVerdict::Use);
    assert!(!r.d.wants_accept());
    r.reply("200 port ok\r\n");
    r.reply("125 already open\r\n");
    assert_eq!(r.done(), Some(Ok(Outcome::DataReady)));
    assert_eq!(r.sent(), "PORT 192,0,2,20,156,65\r\nRETR f\r\n");
    assert!(r.took(&Action::StopListening));
}

#[test]
fn active_mode_refuses_a_foreign_connection_and_accepts_again() {
    let mut r = Rig::logged_in(|c| c.mode = ClientMode::Active);
    r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: None });
    r.done();
    r.d.handle_listening(r.now, addr("192.0.2.20:40001"));
    r.reply("200 port ok\r\n");
    assert!(r.done().is_none());
    // Waiting for the server's connection: the data timeout applies.
    assert_eq!(r.d.poll_timeout(), Some(r.now + Duration::from_secs(30)));
    assert_eq!(r.d.handle_accepted(r.now, addr("198.51.100.7:20"), None), AcceptVerdict::Refuse);
    assert!(r.d.wants_accept());
    assert_eq!(r.d.handle_accepted(r.now, addr("192.0.2.10:20"), None), AcceptVerdict::Use);
    r.reply("150 here\r\n");
    assert_eq!(r.done(), Some(Ok(Outcome::DataReady)));
}

#[test]
fn an_early_foreign_connection_is_dropped_when_the_session_sees_it() {
    let mut r = Rig::logged_in(|c| c.mode = ClientMode::Active);
    r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: None });
    r.done();
    r.d.handle_listening(r.now, addr("192.0.2.20:40001"));
    assert_eq!(r.d.handle_accepted(r.now, addr("198.51.100.7:20"), None), AcceptVerdict::Use);
    r.reply("200 port ok\r\n");
    assert!(r.done().is_none());
    assert!(r.took(&Action::CloseData { reset: false }));
    assert!(r.d.wants_accept());
}

#[test]
fn no_server_connection_in_time_closes_the_session() {
    let mut r = Rig::logged_in(|c| {
        c.mode = ClientMode::Active;
        c.data_timeout = Duration::from_secs(2);
    });
    r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: None });
    r.done();
    r.d.handle_listening(r.now, addr("192.0.2.20:40001"));
    r.reply("200 port ok\r\n");
    r.done();
    r.advance(Duration::from_secs(2));
    assert_eq!(r.done(), Some(Err(DriverError::Timeout("the server's data connection"))));
    assert!(r.took(&Action::StopListening));
    assert!(r.d.session().is_closed());
}

#[test]
fn only_the_awaited_requests_failure_ends_a_call() {
    // Abort: the transfer's 426 fails the transfer, not the abort.
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: None });
    r.reply("229 (|||50000|)\r\n");
    r.done();
    r.d.handle_connected(r.now, None, None);
    r.reply("150 here\r\n");
    assert_eq!(r.done(), Some(Ok(Outcome::DataReady)));
    r.actions.clear();
    r.start(Call::Abort);
    assert!(r.done().is_none());
    assert!(r.sent().ends_with("ABOR\r\n"));
    let first = r.actions.iter().find(|a| !matches!(a, Action::Trace(_)));
    assert_eq!(first, Some(&Action::CloseData { reset: true }), "the reset comes after ABOR is queued");
    r.reply("426 cut\r\n226 abort ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Aborted(Some(_))))));
    assert!(!r.d.is_busy());
    r.start(Call::Noop);
    r.reply("200 ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
}

#[test]
fn quit_ends_well_on_221_or_on_a_close() {
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Quit);
    r.reply("221 bye\r\n");
    assert_eq!(r.done(), Some(Ok(Outcome::Quit)));
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Quit);
    r.d.handle_control_closed(r.now);
    assert_eq!(r.done(), Some(Ok(Outcome::Quit)));
}

#[test]
fn a_close_in_the_middle_of_a_call_is_closed() {
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Pwd);
    r.d.handle_control_closed(r.now);
    assert_eq!(r.done(), Some(Err(DriverError::Closed(CloseReason::Local))));
}

#[test]
fn one_call_at_a_time() {
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Noop);
    assert_eq!(r.d.start(Call::Pwd, r.now), Err(DriverError::Busy));
    r.reply("200 ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
}

#[test]
fn raw_commands_wait_past_1xx_and_refuse_injection() {
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Raw("STAT".into()));
    r.reply("211-status\r\n ok\r\n211 end\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Reply(ref rep))) if rep.code.get() == 211));
    r.wire.clear();
    r.start(Call::Raw("NOOP\r\nDELE x".into()));
    assert!(matches!(r.done(), Some(Err(DriverError::Protocol(SessionError::Command(_))))));
    assert_eq!(r.sent(), "", "nothing is sent");
}

#[test]
fn listings_use_mlsd_when_feat_lists_it() {
    let mut r = Rig::logged_in(|_| {});
    assert_eq!(r.d.listing_command(Some("/x")), TransferKind::List(Some("/x".into())));
    r.start(Call::Feat);
    r.reply("211-Features:\r\n MLST type*;size*;\r\n211 End\r\n");
    assert_eq!(r.done(), Some(Ok(Outcome::Features)));
    assert_eq!(r.d.listing_command(None), TransferKind::Mlsd(None));
}

#[test]
fn listing_payloads_keep_every_line_but_blank_and_total() {
    let list = b"total 8\r\n-rw-r--r--   1 u g  5 Jan  2  2024 a.txt\r\n\r\nweird line\r\n";
    let (entries, unparsed) = parse_entries(&TransferKind::List(None), list, Date::UNIX_EPOCH, UTF8).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(unparsed, ["weird line"]);
    let mlsd = b"type=file;size=3; b.txt\r\nnot facts\r\n";
    let (entries, unparsed) = parse_entries(&TransferKind::Mlsd(None), mlsd, Date::UNIX_EPOCH, UTF8).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(unparsed, ["not facts"]);
    assert_eq!(parse_names(b"a\r\n\r\nb\n", UTF8).unwrap(), ["a", "b"]);
}

// ---- text encoding of names ----

const UTF8: TextEncoding = TextEncoding::Utf8;
const LATIN1: TextEncoding = TextEncoding::Latin1;

/// A rig logging in with FEAT (answered with `feat`) and TYPE I; returns it logged in, the wire kept.
fn login_with_feat(edit: impl FnOnce(&mut DriverConfig), feat: &str) -> Rig {
    let mut r = Rig::new(edit);
    r.reply("220 hi\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Greeting(_)))));
    r.start(Call::Login { user: "u".into(), password: "p".into(), account: None });
    r.reply("230 in\r\n");
    assert_eq!(r.done(), None);
    r.reply(feat);
    assert_eq!(r.done(), None);
    r
}

#[test]
fn opts_utf8_on_follows_a_feat_that_lists_utf8() {
    let mut r = login_with_feat(|_| {}, "211-Features:\r\n UTF8\r\n MLST type*;\r\n211 End\r\n");
    assert_eq!(r.sent(), "USER u\r\nFEAT\r\nOPTS UTF8 ON\r\n");
    r.reply("200 Always in UTF8 mode.\r\n");
    assert_eq!(r.done(), None);
    assert!(r.sent().ends_with("OPTS UTF8 ON\r\nTYPE I\r\n"));
    r.reply("200 Binary.\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::LoggedIn(_)))));
}

#[test]
fn a_refused_opts_utf8_is_no_error() {
    let mut r = login_with_feat(|_| {}, "211-Features:\r\n UTF8\r\n211 End\r\n");
    r.reply("501 Unknown option.\r\n");
    assert_eq!(r.done(), None);
    r.reply("200 Binary.\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::LoggedIn(_)))));
    assert!(r
        .actions
        .iter()
        .any(|a| matches!(a, Action::Log { message, .. } if message.contains("OPTS UTF8 ON refused"))));
}

#[test]
fn no_opts_utf8_without_utf8_in_feat_nor_for_latin1_nor_when_off() {
    let feats = [
        ("211-Features:\r\n MLST type*;\r\n211 End\r\n", UTF8, true),
        ("502 FEAT not implemented.\r\n", UTF8, true),
        ("211-Features:\r\n UTF8\r\n211 End\r\n", LATIN1, true),
        ("211-Features:\r\n UTF8\r\n211 End\r\n", UTF8, false),
    ];
    for (feat, encoding, utf8_on) in feats {
        let mut r = login_with_feat(
            |c| {
                c.session.encoding = encoding;
                c.utf8_on = utf8_on;
            },
            feat,
        );
        assert_eq!(r.sent(), "USER u\r\nFEAT\r\nTYPE I\r\n", "{feat:?} {encoding} {utf8_on}");
        r.reply("200 Binary.\r\n");
        assert!(matches!(r.done(), Some(Ok(Outcome::LoggedIn(_)))));
    }
}

#[test]
fn latin1_names_go_out_one_byte_per_character() {
    let mut r = Rig::logged_in(|c| c.session.encoding = LATIN1);
    assert_eq!(r.d.encoding(), LATIN1);
    r.start(Call::Cwd("caf\u{e9}".into()));
    assert_eq!(r.done(), None);
    assert_eq!(r.wire, b"CWD caf\xe9\r\n");
    r.reply("250 ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
    r.wire.clear();
    r.start(Call::Rename { from: "\u{e9}t\u{e9}".into(), to: "\u{ff}".into() });
    r.reply("350 go on\r\n");
    r.reply("250 renamed\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
    assert_eq!(r.wire, b"RNFR \xe9t\xe9\r\nRNTO \xff\r\n");
    // The trace shows the names as the user wrote them.
    assert!(r.actions.contains(&Action::Trace(TraceLine::Sent("RNFR \u{e9}t\u{e9}".into()))));
}

#[test]
fn a_name_latin1_cannot_write_is_refused_before_anything_is_sent() {
    let mut r = Rig::logged_in(|c| c.session.encoding = LATIN1);
    for call in [
        Call::Cwd("\u{20ac}".into()),
        Call::Rename { from: "a".into(), to: "\u{3b1}".into() },
        Call::Open { kind: TransferKind::Retr("\u{20ac}.txt".into()), rest: None },
        Call::Open { kind: TransferKind::Mlsd(Some("\u{20ac}".into())), rest: None },
        Call::Size("\u{1f600}".into()),
        Call::Raw("SITE CHMOD 644 \u{20ac}".into()),
    ] {
        r.start(call.clone());
        match r.done() {
            Some(Err(e @ DriverError::Encoding(EncodingError::Unencodable { encoding: LATIN1, .. }))) => {
                assert_eq!(e.kind(), crate::ErrorKind::Unsupported)
            }
            other => panic!("{call:?}: {other:?}"),
        }
        assert!(r.wire.is_empty(), "{call:?}: nothing is sent");
        assert!(!r.d.is_busy());
    }
    // The same names are fine in UTF-8.
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Cwd("\u{20ac}".into()));
    assert_eq!(r.done(), None);
    assert_eq!(r.wire, "CWD \u{20ac}\r\n".as_bytes());
}

#[test]
fn a_257_path_is_read_in_the_encoding() {
    let mut r = Rig::logged_in(|c| c.session.encoding = LATIN1);
    r.start(Call::Pwd);
    r.d.handle_control(r.now, b"257 \"/pub/caf\xe9\" is the current directory\r\n");
    assert_eq!(r.done(), Some(Ok(Outcome::Path("/pub/caf\u{e9}".into()))));
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::Pwd);
    r.d.handle_control(r.now, "257 \"/pub/caf\u{e9}\"\r\n".as_bytes());
    assert_eq!(r.done(), Some(Ok(Outcome::Path("/pub/caf\u{e9}".into()))));
    // Latin-1 bytes read in UTF-8: refused, never a path with U+FFFD in it; MKD then ends without a path.
    r.start(Call::Pwd);
    r.d.handle_control(r.now, b"257 \"/pub/caf\xe9\"\r\n");
    match r.done() {
        Some(Err(e @ DriverError::Protocol(SessionError::BadPayload { .. }))) => {
            assert_eq!(e.kind(), crate::ErrorKind::Unsupported);
            assert!(e.to_string().contains("not UTF-8"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    r.start(Call::Mkd("x".into()));
    r.d.handle_control(r.now, b"257 \"/pub/caf\xe9/x\" created\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
    r.start(Call::Noop);
    r.reply("200 ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
}

#[test]
fn listings_are_decoded_in_the_encoding_and_never_replaced() {
    let list = b"-rw-r--r--   1 u g  5 Jan  2  2024 caf\xe9.txt\r\n";
    let (entries, _) = parse_entries(&TransferKind::List(None), list, Date::UNIX_EPOCH, LATIN1).unwrap();
    assert_eq!(entries[0].name, "caf\u{e9}.txt");
    let mlsd = b"type=file;size=5; caf\xe9.txt\r\n";
    let (entries, _) = parse_entries(&TransferKind::Mlsd(None), mlsd, Date::UNIX_EPOCH, LATIN1).unwrap();
    assert_eq!(entries[0].name, "caf\u{e9}.txt");
    // Encoded back, the name is the server's bytes.
    assert_eq!(LATIN1.encode(&entries[0].name).unwrap().as_ref(), b"caf\xe9.txt");
    assert!(matches!(
        parse_entries(&TransferKind::Mlsd(None), mlsd, Date::UNIX_EPOCH, UTF8),
        Err(EncodingError::Undecodable { at: 21, .. })
    ));
    assert_eq!(parse_names(b"caf\xe9\r\n", LATIN1).unwrap(), ["caf\u{e9}"]);
    assert!(parse_names(b"caf\xe9\r\n", UTF8).is_err());
    assert_eq!(parse_names("caf\u{e9}\r\n".as_bytes(), UTF8).unwrap(), ["caf\u{e9}"]);
}

// ---- trace lines ----

/// Reads as (sent?, bytes).
type Reads<'a> = &'a [(bool, &'a [u8])];

fn collect(reads: Reads<'_>, flush: bool) -> Vec<TraceLine> {
    let mut buf = TraceBuf::default();
    let mut out = Vec::new();
    for (sent, bytes) in reads {
        out.extend(buf.feed(*sent, bytes));
    }
    if flush {
        out.extend(buf.flush());
    }
    out
}

fn rx(s: &str) -> TraceLine {
    TraceLine::Received(s.to_owned())
}

#[test]
fn trace_lines_are_whole_whatever_the_reads() {
    let table: &[(Reads<'_>, bool, Vec<TraceLine>)] = &[
        (&[(false, b"220 ready\r\n")], false, vec![rx("220 ready")]),
        (&[(false, b"22"), (false, b"0 rea"), (false, b"dy\r"), (false, b"\n")], false, vec![rx("220 ready")]),
        (&[(false, b"211-a\r\n b\r\n211 c\r\n")], false, vec![rx("211-a"), rx(" b"), rx("211 c")]),
        (
            &[(false, b"227 Entering (1,2,3,4,5,6)\r\n150 Op"), (false, b"ening\r\n")],
            false,
            vec![rx("227 Entering (1,2,3,4,5,6)"), rx("150 Opening")],
        ),
        (&[(false, b"221 bye")], false, vec![]),
        (&[(false, b"221 bye")], true, vec![rx("221 bye")]),
        (
            &[(true, b"USER a\r\n"), (true, b"pass s3cret\r\n")],
            false,
            vec![TraceLine::Sent("USER a".into()), TraceLine::Sent("PASS XXXX".into())],
        ),
        // A sent line and a received line do not share a buffer.
        (
            &[(false, b"331 "), (true, b"NOOP\r\n"), (false, b"ok\r\n")],
            false,
            vec![TraceLine::Sent("NOOP".into()), rx("331 ok")],
        ),
    ];
    for (i, (reads, flush, want)) in table.iter().enumerate() {
        assert_eq!(&collect(reads, *flush), want, "case {i}");
    }
}

#[test]
fn an_endless_line_is_reported_at_the_limit() {
    let big = vec![b'x'; TRACE_LINE_MAX + 1];
    let got = collect(&[(false, &big)], false);
    assert_eq!(got.len(), 1);
    assert!(matches!(&got[0], TraceLine::Received(s) if s.len() == TRACE_LINE_MAX + 1));
}

// ---- FTPS (RFC 4217) ----

fn tls_info(resumed: bool) -> TlsInfo {
    TlsInfo { version: "TLSv1_3".into(), cipher: "TLS13_AES_256_GCM_SHA384".into(), resumed }
}

fn explicit(edit: impl FnOnce(&mut TlsPolicy)) -> Rig {
    let mut r = Rig::new(|c| {
        let mut tls = TlsPolicy { mode: TlsMode::Explicit, ..TlsPolicy::default() };
        edit(&mut tls);
        *c = c.clone().with_tls(tls);
    });
    r.reply("220 hi\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Greeting(_)))));
    r.start(Call::Login { user: "u".into(), password: "p".into(), account: None });
    assert!(r.done().is_none());
    r
}

/// Feeds replies one at a time (the driver asks for each next step after its answer), draining in between.
fn replies(r: &mut Rig, lines: &[&str]) -> Option<Result<Outcome, DriverError>> {
    let mut last = None;
    for l in lines {
        r.reply(&format!("{l}\r\n"));
        last = r.done();
    }
    last
}

#[test]
fn explicit_login_is_auth_then_tls_then_user_pass_pbsz_prot() {
    let mut r = explicit(|_| {});
    assert_eq!(r.sent(), "AUTH TLS\r\n");
    r.reply("234 go\r\n");
    assert!(r.done().is_none());
    assert!(r.took(&Action::StartTls), "234 asks the shell for the handshake");
    assert_eq!(r.sent(), "AUTH TLS\r\n", "nothing is sent before the handshake is done");
    r.d.handle_tls_started(r.now, tls_info(false));
    assert!(r.done().is_none());
    assert!(r.d.session().control_protected());
    let last = replies(&mut r, &["331 pw", "230 in", "200 PBSZ=0", "200 PROT P", "211 no", "200 I"]);
    assert!(matches!(last, Some(Ok(Outcome::LoggedIn(_)))));
    assert_eq!(r.sent(), "AUTH TLS\r\nUSER u\r\nPASS p\r\nPBSZ 0\r\nPROT P\r\nFEAT\r\nTYPE I\r\n");
    assert!(r.d.session().data_protected());
}

#[test]
fn auth_refused_with_tls_required_ends_the_session_before_user() {
    for code in ["534 policy", "502 no AUTH", "500 what"] {
        let mut r = explicit(|_| {});
        r.reply(&format!("{code}\r\n"));
        assert!(matches!(r.done(), Some(Err(DriverError::TlsRefused(_)))), "{code}");
        assert_eq!(r.sent(), "AUTH TLS\r\n", "USER never goes out in clear");
        assert!(r.d.session().is_closed());
        r.start(Call::Noop);
        assert!(matches!(r.done(), Some(Err(DriverError::Protocol(SessionError::Closed)))));
    }
}

#[test]
fn auth_refused_without_tls_required_goes_on_in_clear_without_pbsz() {
    let mut r = explicit(|t| t.require = false);
    r.reply("502 no\r\n");
    assert!(r.done().is_none());
    assert!(matches!(replies(&mut r, &["230 in", "211 x", "200 I"]), Some(Ok(Outcome::LoggedIn(_)))));
    assert_eq!(r.sent(), "AUTH TLS\r\nUSER u\r\nFEAT\r\nTYPE I\r\n");
    assert!(!r.d.session().data_protected());
}

#[test]
fn a_refused_prot_fails_the_login_when_required_and_not_otherwise() {
    let mut r = explicit(|_| {});
    r.reply("234 go\r\n");
    r.done();
    r.d.handle_tls_started(r.now, tls_info(false));
    let last = replies(&mut r, &["230 in", "200 ok", "534 no PROT P here"]);
    assert!(matches!(last, Some(Err(DriverError::TlsRefused(rep))) if rep.code.get() == 534));

    let mut r = explicit(|t| t.require = false);
    r.reply("234 go\r\n");
    r.done();
    r.d.handle_tls_started(r.now, tls_info(false));
    let last = replies(&mut r, &["230 in", "200 ok", "534 no", "211 x", "200 I"]);
    assert!(matches!(last, Some(Ok(Outcome::LoggedIn(_)))));
    assert!(!r.d.session().data_protected());
}

#[test]
fn a_failed_control_handshake_closes_the_session_with_a_tls_error() {
    let mut r = explicit(|_| {});
    r.reply("234 go\r\n");
    r.done();
    r.d.handle_tls_failed(r.now, "invalid peer certificate: UnknownIssuer".into(), true);
    assert!(matches!(r.done(), Some(Err(DriverError::Tls { certificate: true, .. }))));
    assert_eq!(r.sent(), "AUTH TLS\r\n");
    assert!(r.d.session().is_closed());
}

fn protected_logged_in() -> Rig {
    let mut r = Rig::new(|c| {
        c.feat_after_login = false;
        c.binary_after_login = false;
        *c = c.clone().with_tls(TlsPolicy { mode: TlsMode::Implicit, ..TlsPolicy::default() });
    });
    r.d.handle_tls_started(r.now, tls_info(false));
    r.reply("220 hi\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Greeting(_)))));
    r.start(Call::Login { user: "u".into(), password: "p".into(), account: None });
    assert!(r.done().is_none());
    assert!(matches!(replies(&mut r, &["230 in", "200 PBSZ", "200 PROT"]), Some(Ok(Outcome::LoggedIn(_)))));
    assert_eq!(r.sent(), "USER u\r\nPBSZ 0\r\nPROT P\r\n", "implicit: no AUTH, straight to the login");
    assert!(r.took(&Action::Trace(TraceLine::Tls { data: false, info: tls_info(false) })));
    r.wire.clear();
    r
}

#[test]
fn a_protected_data_connection_is_secured_after_the_transfer_reply_and_traced() {
    let mut r = protected_logged_in();
    r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: None });
    r.reply("229 (|||50000|)\r\n");
    assert!(r.done().is_none());
    assert!(r.took(&Action::Connect {
        addr: addr("192.0.2.10:50000"),
        timeout: Duration::from_secs(30),
        protected: true
    }));
    r.d.handle_connected(r.now, None, None);
    r.reply("150 here\r\n");
    assert!(r.done().is_none(), "DataReady waits for the data handshake");
    assert!(r.took(&Action::SecureData));
    r.d.handle_data_secured(r.now, Ok(tls_info(true)));
    assert_eq!(r.done(), Some(Ok(Outcome::DataReady)));
    assert!(r.took(&Action::Trace(TraceLine::Tls { data: true, info: tls_info(true) })));
    r.start(Call::Finish { end: DataEnd::Eof });
    r.reply("226 ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Transferred(_)))));
}

#[test]
fn a_failed_data_handshake_fails_the_transfer_with_the_servers_522() {
    let mut r = protected_logged_in();
    r.start(Call::Open { kind: TransferKind::Stor("f".into()), rest: None });
    r.reply("229 (|||50000|)\r\n");
    r.done();
    r.d.handle_connected(r.now, None, None);
    r.reply("150 go\r\n");
    r.done();
    r.d.handle_data_secured(r.now, Err("connection reset".into()));
    assert!(r.done().is_none(), "the server's reply ends the call");
    assert!(r.took(&Action::CloseData { reset: true }));
    r.reply("522 SSL connection failed; session reuse required\r\n");
    assert!(matches!(r.done(), Some(Err(DriverError::Transfer { reply: Some(rep), .. })) if rep.code.get() == 522));
    // The session goes on.
    r.start(Call::Noop);
    r.reply("200 ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
}

#[test]
fn active_mode_listens_for_a_protected_connection() {
    let mut r = protected_logged_in();
    r.d.set_mode(ClientMode::Active);
    r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: None });
    assert!(r.done().is_none());
    assert!(r.took(&Action::Listen { ip: addr(LOCAL).ip(), protected: true }));
}

#[test]
fn ccc_returns_the_control_connection_to_clear_text() {
    let mut r = protected_logged_in();
    r.start(Call::Ccc);
    assert!(r.done().is_none());
    assert_eq!(r.sent(), "CCC\r\n");
    r.reply("200 clear\r\n");
    assert!(r.done().is_none());
    assert!(r.took(&Action::StopTls));
    r.d.handle_tls_stopped(r.now);
    assert!(r.done().is_none(), "the call waits for the resync NOOP");
    assert_eq!(r.sent(), "CCC\r\nNOOP\r\n");
    r.reply("200 ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(rep))) if rep.code.get() == 200 && rep.text() == "clear"));
    assert!(!r.d.session().control_protected());
    // CCC without TLS is refused before anything is sent.
    r.wire.clear();
    r.start(Call::Ccc);
    assert!(matches!(r.done(), Some(Err(DriverError::Protocol(SessionError::InvalidState { .. })))));
    assert_eq!(r.sent(), "");
}

/// A greeted rig in [`TlsMode::Manual`] (ftplib's FTP_TLS: every TLS step is the caller's).
fn manual() -> Rig {
    let mut r = Rig::new(|c| {
        c.feat_after_login = false;
        c.binary_after_login = false;
        *c = c.clone().with_tls(TlsPolicy { mode: TlsMode::Manual, ..TlsPolicy::default() });
    });
    r.reply("220 hi\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Greeting(_)))));
    r
}

#[test]
fn manual_tls_is_each_step_on_its_own_call() {
    let mut r = manual();
    r.start(Call::Auth);
    assert!(r.done().is_none());
    assert_eq!(r.sent(), "AUTH TLS\r\n");
    r.reply("234 go\r\n");
    assert!(r.done().is_none(), "the call waits for the handshake");
    assert!(r.took(&Action::StartTls));
    r.d.handle_tls_started(r.now, tls_info(false));
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(rep))) if rep.code.get() == 234));
    assert!(r.d.session().control_protected() && !r.d.session().data_protected());
    // The login is only USER/PASS: no PBSZ/PROT of its own.
    r.start(Call::Login { user: "u".into(), password: "p".into(), account: None });
    assert!(matches!(replies(&mut r, &["331 pw", "230 in"]), Some(Ok(Outcome::LoggedIn(_)))));
    r.start(Call::Pbsz);
    assert!(matches!(replies(&mut r, &["200 PBSZ=0"]), Some(Ok(Outcome::Done(_)))));
    r.start(Call::Prot(ProtectionLevel::Private));
    assert!(matches!(replies(&mut r, &["200 PROT now Private"]), Some(Ok(Outcome::Done(_)))));
    assert!(r.d.session().data_protected());
    r.start(Call::Prot(ProtectionLevel::Clear));
    assert!(matches!(replies(&mut r, &["200 PROT now Clear"]), Some(Ok(Outcome::Done(_)))));
    assert!(!r.d.session().data_protected());
    assert_eq!(r.sent(), "AUTH TLS\r\nUSER u\r\nPASS p\r\nPBSZ 0\r\nPROT P\r\nPROT C\r\n");
    // AUTH again while TLS runs: refused before anything is sent.
    r.wire.clear();
    r.start(Call::Auth);
    assert!(matches!(r.done(), Some(Err(DriverError::Protocol(SessionError::InvalidState { .. })))));
    assert_eq!(r.sent(), "");
}

#[test]
fn manual_login_without_auth_stays_in_clear_and_a_refused_auth_is_the_servers_reply() {
    let mut r = manual();
    r.start(Call::Login { user: "u".into(), password: "p".into(), account: None });
    assert!(matches!(replies(&mut r, &["230 in"]), Some(Ok(Outcome::LoggedIn(_)))));
    assert_eq!(r.sent(), "USER u\r\n", "no AUTH, PBSZ or PROT of the login's own");
    let mut r = manual();
    r.start(Call::Auth);
    assert!(
        matches!(replies(&mut r, &["502 no TLS here"]), Some(Err(DriverError::Refused(rep))) if rep.code.get() == 502)
    );
    assert!(!r.d.session().is_closed(), "the caller decides what a refusal means");
    // PBSZ/PROT without TLS, PROT before PBSZ: refused before anything is sent.
    r.wire.clear();
    r.start(Call::Pbsz);
    assert!(matches!(r.done(), Some(Err(DriverError::Protocol(_)))));
    r.start(Call::Prot(ProtectionLevel::Private));
    assert!(matches!(r.done(), Some(Err(DriverError::Protocol(_)))));
    assert_eq!(r.sent(), "");
}

#[test]
fn auth_without_tls_configured_is_refused_before_anything_is_sent() {
    let mut r = Rig::new(|_| {});
    r.reply("220 hi\r\n");
    r.done();
    r.start(Call::Auth);
    assert!(matches!(r.done(), Some(Err(DriverError::Protocol(SessionError::InvalidState { .. })))));
    assert_eq!(r.sent(), "");
}

#[test]
fn ccc_keeps_the_data_connections_protected() {
    let mut r = protected_logged_in();
    r.start(Call::Ccc);
    r.reply("200 clear\r\n");
    r.done();
    r.d.handle_tls_stopped(r.now);
    r.reply("200 ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
    assert!(!r.d.session().control_protected());
    r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: None });
    r.reply("229 (|||50000|)\r\n");
    r.done();
    assert!(r.took(&Action::Connect {
        addr: addr("192.0.2.10:50000"),
        timeout: Duration::from_secs(30),
        protected: true
    }));
}

/// Linux's FTP conntrack helper loses its line sync while the control connection is under TLS and parses only
/// segments that start after a newline it saw: after CCC one clear NOOP crosses before the PORT (active mode), so
/// the helper reads (and NATs) the PORT. A refused NOOP resyncs all the same.
#[test]
fn ccc_resyncs_with_a_clear_noop_before_the_port() {
    for noop_reply in ["200 ok\r\n", "502 no NOOP here\r\n"] {
        let mut r = protected_logged_in();
        r.start(Call::Ccc);
        r.reply("200 clear\r\n");
        assert!(r.done().is_none());
        assert!(r.took(&Action::StopTls));
        r.wire.clear();
        r.d.handle_tls_stopped(r.now);
        assert!(r.done().is_none(), "the call waits for the NOOP's reply");
        assert_eq!(r.sent(), "NOOP\r\n", "the first clear line after CCC is the NOOP");
        assert!(r.d.poll_timeout().is_some(), "the NOOP's reply is awaited under the reply timeout");
        r.reply(noop_reply);
        assert!(matches!(r.done(), Some(Ok(Outcome::Done(rep))) if rep.code.get() == 200), "{noop_reply}");
        r.d.set_mode(ClientMode::Active);
        r.wire.clear();
        r.start(Call::Open { kind: TransferKind::Retr("f".into()), rest: None });
        assert!(r.done().is_none());
        assert!(r.took(&Action::Listen { ip: addr(LOCAL).ip(), protected: true }));
        r.d.handle_listening(r.now, addr("192.0.2.1:40000"));
        assert!(r.done().is_none());
        let sent = r.sent();
        assert!(sent.starts_with("PORT ") || sent.starts_with("EPRT "), "{sent}");
    }
}

#[test]
fn hash_parses_the_213_and_refuses_the_rest() {
    let mut r = Rig::logged_in(|_| {});
    let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    r.start(Call::Hash("/a b".into()));
    assert_eq!(r.done(), None);
    assert_eq!(r.sent(), "HASH /a b\r\n");
    r.reply(&format!("213 SHA-256 0-3 {hex} /a b\r\n"));
    let Some(Ok(Outcome::Hash(h))) = r.done() else { panic!("no hash outcome") };
    assert_eq!((h.algorithm, h.start, h.end, h.path.as_str()), (HashAlgorithm::Sha256, 0, 3, "/a b"));
    assert_eq!(crate::hash::to_hex(&h.digest), hex);

    r.start(Call::Hash("/f".into()));
    r.reply("213 SHA-256 0-3 nothex /f\r\n");
    assert_eq!(r.done(), Some(Err(DriverError::BadHash(HashReplyError::BadDigest(32)))));
    r.start(Call::Hash("/f".into()));
    r.reply("502 no HASH\r\n");
    assert!(matches!(r.done(), Some(Err(DriverError::Refused(rep))) if rep.code.get() == 502));
    // The session goes on after both.
    r.start(Call::Noop);
    r.reply("200 ok\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
}

#[test]
fn opts_hash_needs_a_2xx() {
    let mut r = Rig::logged_in(|_| {});
    r.start(Call::OptsHash(HashAlgorithm::Sha1));
    assert_eq!(r.done(), None);
    assert_eq!(r.sent(), "OPTS HASH SHA-1\r\n");
    r.reply("200 SHA-1\r\n");
    assert!(matches!(r.done(), Some(Ok(Outcome::Done(_)))));
    r.start(Call::OptsHash(HashAlgorithm::Md5));
    r.reply("501 unknown\r\n");
    assert!(matches!(r.done(), Some(Err(DriverError::Refused(_)))));
}
