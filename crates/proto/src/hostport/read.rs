//! The byte-level readers the grammars share (the general paths: every form, every error): digit runs, octet and
//! port fields, the comma-separated [`Cursor`], a reply's final line and the search for a tuple in it.
use super::error::{extra_field, syntax, Field, HostPortError, Problem, REPLY_CODE, TUPLE};
use super::fast::candidate_start;
use super::span::{Mode, Parsed};
use core::ops::Range;
/// How many ASCII digits start at `pos`.
pub(super) fn digit_run(b: &[u8], pos: usize) -> usize {
    b.get(pos..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_digit()).count())
}

/// The error for a field that does not start with a digit.
#[cold]
#[inline(never)]
pub(super) fn not_a_number(b: &[u8], pos: usize, field: Field) -> HostPortError {
    let problem = match b.get(pos) {
        None | Some(b',' | b')') => Problem::Empty,
        Some(b' ' | b'\t') => Problem::Blank,
        Some(&c @ (b'+' | b'-')) => Problem::Sign(c),
        Some(&c) if !c.is_ascii() => Problem::NonAscii,
        Some(&c) => Problem::NotDigit(c),
    };
    syntax(field, problem)
}

/// Reads one octet field at `pos`: 1-3 ASCII digits, at most 255. Returns the value and the end position.
#[inline]
pub(super) fn octet(b: &[u8], pos: usize, field: Field) -> Result<(u8, usize), HostPortError> {
    let mut value: u32 = 0;
    let mut n = 0;
    while let Some(&c) = b.get(pos + n) {
        if !c.is_ascii_digit() {
            break;
        }
        if n < 3 {
            value = value * 10 + u32::from(c - b'0');
        }
        n += 1;
    }
    match u8::try_from(value) {
        Ok(v) if (1..=3).contains(&n) => Ok((v, pos + n)),
        _ => Err(octet_error(b, pos, n, value, field)),
    }
}

/// The error for an octet field of `n` digits (value `value` if `n` is 1-3) that [`octet`] refused.
#[cold]
#[inline(never)]
pub(super) fn octet_error(b: &[u8], pos: usize, n: usize, value: u32, field: Field) -> HostPortError {
    match n {
        0 => not_a_number(b, pos, field),
        1..=3 => HostPortError::TooLarge { field, value: u64::from(value), max: 255 },
        _ => syntax(field, Problem::TooManyDigits { digits: n, max: 3 }),
    }
}

/// Reads a decimal port field at `pos` (any number of leading zeros, 1-65535). Returns the port and the end.
pub(super) fn decimal_port(b: &[u8], pos: usize, field: Field) -> Result<(u16, usize), HostPortError> {
    let n = digit_run(b, pos);
    if n == 0 {
        return Err(not_a_number(b, pos, field));
    }
    let digits = b.iter().skip(pos).take(n);
    let significant = digits.clone().skip_while(|&&c| c == b'0').count();
    if significant > 19 {
        return Err(syntax(field, Problem::TooManyDigits { digits: significant, max: 5 }));
    }
    let value = digits.fold(0u64, |acc, c| acc * 10 + u64::from(c - b'0'));
    match u16::try_from(value) {
        Ok(0) => Err(HostPortError::PortZero { field }),
        Ok(port) => Ok((port, pos + n)),
        Err(_) => Err(HostPortError::TooLarge { field, value, max: 65535 }),
    }
}

/// How a comma-separated tuple must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Finish {
    /// At the end of the input (PORT, LPRT).
    Exact,
    /// At a `)` (a strict 227/228).
    Paren,
    /// Anywhere not glued to more digits (a tolerant 227/228).
    Loose,
}

/// Reads comma-separated octet fields one at a time, remembering how far it got (to rank candidate tuples).
pub(super) struct Cursor<'a> {
    pub(super) b: &'a [u8],
    pub(super) pos: usize,
    pub(super) fields: usize,
    pub(super) prev: Option<Field>,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(b: &'a [u8], pos: usize) -> Self {
        Cursor { b, pos, fields: 0, prev: None }
    }

    /// Reads the separator (after the first field) and the next octet field.
    #[inline]
    pub(super) fn next(&mut self, field: Field) -> Result<u8, HostPortError> {
        if let Some(prev) = self.prev {
            match self.b.get(self.pos) {
                Some(b',') => self.pos += 1,
                other => return Err(separator_error(other.copied(), prev, field)),
            }
        }
        let (value, end) = octet(self.b, self.pos, field)?;
        self.pos = end;
        self.fields += 1;
        self.prev = Some(field);
        Ok(value)
    }

    /// Checks what follows the last field.
    pub(super) fn finish(&self, finish: Finish) -> Result<(), HostPortError> {
        let last = self.prev.unwrap_or(TUPLE);
        let here = self.b.get(self.pos).copied();
        let after_is_digit = self.b.get(self.pos + 1).is_some_and(u8::is_ascii_digit);
        let expected = u8::try_from(self.fields).unwrap_or(u8::MAX);
        match (finish, here) {
            (_, Some(b',')) if finish != Finish::Loose || after_is_digit => {
                Err(syntax(extra_field(self.fields + 1), Problem::Extra { expected }))
            }
            (Finish::Exact, None) | (Finish::Paren, Some(b')')) => Ok(()),
            (Finish::Paren, None) => Err(syntax(TUPLE, Problem::Unclosed)),
            (Finish::Loose, Some(c @ b'.')) if after_is_digit => Err(syntax(last, Problem::Trailing(c))),
            (Finish::Loose, _) => Ok(()),
            (_, Some(c)) => Err(syntax(last, Problem::Trailing(c))),
        }
    }
}

