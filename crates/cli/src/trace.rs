//! `--trace`: the control exchange as `ftp -d` prints it, and after each data connection the seed's numbered steps
//! for it, with the real addresses and ports of the live session.
//!
//! The recorder only collects what the client's trace hook reports. The annotation is the core's: the collected
//! lines go through `transcript::decode` and `timeline::build`, exactly as `ftpkit explain` would read them from a
//! saved `ftp -d` log; the CLI then fills in the ports the log cannot know (the client's control port, both ends of
//! each data connection) from the sockets.

use ftpkit::client::{TraceLine, Tracer};
use ftpkit_proto::driver::TlsInfo;
use ftpkit_proto::firewall::Side;
use ftpkit_proto::timeline::{self, Context, DataConnection, Timeline};
use ftpkit_proto::transcript::{self, DEBUG_MARKER};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Where recorded lines are echoed as they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// Not echoed (the caller renders the log afterwards).
    Quiet,
    /// Written to stderr as they happen.
    Stderr,
}

/// A data connection as the client's sockets saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSockets {
    /// How many log lines had been recorded when it was established.
    pub after_lines: usize,
    /// The client's end.
    pub local: SocketAddr,
    /// The server's end.
    pub remote: SocketAddr,
}

/// A TLS handshake the session made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsStep {
    /// On a data connection (else the control connection).
    pub data: bool,
    /// Version, cipher suite, and whether the handshake resumed an earlier session.
    pub info: TlsInfo,
}

#[derive(Debug, Default)]
struct Log {
    lines: Vec<String>,
    data: Vec<DataSockets>,
    tls: Vec<TlsStep>,
}

/// Collects one session's trace.
#[derive(Debug, Clone)]
pub struct Recorder {
    log: Arc<Mutex<Log>>,
    echo: Echo,
    /// The control connection: (client end, server end).
    control: Option<(SocketAddr, SocketAddr)>,
    /// How many data connections and notes were already annotated.
    shown: (usize, usize),
}

fn lock(log: &Mutex<Log>) -> MutexGuard<'_, Log> {
    log.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Recorder {
    /// An empty recorder.
    pub fn new(echo: Echo) -> Recorder {
        Recorder { log: Arc::default(), echo, control: None, shown: (0, 0) }
    }

    /// Sets the control connection's ends (client, server): they make the steps' addresses real.
    pub fn set_control(&mut self, client: SocketAddr, server: SocketAddr) {
        self.control = Some((client, server));
    }

    /// The control connection's ends, when set.
    pub fn control(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.control
    }

    /// The hook to put into the client's options.
    pub fn tracer(&self) -> Tracer {
        let log = Arc::clone(&self.log);
        let echo = self.echo;
        Arc::new(move |line: &TraceLine| {
            let mut log = lock(&log);
            let text = match line {
                TraceLine::Sent(s) => format!("{DEBUG_MARKER}{s}"),
                TraceLine::Received(s) => s.clone(),
                TraceLine::Data { local, remote } => {
                    let after_lines = log.lines.len();
                    log.data.push(DataSockets { after_lines, local: *local, remote: *remote });
                    return;
                }
                // TLS steps are shown with --trace but kept out of the recorded transcript (which is decoded as
                // `ftp -d` output).
                TraceLine::Tls { .. } | TraceLine::TlsClosed => {
                    if let TraceLine::Tls { data, info } = line {
                        log.tls.push(TlsStep { data: *data, info: info.clone() });
                    }
                    if let (Echo::Stderr, Some(text)) = (echo, line.tls_text()) {
                        let _ = writeln!(std::io::stderr().lock(), "{text}");
                    }
                    return;
                }
                _ => return,
            };
            if echo == Echo::Stderr {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }
            log.lines.push(text);
        })
    }

    /// The lines recorded so far (commands with the `---> ` marker).
    pub fn lines(&self) -> Vec<String> {
        lock(&self.log).lines.clone()
    }

    /// The TLS handshakes made so far, in order.
    pub fn tls_steps(&self) -> Vec<TlsStep> {
        lock(&self.log).tls.clone()
    }

    /// The data connections established so far.
    pub fn data_sockets(&self) -> Vec<DataSockets> {
        lock(&self.log).data.clone()
    }

    /// The timeline context: the control connection's addresses and the server's control port.
    pub fn context(&self) -> Context {
        match self.control {
            Some((c, s)) => Context { client: Some(c.ip()), server: Some(s.ip()), control_port: Some(s.port()) },
            None => Context::default(),
        }
    }

    /// The core's timeline of everything recorded so far, with the live session's ports filled in.
    pub fn timeline(&self) -> Timeline {
        let (text, data) = {
            let log = lock(&self.log);
            (log.lines.join("\n"), log.data.clone())
        };
        let items = transcript::decode(&text);
        let mut tl = timeline::build(&items, &self.context());
        let mut used = vec![false; data.len()];
        for dc in &mut tl.connections {
            // The first unused data connection established after the endpoint was announced is this one's.
            let found =
                data.iter().enumerate().find(|(i, d)| used.get(*i) == Some(&false) && d.after_lines >= dc.announced_at);
            let sockets = found.map(|(i, d)| {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
                *d
            });
            fill_ports(dc, self.control.map(|c| c.0), sockets);
        }
        tl
    }

    /// The steps of the data connections not annotated yet, and the timeline's new notes (a transfer refused
    /// before its data connection opened, say), as text; empty when there is nothing new.
    pub fn new_steps(&mut self) -> String {
        let mut tl = self.timeline();
        let (conns, notes) = (tl.connections.len(), tl.warnings.len());
        let (shown_conns, shown_notes) = self.shown;
        if conns <= shown_conns && notes <= shown_notes {
            return String::new();
        }
        tl.connections.drain(..shown_conns.min(conns));
        tl.warnings.drain(..shown_notes.min(notes));
        self.shown = (conns.max(shown_conns), notes.max(shown_notes));
        let text = timeline::render_text(&tl);
        if tl.connections.is_empty() {
            // Only notes: leave out render_text's "no data connection was opened" line, which is about the whole log.
            text.lines().filter(|l| l.starts_with("note ")).map(|l| format!("{l}\n")).collect()
        } else {
            text
        }
    }
}

