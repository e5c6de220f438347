//! Mirroring a directory tree between a server and the local file system, as `lftp mirror` does: download a remote
//! tree into a local directory, or upload a local tree into a remote directory.
//!
//! Built on [`blocking::Client`](crate::blocking::Client): `parallel` connections on threads share a work queue,
//! first to list the remote tree (one directory per task), then to transfer files (one file per task). What to do
//! with each file is decided from the two listings:
//!
//! - a file missing on the target side is copied;
//! - a file on both sides is copied when its sizes differ or the source is newer than the target (with
//!   [`only_newer`](MirrorOptions::only_newer): only when the source is newer). Remote times come from the listing:
//!   `MLSD`'s `modify` fact (UTC, to the second); a `LIST` time is server-local and to the minute (or the day for
//!   old files), so it is compared with that much slack;
//! - with [`delete`](MirrorOptions::delete), what the target has and the source does not is removed.
//!
//! A file is written under a temporary name in its directory (`.NAME.ftpkit-part`) and renamed when complete, so no
//! half-written file is ever left under its final name. With [`resume`](MirrorOptions::resume) (the default) a
//! temporary file left by an interrupted run is continued from its length (`REST`) instead of started over. A
//! downloaded file gets the remote modification time, so the next run sees it as up to date.
//!
//! With [`verify`](MirrorOptions::verify) (the default), when the server's FEAT lists `HASH` with SHA-256
//! (draft-bryan-ftpext-hash; chosen with `OPTS HASH SHA-256` when another algorithm is in use), each copied file is
//! checked before it is renamed into place: the local SHA-256 of the whole file against the server's `HASH` of it
//! (the comparison is [`HashReply::check`](crate::proto::hash::HashReply::check)). A mismatch fails that file (it is
//! not counted as transferred and its temporary file is not renamed). A server without it: nothing is verified,
//! and [`Summary::not_verifiable`] and [`Summary::verify_note`] say so.
//!
//! ```no_run
//! use ftpkit::blocking::Client;
//! use ftpkit::mirror::{mirror, Direction, MirrorOptions};
//! use std::sync::atomic::AtomicBool;
//!
//! let connect = || -> ftpkit::client::Result<Client> {
//!     let mut c = Client::connect("127.0.0.1:2121")?;
//!     c.login("anonymous", "ftpkit@")?;
//!     Ok(c)
//! };
//! let opts = MirrorOptions::new(Direction::Download, "pub", "./pub");
//! let summary = mirror(&connect, &opts, &AtomicBool::new(false), &|_event| {}).unwrap();
//! println!("{} files, {} bytes", summary.transferred, summary.bytes);
//! ```

use crate::blocking::Client;
use crate::client::{Error as ClientError, Result as ClientResult};
use crate::proto::feat::Features;
use crate::proto::hash::{HashAlgorithm, HashReplyError};
use crate::proto::listing::{EntryKind, ListFormat};
use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The suffix of the temporary name a file is written under until complete.
pub const PART_SUFFIX: &str = ".ftpkit-part";

/// Which way the tree is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Remote tree to local directory.
    Download,
    /// Local tree to remote directory.
    Upload,
}

/// What to mirror, and how.
#[derive(Debug, Clone)]
pub struct MirrorOptions {
    /// Which way.
    pub direction: Direction,
    /// The remote directory (empty: the login directory).
    pub remote: String,
    /// The local directory (created when missing, for a download). The remote directory is created when missing,
    /// for an upload.
    pub local: PathBuf,
    /// Connections used at once (default 4, at least 1).
    pub parallel: usize,
    /// Remove what the target has and the source does not (default false).
    pub delete: bool,
    /// Decide and report, change nothing (default false).
    pub dry_run: bool,
    /// Copy a file present on both sides only when the source is newer (default false: also when sizes differ).
    pub only_newer: bool,
    /// Continue temporary files left by an interrupted run (default true).
    pub resume: bool,
    /// Check each copied file's SHA-256 against the server's `HASH` when it offers SHA-256 (default true).
    pub verify: bool,
}

impl MirrorOptions {
    /// Options with the defaults.
    pub fn new(direction: Direction, remote: impl Into<String>, local: impl Into<PathBuf>) -> Self {
        MirrorOptions {
            direction,
            remote: remote.into(),
            local: local.into(),
            parallel: 4,
            delete: false,
            dry_run: false,
            only_newer: false,
            resume: true,
            verify: true,
        }
    }
}

