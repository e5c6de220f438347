//! The C example `pasv_list` (POSIX sockets driving `ftpkit_client`) against real servers: ftpkit's own and
//! vsftpd. Its listing must be byte for byte what curl prints for the same directory (curl's LIST, CRLF as LF),
//! and name for name what ftpkit's Rust client lists (what `ftpkit ls` prints); EPSV, PASV (`--pasv`) and active
//! mode's PORT (`--active`) must each be the command the trace shows; a refused login (and, on ftpkit's server, a missing directory) must exit
//! non-zero with the typed error; a port with nothing listening too.
//!
//! `bindings/c/tests/run.sh` (run by `cargo xtask c`) compiles `examples/pasv_list.c` against the installed library
//! and runs this test with `FTPKIT_C_PASV_LIST` naming the binary: it is `#[ignore]`d in a plain `cargo test`
//! because the binary is built by that script, not by cargo.

use ftpkit::blocking::Client;
use ftpkit_interop::{curl, FtpkitOpts, FtpkitServer, ServerOpts, Vsftpd};
use ftpkit_proto::listing::{parse_list_line, Date, ListLine};
use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Output};

fn pasv_list(args: &[&str]) -> Output {
    let bin = std::env::var_os("FTPKIT_C_PASV_LIST").map(PathBuf::from).expect(
        "FTPKIT_C_PASV_LIST must name the compiled examples/pasv_list.c (run bindings/c/tests/run.sh or cargo xtask c)",
    );
    Command::new(bin).args(args).output().expect("pasv_list runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The names in LIST lines (`total` lines and `.`/`..` left out).
fn names_of(listing: &str) -> BTreeSet<String> {
    let today = Date::new(2026, 1, 1).expect("a date");
    listing
        .lines()
        .filter_map(|l| match parse_list_line(l, today) {
            ListLine::Entry(e) => Some(e.name.to_string()),
            _ => None,
        })
        .filter(|n| n != "." && n != "..")
        .collect()
}

/// pasv_list's modes: name, flag, the command the trace must show, commands it must not show, curl's flags for the
/// same mode.
type Mode = (&'static str, Option<&'static str>, &'static str, [&'static str; 2], &'static [&'static str]);
const MODES: [Mode; 3] = [
    ("EPSV", None, "---> EPSV", ["---> PASV", "---> PORT"], &[]),
    ("PASV", Some("--pasv"), "---> PASV", ["---> EPSV", "---> PORT"], &["--disable-epsv"]),
    // Active: the server connects to pasv_list's listener (the C API's LISTEN and accept on real sockets).
    ("active", Some("--active"), "---> PORT 127,0,0,1,", ["---> EPSV", "---> PASV"], &["-P", "127.0.0.1"]),
];

/// pasv_list, curl and ftpkit's client on the same directories of one server.
fn check_server(addr: SocketAddr, user: &str, pass: &str, dirs: &[&str], missing_dir_fails: bool) {
    let (host, port) = (addr.ip().to_string(), addr.port().to_string());
    for dir in dirs {
        for (mode, flag, sent, not_sent, curl_flags) in MODES {
            let mut args = vec!["--trace"];
            args.extend(flag);
            args.extend([host.as_str(), port.as_str(), user, pass]);
            if !dir.is_empty() {
                args.push(dir);
            }
            let out = pasv_list(&args);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert!(out.status.success(), "pasv_list {args:?} failed: {stderr}");
            assert!(stderr.lines().any(|l| l.starts_with(sent)), "{mode}: {sent:?} not sent: {stderr}");
            for other in not_sent {
                assert!(!stderr.contains(other), "{mode}: {other:?} sent: {stderr}");
            }
            assert!(stderr.lines().any(|l| l.starts_with("---> LIST")) && stderr.contains("---> QUIT"), "{stderr}");
            assert!(!stdout.is_empty() && !stdout.contains('\r'), "listing of {dir:?}: {stdout:?}");

            let url = format!("ftp://{host}:{port}/{}", if dir.is_empty() { String::new() } else { format!("{dir}/") });
            let mut curl_args = vec!["-sS", "--max-time", "30", "-u"];
            let userpass = format!("{user}:{pass}");
            curl_args.push(&userpass);
            curl_args.extend(curl_flags);
            curl_args.push(&url);
            let by_curl = curl(&curl_args).expect("curl runs");
            assert!(by_curl.status.is_some_and(|s| s.success()), "curl {url}: {}", text(&by_curl.stderr));
            assert_eq!(stdout, text(&by_curl.stdout).replace("\r\n", "\n"), "pasv_list and curl differ on {dir:?}");

            let mut c = Client::connect(addr).expect("ftpkit client connects");
            c.login(user, pass).expect("ftpkit client logs in");
            let listed = c.list(if dir.is_empty() { None } else { Some(dir) }).expect("ftpkit client lists");
            c.quit().expect("quit");
            let rust: BTreeSet<String> =
                listed.iter().map(|e| e.name.to_string()).filter(|n| n != "." && n != "..").collect();
            assert!(!rust.is_empty());
            assert_eq!(names_of(&stdout), rust, "pasv_list and ftpkit's client list other names in {dir:?}");
        }
    }

    // Failures: the typed error on stderr, a non-zero exit.
    let out = pasv_list(&[&host, &port, "nobody", "wrong-password"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("login failed: refused (reply 530)"), "{}", text(&out.stderr));
    let out = pasv_list(&[&host, &port, user, pass, "no-such-dir-here"]);
    assert!(out.stdout.is_empty());
    if missing_dir_fails {
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("LIST failed: incomplete (reply 550)"), "{}", text(&out.stderr));
    } else {
        // vsftpd lists a missing directory as empty (150, no data, 226): no error to report.
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

#[test]
#[ignore = "needs the pasv_list binary built by bindings/c/tests/run.sh (cargo xtask c), which runs it"]
fn pasv_list_against_ftpkit_server() {
    let server = FtpkitServer::start(FtpkitOpts::default()).expect("ftpkit server");
    check_server(server.addr(), server.user(), server.pass(), &["", "subdir"], true);
}

#[test]
#[ignore = "needs the pasv_list binary built by bindings/c/tests/run.sh (cargo xtask c), which runs it"]
fn pasv_list_against_vsftpd() {
    let server = Vsftpd::start(ServerOpts::default()).expect("vsftpd");
    let (user, pass) = (server.user().to_owned(), server.pass().to_owned());
    check_server(server.addr(), &user, &pass, &["", "subdir"], false);
}

#[test]
#[ignore = "needs the pasv_list binary built by bindings/c/tests/run.sh (cargo xtask c), which runs it"]
fn pasv_list_usage_and_unreachable() {
    assert_eq!(pasv_list(&["127.0.0.1"]).status.code(), Some(2));
    // A port with nothing listening: bind one, drop it, connect there.
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
    let out = pasv_list(&["127.0.0.1", &port.to_string(), "u", "p"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Connection refused"), "{}", text(&out.stderr));
}
