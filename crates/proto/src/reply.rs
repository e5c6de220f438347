//! Server replies: reply codes, borrowed and owned replies, a streaming decoder and an encoder.
//!
//! A reply (RFC 959 §4.2) is either one line `NNN text` or a multi-line block that opens with `NNN-text` and closes
//! with a line `NNN text`. Lines inside a multi-line reply may hold anything, including other codes or a bare `550`.
//!
//! ```text
//!   socket bytes ──feed──► ReplyDecoder ──decode──► ReplyRef<'_> (borrows the decoder) ──to_owned──► Reply
//!   Reply ──encode──► "NNN-text\r\n...NNN text\r\n"
//! ```
//!
//! # Calling order
//!
//! [`ReplyDecoder::feed`] the bytes read from the control connection, then call [`ReplyDecoder::decode`] until it
//! returns `Ok(None)` (need more bytes). An `Err` reports one bad line or one broken reply, which the decoder has
//! already skipped: keep calling. A [`ReplyRef`] borrows the decoder and is valid until the next `feed` or
//! `decode`; call [`ReplyRef::to_owned`] to keep it.
use crate::line::{find_lf, strip_cr, LineBuffer, DEFAULT_MAX_LINE};
use core::fmt;

/// A reply code: three ASCII digits with the first one 1-5, or one of RFC 2228's 631, 632 and 633.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(u16);

/// The first digit of a reply code (RFC 959 §4.2.1, RFC 2228 §3 for 6yz).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// 1yz: the action is started; expect another reply before the next command.
    PositivePreliminary,
    /// 2yz: the action completed.
    PositiveCompletion,
    /// 3yz: accepted, more information is needed (a password, a rename target).
    PositiveIntermediate,
    /// 4yz: not done, but trying again may work.
    TransientNegative,
    /// 5yz: not done, do not repeat as is.
    PermanentNegative,
    /// 6yz: a protected reply (RFC 2228: 631 integrity, 632 confidentiality, 633 both).
    Protected,
}

/// The second digit of a reply code (RFC 959 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// x0z: syntax errors, unimplemented or superfluous commands.
    Syntax,
    /// x1z: replies to requests for information (status, help).
    Information,
    /// x2z: the control and data connections.
    Connections,
    /// x3z: login and accounting.
    Authentication,
    /// x4z: unspecified.
    Unspecified,
    /// x5z: the file system.
    FileSystem,
    /// A second digit of 6-9, which RFC 959 does not define; the digit is kept.
    Other(u8),
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        impl Code {
            $($(#[$doc])* pub const $name: Code = Code($value);)*
        }
    };
}

codes! {
    /// 110 Restart marker reply.
    RESTART_MARKER = 110;
    /// 120 Service ready in nnn minutes.
    SERVICE_READY_LATER = 120;
    /// 125 Data connection already open; transfer starting.
    DATA_ALREADY_OPEN = 125;
    /// 150 File status okay; about to open data connection.
    FILE_STATUS_OK = 150;
    /// 200 Command okay.
    OK = 200;
    /// 202 Command not implemented, superfluous at this site.
    SUPERFLUOUS = 202;
    /// 211 System status, or system help reply (FEAT).
    SYSTEM_STATUS = 211;
    /// 212 Directory status.
    DIRECTORY_STATUS = 212;
    /// 213 File status (SIZE, MDTM).
    FILE_STATUS = 213;
    /// 214 Help message.
    HELP = 214;
    /// 215 NAME system type.
    SYSTEM_TYPE = 215;
    /// 220 Service ready for new user.
    SERVICE_READY = 220;
    /// 221 Service closing control connection.
    CLOSING = 221;
    /// 225 Data connection open; no transfer in progress.
    DATA_OPEN = 225;
    /// 226 Closing data connection; requested action successful.
    CLOSING_DATA = 226;
    /// 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).
    PASSIVE = 227;
    /// 228 Entering Long Passive Mode (RFC 1639).
    LONG_PASSIVE = 228;
    /// 229 Entering Extended Passive Mode (|||port|) (RFC 2428).
    EXTENDED_PASSIVE = 229;
    /// 230 User logged in, proceed.
    LOGGED_IN = 230;
    /// 232 User logged in, authorized by security data exchange (RFC 2228).
    LOGGED_IN_AUTHORIZED = 232;
    /// 234 Security data exchange complete (AUTH TLS accepted, RFC 2228/4217).
    SECURITY_EXCHANGE_DONE = 234;
    /// 235 Security data exchange completed successfully (RFC 2228).
    SECURITY_DATA_ACCEPTED = 235;
    /// 250 Requested file action okay, completed.
    FILE_ACTION_OK = 250;
    /// 257 "PATHNAME" created (also the PWD reply).
    PATH_CREATED = 257;
    /// 331 User name okay, need password.
    NEED_PASSWORD = 331;
    /// 332 Need account for login.
    NEED_ACCOUNT = 332;
    /// 334 Requested security mechanism is ok (RFC 2228).
    SECURITY_MECHANISM_OK = 334;
    /// 350 Requested file action pending further information (RNFR, REST).
    PENDING_FURTHER_INFO = 350;
    /// 421 Service not available, closing control connection.
    SERVICE_NOT_AVAILABLE = 421;
    /// 425 Can't open data connection.
    CANT_OPEN_DATA = 425;
    /// 426 Connection closed; transfer aborted.
    TRANSFER_ABORTED = 426;
    /// 450 Requested file action not taken (file unavailable, busy).
    FILE_BUSY = 450;
    /// 451 Requested action aborted: local error in processing.
    LOCAL_ERROR = 451;
    /// 452 Requested action not taken: insufficient storage space.
    INSUFFICIENT_STORAGE = 452;
    /// 500 Syntax error, command unrecognized (also: command line too long).
    SYNTAX_ERROR = 500;
    /// 501 Syntax error in parameters or arguments.
    ARGUMENT_SYNTAX_ERROR = 501;
    /// 502 Command not implemented.
    NOT_IMPLEMENTED = 502;
    /// 503 Bad sequence of commands.
    BAD_SEQUENCE = 503;
    /// 504 Command not implemented for that parameter.
    PARAMETER_NOT_IMPLEMENTED = 504;
    /// 530 Not logged in.
    NOT_LOGGED_IN = 530;
    /// 532 Need account for storing files.
    NEED_ACCOUNT_TO_STORE = 532;
    /// 550 Requested action not taken: file unavailable (not found, no access).
    FILE_UNAVAILABLE = 550;
    /// 551 Requested action aborted: page type unknown.
    PAGE_TYPE_UNKNOWN = 551;
    /// 552 Requested file action aborted: exceeded storage allocation.
    EXCEEDED_STORAGE = 552;
    /// 553 Requested action not taken: file name not allowed.
    FILE_NAME_NOT_ALLOWED = 553;
    /// 631 Integrity protected reply (RFC 2228).
    INTEGRITY_PROTECTED = 631;
    /// 632 Confidentiality and integrity protected reply (RFC 2228).
    CONFIDENTIAL_PROTECTED = 632;
    /// 633 Confidentiality protected reply (RFC 2228).
    PRIVACY_PROTECTED = 633;
}

