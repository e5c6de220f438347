//! Line framing for the control connection, shared by the reply and command decoders.
//!
//! [`LineBuffer`] takes bytes as they arrive from the peer and hands out complete lines as borrowed views into its
//! own buffer, without copying them again. On the way in it:
//!
//! - strips Telnet commands (RFC 854, which RFC 959 §4 says the control connection follows): `IAC IAC` becomes one
//!   literal `0xFF` data byte; `IAC WILL|WONT|DO|DONT <option>` is dropped whole; `IAC <other command byte>`
//!   (`0xF0`-`0xFA`: SE, NOP, DM, BRK, IP, AO, AYT, EC, EL, GA, SB) is dropped; an `IAC` followed by a byte below
//!   `0xF0` (not a Telnet command) is dropped and that byte is kept as data. A sequence split across two
//!   [`feed`](LineBuffer::feed) calls is held until it is complete;
//! - ends lines at LF. A CR just before the LF is part of the line end and removed; a CR anywhere else is data;
//! - enforces a maximum line length (the line's bytes without its line end). A longer line is never stored: the
//!   buffer drops it, then drops every byte up to and including the next LF, and reports one
//!   [`LineError::TooLong`] at the place the line stood. Memory stays bounded whatever the peer sends, and decoding
//!   goes on with the next line after the error.
//!
//! # Calling order
//!
//! 1. [`feed`](LineBuffer::feed) the bytes read from the socket (any split, even one byte at a time).
//! 2. Call [`next_line`](LineBuffer::next_line) until it returns `Ok(None)` ("need more bytes"). An `Err` is one
//!    over-long line; keep calling after it.
//! 3. Go back to 1.
//!
//! A line returned by `next_line` borrows the buffer; its bytes are released at the start of the next call to
//! `feed` or `next_line` (the httparse/h11 style), so a caller that wants to keep a line copies it first. Feeding
//! without draining is allowed but keeps the complete lines in memory until they are drained: drain after each feed.
use std::collections::VecDeque;

/// The Telnet "Interpret As Command" byte.
pub const IAC: u8 = 0xFF;

/// Telnet WILL, WONT, DO and DONT: the commands that carry one option byte after them.
const WILL: u8 = 0xFB;
const DONT: u8 = 0xFE;
/// The first Telnet command byte (SE); bytes below it after an IAC are not commands.
const SE: u8 = 0xF0;

/// The default maximum line length of a [`LineBuffer`], in bytes without the line end.
///
/// 8192 is what CPython's ftplib accepts per reply line, and twice vsftpd's 4096-byte command line: a 4096-byte
/// path (Linux `PATH_MAX`) with its verb, or a long 257/550 reply quoting such a path, fits.
pub const DEFAULT_MAX_LINE: usize = 8192;

/// An error from line framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// A line was longer than the maximum; it was dropped up to and including its LF.
    #[error("line is longer than the maximum of {max} bytes (line end not counted); it was discarded")]
    TooLong {
        /// The configured maximum line length.
        max: usize,
    },
}

impl LineError {
    /// The stable kind of this error: always [`ErrorKind::TooLong`](crate::ErrorKind::TooLong).
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            LineError::TooLong { .. } => crate::ErrorKind::TooLong,
        }
    }
}

/// A line from [`LineBuffer::next_line_text`], without its line end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// ASCII, with no CR or NUL.
    Plain(&'a str),
    /// Any other line.
    Other(&'a [u8]),
}

/// Where the Telnet parser stands between two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Telnet {
    /// Plain data.
    Data,
    /// An IAC was seen; the next byte says what it is.
    Iac,
    /// IAC WILL/WONT/DO/DONT was seen; the next byte is the option, dropped.
    Option,
}

