//! `ftpkit passwd`: add a user to a users file (`ftpkit serve --users FILE`) or change one.
//!
//! The password is read from standard input: on a terminal, asked twice without echo; otherwise the first line.
//! It is never an argument (arguments show in `ps` and in shell history). The line is written by the core's
//! [`users::set_entry`] (every other line kept as it was) and the file replaced by a rename, so a server reading it
//! at a login sees the old file or the new one, never half of one. A running server picks the change up at the
//! next login.

use ftpkit::proto::session::server::rate::{parse_rate, RateLimits};
use ftpkit::proto::session::server::users::{self, UserEntry};
use ftpkit::proto::session::server::Rights;
use ftpkit::server::users::hash_password;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options of `ftpkit passwd`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The users file (created when missing, mode 0600).
    #[arg(long, default_value = "ftpkit.users")]
    file: PathBuf,
    /// The user to add or change.
    user: String,
    /// The user's home, which is also the user's root: relative to the served directory, or absolute. Default: the
    /// served directory for a new user, unchanged for an existing one.
    #[arg(long)]
    home: Option<String>,
    /// The user's rights: read, write, delete, mkdir, rename (comma-separated), all or none. Default: read for a new
    /// user, unchanged for an existing one.
    #[arg(long)]
    rights: Option<Rights>,
    /// The user's download limit, bytes a second for all of the user's sessions (1048576, 512K, 1M), or `none`.
    /// Default: none for a new user, unchanged for an existing one.
    #[arg(long, value_name = "BYTES/S", value_parser = parse_limit)]
    max_rate_down: Option<Limit>,
    /// The user's upload limit, as --max-rate-down.
    #[arg(long, value_name = "BYTES/S", value_parser = parse_limit)]
    max_rate_up: Option<Limit>,
}

/// A limit flag: a rate, or `none` to remove one.
#[derive(Debug, Clone, Copy)]
struct Limit(Option<u64>);

fn parse_limit(text: &str) -> Result<Limit, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(Limit(None));
    }
    parse_rate(text).map(|r| Limit(Some(r)))
}

/// Reads the password: twice without echo on a terminal, else one line of standard input.
fn read_password(user: &str) -> Result<String, String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(|e| format!("reading the password: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = prompt(&format!("Password for {user}: "))?;
    let second = prompt("Again: ")?;
    if first != second {
        return Err("the two passwords differ".into());
    }
    Ok(first)
}

/// One line from the terminal with echo off (restored however the read ends).
#[cfg(unix)]
fn prompt(text: &str) -> Result<String, String> {
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
    let stdin = std::io::stdin();
    let old = tcgetattr(&stdin).map_err(|e| format!("terminal: {e}"))?;
    let mut quiet = old.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    eprint!("{text}");
    let _ = std::io::stderr().flush();
    tcsetattr(&stdin, OptionalActions::Flush, &quiet).map_err(|e| format!("terminal: {e}"))?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    let _ = tcsetattr(&stdin, OptionalActions::Flush, &old);
    eprintln!();
    read.map_err(|e| format!("reading the password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

#[cfg(not(unix))]
fn prompt(_text: &str) -> Result<String, String> {
    Err("no prompt without echo here: give the password on standard input".into())
}

/// Writes `text` to `path` through a temporary file in the same directory and a rename; a new file gets mode 0600,
/// an existing one keeps its mode.
fn replace_file(path: &Path, text: &str) -> Result<(), String> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    let write = || -> std::io::Result<()> {
        let mut f = open.open(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            f.set_permissions(meta.permissions())?;
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

/// Adds or changes the user.
pub fn run(args: &Args) -> Result<ExitCode, String> {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", args.file.display())),
    };
    let existing = users::parse(&text).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let old = existing.into_iter().find(|e| e.name == args.user);
    let mut entry = UserEntry {
        name: args.user.clone(),
        hash: String::new(),
        home: args.home.clone().or_else(|| old.as_ref().map(|o| o.home.clone())).unwrap_or_default(),
        rights: args.rights.or(old.as_ref().map(|o| o.rights)).unwrap_or(Rights::READ),
        rates: {
            let was = old.as_ref().map(|o| o.rates).unwrap_or_default();
            RateLimits {
                down: args.max_rate_down.map_or(was.down, |l| l.0),
                up: args.max_rate_up.map_or(was.up, |l| l.0),
            }
        },
    };
    // Check the name and home before asking for a password (a placeholder hash of the right shape).
    users::check_entry(&UserEntry { hash: String::from("$check"), ..entry.clone() }).map_err(|e| e.to_string())?;
    let password = read_password(&args.user)?;
    if password.is_empty() {
        return Err("empty password".into());
    }
    entry.hash = hash_password(&password).map_err(|e| e.to_string())?;
    let new = users::set_entry(&text, &entry).map_err(|e| format!("{}: {e}", args.file.display()))?;
    replace_file(&args.file, &new)?;
    let home = if entry.home.is_empty() { "the served directory" } else { &entry.home };
    let verb = if old.is_some() { "changed" } else { "added" };
    eprintln!("ftpkit: {} {verb} in {} (home {home}, rights {})", entry.name, args.file.display(), entry.rights);
    Ok(ExitCode::SUCCESS)
}
