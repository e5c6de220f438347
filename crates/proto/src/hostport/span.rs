//! What every grammar shares: the [`Mode`], a [`Parsed`] value with the byte span of its tuple, and [`rewrite`]
//! of that span.
use core::ops::Range;
/// How forgiving a parser is about what surrounds the tuple. The number fields are checked the same way in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Mode {
    /// RFC 1123 §4.1.2.6: find the tuple anywhere in a 227/228 text (parentheses, `=`, bare numbers, prose around);
    /// a PORT argument may have blanks or a line end around it.
    #[default]
    Tolerant,
    /// Exactly the RFC form: a PORT argument is the tuple and nothing else; a 227/228 reply has the tuple in
    /// parentheses, closed right after the last number, on its final line, after the code and a space.
    Strict,
}

/// A parsed value and where it stood in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    /// The value read.
    pub value: T,
    /// The byte range of the tuple in the input the parser was given (for replies: in the whole reply bytes).
    pub span: Range<usize>,
}

/// Returns `input` with the bytes in `span` replaced by `replacement` (a NAT helper's in-place rewrite). A span
/// past the end is clamped to the input, so this never panics.
///
/// ```
/// use ftpkit_proto::hostport::{parse_pasv, rewrite, Mode, PortArg};
/// use std::net::SocketAddrV4;
/// let reply = b"227 Entering Passive Mode (10,0,0,1,4,1).\r\n";
/// let span = parse_pasv(reply, Mode::Tolerant).unwrap().span;
/// let public: SocketAddrV4 = "203.0.113.9:1025".parse().unwrap();
/// let out = rewrite(reply, span, PortArg(public).to_string().as_bytes());
/// assert_eq!(out, b"227 Entering Passive Mode (203,0,113,9,4,1).\r\n");
/// ```
pub fn rewrite(input: &[u8], span: Range<usize>, replacement: &[u8]) -> Vec<u8> {
    let end = span.end.min(input.len());
    let start = span.start.min(end);
    let mut out = Vec::with_capacity(input.len() - (end - start) + replacement.len());
    out.extend_from_slice(input.get(..start).unwrap_or_default());
    out.extend_from_slice(replacement);
    out.extend_from_slice(input.get(end..).unwrap_or_default());
    out
}
