//! `ftpkit decode`: transcript in, one explained line (or JSON object) per command, reply or error out.

use crate::Example;
use ftpkit_proto::explain::explain;
use ftpkit_proto::transcript::{self, Endpoint, Item};
use serde_json::{json, Value};
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

/// Reads the input, decodes it and writes the result. Exits 1 when any item could not be decoded.
pub fn run(as_json: bool, example: Option<Example>, lines: &[String]) -> io::Result<ExitCode> {
    let text = match example {
        Some(Example::Active) => transcript::SEED_ACTIVE.to_owned(),
        Some(Example::Passive) => transcript::SEED_PASSIVE.to_owned(),
        None if !lines.is_empty() => lines.join("\n"),
        None => {
            let mut s = String::new();
            io::stdin().read_to_string(&mut s)?;
            s
        }
    };
    let items = transcript::decode(&text);
    let mut out = BufWriter::new(io::stdout().lock());
    for item in &items {
        if as_json {
            writeln!(out, "{}", to_json(item))?;
        } else {
            write_human(&mut out, item)?;
        }
    }
    out.flush()?;
    let failed = items.iter().any(|i| matches!(i, Item::Error(_)));
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn write_human(out: &mut impl Write, item: &Item) -> io::Result<()> {
    let (arrow, input) = match item {
        Item::Command(c) => ("--->", c.input.as_str()),
        Item::Reply(r) => ("<---", r.input.as_str()),
        Item::Error(e) => ("!!!!", e.input.as_str()),
    };
    let mut first = true;
    for l in input.lines() {
        writeln!(out, "{:>4} {arrow} {l}", if first { item.line().to_string() } else { String::new() })?;
        first = false;
    }
    if input.is_empty() {
        writeln!(out, "{:>4} {arrow}", item.line())?;
    }
    writeln!(out, "          {}", explain(item))
}

fn endpoint_json(ep: &Endpoint) -> Value {
    json!({ "ip": ep.ip.map(|ip| ip.to_string()), "port": ep.port })
}

/// The JSON object for one item: the fields documented in the README.
pub fn to_json(item: &Item) -> Value {
    match item {
        Item::Command(c) => {
            let mut v = json!({ "kind": "command", "line": c.line, "verb": c.verb, "arg": c.arg });
            if let Some(ep) = &c.endpoint {
                v["endpoint"] = endpoint_json(ep);
            }
            v["explain"] = Value::String(explain(item));
            v
        }
        Item::Reply(r) => {
            let mut v = json!({ "kind": "reply", "line": r.line, "code": r.code, "text": r.text });
            if let Some(ep) = &r.endpoint {
                v["endpoint"] = endpoint_json(ep);
            }
            if let Some(p) = &r.path {
                v["path"] = Value::String(p.clone());
            }
            v["explain"] = Value::String(explain(item));
            v
        }
        Item::Error(e) => json!({
            "kind": "error", "line": e.line, "input": e.input, "error": e.error, "error_kind": e.kind.name()
        }),
    }
}
