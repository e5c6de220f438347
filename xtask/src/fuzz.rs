//! `cargo xtask fuzz`: seed corpora, a bounded smoke run of every target, and longer campaigns.
//!
//! ```text
//! cargo xtask fuzz --smoke [--time S]           every target S seconds (default 10); fails on any finding
//! cargo xtask fuzz --target NAME [--time S]     one campaign (default 60 s); repeat --target for several
//! cargo xtask fuzz --seed-corpus                only write fuzz/corpus/<target>/ from the vectors and transcripts
//! cargo xtask fuzz --list                       the targets
//! options: --sanitizer address|none (default address: it also finds leaks), --rss-limit-mb N (default 2048),
//!          --timeout S (one input, default 10)
//! ```
//!
//! cargo-fuzz passes nightly-only `-Z` flags to rustc. CI may have only the stable toolchain, so every fuzz build
//! runs with `RUSTC_BOOTSTRAP=1`, which lets a stable rustc accept them (the fuzz crate is its own workspace, so
//! this never touches the normal build). `cargo-fuzz` is installed with `cargo install --locked` when missing.
//!
//! A crash, leak, OOM or timeout is copied from `fuzz/artifacts/<target>/` to
//! `crates/proto/testdata/fuzz-regressions/<target>/`, where `tests/fuzz_regressions.rs` replays it.
use crate::{cargo, root, run, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Targets whose input starts with one header byte (limits and chunk split) before the stream.
const HEADER_TARGETS: &[&str] = &["reply_decoder", "command_decoder"];

struct Options {
    smoke: bool,
    seed_only: bool,
    list: bool,
    targets: Vec<String>,
    time: Option<u64>,
    sanitizer: String,
    rss_limit_mb: u64,
    timeout: u64,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut o = Options {
        smoke: false,
        seed_only: false,
        list: false,
        targets: Vec::new(),
        time: None,
        sanitizer: "address".into(),
        rss_limit_mb: 2048,
        timeout: 10,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        let number = |name: &str, v: String| v.parse::<u64>().map_err(|_| format!("{name}: {v:?} is not a number"));
        match a.as_str() {
            "--smoke" => o.smoke = true,
            "--seed-corpus" => o.seed_only = true,
            "--list" => o.list = true,
            "--target" => o.targets.push(value("--target")?),
            "--time" => o.time = Some(number("--time", value("--time")?)?),
            "--sanitizer" => o.sanitizer = value("--sanitizer")?,
            "--rss-limit-mb" => o.rss_limit_mb = number("--rss-limit-mb", value("--rss-limit-mb")?)?,
            "--timeout" => o.timeout = number("--timeout", value("--timeout")?)?,
            other => return Err(format!("unknown option {other:?}; see the header of xtask/src/fuzz.rs")),
        }
    }
    Ok(o)
}

/// `cargo xtask fuzz ...`.
pub fn fuzz(args: &[String]) -> Result {
    let o = parse_args(args)?;
    let all = targets()?;
    if o.list {
        all.iter().for_each(|t| println!("{t}"));
        return Ok(());
    }
    for t in &o.targets {
        if !all.contains(t) {
            return Err(format!("no fuzz target {t:?}; targets: {}", all.join(", ")));
        }
    }
    let seeded = seed_corpus(&all)?;
    eprintln!("seed corpus: {seeded} files written under fuzz/corpus/");
    if o.seed_only {
        return Ok(());
    }
    let (chosen, time) = match (o.smoke, o.targets.is_empty()) {
        (true, true) => (all.clone(), o.time.unwrap_or(10)),
        (true, false) => (o.targets.clone(), o.time.unwrap_or(10)),
        (false, false) => (o.targets.clone(), o.time.unwrap_or(60)),
        (false, true) => return Err("say --smoke, --target NAME, --seed-corpus or --list".into()),
    };
    ensure_cargo_fuzz()?;
    let started = Instant::now();
    run(fuzz_cmd("build", &o.sanitizer))?;
    let mut results = Vec::new();
    for t in &chosen {
        results.push(run_target(t, time, &o)?);
    }
    println!("\n{:<18} {:>12} {:>8} {:>8} {:>7}  result", "target", "execs", "cov", "ft", "corpus");
    for r in &results {
        println!(
            "{:<18} {:>12} {:>8} {:>8} {:>7}  {}",
            r.target,
            r.execs,
            r.cov,
            r.ft,
            r.corpus,
            if r.findings.is_empty() { "ok".to_string() } else { format!("FOUND {}", r.findings.join(", ")) }
        );
    }
    println!("total {:.0} s (build included), {time} s per target", started.elapsed().as_secs_f64());
    let failed: Vec<&str> = results.iter().filter(|r| !r.ok).map(|r| r.target.as_str()).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "findings in {}; inputs copied to crates/proto/testdata/fuzz-regressions/ (replay: cargo test -p \
             ftpkit-proto --test fuzz_regressions)",
            failed.join(", ")
        ))
    }
}

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// The `[[bin]]` names of `fuzz/Cargo.toml`: adding a target there is enough for xtask to run it.
fn targets() -> Result<Vec<String>> {
    let path = fuzz_dir().join("Cargo.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if let Some(v) = line.strip_prefix("name").map(str::trim_start).and_then(|r| r.strip_prefix('=')) {
            if in_bin {
                out.push(v.trim().trim_matches('"').to_string());
            }
        }
    }
    Ok(out)
}

