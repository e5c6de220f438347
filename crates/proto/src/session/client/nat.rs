//! Which address a client connects to after a `227` reply: the NAT policy, as data.
//!
//! A `227` names an address, and a server behind NAT often names its private one (`10.0.0.5`), or `0.0.0.0`, or
//! its loopback. Trusting that address also lets a hostile server aim the client at a third host (CVE-2020-8284,
//! CVE-2021-4189). [`PasvAddressPolicy`] decides; whenever the announced address differs from the control
//! connection's peer, the session says so with a [`NatNotice`], whatever the policy.
//!
//! A `229` names only a port: the address is always the control connection's peer, and no policy applies.
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// A caller-supplied rule: given the announced address and the control connection's peer, the address to use.
pub type PasvAddressFn = dyn Fn(IpAddr, IpAddr) -> IpAddr + Send + Sync;

/// What to connect to when a `227` reply names an address other than the control connection's peer.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum PasvAddressPolicy {
    /// Always use the control connection's peer address with the announced port (the default; what curl >= 7.74.0,
    /// CPython's ftplib and Apache commons-net do since CVE-2020-8284 / CVE-2021-4189).
    #[default]
    UseControlPeer,
    /// Use the announced address as is (the RFC 959 behaviour; needed for FXP or servers with a separate data host).
    TrustServer,
    /// lftp's heuristic: use the announced address unless it is bogus, i.e. unspecified (`0.0.0.0`), loopback while
    /// the peer is not, multicast, or private while the peer is public; then use the peer's address.
    ReplaceBogus,
    /// The caller decides: `f(announced, peer)` gives the address to connect to.
    Custom(Arc<PasvAddressFn>),
}

impl fmt::Debug for PasvAddressPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PasvAddressPolicy::UseControlPeer => "UseControlPeer",
            PasvAddressPolicy::TrustServer => "TrustServer",
            PasvAddressPolicy::ReplaceBogus => "ReplaceBogus",
            PasvAddressPolicy::Custom(_) => "Custom(..)",
        })
    }
}

/// Why an announced passive address differs from the control connection's peer, most telling reason first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NatReason {
    /// The server announced `0.0.0.0` (or `::`): it does not know its own address.
    Unspecified,
    /// The server announced a loopback address while the peer is not loopback.
    Loopback,
    /// The server announced a multicast address (no data connection can go there).
    Multicast,
    /// The server announced a private (RFC 1918, link-local, CGNAT, IPv6 ULA) address while the peer is public:
    /// the server is behind NAT and does not know its public address.
    PrivateBehindPublic,
    /// Some other address: a server with a separate data host, a misconfigured server, or an FXP / bounce attempt.
    OtherHost,
}

impl NatReason {
    /// Classify an announced address that differs from `peer`.
    pub fn classify(announced: IpAddr, peer: IpAddr) -> NatReason {
        let announced = announced.to_canonical();
        let peer = peer.to_canonical();
        if announced.is_unspecified() {
            NatReason::Unspecified
        } else if announced.is_loopback() && !peer.is_loopback() {
            NatReason::Loopback
        } else if announced.is_multicast() {
            NatReason::Multicast
        } else if is_private(announced) && is_public(peer) {
            NatReason::PrivateBehindPublic
        } else {
            NatReason::OtherHost
        }
    }

    /// True for the reasons [`PasvAddressPolicy::ReplaceBogus`] replaces (all but [`NatReason::OtherHost`]).
    pub const fn is_bogus(self) -> bool {
        !matches!(self, NatReason::OtherHost)
    }
}

/// Told alongside a `ConnectData` event when a `227` named another address than the control connection's peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NatNotice {
    /// The address and port the server announced.
    pub announced: SocketAddr,
    /// The control connection's peer address.
    pub peer: IpAddr,
    /// The address and port the session tells the caller to connect to (the policy's choice).
    pub used: SocketAddr,
    /// Why the announced address looks the way it does.
    pub reason: NatReason,
}

impl PasvAddressPolicy {
    /// The address to connect to for an announced passive address, and a notice when the announced address is not
    /// the peer's or the policy changed it. The port is always the announced one.
    pub fn resolve(&self, announced: SocketAddr, peer: IpAddr) -> (SocketAddr, Option<NatNotice>) {
        let same = announced.ip().to_canonical() == peer.to_canonical();
        let reason = NatReason::classify(announced.ip(), peer);
        let ip = match self {
            PasvAddressPolicy::UseControlPeer => peer,
            PasvAddressPolicy::TrustServer => announced.ip(),
            PasvAddressPolicy::ReplaceBogus if same || !reason.is_bogus() => announced.ip(),
            PasvAddressPolicy::ReplaceBogus => peer,
            PasvAddressPolicy::Custom(f) => f(announced.ip(), peer),
        };
        let used = SocketAddr::new(ip, announced.port());
        let notice = (!same || used != announced).then_some(NatNotice {
            announced,
            peer,
            used,
            reason: if same { NatReason::OtherHost } else { reason },
        });
        (used, notice)
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local() || is_shared_v4(v4),
        IpAddr::V6(v6) => is_unique_local_v6(v6) || is_link_local_v6(v6),
    }
}

fn is_public(ip: IpAddr) -> bool {
    !(is_private(ip) || ip.is_loopback() || ip.is_unspecified() || ip.is_multicast())
}