/// The error for a missing `,` between `prev` and `next`.
#[cold]
#[inline(never)]
pub(super) fn separator_error(found: Option<u8>, prev: Field, next: Field) -> HostPortError {
    match found {
        None | Some(b')') => syntax(next, Problem::Missing),
        Some(found) => syntax(prev, Problem::Separator { found, expected: b',' }),
    }
}

/// A tuple reader: parses at `pos`, returns the value and end, or an error and how many fields were read.
pub(super) type Reader<T> = fn(&[u8], usize, Finish) -> Result<(T, usize), (HostPortError, usize)>;

/// Where the text of a reply's final line is: the line's code and the range of its text (after `NNN` and the
/// separator), in the whole reply.
pub(super) fn final_line(reply: &[u8], expected: u16, mode: Mode) -> Result<Range<usize>, HostPortError> {
    let mut end = reply.len();
    while end > 0 && matches!(reply.get(end - 1), Some(b'\r' | b'\n')) {
        end -= 1;
    }
    let body = reply.get(..end).unwrap_or_default();
    let start = memchr::memrchr(b'\n', body).map_or(0, |i| i + 1);
    let line = body.get(start..).unwrap_or_default();
    let digits = digit_run(line, 0);
    if digits < 3 {
        return Err(match line.get(digits) {
            None => syntax(REPLY_CODE, Problem::Missing),
            Some(_) => not_a_number(line, digits, REPLY_CODE),
        });
    }
    if digits > 3 {
        return Err(syntax(REPLY_CODE, Problem::TooManyDigits { digits, max: 3 }));
    }
    let code = line.iter().take(3).fold(0u16, |acc, c| acc * 10 + u16::from(c - b'0'));
    if code != expected {
        return Err(HostPortError::WrongReply { found: code, expected });
    }
    let text = match (line.get(3), mode) {
        (Some(b' '), _) => start + 4,
        (None, _) | (Some(b'-'), Mode::Tolerant) => start + 3,
        (Some(&c), Mode::Tolerant) if !c.is_ascii_alphanumeric() => start + 3,
        (Some(&found), _) => return Err(syntax(REPLY_CODE, Problem::Separator { found, expected: b' ' })),
    };
    Ok(text..end)
}

/// Finds a comma-separated tuple in a 227/228 reply's final line.
pub(super) fn scan_reply<T>(
    reply: &[u8],
    expected: u16,
    mode: Mode,
    read: Reader<T>,
) -> Result<Parsed<T>, HostPortError> {
    let text = final_line(reply, expected, mode)?;
    // The reader must not run past the final line.
    let b = reply.get(..text.end).unwrap_or_default();
    // The best error so far: the one from the candidate that read the most fields (ties: the earlier one).
    let mut best: Option<(usize, HostPortError)> = None;
    let mut next = text.start;
    while next < text.end {
        // Jump to the next byte that can start a candidate.
        let rest = b.get(next..).unwrap_or_default();
        let skip = match mode {
            Mode::Strict => memchr::memchr(b'(', rest),
            Mode::Tolerant => candidate_start(rest),
        };
        let Some(skip) = skip else { break };
        let i = next + skip;
        next = i + 1;
        let here = b.get(i).copied().unwrap_or_default();
        let start = match mode {
            Mode::Strict if here == b'(' => i + 1,
            Mode::Tolerant if here == b'(' || here == b'=' => i + 1,
            Mode::Tolerant if here.is_ascii_digit() => {
                // A bare number run starts a candidate only if it is not glued to a number, a sign or a
                // non-ASCII character before it (`1192,...` must not be re-read as `192,...`).
                let prev = if i > text.start { b.get(i - 1).copied() } else { None };
                match prev {
                    Some(p) if p.is_ascii_digit() || !p.is_ascii() => continue,
                    Some(b',' | b'.' | b'(' | b'=' | b'+' | b'-') => continue,
                    _ => i,
                }
            }
            _ => continue,
        };
        let finish = if mode == Mode::Strict { Finish::Paren } else { Finish::Loose };
        match read(b, start, finish) {
            Ok((value, end)) => return Ok(Parsed { value, span: start..end }),
            Err((e, fields)) => {
                let better = match &best {
                    None => true,
                    Some((f, _)) => fields > *f,
                };
                if better {
                    best = Some((fields, e));
                }
            }
        }
    }
    Err(match (best, mode) {
        (Some((_, e)), _) => e,
        (None, Mode::Strict) => syntax(TUPLE, Problem::NotInParentheses),
        (None, Mode::Tolerant) => syntax(TUPLE, Problem::NotFound),
    })
}

/// Trims ASCII blanks and line ends around an argument (tolerant mode); returns the range kept.
pub(super) fn trimmed(b: &[u8], mode: Mode) -> Range<usize> {
    if mode == Mode::Strict {
        return 0..b.len();
    }
    let blank = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = b.iter().take_while(|c| blank(c)).count();
    let end = b.len() - b.iter().rev().take_while(|c| blank(c)).count();
    start..end.max(start)
}