/// A bounded line buffer with Telnet stripping. See the [module docs](self) for the rules and the calling order.
#[derive(Debug, Clone)]
pub struct LineBuffer {
    /// Stored bytes (after Telnet stripping): `head` released bytes, then the live bytes: complete lines, then the
    /// start of an unterminated line.
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already released. Releasing a line only moves this offset; the bytes are
    /// dropped in one move when [`feed`](Self::feed) finds the released part at least as big as the live part
    /// (so each byte is moved at most about once). Dropping them per line, as a `BytesMut::advance` did, was a
    /// visible part of the per-line cost on short command lines.
    head: usize,
    /// Absolute stream offset (after stripping) of the first live byte, `buf[head]`.
    base: u64,
    /// Live bytes handed out by the last call, released at the next call.
    consumed: usize,
    /// Absolute offset of the first byte of the unterminated line (equal to the end of `buf` when there is none).
    pending_start: u64,
    /// Maximum line length without the line end.
    max_line: usize,
    /// Telnet parser state.
    telnet: Telnet,
    /// True while dropping the rest of an over-long line, up to its LF.
    discarding: bool,
    /// Absolute offsets at which an over-long line was dropped, oldest first. Each one is reported once, in order.
    overflows: VecDeque<u64>,
}

impl Default for LineBuffer {
    fn default() -> Self {
        LineBuffer::new(DEFAULT_MAX_LINE)
    }
}

