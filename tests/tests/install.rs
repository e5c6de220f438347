//! Every peer the harness uses can be installed (or is present). A peer that cannot be installed fails here with the
//! reason; the install times of this run are printed (visible with `--nocapture`) and appended to
//! `<cache_dir>/install-times.log`.

use std::time::Instant;

use ftpkit_interop::install;

#[test]
fn every_peer_is_installed_or_installable() -> Result<(), ftpkit_interop::Error> {
    let start = Instant::now();
    let vsftpd = install::ensure_vsftpd()?;
    let lftp = install::ensure_lftp()?;
    let curl = install::ensure_curl()?;
    let tnftp = install::ensure_tnftp()?;
    let pure = install::ensure_pure_ftpd()?;
    let python = install::ensure_pyftpdlib()?;
    for path in [&vsftpd, &lftp, &curl, &tnftp, &pure.pure_ftpd, &pure.pure_pw, &python] {
        assert!(path.is_file(), "{} is not a file", path.display());
    }
    for t in install::install_times() {
        eprintln!("ftpkit-interop: installed {} in {:.1} s", t.peer, t.elapsed.as_secs_f64());
    }
    eprintln!("ftpkit-interop: ensure_* all done in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

#[test]
fn tnftp_talks_to_vsftpd_in_active_mode() -> Result<(), String> {
    let server = ftpkit_interop::Vsftpd::start(ftpkit_interop::ServerOpts::default()).map_err(|e| e.to_string())?;
    let port = server.port().to_string();
    let out = ftpkit_interop::tnftp(
        ["-n", "-d", "-v", "127.0.0.1", port.as_str()],
        "user anonymous x\npassive off\nls\nquit\n",
    )
    .map_err(|e| e.to_string())?;
    let text = out.stdout_text();
    if !out.success() || !text.contains("---> EPRT |1|127.0.0.1|") || !text.contains("hello world.txt") {
        return Err(format!("tnftp: {}\n=== server log ===\n{}", out.describe(), server.log()));
    }
    Ok(())
}
