//! Running a program with a timeout, and killing a process group by its id.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// What a client run gave back.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The command line, for messages.
    pub command: String,
    /// Exit status; `None` when the run timed out and was killed.
    pub status: Option<ExitStatus>,
    /// Everything written to standard output.
    pub stdout: Vec<u8>,
    /// Everything written to standard error.
    pub stderr: Vec<u8>,
    /// True when the timeout expired and the process group was killed.
    pub timed_out: bool,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl RunOutput {
    /// Exited with status 0 in time.
    pub fn success(&self) -> bool {
        !self.timed_out && self.status.is_some_and(|s| s.success())
    }

    /// Standard output as text (lossy UTF-8).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (lossy UTF-8).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// `Ok(self)` if the run succeeded, else an [`Error`] naming the command with its status, stdout and stderr.
    pub fn ok(self) -> Result<Self> {
        if self.success() {
            Ok(self)
        } else {
            Err(Error::new(self.command.clone(), self.describe()))
        }
    }

    /// A multi-line description: status, elapsed time, stdout and stderr.
    pub fn describe(&self) -> String {
        let status = if self.timed_out {
            format!("timed out after {:?} and was killed", self.elapsed)
        } else {
            match self.status {
                Some(s) => format!("exited with {s} after {:?}", self.elapsed),
                None => "no status".to_owned(),
            }
        };
        format!("{status}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.stdout_text(), self.stderr_text())
    }
}

/// Sends SIGKILL to the process group `pgid` (the harness starts every child as the leader of its own group, so the
/// group id is the child's PID). Errors are ignored: the group may be gone already.
pub(crate) fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Kills `child`'s process group and waits for the child (bounded: SIGKILL cannot be ignored).
pub(crate) fn kill_and_wait(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        kill_group(child.id());
        let _ = child.kill();
        let _ = child.wait();
    } else {
        // The leader is gone; its session children may not be.
        kill_group(child.id());
    }
}

/// Runs `cmd` in its own process group with `stdin` (or nothing) as its input, capturing stdout and stderr, and kills
/// the whole group if it runs longer than `timeout`. Fails only if the program cannot be started; a non-zero exit or
/// a timeout is reported in the [`RunOutput`].
pub fn run_with_timeout(cmd: &mut Command, stdin: Option<&[u8]>, timeout: Duration) -> Result<RunOutput> {
    let command = format!("{cmd:?}");
    let start = Instant::now();
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| Error::new(&command, format!("cannot start: {e}")))?;
    let input = stdin.map(<[u8]>::to_vec);
    let writer = child.stdin.take().map(|mut pipe| {
        thread::spawn(move || {
            if let Some(bytes) = input {
                let _ = pipe.write_all(&bytes);
            }
        })
    });
    let out_reader = child.stdout.take().map(|p| thread::spawn(move || read_all(p)));
    let err_reader = child.stderr.take().map(|p| thread::spawn(move || read_all(p)));

    let deadline = start + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                kill_and_wait(&mut child);
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                kill_and_wait(&mut child);
                return Err(Error::new(&command, format!("waiting failed: {e}")));
            }
        }
    };
    // Children that kept the pipes open would block the readers: make sure the group is gone.
    kill_group(child.id());
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stdout = out_reader.and_then(|h| h.join().ok()).unwrap_or_default();
    let stderr = err_reader.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(RunOutput { command, status, stdout, stderr, timed_out, elapsed: start.elapsed() })
}

fn read_all(mut r: impl Read) -> Vec<u8> {
    let mut buf = Vec::new();
    let _ = r.read_to_end(&mut buf);
    buf
}
