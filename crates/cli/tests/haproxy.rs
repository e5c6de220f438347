//! Two `ftpkit serve` instances behind one HAProxy (Debian's package, installed when missing), all on loopback:
//! the PROXY protocol on the control connection and on the passive data connections, each instance with its own
//! passive range forwarded by HAProxy and announcing HAProxy's address (masquerade).
//!
//! ```text
//!   client 127.0.0.1 ──► HAProxy 127.0.0.10:CTRL and [::1]:CTRL ──(from 127.0.0.9)──► a 127.0.0.11:CTRL (send-proxy-v2)
//!                                                                                 └─► b 127.0.0.12:CTRL (send-proxy, v1)
//!                        HAProxy 127.0.0.10 and [::1], ports A..A+9 ───────────────► a, same port (send-proxy-v2)
//!                        HAProxy 127.0.0.10 and [::1], ports B..B+9 ───────────────► b, same port (send-proxy)
//! ```
//!
//! The client (127.0.0.1 or ::1) and the proxy (127.0.0.9) have different addresses, so each check tells them apart:
//! the instances log the client's address; an active-mode EPRT/PORT naming the client passes the bounce check (it
//! would be refused as a bounce if the instance took HAProxy for the client); a passive data connection that comes
//! through HAProxy passes the data-source check by its own PROXY header.

use ftpkit_interop::install::ensure_haproxy;
use ftpkit_interop::seaweed::SeaweedFs;
use ftpkit_interop::{curl, ftplib, lftp, read_reply, sha256_hex};
use std::io::{BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FRONT: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 10);
const INSTANCES: [Ipv4Addr; 2] = [Ipv4Addr::new(127, 0, 0, 11), Ipv4Addr::new(127, 0, 0, 12)];
const RANGE: u16 = 10;

/// A child process killed (and reaped) when dropped, its stderr in a file.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(cmd: &mut Command, log: PathBuf) -> Proc {
        let file = std::fs::File::create(&log).expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("process starts");
        Proc { child, log }
    }
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port base `p` such that `p..p+n` is free on every address of `ips` (bind and release), away from `avoid`.
fn free_block(ips: &[IpAddr], n: u16, avoid: &[u16]) -> u16 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seed = std::process::id() % 997;
    for _ in 0..200 {
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = 20_000 + u16::try_from(((seed * 31 + k * 53) % 1100) * 10).unwrap_or(0);
        if avoid.iter().any(|a| (base..base + n).contains(a) || (*a..*a + RANGE).contains(&base)) {
            continue;
        }
        if ips.iter().all(|ip| (base..base + n).all(|p| TcpListener::bind((*ip, p)).is_ok())) {
            return base;
        }
    }
    panic!("no free block of {n} ports on {ips:?}");
}

fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !ok() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Setup {
    dir: tempfile::TempDir,
    instances: Vec<Proc>,
    _haproxy: Proc,
    ctrl: u16,
    ranges: [u16; 2],
}

