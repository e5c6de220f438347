//! The server session's states and its transition table, and nothing else.
//!
//! The session's state is what this file calls a [`ServerState`]: where the login is and which request (if any) is
//! out. Every input the session takes ([`ServerInput`]: a command line of some kind, a request's outcome, an accepted
//! data connection, a timer, a shutdown) moves it along one row of [`TRANSITIONS`]. The session checks each move it
//! makes against this table (a debug assertion, so every test and fuzz run checks it), a unit test takes every row
//! at least once, and `cargo xtask codegen` writes the table and its diagram into the docs from here.
//!
//! Two parts of the session state are orthogonal to this table and kept beside it: the data channel (none, a
//! passive listener, an accepted passive connection, an active address) and the one-command sequences (RNFR's
//! name for the next RNTO, REST's offset for the next RETR/STOR).

use super::TimeoutKind;

/// Where a server session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerState {
    /// Greeted; waiting for USER.
    AwaitUser,
    /// USER taken; waiting for PASS.
    AwaitPass,
    /// PASS taken; the `Authenticate` request is out.
    Authenticating,
    /// Logged in, no request out: commands are handled as they come.
    Ready,
    /// Logged in, one non-transfer request out (CWD, SIZE, PASV, ...); commands queue.
    Working,
    /// A transfer command's `OpenRead`/`OpenWrite`/`List` request is out; nothing on the wire yet.
    Opening,
    /// Opened; the `ConnectActive` request is out (after PORT/EPRT).
    Connecting,
    /// Opened; waiting for the client's passive data connection.
    Accepting,
    /// 150/125 written; the `Transfer` request is out.
    Streaming,
    /// Closed: nothing more comes in or goes out.
    Closed,
}

impl ServerState {
    /// Every state, in order.
    pub const ALL: &'static [ServerState] = &[
        ServerState::AwaitUser,
        ServerState::AwaitPass,
        ServerState::Authenticating,
        ServerState::Ready,
        ServerState::Working,
        ServerState::Opening,
        ServerState::Connecting,
        ServerState::Accepting,
        ServerState::Streaming,
        ServerState::Closed,
    ];

    /// The state's name as the docs write it (`await-user`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            ServerState::AwaitUser => "await-user",
            ServerState::AwaitPass => "await-pass",
            ServerState::Authenticating => "authenticating",
            ServerState::Ready => "ready",
            ServerState::Working => "working",
            ServerState::Opening => "opening",
            ServerState::Connecting => "connecting",
            ServerState::Accepting => "accepting",
            ServerState::Streaming => "streaming",
            ServerState::Closed => "closed",
        }
    }

    /// The one timer that runs in this state.
    pub const fn timer(self) -> Option<TimeoutKind> {
        match self {
            ServerState::Connecting | ServerState::Accepting => Some(TimeoutKind::DataConnect),
            ServerState::Opening | ServerState::Streaming | ServerState::Closed => None,
            _ => Some(TimeoutKind::Idle),
        }
    }
}

/// What moves a server session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerInput {
    /// A `USER` line.
    User,
    /// A `PASS` line.
    Pass,
    /// A `QUIT` line.
    Quit,
    /// An `ABOR` line.
    Abor,
    /// A `STAT` line.
    Stat,
    /// A command answered at once, without a request (NOOP, FEAT, TYPE, PORT, REST, unknown verbs, ...).
    Immediate,
    /// A command that asks the caller for a non-transfer request (CWD, SIZE, DELE, PASV, MLST, ...).
    Request,
    /// A data transfer command (RETR, STOR, APPE, STOU, LIST, NLST, MLSD).
    Transfer,
    /// A security command: AUTH, PBSZ, PROT, CCC (RFC 2228, RFC 4217).
    Security,
    /// A line that is no command (empty, too long, not UTF-8, bad syntax).
    BadLine,
    /// `complete` with the outcome of the request that is out (outcomes for other ids change nothing).
    Outcome,
    /// `handle_data_accepted`: a passive data connection came in.
    DataAccepted,
    /// The idle timer fired.
    IdleTimeout,
    /// The data-connection timer fired.
    DataTimeout,
    /// `shutdown`: the server is stopping.
    Shutdown,
}