impl LineBuffer {
    /// A buffer that accepts lines up to `max_line` bytes (line end not counted). A `max_line` of 0 accepts only
    /// empty lines.
    pub fn new(max_line: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            head: 0,
            base: 0,
            consumed: 0,
            pending_start: 0,
            max_line,
            telnet: Telnet::Data,
            discarding: false,
            overflows: VecDeque::new(),
        }
    }

    /// The maximum line length this buffer accepts.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// How many bytes the buffer holds (complete lines not yet handed out, and the start of an unterminated line).
    /// Never more than the complete lines plus `max_line + 1` bytes.
    pub fn buffered(&self) -> usize {
        self.live_len() - self.consumed
    }

    /// The live bytes: complete lines, then the start of an unterminated line.
    #[inline]
    fn live(&self) -> &[u8] {
        self.buf.get(self.head..).unwrap_or_default()
    }

    #[inline]
    fn live_len(&self) -> usize {
        self.buf.len().saturating_sub(self.head)
    }

    /// True when no byte is held: no complete line, no partial line, no partial Telnet sequence, no pending error.
    pub fn is_empty(&self) -> bool {
        self.buffered() == 0 && self.telnet == Telnet::Data && !self.discarding && self.overflows.is_empty()
    }

    /// [`feed`](Self::feed) every byte left in `src`, chunk by chunk, and advance `src` past them (it ends
    /// empty).
    #[cfg(feature = "bytes")]
    pub fn feed_buf<B: bytes::Buf + ?Sized>(&mut self, src: &mut B) {
        while src.has_remaining() {
            let chunk = src.chunk();
            let n = chunk.len();
            self.feed(chunk);
            src.advance(n);
        }
    }

    /// Append bytes received from the peer, stripping Telnet commands. Releases the line handed out last.
    pub fn feed(&mut self, mut data: &[u8]) {
        self.release();
        if self.head > 0 && self.head >= self.live_len() {
            // Drop the released bytes: the live ones (usually a part line, or nothing) move to the front.
            self.buf.drain(..self.head);
            self.head = 0;
        }
        while !data.is_empty() {
            match self.telnet {
                Telnet::Data => match memchr::memchr(IAC, data) {
                    Some(i) => {
                        self.push_run(&data[..i]);
                        self.telnet = Telnet::Iac;
                        data = &data[i + 1..];
                    }
                    None => {
                        self.push_run(data);
                        data = &[];
                    }
                },
                Telnet::Iac => {
                    let b = data[0];
                    data = &data[1..];
                    self.telnet = Telnet::Data;
                    if b == IAC {
                        self.push_run(&[IAC]);
                    } else if (WILL..=DONT).contains(&b) {
                        self.telnet = Telnet::Option;
                    } else if b < SE {
                        // Not a Telnet command: drop the IAC, keep the byte.
                        self.push_run(&[b]);
                    }
                }
                Telnet::Option => {
                    data = &data[1..];
                    self.telnet = Telnet::Data;
                }
            }
        }
    }

    /// The next complete line, without its line end (`Ok(None)`: need more bytes).
    ///
    /// `Err(LineError::TooLong)` reports one over-long line, which is already dropped; call again for the lines
    /// after it. The returned line borrows the buffer until the next call to `feed` or `next_line`.
    #[inline]
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, LineError> {
        self.release();
        if self.take_overflow_at(0) {
            return Err(LineError::TooLong { max: self.max_line });
        }
        let ready_len = self.ready_len();
        let Some(lf) = find_lf(self.live().get(..ready_len).unwrap_or_default()) else {
            return Ok(None);
        };
        self.consumed = lf + 1;
        Ok(Some(strip_cr(self.live().get(..lf).unwrap_or_default())))
    }

    /// [`next_line`](Self::next_line), found in the same pass that tells whether the line is plain text: ASCII with
    /// no CR or NUL before its line end. Such a line comes back as `&str` (see [`plain_prefix`]); any other as
    /// bytes, for the caller to validate.
    #[inline]
    pub(crate) fn next_line_text(&mut self) -> Result<Option<Line<'_>>, LineError> {
        self.release();
        if self.take_overflow_at(0) {
            return Err(LineError::TooLong { max: self.max_line });
        }
        let ready_len = self.ready_len();
        // The field itself (not `live()`), so `consumed` can be set while the line borrows `buf`.
        let region = self.buf.get(self.head..).and_then(|live| live.get(..ready_len)).unwrap_or_default();
        let (end, text) = plain_prefix(region);
        let plain_end = match region.get(end..) {
            Some([b'\n', ..]) => Some(end + 1),
            Some([b'\r', b'\n', ..]) => Some(end + 2),
            _ => None,
        };
        if let Some(consumed) = plain_end {
            self.consumed = consumed;
            return Ok(Some(Line::Plain(text)));
        }
        let Some(lf) = region.get(end..).and_then(find_lf).map(|i| end + i) else {
            return Ok(None);
        };
        self.consumed = lf + 1;
        Ok(Some(Line::Other(strip_cr(region.get(..lf).unwrap_or_default()))))
    }

    /// Drop the bytes handed out by the previous call.
    #[inline]
    pub(crate) fn release(&mut self) {
        self.head += self.consumed;
        self.base += self.consumed as u64;
        self.consumed = 0;
    }

    /// The complete lines that can be read before the next over-long-line report: whole lines, each ending in LF.
    pub(crate) fn ready(&self) -> &[u8] {
        self.live().get(..self.ready_len()).unwrap_or_default()
    }

    #[inline]
    fn ready_len(&self) -> usize {
        let end = match self.overflows.front() {
            Some(&at) => at.min(self.pending_start),
            None => self.pending_start,
        };
        // `end` is never below `base`: both only move forward, and `base` moves only over complete lines that
        // stand before every pending overflow position.
        usize::try_from(end.saturating_sub(self.base)).unwrap_or(usize::MAX).min(self.live_len())
    }

    /// If an over-long line was dropped at `offset` bytes into the buffer, forget it and return true.
    #[inline]
    pub(crate) fn take_overflow_at(&mut self, offset: usize) -> bool {
        if self.overflows.front() == Some(&(self.base + offset as u64)) {
            self.overflows.pop_front();
            true
        } else {
            false
        }
    }

    /// Drop `n` bytes (whole lines from [`ready`](Self::ready)) now.
    pub(crate) fn consume_now(&mut self, n: usize) {
        let n = n.min(self.live_len());
        self.head += n;
        self.base += n as u64;
    }

    /// Hand out the first `n` bytes of [`ready`](Self::ready) (whole lines); they are dropped at the next call.
    #[inline]
    pub(crate) fn hand_out(&mut self, n: usize) -> &[u8] {
        let live = self.buf.get(self.head..).unwrap_or_default();
        let out = live.get(..n).unwrap_or(live);
        self.consumed = out.len();
        out
    }

    fn pending_off(&self) -> usize {
        usize::try_from(self.pending_start - self.base).unwrap_or(0).min(self.live_len())
    }

    fn end(&self) -> u64 {
        self.base + self.live_len() as u64
    }

    /// Store a run of data bytes (Telnet already stripped), framing lines and enforcing the length limit.
    ///
    /// The lines are not split here: the decoders find each line end once, when they read the line. This only
    /// proves that the whole lines at the front of the run fit the limit (see [`fitting_lines`](Self::fitting_lines))
    /// and stores them in one copy; the rest of the run (the start of an unterminated line, or a line that may be
    /// too long) goes through [`push_lines`](Self::push_lines), line by line.
    fn push_run(&mut self, run: &[u8]) {
        let fit = self.fitting_lines(run);
        if fit > 0 {
            self.buf.extend_from_slice(&run[..fit]);
            self.pending_start = self.end();
        }
        self.push_lines(&run[fit..]);
    }

    /// How many bytes at the front of `run` are whole lines that certainly fit the limit (0 while discarding).
    ///
    /// A line fits when its LF stands within `max_line + 1` bytes of the line's start (the bytes already held of
    /// the unterminated line count). So from each line start, the last LF inside that window ends a stretch of
    /// whole lines that all fit; the next window starts after it. Each window is searched backwards from its end,
    /// which with ordinary lines finds an LF after a few bytes, so the run is read about once. A window without an
    /// LF stops the search: what follows may be an over-long line, and `push_lines` decides exactly.
    fn fitting_lines(&self, run: &[u8]) -> usize {
        if self.discarding {
            return 0;
        }
        let mut held = self.live_len() - self.pending_off();
        let mut fit = 0;
        while fit < run.len() {
            let window = self.max_line.saturating_add(1).saturating_sub(held);
            let end = run.len().min(fit.saturating_add(window));
            match memchr::memrchr(b'\n', &run[fit..end]) {
                Some(i) => fit += i + 1,
                None => break,
            }
            held = 0;
        }
        fit
    }

    /// Store a run of data bytes line by line, enforcing the length limit exactly.
    fn push_lines(&mut self, mut run: &[u8]) {
        while !run.is_empty() {
            let (seg, has_lf) = match memchr::memchr(b'\n', run) {
                Some(i) => (&run[..=i], true),
                None => (run, false),
            };
            run = &run[seg.len()..];
            if self.discarding {
                if has_lf {
                    self.discarding = false;
                    self.pending_start = self.end();
                }
                continue;
            }
            let pend = self.pending_off();
            let held = self.live_len() - pend;
            if has_lf {
                let body = seg.len() - 1;
                let before_lf = if body > 0 { seg.get(body - 1) } else { self.buf.last() };
                let cr = usize::from(held + body > 0 && before_lf == Some(&b'\r'));
                if held + body - cr > self.max_line {
                    self.buf.truncate(self.head + pend);
                    self.overflows.push_back(self.pending_start);
                } else {
                    self.buf.extend_from_slice(seg);
                }
                self.pending_start = self.end();
            } else if held + seg.len() > self.max_line.saturating_add(1) {
                // One byte of slack: a CR that may turn out to be part of the line end.
                self.buf.truncate(self.head + pend);
                self.overflows.push_back(self.pending_start);
                self.discarding = true;
            } else {
                self.buf.extend_from_slice(seg);
            }
        }
    }
}

