//! Transcripts, explanations, data-connection timelines and firewall rules: the core's analysis, converted.
use crate::errors::parse_error;
use ftpkit_proto::explain;
use ftpkit_proto::firewall::{self, Channel, FirewallError, Host, Hosts, Mode, PortRange, Ports, Side};
use ftpkit_proto::timeline::{self, Context};
use ftpkit_proto::transcript::{self, Endpoint, Item};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::net::IpAddr;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(transcript_decode, m)?)?;
    m.add_function(wrap_pyfunction!(timeline_build, m)?)?;
    m.add_function(wrap_pyfunction!(firewall_rules, m)?)?;
    m.add_function(wrap_pyfunction!(firewall_explain, m)?)?;
    Ok(())
}

fn endpoint<'py>(py: Python<'py>, ep: &Option<Endpoint>) -> PyResult<Option<Bound<'py, PyDict>>> {
    let Some(ep) = ep else { return Ok(None) };
    let d = PyDict::new(py);
    d.set_item("ip", ep.ip.map(|i| i.to_string()))?;
    d.set_item("port", ep.port)?;
    d.set_item("form", ep.form.label())?;
    d.set_item("active", ep.form.is_active())?;
    d.set_item("span", (ep.span.start, ep.span.end))?;
    Ok(Some(d))
}

/// Every item of an `ftp -d` style transcript, as dicts, each with the core's one-line explanation.
#[pyfunction]
fn transcript_decode<'py>(py: Python<'py>, text: &str) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let items = transcript::decode(text);
    let mut out = Vec::with_capacity(items.len());
    for item in &items {
        let d = PyDict::new(py);
        d.set_item("explanation", explain::explain(item))?;
        match item {
            Item::Command(c) => {
                d.set_item("kind", "command")?;
                d.set_item("line", c.line)?;
                d.set_item("input", &c.input)?;
                d.set_item("verb", &c.verb)?;
                d.set_item("arg", &c.arg)?;
                d.set_item("endpoint", endpoint(py, &c.endpoint)?)?;
            }
            Item::Reply(r) => {
                d.set_item("kind", "reply")?;
                d.set_item("line", r.line)?;
                d.set_item("input", &r.input)?;
                d.set_item("code", r.code)?;
                d.set_item("text", &r.text)?;
                d.set_item("endpoint", endpoint(py, &r.endpoint)?)?;
                d.set_item("path", &r.path)?;
            }
            Item::Error(e) => {
                d.set_item("kind", "error")?;
                d.set_item("line", e.line)?;
                d.set_item("input", &e.input)?;
                d.set_item("error", &e.error)?;
                d.set_item("error_kind", e.kind.name())?;
            }
        }
        out.push(d);
    }
    Ok(out)
}

fn ip(py: Python<'_>, field: &str, s: Option<&str>) -> PyResult<Option<IpAddr>> {
    s.map(|s| {
        s.parse::<IpAddr>().map_err(|e| {
            parse_error(py, "timeline", Some(field.into()), ftpkit_proto::ErrorKind::Syntax, format!("{field}: {e}"))
        })
    })
    .transpose()
}

/// The data connections of a transcript with their four numbered steps: `(rendered text, connections, warnings)`.
#[pyfunction]
#[pyo3(signature = (text, client=None, server=None, control_port=None))]
#[allow(clippy::type_complexity)]
fn timeline_build<'py>(
    py: Python<'py>,
    text: &str,
    client: Option<&str>,
    server: Option<&str>,
    control_port: Option<u16>,
) -> PyResult<(String, Vec<Bound<'py, PyDict>>, Vec<(usize, String)>)> {
    let ctx = Context { client: ip(py, "client", client)?, server: ip(py, "server", server)?, control_port };
    let items = transcript::decode(text);
    let tl = timeline::build(&items, &ctx);
    let mut conns = Vec::new();
    for c in &tl.connections {
        let d = PyDict::new(py);
        d.set_item("index", c.index)?;
        d.set_item("mode", c.mode.name())?;
        d.set_item("endpoint", endpoint(py, &Some(c.endpoint.clone()))?)?;
        d.set_item("announced_at", c.announced_at)?;
        d.set_item("command", &c.command)?;
        d.set_item("command_at", c.command_at)?;
        d.set_item("outcome", c.outcome)?;
        let steps: Vec<(u8, String, String, String)> =
            c.steps.iter().map(|s| (s.number, s.from.to_string(), s.to.to_string(), s.what.clone())).collect();
        d.set_item("steps", steps)?;
        let warnings: Vec<(usize, String)> = c.warnings.iter().map(|w| (w.line, w.text.clone())).collect();
        d.set_item("warnings", warnings)?;
        conns.push(d);
    }
    let warnings = tl.warnings.iter().map(|w| (w.line, w.text.clone())).collect();
    Ok((timeline::render_text(&tl), conns, warnings))
}

