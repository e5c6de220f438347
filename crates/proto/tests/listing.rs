//! Listings: every `list_line` and `mlsd_line` vector (shared and ftpkit's), the `invalid` ones fed to those
//! parsers, every line of the real LIST/MLSD transcripts, the seed's LIST line, and proptest properties.
mod common;

use std::collections::BTreeMap;

use ftpkit_proto::listing::{
    format_mlsd_line, format_unix_list_line, parse_list_line, parse_listing, parse_mlsd_line, parse_mlsd_listing,
    split_mlsd_line, Date, DateTime, Entry, EntryKind, ListFormat, ListLine,
};
use proptest::prelude::*;
use serde_json::Value;

/// An entry as the transcript tests compare it: name -> (kind, size, link target).
type Summary = (String, (String, Option<u64>, Option<String>));

/// The transcripts' capture day, used as the reference date for `Mon DD HH:MM` years.
fn capture_day() -> Date {
    Date::new(2026, 11, 24).unwrap()
}

fn kind_name(kind: &EntryKind<'_>) -> String {
    match kind {
        EntryKind::Other(s) => format!("other:{s}"),
        k => k.name().to_owned(),
    }
}

/// Checks the optional expectations ftpkit's own vectors carry (beyond the shared format).
fn check_extras(e: &Entry<'_>, expect: &Value, at: &str) {
    if let Some(k) = expect.get("entry_kind") {
        assert_eq!(kind_name(&e.kind), k.as_str().unwrap(), "{at}: kind");
    }
    if let Some(m) = expect.get("modified") {
        assert_eq!(e.modified.map(|t| t.to_string()).as_deref(), m.as_str(), "{at}: modified");
    }
    if let Some(o) = expect.get("owner") {
        assert_eq!(e.owner.as_deref(), o.as_str(), "{at}: owner");
    }
    if let Some(g) = expect.get("group") {
        assert_eq!(e.group.as_deref(), g.as_str(), "{at}: group");
    }
    if let Some(m) = expect.get("unix_mode") {
        assert_eq!(e.unix_mode.map(u64::from), m.as_u64(), "{at}: unix_mode");
    }
}

#[test]
fn list_line_vectors() {
    let vectors = common::of_kind("list_line");
    assert!(vectors.len() >= 35, "expected shared + ftpkit list_line vectors, found {}", vectors.len());
    for v in &vectors {
        let e = match parse_list_line(&v.input, capture_day()) {
            ListLine::Entry(e) => e,
            ListLine::Unparsed(_) => panic!("{}: unparsed", v.at()),
        };
        let x = &v.expect;
        assert_eq!(e.name, x["name"].as_str().unwrap(), "{}: name", v.at());
        assert_eq!(e.size, x["size"].as_u64(), "{}: size", v.at());
        assert_eq!(e.is_dir(), x["is_dir"].as_bool().unwrap(), "{}: is_dir", v.at());
        assert_eq!(e.format.name(), x["format"].as_str().unwrap(), "{}: format", v.at());
        assert_eq!(e.link_target.as_deref(), x.get("link_target").and_then(Value::as_str), "{}: link_target", v.at());
        assert_eq!(e.raw, v.input, "{}: raw", v.at());
        check_extras(&e, x, &v.at());
    }
}

#[test]
fn invalid_list_line_vectors() {
    let vectors = common::invalid_as("list_line");
    assert!(vectors.len() >= 10, "found {}", vectors.len());
    for v in &vectors {
        match parse_list_line(&v.input, capture_day()) {
            ListLine::Unparsed(raw) => assert_eq!(raw, v.input, "{}: raw kept", v.at()),
            ListLine::Entry(e) => panic!("{}: read as an entry {e:?} ({})", v.at(), v.expect["reason"]),
        }
    }
}

