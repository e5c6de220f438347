//! `ftpkit-peers`: two Rust FTP peers for ftpkit's interop tests, as one command.
//!
//! ```text
//! ftpkit-peers unftp --bind 127.0.0.1:PORT --root DIR --passive LOW-HIGH
//!     libunftp with unftp-sbe-fs serving DIR (any user and password: libunftp's anonymous authenticator), active and
//!     passive; runs until killed.
//! ftpkit-peers suppaftp --addr HOST:PORT --user U --pass P --mode passive|epsv|active STEP...
//!     suppaftp's blocking client logs in, sets TYPE I and runs the steps in order; one output line per result:
//!       list PATH            -> `LIST <line>` for each line
//!       mlsd PATH            -> `MLSD <line>` for each line
//!       mlst PATH            -> `MLST <facts>`
//!       size PATH            -> `SIZE <n>`
//!       pwd                  -> `PWD <path>`
//!       get REMOTE LOCAL     -> `GET <bytes>` (LOCAL written)
//!       put LOCAL REMOTE     -> `PUT <bytes>`
//!       rest-get REMOTE LOCAL OFFSET -> `REST-GET <bytes>` (REST OFFSET, RETR, bytes appended to LOCAL)
//!       rename FROM TO       -> `RENAME`
//!       rm PATH              -> `RM`
//!       mkdir PATH           -> `MKDIR`
//!     The first failing step prints `ERROR <step>: <why>` on stderr and exits 1. Every command suppaftp sends is
//!     printed on stderr as `> COMMAND` (`PASS` masked), from its `CC OUT:` trace records.
//! ```

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use suppaftp::types::FileType;
use suppaftp::{FtpError, FtpStream, Mode};

/// Prints suppaftp's control-connection output records (`CC OUT: ...`) as `> ...` on stderr.
struct Commands;

impl log::Log for Commands {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        meta.target().starts_with("suppaftp")
    }

    fn log(&self, record: &log::Record<'_>) {
        let text = record.args().to_string();
        if let Some(cmd) = text.strip_prefix("CC OUT: ") {
            let cmd = if cmd.starts_with("PASS ") { "PASS XXXX" } else { cmd };
            eprintln!("> {cmd}");
        }
    }

    fn flush(&self) {}
}

static COMMANDS: Commands = Commands;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("unftp") => unftp(&args[1..]),
        Some("suppaftp") => {
            if log::set_logger(&COMMANDS).is_ok() {
                log::set_max_level(log::LevelFilter::Trace);
            }
            suppaftp_client(&args[1..])
        }
        _ => Err("usage: ftpkit-peers unftp ... | suppaftp ... (see the source's header)".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("ERROR {why}");
            ExitCode::FAILURE
        }
    }
}

/// `--name value` pairs.
type Flags = Vec<(String, String)>;

/// `--name value` pairs, in any order, before the first word that does not start with `--`; and the rest.
fn flags(args: &[String]) -> Result<(Flags, &[String]), String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() && args[i].starts_with("--") {
        let value = args.get(i + 1).ok_or_else(|| format!("{} needs a value", args[i]))?;
        out.push((args[i].trim_start_matches("--").to_owned(), value.clone()));
        i += 2;
    }
    Ok((out, &args[i..]))
}

fn flag<'a>(flags: &'a [(String, String)], name: &str) -> Result<&'a str, String> {
    flags.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).ok_or_else(|| format!("--{name} is required"))
}

fn unftp(args: &[String]) -> Result<(), String> {
    let (flags, rest) = flags(args)?;
    if !rest.is_empty() {
        return Err(format!("unftp: unexpected {rest:?}"));
    }
    let bind: SocketAddr = flag(&flags, "bind")?.parse().map_err(|e| format!("--bind: {e}"))?;
    let root = flag(&flags, "root")?.to_owned();
    let (low, high) = flag(&flags, "passive")?.split_once('-').ok_or("--passive LOW-HIGH")?;
    let low: u16 = low.parse().map_err(|e| format!("--passive: {e}"))?;
    let high: u16 = high.parse().map_err(|e| format!("--passive: {e}"))?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async move {
        let server = libunftp::ServerBuilder::new(Box::new(move || {
            // The back end is made per session; its root was checked before listening.
            unftp_sbe_fs::Filesystem::new(root.clone()).unwrap_or_else(|e| panic!("root {root}: {e}"))
        }))
        .greeting("ftpkit-peers libunftp ready")
        .passive_ports(low..=high)
        .active_passive_mode(libunftp::options::ActivePassiveMode::ActiveAndPassive)
        .build()
        .map_err(|e| format!("libunftp: {e}"))?;
        server.listen(bind.to_string()).await.map_err(|e| format!("libunftp listen on {bind}: {e}"))
    })
}

