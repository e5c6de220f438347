//! The binding layer, natively: what each export hands JavaScript (JSON text) or throws (a Failure).

use ftpkit_wasm::{
    decode_line_json, decode_transcript_json, firewall_json, format_json, parse_json, predict_json, rewrite_json,
    timeline_json, SimWorld,
};
use serde_json::Value;

fn v(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON: {s}: {e}"))
}

#[test]
fn a_port_line_decodes_with_its_arithmetic_and_utf16_span() {
    let j = v(&decode_line_json("PORT 192,168,150,80,14,178").unwrap());
    assert_eq!(j["kind"], "command");
    assert_eq!(j["endpoint"]["port"], 3762);
    assert_eq!((j["endpoint"]["p1"].as_u64(), j["endpoint"]["p2"].as_u64()), (Some(14), Some(178)));
    assert_eq!(j["endpoint"]["span_utf16"], serde_json::json!([5, 26]));
    let j = v(&decode_line_json("227 Entering Passive Mode (192,168,150,90,195,149)").unwrap());
    assert_eq!(j["endpoint"]["port"], 50069);
}

#[test]
fn a_broken_line_fails_naming_the_field() {
    let f = decode_line_json("PORT 192,168,150,80,256,178").unwrap_err();
    assert_eq!((f.kind, f.code, f.field), ("range", 2, Some("p1")));
    assert!(f.message.contains("256"), "{}", f.message);
    let f = decode_line_json("").unwrap_err();
    assert_eq!(f.kind, "incomplete");
}

#[test]
fn transcripts_decode_from_bytes_with_the_cli_shapes() {
    let items = v(&decode_transcript_json(b"RETR caf\xe9\r\n\xff\xf4\xff\xf2ABOR\r\n2a0 ok\r\n"));
    let a = items.as_array().unwrap();
    assert_eq!(a.len(), 3);
    assert_eq!((a[0]["verb"].as_str(), a[0]["lossy"].as_bool()), (Some("RETR"), Some(true)));
    assert_eq!(a[1]["verb"], "ABOR");
    assert_eq!((a[2]["kind"].as_str(), a[2]["error_kind"].as_str()), (Some("error"), Some("syntax")));
}

#[test]
fn timeline_of_the_seed_with_nat_findings() {
    let seed = ftpkit_proto::transcript::SEED_PASSIVE;
    let j = v(&timeline_json(seed.as_bytes(), Some("203.0.113.7"), Some("198.51.100.2"), None).unwrap());
    let dc = &j["connections"][0];
    assert_eq!(dc["mode"], "passive");
    assert_eq!(dc["steps"][2]["to"]["port"], 50069);
    assert_eq!(dc["steps"][2]["new_inbound_at"], "server");
    assert!(dc["warnings"][0]["text"].as_str().unwrap().contains("198.51.100.2"));
    assert!(timeline_json(b"", Some("nope"), None, None).is_err());
}

#[test]
fn host_ports_parse_format_and_rewrite_by_span() {
    let j = v(&parse_json("pasv", "227 Entering Passive Mode (192,168,150,90,195,149).").unwrap());
    assert_eq!((j["port"].as_u64(), j["tuple"].as_str()), (Some(50069), Some("192,168,150,90,195,149")));
    assert_eq!(v(&format_json("port", "192.168.150.80", 3762).unwrap()), "192,168,150,80,14,178");
    assert_eq!(v(&format_json("eprt", "::1", 5282).unwrap()), "|2|::1|5282|");
    let r = v(&rewrite_json("pasv", "227 Entering Passive Mode (10,0,0,5,195,149).", "198.51.100.7", 50069).unwrap());
    assert_eq!(r["after"], "227 Entering Passive Mode (198,51,100,7,195,149).");
    assert_eq!(r["span_utf16"], serde_json::json!([27, 43]));
    let f = parse_json("port", "1,2,3,4,5").unwrap_err();
    assert_eq!(f.kind, "syntax");
    assert!(f.field.is_some());
    assert_eq!(format_json("port", "::1", 1).unwrap_err().kind, "unsupported");
}