#[test]
fn mlsd_line_vectors() {
    let vectors = common::of_kind("mlsd_line");
    assert!(vectors.len() >= 20, "found {}", vectors.len());
    for v in &vectors {
        let e = parse_mlsd_line(&v.input).unwrap_or_else(|err| panic!("{}: refused: {err}", v.at()));
        let x = &v.expect;
        let want: BTreeMap<String, String> = x["facts"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, val)| (k.clone(), val.as_str().unwrap().to_owned()))
            .collect();
        let got: BTreeMap<String, String> =
            e.facts().map(|(k, val)| (k.to_ascii_lowercase(), val.to_owned())).collect();
        assert_eq!(got, want, "{}: facts", v.at());
        assert_eq!(e.name, x["name"].as_str().unwrap(), "{}: name", v.at());
        assert_eq!(e.format, ListFormat::Mlsd);
        if let Some(size) = x.get("size") {
            assert_eq!(e.size, size.as_u64(), "{}: size", v.at());
        }
        if let Some(t) = x.get("link_target") {
            assert_eq!(e.link_target.as_deref(), t.as_str(), "{}: link_target", v.at());
        }
        check_extras(&e, x, &v.at());
        let (_, name) = split_mlsd_line(&v.input).unwrap();
        assert_eq!(name, x["name"].as_str().unwrap(), "{}: split name", v.at());
    }
}

#[test]
fn invalid_mlsd_line_vectors() {
    let vectors = common::invalid_as("mlsd_line");
    assert!(vectors.len() >= 10, "found {}", vectors.len());
    for v in &vectors {
        if let Ok(e) = parse_mlsd_line(&v.input) {
            panic!("{}: accepted as {e:?} ({})", v.at(), v.expect["reason"]);
        }
    }
}

