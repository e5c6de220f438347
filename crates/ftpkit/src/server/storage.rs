//! Where the server's files live: the [`Storage`] trait, its default implementation on the local file system
//! ([`LocalStorage`], the jailed root of [`fs`](super::fs)), and an in-memory object store ([`MemoryStorage`]).
//!
//! Every operation is async and takes a *virtual* path as the session resolved it (`/`, `/pub/a.txt`: absolute,
//! normalised, no `..`). A back end reports what it can do ([`StorageCaps`]: append, write from an offset, atomic
//! rename); the session refuses the rest with `502`/`504` before anything is opened.
//!
//! Reads and writes are streams, with a fast path for back ends that have real files:
//!
//! - [`Storage::read`] gives a [`ReadStream`]: `File` (the server sends it with `sendfile(2)`), or any `AsyncRead`.
//! - [`Storage::write`] gives a [`WriteStream`]: `File` (a temporary file on disk, received on the blocking pool
//!   and renamed into place when complete: [`fs::Upload`](super::fs::Upload)), or an [`UploadSink`] that takes the
//!   bytes as they come and is [`finish`](UploadSink::finish)ed when the transfer completed or
//!   [`abort`](UploadSink::abort)ed (nothing left under the final name) when it did not.
//! - [`Storage::list`] gives a [`Listing`]: entries as the back end produces them (a page at a time for an object
//!   store), through a bounded channel.

use super::fs::{Info, Jail, Kind, Upload, WriteMode};
pub use crate::proto::session::server::StorageCaps;
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::AsyncRead;
use tokio::sync::mpsc;

/// A boxed future, as the trait's methods return (the trait is object safe: the server holds `Arc<dyn Storage>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A file's bytes from an offset.
pub enum ReadStream {
    /// A real file, positioned at the offset: the server sends it with `sendfile(2)` where it can.
    File(std::fs::File),
    /// Any other source of bytes.
    Stream(Pin<Box<dyn AsyncRead + Send + Sync>>),
}

impl std::fmt::Debug for ReadStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadStream::File(file) => f.debug_tuple("File").field(file).finish(),
            ReadStream::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

/// Where an upload's bytes go until it is finished or aborted.
#[derive(Debug)]
pub enum WriteStream {
    /// A file on disk, put in place by [`Upload::commit`] (a rename) or undone by [`Upload::abort`].
    File(Upload),
    /// Any other destination.
    Sink(Box<dyn UploadSink>),
}

/// An upload in progress on a back end without files. Dropping it without [`finish`](Self::finish) must leave
/// nothing under the final name (an implementation that needs IO to clean up spawns it).
pub trait UploadSink: Send + Sync + std::fmt::Debug {
    /// The next bytes of the upload.
    fn write<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>>;
    /// The transfer completed: make the data visible under its name, atomically.
    fn finish(self: Box<Self>) -> BoxFuture<'static, io::Result<()>>;
    /// The transfer failed: drop what arrived.
    fn abort(self: Box<Self>) -> BoxFuture<'static, io::Result<()>>;
    /// The final name (STOU's reply names it).
    fn name(&self) -> &str;
}

/// A directory's entries as the back end produces them: some at hand (a small directory's all, a large one's first
/// page), then, for a paged producer, the rest from a bounded channel. Dropping it stops the producer.
#[derive(Debug)]
pub struct Listing {
    ready: std::vec::IntoIter<Info>,
    rx: Option<mpsc::Receiver<io::Result<Info>>>,
}

/// How many entries a listing holds between its producer and the server.
const LISTING_QUEUE: usize = 256;

impl Listing {
    /// A listing and the sender its producer fills (bounded: a slow reader holds the producer back).
    pub fn channel() -> (mpsc::Sender<io::Result<Info>>, Listing) {
        Listing::first_then(Vec::new())
    }

    /// A listing of entries already at hand: no producer, no task (a producer for large directories should fill
    /// [`Listing::channel`]'s sender a page at a time instead, or [`Listing::first_then`]'s after a first page).
    pub fn of(entries: Vec<Info>) -> Listing {
        Listing { ready: entries.into_iter(), rx: None }
    }

    /// A first page at hand, then what the producer sends on the returned sender.
    pub fn first_then(first: Vec<Info>) -> (mpsc::Sender<io::Result<Info>>, Listing) {
        let (tx, rx) = mpsc::channel(LISTING_QUEUE);
        (tx, Listing { ready: first.into_iter(), rx: Some(rx) })
    }

