//! Client commands: the raw split, a typed command per verb, a formatter and a streaming decoder (server side).
//!
//! A command line (RFC 959 §4.1, §5.3) is a verb, then optionally one SP and an argument, then CRLF.
//!
//! - [`CommandLine`] is the raw split: everything up to the first SP is the verb, everything after that SP is the
//!   argument with every blank kept (`"RETR  x"` has the argument `" x"`; RFC 3659 §2.2: blanks belong to the
//!   pathname).
//! - [`Command`] is typed: a variant per verb of RFC 959, 2389, 2428, 3659, 2228/4217, 2640, 1639, 7151 and the
//!   X-variants of RFC 775, and [`Command::Other`] for anything else. Arguments with a grammar (TYPE, STRU, MODE,
//!   PORT, EPRT, LPRT, REST, ALLO, PROT, PBSZ, EPSV) are parsed into values; other arguments are borrowed text kept
//!   exactly.
//! - [`Command::encode`] writes `VERB[ SP arg]\r\n` with canonical argument formatting, and refuses CR, LF or NUL
//!   anywhere (command injection). [`format_command`] does the same for a raw verb and argument.
//! - [`CommandDecoder`] frames lines (Telnet stripping, a line-length limit; see [`crate::line`]) and yields one
//!   [`Command`] per line.
//!
//! # Ownership
//!
//! Text arguments are `Cow<'a, str>`: parsing borrows from the line (no allocation), and [`Command::into_owned`]
//! turns every borrowed argument into an owned one, giving a `Command<'static>`. One enum serves both forms, so
//! bindings and servers match on one set of variants.
//!
//! # Errors and reply hints
//!
//! Every [`CommandError`] carries the reply code a server should answer with ([`CommandError::reply_hint`]):
//! 500 when the line is not a command at all (empty, a bad verb, too long: RFC 959 lists "command line too long"
//! under 500), 501 when the verb is known but its argument is malformed or missing, or there is one where none is
//! allowed, and 504 when the argument is well-formed but names a parameter ftpkit does not know (`TYPE X`, `MODE Z`,
//! `PROT Q`, an unknown TYPE form code). Known parameters that a server may still decline (`TYPE E`, `STRU R`,
//! `MODE B`) parse fine: refusing them is the server's policy, answered with 504 by the server itself.
use crate::hostport::{self, EprtArg, HostPortError, LprtArg, Mode, PortArg};
use crate::line::{first_word, plain_prefix, Line, LineBuffer, LineError, DEFAULT_MAX_LINE};
use std::borrow::Cow;
use std::net::{SocketAddr, SocketAddrV4};

/// A command line split into its verb and argument, without interpretation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommandLine<'a> {
    /// Everything up to the first SP (or the whole line).
    pub verb: &'a str,
    /// Everything after the first SP, blanks kept; `None` when the line has no SP.
    pub arg: Option<&'a str>,
}

impl<'a> CommandLine<'a> {
    /// Split a line (without its line end) at its first SP.
    pub fn split(line: &'a str) -> Self {
        match line.split_once(' ') {
            Some((verb, arg)) => CommandLine { verb, arg: Some(arg) },
            None => CommandLine { verb: line, arg: None },
        }
    }

    /// The canonical spelling of the verb if ftpkit knows it (compared case-insensitively).
    pub fn known_verb(&self) -> Option<&'static str> {
        known_verb(self.verb)
    }

    /// The verb in upper case: borrowed for known verbs and verbs already in upper case, allocated otherwise.
    pub fn verb_upper(&self) -> Cow<'a, str> {
        if let Some(known) = self.known_verb() {
            Cow::Borrowed(known)
        } else if self.verb.bytes().any(|b| b.is_ascii_lowercase()) {
            Cow::Owned(self.verb.to_ascii_uppercase())
        } else {
            Cow::Borrowed(self.verb)
        }
    }
}

/// An error while parsing, decoding or formatting a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The line is empty.
    #[error("empty command line")]
    EmptyLine,
    /// The verb is empty or holds a byte that is not an ASCII letter or digit.
    #[error("verb: byte {position} is {byte:#04x}; a verb is one or more ASCII letters or digits")]
    BadVerb {
        /// 1-based position of the offending byte in the verb (1 for an empty verb).
        position: usize,
        /// The byte (SP, 0x20, for an empty verb).
        byte: u8,
    },
    /// The line is not UTF-8 (RFC 2640).
    #[error("command line is not UTF-8 (valid up to byte {valid_up_to})")]
    NotUtf8 {
        /// How many leading bytes are valid UTF-8.
        valid_up_to: usize,
    },
    /// A received line holds CR or NUL (a lone CR is not a line end, and neither may stand in a path or name).
    #[error("byte {position} of the command line is {byte:#04x}; CR and NUL are not allowed inside a command")]
    ControlByte {
        /// 1-based position in the line.
        position: usize,
        /// The byte.
        byte: u8,
    },
    /// A line longer than the decoder's limit (already discarded).
    #[error("command line longer than {max} bytes")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// The verb needs an argument and has none (or an empty one).
    #[error("{verb}: argument missing")]
    MissingArgument {
        /// The verb.
        verb: &'static str,
    },
    /// The verb takes no argument and has one.
    #[error("{verb}: takes no argument")]
    UnexpectedArgument {
        /// The verb.
        verb: &'static str,
    },
    /// The argument does not follow the verb's grammar.
    #[error("{verb}: {field} {reason}")]
    InvalidArgument {
        /// The verb.
        verb: &'static str,
        /// Which part of the argument.
        field: &'static str,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A number too large for its field.
    #[error("{verb}: {field} is over {max}")]
    NumberOutOfRange {
        /// The verb.
        verb: &'static str,
        /// Which number.
        field: &'static str,
        /// Its largest value.
        max: u64,
    },
    /// A well-formed parameter that ftpkit does not know (`TYPE X`).
    #[error("{verb}: {field} {value:?} is not a known parameter")]
    UnsupportedParameter {
        /// The verb.
        verb: &'static str,
        /// Which parameter.
        field: &'static str,
        /// The parameter as sent.
        value: char,
    },
    /// The host-port argument of PORT, EPRT or LPRT is malformed.
    #[error("{verb}: {error}")]
    HostPort {
        /// The verb.
        verb: &'static str,
        /// What the host-port parser said.
        #[source]
        error: HostPortError,
    },
    /// Formatting: the verb or the argument holds CR, LF or NUL (command injection). Nothing was written.
    #[error("{field}: byte {position} is {byte:#04x}; CR, LF and NUL are not allowed (command injection)")]
    Injection {
        /// `"verb"` or `"argument"`.
        field: &'static str,
        /// 1-based position in that field.
        position: usize,
        /// The byte.
        byte: u8,
    },
}

