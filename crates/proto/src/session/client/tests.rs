//! Table-driven tests of every transition (RFC 959 §6 state diagrams: login, rename, data transfer with
//! 1xx/2xx/4xx/5xx), the transfer join in both orders, aborts, fallback memory and the NAT policies.
#![allow(clippy::type_complexity)] // table rows are tuples on purpose
use super::*;
use crate::command::TransferType;
use machine::verdict;

const PEER: &str = "192.0.2.10:21";

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// One line per event, compact enough for tables.
fn summary(e: &Event) -> String {
    match e {
        Event::Greeting { reply } => format!("Greeting {}", reply.code),
        Event::LoggedIn { id, reply } => format!("LoggedIn#{} {}", id.get(), reply.code),
        Event::LoginFailed { id, reply } => format!("LoginFailed#{} {}", id.get(), reply.code),
        Event::Features { id, features } => format!("Features#{} {}", id.get(), features.len()),
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
        Event::StartTls { id, reply } => format!("StartTls#{} {}", id.get(), reply.code),
        Event::StopTls { id, reply } => format!("StopTls#{} {}", id.get(), reply.code),
        Event::Closed { reason, unanswered } => {
            let r = match reason {
                CloseReason::Quit(_) => "Quit",
                CloseReason::ServiceNotAvailable(_) => "421",
                CloseReason::Refused(_) => "Refused",
                CloseReason::Local => "Local",
            };
            format!("Closed {r} {:?}", unanswered.iter().map(|i| i.get()).collect::<Vec<_>>())
        }
    }
}

/// A session plus everything it has said.
struct H {
    s: ClientSession,
}

impl H {
    fn new() -> H {
        H::with(Config::new(sa(PEER)))
    }

    fn with(config: Config) -> H {
        H { s: ClientSession::new(config) }
    }

    /// A session past the greeting and logged in; its output drained. The login is request 1.
    fn logged_in(config: Config) -> H {
        let mut h = H::with(config);
        h.s.login("u", "p", None).unwrap();
        h.r("220 hi").unwrap();
        h.r("331 pw").unwrap();
        h.r("230 ok").unwrap();
        assert_eq!(h.out(), ["USER u", "PASS p"]);
        assert_eq!(h.ev(), ["Greeting 220", "LoggedIn#1 230"]);
        h
    }

    /// Feed one reply line (CRLF added).
    fn r(&mut self, line: &str) -> Result<(), SessionError> {
        self.s.handle_input(format!("{line}\r\n").as_bytes())
    }

    fn d(&mut self, id: u64, e: DataEvent) -> Result<(), SessionError> {
        self.s.handle_data(RequestId(id), e)
    }

    /// Commands sent since the last call, one string per line.
    fn out(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(b) = self.s.poll_transmit() {
            let text = String::from_utf8(b).unwrap();
            lines.extend(text.split_terminator("\r\n").map(str::to_owned));
        }
        lines
    }

    fn ev(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.s.poll_event()).map(|e| summary(&e)).collect()
    }
}

#[test]
fn verdict_table_cells() {
    use Step as S;
    use Verdict as V;
    let rows: &[(Step, u16, Verdict)] = &[
        (S::Greeting, 120, V::Wait),
        (S::Greeting, 220, V::Success),
        (S::Greeting, 230, V::Unexpected),
        (S::Greeting, 554, V::Failure),
        (S::User, 230, V::Success),
        (S::User, 202, V::Success),
        (S::User, 331, V::Continue),
        (S::User, 332, V::Continue),
        (S::User, 530, V::Failure),
        (S::User, 227, V::Unexpected),
        (S::User, 150, V::Unexpected),
        (S::User, 350, V::Unexpected),
        (S::Pass, 230, V::Success),
        (S::Pass, 332, V::Continue),
        (S::Pass, 331, V::Unexpected),
        (S::Acct, 230, V::Success),
        (S::Acct, 332, V::Unexpected),
        (S::Feat, 211, V::Success),
        (S::Feat, 214, V::Unexpected),
        (S::Feat, 502, V::Failure),
        (S::Pwd, 257, V::Success),
        (S::Pwd, 250, V::Unexpected),
        (S::Mkd, 257, V::Success),
        (S::Mkd, 250, V::Success),
        (S::Size, 213, V::Success),
        (S::Size, 200, V::Unexpected),
        (S::Mdtm, 213, V::Success),
        (S::Rnfr, 350, V::Continue),
        (S::Rnfr, 250, V::Unexpected),
        (S::Rnto, 250, V::Success),
        (S::Rnto, 553, V::Failure),
        (S::Rest, 350, V::Success),
        (S::Rest, 200, V::Unexpected),
        (S::Simple("CWD"), 250, V::Success),
        (S::Simple("CWD"), 200, V::Success),
        (S::Simple("CWD"), 150, V::Unexpected),
        (S::Simple("CWD"), 350, V::Unexpected),
        (S::Quit, 221, V::Success),
        (S::Quit, 500, V::Failure),
        (S::Rein, 120, V::Wait),
        (S::Rein, 220, V::Success),
        (S::EpsvAll, 200, V::Success),
        (S::EpsvAll, 500, V::Failure),
        (S::Epsv, 229, V::Success),
        (S::Epsv, 227, V::Unexpected),
        (S::Epsv, 500, V::Unsupported),
        (S::Epsv, 501, V::Unsupported),
        (S::Epsv, 502, V::Unsupported),
        (S::Epsv, 522, V::Failure),
        (S::Epsv, 425, V::Failure),
        (S::Pasv, 227, V::Success),
        (S::Pasv, 229, V::Unexpected),
        (S::Pasv, 502, V::Failure),
        (S::Eprt, 200, V::Success),
        (S::Eprt, 502, V::Unsupported),
        (S::Eprt, 522, V::Failure),
        (S::Port, 200, V::Success),
        (S::Port, 501, V::Failure),
        (S::XferRest, 350, V::Success),
        (S::XferRest, 502, V::Failure),
        (S::Xfer, 125, V::Wait),
        (S::Xfer, 150, V::Wait),
        (S::Xfer, 110, V::Wait),
        (S::Xfer, 226, V::Success),
        (S::Xfer, 250, V::Success),
        (S::Xfer, 350, V::Unexpected),
        (S::Xfer, 425, V::Failure),
        (S::Xfer, 426, V::Failure),
        (S::Xfer, 451, V::Failure),
        (S::Xfer, 550, V::Failure),
        (S::AborOwed, 150, V::Wait),
        (S::AborOwed, 225, V::Success),
        (S::AborOwed, 226, V::Continue),
        (S::AborOwed, 426, V::Continue),
        (S::AborOwed, 500, V::Continue),
        (S::Abor, 226, V::Success),
        (S::Abor, 225, V::Success),
        (S::Abor, 502, V::Failure),
        (S::Abor, 150, V::Unexpected),
        (S::Raw, 150, V::Wait),
        (S::Raw, 215, V::Success),
        (S::Raw, 331, V::Success),
        (S::Raw, 500, V::Success),
    ];
    for &(step, code, want) in rows {
        assert_eq!(verdict(step, code), want, "{step:?} {code}");
    }
}