impl Code {
    /// Check a numeric code: 100-599, or 631-633.
    pub const fn new(value: u16) -> Result<Code, ReplyError> {
        if (value >= 100 && value <= 599) || (value >= 631 && value <= 633) {
            Ok(Code(value))
        } else {
            Err(ReplyError::InvalidCode { value })
        }
    }

    /// Read a code from its three ASCII digits (the start of a reply line). `line` is only used in the error.
    pub fn from_digits(digits: [u8; 3], line: usize) -> Result<Code, ReplyError> {
        for (i, d) in digits.iter().enumerate() {
            if !d.is_ascii_digit() {
                return Err(ReplyError::NonDigit { line, position: i + 1, byte: *d });
            }
        }
        let value = digits.iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
        Code::new(value).map_err(|_| ReplyError::CodeOutOfRange { line, value })
    }

    /// The numeric value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The three ASCII digits.
    pub const fn digits(self) -> [u8; 3] {
        [b'0' + (self.0 / 100) as u8, b'0' + (self.0 / 10 % 10) as u8, b'0' + (self.0 % 10) as u8]
    }

    /// The class (first digit).
    pub const fn class(self) -> Class {
        match self.0 / 100 {
            1 => Class::PositivePreliminary,
            2 => Class::PositiveCompletion,
            3 => Class::PositiveIntermediate,
            4 => Class::TransientNegative,
            5 => Class::PermanentNegative,
            _ => Class::Protected,
        }
    }

    /// The category (second digit).
    pub const fn category(self) -> Category {
        match (self.0 / 10 % 10) as u8 {
            0 => Category::Syntax,
            1 => Category::Information,
            2 => Category::Connections,
            3 => Category::Authentication,
            4 => Category::Unspecified,
            5 => Category::FileSystem,
            d => Category::Other(d),
        }
    }

    /// 1yz: a preliminary reply; another reply follows.
    pub const fn is_preliminary(self) -> bool {
        matches!(self.class(), Class::PositivePreliminary)
    }

    /// 2yz: completed.
    pub const fn is_completion(self) -> bool {
        matches!(self.class(), Class::PositiveCompletion)
    }

    /// 3yz: more information needed.
    pub const fn is_intermediate(self) -> bool {
        matches!(self.class(), Class::PositiveIntermediate)
    }

    /// 1yz, 2yz or 3yz.
    pub const fn is_positive(self) -> bool {
        self.0 < 400
    }

    /// 4yz: transient failure.
    pub const fn is_transient_negative(self) -> bool {
        matches!(self.class(), Class::TransientNegative)
    }

    /// 5yz: permanent failure.
    pub const fn is_permanent_negative(self) -> bool {
        matches!(self.class(), Class::PermanentNegative)
    }

    /// 4yz or 5yz.
    pub const fn is_negative(self) -> bool {
        self.0 >= 400 && self.0 < 600
    }

    /// 6yz: an RFC 2228 protected reply, whose text carries an encoded reply.
    pub const fn is_protected(self) -> bool {
        matches!(self.class(), Class::Protected)
    }
}

impl TryFrom<u16> for Code {
    type Error = ReplyError;
    fn try_from(value: u16) -> Result<Self, Self::Error> {
        Code::new(value)
    }
}

