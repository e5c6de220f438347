//! The firewall model: which TCP flows each FTP mode needs, as plain data.
//!
//! FTP uses two connections, and which end opens the data connection depends on the mode. A firewall on either end
//! has to let four packet flows through per mode. This module states those four flows for each mode and each side as
//! [`Channel`] values filled with the real ports ([`Ports`]), and renders them as text, JSON, an nftables snippet or
//! iptables-save lines (see [`render_text`], [`render_json`], [`render_nft`], [`render_iptables`]; the tight form
//! with the kernel's FTP conntrack helper: [`render_nft_with`], [`render_iptables_with`] and [`DataMatch`]). A NAT
//! router's rules in front of either side are [`NatRules`] ([`render_nat_nft`], [`render_nat_iptables`]), and
//! [`predict`] walks one transfer through firewalls, NAT, TLS and the client's 227 policy to say whether and where
//! it fails. The network-namespace lab (`tests/src/lab/`, `docs/LAB.md`) checks all of it against the kernel.
//!
//! ```text
//!   active : command  client >1023 ──► server 21        passive: command  client >1023 ──► server 21
//!            data     client >1023 ◄── server 20                 data     client >1023 ──► server >1023
//! ```
//!
//! The model is computed, never looked up: nothing here touches a socket or a real firewall.
//!
//! # Conventions
//! - [`Direction`] is as seen by the firewall of the [`Channel::side`] the channel belongs to.
//! - The local end of a channel is always that side's own host ([`Host::Server`] or [`Host::Client`]). On the server
//!   side the remote end is [`Host::Any`] (a server cannot know its clients in advance); on the client side it is
//!   [`Host::Server`] (the client knows which server it dials). [`rules_for`] replaces them with addresses the caller
//!   knows.
//! - "Ports > 1023" is [`PortRange::UNPRIVILEGED`], `1024-65535`.
//! - [`Channel::initiator`] is who opened the TCP connection the packets belong to; a channel whose sender is not the
//!   initiator is reply traffic ([`Channel::is_reply_traffic`]), which a stateful firewall passes as part of an
//!   established connection.
//!
//! ```
//! use ftpkit_proto::firewall::{rules, Direction, Mode, Ports, PortRange, Side};
//!
//! let ports = Ports::default().with_passive(PortRange::new(30000, 30009)?);
//! let server = rules(Mode::Passive, Side::Server, &ports);
//! assert_eq!(server[2].direction, Direction::Inbound);
//! assert_eq!(server[2].to.ports, PortRange::new(30000, 30009)?);
//! assert!(!server[2].is_reply_traffic());
//! # Ok::<(), ftpkit_proto::firewall::FirewallError>(())
//! ```

use core::fmt;
use core::str::FromStr;
use std::net::IpAddr;

mod balancer;
mod nat;
mod predict;
mod render;

pub use balancer::{render_balanced, render_haproxy, Balanced, Instance};
pub use nat::{render_nat_iptables, render_nat_nft, NatRules};
pub use predict::{predict, At, Check, ControlTls, Guard, Nat, NewConnection, Path, Prediction};
pub use render::{
    render_iptables, render_iptables_with, render_json, render_nft, render_nft_with, render_text, NFT_HELPER,
};