fn fw_err(py: Python<'_>, e: FirewallError) -> PyErr {
    parse_error(py, "firewall", None, e.kind(), format!("firewall: {e}"))
}

/// The rules a firewall needs for FTP, rendered: `format` is `json`, `text`, `nft` or `iptables`.
#[pyfunction]
#[pyo3(signature = (mode, side, format="json", control=None, active_source=None, passive=None, client=None, server_host=None, client_host=None))]
#[allow(clippy::too_many_arguments)]
fn firewall_rules(
    py: Python<'_>,
    mode: &str,
    side: &str,
    format: &str,
    control: Option<&str>,
    active_source: Option<&str>,
    passive: Option<&str>,
    client: Option<&str>,
    server_host: Option<&str>,
    client_host: Option<&str>,
) -> PyResult<String> {
    let side: Side = side.parse().map_err(|e| fw_err(py, e))?;
    let mut ports = Ports::default();
    if let Some(c) = control {
        let r = PortRange::parse_field(c, "control").map_err(|e| fw_err(py, e))?;
        ports = ports.with_control(r.start()).map_err(|e| fw_err(py, e))?;
    }
    if let Some(s) = active_source {
        ports = ports.with_active_source(PortRange::parse_field(s, "active_source").map_err(|e| fw_err(py, e))?);
    }
    if let Some(s) = passive {
        ports = ports.with_passive(PortRange::parse_field(s, "passive").map_err(|e| fw_err(py, e))?);
    }
    if let Some(s) = client {
        ports = ports.with_client(PortRange::parse_field(s, "client").map_err(|e| fw_err(py, e))?);
    }
    let hosts = Hosts { server: ip(py, "server_host", server_host)?, client: ip(py, "client_host", client_host)? };
    let channels: Vec<Channel> = if mode.eq_ignore_ascii_case("both") {
        let mut v = firewall::rules_for(Mode::Active, side, &ports, &hosts).to_vec();
        v.extend(firewall::rules_for(Mode::Passive, side, &ports, &hosts));
        v
    } else {
        let mode: Mode = mode.parse().map_err(|e| fw_err(py, e))?;
        firewall::rules_for(mode, side, &ports, &hosts).to_vec()
    };
    let _ = Host::Any;
    match format {
        "json" => Ok(firewall::render_json(&channels)),
        "text" => Ok(firewall::render_text(&channels)),
        "nft" => Ok(firewall::render_nft(&channels)),
        "iptables" => Ok(firewall::render_iptables(&channels)),
        other => Err(parse_error(
            py,
            "firewall",
            Some("format".into()),
            ftpkit_proto::ErrorKind::Unsupported,
            format!("firewall: format {other:?}; supported: json, text, nft, iptables"),
        )),
    }
}

/// Which firewall must accept the data connection in `mode`, from `side`'s view, and how NAT interferes.
#[pyfunction]
fn firewall_explain<'py>(py: Python<'py>, mode: &str, side: &str) -> PyResult<Bound<'py, PyDict>> {
    let mode: Mode = mode.parse().map_err(|e| fw_err(py, e))?;
    let side: Side = side.parse().map_err(|e| fw_err(py, e))?;
    let x = firewall::explain(mode, side);
    let d = PyDict::new(py);
    d.set_item("mode", x.mode.name())?;
    d.set_item("side", x.side.name())?;
    d.set_item("inbound_data_at", x.inbound_data_at.name())?;
    d.set_item("needs_inbound_data", x.needs_inbound_data)?;
    d.set_item("summary", x.summary)?;
    d.set_item("nat", x.nat)?;
    Ok(d)
}
