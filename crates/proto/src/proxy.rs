//! The PROXY protocol (HAProxy's; v1 text and v2 binary, IPv4 and IPv6): a load balancer in front of the server
//! writes the real client's address in a header before the first byte of the connection, so the server can check
//! and log the client rather than the balancer.
//!
//! ```text
//!   client ──► HAProxy (send-proxy-v2) ──► [PROXY header][FTP bytes...] ──► server
//!                                            │
//!                    parse_header(bytes) ────┴─► Incomplete | Complete(ProxyHeader { len, addresses })
//! ```
//!
//! The parsing is the [`ppp`] crate's; this module adds what a server needs around it, with no IO:
//!
//! - [`ProxyPolicy`]: the addresses allowed to send headers ([`Cidr`]s). A control connection from anywhere else is
//!   refused ([`ProxyPolicy::admit_control`]), and one from a trusted address must start with a valid header. A
//!   passive data connection from a trusted address must carry one too (HAProxy forwarding the passive range with
//!   `send-proxy-v2`); one from elsewhere is taken as it is, and the session's data-source check judges its address
//!   ([`ProxyPolicy::admit_data`]).
//! - [`parse_header`]: reads a header out of the bytes received so far, and says where it ends, so the caller
//!   consumes exactly the header and leaves the next byte (the first byte of an upload, say) in the socket. The
//!   bytes of an incomplete header are all header bytes: a caller may consume them and wait for more.
//! - Bounded: a header longer than [`MAX_HEADER`] is an error, not a bigger buffer. Waiting for the header is the
//!   caller's, bounded by [`ProxyPolicy::header_timeout`].
//!
//! v1 `UNKNOWN` and v2 `LOCAL` (the balancer's own health checks) carry no client address: [`Proxied::Local`], and
//! the connection's own addresses stand.

use crate::error::ErrorKind;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

/// The longest header accepted, TLVs included (a v1 header is at most 107 bytes; HAProxy's v2 headers with the
/// usual TLVs stay well under this).
pub const MAX_HEADER: usize = 16 + 1024;