fn ensure_cargo_fuzz() -> Result {
    let present = cargo().args(["fuzz", "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if matches!(present, Ok(s) if s.success()) {
        return Ok(());
    }
    eprintln!("cargo-fuzz is missing: installing it (about 45 s)");
    let mut c = cargo();
    c.args(["install", "--locked", "cargo-fuzz"]);
    run(c)
}

/// `cargo fuzz <sub> --sanitizer <s>`, with what a stable toolchain needs.
fn fuzz_cmd(sub: &str, sanitizer: &str) -> Command {
    let mut c = cargo();
    c.env("RUSTC_BOOTSTRAP", "1").args(["fuzz", sub, "--sanitizer", sanitizer]);
    c
}

struct Outcome {
    target: String,
    ok: bool,
    execs: String,
    cov: String,
    ft: String,
    corpus: String,
    findings: Vec<String>,
}

fn run_target(target: &str, time: u64, o: &Options) -> Result<Outcome> {
    let artifacts = fuzz_dir().join("artifacts").join(target);
    let before = list_files(&artifacts);
    let log_path = fuzz_dir().join("artifacts").join(format!("{target}.log"));
    fs::create_dir_all(log_path.parent().unwrap_or(Path::new("."))).map_err(|e| e.to_string())?;
    let log = fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let mut c = fuzz_cmd("run", &o.sanitizer);
    c.args([target, "--"]);
    c.arg(format!("-max_total_time={time}"))
        .arg(format!("-rss_limit_mb={}", o.rss_limit_mb))
        .arg(format!("-timeout={}", o.timeout))
        .arg("-print_final_stats=1");
    eprintln!("\n==> fuzz {target} for {time} s (log: {})", log_path.display());
    let status = c.stdout(log).stderr(log2).status().map_err(|e| format!("cannot start cargo fuzz: {e}"))?;
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let mut out = Outcome {
        target: target.into(),
        ok: status.success(),
        execs: "?".into(),
        cov: "?".into(),
        ft: "?".into(),
        corpus: "?".into(),
        findings: Vec::new(),
    };
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            out.execs = v.trim().into();
        }
        if line.starts_with('#') && line.contains("cov: ") {
            let field = |name: &str| -> Option<String> {
                let rest = line.split(name).nth(1)?;
                Some(rest.split_whitespace().next()?.to_string())
            };
            out.cov = field("cov: ").unwrap_or_default();
            out.ft = field("ft: ").unwrap_or_default();
            out.corpus = field("corp: ").unwrap_or_default();
            if out.execs == "?" || !out.ok {
                out.execs = line.trim_start_matches('#').split_whitespace().next().unwrap_or("?").to_string();
            }
        }
    }
    let new: Vec<PathBuf> = list_files(&artifacts).into_iter().filter(|p| !before.contains(p)).collect();
    if !out.ok || !new.is_empty() {
        out.ok = false;
        let dest = root().join("crates/proto/testdata/fuzz-regressions").join(target);
        fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
        for p in &new {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            fs::copy(p, dest.join(&name)).map_err(|e| format!("copy {}: {e}", p.display()))?;
            out.findings.push(format!("{target}/{name}"));
        }
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("--- last lines of {} ---", log_path.display());
        for l in &lines[lines.len().saturating_sub(40)..] {
            eprintln!("{l}");
        }
        if out.findings.is_empty() {
            out.findings.push(format!("exit {status}, no artifact"));
        }
    }
    eprintln!("<== {target}: {} execs, cov {}, {}", out.execs, out.cov, if out.ok { "ok" } else { "FAILED" });
    Ok(out)
}

fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir).map(|r| r.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------------------------
// Seed corpus.

/// Writes `fuzz/corpus/<target>/seed-<hash>` for every input the vectors and transcripts give each target.
/// Returns how many files were written (existing ones are kept; the fuzzer's own corpus files are never touched).
fn seed_corpus(all: &[String]) -> Result<usize> {
    let mut seeds: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    let proto = root().join("crates/proto/testdata");
    for path in list_files(&proto.join("vectors")).iter().filter(|p| p.extension().is_some_and(|e| e == "jsonl")) {
        let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v = json::parse(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            let (Some(kind), Some(input)) = (v.get("kind").and_then(json::Value::as_str), v.get("input")) else {
                continue;
            };
            let Some(input) = input.as_str() else { continue };
            let form = v.get("as").and_then(json::Value::as_str).unwrap_or(kind);
            vector_seeds(form, input, &mut seeds);
        }
    }
    for path in list_files(&proto.join("transcripts")) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        transcript_seeds(&name, &text, &mut seeds)?;
    }
    proxy_seeds(&mut seeds);
    let mut written = 0;
    for t in all {
        let dir = fuzz_dir().join("corpus").join(t);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let key = t.as_str();
        let list = seeds.iter().find(|(k, _)| **k == key).map(|(_, v)| v.as_slice()).unwrap_or_default();
        for input in list {
            let mut bodies = Vec::new();
            if HEADER_TARGETS.contains(&key) {
                // Whole stream and byte at a time with default limits; small chunks with small limits.
                for header in [0u8, 0x04, 0x0a] {
                    let mut b = vec![header];
                    b.extend_from_slice(input);
                    bodies.push(b);
                }
            } else {
                bodies.push(input.clone());
            }
            for b in bodies {
                let file = dir.join(format!("seed-{:016x}", fnv1a(&b)));
                if !file.exists() {
                    fs::write(&file, &b).map_err(|e| format!("{}: {e}", file.display()))?;
                    written += 1;
                }
            }
        }
    }
    Ok(written)
}

fn add(seeds: &mut BTreeMap<&'static str, Vec<Vec<u8>>>, target: &'static str, input: &[u8]) {
    let list = seeds.entry(target).or_default();
    if !list.iter().any(|s| s == input) {
        list.push(input.to_vec());
    }
}

/// A reply's text goes to the reply decoder, the transcript decoder and the payload parser its code calls for.
fn reply_seeds(text: &str, seeds: &mut BTreeMap<&'static str, Vec<Vec<u8>>>) {
    add(seeds, "reply_decoder", text.as_bytes());
    add(seeds, "transcript", text.as_bytes());
    let code = text.get(..3).unwrap_or("");
    let by_code = match code {
        "227" => Some("pasv"),
        "228" => Some("lpsv"),
        "229" => Some("epsv"),
        "211" => Some("feat"),
        "257" => Some("path_257"),
        _ => None,
    };
    if let Some(t) = by_code {
        add(seeds, t, text.as_bytes());
    }
}

fn command_seeds(line: &str, seeds: &mut BTreeMap<&'static str, Vec<Vec<u8>>>) {
    let line = if line.ends_with('\n') { line.to_string() } else { format!("{line}\r\n") };
    add(seeds, "command_decoder", line.as_bytes());
    add(seeds, "command_roundtrip", line.as_bytes());
    add(seeds, "transcript", line.as_bytes());
    let (verb, arg) = line.trim_end_matches(['\r', '\n']).split_once(' ').unwrap_or((&line, ""));
    let by_verb = match verb.to_ascii_uppercase().as_str() {
        "PORT" => Some("port"),
        "EPRT" => Some("eprt"),
        "LPRT" => Some("lprt"),
        _ => None,
    };
    if let Some(t) = by_verb {
        add(seeds, t, arg.as_bytes());
    }
}

/// PROXY headers as HAProxy writes them (v1 and v2, IPv4 and IPv6, LOCAL), each followed by the first bytes of a
/// session.
fn proxy_seeds(seeds: &mut BTreeMap<&'static str, Vec<Vec<u8>>>) {
    use ftpkit_proto::proxy::{encode_v1, encode_v2, encode_v2_local};
    let pairs = [("192.0.2.7:51000", "198.51.100.1:21"), ("[2001:db8::7]:51000", "[2001:db8::1]:21")];
    for (src, dst) in pairs {
        let (Ok(src), Ok(dst)) = (src.parse(), dst.parse()) else { continue };
        for mut h in [encode_v1(src, dst).map(String::into_bytes), encode_v2(src, dst)].into_iter().flatten() {
            h.extend_from_slice(b"USER anonymous\r\n");
            add(seeds, "proxy_header", &h);
        }
    }
    add(seeds, "proxy_header", &encode_v2_local());
    add(seeds, "proxy_header", b"PROXY UNKNOWN\r\n");
}