impl From<Code> for u16 {
    fn from(code: Code) -> u16 {
        code.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// An error while decoding or encoding a reply. Line numbers count from 1: in a [`ReplyDecoder`] from the first
/// line it was fed, in [`parse_reply`] from the start of the buffer, in [`Reply::encode`] within the reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A number that is not a reply code.
    #[error("{value} is not a reply code (must be 100-599 or 631-633)")]
    InvalidCode {
        /// The number given.
        value: u16,
    },
    /// An empty line where a reply should start.
    #[error("line {line}: empty line where a reply should start")]
    EmptyLine {
        /// The line number.
        line: usize,
    },
    /// The peer speaks HTTP, not FTP.
    #[error("line {line}: an HTTP response, not an FTP reply")]
    Http {
        /// The line number.
        line: usize,
    },
    /// One of the three code bytes is not an ASCII digit (or the line is shorter than three bytes).
    #[error("line {line}: byte {position} of the reply code is {byte:#04x}, not an ASCII digit")]
    NonDigit {
        /// The line number.
        line: usize,
        /// Which code byte (1-3).
        position: usize,
        /// The byte found; 0x0a (LF) when the line ended early.
        byte: u8,
    },
    /// Three digits that are not a reply code.
    #[error("line {line}: reply code {value:03} has first digit {} (must be 1-5, or 631-633)", .value / 100)]
    CodeOutOfRange {
        /// The line number.
        line: usize,
        /// The three digits read.
        value: u16,
    },
    /// The byte after the code is neither SP nor `-`.
    #[error("line {line}: byte {byte:#04x} after reply code {code} is neither SP nor '-'")]
    BadSeparator {
        /// The line number.
        line: usize,
        /// The code read.
        code: Code,
        /// The byte found.
        byte: u8,
    },
    /// The line is a bare code, with no SP or `-` after it.
    #[error("line {line}: reply code {code} is not followed by SP or '-'")]
    MissingSeparator {
        /// The line number.
        line: usize,
        /// The code read.
        code: Code,
    },
    /// A line longer than [`Limits::max_line`]; it was skipped (and with it a multi-line reply it was part of).
    #[error("line {line}: longer than the limit of {max} bytes")]
    LineTooLong {
        /// The line number.
        line: usize,
        /// The limit.
        max: usize,
    },
    /// A multi-line reply with more lines than [`Limits::max_reply_lines`]; the whole reply was skipped.
    #[error("line {line}: multi-line reply has more than {max} lines")]
    TooManyLines {
        /// The line number at which the limit was crossed.
        line: usize,
        /// The limit.
        max: usize,
    },
    /// A reply with more bytes than [`Limits::max_reply_bytes`]; the whole reply was skipped.
    #[error("line {line}: reply is longer than {max} bytes")]
    TooManyBytes {
        /// The line number at which the limit was crossed.
        line: usize,
        /// The limit.
        max: usize,
    },
    /// Text to encode holds CR, LF or NUL (reply injection).
    #[error("line {line} of the reply text holds byte {byte:#04x} (CR, LF and NUL are not allowed)")]
    Injection {
        /// The text line (1-based).
        line: usize,
        /// The forbidden byte.
        byte: u8,
    },
}

impl ReplyError {
    /// The stable kind of this error.
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            ReplyError::InvalidCode { .. } | ReplyError::CodeOutOfRange { .. } => K::Range,
            ReplyError::EmptyLine { .. }
            | ReplyError::Http { .. }
            | ReplyError::NonDigit { .. }
            | ReplyError::BadSeparator { .. }
            | ReplyError::MissingSeparator { .. } => K::Syntax,
            ReplyError::LineTooLong { .. } | ReplyError::TooManyLines { .. } | ReplyError::TooManyBytes { .. } => {
                K::TooLong
            }
            ReplyError::Injection { .. } => K::Injection,
        }
    }
}

/// How a multi-line reply is closed. Data, not a code path: both rules share the decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Framing {
    /// RFC 959 §4.2: only a line that starts with the opening line's code followed by SP closes the reply.
    #[default]
    Strict,
    /// Any line of three ASCII digits followed by SP closes the reply (curl's rule; for servers such as glftpd that
    /// close a block with another code). The reply then takes the code of the closing line, as curl does: the last
    /// line is the server's verdict. A closing line whose digits are not a valid code is an error.
    Tolerant,
}

/// Bounds on what a decoder stores. Exceeding one is an error (kind [`TooLong`](crate::ErrorKind::TooLong)),
/// never unbounded growth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Longest line, in bytes, line end not counted. Default 8192 ([`DEFAULT_MAX_LINE`]): CPython's ftplib limit.
    pub max_line: usize,
    /// Largest reply, in bytes, line ends counted. Default 1 MiB: `STAT <dir>` answers with a listing on the
    /// control connection, and a few thousand entries must fit, while a hostile peer cannot make a client hold more.
    pub max_reply_bytes: usize,
    /// Most lines in one reply. Default 16384: far above any FEAT/HELP/STAT seen from real servers.
    pub max_reply_lines: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_line: DEFAULT_MAX_LINE, max_reply_bytes: 1 << 20, max_reply_lines: 16384 }
    }
}

/// A decoded reply, borrowing its bytes (after Telnet stripping) from the decoder or the caller's buffer.
///
/// Equality, hashing and `Debug` see the code and the bytes only (as if derived from `code`, `raw`, `lines`): the
/// recorded line ends are a cache, so a reply from [`parse_reply`] equals the same reply from a [`ReplyDecoder`].
#[derive(Clone, Copy)]
pub struct ReplyRef<'a> {
    code: Code,
    raw: &'a [u8],
    /// How many lines `raw` holds (its LF count), found while framing the reply, so that reading the lines again
    /// does not search for the last line's end.
    lines: usize,
    /// Where each line ends in `raw` (the offset just past its LF), recorded by a [`ReplyDecoder`] while framing,
    /// so that [`lines`](Self::lines) and [`text_lines`](Self::text_lines) never search for a line end again.
    /// Empty when not recorded ([`parse_reply`] has nowhere to keep them; the lines are then searched for).
    /// Either empty or exactly `lines` long: see [`ReplyRef::with_ends`].
    ends: &'a [u32],
}

impl PartialEq for ReplyRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        (self.code, self.raw, self.lines) == (other.code, other.raw, other.lines)
    }
}

impl Eq for ReplyRef<'_> {}

impl core::hash::Hash for ReplyRef<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.code.hash(state);
        self.raw.hash(state);
        self.lines.hash(state);
    }
}

impl core::fmt::Debug for ReplyRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReplyRef")
            .field("code", &self.code)
            .field("raw", &self.raw)
            .field("lines", &self.lines)
            .finish()
    }
}

impl<'a> ReplyRef<'a> {
    /// A reply framed without recording its line ends.
    fn new(code: Code, raw: &'a [u8], lines: usize) -> Self {
        ReplyRef { code, raw, lines, ends: &[] }
    }

    /// A reply with the line ends recorded while framing it, kept only when they describe exactly these lines:
    /// one per line, the last one at the end of `raw`. Offsets only grow, so when the last one fits a `u32`, all
    /// do; a reply too big for `u32` offsets (possible only with raised limits) falls back to searching.
    fn with_ends(code: Code, raw: &'a [u8], lines: usize, ends: &'a [u32]) -> Self {
        let exact = ends.len() == lines && ends.last().map(|&e| e as usize) == Some(raw.len());
        ReplyRef { code, raw, lines, ends: if exact { ends } else { &[] } }
    }

    /// The reply code (with [`Framing::Tolerant`], the code of the closing line).
    #[inline]
    pub fn code(&self) -> Code {
        self.code
    }

