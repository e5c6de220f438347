//! The client session's states and its transition tables, and nothing else.
//!
//! Two tables move the session: [`REPLY_ROWS`] for a reply to the command in flight (after [`verdict`] has
//! classified its code for that command), and [`DATA_ROWS`] for a fact about the transfer's data connection. The
//! first row that matches wins. Each row names what happens ([`Act`], [`DataAct`], carried out by the session in
//! `client.rs`) and the state that follows. The module docs' tables and the state diagram in
//! `docs/ARCHITECTURE.md` are generated from these rows (`cargo xtask codegen`); a test fails when they are stale.

use std::fmt::Write as _;

/// The command in flight (or the greeting awaited): the rows of the verdict table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Step {
    Greeting,
    User,
    Pass,
    Acct,
    Feat,
    Pwd,
    Mkd,
    Size,
    Mdtm,
    Rnfr,
    Rnto,
    Rest,
    Simple(&'static str),
    Raw,
    Quit,
    Rein,
    EpsvAll,
    Epsv,
    Pasv,
    Eprt,
    Port,
    XferRest,
    Xfer,
    /// ABOR sent, the transfer's own final reply still owed.
    AborOwed,
    /// ABOR sent, only its own reply owed.
    Abor,
    /// `AUTH TLS` / `AUTH SSL` (RFC 4217 §4).
    Auth,
    /// `PBSZ 0` (RFC 4217 §8).
    Pbsz,
    /// `PROT C|P` (RFC 4217 §9).
    Prot,
    /// `CCC`: back to a clear control connection (RFC 4217 §6).
    Ccc,
}

impl Step {
    /// The command's name, for errors.
    pub(super) fn name(self) -> &'static str {
        match self {
            Step::Rest | Step::XferRest => "REST",
            Step::Simple(verb) => verb,
            Step::Raw => "raw command",
            Step::Xfer => "transfer command",
            Step::AborOwed | Step::Abor => "ABOR",
            other => other.kind(),
        }
    }

    /// The step's name in the tables (one per variant).
    pub(super) fn kind(self) -> &'static str {
        match self {
            Step::Greeting => "greeting",
            Step::User => "USER",
            Step::Pass => "PASS",
            Step::Acct => "ACCT",
            Step::Feat => "FEAT",
            Step::Pwd => "PWD",
            Step::Mkd => "MKD",
            Step::Size => "SIZE",
            Step::Mdtm => "MDTM",
            Step::Rnfr => "RNFR",
            Step::Rnto => "RNTO",
            Step::Rest => "REST",
            Step::Simple(_) => "simple",
            Step::Raw => "raw",
            Step::Quit => "QUIT",
            Step::Rein => "REIN",
            Step::EpsvAll => "EPSV ALL",
            Step::Epsv => "EPSV",
            Step::Pasv => "PASV",
            Step::Eprt => "EPRT",
            Step::Port => "PORT",
            Step::XferRest => "REST (transfer)",
            Step::Xfer => "transfer",
            Step::AborOwed => "ABOR (reply owed)",
            Step::Abor => "ABOR",
            Step::Auth => "AUTH",
            Step::Pbsz => "PBSZ",
            Step::Prot => "PROT",
            Step::Ccc => "CCC",
        }
    }

    /// The state's name while this step is in flight.
    pub(super) fn sent_name(self) -> &'static str {
        match self {
            Step::Greeting => "sent(greeting)",
            Step::User => "sent(USER)",
            Step::Pass => "sent(PASS)",
            Step::Acct => "sent(ACCT)",
            Step::Feat => "sent(FEAT)",
            Step::Pwd => "sent(PWD)",
            Step::Mkd => "sent(MKD)",
            Step::Size => "sent(SIZE)",
            Step::Mdtm => "sent(MDTM)",
            Step::Rnfr => "sent(RNFR)",
            Step::Rnto => "sent(RNTO)",
            Step::Rest | Step::XferRest => "sent(REST)",
            Step::Simple(_) => "sent(simple)",
            Step::Raw => "sent(raw)",
            Step::Quit => "sent(QUIT)",
            Step::Rein => "sent(REIN)",
            Step::EpsvAll => "sent(EPSV ALL)",
            Step::Epsv => "sent(EPSV)",
            Step::Pasv => "sent(PASV)",
            Step::Eprt => "sent(EPRT)",
            Step::Port => "sent(PORT)",
            Step::Xfer => "sent(transfer)",
            Step::AborOwed | Step::Abor => "sent(ABOR)",
            Step::Auth => "sent(AUTH)",
            Step::Pbsz => "sent(PBSZ)",
            Step::Prot => "sent(PROT)",
            Step::Ccc => "sent(CCC)",
        }
    }
}

