//! Stable error kinds shared by every error type in the crate.
//!
//! Each module has its own `thiserror` enum with the details (which field, which limit). Every one of them maps
//! onto one [`ErrorKind`] through its `kind()` method. The kinds are stable: their numeric values are part of the
//! C and Python bindings' API and never change meaning once released.

/// The coarse class of an error, stable across releases (the C binding returns it as an integer code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u32)]
pub enum ErrorKind {
    /// Malformed input: a verb, code, field or separator that does not follow the grammar.
    Syntax = 1,
    /// A number outside its range: an octet over 255, port 0, a reply code whose first digit is not 1-5.
    Range = 2,
    /// CR, LF or NUL in text that would be written onto the control connection (command or reply injection).
    Injection = 3,
    /// A line or a reply longer than the configured limit.
    TooLong = 4,
    /// The input ended in the middle of a value that had to be complete.
    Incomplete = 5,
    /// Well-formed, but not something ftpkit supports (an unknown address family, say).
    Unsupported = 6,
    /// A reply with another code than the one the parser reads (a 229 handed to the 227 parser).
    WrongReply = 7,
    /// A session received a reply or command that makes no sense in its current state (the peer's fault).
    UnexpectedInput = 8,
    /// The caller used a session in a way its current state does not allow (the caller's fault).
    InvalidState = 9,
    /// A policy refused the request (FTP bounce, a privileged port, a data connection from a foreign address).
    Refused = 10,
    /// The session is closed and takes no more input.
    Closed = 11,
}

impl ErrorKind {
    /// The stable numeric code of this kind.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// A short stable name (`"syntax"`, `"range"`, ...), used in JSON output and by the bindings.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Range => "range",
            ErrorKind::Injection => "injection",
            ErrorKind::TooLong => "too_long",
            ErrorKind::Incomplete => "incomplete",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::WrongReply => "wrong_reply",
            ErrorKind::UnexpectedInput => "unexpected_input",
            ErrorKind::InvalidState => "invalid_state",
            ErrorKind::Refused => "refused",
            ErrorKind::Closed => "closed",
        }
    }
}

impl core::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    /// Every kind with the number and name it was released with. Numbers and names are API (the C binding returns
    /// the number, JSON output and Python use the name): a change here is a breaking change, never a fix.
    const RELEASED: [(ErrorKind, u32, &str); 11] = [
        (ErrorKind::Syntax, 1, "syntax"),
        (ErrorKind::Range, 2, "range"),
        (ErrorKind::Injection, 3, "injection"),
        (ErrorKind::TooLong, 4, "too_long"),
        (ErrorKind::Incomplete, 5, "incomplete"),
        (ErrorKind::Unsupported, 6, "unsupported"),
        (ErrorKind::WrongReply, 7, "wrong_reply"),
        (ErrorKind::UnexpectedInput, 8, "unexpected_input"),
        (ErrorKind::InvalidState, 9, "invalid_state"),
        (ErrorKind::Refused, 10, "refused"),
        (ErrorKind::Closed, 11, "closed"),
    ];

    /// Where a kind stands in [`RELEASED`]. Exhaustive on purpose: a new kind does not compile until it has a row
    /// (with a new number).
    fn row(kind: ErrorKind) -> usize {
        match kind {
            ErrorKind::Syntax => 0,
            ErrorKind::Range => 1,
            ErrorKind::Injection => 2,
            ErrorKind::TooLong => 3,
            ErrorKind::Incomplete => 4,
            ErrorKind::Unsupported => 5,
            ErrorKind::WrongReply => 6,
            ErrorKind::UnexpectedInput => 7,
            ErrorKind::InvalidState => 8,
            ErrorKind::Refused => 9,
            ErrorKind::Closed => 10,
        }
    }

    #[test]
    fn kinds_keep_their_released_numbers_and_names() {
        for (i, (kind, code, name)) in RELEASED.into_iter().enumerate() {
            assert_eq!(row(kind), i, "{kind:?}");
            assert_eq!(kind.code(), code, "{kind:?} changed its number");
            assert_eq!(kind.name(), name, "{kind:?} changed its name");
            assert_eq!(kind.to_string(), name);
        }
        let mut codes: Vec<u32> = RELEASED.iter().map(|r| r.1).collect();
        codes.dedup();
        assert_eq!(codes.len(), RELEASED.len(), "two kinds share a number");
    }
}
