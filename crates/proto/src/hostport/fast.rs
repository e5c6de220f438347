//! The fast paths: well-formed input read in one pass, or `None`, and the general path (which also gives every
//! error) decides. Each is checked against its general path by a property (see the tests and `fuzzing`).
use super::eprt::{check_delimiter, Eprt};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
/// The run of ASCII digits at `pos` as a number, and its length; `None` if it is longer than `max` (at most 9).
#[inline]
pub(super) fn short_decimal(b: &[u8], pos: usize, max: usize) -> Option<(u32, usize)> {
    let (mut value, mut n) = (0u32, 0);
    while let Some(&c) = b.get(pos + n).filter(|c| c.is_ascii_digit()) {
        if n == max {
            return None;
        }
        value = value * 10 + u32::from(c - b'0');
        n += 1;
    }
    Some((value, n))
}

/// One octet field at `pos`: 1-3 ASCII digits, at most 255, and where it ends; `None` otherwise. Unrolled: the
/// loop of [`short_decimal`] was 40% of a 227 parse (`perf annotate`).
#[inline(always)]
fn octet_fast(b: &[u8], pos: usize) -> Option<(u8, usize)> {
    let digit = |i: usize| b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d < 10);
    let mut value = u32::from(digit(pos)?);
    let mut end = pos + 1;
    if let Some(d) = digit(end) {
        value = value * 10 + u32::from(d);
        end += 1;
        if let Some(d) = digit(end) {
            value = value * 10 + u32::from(d);
            end += 1;
            if digit(end).is_some() {
                return None;
            }
        }
    }
    Some((u8::try_from(value).ok()?, end))
}

/// The fast path: `N` well-formed comma-separated octets at `pos`, or `None` (then the slow path says why).
#[inline]
pub(super) fn octets_fast<const N: usize>(b: &[u8], mut pos: usize) -> Option<([u8; N], usize)> {
    let mut out = [0u8; N];
    for (i, slot) in out.iter_mut().enumerate() {
        if i > 0 {
            if *b.get(pos)? != b',' {
                return None;
            }
            pos += 1;
        }
        let (value, end) = octet_fast(b, pos)?;
        *slot = value;
        pos = end;
    }
    Some((out, pos))
}

/// Where a tolerant 227/228 candidate can start: the first `(`, `=` or ASCII digit, searched eight bytes at a time
/// (a byte loop here was most of `parse_pasv`'s time: `perf annotate`).
#[inline]
pub(super) fn candidate_start(b: &[u8]) -> Option<usize> {
    use crate::line::{find_short, flag, flag_digits};
    let is = |c: u8| c == b'(' || c == b'=' || c.is_ascii_digit();
    find_short(b, |w| flag(w, b'(') | flag(w, b'=') | flag_digits(w), is, |long| long.iter().position(|&c| is(c)))
}

/// The address of a well-formed PORT argument (exactly `h1,h2,h3,h4,p1,p2`, nothing around it, port not 0), or `None`
/// (then [`parse_port`](super::parse_port) decides and says why). For the command parser, as [`eprt_v4_fast_addr`] is.
#[inline]
pub(crate) fn port_fast_addr(arg: &str) -> Option<SocketAddrV4> {
    match octets_fast::<6>(arg.as_bytes(), 0)? {
        ([h1, h2, h3, h4, p1, p2], end) if end == arg.len() && (p1, p2) != (0, 0) => {
            Some(SocketAddrV4::new(Ipv4Addr::new(h1, h2, h3, h4), u16::from_be_bytes([p1, p2])))
        }
        _ => None,
    }
}

/// The address of a well-formed af-1 EPRT argument read by [`parse_eprt`](super::parse_eprt)'s fast path, or `None`
/// (then `parse_eprt` decides). For the command parser, which builds the address into its result in place: going
/// through `parse_eprt`'s `Result<Parsed<Eprt>, _>` cost a store-forwarding stall on the copy (`perf annotate`).
#[inline]
pub(crate) fn eprt_v4_fast_addr(arg: &str) -> Option<SocketAddr> {
    eprt_v4_fast(arg.as_bytes()).map(|e| e.addr)
}