/// Every step, one of each kind (for the generated tables and the tests).
pub(super) const ALL_STEPS: [Step; 29] = [
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
    Step::Simple("TYPE"),
    Step::Raw,
    Step::Quit,
    Step::Rein,
    Step::EpsvAll,
    Step::Epsv,
    Step::Pasv,
    Step::Eprt,
    Step::Port,
    Step::XferRest,
    Step::Xfer,
    Step::AborOwed,
    Step::Abor,
    Step::Auth,
    Step::Pbsz,
    Step::Prot,
    Step::Ccc,
];

/// How a reply answers the command in flight: the cells of the verdict table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Preliminary: keep waiting for the final reply.
    Wait,
    /// The command did what was asked.
    Success,
    /// Accepted; the request goes on with its next command.
    Continue,
    /// The server does not know the command (500/501/502): try the fallback.
    Unsupported,
    /// Refused.
    Failure,
    /// Not a reply this command can get.
    Unexpected,
}

impl Verdict {
    fn name(self) -> &'static str {
        match self {
            Verdict::Wait => "wait",
            Verdict::Success => "success",
            Verdict::Continue => "continue",
            Verdict::Unsupported => "unsupported",
            Verdict::Failure => "failure",
            Verdict::Unexpected => "unexpected",
        }
    }
}

/// The verdict table: how reply `code` answers `step`. The only place reply codes are interpreted (421 aside).
pub(super) fn verdict(step: Step, code: u16) -> Verdict {
    use Step as S;
    use Verdict as V;
    match (step, code) {
        (S::Greeting | S::Rein, 120) => V::Wait,
        (S::Greeting | S::Rein, 220) => V::Success,
        // RFC 4217 §4: 234 = start the TLS negotiation now; 334 asks for ADAT (not TLS: a refusal for us).
        (S::Auth, 234) => V::Success,
        (S::Auth, 334) => V::Continue,
        (S::Pbsz | S::Prot | S::Ccc, 200..=299) => V::Success,
        (S::User | S::Pass | S::Acct, 230 | 202) => V::Success,
        (S::User, 331 | 332) | (S::Pass, 332) | (S::Rnfr, 350) => V::Continue,
        (S::Rest | S::XferRest, 350) => V::Success,
        (S::Feat, 211) | (S::Pwd, 257) | (S::Size | S::Mdtm, 213) => V::Success,
        (S::Mkd | S::Rnto | S::Simple(_) | S::Quit | S::EpsvAll | S::Eprt | S::Port, 200..=299) => V::Success,
        (S::Epsv, 229) | (S::Pasv, 227) => V::Success,
        (S::Epsv | S::Eprt, 500..=502) => V::Unsupported,
        (S::Xfer | S::Raw | S::AborOwed, 100..=199) => V::Wait,
        (S::Xfer | S::Abor, 200..=299) => V::Success,
        (S::AborOwed, 225) => V::Success,
        (S::AborOwed, 200..=599) => V::Continue,
        (S::Raw, 200..=599) => V::Success,
        (_, 400..=599) => V::Failure,
        _ => V::Unexpected,
    }
}