/// 100.64.0.0/10, carrier-grade NAT (RFC 6598).
fn is_shared_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    a == 100 && (b & 0xc0) == 64
}

/// fc00::/7 (RFC 4193).
fn is_unique_local_v6(ip: Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xfe00) == 0xfc00
}

/// fe80::/10.
fn is_link_local_v6(ip: Ipv6Addr) -> bool {
    (ip.segments()[0] & 0xffc0) == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classify_table() {
        let table: &[(&str, &str, NatReason)] = &[
            ("0.0.0.0", "203.0.113.7", NatReason::Unspecified),
            ("127.0.0.1", "203.0.113.7", NatReason::Loopback),
            ("224.0.0.1", "203.0.113.7", NatReason::Multicast),
            ("10.0.0.5", "203.0.113.7", NatReason::PrivateBehindPublic),
            ("192.168.1.2", "203.0.113.7", NatReason::PrivateBehindPublic),
            ("172.16.0.9", "203.0.113.7", NatReason::PrivateBehindPublic),
            ("169.254.3.4", "203.0.113.7", NatReason::PrivateBehindPublic),
            ("100.64.0.1", "203.0.113.7", NatReason::PrivateBehindPublic),
            ("10.0.0.5", "192.168.1.1", NatReason::OtherHost),
            ("198.51.100.1", "203.0.113.7", NatReason::OtherHost),
            ("127.0.0.1", "127.0.0.2", NatReason::OtherHost),
            ("10.0.0.5", "::ffff:203.0.113.7", NatReason::PrivateBehindPublic),
            ("10.0.0.5", "2001:db8::1", NatReason::PrivateBehindPublic),
            ("10.0.0.5", "fd00::1", NatReason::OtherHost),
        ];
        for &(announced, peer, want) in table {
            assert_eq!(NatReason::classify(ip(announced), ip(peer)), want, "{announced} vs {peer}");
        }
    }

    #[test]
    fn policies_table() {
        let custom = PasvAddressPolicy::Custom(Arc::new(|_, _| IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9))));
        // (policy, announced, peer, used, notice reason)
        let table: &[(&PasvAddressPolicy, &str, &str, &str, Option<NatReason>)] = &[
            (
                &PasvAddressPolicy::UseControlPeer,
                "10.0.0.5:5000",
                "203.0.113.7",
                "203.0.113.7:5000",
                Some(NatReason::PrivateBehindPublic),
            ),
            (&PasvAddressPolicy::UseControlPeer, "203.0.113.7:5000", "203.0.113.7", "203.0.113.7:5000", None),
            (
                &PasvAddressPolicy::UseControlPeer,
                "198.51.100.1:21",
                "203.0.113.7",
                "203.0.113.7:21",
                Some(NatReason::OtherHost),
            ),
            (
                &PasvAddressPolicy::TrustServer,
                "10.0.0.5:5000",
                "203.0.113.7",
                "10.0.0.5:5000",
                Some(NatReason::PrivateBehindPublic),
            ),
            (
                &PasvAddressPolicy::TrustServer,
                "0.0.0.0:5000",
                "203.0.113.7",
                "0.0.0.0:5000",
                Some(NatReason::Unspecified),
            ),
            (
                &PasvAddressPolicy::ReplaceBogus,
                "10.0.0.5:5000",
                "203.0.113.7",
                "203.0.113.7:5000",
                Some(NatReason::PrivateBehindPublic),
            ),
            (
                &PasvAddressPolicy::ReplaceBogus,
                "0.0.0.0:5000",
                "10.1.1.1",
                "10.1.1.1:5000",
                Some(NatReason::Unspecified),
            ),
            (
                &PasvAddressPolicy::ReplaceBogus,
                "127.0.0.1:5000",
                "203.0.113.7",
                "203.0.113.7:5000",
                Some(NatReason::Loopback),
            ),
            (&PasvAddressPolicy::ReplaceBogus, "127.0.0.1:5000", "127.0.0.1", "127.0.0.1:5000", None),
            (
                &PasvAddressPolicy::ReplaceBogus,
                "224.1.2.3:5000",
                "203.0.113.7",
                "203.0.113.7:5000",
                Some(NatReason::Multicast),
            ),
            (
                &PasvAddressPolicy::ReplaceBogus,
                "198.51.100.1:5000",
                "203.0.113.7",
                "198.51.100.1:5000",
                Some(NatReason::OtherHost),
            ),
            (
                &PasvAddressPolicy::ReplaceBogus,
                "10.0.0.5:5000",
                "10.0.0.1",
                "10.0.0.5:5000",
                Some(NatReason::OtherHost),
            ),
            (&custom, "10.0.0.5:5000", "203.0.113.7", "198.51.100.9:5000", Some(NatReason::PrivateBehindPublic)),
            (&custom, "203.0.113.7:5000", "203.0.113.7", "198.51.100.9:5000", Some(NatReason::OtherHost)),
        ];
        for (i, &(policy, announced, peer, used, reason)) in table.iter().enumerate() {
            let (got, notice) = policy.resolve(sa(announced), ip(peer));
            assert_eq!(got, sa(used), "row {i}: {policy:?} {announced} {peer}");
            assert_eq!(notice.map(|n| n.reason), reason, "row {i}");
            if let Some(n) = notice {
                assert_eq!((n.announced, n.peer, n.used), (sa(announced), ip(peer), sa(used)), "row {i}");
            }
        }
    }
}