fn vector_seeds(form: &str, input: &str, seeds: &mut BTreeMap<&'static str, Vec<Vec<u8>>>) {
    match form {
        "command" | "command_format" => command_seeds(input, seeds),
        "reply" => reply_seeds(input, seeds),
        "pasv" => add(seeds, "pasv", input.as_bytes()),
        "epsv" => add(seeds, "epsv", input.as_bytes()),
        "lpsv" => add(seeds, "lpsv", input.as_bytes()),
        "port_arg" => add(seeds, "port", input.as_bytes()),
        "eprt_arg" => add(seeds, "eprt", input.as_bytes()),
        "lprt_arg" => add(seeds, "lprt", input.as_bytes()),
        "pwd" => add(seeds, "path_257", input.as_bytes()),
        "feat" => add(seeds, "feat", input.as_bytes()),
        "list_line" => {
            add(seeds, "list_line", input.as_bytes());
            add(seeds, "list_formats", format!("\n{input}\r\n").as_bytes());
        }
        "mlsd_line" => {
            add(seeds, "mlsd_line", input.as_bytes());
            add(seeds, "list_line", input.as_bytes());
        }
        "firewall_ports" => {
            let value = input.split_once('=').map_or(input, |(_, v)| v);
            add(seeds, "firewall", value.as_bytes());
        }
        _ => {}
    }
}

/// A `server_session` script (see `check_server_session`): each command line fed (op 0, length, bytes), the
/// request it raises answered with the target's "success" outcome (op 1, 0), and after PASV/EPSV a data connection
/// from the client (op 2, 0).
fn server_script(commands: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in commands.split_inclusive('\n') {
        let bytes = &line.as_bytes()[..line.len().min(255)];
        out.extend_from_slice(&[0, bytes.len() as u8]);
        out.extend_from_slice(bytes);
        out.extend_from_slice(&[1, 0]);
        if line.starts_with("PASV") || line.starts_with("EPSV") {
            out.extend_from_slice(&[2, 0]);
        }
    }
    out
}

/// A `client_session` script (see `check_client_session`): a login and a passive transfer requested (op 1), then
/// the server's replies fed in chunks of at most 255 bytes (op 0, length, bytes).
fn client_script(replies: &str) -> Vec<u8> {
    let mut out = vec![1, 0, 1, 7];
    for chunk in replies.as_bytes().chunks(255) {
        out.extend_from_slice(&[0, chunk.len() as u8]);
        out.extend_from_slice(chunk);
    }
    out
}

fn transcript_seeds(name: &str, text: &str, seeds: &mut BTreeMap<&'static str, Vec<Vec<u8>>>) -> Result {
    if name.ends_with(".jsonl") {
        let mut replies = String::new();
        let mut commands = String::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v = json::parse(line).map_err(|e| format!("{name}: {e}"))?;
            if let Some(sent) = v.get("sent").and_then(json::Value::as_str) {
                command_seeds(sent, seeds);
                commands.push_str(sent);
                commands.push_str("\r\n");
            }
            if let Some(reply) = v.get("reply_text").and_then(json::Value::as_str) {
                reply_seeds(reply, seeds);
                replies.push_str(reply);
            }
        }
        add(seeds, "reply_decoder", replies.as_bytes());
        add(seeds, "command_decoder", commands.as_bytes());
        add(seeds, "server_session", &server_script(&commands));
        add(seeds, "client_session", &client_script(&replies));
    } else if name.ends_with("-list.txt") {
        text.lines().for_each(|l| add(seeds, "list_line", l.as_bytes()));
        add(seeds, "list_formats", format!("215 UNIX Type: L8\n{text}").as_bytes());
    } else if name.ends_with("-mlsd.txt") {
        text.lines().for_each(|l| add(seeds, "mlsd_line", l.as_bytes()));
    } else if name.ends_with(".txt") && !name.eq_ignore_ascii_case("README.md") {
        add(seeds, "transcript", text.as_bytes());
        for line in text.lines() {
            if let Some(cmd) = line.strip_prefix("---> ") {
                command_seeds(cmd, seeds);
            }
        }
    }
    Ok(())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Just enough JSON to read the vector and transcript files (xtask has no dependencies).
