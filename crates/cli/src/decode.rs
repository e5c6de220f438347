//! `ftpkit decode`: transcript in, one explained line (or JSON object) per command, reply or error out.

use crate::Example;
use ftpkit_proto::explain::explain;
use ftpkit_proto::transcript::{self, json, Item};
use serde_json::Value;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

/// Reads the input, decodes it and writes the result. Exits 1 when any item could not be decoded.
pub fn run(as_json: bool, example: Option<Example>, lines: &[String]) -> io::Result<ExitCode> {
    // Bytes, not text: a Latin-1 name or a Telnet IAC before ABOR must not end the decode.
    let bytes = match example {
        Some(Example::Active) => transcript::SEED_ACTIVE.as_bytes().to_vec(),
        Some(Example::Passive) => transcript::SEED_PASSIVE.as_bytes().to_vec(),
        None if !lines.is_empty() => lines.join("\n").into_bytes(),
        None => {
            let mut b = Vec::new();
            io::stdin().read_to_end(&mut b)?;
            b
        }
    };
    let items = transcript::decode_bytes(&bytes);
    let mut out = BufWriter::new(io::stdout().lock());
    for item in &items {
        if as_json {
            writeln!(out, "{}", json::item(item))?;
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

/// The JSON object for one item: the core's one rendering ([`json::item`]), as a value for callers that add to it.
pub fn to_json(item: &Item) -> Value {
    serde_json::from_str(&json::item(item)).unwrap_or(Value::Null)
}