/// The state of the session (see the module docs' table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Greeting,
    Idle,
    Sent(Step),
    AwaitConnect,
    AwaitData,
    /// TLS is being started (after `234`) or stopped (after CCC's `200`) on the control connection by the shell:
    /// nothing is sent until it says it is done.
    Tls,
    Closed,
}

impl State {
    pub(super) fn name(self) -> &'static str {
        match self {
            State::Greeting => "greeting",
            State::Idle => "idle",
            State::Sent(step) => step.sent_name(),
            State::AwaitConnect => "await-connect",
            State::AwaitData => "await-data",
            State::Tls => "tls",
            State::Closed => "closed",
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The reply table
// ---------------------------------------------------------------------------------------------------------------

/// What a reply does (carried out by the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Act {
    /// A transfer cancelled while its setup command was in flight ends on that command's reply.
    DropCancelled,
    /// The transfer command's first `1xx`: `TransferStarted`, and the join is checked.
    XferStarted,
    /// A second `1xx` after ABOR answers the aborted transfer (pure-ftpd).
    AborTransferPreliminary,
    /// The transfer's own `1xx`, late, after ABOR.
    MarkStarted,
    /// Keep waiting.
    Stay,
    Greeted,
    GreetingRefused,
    GreetingUnexpected,
    LoggedIn,
    SendPass,
    SendAcct,
    LoginFailed,
    /// The login failed; an error too unless the code was a failure code.
    LoginFailedChecked,
    Features,
    Path257,
    Size,
    Modified,
    SendRnto,
    Done,
    Reinitialized,
    RawReply,
    Quit,
    EpsvAllOk,
    EpsvAllRefused,
    ConnectEpsv,
    ConnectPasv,
    FallbackPasv,
    FallbackPort,
    /// PORT/EPRT accepted: `AcceptData`, then the transfer command.
    AcceptThenTransfer,
    SetupFailed,
    SendXfer,
    RestFailed,
    /// The transfer's final `2xx`: into the join.
    XferFinal,
    XferFailed,
    /// After ABOR, the transfer's own final reply (`426`, or another).
    AborTransferReply,
    Aborted,
    AbortedUnexpected,
    /// AUTH accepted (`234`): the shell starts TLS on the control connection now (`StartTls`).
    StartTls,
    /// PROT accepted: data connections are protected (P) or clear (C) from now on.
    Protection,
    /// CCC accepted: the shell ends TLS on the control connection, keeping the TCP connection (`StopTls`).
    ClearControl,
    /// Any other reply: the request failed (an error too unless the code was a failure code).
    RequestFailed,
}

/// A condition a row needs besides the step and the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Guard {
    Always,
    /// The reply code is this one.
    Code(u16),
    /// The login request carries an account.
    HasAccount,
    /// The transfer asked for [`DataMode::Passive`](super::DataMode::Passive) and EPSV ALL is not in effect.
    PassiveFallback,
    /// The transfer asked for active mode on IPv4.
    PortFallback,
    /// `abort` cancelled the transfer while its setup command was in flight.
    Cancelled,
    /// The transfer command already had a `1xx`.
    Started,
}

impl Guard {
    fn describe(self) -> String {
        match self {
            Guard::Always => String::new(),
            Guard::Code(c) => format!("code {c}"),
            Guard::HasAccount => "an account was given".into(),
            Guard::PassiveFallback => "mode Passive, no EPSV ALL".into(),
            Guard::PortFallback => "active on IPv4".into(),
            Guard::Cancelled => "the transfer was aborted".into(),
            Guard::Started => "a 1xx came already".into(),
        }
    }
}

/// The facts the guards read, taken from the session before the lookup.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Facts {
    pub(super) code: u16,
    pub(super) has_account: bool,
    pub(super) passive_fallback: bool,
    pub(super) port_fallback: bool,
    pub(super) cancelled: bool,
    pub(super) started: bool,
}

