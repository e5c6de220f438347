//! Interop test harness for ftpkit: real FTP servers and clients on loopback.
//!
//! * [`install`]: `ensure_*` functions that install each peer when missing (apt, `apt-get download` + `dpkg-deb -x`,
//!   pip), idempotent and safe from many threads and processes at once.
//! * [`Tree`]: a fresh served tree (text files, a name with a space, a UTF-8 name, a subdir, a symlink, a multi-MiB
//!   random binary with a known sha256, a writable `upload/`).
//! * [`Vsftpd`], [`PureFtpd`], [`Pyftpdlib`]: servers started in the foreground on 127.0.0.1 (or `::1`) with a free
//!   port and a passive range, waited on until their greeting arrives, killed by process group on drop.
//! * [`FtpkitServer`]: ftpkit's own tokio server, embedded in a background runtime, serving a [`Tree`].
//! * [`clients`]: `curl`, `lftp`, `ftplib` (Python), `tnftp`, suppaftp (Rust), basic-ftp (Node.js), aioftp
//!   (Python asyncio) and ncftp runners, each with a timeout.
//! * [`Libunftp`]: libunftp with unftp-sbe-fs, from `tests/peers-rs` (its own workspace, built on first use).
//! * [`lab`]: the network-namespace lab: hosts, NAT routers and nftables rulesets in the kernel, real sessions across
//!   them, and ftpkit's firewall predictions beside the outcomes.
//!
//! Every failure is an [`Error`] that says which peer and why; nothing is skipped silently.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod certs;
pub mod clients;
pub mod ftpkit_server;
pub mod install;
pub mod lab;
mod process;
pub mod seaweed;
pub mod servers;
mod tree;

pub use certs::Certs;
pub use clients::{
    aioftp, basic_ftp, curl, curl_with_timeout, ftplib, lftp, ncftp, read_reply, suppaftp, tnftp, RunOutput,
};
pub use ftpkit_server::{FtpkitOpts, FtpkitServer, FtpkitTls};
pub use process::run_with_timeout;
pub use servers::{Libunftp, PureFtpd, Pyftpdlib, Server, ServerOpts, ServerTls, Vsftpd};
pub use tree::{sha256_hex, Tree, TreeEntry};

use std::fmt;
use std::path::PathBuf;

/// A harness failure: which peer or step, and why. `Debug` prints the same text as `Display`, so a test returning
/// `Result<(), Error>` fails with a readable message.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// What failed (a peer's name, or a step such as `tree`).
    pub what: String,
    /// Why, with any captured output or log text.
    pub why: String,
}

impl Error {
    /// An error about `what`, because of `why`.
    pub fn new(what: impl Into<String>, why: impl Into<String>) -> Self {
        Error { what: what.into(), why: why.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// Result with the harness [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The harness's cache folder (install lock, unpacked pure-ftpd, pyftpdlib venv): `$FTPKIT_INTEROP_CACHE` if set,
/// else `<target dir>/ftpkit-interop`, where the target dir is found from the running test binary's path
/// (`target/<profile>/deps/<bin>`), or `$CARGO_TARGET_DIR`, or `target/` beside the workspace root.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FTPKIT_INTEROP_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("ftpkit-interop");
    }
    if let Ok(exe) = std::env::current_exe() {
        // target/<profile>/deps/<bin> -> target
        if let Some(target) = exe.parent().and_then(|deps| deps.parent()).and_then(|profile| profile.parent()) {
            if target.file_name().is_some_and(|n| n == "target") {
                return target.join("ftpkit-interop");
            }
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("ftpkit-interop")
}

/// A benchmark's `--size-mib N --rounds R` from the command line (both above 0), starting from the defaults; `None`
/// (after printing `usage`) for anything else.
pub fn size_and_rounds(usage: &str, mut size_mib: usize, mut rounds: usize) -> Option<(usize, usize)> {
    usize_flags(usage, &mut [("--size-mib", &mut size_mib), ("--rounds", &mut rounds)]).then_some((size_mib, rounds))
}

/// A benchmark's `--NAME N` flags from the command line (each above 0) into their defaults in `flags`; false (after
/// printing `usage`) for anything else.
pub fn usize_flags(usage: &str, flags: &mut [(&str, &mut usize)]) -> bool {
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().and_then(|v| v.parse::<usize>().ok()).filter(|v| *v > 0);
        match (flags.iter_mut().find(|(name, _)| *name == flag), value) {
            (Some((_, slot)), Some(v)) => **slot = v,
            _ => {
                eprintln!("{usage}");
                return false;
            }
        }
    }
    true
}

/// `len` bytes from a xorshift generator seeded with `seed`, starting with CR, LF, CRLF, NUL and 0xff: content a
/// binary transfer must keep byte for byte.
pub fn binary_content(len: usize, seed: u32) -> Vec<u8> {
    let mut out = b"\r\n\n\r\x00\xff".to_vec();
    let mut x = seed | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(x.to_le_bytes()[0]);
    }
    out.truncate(len);
    out
}

/// A client trace hook that records each control line as `> COMMAND` or `< REPLY LINE` (other trace lines are
/// left out), and the lines recorded so far.
pub fn trace_recorder() -> (std::sync::Arc<std::sync::Mutex<Vec<String>>>, ftpkit::client::Tracer) {
    use ftpkit::client::TraceLine;
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&lines);
    let tracer: ftpkit::client::Tracer = std::sync::Arc::new(move |l: &TraceLine| {
        let line = match l {
            TraceLine::Sent(s) => format!("> {s}"),
            TraceLine::Received(s) => format!("< {s}"),
            _ => return,
        };
        if let Ok(mut v) = sink.lock() {
            v.push(line);
        }
    });
    (lines, tracer)
}