/// How far into `hay` a short search goes word by word before handing over to `memchr`.
const SHORT_SEARCH: usize = 64;

/// The position of the first LF in `hay`: `memchr::memchr(b'\n', hay)`, faster on control-connection lines.
///
/// Lines there are short (a command is ~12 bytes, a reply line ~30), and for them the fixed cost of a `memchr`
/// call (a dispatch through a function pointer, then vector set-up) is most of the search. So the first
/// [`SHORT_SEARCH`] bytes are searched here, eight at a time, with plain integer operations that the compiler
/// inlines into the caller; only a longer line goes on to `memchr`.
///
/// In each 8-byte word `w` (little-endian, so byte 0 is the lowest), `x = w ^ LF*0x01..01` has a zero byte where
/// `w` has an LF, and `(x - 0x01..01) & !x & 0x80..80` sets the top bit of such bytes. Bytes above the first zero
/// byte may be flagged wrongly (a borrow), bytes below it never are, so the lowest flag is exactly the first LF.
#[inline]
pub(crate) fn find_lf(hay: &[u8]) -> Option<usize> {
    find_short(hay, |w| flag(w, b'\n'), |b| b == b'\n', |rest| memchr::memchr(b'\n', rest))
}

/// The top bit of every byte of `word` that equals `byte`, and maybe of bytes above the first such byte (see
/// [`find_lf`]); none below it.
#[inline(always)]
pub(crate) fn flag(word: u64, byte: u8) -> u64 {
    flag_below(word ^ (ONES * u64::from(byte)), 1)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const TOPS: u64 = 0x8080_8080_8080_8080;

/// The top bit of every byte of `x` below `n` (1-128), and maybe of bytes above the first one; none below it (the
/// subtraction borrows only out of a byte below `n`).
#[inline(always)]
fn flag_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & TOPS
}