impl Facts {
    fn holds(&self, guard: Guard) -> bool {
        match guard {
            Guard::Always => true,
            Guard::Code(c) => self.code == c,
            Guard::HasAccount => self.has_account,
            Guard::PassiveFallback => self.passive_fallback,
            Guard::PortFallback => self.port_fallback,
            Guard::Cancelled => self.cancelled,
            Guard::Started => self.started,
        }
    }
}

/// One row of the reply table: steps (by [`Step::kind`], empty = any), verdicts (empty = any), a guard, what
/// happens, and the state that follows (for the docs).
#[derive(Debug, Clone, Copy)]
pub(super) struct Row {
    pub(super) steps: &'static [&'static str],
    pub(super) verdicts: &'static [Verdict],
    pub(super) guard: Guard,
    pub(super) act: Act,
    pub(super) next: &'static str,
}

const ANY: &[&str] = &[];
const SETUP: &[&str] = &["EPSV ALL", "EPSV", "PASV", "EPRT", "PORT", "REST (transfer)"];
const FINAL: &[Verdict] =
    &[Verdict::Success, Verdict::Continue, Verdict::Unsupported, Verdict::Failure, Verdict::Unexpected];
const ALL: &[Verdict] = &[];

const fn row(
    steps: &'static [&'static str],
    verdicts: &'static [Verdict],
    guard: Guard,
    act: Act,
    next: &'static str,
) -> Row {
    Row { steps, verdicts, guard, act, next }
}

use Verdict as V;