    /// The whole reply as received, line ends included.
    #[inline]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// True when the reply has more than one line.
    #[inline]
    pub fn is_multiline(&self) -> bool {
        self.lines > 1
    }

    /// Each line as received, without its line end.
    #[inline]
    pub fn lines(&self) -> Lines<'a> {
        Lines { raw: self.raw, at: 0, left: self.lines, ends: self.ends }
    }

    /// Each line's text: the first and the last line without their `NNN-`/`NNN ` prefix, the lines in between
    /// without it where they start with the reply's code followed by `-` or SP, the others verbatim.
    #[inline]
    pub fn text_lines(&self) -> TextLines<'a> {
        TextLines { lines: self.lines(), code: self.code, first: true }
    }

    /// An owned copy: the code and the text lines, non-UTF-8 bytes replaced by U+FFFD.
    pub fn to_owned(&self) -> Reply {
        Reply { code: self.code, lines: self.text_lines().map(|l| String::from_utf8_lossy(l).into_owned()).collect() }
    }

    /// Same as [`to_owned`](Self::to_owned).
    pub fn into_owned(self) -> Reply {
        self.to_owned()
    }
}

/// The lines of a [`ReplyRef`], without line ends.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    /// The whole reply.
    raw: &'a [u8],
    /// Where the next line starts in `raw`.
    at: usize,
    /// Lines left after `at`; the last one is the rest of `raw` up to its line end, without a search.
    left: usize,
    /// The recorded end offsets of the lines left (see [`ReplyRef::ends`]); empty when not recorded. When
    /// recorded, there is one per line left.
    ends: &'a [u32],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if let Some((&end, ends)) = self.ends.split_first() {
            // Recorded while framing: cut at the known end, no search. `end` is just past the LF. (`get` keeps a
            // bad offset from panicking; by construction every offset is in `raw`, each after the one before.)
            let end = end as usize;
            let line = self.raw.get(self.at..end.saturating_sub(1))?;
            self.ends = ends;
            self.at = end;
            self.left = self.left.saturating_sub(1);
            return Some(strip_cr(line));
        }
        let rest = self.raw.get(self.at..).filter(|r| !r.is_empty())?;
        let found = if self.left > 1 { find_lf(rest) } else { None };
        let (line, next) = match found {
            Some(i) => (&rest[..i], self.at + i + 1),
            None => (rest.strip_suffix(b"\n").unwrap_or(rest), self.raw.len()),
        };
        self.left = self.left.saturating_sub(1);
        self.at = next;
        Some(strip_cr(line))
    }
}

/// The text lines of a [`ReplyRef`]; see [`ReplyRef::text_lines`].
#[derive(Debug, Clone)]
pub struct TextLines<'a> {
    lines: Lines<'a>,
    /// The reply's code; its digits are worked out only for a middle line (most replies have none).
    code: Code,
    first: bool,
}

impl<'a> Iterator for TextLines<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let line = self.lines.next()?;
        let edge = core::mem::take(&mut self.first) || self.lines.left == 0;
        let strip = match line {
            [a, b, c, sep, ..] => edge || ((*sep == b' ' || *sep == b'-') && [*a, *b, *c] == self.code.digits()),
            _ => false,
        };
        Some(if strip { line.get(4..).unwrap_or_default() } else { line })
    }
}

/// An owned reply: its code and its text lines (without the `NNN-`/`NNN ` prefixes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    /// The reply code.
    pub code: Code,
    /// The text lines. Empty encodes as one empty line.
    pub lines: Vec<String>,
}

impl Reply {
    /// A single-line reply.
    pub fn new(code: Code, text: impl Into<String>) -> Reply {
        Reply { code, lines: vec![text.into()] }
    }

    /// A reply with the given text lines (multi-line when there is more than one).
    pub fn multiline<I, S>(code: Code, lines: I) -> Reply
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Reply { code, lines: lines.into_iter().map(Into::into).collect() }
    }

    /// The text lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Write the reply: every line but the last as `NNN-text\r\n`, the last as `NNN text\r\n`. Decoding the
    /// result (either framing) gives back the same code and text lines. Text holding CR, LF or NUL is refused and
    /// nothing is written.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), ReplyError> {
        for (i, line) in self.lines.iter().enumerate() {
            if let Some(&byte) = line.as_bytes().iter().find(|b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(ReplyError::Injection { line: i + 1, byte });
            }
        }
        let digits = self.code.digits();
        let last = self.lines.len().saturating_sub(1);
        out.reserve(self.lines.iter().map(|l| l.len() + 6).sum::<usize>().max(6));
        if self.lines.is_empty() {
            out.extend_from_slice(&digits);
            out.extend_from_slice(b" \r\n");
        }
        for (i, line) in self.lines.iter().enumerate() {
            out.extend_from_slice(&digits);
            out.push(if i == last { b' ' } else { b'-' });
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Ok(())
    }

    /// The encoded reply as bytes (see [`encode`](Self::encode)).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ReplyError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }
}

/// Progress through a multi-line reply, kept between decode calls so lines are scanned once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Partial {
    /// The opening line's code, once the opening line was read.
    opener: Option<Code>,
    /// Bytes of the region scanned so far (whole lines).
    scanned: usize,
    /// Lines scanned so far.
    lines: usize,
}

/// What scanning a region of complete lines found.
#[derive(Debug)]
enum Scan {
    /// A reply of `len` bytes and `lines` lines.
    Reply { code: Code, len: usize, lines: usize },
    /// An error; drop `len` bytes (`lines` lines); then skip the rest of a reply opened with `resync` if set.
    Error { error: ReplyError, len: usize, lines: usize, resync: Option<Code> },
    /// No complete reply in the region yet.
    NeedMore,
}

/// Read the code and separator of a reply's opening line. `line` is the line number for errors.
fn parse_opener(text: &[u8], line: usize) -> Result<(Code, bool), ReplyError> {
    if text.is_empty() {
        return Err(ReplyError::EmptyLine { line });
    }
    if text.starts_with(b"HTTP/") {
        return Err(ReplyError::Http { line });
    }
    let digit = |i: usize| text.get(i).copied().unwrap_or(b'\n');
    let code = Code::from_digits([digit(0), digit(1), digit(2)], line)?;
    match text.get(3) {
        None => Err(ReplyError::MissingSeparator { line, code }),
        Some(b' ') => Ok((code, false)),
        Some(b'-') => Ok((code, true)),
        Some(&byte) => Err(ReplyError::BadSeparator { line, code, byte }),
    }
}

