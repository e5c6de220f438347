//! Integration tests for the firewall model: every `firewall` vector, the renderers with custom ports, JSON read back
//! with serde_json, optional syntax checks with real `nft`/`iptables-restore`, and proptest properties.

mod common;

use ftpkit_proto::firewall::{
    explain, render_iptables, render_json, render_nft, render_text, rules, rules_both, rules_for, Channel, Direction,
    FirewallError, Host, Hosts, Initiator, Mode, PortRange, Ports, Purpose, Side,
};
use ftpkit_proto::ErrorKind;
use proptest::prelude::*;
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr};

/// Applies `key=value` settings (control, active_source, passive, client) to `ports`.
fn apply(mut ports: Ports, settings: &[&str]) -> Result<Ports, String> {
    for s in settings {
        let (k, v) = s.split_once('=').ok_or_else(|| format!("setting {s:?} has no '='"))?;
        let e = |e: FirewallError| e.to_string();
        ports = match k {
            "control" => {
                let r = PortRange::parse_field(v, "control").map_err(e)?;
                if !r.is_single() {
                    return Err("control is one port".into());
                }
                ports.with_control(r.start()).map_err(e)?
            }
            "active_source" => ports.with_active_source(PortRange::parse_field(v, "active_source").map_err(e)?),
            "passive" => ports.with_passive(PortRange::parse_field(v, "passive").map_err(e)?),
            "client" => ports.with_client(PortRange::parse_field(v, "client").map_err(e)?),
            other => return Err(format!("unknown setting {other:?}")),
        };
    }
    Ok(ports)
}

fn custom() -> Ports {
    match apply(Ports::default(), &["control=2121", "passive=30000-30009", "active_source=2020"]) {
        Ok(p) => p,
        Err(e) => panic!("custom ports: {e}"),
    }
}

#[test]
fn firewall_vectors() {
    let vectors = common::of_kind("firewall");
    // The four default (mode, side) vectors hold the 16 seed channels; the rest use custom ports.
    for plain in ["active server", "active client", "passive server", "passive client"] {
        assert!(vectors.iter().any(|v| v.input == plain), "no vector {plain:?}");
    }
    assert_eq!(vectors.len(), 10, "firewall vector count changed: update this test");
    for v in &vectors {
        let words: Vec<&str> = v.input.split(' ').collect();
        let (Some(mode), Some(side)) = (words.first(), words.get(1)) else {
            panic!("{}: input needs a mode and a side", v.at());
        };
        let mode: Mode = mode.parse().unwrap_or_else(|e| panic!("{}: {e}", v.at()));
        let side: Side = side.parse().unwrap_or_else(|e| panic!("{}: {e}", v.at()));
        let ports = apply(Ports::default(), &words[2..]).unwrap_or_else(|e| panic!("{}: {e}", v.at()));
        let got: Value = serde_json::from_str(&render_json(&rules(mode, side, &ports)))
            .unwrap_or_else(|e| panic!("{}: render_json is not JSON: {e}", v.at()));
        let (Some(got_a), Some(want_a)) = (got.as_array(), v.expect.as_array()) else {
            panic!("{}: expect and output must be arrays", v.at());
        };
        assert_eq!(got_a.len(), want_a.len(), "{}: channel count", v.at());
        for (i, (g, w)) in got_a.iter().zip(want_a).enumerate() {
            assert_eq!(g, w, "{}: channel {}", v.at(), i + 1);
        }
    }
}

#[test]
fn invalid_port_vectors() {
    let vectors = common::invalid_as("firewall_ports");
    assert!(!vectors.is_empty());
    for v in &vectors {
        // Each invalid vector is one `key=value` setting, blanks included.
        let r = apply(Ports::default(), &[v.input.as_str()]);
        assert!(r.is_err(), "{}: accepted as {:?}", v.at(), r);
    }
}