/// The reply table. The first row whose steps, verdicts and guard match decides.
pub(super) const REPLY_ROWS: &[Row] = &[
    row(SETUP, FINAL, Guard::Cancelled, Act::DropCancelled, "idle (TransferFailed, Aborted)"),
    row(
        &["transfer"],
        &[V::Wait],
        Guard::Always,
        Act::XferStarted,
        "same (TransferStarted; DataReady once data is open)",
    ),
    row(
        &["ABOR (reply owed)"],
        &[V::Wait],
        Guard::Started,
        Act::AborTransferPreliminary,
        "sent(ABOR) (TransferFailed)",
    ),
    row(&["ABOR (reply owed)"], &[V::Wait], Guard::Always, Act::MarkStarted, "same"),
    row(ANY, &[V::Wait], Guard::Always, Act::Stay, "same"),
    row(&["greeting"], &[V::Success], Guard::Always, Act::Greeted, "idle (Greeting)"),
    row(&["greeting"], &[V::Failure], Guard::Always, Act::GreetingRefused, "closed (Closed)"),
    row(&["greeting"], ALL, Guard::Always, Act::GreetingUnexpected, "same (error)"),
    row(&["USER", "PASS", "ACCT"], &[V::Success], Guard::Always, Act::LoggedIn, "idle (LoggedIn)"),
    row(&["USER"], &[V::Continue], Guard::Code(331), Act::SendPass, "sent(PASS)"),
    row(&["USER", "PASS"], &[V::Continue], Guard::HasAccount, Act::SendAcct, "sent(ACCT)"),
    row(&["USER", "PASS"], &[V::Continue], Guard::Always, Act::LoginFailed, "idle (LoginFailed)"),
    row(&["USER", "PASS", "ACCT"], ALL, Guard::Always, Act::LoginFailedChecked, "idle (LoginFailed)"),
    row(&["FEAT"], &[V::Success], Guard::Always, Act::Features, "idle (Features)"),
    row(&["PWD", "MKD"], &[V::Success], Guard::Always, Act::Path257, "idle (Path, or Done)"),
    row(&["SIZE"], &[V::Success], Guard::Always, Act::Size, "idle (Size)"),
    row(&["MDTM"], &[V::Success], Guard::Always, Act::Modified, "idle (Modified)"),
    row(&["RNFR"], &[V::Continue], Guard::Always, Act::SendRnto, "sent(RNTO)"),
    row(&["RNTO", "REST", "simple", "PBSZ"], &[V::Success], Guard::Always, Act::Done, "idle (Done)"),
    row(
        &["AUTH"],
        &[V::Success],
        Guard::Always,
        Act::StartTls,
        "tls (StartTls), idle once the shell's handshake is done",
    ),
    row(&["PROT"], &[V::Success], Guard::Always, Act::Protection, "idle (Done; data protection set)"),
    row(
        &["CCC"],
        &[V::Success],
        Guard::Always,
        Act::ClearControl,
        "tls (StopTls), idle once the shell's TLS is closed",
    ),
    row(&["REIN"], &[V::Success], Guard::Always, Act::Reinitialized, "idle (Done; logged out)"),
    row(&["raw"], &[V::Success], Guard::Always, Act::RawReply, "idle (Reply)"),
    row(&["QUIT"], &[V::Success], Guard::Always, Act::Quit, "closed (Closed)"),
    row(&["EPSV ALL"], &[V::Success], Guard::Always, Act::EpsvAllOk, "sent(EPSV)"),
    row(&["EPSV ALL"], ALL, Guard::Always, Act::EpsvAllRefused, "sent(EPSV)"),
    row(&["EPSV"], &[V::Success], Guard::Always, Act::ConnectEpsv, "await-connect (ConnectData)"),
    row(&["PASV"], &[V::Success], Guard::Always, Act::ConnectPasv, "await-connect (ConnectData, NAT policy)"),
    row(&["EPSV"], &[V::Unsupported], Guard::PassiveFallback, Act::FallbackPasv, "sent(PASV)"),
    row(&["EPRT"], &[V::Unsupported], Guard::PortFallback, Act::FallbackPort, "sent(PORT)"),
    row(
        &["EPRT", "PORT"],
        &[V::Success],
        Guard::Always,
        Act::AcceptThenTransfer,
        "sent(REST) or sent(transfer) (AcceptData)",
    ),
    row(&["EPSV", "PASV", "EPRT", "PORT"], ALL, Guard::Always, Act::SetupFailed, "idle (TransferFailed: Setup)"),
    row(&["REST (transfer)"], &[V::Success], Guard::Always, Act::SendXfer, "sent(transfer)"),
    row(&["REST (transfer)"], ALL, Guard::Always, Act::RestFailed, "idle (TransferFailed: Restart)"),
    row(&["transfer"], &[V::Success], Guard::Always, Act::XferFinal, "idle (TransferComplete) or await-data"),
    row(&["transfer"], ALL, Guard::Always, Act::XferFailed, "idle (TransferFailed)"),
    row(
        &["ABOR (reply owed)"],
        &[V::Continue],
        Guard::Always,
        Act::AborTransferReply,
        "sent(ABOR) (TransferFailed: Aborted)",
    ),
    row(&["ABOR (reply owed)", "ABOR"], &[V::Success, V::Failure], Guard::Always, Act::Aborted, "idle (Aborted)"),
    row(&["ABOR (reply owed)", "ABOR"], ALL, Guard::Always, Act::AbortedUnexpected, "idle (Aborted; error)"),
    row(ANY, ALL, Guard::Always, Act::RequestFailed, "idle (Failed / LoginFailed / TransferFailed)"),
];

/// The row that decides what `verdict` on `step` does.
pub(super) fn lookup(step: Step, verdict: Verdict, facts: &Facts) -> &'static Row {
    let kind = step.kind();
    REPLY_ROWS
        .iter()
        .find(|r| {
            (r.steps.is_empty() || r.steps.contains(&kind))
                && (r.verdicts.is_empty() || r.verdicts.contains(&verdict))
                && facts.holds(r.guard)
        })
        // The last row matches everything.
        .unwrap_or(&REPLY_ROWS[REPLY_ROWS.len() - 1])
}

// ---------------------------------------------------------------------------------------------------------------
// The data table
// ---------------------------------------------------------------------------------------------------------------

