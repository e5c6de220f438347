//! Transcript decoding and the data-connection timeline, on the seed and on real servers' `ftp -d` sessions.

use ftpkit_proto::firewall::{Mode, Side};
use ftpkit_proto::timeline::{self, Context};
use ftpkit_proto::transcript::{self, EndpointForm, Item, SEED_ACTIVE, SEED_PASSIVE};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

fn testdata(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn commands(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Command(c) => Some(match &c.arg {
                Some(a) => format!("{} {a}", c.verb),
                None => c.verb.clone(),
            }),
            _ => None,
        })
        .collect()
}

fn codes(items: &[Item]) -> Vec<u16> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Reply(r) => Some(r.code),
            _ => None,
        })
        .collect()
}

#[test]
fn seed_examples_are_verbatim_parts_of_the_seed() {
    let seed = testdata("active-vs-passive-ftp.txt");
    assert!(seed.contains(SEED_ACTIVE.trim_end()));
    assert!(seed.contains(SEED_PASSIVE.trim_end()));
}

#[test]
fn seed_active_decodes_to_port_3762() {
    let items = transcript::decode(SEED_ACTIVE);
    assert!(items.iter().all(|i| !matches!(i, Item::Error(_))), "{items:#?}");
    assert_eq!(commands(&items), ["USER slacker", "PASS XXXX", "SYST", "PORT 192,168,150,80,14,178", "LIST", "QUIT"]);
    assert_eq!(codes(&items), [220, 331, 230, 215, 200, 150, 226, 221]);
    let ep = items.iter().find_map(Item::endpoint).expect("PORT endpoint");
    assert_eq!(ep.form, EndpointForm::Port);
    assert_eq!(ep.ip, Some(IpAddr::V4(Ipv4Addr::new(192, 168, 150, 80))));
    assert_eq!(ep.port, 3762);
    assert_eq!(ep.port_bytes(), (14, 178));
    let Some(Item::Command(c)) = items.iter().find(|i| i.endpoint().is_some()) else { panic!() };
    assert_eq!(&c.input[ep.span.clone()], "192,168,150,80,14,178");
    // The chatter is skipped: `Name (...)`, `Password:`, `ftp> ls`, the listing line.
    assert_eq!(items.len(), 14);
}

#[test]
fn seed_passive_decodes_to_pasv_50069() {
    let items = transcript::decode(SEED_PASSIVE);
    assert!(items.iter().all(|i| !matches!(i, Item::Error(_))), "{items:#?}");
    assert_eq!(commands(&items), ["USER slacker", "PASS XXXX", "SYST", "PASV", "LIST", "QUIT"]);
    let ep = items.iter().find_map(Item::endpoint).expect("227 endpoint");
    assert_eq!(ep.form, EndpointForm::Pasv);
    assert_eq!(ep.ip, Some(IpAddr::V4(Ipv4Addr::new(192, 168, 150, 90))));
    assert_eq!(ep.port, 50069);
    let Some(Item::Reply(r)) = items.iter().find(|i| i.endpoint().is_some()) else { panic!() };
    assert_eq!(&r.input[ep.span.clone()], "192,168,150,90,195,149");
}

#[test]
fn plain_lines_without_markers() {
    let items = transcript::decode(
        "PORT 192,168,150,80,14,178\n200 ok\n211-Features:\n EPSV\n211 End\nEPSV\n229 (|||6446|)\nPWD\n257 \"/a\"\"b\"\n",
    );
    assert_eq!(commands(&items), ["PORT 192,168,150,80,14,178", "EPSV", "PWD"]);
    assert_eq!(codes(&items), [200, 211, 229, 257]);
    let Item::Reply(feat) = &items[2] else { panic!("{:?}", items[2]) };
    assert_eq!(feat.text, ["Features:", " EPSV", "End"]);
    assert_eq!(feat.line, 3);
    let Item::Reply(epsv) = &items[4] else { panic!() };
    let ep = epsv.endpoint.as_ref().expect("229 endpoint");
    assert_eq!((ep.ip, ep.port), (None, 6446));
    let Item::Reply(pwd) = &items[6] else { panic!() };
    assert_eq!(pwd.path.as_deref(), Some("/a\"b"));
}

#[test]
fn errors_are_items_and_decoding_goes_on() {
    let items = transcript::decode(
        "227 Entering Passive Mode (192,168,1,1,4)\nPORT 10,0,1,2,256,22\n2a0 x\n099 bogus\n200-open\nQUIT\n221 Bye\n",
    );
    let kinds: Vec<&str> = items
        .iter()
        .map(|i| match i {
            Item::Command(_) => "command",
            Item::Reply(_) => "reply",
            Item::Error(_) => "error",
        })
        .collect();
    // `2a0 x` starts with a digit: a malformed reply, never a command (verbs are letters, RFC 959 §5.3).
    assert_eq!(kinds, ["error", "error", "error", "error", "error", "command", "reply"]);
    let Item::Error(e) = &items[1] else { panic!() };
    assert!(e.error.contains("p1") && e.error.contains("256"), "{}", e.error);
    let Item::Error(e) = &items[4] else { panic!() };
    assert!(e.error.contains("never closed"), "{}", e.error);
}