/// If `text` closes a multi-line reply opened with `opener`, the reply's code.
fn closing_code(text: &[u8], opener: Code, framing: Framing, line: usize) -> Result<Option<Code>, ReplyError> {
    match text {
        [a, b, c, b' ', ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => match framing {
            Framing::Strict => Ok(([*a, *b, *c] == opener.digits()).then_some(opener)),
            Framing::Tolerant => Code::from_digits([*a, *b, *c], line).map(Some),
        },
        _ => Ok(None),
    }
}

/// Scan `region` (whole lines, each ending in LF) from where `partial` stopped. `first_line` numbers the region's
/// first line for errors. `check_line` enforces `limits.max_line` (the line buffer already does in a decoder).
/// `ends`, when given, gets the end offset (past the LF) of every line of a multi-line reply, in step with
/// `partial`; an offset over `u32::MAX` is stored as `u32::MAX`, which [`ReplyRef::with_ends`] refuses. A
/// single-line reply records nothing: its one line is read without a search anyway, and most replies are single
/// lines, so they do not pay for the recording.
fn scan(
    region: &[u8],
    partial: &mut Partial,
    framing: Framing,
    limits: &Limits,
    first_line: usize,
    check_line: bool,
    mut ends: Option<&mut Vec<u32>>,
) -> Scan {
    while partial.scanned < region.len() {
        let rest = &region[partial.scanned..];
        let Some(lf) = find_lf(rest) else {
            break;
        };
        let line = &rest[..lf];
        // The code and separator tests read at most the first five bytes, which are the same with or without a
        // CR before the LF once the line holds six bytes or more; only a shorter line needs its CR removed here.
        let text = if lf < 6 { strip_cr(line) } else { line };
        let end = partial.scanned + lf + 1;
        let line_no = first_line + partial.lines;
        partial.lines += 1;
        partial.scanned = end;
        let lines = partial.lines;
        let error = |error, resync| Scan::Error { error, len: end, lines, resync };
        if check_line && strip_cr(line).len() > limits.max_line {
            return error(ReplyError::LineTooLong { line: line_no, max: limits.max_line }, partial.opener);
        }
        let Some(opener) = partial.opener else {
            match parse_opener(text, line_no) {
                Err(e) => return error(e, None),
                Ok((code, false)) => return Scan::Reply { code, len: end, lines },
                Ok((code, true)) => {
                    record(&mut ends, end);
                    partial.opener = Some(code);
                    if end > limits.max_reply_bytes {
                        return error(
                            ReplyError::TooManyBytes { line: line_no, max: limits.max_reply_bytes },
                            Some(code),
                        );
                    }
                    continue;
                }
            }
        };
        record(&mut ends, end);
        let close = match closing_code(text, opener, framing, line_no) {
            Ok(c) => c,
            Err(e) => return error(e, None),
        };
        let resync = if close.is_some() { None } else { Some(opener) };
        if lines > limits.max_reply_lines {
            return error(ReplyError::TooManyLines { line: line_no, max: limits.max_reply_lines }, resync);
        }
        if end > limits.max_reply_bytes {
            return error(ReplyError::TooManyBytes { line: line_no, max: limits.max_reply_bytes }, resync);
        }
        if let Some(code) = close {
            return Scan::Reply { code, len: end, lines };
        }
    }
    Scan::NeedMore
}

/// The code and length of the single-line reply at the front of `region` (whole lines), when its first line is
/// one: three digits making a valid code, then SP. Most replies are; they are framed here without a call to
/// [`scan`], which decides everything else (multi-line replies, and every error, reported as it words them).
#[inline]
fn single_line(region: &[u8]) -> Option<(Code, usize)> {
    let lf = find_lf(region)?;
    // The opening-line test `scan` uses. The CR before the LF is left on: a line it accepts as a one-line reply
    // has SP as byte 3, so a CR cannot stand in the bytes it reads.
    match parse_opener(region.get(..lf)?, 0) {
        Ok((code, false)) => Some((code, lf + 1)),
        _ => None,
    }
}

/// Record a line end for [`scan`].
#[inline]
fn record(ends: &mut Option<&mut Vec<u32>>, end: usize) {
    if let Some(ends) = ends {
        ends.push(u32::try_from(end).unwrap_or(u32::MAX));
    }
}

/// Parse one reply from the start of a buffer the caller owns (no Telnet stripping), with [`Limits::default`].
///
/// `Ok(Some((reply, consumed)))`: a complete reply of `consumed` bytes. `Ok(None)`: the buffer ends inside a
/// reply. `Err`: the buffer does not start with a valid reply (the error names the line).
pub fn parse_reply(bytes: &[u8], framing: Framing) -> Result<Option<(ReplyRef<'_>, usize)>, ReplyError> {
    parse_reply_with(bytes, framing, &Limits::default())
}

/// [`parse_reply`] with explicit limits.
pub fn parse_reply_with<'a>(
    bytes: &'a [u8],
    framing: Framing,
    limits: &Limits,
) -> Result<Option<(ReplyRef<'a>, usize)>, ReplyError> {
    let complete = memchr::memrchr(b'\n', bytes).map_or(0, |i| i + 1);
    let mut partial = Partial::default();
    match scan(&bytes[..complete], &mut partial, framing, limits, 1, true, None) {
        Scan::Reply { code, len, lines } => Ok(Some((ReplyRef::new(code, &bytes[..len], lines), len))),
        Scan::Error { error, .. } => Err(error),
        Scan::NeedMore => {
            let tail = bytes.len() - complete;
            let line = partial.lines + 1;
            if tail > limits.max_line.saturating_add(1) {
                Err(ReplyError::LineTooLong { line, max: limits.max_line })
            } else if partial.opener.is_some() && bytes.len() > limits.max_reply_bytes {
                Err(ReplyError::TooManyBytes { line, max: limits.max_reply_bytes })
            } else {
                Ok(None)
            }
        }
    }
}