impl CommandError {
    /// The stable kind of this error.
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            CommandError::EmptyLine
            | CommandError::BadVerb { .. }
            | CommandError::NotUtf8 { .. }
            | CommandError::ControlByte { .. }
            | CommandError::MissingArgument { .. }
            | CommandError::UnexpectedArgument { .. }
            | CommandError::InvalidArgument { .. } => K::Syntax,
            CommandError::TooLong { .. } => K::TooLong,
            CommandError::NumberOutOfRange { .. } => K::Range,
            CommandError::UnsupportedParameter { .. } => K::Unsupported,
            CommandError::HostPort { error, .. } => error.kind(),
            CommandError::Injection { .. } => K::Injection,
        }
    }

    /// The reply code a server should answer with: 500 (not a command), 501 (bad argument) or 504 (unknown
    /// parameter). See the [module docs](self).
    pub fn reply_hint(&self) -> u16 {
        match self {
            CommandError::EmptyLine | CommandError::BadVerb { .. } | CommandError::TooLong { .. } => 500,
            CommandError::UnsupportedParameter { .. } => 504,
            CommandError::NotUtf8 { .. }
            | CommandError::ControlByte { .. }
            | CommandError::MissingArgument { .. }
            | CommandError::UnexpectedArgument { .. }
            | CommandError::InvalidArgument { .. }
            | CommandError::NumberOutOfRange { .. }
            | CommandError::HostPort { .. }
            | CommandError::Injection { .. } => 501,
        }
    }
}

/// How a text argument is checked when parsing.
#[derive(Clone, Copy)]
enum Empty {
    /// An empty argument is accepted (`PASS ` sends an empty password).
    Allowed,
    /// An empty argument counts as missing (paths, names, encoded data).
    Refused,
}

/// Where a variant's argument comes from when encoding.
enum ArgOut<'s> {
    None,
    Text(&'s str),
    Typed,
}

macro_rules! commands {
    (
        none { $($n_var:ident = $n_verb:literal, $n_doc:literal => $n_mean:literal, $n_gate:ident, $n_h:ident, help: $n_help:literal, feat: $n_feat:expr;)* }
        text { $($t_var:ident = $t_verb:literal, $t_empty:ident, $t_doc:literal => $t_mean:literal, $t_gate:ident, $t_h:ident, help: $t_help:literal, feat: $t_feat:expr;)* }
        optional { $($o_var:ident = $o_verb:literal, $o_doc:literal => $o_mean:literal, $o_gate:ident, $o_h:ident, help: $o_help:literal, feat: $o_feat:expr;)* }
        typed { $($y_var:ident($y_ty:ty) = $y_verb:literal, $y_doc:literal => $y_mean:literal, $y_gate:ident, $y_h:ident, help: $y_help:literal, feat: $y_feat:expr;)* }
    ) => {
        /// A parsed command. Text arguments borrow from the line (see the [module docs](crate::command) on ownership).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Command<'a> {
            $(#[doc = $n_doc] $n_var,)*
            $(#[doc = $t_doc] $t_var(Cow<'a, str>),)*
            $(#[doc = $o_doc] $o_var(Option<Cow<'a, str>>),)*
            $(#[doc = $y_doc] $y_var($y_ty),)*
            /// A verb ftpkit does not know, kept as received (case included) with its raw argument.
            Other {
                /// The verb as received.
                verb: Cow<'a, str>,
                /// The argument as received (`None` when the line had no SP).
                arg: Option<Cow<'a, str>>,
            },
        }

        /// Every verb [`Command`] has a variant for, in canonical (upper-case) spelling.
        pub const KNOWN_VERBS: &[&str] = &[$($n_verb,)* $($t_verb,)* $($o_verb,)* $($y_verb,)*];

        /// A verb ftpkit knows, classified once from the line's bytes and passed down, so the verb text is
        /// compared only once per line. Variants are named after the [`Command`] variants.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(super) enum Verb {
            $($n_var,)* $($t_var,)* $($o_var,)* $($y_var,)*
        }

        /// The verb table's rows, one per known verb, in the order of [`KNOWN_VERBS`].
        pub const VERBS: &[VerbInfo] = &[
            $(VerbInfo { name: $n_verb, meaning: $n_mean, gate: LoginGate::$n_gate, server: Handling::$n_h, help: $n_help, feat: $n_feat },)*
            $(VerbInfo { name: $t_verb, meaning: $t_mean, gate: LoginGate::$t_gate, server: Handling::$t_h, help: $t_help, feat: $t_feat },)*
            $(VerbInfo { name: $o_verb, meaning: $o_mean, gate: LoginGate::$o_gate, server: Handling::$o_h, help: $o_help, feat: $o_feat },)*
            $(VerbInfo { name: $y_verb, meaning: $y_mean, gate: LoginGate::$y_gate, server: Handling::$y_h, help: $y_help, feat: $y_feat },)*
        ];

        impl Verb {
            /// Every known verb, in the order of [`KNOWN_VERBS`].
            pub(super) const ALL: &[Verb] = &[$(Verb::$n_var,)* $(Verb::$t_var,)* $(Verb::$o_var,)* $(Verb::$y_var,)*];

            /// The known verb `verb` spells, in any letter case.
            pub(super) fn classify(verb: &str) -> Option<Verb> {
                let bytes = verb.as_bytes();
                if bytes.is_empty() || bytes.len() > 4 || !bytes.iter().all(u8::is_ascii_alphanumeric) {
                    return None;
                }
                Verb::from_key(verb_key(bytes))
            }

            /// The known verb with this [`verb_key`]: one multiply, one table slot, one compare.
            #[inline(always)]
            pub(super) fn from_key(key: u32) -> Option<Verb> {
                let (slot_key, verb) = VERB_TABLE.slots[VERB_TABLE.slot(key)];
                if slot_key == key {
                    verb
                } else {
                    None
                }
            }

            /// The canonical (upper-case) spelling.
            pub(super) fn name(self) -> &'static str {
                match self {
                    $(Verb::$n_var => $n_verb,)*
                    $(Verb::$t_var => $t_verb,)*
                    $(Verb::$o_var => $o_verb,)*
                    $(Verb::$y_var => $y_verb,)*
                }
            }
        }

        impl<'a> Command<'a> {
            /// The verb: canonical upper case for known verbs, as received for [`Command::Other`].
            #[inline]
            pub fn verb(&self) -> &str {
                match self {
                    $(Command::$n_var => $n_verb,)*
                    $(Command::$t_var(_) => $t_verb,)*
                    $(Command::$o_var(_) => $o_verb,)*
                    $(Command::$y_var(_) => $y_verb,)*
                    Command::Other { verb, .. } => verb,
                }
            }

            /// The known verb of this command (`None` for [`Command::Other`]).
            pub(super) fn known(&self) -> Option<Verb> {
                match self {
                    $(Command::$n_var => Some(Verb::$n_var),)*
                    $(Command::$t_var(_) => Some(Verb::$t_var),)*
                    $(Command::$o_var(_) => Some(Verb::$o_var),)*
                    $(Command::$y_var(_) => Some(Verb::$y_var),)*
                    Command::Other { .. } => None,
                }
            }

            /// The same command with every borrowed argument copied: a `Command<'static>`.
            pub fn into_owned(self) -> Command<'static> {
                match self {
                    $(Command::$n_var => Command::$n_var,)*
                    $(Command::$t_var(s) => Command::$t_var(Cow::Owned(s.into_owned())),)*
                    $(Command::$o_var(s) => Command::$o_var(s.map(|s| Cow::Owned(s.into_owned()))),)*
                    $(Command::$y_var(v) => Command::$y_var(v),)*
                    Command::Other { verb, arg } => Command::Other {
                        verb: Cow::Owned(verb.into_owned()),
                        arg: arg.map(|a| Cow::Owned(a.into_owned())),
                    },
                }
            }

            /// The command for a known verb and its argument, wrapped as the caller returns it (see [`Wrap`]).
            #[inline(always)]
            pub(super) fn from_known<W: Wrap<'a>>(verb: Verb, arg: Option<&'a str>) -> Result<W, CommandError> {
                match verb {
                    $(Verb::$n_var => no_arg($n_verb, arg).map(|()| W::wrap(Command::$n_var)),)*
                    $(Verb::$t_var => text($t_verb, arg, Empty::$t_empty).map(|a| W::wrap(Command::$t_var(a))),)*
                    $(Verb::$o_var => Ok(W::wrap(Command::$o_var(arg.map(Cow::Borrowed)))),)*
                    $(Verb::$y_var)|* => match common_typed(verb, arg) {
                        Some(command) => Ok(W::wrap(command)),
                        None => parse_typed(verb, arg).map(W::wrap),
                    },
                }
            }

            pub(super) fn arg_out(&self) -> ArgOut<'_> {
                match self {
                    $(Command::$n_var => ArgOut::None,)*
                    $(Command::$t_var(s) => ArgOut::Text(s),)*
                    $(Command::$o_var(s) => s.as_deref().map_or(ArgOut::None, ArgOut::Text),)*
                    $(Command::$y_var(_) => ArgOut::Typed,)*
                    Command::Other { arg, .. } => arg.as_deref().map_or(ArgOut::None, ArgOut::Text),
                }
            }
        }
    };
}