/// What the mirror is doing; paths are relative to the mirrored directories, with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The plan: files to copy and their total size in bytes (what is left when resuming).
    Planned {
        /// Files to copy.
        files: usize,
        /// Bytes to copy.
        bytes: u64,
    },
    /// A file copy starts (from `offset` when resuming).
    Start {
        /// The file.
        path: &'a str,
        /// Its size.
        size: u64,
        /// Where the copy starts.
        offset: u64,
    },
    /// Bytes of a file copied since its last event.
    Progress {
        /// The file.
        path: &'a str,
        /// Bytes.
        bytes: u64,
    },
    /// A file copied completely and renamed to its final name.
    Done {
        /// The file.
        path: &'a str,
        /// Bytes copied in this run.
        bytes: u64,
    },
    /// A directory made on the target side.
    MadeDir {
        /// The directory.
        path: &'a str,
    },
    /// A file or directory removed from the target side (`delete`).
    Deleted {
        /// The file or directory.
        path: &'a str,
    },
    /// With `dry_run`: what would be done (`"get"`, `"put"`, `"mkdir"`, `"delete"`).
    Would {
        /// The action.
        action: &'static str,
        /// The path.
        path: &'a str,
    },
    /// A file or directory that could not be handled; the mirror goes on with the others.
    Failed {
        /// The path.
        path: &'a str,
        /// Why.
        error: &'a str,
    },
}

/// What a mirror run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files in the source tree.
    pub source_files: usize,
    /// Files copied completely.
    pub transferred: usize,
    /// Of those, files continued from a temporary file.
    pub resumed: usize,
    /// Bytes copied.
    pub bytes: u64,
    /// Files already up to date.
    pub up_to_date: usize,
    /// Directories made.
    pub dirs_made: usize,
    /// Files and directories removed.
    pub deleted: usize,
    /// With `dry_run`: actions that would have been taken.
    pub would: usize,
    /// Of the files transferred, those whose SHA-256 matched the server's `HASH`.
    pub verified: usize,
    /// Of the files transferred, those not verified (the server has no `HASH` SHA-256, or `verify` is off).
    pub not_verifiable: usize,
    /// Why nothing was verified, when so (said once for the run).
    pub verify_note: Option<String>,
    /// Paths that failed, with why.
    pub failed: Vec<(String, String)>,
    /// True when the run was stopped by the cancel flag before it was done.
    pub cancelled: bool,
    /// Wall time.
    pub elapsed: Duration,
}

/// Why a mirror could not run at all (single files that fail are in [`Summary::failed`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MirrorError {
    /// Opening a connection failed.
    #[error("connecting: {0}")]
    Connect(ClientError),
    /// Listing a remote directory failed.
    #[error("listing remote directory {path:?}: {source}")]
    List {
        /// The directory.
        path: String,
        /// Why.
        source: ClientError,
    },
    /// Reading or making a local directory failed.
    #[error("{}: {source}", path.display())]
    Local {
        /// The path.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// One side's view of a path.
#[derive(Debug, Clone, Copy)]
struct Node {
    dir: bool,
    size: u64,
    /// Seconds since the epoch, UTC.
    mtime: Option<i64>,
    /// How far off `mtime` may be (0 for MLSD and local times; a `LIST` time is to the minute or the day).
    slack: i64,
}

#[derive(Default)]
struct Tree {
    nodes: BTreeMap<String, Node>,
    /// Temporary files: final path → length.
    parts: BTreeMap<String, u64>,
}

fn join_rel(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The remote path of `rel` under `root`.
fn remote_path(root: &str, rel: &str) -> String {
    if root.is_empty() {
        rel.to_owned()
    } else if rel.is_empty() {
        root.to_owned()
    } else {
        format!("{}/{rel}", root.trim_end_matches('/'))
    }
}

/// `dir/.name.ftpkit-part` for `dir/name`.
fn part_rel(rel: &str) -> String {
    match rel.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/.{name}{PART_SUFFIX}"),
        None => format!(".{rel}{PART_SUFFIX}"),
    }
}

/// The final name of a temporary file's name, if it is one.
fn part_target(name: &str) -> Option<&str> {
    name.strip_prefix('.')?.strip_suffix(PART_SUFFIX).filter(|n| !n.is_empty())
}

fn unix_secs(t: SystemTime) -> Option<i64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok(),
        Err(e) => i64::try_from(e.duration().as_secs()).ok().map(|s| -s),
    }
}