    /// The next entry, or `None` at the end.
    pub async fn next(&mut self) -> Option<io::Result<Info>> {
        if let Some(e) = self.ready.next() {
            return Some(Ok(e));
        }
        match &mut self.rx {
            Some(rx) => rx.recv().await,
            None => None,
        }
    }

    /// Every entry, in memory at once (the server does not: it writes a listing to the data connection as the
    /// entries come).
    pub async fn collect(mut self) -> io::Result<Vec<Info>> {
        let mut out = Vec::new();
        while let Some(e) = self.next().await {
            out.push(e?);
        }
        Ok(out)
    }
}

/// How many entries of a local directory are read (and sorted) at a time.
const LOCAL_PAGE: usize = 1024;

/// The next page of a local directory (at most [`LOCAL_PAGE`] entries), sorted by name.
fn local_page(lister: &mut super::fs::DirLister) -> io::Result<Vec<Info>> {
    let mut page = lister.next_batch(LOCAL_PAGE)?;
    page.sort_unstable_by(|x, y| x.name.cmp(&y.name));
    Ok(page)
}

/// A local directory's listing from its first page: the page alone when it holds the whole directory (no task,
/// no channel), else the page and a task that reads the next ones a page at a time on the blocking pool, no
/// thread held while the reader is slow: memory stays bounded (the channel and one page), whatever the directory's
/// size. Each page is sorted by name, so a directory of up to [`LOCAL_PAGE`] entries lists sorted; a larger one is
/// sorted a page at a time (the pages in the file system's order), as an object store's paged listing is.
fn local_listing(mut lister: super::fs::DirLister, first: Vec<Info>) -> Listing {
    if first.len() < LOCAL_PAGE {
        return Listing::of(first);
    }
    let (tx, listing) = Listing::first_then(first);
    tokio::spawn(async move {
        loop {
            let read = tokio::task::spawn_blocking(move || {
                let next = local_page(&mut lister);
                (lister, next)
            })
            .await;
            let page = match read {
                Ok((l, Ok(next))) => {
                    lister = l;
                    next
                }
                Ok((_, Err(e))) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
                Err(e) => {
                    let _ = tx.send(Err(io::Error::other(e))).await;
                    return;
                }
            };
            let more = page.len() == LOCAL_PAGE;
            for e in page {
                if tx.send(Ok(e)).await.is_err() {
                    return; // the listing was dropped (transfer done, aborted or failed)
                }
            }
            if !more {
                return;
            }
        }
    });
    listing
}

/// What a listing command shows of a path: a directory's entries, or the one entry a path to a file names.
#[derive(Debug)]
pub enum Listed {
    /// A directory's entries.
    Dir(Listing),
    /// The entry itself (not a directory).
    One(Info),
}

/// A place the server keeps its files. See the module docs.
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// What this back end can do; the session answers the rest with 502/504.
    fn capabilities(&self) -> StorageCaps;
    /// The facts about one entry (a listing's line, SIZE, MDTM).
    fn metadata<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Info>>;
    /// A directory's entries.
    fn list<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Listing>>;
    /// What LIST, NLST, MLSD and STAT show of `path`: a directory's entries, or the one entry that is not a
    /// directory. The default asks [`metadata`](Self::metadata), then [`list`](Self::list) for a directory; a back
    /// end that can learn both at once overrides it (the local one: one trip to the blocking pool, not two).
    fn list_path<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Listed>> {
        Box::pin(async move {
            let me = self.metadata(path).await?;
            Ok(if me.kind == Kind::Dir { Listed::Dir(self.list(path).await?) } else { Listed::One(me) })
        })
    }
    /// A file's bytes from `offset` (REST).
    fn read<'a>(&'a self, path: &'a str, offset: u64) -> BoxFuture<'a, io::Result<ReadStream>>;
    /// Starts an upload (STOR, STOR after REST, APPE, STOU: see [`WriteMode`]).
    fn write<'a>(&'a self, path: &'a str, mode: WriteMode) -> BoxFuture<'a, io::Result<WriteStream>>;
    /// RNFR/RNTO.
    fn rename<'a>(&'a self, from: &'a str, to: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// DELE.
    fn delete<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// MKD.
    fn mkdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// RMD (an empty directory).
    fn rmdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// Sets a file's modification time (seconds since the Unix epoch).
    fn set_mtime<'a>(&'a self, path: &'a str, mtime: i64) -> BoxFuture<'a, io::Result<()>>;
    /// Sets Unix permission bits (SITE CHMOD), for a back end whose [`capabilities`](Self::capabilities) say
    /// `chmod`. The default refuses ([`io::ErrorKind::Unsupported`]).
    fn set_mode<'a>(&'a self, _path: &'a str, _mode: u32) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async { Err(io::Error::new(io::ErrorKind::Unsupported, "no Unix permissions here")) })
    }
}

