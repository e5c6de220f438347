//! The evidence of a row: what tcpdump saw on each side, what the client said, and where that shows the kernel
//! stopped a transfer.

use super::net::{Bg, Host, Lab};
use crate::process::run_with_timeout;
use crate::Result;
use ftpkit::proto::firewall::{At, Mode};
use std::path::Path as FsPath;
use std::process::Command;
use std::time::Duration;

use super::scenarios::Action;

/// Starts tcpdump on a host, writing `<dir>/<label>.pcap`.
pub(crate) fn capture(lab: &Lab, which: Host, label: &str) -> Result<(Bg, std::path::PathBuf)> {
    let file = lab.dir.path().join(format!("{label}.pcap"));
    let f = file.to_string_lossy().into_owned();
    let mut bg = lab.spawn(
        which,
        label,
        &["tcpdump", "-i", "any", "-nn", "-U", "--immediate-mode", "-Z", "root", "-w", &f, "tcp"],
    )?;
    bg.wait_for("listening on", Duration::from_secs(20))?;
    Ok((bg, file))
}

/// The control lines carrying an address (PORT/EPRT/227/229) in a capture, as the host saw them.
pub(crate) fn control_lines(pcap: &FsPath) -> Vec<String> {
    let f = pcap.to_string_lossy();
    let Ok(out) = run_with_timeout(
        Command::new("tcpdump").args(["-r", &f, "-nn", "-A", "tcp port 21"]),
        None,
        Duration::from_secs(10),
    ) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for line in out.stdout_text().lines() {
        for marker in ["PORT ", "EPRT ", "227 ", "229 "] {
            let Some(i) = line.find(marker) else { continue };
            // Not the tail of a number in tcpdump's header (a timestamp, `TS val 1055763227`).
            if line.as_bytes().get(i.wrapping_sub(1)).is_some_and(u8::is_ascii_digit) {
                continue;
            }
            let text = &line[i..];
            let next = text.as_bytes().get(marker.len()).copied().unwrap_or(b' ');
            let numeric = next.is_ascii_digit() || next == b'|';
            if (marker.starts_with('2') || numeric) && !found.iter().any(|f: &String| f == text.trim_end_matches(".."))
            {
                found.push(text.trim_end_matches("..").to_owned());
            }
        }
    }
    found
}

/// A data connection's opening as one capture saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SynFlow {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) syns: u32,
    pub(crate) answered: bool,
}

/// The data-connection SYNs in a capture (not port 21), grouped by connection, with whether a SYN-ACK came.
pub(crate) fn syn_flows(pcap: &FsPath) -> Vec<SynFlow> {
    let f = pcap.to_string_lossy();
    let filter = "tcp[tcpflags] & tcp-syn != 0 and not port 21";
    let Ok(out) =
        run_with_timeout(Command::new("tcpdump").args(["-r", &f, "-nn", filter]), None, Duration::from_secs(10))
    else {
        return Vec::new();
    };
    let mut flows: Vec<SynFlow> = Vec::new();
    for line in out.stdout_text().lines() {
        let Some(rest) = line.split(" IP ").nth(1) else { continue };
        let mut t = rest.split_whitespace();
        let (Some(a), Some(_), Some(b), Some(_), Some(flags)) = (t.next(), t.next(), t.next(), t.next(), t.next())
        else {
            continue;
        };
        let (a, b) = (a.to_owned(), b.trim_end_matches(':').to_owned());
        if flags.starts_with("[S.]") {
            if let Some(f) = flows.iter_mut().find(|f| f.from == b && f.to == a) {
                f.answered = true;
            }
        } else if let Some(f) = flows.iter_mut().find(|f| f.from == a && f.to == b) {
            f.syns += 1;
        } else {
            flows.push(SynFlow { from: a, to: b, syns: 1, answered: false });
        }
    }
    flows
}

pub(crate) fn describe_flows(flows: &[SynFlow], where_: &str) -> Vec<String> {
    flows
        .iter()
        .map(|f| {
            let answer = if f.answered { "answered (SYN-ACK)" } else { "never answered" };
            format!("at the {where_}: SYN {} > {} x{}, {answer}", f.from, f.to, f.syns)
        })
        .collect()
}

/// Where the kernel stopped the transfer, read from what the client said and what the captures saw: a 5xx to
/// PORT/EPRT is the server refusing it (step 2); "unreachable" is the client dialing an address with no route
/// (step 2); a data SYN that reached the accepting host unanswered was dropped by that host's firewall, one that
/// never left the opening host by its own (step 3). `None` when nothing shows.
pub(crate) fn observed_failure(
    action: Action,
    client_text: &str,
    at_client: &[SynFlow],
    at_server: &[SynFlow],
) -> Option<(u8, At)> {
    let refused = client_text.lines().any(|l| {
        let l = l.trim_start_matches(['<', ' ']);
        ["500", "501", "504"].iter().any(|c| l.starts_with(c)) && (l.contains("PORT") || l.contains("EPRT"))
    });
    if refused {
        return Some((2, At::Server));
    }
    if client_text.contains("unreachable") {
        return Some((2, At::Client));
    }
    // Who accepts the data connection (or the probe), whose capture is at each end.
    let server_accepts = matches!(action, Action::Connect | Action::List { mode: Mode::Passive, .. });
    let (acceptor, opener, acceptor_fw, opener_fw) = if server_accepts {
        (at_server, at_client, At::ServerFirewall, At::ClientFirewall)
    } else {
        (at_client, at_server, At::ClientFirewall, At::ServerFirewall)
    };
    if acceptor.iter().any(|f| !f.answered) {
        return Some((3, acceptor_fw));
    }
    if opener.is_empty() && acceptor.is_empty() {
        return Some((3, opener_fw));
    }
    None
}

/// The interesting lines of the client's `--trace`: the commands and replies that set up data connections, the
/// timeline's step 3, and the error.
pub(crate) fn trace_lines(stderr: &str, ok: bool) -> Vec<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let cmd = ["---> CCC", "---> NOOP", "---> SIZE", "---> PORT", "---> EPRT", "---> PASV", "---> EPSV"]
            .iter()
            .any(|m| l.starts_with(m));
        if cmd {
            out.push((*l).to_owned());
            if let Some(reply) = lines.get(i + 1) {
                out.push((*reply).to_owned());
            }
        } else if l.trim_start().starts_with("3. ")
            || l.trim_start().starts_with("warning")
            || l.starts_with("425")
            || l.starts_with("226")
        {
            out.push(l.trim().to_owned());
        }
    }
    if !ok {
        if let Some(last) = lines.iter().rev().find(|l| !l.trim().is_empty()) {
            out.push((*last).to_owned());
        }
    }
    out.dedup();
    out
}