#[test]
fn custom_ports_in_every_renderer() {
    let ports = custom();
    let server_active = rules(Mode::Active, Side::Server, &ports);
    let server_passive = rules(Mode::Passive, Side::Server, &ports);
    let client_active = rules(Mode::Active, Side::Client, &ports);

    let text = render_text(&server_active);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "FTP server's port 2121 from ports > 1023 on any host (Client initiates connection)",
            "FTP server's port 2121 to ports > 1023 on any host (Server responds to client's control port)",
            "FTP server's port 2020 to ports > 1023 on any host (Server initiates data connection to client's data port)",
            "FTP server's port 2020 from ports > 1023 on any host (Client sends ACKs to server's data port)",
        ]
    );
    let text = render_text(&server_passive);
    assert!(
        text.contains("FTP server's ports 30000-30009 from ports > 1023 on any host (Client initiates data"),
        "{text}"
    );

    let nft = render_nft(&server_passive);
    let nft_rules: Vec<&str> = nft.lines().map(str::trim).filter(|l| l.starts_with("tcp ")).collect();
    assert_eq!(
        nft_rules,
        [
            "tcp sport 1024-65535 tcp dport 2121 ct state new accept",
            "tcp sport 1024-65535 tcp dport 30000-30009 ct state new accept",
        ]
    );
    let nft = render_nft(&server_active);
    let nft_rules: Vec<&str> = nft.lines().map(str::trim).filter(|l| l.starts_with("tcp ")).collect();
    assert_eq!(
        nft_rules,
        [
            "tcp sport 1024-65535 tcp dport 2121 ct state new accept",
            "tcp sport 2020 tcp dport 1024-65535 ct state new accept",
        ]
    );

    let ipt = render_iptables(&client_active);
    let ipt_rules: Vec<&str> = ipt.lines().filter(|l| l.starts_with("-A ") && l.contains("NEW")).collect();
    assert_eq!(
        ipt_rules,
        [
            "-A INPUT -p tcp -m tcp --sport 2020 --dport 1024:65535 -m conntrack --ctstate NEW -j ACCEPT",
            "-A OUTPUT -p tcp -m tcp --sport 1024:65535 --dport 2121 -m conntrack --ctstate NEW -j ACCEPT",
        ]
    );
    let ipt = render_iptables(&server_passive);
    assert!(ipt.contains("-A INPUT -p tcp -m tcp --sport 1024:65535 --dport 30000:30009 -m conntrack --ctstate NEW"));

    let json: Value = serde_json::from_str(&render_json(&server_passive)).unwrap_or(Value::Null);
    assert_eq!(json[2]["to"]["ports"], "30000-30009");
    assert_eq!(json[0]["to"]["ports"], "2121");
}

/// direction, from host, from ports, to host, to ports, purpose, initiator, description, reply.
type JsonRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
);

#[test]
fn json_field_by_field() {
    let ports = custom();
    let channels = rules(Mode::Passive, Side::Server, &ports);
    let json: Value = serde_json::from_str(&render_json(&channels)).unwrap_or(Value::Null);
    let arr = json.as_array().map(Vec::as_slice).unwrap_or_default();
    assert_eq!(arr.len(), 4);
    let want: [JsonRow; 4] = [
        ("inbound", "any", "1024-65535", "server", "2121", "control", "client", "Client initiates connection", false),
        (
            "outbound",
            "server",
            "2121",
            "any",
            "1024-65535",
            "control",
            "client",
            "Server responds to client's control port",
            true,
        ),
        (
            "inbound",
            "any",
            "1024-65535",
            "server",
            "30000-30009",
            "data",
            "client",
            "Client initiates data connection to random port specified by server",
            false,
        ),
        (
            "outbound",
            "server",
            "30000-30009",
            "any",
            "1024-65535",
            "data",
            "client",
            "Server sends ACKs (and data) to client's data port",
            true,
        ),
    ];
    for (i, (obj, w)) in arr.iter().zip(want).enumerate() {
        let keys: Vec<&str> = obj.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        assert_eq!(keys.len(), 8, "channel {i}: keys {keys:?}");
        assert_eq!(obj["side"], "server", "channel {i}");
        assert_eq!(obj["direction"], w.0, "channel {i}");
        assert_eq!(obj["from"]["host"], w.1, "channel {i}");
        assert_eq!(obj["from"]["ports"], w.2, "channel {i}");
        assert_eq!(obj["to"]["host"], w.3, "channel {i}");
        assert_eq!(obj["to"]["ports"], w.4, "channel {i}");
        assert_eq!(obj["purpose"], w.5, "channel {i}");
        assert_eq!(obj["initiator"], w.6, "channel {i}");
        assert_eq!(obj["description"], w.7, "channel {i}");
        assert_eq!(obj["reply"], w.8, "channel {i}");
        // The port strings parse back to the channel's ranges.
        let from: PortRange = obj["from"]["ports"].as_str().unwrap_or("").parse().unwrap_or(PortRange::UNPRIVILEGED);
        assert_eq!(from, channels[i].from.ports);
    }
}