/// The v2 signature, the first 12 bytes of every v2 header.
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The longest v1 header, CRLF included (the spec's bound).
const V1_MAX: usize = 107;
/// The start of every v1 header.
const V1_PREFIX: &[u8; 6] = b"PROXY ";

/// An IP network, `addr/prefix`. IPv4-mapped IPv6 addresses are matched as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The network `addr/prefix`; host bits of `addr` are ignored.
    ///
    /// # Errors
    /// A prefix over 32 (IPv4) or 128 (IPv6).
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Cidr, ProxyError> {
        let addr = canonical(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(ProxyError::BadNetwork(format!("prefix /{prefix} is over /{max}")));
        }
        Ok(Cidr { addr, prefix })
    }

    /// The one address `ip` (a /32 or /128).
    pub fn host(ip: IpAddr) -> Cidr {
        let ip = canonical(ip);
        Cidr { addr: ip, prefix: if ip.is_ipv4() { 32 } else { 128 } }
    }

    /// True when `ip` is inside the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let p = u32::from(self.prefix);
                let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let p = u32::from(self.prefix);
                let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = ProxyError;

    /// `10.0.0.0/8`, `::1/128`, or one address (`127.0.0.1`, `::1`).
    fn from_str(s: &str) -> Result<Cidr, ProxyError> {
        let bad = |why: &str| ProxyError::BadNetwork(format!("{s:?}: {why}"));
        match s.split_once('/') {
            Some((a, p)) => {
                let addr: IpAddr = a.trim().parse().map_err(|_| bad("not an IP address before '/'"))?;
                let prefix: u8 = p.trim().parse().map_err(|_| bad("the prefix is not a number 0-128"))?;
                Cidr::new(addr, prefix)
            }
            None => s.trim().parse().map(Cidr::host).map_err(|_| bad("not an IP address or ADDR/PREFIX")),
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// When to expect PROXY headers. Off (no policy) is the default everywhere: a server that reads headers from
/// anyone lets any client claim any address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyPolicy {
    /// The addresses (the load balancers) allowed to connect and send headers.
    pub trusted: Vec<Cidr>,
    /// How long a trusted connection may take to deliver its whole header before it is closed. Default 5 s.
    pub header_timeout: Duration,
}

impl ProxyPolicy {
    /// Headers from these networks, with the default timeout.
    pub fn new(trusted: Vec<Cidr>) -> ProxyPolicy {
        ProxyPolicy { trusted, header_timeout: Duration::from_secs(5) }
    }

    /// True when `source` is one of the trusted proxies.
    pub fn trusts(&self, source: IpAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(source))
    }

    /// A new control connection from `source`: read its header, or refuse it (not from a trusted proxy).
    pub fn admit_control(&self, source: IpAddr) -> Admission {
        if self.trusts(source) {
            Admission::ReadHeader
        } else {
            Admission::Refuse(ProxyError::Untrusted(source))
        }
    }

    /// A connection on a passive data port from `source`: from a trusted proxy it must carry a header; from
    /// anywhere else it is the client's own connection, and the session's data-source check decides.
    pub fn admit_data(&self, source: IpAddr) -> Admission {
        if self.trusts(source) {
            Admission::ReadHeader
        } else {
            Admission::Direct
        }
    }

    /// The address the session is to take for a connection from `source` with `header`: the header's source, or
    /// the connection's own for a `LOCAL`/`UNKNOWN` header.
    pub fn client_of(header: &ProxyHeader, source: SocketAddr) -> SocketAddr {
        match header.proxied {
            Proxied::Tcp { source, .. } => source,
            Proxied::Local => source,
        }
    }
}

/// What to do with a new connection under a [`ProxyPolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Read a PROXY header first ([`parse_header`]); no header, no session.
    ReadHeader,
    /// No header expected: the connection's own address is the client's.
    Direct,
    /// Close the connection without a word (a client that is not a trusted proxy).
    Refuse(ProxyError),
}

/// What a header says about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proxied {
    /// A TCP connection from `source` (the real client) to `destination` (the address it connected to: the
    /// balancer's front end).
    Tcp {
        /// The client.
        source: SocketAddr,
        /// Where the client connected.
        destination: SocketAddr,
    },
    /// No client address: v1 `UNKNOWN` or v2 `LOCAL` (the balancer's own health check); the connection's own
    /// addresses stand.
    Local,
}

/// A complete PROXY header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyHeader {
    /// 1 (text) or 2 (binary).
    pub version: u8,
    /// The addresses it carries.
    pub proxied: Proxied,
    /// Its length in bytes: the connection's own data starts after it.
    pub len: usize,
}

/// The result of [`parse_header`] on the bytes received so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderStatus {
    /// More bytes are needed; every byte given so far belongs to the header.
    Incomplete,
    /// The header is `bytes[..header.len]`.
    Complete(ProxyHeader),
}

/// What is wrong with a connection's PROXY header, or with a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// The bytes do not start like a v1 (`PROXY `) or v2 header: a client that is not a proxy, or a proxy not set
    /// up to send headers.
    #[error("no PROXY protocol header (the connection starts with other bytes)")]
    NoHeader,
    /// Starts like a header but does not follow the grammar.
    #[error("malformed PROXY v{version} header: {why}")]
    Malformed {
        /// 1 or 2.
        version: u8,
        /// What is wrong, from the parser.
        why: String,
    },
    /// Longer than [`MAX_HEADER`].
    #[error("PROXY header longer than {MAX_HEADER} bytes")]
    TooLong,
    /// A well-formed header for something other than TCP over IPv4 or IPv6 (UDP, a Unix socket).
    #[error("PROXY header for {0}, not TCP over IPv4/IPv6")]
    Unsupported(&'static str),
    /// The connection does not come from a trusted proxy.
    #[error("connection from {0}, which is not a trusted proxy")]
    Untrusted(IpAddr),
    /// A trusted-proxy network that cannot be read.
    #[error("bad trusted-proxy network {0}")]
    BadNetwork(String),
}

