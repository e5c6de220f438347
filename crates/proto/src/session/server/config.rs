//! Server policy and limits: [`ServerConfig`] and the passive-address choice ([`Masquerade`]).

use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::time::Duration;

/// An IPv4 network, `addr/prefix`, for choosing a masquerade address by the client's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Net {
    /// The network address (host bits are ignored).
    pub addr: Ipv4Addr,
    /// The prefix length, 0-32 (over 32 counts as 32).
    pub prefix: u8,
}

impl Ipv4Net {
    /// True when `ip` is inside the network.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let prefix = u32::from(self.prefix.min(32));
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        (u32::from(self.addr) & mask) == (u32::from(ip) & mask)
    }
}

/// The address a 227 reply advertises (EPSV replies carry no address).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Masquerade {
    /// The server's own address of the control connection (must be IPv4, else PASV gets 425).
    #[default]
    Off,
    /// Always this address (a server behind NAT).
    One(Ipv4Addr),
    /// The address of the first rule whose network holds the client's address; else `fallback`; else the
    /// server's own address (split horizon: LAN clients get the LAN address).
    ByNetwork {
        /// `(network, address)` pairs, tried in order.
        rules: Vec<(Ipv4Net, Ipv4Addr)>,
        /// The address when no rule matches.
        fallback: Option<Ipv4Addr>,
    },
}

impl Masquerade {
    /// The IPv4 address to advertise to `client` from a control connection on `server`, if there is one.
    pub fn choose(&self, client: IpAddr, server: IpAddr) -> Option<Ipv4Addr> {
        let own = match canonical(server) {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        };
        match self {
            Masquerade::Off => own,
            Masquerade::One(a) => Some(*a),
            Masquerade::ByNetwork { rules, fallback } => {
                let hit = match canonical(client) {
                    IpAddr::V4(c) => rules.iter().find(|(net, _)| net.contains(c)).map(|(_, a)| *a),
                    IpAddr::V6(_) => None,
                };
                hit.or(*fallback).or(own)
            }
        }
    }
}

/// Server policy and limits. [`Default`] is the safe setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The 220 greeting text (`\n` separates lines of a multi-line greeting). Default `ftpkit ready`.
    pub greeting: String,
    /// Allow `USER anonymous` / `USER ftp` with any password, read-only, without an `Authenticate` request.
    /// Default off.
    pub anonymous: bool,
    /// Ports a passive listener may use. Default 49152-65534.
    pub passive_ports: RangeInclusive<u16>,
    /// The address advertised in 227 replies. Default [`Masquerade::Off`].
    pub masquerade: Masquerade,
    /// Refuse PORT/EPRT naming another host than the client (FTP bounce). Default on.
    pub bounce_protection: bool,
    /// Refuse PORT/EPRT ports below 1024. Default on.
    pub refuse_privileged_ports: bool,
    /// Refuse passive data connections from another address than the client's. Default on.
    pub check_data_source: bool,
    /// Close a session idle this long (421). Default 300 s. The caller keeps the clock.
    pub idle_timeout: Duration,
    /// Give up on a data connection that has not come this long after a transfer command (425). Default 30 s.
    pub data_connect_timeout: Duration,
    /// Failed logins before the session closes with 421. Default 3.
    pub max_failed_logins: u32,
    /// Longest command line in bytes, line end not counted. Default 4096 (as vsftpd).
    pub max_line: usize,
    /// Accept `\` in path arguments (a separator on Windows, so refused with 553 by default).
    pub allow_backslash: bool,
    /// FTPS (RFC 4217) policy. Default: no TLS (AUTH gets 502).
    pub tls: TlsPolicy,
    /// What the storage back end can do; the session refuses the rest honestly (502/504) instead of pretending.
    /// Default: everything (a local file system).
    pub storage: StorageCaps,
    /// The virtual hosts a client may select with HOST before login (RFC 7151). Empty by default: HOST gets 502
    /// and FEAT does not list it. The caller maps the chosen name ([`ServerSession::host`](super::ServerSession::host))
    /// to that host's root when the login succeeds.
    pub vhosts: Vec<VirtualHost>,
}