fn local_err(path: &Path) -> impl FnOnce(io::Error) -> MirrorError + '_ {
    move |source| MirrorError::Local { path: path.to_owned(), source }
}

fn scan_local(root: &Path) -> Result<Tree, MirrorError> {
    let mut tree = Tree::default();
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        for item in fs::read_dir(&dir).map_err(local_err(&dir))? {
            let item = item.map_err(local_err(&dir))?;
            let Some(name) = item.file_name().to_str().map(str::to_owned) else { continue };
            let meta = item.metadata().map_err(local_err(&item.path()))?;
            let child = join_rel(&rel, &name);
            if meta.is_dir() {
                tree.nodes.insert(child.clone(), Node { dir: true, size: 0, mtime: None, slack: 0 });
                stack.push((item.path(), child));
            } else if meta.is_file() {
                if let Some(target) = part_target(&name) {
                    tree.parts.insert(join_rel(&rel, target), meta.len());
                    continue;
                }
                let mtime = meta.modified().ok().and_then(unix_secs);
                tree.nodes.insert(child, Node { dir: false, size: meta.len(), mtime, slack: 0 });
            }
        }
    }
    Ok(tree)
}

/// Lists the remote tree with every connection at once: each task is one directory.
fn scan_remote(clients: &mut [Client], root: &str) -> Result<Tree, MirrorError> {
    struct State {
        queue: VecDeque<String>,
        busy: usize,
        tree: Tree,
        error: Option<MirrorError>,
    }
    let state =
        Mutex::new(State { queue: VecDeque::from([String::new()]), busy: 0, tree: Tree::default(), error: None });
    let wake = Condvar::new();
    std::thread::scope(|s| {
        for client in clients.iter_mut() {
            let (state, wake) = (&state, &wake);
            s.spawn(move || loop {
                let dir = {
                    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                    loop {
                        if st.error.is_some() {
                            return;
                        }
                        if let Some(d) = st.queue.pop_front() {
                            st.busy += 1;
                            break d;
                        }
                        if st.busy == 0 {
                            return;
                        }
                        st = wake.wait(st).unwrap_or_else(|p| p.into_inner());
                    }
                };
                let path = remote_path(root, &dir);
                let listed = client.list((!path.is_empty()).then_some(path.as_str()));
                let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                st.busy -= 1;
                match listed {
                    Ok(entries) => {
                        for e in entries {
                            let name = e.name.as_ref();
                            if name.is_empty() || name == "." || name == ".." || name.contains('/') {
                                continue;
                            }
                            let rel = join_rel(&dir, name);
                            let mtime = e.modified.map(|t| t.to_unix());
                            let slack = match (e.format, e.modified) {
                                (ListFormat::Mlsd, _) | (_, None) => 0,
                                (_, Some(t)) if t.hour() == 0 && t.minute() == 0 => 86_400,
                                _ => 60,
                            };
                            match e.kind {
                                EntryKind::Dir => {
                                    st.tree.nodes.insert(rel.clone(), Node { dir: true, size: 0, mtime, slack });
                                    st.queue.push_back(rel);
                                }
                                EntryKind::File => {
                                    let size = e.size.unwrap_or(0);
                                    if let Some(target) = part_target(name) {
                                        st.tree.parts.insert(join_rel(&dir, target), size);
                                    } else {
                                        st.tree.nodes.insert(rel, Node { dir: false, size, mtime, slack });
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    Err(source) => st.error = Some(MirrorError::List { path, source }),
                }
                wake.notify_all();
            });
        }
    });
    let st = state.into_inner().unwrap_or_else(|p| p.into_inner());
    match st.error {
        Some(e) => Err(e),
        None => Ok(st.tree),
    }
}

/// One file to copy.
#[derive(Debug, Clone)]
struct Job {
    rel: String,
    size: u64,
    offset: u64,
    mtime: Option<i64>,
}

fn needs_copy(src: &Node, dst: &Node, only_newer: bool) -> bool {
    let slack = src.slack.max(dst.slack);
    let newer = matches!((src.mtime, dst.mtime), (Some(s), Some(d)) if s > d.saturating_add(slack));
    if only_newer {
        newer
    } else {
        newer || src.size != dst.size
    }
}

/// Counts and reports the bytes of one copy, and stops it when the cancel flag is raised.
struct Meter<'a, T> {
    inner: T,
    rel: &'a str,
    cancel: &'a AtomicBool,
    events: &'a (dyn Fn(&Event<'_>) + Sync),
    bytes: u64,
}

impl<T> Meter<'_, T> {
    fn count(&mut self, n: usize) -> io::Result<()> {
        self.bytes += n as u64;
        if n > 0 {
            (self.events)(&Event::Progress { path: self.rel, bytes: n as u64 });
        }
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other("mirror cancelled"));
        }
        Ok(())
    }
}