/// A streaming reply decoder (client side). See the [module docs](self) for the calling order.
#[derive(Debug, Clone)]
pub struct ReplyDecoder {
    lines: LineBuffer,
    framing: Framing,
    limits: Limits,
    partial: Partial,
    /// Dropping the rest of a broken multi-line reply opened with this code.
    resync: Option<Code>,
    /// The stream line number of the first line in the buffer.
    line_no: usize,
    /// The end offset of each line of the reply being framed (see `scan`), lent to the [`ReplyRef`] returned so
    /// its lines are not searched for again. Reused: it grows to the most lines of a reply seen, then stays.
    ends: Vec<u32>,
}

impl Default for ReplyDecoder {
    fn default() -> Self {
        ReplyDecoder::new(Framing::default(), Limits::default())
    }
}

impl ReplyDecoder {
    /// A decoder with the given framing and limits.
    pub fn new(framing: Framing, limits: Limits) -> Self {
        ReplyDecoder {
            lines: LineBuffer::new(limits.max_line),
            framing,
            limits,
            partial: Partial::default(),
            resync: None,
            line_no: 1,
            ends: Vec::new(),
        }
    }

    /// The framing in use.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The limits in use.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Bytes held: an incomplete reply, or complete ones not decoded yet.
    pub fn buffered(&self) -> usize {
        self.lines.buffered()
    }

    /// True when nothing is held: the stream stands between two replies.
    pub fn is_idle(&self) -> bool {
        self.lines.is_empty() && self.resync.is_none() && self.partial == Partial::default()
    }

