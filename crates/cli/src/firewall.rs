//! `ftpkit firewall`: the channels a firewall must open for a mode, on one side, with real ports; or (`--nat`) the
//! rules of a NAT router in front of one side. The rules and the texts are the core's (`ftpkit_proto::firewall`).

use ftpkit_proto::firewall::{
    self, predict, ControlTls, DataMatch, Guard, Mode, Nat, NatRules, Path, PortRange, Ports, Side,
};
use std::io::{self, Write};
use std::net::IpAddr;
use std::process::ExitCode;

/// Output format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// One line per channel, worded like the seed.
    Text,
    /// A JSON array of channels.
    Json,
    /// An nftables ruleset snippet.
    Nft,
    /// iptables-save lines.
    Iptables,
}

/// Options of `ftpkit firewall`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Active (PORT/EPRT: the server connects back) or passive (PASV/EPSV: the client connects).
    #[arg(long, value_parser = parse_mode, required_unless_present_any = ["nat", "balancer"])]
    mode: Option<Mode>,
    /// Whose firewall: the server's or the client's.
    #[arg(long, value_parser = parse_side, required_unless_present_any = ["nat", "predict", "balancer"], conflicts_with_all = ["nat", "predict", "balancer"])]
    side: Option<Side>,
    /// Instead of one host's rules: several instances behind a TCP load balancer (HAProxy, PROXY protocol) whose
    /// public address is this (what clients dial, and every instance's `ftpkit serve --masquerade`); its control
    /// port is --control-port. Prints each instance's serve flags, HAProxy's configuration, and the rules of the
    /// load balancer's host and of each instance's host (nft, or --format iptables). Needs --trusted-proxy and
    /// --instance.
    #[arg(long, value_name = "PUBLIC", requires_all = ["trusted_proxy", "instances"], conflicts_with_all = ["nat", "predict", "mode"])]
    balancer: Option<IpAddr>,
    /// With --balancer: the load balancer's source address toward the instances (their `--trusted-proxy`).
    #[arg(long, requires = "balancer")]
    trusted_proxy: Option<IpAddr>,
    /// With --balancer: one instance, as `BIND,A-B`: its `ftpkit serve --bind` and `--pasv-range` (the ranges must
    /// not overlap). Repeat for each instance.
    #[arg(long = "instance", value_name = "BIND,A-B", value_parser = parse_instance, requires = "balancer")]
    instances: Vec<firewall::Instance>,
    /// Instead of rules: predict whether a transfer in --mode gets through the firewalls and NAT described by
    /// --client-rules, --server-rules, --nat (--conntrack-helper: the router's helper), --masquerade, --trust-227,
    /// --extended, --tls; prints each step and where it fails. The model the lab (docs/LAB.md) checks.
    #[arg(long, requires = "mode")]
    predict: bool,
    /// With --predict: the client host loads `ftpkit firewall --mode MODE --side client` (`MODE,helper`: with
    /// --conntrack-helper).
    #[arg(long, value_name = "MODE[,helper]", value_parser = parse_rules, requires = "predict")]
    client_rules: Option<(Mode, DataMatch)>,
    /// With --predict: the server host loads `ftpkit firewall --mode MODE --side server` (`MODE,helper`: with
    /// --conntrack-helper).
    #[arg(long, value_name = "MODE[,helper]", value_parser = parse_rules, requires = "predict")]
    server_rules: Option<(Mode, DataMatch)>,
    /// With --predict: the server advertises the NAT's public address in 227 (`ftpkit serve --masquerade`).
    #[arg(long, requires = "predict")]
    masquerade: bool,
    /// With --predict: the client dials the address a 227 names (`ftpkit ls --pasv-address trust`).
    #[arg(long, requires = "predict")]
    trust_227: bool,
    /// With --predict: EPSV/EPRT instead of PASV/PORT.
    #[arg(long, requires = "predict")]
    extended: bool,
    /// With --predict: the control connection is under TLS (FTPS) when the endpoint is announced.
    #[arg(long, requires = "predict")]
    tls: bool,
    /// With --predict and --tls: CCC after login puts the control connection back in clear text. `first`: the
    /// PORT/EPRT/PASV is the first clear command after it (a client that sends nothing in between), which Linux's
    /// FTP helper skips; `resynced`: another command crossed in clear before it (ftpkit's client sends NOOP, curl
    /// PWD), and the helper reads it.
    #[arg(long, value_name = "first|resynced", value_parser = parse_ccc, requires = "tls")]
    ccc: Option<bool>,
    /// With --predict: the server accepts PORT/EPRT naming another host (no bounce protection).
    #[arg(long, requires = "predict")]
    no_bounce_protection: bool,
    /// The tight form: the kernel's FTP conntrack helper on the control connection (`ct helper set`), and data
    /// connections only as `ct state related` (exactly the port PORT/227 announced; blind under TLS).
    #[arg(long)]
    conntrack_helper: bool,
    /// Instead of a host firewall: the rules of a NAT router in front of the client (source NAT) or the server
    /// (its control port and passive range forwarded); needs --inside and --public; with --conntrack-helper the
    /// router's FTP helper rewrites PORT/227. With --predict: a NAT router in front of that side.
    #[arg(long, value_parser = parse_side)]
    nat: Option<Side>,
    /// With --nat: the address of the host behind the router (the client's or the server's private address).
    #[arg(long)]
    inside: Option<IpAddr>,
    /// With --nat: the router's public address.
    #[arg(long)]
    public: Option<IpAddr>,
    /// The server's control port.
    #[arg(long, default_value_t = 21)]
    control_port: u16,
    /// The server's passive port range, A-B (default: 1024-65535, "ports > 1023").
    #[arg(long, value_parser = parse_range)]
    pasv_range: Option<PortRange>,
    /// The client's data port range, A-B (default 1024-65535).
    #[arg(long, value_parser = parse_range)]
    client_range: Option<PortRange>,
    /// The server's source port for active-mode data connections, N or A-B (default 20).
    #[arg(long, value_parser = parse_range)]
    active_source: Option<PortRange>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    json: bool,
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse().map_err(|e: firewall::FirewallError| e.to_string())
}