/// Errors building [`PortRange`] and [`Ports`] values or parsing the names of this module's enums.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FirewallError {
    /// A port was 0; TCP ports for these rules are 1-65535.
    #[error("{field} is port 0, but ports are 1-65535")]
    ZeroPort {
        /// Which value (`"control"`, `"passive"`, `"port range"`, ...).
        field: &'static str,
    },
    /// A range's start was over its end.
    #[error("{field} range {start}-{end} is reversed: start {start} is over end {end}")]
    ReversedRange {
        /// Which value.
        field: &'static str,
        /// The given start.
        start: u16,
        /// The given end.
        end: u16,
    },
    /// A number in a port or range text was over 65535.
    #[error("{field}: a number is over 65535")]
    PortTooLarge {
        /// Which value.
        field: &'static str,
    },
    /// A port or range text was not `N` or `A-B` with 1 to 5 ASCII digits each.
    #[error("{field}: expected a port \"N\" or a range \"A-B\" of ASCII digits, found {reason}")]
    BadRangeSyntax {
        /// Which value.
        field: &'static str,
        /// What was wrong (`"an empty text"`, `"a non-digit character"`, ...).
        reason: &'static str,
    },
    /// A name that is not one of the enum's names (e.g. `"sideways"` for a [`Mode`]).
    #[error("{field}: not one of {expected}")]
    UnknownName {
        /// Which enum (`"mode"`, `"side"`, ...).
        field: &'static str,
        /// The accepted names, for the message.
        expected: &'static str,
    },
    /// A NAT router's inside and public addresses were of different families.
    #[error("NAT addresses: the inside and the public address must both be IPv4 or both IPv6")]
    MixedFamilies,
    /// A load-balanced deployment that cannot work ([`Balanced::new`]).
    #[error("load balancer: {reason}")]
    Balancer {
        /// What is wrong.
        reason: &'static str,
    },
}

impl FirewallError {
    /// The stable class of this error.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            FirewallError::ZeroPort { .. }
            | FirewallError::ReversedRange { .. }
            | FirewallError::PortTooLarge { .. } => crate::ErrorKind::Range,
            FirewallError::BadRangeSyntax { .. } | FirewallError::UnknownName { .. } | FirewallError::MixedFamilies => {
                crate::ErrorKind::Syntax
            }
            FirewallError::Balancer { .. } => crate::ErrorKind::Range,
        }
    }
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $field:literal, $expected:literal, { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $v),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stable lower-case name used in JSON and by the bindings.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$v => $s),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $name {
            type Err = FirewallError;

            /// Parses the lower-case name, ASCII case-insensitively.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $(if s.eq_ignore_ascii_case($s) {
                    return Ok($name::$v);
                })+
                Err(FirewallError::UnknownName { field: $field, expected: $expected })
            }
        }
    };
}

named_enum!(
    /// The FTP data connection mode.
    Mode, "mode", "active, passive", {
        /// The server connects back to the port the client named (PORT/EPRT).
        Active => "active",
        /// The client connects to the port the server named (PASV/EPSV).
        Passive => "passive",
    }
);

named_enum!(
    /// Which end of the FTP session a firewall protects.
    Side, "side", "server, client", {
        /// The FTP server's host.
        Server => "server",
        /// The FTP client's host.
        Client => "client",
    }
);

named_enum!(
    /// The direction of a packet flow as seen by the firewall of the channel's side.
    Direction, "direction", "inbound, outbound", {
        /// Packets arriving at this side's host.
        Inbound => "inbound",
        /// Packets leaving this side's host.
        Outbound => "outbound",
    }
);

named_enum!(
    /// Which FTP connection a packet flow belongs to.
    Purpose, "purpose", "control, data", {
        /// The command (control) connection.
        Control => "control",
        /// The data connection.
        Data => "data",
    }
);

named_enum!(
    /// Who opened the TCP connection a packet flow belongs to.
    Initiator, "initiator", "client, server", {
        /// The FTP client opened it.
        Client => "client",
        /// The FTP server opened it.
        Server => "server",
    }
);

named_enum!(
    /// How a firewall recognises an FTP data connection.
    DataMatch, "data match", "ports, helper", {
        /// By its port ranges: a rule per data channel with `ct state new` (works under TLS; opens whole ranges).
        Ports => "ports",
        /// By the kernel's FTP conntrack helper: the control connection gets `ct helper set`, and a data connection
        /// passes only as `related` to the PORT/227 the helper read (exactly one port; blind under TLS).
        Helper => "helper",
    }
);

impl DataMatch {
    /// One paragraph on what this form of the rules lets in, for the text rendering.
    pub const fn summary(self) -> &'static str {
        match self {
            DataMatch::Ports => {
                "Data connections are matched by port ranges: every port of the range is open to new connections, \
                 whether or not a transfer announced it; this works under TLS too."
            }
            DataMatch::Helper => {
                "With the conntrack helper only the control port is open to new connections: the kernel's FTP helper \
                 reads each PORT/EPRT/227/229 on the control connection and lets exactly the announced data \
                 connection in as related; no other port opens. It cannot read a control connection under TLS \
                 (FTPS), where the data connections are then refused."
            }
        }
    }
}

