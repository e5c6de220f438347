//! Loads the JSON-lines test vectors in `testdata/vectors/` (the shared floor and ftpkit's own files).
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

/// One vector: its kind, input, expectation and where it came from.
#[derive(Debug, Clone)]
pub struct Vector {
    pub file: String,
    pub line: usize,
    pub kind: String,
    pub input: String,
    pub expect: Value,
    pub as_: Option<String>,
    pub source: String,
    pub raw: Value,
}

impl Vector {
    /// The wire bytes of the input: latin-1 vectors (`"encoding": "latin-1"`) map each char to one byte.
    pub fn input_bytes(&self) -> Vec<u8> {
        if self.raw.get("encoding").and_then(Value::as_str) == Some("latin-1") {
            self.input.chars().map(|c| c as u32 as u8).collect()
        } else {
            self.input.as_bytes().to_vec()
        }
    }

    /// A label for assertion messages: file, line and source.
    pub fn at(&self) -> String {
        format!("{}:{} ({}) input={:?}", self.file, self.line, self.source, self.input)
    }
}

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/vectors")
}

/// Every vector of every `*.jsonl` file in `testdata/vectors/`.
pub fn all() -> Vec<Vector> {
    let mut files: Vec<_> = std::fs::read_dir(vectors_dir())
        .expect("testdata/vectors exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("vector file is UTF-8");
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let raw: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{}: bad JSON: {e}", i + 1));
            out.push(Vector {
                file: name.clone(),
                line: i + 1,
                kind: raw["kind"].as_str().expect("kind").to_owned(),
                input: raw["input"].as_str().expect("input").to_owned(),
                expect: raw["expect"].clone(),
                as_: raw.get("as").and_then(Value::as_str).map(str::to_owned),
                source: raw.get("source").and_then(Value::as_str).unwrap_or("").to_owned(),
                raw,
            });
        }
    }
    out
}

/// The vectors of one kind (`"pasv"`, `"reply"`, ...).
pub fn of_kind(kind: &str) -> Vec<Vector> {
    all().into_iter().filter(|v| v.kind == kind).collect()
}

/// The `invalid` vectors fed to one parser (`"as": "pasv"`, ...).
pub fn invalid_as(parser: &str) -> Vec<Vector> {
    all().into_iter().filter(|v| v.kind == "invalid" && v.as_.as_deref() == Some(parser)).collect()
}