/// A virtual host (RFC 7151): its name and the 220 greeting HOST answers with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VirtualHost {
    /// The name HOST selects it by (compared without regard to ASCII case).
    pub name: String,
    /// The 220 reply's text (`\n` separates lines).
    pub greeting: String,
}

/// What a storage back end can do, as the session needs to know it to answer. An object store, say, cannot append
/// to an object or write into the middle of one, and renames by copy and delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StorageCaps {
    /// APPE: append to an existing file. Without it, APPE gets 502.
    pub append: bool,
    /// STOR after REST n: write from byte n of an existing file. Without it, such a STOR gets 504 (REST itself is
    /// still taken: it also serves RETR).
    pub rest_upload: bool,
    /// RNFR/RNTO is atomic (a rename). Without it (copy, then delete), the 250 says so.
    pub atomic_rename: bool,
    /// A file's modification time can be set (MFMT). Without it, MFMT gets 502 and FEAT does not list it.
    pub set_mtime: bool,
    /// Unix permission bits can be set (SITE CHMOD). Without it, SITE CHMOD gets 502 and SITE HELP does not list
    /// it.
    pub chmod: bool,
    /// RNFR/RNTO of a directory. Without it, RNFR naming a directory gets 504 (on an object store a directory is a
    /// key prefix: renaming it is a copy and a delete of every object under it, one by one, which can stop halfway
    /// and leave the tree split between both names).
    pub rename_dirs: bool,
}

impl StorageCaps {
    /// Nothing beyond whole-file reads and writes: an object store such as S3.
    pub const NONE: StorageCaps = StorageCaps {
        append: false,
        rest_upload: false,
        atomic_rename: false,
        set_mtime: false,
        chmod: false,
        rename_dirs: false,
    };
    /// Everything: a local file system.
    pub const ALL: StorageCaps = StorageCaps {
        append: true,
        rest_upload: true,
        atomic_rename: true,
        set_mtime: true,
        chmod: true,
        rename_dirs: true,
    };
}

impl Default for StorageCaps {
    fn default() -> Self {
        StorageCaps::ALL
    }
}

/// What a protected data connection that did not resume the control connection's TLS session gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TlsReuse {
    /// Refuse it: 522 (the default when TLS is required). Stops a third party that connects to a passive port
    /// with its own TLS session from being served.
    Require,
    /// Serve it, but say so in the log.
    #[default]
    Warn,
    /// Do not check.
    Off,
}

/// FTPS policy as data (RFC 2228, RFC 4217). [`Default`] is "no TLS".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TlsPolicy {
    /// The shell has a certificate: AUTH TLS/SSL is accepted and FEAT lists AUTH TLS, PBSZ and PROT.
    pub available: bool,
    /// USER (and so every login) only on a protected control connection: 530 before AUTH.
    pub require_login: bool,
    /// Transfers only over protected data connections: a transfer command under PROT C gets 521.
    pub require_data: bool,
    /// CCC (back to a clear control connection after login) is allowed; otherwise 534.
    pub allow_ccc: bool,
    /// The check that a protected data connection resumed this control connection's TLS session.
    pub reuse: TlsReuse,
}

impl TlsPolicy {
    /// TLS available and required for login and data, data connections bound to the control session (522
    /// otherwise), CCC refused: the strict setting.
    pub fn required() -> Self {
        TlsPolicy {
            available: true,
            require_login: true,
            require_data: true,
            allow_ccc: false,
            reuse: TlsReuse::Require,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            greeting: String::from("ftpkit ready"),
            anonymous: false,
            passive_ports: 49152..=65534,
            masquerade: Masquerade::Off,
            bounce_protection: true,
            refuse_privileged_ports: true,
            check_data_source: true,
            idle_timeout: Duration::from_secs(300),
            data_connect_timeout: Duration::from_secs(30),
            max_failed_logins: 3,
            max_line: 4096,
            allow_backslash: false,
            tls: TlsPolicy::default(),
            storage: StorageCaps::ALL,
            vhosts: Vec::new(),
        }
    }
}

/// The IPv4 form of an IPv4-mapped IPv6 address; other addresses unchanged.
pub(super) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}
