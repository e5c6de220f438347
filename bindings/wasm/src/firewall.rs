//! The firewall model and its renderings.

use crate::error::Failure;
use crate::export;
use ftpkit_proto::firewall::{self, ControlTls, FirewallError, Hosts, Mode, Ports, Purpose, Side};
use ftpkit_proto::transcript::json::{self, Obj};
use ftpkit_proto::ErrorKind;
use std::net::IpAddr;
use wasm_bindgen::prelude::*;

fn fail(e: FirewallError) -> Failure {
    Failure::new(e.kind(), e.to_string())
}

fn host(field: &str, text: Option<&str>) -> Result<Option<IpAddr>, Failure> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| Failure::new(ErrorKind::Syntax, format!("{field}: {t:?} is not an IP address"))),
    }
}

/// The four channels `side` needs in `mode` with these ports (ranges as `"A-B"` or `"N"`), and their renderings:
/// `{"channels":[...],"text":..,"nft":..,"iptables":..}` (channels as the core's `render_json`).
///
/// `client_data`, when given, is the client's data port as a session showed it (the port a PORT/EPRT named): the
/// data channels use it, while the control channels keep `client_ports` (the client's control source port, which a
/// transcript does not show). Both are the core's channels, taken from two calls of `rules_for`.
#[allow(clippy::too_many_arguments)]
pub fn firewall_json(
    mode: &str,
    side: &str,
    control: u16,
    active_source: &str,
    passive: &str,
    client_ports: &str,
    client_data: Option<&str>,
    server_ip: Option<&str>,
    client_ip: Option<&str>,
) -> Result<String, Failure> {
    let mode: Mode = mode.parse().map_err(fail)?;
    let side: Side = side.parse().map_err(fail)?;
    let range = |t: &str, f: &'static str| firewall::PortRange::parse_field(t, f).map_err(fail);
    let ports = Ports::default()
        .with_control(control)
        .map_err(fail)?
        .with_active_source(range(active_source, "active_source")?)
        .with_passive(range(passive, "passive")?)
        .with_client(range(client_ports, "client")?);
    let hosts = Hosts { server: host("server", server_ip)?, client: host("client", client_ip)? };
    let mut channels = firewall::rules_for(mode, side, &ports, &hosts);
    if let Some(data) = client_data.map(str::trim).filter(|d| !d.is_empty()) {
        let data_ports = ports.with_client(range(data, "client_data")?);
        let data_channels = firewall::rules_for(mode, side, &data_ports, &hosts);
        for (c, d) in channels.iter_mut().zip(data_channels) {
            if c.purpose == Purpose::Data {
                *c = d;
            }
        }
    }
    let text = |s: String| {
        let mut o = String::new();
        json::write_str(&mut o, &s);
        o
    };
    let explanation = firewall::explain(mode, side);
    Ok(Obj::new()
        .str("mode", mode.name())
        .str("side", side.name())
        .raw("channels", firewall::render_json(&channels).trim_end())
        .raw("text", &text(firewall::render_text(&channels)))
        .raw("nft", &text(firewall::render_nft(&channels)))
        .raw("iptables", &text(firewall::render_iptables(&channels)))
        .str("inbound_data_at", explanation.inbound_data_at.name())
        .bool("needs_inbound_data", explanation.needs_inbound_data)
        .str("summary", explanation.summary)
        .str("nat", explanation.nat)
        .finish())
}

/// The firewall rules one side needs for one mode. `mode` is `"active"` or `"passive"`, `side` `"client"` or
/// `"server"`; ranges are `"A-B"` or `"N"`; `clientData` the client's data port seen in the session (or empty);
/// addresses may be empty. Throws naming the field.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen(js_name = firewallRules)]
pub fn firewall_rules(
    mode: &str,
    side: &str,
    control: u16,
    active_source: &str,
    passive: &str,
    client_ports: &str,
    client_data: Option<String>,
    server_ip: Option<String>,
    client_ip: Option<String>,
) -> Result<JsValue, JsValue> {
    export(firewall_json(
        mode,
        side,
        control,
        active_source,
        passive,
        client_ports,
        client_data.as_deref(),
        server_ip.as_deref(),
        client_ip.as_deref(),
    ))
}

/// The core's prediction (`firewall::predict`) for one transfer through a NAT router in front of `nat_side`
/// (`"client"`, `"server"` or empty for none): `{"works":..,"summary":..,"checks":[{"step","at","passes","what"}]}`.
/// `options` is a comma-separated list of: `helper` (the router's FTP helper), `extended` (EPRT/EPSV), `trust-227`
/// (the client dials the 227's address), `masquerade` (the server advertises the public address), `tls` (the
/// control connection is under TLS), `ccc` (under TLS, then CCC after login: back in clear text, a clear
/// command before the endpoint's), `ccc-first` (the same with the endpoint the first clear command after CCC,
/// which Linux's FTP helper skips). The same model the network-namespace lab checks against the kernel
/// (docs/LAB.md).
pub fn predict_json(mode: &str, nat_side: &str, options: &str) -> Result<String, Failure> {
    let mode: Mode = mode.parse().map_err(fail)?;
    let mut path = firewall::Path::new(mode, Ports::default());
    let mut helper = false;
    for word in options.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word {
            "helper" => helper = true,
            "extended" => path.extended = true,
            "trust-227" => path.trust_227 = true,
            "masquerade" => path.masquerade = true,
            // CCC implies TLS before it, whichever order the words come in.
            "tls" if path.tls == ControlTls::Clear => path.tls = ControlTls::Protected,
            "tls" => {}
            "ccc" => path.tls = ControlTls::ClearedByCcc { resynced: true },
            "ccc-first" => path.tls = ControlTls::ClearedByCcc { resynced: false },
            other => {
                return Err(Failure::new(
                    ErrorKind::Syntax,
                    format!(
                        "options: {other:?} is not one of helper, extended, trust-227, masquerade, tls, ccc, ccc-first"
                    ),
                ))
            }
        }
    }
    path.nat = match nat_side.trim() {
        "" | "none" => None,
        s => Some(match s.parse::<Side>().map_err(fail)? {
            Side::Client => firewall::Nat::Client { helper },
            Side::Server => firewall::Nat::Server { helper },
        }),
    };
    let p = firewall::predict(&path);
    let checks: Vec<String> = p
        .checks
        .iter()
        .map(|c| {
            Obj::new()
                .num("step", c.step.into())
                .str("at", c.at.phrase())
                .bool("passes", c.passes)
                .str("what", &c.what)
                .finish()
        })
        .collect();
    let checks = format!("[{}]", checks.join(","));
    Ok(Obj::new().bool("works", p.works).str("summary", &p.summary()).raw("checks", &checks).finish())
}

/// Whether one transfer gets through a NAT in front of `natSide` (`"client"`, `"server"`, or `""`), and if not
/// where it fails: the core's `firewall::predict`. `options`: comma-separated `helper`, `extended`, `trust-227`,
/// `masquerade`, `tls`. Throws naming a bad mode, side or option.
#[wasm_bindgen(js_name = predictNat)]
pub fn predict_nat(mode: &str, nat_side: &str, options: &str) -> Result<JsValue, JsValue> {
    export(predict_json(mode, nat_side, options))
}