/// What a data fact does (carried out by the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataAct {
    /// Passive: connected; the transfer command goes out.
    ConnectedSendXfer,
    ConnectFailed,
    ClosedBeforeConnected,
    /// Active: the server's connection (refused from a foreign host).
    AcceptedCheckPeer,
    DataDone,
    DataFailed,
    Misplaced,
}

/// Where the transfer is, for the data table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataWhen {
    /// `await-connect`.
    AwaitConnect,
    /// The transfer command (or its REST) is in flight, or `await-data`.
    Flowing,
    /// Flowing, active mode, no connection yet.
    FlowingActivePending,
    /// Flowing, the data connection not ended yet.
    FlowingNotEnded,
    Any,
}

/// One row of the data table.
#[derive(Debug, Clone, Copy)]
pub(super) struct DataRow {
    pub(super) input: &'static [&'static str],
    pub(super) when: DataWhen,
    pub(super) act: DataAct,
    pub(super) next: &'static str,
}

const fn data_row(input: &'static [&'static str], when: DataWhen, act: DataAct, next: &'static str) -> DataRow {
    DataRow { input, when, act, next }
}

/// The data table. The first matching row decides.
pub(super) const DATA_ROWS: &[DataRow] = &[
    data_row(&["Connected"], DataWhen::AwaitConnect, DataAct::ConnectedSendXfer, "sent(REST) or sent(transfer)"),
    data_row(&["Failed"], DataWhen::AwaitConnect, DataAct::ConnectFailed, "idle (TransferFailed)"),
    data_row(&["Eof", "Closed"], DataWhen::AwaitConnect, DataAct::ClosedBeforeConnected, "idle (TransferFailed)"),
    data_row(
        &["Accepted"],
        DataWhen::FlowingActivePending,
        DataAct::AcceptedCheckPeer,
        "same (DataReady after a 1xx); foreign: error",
    ),
    data_row(
        &["Eof", "Closed"],
        DataWhen::FlowingNotEnded,
        DataAct::DataDone,
        "idle (TransferComplete) once the 2xx came",
    ),
    data_row(&["Failed"], DataWhen::Flowing, DataAct::DataFailed, "idle (TransferFailed) once the 2xx came"),
    data_row(&[], DataWhen::Any, DataAct::Misplaced, "same (error InvalidState)"),
];

/// Where the transfer is, as the data table's conditions see it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DataFacts {
    pub(super) await_connect: bool,
    pub(super) flowing: bool,
    pub(super) active: bool,
    pub(super) pending: bool,
    pub(super) ended: bool,
}

impl DataFacts {
    fn holds(&self, when: DataWhen) -> bool {
        match when {
            DataWhen::AwaitConnect => self.await_connect,
            DataWhen::Flowing => self.flowing,
            DataWhen::FlowingActivePending => self.flowing && self.active && self.pending,
            DataWhen::FlowingNotEnded => self.flowing && !self.ended,
            DataWhen::Any => true,
        }
    }
}