/// Every non-raw step treats every 4xx/5xx as a failure or a fallback, never as success.
#[test]
fn verdict_negative_replies_never_succeed() {
    let steps = [
        Step::Greeting,
        Step::User,
        Step::Pass,
        Step::Acct,
        Step::Feat,
        Step::Pwd,
        Step::Mkd,
        Step::Size,
        Step::Mdtm,
        Step::Rnfr,
        Step::Rnto,
        Step::Rest,
        Step::Simple("X"),
        Step::Quit,
        Step::Rein,
        Step::EpsvAll,
        Step::Epsv,
        Step::Pasv,
        Step::Eprt,
        Step::Port,
        Step::XferRest,
        Step::Xfer,
        Step::Abor,
    ];
    for step in steps {
        for code in 400..=599 {
            let v = verdict(step, code);
            assert!(matches!(v, Verdict::Failure | Verdict::Unsupported), "{step:?} {code}: {v:?}");
        }
    }
}

/// RFC 959 §6 login diagram: (account given, replies after the greeting) → commands sent, events.
#[test]
fn login_transitions() {
    struct Row {
        account: Option<&'static str>,
        replies: &'static [&'static str],
        sent: &'static [&'static str],
        events: &'static [&'static str],
        error: Option<ErrorKind>,
    }
    let rows = [
        Row {
            account: None,
            replies: &["331 pw", "230 ok"],
            sent: &["USER u", "PASS p"],
            events: &["LoggedIn#1 230"],
            error: None,
        },
        Row { account: None, replies: &["230 anon"], sent: &["USER u"], events: &["LoggedIn#1 230"], error: None },
        Row { account: None, replies: &["202 no"], sent: &["USER u"], events: &["LoggedIn#1 202"], error: None },
        Row {
            account: None,
            replies: &["331 pw", "202 superfluous"],
            sent: &["USER u", "PASS p"],
            events: &["LoggedIn#1 202"],
            error: None,
        },
        Row {
            account: Some("acc"),
            replies: &["331 pw", "332 acct", "230 ok"],
            sent: &["USER u", "PASS p", "ACCT acc"],
            events: &["LoggedIn#1 230"],
            error: None,
        },
        Row {
            account: Some("acc"),
            replies: &["332 acct", "230 ok"],
            sent: &["USER u", "ACCT acc"],
            events: &["LoggedIn#1 230"],
            error: None,
        },
        Row {
            account: None,
            replies: &["331 pw", "332 acct"],
            sent: &["USER u", "PASS p"],
            events: &["LoginFailed#1 332"],
            error: None,
        },
        Row {
            account: Some("acc"),
            replies: &["331 pw", "332 acct", "530 no"],
            sent: &["USER u", "PASS p", "ACCT acc"],
            events: &["LoginFailed#1 530"],
            error: None,
        },
        Row {
            account: None,
            replies: &["331 pw", "530 Login incorrect"],
            sent: &["USER u", "PASS p"],
            events: &["LoginFailed#1 530"],
            error: None,
        },
        Row { account: None, replies: &["530 no"], sent: &["USER u"], events: &["LoginFailed#1 530"], error: None },
        Row { account: None, replies: &["501 bad"], sent: &["USER u"], events: &["LoginFailed#1 501"], error: None },
        Row {
            account: None,
            replies: &["227 Entering Passive Mode (1,2,3,4,5,6)"],
            sent: &["USER u"],
            events: &["LoginFailed#1 227"],
            error: Some(ErrorKind::UnexpectedInput),
        },
        Row {
            account: None,
            replies: &["331 pw", "331 again"],
            sent: &["USER u", "PASS p"],
            events: &["LoginFailed#1 331"],
            error: Some(ErrorKind::UnexpectedInput),
        },
        Row { account: None, replies: &["421 bye"], sent: &["USER u"], events: &["Closed 421 [1]"], error: None },
    ];
    for (i, row) in rows.iter().enumerate() {
        let mut h = H::new();
        h.s.login("u", "p", row.account).unwrap();
        assert!(h.out().is_empty(), "row {i}: nothing before the greeting");
        h.r("220 hi").unwrap();
        let mut error = None;
        for r in row.replies {
            if let Err(e) = h.r(r) {
                error = Some(e.kind());
            }
        }
        assert_eq!(h.out(), row.sent, "row {i}");
        let mut events = h.ev();
        assert_eq!(events.remove(0), "Greeting 220", "row {i}");
        assert_eq!(events, row.events, "row {i}");
        assert_eq!(error, row.error, "row {i}");
    }
}

#[test]
fn greeting_transitions() {
    let rows: &[(&[&str], &[&str], bool, Option<ErrorKind>)] = &[
        (&["120 in 5 minutes", "220 ready"], &["Greeting 220"], false, None),
        (&["421 too many users"], &["Closed 421 []"], true, None),
        (&["554 go away"], &["Closed Refused []"], true, None),
        (&["230 what"], &[], false, Some(ErrorKind::UnexpectedInput)),
    ];
    for (i, &(replies, events, closed, error)) in rows.iter().enumerate() {
        let mut h = H::new();
        let mut err = None;
        for r in replies {
            if let Err(e) = h.r(r) {
                err = Some(e.kind());
            }
        }
        assert_eq!(h.ev(), events, "row {i}");
        assert_eq!(h.s.is_closed(), closed, "row {i}");
        assert_eq!(err, error, "row {i}");
    }
}