impl ProxyError {
    /// The stable error class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProxyError::NoHeader | ProxyError::Malformed { .. } | ProxyError::BadNetwork(_) => ErrorKind::Syntax,
            ProxyError::TooLong => ErrorKind::TooLong,
            ProxyError::Unsupported(_) => ErrorKind::Unsupported,
            ProxyError::Untrusted(_) => ErrorKind::Refused,
        }
    }
}

/// Reads a PROXY header (v1 or v2) from the start of `bytes`, the bytes received so far on a connection.
///
/// `Ok(Incomplete)` means every byte of `bytes` is part of a header that has not ended yet: consume them and call
/// again with what follows. `Ok(Complete(h))`: the header is `bytes[..h.len]`. Never reads past the header's end.
///
/// # Errors
/// Anything that is not the start of a valid header, or a header over [`MAX_HEADER`] bytes.
pub fn parse_header(bytes: &[u8]) -> Result<HeaderStatus, ProxyError> {
    let Some(&first) = bytes.first() else { return Ok(HeaderStatus::Incomplete) };
    if first == V2_SIGNATURE[0] {
        parse_v2(bytes)
    } else if first == V1_PREFIX[0] {
        parse_v1(bytes)
    } else {
        Err(ProxyError::NoHeader)
    }
}

fn parse_v2(bytes: &[u8]) -> Result<HeaderStatus, ProxyError> {
    use ppp::v2;
    let n = bytes.len().min(V2_SIGNATURE.len());
    if bytes[..n] != V2_SIGNATURE[..n] {
        return Err(ProxyError::NoHeader);
    }
    // The length field (bytes 14-15) bounds the header before the parser sees it.
    if let (Some(&hi), Some(&lo)) = (bytes.get(14), bytes.get(15)) {
        if 16 + usize::from(u16::from_be_bytes([hi, lo])) > MAX_HEADER {
            return Err(ProxyError::TooLong);
        }
    }
    let header = match v2::Header::try_from(bytes) {
        Ok(h) => h,
        Err(v2::ParseError::Incomplete(_) | v2::ParseError::Partial(..)) => return Ok(HeaderStatus::Incomplete),
        Err(e) => return Err(ProxyError::Malformed { version: 2, why: e.to_string() }),
    };
    let proxied = match (header.command, header.addresses) {
        (v2::Command::Local, _) => Proxied::Local,
        (v2::Command::Proxy, _) if header.protocol != v2::Protocol::Stream => {
            return Err(ProxyError::Unsupported("a datagram or unspecified protocol"))
        }
        (v2::Command::Proxy, v2::Addresses::IPv4(a)) => Proxied::Tcp {
            source: SocketAddr::from((a.source_address, a.source_port)),
            destination: SocketAddr::from((a.destination_address, a.destination_port)),
        },
        (v2::Command::Proxy, v2::Addresses::IPv6(a)) => Proxied::Tcp {
            source: SocketAddr::from((a.source_address, a.source_port)),
            destination: SocketAddr::from((a.destination_address, a.destination_port)),
        },
        (v2::Command::Proxy, v2::Addresses::Unix(_)) => return Err(ProxyError::Unsupported("a Unix socket")),
        (v2::Command::Proxy, v2::Addresses::Unspecified) => Proxied::Local,
    };
    Ok(HeaderStatus::Complete(ProxyHeader { version: 2, proxied, len: header.len() }))
}

