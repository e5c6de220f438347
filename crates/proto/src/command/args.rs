//! The typed arguments of commands: TYPE, STRU, MODE, PROT, ALLO and EPSV values, parsed and formatted.

use super::CommandError;
use std::fmt;

/// TYPE's format control (RFC 959 §3.1.1.5): the second parameter of `TYPE A` and `TYPE E`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatControl {
    /// `N`: non-print.
    NonPrint,
    /// `T`: Telnet format effectors.
    Telnet,
    /// `C`: carriage control (ASA).
    Carriage,
}

/// The argument of TYPE (RFC 959 §3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferType {
    /// `A` or `A <form>`: ASCII.
    Ascii(Option<FormatControl>),
    /// `E` or `E <form>`: EBCDIC.
    Ebcdic(Option<FormatControl>),
    /// `I`: image (binary).
    Image,
    /// `L <byte size>`: local byte size, 1-255 (`L 8` is what clients send).
    Local(u8),
}

/// The argument of STRU (RFC 959 §3.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Structure {
    /// `F`: file (no record structure), the default.
    File,
    /// `R`: record structure.
    Record,
    /// `P`: page structure.
    Page,
}

/// The argument of MODE (RFC 959 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferMode {
    /// `S`: stream, the default.
    Stream,
    /// `B`: block.
    Block,
    /// `C`: compressed.
    Compressed,
}

/// The argument of PROT (RFC 2228 §3, RFC 4217 §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtectionLevel {
    /// `C`: clear.
    Clear,
    /// `S`: safe (integrity).
    Safe,
    /// `E`: confidential.
    Confidential,
    /// `P`: private (integrity and confidentiality; TLS).
    Private,
}

/// The argument of ALLO (RFC 959 §4.1.3): `<size>` or `<size> R <record size>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Allocation {
    /// Bytes to reserve.
    pub size: u64,
    /// The maximum record or page size, when given.
    pub record_size: Option<u64>,
}

/// The argument of EPSV (RFC 2428 §3, §4), when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EpsvArg {
    /// `EPSV ALL`: from now on only EPSV is used for data connections.
    All,
    /// `EPSV <net-prt>`: a passive connection for this network protocol (1 IPv4, 2 IPv6).
    Protocol(u16),
}

pub(super) fn letter<T: Copy>(verb: &'static str, arg: &str, table: &[(u8, T)]) -> Result<T, CommandError> {
    match arg.as_bytes() {
        [] => Err(CommandError::MissingArgument { verb }),
        [b] => table
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(b))
            .map(|&(_, v)| v)
            .ok_or(CommandError::UnsupportedParameter { verb, field: "code", value: char::from(*b) }),
        _ => Err(CommandError::InvalidArgument { verb, field: "argument", reason: "must be a single letter" }),
    }
}

const FORMS: &[(u8, FormatControl)] =
    &[(b'N', FormatControl::NonPrint), (b'T', FormatControl::Telnet), (b'C', FormatControl::Carriage)];
pub(super) const STRUS: &[(u8, Structure)] =
    &[(b'F', Structure::File), (b'R', Structure::Record), (b'P', Structure::Page)];
pub(super) const MODES: &[(u8, TransferMode)] =
    &[(b'S', TransferMode::Stream), (b'B', TransferMode::Block), (b'C', TransferMode::Compressed)];
pub(super) const PROTS: &[(u8, ProtectionLevel)] = &[
    (b'C', ProtectionLevel::Clear),
    (b'S', ProtectionLevel::Safe),
    (b'E', ProtectionLevel::Confidential),
    (b'P', ProtectionLevel::Private),
];

fn letter_of<T: PartialEq>(table: &[(u8, T)], value: &T) -> char {
    table.iter().find(|(_, v)| v == value).map_or('?', |(c, _)| char::from(*c))
}

