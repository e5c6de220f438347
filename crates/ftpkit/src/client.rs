//! What the blocking and the tokio clients share: options, errors, and the decisions that are the same whatever
//! the runtime (which listing command to use and how to read its lines). Protocol behaviour is the session's
//! ([`ClientSession`]); this module holds no state machine.

use crate::proto::listing::{parse_listing, parse_mlsd_line, Date, DateTime, Entry, ListLine};
use crate::proto::reply::Reply;
use crate::proto::session::client::{ClientSession, CloseReason, Event, RequestId, SessionError, TransferFailure};
pub use crate::proto::session::PasvAddressPolicy;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How data connections are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The client connects to the server (EPSV, falling back to PASV). Works through client-side firewalls and NAT.
    #[default]
    Passive,
    /// The server connects to the client (PORT for IPv4, EPRT for IPv6), which listens on the control connection's
    /// local address, on an ephemeral port.
    Active,
}

/// One line of the control exchange, for tracing (`ftp -d` style), or a data connection being set up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceLine {
    /// A command sent, without its line end (`PASS` arguments are masked as `XXXX`).
    Sent(String),
    /// A reply line received, without its line end. A line split across reads is reported once, whole.
    Received(String),
    /// A data connection was established: its client-side (`local`) and server-side (`remote`) addresses. In
    /// active mode `remote` is where the server connected from; in passive mode `local` is the port the client
    /// connected from. Comes between the control lines, in the order things happened.
    Data {
        /// The client's end of the data connection.
        local: SocketAddr,
        /// The server's end of the data connection.
        remote: SocketAddr,
    },
}

/// A function that sees every control line; see [`Options::trace`].
pub type Tracer = std::sync::Arc<dyn Fn(&TraceLine) + Send + Sync>;

/// The longest partial line kept while waiting for its end; a longer one is reported as it is.
const TRACE_LINE_MAX: usize = 64 * 1024;

/// One client's trace state: the partial line of each direction, kept until its line end arrives, so a reply
/// split across reads is traced as one line.
#[derive(Debug, Default)]
pub(crate) struct TraceBuf {
    sent: Vec<u8>,
    received: Vec<u8>,
}

impl TraceBuf {
    /// Adds control bytes; every line completed by them goes to the tracer (PASS masked).
    pub(crate) fn feed(&mut self, tracer: Option<&Tracer>, sent: bool, bytes: &[u8]) {
        let Some(t) = tracer else { return };
        let buf = if sent { &mut self.sent } else { &mut self.received };
        buf.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(end) = buf.get(start..).and_then(|rest| rest.iter().position(|&b| b == b'\n')) {
            let line = buf.get(start..start + end).unwrap_or_default();
            emit(t, sent, line);
            start += end + 1;
        }
        buf.drain(..start.min(buf.len()));
        if buf.len() > TRACE_LINE_MAX {
            emit(t, sent, buf);
            buf.clear();
        }
    }

    /// Reports what is left of a partial line (the connection closed before its end).
    pub(crate) fn flush(&mut self, tracer: Option<&Tracer>) {
        let Some(t) = tracer else { return };
        for (sent, buf) in [(true, &mut self.sent), (false, &mut self.received)] {
            if !buf.is_empty() {
                emit(t, sent, buf);
                buf.clear();
            }
        }
    }
}

/// Reports an established data connection to the tracer.
pub(crate) fn trace_data(tracer: Option<&Tracer>, sock: &std::net::TcpStream) {
    trace_endpoints(tracer, sock.local_addr(), sock.peer_addr());
}

/// Reports a data connection's two ends to the tracer (when both are known).
pub(crate) fn trace_endpoints(tracer: Option<&Tracer>, local: io::Result<SocketAddr>, remote: io::Result<SocketAddr>) {
    let Some(t) = tracer else { return };
    if let (Ok(local), Ok(remote)) = (local, remote) {
        t(&TraceLine::Data { local, remote });
    }
}

/// Hands one line (without its LF) to the tracer.
fn emit(t: &Tracer, sent: bool, line: &[u8]) {
    let text = String::from_utf8_lossy(line);
    let line = text.strip_suffix('\r').unwrap_or(&text);
    if sent {
        let shown = match line.get(..5) {
            Some(p) if p.eq_ignore_ascii_case("PASS ") => "PASS XXXX".to_owned(),
            _ => line.to_owned(),
        };
        t(&TraceLine::Sent(shown));
    } else {
        t(&TraceLine::Received(line.to_owned()));
    }
}

