//! `ftpkit::mirror` against vsftpd (installed by the harness when missing) on 127.0.0.1, passive: a tree of 2,000
//! files in nested directories downloaded with a cancel half-way (inside a large file) and resumed, byte-exact
//! (sha256 of every file); a second run finds everything up to date from vsftpd's `LIST` times (to the minute) and
//! sizes; then the tree uploaded into vsftpd's writable `upload/` (temporary names renamed by RNFR/RNTO) and
//! compared on the server's disk. vsftpd has no HASH: the summary says nothing was verifiable, and the run succeeds.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use ftpkit::blocking::Client;
use ftpkit::mirror::{mirror, Direction, Event, MirrorOptions, PART_SUFFIX};
use ftpkit_interop::{sha256_hex, ServerOpts, Vsftpd};

/// 2,000 small files in 20 × 10 directories and one 3 MB file half-way through (`d10/big.bin`).
fn make_tree(root: &Path) -> Result<(), String> {
    let err = |e: std::io::Error| e.to_string();
    let mut i = 0u32;
    for a in 0..20 {
        for b in 0..10 {
            let dir = root.join(format!("d{a:02}/s{b}"));
            std::fs::create_dir_all(&dir).map_err(err)?;
            for f in 0..10 {
                let len = (i.wrapping_mul(7919) % 3000) as usize;
                let bytes: Vec<u8> =
                    (0..len).map(|k| ((k as u32 ^ i).wrapping_mul(2_654_435_761) >> 11) as u8).collect();
                std::fs::write(dir.join(format!("f{f}.dat")), bytes).map_err(err)?;
                i += 1;
            }
        }
    }
    let big: Vec<u8> = (0..3_000_000u32).map(|k| (k.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(root.join("d10/big.bin"), big).map_err(err)
}

/// The end of the server's log, for failure messages.
fn log_tail(server: &ftpkit_interop::Server) -> String {
    let log = server.log();
    let start = log.len().saturating_sub(3000);
    log.get(start..).unwrap_or("").to_owned()
}

/// A summary for a failure message: counts and the first failures.
fn brief(s: &ftpkit::mirror::Summary) -> String {
    format!(
        "transferred {}, resumed {}, up to date {}, cancelled {}, {} failed: {:?}",
        s.transferred,
        s.resumed,
        s.up_to_date,
        s.cancelled,
        s.failed.len(),
        s.failed.iter().take(3).collect::<Vec<_>>()
    )
}

/// Relative path → sha256 of every file under `root` (directories as "dir").
fn hashes(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).map(|r| r.to_string_lossy().into_owned()).unwrap_or_default();
            if p.is_dir() {
                out.insert(rel, "dir".to_owned());
                stack.push(p);
            } else {
                out.insert(rel, sha256_hex(&std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out
}

#[test]
fn vsftpd_mirror_download_interrupted_resumed_and_upload() -> Result<(), String> {
    let started = Instant::now();
    let server =
        Vsftpd::start(ServerOpts { passive_ports: 200, ..ServerOpts::default() }).map_err(|e| e.to_string())?;
    let src = server.root().join("mtree");
    make_tree(&src)?;
    let addr = server.addr();
    let connect = move || -> ftpkit::client::Result<Client> {
        let mut c = Client::connect(addr)?;
        c.login("anonymous", "")?;
        Ok(c)
    };
    let local = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dst = local.path().join("copy");
    let opts = MirrorOptions { parallel: 4, ..MirrorOptions::new(Direction::Download, "mtree", &dst) };

    let cancel = AtomicBool::new(false);
    let big = AtomicU64::new(0);
    let on_event = |e: &Event<'_>| {
        if let Event::Progress { path, bytes } = e {
            if path.contains("big") && big.fetch_add(*bytes, Ordering::Relaxed) + bytes >= 1_000_000 {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    };
    let first = mirror(&connect, &opts, &cancel, &on_event).map_err(|e| format!("{e}\n{}", log_tail(&server)))?;
    if !first.cancelled || !(300..1900).contains(&first.transferred) || !first.failed.is_empty() {
        return Err(format!("first run should stop half-way: {}", brief(&first)));
    }
    // vsftpd has no HASH: nothing is verifiable, said once, and the run still succeeds.
    if (first.verified, first.not_verifiable) != (0, first.transferred)
        || !first.verify_note.as_deref().is_some_and(|n| n.contains("no HASH"))
    {
        return Err(format!("vsftpd has no HASH: {first:?}"));
    }
    let want = hashes(&src);
    let partial = hashes(&dst);
    for (rel, h) in &partial {
        if !rel.ends_with(PART_SUFFIX) && want.get(rel) != Some(h) {
            return Err(format!("{rel}: a file under its final name is not complete"));
        }
    }
    if !partial.keys().any(|k| k.contains("big") && k.ends_with(PART_SUFFIX)) {
        return Err(format!("no part file for the interrupted big file: {}", brief(&first)));
    }

    let second = mirror(&connect, &opts, &AtomicBool::new(false), &|_| {}).map_err(|e| e.to_string())?;
    if !second.failed.is_empty() || second.resumed == 0 || first.transferred + second.transferred != 2001 {
        return Err(format!("second run: {}", brief(&second)));
    }
    if hashes(&dst) != want {
        return Err("the downloaded tree differs from the served one".into());
    }
    let third = mirror(&connect, &opts, &AtomicBool::new(false), &|_| {}).map_err(|e| e.to_string())?;
    if (third.transferred, third.up_to_date) != (0, 2001) {
        return Err(format!("third run should find everything up to date: {}", brief(&third)));
    }

    let up = MirrorOptions { parallel: 4, ..MirrorOptions::new(Direction::Upload, "upload/mirror", &dst) };
    let put = mirror(&connect, &up, &AtomicBool::new(false), &|_| {}).map_err(|e| e.to_string())?;
    if !put.failed.is_empty() || put.transferred != 2001 {
        return Err(format!("upload: {}\n{}", brief(&put), log_tail(&server)));
    }
    if hashes(&server.root().join("upload/mirror")) != want {
        return Err("the uploaded tree differs".into());
    }
    eprintln!("mirror_interop: vsftpd mirror test took {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}
