//! `cargo xtask python`: the Python module (`bindings/python`) built and tested the way a user gets it.
//!
//! 1. A CPython >= 3.10 with `venv` (installed with apt-get when missing).
//! 2. A virtual environment under `target/python-venv`, made fresh when missing; pytest, mypy, pyftpdlib and
//!    maturin installed in it.
//! 3. The wheel built with maturin (`target/wheels/python/`, one abi3 wheel); into a fresh environment the
//!    package goes in with `pip install ./bindings/python` (the user's command), afterwards the wheel is
//!    reinstalled only when its bytes changed.
//! 4. pytest (`bindings/python/tests`: vectors, ftplib comparisons, ftplib.FTP vs ftpkit.FTP against pyftpdlib
//!    and ftpkit.Server, the sans-IO session, `mypy --strict`), then a quick smoke of the benchmark script.
use crate::{root, run, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the tests need in the environment (pyftpdlib is the peer server, with pyOpenSSL for its TLS handler;
/// mypy checks the stubs).
const TEST_PACKAGES: &[&str] = &["pytest", "mypy", "pyftpdlib", "pyopenssl", "maturin>=1.5,<2"];

pub fn python(args: &[String]) -> Result {
    let bench = args.iter().any(|a| a == "--bench");
    let root = root();
    let python = find_python()?;
    let venv = root.join("target/python-venv");
    let vpy = venv.join("bin/python");
    let fresh = !vpy.exists() || !works(&vpy);
    if fresh {
        let _ = std::fs::remove_dir_all(&venv);
        let mut c = Command::new(&python);
        c.args(["-m", "venv"]).arg(&venv);
        if run(c).is_err() {
            apt_install(&["python3-venv"])?;
            let mut c = Command::new(&python);
            c.args(["-m", "venv"]).arg(&venv);
            run(c)?;
        }
        let mut pip = Command::new(&vpy);
        pip.args(["-m", "pip", "install", "--quiet", "--upgrade", "pip"]);
        run(pip)?;
    }
    let mut pip = Command::new(&vpy);
    pip.args(["-m", "pip", "install", "--quiet"]).args(TEST_PACKAGES);
    run(pip)?;

    // The wheel: maturin reuses the workspace's target folder, so an unchanged tree builds in seconds.
    let wheels = root.join("target/wheels/python");
    let _ = std::fs::remove_dir_all(&wheels);
    let mut build = Command::new(venv.join("bin/maturin"));
    build
        .args(["build", "--release", "--quiet", "-m"])
        .arg(root.join("bindings/python/Cargo.toml"))
        .arg("-o")
        .arg(&wheels)
        .current_dir(&root);
    run(build)?;
    let wheel = only_wheel(&wheels)?;
    let digest = file_digest(&wheel)?;
    let stamp = venv.join("ftpkit-wheel.digest");
    if fresh {
        // The user's command, on a fresh environment.
        let mut install = Command::new(&vpy);
        install.args(["-m", "pip", "install", "--quiet"]).arg(root.join("bindings/python")).current_dir(&root);
        run(install)?;
        // Then the wheel just built, so what is tested is exactly that file.
        install_wheel(&vpy, &wheel)?;
    } else if std::fs::read_to_string(&stamp).ok().as_deref() != Some(digest.as_str()) {
        install_wheel(&vpy, &wheel)?;
    } else {
        eprintln!("python: wheel unchanged ({}), not reinstalled", wheel.display());
    }
    std::fs::write(&stamp, &digest).map_err(|e| format!("{}: {e}", stamp.display()))?;

    let mut pytest = Command::new(&vpy);
    pytest.args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]).current_dir(root.join("bindings/python"));
    run(pytest)?;

    let mut smoke = Command::new(&vpy);
    smoke.arg(root.join("bindings/python/bench/bench.py"));
    if !bench {
        smoke.arg("--quick");
    }
    run(smoke)
}

fn works(python: &Path) -> bool {
    Command::new(python).args(["-c", "import sys"]).status().is_ok_and(|s| s.success())
}

/// A `python3` of version 3.10 or newer (apt-get installs Debian's when there is none).
fn find_python() -> Result<PathBuf> {
    let ok = |p: &str| {
        Command::new(p)
            .args(["-c", "import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)"])
            .status()
            .is_ok_and(|s| s.success())
    };
    for p in ["python3", "python3.12", "python3.11", "python3.10"] {
        if ok(p) {
            return Ok(PathBuf::from(p));
        }
    }
    apt_install(&["python3", "python3-venv", "python3-pip"])?;
    if ok("python3") {
        Ok(PathBuf::from("python3"))
    } else {
        Err("no CPython >= 3.10 with venv, even after apt-get install python3".into())
    }
}

fn apt_install(packages: &[&str]) -> Result {
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    run(update)?;
    let mut install = Command::new("apt-get");
    install.args(["install", "-y", "-qq"]).args(packages).env("DEBIAN_FRONTEND", "noninteractive");
    run(install)
}

fn only_wheel(dir: &Path) -> Result<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(format!("expected one wheel in {}, found {n}", dir.display())),
    }
}

fn install_wheel(python: &Path, wheel: &Path) -> Result {
    let mut c = Command::new(python);
    c.args(["-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps"]).arg(wheel);
    run(c)
}

/// A digest of the wheel's bytes (FNV-1a, 64 bits: enough to notice a changed file; xtask has no dependencies).
fn file_digest(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in &bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    Ok(format!("{h:016x} {}", bytes.len()))
}
