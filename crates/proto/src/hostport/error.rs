//! The errors: [`HostPortError`], the [`Field`] it is about and the [`Problem`] with it, and the field names every
//! grammar shares.
use core::fmt;
/// Which part of a tuple an error is about.
///
/// `index` is the 1-based position of the field in the tuple (PORT: 1-6 for h1-h4, p1, p2; EPRT/EPSV: 1 = af or
/// net-prt, 2 = address or net-addr, 3 = port; LPRT: 1 = af, 2 = hal, ...), or 0 for something that is not one
/// numbered field (the delimiter, the reply code, the tuple as a whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field {
    /// 1-based field number, or 0 when the error is not about one numbered field.
    pub index: u8,
    /// The field's role: `"h1"`, `"p2"`, `"af"`, `"hal"`, `"address"`, `"port"`, `"delimiter"`, `"reply code"`, ...
    pub role: &'static str,
}

impl Field {
    pub(super) const fn new(index: u8, role: &'static str) -> Self {
        Field { index, role }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.index == 0 {
            f.write_str(self.role)
        } else {
            write!(f, "field {} ({})", self.index, self.role)
        }
    }
}

/// Shows one input byte in an error message: `'x'` when printable ASCII, else `0xNN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct ByteText(u8);

impl fmt::Display for ByteText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_ascii_graphic() {
            write!(f, "'{}'", self.0 as char)
        } else if self.0 == b' ' {
            f.write_str("a blank")
        } else {
            write!(f, "byte 0x{:02x}", self.0)
        }
    }
}

/// Why a field does not follow the grammar (the detail of [`HostPortError::Syntax`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Problem {
    /// The input ended (or the tuple closed) before this field.
    Missing,
    /// The field is there but has no characters (`1,,3`).
    Empty,
    /// A blank (space or tab) where a digit should be.
    Blank,
    /// A `+` or `-` sign before the number.
    Sign(u8),
    /// A non-ASCII byte (a full-width digit, say) where an ASCII digit should be.
    NonAscii,
    /// Another character where a digit should be.
    NotDigit(u8),
    /// More digits than the field allows.
    TooManyDigits {
        /// How many digits the field has.
        digits: usize,
        /// How many it may have.
        max: u8,
    },
    /// The field is followed by the wrong character.
    Separator {
        /// The character found.
        found: u8,
        /// The character that should be there.
        expected: u8,
    },
    /// The tuple has one field more than it should (`expected` fields).
    Extra {
        /// How many fields the tuple has.
        expected: u8,
    },
    /// Something follows the tuple where it should end.
    Trailing(u8),
    /// A 227/228 tuple not closed by `)` (strict mode).
    Unclosed,
    /// A 227/228 reply without a `(` before the tuple (strict mode).
    NotInParentheses,
    /// No tuple anywhere in the reply text.
    NotFound,
    /// The field runs to the end of the input without the closing delimiter.
    Unterminated {
        /// The delimiter that should close it.
        delimiter: u8,
    },
    /// A delimiter that is not printable ASCII (33-126), or is a digit, `.`, `:` or a hex letter (which collide with
    /// addresses).
    BadDelimiter(u8),
    /// A 229 field that RFC 2428 §3 says must be empty (net-prt, net-addr).
    NotEmpty,
    /// A dotted-quad part with a leading zero (`010`): octal or decimal is ambiguous, so it is refused.
    LeadingZero,
    /// Not an address of the family given (`af` 1 = IPv4 dotted quad, 2 = IPv6).
    BadAddress {
        /// The EPRT address family number.
        af: u8,
    },
    /// An IPv6 address with a zone id (`%eth0`): meaningless to the peer, so refused.
    ZoneId,
    /// LPRT/LPSV: the host address length does not fit the address family.
    HostLength {
        /// The `hal` sent.
        value: u8,
        /// The length the family needs (4 for af 4, 16 for af 6).
        expected: u8,
    },
    /// LPRT/LPSV: the port length is not 2.
    PortLength {
        /// The `pal` sent.
        value: u8,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Problem::Missing => f.write_str("is missing"),
            Problem::Empty => f.write_str("is empty"),
            Problem::Blank => f.write_str("starts with a blank (no blanks inside a tuple)"),
            Problem::Sign(c) => write!(f, "has a sign {} (numbers are unsigned)", ByteText(c)),
            Problem::NonAscii => f.write_str("has a non-ASCII byte where an ASCII digit 0-9 should be"),
            Problem::NotDigit(c) => write!(f, "has {} where a decimal digit should be", ByteText(c)),
            Problem::TooManyDigits { digits, max } => {
                write!(f, "has {digits} digits, at most {max} allowed")
            }
            Problem::Separator { found, expected } => {
                write!(f, "is followed by {} where {} should be", ByteText(found), ByteText(expected))
            }
            Problem::Extra { expected } => {
                write!(f, "is one too many: the tuple has {expected} fields")
            }
            Problem::Trailing(c) => write!(f, "is followed by {} where it should end", ByteText(c)),
            Problem::Unclosed => f.write_str("is not closed by ')'"),
            Problem::NotInParentheses => f.write_str("is not in parentheses (strict mode)"),
            Problem::NotFound => f.write_str("was not found in the reply text"),
            Problem::Unterminated { delimiter } => {
                write!(f, "is not closed by the delimiter {}", ByteText(delimiter))
            }
            Problem::BadDelimiter(c) => write!(
                f,
                "is {}, which cannot be a delimiter (printable ASCII, not a digit, '.', ':' or hex letter)",
                ByteText(c)
            ),
            Problem::NotEmpty => f.write_str("must be empty (RFC 2428 §3)"),
            Problem::LeadingZero => f.write_str("has a part with a leading zero (octal or decimal is ambiguous)"),
            Problem::BadAddress { af: 1 } => f.write_str("is not an IPv4 dotted quad (af 1)"),
            Problem::BadAddress { af } => write!(f, "is not an IPv6 address (af {af})"),
            Problem::ZoneId => f.write_str("has a zone id ('%'), which means nothing to the peer"),
            Problem::HostLength { value, expected } => {
                write!(f, "is {value}, but the address family needs {expected}")
            }
            Problem::PortLength { value } => write!(f, "is {value}, but a port is 2 octets"),
        }
    }
}

