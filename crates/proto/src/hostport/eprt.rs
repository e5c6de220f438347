//! EPRT arguments and 229 replies (RFC 2428): `<d>af<d>address<d>port<d>` and `(<d><d><d>port<d>)`.
use super::error::{syntax, Field, HostPortError, Problem, DELIMITER, TUPLE};
use super::fast::{eprt_v4_fast, epsv_fast};
use super::read::{decimal_port, digit_run, final_line, not_a_number, octet};
use super::span::{Mode, Parsed};
use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
/// A parsed EPRT argument (RFC 2428 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eprt {
    /// The address and port. Address family 1 gives [`SocketAddr::V4`], 2 gives [`SocketAddr::V6`] (an
    /// IPv4-mapped address such as `::ffff:1.2.3.4` stays IPv6: it is what the peer sent).
    pub addr: SocketAddr,
    /// The delimiter character the peer used (`b'|'` usually).
    pub delimiter: u8,
}

/// A parsed 229 reply (RFC 2428 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epsv {
    /// The port to connect to, on the address of the control connection.
    pub port: u16,
    /// The delimiter character the server used (`b'|'` usually).
    pub delimiter: u8,
}

pub(super) const EPRT_AF: Field = Field::new(1, "af");
pub(super) const EPRT_ADDR: Field = Field::new(2, "address");
pub(super) const EPRT_PORT: Field = Field::new(3, "port");
pub(super) const EPSV_NET_PRT: Field = Field::new(1, "net-prt");
pub(super) const EPSV_NET_ADDR: Field = Field::new(2, "net-addr");

pub(super) fn check_delimiter(d: u8) -> Result<u8, HostPortError> {
    if (33..=126).contains(&d) && !d.is_ascii_hexdigit() && d != b'.' && d != b':' {
        Ok(d)
    } else {
        Err(syntax(DELIMITER, Problem::BadDelimiter(d)))
    }
}

/// Parses a strict dotted quad (RFC 2428 af 1): four parts of 1-3 digits, no leading zeros, each at most 255.
pub(super) fn dotted_quad(s: &[u8]) -> Result<Ipv4Addr, HostPortError> {
    let bad = || syntax(EPRT_ADDR, Problem::BadAddress { af: 1 });
    let mut octets = [0u8; 4];
    let mut pos = 0;
    for (i, slot) in octets.iter_mut().enumerate() {
        if i > 0 {
            if s.get(pos) != Some(&b'.') {
                return Err(bad());
            }
            pos += 1;
        }
        let n = digit_run(s, pos);
        if n == 0 {
            return Err(bad());
        }
        if n > 1 && s.get(pos) == Some(&b'0') {
            return Err(syntax(EPRT_ADDR, Problem::LeadingZero));
        }
        let (v, end) = octet(s, pos, EPRT_ADDR).map_err(|e| match e {
            HostPortError::TooLarge { .. } => e,
            _ => bad(),
        })?;
        *slot = v;
        pos = end;
    }
    if pos != s.len() {
        return Err(bad());
    }
    Ok(Ipv4Addr::from(octets))
}

/// Parses an EPRT argument (RFC 2428 §2): `<d>af<d>address<d>port<d>`, exactly (no blanks or line end around it).
///
/// The delimiter is one printable ASCII character (33-126) that is not a digit, `.`, `:` or a hex letter, the same
/// four times. `af` 1 takes a dotted quad without leading zeros, `af` 2 an IPv6 address (no zone id); another
/// family is [`HostPortError::Unsupported`]. The port is decimal, 1-65535, zero padding allowed, no sign. The span
/// is the whole argument.
pub fn parse_eprt(arg: &str) -> Result<Parsed<Eprt>, HostPortError> {
    match eprt_v4_fast(arg.as_bytes()) {
        Some(value) => Ok(Parsed { value, span: 0..arg.len() }),
        None => parse_eprt_general(arg),
    }
}

/// [`parse_eprt`] without its fast path: every form, and every error.
pub(crate) fn parse_eprt_general(arg: &str) -> Result<Parsed<Eprt>, HostPortError> {
    let b = arg.as_bytes();
    let delimiter = check_delimiter(*b.first().ok_or_else(|| syntax(DELIMITER, Problem::Missing))?)?;
    let find = |from: usize, field: Field| -> Result<usize, HostPortError> {
        b.get(from..)
            .and_then(|rest| memchr::memchr(delimiter, rest))
            .map(|i| from + i)
            .ok_or_else(|| syntax(field, Problem::Unterminated { delimiter }))
    };
    let af_end = find(1, EPRT_AF)?;
    let af_text = b.get(1..af_end).unwrap_or_default();
    let af_digits = digit_run(af_text, 0);
    if af_digits != af_text.len() || af_text.is_empty() {
        return Err(not_a_number(af_text, af_digits, EPRT_AF));
    }
    let af = if af_digits > 5 { u64::MAX } else { af_text.iter().fold(0u64, |acc, c| acc * 10 + u64::from(c - b'0')) };
    if af != 1 && af != 2 {
        return Err(HostPortError::Unsupported { field: EPRT_AF, value: af, supported: "1 (IPv4) and 2 (IPv6)" });
    }
    let addr_start = af_end + 1;
    let addr_end = find(addr_start, EPRT_ADDR)?;
    let addr_text = arg.get(addr_start..addr_end).unwrap_or_default();
    if addr_text.is_empty() {
        return Err(syntax(EPRT_ADDR, Problem::Empty));
    }
    let ip = if af == 1 {
        IpAddr::V4(dotted_quad(addr_text.as_bytes())?)
    } else if addr_text.contains('%') {
        return Err(syntax(EPRT_ADDR, Problem::ZoneId));
    } else {
        IpAddr::V6(addr_text.parse::<Ipv6Addr>().map_err(|_| syntax(EPRT_ADDR, Problem::BadAddress { af: 2 }))?)
    };
    let port_start = addr_end + 1;
    let (port, port_end) = decimal_port(b, port_start, EPRT_PORT)?;
    match b.get(port_end) {
        Some(&d) if d == delimiter => {}
        None => return Err(syntax(EPRT_PORT, Problem::Unterminated { delimiter })),
        Some(&found) => return Err(syntax(EPRT_PORT, Problem::Separator { found, expected: delimiter })),
    }
    if let Some(&c) = b.get(port_end + 1) {
        return Err(syntax(Field::new(0, "EPRT argument"), Problem::Trailing(c)));
    }
    let addr = SocketAddr::new(ip, port);
    Ok(Parsed { value: Eprt { addr, delimiter }, span: 0..b.len() })
}

