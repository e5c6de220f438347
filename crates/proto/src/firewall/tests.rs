//! Unit tests: the 16 channels pinned to the seed, ports, names, errors, renderers.

use super::*;
use std::net::{Ipv4Addr, Ipv6Addr};

type Row = (Mode, Side, Direction, (Host, u16, u16), (Host, u16, u16), Purpose, Initiator, bool, &'static str);

/// `Ports::from_numbers` arguments.
type Numbers = (u16, (u16, u16), (u16, u16), (u16, u16));

const HI: u16 = 1024;
const TOP: u16 = 65535;

/// The seed's four lines per mode for the server, and their mirror for the client, with the default ports.
/// (mode, side, direction, from, to, purpose, initiator, reply, description)
fn seed_table() -> Vec<Row> {
    use Direction::{Inbound as In, Outbound as Out};
    use Host::{Any, Client as Cl, Server as Sv};
    use Initiator::{Client as ByClient, Server as ByServer};
    use Mode::{Active as A, Passive as P};
    use Purpose::{Control as Ctl, Data as Dat};
    use Side::{Client as C, Server as S};
    vec![
        // Active, server side: the seed's list.
        (A, S, In, (Any, HI, TOP), (Sv, 21, 21), Ctl, ByClient, false, "Client initiates connection"),
        (A, S, Out, (Sv, 21, 21), (Any, HI, TOP), Ctl, ByClient, true, "Server responds to client's control port"),
        (
            A,
            S,
            Out,
            (Sv, 20, 20),
            (Any, HI, TOP),
            Dat,
            ByServer,
            false,
            "Server initiates data connection to client's data port",
        ),
        (A, S, In, (Any, HI, TOP), (Sv, 20, 20), Dat, ByServer, true, "Client sends ACKs to server's data port"),
        // Passive, server side: the seed's list.
        (P, S, In, (Any, HI, TOP), (Sv, 21, 21), Ctl, ByClient, false, "Client initiates connection"),
        (P, S, Out, (Sv, 21, 21), (Any, HI, TOP), Ctl, ByClient, true, "Server responds to client's control port"),
        (
            P,
            S,
            In,
            (Any, HI, TOP),
            (Sv, HI, TOP),
            Dat,
            ByClient,
            false,
            "Client initiates data connection to random port specified by server",
        ),
        (
            P,
            S,
            Out,
            (Sv, HI, TOP),
            (Any, HI, TOP),
            Dat,
            ByClient,
            true,
            "Server sends ACKs (and data) to client's data port",
        ),
        // Active, client side: the mirror; the data connection arrives inbound (the seed's "main problem").
        (A, C, Out, (Cl, HI, TOP), (Sv, 21, 21), Ctl, ByClient, false, "Client initiates connection"),
        (A, C, In, (Sv, 21, 21), (Cl, HI, TOP), Ctl, ByClient, true, "Server responds to client's control port"),
        (
            A,
            C,
            In,
            (Sv, 20, 20),
            (Cl, HI, TOP),
            Dat,
            ByServer,
            false,
            "Server initiates data connection to client's data port",
        ),
        (A, C, Out, (Cl, HI, TOP), (Sv, 20, 20), Dat, ByServer, true, "Client sends ACKs to server's data port"),
        // Passive, client side: only outbound connections.
        (P, C, Out, (Cl, HI, TOP), (Sv, 21, 21), Ctl, ByClient, false, "Client initiates connection"),
        (P, C, In, (Sv, 21, 21), (Cl, HI, TOP), Ctl, ByClient, true, "Server responds to client's control port"),
        (
            P,
            C,
            Out,
            (Cl, HI, TOP),
            (Sv, HI, TOP),
            Dat,
            ByClient,
            false,
            "Client initiates data connection to random port specified by server",
        ),
        (
            P,
            C,
            In,
            (Sv, HI, TOP),
            (Cl, HI, TOP),
            Dat,
            ByClient,
            true,
            "Server sends ACKs (and data) to client's data port",
        ),
    ]
}

fn range(a: u16, b: u16) -> PortRange {
    match PortRange::new(a, b) {
        Ok(r) => r,
        Err(e) => panic!("test range {a}-{b}: {e}"),
    }
}

#[test]
fn all_sixteen_channels_match_the_seed() {
    let table = seed_table();
    assert_eq!(table.len(), 16);
    let ports = Ports::default();
    for (i, row) in table.iter().enumerate() {
        let (mode, side, direction, from, to, purpose, initiator, reply, description) = *row;
        let got = rules(mode, side, &ports)[i % 4];
        let want = Channel {
            side,
            direction,
            from: Endpoint { host: from.0, ports: range(from.1, from.2) },
            to: Endpoint { host: to.0, ports: range(to.1, to.2) },
            purpose,
            initiator,
            description,
        };
        assert_eq!(got, want, "row {i}: {mode} {side} #{}", i % 4 + 1);
        assert_eq!(got.is_reply_traffic(), reply, "row {i}: reply flag");
    }
}

#[test]
fn text_matches_the_seed_wording() {
    let want = "\
FTP server's port 21 from ports > 1023 on any host (Client initiates connection)
FTP server's port 21 to ports > 1023 on any host (Server responds to client's control port)
FTP server's port 20 to ports > 1023 on any host (Server initiates data connection to client's data port)
FTP server's port 20 from ports > 1023 on any host (Client sends ACKs to server's data port)
FTP server's port 21 from ports > 1023 on any host (Client initiates connection)
FTP server's port 21 to ports > 1023 on any host (Server responds to client's control port)
FTP server's ports > 1023 from ports > 1023 on any host (Client initiates data connection to random port specified by server)
FTP server's ports > 1023 to ports > 1023 on any host (Server sends ACKs (and data) to client's data port)
FTP client's ports > 1023 to port 21 on the FTP server (Client initiates connection)
FTP client's ports > 1023 from port 21 on the FTP server (Server responds to client's control port)
FTP client's ports > 1023 from port 20 on the FTP server (Server initiates data connection to client's data port)
FTP client's ports > 1023 to port 20 on the FTP server (Client sends ACKs to server's data port)
FTP client's ports > 1023 to port 21 on the FTP server (Client initiates connection)
FTP client's ports > 1023 from port 21 on the FTP server (Server responds to client's control port)
FTP client's ports > 1023 to ports > 1023 on the FTP server (Client initiates data connection to random port specified by server)
FTP client's ports > 1023 from ports > 1023 on the FTP server (Server sends ACKs (and data) to client's data port)
";
    let ports = Ports::default();
    let mut all = Vec::new();
    for side in [Side::Server, Side::Client] {
        for mode in [Mode::Active, Mode::Passive] {
            all.extend(rules(mode, side, &ports));
        }
    }
    assert_eq!(render_text(&all), want);
}