impl Side {
    /// The other end of the session.
    pub const fn peer(self) -> Side {
        match self {
            Side::Server => Side::Client,
            Side::Client => Side::Server,
        }
    }

    /// This side in the role of an [`Initiator`].
    pub const fn as_initiator(self) -> Initiator {
        match self {
            Side::Server => Initiator::Server,
            Side::Client => Initiator::Client,
        }
    }
}

/// An inclusive, non-empty range of TCP ports within 1-65535. A single port is a range with `start == end`.
///
/// Construct it with [`PortRange::new`], [`PortRange::single`] or by parsing `"N"` / `"A-B"`; its `Display` writes
/// the same forms back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    start: u16,
    end: u16,
}

impl PortRange {
    /// The unprivileged ports, `1024-65535` (the seed's "ports > 1023").
    pub const UNPRIVILEGED: PortRange = PortRange { start: 1024, end: 65535 };

    /// A range `start..=end`; both ends 1-65535, `start <= end`.
    pub const fn new(start: u16, end: u16) -> Result<PortRange, FirewallError> {
        PortRange::checked("port range", start, end)
    }

    /// One port.
    pub const fn single(port: u16) -> Result<PortRange, FirewallError> {
        PortRange::checked("port", port, port)
    }

    const fn checked(field: &'static str, start: u16, end: u16) -> Result<PortRange, FirewallError> {
        if start == 0 || end == 0 {
            return Err(FirewallError::ZeroPort { field });
        }
        if start > end {
            return Err(FirewallError::ReversedRange { field, start, end });
        }
        Ok(PortRange { start, end })
    }

    /// Parses `"N"` or `"A-B"` (1-5 ASCII digits each, no blanks), naming `field` in errors.
    pub fn parse_field(text: &str, field: &'static str) -> Result<PortRange, FirewallError> {
        let (a, b) = match text.split_once('-') {
            Some((a, b)) => (a, Some(b)),
            None => (text, None),
        };
        let start = parse_port_number(a, field)?;
        let end = match b {
            Some(b) => parse_port_number(b, field)?,
            None => start,
        };
        PortRange::checked(field, start, end)
    }

    /// The first port.
    pub const fn start(self) -> u16 {
        self.start
    }

    /// The last port (inclusive).
    pub const fn end(self) -> u16 {
        self.end
    }

    /// Whether the range is one port.
    pub const fn is_single(self) -> bool {
        self.start == self.end
    }

    /// Whether `port` lies in the range.
    pub const fn contains(self, port: u16) -> bool {
        self.start <= port && port <= self.end
    }

    /// How many ports the range holds (1-65535).
    pub const fn len(self) -> u32 {
        self.end as u32 - self.start as u32 + 1
    }

    /// Always `false`: a range holds at least one port. Present for API symmetry with `len`.
    pub const fn is_empty(self) -> bool {
        false
    }
}

fn parse_port_number(s: &str, field: &'static str) -> Result<u16, FirewallError> {
    if s.is_empty() {
        return Err(FirewallError::BadRangeSyntax { field, reason: "an empty number" });
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FirewallError::BadRangeSyntax { field, reason: "a character that is not an ASCII digit" });
    }
    if s.len() > 5 {
        return Err(FirewallError::PortTooLarge { field });
    }
    let n: u32 = s.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0'));
    u16::try_from(n).map_err(|_| FirewallError::PortTooLarge { field })
}

impl fmt::Display for PortRange {
    /// `"21"` for a single port, `"1024-65535"` for a range.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

impl FromStr for PortRange {
    type Err = FirewallError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PortRange::parse_field(s, "port range")
    }
}

/// A host in a rule: a role whose address the model does not know, or a concrete address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    /// The FTP server's host.
    Server,
    /// The FTP client's host.
    Client,
    /// Any host ("from anywhere").
    Any,
    /// A concrete address the caller gave.
    Addr(IpAddr),
}

