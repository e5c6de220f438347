//! `ftpkit mirror SRC DST`: a thin shell over [`ftpkit::mirror`] — arguments, one overall progress bar, a line per
//! file, and the summary.

use crate::url::FtpUrl;
use ftpkit::blocking::Client;
use ftpkit::client::{ClientMode, Options};
use ftpkit::mirror::{mirror, Direction, Event, MirrorOptions, Summary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

/// Options of `ftpkit mirror`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to copy: an ftp://[user[:pass]@]host[:port]/dir URL (download) or a local directory (upload).
    src: String,
    /// Where to: a local directory (download; made when missing) or an ftp:// URL of a directory (upload).
    dst: String,
    /// Connections (and files in flight) at once.
    #[arg(short = 'P', long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    parallel: u16,
    /// Remove files and directories the destination has and the source does not.
    #[arg(long)]
    delete: bool,
    /// Say what would be done; change nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,
    /// Copy a file present on both sides only when the source is newer (not merely of another size).
    #[arg(long)]
    only_newer: bool,
    /// Start interrupted files over instead of continuing their .NAME.ftpkit-part file (REST).
    #[arg(long)]
    no_resume: bool,
    /// Do not check copied files against the server's HASH (SHA-256), even when it offers it.
    #[arg(long)]
    no_verify: bool,
    /// No line per file (the progress bar and the summary stay).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Active mode: the server connects back to the client (PORT/EPRT).
    #[arg(long)]
    active: bool,
    /// Passive mode with PASV only (no EPSV).
    #[arg(long, conflicts_with = "active")]
    pasv: bool,
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The summary line printed at the end.
fn summary_line(s: &Summary, dry_run: bool) -> String {
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 { s.transferred as f64 / secs } else { 0.0 };
    let mut line = if dry_run {
        format!(
            "dry run: {} files in source, {} actions would be taken, {} up to date",
            s.source_files, s.would, s.up_to_date
        )
    } else {
        format!(
            "{} files in source: {} copied ({} resumed), {} in {:.2} s ({:.0} files/s); {} up to date; {} directories made; {} deleted",
            s.source_files,
            s.transferred,
            s.resumed,
            human(s.bytes),
            secs,
            rate,
            s.up_to_date,
            s.dirs_made,
            s.deleted,
        )
    };
    if !dry_run {
        line.push_str(&format!("; {} verified (SHA-256), {} not verifiable", s.verified, s.not_verifiable));
        if let Some(note) = &s.verify_note {
            line.push_str(&format!(" ({note})"));
        }
    }
    if !s.failed.is_empty() {
        line.push_str(&format!("; {} FAILED", s.failed.len()));
    }
    if s.cancelled {
        line.push_str("; cancelled");
    }
    line
}

/// `ftpkit mirror`.
pub fn run(args: &Args) -> Result<ExitCode, String> {
    let (direction, url, local) = match (args.src.starts_with("ftp://"), args.dst.starts_with("ftp://")) {
        (true, false) => (Direction::Download, &args.src, &args.dst),
        (false, true) => (Direction::Upload, &args.dst, &args.src),
        _ => return Err("one of SRC and DST must be an ftp:// URL and the other a local directory".into()),
    };
    let url = FtpUrl::parse(url).map_err(|e| format!("bad URL: {e}"))?;
    let local = PathBuf::from(local);
    if direction == Direction::Upload && !local.is_dir() {
        return Err(format!("{} is not a directory", local.display()));
    }
    let opts = MirrorOptions {
        parallel: usize::from(args.parallel),
        delete: args.delete,
        dry_run: args.dry_run,
        only_newer: args.only_newer,
        resume: !args.no_resume,
        verify: !args.no_verify,
        ..MirrorOptions::new(direction, url.path.clone(), local)
    };
    let client_opts = Options {
        mode: if args.active { ClientMode::Active } else { ClientMode::Passive },
        extended_passive: !args.pasv,
        ..Options::default()
    };
    let authority = url.authority();
    let connect = || -> ftpkit::client::Result<Client> {
        let mut c = Client::connect_with(authority.as_str(), client_opts.clone())?;
        c.login(&url.user, &url.password)?;
        Ok(c)
    };

    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {bytes:>10}/{total_bytes} [{bar:30}] {binary_bytes_per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    let files = Mutex::new((0usize, 0usize));
    let verb = if direction == Direction::Download { "get" } else { "put" };
    let say = |line: String| {
        if !args.quiet {
            bar.suspend(|| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
            });
        }
    };
    let on_event = |e: &Event<'_>| match e {
        Event::Planned { files: n, bytes } => {
            bar.set_length(*bytes);
            let mut f = files.lock().unwrap_or_else(|p| p.into_inner());
            f.1 = *n;
            bar.set_message(format!("{}/{} files", f.0, f.1));
        }
        Event::Progress { bytes, .. } => bar.inc(*bytes),
        Event::Done { path, bytes } => {
            let mut f = files.lock().unwrap_or_else(|p| p.into_inner());
            f.0 += 1;
            bar.set_message(format!("{}/{} files", f.0, f.1));
            drop(f);
            say(format!("{verb} {path} ({})", human(*bytes)));
        }
        Event::Start { path, offset, size } if *offset > 0 => {
            say(format!("resume {path} at {offset} of {size} bytes"));
        }
        Event::MadeDir { path } => say(format!("mkdir {path}")),
        Event::Deleted { path } => say(format!("delete {path}")),
        Event::Would { action, path } => say(format!("would {action} {path}")),
        Event::Failed { path, error } => bar.suspend(|| eprintln!("ftpkit: {path}: {error}")),
        _ => {}
    };
    let result = mirror(&connect, &opts, &AtomicBool::new(false), &on_event);
    bar.finish_and_clear();
    let summary = result.map_err(|e| e.to_string())?;
    println!("{}", summary_line(&summary, args.dry_run));
    Ok(if summary.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
