//! `ftpkit serve --log-json`: JSON lines, one per transfer among them (direction, path, bytes, user, client).

mod common;

use std::io::{BufRead, BufReader};
use std::time::Duration;

#[test]
fn log_json_writes_one_line_per_transfer() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a.bin"), vec![5u8; 54_321]).expect("a.bin");
    let (mut child, port) =
        common::serve(&[], dir.path(), &["--user", "u:p", "--log-json"], &[("FTPKIT_LOG", "info")], true);
    let url = format!("ftp://127.0.0.1:{port}/a.bin");
    let out = ftpkit_interop::curl(["-sS", "-u", "u:p", "-o", "/dev/null", &url]).expect("curl");
    assert!(out.success(), "{}", out.describe());
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let stderr = child.stderr.take().expect("stderr");
    let lines: Vec<String> = BufReader::new(stderr).lines().map_while(Result::ok).collect();
    let _ = child.wait();
    let json: Vec<serde_json::Value> = lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(json.len() >= 2, "JSON lines: {lines:#?}");
    let transfer = json
        .iter()
        .find(|v| v["target"] == "ftpkit::transfer")
        .unwrap_or_else(|| panic!("no transfer line in {lines:#?}"));
    let f = &transfer["fields"];
    assert_eq!(f["direction"], "download");
    assert_eq!(f["path"], "/a.bin");
    assert_eq!(f["bytes"], 54_321);
    assert_eq!(f["completed"], true);
    assert_eq!(f["user"], "u");
    assert!(f["peer"].as_str().is_some_and(|p| p.starts_with("127.0.0.1:")), "{f}");
}
