//! The C library's tasks: `c-header [--check]` (cbindgen, pinned in Cargo.toml), `c-install --prefix DIR`, and
//! the CI step `c` (header check, C tests under valgrind and ASan, examples, decode parity, the ALG and pasv_list
//! interop runs, the install check, the FFI benchmark).

use crate::{cargo, root, run, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> PathBuf {
    root().join("bindings/c")
}

fn header_path() -> PathBuf {
    crate_dir().join("include/ftpkit.h")
}

/// Generates the header text with the pinned cbindgen.
fn generate_header() -> Result<Vec<u8>> {
    let dir = crate_dir();
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).map_err(|e| format!("cbindgen.toml: {e}"))?;
    let bindings = cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    Ok(out)
}

/// `cargo xtask c-header [--check]`.
pub fn c_header(args: &[String]) -> Result {
    let check = args.iter().any(|a| a == "--check");
    let fresh = generate_header()?;
    let path = header_path();
    if check {
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != fresh {
            return Err(format!("{} is stale: run `cargo xtask c-header` and commit it", path.display()));
        }
        eprintln!("{} is up to date", path.display());
        return Ok(());
    }
    std::fs::write(&path, fresh).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// The target directory cargo uses.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// The soname's major number: the ABI is unstable before 1.0, so 0.x versions use "0.x".
const SONAME: &str = "libftpkit.so.0";

/// `cargo xtask c-install --prefix DIR`.
pub fn c_install(args: &[String]) -> Result {
    let prefix = match args.iter().position(|a| a == "--prefix").and_then(|i| args.get(i + 1)) {
        Some(p) => PathBuf::from(p),
        None => return Err("usage: cargo xtask c-install --prefix DIR".into()),
    };
    install(&prefix)
}

/// Where the installed library is built: its own target folder, because it is built with fat LTO and one codegen
/// unit (a shipped C library: 8 MiB instead of 24 MiB, and ~25% faster per call in the FFI benchmark), settings
/// that would otherwise make every other release build of the workspace rebuild its dependencies.
fn lib_target_dir() -> PathBuf {
    target_dir().join("c-lib")
}

fn lib_build(crate_type: &str, extra: &[String]) -> Result {
    let mut c = cargo();
    c.args(["rustc", "--release", "-p", "ftpkit-c", "--crate-type", crate_type, "--target-dir"])
        .arg(lib_target_dir())
        .env("CARGO_PROFILE_RELEASE_LTO", "fat")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    if !extra.is_empty() {
        c.arg("--").args(extra);
    }
    run(c)
}

fn install(prefix: &Path) -> Result {
    // The cdylib gets its soname at link time.
    lib_build("cdylib", &[format!("-Clink-arg=-Wl,-soname,{SONAME}")])?;
    lib_build("staticlib", &[])?;
    let rel = lib_target_dir().join("release");
    let inc = prefix.join("include");
    let lib = prefix.join("lib");
    let pc = lib.join("pkgconfig");
    for d in [&inc, &lib, &pc] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let copy = |from: PathBuf, to: PathBuf| -> Result {
        std::fs::copy(&from, &to).map(|_| ()).map_err(|e| format!("copy {} -> {}: {e}", from.display(), to.display()))
    };
    copy(header_path(), inc.join("ftpkit.h"))?;
    copy(rel.join("libftpkit.a"), lib.join("libftpkit.a"))?;
    let real = format!("libftpkit.so.{}", lib_version());
    copy(rel.join("libftpkit.so"), lib.join(&real))?;
    for link in [SONAME, "libftpkit.so"] {
        let l = lib.join(link);
        let _ = std::fs::remove_file(&l);
        std::os::unix::fs::symlink(&real, &l).map_err(|e| format!("{}: {e}", l.display()))?;
    }
    let prefix_abs = std::fs::canonicalize(prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
    let pc_text = format!(
        "prefix={}\nexec_prefix=${{prefix}}\nlibdir=${{exec_prefix}}/lib\nincludedir=${{prefix}}/include\n\n\
         Name: ftpkit\nDescription: Sans-IO FTP protocol toolkit (C API)\nVersion: {}\n\
         Libs: -L${{libdir}} -lftpkit\nLibs.private: -lpthread -ldl -lm -lgcc_s -lc\nCflags: -I${{includedir}}\n",
        prefix_abs.display(),
        lib_version()
    );
    std::fs::write(pc.join("ftpkit.pc"), pc_text).map_err(|e| format!("ftpkit.pc: {e}"))?;
    eprintln!("installed into {}", prefix_abs.display());
    Ok(())
}

/// The library's version (the ftpkit-c package version, from the workspace).
fn lib_version() -> String {
    let toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap_or_default();
    toml.lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .find_map(|l| l.trim().strip_prefix("version = ").map(|v| v.trim_matches('"').to_owned()))
        .unwrap_or_else(|| "0.1.0".into())
}

fn sh(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    c
}

/// The CI step: everything the C library promises, checked from C.
pub fn ci_step() -> Result {
    crate::step("c: header is fresh", || c_header(&["--check".into()]))?;
    crate::step("c: tools (gcc, g++, valgrind, pkg-config, curl, vsftpd)", ensure_tools)?;
    crate::step("c: tests, examples, valgrind, ASan, install, bench", || {
        let mut c = sh("bash");
        c.arg(crate_dir().join("tests/run.sh"));
        run(c)
    })
}

/// Installs what the C checks need when missing (Debian packages).
fn ensure_tools() -> Result {
    let wanted = [
        ("gcc", "gcc"),
        ("g++", "g++"),
        ("valgrind", "valgrind"),
        ("pkg-config", "pkg-config"),
        ("curl", "curl"),
        ("python3", "python3"),
    ];
    let missing: Vec<&str> = wanted.iter().filter(|(bin, _)| !on_path(bin)).map(|(_, pkg)| *pkg).collect();
    let vsftpd = Path::new("/usr/sbin/vsftpd").exists();
    let mut pkgs = missing.clone();
    if !vsftpd {
        pkgs.push("vsftpd");
    }
    if pkgs.is_empty() {
        return Ok(());
    }
    let mut update = sh("apt-get");
    update.arg("update");
    run(update)?;
    let mut install = sh("apt-get");
    install.args(["install", "-y", "--no-install-recommends"]).args(&pkgs).env("DEBIAN_FRONTEND", "noninteractive");
    run(install)
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH").map(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file())).unwrap_or(false)
}
