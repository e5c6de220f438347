//! Client runners: each installs its client when missing and runs it with a timeout (a hung peer fails the test).

use std::ffi::OsStr;
use std::process::Command;
use std::time::Duration;

use crate::install::{
    ensure_aioftp, ensure_basic_ftp, ensure_curl, ensure_lftp, ensure_ncftp, ensure_peers_rs, ensure_tnftp, python3,
};
use crate::process::run_with_timeout;
use crate::Result;

pub use crate::process::RunOutput;

/// The default timeout of every runner.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `curl ARGS` (nothing added: pass `-sS`, `-v`, `-u`, `-P`, ... yourself) with [`DEFAULT_TIMEOUT`].
pub fn curl<I, S>(args: I) -> Result<RunOutput>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    curl_with_timeout(args, DEFAULT_TIMEOUT)
}

/// [`curl`] with a chosen timeout.
pub fn curl_with_timeout<I, S>(args: I, timeout: Duration) -> Result<RunOutput>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let bin = ensure_curl()?;
    run_with_timeout(Command::new(bin).args(args), None, timeout)
}

/// The commands [`lftp`] runs before the script: no TLS attempt, bounded retries and timeouts, exit on the first
/// failed command.
pub const LFTP_PRELUDE: &str =
    "set ftp:ssl-allow no; set net:max-retries 1; set net:timeout 10; set net:reconnect-interval-base 1; \
     set cmd:fail-exit yes; ";

/// Runs `lftp -c "LFTP_PRELUDE SCRIPT"` with [`DEFAULT_TIMEOUT`]. The script opens its own connection, e.g.
/// `open -u USER,PASS -p PORT 127.0.0.1; set ftp:passive-mode off; ls; bye`.
pub fn lftp(script: &str) -> Result<RunOutput> {
    let bin = ensure_lftp()?;
    run_with_timeout(Command::new(bin).arg("-c").arg(format!("{LFTP_PRELUDE}{script}")), None, DEFAULT_TIMEOUT)
}

/// Runs `python3 -c CODE` with [`DEFAULT_TIMEOUT`] and `PYTHONIOENCODING=utf-8` (for Python's `ftplib`; import it
/// in the code).
pub fn ftplib(code: &str) -> Result<RunOutput> {
    let python = python3()?;
    run_with_timeout(Command::new(python).env("PYTHONIOENCODING", "utf-8").arg("-c").arg(code), None, DEFAULT_TIMEOUT)
}

/// Runs tnftp (`/usr/bin/tnftp`, the classic `ftp`) with `ARGS` and `input` on standard input, with
/// [`DEFAULT_TIMEOUT`]; e.g. args `-n -d -v 127.0.0.1 PORT`, input `user NAME PASS\npassive off\nls\nquit\n`.
pub fn tnftp<I, S>(args: I, input: &str) -> Result<RunOutput>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let bin = ensure_tnftp()?;
    run_with_timeout(Command::new(bin).args(args), Some(input.as_bytes()), DEFAULT_TIMEOUT)
}

/// Reads one FTP reply from a control connection and returns its last line (a multi-line reply's `NNN ` line), or
/// what there was when the connection closed or timed out (bounded: at most 32 lines). For tests that speak the
/// protocol by hand.
pub fn read_reply(r: &mut impl std::io::BufRead) -> String {
    for _ in 0..32 {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return line;
        }
        if line.as_bytes().get(3) == Some(&b' ') {
            return line;
        }
    }
    String::new()
}

/// Runs suppaftp's blocking client (`ftpkit-peers suppaftp ARGS`, built by [`ensure_peers_rs`]) with
/// [`DEFAULT_TIMEOUT`]: `--addr HOST:PORT --user U --pass P --mode passive|epsv|active STEP...` (the steps are
/// listed in `tests/peers-rs/src/main.rs`).
pub fn suppaftp<I, S>(args: I) -> Result<RunOutput>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let bin = ensure_peers_rs()?;
    run_with_timeout(Command::new(bin).arg("suppaftp").args(args), None, DEFAULT_TIMEOUT)
}

/// Runs a Node.js `script` with `require("basic-ftp")` resolving to the installed [`ensure_basic_ftp`] version,
/// with [`DEFAULT_TIMEOUT`].
pub fn basic_ftp(script: &str) -> Result<RunOutput> {
    let (node, dir) = ensure_basic_ftp()?;
    run_with_timeout(
        Command::new(node).env("NODE_PATH", dir.join("node_modules")).arg("-e").arg(script),
        None,
        DEFAULT_TIMEOUT,
    )
}

/// Runs Python `code` in the interpreter that has [`ensure_aioftp`]'s `aioftp`, with [`DEFAULT_TIMEOUT`].
pub fn aioftp(code: &str) -> Result<RunOutput> {
    let python = ensure_aioftp()?;
    run_with_timeout(Command::new(python).env("PYTHONIOENCODING", "utf-8").arg("-c").arg(code), None, DEFAULT_TIMEOUT)
}

/// Runs one of ncftp's tools (`ncftpls`, `ncftpget`, `ncftpput`, installed by [`ensure_ncftp`]) with `ARGS` and
/// [`DEFAULT_TIMEOUT`].
pub fn ncftp<I, S>(tool: &str, args: I) -> Result<RunOutput>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let dir = ensure_ncftp()?;
    run_with_timeout(Command::new(dir.join(tool)).args(args), None, DEFAULT_TIMEOUT)
}
