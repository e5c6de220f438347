//! The `ftpkit` binary as a user runs it.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn ftpkit(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ftpkit"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ftpkit runs");
    let mut pipe = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(pipe);
    child.wait_with_output().expect("ftpkit finishes")
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[test]
fn decode_seed_active_explains_the_port_arithmetic() {
    let out = ftpkit(&["decode", "--example", "active"], None);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("client 192.168.150.80 listens on port 3762 = 14*256+178"), "{text}");
}

#[test]
fn decode_json_has_the_documented_fields() {
    let out = ftpkit(&["decode", "--json", "--example", "passive"], None);
    assert!(out.status.success());
    let items = json_lines(&out);
    let pasv = items.iter().find(|v| v["code"] == 227).expect("227");
    assert_eq!(pasv["kind"], "reply");
    assert_eq!(pasv["endpoint"]["ip"], "192.168.150.90");
    assert_eq!(pasv["endpoint"]["port"], 50069);
    assert_eq!(pasv["text"][0], "Entering Passive Mode (192,168,150,90,195,149).");
    let user = &items[1];
    assert_eq!(
        (user["kind"].as_str(), user["verb"].as_str(), user["arg"].as_str()),
        (Some("command"), Some("USER"), Some("slacker"))
    );
    let syst = items.iter().find(|v| v["verb"] == "SYST").expect("SYST");
    assert!(syst["arg"].is_null());
}

#[test]
fn decode_lines_from_arguments_and_stdin_with_errors() {
    let out = ftpkit(
        &[
            "decode",
            "--json",
            "229 Entering Extended Passive Mode (|||6446|)",
            "PORT 1,2,3,4,300,1",
            "EPRT |2|::1|5282|",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "an undecodable line makes the exit status 1");
    let items = json_lines(&out);
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["endpoint"]["ip"], Value::Null);
    assert_eq!(items[0]["endpoint"]["port"], 6446);
    assert_eq!(items[1]["kind"], "error");
    assert_eq!(items[1]["input"], "PORT 1,2,3,4,300,1");
    assert!(items[1]["error"].as_str().unwrap().contains("p1"), "{}", items[1]);
    assert_eq!(items[2]["endpoint"]["ip"], "::1");

    let out = ftpkit(&["decode", "--json"], Some("257 \"/home/a\"\"b\" is cwd\r\nMKD x\r\n"));
    assert!(out.status.success());
    let items = json_lines(&out);
    assert_eq!(items[0]["path"], "/home/a\"b");
    assert_eq!(items[1]["verb"], "MKD");
}

#[test]
fn explain_json_lists_connections_and_steps() {
    let out = ftpkit(&["explain", "--json", "--example", "active"], None);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let dc = &v["connections"][0];
    assert_eq!(dc["mode"], "active");
    assert_eq!(dc["endpoint"]["port"], 3762);
    assert_eq!(dc["steps"].as_array().map(Vec::len), Some(4));
    assert_eq!(dc["steps"][2]["new_inbound_at"], "client");
    assert_eq!(dc["steps"][2]["from"]["port_label"], "20");
}

#[test]
fn firewall_json_matches_the_seed_for_passive_server() {
    let out =
        ftpkit(&["firewall", "--mode", "passive", "--side", "server", "--pasv-range", "30000-30009", "--json"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON array");
    let chans = v.as_array().expect("array");
    assert_eq!(chans.len(), 4);
    assert_eq!(chans[2]["direction"], "inbound");
    assert_eq!(chans[2]["purpose"], "data");
    assert_eq!(chans[2]["initiator"], "client");
    assert_eq!(chans[2]["to"]["ports"], "30000-30009");
    let bad = ftpkit(&["firewall", "--mode", "sideways", "--side", "server"], None);
    assert!(!bad.status.success());
}