fn parse_side(s: &str) -> Result<Side, String> {
    s.parse().map_err(|e: firewall::FirewallError| e.to_string())
}

fn parse_ccc(s: &str) -> Result<bool, String> {
    match s {
        "first" => Ok(false),
        "resynced" => Ok(true),
        _ => Err("expected first or resynced".into()),
    }
}

fn parse_rules(s: &str) -> Result<(Mode, DataMatch), String> {
    let (mode, data) = match s.split_once(',') {
        Some((m, "helper")) => (m, DataMatch::Helper),
        Some(_) => return Err("expected MODE or MODE,helper".into()),
        None => (s, DataMatch::Ports),
    };
    Ok((parse_mode(mode)?, data))
}

/// `--predict`: the core's walk of one transfer through the described path.
fn prediction(args: &Args, mode: Mode, ports: Ports, format: Format) -> Result<String, String> {
    let guard =
        |rules: Option<(Mode, DataMatch)>, side| rules.map(|(m, d)| Guard::new(firewall::rules(m, side, &ports), d));
    let mut path = Path::new(mode, ports);
    path.client_firewall = guard(args.client_rules, Side::Client);
    path.server_firewall = guard(args.server_rules, Side::Server);
    path.nat = args.nat.map(|side| match side {
        Side::Client => Nat::Client { helper: args.conntrack_helper },
        Side::Server => Nat::Server { helper: args.conntrack_helper },
    });
    path.masquerade = args.masquerade;
    path.trust_227 = args.trust_227;
    path.extended = args.extended;
    path.tls = match (args.tls, args.ccc) {
        (false, _) => ControlTls::Clear,
        (true, None) => ControlTls::Protected,
        (true, Some(resynced)) => ControlTls::ClearedByCcc { resynced },
    };
    path.bounce_protection = !args.no_bounce_protection;
    let p = predict(&path);
    Ok(match format {
        Format::Json => {
            let checks: Vec<serde_json::Value> = p
                .checks
                .iter()
                .map(|c| serde_json::json!({"step": c.step, "at": c.at.phrase(), "passes": c.passes, "what": c.what}))
                .collect();
            format!("{}\n", serde_json::json!({"works": p.works, "summary": p.summary(), "checks": checks}))
        }
        Format::Text => format!("{}prediction: {}\n", p.render_text(), p.summary()),
        Format::Nft | Format::Iptables => return Err("--predict writes text or JSON".into()),
    })
}