#[test]
fn real_ftp_d_transcripts_decode_without_errors() {
    for server in ["vsftpd", "pureftpd", "pyftpdlib"] {
        for mode in ["active", "passive"] {
            let name = format!("transcripts/{server}-{mode}.ftp-d.txt");
            let items = transcript::decode(&testdata(&name));
            let errors: Vec<_> = items.iter().filter(|i| matches!(i, Item::Error(_))).collect();
            assert!(errors.is_empty(), "{name}: {errors:#?}");
            let forms: Vec<EndpointForm> = items.iter().filter_map(Item::endpoint).map(|e| e.form).collect();
            assert!(!forms.is_empty(), "{name}: no endpoint");
            let expected = if mode == "active" { EndpointForm::Eprt } else { EndpointForm::Epsv };
            assert!(forms.iter().all(|f| *f == expected), "{name}: {forms:?}");
            // Every transfer in these sessions opened a data connection.
            let tl = timeline::build(&items, &Context::default());
            assert_eq!(tl.connections.len(), 2, "{name}: {}", timeline::render_text(&tl));
            assert!(tl.connections.iter().all(|c| c.outcome == Some(226)), "{name}");
            assert!(tl.warnings.is_empty(), "{name}: {:?}", tl.warnings);
        }
    }
}

#[test]
fn seed_timelines_follow_the_seed_steps() {
    let tl = timeline::build(&transcript::decode(SEED_ACTIVE), &Context::default());
    assert_eq!(tl.connections.len(), 1);
    let dc = &tl.connections[0];
    assert_eq!(dc.mode, Mode::Active);
    assert_eq!(dc.command.as_deref(), Some("LIST"));
    assert_eq!(dc.outcome, Some(226));
    assert_eq!(dc.steps[2].from.side, Side::Server);
    assert_eq!(dc.steps[2].from.port_label, "20");
    assert_eq!(dc.steps[2].to.port, Some(3762));
    assert_eq!(dc.steps[2].new_inbound_at, Some(Side::Client));
    assert!(dc.steps.iter().filter(|s| s.new_inbound_at.is_some()).count() == 1);
    // The seed's note: a private address in PORT breaks behind NAT.
    assert_eq!(dc.warnings.len(), 1);
    assert!(dc.warnings[0].text.contains("NAT"), "{:?}", dc.warnings);

    let tl = timeline::build(&transcript::decode(SEED_PASSIVE), &Context::default());
    let dc = &tl.connections[0];
    assert_eq!(dc.mode, Mode::Passive);
    assert_eq!(dc.steps[2].from.side, Side::Client);
    assert_eq!(dc.steps[2].to.port, Some(50069));
    assert_eq!(dc.steps[2].new_inbound_at, Some(Side::Server));
    let text = timeline::render_text(&tl);
    assert!(text.contains("3. client:N+1 (> 1023) -> server 192.168.150.90:50069"), "{text}");
}

#[test]
fn nat_warnings_use_the_control_addresses() {
    let ctx = Context {
        client: Some("203.0.113.7".parse().unwrap()),
        server: Some("198.51.100.2".parse().unwrap()),
        control_port: Some(21),
    };
    let items = transcript::decode("PASV\n227 Entering Passive Mode (10,0,0,5,4,1).\nRETR x\n150 ok\n226 done\n");
    let tl = timeline::build(&items, &ctx);
    let w = &tl.connections[0].warnings;
    assert_eq!(w.len(), 1);
    assert!(w[0].text.contains("198.51.100.2"), "{w:?}");

    let items = transcript::decode("PORT 10,9,8,7,4,1\n200 ok\nLIST\n150 ok\n226 done\n");
    let tl = timeline::build(&items, &ctx);
    assert!(tl.connections[0].warnings[0].text.contains("bounce"), "{:?}", tl.connections[0].warnings);

    // Loopback with a matching control address: nothing to warn about.
    let ctx = Context {
        client: Some(Ipv4Addr::LOCALHOST.into()),
        server: Some(Ipv4Addr::LOCALHOST.into()),
        control_port: None,
    };
    let items = transcript::decode("PASV\n227 (127,0,0,1,4,1)\nLIST\n150 ok\n226 done\n");
    assert!(timeline::build(&items, &ctx).connections[0].warnings.is_empty());
}