mod args;
mod lookup;
mod verbs;

pub use args::{Allocation, EpsvArg, FormatControl, ProtectionLevel, Structure, TransferMode, TransferType};
pub use verbs::{verb_info, Command, Handling, LoginGate, VerbInfo, KNOWN_VERBS, VERBS};

use args::{letter, number, MODES, PROTS, STRUS};
use lookup::{check_verb, known_verb, split_verb, verb_key, VERB_TABLE};
use verbs::Verb;

fn no_arg(verb: &'static str, arg: Option<&str>) -> Result<(), CommandError> {
    match arg {
        None | Some("") => Ok(()),
        Some(_) => Err(CommandError::UnexpectedArgument { verb }),
    }
}

fn text<'a>(verb: &'static str, arg: Option<&'a str>, empty: Empty) -> Result<Cow<'a, str>, CommandError> {
    match (arg, empty) {
        (None, _) | (Some(""), Empty::Refused) => Err(CommandError::MissingArgument { verb }),
        (Some(a), _) => Ok(Cow::Borrowed(a)),
    }
}

fn host_port<T>(
    verb: &'static str,
    arg: &str,
    parsed: Result<hostport::Parsed<T>, HostPortError>,
) -> Result<T, CommandError> {
    let parsed = parsed.map_err(|error| CommandError::HostPort { verb, error })?;
    if parsed.span != (0..arg.len()) {
        return Err(CommandError::InvalidArgument { verb, field: "argument", reason: "has text around the address" });
    }
    Ok(parsed.value)
}

/// A PORT argument through [`hostport::parse_port`] (strict), without the fast path.
fn general_port(arg: &str) -> Result<SocketAddrV4, CommandError> {
    host_port(Verb::Port.name(), arg, hostport::parse_port(arg, Mode::Strict))
}

/// An EPRT argument through `hostport`'s general EPRT parser (the fast path has already said no).
fn general_eprt(arg: &str) -> Result<SocketAddr, CommandError> {
    let parsed = hostport::parse_eprt_general(arg).map(|p| hostport::Parsed { value: p.value.addr, span: p.span });
    host_port(Verb::Eprt.name(), arg, parsed)
}

/// The typed commands clients send most (`TYPE I`, `TYPE A`, a bare `EPSV`: a fifth of the lines of the
/// recorded sessions), built in the caller rather than returned through [`parse_typed`], whose result is copied
/// once more on the way out. `None` for everything else, which [`parse_typed`] parses.
#[inline(always)]
fn common_typed(known: Verb, arg: Option<&str>) -> Option<Command<'static>> {
    match (known, arg.map(str::as_bytes)) {
        (Verb::Type, Some([b'I' | b'i'])) => Some(Command::Type(TransferType::Image)),
        (Verb::Type, Some([b'A' | b'a'])) => Some(Command::Type(TransferType::Ascii(None))),
        (Verb::Epsv, None) => Some(Command::Epsv(None)),
        _ => None,
    }
}

fn parse_typed<'a>(known: Verb, arg: Option<&'a str>) -> Result<Command<'a>, CommandError> {
    let verb = known.name();
    if known == Verb::Epsv {
        return match arg {
            None | Some("") => Ok(Command::Epsv(None)),
            Some(a) if a.eq_ignore_ascii_case("ALL") => Ok(Command::Epsv(Some(EpsvArg::All))),
            Some(a) => {
                let p = number(verb, "network protocol", a, u64::from(u16::MAX))?;
                Ok(Command::Epsv(Some(EpsvArg::Protocol(u16::try_from(p).unwrap_or(u16::MAX)))))
            }
        };
    }
    let arg = match arg {
        None | Some("") => return Err(CommandError::MissingArgument { verb }),
        Some(a) => a,
    };
    Ok(match known {
        // The fast paths build the address in place; going through the parsers' `Result<Parsed<_>, _>` cost a
        // store-forwarding stall on the copy (`perf annotate`). On `None` the general parser decides.
        Verb::Port => Command::Port(match hostport::port_fast_addr(arg) {
            Some(addr) => addr,
            None => general_port(arg)?,
        }),
        Verb::Eprt => Command::Eprt(match hostport::eprt_v4_fast_addr(arg) {
            Some(addr) => addr,
            None => general_eprt(arg)?,
        }),
        Verb::Lprt => Command::Lprt(host_port(verb, arg, hostport::parse_lprt(arg))?),
        Verb::Type => Command::Type(TransferType::parse(arg)?),
        Verb::Stru => Command::Stru(letter(verb, arg, STRUS)?),
        Verb::Mode => Command::Mode(letter(verb, arg, MODES)?),
        Verb::Prot => Command::Prot(letter(verb, arg, PROTS)?),
        Verb::Rest => Command::Rest(number(verb, "offset", arg, u64::MAX)?),
        Verb::Pbsz => Command::Pbsz(number(verb, "buffer size", arg, u64::MAX)?),
        Verb::Allo => {
            let (size, record_size) = match arg.split_once(' ') {
                None => (arg, None),
                Some((size, rest)) => match rest.split_once(' ') {
                    Some((r, record)) if r.eq_ignore_ascii_case("R") => (size, Some(record)),
                    _ => {
                        return Err(CommandError::InvalidArgument {
                            verb,
                            field: "record size",
                            reason: "must be written `R <size>` after the size",
                        })
                    }
                },
            };
            Command::Allo(Allocation {
                size: number(verb, "size", size, u64::MAX)?,
                record_size: record_size.map(|r| number(verb, "record size", r, u64::MAX)).transpose()?,
            })
        }
        // Only typed verbs are passed here (EPSV handled above); any other is kept as Other rather than a panic.
        _ => Command::Other { verb: Cow::Borrowed(verb), arg: Some(Cow::Borrowed(arg)) },
    })
}

