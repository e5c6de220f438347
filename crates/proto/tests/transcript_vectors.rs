//! The `transcript` vectors (`testdata/vectors/ftpkit-transcript.jsonl`): whole transcripts given as bytes, with the
//! items they must decode to — Latin-1 names, Telnet IAC before ABOR, lines starting with digits, listing lines
//! after `---> ` markers.

mod common;

use ftpkit_proto::transcript::{self, json, Item};
use serde_json::Value;

fn strs(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| a.iter().map(|x| x.as_str().map(str::to_owned).unwrap_or_else(|| x.to_string())).collect())
}

#[test]
fn transcript_vectors_decode_as_expected() {
    let vectors = common::of_kind("transcript");
    assert!(vectors.len() >= 5, "the transcript vectors are there");
    for v in vectors {
        let items = transcript::decode_bytes(&v.input_bytes());
        let kinds: Vec<String> = items
            .iter()
            .map(|i| match i {
                Item::Command(_) => "command",
                Item::Reply(_) => "reply",
                Item::Error(_) => "error",
            })
            .map(str::to_owned)
            .collect();
        assert_eq!(Some(kinds), strs(&v.expect["kinds"]), "{}: {items:#?}", v.at());
        let verbs: Vec<String> =
            items.iter().filter_map(|i| if let Item::Command(c) = i { Some(c.verb.clone()) } else { None }).collect();
        assert_eq!(Some(verbs), strs(&v.expect["verbs"]), "{}", v.at());
        let codes: Vec<String> =
            items.iter().filter_map(|i| if let Item::Reply(r) = i { Some(r.code.to_string()) } else { None }).collect();
        assert_eq!(Some(codes), strs(&v.expect["codes"]), "{}", v.at());
        if let Some(lossy) = strs(&v.expect["lossy"]) {
            let got: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Item::Command(c) => c.lossy,
                    Item::Reply(r) => r.lossy,
                    Item::Error(_) => false,
                })
                .map(|b| b.to_string())
                .collect();
            assert_eq!(got, lossy, "{}", v.at());
        }
        if let Some(args) = strs(&v.expect["args"]) {
            let got: Vec<String> =
                items.iter().filter_map(|i| if let Item::Command(c) = i { c.arg.clone() } else { None }).collect();
            assert_eq!(got, args, "{}", v.at());
        }
        if let Some(ek) = strs(&v.expect["error_kinds"]) {
            let got: Vec<String> = items
                .iter()
                .filter_map(|i| if let Item::Error(e) = i { Some(e.kind.name().to_owned()) } else { None })
                .collect();
            assert_eq!(got, ek, "{}", v.at());
        }
        // The one JSON rendering is valid JSON for every item, lossy or not.
        for i in &items {
            let text = json::item_detailed(i);
            let parsed: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {text}: {e}", v.at()));
            assert_eq!(parsed["line"].as_u64(), Some(i.line() as u64));
        }
    }
}

#[test]
fn json_escapes_like_serde_json() {
    let s = "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{7f}é€😀";
    let mut out = String::new();
    json::write_str(&mut out, s);
    assert_eq!(out, serde_json::to_string(s).unwrap());
}

#[test]
fn json_spans_count_utf16_units() {
    let items = transcript::decode("227 é😀 (192,168,150,90,195,149)\n");
    let Item::Reply(r) = &items[0] else { panic!("{items:?}") };
    let v: Value = serde_json::from_str(&json::item_detailed(&items[0])).unwrap();
    let ep = r.endpoint.as_ref().unwrap();
    let start16 = r.input[..ep.span.start].encode_utf16().count() as u64;
    assert_eq!(v["endpoint"]["span_utf16"][0].as_u64(), Some(start16));
    assert_eq!(v["endpoint"]["tuple"], "192,168,150,90,195,149");
    assert_eq!(v["endpoint"]["p1"], 195);
    assert_eq!(v["endpoint"]["p2"], 149);
}

#[test]
fn error_items_name_the_field() {
    let items = transcript::decode("PORT 10,0,1,2,256,22\n227 Entering Passive Mode (192,168,1,1,4)\n");
    let fields: Vec<Option<&str>> =
        items.iter().map(|i| if let Item::Error(e) = i { e.field.map(|f| f.role) } else { None }).collect();
    assert_eq!(fields[0], Some("p1"), "{items:?}");
    assert!(fields[1].is_some(), "{items:?}");
}
