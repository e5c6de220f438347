//! [`ReplyError`]: what can go wrong decoding or encoding a reply, with the line it happened on.
use super::Code;

/// An error while decoding or encoding a reply. Line numbers count from 1: in a [`ReplyDecoder`](super::ReplyDecoder)
/// from the first line it was fed, in [`parse_reply`](super::parse_reply) from the start of the buffer, in
/// [`Reply::encode`](super::Reply::encode) within the reply.
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
    /// A line longer than [`Limits::max_line`](super::Limits::max_line); it was skipped (and with it a multi-line reply
    /// it was part of).
    #[error("line {line}: longer than the limit of {max} bytes")]
    LineTooLong {
        /// The line number.
        line: usize,
        /// The limit.
        max: usize,
    },
    /// A multi-line reply with more lines than [`Limits::max_reply_lines`](super::Limits::max_reply_lines); the whole
    /// reply was skipped.
    #[error("line {line}: multi-line reply has more than {max} lines")]
    TooManyLines {
        /// The line number at which the limit was crossed.
        line: usize,
        /// The limit.
        max: usize,
    },
    /// A reply with more bytes than [`Limits::max_reply_bytes`](super::Limits::max_reply_bytes); the whole reply was
    /// skipped.
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