/// The top bit of every byte of `word` that is an ASCII digit, and maybe of bytes above the first one; none below
/// it. As [`flag`], with "below 10" for "zero": `x = word ^ 0x30..30` holds 0-9 exactly where `word` holds a digit
/// (a byte of 0x80 or more keeps its top bit and is masked by `!x`).
#[inline(always)]
pub(crate) fn flag_digits(word: u64) -> u64 {
    flag_below(word ^ (ONES * 0x30), 10)
}

/// The word-by-word search of [`find_lf`], for any set of bytes: `flags` marks a word's matching bytes as [`flag`]
/// does (flags of several bytes may be OR-ed: each is exact below its own first match, so the lowest flag of the
/// union is still exact), `is` tests one byte, and `long` searches past the first [`SHORT_SEARCH`] bytes.
#[inline(always)]
pub(crate) fn find_short(
    hay: &[u8],
    flags: impl Fn(u64) -> u64,
    is: impl Fn(u8) -> bool,
    long: impl FnOnce(&[u8]) -> Option<usize>,
) -> Option<usize> {
    let short = hay.len().min(SHORT_SEARCH);
    let (head, rest) = hay.split_at(short);
    let mut words = head.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else { break };
        let found = flags(u64::from_le_bytes(bytes));
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    if let Some(i) = words.remainder().iter().position(|&b| is(b)) {
        return Some(at + i);
    }
    if rest.is_empty() {
        return None; // most lines end here: no call at all
    }
    long(rest).map(|i| short + i)
}

/// The first eight bytes of `bytes` as a little-endian word, zero-padded when there are fewer: a 4-to-7-byte line
/// is read as two overlapping 4-byte loads, so no byte loop runs for a command of 4 bytes or more.
#[inline(always)]
pub(crate) fn first_word(bytes: &[u8]) -> u64 {
    if let Some(word) = bytes.first_chunk::<8>() {
        return u64::from_le_bytes(*word);
    }
    match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        (Some(lo), Some(hi)) => {
            u64::from(u32::from_le_bytes(*lo)) | u64::from(u32::from_le_bytes(*hi)) << (8 * (bytes.len() - 4))
        }
        _ => bytes.iter().rev().fold(0, |word, &b| word << 8 | u64::from(b)),
    }
}

/// The first byte of `bytes` that is CR, LF, NUL or not ASCII, searched word by word (see [`flag`]:
/// each byte's flags are exact below its own first match, and the top-bit test is exact everywhere).
///
/// The last part word is read without a byte loop: as the last eight bytes of the line (overlapping bytes already
/// searched, which hold no match, so the flags of the new bytes are exact), or, for a line under eight bytes, as
/// the zero-padded [`first_word`] with the padding's flags masked off (they stand above every real byte).
#[inline]
pub(crate) fn find_special(bytes: &[u8]) -> Option<usize> {
    let specials = |w: u64| flag(w, b'\r') | flag(w, b'\n') | flag(w, 0) | (w & TOPS);
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let found = specials(u64::from_le_bytes(word.try_into().unwrap_or([0; 8])));
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rem = words.remainder().len();
    if rem == 0 {
        return None;
    }
    let (start, found) = match bytes.last_chunk::<8>() {
        // `rem` new bytes at the top of the word: keep their flags only.
        Some(last) => (bytes.len() - 8, specials(u64::from_le_bytes(*last)) & (u64::MAX << (8 * (8 - rem)))),
        None => (0, specials(first_word(bytes)) & (u64::MAX >> (8 * (8 - rem)))),
    };
    (found != 0).then(|| start + (found.trailing_zeros() / 8) as usize)
}