impl ServerInput {
    /// The input's name as the docs write it.
    pub const fn name(self) -> &'static str {
        match self {
            ServerInput::User => "USER",
            ServerInput::Pass => "PASS",
            ServerInput::Quit => "QUIT",
            ServerInput::Abor => "ABOR",
            ServerInput::Stat => "STAT",
            ServerInput::Immediate => "immediate command",
            ServerInput::Request => "request command",
            ServerInput::Transfer => "transfer command",
            ServerInput::Security => "AUTH/PBSZ/PROT/CCC",
            ServerInput::BadLine => "bad line",
            ServerInput::Outcome => "outcome",
            ServerInput::DataAccepted => "data accepted",
            ServerInput::IdleTimeout => "idle timeout",
            ServerInput::DataTimeout => "data timeout",
            ServerInput::Shutdown => "shutdown",
        }
    }
}

/// Where a row leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The state the input came in.
    Same,
    /// This state.
    To(ServerState),
}

/// One row of the transition table: in any of `from`, on `input`, when `when` holds, go to `to` and write/issue
/// `outputs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The states the row applies in.
    pub from: &'static [ServerState],
    /// The input.
    pub input: ServerInput,
    /// The condition that picks this row among the rows for the same state and input.
    pub when: &'static str,
    /// The next state.
    pub to: Next,
    /// What the session writes (replies), asks (requests) and tells (events).
    pub outputs: &'static str,
}

use ServerInput as I;
use ServerState as S;

const LOGGED_OUT: &[ServerState] = &[S::AwaitUser, S::AwaitPass];
const BUSY: &[ServerState] = &[S::Authenticating, S::Working, S::Opening, S::Connecting, S::Accepting, S::Streaming];
const XFER: &[ServerState] = &[S::Opening, S::Connecting, S::Accepting, S::Streaming];
const IDLE_TIMED: &[ServerState] = &[S::AwaitUser, S::AwaitPass, S::Authenticating, S::Ready, S::Working];
const OPEN: &[ServerState] = &[
    S::AwaitUser,
    S::AwaitPass,
    S::Authenticating,
    S::Ready,
    S::Working,
    S::Opening,
    S::Connecting,
    S::Accepting,
    S::Streaming,
];
const ALL_COMMANDS: &[ServerInput] =
    &[I::User, I::Pass, I::Quit, I::Abor, I::Stat, I::Immediate, I::Request, I::Transfer, I::Security, I::BadLine];

const fn row(
    from: &'static [ServerState],
    input: ServerInput,
    when: &'static str,
    to: Next,
    outputs: &'static str,
) -> Transition {
    Transition { from, input, when, to, outputs }
}