fn parse_v1(bytes: &[u8]) -> Result<HeaderStatus, ProxyError> {
    use ppp::v1;
    let n = bytes.len().min(V1_PREFIX.len());
    if bytes[..n] != V1_PREFIX[..n] {
        return Err(ProxyError::NoHeader);
    }
    // The header ends at the first CR, which must be followed by LF (ppp checks); look no further than that. Before
    // it: printable ASCII only, at most 107 bytes with the CRLF (the spec's bound), found out as the bytes arrive.
    let cr = memchr::memchr(b'\r', bytes);
    let line = &bytes[..cr.unwrap_or(bytes.len())];
    if let Some(bad) = line.iter().position(|b| !(0x20..=0x7e).contains(b)) {
        let why = format!("byte {bad} is 0x{:02x}, not printable ASCII", line[bad]);
        return Err(ProxyError::Malformed { version: 1, why });
    }
    if line.len() + 2 > V1_MAX {
        return Err(ProxyError::TooLong);
    }
    let Some(cr) = cr.filter(|&cr| cr + 1 < bytes.len()) else { return Ok(HeaderStatus::Incomplete) };
    let header =
        v1::Header::try_from(&bytes[..cr + 2]).map_err(|e| ProxyError::Malformed { version: 1, why: e.to_string() })?;
    let proxied = match header.addresses {
        v1::Addresses::Tcp4(a) => Proxied::Tcp {
            source: SocketAddr::from((a.source_address, a.source_port)),
            destination: SocketAddr::from((a.destination_address, a.destination_port)),
        },
        v1::Addresses::Tcp6(a) => Proxied::Tcp {
            source: SocketAddr::from((a.source_address, a.source_port)),
            destination: SocketAddr::from((a.destination_address, a.destination_port)),
        },
        v1::Addresses::Unknown => Proxied::Local,
    };
    Ok(HeaderStatus::Complete(ProxyHeader { version: 1, proxied, len: cr + 2 }))
}

/// The IPv4 form of an IPv4-mapped IPv6 address; other addresses unchanged.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The v2 header a proxy would send for a TCP connection from `source` to `destination` (for tests and tools; the
/// encoding is `ppp`'s).
///
/// # Errors
/// `source` and `destination` of different families.
pub fn encode_v2(source: SocketAddr, destination: SocketAddr) -> Result<Vec<u8>, ProxyError> {
    use ppp::v2;
    if source.is_ipv4() != destination.is_ipv4() {
        return Err(ProxyError::Unsupported("mixed address families"));
    }
    v2::Builder::with_addresses(
        v2::Version::Two | v2::Command::Proxy,
        v2::Protocol::Stream,
        v2::Addresses::from((source, destination)),
    )
    .build()
    .map_err(|e| ProxyError::Malformed { version: 2, why: e.to_string() })
}

/// The v2 `LOCAL` header a proxy sends on its own connections (health checks): no addresses.
pub fn encode_v2_local() -> Vec<u8> {
    let mut h = V2_SIGNATURE.to_vec();
    // Version 2, command LOCAL; family and protocol unspecified; no payload.
    h.extend_from_slice(&[0x20, 0x00, 0x00, 0x00]);
    h
}

