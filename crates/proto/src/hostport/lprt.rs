//! LPRT arguments and 228 replies (RFC 1639): `af,hal,h1,...,hN,pal,p1,p2`.
use super::error::{syntax, Field, HostPortError, Problem, PORT_PAIR};
use super::read::{scan_reply, Cursor, Finish};
use super::span::{Mode, Parsed};
use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
pub(super) const HOST_ROLES: [&str; 16] =
    ["h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9", "h10", "h11", "h12", "h13", "h14", "h15", "h16"];

pub(super) fn read_long_tuple(
    b: &[u8],
    pos: usize,
    finish: Finish,
) -> Result<(SocketAddr, usize), (HostPortError, usize)> {
    let mut c = Cursor::new(b, pos);
    let af_field = Field::new(1, "af");
    let af = c.next(af_field).map_err(|e| (e, c.fields))?;
    let expected_hal: u8 = match af {
        4 => 4,
        6 => 16,
        _ => {
            let e = HostPortError::Unsupported {
                field: af_field,
                value: u64::from(af),
                supported: "4 (IPv4) and 6 (IPv6)",
            };
            return Err((e, c.fields));
        }
    };
    let hal_field = Field::new(2, "hal");
    let hal = c.next(hal_field).map_err(|e| (e, c.fields))?;
    if hal != expected_hal {
        let e = syntax(hal_field, Problem::HostLength { value: hal, expected: expected_hal });
        return Err((e, c.fields));
    }
    let mut host = [0u8; 16];
    for (i, (slot, role)) in host.iter_mut().zip(HOST_ROLES).take(usize::from(hal)).enumerate() {
        let index = u8::try_from(3 + i).unwrap_or(u8::MAX);
        *slot = c.next(Field::new(index, role)).map_err(|e| (e, c.fields))?;
    }
    let pal_field = Field::new(3 + hal, "pal");
    let pal = c.next(pal_field).map_err(|e| (e, c.fields))?;
    if pal != 2 {
        return Err((syntax(pal_field, Problem::PortLength { value: pal }), c.fields));
    }
    let p1 = c.next(Field::new(4 + hal, "p1")).map_err(|e| (e, c.fields))?;
    let p2 = c.next(Field::new(5 + hal, "p2")).map_err(|e| (e, c.fields))?;
    c.finish(finish).map_err(|e| (e, c.fields))?;
    let port = u16::from_be_bytes([p1, p2]);
    if port == 0 {
        return Err((HostPortError::PortZero { field: PORT_PAIR }, c.fields));
    }
    let addr = if af == 4 {
        let [a, b4, c4, d, ..] = host;
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a, b4, c4, d), port))
    } else {
        SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(host), port, 0, 0))
    };
    Ok((addr, c.pos))
}

/// Parses an LPRT argument (RFC 1639): `af,hal,h1,...,hN,pal,p1,p2`, exactly, with af 4 and hal 4 (IPv4) or af 6
/// and hal 16 (IPv6), and pal 2. Another af is [`HostPortError::Unsupported`]. The span is the whole argument.
pub fn parse_lprt(arg: &str) -> Result<Parsed<SocketAddr>, HostPortError> {
    let (value, end) = read_long_tuple(arg.as_bytes(), 0, Finish::Exact).map_err(|(e, _)| e)?;
    Ok(Parsed { value, span: 0..end })
}

/// Parses a whole 228 reply (RFC 1639 LPSV), finding the long tuple like [`parse_pasv`](super::parse_pasv) finds the
/// six numbers (anywhere in tolerant mode, in parentheses in strict mode). The span is the tuple, without parentheses.
pub fn parse_lpsv(reply: &[u8], mode: Mode) -> Result<Parsed<SocketAddr>, HostPortError> {
    scan_reply(reply, 228, mode, read_long_tuple)
}

/// Formats an LPRT argument (RFC 1639): `4,4,a,b,c,d,2,p1,p2` or `6,16,<16 octets>,2,p1,p2`. An IPv6 address is
/// written as given (an IPv4-mapped one stays af 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LprtArg(pub SocketAddr);

impl fmt::Display for LprtArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let octets = |f: &mut fmt::Formatter<'_>, bytes: &[u8]| -> fmt::Result {
            for b in bytes {
                write!(f, "{b},")?;
            }
            Ok(())
        };
        match self.0 {
            SocketAddr::V4(a) => {
                f.write_str("4,4,")?;
                octets(f, &a.ip().octets())?;
            }
            SocketAddr::V6(a) => {
                f.write_str("6,16,")?;
                octets(f, &a.ip().octets())?;
            }
        }
        let [p1, p2] = self.0.port().to_be_bytes();
        write!(f, "2,{p1},{p2}")
    }
}

/// Formats the text of a 228 reply (without the code): `Entering Long Passive Mode (<LPRT tuple>)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LpsvText(pub SocketAddr);

impl fmt::Display for LpsvText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entering Long Passive Mode ({})", LprtArg(self.0))
    }
}