/// Client settings.
#[derive(Clone)]
pub struct Options {
    /// Connecting the control connection (default 10 s).
    pub connect_timeout: Duration,
    /// Waiting for any reply on the control connection (default 30 s).
    pub reply_timeout: Duration,
    /// Connecting, accepting, and each read or write on a data connection (default 30 s).
    pub data_timeout: Duration,
    /// Passive (default) or active.
    pub mode: Mode,
    /// What to connect to when a 227 names another address than the server's (default: the server's address, as
    /// curl, ftplib and commons-net do since CVE-2020-8284 / CVE-2021-4189).
    pub pasv_policy: PasvAddressPolicy,
    /// Send `EPSV ALL` and use EPSV only (helps NAT devices; no active mode afterwards).
    pub epsv_all: bool,
    /// Passive mode tries EPSV first, falling back to PASV (default true). False: PASV only, the classic
    /// `h1,h2,h3,h4,p1,p2` reply (as curl's `--disable-epsv`).
    pub extended_passive: bool,
    /// Size of the buffer used to copy data (default 256 KiB: large reads come close to raw TCP speed).
    pub buffer_size: usize,
    /// Called with every command sent and every reply line received (default none).
    pub trace: Option<Tracer>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("connect_timeout", &self.connect_timeout)
            .field("reply_timeout", &self.reply_timeout)
            .field("data_timeout", &self.data_timeout)
            .field("mode", &self.mode)
            .field("pasv_policy", &self.pasv_policy)
            .field("epsv_all", &self.epsv_all)
            .field("extended_passive", &self.extended_passive)
            .field("buffer_size", &self.buffer_size)
            .field("trace", &self.trace.is_some())
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Duration::from_secs(10),
            reply_timeout: Duration::from_secs(30),
            data_timeout: Duration::from_secs(30),
            mode: Mode::Passive,
            pasv_policy: PasvAddressPolicy::default(),
            epsv_all: false,
            extended_passive: true,
            buffer_size: 256 * 1024,
            trace: None,
        }
    }
}

/// A client error. `Refused` and `Transfer` carry the server's reply; `Protocol` is the server breaking the protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket or file operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// No answer in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The server refused the request.
    #[error("server refused: {} {}", .0.code, .0.text())]
    Refused(Reply),
    /// The login was refused.
    #[error("login refused: {} {}", .0.code, .0.text())]
    LoginFailed(Reply),
    /// A transfer failed.
    #[error("transfer failed ({failure:?}){}", reply.as_ref().map(|r| format!(": {} {}", r.code, r.text())).unwrap_or_default())]
    Transfer {
        /// Why.
        failure: TransferFailure,
        /// The server's reply, when one said so.
        reply: Option<Reply>,
    },
    /// The server broke the protocol, or the request was not possible in the session's state.
    #[error("protocol: {0}")]
    Protocol(#[from] SessionError),
    /// The control connection is closed.
    #[error("connection closed ({0:?})")]
    Closed(CloseReason),
}

impl Error {
    /// The stable class of the error (for bindings).
    pub fn kind(&self) -> crate::proto::ErrorKind {
        use crate::proto::ErrorKind as K;
        match self {
            Error::Io(_) | Error::Timeout(_) | Error::Transfer { .. } => K::Incomplete,
            Error::Refused(_) | Error::LoginFailed(_) => K::Refused,
            Error::Protocol(e) => e.kind(),
            Error::Closed(_) => K::Closed,
        }
    }
}

/// A client result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Today's date, UTC: the reference for the year of `ls -l` entries that show a time instead.
pub fn today() -> Date {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    DateTime::from_unix(secs, 0).map_or(Date::UNIX_EPOCH, |t| t.date())
}

/// Parses a listing payload: MLSD facts, or LIST lines (Unix or DOS) read against `reference`. Lines no parser
/// understands are returned in `unparsed`, never dropped.
pub fn parse_entries(data: &[u8], mlsd: bool, reference: Date) -> (Vec<Entry<'static>>, Vec<String>) {
    let text = String::from_utf8_lossy(data);
    let mut entries = Vec::new();
    let mut unparsed = Vec::new();
    if mlsd {
        for line in text.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()) {
            match parse_mlsd_line(line) {
                Ok(e) => entries.push(e.into_owned()),
                Err(_) => unparsed.push(line.to_owned()),
            }
        }
    } else {
        for line in parse_listing(&text, reference) {
            match line {
                ListLine::Entry(e) => entries.push(e.into_owned()),
                ListLine::Unparsed(raw) => {
                    if !raw.trim().is_empty() && !raw.starts_with("total ") {
                        unparsed.push(raw.to_string());
                    }
                }
            }
        }
    }
    (entries, unparsed)
}

