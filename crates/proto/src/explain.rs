//! Plain-language explanations of transcript items: what each command asks, what each reply means, and — for the
//! host-port forms — who listens, who connects, and which firewall sees the connection come in.
//!
//! The texts are built from the decoded values, never from the raw line, so they are exactly as right as the
//! parsers. The CLI prints them and the browser explainer shows them beside each line.

use crate::transcript::{Endpoint, EndpointForm, Item};
use std::fmt::Write as _;

/// A one-sentence meaning for a command verb (upper-case), or `None` for verbs ftpkit does not know.
pub fn verb_meaning(verb: &str) -> Option<&'static str> {
    Some(match verb {
        "USER" => "sends the user name to log in with",
        "PASS" => "sends the password",
        "ACCT" => "sends the account information the server asked for",
        "CWD" | "XCWD" => "changes the working directory",
        "CDUP" | "XCUP" => "changes to the parent directory",
        "SMNT" => "mounts a different file system structure",
        "REIN" => "resets the session to just after the greeting",
        "QUIT" => "ends the session",
        "PORT" => "tells the server where the client listens for the data connection (active mode)",
        "PASV" => "asks the server to listen for the data connection (passive mode)",
        "EPRT" => "tells the server where the client listens, IPv4 or IPv6 (extended active mode)",
        "EPSV" => "asks the server to listen, naming only a port (extended passive mode)",
        "LPRT" => "tells the server where the client listens, long form (RFC 1639)",
        "LPSV" => "asks the server to listen, long form (RFC 1639)",
        "TYPE" => "sets the transfer type (A = ASCII, I = binary image)",
        "STRU" => "sets the file structure",
        "MODE" => "sets the transfer mode",
        "RETR" => "downloads a file over the data connection",
        "STOR" => "uploads a file over the data connection",
        "STOU" => "uploads a file under a name the server picks",
        "APPE" => "appends to a file over the data connection",
        "ALLO" => "reserves storage for an upload",
        "REST" => "sets the offset the next transfer restarts from",
        "RNFR" => "names the file to rename",
        "RNTO" => "gives the new name of the file named by RNFR",
        "ABOR" => "aborts the transfer in progress",
        "DELE" => "deletes a file",
        "RMD" | "XRMD" => "removes a directory",
        "MKD" | "XMKD" => "makes a directory",
        "PWD" | "XPWD" => "asks for the working directory",
        "LIST" => "lists a directory in a human format over the data connection",
        "NLST" => "lists names only over the data connection",
        "MLSD" => "lists a directory as machine-readable facts over the data connection",
        "MLST" => "asks for one entry's facts on the control connection",
        "SITE" => "sends a server-specific command",
        "SYST" => "asks for the server's system type",
        "STAT" => "asks for status",
        "HELP" => "asks for help",
        "NOOP" => "does nothing (keeps the connection alive)",
        "FEAT" => "asks which extensions the server supports",
        "OPTS" => "sets an option of a command",
        "SIZE" => "asks for a file's size",
        "MDTM" => "asks for a file's modification time",
        "AUTH" => "starts a security mechanism such as TLS",
        "ADAT" => "sends security data",
        "PBSZ" => "sets the protection buffer size",
        "PROT" => "sets the data channel protection level",
        "CCC" => "clears the command channel protection",
        "MIC" | "CONF" | "ENC" => "sends a protected command",
        "LANG" => "selects the language of the server's replies",
        "HOST" => "names the virtual host to use",
        _ => return None,
    })
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

/// A one-line explanation of a transcript item.
pub fn explain(item: &Item) -> String {
    match item {
        Item::Command(c) => {
            if let Some(ep) = &c.endpoint {
                return format!("{}: {}", c.verb, endpoint_sentence(ep));
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