mod json {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(String),
        Str(String),
        Array(Vec<Value>),
        Object(Vec<(String, Value)>),
    }

    impl Value {
        pub fn get(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }

        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::Str(s) => Some(s),
                _ => None,
            }
        }
    }

    pub fn parse(text: &str) -> Result<Value, String> {
        let mut p = Parser { b: text.as_bytes(), i: 0 };
        let v = p.value()?;
        p.ws();
        if p.i != p.b.len() {
            return Err(format!("trailing bytes at {}", p.i));
        }
        Ok(v)
    }

    struct Parser<'a> {
        b: &'a [u8],
        i: usize,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while self.b.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
                self.i += 1;
            }
        }

        fn eat(&mut self, c: u8) -> Result<(), String> {
            self.ws();
            if self.b.get(self.i) == Some(&c) {
                self.i += 1;
                Ok(())
            } else {
                Err(format!("expected {:?} at byte {}", c as char, self.i))
            }
        }

        fn value(&mut self) -> Result<Value, String> {
            self.ws();
            match self.b.get(self.i) {
                Some(b'{') => {
                    self.i += 1;
                    let mut fields = Vec::new();
                    self.ws();
                    if self.b.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Value::Object(fields));
                    }
                    loop {
                        self.ws();
                        let k = self.string()?;
                        self.eat(b':')?;
                        fields.push((k, self.value()?));
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                return Ok(Value::Object(fields));
                            }
                            _ => return Err(format!("expected , or }} at byte {}", self.i)),
                        }
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    let mut items = Vec::new();
                    self.ws();
                    if self.b.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(Value::Array(items));
                    }
                    loop {
                        items.push(self.value()?);
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                return Ok(Value::Array(items));
                            }
                            _ => return Err(format!("expected , or ] at byte {}", self.i)),
                        }
                    }
                }
                Some(b'"') => Ok(Value::Str(self.string()?)),
                Some(b't') => self.word("true", Value::Bool(true)),
                Some(b'f') => self.word("false", Value::Bool(false)),
                Some(b'n') => self.word("null", Value::Null),
                Some(c) if c.is_ascii_digit() || *c == b'-' => {
                    let start = self.i;
                    while self.b.get(self.i).is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(c)) {
                        self.i += 1;
                    }
                    Ok(Value::Number(String::from_utf8_lossy(&self.b[start..self.i]).into_owned()))
                }
                _ => Err(format!("unexpected byte at {}", self.i)),
            }
        }

        fn word(&mut self, w: &str, v: Value) -> Result<Value, String> {
            if self.b[self.i..].starts_with(w.as_bytes()) {
                self.i += w.len();
                Ok(v)
            } else {
                Err(format!("bad literal at byte {}", self.i))
            }
        }

        fn hex4(&mut self) -> Result<u32, String> {
            let h = self.b.get(self.i..self.i + 4).ok_or("short \\u escape")?;
            let s = std::str::from_utf8(h).map_err(|e| e.to_string())?;
            self.i += 4;
            u32::from_str_radix(s, 16).map_err(|e| format!("\\u{s}: {e}"))
        }

        fn string(&mut self) -> Result<String, String> {
            if self.b.get(self.i) != Some(&b'"') {
                return Err(format!("expected a string at byte {}", self.i));
            }
            self.i += 1;
            let mut out: Vec<u8> = Vec::new();
            loop {
                let c = *self.b.get(self.i).ok_or("unterminated string")?;
                self.i += 1;
                match c {
                    b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                    b'\\' => {
                        let e = *self.b.get(self.i).ok_or("unterminated escape")?;
                        self.i += 1;
                        let ch = match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let mut cp = self.hex4()?;
                                if (0xD800..0xDC00).contains(&cp) && self.b[self.i..].starts_with(b"\\u") {
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                                }
                                char::from_u32(cp).unwrap_or('\u{FFFD}')
                            }
                            other => return Err(format!("bad escape \\{}", other as char)),
                        };
                        let mut buf = [0; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => out.push(c),
                }
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn reads_a_vector_line() {
            let v = parse(r#"{"kind": "reply", "input": "227 x\r\n\u00e9\ud83d\ude00", "n": [1, -2.5e3, true, null]}"#)
                .unwrap();
            assert_eq!(v.get("kind").and_then(Value::as_str), Some("reply"));
            assert_eq!(v.get("input").and_then(Value::as_str), Some("227 x\r\n\u{e9}\u{1F600}"));
            assert!(parse("{\"a\": }").is_err());
        }
    }
}