/// The v1 header line for a TCP connection from `source` to `destination`.
///
/// # Errors
/// `source` and `destination` of different families.
pub fn encode_v1(source: SocketAddr, destination: SocketAddr) -> Result<String, ProxyError> {
    let family = match (source.ip(), destination.ip()) {
        (IpAddr::V4(_), IpAddr::V4(_)) => "TCP4",
        (IpAddr::V6(_), IpAddr::V6(_)) => "TCP6",
        _ => return Err(ProxyError::Unsupported("mixed address families")),
    };
    Ok(format!("PROXY {family} {} {} {} {}\r\n", source.ip(), destination.ip(), source.port(), destination.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// Feeds `bytes` one byte at a time: incomplete until the last byte of the header, then complete.
    fn parse_split(bytes: &[u8]) -> ProxyHeader {
        for end in 0..bytes.len() {
            assert_eq!(parse_header(&bytes[..end]), Ok(HeaderStatus::Incomplete), "{end} of {} bytes", bytes.len());
        }
        match parse_header(bytes) {
            Ok(HeaderStatus::Complete(h)) => h,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn v1_and_v2_over_ipv4_and_ipv6_at_every_split() {
        for (src, dst) in [("192.0.2.7:51000", "198.51.100.1:21"), ("[2001:db8::7]:51000", "[2001:db8::1]:21")] {
            let (src, dst) = (sa(src), sa(dst));
            let v1 = encode_v1(src, dst).unwrap();
            let h = parse_split(v1.as_bytes());
            assert_eq!(
                h,
                ProxyHeader { version: 1, proxied: Proxied::Tcp { source: src, destination: dst }, len: v1.len() }
            );
            let v2 = encode_v2(src, dst).unwrap();
            let h = parse_split(&v2);
            assert_eq!(
                h,
                ProxyHeader { version: 2, proxied: Proxied::Tcp { source: src, destination: dst }, len: v2.len() }
            );
        }
    }

    #[test]
    fn the_header_ends_where_the_connection_data_begins() {
        let mut bytes = encode_v2(sa("192.0.2.7:1"), sa("198.51.100.1:2")).unwrap();
        let len = bytes.len();
        bytes.extend_from_slice(b"\r\n\r\n\0\r\nQUIT\nUSER x\r\n");
        assert!(matches!(parse_header(&bytes), Ok(HeaderStatus::Complete(h)) if h.len == len));
        let mut bytes = b"PROXY TCP4 192.0.2.7 198.51.100.1 1 2\r\n".to_vec();
        bytes.extend_from_slice(b"PROXY TCP4 10.0.0.1 10.0.0.2 3 4\r\n");
        assert!(matches!(parse_header(&bytes), Ok(HeaderStatus::Complete(h)) if h.len == 39));
    }

    #[test]
    fn local_and_unknown_keep_the_connections_own_address() {
        let local = ppp::v2::Builder::with_addresses(
            ppp::v2::Version::Two | ppp::v2::Command::Local,
            ppp::v2::Protocol::Unspecified,
            ppp::v2::Addresses::Unspecified,
        )
        .build()
        .unwrap();
        assert_eq!(local, encode_v2_local());
        let h = parse_split(&local);
        assert_eq!(h.proxied, Proxied::Local);
        assert_eq!(ProxyPolicy::client_of(&h, sa("10.0.0.9:4000")), sa("10.0.0.9:4000"));
        let h = parse_split(b"PROXY UNKNOWN\r\n");
        assert_eq!((h.version, h.proxied, h.len), (1, Proxied::Local, 15));
    }

    #[test]
    fn garbage_missing_and_malformed_headers_are_typed_errors() {
        // An FTP client talking first, an HTTP request, TLS, a v1 line with bad fields, a v2 with a bad version.
        for bad in [&b"USER anonymous\r\n"[..], b"GET / HTTP/1.1\r\n", b"\x16\x03\x01\x02\x00", b"\r\n\r\nX"] {
            assert_eq!(parse_header(bad), Err(ProxyError::NoHeader), "{bad:?}");
        }
        for bad in [
            &b"PROXY TCP4 300.0.0.1 10.0.0.1 1 2\r\n"[..],
            b"PROXY TCP4 10.0.0.1 10.0.0.1 99999 2\r\n",
            b"PROXY TCP5 10.0.0.1 10.0.0.1 1 2\r\n",
            b"PROXY TCP4 10.0.0.1 10.0.0.1 1 2\rX",
            b"PROXY TCP6 10.0.0.1 10.0.0.1 1 2\r\n",
        ] {
            let e = parse_header(bad).unwrap_err();
            assert!(matches!(e, ProxyError::Malformed { version: 1, .. }), "{bad:?}: {e:?}");
            assert_eq!(e.kind(), ErrorKind::Syntax);
        }
        let mut v2 = encode_v2(sa("192.0.2.7:1"), sa("198.51.100.1:2")).unwrap();
        v2[12] = 0x31; // version 3
        assert!(matches!(parse_header(&v2), Err(ProxyError::Malformed { version: 2, .. })));
    }

    #[test]
    fn headers_are_bounded() {
        let long = [b"PROXY TCP4 ".as_slice(), &[b'1'; 120]].concat();
        assert_eq!(parse_header(&long), Err(ProxyError::TooLong));
        // Found by the fuzzer: a line end after the bound was taken for an incomplete header.
        let long = [b"PROXY TCP4 ".as_slice(), &[b'1'; 120], b"\r"].concat();
        assert_eq!(parse_header(&long), Err(ProxyError::TooLong));
        let exact = format!("PROXY UNKNOWN {}\r\n", "x".repeat(91));
        assert_eq!(exact.len(), 107);
        assert!(matches!(parse_header(exact.as_bytes()), Ok(HeaderStatus::Complete(h)) if h.len == 107));
        assert_eq!(parse_header(format!("PROXY UNKNOWN {}\r\n", "x".repeat(92)).as_bytes()), Err(ProxyError::TooLong));
        // Binary bytes in a v1 line are refused as they arrive, not at the bound.
        assert!(matches!(parse_header(b"PROXY TC\0"), Err(ProxyError::Malformed { version: 1, .. })));
        let mut v2 = V2_SIGNATURE.to_vec();
        v2.extend_from_slice(&[0x21, 0x11, 0xff, 0xff]);
        assert_eq!(parse_header(&v2), Err(ProxyError::TooLong));
        assert_eq!(ProxyError::TooLong.kind(), ErrorKind::TooLong);
    }

    #[test]
    fn udp_and_unix_sockets_are_not_ftp() {
        let udp = ppp::v2::Builder::with_addresses(
            ppp::v2::Version::Two | ppp::v2::Command::Proxy,
            ppp::v2::Protocol::Datagram,
            ppp::v2::Addresses::from((sa("192.0.2.7:1"), sa("198.51.100.1:2"))),
        )
        .build()
        .unwrap();
        assert!(matches!(parse_header(&udp), Err(ProxyError::Unsupported(_))));
    }

    #[test]
    fn only_trusted_proxies_may_send_headers() {
        let policy = ProxyPolicy::new(vec![
            "127.0.0.9".parse().unwrap(),
            "10.1.0.0/16".parse().unwrap(),
            "fd00::/8".parse().unwrap(),
        ]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(policy.admit_control(ip("127.0.0.9")), Admission::ReadHeader);
        assert_eq!(policy.admit_control(ip("10.1.200.3")), Admission::ReadHeader);
        assert_eq!(policy.admit_control(ip("::ffff:10.1.0.1")), Admission::ReadHeader);
        assert_eq!(policy.admit_control(ip("fd12::1")), Admission::ReadHeader);
        let refused = policy.admit_control(ip("127.0.0.1"));
        assert_eq!(refused, Admission::Refuse(ProxyError::Untrusted(ip("127.0.0.1"))));
        assert!(matches!(&refused, Admission::Refuse(e) if e.kind() == ErrorKind::Refused));
        assert_eq!(policy.admit_control(ip("10.2.0.1")), Admission::Refuse(ProxyError::Untrusted(ip("10.2.0.1"))));
        // Data connections: a header from the proxies, the client's own connection otherwise.
        assert_eq!(policy.admit_data(ip("127.0.0.9")), Admission::ReadHeader);
        assert_eq!(policy.admit_data(ip("127.0.0.1")), Admission::Direct);
    }

    #[test]
    fn networks_parse_and_match() {
        let c: Cidr = "192.168.1.77/24".parse().unwrap();
        assert_eq!(c.to_string(), "192.168.1.77/24");
        assert!(c.contains("192.168.1.1".parse().unwrap()));
        assert!(!c.contains("192.168.2.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!("::/0".parse::<Cidr>().unwrap().contains("2001:db8::1".parse().unwrap()));
        assert!("::1".parse::<Cidr>().unwrap().contains("::1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "::/129", "10.0.0/8", "x", "10.0.0.0/", "/8"] {
            assert!(matches!(bad.parse::<Cidr>(), Err(ProxyError::BadNetwork(_))), "{bad}");
        }
    }
}
