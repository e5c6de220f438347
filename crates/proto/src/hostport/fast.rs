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
        let (value, n) = short_decimal(b, pos, 3)?;
        if n == 0 {
            return None;
        }
        *slot = u8::try_from(value).ok()?;
        pos += n;
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

/// The text of a well-formed one-line reply `NNN <text>` with the code `code` (trailing CR/LF allowed, no other
/// line end): the input without its line end and where the text starts, or `None` (then the general path's
/// `final_line` decides, and says why).
#[inline]
fn one_line_reply<'a>(reply: &'a [u8], code: &[u8; 3]) -> Option<&'a [u8]> {
    let mut end = reply.len();
    while end > 0 && matches!(reply.get(end - 1), Some(b'\r' | b'\n')) {
        end -= 1;
    }
    let body = reply.get(..end)?;
    match body {
        [a, b, c, b' ', ..] if [*a, *b, *c] == *code && crate::line::find_lf(body).is_none() => Some(body),
        _ => None,
    }
}

/// The fast path of [`parse_pasv`](super::parse_pasv) (either mode): a one-line `227 <text>(h1,...,p2)<text>`
/// whose first `(`, `=` or digit after the code is that `(`, with six well-formed octets and a `)` after them, port
/// not 0, read in one pass; else `None`, and the general path decides (other forms, multi-line replies, errors).
/// The general path's search, final-line and candidate bookkeeping were most of the 30 ns a Python
/// `parse_pasv` call spent in the core (`perf` on the binding's parse loop).
#[inline]
pub(super) fn pasv_fast(reply: &[u8]) -> Option<super::Parsed<SocketAddrV4>> {
    let b = one_line_reply(reply, b"227")?;
    let open = 4 + candidate_start(b.get(4..)?)?;
    if b.get(open) != Some(&b'(') {
        return None;
    }
    let ([h1, h2, h3, h4, p1, p2], end) = octets_fast::<6>(b, open + 1)?;
    let port = u16::from_be_bytes([p1, p2]);
    if port == 0 || b.get(end) != Some(&b')') {
        return None;
    }
    Some(super::Parsed { value: SocketAddrV4::new(Ipv4Addr::new(h1, h2, h3, h4), port), span: open + 1..end })
}

/// The fast path of [`parse_epsv`](super::parse_epsv): a one-line `229 <text>(<d><d><d>port<d>)<text>` whose
/// first `(` opens that tuple (a valid delimiter, a port of 1-5 digits and 1-65535), read in one pass; else
/// `None`, and the general path decides.
#[inline]
pub(super) fn epsv_fast(reply: &[u8]) -> Option<super::Parsed<super::Epsv>> {
    let b = one_line_reply(reply, b"229")?;
    let text = b.get(4..)?;
    let open = 4 + crate::line::find_short(
        text,
        |w| crate::line::flag(w, b'('),
        |c| c == b'(',
        |long| memchr::memchr(b'(', long),
    )?;
    let d = match b.get(open + 1..open + 4)? {
        &[d, e, f] if d == e && e == f => check_delimiter(d).ok()?,
        _ => return None,
    };
    let (port, n) = short_decimal(b, open + 4, 5)?;
    let close = open + 4 + n;
    if n == 0 || b.get(close) != Some(&d) || b.get(close + 1) != Some(&b')') {
        return None;
    }
    let port = u16::try_from(port).ok().filter(|&p| p != 0)?;
    Some(super::Parsed { value: super::Epsv { port, delimiter: d }, span: open + 1..close + 1 })
}