/// The table: every move a server session makes. Rows for the same state and input differ in `when`.
pub const TRANSITIONS: &[Transition] = &[
    // -- logging in
    row(LOGGED_OUT, I::User, "", Next::To(S::AwaitPass), "331"),
    row(LOGGED_OUT, I::User, "TLS required for login, control in clear", Next::Same, "530"),
    row(&[S::AwaitUser], I::Pass, "", Next::Same, "503"),
    row(&[S::AwaitPass], I::Pass, "anonymous user, anonymous on", Next::To(S::Ready), "230, LoggedIn"),
    row(&[S::AwaitPass], I::Pass, "", Next::To(S::Authenticating), "Authenticate"),
    row(&[S::Authenticating], I::Outcome, "LoggedIn", Next::To(S::Ready), "230, LoggedIn"),
    row(&[S::Authenticating], I::Outcome, "refused", Next::To(S::AwaitUser), "530"),
    row(&[S::Authenticating], I::Outcome, "refused, max_failed_logins reached", Next::To(S::Closed), "530, 421, Close"),
    row(&[S::Authenticating], I::Outcome, "Throttled (the address is backed off)", Next::To(S::Closed), "421, Close"),
    row(&[S::Ready], I::User, "", Next::Same, "530"),
    row(&[S::Ready], I::Pass, "", Next::Same, "230"),
    // -- commands answered at once
    row(LOGGED_OUT, I::Immediate, "", Next::Same, "the reply (530 for verbs that need a login)"),
    row(LOGGED_OUT, I::Request, "", Next::Same, "530"),
    row(LOGGED_OUT, I::Transfer, "", Next::Same, "530"),
    row(LOGGED_OUT, I::Stat, "", Next::Same, "530"),
    row(LOGGED_OUT, I::Abor, "", Next::Same, "530"),
    row(&[S::AwaitUser, S::AwaitPass, S::Ready], I::BadLine, "", Next::Same, "500/501/504"),
    row(&[S::Ready], I::Immediate, "", Next::Same, "the reply"),
    row(&[S::Ready], I::Stat, "without a path, or a refused path", Next::Same, "211 (553 for a refused path)"),
    row(&[S::Ready], I::Stat, "with a path", Next::To(S::Working), "ListLines"),
    row(&[S::Ready], I::Abor, "", Next::Same, "226"),
    row(&[S::AwaitUser, S::AwaitPass, S::Ready], I::Quit, "", Next::To(S::Closed), "221, Close"),
    // -- security (RFC 2228, RFC 4217)
    row(&[S::AwaitUser], I::Security, "AUTH TLS/SSL, TLS available, control in clear", Next::Same, "234, StartTls"),
    row(
        &[S::AwaitPass],
        I::Security,
        "AUTH TLS/SSL, TLS available, control in clear",
        Next::To(S::AwaitUser),
        "234, StartTls",
    ),
    row(
        &[S::AwaitUser, S::AwaitPass, S::Ready],
        I::Security,
        "AUTH refused (no TLS, already protected, after login, unknown mechanism)",
        Next::Same,
        "502/503/504",
    ),
    row(&[S::AwaitUser, S::AwaitPass, S::Ready], I::Security, "PBSZ, PROT", Next::Same, "200/503/536"),
    row(&[S::Ready], I::Security, "CCC, control protected, CCC allowed", Next::Same, "200, StopTls"),
    row(&[S::AwaitUser, S::AwaitPass, S::Ready], I::Security, "CCC refused", Next::Same, "533/534"),
    // -- requests
    row(&[S::Ready], I::Request, "", Next::To(S::Working), "Stat/Delete/Mkdir/Rmdir/Rename/Size/Mtime/ListenPassive"),
    row(
        &[S::Ready],
        I::Request,
        "answered at once: refused (path, RNFR first, EPSV ALL, no right, storage), SITE HELP",
        Next::Same,
        "214/500/501/502/503/522/550/553",
    ),
    row(
        &[S::Working],
        I::Outcome,
        "",
        Next::To(S::Ready),
        "the reply (213 and the listing for STAT with a path; CloseData for a bad passive port)",
    ),
    // -- transfers
    row(&[S::Ready], I::Transfer, "", Next::To(S::Opening), "OpenRead/OpenWrite/List"),
    row(
        &[S::Ready],
        I::Transfer,
        "no data channel, bad path, no right, PROT C when TLS is required, not in the storage's capabilities",
        Next::Same,
        "425/502/504/521/550/553",
    ),
    row(&[S::Opening], I::Outcome, "opened, active data channel", Next::To(S::Connecting), "ConnectActive"),
    row(&[S::Opening], I::Outcome, "opened, passive, no connection yet", Next::To(S::Accepting), ""),
    row(&[S::Opening], I::Outcome, "opened, passive, already connected", Next::To(S::Streaming), "125, Transfer"),
    row(&[S::Opening], I::Outcome, "refused", Next::To(S::Ready), "Cancel, CloseData, 550/553/451/452"),
    row(&[S::Connecting], I::Outcome, "connected", Next::To(S::Streaming), "150, Transfer"),
    row(&[S::Connecting], I::Outcome, "failed", Next::To(S::Ready), "Cancel, CloseData, 425"),
    row(&[S::Accepting], I::DataAccepted, "from the client", Next::To(S::Streaming), "150, Transfer"),
    row(&[S::Streaming], I::Outcome, "", Next::To(S::Ready), "Transferred, CloseData, 226/425/426/451/452/522/552"),
    row(XFER, I::Abor, "", Next::To(S::Ready), "Cancel, CloseData, 426, 226"),
    row(&[S::Streaming], I::Stat, "without a path", Next::Same, "211"),
    // -- queueing while a request is out
    row(BUSY, I::Stat, "queued", Next::Same, ""),
    row(&[S::Authenticating, S::Working], I::Abor, "queued", Next::Same, ""),
    row(BUSY, I::User, "queued", Next::Same, ""),
    row(BUSY, I::Pass, "queued", Next::Same, ""),
    row(BUSY, I::Quit, "queued", Next::Same, ""),
    row(BUSY, I::Immediate, "queued", Next::Same, ""),
    row(BUSY, I::Request, "queued", Next::Same, ""),
    row(BUSY, I::Transfer, "queued", Next::Same, ""),
    row(BUSY, I::Security, "queued", Next::Same, ""),
    row(BUSY, I::BadLine, "queued", Next::Same, ""),
    row(BUSY, I::Stat, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    row(BUSY, I::Abor, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    row(BUSY, I::User, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    row(BUSY, I::Pass, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    row(BUSY, I::Quit, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    row(BUSY, I::Immediate, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    row(BUSY, I::Request, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    row(BUSY, I::Transfer, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    row(BUSY, I::Security, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    row(BUSY, I::BadLine, "queue full", Next::To(S::Closed), "Cancel, 421, Close"),
    // -- inputs that change nothing here
    row(OPEN, I::Outcome, "for a request no longer out", Next::Same, "(ignored)"),
    row(OPEN, I::DataAccepted, "", Next::Same, "verdict Use or Refuse"),
    row(&[S::Closed], I::Outcome, "", Next::Same, "(ignored)"),
    row(&[S::Closed], I::DataAccepted, "", Next::Same, "Refuse"),
    // -- timers and shutdown
    row(IDLE_TIMED, I::IdleTimeout, "deadline passed", Next::To(S::Closed), "Cancel, 421, Close"),
    row(
        &[S::Connecting, S::Accepting],
        I::DataTimeout,
        "deadline passed",
        Next::To(S::Ready),
        "Cancel, CloseData, 425",
    ),
    row(OPEN, I::Shutdown, "", Next::To(S::Closed), "Cancel, 421, Close"),
];

/// The rows for `input` in `from`, in table order.
pub fn rows(from: ServerState, input: ServerInput) -> impl Iterator<Item = &'static Transition> {
    TRANSITIONS.iter().filter(move |t| t.input == input && t.from.contains(&from))
}

/// True when the table has a row taking `from` to `to` on `input`. Every input can also be early, late or
/// spurious (a timer before its deadline, anything after `Closed`): those change nothing and need no row.
pub fn allows(from: ServerState, input: ServerInput, to: ServerState) -> bool {
    let harmless = from == to
        && (from == S::Closed || matches!(input, I::IdleTimeout | I::DataTimeout | I::Shutdown | I::DataAccepted));
    harmless
        || rows(from, input).any(|t| match t.to {
            Next::Same => to == from,
            Next::To(s) => to == s,
        })
}

/// Every command input, for the docs and the tests.
pub const COMMAND_INPUTS: &[ServerInput] = ALL_COMMANDS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_open_state_takes_every_command_and_the_timer_matches() {
        for &state in ServerState::ALL {
            if state == S::Closed {
                continue;
            }
            for &input in COMMAND_INPUTS {
                assert!(rows(state, input).next().is_some(), "no row for {input:?} in {state:?}");
            }
            assert!(rows(state, I::Shutdown).next().is_some(), "{state:?}");
            match state.timer() {
                Some(TimeoutKind::Idle) => assert!(rows(state, I::IdleTimeout).next().is_some(), "{state:?}"),
                Some(TimeoutKind::DataConnect) => assert!(rows(state, I::DataTimeout).next().is_some(), "{state:?}"),
                None => {}
            }
        }
    }
}
