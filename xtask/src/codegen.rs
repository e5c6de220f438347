//! `cargo xtask codegen [--check]`: write the documentation that is generated from the code, or (`--check`) fail
//! when the committed text is stale.
//!
//! Each generated block sits between two marker lines in its file:
//!
//! ```text
//! <!-- generated:NAME (cargo xtask codegen) -->
//! ...
//! <!-- end generated:NAME -->
//! ```
//!
//! In a Rust file the markers and the block are `//!` doc lines. To add a block: write one `fn` returning its
//! Markdown, add it to [`block`], and list its name under each file it goes in ([`TARGETS`]).

use crate::{root, Result};
use ftpkit_proto::command::{Handling, LoginGate, VERBS};
use ftpkit_proto::session::server::machine::{Next, ServerState, TRANSITIONS};
use std::collections::BTreeMap;
use std::fs;

/// The files holding generated blocks, and which blocks each must hold.
const TARGETS: &[(&str, &[&str])] = &[
    ("docs/ARCHITECTURE.md", &["client-diagram", "server-table", "server-diagram"]),
    ("crates/proto/src/session/client/verdicts.md", &["client-verdicts"]),
    ("crates/proto/src/session/client/transitions.md", &["client-transitions"]),
    ("crates/proto/src/session/server/mod.rs", &["server-table", "server-diagram", "server-verbs"]),
    ("docs/DEPLOY.md", &["deploy-balancer"]),
];

/// The Markdown of the block called `name`.
fn block(name: &str) -> Result<String> {
    match name {
        "client-diagram" => Ok(format!("```mermaid\n{}```\n", client_docs()[2])),
        "client-verdicts" => Ok(client_docs()[0].clone()),
        "client-transitions" => Ok(client_docs()[1].clone()),
        "server-table" => Ok(server_table()),
        "server-diagram" => Ok(server_diagram()),
        "server-verbs" => Ok(server_verbs()),
        "deploy-balancer" => deploy_balancer(),
        other => Err(format!("no generated block is called {other:?}")),
    }
}

pub fn codegen(args: &[String]) -> Result {
    let check = args.iter().any(|a| a == "--check");
    let mut stale = Vec::new();
    for (path, names) in TARGETS {
        let file = root().join(path);
        let old = fs::read_to_string(&file).map_err(|e| format!("cannot read {path}: {e}"))?;
        let mut new = old.clone();
        for name in *names {
            new = splice(&new, name, &block(name)?, doc_comment(path)).map_err(|e| format!("{path}: {e}"))?;
        }
        if new != old {
            if check {
                stale.push(*path);
            } else {
                fs::write(&file, new).map_err(|e| format!("cannot write {path}: {e}"))?;
                eprintln!("codegen: wrote {path}");
            }
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!("generated text is stale in {}; run `cargo xtask codegen`", stale.join(", ")))
    }
}

/// Rust sources hold their blocks as `//!` lines.
fn doc_comment(path: &str) -> bool {
    path.ends_with(".rs")
}