impl Setup {
    /// Two instances over one directory, or over one S3 bucket (`s3`: SeaweedFS) as separate machines would share.
    fn start(s3: Option<&SeaweedFs>) -> Setup {
        let haproxy = ensure_haproxy().expect("haproxy installs");
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("root");
        std::fs::create_dir(&root).expect("root");
        let v4 = IpAddr::V4;
        let v6 = IpAddr::from(Ipv6Addr::LOCALHOST);
        let all = [v4(FRONT), v4(INSTANCES[0]), v4(INSTANCES[1]), v6];
        let ctrl = free_block(&all, 1, &[]);
        let a = free_block(&[v4(FRONT), v4(INSTANCES[0]), v6], RANGE, &[ctrl]);
        let b = free_block(&[v4(FRONT), v4(INSTANCES[1]), v6], RANGE, &[ctrl, a]);
        let mut instances = Vec::new();
        for (i, (ip, base)) in [(INSTANCES[0], a), (INSTANCES[1], b)].into_iter().enumerate() {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_ftpkit"));
            cmd.env("FTPKIT_LOG", "ftpkit=info").arg("serve");
            match s3 {
                None => {
                    cmd.arg(&root);
                }
                Some(sw) => {
                    cmd.env("AWS_ACCESS_KEY_ID", &sw.access_key).env("AWS_SECRET_ACCESS_KEY", &sw.secret_key).args([
                        "--storage",
                        &format!("s3://{}/shared", sw.bucket),
                        "--s3-endpoint",
                        &sw.endpoint,
                    ]);
                }
            }
            cmd.args([
                "--bind",
                &SocketAddr::from((ip, ctrl)).to_string(),
                "--pasv-range",
                &format!("{base}-{}", base + RANGE - 1),
                "--masquerade",
                "127.0.0.10",
                "--user",
                "u:p",
                "--write",
                "--proxy-protocol",
                "--trusted-proxy",
                "127.0.0.9",
            ]);
            instances.push(Proc::spawn(&mut cmd, dir.path().join(format!("instance-{i}.log"))));
        }
        for (p, ip) in instances.iter().zip(INSTANCES) {
            wait_until("an instance to listen", Duration::from_secs(10), || {
                p.log().contains("serving") && TcpStream::connect((ip, ctrl)).is_ok()
            });
        }
        // Instance a gets v2 headers, b v1 headers, on control and data connections alike.
        let cfg = format!(
            "global\n  maxconn 200\n\
             defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n\
             frontend ftp\n  bind 127.0.0.10:{ctrl}\n  bind [::1]:{ctrl}\n  default_backend ftp\n\
             backend ftp\n  balance roundrobin\n  source 127.0.0.9\n\
             \x20 server a 127.0.0.11:{ctrl} send-proxy-v2 check check-send-proxy inter 300ms fall 2 rise 1\n\
             \x20 server b 127.0.0.12:{ctrl} send-proxy check check-send-proxy inter 300ms fall 2 rise 1\n\
             frontend pasv_a\n  bind 127.0.0.10:{a}-{a_end}\n  bind [::1]:{a}-{a_end}\n  default_backend pasv_a\n\
             backend pasv_a\n  source 127.0.0.9\n  server a 127.0.0.11 send-proxy-v2\n\
             frontend pasv_b\n  bind 127.0.0.10:{b}-{b_end}\n  bind [::1]:{b}-{b_end}\n  default_backend pasv_b\n\
             backend pasv_b\n  source 127.0.0.9\n  server b 127.0.0.12 send-proxy\n",
            a_end = a + RANGE - 1,
            b_end = b + RANGE - 1,
        );
        let cfg_path = dir.path().join("haproxy.cfg");
        std::fs::write(&cfg_path, cfg).expect("haproxy.cfg");
        let check = Command::new(&haproxy).arg("-c").arg("-f").arg(&cfg_path).output().expect("haproxy -c");
        assert!(check.status.success(), "haproxy -c: {}", String::from_utf8_lossy(&check.stderr));
        let hp =
            Proc::spawn(Command::new(&haproxy).arg("-db").arg("-f").arg(&cfg_path), dir.path().join("haproxy.log"));
        // Listening (a bare connect is not enough: it would still take a round-robin turn, which is harmless).
        wait_until("HAProxy to listen", Duration::from_secs(10), || {
            TcpListener::bind((v4(FRONT), ctrl)).is_err() && TcpListener::bind((v4(FRONT), b + RANGE - 1)).is_err()
        });
        Setup { dir, instances, _haproxy: hp, ctrl, ranges: [a, b] }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("ftp://{host}:{}/{path}", self.ctrl)
    }

    /// Sessions each instance has logged in so far.
    fn logins(&self) -> [usize; 2] {
        [0, 1].map(|i| self.instances[i].log().matches("logged in").count())
    }

    /// Runs `f` and says which instance logged the one login it made.
    fn on_which<T>(&self, f: impl FnOnce() -> T) -> (usize, T) {
        let before = self.logins();
        let out = f();
        // The log line may follow the 230 by a moment.
        let limit = Instant::now() + Duration::from_secs(3);
        while self.logins() == before && Instant::now() < limit {
            std::thread::sleep(Duration::from_millis(20));
        }
        let after = self.logins();
        let moved: Vec<usize> = (0..2).filter(|&i| after[i] > before[i]).collect();
        assert_eq!(moved.len(), 1, "one login on one instance: {before:?} -> {after:?}\n{}", self.logs());
        (moved[0], out)
    }

