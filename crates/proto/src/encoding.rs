//! The text encoding of path names on one control connection (and in its listings).
//!
//! FTP carries names as bytes. RFC 2640 makes them UTF-8 (a server says so with `UTF8` in FEAT, and a client
//! confirms with `OPTS UTF8 ON`), but older servers, and file systems filled before UTF-8, send ISO-8859-1
//! (Latin-1) bytes: `caf\xE9`. A client reads and writes names in one [`TextEncoding`] per connection:
//!
//! - names the user gives go out [`encode`](TextEncoding::encode)d: UTF-8 as it is, Latin-1 one byte per character;
//!   a character the encoding has no byte for is an [`EncodingError::Unencodable`] and nothing is sent (never a
//!   `?` or a replacement character on the wire, which would name another file);
//! - names in replies (`257`) and listings (LIST, NLST, MLSD) come in [`decode`](TextEncoding::decode)d: Latin-1
//!   maps every byte to the character of the same number (so every name round-trips byte for byte), UTF-8 refuses
//!   bytes that are not UTF-8 with [`EncodingError::Undecodable`] (a hint that the server speaks Latin-1).
//!
//! Pure functions, no IO: the client driver holds the policy ([`crate::driver`]), the session applies it to the
//! control connection's bytes.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::ErrorKind;

/// The encoding of names on a control connection and in its listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TextEncoding {
    /// UTF-8 (RFC 2640), the default.
    #[default]
    Utf8,
    /// ISO-8859-1: one byte per character, U+0000 to U+00FF.
    Latin1,
}

/// A name that does not fit the connection's encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodingError {
    /// A character of a name to send has no byte in the encoding (`€` in Latin-1).
    #[error("{ch:?} (U+{:04X}) at byte {at} of {text:?} cannot be written in {encoding}", u32::from(*ch))]
    Unencodable {
        /// The connection's encoding.
        encoding: TextEncoding,
        /// The text that was to be sent.
        text: String,
        /// The first character that does not fit.
        ch: char,
        /// Its byte offset in `text` (UTF-8).
        at: usize,
    },
    /// Bytes received are not valid in the encoding (only UTF-8 can refuse bytes).
    #[error("bytes received are not {encoding} at offset {at} (a server sending Latin-1 names? try the latin1 encoding): {lossy:?}")]
    Undecodable {
        /// The connection's encoding.
        encoding: TextEncoding,
        /// The offset of the first invalid byte.
        at: usize,
        /// The text with the invalid bytes replaced by U+FFFD, to show (never to send back).
        lossy: String,
    },
}

impl EncodingError {
    /// The stable class of the error (for bindings): [`ErrorKind::Unsupported`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Unsupported
    }
}

impl TextEncoding {
    /// `UTF-8` or `ISO-8859-1`.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Latin1 => "ISO-8859-1",
        }
    }

    /// `text`'s bytes in this encoding.
    ///
    /// # Errors
    /// [`EncodingError::Unencodable`] at the first character the encoding has no byte for.
    pub fn encode(self, text: &str) -> Result<Cow<'_, [u8]>, EncodingError> {
        match self {
            TextEncoding::Utf8 => Ok(Cow::Borrowed(text.as_bytes())),
            TextEncoding::Latin1 if text.is_ascii() => Ok(Cow::Borrowed(text.as_bytes())),
            TextEncoding::Latin1 => {
                let mut out = Vec::with_capacity(text.len());
                for (at, ch) in text.char_indices() {
                    match u8::try_from(u32::from(ch)) {
                        Ok(b) => out.push(b),
                        Err(_) => {
                            return Err(EncodingError::Unencodable { encoding: self, text: text.to_owned(), ch, at })
                        }
                    }
                }
                Ok(Cow::Owned(out))
            }
        }
    }

    /// Checks that `text` can be sent in this encoding (the same test as [`encode`](Self::encode), no copy).
    ///
    /// # Errors
    /// As [`encode`](Self::encode).
    pub fn check(self, text: &str) -> Result<(), EncodingError> {
        match self {
            TextEncoding::Utf8 => Ok(()),
            TextEncoding::Latin1 => match text.char_indices().find(|(_, c)| u32::from(*c) > 0xFF) {
                None => Ok(()),
                Some((at, ch)) => Err(EncodingError::Unencodable { encoding: self, text: text.to_owned(), ch, at }),
            },
        }
    }

    /// `bytes` as text.
    ///
    /// # Errors
    /// [`EncodingError::Undecodable`] for UTF-8 and bytes that are not UTF-8; Latin-1 decodes every byte.
    pub fn decode(self, bytes: &[u8]) -> Result<Cow<'_, str>, EncodingError> {
        match self {
            TextEncoding::Utf8 => {
                std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| EncodingError::Undecodable {
                    encoding: self,
                    at: e.valid_up_to(),
                    lossy: String::from_utf8_lossy(bytes).into_owned(),
                })
            }
            TextEncoding::Latin1 => Ok(latin1(bytes)),
        }
    }

    /// `bytes` as text, for messages only: undecodable bytes become U+FFFD (Latin-1 never has any).
    pub fn decode_lossy(self, bytes: &[u8]) -> Cow<'_, str> {
        match self {
            TextEncoding::Utf8 => String::from_utf8_lossy(bytes),
            TextEncoding::Latin1 => latin1(bytes),
        }
    }

    /// A command line built as UTF-8 (verb, argument, CRLF) rewritten into this encoding for the wire: ASCII stays
    /// as it is.
    ///
    /// # Errors
    /// As [`encode`](Self::encode).
    pub fn encode_line(self, line: &[u8]) -> Result<Cow<'_, [u8]>, EncodingError> {
        match self {
            TextEncoding::Utf8 => Ok(Cow::Borrowed(line)),
            TextEncoding::Latin1 if line.is_ascii() => Ok(Cow::Borrowed(line)),
            TextEncoding::Latin1 => {
                let text = std::str::from_utf8(line).map_err(|e| EncodingError::Undecodable {
                    encoding: TextEncoding::Utf8,
                    at: e.valid_up_to(),
                    lossy: String::from_utf8_lossy(line).into_owned(),
                })?;
                Ok(Cow::Owned(self.encode(text)?.into_owned()))
            }
        }
    }
}

fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        // ASCII is UTF-8 as it is.
        return String::from_utf8_lossy(bytes);
    }
    Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An encoding name that is not `utf8` or `latin1` (or one of their other names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown encoding {0:?}: use utf8 (UTF-8) or latin1 (ISO-8859-1)")]
pub struct UnknownEncoding(pub String);

impl FromStr for TextEncoding {
    type Err = UnknownEncoding;

    /// `utf8`, `utf-8`; `latin1`, `latin-1`, `iso-8859-1`, `iso8859-1` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "utf8" | "utf-8" => Ok(TextEncoding::Utf8),
            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1" => Ok(TextEncoding::Latin1),
            _ => Err(UnknownEncoding(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let text = TextEncoding::Latin1.decode(&all).unwrap();
        assert_eq!(text.chars().count(), 256);
        assert_eq!(TextEncoding::Latin1.encode(&text).unwrap().as_ref(), &all[..]);
    }

    #[test]
    fn latin1_encodes_one_byte_per_char_and_refuses_the_rest() {
        assert_eq!(TextEncoding::Latin1.encode("café").unwrap().as_ref(), b"caf\xe9");
        assert_eq!(TextEncoding::Utf8.encode("café").unwrap().as_ref(), "café".as_bytes());
        let e = TextEncoding::Latin1.encode("a€b").unwrap_err();
        assert_eq!(
            e,
            EncodingError::Unencodable { encoding: TextEncoding::Latin1, text: "a€b".into(), ch: '€', at: 1 }
        );
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(TextEncoding::Latin1.check("a€b"), Err(e));
        assert_eq!(TextEncoding::Latin1.check("ÿ"), Ok(()));
        assert_eq!(TextEncoding::Utf8.check("a€b"), Ok(()));
    }

    #[test]
    fn utf8_refuses_latin1_bytes_with_the_offset() {
        match TextEncoding::Utf8.decode(b"caf\xe9.txt") {
            Err(EncodingError::Undecodable { encoding: TextEncoding::Utf8, at: 3, lossy }) => {
                assert_eq!(lossy, "caf\u{FFFD}.txt")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(TextEncoding::Utf8.decode("café".as_bytes()).unwrap(), "café");
        assert_eq!(TextEncoding::Latin1.decode("café".as_bytes()).unwrap(), "cafÃ©");
        assert_eq!(TextEncoding::Utf8.decode_lossy(b"\xe9"), "\u{FFFD}");
        assert_eq!(TextEncoding::Latin1.decode_lossy(b"\xe9"), "é");
    }

    #[test]
    fn command_lines_are_rewritten_for_the_wire() {
        let line = "RETR caf\u{e9}.txt\r\n".as_bytes();
        assert_eq!(TextEncoding::Latin1.encode_line(line).unwrap().as_ref(), b"RETR caf\xe9.txt\r\n");
        assert_eq!(TextEncoding::Utf8.encode_line(line).unwrap().as_ref(), line);
        assert!(TextEncoding::Latin1.encode_line("CWD \u{20ac}\r\n".as_bytes()).is_err());
        assert_eq!(TextEncoding::Latin1.encode_line(b"NOOP\r\n").unwrap().as_ref(), b"NOOP\r\n");
    }

    #[test]
    fn names_parse() {
        assert_eq!("latin1".parse(), Ok(TextEncoding::Latin1));
        assert_eq!("ISO-8859-1".parse(), Ok(TextEncoding::Latin1));
        assert_eq!("UTF-8".parse(), Ok(TextEncoding::Utf8));
        assert_eq!("utf8".parse(), Ok(TextEncoding::Utf8));
        assert!("cp1252".parse::<TextEncoding>().is_err());
        assert_eq!(TextEncoding::Latin1.to_string(), "ISO-8859-1");
    }
}