impl fmt::Display for Host {
    /// `server`, `client`, `any`, or the address (IPv6 without brackets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Server => f.write_str("server"),
            Host::Client => f.write_str("client"),
            Host::Any => f.write_str("any"),
            Host::Addr(ip) => write!(f, "{ip}"),
        }
    }
}

/// One end of a packet flow: a host and its ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// The host.
    pub host: Host,
    /// The ports on that host.
    pub ports: PortRange,
}

/// The ports an FTP deployment uses. Every value is valid by construction.
///
/// | field | default | meaning |
/// | --- | --- | --- |
/// | `control` | 21 | the server's command port |
/// | `active_source` | 20 | the server's source port for active data connections (a server that cannot bind 20 uses an ephemeral port: give a range) |
/// | `passive` | 1024-65535 | the ports the server listens on for passive data connections (its configured range) |
/// | `client` | 1024-65535 | the client's ports (control source port and active-mode data port) |
///
/// Overlaps (a control port inside the passive range, say) are allowed: they describe real deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ports {
    control: u16,
    active_source: PortRange,
    passive: PortRange,
    client: PortRange,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            control: 21,
            active_source: PortRange { start: 20, end: 20 },
            passive: PortRange::UNPRIVILEGED,
            client: PortRange::UNPRIVILEGED,
        }
    }
}

impl Ports {
    /// All four values at once.
    pub fn new(
        control: u16,
        active_source: PortRange,
        passive: PortRange,
        client: PortRange,
    ) -> Result<Ports, FirewallError> {
        Ports::default().with_control(control).map(|p| Ports { active_source, passive, client, ..p })
    }

    /// All four values from plain integers (ranges as inclusive `(start, end)` pairs), for the bindings. Errors name
    /// the field (`"control"`, `"active_source"`, `"passive"`, `"client"`).
    pub fn from_numbers(
        control: u16,
        active_source: (u16, u16),
        passive: (u16, u16),
        client: (u16, u16),
    ) -> Result<Ports, FirewallError> {
        Ok(Ports {
            control: PortRange::checked("control", control, control)?.start,
            active_source: PortRange::checked("active_source", active_source.0, active_source.1)?,
            passive: PortRange::checked("passive", passive.0, passive.1)?,
            client: PortRange::checked("client", client.0, client.1)?,
        })
    }

    /// Sets the server's control port; 0 is refused.
    pub fn with_control(self, control: u16) -> Result<Ports, FirewallError> {
        if control == 0 {
            return Err(FirewallError::ZeroPort { field: "control" });
        }
        Ok(Ports { control, ..self })
    }

    /// Sets the server's source ports for active-mode data connections.
    pub fn with_active_source(self, active_source: PortRange) -> Ports {
        Ports { active_source, ..self }
    }

    /// Sets the server's passive port range.
    pub fn with_passive(self, passive: PortRange) -> Ports {
        Ports { passive, ..self }
    }

    /// Sets the client's port range.
    pub fn with_client(self, client: PortRange) -> Ports {
        Ports { client, ..self }
    }

    /// The server's control port.
    pub const fn control(&self) -> u16 {
        self.control
    }

    /// The control port as a one-port range.
    pub const fn control_range(&self) -> PortRange {
        PortRange { start: self.control, end: self.control }
    }

    /// The server's active-mode data source ports.
    pub const fn active_source(&self) -> PortRange {
        self.active_source
    }

    /// The server's passive port range.
    pub const fn passive(&self) -> PortRange {
        self.passive
    }

    /// The client's port range.
    pub const fn client(&self) -> PortRange {
        self.client
    }
}

/// Addresses the caller knows, put into the rules by [`rules_for`] in place of the roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hosts {
    /// The server's address: replaces [`Host::Server`].
    pub server: Option<IpAddr>,
    /// The client's address: replaces [`Host::Client`], and [`Host::Any`] on the server side (restricting the server
    /// to one known client).
    pub client: Option<IpAddr>,
}