/// The row that decides what data fact `input` does.
pub(super) fn data_lookup(input: &'static str, facts: &DataFacts) -> &'static DataRow {
    DATA_ROWS
        .iter()
        .find(|r| (r.input.is_empty() || r.input.contains(&input)) && facts.holds(r.when))
        .unwrap_or(&DATA_ROWS[DATA_ROWS.len() - 1])
}

// ---------------------------------------------------------------------------------------------------------------
// Generated documentation
// ---------------------------------------------------------------------------------------------------------------

fn list(items: &[&str], any: &str) -> String {
    if items.is_empty() {
        any.to_owned()
    } else {
        items.join(", ")
    }
}

/// The verdict table as Markdown: for each step, the codes giving each verdict (1xx-5xx, one code each checked).
pub(super) fn verdict_markdown() -> String {
    let mut out = String::from(
        "| step | wait | success | continue | unsupported | failure |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for step in ALL_STEPS {
        let mut cells: Vec<String> = Vec::new();
        for v in [V::Wait, V::Success, V::Continue, V::Unsupported, V::Failure] {
            cells.push(code_ranges((100..=599).filter(|&c| verdict(step, c) == v)));
        }
        let _ = writeln!(out, "| {} | {} |", step.kind(), cells.join(" | "));
    }
    out
}

/// `[200, 201, ..., 299, 350]` as `200-299, 350`.
fn code_ranges(codes: impl Iterator<Item = u16>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(u16, u16)> = None;
    for c in codes {
        run = match run {
            Some((a, b)) if c == b + 1 => Some((a, c)),
            Some((a, b)) => {
                parts.push(if a == b { a.to_string() } else { format!("{a}-{b}") });
                Some((c, c))
            }
            None => Some((c, c)),
        };
    }
    if let Some((a, b)) = run {
        parts.push(if a == b { a.to_string() } else { format!("{a}-{b}") });
    }
    parts.join(", ")
}

/// The reply and data tables as Markdown.
pub(super) fn transitions_markdown() -> String {
    let mut out = String::from(
        "| step in flight | verdict | when | does | next state (events) |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in REPLY_ROWS {
        let verdicts: Vec<&str> = r.verdicts.iter().map(|v| v.name()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:?} | {} |",
            list(r.steps, "any"),
            list(&verdicts, "any"),
            r.guard.describe(),
            r.act,
            r.next
        );
    }
    out.push_str("\n| data fact | when | does | next state (events) |\n| --- | --- | --- | --- |\n");
    for r in DATA_ROWS {
        let _ = writeln!(out, "| {} | {:?} | {:?} | {} |", list(r.input, "any"), r.when, r.act, r.next);
    }
    out
}

/// The state diagram (Mermaid), from the rows' next states: one edge per pair of states, labelled with the acts
/// that take it.
pub(super) fn state_diagram() -> String {
    let mut edges: Vec<(&str, &str, Vec<String>)> = Vec::new();
    let mut add = |from: &'static str, to: &'static str, label: String| match edges
        .iter_mut()
        .find(|(f, t, _)| *f == from && *t == to)
    {
        Some((_, _, labels)) if !labels.contains(&label) => labels.push(label),
        Some(_) => {}
        None => edges.push((from, to, vec![label])),
    };
    // The rows' next-state text starts with the state's name; `sent(X)` states are drawn as one `sent` node.
    let node = |next: &'static str| -> Option<&'static str> {
        match next.split(' ').next().unwrap_or("same") {
            "same" => None,
            t if t.starts_with("sent(") => Some("sent"),
            "await-connect" => Some("await_connect"),
            "await-data" => Some("await_data"),
            "tls" => Some("tls"),
            "idle" => Some("idle"),
            "closed" => Some("closed"),
            _ => None,
        }
    };
    add("[*]", "greeting", "connected".into());
    add("idle", "sent", "a request's first command".into());
    for r in REPLY_ROWS {
        let from = if r.steps == ["greeting"] { "greeting" } else { "sent" };
        if let Some(to) = node(r.next) {
            add(from, to, format!("{:?}", r.act));
        }
    }
    add("sent", "await_data", "XferFinal (data not ended)".into());
    for r in DATA_ROWS {
        let from = if r.when == DataWhen::AwaitConnect { "await_connect" } else { "await_data" };
        if let Some(to) = node(r.next) {
            add(from, to, format!("{:?}", r.act));
        }
    }
    add("tls", "idle", "the shell's TLS step done (tls_done)".into());
    add("greeting", "closed", "421".into());
    add("sent", "closed", "421".into());
    let mut out = String::from("stateDiagram-v2\n");
    for (from, to, labels) in edges {
        let _ = writeln!(out, "    {from} --> {to}: {}", labels.join(", "));
    }
    out
}