/// Simple requests: (request, replies) → commands, events, error.
#[test]
fn simple_request_transitions() {
    type Make = fn(&mut ClientSession) -> Result<RequestId, SessionError>;
    let rows: &[(Make, &[&str], &[&str], &[&str], Option<ErrorKind>)] = &[
        (|s| s.pwd(), &["257 \"/home/u\" is cwd"], &["PWD"], &["Path#2 /home/u"], None),
        (|s| s.pwd(), &["257 \"/a \"\"q\"\"\" ok"], &["PWD"], &["Path#2 /a \"q\""], None),
        (|s| s.pwd(), &["257 no quotes"], &["PWD"], &["Failed#2 257"], Some(ErrorKind::Syntax)),
        (|s| s.pwd(), &["550 no"], &["PWD"], &["Failed#2 550"], None),
        (|s| s.mkd("d"), &["257 \"/d\" created"], &["MKD d"], &["Path#2 /d"], None),
        (|s| s.mkd("d"), &["250 ok"], &["MKD d"], &["Done#2 250"], None),
        (|s| s.mkd("d"), &["550 exists"], &["MKD d"], &["Failed#2 550"], None),
        (|s| s.size("f"), &["213 48"], &["SIZE f"], &["Size#2 48"], None),
        (|s| s.size("f"), &["213 lots"], &["SIZE f"], &["Failed#2 213"], Some(ErrorKind::Syntax)),
        (|s| s.size("f"), &["550 no"], &["SIZE f"], &["Failed#2 550"], None),
        (|s| s.mdtm("f"), &["213 20230314150926"], &["MDTM f"], &["Modified#2 20230314150926"], None),
        (|s| s.mdtm("f"), &["213 2023-03-14"], &["MDTM f"], &["Failed#2 213"], Some(ErrorKind::Syntax)),
        (|s| s.feat(), &["211-Features:", " EPSV", " UTF8", "211 End"], &["FEAT"], &["Features#2 2"], None),
        (|s| s.feat(), &["502 no"], &["FEAT"], &["Failed#2 502"], None),
        (|s| s.type_(TransferType::Image), &["200 binary"], &["TYPE I"], &["Done#2 200"], None),
        (|s| s.cwd("a b"), &["250 ok"], &["CWD a b"], &["Done#2 250"], None),
        (|s| s.cwd("x"), &["550 no"], &["CWD x"], &["Failed#2 550"], None),
        (|s| s.cwd("x"), &["150 what"], &["CWD x"], &["Failed#2 150"], Some(ErrorKind::UnexpectedInput)),
        (|s| s.cdup(), &["200 ok"], &["CDUP"], &["Done#2 200"], None),
        (|s| s.dele("f"), &["250 deleted"], &["DELE f"], &["Done#2 250"], None),
        (|s| s.rmd("d"), &["250 removed"], &["RMD d"], &["Done#2 250"], None),
        (|s| s.site("CHMOD 644 f"), &["200 ok"], &["SITE CHMOD 644 f"], &["Done#2 200"], None),
        (|s| s.noop(), &["200 ok"], &["NOOP"], &["Done#2 200"], None),
        (|s| s.rest(100), &["350 restarting"], &["REST 100"], &["Done#2 350"], None),
        (|s| s.rename("a", "b"), &["350 ready", "250 renamed"], &["RNFR a", "RNTO b"], &["Done#2 250"], None),
        (|s| s.rename("a", "b"), &["550 no a"], &["RNFR a"], &["Failed#2 550"], None),
        (|s| s.rename("a", "b"), &["350 ready", "553 bad"], &["RNFR a", "RNTO b"], &["Failed#2 553"], None),
        (|s| s.rename("a", "b"), &["250 eh"], &["RNFR a"], &["Failed#2 250"], Some(ErrorKind::UnexpectedInput)),
        (|s| s.rein(), &["120 wait", "220 again"], &["REIN"], &["Done#2 220"], None),
        (|s| s.command(Command::Syst), &["215 UNIX Type: L8"], &["SYST"], &["Reply#2 215"], None),
        (
            |s| s.command(Command::Other { verb: "XYZZY".into(), arg: None }),
            &["500 ?"],
            &["XYZZY"],
            &["Reply#2 500"],
            None,
        ),
        (|s| s.quit(), &["221 bye"], &["QUIT"], &["Closed Quit []"], None),
        (|s| s.quit(), &["500 no"], &["QUIT"], &["Failed#2 500"], None),
    ];
    for (i, &(make, replies, sent, events, error)) in rows.iter().enumerate() {
        let mut h = H::logged_in(Config::new(sa(PEER)));
        make(&mut h.s).unwrap();
        let mut err = None;
        for r in replies {
            if let Err(e) = h.r(r) {
                err = Some(e.kind());
            }
        }
        assert_eq!(h.out(), sent, "row {i}");
        assert_eq!(h.ev(), events, "row {i}");
        assert_eq!(err, error, "row {i}");
        assert_eq!(h.s.state_name(), if h.s.is_closed() { "closed" } else { "idle" }, "row {i}");
    }
}