/// Why a host-port tuple was refused. [`HostPortError::kind`] gives the stable class.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostPortError {
    /// A field does not follow the grammar ([`crate::ErrorKind::Syntax`]).
    #[error("{field} {problem}")]
    Syntax {
        /// Which field.
        field: Field,
        /// What is wrong with it.
        problem: Problem,
    },
    /// A number over its limit: an octet over 255, a port over 65535 ([`crate::ErrorKind::Range`]).
    #[error("{field} is {value}, over {max}")]
    TooLarge {
        /// Which field.
        field: Field,
        /// The number read (exact: fields too long to hold exactly are [`Problem::TooManyDigits`] instead).
        value: u64,
        /// The largest allowed.
        max: u64,
    },
    /// Port 0, which no data connection can use ([`crate::ErrorKind::Range`]).
    #[error("{field} is 0, and port 0 is not a usable data port")]
    PortZero {
        /// Which field (for PORT/LPRT/227/228: the port made of p1 and p2).
        field: Field,
    },
    /// The reply has another code than the one this parser reads ([`crate::ErrorKind::WrongReply`]).
    #[error("reply code is {found}, but this parser reads {expected} replies")]
    WrongReply {
        /// The code of the reply's final line.
        found: u16,
        /// The code the parser reads (227, 228 or 229).
        expected: u16,
    },
    /// Well-formed, but an address family ftpkit does not handle ([`crate::ErrorKind::Unsupported`]).
    #[error("{field} is {value}; supported: {supported}")]
    Unsupported {
        /// Which field (the `af`).
        field: Field,
        /// The number sent.
        value: u64,
        /// What would be accepted.
        supported: &'static str,
    },
}

impl HostPortError {
    /// The stable class of this error.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            HostPortError::Syntax { .. } => crate::ErrorKind::Syntax,
            HostPortError::TooLarge { .. } | HostPortError::PortZero { .. } => crate::ErrorKind::Range,
            HostPortError::WrongReply { .. } => crate::ErrorKind::WrongReply,
            HostPortError::Unsupported { .. } => crate::ErrorKind::Unsupported,
        }
    }

    /// The field the error is about, when it is about one.
    pub fn field(&self) -> Option<Field> {
        match *self {
            HostPortError::Syntax { field, .. }
            | HostPortError::TooLarge { field, .. }
            | HostPortError::PortZero { field }
            | HostPortError::Unsupported { field, .. } => Some(field),
            HostPortError::WrongReply { .. } => None,
        }
    }
}

pub(super) const fn syntax(field: Field, problem: Problem) -> HostPortError {
    HostPortError::Syntax { field, problem }
}

pub(super) const PORT_PAIR: Field = Field::new(0, "port (p1,p2)");
pub(super) const TUPLE: Field = Field::new(0, "tuple");
pub(super) const REPLY_CODE: Field = Field::new(0, "reply code");
pub(super) const DELIMITER: Field = Field::new(0, "delimiter");

pub(super) fn extra_field(index: usize) -> Field {
    Field::new(u8::try_from(index).unwrap_or(u8::MAX), "extra")
}