/// The local file system under a jailed root (the default back end): every operation runs on tokio's blocking
/// pool through [`Jail`]; downloads are files (sendfile), uploads temporary files renamed into place.
#[derive(Debug, Clone)]
pub struct LocalStorage {
    jail: Arc<Jail>,
}

impl LocalStorage {
    /// Opens `root` (it must exist and be a directory).
    pub fn open(root: &std::path::Path) -> io::Result<LocalStorage> {
        Ok(LocalStorage { jail: Arc::new(Jail::open(root)?) })
    }

    /// Runs `f` on the jail on the blocking pool.
    fn blocking<'a, T: Send + 'static>(
        &self,
        f: impl FnOnce(&Jail) -> io::Result<T> + Send + 'static,
    ) -> BoxFuture<'a, io::Result<T>> {
        let jail = self.jail.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || f(&jail)).await.unwrap_or_else(|e| Err(io::Error::other(e)))
        })
    }
}

impl Storage for LocalStorage {
    fn capabilities(&self) -> StorageCaps {
        StorageCaps::ALL
    }
    fn metadata<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Info>> {
        let path = path.to_owned();
        self.blocking(move |j| j.stat(&path))
    }
    fn list<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Listing>> {
        let path = path.to_owned();
        // The directory is opened and its first page read in one trip to the blocking pool.
        let opened = self.blocking(move |j| {
            let mut lister = j.open_list(&path)?;
            let first = local_page(&mut lister)?;
            Ok((lister, first))
        });
        Box::pin(async move {
            let (lister, first) = opened.await?;
            Ok(local_listing(lister, first))
        })
    }
    fn list_path<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Listed>> {
        let path = path.to_owned();
        // One trip to the blocking pool for what LIST shows: the directory opened and its first page read, or
        // the one entry the path names.
        let opened = self.blocking(move |j| match j.open_listing(&path)? {
            Ok(mut lister) => {
                let first = local_page(&mut lister)?;
                Ok(Ok((lister, first)))
            }
            Err(info) => Ok(Err(info)),
        });
        Box::pin(async move {
            Ok(match opened.await? {
                Ok((lister, first)) => Listed::Dir(local_listing(lister, first)),
                Err(info) => Listed::One(info),
            })
        })
    }
    fn read<'a>(&'a self, path: &'a str, offset: u64) -> BoxFuture<'a, io::Result<ReadStream>> {
        let path = path.to_owned();
        let f = self.blocking(move |j| j.open_read(&path, offset));
        Box::pin(async move { f.await.map(ReadStream::File) })
    }
    fn write<'a>(&'a self, path: &'a str, mode: WriteMode) -> BoxFuture<'a, io::Result<WriteStream>> {
        let path = path.to_owned();
        let f = self.blocking(move |j| j.create_upload(&path, mode));
        Box::pin(async move { f.await.map(WriteStream::File) })
    }
    fn rename<'a>(&'a self, from: &'a str, to: &'a str) -> BoxFuture<'a, io::Result<()>> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.blocking(move |j| j.rename(&from, &to))
    }
    fn delete<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        let path = path.to_owned();
        self.blocking(move |j| j.delete(&path))
    }
    fn mkdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        let path = path.to_owned();
        self.blocking(move |j| j.mkdir(&path))
    }
    fn rmdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        let path = path.to_owned();
        self.blocking(move |j| j.rmdir(&path))
    }
    fn set_mtime<'a>(&'a self, path: &'a str, mtime: i64) -> BoxFuture<'a, io::Result<()>> {
        let path = path.to_owned();
        self.blocking(move |j| j.set_mtime(&path, mtime))
    }
    fn set_mode<'a>(&'a self, path: &'a str, mode: u32) -> BoxFuture<'a, io::Result<()>> {
        let path = path.to_owned();
        self.blocking(move |j| j.set_mode(&path, mode))
    }
}

/// A node of [`MemoryStorage`].
#[derive(Debug, Clone)]
enum Node {
    Dir { mtime: i64 },
    File { data: Arc<Vec<u8>>, mtime: i64 },
}

