//! `ftpkit demo`: the README's main-job command. It must run alone, quickly, and explain both modes.

use serde_json::Value;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn demo(args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ftpkit")).arg("demo").args(args).output().expect("ftpkit runs");
    (out, start.elapsed())
}

/// The section of `text` from the line starting with `from` up to the line starting with `to` (or the end).
fn section<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(from).unwrap_or_else(|| panic!("no {from:?} in:\n{text}"));
    let rest = &text[start..];
    let end = rest.find(to).unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn demo_explains_both_modes_with_live_ports() {
    let (out, took) = demo(&[]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(took < Duration::from_secs(20), "took {took:?}");

    let active = section(&text, "=== ACTIVE MODE", "=== PASSIVE MODE");
    let passive = section(&text, "=== PASSIVE MODE", "=== FTPS ROUND");
    let ftps = section(&text, "=== FTPS ROUND", "The same explanations");
    // The FTPS round: AUTH TLS, every data connection resumed (the server requires it), and the 227s marked as
    // inside TLS.
    assert!(ftps.contains("---> AUTH TLS") && ftps.contains("---> PROT P"), "{ftps}");
    assert!(ftps.contains("Result: 2 of 2 data connections resumed"), "{ftps}");
    assert_eq!(ftps.matches("inside TLS, for ").count(), 2, "{ftps}");

    // Active: each PORT tuple decoded with its arithmetic, and the steps with the same port.
    let port_lines: Vec<&str> = active.lines().filter_map(|l| l.split_once("---> PORT ").map(|(_, a)| a)).collect();
    assert_eq!(port_lines.len(), 2, "one PORT for MLSD/LIST, one for RETR:\n{active}");
    for arg in port_lines {
        let n: Vec<u16> = arg.split(',').map(|x| x.parse().expect("number")).collect();
        assert_eq!(&n[..4], [127, 0, 0, 1]);
        let port = n[4] * 256 + n[5];
        let sentence =
            format!("= client 127.0.0.1 listens on port {port} = {}*256+{}; the server connects", n[4], n[5]);
        assert!(active.contains(&sentence), "{sentence}\n{active}");
        assert!(active.contains(&format!("the client sends PORT naming its data port {port}")), "{active}");
        assert!(active.contains(&format!(
            " -> client 127.0.0.1:{port}: the server opens the data connection from its data port to the client's \
             [new inbound connection at the client's firewall]"
        )));
    }
    assert!(active.contains("data connection 2 (active, PORT on line"), "{active}");
    assert!(active.contains("for RETR readme.txt on line"), "{active}");
    assert!(active.contains("Which firewall sees a new inbound connection: the client's"), "{active}");
    assert!(active.contains("The client's firewall, active mode (must accept a new inbound data connection):"));
    assert!(active.contains("The server's firewall, active mode (data only outbound):"));
    assert!(active.contains(
        "FTP client's ports > 1023 from port 20 on the FTP server (Server initiates data connection to client's data \
         port)"
    ) || active.contains("FTP client's ports > 1023 from ports > 1023 on the FTP server (Server initiates"));
    assert!(active.contains("Result: the listing named 2 (pub, readme.txt); readme.txt arrived whole, 77 bytes."));

    // Passive: PASV, each 227 tuple decoded with the seed's arithmetic, the inbound connection at the server.
    let tuples: Vec<Vec<u16>> = passive
        .lines()
        .filter_map(|l| {
            l.split_once("227 Entering Passive Mode (")?
                .1
                .strip_suffix(").")?
                .split(',')
                .map(|n| n.parse().ok())
                .collect()
        })
        .collect();
    assert_eq!(tuples.len(), 2, "{passive}");
    for t in tuples {
        assert_eq!(t.len(), 6);
        let port = t[4] * 256 + t[5];
        assert!(
            passive.contains(&format!("= server 127.0.0.1 listens on port {port} = {}*256+{}", t[4], t[5])),
            "{passive}"
        );
        assert!(passive.contains(&format!(
            " -> server 127.0.0.1:{port}: the client opens the data connection to the server's announced port [new \
             inbound connection at the server's firewall]"
        )));
    }
    assert!(passive.contains("---> PASV"));
    assert!(passive.contains("Which firewall sees a new inbound connection: the server's"), "{passive}");
    assert!(passive.contains(
        "FTP server's ports 49152-65534 from ports > 1023 on any host (Client initiates data connection to random \
         port specified by server)"
    ));
    assert!(passive.contains("The client's firewall, passive mode (data only outbound):"));
    assert!(!text.contains("N (> 1023)") && !text.contains("N+1"), "every port is a live one:\n{text}");
    assert!(text.lines().any(|l| l.trim() == "4  ---> PASS XXXX"), "the password is masked");
}

#[test]
fn demo_json_has_all_three_sessions() {
    let (out, _) = demo(&["--json"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let sessions = v["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 3);
    let ftps = &sessions[2];
    assert_eq!(ftps["tls"], true);
    let handshakes = ftps["tls_handshakes"].as_array().expect("handshakes");
    let resumed: Vec<bool> = handshakes.iter().map(|h| h["resumed"] == true).collect();
    assert_eq!(resumed, [false, true, true], "control full, both data connections resumed: {handshakes:?}");
    for (s, (mode, inbound)) in
        sessions.iter().zip([("active", "client"), ("passive", "server"), ("passive", "server")])
    {
        assert_eq!(s["mode"], mode);
        assert_eq!(s["inbound_data_at"], inbound);
        let conns = s["timeline"]["connections"].as_array().expect("connections");
        assert_eq!(conns.len(), 2, "{mode}");
        for c in conns {
            assert_eq!(c["mode"], mode);
            assert_eq!(c["outcome"], 226);
            for step in c["steps"].as_array().expect("steps") {
                assert!(step["from"]["port"].is_u64() && step["to"]["port"].is_u64(), "{mode}: {step}");
            }
            assert_eq!(c["steps"][2]["new_inbound_at"], inbound);
        }
        assert_eq!(s["firewall"]["server"].as_array().map(Vec::len), Some(4));
        assert_eq!(s["firewall"]["client"].as_array().map(Vec::len), Some(4));
        assert_eq!(s["retrieved"]["bytes"], 77);
        assert!(s["lines"].as_array().expect("lines").iter().any(|l| l == "221 Goodbye."));
    }
}