    /// A session logged in through HAProxy (control connection: reader, writer), and which instance took it.
    fn login(&self) -> (usize, (BufReader<TcpStream>, TcpStream)) {
        self.on_which(|| {
            let ctrl = TcpStream::connect((FRONT, self.ctrl)).expect("connect through HAProxy");
            ctrl.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
            let mut r = BufReader::new(ctrl.try_clone().expect("clone"));
            let mut w = ctrl;
            assert!(read_reply(&mut r).starts_with("220 "), "{}", self.logs());
            w.write_all(b"USER u\r\nPASS p\r\n").expect("login");
            assert!(read_reply(&mut r).starts_with("331 "));
            assert!(read_reply(&mut r).starts_with("230 "));
            (r, w)
        })
    }

    /// NLST over a passive data connection to HAProxy's `port`: the names, after a 226.
    fn nlst(&self, r: &mut BufReader<TcpStream>, w: &mut TcpStream, port: u16) -> String {
        let data = TcpStream::connect((FRONT, port)).expect("data connection through HAProxy");
        w.write_all(b"NLST\r\n").expect("NLST");
        let opened = read_reply(r);
        assert!(opened.starts_with("125 ") || opened.starts_with("150 "), "{opened:?}\n{}", self.logs());
        let mut names = String::new();
        BufReader::new(data).read_to_string(&mut names).expect("listing");
        assert!(read_reply(r).starts_with("226 "), "{}", self.logs());
        names
    }

