//! Replays every input the fuzzers kept (`testdata/fuzz-regressions/<target>/<file>`) through the same invariant
//! check the fuzz target runs (`ftpkit_proto::fuzzing`), and runs every target's check on edited seeds and random
//! bytes.
//!
//! A crash found by `cargo xtask fuzz` is copied there. Until the code is fixed, its path (relative to the
//! regressions folder) is listed in `testdata/fuzz-regressions/OPEN`; `every_regression_passes` skips those, so the
//! suite stays green while the bug is reported, and `open_list_is_current` checks that each listed file still fails.
//! Fixing the bug makes that test fail until its line is deleted: the file then runs in `every_regression_passes`
//! forever.
use ftpkit_proto::fuzzing::{target, TARGETS};
use proptest::prelude::*;
use proptest::sample::Index;
use std::fs;
use std::panic;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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

/// Runs a target's check on `bytes`; `Err` with the panic message when an invariant breaks.
fn replay(check: fn(&[u8]), bytes: &[u8]) -> Result<(), String> {
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
        if let Err(msg) = replay(check_of(&name), &bytes) {
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

/// Every file listed in `OPEN` still breaks its invariant: a listed crasher that passes is a fixed bug whose line
/// must go, so that `every_regression_passes` replays it from then on.
#[test]
fn open_list_is_current() {
    let open = open_list();
    let mut replayed = 0;
    for (rel, name, bytes) in all_files().into_iter().filter(|(rel, _, _)| open.contains(rel)) {
        replayed += 1;
        assert!(
            replay(check_of(&name), &bytes).is_err(),
            "testdata/fuzz-regressions/{rel} passes now: delete its line from OPEN so every_regression_passes keeps it"
        );
    }
    assert_eq!(replayed, open.len(), "OPEN lists files that do not exist (see open_list_names_existing_files)");
}

/// The replay sees a broken invariant (a panic in the check) as a failure, with its message, and a kept promise as
/// a pass: without this, the two tests above could pass by never seeing a failure.
#[test]
fn replay_reports_a_broken_invariant() {
    fn broken(bytes: &[u8]) {
        assert!(bytes.is_empty(), "invariant broken by {bytes:?}");
    }
    assert_eq!(replay(broken, b""), Ok(()));
    assert_eq!(replay(broken, b"x"), Err("invariant broken by [120]".to_owned()));
    let pasv = check_of("pasv");
    assert_eq!(replay(pasv, b"227 Entering Passive Mode (192,168,150,90,195,149).\r\n"), Ok(()));
}

#[test]
fn every_target_has_a_folder_name_it_can_use() {
    for (name, _) in TARGETS {
        assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{name}");
    }
}

/// The check of the target called `name` (a regression folder or a seed with no target is a test bug).
fn check_of(name: &str) -> fn(&[u8]) {
    target(name).unwrap_or_else(|| panic!("no fuzz target {name:?}"))
}

/// A session script op that feeds the next bytes as control input (op 0 of both session targets: `0, len, bytes`).
fn input_op(bytes: &[u8]) -> Vec<u8> {
    let mut op = vec![0, u8::try_from(bytes.len()).unwrap_or(u8::MAX)];
    op.extend_from_slice(bytes);
    op
}

/// Inputs each target accepts (the decoders' first byte is the header: default limits, one chunk), so that edits of
/// them reach the round trips and the span checks that random bytes, which the parsers refuse, almost never reach.
/// The regression files of the target are seeds too.
fn seeds(name: &str) -> &'static [Vec<u8>] {
    type Seeds = Vec<(&'static str, Vec<Vec<u8>>)>;
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    let all = SEEDS.get_or_init(|| TARGETS.iter().map(|(name, _)| (*name, seeds_of(name))).collect());
    all.iter().find(|(n, _)| *n == name).map_or(&[], |(_, seeds)| seeds)
}

fn seeds_of(name: &str) -> Vec<Vec<u8>> {
    let text: &[&str] = match name {
        "reply_decoder" => &["\x00220-Welcome\r\n220 ready\r\n331 Password required.\r\n227 (127,0,0,1,4,1)\r\n"],
        "command_decoder" => &["\x00USER anonymous\r\nPORT 127,0,0,1,4,1\r\nEPRT |2|::1|5282|\r\nRETR a b.txt\r\n"],
        "command_roundtrip" => &["PORT 192,168,150,80,14,178\r\n", "EPRT |1|132.235.1.2|6275|\r\n", "STOR a b\r\n"],
        "pasv" => &["227 Entering Passive Mode (192,168,150,90,195,149).\r\n", "227 =10,0,0,1,4,1\r\n"],
        "epsv" => &["229 Entering Extended Passive Mode (|||6446|)\r\n"],
        "port" => &["192,168,150,80,14,178"],
        "eprt" => &["|1|132.235.1.2|6275|", "|2|1080::8:800:200c:417a|5282|"],
        "lprt" => &["4,4,132,235,1,2,2,24,131", "6,16,16,128,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,19,136"],
        "lpsv" => &["228 Entering Long Passive Mode (4,4,132,235,1,2,2,24,131)\r\n"],
        "path_257" => &["257 \"/usr/dm/foo\"\"bar\" directory created.", "257 \"/\" is the current directory\r\n"],
        "feat" => &["211-Features:\r\n EPSV\r\n MLST size*;modify*;type*;\r\n REST STREAM\r\n211 End\r\n"],
        "mlsd_line" => &["type=file;size=1024;modify=20261124120000;perm=r; notes 1.txt"],
        "list_line" => &[
            "-rw-r--r--   1 ftp ftp      1024 Nov 24 12:00 notes 1.txt\r\nlrwxrwxrwx 1 ftp ftp 4 Jan  1  2024 l -> t\r\n",
            "11-24-26  12:00PM       <DIR>          sub\r\n",
        ],
        "transcript" => &[ftpkit_proto::transcript::SEED_ACTIVE, ftpkit_proto::transcript::SEED_PASSIVE],
        "firewall" => &["50000-50100", "21"],
        "proxy_header" => &["PROXY TCP4 192.0.2.7 198.51.100.1 51000 21\r\nUSER x\r\n", "PROXY UNKNOWN\r\n"],
        "hash_reply" => &["SHA-256 0-3 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f a b.txt\r\n"],
        "users_file" => &[
            "# users\nalice:$argon2id$v=19$m=19456,t=2,p=1$kZ/G4Y5WGJhAb0QQNztrOg$QV8MukQaWfdgrkeXnZH9JPNaTM9is/O28tVGxLCqKE8:alice:read,write:1000:\n",
        ],
        _ => &[],
    };
    let mut out: Vec<Vec<u8>> = text.iter().map(|t| t.as_bytes().to_vec()).collect();
    match name {
        // Greeting, then each of the other ops once with a small operand.
        "client_session" => out.push([input_op(b"220 ready\r\n"), (1..8).flat_map(|op| [op, 1]).collect()].concat()),
        "server_session" => out.push(
            [
                input_op(b"USER anonymous\r\nPASS a@b\r\n"),
                vec![1, 0],
                input_op(b"PASV\r\n"),
                vec![1, 0],
                input_op(b"RETR x\r\n"),
                (1..6).flat_map(|op| [op, 0]).collect(),
            ]
            .concat(),
        ),
        "proxy_header" => {
            let (src, dst) = ("[2001:db8::7]:51000".parse().unwrap(), "[2001:db8::1]:21".parse().unwrap());
            out.push([ftpkit_proto::proxy::encode_v2(src, dst).unwrap(), b"USER x\r\n".to_vec()].concat());
            out.push(ftpkit_proto::proxy::encode_v2_local());
        }
        _ => {}
    }
    out.extend(all_files().into_iter().filter(|(_, n, _)| n == name).map(|(_, _, bytes)| bytes));
    out
}

/// One byte edit: kind 0 replaces, 1 inserts, 2 deletes, at an index into the bytes.
type Edit = (u8, Index, u8);

/// `bytes` with `edits` applied in order (a replace or delete on no bytes does nothing).
fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for &(kind, at, byte) in edits {
        match kind {
            1 => bytes.insert(at.index(bytes.len() + 1), byte),
            _ if bytes.is_empty() => {}
            0 => {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            _ => {
                bytes.remove(at.index(bytes.len()));
            }
        }
    }
    bytes
}

#[test]
fn every_target_has_seeds_and_every_seed_passes() {
    for (name, check) in TARGETS {
        let seeds = seeds(name);
        assert!(!seeds.is_empty(), "fuzz target {name} has no seed in this test");
        for seed in seeds {
            assert_eq!(replay(*check, seed), Ok(()), "{name} on its seed {:?}", String::from_utf8_lossy(seed));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..Default::default() })]

    /// Every fuzz target's check on one of its seeds with up to four byte edits: a cheap, deterministic-per-seed
    /// fuzz pass in the normal suite that reaches past the parsers' refusals.
    #[test]
    fn every_target_holds_on_edited_seeds(
        which in any::<Index>(),
        edits in proptest::collection::vec((0..3u8, any::<Index>(), any::<u8>()), 0..=4),
    ) {
        for (name, check) in TARGETS {
            let seeds = seeds(name);
            let input = apply(which.get(seeds).clone(), &edits);
            if let Err(msg) = replay(*check, &input) {
                prop_assert!(false, "{name} on {:?}: {msg}", String::from_utf8_lossy(&input));
            }
        }
    }

    /// Every fuzz target's check on random bytes.
    #[test]
    fn every_target_holds_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for (name, check) in TARGETS {
            if let Err(msg) = replay(*check, &bytes) {
                prop_assert!(false, "{name}: {msg}");
            }
        }
    }
}

/// The text seeds of the two targets whose parsers refuse almost every random input read as what they stand for,
/// so that edits of them reach the round trips.
#[test]
fn hash_and_users_seeds_are_accepted() {
    let text = |name: &str| String::from_utf8(seeds_of(name).swap_remove(0)).expect("text seed");
    assert!(ftpkit_proto::hash::HashReply::parse(&text("hash_reply")).is_ok());
    let users = ftpkit_proto::session::server::users::parse(&text("users_file")).expect("the users seed reads");
    assert_eq!(users.len(), 1);
}
