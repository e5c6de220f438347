//! `ftpkit serve` started as a process for the CLI's tests.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `[wrapper...] ftpkit serve DIR --bind 127.0.0.1:PORT ARGS` (a free port) with `env`, stderr piped when
/// `stderr` is set, and waits (10 s at most) until the port takes connections. Returns the child and the port.
pub fn serve(
    wrapper: &[&str],
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    stderr: bool,
) -> (Child, u16) {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest).arg(env!("CARGO_BIN_EXE_ftpkit"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_ftpkit")),
    };
    cmd.arg("serve").arg(dir).args(["--bind", &format!("127.0.0.1:{port}")]).args(args).envs(env.iter().copied());
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(if stderr { Stdio::piped() } else { Stdio::null() });
    let child = cmd.spawn().expect("ftpkit serve starts");
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}
