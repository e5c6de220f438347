//! PORT arguments and 227 replies (RFC 959): the tuple `h1,h2,h3,h4,p1,p2`, port = p1 * 256 + p2.
use super::error::{Field, HostPortError, PORT_PAIR};
use super::fast::{octets_fast, pasv_fast};
use super::read::{scan_reply, trimmed, Cursor, Finish};
use super::span::{rewrite, Mode, Parsed};
use core::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
pub(super) const PORT_FIELDS: [Field; 6] = [
    Field::new(1, "h1"),
    Field::new(2, "h2"),
    Field::new(3, "h3"),
    Field::new(4, "h4"),
    Field::new(5, "p1"),
    Field::new(6, "p2"),
];

pub(super) fn read_port_tuple(
    b: &[u8],
    pos: usize,
    finish: Finish,
) -> Result<(SocketAddrV4, usize), (HostPortError, usize)> {
    if let Some((v, end)) = octets_fast::<6>(b, pos) {
        let [h1, h2, h3, h4, p1, p2] = v;
        let port = u16::from_be_bytes([p1, p2]);
        let c = Cursor { b, pos: end, fields: 6, prev: Some(PORT_FIELDS[5]) };
        if port != 0 && c.finish(finish).is_ok() {
            return Ok((SocketAddrV4::new(Ipv4Addr::new(h1, h2, h3, h4), port), end));
        }
    }
    let mut c = Cursor::new(b, pos);
    let mut v = [0u8; 6];
    for (slot, field) in v.iter_mut().zip(PORT_FIELDS) {
        *slot = c.next(field).map_err(|e| (e, c.fields))?;
    }
    c.finish(finish).map_err(|e| (e, c.fields))?;
    let [h1, h2, h3, h4, p1, p2] = v;
    let port = u16::from_be_bytes([p1, p2]);
    if port == 0 {
        return Err((HostPortError::PortZero { field: PORT_PAIR }, c.fields));
    }
    Ok((SocketAddrV4::new(Ipv4Addr::new(h1, h2, h3, h4), port), c.pos))
}

/// Parses a PORT argument `h1,h2,h3,h4,p1,p2` (RFC 959 §4.1.2); the port is `p1 * 256 + p2`.
///
/// Tolerant mode allows blanks and a line end around the argument (not inside it); strict mode takes exactly the
/// tuple. The span is the tuple without what surrounds it.
///
/// ```
/// use ftpkit_proto::hostport::{parse_port, Mode};
/// let p = parse_port("192,168,150,80,14,178", Mode::Strict).unwrap();
/// assert_eq!(p.value.port(), 3762);
/// ```
pub fn parse_port(arg: &str, mode: Mode) -> Result<Parsed<SocketAddrV4>, HostPortError> {
    let range = trimmed(arg.as_bytes(), mode);
    let b = arg.as_bytes().get(..range.end).unwrap_or_default();
    let (value, end) = read_port_tuple(b, range.start, Finish::Exact).map_err(|(e, _)| e)?;
    Ok(Parsed { value, span: range.start..end })
}

/// Parses a whole 227 reply (raw bytes, one or more lines, with or without line ends): the tuple is on the final
/// line, whose code must be 227 (else [`HostPortError::WrongReply`]).
///
/// Tolerant mode (RFC 1123 §4.1.2.6) finds the six numbers wherever they stand: `(h1,...,p2)`, `=h1,...,p2`, or
/// bare, with any text around them. Strict mode wants `(h1,h2,h3,h4,p1,p2)`. The span is the six numbers, without
/// parentheses, as offsets into `reply`.
///
/// ```
/// use ftpkit_proto::hostport::{parse_pasv, Mode};
/// let reply = b"227 Entering Passive Mode (192,168,150,90,195,149).\r\n";
/// let p = parse_pasv(reply, Mode::Tolerant).unwrap();
/// assert_eq!(p.value.port(), 50069);
/// assert_eq!(&reply[p.span], b"192,168,150,90,195,149");
/// ```
pub fn parse_pasv(reply: &[u8], mode: Mode) -> Result<Parsed<SocketAddrV4>, HostPortError> {
    match pasv_fast(reply) {
        Some(parsed) => Ok(parsed),
        None => parse_pasv_general(reply, mode),
    }
}

/// [`parse_pasv`] without its fast path: every form, and every error.
pub(crate) fn parse_pasv_general(reply: &[u8], mode: Mode) -> Result<Parsed<SocketAddrV4>, HostPortError> {
    scan_reply(reply, 227, mode, read_port_tuple)
}

/// Parses a 227 reply and returns it with its tuple replaced by `addr` (everything else kept byte for byte).
pub fn rewrite_pasv(reply: &[u8], mode: Mode, addr: SocketAddrV4) -> Result<Vec<u8>, HostPortError> {
    let span = parse_pasv(reply, mode)?.span;
    Ok(rewrite(reply, span, PortArg(addr).to_string().as_bytes()))
}

/// Formats a PORT argument `h1,h2,h3,h4,p1,p2`. (PORT carries IPv4 only; the type makes anything else unrepresentable:
/// use [`EprtArg`](super::EprtArg) or [`LprtArg`](super::LprtArg) for IPv6.) Port 0 formats as `...,0,0`, which the
/// parsers refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortArg(pub SocketAddrV4);

pub(super) fn write_port_tuple(f: &mut fmt::Formatter<'_>, addr: &SocketAddrV4) -> fmt::Result {
    let [a, b, c, d] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    write!(f, "{a},{b},{c},{d},{p1},{p2}")
}

impl fmt::Display for PortArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_port_tuple(f, &self.0)
    }
}

/// Formats the text of a 227 reply (without the code): `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasvText(pub SocketAddrV4);

impl fmt::Display for PasvText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Entering Passive Mode (")?;
        write_port_tuple(f, &self.0)?;
        f.write_str(").")
    }
}
