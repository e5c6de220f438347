//! Re-creations of the *method* two peer crates use, for comparison in the same run. These are NOT the peers' code
//! (their parsers are private to their crates and cannot be called): each function is written here from a one-line
//! description of the approach, with its own pattern and structure.
//!
//! - suppaftp's approach to 227/229: run a regular expression with capture groups over the reply text, then
//!   `parse` each captured number.
//! - libunftp's approach to a command line: split the verb from the argument at the first space, upper-case the
//!   verb into a new `String`, match on it, keep the argument as an owned `String`; for PORT split the argument at
//!   `,` and `parse::<u8>` each part.
//!
//! Both are given the benefit of the doubt: the regexes are compiled once, outside the timed loop.
#![allow(dead_code)] // Shared by several bench targets; each uses a part.

use regex::Regex;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Compiled regexes for the suppaftp-style parse (our own patterns).
#[derive(Debug)]
pub struct RegexPeer {
    pasv: Regex,
    epsv: Regex,
}

impl Default for RegexPeer {
    fn default() -> Self {
        Self::new()
    }
}

impl RegexPeer {
    /// Compile both patterns.
    pub fn new() -> Self {
        RegexPeer {
            // Six comma-separated numbers inside parentheses, each captured.
            pasv: Regex::new(r"\((\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})\)").expect("pasv regex"),
            // `(|||port|)`: the usual delimiter, port captured.
            epsv: Regex::new(r"\(\|\|\|(\d{1,5})\|\)").expect("epsv regex"),
        }
    }

    /// The address of a 227 reply, regex style.
    pub fn pasv(&self, reply: &[u8]) -> Option<SocketAddrV4> {
        let text = std::str::from_utf8(reply).ok()?;
        let caps = self.pasv.captures(text)?;
        let mut n = [0u8; 6];
        for (i, slot) in n.iter_mut().enumerate() {
            *slot = caps.get(i + 1)?.as_str().parse().ok()?;
        }
        let port = u16::from(n[4]) << 8 | u16::from(n[5]);
        Some(SocketAddrV4::new(Ipv4Addr::new(n[0], n[1], n[2], n[3]), port))
    }

    /// The port of a 229 reply, regex style.
    pub fn epsv(&self, reply: &[u8]) -> Option<u16> {
        let text = std::str::from_utf8(reply).ok()?;
        self.epsv.captures(text)?.get(1)?.as_str().parse().ok()
    }
}

/// A command as the split-style parser yields it: owned strings, as that method produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitCommand {
    /// A verb without argument.
    Bare(&'static str),
    /// A verb whose argument is kept as text (paths, names, types).
    Text(&'static str, String),
    /// PORT with its address.
    Port(SocketAddrV4),
    /// Anything else: the upper-cased verb and the argument.
    Other(String, Option<String>),
}

const BARE: [&str; 8] = ["SYST", "QUIT", "PASV", "EPSV", "FEAT", "PWD", "LIST", "NLST"];
const TEXT: [&str; 14] =
    ["USER", "PASS", "CWD", "RETR", "STOR", "SIZE", "MDTM", "TYPE", "OPTS", "MKD", "DELE", "EPRT", "MLSD", "STAT"];

/// Parse a command line split-style (see the module docs). `None` on a malformed line.
pub fn split_parse(line: &[u8]) -> Option<SplitCommand> {
    let line = std::str::from_utf8(line).ok()?;
    let line = line.trim_end_matches(['\r', '\n']);
    let mut parts = line.splitn(2, ' ');
    let verb = parts.next()?.to_uppercase();
    let arg = parts.next();
    if verb == "PORT" {
        let nums = arg?.split(',').map(|s| s.trim().parse::<u8>()).collect::<Result<Vec<u8>, _>>().ok()?;
        if nums.len() != 6 {
            return None;
        }
        let port = u16::from(nums[4]) << 8 | u16::from(nums[5]);
        return Some(SplitCommand::Port(SocketAddrV4::new(Ipv4Addr::new(nums[0], nums[1], nums[2], nums[3]), port)));
    }
    if let Some(v) = TEXT.iter().find(|v| **v == verb) {
        if let Some(a) = arg {
            return Some(SplitCommand::Text(v, a.to_string()));
        }
    }
    if let Some(v) = BARE.iter().find(|v| **v == verb) {
        return Some(match arg {
            Some(a) => SplitCommand::Text(v, a.to_string()),
            None => SplitCommand::Bare(v),
        });
    }
    Some(SplitCommand::Other(verb, arg.map(str::to_string)))
}
