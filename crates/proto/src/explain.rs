//! Plain-language explanations of transcript items: what each command asks, what each reply means, and — for the
//! host-port forms — who listens, who connects, and which firewall sees the connection come in.
//!
//! The texts are built from the decoded values, never from the raw line, so they are exactly as right as the
//! parsers. The CLI prints them and the browser explainer shows them beside each line.

use crate::transcript::{Endpoint, EndpointForm, Item};
use std::fmt::Write as _;

/// A one-sentence meaning for a command verb (upper-case), or `None` for verbs ftpkit does not know.
pub fn verb_meaning(verb: &str) -> Option<&'static str> {
    // The meanings live in the verb table; this function keeps its upper-case-only contract.
    crate::command::verb_info(verb).filter(|v| v.name == verb).map(|v| v.meaning)
}

/// A short meaning for a reply code, from RFC 959 §4.2 and its extensions; falls back to the code's class.
pub fn code_meaning(code: u16) -> &'static str {
    match code {
        110 => "restart marker",
        120 => "service ready in a few minutes",
        125 => "data connection already open; transfer starting",
        150 => "file status okay; opening the data connection",
        200 => "command okay",
        202 => "command not implemented, superfluous here",
        211 => "system status or feature list",
        212 => "directory status",
        213 => "file status",
        214 => "help message",
        215 => "system type",
        220 => "service ready for a new user",
        221 => "closing the control connection",
        225 => "data connection open; no transfer in progress",
        226 => "closing the data connection; transfer complete",
        227 => "entering passive mode",
        228 => "entering long passive mode",
        229 => "entering extended passive mode",
        230 => "user logged in",
        232 => "user logged in, authorized by security data exchange",
        234 => "security data exchange complete",
        250 => "requested file action okay, completed",
        257 => "path created or reported",
        331 => "user name okay, need password",
        332 => "need account for login",
        350 => "requested file action pending further information",
        421 => "service not available, closing the control connection",
        425 => "cannot open the data connection",
        426 => "connection closed; transfer aborted",
        450 => "file unavailable (busy)",
        451 => "local error in processing; action aborted",
        452 => "insufficient storage space",
        500 => "syntax error, command unrecognized",
        501 => "syntax error in parameters or arguments",
        502 => "command not implemented",
        503 => "bad sequence of commands",
        504 => "command not implemented for that parameter",
        522 => "network protocol not supported; use another",
        530 => "not logged in",
        532 => "need account for storing files",
        550 => "file unavailable (not found, no access)",
        551 => "page type unknown",
        552 => "exceeded storage allocation",
        553 => "file name not allowed",
        631 => "integrity-protected reply",
        632 => "confidentiality and integrity-protected reply",
        633 => "confidentiality-protected reply",
        _ => match code / 100 {
            1 => "positive preliminary reply: another reply follows",
            2 => "positive completion",
            3 => "positive intermediate: send the next command",
            4 => "transient negative: try again later",
            5 => "permanent negative",
            _ => "protected reply",
        },
    }
}

/// Explains a data endpoint: who listens where, who connects, and which firewall sees it come in.
pub fn endpoint_sentence(ep: &Endpoint) -> String {
    let mut s = String::new();
    let (p1, p2) = ep.port_bytes();
    let formula = match ep.form {
        EndpointForm::Port | EndpointForm::Pasv | EndpointForm::Lprt | EndpointForm::Lpsv => {
            format!(" = {p1}*256+{p2}")
        }
        EndpointForm::Eprt | EndpointForm::Epsv => String::new(),
    };
    if ep.form.is_active() {
        let ip = ep.ip.map(|ip| ip.to_string()).unwrap_or_default();
        let _ = write!(
            s,
            "client {ip} listens on port {}{formula}; the server connects to it from its data port \
             (active mode: the data connection is inbound at the client's firewall)",
            ep.port
        );
    } else {
        let at = match ep.ip {
            Some(ip) => format!("server {ip} listens on port {}{formula}", ep.port),
            None => format!(
                "server listens on port {} at the address of the control connection (EPSV names no address)",
                ep.port
            ),
        };
        let _ = write!(
            s,
            "{at}; the client connects to it (passive mode: the data connection is inbound at the server's firewall)"
        );
    }
    s
}

/// The path of a `STAT <path>` command (RFC 959: a listing as a reply, not status), if the command is one.
pub(crate) fn stat_path(c: &crate::transcript::CommandItem) -> Option<&str> {
    let arg = c.arg.as_deref().map(str::trim).filter(|a| !a.is_empty())?;
    (c.verb == "STAT").then_some(arg)
}

/// A one-line explanation of a transcript item.
pub fn explain(item: &Item) -> String {
    match item {
        Item::Command(c) => {
            if let Some(ep) = &c.endpoint {
                return format!("{}: {}", c.verb, endpoint_sentence(ep));
            }
            if let Some(path) = stat_path(c) {
                return format!(
                    "STAT: the client asks for the listing of {path:?} on the control connection, as one 211/212/213 \
                     reply (RFC 959): the one listing that needs no data connection, so it crosses any firewall or \
                     NAT between the two"
                );
            }
            match verb_meaning(&c.verb) {
                Some(m) => format!("{}: the client {m}", c.verb),
                None => format!("{}: a command ftpkit does not know (passed through as is)", c.verb),
            }
        }
        Item::Reply(r) => {
            let base = format!("{}: {}", r.code, code_meaning(r.code));
            if let Some(ep) = &r.endpoint {
                format!("{base}; {}", endpoint_sentence(ep))
            } else if let Some(path) = &r.path {
                format!("{base}: {path:?}")
            } else if r.text.len() > 1 {
                format!("{base} ({} lines)", r.text.len())
            } else {
                base
            }
        }
        Item::Error(e) => format!("cannot decode: {}", e.error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_a_path_is_explained_as_the_listing_that_needs_no_data_connection() {
        let items = crate::transcript::decode("---> STAT /pub\n---> STAT\n---> STAT  \n");
        let texts: Vec<String> = items.iter().map(explain).collect();
        assert!(texts[0].starts_with("STAT: the client asks for the listing of \"/pub\" on the control connection"));
        assert!(texts[0].contains("needs no data connection, so it crosses any firewall"), "{}", texts[0]);
        assert_eq!(texts[1], "STAT: the client asks for status");
        assert_eq!(texts[2], "STAT: the client asks for status");
    }
}