/// How a parsed command is handed to the caller: as it is, or already in the `Some` a decoder returns.
///
/// The parser builds each command straight into this form. Wrapping a finished `Result<Command, _>` into
/// `Result<Option<Command>, _>` afterwards copies the whole value, and the copy reads back bytes just written in
/// other widths, which the CPU cannot forward from its store buffer: that stall was the largest single cost of
/// [`CommandDecoder::decode`] on short lines (measured with `perf annotate`, 0.6 of its samples on one load).
trait Wrap<'a> {
    fn wrap(command: Command<'a>) -> Self;
}

impl<'a> Wrap<'a> for Command<'a> {
    #[inline(always)]
    fn wrap(command: Command<'a>) -> Self {
        command
    }
}

impl<'a> Wrap<'a> for Option<Command<'a>> {
    #[inline(always)]
    fn wrap(command: Command<'a>) -> Self {
        Some(command)
    }
}

/// The first CR, LF or NUL in `bytes`: `memchr::memchr3`, but searched word by word for a short line (a command
/// line is ~12 bytes, where the call's fixed cost was most of the search; see [`crate::line::find_lf`]).
#[inline]
fn find_control(bytes: &[u8]) -> Option<usize> {
    use crate::line::{find_short, flag};
    find_short(
        bytes,
        |w| flag(w, b'\r') | flag(w, b'\n') | flag(w, 0),
        |b| matches!(b, b'\r' | b'\n' | 0),
        |rest| memchr::memchr3(b'\r', b'\n', 0, rest),
    )
}

fn check_injection(field: &'static str, text: &str) -> Result<(), CommandError> {
    match text.bytes().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
        Some(i) => Err(CommandError::Injection { field, position: i + 1, byte: text.as_bytes()[i] }),
        None => Ok(()),
    }
}

impl<'a> Command<'a> {
    /// Parse one command line. One trailing line end (`\r\n` or `\n`) is removed if present; any other CR, LF or
    /// NUL is refused ([`CommandError::ControlByte`]), so every parsed command can be encoded again.
    pub fn parse(line: &'a str) -> Result<Command<'a>, CommandError> {
        let line = line.strip_suffix("\r\n").or_else(|| line.strip_suffix('\n')).unwrap_or(line);
        Command::parse_body(line)
    }

    /// [`parse`](Self::parse) for raw bytes; bytes that are not UTF-8 are refused (RFC 2640 pathnames are UTF-8).
    #[inline]
    pub fn parse_bytes(line: &'a [u8]) -> Result<Command<'a>, CommandError> {
        let line = line.strip_suffix(b"\r\n").or_else(|| line.strip_suffix(b"\n")).unwrap_or(line);
        let (end, text) = plain_prefix(line);
        if end == line.len() {
            return Command::parse_plain(text);
        }
        match std::str::from_utf8(line) {
            Ok(s) => Command::parse_body(s),
            Err(e) => Err(CommandError::NotUtf8 { valid_up_to: e.valid_up_to() }),
        }
    }

    /// Parse a line whose line end is already removed.
    ///
    /// The common case is settled from the line's first eight bytes, read as one word: the first SP in it ends
    /// the verb, and a verb of one to four bytes is looked up by its [`verb_key`] in [`VERB_TABLE`]. Everything
    /// else (empty lines, bad verbs, verbs ftpkit does not know, long verbs) takes the general path, which names
    /// the offending byte.
    #[inline(always)]
    fn parse_body<W: Wrap<'a>>(line: &'a str) -> Result<W, CommandError> {
        let bytes = line.as_bytes();
        if let Some(i) = find_control(bytes) {
            return Err(CommandError::ControlByte { position: i + 1, byte: bytes[i] });
        }
        Command::parse_plain(line)
    }

    /// [`parse_body`](Self::parse_body) for a line known to hold no CR, LF or NUL.
    #[inline(always)]
    fn parse_plain<W: Wrap<'a>>(line: &'a str) -> Result<W, CommandError> {
        let bytes = line.as_bytes();
        let word = first_word(bytes);
        let space = crate::line::flag(word, b' ');
        let verb_len = if space != 0 { (space.trailing_zeros() / 8) as usize } else { bytes.len() };
        if (1..=4).contains(&verb_len) {
            // No NUL (refused before) and no SP (the verb ends at the first) in the verb: its key is exact.
            let key = (word & ((1u64 << (8 * verb_len)) - 1)) as u32 & 0xDFDF_DFDF;
            if let Some(verb) = Verb::from_key(key) {
                return Command::from_known(verb, line.get(verb_len + 1..));
            }
        }
        // A verb ftpkit does not know (`XCRC`, `XYZZY`) that ends within the first word: kept as `Other` when
        // it is alphanumeric; anything else takes the general path below, which says what is wrong.
        if (1..=8).contains(&verb_len) {
            if let Some(verb) = line.get(..verb_len).filter(|v| check_verb(v).is_ok()) {
                let arg = line.get(verb_len + 1..).map(Cow::Borrowed);
                return Ok(W::wrap(Command::Other { verb: Cow::Borrowed(verb), arg }));
            }
        }
        if line.is_empty() {
            return Err(CommandError::EmptyLine);
        }
        let (known, split) = split_verb(line)?;
        match known {
            Some(verb) => Command::from_known(verb, split.arg),
            None => Ok(W::wrap(Command::Other { verb: Cow::Borrowed(split.verb), arg: split.arg.map(Cow::Borrowed) })),
        }
    }