/// Reads `<d><d><d>port<d>` at `pos`; with `paren`, a `)` must follow.
pub(super) fn read_epsv(b: &[u8], pos: usize, paren: bool) -> Result<(Epsv, usize), HostPortError> {
    let delimiter = check_delimiter(*b.get(pos).ok_or_else(|| syntax(DELIMITER, Problem::Missing))?)?;
    for (offset, field) in [(1, EPSV_NET_PRT), (2, EPSV_NET_ADDR)] {
        match b.get(pos + offset) {
            Some(&d) if d == delimiter => {}
            None => return Err(syntax(field, Problem::Unterminated { delimiter })),
            Some(_) => return Err(syntax(field, Problem::NotEmpty)),
        }
    }
    let (port, end) = decimal_port(b, pos + 3, EPRT_PORT)?;
    match b.get(end) {
        Some(&d) if d == delimiter => {}
        None => return Err(syntax(EPRT_PORT, Problem::Unterminated { delimiter })),
        Some(&found) => return Err(syntax(EPRT_PORT, Problem::Separator { found, expected: delimiter })),
    }
    if paren && b.get(end + 1) != Some(&b')') {
        return Err(syntax(TUPLE, Problem::Unclosed));
    }
    Ok((Epsv { port, delimiter }, end + 1))
}

/// Parses a whole 229 reply (RFC 2428 §3): `229 <text> (<d><d><d>port<d>)` on the final line.
///
/// The tuple is read after a `(` (and must be closed by `)`); a server that leaves the parentheses out is still
/// understood when three equal delimiters and a digit stand in its text. The first two fields must be empty, the
/// port is 1-65535. The span is `<d><d><d>port<d>` (delimiters included, parentheses not).
///
/// ```
/// use ftpkit_proto::hostport::parse_epsv;
/// let p = parse_epsv(b"229 Entering Extended Passive Mode (|||6446|)\r\n").unwrap();
/// assert_eq!((p.value.port, p.value.delimiter, p.span), (6446, b'|', 36..44));
/// ```
pub fn parse_epsv(reply: &[u8]) -> Result<Parsed<Epsv>, HostPortError> {
    match epsv_fast(reply) {
        Some(parsed) => Ok(parsed),
        None => parse_epsv_general(reply),
    }
}

/// [`parse_epsv`] without its fast path: every form, and every error.
pub(crate) fn parse_epsv_general(reply: &[u8]) -> Result<Parsed<Epsv>, HostPortError> {
    let text = final_line(reply, 229, Mode::Tolerant)?;
    let b = reply.get(..text.end).unwrap_or_default();
    let mut first_error = None;
    let parens = b.get(text.clone()).unwrap_or_default();
    for i in memchr::memchr_iter(b'(', parens).map(|k| text.start + k) {
        match read_epsv(b, i + 1, true) {
            Ok((value, end)) => return Ok(Parsed { value, span: i + 1..end }),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    // No well-formed tuple in parentheses: look for three equal delimiters and a digit anywhere.
    for i in text {
        let d = b.get(i).copied().unwrap_or_default();
        if check_delimiter(d).is_ok()
            && b.get(i + 1) == Some(&d)
            && b.get(i + 2) == Some(&d)
            && b.get(i + 3).is_some_and(u8::is_ascii_digit)
            && b.get(i.wrapping_sub(1)) != Some(&b'(')
        {
            match read_epsv(b, i, false) {
                Ok((value, end)) => return Ok(Parsed { value, span: i..end }),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    Err(first_error.unwrap_or(syntax(TUPLE, Problem::NotFound)))
}

/// Formats an EPRT argument: `|1|a.b.c.d|port|` or `|2|<RFC 5952 text>|port|`.
///
/// An IPv6 address is written as given, so an IPv4-mapped address (`::ffff:1.2.3.4`) goes out as af 2; call
/// `SocketAddr::new(ip.to_canonical(), port)` first to send it as af 1. A scope (zone) id is not written: it means
/// nothing to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EprtArg(pub SocketAddr);

impl fmt::Display for EprtArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SocketAddr::V4(a) => write!(f, "|1|{}|{}|", a.ip(), a.port()),
            SocketAddr::V6(a) => write!(f, "|2|{}|{}|", a.ip(), a.port()),
        }
    }
}

/// Formats the text of a 229 reply (without the code): `Entering Extended Passive Mode (|||port|)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpsvText(pub u16);

impl fmt::Display for EpsvText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entering Extended Passive Mode (|||{}|)", self.0)
    }
}