/// `text` with the block `name` between its markers replaced by `body`.
fn splice(text: &str, name: &str, body: &str, doc: bool) -> Result<String> {
    let prefix = if doc { "//! " } else { "" };
    let open = format!("{prefix}<!-- generated:{name} (cargo xtask codegen) -->\n");
    let close = format!("{prefix}<!-- end generated:{name} -->\n");
    let start = text.find(&open).ok_or_else(|| format!("no marker line {:?}", open.trim_end()))? + open.len();
    let end = start + text[start..].find(&close).ok_or_else(|| format!("no marker line {:?}", close.trim_end()))?;
    let lines: String = body
        .lines()
        .map(|l| {
            if doc {
                if l.is_empty() {
                    "//!\n".to_owned()
                } else {
                    format!("//! {l}\n")
                }
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    Ok(format!("{}{}{}", &text[..start], lines, &text[end..]))
}

/// The client session's verdict table, its reply and data transition tables, and its state diagram, from the rows
/// in `session/client/machine.rs`.
fn client_docs() -> [String; 3] {
    ftpkit_proto::session::client::generated_docs()
}

/// The server session's transition table, one Markdown row per table row.
fn server_table() -> String {
    let mut out = String::from("| from | input | when | to | outputs |\n| --- | --- | --- | --- | --- |\n");
    for t in TRANSITIONS {
        let from: Vec<&str> = t.from.iter().map(|s| s.name()).collect();
        let to = match t.to {
            Next::Same => "(same)",
            Next::To(s) => s.name(),
        };
        out.push_str(&format!("| {} | {} | {} | {} | {} |\n", from.join(", "), t.input.name(), t.when, to, t.outputs));
    }
    out
}

/// The server session's state diagram (Mermaid): every row that changes the state, one edge per state pair with
/// the inputs that take it. Rows that keep the state are in the table only.
fn server_diagram() -> String {
    let mut edges: BTreeMap<(ServerState, ServerState), Vec<&str>> = BTreeMap::new();
    for t in TRANSITIONS {
        for &from in t.from {
            let Next::To(to) = t.to else { continue };
            // Shutdown closes every open state: the note below says it once.
            if to == from || t.input.name() == "shutdown" {
                continue;
            }
            // A full queue closes on whatever line overflows it: one label for those rows.
            let label = if t.when == "queue full" { "queue full" } else { t.input.name() };
            let inputs = edges.entry((from, to)).or_default();
            if !inputs.contains(&label) {
                inputs.push(label);
            }
        }
    }
    let id = |s: ServerState| s.name().replace('-', "_");
    let mut out = String::from("```mermaid\nstateDiagram-v2\n    [*] --> await_user\n");
    for ((from, to), inputs) in &edges {
        out.push_str(&format!("    {} --> {}: {}\n", id(*from), id(*to), inputs.join(", ")));
    }
    out.push_str("    note right of closed: shutdown closes every open state\n");
    out.push_str("    closed --> [*]\n```\n");
    out
}

/// The server's verbs by login gate and handling, with what HELP and FEAT list, from the verb table.
fn server_verbs() -> String {
    let mut out = String::from("| gate | handling | verbs |\n| --- | --- | --- |\n");
    let gates = [
        (LoginGate::Always, "any time"),
        (LoginGate::Login, "after login (530 before)"),
        (LoginGate::Read, "with the read right (550 without)"),
        (LoginGate::Write, "with the write right (550 without)"),
        (LoginGate::Delete, "with the delete right (550 without)"),
        (LoginGate::Mkdir, "with the mkdir right (550 without)"),
        (LoginGate::Rename, "with the rename right (550 without)"),
    ];
    let kinds = [
        (Handling::User, "USER"),
        (Handling::Pass, "PASS"),
        (Handling::Quit, "QUIT"),
        (Handling::Abor, "ABOR"),
        (Handling::Stat, "STAT"),
        (Handling::Immediate, "immediate"),
        (Handling::Request, "request"),
        (Handling::Transfer, "transfer"),
        (Handling::Security, "security"),
    ];
    for (gate, gate_name) in gates {
        for (kind, kind_name) in kinds {
            let mut verbs: Vec<&str> =
                VERBS.iter().filter(|v| v.gate == gate && v.server == kind).map(|v| v.name).collect();
            if verbs.is_empty() {
                continue;
            }
            verbs.sort_unstable();
            out.push_str(&format!("| {gate_name} | {kind_name} | {} |\n", verbs.join(" ")));
        }
    }
    let mut help: Vec<&str> = VERBS.iter().filter(|v| v.help).map(|v| v.name).collect();
    help.sort_unstable();
    let mut feat: Vec<String> = VERBS
        .iter()
        .filter_map(|v| v.feat)
        .map(|(name, params)| if params.is_empty() { name.to_owned() } else { format!("{name} {params}") })
        .collect();
    feat.sort_unstable();
    out.push_str(&format!("\nHELP lists: {}.\n\nFEAT lines from verbs: {}.\n", help.join(" "), feat.join(", ")));
    out
}

/// docs/DEPLOY.md's load-balancer example: the command and what it prints, from the core function the command
/// calls (`ftpkit_proto::firewall::render_balanced`), so the page cannot drift from the command.
fn deploy_balancer() -> Result<String> {
    use ftpkit_proto::firewall::{render_balanced, Balanced, Instance, PortRange};
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    let ip = |last: u8| IpAddr::V4(Ipv4Addr::new(127, 0, 0, last));
    let range = |lo: u16| PortRange::new(lo, lo + 9).map_err(|e| e.to_string());
    let instances = vec![
        Instance { bind: SocketAddr::new(ip(11), 2121), passive: range(30000)? },
        Instance { bind: SocketAddr::new(ip(12), 2121), passive: range(30010)? },
    ];
    let b = Balanced::new(ip(10), 2121, ip(9), instances).map_err(|e| e.to_string())?;
    Ok(format!(
        "```sh\nftpkit firewall --balancer 127.0.0.10 --control-port 2121 --trusted-proxy 127.0.0.9 \\\n    \
         --instance 127.0.0.11:2121,30000-30009 --instance 127.0.0.12:2121,30010-30019\n```\n\n```text\n{}```\n",
        render_balanced(&b, false)
    ))
}