/// A decimal number: one or more ASCII digits, no sign, no blanks.
pub(super) fn number(verb: &'static str, field: &'static str, text: &str, max: u64) -> Result<u64, CommandError> {
    if text.is_empty() {
        return Err(CommandError::InvalidArgument { verb, field, reason: "is empty" });
    }
    let mut value: u64 = 0;
    for b in text.bytes() {
        if !b.is_ascii_digit() {
            return Err(CommandError::InvalidArgument { verb, field, reason: "must be ASCII digits only" });
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .filter(|v| *v <= max)
            .ok_or(CommandError::NumberOutOfRange { verb, field, max })?;
    }
    Ok(value)
}

impl TransferType {
    /// Parse a TYPE argument (letters case-insensitive): `A`, `A N|T|C`, `E`, `E N|T|C`, `I`, `L <1-255>`.
    pub fn parse(arg: &str) -> Result<TransferType, CommandError> {
        const VERB: &str = "TYPE";
        let bytes = arg.as_bytes();
        let Some((&code, rest)) = bytes.split_first() else {
            return Err(CommandError::MissingArgument { verb: VERB });
        };
        let form = |rest: &[u8]| -> Result<Option<FormatControl>, CommandError> {
            match rest {
                [] => Ok(None),
                [b' ', f] => letter(VERB, arg.get(2..).unwrap_or_default(), FORMS).map(Some).map_err(|_| {
                    CommandError::UnsupportedParameter { verb: VERB, field: "form code", value: char::from(*f) }
                }),
                _ => Err(CommandError::InvalidArgument {
                    verb: VERB,
                    field: "form code",
                    reason: "must be one letter after a single SP",
                }),
            }
        };
        match code.to_ascii_uppercase() {
            b'A' => form(rest).map(TransferType::Ascii),
            b'E' => form(rest).map(TransferType::Ebcdic),
            b'I' if rest.is_empty() => Ok(TransferType::Image),
            b'I' => {
                Err(CommandError::InvalidArgument { verb: VERB, field: "type code I", reason: "takes no parameter" })
            }
            b'L' => match rest {
                [b' ', ..] => {
                    let size = number(VERB, "byte size", arg.get(2..).unwrap_or_default(), 255)?;
                    match u8::try_from(size) {
                        Ok(s) if s > 0 => Ok(TransferType::Local(s)),
                        _ => Err(CommandError::InvalidArgument {
                            verb: VERB,
                            field: "byte size",
                            reason: "must be 1-255",
                        }),
                    }
                }
                _ => Err(CommandError::InvalidArgument {
                    verb: VERB,
                    field: "byte size",
                    reason: "must follow L after a single SP",
                }),
            },
            c if c.is_ascii_alphabetic() && (rest.is_empty() || rest.first() == Some(&b' ')) => {
                Err(CommandError::UnsupportedParameter { verb: VERB, field: "type code", value: char::from(c) })
            }
            _ => Err(CommandError::InvalidArgument { verb: VERB, field: "type code", reason: "must be a letter" }),
        }
    }
}

impl fmt::Display for TransferType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, form) = match self {
            TransferType::Ascii(form) => ('A', form),
            TransferType::Ebcdic(form) => ('E', form),
            TransferType::Image => return f.write_str("I"),
            TransferType::Local(size) => return write!(f, "L {size}"),
        };
        match form {
            Some(form) => write!(f, "{code} {}", letter_of(FORMS, form)),
            None => write!(f, "{code}"),
        }
    }
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", letter_of(STRUS, self))
    }
}

impl fmt::Display for TransferMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", letter_of(MODES, self))
    }
}

impl fmt::Display for ProtectionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", letter_of(PROTS, self))
    }
}

impl fmt::Display for Allocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record_size {
            Some(r) => write!(f, "{} R {r}", self.size),
            None => write!(f, "{}", self.size),
        }
    }
}

impl fmt::Display for EpsvArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EpsvArg::All => f.write_str("ALL"),
            EpsvArg::Protocol(p) => write!(f, "{p}"),
        }
    }
}