/// The longest start of `bytes` that holds no CR, LF, NUL or non-ASCII byte, as text, and where it ends (the
/// position of the first such byte, or the length): a whole command line is usually all of it, and then needs
/// neither UTF-8 validation nor a control-byte search (one pass instead of two, and no call).
///
/// This is the crate's one `unsafe` block. Reason, measured with `cargo bench -p ftpkit-proto --bench ratios`:
/// validating each ~12-byte command line with `std::str::from_utf8` (an out-of-line call) was about 3 ns of the
/// command decoder's per-line cost (21.6 ns/line with this, 28 without), and safe code cannot turn bytes into
/// `&str` without that validation. What makes it sound is [`find_special`], tested against a byte-by-byte model.
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn plain_prefix(bytes: &[u8]) -> (usize, &str) {
    let end = find_special(bytes).unwrap_or(bytes.len());
    let head = bytes.get(..end).unwrap_or_default();
    // SAFETY: `find_special` returns the first byte of `bytes` that is 0x80 or over (or CR, LF, NUL), so every
    // byte of `head` is below 0x80: ASCII, which is valid UTF-8.
    (end, unsafe { std::str::from_utf8_unchecked(head) })
}
/// Remove one trailing CR.
pub(crate) fn strip_cr(line: &[u8]) -> &[u8] {
    match line.split_last() {
        Some((b'\r', rest)) => rest,
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed `chunks` and drain: each line as a string, or "ERR" for an over-long line.
    fn run(max: usize, chunks: &[&[u8]]) -> Vec<String> {
        let mut lb = LineBuffer::new(max);
        let mut out = Vec::new();
        for c in chunks {
            lb.feed(c);
            loop {
                match lb.next_line() {
                    Ok(Some(l)) => out.push(String::from_utf8_lossy(l).into_owned()),
                    Ok(None) => break,
                    Err(LineError::TooLong { max: m }) => {
                        assert_eq!(m, max);
                        out.push("ERR".into())
                    }
                }
            }
        }
        out
    }

    type Case<'a> = (usize, &'a [&'a [u8]], &'a [&'a str]);

    #[test]
    fn table() {
        let cases: &[Case<'_>] = &[
            (100, &[b"a\r\nb\nc"], &["a", "b"]),
            (100, &[b"a\r", b"\n"], &["a"]),
            (100, &[b"a\rb\r\n"], &["a\rb"]),
            (100, &[b"a\r\r\n"], &["a\r"]),
            (100, &[b"\r\n\n"], &["", ""]),
            // Telnet: IAC IAC is a literal 0xFF (shown lossily), option negotiation and commands dropped.
            (100, &[b"a\xff\xffb\n"], &["a\u{fffd}b"]),
            (100, &[b"\xff\xfb\x01ok\n"], &["ok"]),
            (100, &[b"\xff", b"\xfd", b"\x18", b"ok\n"], &["ok"]),
            (100, &[b"\xff\xf4\xff\xf2ABOR\r\n"], &["ABOR"]),
            (100, &[b"x\xff", b"\xffy\n"], &["x\u{fffd}y"]),
            (100, &[b"x\xffAy\n"], &["xAy"]),
            (100, &[b"x\xff\ny\n"], &["x", "y"]),
            // Limits: exactly max is fine, CRLF not counted; max+1 is an error, then decoding goes on.
            (3, &[b"abc\r\n"], &["abc"]),
            (3, &[b"abc\n"], &["abc"]),
            (3, &[b"abcd\n", b"ok\n"], &["ERR", "ok"]),
            (3, &[b"abc\r", b"\n"], &["abc"]),
            (3, &[b"abc\rd\n"], &["ERR"]),
            (3, &[b"a\n", b"abcdefgh", b"ijk", b"lm\nok\n"], &["a", "ERR", "ok"]),
            (3, &[b"a\nabcdefgh\nxyzzy\nok\n"], &["a", "ERR", "ERR", "ok"]),
            (0, &[b"\r\n", b"a\n"], &["", "ERR"]),
        ];
        for (max, chunks, want) in cases {
            assert_eq!(run(*max, chunks), *want, "max {max} chunks {chunks:?}");
        }
    }

    #[test]
    fn every_split_gives_the_same_lines() {
        let input: &[u8] = b"one\r\n\xff\xfb\x01tw\xff\xffo\nthis line is too long\r\nthree\r\n";
        let whole = run(10, &[input]);
        assert_eq!(whole, ["one", "tw\u{fffd}o", "ERR", "three"]);
        for i in 0..=input.len() {
            assert_eq!(run(10, &[&input[..i], &input[i..]]), whole, "split at {i}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(run(10, &bytes), whole);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut lb = LineBuffer::new(16);
        for _ in 0..1000 {
            lb.feed(&[b'x'; 1000]);
            assert!(lb.buffered() <= 17, "{}", lb.buffered());
        }
        assert_eq!(lb.next_line(), Err(LineError::TooLong { max: 16 }));
        assert_eq!(lb.next_line(), Ok(None));
        lb.feed(b"tail\nok\n");
        assert_eq!(lb.next_line(), Ok(Some(&b"ok"[..])));
        assert!(lb.next_line().unwrap().is_none());
        assert!(lb.is_empty());
    }

    /// The framing rules written plainly, for input without Telnet bytes: every LF-terminated line, CR before the
    /// LF removed, "ERR" when over `max`; an unterminated tail is an error once it is over `max + 1` bytes.
    fn model(max: usize, input: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = input;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let line = strip_cr(&rest[..i]);
            out.push(if line.len() > max { "ERR".into() } else { String::from_utf8_lossy(line).into_owned() });
            rest = &rest[i + 1..];
        }
        if rest.len() > max + 1 {
            out.push("ERR".into());
        }
        out
    }

    #[test]
    fn lines_near_the_limit() {
        // Lines of max-1 ..= max+2 bytes with LF or CRLF ends, at every split: the whole-line fast path and the
        // line-by-line path must agree with the rules at the exact boundary.
        for max in [0usize, 1, 3, 8] {
            for len in max.saturating_sub(1)..=max + 2 {
                for end in [&b"\n"[..], b"\r\n"] {
                    let mut input = b"ok\n".to_vec();
                    input.extend(std::iter::repeat_n(b'x', len));
                    input.extend_from_slice(end);
                    input.extend_from_slice(b"\n");
                    let want = model(max, &input);
                    for i in 0..=input.len() {
                        assert_eq!(run(max, &[&input[..i], &input[i..]]), want, "max {max} {input:?} split at {i}");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn framing_matches_the_model(
            input in proptest::collection::vec(proptest::sample::select(&b"ab\r\n"[..]), 0..200),
            max in 0usize..12,
            cut in 0usize..200,
        ) {
            let want = model(max, &input);
            let cut = cut.min(input.len());
            proptest::prop_assert_eq!(run(max, &[&input[..]]), want.clone());
            proptest::prop_assert_eq!(run(max, &[&input[..cut], &input[cut..]]), want.clone());
            let bytes: Vec<&[u8]> = input.chunks(1).collect();
            proptest::prop_assert_eq!(run(max, &bytes), want);
        }
    }

    #[test]
    fn released_bytes_are_dropped() {
        // Lines are released by moving an offset; the bytes themselves must still go, so the storage stays near
        // one chunk when the caller drains after each feed, and near twice the live bytes when it does not.
        let mut lb = LineBuffer::new(64);
        let chunk = b"RETR some/file.txt\r\nPWD\r\npart".repeat(10);
        for _ in 0..1000 {
            lb.feed(&chunk);
            while let Ok(Some(_)) = lb.next_line() {}
            assert!(lb.buf.len() <= 2 * chunk.len() + 64, "{}", lb.buf.len());
        }
        let mut lb = LineBuffer::new(64);
        for i in 0..1000 {
            lb.feed(b"ok\n");
            if i % 3 == 0 {
                assert_eq!(lb.next_line(), Ok(Some(&b"ok"[..])));
            }
            assert!(lb.buf.len() <= 2 * lb.buffered() + 3, "{} {}", lb.buf.len(), lb.buffered());
        }
    }

    #[test]
    fn find_lf_matches_memchr() {
        // Every length around the word size and the hand-over to memchr, the LF at every place or absent, with
        // bytes that differ from LF by one bit or by a borrow (0x0B, 0x09, 0x8A, 0x00) around it.
        for len in 0..=SHORT_SEARCH + 20 {
            let mut hay: Vec<u8> = (0..len).map(|i| [b'a', 0x0b, 0x09, 0x8a, 0, 0xff][i % 6]).collect();
            assert_eq!(find_lf(&hay), None, "len {len}");
            for at in 0..len {
                let keep = hay[at];
                hay[at] = b'\n';
                assert_eq!(find_lf(&hay), Some(at), "len {len} at {at}");
                if at + 1 < len {
                    let next = hay[at + 1];
                    hay[at + 1] = b'\n';
                    assert_eq!(find_lf(&hay), Some(at), "len {len} at {at}, another LF after");
                    hay[at + 1] = next;
                }
                hay[at] = keep;
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn find_lf_is_memchr(hay in proptest::collection::vec(proptest::sample::select(&[b'\n', b'\r', 0, 0x0b, 0xff, b'x'][..]), 0..150)) {
            proptest::prop_assert_eq!(find_lf(&hay), memchr::memchr(b'\n', &hay));
        }
    }

    /// What [`find_special`] must find, byte by byte.
    fn special_model(bytes: &[u8]) -> Option<usize> {
        bytes.iter().position(|&b| matches!(b, b'\r' | b'\n' | 0) || !b.is_ascii())
    }

    #[test]
    fn find_special_matches_the_model() {
        // Every length over a few words, each special byte at every place among bytes one bit or one borrow away
        // from them, with and without a second special byte after it (the flags above a match may be wrong).
        for len in 0..40 {
            let mut line: Vec<u8> = (0..len).map(|i| [b'a', 0x0c, 0x0e, 0x0b, 0x01, 0x7f, b'R'][i % 7]).collect();
            assert_eq!(find_special(&line), None, "len {len}");
            for at in 0..len {
                for special in [b'\r', b'\n', 0, 0x80, 0xc3, 0xff] {
                    let keep = std::mem::replace(&mut line[at], special);
                    assert_eq!(find_special(&line), Some(at), "len {len} at {at} byte {special:#x}");
                    for after in at + 1..len {
                        let next = std::mem::replace(&mut line[after], 0);
                        assert_eq!(find_special(&line), Some(at), "len {len} at {at}, NUL at {after}");
                        line[after] = next;
                    }
                    line[at] = keep;
                }
            }
        }
        assert_eq!(plain_prefix(b"RETR a b.txt"), (12, "RETR a b.txt"));
        assert_eq!(plain_prefix("RETR é".as_bytes()), (5, "RETR "));
        assert_eq!(plain_prefix(b"RETR\r\nx"), (4, "RETR"));
        assert_eq!(plain_prefix(b""), (0, ""));
    }

    proptest::proptest! {
        #[test]
        fn find_special_is_the_model(line in proptest::collection::vec(proptest::sample::select(&[b'\r', b'\n', 0, 1, 0x0c, 0x7f, 0x80, 0xff, b'x', b' '][..]), 0..80)) {
            proptest::prop_assert_eq!(find_special(&line), special_model(&line));
        }

    }

    #[test]
    fn error_kind() {
        assert_eq!(LineError::TooLong { max: 1 }.kind(), crate::ErrorKind::TooLong);
    }
}