/// The fast path of [`parse_eprt`](super::parse_eprt): a well-formed af-1 argument (`|1|a.b.c.d|port|`, any valid
/// delimiter, octets without leading zeros, a port of 1-5 digits and 1-65535) read in one pass, or `None`, and the
/// general path decides (it also gives the error). The general path found each delimiter with `memchr` and read the
/// address and port in separate passes: 55 ns for an EPRT line against 11 for a RETR line (`--bench prof`).
#[inline]
pub(super) fn eprt_v4_fast(b: &[u8]) -> Option<Eprt> {
    let (&d, rest) = b.split_first()?;
    let rest = match rest {
        [b'1', e, rest @ ..] if *e == d => rest,
        _ => return None,
    };
    check_delimiter(d).ok()?;
    let mut pos = 0;
    let mut octets = [0u8; 4];
    for (i, slot) in octets.iter_mut().enumerate() {
        let want = if i == 3 { d } else { b'.' };
        let (value, n) = short_decimal(rest, pos, 3)?;
        if n == 0 || (n > 1 && rest.get(pos) == Some(&b'0')) || rest.get(pos + n) != Some(&want) {
            return None;
        }
        *slot = u8::try_from(value).ok()?;
        pos += n + 1;
    }
    let (port, n) = short_decimal(rest, pos, 5)?;
    if n == 0 || rest.get(pos + n) != Some(&d) || pos + n + 1 != rest.len() {
        return None;
    }
    let port = u16::try_from(port).ok().filter(|&p| p != 0)?;
    Some(Eprt { addr: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(octets), port)), delimiter: d })
}

/// A reply `NNN <text>` with the code `code`, without its trailing CR/LF, or `None` (then the general path's
/// `final_line` decides, and says why). The caller makes sure no LF is left in it (one line).
#[inline]
fn reply_body<'a>(reply: &'a [u8], code: &[u8; 3]) -> Option<&'a [u8]> {
    let mut end = reply.len();
    while end > 0 && matches!(reply.get(end - 1), Some(b'\r' | b'\n')) {
        end -= 1;
    }
    let body = reply.get(..end)?;
    match body {
        [a, b, c, b' ', ..] if [*a, *b, *c] == *code => Some(body),
        _ => None,
    }
}

/// The first byte of `text` that is `stop` or a LF (one search for both: a LF means the reply has another line,
/// which the general path reads), with `more` flagging more bytes to stop at (as [`flag`](crate::line::flag) does).
#[inline(always)]
fn first_of(text: &[u8], stop: u8, more: impl Fn(u64) -> u64, is_more: impl Fn(u8) -> bool) -> Option<usize> {
    use crate::line::{find_short, flag};
    let is = |c: u8| c == stop || c == b'\n' || is_more(c);
    find_short(text, |w| flag(w, stop) | flag(w, b'\n') | more(w), is, |long| long.iter().position(|&c| is(c)))
}

/// The fast path of [`parse_pasv`](super::parse_pasv) (either mode): a one-line `227 <text>(h1,...,p2)<text>`
/// whose first `(`, `=` or digit after the code is that `(`, with six well-formed octets and a `)` after them, port
/// not 0, read in one pass; else `None`, and the general path decides (other forms, multi-line replies, errors).
/// The general path's final-line search and candidate bookkeeping were most of the ~30 ns a Python `parse_pasv`
/// call spent in the core (`perf` on the binding's parse loop).
#[inline]
pub(super) fn pasv_fast(reply: &[u8]) -> Option<super::Parsed<SocketAddrV4>> {
    use crate::line::{find_lf, flag, flag_digits};
    let b = reply_body(reply, b"227")?;
    let open =
        4 + first_of(b.get(4..)?, b'(', |w| flag(w, b'=') | flag_digits(w), |c| c == b'=' || c.is_ascii_digit())?;
    if b.get(open) != Some(&b'(') {
        return None;
    }
    let ([h1, h2, h3, h4, p1, p2], end) = octets_fast::<6>(b, open + 1)?;
    let port = u16::from_be_bytes([p1, p2]);
    if port == 0 || b.get(end) != Some(&b')') || find_lf(b.get(end..)?).is_some() {
        return None;
    }
    Some(super::Parsed { value: SocketAddrV4::new(Ipv4Addr::new(h1, h2, h3, h4), port), span: open + 1..end })
}

/// The fast path of [`parse_epsv`](super::parse_epsv): a one-line `229 <text>(<d><d><d>port<d>)<text>` whose
/// first `(` opens that tuple (a valid delimiter, a port of 1-5 digits and 1-65535), read in one pass; else
/// `None`, and the general path decides.
#[inline]
pub(super) fn epsv_fast(reply: &[u8]) -> Option<super::Parsed<super::Epsv>> {
    let b = reply_body(reply, b"229")?;
    let open = 4 + first_of(b.get(4..)?, b'(', |_| 0, |_| false)?;
    let d = match b.get(open..open + 4)? {
        &[b'(', d, e, f] if d == e && e == f => check_delimiter(d).ok()?,
        _ => return None,
    };
    let (port, n) = short_decimal(b, open + 4, 5)?;
    let close = open + 4 + n;
    if n == 0 || b.get(close) != Some(&d) || b.get(close + 1) != Some(&b')') {
        return None;
    }
    if crate::line::find_lf(b.get(close..)?).is_some() {
        return None;
    }
    let port = u16::try_from(port).ok().filter(|&p| p != 0)?;
    Some(super::Parsed { value: super::Epsv { port, delimiter: d }, span: open + 1..close + 1 })
}
