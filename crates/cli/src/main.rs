//! The `ftpkit` command: decode and explain FTP sessions.
//!
//! Every subcommand is a thin shell: decoding, explanations and models come from `ftpkit-proto`.
// Doc comments here are clap help text, shown to users as written: URL syntax such as `[user[:pass]@]` stays plain
// there, so rustdoc must not read it as intra-doc links.
#![allow(rustdoc::broken_intra_doc_links)]

mod decode;
mod demo;
mod explain;
mod firewall;
mod mirror;
mod passwd;
mod serve;
mod trace;
mod transfer;
mod url;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "ftpkit", version, about = "FTP toolkit: decode, explain and model FTP sessions")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// A built-in transcript.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Example {
    /// The seed's active-mode `ftp -d` session (PORT 192,168,150,80,14,178).
    Active,
    /// The seed's passive-mode `ftp -d` session (227 ... (192,168,150,90,195,149)).
    Passive,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Decode protocol lines or a whole transcript (stdin when no LINE is given).
    ///
    /// Lines starting with a three-digit code are replies (multi-line replies grouped); other lines are commands.
    /// With `ftp -d` output (`---> ` markers) only marked lines are commands and the client's chatter is skipped.
    Decode {
        /// Write one JSON object per command, reply or error.
        #[arg(long)]
        json: bool,
        /// Decode a built-in transcript instead of LINEs or stdin.
        #[arg(long, value_enum, conflicts_with = "lines")]
        example: Option<Example>,
        /// Protocol lines to decode, e.g. "PORT 192,168,150,80,14,178".
        lines: Vec<String>,
    },
    /// Explain a transcript's data connections as the seed's numbered steps, with NAT warnings.
    Explain(explain::Args),
    /// Serve a directory over FTP with the embedded server (anonymous read-only by default).
    Serve(Box<serve::Args>),
    /// Add or change a user of a users file (ftpkit serve --users FILE): password from standard input (asked
    /// without echo on a terminal), hashed with Argon2id; home and rights.
    Passwd(passwd::Args),
    /// The channels a firewall must open for a mode, on the server's or the client's side.
    Firewall(firewall::Args),
    /// List a directory: ftpkit ls ftp://[user[:pass]@]host[:port]/path
    Ls(transfer::LsArgs),
    /// Download a file (to FILE.part, renamed to FILE when complete).
    Get(transfer::GetArgs),
    /// Upload a file.
    Put(transfer::PutArgs),
    /// Copy a directory tree: ftpkit mirror ftp://host/dir LOCALDIR (download) or LOCALDIR ftp://host/dir (upload).
    Mirror(mirror::Args),
    /// Run the embedded server and one active and one passive session on 127.0.0.1, and explain what happened.
    Demo(demo::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = || tracing_subscriber::EnvFilter::try_from_env("FTPKIT_LOG").unwrap_or_else(|_| "warn".into());
    if matches!(&cli.command, Cmd::Serve(a) if a.log_json()) {
        // One JSON object a line (the transfer log's lines among them): for log shippers.
        tracing_subscriber::fmt().json().with_env_filter(filter()).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let result = match cli.command {
        Cmd::Decode { json, example, lines } => decode::run(json, example, &lines).map_err(|e| e.to_string()),
        Cmd::Explain(args) => explain::run(&args),
        Cmd::Firewall(args) => firewall::run(&args),
        Cmd::Serve(args) => serve::run(&args),
        Cmd::Passwd(args) => passwd::run(&args),
        Cmd::Ls(args) => Ok(transfer::finish(transfer::ls(&args))),
        Cmd::Get(args) => Ok(transfer::finish(transfer::get(&args))),
        Cmd::Put(args) => Ok(transfer::finish(transfer::put(&args))),
        Cmd::Demo(args) => demo::run(&args),
        Cmd::Mirror(args) => mirror::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ftpkit: {e}");
            ExitCode::from(2)
        }
    }
}