impl<T: Write> Write for Meter<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count(n)?;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<T: Read> Read for Meter<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other("mirror cancelled"));
        }
        let n = self.inner.read(buf)?;
        self.count(n)?;
        Ok(n)
    }
}

/// Why one file failed.
enum JobError {
    Ftp(ClientError),
    Local(io::Error),
    Short { got: u64, want: u64 },
    Verify(HashReplyError),
}

impl JobError {
    /// True when the connection is gone and a new one may do better.
    fn connection_lost(&self) -> bool {
        matches!(self, JobError::Ftp(ClientError::Io(_) | ClientError::Closed(_) | ClientError::Timeout(_)))
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Ftp(e) => write!(f, "{e}"),
            JobError::Local(e) => write!(f, "{e}"),
            JobError::Short { got, want } => write!(f, "copied {got} of {want} bytes"),
            JobError::Verify(e) => write!(f, "verification failed: {e}"),
        }
    }
}

struct Ctx<'a> {
    opts: &'a MirrorOptions,
    /// Check each file with HASH SHA-256; `select`: send `OPTS HASH SHA-256` first (another algorithm is the
    /// server's default; sent before each HASH so that a reconnected client needs no state).
    verify: Option<Verify>,
    cancel: &'a AtomicBool,
    events: &'a (dyn Fn(&Event<'_>) + Sync),
}

#[derive(Debug, Clone, Copy)]
struct Verify {
    select: bool,
}

/// The SHA-256 of a whole local file.
fn sha256_file(path: &Path) -> io::Result<Vec<u8>> {
    crate::digest::digest_to_end::<sha2::Sha256>(File::open(path)?, 64 * 1024).map(|(_, digest)| digest)
}

/// Whether a server with these FEAT `features` can verify with SHA-256: `Ok(Verify)`, or `Err(why not)`.
fn verify_mode(features: Option<&Features<'_>>) -> Result<Verify, String> {
    let Some(features) = features else {
        return Err("not verified: the server answered no FEAT".into());
    };
    if !features.offers_hash(HashAlgorithm::Sha256) {
        return Err("not verifiable: the server's FEAT lists no HASH with SHA-256".into());
    }
    Ok(Verify { select: features.hash_selected() != Some(HashAlgorithm::Sha256) })
}