/// One packet flow a firewall must pass: one of the seed's four lines per mode and side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channel {
    /// Whose firewall this channel is for.
    pub side: Side,
    /// The direction as seen by that firewall.
    pub direction: Direction,
    /// The sender of the packets.
    pub from: Endpoint,
    /// The receiver of the packets.
    pub to: Endpoint,
    /// Control or data connection.
    pub purpose: Purpose,
    /// Who opened the TCP connection these packets belong to.
    pub initiator: Initiator,
    /// Why the flow exists, in the seed's words (e.g. `"Client initiates connection"`).
    pub description: &'static str,
}

impl Channel {
    /// The side that sends these packets.
    pub const fn sender(&self) -> Side {
        match self.direction {
            Direction::Outbound => self.side,
            Direction::Inbound => self.side.peer(),
        }
    }

    /// Whether these packets flow back within a connection the other end opened (the receiver is the initiator).
    /// A stateful firewall passes them as established traffic; only the other channels need a rule for new
    /// connections.
    pub const fn is_reply_traffic(&self) -> bool {
        !matches!(
            (self.sender(), self.initiator),
            (Side::Server, Initiator::Server) | (Side::Client, Initiator::Client)
        )
    }

    /// The end on this side's host (`to` for inbound, `from` for outbound).
    pub const fn local(&self) -> Endpoint {
        match self.direction {
            Direction::Inbound => self.to,
            Direction::Outbound => self.from,
        }
    }

    /// The end on the other host.
    pub const fn remote(&self) -> Endpoint {
        match self.direction {
            Direction::Inbound => self.from,
            Direction::Outbound => self.to,
        }
    }
}

/// The seed's reason texts, per mode, in the seed's order.
const ACTIVE_WHY: [&str; 4] = [
    "Client initiates connection",
    "Server responds to client's control port",
    "Server initiates data connection to client's data port",
    "Client sends ACKs to server's data port",
];
const PASSIVE_WHY: [&str; 4] = [
    "Client initiates connection",
    "Server responds to client's control port",
    "Client initiates data connection to random port specified by server",
    "Server sends ACKs (and data) to client's data port",
];

/// The four channels `side`'s firewall must pass for `mode`, in the seed's order: the control connection
/// (request, response), then the data connection (the initiator's packets, the acceptor's packets).
///
/// The server side is the seed's list exactly; the client side is its mirror image.
pub fn rules(mode: Mode, side: Side, ports: &Ports) -> [Channel; 4] {
    let (data_initiator, server_data, why) = match mode {
        Mode::Active => (Initiator::Server, ports.active_source, ACTIVE_WHY),
        Mode::Passive => (Initiator::Client, ports.passive, PASSIVE_WHY),
    };
    let remote_host = match side {
        Side::Server => Host::Any,
        Side::Client => Host::Server,
    };
    let local_host = match side {
        Side::Server => Host::Server,
        Side::Client => Host::Client,
    };
    let (server_host, client_host) = match side {
        Side::Server => (local_host, remote_host),
        Side::Client => (remote_host, local_host),
    };
    let server_ctl = Endpoint { host: server_host, ports: ports.control_range() };
    let server_dat = Endpoint { host: server_host, ports: server_data };
    let client_end = Endpoint { host: client_host, ports: ports.client };
    // (sender is the client?, server endpoint, purpose, initiator, why)
    let flows = [
        (true, server_ctl, Purpose::Control, Initiator::Client, why[0]),
        (false, server_ctl, Purpose::Control, Initiator::Client, why[1]),
        (data_initiator == Initiator::Client, server_dat, Purpose::Data, data_initiator, why[2]),
        (data_initiator == Initiator::Server, server_dat, Purpose::Data, data_initiator, why[3]),
    ];
    flows.map(|(client_sends, server_end, purpose, initiator, description)| {
        let (from, to) = if client_sends { (client_end, server_end) } else { (server_end, client_end) };
        let sender = if client_sends { Side::Client } else { Side::Server };
        let direction = if sender == side { Direction::Outbound } else { Direction::Inbound };
        Channel { side, direction, from, to, purpose, initiator, description }
    })
}