#[test]
fn explain_matches_the_seed() {
    assert_eq!(explain(Mode::Active, Side::Server).inbound_data_at, Side::Client);
    assert_eq!(explain(Mode::Passive, Side::Client).inbound_data_at, Side::Server);
    assert!(explain(Mode::Active, Side::Client).needs_inbound_data);
    assert!(!explain(Mode::Active, Side::Server).needs_inbound_data);
    assert!(explain(Mode::Passive, Side::Server).needs_inbound_data);
    assert!(!explain(Mode::Passive, Side::Client).needs_inbound_data);
}

#[test]
fn error_kinds() {
    assert_eq!(Ports::default().with_control(0).map_err(|e| e.kind()), Err(ErrorKind::Range));
    assert_eq!("x".parse::<PortRange>().map_err(|e| e.kind()), Err(ErrorKind::Syntax));
    assert_eq!("9-8".parse::<PortRange>().map_err(|e| e.kind()), Err(ErrorKind::Range));
}

/// Runs `cmd args` with `input` on stdin when the binary exists; `None` when it does not.
fn check_with(cmd: &str, args: &[&str], input: &str) -> Option<(bool, String)> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let exists =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file())).unwrap_or(false)
            || ["/usr/sbin", "/sbin"].iter().any(|d| std::path::Path::new(d).join(cmd).is_file());
    if !exists {
        return None;
    }
    let mut child = Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().ok()?;
    Some((out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned()))
}

#[test]
fn real_tools_accept_the_output_when_present() {
    let both = rules_both(Side::Server, &custom());
    let nft = render_nft(&both);
    match check_with("nft", &["-c", "-f", "-"], &nft) {
        None => println!("note: nft not installed, nftables syntax check skipped"),
        Some((ok, err)) if !ok && (err.contains("Operation not permitted") || err.contains("ermission")) => {
            println!("note: nft needs privileges here, syntax check skipped: {err}")
        }
        Some((ok, err)) => assert!(ok, "nft -c rejected:\n{nft}\n{err}"),
    }
    let ipt = render_iptables(&both);
    match check_with("iptables-restore", &["--test"], &ipt) {
        None => println!("note: iptables-restore not installed, iptables syntax check skipped"),
        Some((ok, err)) if !ok && (err.contains("ermission") || err.contains("not permitted")) => {
            println!("note: iptables-restore needs privileges here, syntax check skipped: {err}")
        }
        Some((ok, err)) => assert!(ok, "iptables-restore --test rejected:\n{ipt}\n{err}"),
    }
}

fn arb_range() -> impl Strategy<Value = PortRange> {
    (1u16..=u16::MAX, 1u16..=u16::MAX).prop_map(|(a, b)| {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        PortRange::new(lo, hi).unwrap_or(PortRange::UNPRIVILEGED)
    })
}

fn arb_ports() -> impl Strategy<Value = Ports> {
    (1u16..=u16::MAX, arb_range(), arb_range(), arb_range())
        .prop_map(|(c, a, p, cl)| Ports::new(c, a, p, cl).unwrap_or_default())
}

fn arb_hosts() -> impl Strategy<Value = Hosts> {
    let ip = prop_oneof![
        any::<[u8; 4]>().prop_map(|o| IpAddr::V4(Ipv4Addr::from(o))),
        any::<[u8; 16]>().prop_map(IpAddr::from),
    ];
    (proptest::option::of(ip.clone()), proptest::option::of(ip)).prop_map(|(server, client)| Hosts { server, client })
}

fn within(c: &Channel, ports: &Ports) -> bool {
    let server_ranges = [ports.control_range(), ports.active_source(), ports.passive()];
    let (server_end, client_end) = if c.sender() == Side::Server { (c.from, c.to) } else { (c.to, c.from) };
    server_ranges.contains(&server_end.ports) && client_end.ports == ports.client()
}

