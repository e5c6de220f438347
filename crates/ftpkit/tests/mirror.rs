//! `ftpkit::mirror` against the embedded server on loopback: a tree of 2,000 files in nested directories,
//! downloaded with a cancel half-way (inside a large file) and resumed, byte-exact; then up to date; `--delete`,
//! `dry_run` and `only_newer`; and the same tree uploaded.

use ftpkit::blocking::Client;
use ftpkit::mirror::{mirror, Direction, Event, MirrorOptions, Summary, PART_SUFFIX};
use ftpkit::server::{Access, Server};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

struct Running {
    addr: SocketAddr,
    _rt: tokio::runtime::Runtime,
}

fn serve(root: &Path) -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = rt.block_on(async {
        Server::builder(root)
            .bind("127.0.0.1:0".parse().unwrap())
            .user("alice", "pw", Access::ReadWrite)
            .build()
            .await
            .unwrap()
    });
    let addr = server.local_addr().unwrap();
    rt.spawn(server.run());
    Running { addr, _rt: rt }
}

/// Bytes of file `i`: its own length (0..=2,999) and content.
fn content(i: u32) -> Vec<u8> {
    let len = (i.wrapping_mul(7919) % 3000) as usize;
    (0..len).map(|k| ((k as u32).wrapping_mul(31).wrapping_add(i.wrapping_mul(2_654_435_761)) >> 3) as u8).collect()
}

/// 2,000 small files in 20 × 10 nested directories, an empty directory, and two 3 MB files half-way through.
fn make_tree(root: &Path) {
    let mut i = 0;
    for a in 0..20 {
        for b in 0..10 {
            let dir = root.join(format!("d{a:02}/s{b}"));
            std::fs::create_dir_all(&dir).unwrap();
            for f in 0..10 {
                std::fs::write(dir.join(format!("f{f}.dat")), content(i)).unwrap();
                i += 1;
            }
        }
    }
    std::fs::create_dir_all(root.join("empty/dir")).unwrap();
    for n in 0..2u32 {
        let big: Vec<u8> =
            (0..3_000_000u32).map(|k| (k.wrapping_mul(2_654_435_761).wrapping_add(n) >> 13) as u8).collect();
        std::fs::write(root.join(format!("d10/big{n}.bin")), big).unwrap();
    }
}