    /// Append bytes from the control connection (Telnet commands are stripped). Releases the last reply returned.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.lines.feed(bytes);
    }

    /// [`feed`](Self::feed) everything left in `src` (a `BytesMut` filled by a socket read, a `Bytes`, a chain of
    /// them) and advance `src` past it: the decoder keeps what it needs, so `src` can be reused for the next read.
    #[cfg(feature = "bytes")]
    pub fn feed_buf<B: bytes::Buf + ?Sized>(&mut self, src: &mut B) {
        self.lines.feed_buf(src);
    }

    /// The next complete reply (`Ok(None)`: need more bytes).
    ///
    /// An `Err` reports one bad line (skipped) or one broken reply (over a limit, or cut by an over-long line:
    /// skipped up to its closing line); call again to go on.
    pub fn decode(&mut self) -> Result<Option<ReplyRef<'_>>, ReplyError> {
        self.lines.release();
        loop {
            if let Some(opener) = self.resync {
                if !self.skip_broken(opener) {
                    return Ok(None);
                }
                continue;
            }
            let region = self.lines.ready();
            if self.partial.scanned == 0 {
                // A new reply starts at the front of the region: forget the previous reply's line ends.
                self.ends.clear();
                if let Some((code, len)) = single_line(region) {
                    self.line_no += 1;
                    return Ok(Some(ReplyRef::new(code, self.lines.hand_out(len), 1)));
                }
            }
            let ends = Some(&mut self.ends);
            let outcome = scan(region, &mut self.partial, self.framing, &self.limits, self.line_no, false, ends);
            return match outcome {
                Scan::Reply { code, len, lines } => {
                    self.partial = Partial::default();
                    self.line_no += lines;
                    let raw = self.lines.hand_out(len);
                    Ok(Some(ReplyRef::with_ends(code, raw, lines, &self.ends)))
                }
                Scan::Error { error, len, lines, resync } => {
                    self.partial = Partial::default();
                    self.line_no += lines;
                    self.lines.consume_now(len);
                    self.resync = resync;
                    Err(error)
                }
                Scan::NeedMore => {
                    let len = region.len();
                    if !self.lines.take_overflow_at(len) {
                        return Ok(None);
                    }
                    let line = self.line_no + self.partial.lines;
                    self.line_no = line + 1;
                    self.resync = self.partial.opener;
                    self.partial = Partial::default();
                    self.lines.consume_now(len);
                    Err(ReplyError::LineTooLong { line, max: self.limits.max_line })
                }
            };
        }
    }

    /// Drop lines of a broken reply until its closing line. False when more bytes are needed.
    fn skip_broken(&mut self, opener: Code) -> bool {
        loop {
            let region = self.lines.ready();
            let Some(lf) = find_lf(region) else {
                if self.lines.take_overflow_at(0) {
                    self.line_no += 1;
                    continue;
                }
                return false;
            };
            let closed = matches!(closing_code(strip_cr(&region[..lf]), opener, self.framing, 0), Ok(Some(_)) | Err(_));
            self.lines.consume_now(lf + 1);
            self.line_no += 1;
            if closed {
                self.resync = None;
                return true;
            }
        }
    }

    /// [`decode`](Self::decode), copied into an owned [`Reply`].
    pub fn decode_owned(&mut self) -> Result<Option<Reply>, ReplyError> {
        Ok(self.decode()?.map(|r| r.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn decode_all(framing: Framing, limits: Limits, chunks: &[&[u8]]) -> Vec<Result<(u16, Vec<String>), ErrorKind>> {
        let mut d = ReplyDecoder::new(framing, limits);
        let mut out = Vec::new();
        for c in chunks {
            d.feed(c);
            loop {
                match d.decode() {
                    Ok(Some(r)) => out.push(Ok((r.code().get(), r.to_owned().lines))),
                    Ok(None) => break,
                    Err(e) => out.push(Err(e.kind())),
                }
            }
        }
        out
    }

    fn ok(code: u16, lines: &[&str]) -> Result<(u16, Vec<String>), ErrorKind> {
        Ok((code, lines.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn code_checks() {
        let cases: &[(u16, bool)] = &[
            (99, false),
            (100, true),
            (599, true),
            (600, false),
            (630, false),
            (631, true),
            (633, true),
            (634, false),
        ];
        for &(v, good) in cases {
            assert_eq!(Code::new(v).is_ok(), good, "{v}");
        }
        assert_eq!(Code::OK.class(), Class::PositiveCompletion);
        assert_eq!(Code::FILE_UNAVAILABLE.category(), Category::FileSystem);
        assert_eq!(Code::new(161).unwrap().category(), Category::Other(6));
        assert_eq!(Code::PRIVACY_PROTECTED.class(), Class::Protected);
        assert!(Code::PRIVACY_PROTECTED.is_protected() && !Code::PRIVACY_PROTECTED.is_negative());
        assert!(Code::NEED_PASSWORD.is_intermediate() && Code::NEED_PASSWORD.is_positive());
        assert!(Code::SERVICE_NOT_AVAILABLE.is_transient_negative());
        assert_eq!(Code::new(120).unwrap().to_string(), "120");
        assert_eq!(Code::from_digits(*b"2a0", 1), Err(ReplyError::NonDigit { line: 1, position: 2, byte: b'a' }));
        assert_eq!(Code::from_digits(*b"099", 1).unwrap_err().kind(), ErrorKind::Range);
    }

    type Outcome = Result<(u16, Vec<String>), ErrorKind>;
    type Case<'a> = (Framing, Limits, &'a [u8], Vec<Outcome>);

    #[test]
    fn decoder_table() {
        let strict = Framing::Strict;
        let tol = Framing::Tolerant;
        let d = Limits::default();
        let cases: Vec<Case<'_>> = vec![
            (strict, d, b"200 ok\r\n", vec![ok(200, &["ok"])]),
            (strict, d, b"200-a\r\n201 b\r\n200 c\r\n", vec![ok(200, &["a", "201 b", "c"])]),
            (tol, d, b"200-a\r\n201 b\r\n200 c\r\n", vec![ok(201, &["a", "b"]), ok(200, &["c"])]),
            (tol, d, b"200-a\r\n 201 b\r\n200 c\r\n", vec![ok(200, &["a", " 201 b", "c"])]),
            (strict, d, b"200-a\r\n550\r\n200 c\r\n", vec![ok(200, &["a", "550", "c"])]),
            (tol, d, b"200-a\r\n550\r\n200 c\r\n", vec![ok(200, &["a", "550", "c"])]),
            (
                tol,
                d,
                b"200-a\r\n099 x\r\nok\r\n200 c\r\n",
                vec![Err(ErrorKind::Range), Err(ErrorKind::Syntax), ok(200, &["c"])],
            ),
            (strict, d, b"\r\n200 ok\r\n", vec![Err(ErrorKind::Syntax), ok(200, &["ok"])]),
            (
                strict,
                d,
                b"20\r\n200\r\n200_\r\n200 ok\n",
                vec![Err(ErrorKind::Syntax), Err(ErrorKind::Syntax), Err(ErrorKind::Syntax), ok(200, &["ok"])],
            ),
            (strict, d, b"631 base64\r\n", vec![ok(631, &["base64"])]),
            (strict, d, b"200 a\xff\xff\xff\xfb\x01b\r\n", vec![ok(200, &["a\u{fffd}b"])]),
            // Limits.
            (
                strict,
                Limits { max_line: 8, ..d },
                b"200 123456\r\n200 ok\r\n",
                vec![Err(ErrorKind::TooLong), ok(200, &["ok"])],
            ),
            (
                strict,
                Limits { max_line: 8, ..d },
                b"200-a\r\nlong line here\r\nb\r\n200 x\r\n220 ok\r\n",
                vec![Err(ErrorKind::TooLong), ok(220, &["ok"])],
            ),
            (strict, Limits { max_reply_lines: 2, ..d }, b"200-a\r\nb\r\n200 c\r\n", vec![Err(ErrorKind::TooLong)]),
            (
                strict,
                Limits { max_reply_lines: 3, ..d },
                b"200-a\r\nb\r\nc\r\nd\r\n200 e\r\n221 bye\r\n",
                vec![Err(ErrorKind::TooLong), ok(221, &["bye"])],
            ),
            (
                strict,
                Limits { max_reply_bytes: 12, ..d },
                b"200-a\r\nb\r\n200 c\r\n221 bye\r\n",
                vec![Err(ErrorKind::TooLong), ok(221, &["bye"])],
            ),
            (
                strict,
                Limits { max_reply_bytes: 12, ..d },
                b"200-abcdefghijk\r\n200 c\r\n221 bye\r\n",
                vec![Err(ErrorKind::TooLong), ok(221, &["bye"])],
            ),
        ];
        for (framing, limits, input, want) in cases {
            assert_eq!(
                decode_all(framing, limits, &[input]),
                want,
                "{:?} {:?}",
                framing,
                String::from_utf8_lossy(input)
            );
            // Every split gives the same result.
            for i in 0..=input.len() {
                assert_eq!(decode_all(framing, limits, &[&input[..i], &input[i..]]), want, "split at {i}");
            }
        }
    }

    #[test]
    fn error_messages_name_the_line() {
        let mut d = ReplyDecoder::default();
        d.feed(b"200 ok\r\n220-x\r\n y\r\n220 z\r\n2x0 bad\r\n");
        assert!(d.decode().unwrap().is_some());
        assert!(d.decode().unwrap().is_some());
        let e = d.decode().unwrap_err();
        assert_eq!(e, ReplyError::NonDigit { line: 5, position: 2, byte: b'x' });
        assert_eq!(e.to_string(), "line 5: byte 2 of the reply code is 0x78, not an ASCII digit");
        assert_eq!(d.decode(), Ok(None));
        assert!(d.is_idle());
        let e = parse_reply(b"099 x\r\n", Framing::Strict).unwrap_err();
        assert_eq!(e.to_string(), "line 1: reply code 099 has first digit 0 (must be 1-5, or 631-633)");
    }

    #[test]
    fn reply_ref_views() {
        let (r, n) = parse_reply(b"230-a\r\n230 b\r\nrest", Framing::Strict).unwrap().unwrap();
        assert_eq!(n, 14);
        assert_eq!(r.raw(), b"230-a\r\n230 b\r\n");
        assert!(r.is_multiline());
        assert_eq!(r.lines().collect::<Vec<_>>(), [&b"230-a"[..], b"230 b"]);
        assert_eq!(r.text_lines().collect::<Vec<_>>(), [&b"a"[..], b"b"]);
        assert_eq!(parse_reply(b"230-a\r\n230", Framing::Strict), Ok(None));
        assert_eq!(parse_reply(b"", Framing::Strict), Ok(None));
    }

    #[test]
    fn recorded_line_ends_read_like_a_search() {
        // A decoder lends the line ends it recorded; parse_reply searches. Both must give the same lines, the
        // same text lines, equal ReplyRefs, and the same results when the reading stops part way.
        let inputs: &[&[u8]] = &[
            b"200 ok\r\n",
            b"230-a\r\n230 b\r\n",
            b"211-x\n\n \r\n211-\r\n211 \r\n",
            b"250-first\r\n 250 not last\r\n250-\r\n\r\r\n250 end\r\n",
            b"220-\xc3\xa9\x80\r\n220 \r\n",
        ];
        for input in inputs {
            let (parsed, _) = parse_reply(input, Framing::Strict).unwrap().unwrap();
            assert!(parsed.ends.is_empty());
            let mut d = ReplyDecoder::default();
            d.feed(b"150-opening\r\n150 ok\r\n"); // a reply before, so the recording is reused
            assert!(d.decode().unwrap().is_some());
            d.feed(input);
            let decoded = d.decode().unwrap().unwrap();
            assert_eq!(decoded.ends.len(), if parsed.is_multiline() { parsed.lines } else { 0 }, "{input:?}");
            assert_eq!(decoded, parsed);
            assert_eq!(decoded.lines().collect::<Vec<_>>(), parsed.lines().collect::<Vec<_>>(), "{input:?}");
            assert_eq!(decoded.text_lines().collect::<Vec<_>>(), parsed.text_lines().collect::<Vec<_>>());
            for n in 0..=parsed.lines {
                let (mut a, mut b) = (decoded.lines(), parsed.lines());
                assert_eq!(a.by_ref().take(n).count(), b.by_ref().take(n).count());
                assert_eq!(a.collect::<Vec<_>>(), b.collect::<Vec<_>>(), "{input:?} after {n}");
            }
        }
        // Offsets that do not describe the reply exactly are not used.
        let raw = b"200-a\r\n200 b\r\n";
        assert!(ReplyRef::with_ends(Code::OK, raw, 2, &[7, 14]).ends.len() == 2);
        assert!(ReplyRef::with_ends(Code::OK, raw, 2, &[7]).ends.is_empty());
        assert!(ReplyRef::with_ends(Code::OK, raw, 2, &[7, u32::MAX]).ends.is_empty());
    }

    #[test]
    fn encode_table() {
        let cases: Vec<(Reply, &[u8])> = vec![
            (Reply::new(Code::OK, "fine"), b"200 fine\r\n"),
            (Reply::new(Code::OK, ""), b"200 \r\n"),
            (Reply::multiline(Code::OK, Vec::<String>::new()), b"200 \r\n"),
            (
                Reply::multiline(Code::SYSTEM_STATUS, ["Features:", " SIZE", "End"]),
                b"211-Features:\r\n211- SIZE\r\n211 End\r\n",
            ),
            (Reply::multiline(Code::OK, ["200 x", "y"]), b"200-200 x\r\n200 y\r\n"),
        ];
        for (reply, want) in cases {
            assert_eq!(reply.to_bytes().unwrap(), want);
        }
        let mut out = Vec::new();
        assert_eq!(
            Reply::multiline(Code::OK, ["ok", "a\r\n200 forged"]).encode(&mut out),
            Err(ReplyError::Injection { line: 2, byte: b'\r' })
        );
        assert!(out.is_empty());
        assert_eq!(Reply::new(Code::OK, "a\0").encode(&mut out).unwrap_err().kind(), ErrorKind::Injection);
    }

    /// What `scan` makes of the first reply of `region`, as (code, length) when it is a one-line reply.
    fn scanned_single(region: &[u8], framing: Framing) -> Option<(Code, usize)> {
        match scan(region, &mut Partial::default(), framing, &Limits::default(), 1, false, None) {
            Scan::Reply { code, len, lines: 1 } => Some((code, len)),
            _ => None,
        }
    }

    #[test]
    fn single_line_fast_path_table() {
        /// A region, and the code and length the fast path must find in it.
        type Case<'a> = (&'a [u8], Option<(u16, usize)>);
        let cases: &[Case<'_>] = &[
            (b"200 ok\r\n", Some((200, 8))),
            (b"200 \n", Some((200, 5))),
            (b"631 x\n", Some((631, 6))),
            (b"200-a\r\n200 b\r\n", None),
            (b"099 x\n", None),
            (b"600 x\n", None),
            (b"20 x\n", None),
            (b"200\r\n", None),
            (b"200x\n", None),
            (b"2\r0 x\n", None),
            (b"200 ok", None),
            (b"", None),
        ];
        for &(region, want) in cases {
            let got = single_line(region).map(|(c, n)| (c.get(), n));
            assert_eq!(got, want, "{region:?}");
        }
    }

    proptest::proptest! {
        /// Whenever the fast path frames a reply, `scan` frames the same one (it decides every other case).
        #[test]
        fn single_line_agrees_with_scan(
            head in "[0-9]{0,3}[ \\-x\r\n]?",
            rest in proptest::collection::vec(proptest::sample::select(&b"0125 -\r\nx"[..]), 0..40),
            tolerant in proptest::bool::ANY,
        ) {
            let framing = if tolerant { Framing::Tolerant } else { Framing::Strict };
            let region = [head.as_bytes(), &rest].concat();
            let whole = memchr::memrchr(b'\n', &region).map_or(0, |i| i + 1);
            let region = &region[..whole];
            if let Some(fast) = single_line(region) {
                proptest::prop_assert_eq!(Some(fast), scanned_single(region, framing));
            }
        }
    }
}