#[test]
fn nat_predictions_are_the_cores() {
    // Active mode behind a client-side NAT: refused at PORT without a helper, works with one, fails again under TLS.
    let j = v(&predict_json("active", "client", "").unwrap());
    assert_eq!(j["works"], false);
    assert_eq!(j["checks"][0]["step"], 2);
    assert_eq!(j["checks"][0]["at"], "the FTP server");
    assert!(j["summary"].as_str().unwrap().starts_with("fails at step 2 (the FTP server): PORT names"));
    assert_eq!(v(&predict_json("active", "client", "helper").unwrap())["works"], true);
    assert_eq!(v(&predict_json("active", "client", "helper,tls").unwrap())["works"], false);
    // CCC after login hands the control connection back in clear: the helper rewrites the PORT again.
    assert_eq!(v(&predict_json("active", "client", "helper,tls,ccc").unwrap())["works"], true);
    assert_eq!(v(&predict_json("active", "client", "ccc,tls,helper").unwrap())["works"], true);
    assert_eq!(v(&predict_json("active", "client", "tls,ccc").unwrap())["works"], false);
    // ... unless the PORT is the first clear line after CCC: Linux's helper skips it.
    assert_eq!(v(&predict_json("active", "client", "helper,ccc-first").unwrap())["works"], false);
    // A server behind NAT: a client trusting a private 227 fails; the careful default and EPSV work.
    assert_eq!(v(&predict_json("passive", "server", "trust-227").unwrap())["works"], false);
    assert_eq!(v(&predict_json("passive", "server", "").unwrap())["works"], true);
    assert_eq!(v(&predict_json("passive", "server", "extended, trust-227").unwrap())["works"], true);
    assert_eq!(v(&predict_json("passive", "", "").unwrap())["summary"], "works");
    assert_eq!(predict_json("passive", "router", "").unwrap_err().kind, "syntax");
    assert_eq!(predict_json("passive", "server", "helper,sideways").unwrap_err().kind, "syntax");
    assert_eq!(v(&predict_json("passive", "server", "trust-227,masquerade").unwrap())["works"], true);
}

#[test]
fn firewall_rules_with_real_ports() {
    let j = v(&firewall_json("passive", "server", 21, "20", "50069", "1024-65535", None, None, None).unwrap());
    let ch = j["channels"].as_array().unwrap();
    assert_eq!(ch.len(), 4);
    assert_eq!(ch[2]["to"]["ports"], "50069");
    assert_eq!(ch[2]["direction"], "inbound");
    assert!(j["nft"].as_str().unwrap().contains("50069"));
    assert!(j["iptables"].as_str().unwrap().contains("50069"));
    let f = firewall_json("sideways", "server", 21, "20", "1", "1", None, None, None).unwrap_err();
    assert_eq!(f.kind, "syntax");
    let f = firewall_json("active", "client", 21, "20", "9-1", "1024-65535", None, None, None).unwrap_err();
    assert_eq!(f.kind, "range");
    // The session's client data port goes into the data channels only; control keeps the client's range.
    let j =
        v(&firewall_json("active", "client", 21, "20", "1024-65535", "1024-65535", Some("3762"), None, None).unwrap());
    let ch = j["channels"].as_array().unwrap();
    assert_eq!(ch[0]["from"]["ports"], "1024-65535");
    assert_eq!(ch[2]["to"]["ports"], "3762");
    assert_eq!(ch[2]["from"]["ports"], "20");
}

#[test]
fn the_sim_world_plays_both_modes_with_and_without_nat() {
    for (mode, nat, helper, ok) in [
        ("port", "", false, true),
        ("pasv", "", false, true),
        ("port", "203.0.113.5", false, false),
        ("port", "203.0.113.5", true, true),
        ("pasv", "203.0.113.5", false, true),
    ] {
        let mut w = SimWorld::create(mode, Some(nat), None, helper, false).unwrap();
        let first = v(&w.step_json());
        assert_eq!(first[0]["kind"], "reply", "{mode}: the greeting comes first");
        for _ in 0..200 {
            if v(&w.step_json()).as_array().unwrap().is_empty() {
                break;
            }
        }
        let s = v(&w.state_json());
        assert_eq!(s["done"], true);
        let got = s["received"].as_array().unwrap().len();
        assert_eq!(got == 2, ok, "{mode} nat={nat:?} helper={helper}: {}", s["transcript"]);
    }
    assert!(SimWorld::create("sideways", None, None, false, false).is_err());
    assert!(SimWorld::create("port", Some("x"), None, false, false).is_err());
}

#[test]
fn the_other_mode_turns_the_arrows_around() {
    let seed = ftpkit_proto::transcript::SEED_ACTIVE;
    let j = v(&ftpkit_wasm::other_mode_json(seed.as_bytes(), None, None, None).unwrap());
    let dc = &j["connections"][0];
    assert_eq!(dc["mode"], "passive");
    assert_eq!(dc["steps"][2]["from"]["side"], "client");
    assert_eq!(dc["steps"][2]["new_inbound_at"], "server");
    assert_eq!(dc["command"], "LIST");
}