/// Splits an NLST payload into names.
pub fn parse_names(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .lines()
        .map(|l| l.trim_end_matches('\r').to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The session settings a client's options ask for, for a control connection to `peer`.
pub(crate) fn session_config(peer: std::net::SocketAddr, opts: &Options) -> crate::proto::session::client::Config {
    let mut config = crate::proto::session::client::Config::new(peer);
    config.pasv_policy = opts.pasv_policy.clone();
    config.epsv_all = opts.epsv_all;
    config
}

/// What a client does with the session's verdict on control bytes. Bytes the reply decoder cannot frame (a bad
/// code, a line or reply over the limits, an HTTP server) mean the control connection cannot be trusted: the
/// session is closed and the error returned. A reply that merely makes no sense for the command in flight already
/// failed that request through its event, so it is only logged.
pub(crate) fn judge_input(session: &mut ClientSession, verdict: std::result::Result<(), SessionError>) -> Result<()> {
    match verdict {
        Ok(()) => Ok(()),
        Err(e @ SessionError::Decode(_)) => {
            session.handle_close();
            Err(Error::Protocol(e))
        }
        Err(e) => {
            tracing::debug!(error = %e, "reply refused by the session");
            Ok(())
        }
    }
}

/// The request a success event ends, if the event is one (the final answer a drive loop waits for).
pub(crate) fn final_id(ev: &Event) -> Option<RequestId> {
    match ev {
        Event::LoggedIn { id, .. }
        | Event::Features { id, .. }
        | Event::Path { id, .. }
        | Event::Size { id, .. }
        | Event::Modified { id, .. }
        | Event::Done { id, .. }
        | Event::Reply { id, .. }
        | Event::TransferComplete { id, .. }
        | Event::Aborted { id, .. } => Some(*id),
        _ => None,
    }
}

/// The error for a request answered by an event that does not carry what the request asked for.
pub(crate) fn unexpected(ev: Event) -> Error {
    Error::Protocol(SessionError::InvalidState {
        what: "the request's answer",
        why: match ev {
            Event::Done { .. } => "the server's reply did not carry the expected value",
            _ => "the session reported another event than this request's",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Reads as (sent?, bytes).
    type Reads<'a> = &'a [(bool, &'a [u8])];

    fn collect(reads: Reads<'_>, flush: bool) -> Vec<TraceLine> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let tracer: Tracer = Arc::new(move |l: &TraceLine| sink.lock().map(|mut v| v.push(l.clone())).unwrap_or(()));
        let mut buf = TraceBuf::default();
        for (sent, bytes) in reads {
            buf.feed(Some(&tracer), *sent, bytes);
        }
        if flush {
            buf.flush(Some(&tracer));
        }
        let out = seen.lock().map(|v| v.clone()).unwrap_or_default();
        out
    }

    fn r(s: &str) -> TraceLine {
        TraceLine::Received(s.to_owned())
    }

    #[test]
    fn trace_lines_are_whole_whatever_the_reads() {
        let table: &[(Reads<'_>, bool, Vec<TraceLine>)] = &[
            (&[(false, b"220 ready\r\n")], false, vec![r("220 ready")]),
            (&[(false, b"22"), (false, b"0 rea"), (false, b"dy\r"), (false, b"\n")], false, vec![r("220 ready")]),
            (&[(false, b"211-a\r\n b\r\n211 c\r\n")], false, vec![r("211-a"), r(" b"), r("211 c")]),
            (
                &[(false, b"227 Entering (1,2,3,4,5,6)\r\n150 Op"), (false, b"ening\r\n")],
                false,
                vec![r("227 Entering (1,2,3,4,5,6)"), r("150 Opening")],
            ),
            (&[(false, b"221 bye")], false, vec![]),
            (&[(false, b"221 bye")], true, vec![r("221 bye")]),
            (
                &[(true, b"USER a\r\n"), (true, b"pass s3cret\r\n")],
                false,
                vec![TraceLine::Sent("USER a".into()), TraceLine::Sent("PASS XXXX".into())],
            ),
            // A sent line and a received line do not share a buffer.
            (
                &[(false, b"331 "), (true, b"NOOP\r\n"), (false, b"ok\r\n")],
                false,
                vec![TraceLine::Sent("NOOP".into()), r("331 ok")],
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
}
