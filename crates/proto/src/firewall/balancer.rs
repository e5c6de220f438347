//! Several server instances behind one TCP load balancer (HAProxy with the PROXY protocol): the rules the load
//! balancer's host and each instance's host need, HAProxy's configuration, and each instance's `ftpkit serve` flags,
//! all from one description ([`Balanced`]) — the flags the server takes (`--bind`, `--pasv-range`, `--masquerade`,
//! `--trusted-proxy`).
//!
//! ```text
//!   clients ──► LB public:CONTROL ──(from the LB's source address)──► instance i bind:port   (send-proxy-v2)
//!   clients ──► LB public:RANGE_i ──(from the LB's source address)──► instance i, same port  (send-proxy-v2)
//!   instance i ──► clients (active mode: PORT/EPRT; not through the LB)
//! ```
//!
//! Each instance has its own passive range, forwarded by the load balancer to that instance only, so a passive data
//! connection reaches the instance that announced it; every instance announces the load balancer's public address
//! (`--masquerade`). The ranges must not overlap, and no range may hold the control port.
//!
//! The network-namespace lab loads all of it (docs/LAB.md, rows 8a-8p): sessions through HAProxy reach the
//! instances, and the connections [`Guard::admits_new_between`](super::Guard::admits_new_between) refuses are dropped.

use super::{rules_for, Channel, Direction, FirewallError, Hosts, Mode, PortRange, Ports, Purpose, Side};
use core::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

/// One server instance: where it listens for control connections (`ftpkit serve --bind`) and its passive range
/// (`--pasv-range`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance {
    /// The control listener's address and port.
    pub bind: SocketAddr,
    /// Its passive ports, forwarded by the load balancer to it alone.
    pub passive: PortRange,
}

/// A load-balanced deployment, checked: see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Balanced {
    public: IpAddr,
    source: IpAddr,
    control: u16,
    instances: Vec<Instance>,
    active_source: PortRange,
}

impl Balanced {
    /// The load balancer's public address (what clients dial and every instance announces in 227: `ftpkit serve
    /// --masquerade`) and control port, its source address toward the instances (their `--trusted-proxy`), and the
    /// instances. Refused: no instance, a control port of 0, passive ranges that overlap, or one that holds the
    /// control port.
    pub fn new(
        public: IpAddr,
        control: u16,
        source: IpAddr,
        instances: Vec<Instance>,
    ) -> Result<Balanced, FirewallError> {
        if control == 0 {
            return Err(FirewallError::ZeroPort { field: "control" });
        }
        if instances.is_empty() {
            return Err(FirewallError::Balancer { reason: "no instance" });
        }
        for (i, a) in instances.iter().enumerate() {
            if a.bind.port() == 0 {
                return Err(FirewallError::ZeroPort { field: "instance control" });
            }
            if a.passive.contains(control) {
                return Err(FirewallError::Balancer {
                    reason: "a passive range holds the load balancer's control port",
                });
            }
            let overlaps = instances[i + 1..]
                .iter()
                .any(|b| a.passive.start() <= b.passive.end() && b.passive.start() <= a.passive.end());
            if overlaps {
                return Err(FirewallError::Balancer {
                    reason: "two instances' passive ranges overlap (each range is forwarded to one instance)",
                });
            }
        }
        let active_source = Ports::default().active_source();
        Ok(Balanced { public, source, control, instances, active_source })
    }

    /// The instances' source ports for active-mode data connections (default 20; an instance that cannot bind
    /// port 20 connects from an ephemeral port: give 1024-65535).
    pub fn with_active_source(self, active_source: PortRange) -> Balanced {
        Balanced { active_source, ..self }
    }

    /// The instances, in order.
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// Instance `i`'s name in the HAProxy configuration and the rules (`a`, `b`, ... then `i27`, ...).
    pub fn name(i: usize) -> String {
        match u8::try_from(i) {
            Ok(n) if n < 26 => char::from(b'a' + n).to_string(),
            _ => format!("i{i}"),
        }
    }

    /// Ports with this control port (never 0: checked by [`Balanced::new`]) and passive range.
    fn ports(&self, control: u16, passive: PortRange) -> Ports {
        Ports::default()
            .with_control(control)
            .unwrap_or_default()
            .with_passive(passive)
            .with_active_source(self.active_source)
    }

    /// The channels the load balancer's host passes: from anywhere to its control port and every instance's range
    /// (inbound), and from its source address to each instance's control port and range (outbound).
    pub fn balancer_channels(&self) -> Vec<Channel> {
        let mut inbound = Vec::new();
        let mut outbound = Vec::new();
        for (i, inst) in self.instances.iter().enumerate() {
            // Toward clients the balancer is the server of a passive session...
            let front = rules_for(
                Mode::Passive,
                Side::Server,
                &self.ports(self.control, inst.passive),
                &Hosts { server: Some(self.public), client: None },
            );
            inbound.extend(front.into_iter().filter(|c| {
                c.direction == Direction::Inbound && !c.is_reply_traffic() && (i == 0 || c.purpose == Purpose::Data)
            }));
            // ...and toward the instance, its client.
            let back = rules_for(
                Mode::Passive,
                Side::Client,
                &self.ports(inst.bind.port(), inst.passive),
                &Hosts { server: Some(inst.bind.ip()), client: Some(self.source) },
            );
            outbound.extend(back.into_iter().filter(|c| c.direction == Direction::Outbound && !c.is_reply_traffic()));
        }
        inbound.extend(outbound);
        inbound
    }