#[test]
fn only_active_client_and_passive_server_accept_new_inbound_data() {
    let ports = Ports::default();
    for &mode in Mode::ALL {
        for &side in Side::ALL {
            let new_inbound_data = rules(mode, side, &ports)
                .iter()
                .any(|c| c.purpose == Purpose::Data && c.direction == Direction::Inbound && !c.is_reply_traffic());
            let e = explain(mode, side);
            assert_eq!(new_inbound_data, e.needs_inbound_data, "{mode} {side}");
            let want_at = if mode == Mode::Active { Side::Client } else { Side::Server };
            assert_eq!(e.inbound_data_at, want_at);
            assert_eq!(e.needs_inbound_data, want_at == side);
        }
    }
}

#[test]
fn explain_texts() {
    let a = explain(Mode::Active, Side::Client);
    assert!(a.nat.contains("PORT"), "{}", a.nat);
    assert!(a.nat.contains("private address"), "{}", a.nat);
    let p = explain(Mode::Passive, Side::Server);
    assert!(p.nat.contains("227"), "{}", p.nat);
    assert!(p.summary.contains("passive port range"), "{}", p.summary);
}

#[test]
fn custom_ports_flow_into_channels() {
    let ports = match Ports::from_numbers(2121, (2020, 2020), (30000, 30009), (1024, 65535)) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let a = rules(Mode::Active, Side::Server, &ports);
    assert_eq!(a[0].to.ports, range(2121, 2121));
    assert_eq!(a[1].from.ports, range(2121, 2121));
    assert_eq!(a[2].from.ports, range(2020, 2020));
    assert_eq!(a[3].to.ports, range(2020, 2020));
    let p = rules(Mode::Passive, Side::Client, &ports);
    assert_eq!(p[0].to.ports, range(2121, 2121));
    assert_eq!(p[2].to.ports, range(30000, 30009));
    assert_eq!(p[3].from.ports, range(30000, 30009));
    assert_eq!(p[2].from.ports, PortRange::UNPRIVILEGED);
}