#[test]
fn refused_and_unused_endpoints_are_noted() {
    let items = transcript::decode("PASV\n227 (127,0,0,1,4,1)\nRETR missing\n550 no such file\nQUIT\n221 bye\n");
    let tl = timeline::build(&items, &Context::default());
    assert!(tl.connections.is_empty());
    assert_eq!(tl.warnings.len(), 1);
    assert!(tl.warnings[0].text.contains("550"), "{:?}", tl.warnings);
}

/// Decoding is local: cut anywhere, a transcript decodes to the items of the whole text up to the cut, except the
/// last one (a cut line or an unclosed multi-line reply) — when the cut leaves the text in the same mode (`ftp -d`
/// marker lines or plain lines) as the whole. And no prefix panics.
#[test]
fn every_byte_prefix_decodes_to_a_prefix_of_the_whole() {
    let text = format!("{SEED_ACTIVE}{SEED_PASSIVE}");
    let marker_mode = |t: &str| t.lines().any(|l| l.starts_with(transcript::DEBUG_MARKER));
    let whole = transcript::decode(&text);
    assert!(!whole.iter().any(|i| matches!(i, Item::Error(_))), "{whole:?}");
    let mut compared = 0;
    for end in (0..=text.len()).filter(|&end| text.is_char_boundary(end)) {
        let prefix = &text[..end];
        let items = transcript::decode(prefix);
        let lines = prefix.lines().count();
        assert!(items.iter().all(|i| i.line() <= lines), "{end}: an item past the {lines} lines of the prefix");
        if marker_mode(prefix) == marker_mode(&text) {
            let settled = items.len().saturating_sub(1);
            assert!(items.len() <= whole.len(), "{end}: {} items, the whole has {}", items.len(), whole.len());
            assert_eq!(items[..settled], whole[..settled], "cut at byte {end} ({prefix:?})");
            compared += 1;
        }
    }
    assert!(compared > text.len() / 2, "only {compared} cuts were in the whole text's mode");
}

/// The control connection's TLS state follows AUTH's 234 and CCC's 200: an endpoint announced inside TLS is one no
/// firewall or NAT helper could read, and the timeline says so (real traces of ftpkit's client and server).
#[test]
fn endpoints_announced_inside_tls_are_marked_and_warned_about() {
    let name = "transcripts/ftpkit-ftps-active.trace.txt";
    let items = transcript::decode(&testdata(name));
    assert!(items.iter().all(|i| !matches!(i, Item::Error(_))), "{name}");
    let tl = timeline::build(&items, &Context::default());
    assert_eq!(tl.connections.len(), 1, "{name}");
    let dc = &tl.connections[0];
    assert!(dc.control_protected && dc.mode == Mode::Active, "{dc:?}");
    assert!(dc.warnings.iter().any(|w| w.text.contains("inside TLS") && w.text.contains("CCC")), "{dc:?}");
    assert!(timeline::render_text(&tl).contains("PORT on line 30 inside TLS"), "{}", timeline::render_text(&tl));

    let name = "transcripts/ftpkit-ftps-ccc.trace.txt";
    let tl = timeline::build(&transcript::decode(&testdata(name)), &Context::default());
    assert_eq!(tl.connections.len(), 1, "{name}");
    assert!(!tl.connections[0].control_protected && tl.connections[0].warnings.is_empty(), "{:?}", tl.connections);

    // AUTH refused: still in clear. CCC refused: still inside TLS.
    let refused = "AUTH TLS\n534 no\nPASV\n227 Entering Passive Mode (127,0,0,1,4,1).\nLIST\n150 ok\n226 done\n";
    let tl = timeline::build(&transcript::decode(refused), &Context::default());
    assert!(!tl.connections[0].control_protected);
    let kept = "AUTH TLS\n234 go\nCCC\n534 no\nEPSV\n229 ok (|||1025|)\nLIST\n150 ok\n226 done\n";
    let tl = timeline::build(&transcript::decode(kept), &Context::default());
    assert!(tl.connections[0].control_protected);
}

/// STAT with a path is a listing without a data connection: the timeline has no connection for it and says so.
#[test]
fn stat_with_a_path_is_a_listing_without_a_data_connection() {
    let items = transcript::decode(
        "---> STAT /pub\n213-Status of /pub:\n-rw-r--r-- 1 0 0 5 Jan 01  2024 a\n213 End of status.\n---> STAT\n211 ok\n",
    );
    let tl = timeline::build(&items, &Context::default());
    let text = timeline::render_text(&tl);
    assert!(tl.connections.is_empty(), "{text}");
    assert_eq!(tl.warnings.len(), 1, "{text}");
    assert_eq!(tl.warnings[0].line, 1);
    assert!(
        text.contains(
            "note (line 1): STAT /pub lists on the control connection (a 211/212/213 reply): no data connection"
        ),
        "{text}"
    );
}
