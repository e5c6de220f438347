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

#[test]
fn firewall_helper_nat_and_predict_variants() {
    let text = |args: &[&str]| {
        let out = ftpkit(args, None);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let helper = text(&["firewall", "--mode", "passive", "--side", "server", "--conntrack-helper", "--format", "nft"]);
    assert!(helper.contains("tcp dport 21 ct state new ct helper set \"ftpkit-ftp\" accept"), "{helper}");
    assert!(!helper.contains("tcp dport 1024-65535"), "{helper}");
    let nat = text(&[
        "firewall",
        "--nat",
        "client",
        "--inside",
        "192.0.2.2",
        "--public",
        "203.0.113.1",
        "--format",
        "iptables",
    ]);
    assert!(nat.contains("-A POSTROUTING -s 192.0.2.2/32 -j SNAT --to-source 203.0.113.1"), "{nat}");
    let no_public = ftpkit(&["firewall", "--nat", "client", "--inside", "192.0.2.2"], None);
    assert!(!no_public.status.success());
    // The seed's "main problem", and NAT breaking active mode unless the router's helper reads PORT in clear.
    let p = text(&["firewall", "--predict", "--mode", "active", "--client-rules", "passive"]);
    assert!(p.ends_with("prediction: fails at step 3 (the client's firewall): the server's data connection from port 20 to the client's port: dropped (this host's ports 1024-65535, the peer's 20): no rule lets it through as a new connection\n"), "{p}");
    assert!(text(&["firewall", "--predict", "--mode", "active", "--client-rules", "passive,helper"])
        .ends_with("prediction: works\n"));
    assert!(text(&["firewall", "--predict", "--mode", "active", "--nat", "client", "--conntrack-helper"])
        .ends_with("prediction: works\n"));
    let tls = text(&[
        "firewall",
        "--predict",
        "--mode",
        "active",
        "--nat",
        "client",
        "--conntrack-helper",
        "--tls",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&tls).expect("JSON");
    assert_eq!(v["works"], false);
    assert_eq!(v["checks"][0]["at"], "the FTP server");
    // CCC after login: the helper reads the PORT again once a clear line resynchronised it, not as the first one.
    let ccc = ["firewall", "--predict", "--mode", "active", "--nat", "client", "--conntrack-helper", "--tls", "--ccc"];
    assert!(text(&[&ccc[..], &["resynced"]].concat()).ends_with("prediction: works\n"));
    let first = text(&[&ccc[..], &["first"]].concat());
    assert!(first.contains("fails at step 2 (the FTP server)") && first.contains("first clear line"), "{first}");
    assert!(!ftpkit(&[&ccc[..], &["sometimes"]].concat(), None).status.success());
    assert!(!ftpkit(&["firewall", "--predict", "--mode", "active", "--ccc", "first"], None).status.success());
    assert!(!ftpkit(&["firewall", "--predict", "--mode", "active", "--client-rules", "passive,nope"], None)
        .status
        .success());
}