#[test]
fn requests_queue_and_go_one_at_a_time() {
    let mut h = H::new();
    let a = h.s.login("u", "p", None).unwrap();
    let b = h.s.pwd().unwrap();
    let c = h.s.quit().unwrap();
    assert_eq!((a.get(), b.get(), c.get()), (1, 2, 3));
    assert_eq!(h.s.pending(), 3);
    assert!(h.out().is_empty());
    h.r("220 hi").unwrap();
    assert_eq!(h.out(), ["USER u"]);
    h.r("230 ok").unwrap();
    assert_eq!(h.out(), ["PWD"]);
    // Both replies in one read: both handled, QUIT sent in between.
    h.s.handle_input(b"257 \"/\"\r\n221 bye\r\n").unwrap();
    assert_eq!(h.out(), ["QUIT"]);
    assert_eq!(h.ev(), ["Greeting 220", "LoggedIn#1 230", "Path#2 /", "Closed Quit []"]);
    assert!(h.s.is_closed());
    assert_eq!(h.s.noop().unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(h.r("200 late").unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn misuse_and_unsolicited_input() {
    let mut h = H::new();
    // transfer before login is the caller's mistake
    let e = h.s.transfer(Transfer::new(TransferKind::List(None), DataMode::Passive)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidState);
    assert_eq!(h.s.abort().unwrap_err().kind(), ErrorKind::InvalidState);
    // injection is refused before anything is queued
    assert_eq!(h.s.cwd("a\r\nDELE x").unwrap_err().kind(), ErrorKind::Injection);
    assert_eq!(h.s.login("u\n", "p", None).unwrap_err().kind(), ErrorKind::Injection);
    assert_eq!(h.s.pending(), 0);
    let mut h = H::logged_in(Config::new(sa(PEER)));
    // a reply while idle: an error, dropped, session still usable
    let e = h.r("150 surprise").unwrap_err();
    assert_eq!(e, SessionError::UnsolicitedReply { code: 150, state: "idle" });
    assert_eq!(e.kind(), ErrorKind::UnexpectedInput);
    assert!(!h.s.is_closed());
    // a malformed reply is a decode error; the next one is fine
    assert_eq!(h.s.handle_input(b"2x0 bad\r\n").unwrap_err().kind(), ErrorKind::Syntax);
    h.s.noop().unwrap();
    h.r("200 ok").unwrap();
    assert_eq!(h.out(), ["NOOP"]);
    assert_eq!(h.ev(), ["Done#2 200"]);
    // a fact for a transfer still queued behind the greeting is a mistake, not a late fact
    let mut q = H::new();
    q.s.login("u", "p", None).unwrap();
    let t = q.s.transfer(retr()).unwrap();
    assert_eq!(q.s.handle_data(t, DataEvent::Connected).unwrap_err().kind(), ErrorKind::InvalidState);
    // data facts for ids that are no transfer
    assert_eq!(h.d(2, DataEvent::Eof), Ok(()), "an ended request: ignored");
    assert_eq!(h.d(9, DataEvent::Connected).unwrap_err().kind(), ErrorKind::InvalidState);
    // quit once
    h.s.quit().unwrap();
    assert_eq!(h.s.quit().unwrap_err().kind(), ErrorKind::InvalidState);
    h.s.handle_close();
    h.s.handle_close();
    assert_eq!(h.ev(), ["Closed Local [3]"]);
}

fn retr() -> Transfer {
    Transfer::new(TransferKind::Retr("f".into()), DataMode::Passive)
}

fn active(addr: &str) -> Transfer {
    Transfer::new(TransferKind::List(None), DataMode::Active(sa(addr)))
}

/// Passive transfers: every order of the control and data halves that can happen, and every failure.
#[test]
fn passive_transfer_transitions() {
    use DataEvent as D;
    enum In {
        R(&'static str),
        D(DataEvent),
    }
    let rows: Vec<(Vec<In>, &[&str], &[&str])> = vec![
        (
            vec![In::R("229 (|||5000|)"), In::D(D::Connected), In::R("150 go"), In::D(D::Eof), In::R("226 ok")],
            &["EPSV", "RETR f"],
            &["ConnectData#2 192.0.2.10:5000", "Started#2 150", "DataReady#2", "Complete#2 226"],
        ),
        (
            vec![In::R("229 (|||5000|)"), In::D(D::Connected), In::R("150 go"), In::R("226 ok"), In::D(D::Eof)],
            &["EPSV", "RETR f"],
            &["ConnectData#2 192.0.2.10:5000", "Started#2 150", "DataReady#2", "Complete#2 226"],
        ),
        (
            // no 1xx at all: the 2xx starts and ends the control half
            vec![In::R("229 (|||5000|)"), In::D(D::Connected), In::R("226 ok"), In::D(D::Eof)],
            &["EPSV", "RETR f"],
            &["ConnectData#2 192.0.2.10:5000", "DataReady#2", "Complete#2 226"],
        ),
        (
            vec![In::R("229 (|||5000|)"), In::D(D::Failed { reason: "refused".into() })],
            &["EPSV"],
            &["ConnectData#2 192.0.2.10:5000", "TransferFailed#2 DataConnection(\"refused\") 0"],
        ),
        (
            vec![In::R("229 (|||5000|)"), In::D(D::Connected), In::R("550 no such file")],
            &["EPSV", "RETR f"],
            &["ConnectData#2 192.0.2.10:5000", "TransferFailed#2 Refused 550"],
        ),
        (
            vec![In::R("229 (|||5000|)"), In::D(D::Connected), In::R("425 cannot open")],
            &["EPSV", "RETR f"],
            &["ConnectData#2 192.0.2.10:5000", "TransferFailed#2 NoDataConnection 425"],
        ),
        (
            vec![In::R("229 (|||5000|)"), In::D(D::Connected), In::R("150 go"), In::R("426 reset")],
            &["EPSV", "RETR f"],
            &["ConnectData#2 192.0.2.10:5000", "Started#2 150", "DataReady#2", "TransferFailed#2 Aborted 426"],
        ),
        (
            vec![In::R("229 (|||5000|)"), In::D(D::Connected), In::R("150 go"), In::R("451 disk")],
            &["EPSV", "RETR f"],
            &["ConnectData#2 192.0.2.10:5000", "Started#2 150", "DataReady#2", "TransferFailed#2 LocalError 451"],
        ),
        (
            vec![
                In::R("229 (|||5000|)"),
                In::D(D::Connected),
                In::R("150 go"),
                In::D(D::Failed { reason: "reset".into() }),
                In::R("226 ok"),
            ],
            &["EPSV", "RETR f"],
            &[
                "ConnectData#2 192.0.2.10:5000",
                "Started#2 150",
                "DataReady#2",
                "TransferFailed#2 DataConnection(\"reset\") 226",
            ],
        ),
        (vec![In::R("229 nothing here")], &["EPSV"], &["TransferFailed#2 Setup 229"]),
        (vec![In::R("227 Entering Passive Mode (192,0,2,10,19,136)")], &["EPSV"], &["TransferFailed#2 Setup 227"]),
        (vec![In::R("421 bye")], &["EPSV"], &["Closed 421 [2]"]),
    ];
    for (i, (inputs, sent, events)) in rows.into_iter().enumerate() {
        let mut h = H::logged_in(Config::new(sa(PEER)));
        h.s.transfer(retr()).unwrap();
        for input in inputs {
            let _ = match input {
                In::R(r) => h.r(r),
                In::D(d) => h.d(2, d),
            };
        }
        assert_eq!(h.out(), sent, "row {i}");
        assert_eq!(h.ev(), events, "row {i}");
        assert!(matches!(h.s.state_name(), "idle" | "closed"), "row {i}: {}", h.s.state_name());
    }
}

/// Active mode: the server's connection and its 1xx in both orders, and the EOF and the 2xx in both orders.
#[test]
fn active_transfer_both_orders() {
    let from = DataEvent::Accepted { from: sa("192.0.2.10:20") };
    type Order = (&'static [&'static str], &'static [&'static str]);
    // (tokens in order, events expected after the PORT reply)
    let orders: &[Order] = &[
        (&["150", "acc", "eof", "226"], &["Started#2 150", "DataReady#2", "Complete#2 226"]),
        (&["acc", "150", "eof", "226"], &["Started#2 150", "DataReady#2", "Complete#2 226"]),
        (&["150", "acc", "226", "eof"], &["Started#2 150", "DataReady#2", "Complete#2 226"]),
        (&["acc", "150", "226", "eof"], &["Started#2 150", "DataReady#2", "Complete#2 226"]),
        (&["acc", "eof", "150", "226"], &["Started#2 150", "DataReady#2", "Complete#2 226"]),
        (&["150", "226", "acc", "eof"], &["Started#2 150", "DataReady#2", "Complete#2 226"]),
        (&["125", "acc", "eof", "226"], &["Started#2 125", "DataReady#2", "Complete#2 226"]),
    ];
    for (i, &(tokens, events)) in orders.iter().enumerate() {
        let mut h = H::logged_in(Config::new(sa(PEER)));
        h.s.transfer(active("192.0.2.99:40000")).unwrap();
        h.r("200 PORT ok").unwrap();
        assert_eq!(h.out(), ["PORT 192,0,2,99,156,64", "LIST"], "row {i}");
        assert_eq!(h.ev(), ["AcceptData#2 192.0.2.10"], "row {i}");
        let mut got = Vec::new();
        for t in tokens {
            match *t {
                "acc" => h.d(2, from.clone()).unwrap(),
                "eof" => h.d(2, DataEvent::Eof).unwrap(),
                code => h.r(&format!("{code} text")).unwrap(),
            }
            got.extend(h.ev());
            if *t == "150" || *t == "125" {
                // DataReady comes with the later of the two halves, never before both
                let accepted_yet = tokens.iter().position(|x| *x == "acc") < tokens.iter().position(|x| x == t);
                assert_eq!(got.contains(&"DataReady#2".to_string()), accepted_yet, "row {i}");
            }
        }
        assert_eq!(got, events, "row {i}");
        assert_eq!(h.s.state_name(), "idle", "row {i}");
    }
}

#[test]
fn active_refuses_foreign_data_peer() {
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.transfer(active("192.0.2.99:40000")).unwrap();
    h.r("200 ok").unwrap();
    h.r("150 go").unwrap();
    let e = h.d(2, DataEvent::Accepted { from: sa("198.51.100.66:20") }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Refused);
    h.d(2, DataEvent::Accepted { from: sa("[::ffff:192.0.2.10]:20") }).unwrap();
    h.d(2, DataEvent::Closed).unwrap();
    h.r("226 ok").unwrap();
    let _ = h.out();
    assert_eq!(h.ev(), ["AcceptData#2 192.0.2.10", "Started#2 150", "DataReady#2", "Complete#2 226"]);
    // In passive mode an accepted connection makes no sense.
    h.s.transfer(retr()).unwrap();
    h.r("229 (|||5000|)").unwrap();
    assert_eq!(h.d(3, DataEvent::Accepted { from: sa("192.0.2.10:20") }).unwrap_err().kind(), ErrorKind::InvalidState);
    assert_eq!(h.d(3, DataEvent::Eof).unwrap(), ());
    assert_eq!(
        h.ev(),
        ["ConnectData#3 192.0.2.10:5000", "TransferFailed#3 DataConnection(\"closed before it was connected\") 0"]
    );
}

#[test]
fn rest_before_the_transfer_command() {
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.transfer(retr().restart_at(1000)).unwrap();
    h.r("229 (|||5000|)").unwrap();
    h.d(2, DataEvent::Connected).unwrap();
    h.r("350 restarting at 1000").unwrap();
    h.r("150 go").unwrap();
    h.d(2, DataEvent::Eof).unwrap();
    h.r("226 ok").unwrap();
    assert_eq!(h.out(), ["EPSV", "REST 1000", "RETR f"]);
    assert_eq!(h.ev(), ["ConnectData#2 192.0.2.10:5000", "Started#2 150", "DataReady#2", "Complete#2 226"]);
    h.s.transfer(retr().restart_at(5)).unwrap();
    h.r("229 (|||5001|)").unwrap();
    h.d(3, DataEvent::Connected).unwrap();
    h.r("502 no REST").unwrap();
    assert_eq!(h.out(), ["EPSV", "REST 5"]);
    assert_eq!(h.ev(), ["ConnectData#3 192.0.2.10:5001", "TransferFailed#3 Restart 502"]);
}

#[test]
fn epsv_falls_back_to_pasv_and_remembers() {
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.transfer(retr()).unwrap();
    h.r("500 EPSV not understood").unwrap();
    h.r("227 Entering Passive Mode (192,0,2,10,19,136)").unwrap();
    assert_eq!(h.out(), ["EPSV", "PASV"]);
    assert_eq!(h.ev(), ["ConnectData#2 192.0.2.10:5000"]);
    h.d(2, DataEvent::Connected).unwrap();
    h.r("150 go").unwrap();
    h.r("226 ok").unwrap();
    h.d(2, DataEvent::Eof).unwrap();
    let _ = (h.out(), h.ev());
    // next time: straight to PASV
    h.s.transfer(retr()).unwrap();
    assert_eq!(h.out(), ["PASV"]);
    // a non-fallback refusal of EPSV fails the transfer
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.transfer(retr()).unwrap();
    h.r("425 no ports").unwrap();
    assert_eq!(h.out(), ["EPSV"]);
    assert_eq!(h.ev(), ["TransferFailed#2 Setup 425"]);
    // forced EPSV: no fallback
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.transfer(Transfer::new(TransferKind::Nlst(None), DataMode::Epsv)).unwrap();
    h.r("502 no").unwrap();
    assert_eq!(h.out(), ["EPSV"]);
    assert_eq!(h.ev(), ["TransferFailed#2 Setup 502"]);
}

#[test]
fn eprt_falls_back_to_port_for_ipv4_and_remembers() {
    let mut config = Config::new(sa(PEER));
    config.prefer_eprt = true;
    let mut h = H::logged_in(config.clone());
    h.s.transfer(active("192.0.2.99:40000")).unwrap();
    h.r("502 EPRT no").unwrap();
    h.r("200 PORT ok").unwrap();
    assert_eq!(h.out(), ["EPRT |1|192.0.2.99|40000|", "PORT 192,0,2,99,156,64", "LIST"]);
    h.r("550 nothing").unwrap();
    let _ = h.ev();
    h.s.transfer(active("192.0.2.99:40001")).unwrap();
    assert_eq!(h.out(), ["PORT 192,0,2,99,156,65"]);
    // IPv6: EPRT and no fallback
    let mut h = H::logged_in(Config::new(sa("[2001:db8::10]:21")));
    h.s.transfer(active("[2001:db8::99]:40000")).unwrap();
    h.r("500 no").unwrap();
    assert_eq!(h.out(), ["EPRT |2|2001:db8::99|40000|"]);
    assert_eq!(h.ev(), ["TransferFailed#2 Setup 500"]);
    // Without prefer_eprt, IPv4 active is PORT from the start.
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.transfer(active("192.0.2.99:40000")).unwrap();
    assert_eq!(h.out(), ["PORT 192,0,2,99,156,64"]);
}

#[test]
fn epsv_all_mode() {
    let mut config = Config::new(sa(PEER));
    config.epsv_all = true;
    let mut h = H::logged_in(config.clone());
    assert_eq!(h.s.transfer(active("192.0.2.99:40000")).unwrap_err().kind(), ErrorKind::InvalidState);
    assert_eq!(
        h.s.transfer(Transfer::new(TransferKind::Stou, DataMode::Pasv)).unwrap_err().kind(),
        ErrorKind::InvalidState
    );
    h.s.transfer(retr()).unwrap();
    h.r("200 EPSV ALL ok").unwrap();
    h.r("500 EPSV?").unwrap();
    assert_eq!(h.out(), ["EPSV ALL", "EPSV"]);
    assert_eq!(h.ev(), ["TransferFailed#2 Setup 500"], "no PASV after EPSV ALL");
    assert!(h.s.epsv_all_active());
    h.s.transfer(retr()).unwrap();
    assert_eq!(h.out(), ["EPSV"], "EPSV ALL is sent once");
    // EPSV ALL refused: plain EPSV, fallback still off (config says EPSV only)
    let mut h = H::logged_in(config);
    h.s.transfer(retr()).unwrap();
    h.r("502 no ALL").unwrap();
    h.r("229 (|||6000|)").unwrap();
    assert_eq!(h.out(), ["EPSV ALL", "EPSV"]);
    assert_eq!(h.ev(), ["ConnectData#2 192.0.2.10:6000"]);
    // A raw EPSV ALL switches a normal session too.
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.command(Command::Epsv(Some(EpsvArg::All))).unwrap();
    h.s.transfer(active("192.0.2.99:40000")).unwrap();
    h.r("200 ok").unwrap();
    assert_eq!(h.out(), ["EPSV ALL"]);
    assert_eq!(h.ev(), ["Reply#2 200", "TransferFailed#3 Setup 0"]);
    assert_eq!(h.s.command(Command::Pasv).unwrap_err().kind(), ErrorKind::InvalidState);
    assert_eq!(h.s.transfer(active("192.0.2.99:40000")).unwrap_err().kind(), ErrorKind::InvalidState);
}

#[test]
fn nat_policies_on_227() {
    let custom = PasvAddressPolicy::Custom(std::sync::Arc::new(|announced, _peer| announced));
    let rows: &[(PasvAddressPolicy, &str, &str, &str)] = &[
        (
            PasvAddressPolicy::UseControlPeer,
            "203.0.113.7:21",
            "10,0,0,5,19,136",
            "ConnectData#2 203.0.113.7:5000 nat=PrivateBehindPublic",
        ),
        (PasvAddressPolicy::UseControlPeer, "203.0.113.7:21", "203,0,113,7,19,136", "ConnectData#2 203.0.113.7:5000"),
        (
            PasvAddressPolicy::ReplaceBogus,
            "203.0.113.7:21",
            "0,0,0,0,19,136",
            "ConnectData#2 203.0.113.7:5000 nat=Unspecified",
        ),
        (
            PasvAddressPolicy::ReplaceBogus,
            "203.0.113.7:21",
            "127,0,0,1,19,136",
            "ConnectData#2 203.0.113.7:5000 nat=Loopback",
        ),
        (
            PasvAddressPolicy::ReplaceBogus,
            "203.0.113.7:21",
            "198,51,100,1,19,136",
            "ConnectData#2 198.51.100.1:5000 nat=OtherHost",
        ),
        (
            PasvAddressPolicy::TrustServer,
            "203.0.113.7:21",
            "10,0,0,5,19,136",
            "ConnectData#2 10.0.0.5:5000 nat=PrivateBehindPublic",
        ),
        (custom, "203.0.113.7:21", "10,0,0,5,19,136", "ConnectData#2 10.0.0.5:5000 nat=PrivateBehindPublic"),
    ];
    for (i, (policy, peer, tuple, event)) in rows.iter().enumerate() {
        let mut config = Config::new(sa(peer));
        config.pasv_policy = policy.clone();
        let mut h = H::logged_in(config);
        h.s.transfer(Transfer::new(TransferKind::List(None), DataMode::Pasv)).unwrap();
        h.r(&format!("227 Entering Passive Mode ({tuple})")).unwrap();
        assert_eq!(h.out(), ["PASV"], "row {i}");
        assert_eq!(h.ev(), [*event], "row {i}");
    }
}

#[test]
fn abort_transitions() {
    // (replies after ABOR, events after ABOR)
    let rows: &[(&[&str], &[&str])] = &[
        (&["426 aborted", "226 ABOR ok"], &["TransferFailed#2 Aborted 426", "Aborted#3 226"]),
        (&["226 done anyway", "225 no transfer"], &["TransferFailed#2 Aborted 226", "Aborted#3 225"]),
        (&["225 no transfer"], &["TransferFailed#2 Aborted 0", "Aborted#3 225"]),
        (&["150 late", "426 aborted", "226 ok"], &["TransferFailed#2 Aborted 426", "Aborted#3 226"]),
        (&["426 aborted", "502 no ABOR"], &["TransferFailed#2 Aborted 426", "Aborted#3 502"]),
        // pure-ftpd 1.0.50: a second 150 answers the aborted transfer, then 226 answers ABOR.
        (
            &[
                "150 0.512 seconds (measured here), 7.33 Mbytes per second",
                "226 Since you see this ABOR must've succeeded",
            ],
            &["TransferFailed#2 Aborted 150", "Aborted#3 226"],
        ),
    ];
    for (i, &(replies, events)) in rows.iter().enumerate() {
        let mut h = H::logged_in(Config::new(sa(PEER)));
        h.s.transfer(retr()).unwrap();
        h.r("229 (|||5000|)").unwrap();
        h.d(2, DataEvent::Connected).unwrap();
        if i != 3 {
            h.r("150 go").unwrap();
        }
        let _ = (h.out(), h.ev());
        assert_eq!(h.s.abort().unwrap().get(), 3);
        assert_eq!(h.out(), ["ABOR"], "row {i}");
        assert_eq!(h.s.abort().unwrap_err().kind(), ErrorKind::InvalidState, "row {i}");
        for r in replies {
            h.r(r).unwrap();
        }
        h.d(2, DataEvent::Eof).unwrap(); // late EOF: ignored
        assert_eq!(h.ev(), events, "row {i}");
        assert_eq!(h.s.state_name(), "idle", "row {i}");
    }
    // The transfer's 226 came, the data is still flowing: a lone reply answers ABOR.
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.transfer(retr()).unwrap();
    h.r("229 (|||5000|)").unwrap();
    h.d(2, DataEvent::Connected).unwrap();
    h.r("150 go").unwrap();
    h.r("226 sent").unwrap();
    let _ = (h.out(), h.ev());
    assert_eq!(h.s.state_name(), "await-data");
    h.s.abort().unwrap();
    assert_eq!(h.out(), ["ABOR"]);
    h.r("226 ABOR ok").unwrap();
    assert_eq!(h.ev(), ["TransferFailed#2 Aborted 226", "Aborted#3 226"]);
    // Waiting for the caller's connection: dropped at once, nothing sent.
    h.s.transfer(retr()).unwrap();
    h.r("229 (|||5001|)").unwrap();
    let _ = (h.out(), h.ev());
    h.s.abort().unwrap();
    assert!(h.out().is_empty());
    assert_eq!(h.ev(), ["TransferFailed#4 Aborted 0", "Aborted#5 0"]);
    h.d(4, DataEvent::Connected).unwrap();
    // A setup command in flight: the transfer is dropped when its reply comes.
    h.s.transfer(retr()).unwrap();
    h.s.noop().unwrap();
    h.s.abort().unwrap();
    h.r("229 (|||5002|)").unwrap();
    assert_eq!(h.out(), ["EPSV", "NOOP"]);
    assert_eq!(h.ev(), ["TransferFailed#6 Aborted 0", "Aborted#8 0"]);
}

#[test]
fn service_not_available_closes_from_any_state() {
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.transfer(retr()).unwrap();
    h.s.pwd().unwrap();
    h.r("229 (|||5000|)").unwrap();
    h.d(2, DataEvent::Connected).unwrap();
    h.r("150 go").unwrap();
    let _ = h.ev();
    h.r("421 shutting down").unwrap();
    assert_eq!(h.ev(), ["Closed 421 [2, 3]"]);
    assert!(h.s.is_closed());
    assert_eq!(h.d(2, DataEvent::Eof).unwrap_err().kind(), ErrorKind::Closed);
    // even while idle, a 421 is not "unsolicited"
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.r("421 idle timeout").unwrap();
    assert_eq!(h.ev(), ["Closed 421 []"]);
}

#[test]
fn uploads_end_with_the_callers_close() {
    let mut h = H::logged_in(Config::new(sa(PEER)));
    let t = Transfer::new(TransferKind::Stor("up.bin".into()), DataMode::Passive);
    assert_eq!(t.kind.direction(), Direction::Upload);
    h.s.transfer(t).unwrap();
    h.r("229 (|||5000|)").unwrap();
    h.d(2, DataEvent::Connected).unwrap();
    h.r("150 send it").unwrap();
    h.d(2, DataEvent::Closed).unwrap();
    h.r("226 stored").unwrap();
    assert_eq!(h.out(), ["EPSV", "STOR up.bin"]);
    assert_eq!(h.ev(), ["ConnectData#2 192.0.2.10:5000", "Started#2 150", "DataReady#2", "Complete#2 226"]);
    for (kind, line) in [
        (TransferKind::Stou, "STOU"),
        (TransferKind::Appe("a".into()), "APPE a"),
        (TransferKind::List(Some("-la".into())), "LIST -la"),
        (TransferKind::Nlst(None), "NLST"),
        (TransferKind::Mlsd(Some("d".into())), "MLSD d"),
    ] {
        assert_eq!(kind.command().to_bytes().unwrap(), format!("{line}\r\n").into_bytes());
    }
}

// ---- FTPS (RFC 4217) ----

/// AUTH → 234 → StartTls, and nothing queued goes out until the shell's handshake is done.
#[test]
fn auth_tls_holds_the_queue_until_the_handshake_is_done() {
    let mut h = H::new();
    h.r("220 hi").unwrap();
    h.ev();
    h.s.auth("TLS").unwrap();
    h.s.login("u", "p", None).unwrap();
    assert_eq!(h.out(), ["AUTH TLS"]);
    h.r("234 go").unwrap();
    assert_eq!(h.ev(), ["StartTls#1 234"]);
    assert!(h.out().is_empty(), "USER must wait for TLS");
    assert_eq!(h.s.state_name(), "tls");
    assert!(matches!(h.r("200 stray"), Err(SessionError::UnsolicitedReply { .. })));
    h.s.tls_done().unwrap();
    assert!(h.s.control_protected());
    assert_eq!(h.out(), ["USER u"]);
    assert!(h.s.tls_done().is_err(), "no TLS step pending");
}

/// The AUTH refusals of RFC 4217 §4 (and a server that knows no AUTH) fail the request; the session goes on in
/// clear, unprotected.
#[test]
fn auth_refusals_fail_the_request_and_leave_the_session_clear() {
    for (code, err) in [("534", false), ("504", false), ("431", false), ("502", false), ("500", false), ("334", true)] {
        let mut h = H::new();
        h.r("220 hi").unwrap();
        h.ev();
        h.s.auth("TLS").unwrap();
        h.out();
        assert_eq!(h.r(&format!("{code} no")).is_err(), err, "{code}");
        assert_eq!(h.ev(), [format!("Failed#1 {code}")], "{code}");
        assert!(!h.s.control_protected() && !h.s.data_protected());
        assert_eq!(h.s.state_name(), "idle");
    }
}

#[test]
fn pbsz_before_prot_and_only_c_or_p() {
    let mut h = H::new();
    h.r("220 hi").unwrap();
    assert!(matches!(h.s.pbsz(), Err(SessionError::InvalidState { .. })), "PBSZ needs TLS");
    assert!(matches!(h.s.ccc(), Err(SessionError::InvalidState { .. })), "CCC needs TLS");
    let mut h = H::with(Config { implicit_tls: true, ..Config::new(sa(PEER)) });
    h.r("220 hi").unwrap();
    h.ev();
    assert!(h.s.control_protected());
    assert!(matches!(h.s.auth("TLS"), Err(SessionError::InvalidState { .. })), "implicit TLS has no AUTH");
    assert!(matches!(h.s.prot(ProtectionLevel::Private), Err(SessionError::InvalidState { .. })), "PBSZ first");
    h.s.pbsz().unwrap();
    for level in [ProtectionLevel::Safe, ProtectionLevel::Confidential] {
        assert!(matches!(h.s.prot(level), Err(SessionError::InvalidState { .. })));
    }
    h.s.prot(ProtectionLevel::Private).unwrap();
    assert_eq!(h.out(), ["PBSZ 0"]);
    h.r("200 PBSZ=0").unwrap();
    assert_eq!(h.out(), ["PROT P"]);
    h.r("200 P").unwrap();
    assert_eq!(h.ev(), ["Done#1 200", "Done#2 200"]);
    assert!(h.s.data_protected());
    // PROT C: clear again; a refused PROT leaves the level as it was.
    h.s.prot(ProtectionLevel::Clear).unwrap();
    h.r("200 C").unwrap();
    assert!(!h.s.data_protected());
    h.s.prot(ProtectionLevel::Private).unwrap();
    h.r("534 policy").unwrap();
    assert!(!h.s.data_protected());
    assert_eq!(h.ev(), ["Done#3 200", "Failed#4 534"]);
}

#[test]
fn auth_ssl_protects_data_without_prot() {
    let mut h = H::new();
    h.r("220 hi").unwrap();
    h.s.auth("SSL").unwrap();
    h.r("234 go").unwrap();
    h.s.tls_done().unwrap();
    assert!(h.s.control_protected() && h.s.data_protected());
}

#[test]
fn ccc_stops_tls_on_the_control_connection_and_data_protection_with_it() {
    let mut h = H::with(Config { implicit_tls: true, ..Config::new(sa(PEER)) });
    h.r("220 hi").unwrap();
    h.s.pbsz().unwrap();
    h.s.prot(ProtectionLevel::Private).unwrap();
    h.r("200 ok").unwrap();
    h.r("200 ok").unwrap();
    h.ev();
    h.out();
    h.s.ccc().unwrap();
    h.s.noop().unwrap();
    assert_eq!(h.out(), ["CCC"]);
    h.r("200 clear").unwrap();
    assert_eq!(h.ev(), ["StopTls#3 200"]);
    assert!(h.out().is_empty(), "NOOP waits until TLS is closed");
    h.s.tls_done().unwrap();
    assert!(!h.s.control_protected(), "the control connection is clear");
    assert!(h.s.data_protected(), "CCC leaves the data connections' protection as PROT P set it");
    assert_eq!(h.out(), ["NOOP"]);
    // A refused CCC (533, RFC 4217 §6) keeps TLS.
    let mut h = H::with(Config { implicit_tls: true, ..Config::new(sa(PEER)) });
    h.r("220 hi").unwrap();
    h.ev();
    h.s.ccc().unwrap();
    h.r("533 no").unwrap();
    assert_eq!(h.ev(), ["Failed#1 533"]);
    assert!(h.s.control_protected());
}

/// A protected transfer refused with 522 (no session reuse) or 425 fails like any refused transfer.
#[test]
fn a_522_on_the_transfer_command_fails_the_transfer() {
    let mut h = H::logged_in(Config::new(sa(PEER)));
    h.s.transfer(Transfer::new(TransferKind::Stor("f".into()), DataMode::Passive)).unwrap();
    h.r("229 (|||50000|)").unwrap();
    let id = RequestId(2);
    h.s.handle_data(id, DataEvent::Connected).unwrap();
    h.out();
    h.r("522 SSL connection failed; session reuse required").unwrap();
    assert_eq!(h.ev(), ["ConnectData#2 192.0.2.10:50000", "TransferFailed#2 Refused 522"]);
}

#[test]
fn the_tls_steps_verdicts() {
    assert_eq!(verdict(Step::Auth, 234), Verdict::Success);
    assert_eq!(verdict(Step::Auth, 334), Verdict::Continue);
    for step in [Step::Auth, Step::Pbsz, Step::Prot, Step::Ccc] {
        assert_eq!(verdict(step, 534), Verdict::Failure);
        assert_eq!(verdict(step, 150), Verdict::Unexpected);
    }
    for step in [Step::Pbsz, Step::Prot, Step::Ccc] {
        assert_eq!(verdict(step, 200), Verdict::Success);
    }
}