    fn logs(&self) -> String {
        format!(
            "--- a ---\n{}\n--- b ---\n{}\n--- haproxy ---\n{}",
            self.instances[0].log(),
            self.instances[1].log(),
            self._haproxy.log()
        )
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ u64::from(std::process::id());
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn check_curl(out: &ftpkit_interop::RunOutput, what: &str, s: &Setup) {
    assert!(out.success(), "{what}: {}\n{}", out.describe(), s.logs());
}

#[test]
fn two_instances_behind_haproxy_see_the_real_client_in_both_modes() {
    let s = Setup::start(None);
    let data = random_bytes(3 * 1024 * 1024 + 17);
    let src = s.dir.path().join("up.bin");
    std::fs::write(&src, &data).expect("up.bin");
    let sha = sha256_hex(&data);
    let front = "127.0.0.10";

    // Upload (EPSV) through one instance ...
    let (up_on, out) = s.on_which(|| {
        curl(["-sS", "-u", "u:p", "-T", src.to_str().unwrap_or_default(), &s.url(front, "shared.bin")]).expect("curl")
    });
    check_curl(&out, "curl upload through HAProxy", &s);
    assert_eq!(sha256_hex(&std::fs::read(s.root().join("shared.bin")).unwrap_or_default()), sha);
    // ... and download it through the other: passive EPSV, passive PASV (227 names HAProxy, port in the range
    // of the instance that announced it), active EPRT and PORT (the instance connects to the real client).
    let modes: [(&str, &[&str]); 4] = [
        ("EPSV", &[]),
        ("PASV", &["--disable-epsv"]),
        ("EPRT", &["-P", "127.0.0.1"]),
        ("PORT", &["-P", "127.0.0.1", "--disable-eprt"]),
    ];
    let mut seen = [0usize; 2];
    for (mode, extra) in modes {
        let dst = s.dir.path().join(format!("down-{mode}.bin"));
        let (on, out) = s.on_which(|| {
            let mut args = vec!["-sS", "-u", "u:p", "-o", dst.to_str().unwrap_or_default()];
            args.extend_from_slice(extra);
            let url = s.url(front, "shared.bin");
            args.push(&url);
            curl(&args).expect("curl")
        });
        check_curl(&out, &format!("curl download ({mode}) through HAProxy"), &s);
        assert_eq!(sha256_hex(&std::fs::read(&dst).unwrap_or_default()), sha, "{mode} byte-exact");
        seen[on] += 1;
    }
    assert!(seen[1 - up_on] > 0, "a download went through the instance that did not take the upload: {seen:?}");
    assert!(seen.iter().all(|&n| n > 0), "both instances served downloads: {seen:?}");

    // IPv6 client through HAProxy's [::1] front end: v2/v1 headers with IPv6 sources; EPSV and EPRT |2|.
    for (mode, extra) in [("EPSV6", &[][..]), ("EPRT6", &["-P", "::1"][..])] {
        let dst = s.dir.path().join(format!("down-{mode}.bin"));
        let mut args = vec!["-sS", "-g", "-u", "u:p", "-o", dst.to_str().unwrap_or_default()];
        args.extend_from_slice(extra);
        let url = s.url("[::1]", "shared.bin");
        args.push(&url);
        check_curl(&curl(&args).expect("curl"), &format!("curl {mode} through HAProxy"), &s);
        assert_eq!(sha256_hex(&std::fs::read(&dst).unwrap_or_default()), sha, "{mode} byte-exact");
    }

    // ftplib, passive and active, both directions, several sessions (both instances).
    let code = format!(
        r#"
import ftplib, hashlib, io
data = open({src:?}, "rb").read()
for pasv in (True, False, True, False):
    f = ftplib.FTP()
    f.connect("127.0.0.10", {ctrl}, timeout=20)
    f.login("u", "p")
    f.set_pasv(pasv)
    name = "py-%s.bin" % ("pasv" if pasv else "port")
    f.storbinary("STOR " + name, io.BytesIO(data))
    got = io.BytesIO()
    f.retrbinary("RETR " + name, got.write, 262144)
    assert hashlib.sha256(got.getvalue()).hexdigest() == {sha:?}, name
    f.quit()
print("ok")
"#,
        src = src.display().to_string(),
        ctrl = s.ctrl,
    );
    let out = ftplib(&code).expect("python3");
    assert!(out.success() && out.stdout_text().contains("ok"), "ftplib: {}\n{}", out.describe(), s.logs());

    // lftp, passive and active.
    for passive in ["on", "off"] {
        let dst = s.dir.path().join(format!("lftp-{passive}.bin"));
        let out = lftp(&format!(
            "open -u u,p -p {} 127.0.0.10; set ftp:passive-mode {passive}; get shared.bin -o {}; bye",
            s.ctrl,
            dst.display()
        ))
        .expect("lftp");
        assert!(out.success(), "lftp passive {passive}: {}\n{}", out.describe(), s.logs());
        assert_eq!(sha256_hex(&std::fs::read(&dst).unwrap_or_default()), sha, "lftp passive {passive}");
    }

    // ftpkit's own client.
    let dst = s.dir.path().join("ftpkit.bin");
    let out = Command::new(env!("CARGO_BIN_EXE_ftpkit"))
        .args(["get", &format!("ftp://u:p@127.0.0.10:{}/shared.bin", s.ctrl), "-o"])
        .arg(&dst)
        .output()
        .expect("ftpkit get");
    assert!(out.status.success(), "ftpkit get: {}\n{}", String::from_utf8_lossy(&out.stderr), s.logs());
    assert_eq!(sha256_hex(&std::fs::read(&dst).unwrap_or_default()), sha, "ftpkit get");

    // The instances log the client (127.0.0.1 / ::1), never HAProxy (127.0.0.9), as the session's peer.
    for (i, p) in s.instances.iter().enumerate() {
        let log = p.log();
        assert!(log.contains("client=127.0.0.1:") && log.contains("proxy=127.0.0.9:"), "instance {i}:\n{log}");
        assert!(log.contains("peer=127.0.0.1:"), "instance {i} logs the client as the peer:\n{log}");
        assert!(!log.contains("peer=127.0.0.9"), "instance {i} took HAProxy for the client:\n{log}");
        assert!(!log.contains("data connection refused"), "instance {i}:\n{log}");
    }
    let v6 = s.instances.iter().any(|p| p.log().contains("client=[::1]:"));
    assert!(v6, "an IPv6 client through HAProxy:\n{}", s.logs());
    let versions: Vec<bool> = s.instances.iter().map(|p| p.log().contains("version=2")).collect();
    assert_eq!(versions, [true, false], "a gets v2 headers, b v1:\n{}", s.logs());
    assert!(s.instances[1].log().contains("version=1"));
}

#[test]
fn through_haproxy_the_bounce_check_still_refuses_another_host_and_direct_connections_get_nothing() {
    let s = Setup::start(None);
    let mut direct = TcpStream::connect((INSTANCES[0], s.ctrl)).expect("connect to an instance directly");
    direct.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let mut buf = [0u8; 64];
    // Not from the trusted proxy: closed without a greeting (no header is even read).
    assert_eq!(direct.read(&mut buf).unwrap_or(0), 0, "a direct connection got {:?}", &buf[..8]);
    let log = s.instances[0].log();
    assert!(log.contains("not a trusted proxy"), "{log}");

    let (on, (mut r, mut w)) = s.login();
    // The client is 127.0.0.1: a PORT naming 127.0.0.3 is a bounce; naming HAProxy's own address (the connection's
    // source) too; naming the client is fine.
    for (port, want) in [("127,0,0,3,117,48", "501"), ("127,0,0,9,117,48", "501"), ("127,0,0,1,117,48", "200")] {
        w.write_all(format!("PORT {port}\r\n").as_bytes()).expect("PORT");
        let got = read_reply(&mut r);
        assert!(got.starts_with(want), "PORT {port}: {got:?} (want {want})\n{}", s.logs());
    }
    // A passive port of this session, announced as HAProxy's address and in this instance's own range.
    w.write_all(b"PASV\r\n").expect("PASV");
    let got = read_reply(&mut r);
    assert!(got.starts_with("227 ") && got.contains("(127,0,0,10,"), "{got:?}");
    let nums: Vec<u16> =
        got.rsplit_once('(').map(|(_, t)| t).unwrap_or("").split([',', ')']).filter_map(|n| n.parse().ok()).collect();
    let port = nums.get(4).copied().unwrap_or(0) * 256 + nums.get(5).copied().unwrap_or(0);
    assert!(
        (s.ranges[on]..s.ranges[on] + RANGE).contains(&port),
        "{port}: not in the range {} of instance {on}",
        s.ranges[on]
    );
    // Through HAProxy, that port reaches this instance: the listing comes (the data connection's header names the
    // client, so the source check passes).
    assert_eq!(s.nlst(&mut r, &mut w, port), "");
    w.write_all(b"QUIT\r\n").expect("QUIT");
    assert!(read_reply(&mut r).starts_with("221 "));
}

/// The issue's topology: two instances sharing one S3 bucket behind HAProxy. An upload through one instance (a) is
/// downloaded through the other (b) byte-exact; a second upload through a is under way (a multipart upload with a
/// part stored) when a is killed (SIGKILL), HAProxy's health checks (`check-send-proxy`: the checks carry PROXY
/// headers too) take it out; the upload that got its 226 is still served byte-exact by b, and the cut-off one got no
/// 226 and left no object under its name.
#[test]
fn two_instances_on_one_bucket_and_a_killed_instance_loses_no_completed_upload() {
    let sw = SeaweedFs::start("ftpkit").expect("SeaweedFS starts");
    let mut s = Setup::start(Some(&sw));
    let data = random_bytes(9 * 1024 * 1024 + 5);
    let sha = sha256_hex(&data);
    let src = s.dir.path().join("up.bin");
    std::fs::write(&src, &data).expect("up.bin");
    let url = s.url("127.0.0.10", "kept.bin");
    // The store may take a moment after its port opens: the first upload is retried (bounded).
    let mut up_on = None;
    for _ in 0..20 {
        let (on, out) =
            s.on_which(|| curl(["-sS", "-u", "u:p", "-T", src.to_str().unwrap_or_default(), &url]).expect("curl"));
        if out.success() {
            up_on = Some(on);
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let up_on = up_on.unwrap_or_else(|| panic!("no upload through HAProxy to S3\n{}\n{}", s.logs(), sw.log()));
    let dst = s.dir.path().join("down.bin");
    let mut other = false;
    for _ in 0..4 {
        let (on, out) =
            s.on_which(|| curl(["-sS", "-u", "u:p", "-o", dst.to_str().unwrap_or_default(), &url]).expect("curl"));
        check_curl(&out, "download through HAProxy from S3", &s);
        assert_eq!(sha256_hex(&std::fs::read(&dst).unwrap_or_default()), sha);
        if on != up_on {
            other = true;
            break;
        }
    }
    assert!(other, "no download went through the other instance\n{}", s.logs());
    // A second upload on the same instance (sessions alternate between the two: a few tries), cut off by the kill
    // after more than one part (8 MiB) has gone to the store.
    let (mut r, mut w) = (0..6)
        .find_map(|_| match s.login() {
            (on, session) if on == up_on => Some(session),
            (_, (_, mut w)) => {
                let _ = w.write_all(b"QUIT\r\n");
                None
            }
        })
        .unwrap_or_else(|| panic!("no session on instance {up_on} in 6 logins\n{}", s.logs()));
    w.write_all(b"EPSV\r\n").expect("EPSV");
    let epsv = read_reply(&mut r);
    let port: u16 = epsv.split('|').nth(3).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{epsv:?}"));
    let mut data = TcpStream::connect((FRONT, port)).expect("data connection through HAProxy");
    w.write_all(b"STOR cut.bin\r\n").expect("STOR");
    let opened = read_reply(&mut r);
    assert!(opened.starts_with("150 ") || opened.starts_with("125 "), "{opened:?}\n{}", s.logs());
    data.write_all(&random_bytes(12 * 1024 * 1024)).expect("12 MiB of the cut-off upload");
    std::thread::sleep(Duration::from_millis(500));
    // Kill the instance that took both uploads; HAProxy's checks notice within about a second.
    let _ = s.instances[up_on].child.kill();
    let _ = s.instances[up_on].child.wait();
    let _ = data.write_all(&[0u8; 64 * 1024]);
    drop(data);
    // The cut-off upload's session ends without a 226 (EOF, or at most a reset: no reply line).
    let end = read_reply(&mut r);
    assert!(!end.starts_with("226"), "a killed instance completed the upload: {end:?}");
    std::thread::sleep(Duration::from_millis(1500));
    for round in 0..3 {
        let out = curl(["-sS", "-u", "u:p", "-o", dst.to_str().unwrap_or_default(), &url]).expect("curl");
        check_curl(&out, &format!("download {round} after the kill"), &s);
        assert_eq!(sha256_hex(&std::fs::read(&dst).unwrap_or_default()), sha, "after the kill, round {round}");
    }
    // The cut-off upload left no object under its name: neither a HEAD of the key (SIZE) nor the prefix's LIST
    // (NLST) through the survivor sees it.
    let (on, (mut r, mut w)) = s.login();
    assert_eq!(on, 1 - up_on, "the killed instance took a session");
    w.write_all(b"SIZE cut.bin\r\n").expect("SIZE");
    let size = read_reply(&mut r);
    assert!(size.starts_with("550 "), "the cut-off upload is there: {size:?}");
    w.write_all(b"EPSV\r\n").expect("EPSV");
    let epsv = read_reply(&mut r);
    let port: u16 = epsv.split('|').nth(3).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{epsv:?}"));
    assert_eq!(s.nlst(&mut r, &mut w, port), "kept.bin\r\n", "only the completed upload is listed");
    let survivor = s.instances[1 - up_on].log();
    assert!(survivor.contains("version=2") || survivor.contains("version=1"), "{survivor}");
}

/// `ftpkit firewall --balancer` writes a HAProxy configuration HAProxy takes (`haproxy -c`), from the instances'
/// own flags; overlapping passive ranges are refused.
#[test]
fn the_firewall_commands_haproxy_configuration_is_valid_and_overlaps_are_refused() {
    let haproxy = ensure_haproxy().expect("haproxy installs");
    let firewall = |instances: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ftpkit"));
        cmd.args(["firewall", "--balancer", "127.0.0.10", "--control-port", "2121", "--trusted-proxy", "127.0.0.9"]);
        for i in instances {
            cmd.args(["--instance", i]);
        }
        cmd.output().expect("ftpkit firewall runs")
    };
    let out = firewall(&["127.0.0.11:2121,30000-30009", "[::1]:2122,30010-30019"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let cfg: String = text
        .split("# ==== HAProxy (haproxy.cfg) ====\n")
        .nth(1)
        .and_then(|rest| rest.split("\n# ====").next())
        .unwrap_or_default()
        .to_owned();
    assert!(cfg.contains("server b [::1]:2122 send-proxy-v2"), "{text}");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("haproxy.cfg");
    std::fs::write(&path, &cfg).expect("haproxy.cfg");
    let check = Command::new(&haproxy).arg("-c").arg("-f").arg(&path).output().expect("haproxy -c");
    assert!(check.status.success(), "haproxy -c: {}\n{cfg}", String::from_utf8_lossy(&check.stderr));
    assert!(text.contains("--masquerade 127.0.0.10 --proxy-protocol --trusted-proxy 127.0.0.9"), "{text}");
    let bad = firewall(&["127.0.0.11:2121,30000-30009", "127.0.0.12:2121,30005-30014"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("overlap"), "{}", String::from_utf8_lossy(&bad.stderr));
}