#[test]
fn rules_for_puts_addresses_in() {
    let s = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
    let c = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7));
    let ports = Ports::default();
    let only_server = Hosts { server: Some(s), client: None };
    let both = Hosts { server: Some(s), client: Some(c) };
    let x = rules_for(Mode::Passive, Side::Server, &ports, &only_server);
    assert_eq!(x[0].from.host, Host::Any);
    assert_eq!(x[0].to.host, Host::Addr(s));
    let x = rules_for(Mode::Passive, Side::Server, &ports, &both);
    assert_eq!(x[0].from.host, Host::Addr(c));
    let x = rules_for(Mode::Active, Side::Client, &ports, &both);
    assert_eq!((x[2].from.host, x[2].to.host), (Host::Addr(s), Host::Addr(c)));
    let x = rules_for(Mode::Active, Side::Client, &ports, &Hosts::default());
    assert_eq!(x, rules(Mode::Active, Side::Client, &ports));
}

#[test]
fn rules_both_has_six_distinct_channels() {
    for &side in Side::ALL {
        let both = rules_both(side, &Ports::default());
        assert_eq!(both.len(), 6);
        assert_eq!(both.iter().filter(|c| c.purpose == Purpose::Control).count(), 2);
        for (i, a) in both.iter().enumerate() {
            for b in &both[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}

#[test]
fn port_range_parse_table() {
    let ok: &[(&str, u16, u16)] = &[("21", 21, 21), ("1024-65535", 1024, 65535), ("1-1", 1, 1), ("00021", 21, 21)];
    for &(text, a, b) in ok {
        assert_eq!(text.parse::<PortRange>(), Ok(range(a, b)), "{text:?}");
    }
    let bad: &[(&str, FirewallError)] = &[
        ("", FirewallError::BadRangeSyntax { field: "port range", reason: "an empty number" }),
        ("21-", FirewallError::BadRangeSyntax { field: "port range", reason: "an empty number" }),
        ("-21", FirewallError::BadRangeSyntax { field: "port range", reason: "an empty number" }),
        (
            " 21",
            FirewallError::BadRangeSyntax { field: "port range", reason: "a character that is not an ASCII digit" },
        ),
        (
            "+21",
            FirewallError::BadRangeSyntax { field: "port range", reason: "a character that is not an ASCII digit" },
        ),
        (
            "1-2-3",
            FirewallError::BadRangeSyntax { field: "port range", reason: "a character that is not an ASCII digit" },
        ),
        ("٢١", FirewallError::BadRangeSyntax { field: "port range", reason: "a character that is not an ASCII digit" }),
        ("65536", FirewallError::PortTooLarge { field: "port range" }),
        ("1-999999", FirewallError::PortTooLarge { field: "port range" }),
        ("0", FirewallError::ZeroPort { field: "port range" }),
        ("0-10", FirewallError::ZeroPort { field: "port range" }),
        ("30-20", FirewallError::ReversedRange { field: "port range", start: 30, end: 20 }),
    ];
    for (text, want) in bad {
        assert_eq!(text.parse::<PortRange>().as_ref(), Err(want), "{text:?}");
    }
}

#[test]
fn error_kinds_and_messages() {
    let table: &[(FirewallError, crate::ErrorKind, &str)] = &[
        (
            FirewallError::ZeroPort { field: "control" },
            crate::ErrorKind::Range,
            "control is port 0, but ports are 1-65535",
        ),
        (
            FirewallError::ReversedRange { field: "passive", start: 30009, end: 30000 },
            crate::ErrorKind::Range,
            "passive range 30009-30000 is reversed: start 30009 is over end 30000",
        ),
        (FirewallError::PortTooLarge { field: "client" }, crate::ErrorKind::Range, "client: a number is over 65535"),
        (
            FirewallError::BadRangeSyntax { field: "port range", reason: "an empty number" },
            crate::ErrorKind::Syntax,
            "port range: expected a port \"N\" or a range \"A-B\" of ASCII digits, found an empty number",
        ),
        (
            FirewallError::UnknownName { field: "mode", expected: "active, passive" },
            crate::ErrorKind::Syntax,
            "mode: not one of active, passive",
        ),
    ];
    for (e, kind, msg) in table {
        assert_eq!(e.kind(), *kind);
        assert_eq!(e.to_string(), *msg);
    }
}

#[test]
fn ports_validation_names_the_field() {
    assert_eq!(Ports::default().with_control(0), Err(FirewallError::ZeroPort { field: "control" }));
    let cases: &[(Numbers, FirewallError)] = &[
        ((0, (20, 20), (1024, 65535), (1024, 65535)), FirewallError::ZeroPort { field: "control" }),
        ((21, (0, 20), (1024, 65535), (1024, 65535)), FirewallError::ZeroPort { field: "active_source" }),
        (
            (21, (20, 20), (2000, 1999), (1024, 65535)),
            FirewallError::ReversedRange { field: "passive", start: 2000, end: 1999 },
        ),
        ((21, (20, 20), (1024, 65535), (1024, 0)), FirewallError::ZeroPort { field: "client" }),
    ];
    for ((c, a, p, cl), want) in cases {
        assert_eq!(Ports::from_numbers(*c, *a, *p, *cl).as_ref(), Err(want));
    }
    assert_eq!(Ports::from_numbers(21, (20, 20), (1024, 65535), (1024, 65535)), Ok(Ports::default()));
    let d = Ports::default();
    assert_eq!(
        (d.control(), d.active_source(), d.passive(), d.client()),
        (21, range(20, 20), PortRange::UNPRIVILEGED, PortRange::UNPRIVILEGED)
    );
}

#[test]
fn enum_names_round_trip() {
    for &m in Mode::ALL {
        assert_eq!(m.name().parse::<Mode>(), Ok(m));
    }
    for &s in Side::ALL {
        assert_eq!(s.name().to_ascii_uppercase().parse::<Side>(), Ok(s));
    }
    for &d in Direction::ALL {
        assert_eq!(d.to_string().parse::<Direction>(), Ok(d));
    }
    for &p in Purpose::ALL {
        assert_eq!(p.name().parse::<Purpose>(), Ok(p));
    }
    for &i in Initiator::ALL {
        assert_eq!(i.name().parse::<Initiator>(), Ok(i));
    }
    assert_eq!(
        "sideways".parse::<Mode>(),
        Err(FirewallError::UnknownName { field: "mode", expected: "active, passive" })
    );
}

#[test]
fn nft_default_passive_server() {
    let out = render_nft(&rules(Mode::Passive, Side::Server, &Ports::default()));
    let rules_only: Vec<&str> = out.lines().map(str::trim).filter(|l| l.starts_with("tcp ")).collect();
    assert_eq!(
        rules_only,
        [
            "tcp sport 1024-65535 tcp dport 21 ct state new accept",
            "tcp sport 1024-65535 tcp dport 1024-65535 ct state new accept",
        ]
    );
    assert_eq!(out.matches("ct state established,related accept").count(), 2);
    assert!(out.contains("type filter hook input priority 0; policy drop;"));
    assert!(out.contains("type filter hook output priority 0; policy drop;"));
}

#[test]
fn iptables_default_active_client() {
    let out = render_iptables(&rules(Mode::Active, Side::Client, &Ports::default()));
    let rules_only: Vec<&str> = out.lines().filter(|l| l.starts_with("-A ")).collect();
    assert_eq!(
        rules_only,
        [
            "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A INPUT -p tcp -m tcp --sport 20 --dport 1024:65535 -m conntrack --ctstate NEW -j ACCEPT",
            "-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A OUTPUT -p tcp -m tcp --sport 1024:65535 --dport 21 -m conntrack --ctstate NEW -j ACCEPT",
        ]
    );
    assert!(out.starts_with("# "));
    assert!(out.contains("*filter\n:INPUT DROP [0:0]\n:OUTPUT DROP [0:0]\n"));
    assert!(out.ends_with("COMMIT\n"));
}

#[test]
fn renderers_with_addresses() {
    let s = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
    let c = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7));
    let x = rules_for(Mode::Passive, Side::Server, &Ports::default(), &Hosts { server: Some(s), client: None });
    let nft = render_nft(&x);
    assert!(nft.contains("\t\tip daddr 192.0.2.10 tcp sport 1024-65535 tcp dport 21 ct state new accept\n"), "{nft}");
    let ipt = render_iptables(&x);
    assert!(
        ipt.contains("-A INPUT -d 192.0.2.10/32 -p tcp -m tcp --sport 1024:65535 --dport 21 -m conntrack"),
        "{ipt}"
    );
    let text = render_text(&x);
    assert!(text.starts_with("FTP server 192.0.2.10's port 21 from ports > 1023 on any host"), "{text}");
    let y = rules_for(Mode::Active, Side::Client, &Ports::default(), &Hosts { server: None, client: Some(c) });
    let nft = render_nft(&y);
    assert!(nft.contains("\t\tip6 daddr 2001:db8::7 tcp sport 20 tcp dport 1024-65535 ct state new accept\n"), "{nft}");
    let json = render_json(&y);
    assert!(json.contains("\"to\": {\"host\": \"2001:db8::7\", \"ports\": \"1024-65535\"}"), "{json}");
}

#[test]
fn empty_inputs() {
    assert_eq!(render_json(&[]), "[]\n");
    assert_eq!(render_text(&[]), "");
    assert!(render_nft(&[]).contains("policy drop"));
    assert!(render_iptables(&[]).ends_with("COMMIT\n"));
}

#[test]
fn helper_form_opens_the_control_port_only() {
    let server = rules(Mode::Passive, Side::Server, &Ports::default());
    let nft = render_nft_with(&server, DataMatch::Helper);
    let rules_only: Vec<&str> = nft.lines().map(str::trim).filter(|l| l.starts_with("tcp ")).collect();
    assert_eq!(rules_only, ["tcp sport 1024-65535 tcp dport 21 ct state new ct helper set \"ftpkit-ftp\" accept"]);
    assert!(
        nft.contains("\tct helper ftpkit-ftp {\n\t\ttype \"ftp\" protocol tcp;\n\t\tl3proto inet;\n\t}\n"),
        "{nft}"
    );
    assert!(nft.contains("# (passed as related: the FTP helper"), "{nft}");
    assert_eq!(render_nft_with(&server, DataMatch::Ports), render_nft(&server));
    let client = rules(Mode::Active, Side::Client, &Ports::default());
    let ipt = render_iptables_with(&client, DataMatch::Helper);
    let rules_only: Vec<&str> = ipt.lines().filter(|l| l.starts_with("-A ")).collect();
    assert_eq!(
        rules_only,
        [
            "-A OUTPUT -p tcp -m tcp --sport 1024:65535 --dport 21 -j CT --helper ftp",
            "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A OUTPUT -p tcp -m tcp --sport 1024:65535 --dport 21 -m conntrack --ctstate NEW -j ACCEPT",
        ]
    );
    assert!(ipt.contains("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"), "{ipt}");
    assert_eq!(render_iptables_with(&client, DataMatch::Ports), render_iptables(&client));
    assert_eq!("HELPER".parse::<DataMatch>(), Ok(DataMatch::Helper));
    assert!(DataMatch::Helper.summary().contains("cannot read a control connection under TLS"));
    assert!(DataMatch::Ports.summary().contains("under TLS too"));
    assert_eq!(FirewallError::MixedFamilies.kind(), crate::ErrorKind::Syntax);
}

fn two_instances() -> Balanced {
    let inst = |ip: [u8; 4], lo: u16| Instance {
        bind: std::net::SocketAddr::from((ip, 2121)),
        passive: PortRange::new(lo, lo + 9).unwrap(),
    };
    let public = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));
    let source = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5));
    Balanced::new(public, 21, source, vec![inst([10, 0, 0, 11], 30000), inst([10, 0, 0, 12], 30010)]).unwrap()
}