/// Every file and directory under `root`, relative, with the file bytes.
fn snapshot(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            if p.is_dir() {
                out.insert(rel, None);
                stack.push(p);
            } else {
                out.insert(rel, Some(std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

fn connector(addr: SocketAddr) -> impl Fn() -> ftpkit::client::Result<Client> + Sync {
    move || {
        let mut c = Client::connect(addr)?;
        c.login("alice", "pw")?;
        Ok(c)
    }
}

fn run(addr: SocketAddr, opts: &MirrorOptions) -> Summary {
    let s = mirror(&connector(addr), opts, &AtomicBool::new(false), &|_| {}).unwrap();
    assert!(s.failed.is_empty(), "{:?}", s.failed);
    s
}

#[test]
fn download_interrupted_inside_a_large_file_then_resumed_is_byte_exact() {
    let server_root = tempfile::tempdir().unwrap();
    make_tree(&server_root.path().join("tree"));
    let srv = serve(server_root.path());
    let local = tempfile::tempdir().unwrap();
    let dst = local.path().join("copy");
    let opts = MirrorOptions { parallel: 4, ..MirrorOptions::new(Direction::Download, "tree", &dst) };

    // First run: cancelled once 1 MB of a large file has arrived.
    let cancel = AtomicBool::new(false);
    let big_bytes = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let on_event = |e: &Event<'_>| match e {
        Event::Progress { path, bytes }
            if path.contains("big") && big_bytes.fetch_add(*bytes, Ordering::Relaxed) + bytes >= 1_000_000 =>
        {
            cancel.store(true, Ordering::Relaxed);
        }
        Event::Done { .. } => {
            done.fetch_add(1, Ordering::Relaxed);
        }
        _ => {}
    };
    let first = mirror(&connector(srv.addr), &opts, &cancel, &on_event).unwrap();
    assert!(first.cancelled);
    assert_eq!(first.source_files, 2002);
    assert!((500..1900).contains(&first.transferred), "stopped half-way: {first:?}");
    assert_eq!(first.transferred as u64, done.load(Ordering::Relaxed));
    // ftpkit's server offers HASH SHA-256: every file copied was checked.
    assert_eq!((first.verified, first.not_verifiable, &first.verify_note), (first.transferred, 0, &None));
    // No half-written file under a final name: every file there is complete; the large one waits as a part file.
    let want = snapshot(&server_root.path().join("tree"));
    let got = snapshot(&dst);
    let mut parts = 0;
    for (rel, bytes) in &got {
        if rel.ends_with(PART_SUFFIX) {
            parts += 1;
            continue;
        }
        assert_eq!(want.get(rel), Some(bytes), "{rel} is complete or absent");
    }
    assert!(parts >= 1, "the interrupted large file is kept as a part file");
    let big_parts: Vec<_> = got.keys().filter(|k| k.contains("big") && k.ends_with(PART_SUFFIX)).collect();
    assert!(!big_parts.is_empty(), "{:?}", got.keys().filter(|k| k.ends_with(PART_SUFFIX)).collect::<Vec<_>>());

    // Second run: the rest, the large file continued from its part file (REST).
    let second = run(srv.addr, &opts);
    assert!(!second.cancelled);
    assert_eq!(second.transferred + first.transferred, 2002, "{second:?}");
    assert!(second.resumed >= 1, "{second:?}");
    assert_eq!((second.verified, second.not_verifiable), (second.transferred, 0), "the resumed file too");
    assert!(second.bytes < 6_000_000 + 3_000 * 2_000, "resumed, not restarted: {second:?}");
    assert_eq!(snapshot(&dst), want, "byte-exact, no part file left");

    // Third run: everything is up to date (sizes equal, times kept from MLSD).
    let third = run(srv.addr, &opts);
    assert_eq!((third.transferred, third.up_to_date), (0, 2002), "{third:?}");

    // A changed remote file (other size) is copied again; a local extra is removed only with delete.
    std::fs::write(server_root.path().join("tree/d03/s3/f3.dat"), b"changed").unwrap();
    std::fs::write(dst.join("d00/extra.txt"), b"x").unwrap();
    let dry = mirror(
        &connector(srv.addr),
        &MirrorOptions { dry_run: true, delete: true, ..opts.clone() },
        &AtomicBool::new(false),
        &|_| {},
    )
    .unwrap();
    assert_eq!((dry.would, dry.transferred, dry.deleted), (2, 0, 0), "{dry:?}");
    assert_eq!(std::fs::read(dst.join("d03/s3/f3.dat")).unwrap(), content(333));
    let fourth = run(srv.addr, &MirrorOptions { delete: true, ..opts.clone() });
    assert_eq!((fourth.transferred, fourth.deleted), (1, 1), "{fourth:?}");
    assert_eq!(snapshot(&dst), snapshot(&server_root.path().join("tree")));
}

#[test]
fn upload_then_up_to_date_then_delete() {
    let server_root = tempfile::tempdir().unwrap();
    std::fs::create_dir(server_root.path().join("up")).unwrap();
    let srv = serve(server_root.path());
    let local = tempfile::tempdir().unwrap();
    make_tree(local.path());
    let opts = MirrorOptions { parallel: 3, ..MirrorOptions::new(Direction::Upload, "up", local.path()) };
    let log = Mutex::new(Vec::new());
    let s = mirror(&connector(srv.addr), &opts, &AtomicBool::new(false), &|e| {
        if let Event::MadeDir { path } = e {
            log.lock().unwrap().push(path.to_string());
        }
    })
    .unwrap();
    assert!(s.failed.is_empty(), "{:?}", s.failed);
    assert_eq!(s.transferred, 2002);
    assert_eq!((s.verified, s.not_verifiable), (2002, 0));
    assert_eq!(s.dirs_made, 20 + 200 + 2);
    assert!(log.lock().unwrap().contains(&"empty/dir".to_owned()));
    assert_eq!(snapshot(&server_root.path().join("up")), snapshot(local.path()));
    let again = run(srv.addr, &opts);
    assert_eq!((again.transferred, again.up_to_date), (0, 2002), "{again:?}");
    // Only newer: a local file with another size but an older time is left alone; without only_newer it is sent.
    let f = local.path().join("d01/s1/f1.dat");
    std::fs::write(&f, b"older but different").unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options().write(true).open(&f).unwrap().set_modified(old).unwrap();
    assert_eq!(run(srv.addr, &MirrorOptions { only_newer: true, ..opts.clone() }).transferred, 0);
    assert_eq!(run(srv.addr, &opts).transferred, 1);
    std::fs::remove_dir_all(local.path().join("d19")).unwrap();
    let del = run(srv.addr, &MirrorOptions { delete: true, ..opts.clone() });
    assert_eq!(del.deleted, 100 + 10 + 1, "{del:?}");
    assert_eq!(snapshot(&server_root.path().join("up")), snapshot(local.path()));
}

/// A small tree: `a.txt` and `sub/b.txt`.
fn small_tree(root: &Path) {
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("a.txt"), b"abc").unwrap();
    std::fs::write(root.join("sub/b.txt"), b"hello").unwrap();
}

#[test]
fn a_file_changed_on_the_server_after_its_bytes_arrived_fails_verification_and_stays_a_part_file() {
    let server_root = tempfile::tempdir().unwrap();
    let tree = server_root.path().join("t");
    small_tree(&tree);
    let srv = serve(server_root.path());
    let local = tempfile::tempdir().unwrap();
    let opts = MirrorOptions { parallel: 1, ..MirrorOptions::new(Direction::Download, "t", local.path()) };
    // Once a.txt's 3 bytes are here (the server has read them), its server copy changes, same size: HASH then
    // hashes other bytes than those downloaded.
    let on_event = |e: &Event<'_>| {
        if let Event::Progress { path: "a.txt", .. } = e {
            std::fs::write(tree.join("a.txt"), b"xyz").unwrap();
        }
    };
    let s = mirror(&connector(srv.addr), &opts, &AtomicBool::new(false), &on_event).unwrap();
    assert_eq!((s.transferred, s.verified, s.not_verifiable), (1, 1, 0), "{s:?}");
    assert_eq!(s.failed.len(), 1, "{s:?}");
    assert_eq!(s.failed[0].0, "a.txt");
    assert!(s.failed[0].1.contains("hash mismatch"), "{}", s.failed[0].1);
    assert!(!local.path().join("a.txt").exists(), "not renamed into place");
    assert_eq!(std::fs::read(local.path().join(format!(".a.txt{PART_SUFFIX}"))).unwrap(), b"abc");
    // The next run copies the new bytes and verifies them.
    let again = run(srv.addr, &opts);
    assert_eq!((again.transferred, again.verified), (1, 1), "{again:?}");
    assert_eq!(std::fs::read(local.path().join("a.txt")).unwrap(), b"xyz");
}

#[test]
fn a_local_file_changed_during_its_upload_fails_verification_and_is_not_renamed_on_the_server() {
    let server_root = tempfile::tempdir().unwrap();
    std::fs::create_dir(server_root.path().join("up")).unwrap();
    let srv = serve(server_root.path());
    let local = tempfile::tempdir().unwrap();
    small_tree(local.path());
    let opts = MirrorOptions { parallel: 1, ..MirrorOptions::new(Direction::Upload, "up", local.path()) };
    let on_event = |e: &Event<'_>| {
        if let Event::Progress { path: "sub/b.txt", .. } = e {
            std::fs::write(local.path().join("sub/b.txt"), b"HELLO").unwrap();
        }
    };
    let s = mirror(&connector(srv.addr), &opts, &AtomicBool::new(false), &on_event).unwrap();
    assert_eq!((s.transferred, s.verified), (1, 1), "{s:?}");
    assert_eq!(s.failed.len(), 1, "{s:?}");
    assert!(s.failed[0].1.contains("hash mismatch"), "{}", s.failed[0].1);
    assert!(!server_root.path().join("up/sub/b.txt").exists(), "not renamed into place");
    assert_eq!(std::fs::read(server_root.path().join(format!("up/sub/.b.txt{PART_SUFFIX}"))).unwrap(), b"hello");
}

#[test]
fn no_verify_skips_hash_and_says_so() {
    let server_root = tempfile::tempdir().unwrap();
    small_tree(&server_root.path().join("t"));
    let srv = serve(server_root.path());
    let local = tempfile::tempdir().unwrap();
    let opts = MirrorOptions { verify: false, ..MirrorOptions::new(Direction::Download, "t", local.path()) };
    let s = run(srv.addr, &opts);
    assert_eq!((s.transferred, s.verified, s.not_verifiable), (2, 0, 2), "{s:?}");
    assert!(s.verify_note.as_deref().is_some_and(|n| n.contains("off")), "{s:?}");
}
