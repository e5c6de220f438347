//! `ftpkit explain [FILE]`: a transcript in, its data connections as the seed's numbered steps out.

use crate::Example;
use ftpkit_proto::timeline::{self, Context, Timeline};
use ftpkit_proto::transcript::{self, Item};
use serde_json::Value;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `ftpkit explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The transcript to read (`ftp -d` output or plain command/reply lines); stdin when absent.
    file: Option<PathBuf>,
    /// Explain a built-in transcript instead.
    #[arg(long, value_enum, conflicts_with = "file")]
    example: Option<Example>,
    /// The client's address on the control connection, when known (sharpens the NAT warnings).
    #[arg(long)]
    client: Option<IpAddr>,
    /// The server's address on the control connection, when known.
    #[arg(long)]
    server: Option<IpAddr>,
    /// The server's control port (default 21).
    #[arg(long)]
    control_port: Option<u16>,
    /// Write the timeline as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Reads the transcript, builds the timeline and writes it.
pub fn run(args: &Args) -> Result<ExitCode, String> {
    let text = match (&args.example, &args.file) {
        (Some(Example::Active), _) => transcript::SEED_ACTIVE.to_owned(),
        (Some(Example::Passive), _) => transcript::SEED_PASSIVE.to_owned(),
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        (None, None) => {
            let mut s = String::new();
            io::stdin().read_to_string(&mut s).map_err(|e| format!("stdin: {e}"))?;
            s
        }
    };
    let items = transcript::decode(&text);
    let ctx = Context { client: args.client, server: args.server, control_port: args.control_port };
    let tl = timeline::build(&items, &ctx);
    let errors: Vec<&Item> = items.iter().filter(|i| matches!(i, Item::Error(_))).collect();
    let out = if args.json {
        let mut v = timeline_json(&tl);
        v["errors"] = errors.iter().map(|i| crate::decode::to_json(i)).collect();
        format!("{v}\n")
    } else {
        let mut s = timeline::render_text(&tl);
        for e in &errors {
            if let Item::Error(e) = e {
                s.push_str(&format!("error (line {}): {}\n", e.line, e.error));
            }
        }
        s
    };
    io::stdout().lock().write_all(out.as_bytes()).map_err(|e| e.to_string())?;
    Ok(if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The whole timeline as one JSON object, as the core renders it: `{"connections": [...], "notes": [...]}`.
pub fn timeline_json(tl: &Timeline) -> Value {
    serde_json::from_str(&ftpkit_proto::transcript::json::timeline(tl)).unwrap_or(Value::Null)
}
