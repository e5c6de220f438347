//! `ftpkit firewall`: the channels a firewall must open for a mode, on one side, with real ports; or (`--nat`) the
//! rules of a NAT router in front of one side. The rules and the texts are the core's (`ftpkit_proto::firewall`).

use ftpkit_proto::firewall::{self, DataMatch, Mode, NatRules, PortRange, Ports, Side};
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
    #[arg(long, value_parser = parse_mode, required_unless_present = "nat")]
    mode: Option<Mode>,
    /// Whose firewall: the server's or the client's.
    #[arg(long, value_parser = parse_side, required_unless_present = "nat", conflicts_with = "nat")]
    side: Option<Side>,
    /// The tight form: the kernel's FTP conntrack helper on the control connection (`ct helper set`), and data
    /// connections only as `ct state related` (exactly the port PORT/227 announced; blind under TLS).
    #[arg(long)]
    conntrack_helper: bool,
    /// Instead of a host firewall: the rules of a NAT router in front of the client (source NAT) or the server
    /// (its control port and passive range forwarded); needs --inside and --public; with --conntrack-helper the
    /// router's FTP helper rewrites PORT/227.
    #[arg(long, value_parser = parse_side, requires_all = ["inside", "public"])]
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

fn parse_range(s: &str) -> Result<PortRange, String> {
    PortRange::parse_field(s, "port range").map_err(|e| e.to_string())
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
        _ => return Err("give --mode and --side, or --nat with --inside and --public".into()),
    };
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}
