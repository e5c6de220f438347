//! [`ReplyRef`], a decoded reply borrowing its bytes, and its line iterators.
use super::{Code, Reply};
use crate::line::{find_lf, strip_cr};

/// A decoded reply, borrowing its bytes (after Telnet stripping) from the decoder or the caller's buffer.
///
/// Equality, hashing and `Debug` see the code and the bytes only (as if derived from `code`, `raw`, `lines`): the
/// recorded line ends are a cache, so a reply from [`parse_reply`](super::parse_reply) equals the same reply from a
/// [`ReplyDecoder`](super::ReplyDecoder).
#[derive(Clone, Copy)]
pub struct ReplyRef<'a> {
    code: Code,
    raw: &'a [u8],
    /// How many lines `raw` holds (its LF count), found while framing the reply, so that reading the lines again
    /// does not search for the last line's end.
    pub(super) lines: usize,
    /// Where each line ends in `raw` (the offset just past its LF), recorded by a
    /// [`ReplyDecoder`](super::ReplyDecoder) while framing, so that [`lines`](Self::lines) and
    /// [`text_lines`](Self::text_lines) never search for a line end again. Empty when not recorded
    /// ([`parse_reply`](super::parse_reply) has nowhere to keep them; the lines are then searched for). Either empty
    /// or exactly `lines` long: see [`ReplyRef::with_ends`].
    pub(super) ends: &'a [u32],
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
    pub(super) fn new(code: Code, raw: &'a [u8], lines: usize) -> Self {
        ReplyRef { code, raw, lines, ends: &[] }
    }

    /// A reply with the line ends recorded while framing it, kept only when they describe exactly these lines:
    /// one per line, the last one at the end of `raw`. Offsets only grow, so when the last one fits a `u32`, all
    /// do; a reply too big for `u32` offsets (possible only with raised limits) falls back to searching.
    pub(super) fn with_ends(code: Code, raw: &'a [u8], lines: usize, ends: &'a [u32]) -> Self {
        let exact = ends.len() == lines && ends.last().map(|&e| e as usize) == Some(raw.len());
        ReplyRef { code, raw, lines, ends: if exact { ends } else { &[] } }
    }

    /// The reply code (with [`Framing::Tolerant`](super::Framing::Tolerant), the code of the closing line).
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

    /// An owned copy with the text lines decoded in `encoding`: Latin-1 maps each byte to its character (names in
    /// a `257` keep every byte), UTF-8 replaces non-UTF-8 bytes by U+FFFD as [`to_owned`](Self::to_owned) does.
    pub fn to_owned_in(&self, encoding: crate::encoding::TextEncoding) -> Reply {
        Reply { code: self.code, lines: self.text_lines().map(|l| encoding.decode_lossy(l).into_owned()).collect() }
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
