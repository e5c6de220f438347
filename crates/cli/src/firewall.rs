//! `ftpkit firewall`: the channels a firewall must open for a mode, on one side, with real ports.

use ftpkit_proto::firewall::{self, Mode, PortRange, Ports, Side};
use std::io::{self, Write};
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
    #[arg(long, value_parser = parse_mode)]
    mode: Mode,
    /// Whose firewall: the server's or the client's.
    #[arg(long, value_parser = parse_side)]
    side: Side,
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
    let channels = firewall::rules(args.mode, args.side, &ports);
    let format = if args.json { Format::Json } else { args.format };
    let text = match format {
        Format::Text => {
            let why = firewall::explain(args.mode, args.side);
            format!("{}\n{}\n", firewall::render_text(&channels).trim_end(), why.summary)
        }
        Format::Json => firewall::render_json(&channels),
        Format::Nft => firewall::render_nft(&channels),
        Format::Iptables => firewall::render_iptables(&channels),
    };
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}