impl Ctx<'_> {
    /// Compares the local file `local` (`size` bytes) with the server's `HASH` of `remote`.
    fn check(&self, client: &mut Client, remote: &str, local: &Path, size: u64) -> Result<bool, JobError> {
        let Some(verify) = self.verify else { return Ok(false) };
        if verify.select {
            client.select_hash(HashAlgorithm::Sha256).map_err(JobError::Ftp)?;
        }
        let reply = client.hash(remote).map_err(JobError::Ftp)?;
        let digest = sha256_file(local).map_err(JobError::Local)?;
        reply.check(HashAlgorithm::Sha256, size, &digest).map_err(JobError::Verify)?;
        Ok(true)
    }

    fn download(&self, client: &mut Client, job: &Job) -> Result<(u64, bool), JobError> {
        let final_path = self.opts.local.join(&job.rel);
        let part = self.opts.local.join(part_rel(&job.rel));
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(job.offset > 0)
            .truncate(job.offset == 0)
            .open(&part)
            .map_err(JobError::Local)?;
        let mut meter = Meter { inner: file, rel: &job.rel, cancel: self.cancel, events: self.events, bytes: 0 };
        let remote = remote_path(&self.opts.remote, &job.rel);
        client.retrieve_from(&remote, job.offset, &mut meter).map_err(JobError::Ftp)?;
        let got = job.offset + meter.bytes;
        if got != job.size {
            return Err(JobError::Short { got, want: job.size });
        }
        if let Some(secs) = job.mtime {
            let when = if secs >= 0 {
                UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
            } else {
                UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
            };
            meter.inner.set_modified(when).map_err(JobError::Local)?;
        }
        drop(meter.inner);
        let verified = self.check(client, &remote, &part, job.size)?;
        fs::rename(&part, &final_path).map_err(JobError::Local)?;
        Ok((meter.bytes, verified))
    }

    fn upload(&self, client: &mut Client, job: &Job) -> Result<(u64, bool), JobError> {
        let local = self.opts.local.join(&job.rel);
        let mut file = File::open(&local).map_err(JobError::Local)?;
        file.seek(SeekFrom::Start(job.offset)).map_err(JobError::Local)?;
        let mut meter = Meter { inner: file, rel: &job.rel, cancel: self.cancel, events: self.events, bytes: 0 };
        let part = remote_path(&self.opts.remote, &part_rel(&job.rel));
        if job.offset > 0 {
            client.store_at(&part, job.offset, &mut meter).map_err(JobError::Ftp)?;
        } else {
            client.store_from(&part, &mut meter).map_err(JobError::Ftp)?;
        }
        let got = job.offset + meter.bytes;
        if got != job.size {
            return Err(JobError::Short { got, want: job.size });
        }
        drop(meter.inner);
        let verified = self.check(client, &part, &local, job.size)?;
        client.rename(&part, &remote_path(&self.opts.remote, &job.rel)).map_err(JobError::Ftp)?;
        Ok((meter.bytes, verified))
    }

    /// Copies one file; the bytes copied and whether the copy was verified.
    fn copy(&self, client: &mut Client, job: &Job) -> Result<(u64, bool), JobError> {
        match self.opts.direction {
            Direction::Download => self.download(client, job),
            Direction::Upload => self.upload(client, job),
        }
    }
}