    /// The channels instance `i`'s host passes: its control port and its own passive range from the load
    /// balancer's source address only, and active-mode data connections out to any client (they do not pass
    /// through the load balancer). `None` past the last instance.
    pub fn instance_channels(&self, i: usize) -> Option<Vec<Channel>> {
        let inst = self.instances.get(i)?;
        let ports = self.ports(inst.bind.port(), inst.passive);
        let mut out: Vec<Channel> = rules_for(
            Mode::Passive,
            Side::Server,
            &ports,
            &Hosts { server: Some(inst.bind.ip()), client: Some(self.source) },
        )
        .into_iter()
        .filter(|c| !c.is_reply_traffic())
        .collect();
        let active =
            rules_for(Mode::Active, Side::Server, &ports, &Hosts { server: Some(inst.bind.ip()), client: None });
        out.extend(active.into_iter().filter(|c| c.purpose == Purpose::Data && !c.is_reply_traffic()));
        Some(out)
    }

    /// Instance `i`'s `ftpkit serve` flags (after the storage argument): `--bind`, `--pasv-range`, `--masquerade`,
    /// `--proxy-protocol --trusted-proxy`. `None` past the last instance.
    pub fn serve_flags(&self, i: usize) -> Option<String> {
        let inst = self.instances.get(i)?;
        Some(format!(
            "--bind {} --pasv-range {}-{} --masquerade {} --proxy-protocol --trusted-proxy {}",
            inst.bind,
            inst.passive.start(),
            inst.passive.end(),
            self.public,
            self.source
        ))
    }
}

/// HAProxy's configuration for a [`Balanced`] deployment: one TCP frontend on the public control port balanced
/// round-robin over the instances (health-checked, the checks carrying PROXY headers too), and one frontend per
/// instance's passive range forwarded to that instance alone on the same port; every connection to an instance
/// starts with a PROXY v2 header and comes from the source address.
pub fn render_haproxy(b: &Balanced) -> String {
    let mut out = String::new();
    out.push_str(
        "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n\
         frontend ftp\n",
    );
    let _ = writeln!(out, "  bind {}\n  default_backend ftp", listen(b.public, b.control));
    let _ = writeln!(out, "backend ftp\n  balance roundrobin\n  source {}", b.source);
    for (i, inst) in b.instances.iter().enumerate() {
        let _ = writeln!(out, "  server {} {} send-proxy-v2 check check-send-proxy", Balanced::name(i), inst.bind);
    }
    for (i, inst) in b.instances.iter().enumerate() {
        let name = Balanced::name(i);
        let range = format!("{}-{}", inst.passive.start(), inst.passive.end());
        let _ =
            writeln!(out, "frontend pasv_{name}\n  bind {}\n  default_backend pasv_{name}", listen(b.public, &range));
        let _ = writeln!(out, "backend pasv_{name}\n  source {}", b.source);
        // No port on the server line: the connection keeps the port the client dialled.
        let _ = writeln!(out, "  server {name} {} send-proxy-v2", host(inst.bind.ip()));
    }
    out
}

/// `ADDR:PORTS` as HAProxy's `bind` takes it (`[v6]:PORTS`).
fn listen(ip: IpAddr, ports: impl core::fmt::Display) -> String {
    format!("{}:{ports}", host(ip))
}

fn host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Everything a [`Balanced`] deployment needs, in one text: each instance's `ftpkit serve` flags, HAProxy's
/// configuration, the load balancer's host rules and each instance's host rules (nftables, or iptables-save lines
/// with `iptables`), each part under a `# ==== ... ====` heading. What `ftpkit firewall --balancer` prints.
pub fn render_balanced(b: &Balanced, iptables: bool) -> String {
    let rules = |channels: &[Channel]| {
        if iptables {
            super::render_iptables(channels)
        } else {
            super::render_nft(channels)
        }
    };
    let mut out = String::from("# ==== each instance: ftpkit serve STORAGE FLAGS ====\n");
    for i in 0..b.instances.len() {
        let _ = writeln!(out, "# {}: ftpkit serve STORAGE {}", Balanced::name(i), b.serve_flags(i).unwrap_or_default());
    }
    out.push_str("\n# ==== HAProxy (haproxy.cfg) ====\n");
    out.push_str(&render_haproxy(b));
    out.push_str("\n# ==== the load balancer's host ====\n");
    out.push_str(&rules(&b.balancer_channels()));
    for i in 0..b.instances.len() {
        let _ = writeln!(out, "\n# ==== instance {}'s host ====", Balanced::name(i));
        out.push_str(&rules(&b.instance_channels(i).unwrap_or_default()));
    }
    out
}
