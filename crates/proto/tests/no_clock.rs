//! The core never reads a clock: time comes in as `Instant` (or date) arguments from the caller. This scans the
//! crate's non-test source for clock reads, so a `now()` slipped into a session fails here.
use std::path::Path;

/// Clock reads that must not appear in the core's code.
const CLOCK_READS: &[&str] = &["Instant::now", "SystemTime::now", "UNIX_EPOCH.elapsed", ".elapsed()"];

fn scan(dir: &Path, hits: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            scan(&path, hits);
            continue;
        }
        // `fuzzing.rs` is the fuzz harness (`cfg(fuzzing)`): it takes one reading as its virtual clock's epoch;
        // `tests.rs` files are unit-test modules, which may too.
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("fuzzing.rs") || path.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("#[cfg(test)]") {
                break; // unit tests (at the end of each file) may use a real clock as their epoch
            }
            if code.starts_with("//") {
                continue; // docs: the reference drive loops read the caller's clock
            }
            if CLOCK_READS.iter().any(|c| code.contains(c)) {
                hits.push(format!("{}:{}: {}", path.display(), i + 1, code));
            }
        }
    }
}

#[test]
fn the_core_reads_no_clock() {
    let mut hits = Vec::new();
    scan(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut hits);
    assert!(hits.is_empty(), "clock reads in the core:\n{}", hits.join("\n"));
    // The scan sees what it looks for.
    let dir = tempfile_dir();
    std::fs::write(dir.join("x.rs"), "fn f() { let t = std::time::Instant::now(); }\n").unwrap();
    let mut planted = Vec::new();
    scan(&dir, &mut planted);
    assert_eq!(planted.len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ftpkit-no-clock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