fn suppaftp_client(args: &[String]) -> Result<(), String> {
    let (flags, steps) = flags(args)?;
    let addr: SocketAddr = flag(&flags, "addr")?.parse().map_err(|e| format!("--addr: {e}"))?;
    let mut ftp = FtpStream::connect_timeout(addr, Duration::from_secs(10)).map_err(|e| format!("connect: {e}"))?;
    ftp.get_ref().set_read_timeout(Some(Duration::from_secs(20))).map_err(|e| format!("timeout: {e}"))?;
    match flag(&flags, "mode")? {
        "passive" => ftp.set_mode(Mode::Passive),
        "epsv" => ftp.set_mode(Mode::ExtendedPassive),
        "active" => ftp = ftp.active_mode(Duration::from_secs(10)),
        other => return Err(format!("--mode {other}: passive, epsv or active")),
    }
    ftp.login(flag(&flags, "user")?, flag(&flags, "pass")?).map_err(|e| format!("login: {e}"))?;
    ftp.transfer_type(FileType::Binary).map_err(|e| format!("TYPE I: {e}"))?;
    let mut out = io::stdout().lock();
    let mut rest = steps;
    while let Some((step, tail)) = rest.split_first() {
        let arity = match step.as_str() {
            "pwd" => 0,
            "list" | "mlsd" | "mlst" | "size" | "rm" | "mkdir" => 1,
            "get" | "put" | "rename" => 2,
            "rest-get" => 3,
            other => return Err(format!("unknown step {other:?}")),
        };
        if tail.len() < arity {
            return Err(format!("{step} needs {arity} arguments"));
        }
        let (a, after) = tail.split_at(arity);
        let line = run_step(&mut ftp, step, a).map_err(|e| format!("{step} {}: {e}", a.join(" ")))?;
        writeln!(out, "{line}").map_err(|e| format!("stdout: {e}"))?;
        rest = after;
    }
    out.flush().map_err(|e| format!("stdout: {e}"))?;
    drop(out);
    ftp.quit().map_err(|e| format!("QUIT: {e}"))
}

fn read_all(stream: &mut dyn Read) -> Result<Vec<u8>, FtpError> {
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).map_err(FtpError::ConnectionError)?;
    Ok(buf)
}

fn run_step(ftp: &mut FtpStream, step: &str, a: &[String]) -> Result<String, String> {
    let e = |e: FtpError| e.to_string();
    Ok(match step {
        "pwd" => format!("PWD {}", ftp.pwd().map_err(e)?),
        "list" => ftp.list(Some(&a[0])).map_err(e)?.iter().map(|l| format!("LIST {l}")).collect::<Vec<_>>().join("\n"),
        "mlsd" => ftp.mlsd(Some(&a[0])).map_err(e)?.iter().map(|l| format!("MLSD {l}")).collect::<Vec<_>>().join("\n"),
        "mlst" => format!("MLST {}", ftp.mlst(Some(&a[0])).map_err(e)?),
        "size" => format!("SIZE {}", ftp.size(&a[0]).map_err(e)?),
        "get" => {
            let bytes = ftp.retr(&a[0], read_all).map_err(e)?;
            fs::write(&a[1], &bytes).map_err(|e| format!("write {}: {e}", a[1]))?;
            format!("GET {}", bytes.len())
        }
        "put" => {
            let mut file = fs::File::open(&a[0]).map_err(|e| format!("open {}: {e}", a[0]))?;
            format!("PUT {}", ftp.put_file(&a[1], &mut file).map_err(e)?)
        }
        "rest-get" => {
            let offset: usize = a[2].parse().map_err(|e| format!("offset: {e}"))?;
            ftp.resume_transfer(offset).map_err(e)?;
            let bytes = ftp.retr(&a[0], read_all).map_err(e)?;
            let mut file = OpenOptions::new().append(true).open(&a[1]).map_err(|e| format!("open {}: {e}", a[1]))?;
            file.write_all(&bytes).map_err(|e| format!("write {}: {e}", a[1]))?;
            format!("REST-GET {}", bytes.len())
        }
        "rename" => {
            ftp.rename(&a[0], &a[1]).map_err(e)?;
            "RENAME".to_owned()
        }
        "rm" => {
            ftp.rm(&a[0]).map_err(e)?;
            "RM".to_owned()
        }
        "mkdir" => {
            ftp.mkdir(&a[0]).map_err(e)?;
            "MKDIR".to_owned()
        }
        other => return Err(format!("unknown step {other:?}")),
    })
}