/// Mirrors one tree into another; see the [module docs](self).
///
/// `connect` opens one logged-in connection (it is called `parallel` times, and again to replace a connection that
/// broke). `events` sees what happens, from every worker thread. Raising `cancel` stops the run soon after (the
/// file being copied keeps its temporary file, which a later run continues); the summary then says `cancelled`.
///
/// # Errors
/// When no connection can be opened, the remote tree cannot be listed, or the local tree cannot be read. A file
/// that fails is reported in [`Summary::failed`] and the others go on.
pub fn mirror(
    connect: &(dyn Fn() -> ClientResult<Client> + Sync),
    opts: &MirrorOptions,
    cancel: &AtomicBool,
    events: &(dyn Fn(&Event<'_>) + Sync),
) -> Result<Summary, MirrorError> {
    let started = Instant::now();
    let parallel = opts.parallel.max(1);
    let mut clients = Vec::with_capacity(parallel);
    for _ in 0..parallel {
        clients.push(connect().map_err(MirrorError::Connect)?);
    }
    let download = opts.direction == Direction::Download;
    if download && !opts.dry_run {
        fs::create_dir_all(&opts.local).map_err(local_err(&opts.local))?;
    }
    if !download && !opts.dry_run && !opts.remote.is_empty() {
        // The target directory itself, when missing (a refusal is fine: it exists, or listing it says why not).
        let _ = clients[0].mkdir(&opts.remote);
    }
    let remote = scan_remote(&mut clients, &opts.remote)?;
    let local = if opts.local.exists() { scan_local(&opts.local)? } else { Tree::default() };
    let (src, dst) = if download { (&remote, &local) } else { (&local, &remote) };

    let mut summary = Summary { source_files: src.nodes.values().filter(|n| !n.dir).count(), ..Summary::default() };
    let fail = |summary: &mut Summary, path: &str, error: String| {
        events(&Event::Failed { path, error: &error });
        summary.failed.push((path.to_owned(), error));
    };

    // Directories first, parents before children (the map is sorted).
    for rel in src.nodes.iter().filter(|(_, n)| n.dir).map(|(rel, _)| rel) {
        match dst.nodes.get(rel) {
            Some(d) if d.dir => continue,
            Some(_) => {
                fail(&mut summary, rel, "a file of that name is in the way".into());
                continue;
            }
            None => {}
        }
        if opts.dry_run {
            events(&Event::Would { action: "mkdir", path: rel });
            summary.would += 1;
            continue;
        }
        let made = if download {
            fs::create_dir(opts.local.join(rel)).map_err(|e| e.to_string())
        } else {
            clients[0].mkdir(&remote_path(&opts.remote, rel)).map(drop).map_err(|e| e.to_string())
        };
        match made {
            Ok(()) => {
                events(&Event::MadeDir { path: rel });
                summary.dirs_made += 1;
            }
            Err(e) => fail(&mut summary, rel, e),
        }
    }

    // Files.
    let mut jobs = VecDeque::new();
    for (rel, node) in src.nodes.iter().filter(|(_, n)| !n.dir) {
        match dst.nodes.get(rel) {
            Some(d) if d.dir => {
                fail(&mut summary, rel, "a directory of that name is in the way".into());
                continue;
            }
            Some(d) if !needs_copy(node, d, opts.only_newer) => {
                summary.up_to_date += 1;
                continue;
            }
            _ => {}
        }
        let offset = match dst.parts.get(rel) {
            Some(&len) if opts.resume && len < node.size => len,
            _ => 0,
        };
        if opts.dry_run {
            events(&Event::Would { action: if download { "get" } else { "put" }, path: rel });
            summary.would += 1;
            continue;
        }
        jobs.push_back(Job { rel: rel.clone(), size: node.size, offset, mtime: node.mtime });
    }
    let planned_bytes = jobs.iter().map(|j| j.size - j.offset).sum();
    events(&Event::Planned { files: jobs.len(), bytes: planned_bytes });

    let verify = match (opts.verify, opts.dry_run) {
        (false, _) => Err("not verified: verification is off (--no-verify)".to_owned()),
        (true, true) => Err("not verified: dry run".to_owned()),
        (true, false) => verify_mode(clients[0].session().features()),
    };
    summary.verify_note = verify.as_ref().err().cloned();
    let ctx = Ctx { opts, verify: verify.ok(), cancel, events };
    let queue = Mutex::new(jobs);
    let totals = Mutex::new(&mut summary);
    std::thread::scope(|s| {
        for client in clients.iter_mut() {
            let (ctx, queue, totals) = (&ctx, &queue, &totals);
            s.spawn(move || {
                let mut broken = false;
                loop {
                    if ctx.cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let Some(job) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front() else { return };
                    (ctx.events)(&Event::Start { path: &job.rel, size: job.size, offset: job.offset });
                    let mut result = Err(JobError::Short { got: 0, want: job.size });
                    for attempt in 0..2 {
                        if broken {
                            match connect() {
                                Ok(c) => {
                                    *client = c;
                                    broken = false;
                                }
                                Err(e) => {
                                    result = Err(JobError::Ftp(e));
                                    break;
                                }
                            }
                        }
                        // A retry continues from what the first attempt wrote (a download's temporary file).
                        let mut job = job.clone();
                        if attempt > 0 && ctx.opts.direction == Direction::Download && ctx.opts.resume {
                            let part = ctx.opts.local.join(part_rel(&job.rel));
                            job.offset = fs::metadata(part).map_or(0, |m| m.len().min(job.size));
                        } else if attempt > 0 {
                            job.offset = 0;
                        }
                        result = ctx.copy(client, &job);
                        match &result {
                            Err(e) if e.connection_lost() && !ctx.cancel.load(Ordering::Relaxed) => broken = true,
                            _ => break,
                        }
                    }
                    let mut t = totals.lock().unwrap_or_else(|p| p.into_inner());
                    match result {
                        Ok((bytes, verified)) => {
                            t.transferred += 1;
                            t.verified += usize::from(verified);
                            t.not_verifiable += usize::from(!verified);
                            t.resumed += usize::from(job.offset > 0);
                            t.bytes += bytes;
                            drop(t);
                            (ctx.events)(&Event::Done { path: &job.rel, bytes });
                        }
                        Err(_) if ctx.cancel.load(Ordering::Relaxed) => return,
                        Err(e) => {
                            let error = e.to_string();
                            t.failed.push((job.rel.clone(), error.clone()));
                            drop(t);
                            (ctx.events)(&Event::Failed { path: &job.rel, error: &error });
                        }
                    }
                }
            });
        }
    });
    summary.cancelled = cancel.load(Ordering::Relaxed);

    // Deletions: files, then directories deepest first.
    if opts.delete && !summary.cancelled {
        let mut extra: Vec<(&String, &Node)> =
            dst.nodes.iter().filter(|(rel, _)| !src.nodes.contains_key(*rel)).collect();
        extra.sort_by_key(|(rel, n)| (n.dir, std::cmp::Reverse(rel.matches('/').count())));
        for (rel, node) in extra {
            if opts.dry_run {
                events(&Event::Would { action: "delete", path: rel });
                summary.would += 1;
                continue;
            }
            let removed = match (download, node.dir) {
                (true, false) => fs::remove_file(opts.local.join(rel)).map_err(|e| e.to_string()),
                (true, true) => fs::remove_dir(opts.local.join(rel)).map_err(|e| e.to_string()),
                (false, false) => clients[0].delete(&remote_path(&opts.remote, rel)).map_err(|e| e.to_string()),
                (false, true) => clients[0].rmdir(&remote_path(&opts.remote, rel)).map_err(|e| e.to_string()),
            };
            match removed {
                Ok(()) => {
                    events(&Event::Deleted { path: rel });
                    summary.deleted += 1;
                }
                Err(e) => fail(&mut summary, rel, e),
            }
        }
    }
    for c in clients {
        let _ = c.quit();
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_follows_feat() {
        let feat =
            |lines: &str| Features::from_reply_text(&format!("211-F\r\n{lines}211 End\r\n")).map(|f| f.into_owned());
        let default = feat(" HASH SHA-256*;SHA-1;MD5\r\n").unwrap();
        assert!(matches!(verify_mode(Some(&default)), Ok(Verify { select: false })));
        let other = feat(" HASH SHA-256;SHA-1*;MD5\r\n").unwrap();
        assert!(matches!(verify_mode(Some(&other)), Ok(Verify { select: true })));
        let md5_only = feat(" HASH MD5*\r\n").unwrap();
        assert!(verify_mode(Some(&md5_only)).is_err_and(|why| why.contains("no HASH with SHA-256")));
        let none = feat(" SIZE\r\n").unwrap();
        assert!(verify_mode(Some(&none)).is_err_and(|why| why.contains("no HASH")));
        assert!(verify_mode(None).is_err_and(|why| why.contains("no FEAT")));
    }

    #[test]
    fn names() {
        assert_eq!(part_rel("a/b/c.txt"), "a/b/.c.txt.ftpkit-part");
        assert_eq!(part_rel("c"), ".c.ftpkit-part");
        assert_eq!(part_target(".c.txt.ftpkit-part"), Some("c.txt"));
        assert_eq!(part_target(".ftpkit-part"), None);
        assert_eq!(part_target("c.txt"), None);
        assert_eq!(remote_path("", "a/b"), "a/b");
        assert_eq!(remote_path("/", "a"), "/a");
        assert_eq!(remote_path("pub/", "a"), "pub/a");
        assert_eq!(remote_path("pub", ""), "pub");
    }

    #[test]
    fn copy_decision() {
        let n = |size, mtime, slack| Node { dir: false, size, mtime: Some(mtime), slack };
        assert!(!needs_copy(&n(3, 100, 0), &n(3, 100, 0), false));
        assert!(needs_copy(&n(4, 100, 0), &n(3, 100, 0), false));
        assert!(!needs_copy(&n(4, 100, 0), &n(3, 100, 0), true));
        assert!(needs_copy(&n(3, 101, 0), &n(3, 100, 0), true));
        // A LIST time to the minute: 59 s later is not newer.
        assert!(!needs_copy(&n(3, 159, 60), &n(3, 100, 0), false));
        assert!(needs_copy(&n(3, 161, 60), &n(3, 100, 0), false));
    }
}