fn transcript(name: &str) -> String {
    let path = format!("{}/testdata/transcripts/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// name -> (kind, size, link target) for every entry, failing on any unparsed line.
fn read_all(file: &str) -> BTreeMap<String, (String, Option<u64>, Option<String>)> {
    let text = transcript(file);
    let mut out = BTreeMap::new();
    for (i, line) in parse_listing(&text, capture_day()).enumerate() {
        match line {
            ListLine::Entry(e) => {
                let key = e.name.to_string();
                let value = (kind_name(&e.kind), e.size, e.link_target.as_deref().map(str::to_owned));
                assert!(out.insert(key, value).is_none(), "{file}:{}: duplicate name", i + 1);
            }
            ListLine::Unparsed(raw) => panic!("{file}:{}: unparsed {raw:?}", i + 1),
        }
    }
    out
}

fn tree(symlink: (&str, u64, Option<&str>), dir_size: u64) -> Vec<Summary> {
    let f = |n: &str, k: &str, s: u64, t: Option<&str>| (n.to_owned(), (k.to_owned(), Some(s), t.map(str::to_owned)));
    let mut v = vec![
        f("big.bin", "file", 1048576, None),
        f("café-ñandú.txt", "file", 21, None),
        f("hello world.txt", "file", 30, None),
        f("link-to-readme", symlink.0, symlink.1, symlink.2),
        f("readme.txt", "file", 48, None),
        f("subdir", "dir", dir_size, None),
        f("upload", "dir", dir_size, None),
    ];
    v.sort();
    v
}

#[test]
fn real_list_transcripts() {
    for server in ["vsftpd", "pureftpd", "pyftpdlib"] {
        let got: Vec<_> = read_all(&format!("{server}-list.txt")).into_iter().collect();
        assert_eq!(got, tree(("symlink", 10, Some("readme.txt")), 4096), "{server}");
    }
    // Dates: both forms, year of the recent one from the reference.
    let text = transcript("vsftpd-list.txt");
    let entries: Vec<_> = parse_listing(&text, capture_day())
        .filter_map(|l| match l {
            ListLine::Entry(e) => Some(e),
            ListLine::Unparsed(_) => None,
        })
        .collect();
    let when = |name: &str| entries.iter().find(|e| e.name == name).and_then(|e| e.modified).map(|t| t.to_string());
    assert_eq!(when("big.bin").as_deref(), Some("2024-02-29T00:00:00"));
    assert_eq!(when("upload").as_deref(), Some("2026-11-24T08:34:00"));
    let upload = entries.iter().find(|e| e.name == "upload").unwrap();
    assert_eq!(
        (upload.owner.as_deref(), upload.group.as_deref(), upload.unix_mode),
        (Some("103"), Some("111"), Some(0o755))
    );
}

#[test]
fn real_mlsd_transcripts() {
    let mut pure: Vec<_> = read_all("pureftpd-mlsd.txt").into_iter().collect();
    let cdir = pure.remove(pure.iter().position(|(n, _)| n == ".").unwrap());
    let pdir = pure.remove(pure.iter().position(|(n, _)| n == "..").unwrap());
    assert_eq!(cdir.1, ("cdir".to_owned(), Some(4096), None));
    assert_eq!(pdir.1, ("pdir".to_owned(), Some(4096), None));
    assert_eq!(pure, tree(("symlink", 10, None), 4096), "pureftpd");
    // pyftpdlib follows the link: a file with the target's size.
    let py: Vec<_> = read_all("pyftpdlib-mlsd.txt").into_iter().collect();
    assert_eq!(py, tree(("file", 48, None), 4096), "pyftpdlib");
    // The strict MLSD reader agrees and reads the times as UTC values.
    let text = transcript("pureftpd-mlsd.txt");
    let all: Vec<_> = parse_mlsd_listing(&text).collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 9);
    let big = all.iter().find(|e| e.name == "big.bin").unwrap();
    assert_eq!(big.modified, Some(DateTime::new(2024, 2, 29, 23, 59, 0, 0).unwrap()));
    assert_eq!((big.unix_mode, big.owner.as_deref(), big.group.as_deref()), (Some(0o644), Some("103"), Some("111")));
    assert_eq!(big.facts().get("UNIQUE"), Some("fe00g9cc0a2"));
}

#[test]
fn seed_list_line() {
    let seed = transcript("../active-vs-passive-ftp.txt");
    let line = seed.lines().find(|l| l.ends_with(" public_html") && l.starts_with('d')).expect("seed LIST line");
    let ListLine::Entry(e) = parse_list_line(line, capture_day()) else { panic!("unparsed seed line") };
    assert_eq!((e.name.as_ref(), e.size, e.kind.clone()), ("public_html", Some(104), EntryKind::Dir));
    assert_eq!((e.links, e.owner.as_deref(), e.group.as_deref()), (Some(3), Some("slacker"), Some("users")));
    assert_eq!((e.unix_mode, e.permissions.as_deref()), (Some(0o700), Some("drwx------")));
    assert_eq!(e.modified.map(|t| t.to_string()).as_deref(), Some("2026-07-27T01:45:00"));
    let owned: Entry<'static> = e.clone().into_owned();
    assert_eq!(owned, e);
}

// ---- properties -------------------------------------------------------------------------------------------------

fn date_time() -> impl Strategy<Value = DateTime> {
    (1000u16..=9999, 1u8..=12, 1u8..=31, 0u8..24, 0u8..60, 0u8..60).prop_map(|(y, mo, d, h, mi, s)| {
        let d = d.min(ftpkit_proto::listing::days_in_month(y, mo));
        DateTime::new(y, mo, d, h, mi, s, 0).unwrap()
    })
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

proptest! {
    #[test]
    fn mlsd_format_then_parse(
        facts in proptest::collection::vec(("[A-Za-z][A-Za-z0-9.]{0,8}", "[!-:<-~]{0,12}"), 0..6),
        name in "[^\\x00-\\x1f\\x7f]{1,30}",
    ) {
        let line = format_mlsd_line(facts.iter().map(|(a, b)| (a.as_str(), b.as_str())), &name).unwrap();
        let (got, got_name) = split_mlsd_line(&line).unwrap();
        prop_assert_eq!(got_name, name.as_str());
        let got: Vec<_> = got.collect();
        let want: Vec<_> = facts.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn mlsd_typed_round_trip(size in any::<u64>(), t in date_time(), mode in 0u32..0o10000, name in "[^\\x00-\\x1f\\x7f]{1,20}") {
        let size_s = size.to_string();
        let modify = t.to_mlsd();
        let mode_s = format!("{mode:04o}");
        let line = format_mlsd_line([("type", "file"), ("size", &size_s), ("modify", &modify), ("UNIX.mode", &mode_s)], &name).unwrap();
        let e = parse_mlsd_line(&line).unwrap();
        prop_assert_eq!(e.kind, EntryKind::File);
        prop_assert_eq!(e.size, Some(size));
        prop_assert_eq!(e.modified, Some(t));
        prop_assert_eq!(e.unix_mode, Some(mode));
        prop_assert_eq!(e.name.as_ref(), name.as_str());
    }

    #[test]
    fn unix_format_then_parse(
        kind in 0u8..3,
        mode in 0u32..0o10000,
        links in 1u64..100_000,
        owner in "[a-z_][a-z0-9_]{0,9}",
        group in "[a-z_][a-z0-9_]{0,9}|[0-9]{1,5}",
        size in any::<u64>(),
        t in date_time(),
        days_back in 0i64..2000,
        name in "[^\\x00-\\x1f\\x7f]{1,30}",
        target in "[^\\x00-\\x1f\\x7f]{1,20}",
    ) {
        prop_assume!(!MONTHS.contains(&owner.as_str()) && !MONTHS.contains(&group.as_str()));
        let (k, name) = match kind {
            0 => (EntryKind::File, name),
            1 => (EntryKind::Dir, name),
            _ => (EntryKind::Symlink, name.replace(" -> ", " - ")),
        };
        let k = match (k, name.as_str()) {
            (EntryKind::Dir, ".") => EntryKind::CurrentDir,
            (EntryKind::Dir, "..") => EntryKind::ParentDir,
            (k, _) => k,
        };
        // A reference date a few years around the entry's time, so both date forms occur.
        let reference = {
            let mut d = t.date();
            for _ in 0..days_back { d = d.next_day().unwrap_or(d); }
            d
        };
        let mut e = Entry::new(name.as_str(), k.clone(), ListFormat::Unix);
        e.unix_mode = Some(mode);
        e.links = Some(links);
        e.owner = Some(owner.as_str().into());
        e.group = Some(group.as_str().into());
        e.size = Some(size);
        e.modified = Some(t);
        if k == EntryKind::Symlink { e.link_target = Some(target.as_str().into()); }
        let line = format_unix_list_line(&e, reference).unwrap();
        let ListLine::Entry(got) = parse_list_line(&line, reference) else {
            return Err(TestCaseError::fail(format!("unparsed: {line:?}")));
        };
        prop_assert_eq!(&got.name, &e.name, "{}", line);
        prop_assert_eq!(&got.kind, &k);
        prop_assert_eq!(got.unix_mode, Some(mode));
        prop_assert_eq!(got.links, Some(links));
        prop_assert_eq!(got.owner.as_deref(), Some(owner.as_str()));
        prop_assert_eq!(got.group.as_deref(), Some(group.as_str()));
        prop_assert_eq!(got.size, Some(size));
        prop_assert_eq!(got.link_target.as_deref(), e.link_target.as_deref());
        let m = got.modified.unwrap();
        prop_assert_eq!(m.date(), t.date(), "{}", line);
        if (m.hour(), m.minute()) != (0, 0) || days_back < 182 {
            prop_assert_eq!((m.hour(), m.minute()), (t.hour(), t.minute()), "{}", line);
        }
    }

    #[test]
    fn arbitrary_lines_never_panic(line in "(.|\r|\n){0,100}", y in 0u16..=9999, mo in 1u8..=12, d in 1u8..=28) {
        let reference = Date::new(y, mo, d).unwrap();
        let _ = parse_list_line(&line, reference);
        let _ = parse_mlsd_line(&line);
        let _ = DateTime::parse_mlsd(&line);
        prop_assert!(parse_listing(&line, reference).count() <= line.len() + 1);
        let _ = parse_mlsd_listing(&line).count();
    }

    #[test]
    fn listing_shaped_lines_never_panic(
        mode in "[-dlcbps?][-rwxsStTlL]{9}[+@.]?[0-9]{0,3}",
        cols in proptest::collection::vec("[A-Za-z0-9,:+-]{1,6}", 0..10),
        tail in "[ -~]{0,12}",
    ) {
        let line = format!("{mode} {} {tail}", cols.join(" "));
        let _ = parse_list_line(&line, capture_day());
        let dos = format!("{} {tail}", cols.join("  "));
        let _ = parse_list_line(&dos, capture_day());
    }
}