/// Puts real ports (and addresses) into a connection's steps: the client's control port, and both ends of the data
/// connection as the client's socket saw them. A data end's socket address replaces the announced one: when the
/// client dialed another address than a 227 named (its NAT policy), the step shows where it really went, and the
/// timeline's warning says why.
pub fn fill_ports(dc: &mut DataConnection, control_client: Option<SocketAddr>, data: Option<DataSockets>) {
    for step in &mut dc.steps {
        let is_data = step.number >= 3;
        for end in [&mut step.from, &mut step.to] {
            let addr = match (end.side, is_data) {
                (Side::Client, false) => control_client,
                (Side::Client, true) => data.map(|d| d.local),
                (Side::Server, true) => data.map(|d| d.remote),
                (Side::Server, false) => None,
            };
            if let Some(a) = addr {
                end.port = Some(a.port());
                if is_data {
                    end.ip = Some(a.ip());
                } else {
                    end.ip.get_or_insert(a.ip());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(rec: &Recorder, lines: &[TraceLine]) {
        let t = rec.tracer();
        for l in lines {
            t(l);
        }
    }

    fn s(x: &str) -> TraceLine {
        TraceLine::Sent(x.to_owned())
    }
    fn r(x: &str) -> TraceLine {
        TraceLine::Received(x.to_owned())
    }
    fn a(x: &str) -> SocketAddr {
        x.parse().unwrap()
    }

    #[test]
    fn active_steps_get_the_live_ports() {
        let mut rec = Recorder::new(Echo::Quiet);
        rec.set_control(a("127.0.0.1:50000"), a("127.0.0.1:2121"));
        feed(
            &rec,
            &[
                r("220 ready"),
                s("PORT 127,0,0,1,161,82"),
                r("200 PORT ok"),
                s("LIST"),
                TraceLine::Data { local: a("127.0.0.1:41298"), remote: a("127.0.0.1:20") },
                r("150 Here it comes"),
                r("226 Done"),
            ],
        );
        assert_eq!(rec.lines()[1], "---> PORT 127,0,0,1,161,82");
        let text = rec.new_steps();
        let want = [
            "data connection 1 (active, PORT on line 2, for LIST on line 4, ended 226)",
            "  1. client 127.0.0.1:50000 -> server 127.0.0.1:2121: the client sends PORT naming its data port 41298",
            "  2. server 127.0.0.1:2121 -> client 127.0.0.1:50000: the server acknowledges on the control connection \
             (200)",
            "  3. server 127.0.0.1:20 -> client 127.0.0.1:41298: the server opens the data connection from its data \
             port to the client's [new inbound connection at the client's firewall]",
            "  4. client 127.0.0.1:41298 -> server 127.0.0.1:20: the client acknowledges on the data connection",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), want);
        assert_eq!(rec.new_steps(), "", "each connection is annotated once");
    }

    #[test]
    fn a_failed_transfer_does_not_shift_the_sockets() {
        let mut rec = Recorder::new(Echo::Quiet);
        rec.set_control(a("127.0.0.1:50000"), a("127.0.0.1:2121"));
        feed(
            &rec,
            &[
                s("EPSV"),
                r("229 Entering Extended Passive Mode (|||40001|)"),
                TraceLine::Data { local: a("127.0.0.1:50001"), remote: a("127.0.0.1:40001") },
                s("RETR missing"),
                r("550 No such file"),
                s("EPSV"),
                r("229 Entering Extended Passive Mode (|||40002|)"),
                TraceLine::Data { local: a("127.0.0.1:50002"), remote: a("127.0.0.1:40002") },
                s("RETR there"),
                r("150 Opening"),
                r("226 Done"),
            ],
        );
        let tl = rec.timeline();
        assert_eq!(tl.connections.len(), 1);
        let steps = &tl.connections[0].steps;
        assert_eq!((steps[2].from.port, steps[2].to.port), (Some(50002), Some(40002)));
        assert_eq!(steps[0].from.port, Some(50000));
        let text = rec.new_steps();
        assert!(text.contains("  3. client 127.0.0.1:50002 -> server 127.0.0.1:40002: "), "{text}");
    }

    #[test]
    fn a_refused_transfer_is_noted_once() {
        let mut rec = Recorder::new(Echo::Quiet);
        feed(
            &rec,
            &[s("EPSV"), r("229 Entering Extended Passive Mode (|||40001|)"), s("RETR missing"), r("550 No such file")],
        );
        assert_eq!(
            rec.new_steps(),
            "note (line 4): the transfer was answered 550 before a data connection opened; the 229 from line 2 was \
             not used\n"
        );
        assert_eq!(rec.new_steps(), "");
    }

    #[test]
    fn nothing_to_annotate_without_a_data_connection() {
        let mut rec = Recorder::new(Echo::Quiet);
        feed(&rec, &[s("NOOP"), r("200 ok")]);
        assert_eq!(rec.new_steps(), "");
        assert!(rec.data_sockets().is_empty());
    }
}
