//! Quoted path names in `257` replies (RFC 959 Appendix II).
//!
//! A server answers `PWD` and `MKD` with `257 "<path>" <prose>`. Inside the quotes a `"` that is part of the name is
//! doubled (`"/usr/dm/foo""bar"` names `/usr/dm/foo"bar`). [`parse_257`] reads that form back, and [`QuotedPath`],
//! [`quote_path`] and [`format_257`] write it.
//!
//! The parser is lenient where real servers differ and strict where a mistake is dangerous:
//! - it scans for the first `"` anywhere in the text, so prose before the path is allowed (as curl does);
//! - it refuses a path holding any control character (0x00-0x1F or 0x7F): a client reuses this path in `CWD`, and a
//!   bare CR or LF there would smuggle a second command onto the control connection.
//!
//! The writers refuse the same characters, so everything they produce reads back unchanged.

use std::borrow::Cow;
use std::fmt;

use crate::ErrorKind;

/// Why a `257` reply or a path to quote was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The reply text holds no `"` at all.
    #[error("no quoted path: the 257 text holds no '\"'")]
    NoQuotedPath,
    /// The opening `"` has no closing partner before the text ends.
    #[error("unterminated quoted path: the '\"' at byte {open} is never closed")]
    Unterminated {
        /// Byte offset of the opening quote in the text given.
        open: usize,
    },
    /// A control character inside the path (or inside text to be written onto the control connection).
    #[error("control character 0x{byte:02x} at byte {offset} of the {field}")]
    ControlCharacter {
        /// Which part held it: `"path"` or `"text"`.
        field: &'static str,
        /// The offending byte.
        byte: u8,
        /// Its byte offset in that part (for a parsed reply: in the reply text).
        offset: usize,
    },
    /// The text starts with a reply code other than 257.
    #[error("reply code {code} is not 257")]
    WrongCode {
        /// The code found at the start of the text.
        code: u16,
    },
}

impl PathError {
    /// The stable error class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            PathError::NoQuotedPath => ErrorKind::Syntax,
            PathError::Unterminated { .. } => ErrorKind::Incomplete,
            PathError::ControlCharacter { .. } => ErrorKind::Injection,
            PathError::WrongCode { .. } => ErrorKind::WrongReply,
        }
    }
}

/// True for the bytes refused in a path: C0 controls (0x00-0x1F) and DEL (0x7F).
const fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// The reply code at the start of `text`, if it starts with three ASCII digits followed by a space, a `-` or the end.
fn leading_code(text: &str) -> Option<u16> {
    let b = text.as_bytes();
    let digits = b.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match b.get(3) {
        None | Some(b' ') | Some(b'-') => {}
        Some(_) => return None,
    }
    Some(digits.iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0')))
}

/// Extracts the path from a `257` reply.
///
/// `reply_text` may be the whole reply (`257 "/a""b" created`, with or without the line end, one or more lines) or
/// only its text (`"/a""b" created`). When it starts with a three-digit code, that code must be 257. The path is
/// the text from the first `"` to the closing `"`, with every `""` inside turned into one `"`; anything after the
/// closing quote is prose and ignored.
///
/// Borrows from `reply_text` unless the path holds a doubled quote.
///
/// # Errors
/// [`PathError::WrongCode`] for another code, [`PathError::NoQuotedPath`] when there is no `"`,
/// [`PathError::Unterminated`] when the quote is not closed, [`PathError::ControlCharacter`] for a control character
/// (CR, LF, NUL, 0x01-0x1F, 0x7F) inside the quotes.
///
/// ```
/// use ftpkit_proto::path::parse_257;
/// assert_eq!(parse_257("257 \"/usr/dm/foo\"\"bar\" directory created.").unwrap(), "/usr/dm/foo\"bar");
/// assert_eq!(parse_257("257 \"/\" is the current directory\r\n").unwrap(), "/");
/// assert!(parse_257("257 \"/a\rSTOR x\"").is_err());
/// ```
pub fn parse_257(reply_text: &str) -> Result<Cow<'_, str>, PathError> {
    if let Some(code) = leading_code(reply_text) {
        if code != 257 {
            return Err(PathError::WrongCode { code });
        }
    }
    let bytes = reply_text.as_bytes();
    let open = memchr::memchr(b'"', bytes).ok_or(PathError::NoQuotedPath)?;
    let start = open + 1;
    let mut doubled = false;
    let mut i = start;
    loop {
        match bytes.get(i) {
            None => return Err(PathError::Unterminated { open }),
            Some(b'"') => {
                if bytes.get(i + 1) == Some(&b'"') {
                    doubled = true;
                    i += 2;
                } else {
                    break;
                }
            }
            Some(&b) if is_control(b) => {
                return Err(PathError::ControlCharacter { field: "path", byte: b, offset: i });
            }
            Some(_) => i += 1,
        }
    }
    // `start` and `i` sit next to ASCII quotes, so both are char boundaries.
    let inner = reply_text.get(start..i).unwrap_or("");
    if doubled {
        Ok(Cow::Owned(inner.replace("\"\"", "\"")))
    } else {
        Ok(Cow::Borrowed(inner))
    }
}

fn check_no_control(s: &str, field: &'static str) -> Result<(), PathError> {
    match s.bytes().enumerate().find(|&(_, b)| is_control(b)) {
        Some((offset, byte)) => Err(PathError::ControlCharacter { field, byte, offset }),
        None => Ok(()),
    }
}