fn parse_instance(s: &str) -> Result<firewall::Instance, String> {
    let (bind, range) = s.split_once(',').ok_or("expected BIND,A-B (an instance's --bind and --pasv-range)")?;
    let bind = bind.parse().map_err(|e| format!("{bind:?}: {e}"))?;
    Ok(firewall::Instance { bind, passive: parse_range(range)? })
}

fn parse_range(s: &str) -> Result<PortRange, String> {
    PortRange::parse_field(s, "port range").map_err(|e| e.to_string())
}

/// `--balancer`: the core's rules and configuration for instances behind a load balancer.
fn balanced(args: &Args, format: Format) -> Result<String, String> {
    let (Some(public), Some(source)) = (args.balancer, args.trusted_proxy) else {
        return Err("--balancer needs --trusted-proxy".into());
    };
    let mut b = firewall::Balanced::new(public, args.control_port, source, args.instances.clone())
        .map_err(|e| e.to_string())?;
    if let Some(r) = args.active_source {
        b = b.with_active_source(r);
    }
    match format {
        Format::Text | Format::Nft => Ok(firewall::render_balanced(&b, false)),
        Format::Iptables => Ok(firewall::render_balanced(&b, true)),
        Format::Json => Err("--balancer writes nft or iptables rules, not JSON".into()),
    }
}

/// Builds the ports, computes the four channels and writes them.
pub fn run(args: &Args) -> Result<ExitCode, String> {
    let mut ports = Ports::default().with_control(args.control_port).map_err(|e| e.to_string())?;
    if let Some(r) = args.pasv_range {
        ports = ports.with_passive(r);
    }
    if let Some(r) = args.client_range {
        ports = ports.with_client(r);
    }
    if let Some(r) = args.active_source {
        ports = ports.with_active_source(r);
    }
    let format = if args.json { Format::Json } else { args.format };
    let data = if args.conntrack_helper { DataMatch::Helper } else { DataMatch::Ports };
    let text = match (args.nat, args.inside, args.public, args.mode, args.side) {
        _ if args.balancer.is_some() => balanced(args, format)?,
        (_, _, _, Some(mode), _) if args.predict => prediction(args, mode, ports, format)?,
        (Some(side), Some(inside), Some(public), _, _) => {
            let nat = NatRules::new(side, inside, public, ports)
                .map_err(|e| e.to_string())?
                .with_helper(args.conntrack_helper);
            match format {
                Format::Nft | Format::Text => firewall::render_nat_nft(&nat),
                Format::Iptables => firewall::render_nat_iptables(&nat),
                Format::Json => return Err("--nat writes nft or iptables rules, not JSON".into()),
            }
        }
        (None, _, _, Some(mode), Some(side)) => {
            let channels = firewall::rules(mode, side, &ports);
            match format {
                Format::Text => {
                    let why = firewall::explain(mode, side);
                    format!("{}\n{}\n{}\n", firewall::render_text(&channels).trim_end(), why.summary, data.summary())
                }
                Format::Json => firewall::render_json(&channels),
                Format::Nft => firewall::render_nft_with(&channels, data),
                Format::Iptables => firewall::render_iptables_with(&channels, data),
            }
        }
        _ => return Err("give --mode and --side, or --nat with --inside and --public, or --predict with --mode".into()),
    };
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}
