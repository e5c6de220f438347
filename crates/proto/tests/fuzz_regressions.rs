//! Replays every input the fuzzers kept (`testdata/fuzz-regressions/<target>/<file>`) through the same invariant
//! check the fuzz target runs (`ftpkit_proto::fuzzing`).
//!
//! A crash found by `cargo xtask fuzz` is copied there. Until the code is fixed, its path (relative to the
//! regressions folder) is listed in `testdata/fuzz-regressions/OPEN`; those are replayed only by the ignored test
//! `open_crashers_pass_once_fixed`, so the suite stays green while the bug is reported. Fixing the bug means deleting the
//! line: the file then runs in `every_regression_passes` forever.
use ftpkit_proto::fuzzing::{target, TARGETS};
use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fuzz-regressions")
}

/// The paths (relative, `target/file`) listed in `OPEN`, comments and blank lines left out.
fn open_list() -> Vec<String> {
    let text = fs::read_to_string(root().join("OPEN")).unwrap_or_default();
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

/// Every regression file: (relative path, target name, bytes).
fn all_files() -> Vec<(String, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = fs::read_dir(root()).expect("testdata/fuzz-regressions exists").flatten().collect();
    dirs.sort_by_key(|e| e.file_name());
    for dir in dirs.into_iter().filter(|e| e.path().is_dir()) {
        let name = dir.file_name().to_string_lossy().into_owned();
        assert!(target(&name).is_some(), "fuzz-regressions/{name}: no fuzz target of that name");
        let mut files: Vec<_> = fs::read_dir(dir.path()).expect("readable").flatten().collect();
        files.sort_by_key(|e| e.file_name());
        for f in files {
            let rel = format!("{name}/{}", f.file_name().to_string_lossy());
            let bytes = fs::read(f.path()).unwrap_or_else(|e| panic!("{rel}: {e}"));
            out.push((rel, name.clone(), bytes));
        }
    }
    out
}

/// Runs one file's check; `Err` with the panic message when an invariant breaks.
fn replay(name: &str, bytes: &[u8]) -> Result<(), String> {
    let check = target(name).ok_or_else(|| format!("no target {name}"))?;
    panic::catch_unwind(|| check(bytes)).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn every_regression_passes() {
    let open = open_list();
    let mut failures = Vec::new();
    let mut ran = 0;
    for (rel, name, bytes) in all_files() {
        if open.contains(&rel) {
            continue;
        }
        ran += 1;
        if let Err(msg) = replay(&name, &bytes) {
            failures.push(format!("testdata/fuzz-regressions/{rel}: {msg}"));
        }
    }
    assert!(failures.is_empty(), "{} of {ran} regressions fail:\n{}", failures.len(), failures.join("\n"));
    assert!(ran > 0, "no regression file ran");
}

#[test]
fn open_list_names_existing_files() {
    let files: Vec<String> = all_files().into_iter().map(|(rel, _, _)| rel).collect();
    for rel in open_list() {
        assert!(files.contains(&rel), "OPEN lists {rel}, which does not exist");
    }
}

#[test]
#[ignore = "replays the crashers of bugs not fixed yet (testdata/fuzz-regressions/OPEN)"]
fn open_crashers_pass_once_fixed() {
    let open = open_list();
    for (rel, name, bytes) in all_files().into_iter().filter(|(rel, _, _)| open.contains(rel)) {
        assert!(replay(&name, &bytes).is_ok(), "{rel} still fails");
    }
}

#[test]
fn every_target_has_a_folder_name_it_can_use() {
    for (name, _) in TARGETS {
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{name}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Every fuzz target's check on random bytes: a cheap, deterministic-per-seed fuzz pass in the normal suite.
    #[test]
    fn every_target_holds_on_random_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        for (name, check) in TARGETS {
            if let Err(msg) = replay(name, &bytes) {
                proptest::prop_assert!(false, "{name}: {msg}");
            }
            let _ = check;
        }
    }
}