/// [`rules`] with the roles replaced by the addresses in `hosts` where given.
pub fn rules_for(mode: Mode, side: Side, ports: &Ports, hosts: &Hosts) -> [Channel; 4] {
    let swap = |host: Host| -> Host {
        match (host, hosts.server, hosts.client) {
            (Host::Server, Some(ip), _) => Host::Addr(ip),
            (Host::Client, _, Some(ip)) | (Host::Any, _, Some(ip)) => Host::Addr(ip),
            (other, _, _) => other,
        }
    };
    rules(mode, side, ports).map(|mut c| {
        c.from.host = swap(c.from.host);
        c.to.host = swap(c.to.host);
        c
    })
}

/// The channels for a side that supports both modes: active's four, then passive's data channels (the control
/// channels are the same in both modes and appear once). Six channels.
pub fn rules_both(side: Side, ports: &Ports) -> Vec<Channel> {
    let mut out = rules(Mode::Active, side, ports).to_vec();
    out.extend(rules(Mode::Passive, side, ports).into_iter().filter(|c| c.purpose == Purpose::Data));
    out
}

/// What [`explain`] says about a mode from one side's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Explanation {
    /// The mode explained.
    pub mode: Mode,
    /// The side whose point of view it is.
    pub side: Side,
    /// Whose firewall sees the data connection arrive as a new inbound connection: the client's in active mode, the
    /// server's in passive mode.
    pub inbound_data_at: Side,
    /// Whether `side`'s own firewall must accept a new inbound data connection (`inbound_data_at == side`).
    pub needs_inbound_data: bool,
    /// One paragraph on what this side's firewall faces in this mode.
    pub summary: &'static str,
    /// One paragraph on how NAT interferes with this mode.
    pub nat: &'static str,
}

/// Which firewall has to accept the data connection in `mode`, and why NAT gets in the way, from `side`'s view.
pub fn explain(mode: Mode, side: Side) -> Explanation {
    let inbound_data_at = match mode {
        Mode::Active => Side::Client,
        Mode::Passive => Side::Server,
    };
    let summary = match (mode, side) {
        (Mode::Active, Side::Server) => {
            "In active mode the server's firewall only accepts connections to the control port; the server itself \
             dials out for every transfer, from its data source port to the port the client named in PORT. That is \
             the easy side: outbound connections are rarely blocked."
        }
        (Mode::Active, Side::Client) => {
            "In active mode the client names one of its own ports in PORT and waits for the server to dial in. To the \
             client's firewall that is an outside host opening a connection to an inside machine, which is exactly \
             what firewalls exist to stop, so active mode usually fails on the client side unless the firewall \
             understands FTP or leaves the client's high ports open."
        }
        (Mode::Passive, Side::Server) => {
            "In passive mode the client opens both connections, so the server's firewall must accept new connections \
             to its passive ports as well as to the control port. Configuring the server to use a small passive port \
             range keeps that opening narrow."
        }
        (Mode::Passive, Side::Client) => {
            "In passive mode the client opens both connections, the data one to the port the server named in its 227 \
             reply. The client's firewall sees only outbound connections and their replies, so passive mode works \
             behind almost any client-side firewall."
        }
    };
    let nat = match mode {
        Mode::Active => {
            "Active mode breaks behind a client-side NAT because the PORT command carries the client's own address \
             inside the control connection's payload. Behind NAT that is a private address such as 192.168.x.x, which \
             the server cannot reach; and the server's connection back arrives at the NAT device, which has no mapping \
             for it. Only a NAT that rewrites the PORT text (an FTP helper) makes it work."
        }
        Mode::Passive => {
            "Passive mode survives a client-side NAT, since the client dials out both times. A server behind NAT has \
             the mirror problem: its 227 reply carries the server's own, possibly private, address, so the server must \
             be told to advertise its public address (and the NAT must forward the passive port range)."
        }
    };
    Explanation { mode, side, inbound_data_at, needs_inbound_data: inbound_data_at == side, summary, nat }
}

#[cfg(test)]
mod tests;