proptest! {
    #[test]
    fn channels_lie_in_the_given_ranges(ports in arb_ports(), hosts in arb_hosts()) {
        for &mode in Mode::ALL {
            for &side in Side::ALL {
                let cs = rules_for(mode, side, &ports, &hosts);
                for (i, c) in cs.iter().enumerate() {
                    prop_assert!(within(c, &ports), "{mode} {side} #{i}: {c:?}");
                    prop_assert_eq!(c.side, side);
                    let purpose = if i < 2 { Purpose::Control } else { Purpose::Data };
                    prop_assert_eq!(c.purpose, purpose);
                    let server_ports = if c.sender() == Side::Server { c.from.ports } else { c.to.ports };
                    let want = match (purpose, mode) {
                        (Purpose::Control, _) => ports.control_range(),
                        (Purpose::Data, Mode::Active) => ports.active_source(),
                        (Purpose::Data, Mode::Passive) => ports.passive(),
                    };
                    prop_assert_eq!(server_ports, want);
                    let init = if purpose == Purpose::Data && mode == Mode::Active { Initiator::Server } else { Initiator::Client };
                    prop_assert_eq!(c.initiator, init);
                }
                // Exactly two channels open connections, and two are replies.
                prop_assert_eq!(cs.iter().filter(|c| c.is_reply_traffic()).count(), 2);
                prop_assert_eq!(cs.iter().filter(|c| c.direction == Direction::Inbound).count(), 2);
            }
        }
    }

    #[test]
    fn renderers_never_panic_and_json_reads_back(ports in arb_ports(), hosts in arb_hosts(), side_both in any::<bool>()) {
        let mut cs: Vec<Channel> = Vec::new();
        for &mode in Mode::ALL {
            cs.extend(rules_for(mode, Side::Server, &ports, &hosts));
            if side_both {
                cs.extend(rules_for(mode, Side::Client, &ports, &hosts));
            }
        }
        let text = render_text(&cs);
        prop_assert_eq!(text.lines().count(), cs.len());
        let nft = render_nft(&cs);
        let ipt = render_iptables(&cs);
        let new_rules = cs.iter().filter(|c| !c.is_reply_traffic()).count();
        prop_assert_eq!(nft.lines().filter(|l| l.ends_with("ct state new accept")).count(), new_rules);
        prop_assert_eq!(ipt.lines().filter(|l| l.contains("--ctstate NEW")).count(), new_rules);
        let json: Value = serde_json::from_str(&render_json(&cs)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let arr = json.as_array().cloned().unwrap_or_default();
        prop_assert_eq!(arr.len(), cs.len());
        for (o, c) in arr.iter().zip(&cs) {
            let from: PortRange = o["from"]["ports"].as_str().unwrap_or("").parse().map_err(|e: FirewallError| TestCaseError::fail(e.to_string()))?;
            let to: PortRange = o["to"]["ports"].as_str().unwrap_or("").parse().map_err(|e: FirewallError| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(from, c.from.ports);
            prop_assert_eq!(to, c.to.ports);
            let host = c.from.host.to_string();
            prop_assert_eq!(o["from"]["host"].as_str(), Some(host.as_str()));
            if let Host::Addr(ip) = c.to.host {
                let back: IpAddr = o["to"]["host"].as_str().unwrap_or("").parse().map_err(|_| TestCaseError::fail("address"))?;
                prop_assert_eq!(back, ip);
            }
        }
    }

    #[test]
    fn port_range_display_parse_round_trip(r in arb_range()) {
        prop_assert_eq!(r.to_string().parse::<PortRange>(), Ok(r));
        prop_assert!(r.contains(r.start()) && r.contains(r.end()));
        prop_assert_eq!(r.len(), u32::from(r.end()) - u32::from(r.start()) + 1);
    }

    #[test]
    fn port_range_parse_never_panics(s in "\\PC{0,12}|[0-9-]{0,12}") {
        if let Ok(r) = s.parse::<PortRange>() {
            prop_assert!(r.start() >= 1 && r.start() <= r.end());
        }
    }

    #[test]
    fn from_numbers_accepts_exactly_valid_input(c in any::<u16>(), a in any::<(u16, u16)>(), p in any::<(u16, u16)>(), cl in any::<(u16, u16)>()) {
        let valid = |r: (u16, u16)| r.0 >= 1 && r.0 <= r.1;
        let ok = c >= 1 && valid(a) && valid(p) && valid(cl);
        prop_assert_eq!(Ports::from_numbers(c, a, p, cl).is_ok(), ok);
    }
}