    /// The argument as the wire shows it: canonical formatting for typed arguments, the text for the others.
    /// `None` when the command has no argument.
    pub fn arg(&self) -> Option<Cow<'_, str>> {
        match self.arg_out() {
            ArgOut::None => None,
            ArgOut::Text(s) => Some(Cow::Borrowed(s)),
            ArgOut::Typed => Some(Cow::Owned(self.typed_arg()?)),
        }
    }

    fn typed_arg(&self) -> Option<String> {
        Some(match self {
            Command::Port(a) => PortArg(*a).to_string(),
            Command::Eprt(a) => EprtArg(*a).to_string(),
            Command::Lprt(a) => LprtArg(*a).to_string(),
            Command::Type(t) => t.to_string(),
            Command::Stru(s) => s.to_string(),
            Command::Mode(m) => m.to_string(),
            Command::Allo(a) => a.to_string(),
            Command::Rest(n) | Command::Pbsz(n) => n.to_string(),
            Command::Epsv(e) => return e.map(|e| e.to_string()),
            Command::Prot(p) => p.to_string(),
            _ => return None,
        })
    }

    /// Write `VERB[ SP arg]\r\n`. CR, LF or NUL in the verb or argument is refused and nothing is written; so is
    /// an [`Other`](Command::Other) verb that is not ASCII letters and digits.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), CommandError> {
        let verb = self.verb();
        check_injection("verb", verb)?;
        check_verb(verb)?;
        match self.arg_out() {
            ArgOut::None => format_unchecked(verb, None, out),
            ArgOut::Text(arg) => {
                check_injection("argument", arg)?;
                format_unchecked(verb, Some(arg), out)
            }
            ArgOut::Typed => {
                // Typed arguments are digits, letters and punctuation; check anyway, so no Display impl can ever
                // smuggle a line end.
                let arg = self.typed_arg();
                if let Some(arg) = &arg {
                    check_injection("argument", arg)?;
                }
                format_unchecked(verb, arg.as_deref(), out)
            }
        }
        Ok(())
    }

    /// The encoded command as bytes (see [`encode`](Self::encode)).
    pub fn to_bytes(&self) -> Result<Vec<u8>, CommandError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }
}