/// An in-memory store with an object store's semantics: a file is written whole and appears only when its upload
/// finishes, there is no append and no writing from an offset (502/504), and a rename is a copy then a delete (not
/// atomic, and the 250 says so). For tests and embedding; its contents go with the process.
#[derive(Debug, Clone)]
pub struct MemoryStorage {
    nodes: Arc<Mutex<BTreeMap<String, Node>>>,
}

impl Default for MemoryStorage {
    fn default() -> Self {
        MemoryStorage::new()
    }
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn not_found(path: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{path}: no such file or directory"))
}

/// `/a/b` -> (`/a`, `b`); `/a` -> (`/`, `a`); `/` -> None.
fn split(path: &str) -> Option<(&str, &str)> {
    let (parent, name) = path.rsplit_once('/')?;
    if name.is_empty() {
        return None;
    }
    Some((if parent.is_empty() { "/" } else { parent }, name))
}

/// Whether `path` is directly inside `dir`.
fn child_of<'a>(dir: &str, path: &'a str) -> Option<&'a str> {
    let rest = if dir == "/" { path.strip_prefix('/')? } else { path.strip_prefix(dir)?.strip_prefix('/')? };
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

impl MemoryStorage {
    /// An empty store (just `/`).
    pub fn new() -> MemoryStorage {
        let mut nodes = BTreeMap::new();
        nodes.insert("/".to_owned(), Node::Dir { mtime: now_secs() });
        MemoryStorage { nodes: Arc::new(Mutex::new(nodes)) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Node>> {
        self.nodes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts a file in place (for setting up a tree).
    pub fn put(&self, path: &str, data: Vec<u8>) -> io::Result<()> {
        let mut nodes = self.lock();
        let (parent, _) = split(path).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        match nodes.get(parent) {
            Some(Node::Dir { .. }) => {}
            _ => return Err(not_found(parent)),
        }
        if matches!(nodes.get(path), Some(Node::Dir { .. })) {
            return Err(io::Error::new(io::ErrorKind::IsADirectory, "the target is a directory"));
        }
        nodes.insert(path.to_owned(), Node::File { data: Arc::new(data), mtime: now_secs() });
        Ok(())
    }

    /// Makes a directory (for setting up a tree).
    pub fn put_dir(&self, path: &str) -> io::Result<()> {
        let mut nodes = self.lock();
        let (parent, _) = split(path).ok_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists))?;
        if !matches!(nodes.get(parent), Some(Node::Dir { .. })) {
            return Err(not_found(parent));
        }
        if nodes.contains_key(path) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        nodes.insert(path.to_owned(), Node::Dir { mtime: now_secs() });
        Ok(())
    }

    /// A file's bytes, if it exists.
    pub fn get(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        match self.lock().get(path) {
            Some(Node::File { data, .. }) => Some(data.clone()),
            _ => None,
        }
    }

    /// Every path in the store, sorted (directories too).
    pub fn paths(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Up to `max` entries directly inside `dir` whose path sorts after `after`: (path, entry).
    fn children_page(&self, dir: &str, after: Option<&str>, max: usize) -> Vec<(String, Info)> {
        use std::ops::Bound;
        let prefix = if dir == "/" { "/".to_owned() } else { format!("{dir}/") };
        let start = after.map_or(Bound::Included(prefix.clone()), |a| Bound::Excluded(a.to_owned()));
        let nodes = self.lock();
        nodes
            .range::<String, _>((start, Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter_map(|(p, n)| child_of(dir, p).map(|name| (p.clone(), Self::info(name, n))))
            .take(max)
            .collect()
    }

    fn info(name: &str, node: &Node) -> Info {
        let (kind, size, mtime, mode) = match node {
            Node::Dir { mtime } => (Kind::Dir, 0, *mtime, 0o755),
            Node::File { data, mtime } => (Kind::File, data.len() as u64, *mtime, 0o644),
        };
        Info { name: name.to_owned(), kind, size, mtime, mode, nlink: 1, uid: 0, gid: 0, link_target: None }
    }

    fn sync<'a, T: Send + 'a>(&self, f: impl FnOnce(&Self) -> io::Result<T>) -> BoxFuture<'a, io::Result<T>> {
        let r = f(self);
        Box::pin(async move { r })
    }
}

/// Bytes shared with the store, read from an offset.
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// An upload into a [`MemoryStorage`]: buffered, and put in place at `finish`.
#[derive(Debug)]
struct MemoryUpload {
    store: MemoryStorage,
    path: String,
    name: String,
    data: Vec<u8>,
}

impl UploadSink for MemoryUpload {
    fn write<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        self.data.extend_from_slice(bytes);
        Box::pin(async { Ok(()) })
    }
    fn finish(self: Box<Self>) -> BoxFuture<'static, io::Result<()>> {
        let r = self.store.put(&self.path, self.data);
        Box::pin(async move { r })
    }
    fn abort(self: Box<Self>) -> BoxFuture<'static, io::Result<()>> {
        Box::pin(async { Ok(()) })
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Storage for MemoryStorage {
    fn capabilities(&self) -> StorageCaps {
        StorageCaps {
            append: false,
            rest_upload: false,
            atomic_rename: false,
            set_mtime: true,
            chmod: false,
            rename_dirs: false,
        }
    }
    fn metadata<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Info>> {
        self.sync(|s| {
            let nodes = s.lock();
            let node = nodes.get(path).ok_or_else(|| not_found(path))?;
            Ok(Self::info(split(path).map_or("/", |(_, n)| n), node))
        })
    }
    fn list<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Listing>> {
        let found = match self.lock().get(path) {
            Some(Node::Dir { .. }) => Ok(()),
            Some(Node::File { .. }) => Err(io::Error::new(io::ErrorKind::NotADirectory, "not a directory")),
            None => Err(not_found(path)),
        };
        let (store, dir) = (self.clone(), path.to_owned());
        Box::pin(async move {
            found?;
            let (tx, listing) = Listing::channel();
            // A page at a time (the lock held for one page only), in name order, as an object store's paged
            // listing: memory stays bounded by the channel and one page.
            tokio::spawn(async move {
                let mut after: Option<String> = None;
                loop {
                    let page = store.children_page(&dir, after.as_deref(), LISTING_QUEUE);
                    let Some(last) = page.last() else { return };
                    after = Some(last.0.clone());
                    for (_, info) in page {
                        if tx.send(Ok(info)).await.is_err() {
                            return;
                        }
                    }
                }
            });
            Ok(listing)
        })
    }
    fn read<'a>(&'a self, path: &'a str, offset: u64) -> BoxFuture<'a, io::Result<ReadStream>> {
        self.sync(|s| {
            let data = match s.lock().get(path) {
                Some(Node::File { data, .. }) => data.clone(),
                Some(Node::Dir { .. }) => return Err(io::Error::new(io::ErrorKind::InvalidInput, "a directory")),
                None => return Err(not_found(path)),
            };
            let mut cursor = std::io::Cursor::new(Shared(data));
            cursor.set_position(offset);
            Ok(ReadStream::Stream(Box::pin(cursor)))
        })
    }
    fn write<'a>(&'a self, path: &'a str, mode: WriteMode) -> BoxFuture<'a, io::Result<WriteStream>> {
        self.sync(|s| {
            let nodes = s.lock();
            let (dir, target) = match mode {
                WriteMode::Replace => {
                    let (parent, name) = split(path).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
                    if matches!(nodes.get(path), Some(Node::Dir { .. })) {
                        return Err(io::Error::new(io::ErrorKind::IsADirectory, "the target is a directory"));
                    }
                    (parent.to_owned(), name.to_owned())
                }
                WriteMode::Unique => {
                    let name = (0u32..)
                        .map(|n| format!("ftpkit-{:x}-{n}", now_secs()))
                        .find(|n| !nodes.contains_key(&format!("{}/{n}", path.trim_end_matches('/'))))
                        .unwrap_or_default();
                    (path.to_owned(), name)
                }
                WriteMode::Append | WriteMode::Resume(_) => {
                    return Err(io::Error::new(io::ErrorKind::Unsupported, "no append or offset writes here"))
                }
            };
            if !matches!(nodes.get(&dir), Some(Node::Dir { .. })) {
                return Err(not_found(&dir));
            }
            let path = format!("{}/{target}", dir.trim_end_matches('/'));
            let sink = MemoryUpload { store: s.clone(), path, name: target, data: Vec::new() };
            Ok(WriteStream::Sink(Box::new(sink)))
        })
    }
    fn rename<'a>(&'a self, from: &'a str, to: &'a str) -> BoxFuture<'a, io::Result<()>> {
        self.sync(|s| {
            let mut nodes = s.lock();
            let node = match nodes.get(from) {
                Some(n @ Node::File { .. }) => n.clone(),
                Some(Node::Dir { .. }) => {
                    return Err(io::Error::new(io::ErrorKind::Unsupported, "directories are not renamed here"))
                }
                None => return Err(not_found(from)),
            };
            let parent = split(to).map(|(p, _)| p).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
            if !matches!(nodes.get(parent), Some(Node::Dir { .. })) || matches!(nodes.get(to), Some(Node::Dir { .. })) {
                return Err(not_found(to));
            }
            // As an object store does it: a copy, then the delete.
            nodes.insert(to.to_owned(), node);
            nodes.remove(from);
            Ok(())
        })
    }
    fn delete<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        self.sync(|s| {
            let mut nodes = s.lock();
            match nodes.get(path) {
                Some(Node::File { .. }) => {
                    nodes.remove(path);
                    Ok(())
                }
                Some(Node::Dir { .. }) => Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory")),
                None => Err(not_found(path)),
            }
        })
    }
    fn mkdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        self.sync(|s| s.put_dir(path))
    }
    fn rmdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        self.sync(|s| {
            let mut nodes = s.lock();
            if path == "/" {
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, "the root cannot be removed"));
            }
            match nodes.get(path) {
                Some(Node::Dir { .. }) if nodes.keys().any(|p| child_of(path, p).is_some()) => {
                    Err(io::Error::from(io::ErrorKind::DirectoryNotEmpty))
                }
                Some(Node::Dir { .. }) => {
                    nodes.remove(path);
                    Ok(())
                }
                Some(Node::File { .. }) => Err(io::Error::from(io::ErrorKind::NotADirectory)),
                None => Err(not_found(path)),
            }
        })
    }
    fn set_mtime<'a>(&'a self, path: &'a str, mtime: i64) -> BoxFuture<'a, io::Result<()>> {
        self.sync(|s| match s.lock().get_mut(path) {
            Some(Node::File { mtime: m, .. } | Node::Dir { mtime: m }) => {
                *m = mtime;
                Ok(())
            }
            None => Err(not_found(path)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Listing, LocalStorage, MemoryStorage, Storage, LISTING_QUEUE, LOCAL_PAGE};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    async fn names(mut l: Listing) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(e) = l.next().await {
            out.push(e.unwrap().name);
        }
        out
    }

    /// A directory larger than the queue and a page comes whole, in pages each sorted by name, without the entries
    /// of its subdirectories.
    #[test]
    fn a_local_listing_streams_every_entry_sorted_a_page_at_a_time() {
        let root = tempfile::tempdir().unwrap();
        let n = 2 * LOCAL_PAGE + 17;
        std::fs::create_dir(root.path().join("d")).unwrap();
        for i in 0..n {
            std::fs::File::create(root.path().join(format!("d/f{i:05}"))).unwrap();
        }
        std::fs::create_dir(root.path().join("d/sub")).unwrap();
        std::fs::File::create(root.path().join("d/sub/inner")).unwrap();
        let s = LocalStorage::open(root.path()).unwrap();
        let got = runtime().block_on(async { names(s.list("/d").await.unwrap()).await });
        assert_eq!(got.len(), n + 1);
        for page in got.chunks(LOCAL_PAGE) {
            assert!(page.windows(2).all(|w| w[0] < w[1]), "a page not sorted");
        }
        let mut all = got.clone();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n + 1, "an entry listed twice");
        assert!(all.contains(&"sub".to_owned()) && !all.contains(&"inner".to_owned()));
        // A listing dropped halfway stops its producer (no error, nothing leaks into a later listing).
        let rt = runtime();
        rt.block_on(async {
            let mut l = s.list("/d").await.unwrap();
            assert!(l.next().await.is_some());
            drop(l);
            assert!(s.list("/nope").await.is_err());
            assert!(s.list("/d/f00000").await.is_err());
        });
    }

    #[test]
    fn a_memory_listing_pages_through_children_in_name_order() {
        let m = MemoryStorage::new();
        m.put_dir("/d").unwrap();
        m.put_dir("/d/a").unwrap();
        m.put("/d/a/deep", vec![1]).unwrap();
        m.put("/e", vec![]).unwrap();
        let n = 3 * LISTING_QUEUE + 5;
        for i in 0..n {
            m.put(&format!("/d/f{i:05}"), vec![]).unwrap();
        }
        let rt = runtime();
        let got = rt.block_on(async { names(m.list("/d").await.unwrap()).await });
        let mut want: Vec<String> = (0..n).map(|i| format!("f{i:05}")).collect();
        want.insert(0, "a".into());
        assert_eq!(got, want);
        let root = rt.block_on(async { names(m.list("/").await.unwrap()).await });
        assert_eq!(root, ["d", "e"]);
        assert!(rt.block_on(m.list("/e")).is_err());
    }
}