/// The load balancer takes the control port and every instance's range from anywhere, and opens connections from
/// its source address to each instance's control port and own range, nothing else.
#[test]
fn a_load_balancer_forwards_the_control_port_and_each_instances_range() {
    let b = two_instances();
    let nft = render_nft_with(&b.balancer_channels(), DataMatch::Ports);
    let rules_only: Vec<&str> = nft.lines().map(str::trim).filter(|l| l.starts_with("ip ")).collect();
    assert_eq!(
        rules_only,
        [
            "ip daddr 203.0.113.5 tcp sport 1024-65535 tcp dport 21 ct state new accept",
            "ip daddr 203.0.113.5 tcp sport 1024-65535 tcp dport 30000-30009 ct state new accept",
            "ip daddr 203.0.113.5 tcp sport 1024-65535 tcp dport 30010-30019 ct state new accept",
            "ip saddr 10.0.0.5 ip daddr 10.0.0.11 tcp sport 1024-65535 tcp dport 2121 ct state new accept",
            "ip saddr 10.0.0.5 ip daddr 10.0.0.11 tcp sport 1024-65535 tcp dport 30000-30009 ct state new accept",
            "ip saddr 10.0.0.5 ip daddr 10.0.0.12 tcp sport 1024-65535 tcp dport 2121 ct state new accept",
            "ip saddr 10.0.0.5 ip daddr 10.0.0.12 tcp sport 1024-65535 tcp dport 30010-30019 ct state new accept",
        ],
        "{nft}"
    );
    // The first three are input, the rest output.
    let input = nft.split("chain output").next().unwrap_or_default();
    assert_eq!(input.matches("ip daddr 203.0.113.5").count(), 3, "{nft}");
}