fn format_unchecked(verb: &str, arg: Option<&str>, out: &mut Vec<u8>) {
    out.reserve(verb.len() + arg.map_or(0, |a| a.len() + 1) + 2);
    out.extend_from_slice(verb.as_bytes());
    if let Some(arg) = arg {
        out.push(b' ');
        out.extend_from_slice(arg.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// Write a raw command line `verb[ SP arg]\r\n` with the same checks as [`Command::encode`]: the verb must be
/// ASCII letters and digits, and neither part may hold CR, LF or NUL. Nothing is written on error.
pub fn format_command(verb: &str, arg: Option<&str>, out: &mut Vec<u8>) -> Result<(), CommandError> {
    check_injection("verb", verb)?;
    check_verb(verb)?;
    if let Some(arg) = arg {
        check_injection("argument", arg)?;
    }
    format_unchecked(verb, arg, out);
    Ok(())
}

/// A streaming command decoder (server side): Telnet stripping and a line limit as in [`crate::line`], one
/// [`Command`] per line.
///
/// Calling order: [`feed`](Self::feed) the bytes read, then call [`decode`](Self::decode) until it returns
/// `Ok(None)`. An `Err` is one bad line, already skipped (answer it with [`CommandError::reply_hint`] and go on).
/// The returned command borrows the decoder until the next `feed` or `decode`.
#[derive(Debug, Clone, Default)]
pub struct CommandDecoder {
    lines: LineBuffer,
}

impl CommandDecoder {
    /// A decoder accepting lines up to `max_line` bytes (line end not counted). The default is
    /// [`DEFAULT_MAX_LINE`] (8192); vsftpd accepts 4096.
    pub fn new(max_line: usize) -> Self {
        CommandDecoder { lines: LineBuffer::new(max_line) }
    }

    /// The default limit, [`DEFAULT_MAX_LINE`].
    pub const DEFAULT_MAX_LINE: usize = DEFAULT_MAX_LINE;

    /// Bytes held and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.lines.buffered()
    }

    /// Append bytes from the control connection.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.lines.feed(bytes);
    }

    /// [`feed`](Self::feed) everything left in `src` (a `BytesMut` filled by a socket read, a `Bytes`, a chain of
    /// them) and advance `src` past it: the decoder keeps what it needs, so `src` can be reused for the next read.
    #[cfg(feature = "bytes")]
    pub fn feed_buf<B: bytes::Buf + ?Sized>(&mut self, src: &mut B) {
        self.lines.feed_buf(src);
    }

    /// The next command (`Ok(None)`: need more bytes). An empty line is [`CommandError::EmptyLine`].
    #[inline]
    pub fn decode(&mut self) -> Result<Option<Command<'_>>, CommandError> {
        match self.lines.next_line_text() {
            Ok(None) => Ok(None),
            Ok(Some(Line::Plain(line))) => Command::parse_plain(line),
            Ok(Some(Line::Other(line))) => match std::str::from_utf8(line) {
                Ok(line) => Command::parse_body(line),
                Err(e) => Err(CommandError::NotUtf8 { valid_up_to: e.valid_up_to() }),
            },
            Err(LineError::TooLong { max }) => Err(CommandError::TooLong { max }),
        }
    }

    /// The next raw line, Telnet-stripped and without its line end, for callers that parse themselves.
    pub fn decode_line(&mut self) -> Result<Option<&[u8]>, CommandError> {
        self.lines.next_line().map_err(|LineError::TooLong { max }| CommandError::TooLong { max })
    }

    /// [`decode`](Self::decode), copied into an owned `Command<'static>`.
    pub fn decode_owned(&mut self) -> Result<Option<Command<'static>>, CommandError> {
        Ok(self.decode()?.map(Command::into_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn b(s: &str) -> Cow<'_, str> {
        Cow::Borrowed(s)
    }

    #[test]
    fn split_table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("QUIT", "QUIT", None),
            ("PASS ", "PASS", Some("")),
            ("RETR  x", "RETR", Some(" x")),
            ("STOR a b ", "STOR", Some("a b ")),
            ("", "", None),
        ];
        for &(line, verb, arg) in cases {
            assert_eq!(CommandLine::split(line), CommandLine { verb, arg }, "{line:?}");
        }
        assert_eq!(CommandLine::split("pwd").verb_upper(), "PWD");
        assert!(matches!(CommandLine::split("xPwd").verb_upper(), Cow::Borrowed("XPWD")));
        assert!(matches!(CommandLine::split("xcrc x").verb_upper(), Cow::Owned(s) if s == "XCRC"));
        assert!(matches!(CommandLine::split("XCRC x").verb_upper(), Cow::Borrowed("XCRC")));
    }

    #[test]
    fn parse_table() {
        use Command as C;
        let cases: Vec<(&str, Command<'_>)> = vec![
            ("QUIT", C::Quit),
            ("quit\r\n", C::Quit),
            ("QUIT ", C::Quit),
            ("PASS ", C::Pass(b(""))),
            ("USER anonymous\n", C::User(b("anonymous"))),
            ("RETR  leading space.txt", C::Retr(b(" leading space.txt"))),
            ("STOR trailing ", C::Stor(b("trailing "))),
            ("XCWD /pub", C::Xcwd(b("/pub"))),
            ("CWD /pub", C::Cwd(b("/pub"))),
            ("XPWD", C::Xpwd),
            ("LIST", C::List(None)),
            ("LIST -a", C::List(Some(b("-a")))),
            ("STOU", C::Stou(None)),
            ("TYPE I", C::Type(TransferType::Image)),
            ("type a", C::Type(TransferType::Ascii(None))),
            ("TYPE A N", C::Type(TransferType::Ascii(Some(FormatControl::NonPrint)))),
            ("TYPE A T", C::Type(TransferType::Ascii(Some(FormatControl::Telnet)))),
            ("TYPE E C", C::Type(TransferType::Ebcdic(Some(FormatControl::Carriage)))),
            ("TYPE E", C::Type(TransferType::Ebcdic(None))),
            ("TYPE L 8", C::Type(TransferType::Local(8))),
            ("STRU R", C::Stru(Structure::Record)),
            ("MODE b", C::Mode(TransferMode::Block)),
            ("PROT P", C::Prot(ProtectionLevel::Private)),
            ("PBSZ 0", C::Pbsz(0)),
            ("REST 18446744073709551615", C::Rest(u64::MAX)),
            ("REST 0010", C::Rest(10)),
            ("ALLO 1024", C::Allo(Allocation { size: 1024, record_size: None })),
            ("ALLO 1024 R 128", C::Allo(Allocation { size: 1024, record_size: Some(128) })),
            ("EPSV", C::Epsv(None)),
            ("EPSV ALL", C::Epsv(Some(EpsvArg::All))),
            ("EPSV all", C::Epsv(Some(EpsvArg::All))),
            ("EPSV 2", C::Epsv(Some(EpsvArg::Protocol(2)))),
            ("FEAT", C::Feat),
            ("OPTS UTF8 ON", C::Opts(b("UTF8 ON"))),
            ("AUTH TLS", C::Auth(b("TLS"))),
            ("HOST ftp.example.com", C::Host(b("ftp.example.com"))),
            ("LANG", C::Lang(None)),
            ("LPSV", C::Lpsv),
            ("CCC", C::Ccc),
            ("MFMT 20240102030405 x", C::Mfmt(b("20240102030405 x"))),
            ("XCRC x", C::Other { verb: b("XCRC"), arg: Some(b("x")) }),
            ("xyzzy", C::Other { verb: b("xyzzy"), arg: None }),
        ];
        for (line, want) in cases {
            assert_eq!(Command::parse(line), Ok(want), "{line:?}");
        }
    }

    #[test]
    fn parse_errors() {
        let cases: &[(&str, CommandError, u16, ErrorKind)] = &[
            ("", CommandError::EmptyLine, 500, ErrorKind::Syntax),
            ("\r\n", CommandError::EmptyLine, 500, ErrorKind::Syntax),
            (" RETR x", CommandError::BadVerb { position: 1, byte: b' ' }, 500, ErrorKind::Syntax),
            ("RE-TR x", CommandError::BadVerb { position: 3, byte: b'-' }, 500, ErrorKind::Syntax),
            ("RETR a\rb", CommandError::ControlByte { position: 7, byte: b'\r' }, 501, ErrorKind::Syntax),
            ("RETR a\0", CommandError::ControlByte { position: 7, byte: 0 }, 501, ErrorKind::Syntax),
            ("QUIT\r", CommandError::ControlByte { position: 5, byte: b'\r' }, 501, ErrorKind::Syntax),
            ("RETR", CommandError::MissingArgument { verb: "RETR" }, 501, ErrorKind::Syntax),
            ("RETR ", CommandError::MissingArgument { verb: "RETR" }, 501, ErrorKind::Syntax),
            ("USER", CommandError::MissingArgument { verb: "USER" }, 501, ErrorKind::Syntax),
            ("NOOP x", CommandError::UnexpectedArgument { verb: "NOOP" }, 501, ErrorKind::Syntax),
            ("TYPE", CommandError::MissingArgument { verb: "TYPE" }, 501, ErrorKind::Syntax),
            (
                "TYPE X",
                CommandError::UnsupportedParameter { verb: "TYPE", field: "type code", value: 'X' },
                504,
                ErrorKind::Unsupported,
            ),
            (
                "TYPE A Z",
                CommandError::UnsupportedParameter { verb: "TYPE", field: "form code", value: 'Z' },
                504,
                ErrorKind::Unsupported,
            ),
            (
                "TYPE A  N",
                CommandError::InvalidArgument {
                    verb: "TYPE",
                    field: "form code",
                    reason: "must be one letter after a single SP",
                },
                501,
                ErrorKind::Syntax,
            ),
            (
                "TYPE I 8",
                CommandError::InvalidArgument { verb: "TYPE", field: "type code I", reason: "takes no parameter" },
                501,
                ErrorKind::Syntax,
            ),
            (
                "TYPE L 0",
                CommandError::InvalidArgument { verb: "TYPE", field: "byte size", reason: "must be 1-255" },
                501,
                ErrorKind::Syntax,
            ),
            (
                "TYPE L 256",
                CommandError::NumberOutOfRange { verb: "TYPE", field: "byte size", max: 255 },
                501,
                ErrorKind::Range,
            ),
            (
                "MODE Z",
                CommandError::UnsupportedParameter { verb: "MODE", field: "code", value: 'Z' },
                504,
                ErrorKind::Unsupported,
            ),
            (
                "STRU FF",
                CommandError::InvalidArgument { verb: "STRU", field: "argument", reason: "must be a single letter" },
                501,
                ErrorKind::Syntax,
            ),
            (
                "REST -1",
                CommandError::InvalidArgument { verb: "REST", field: "offset", reason: "must be ASCII digits only" },
                501,
                ErrorKind::Syntax,
            ),
            (
                "REST 18446744073709551616",
                CommandError::NumberOutOfRange { verb: "REST", field: "offset", max: u64::MAX },
                501,
                ErrorKind::Range,
            ),
            (
                "ALLO 10 X 5",
                CommandError::InvalidArgument {
                    verb: "ALLO",
                    field: "record size",
                    reason: "must be written `R <size>` after the size",
                },
                501,
                ErrorKind::Syntax,
            ),
            (
                "EPSV 65536",
                CommandError::NumberOutOfRange { verb: "EPSV", field: "network protocol", max: 65535 },
                501,
                ErrorKind::Range,
            ),
            (
                "EPSV any",
                CommandError::InvalidArgument {
                    verb: "EPSV",
                    field: "network protocol",
                    reason: "must be ASCII digits only",
                },
                501,
                ErrorKind::Syntax,
            ),
        ];
        for (line, want, hint, kind) in cases {
            let got = Command::parse(line);
            assert_eq!(got.as_ref(), Err(want), "{line:?}");
            assert_eq!(want.reply_hint(), *hint, "{line:?}");
            assert_eq!(want.kind(), *kind, "{line:?}");
        }
        assert_eq!(Command::parse_bytes(b"RETR \xe9t\xe9"), Err(CommandError::NotUtf8 { valid_up_to: 5 }));
        assert_eq!(CommandError::NotUtf8 { valid_up_to: 5 }.reply_hint(), 501);
        assert_eq!(
            CommandError::InvalidArgument { verb: "TYPE", field: "byte size", reason: "must be 1-255" }.to_string(),
            "TYPE: byte size must be 1-255"
        );
    }

    #[test]
    fn encode_table() {
        use Command as C;
        let cases: Vec<(Command<'_>, &str)> = vec![
            (C::Quit, "QUIT\r\n"),
            (C::Pass(b("")), "PASS \r\n"),
            (C::Retr(b(" x ")), "RETR  x \r\n"),
            (C::Type(TransferType::Ascii(Some(FormatControl::NonPrint))), "TYPE A N\r\n"),
            (C::Type(TransferType::Local(8)), "TYPE L 8\r\n"),
            (C::Allo(Allocation { size: 5, record_size: Some(2) }), "ALLO 5 R 2\r\n"),
            (C::Epsv(None), "EPSV\r\n"),
            (C::Epsv(Some(EpsvArg::All)), "EPSV ALL\r\n"),
            (C::Prot(ProtectionLevel::Safe), "PROT S\r\n"),
            (C::Xmkd(b("d")), "XMKD d\r\n"),
            (C::List(None), "LIST\r\n"),
            (C::Other { verb: b("xcrc"), arg: Some(b("1 x")) }, "xcrc 1 x\r\n"),
        ];
        for (cmd, want) in cases {
            assert_eq!(String::from_utf8(cmd.to_bytes().unwrap()).unwrap(), want);
            assert_eq!(Command::parse(want).unwrap(), cmd, "{want:?}");
        }
        let mut out = b"keep".to_vec();
        let bad = C::Retr(b("a\r\nDELE b"));
        assert_eq!(bad.encode(&mut out), Err(CommandError::Injection { field: "argument", position: 2, byte: b'\r' }));
        assert_eq!(bad.encode(&mut out).unwrap_err().kind(), ErrorKind::Injection);
        assert_eq!(C::Other { verb: b("A B"), arg: None }.encode(&mut out).unwrap_err().kind(), ErrorKind::Syntax);
        assert_eq!(C::Other { verb: b("A\nB"), arg: None }.encode(&mut out).unwrap_err().kind(), ErrorKind::Injection);
        assert_eq!(format_command("RETR", Some("x\0"), &mut out).unwrap_err().kind(), ErrorKind::Injection);
        assert_eq!(out, b"keep");
        format_command("NOOP", None, &mut out).unwrap();
        assert_eq!(out, b"keepNOOP\r\n");
    }

    #[test]
    fn owned_and_verbs() {
        let line = String::from("RETR file");
        let owned: Command<'static> = Command::parse(&line).unwrap().into_owned();
        drop(line);
        assert_eq!(owned, Command::Retr(Cow::Owned("file".into())));
        assert_eq!(owned.verb(), "RETR");
        assert_eq!(owned.arg().as_deref(), Some("file"));
        assert_eq!(Command::Type(TransferType::Image).arg().as_deref(), Some("I"));
        assert_eq!(Command::Noop.arg(), None);
        // Every known verb parses to its own variant (not Other) and reports the same verb.
        for verb in KNOWN_VERBS {
            let arg = match *verb {
                "TYPE" => Some("I"),
                "STRU" => Some("F"),
                "MODE" => Some("S"),
                "PROT" => Some("C"),
                "REST" | "PBSZ" | "ALLO" => Some("1"),
                "PORT" | "EPRT" | "LPRT" => continue,
                _ => Some("x"),
            };
            let mut line = verb.to_string();
            let parsed = match Command::parse(&line) {
                Ok(c) => c,
                Err(CommandError::MissingArgument { .. }) => {
                    line = format!("{verb} {}", arg.unwrap_or_default());
                    Command::parse(&line).unwrap()
                }
                Err(e) => panic!("{verb}: {e}"),
            };
            assert!(!matches!(parsed, Command::Other { .. }), "{verb}");
            assert_eq!(parsed.verb(), *verb);
            let lower = line.to_ascii_lowercase();
            assert_eq!(Command::parse(&lower).unwrap().verb(), *verb);
        }
    }

    /// The verb lookup as it was first written: a linear, case-insensitive search of [`KNOWN_VERBS`].
    fn linear_lookup(verb: &str) -> Option<&'static str> {
        KNOWN_VERBS.iter().copied().find(|k| verb.len() <= 4 && k.eq_ignore_ascii_case(verb))
    }

    #[test]
    fn verb_classification() {
        assert_eq!(KNOWN_VERBS.len(), 61);
        for &verb in KNOWN_VERBS {
            let mixed: String =
                verb.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_lowercase() } else { c }).collect();
            for spelling in [verb.to_string(), verb.to_ascii_lowercase(), mixed] {
                assert_eq!(known_verb(&spelling), Some(verb), "{spelling:?}");
                assert_eq!(Verb::classify(&spelling).map(Verb::name), Some(verb), "{spelling:?}");
            }
        }
        let cases: &[&str] =
            &["", "P", "PW", "PWDX", "RETRX", "PWD ", " PWD", "PWD\0", "\0PWD", "PW-D", "RÉTR", "XCRC"];
        for verb in cases {
            assert_eq!(known_verb(verb), None, "{verb:?}");
        }
    }

    #[test]
    fn find_control_matches_memchr3() {
        // Each control byte at every place of lines around the word size and the hand-over to memchr3, among
        // bytes one bit or one borrow away from them.
        for len in 0..90 {
            let mut line: Vec<u8> = (0..len).map(|i| [b'a', 0x0c, 0x0e, 0x0b, 0x01, 0x8d, 0xff][i % 7]).collect();
            assert_eq!(find_control(&line), None, "len {len}");
            for at in 0..len {
                for control in [b'\r', b'\n', 0] {
                    let keep = std::mem::replace(&mut line[at], control);
                    assert_eq!(find_control(&line), Some(at), "len {len} at {at} byte {control}");
                    line[at] = keep;
                }
            }
        }
    }

    #[test]
    fn split_verb_table() {
        /// Known verb, verb as split, argument.
        type Split<'a> = (Option<&'a str>, &'a str, Option<&'a str>);
        let cases: &[(&str, Result<Split<'_>, CommandError>)] = &[
            ("PWD", Ok((Some("PWD"), "PWD", None))),
            ("retr x y", Ok((Some("RETR"), "retr", Some("x y")))),
            ("RETR ", Ok((Some("RETR"), "RETR", Some("")))),
            ("A", Ok((None, "A", None))),
            ("ABCD", Ok((None, "ABCD", None))),
            ("MFMT1 x", Ok((None, "MFMT1", Some("x")))),
            ("XYZZY", Ok((None, "XYZZY", None))),
            (" x", Err(CommandError::BadVerb { position: 1, byte: b' ' })),
            ("RE-TR", Err(CommandError::BadVerb { position: 3, byte: b'-' })),
            ("RETR-", Err(CommandError::BadVerb { position: 5, byte: b'-' })),
            ("RETRX-", Err(CommandError::BadVerb { position: 6, byte: b'-' })),
            ("é", Err(CommandError::BadVerb { position: 1, byte: 0xc3 })),
        ];
        for (line, want) in cases {
            let got = split_verb(line).map(|(v, s)| (v.map(Verb::name), s.verb, s.arg));
            assert_eq!(&got, want, "{line:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn find_control_is_memchr3(line in proptest::collection::vec(proptest::sample::select(&[b'\r', b'\n', 0, 1, 0x0c, 0xff, b'x'][..]), 0..150)) {
            proptest::prop_assert_eq!(find_control(&line), memchr::memchr3(b'\r', b'\n', 0, &line));
        }

        #[test]
        fn lookup_matches_the_linear_search(verb in "[a-zA-Z0-9 \\-\0é]{0,6}") {
            proptest::prop_assert_eq!(known_verb(&verb), linear_lookup(&verb));
        }

        #[test]
        fn lookup_of_known_verbs_with_edits(
            known in proptest::sample::select(KNOWN_VERBS),
            case in 0u8..16,
            cut in 0usize..5,
            extra in "[a-zA-Z0-9 ]?",
        ) {
            let mut verb: String = known
                .chars()
                .enumerate()
                .map(|(i, c)| if case & (1 << i) != 0 { c.to_ascii_lowercase() } else { c })
                .take(known.len() - cut.min(known.len()))
                .collect();
            verb.push_str(&extra);
            proptest::prop_assert_eq!(known_verb(&verb), linear_lookup(&verb));
        }

        #[test]
        fn split_verb_matches_split_then_check(line in "[pPwWdDrReEtT0 \\-é]{1,8}") {
            let want = CommandLine::split(&line);
            let want = check_verb(want.verb).map(|()| (linear_lookup(want.verb), want));
            let got = split_verb(&line).map(|(v, s)| (v.map(Verb::name), s));
            proptest::prop_assert_eq!(got, want);
        }

        /// The word-at-a-time verb lookup of `parse_plain` gives what the general path (find_control, then
        /// split_verb) gives, for any line: known verbs in any case, near misses, digits, blanks, control bytes.
        #[test]
        fn fast_parse_matches_the_general_path(
            verb in "(retr|RETR|pWd|TYPE|type|EPSV|port|PORT|mkd|Cwd|XYZZY|MFMT|R|AB|é|RE-T)?",
            sep in "[ \t]?",
            arg in "[a-zA-Z0-9 ,./|é\r\0-]{0,14}",
        ) {
            let line = format!("{verb}{sep}{arg}");
            let general = || -> Result<Command<'_>, CommandError> {
                if line.is_empty() {
                    return Err(CommandError::EmptyLine);
                }
                if let Some(i) = line.bytes().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
                    return Err(CommandError::ControlByte { position: i + 1, byte: line.as_bytes()[i] });
                }
                let (known, split) = split_verb(&line)?;
                match known {
                    Some(verb) => Command::from_known(verb, split.arg),
                    None => Ok(Command::Other { verb: Cow::Borrowed(split.verb), arg: split.arg.map(Cow::Borrowed) }),
                }
            };
            proptest::prop_assert_eq!(Command::parse(&line), general());
            proptest::prop_assert_eq!(Command::parse_bytes(line.as_bytes()), general());
        }

        /// PORT and EPRT through their in-place fast paths give what the general host-port parsers give, value
        /// and error, for valid arguments (any address, port and EPRT delimiter) with zero to three byte edits.
        #[test]
        fn port_and_eprt_fast_paths_match_the_parsers(
            octets in proptest::prelude::any::<[u8; 6]>(),
            zero_port in proptest::prelude::any::<bool>(),
            d in proptest::sample::select(&[b'|', b'|', b'!', b'a', b' '][..]),
            edits in crate::testutil::edits(b"|!1,.09a \r"),
        ) {
            let [h1, h2, h3, h4, mut p1, mut p2] = octets;
            if zero_port {
                (p1, p2) = (0, 0);
            }
            let d = char::from(d);
            let port = u16::from_be_bytes([p1, p2]);
            let args = [format!("{h1},{h2},{h3},{h4},{p1},{p2}"), format!("{d}1{d}{h1}.{h2}.{h3}.{h4}{d}{port}{d}")];
            let [port_arg, eprt_arg] =
                args.map(|a| String::from_utf8(crate::testutil::apply(a.into_bytes(), &edits)).unwrap());
            proptest::prop_assert_eq!(
                parse_typed(Verb::Port, Some(&port_arg)), general_port(&port_arg).map(Command::Port), "{}", port_arg
            );
            proptest::prop_assert_eq!(
                parse_typed(Verb::Eprt, Some(&eprt_arg)), general_eprt(&eprt_arg).map(Command::Eprt), "{}", eprt_arg
            );
        }

        /// The decoder (one pass for the line end and plainness, then `parse_plain`) gives, line by line, what
        /// `Command::parse_bytes` gives for the lines that `LineBuffer::next_line` frames, at any split.
        #[test]
        fn decoder_matches_parse_bytes_per_line(
            input in proptest::collection::vec(proptest::sample::select(&b"RETRpwdTYPEI ,1\r\n\0\xc3\xa9\xff"[..]), 0..120),
            cut in 0usize..120,
        ) {
            let cut = cut.min(input.len());
            let mut lines = LineBuffer::new(DEFAULT_MAX_LINE);
            let mut want = Vec::new();
            lines.feed(&input);
            while let Ok(Some(line)) = lines.next_line() {
                want.push(Command::parse_bytes(line).map(Command::into_owned));
            }
            let mut decoder = CommandDecoder::default();
            let mut got = Vec::new();
            for part in [&input[..cut], &input[cut..]] {
                decoder.feed(part);
                while let Some(result) = decoder.decode().transpose() {
                    got.push(result.map(Command::into_owned));
                }
            }
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn decoder() {
        let mut d = CommandDecoder::new(16);
        d.feed(b"\xff\xf4\xff\xf2ABOR\r\nUSER a\r\n\r\nRETR this-name-is-too-long\r\nNOOP\n");
        assert_eq!(d.decode(), Ok(Some(Command::Abor)));
        assert_eq!(d.decode(), Ok(Some(Command::User(b("a")))));
        assert_eq!(d.decode(), Err(CommandError::EmptyLine));
        assert_eq!(d.decode(), Err(CommandError::TooLong { max: 16 }));
        assert_eq!(d.decode_owned(), Ok(Some(Command::Noop)));
        assert_eq!(d.decode(), Ok(None));
        d.feed(b"QU");
        assert_eq!(d.decode(), Ok(None));
        d.feed(b"IT\r\n");
        assert_eq!(d.decode_line(), Ok(Some(&b"QUIT"[..])));
        assert_eq!(d.buffered(), 0);
    }
}