/// A path checked for writing in quoted form: its [`Display`](fmt::Display) writes `"..."` with every `"` doubled.
///
/// Only [`QuotedPath::new`] makes one, and it refuses control characters, so the output can go onto the control
/// connection as is and [`parse_257`] reads it back unchanged.
///
/// ```
/// use ftpkit_proto::path::QuotedPath;
/// assert_eq!(QuotedPath::new("/a\"b").unwrap().to_string(), "\"/a\"\"b\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuotedPath<'a>(&'a str);

impl<'a> QuotedPath<'a> {
    /// Checks `path` for control characters (0x00-0x1F, 0x7F).
    ///
    /// # Errors
    /// [`PathError::ControlCharacter`] with `field: "path"`.
    pub fn new(path: &'a str) -> Result<Self, PathError> {
        check_no_control(path, "path")?;
        Ok(QuotedPath(path))
    }

    /// The path as given (not quoted).
    pub fn path(&self) -> &'a str {
        self.0
    }
}

impl fmt::Display for QuotedPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        let mut parts = self.0.split('"');
        if let Some(first) = parts.next() {
            f.write_str(first)?;
        }
        for part in parts {
            f.write_str("\"\"")?;
            f.write_str(part)?;
        }
        f.write_str("\"")
    }
}

/// Quotes `path` for a `257` reply: `"` around it, every `"` inside doubled.
///
/// # Errors
/// [`PathError::ControlCharacter`] when the path holds CR, LF, NUL or any other control character.
pub fn quote_path(path: &str) -> Result<String, PathError> {
    Ok(QuotedPath::new(path)?.to_string())
}

/// Writes the line of a `257` reply, `257 "<path>" <text>` (without a line end; `text` may be empty, then the line
/// ends after the closing quote).
///
/// ```
/// use ftpkit_proto::path::format_257;
/// assert_eq!(format_257("/a\"b", "created").unwrap(), "257 \"/a\"\"b\" created");
/// ```
///
/// # Errors
/// [`PathError::ControlCharacter`] when `path` (`field: "path"`) or `text` (`field: "text"`) holds a control
/// character.
pub fn format_257(path: &str, text: &str) -> Result<String, PathError> {
    let quoted = QuotedPath::new(path)?;
    check_no_control(text, "text")?;
    if text.is_empty() {
        Ok(format!("257 {quoted}"))
    } else {
        Ok(format!("257 {quoted} {text}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("257 \"/\" is the current directory", "/", true),
            ("\"/home\" is cwd", "/home", true),
            ("257 \"/usr/dm/foo\"\"bar\" directory created.", "/usr/dm/foo\"bar", false),
            ("257 \"\"\"\"", "\"", false),
            ("257 \"\"", "", true),
            ("257 prose first \"/x\" then more", "/x", true),
            ("257-multi \"/m\"\r\n257 end\r\n", "/m", true),
            ("257 \"/a b\" x \"/c\"", "/a b", true),
            ("257 \"/é\"", "/é", true),
        ];
        for &(input, want, borrowed) in cases {
            let got = parse_257(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got, want, "{input:?}");
            assert_eq!(matches!(got, Cow::Borrowed(_)), borrowed, "{input:?} borrowed");
        }
    }

    #[test]
    fn refuses_table() {
        let cases: &[(&str, PathError)] = &[
            ("257 no quote here", PathError::NoQuotedPath),
            ("", PathError::NoQuotedPath),
            ("257 \"/open", PathError::Unterminated { open: 4 }),
            ("257 \"/a\"\"", PathError::Unterminated { open: 4 }),
            ("257 \"/\r\"", PathError::ControlCharacter { field: "path", byte: b'\r', offset: 6 }),
            ("257 \"/\n\"", PathError::ControlCharacter { field: "path", byte: b'\n', offset: 6 }),
            ("257 \"\0\"", PathError::ControlCharacter { field: "path", byte: 0, offset: 5 }),
            ("257 \"/\x7f\"", PathError::ControlCharacter { field: "path", byte: 0x7f, offset: 6 }),
            ("550 \"/x\" no", PathError::WrongCode { code: 550 }),
            ("257 \"/a\r\n257 b\"", PathError::ControlCharacter { field: "path", byte: b'\r', offset: 7 }),
        ];
        for (input, want) in cases {
            assert_eq!(parse_257(input).as_ref(), Err(want), "{input:?}");
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(PathError::NoQuotedPath.kind(), ErrorKind::Syntax);
        assert_eq!(PathError::Unterminated { open: 0 }.kind(), ErrorKind::Incomplete);
        assert_eq!(PathError::ControlCharacter { field: "path", byte: 13, offset: 0 }.kind(), ErrorKind::Injection);
        assert_eq!(PathError::WrongCode { code: 550 }.kind(), ErrorKind::WrongReply);
        assert_eq!(
            PathError::ControlCharacter { field: "path", byte: 13, offset: 6 }.to_string(),
            "control character 0x0d at byte 6 of the path"
        );
    }

    #[test]
    fn writes_table() {
        let cases: &[(&str, &str)] =
            &[("/", "\"/\""), ("/a\"b", "\"/a\"\"b\""), ("\"", "\"\"\"\""), ("", "\"\""), ("/a b", "\"/a b\"")];
        for &(path, want) in cases {
            assert_eq!(quote_path(path).as_deref(), Ok(want), "{path:?}");
        }
        assert_eq!(format_257("/", "").as_deref(), Ok("257 \"/\""));
        assert_eq!(quote_path("/a\rb"), Err(PathError::ControlCharacter { field: "path", byte: b'\r', offset: 2 }));
        assert_eq!(
            format_257("/ok", "bad\n"),
            Err(PathError::ControlCharacter { field: "text", byte: b'\n', offset: 3 })
        );
    }
}