/// An instance takes its control port and its own range from the load balancer only, and connects out to clients
/// for active mode; its serve flags and HAProxy's lines come from the same description.
#[test]
fn each_instance_takes_only_the_load_balancer_and_its_own_range() {
    let b = two_instances().with_active_source(PortRange::UNPRIVILEGED);
    let nft = render_nft_with(&b.instance_channels(1).unwrap(), DataMatch::Ports);
    let rules_only: Vec<&str> = nft.lines().map(str::trim).filter(|l| l.starts_with("ip ")).collect();
    assert_eq!(
        rules_only,
        [
            "ip saddr 10.0.0.5 ip daddr 10.0.0.12 tcp sport 1024-65535 tcp dport 2121 ct state new accept",
            "ip saddr 10.0.0.5 ip daddr 10.0.0.12 tcp sport 1024-65535 tcp dport 30010-30019 ct state new accept",
            "ip saddr 10.0.0.12 tcp sport 1024-65535 tcp dport 1024-65535 ct state new accept",
        ],
        "{nft}"
    );
    assert!(b.instance_channels(2).is_none());
    assert_eq!(
        b.serve_flags(0).unwrap(),
        "--bind 10.0.0.11:2121 --pasv-range 30000-30009 --masquerade 203.0.113.5 --proxy-protocol --trusted-proxy 10.0.0.5"
    );
    let cfg = render_haproxy(&b);
    for line in [
        "  bind 203.0.113.5:21",
        "  server a 10.0.0.11:2121 send-proxy-v2 check check-send-proxy",
        "  server b 10.0.0.12:2121 send-proxy-v2 check check-send-proxy",
        "  bind 203.0.113.5:30010-30019",
        "  server b 10.0.0.12 send-proxy-v2",
        "  source 10.0.0.5",
    ] {
        assert!(cfg.lines().any(|l| l == line), "{line:?} missing:\n{cfg}");
    }
    assert_eq!(Balanced::name(1), "b");
    assert_eq!(Balanced::name(30), "i30");
}

#[test]
fn a_load_balancer_without_instances_or_with_overlapping_ranges_is_refused() {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let inst =
        |lo: u16| Instance { bind: std::net::SocketAddr::new(ip, 21), passive: PortRange::new(lo, lo + 9).unwrap() };
    let err = |v| Balanced::new(ip, 21, ip, v).unwrap_err();
    assert!(matches!(err(vec![]), FirewallError::Balancer { .. }));
    assert!(err(vec![inst(30000), inst(30005)]).to_string().contains("overlap"));
    assert!(err(vec![inst(15)]).to_string().contains("control port"));
    let zero = Instance { bind: std::net::SocketAddr::new(ip, 0), passive: PortRange::new(30000, 30009).unwrap() };
    assert!(matches!(err(vec![zero]), FirewallError::ZeroPort { .. }));
    assert!(Balanced::new(ip, 0, ip, vec![inst(30000)]).is_err());
    assert_eq!(err(vec![]).kind(), crate::ErrorKind::Range);
}
