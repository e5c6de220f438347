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

/// A process of a group, from `/proc/PID/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Member {
    pid: u32,
    ppid: u32,
    zombie: bool,
}

/// The processes whose process group is `pgid` (read from `/proc`; empty if `/proc` cannot be read).
fn group_members(pgid: u32) -> Vec<Member> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid pgrp ...": comm may hold blanks and parentheses, so split after the last ')'.
            let rest = stat.get(stat.rfind(')')? + 1..)?;
            let mut fields = rest.split_ascii_whitespace();
            let state = fields.next()?;
            let ppid = fields.next()?.parse().ok()?;
            let pgrp: u32 = fields.next()?.parse().ok()?;
            (pgrp == pgid).then_some(Member { pid, ppid, zombie: state == "Z" })
        })
        .collect()
}

fn kill_pid(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Stops `child` (a process-group leader) and everything in its group, and waits for it.
///
/// Servers fork per session (vsftpd two processes a session). Killing the whole group at once would orphan the
/// session processes before their parents reap them, and where PID 1 does not reap (as in this machine's container)
/// they would stay as zombies. So the group is taken down from the leaves up: kill the members that have no child in
/// the group, give their parents a moment to reap them, repeat (bounded), then kill the leader and reap it ourselves.
pub(crate) fn kill_and_wait(child: &mut Child) {
    let leader = child.id();
    if let Ok(None) = child.try_wait() {
        for _ in 0..8 {
            let members: Vec<Member> = group_members(leader).into_iter().filter(|m| m.pid != leader).collect();
            if members.is_empty() {
                break;
            }
            for m in members.iter().filter(|m| !m.zombie && !members.iter().any(|c| c.ppid == m.pid)) {
                kill_pid(m.pid);
            }
            // Bounded wait for the parents to reap what was killed.
            let before = members.len();
            for _ in 0..20 {
                thread::sleep(Duration::from_millis(5));
                if group_members(leader).iter().filter(|m| m.pid != leader).count() < before {
                    break;
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    // Whatever is left (nothing, normally).
    kill_group(leader);
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
