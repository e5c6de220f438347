//! The decoder: framing one reply (single-line fast path, or the multi-line [`scan`]) from whole lines, the
//! one-shot [`parse_reply`] over a caller's buffer, and the streaming [`ReplyDecoder`] with its [`Framing`] and
//! [`Limits`].
use super::{Code, Reply, ReplyError, ReplyRef};
use crate::line::{find_lf, strip_cr, LineBuffer, DEFAULT_MAX_LINE};

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

/// Progress through a multi-line reply, kept between decode calls so lines are scanned once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Partial {
    /// The opening line's code, once the opening line was read.
    opener: Option<Code>,
    /// Bytes of the region scanned so far (whole lines).
    scanned: usize,
    /// Lines scanned so far.
    lines: usize,
}

/// What scanning a region of complete lines found.
#[derive(Debug)]
pub(super) enum Scan {
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
pub(super) fn scan(
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
pub(super) fn single_line(region: &[u8]) -> Option<(Code, usize)> {
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

/// A streaming reply decoder (client side). See the [module docs](super) for the calling order.
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
