//! The S3 back end (feature `s3`): S3 and S3-compatible object stores through Apache OpenDAL.
//!
//! Directories are prefixes (with a `dir/` marker object made by MKD); STOR streams a multipart upload that is
//! completed when the transfer completed (the 226) and aborted when it was cut off, so no partial object ever
//! appears under the final key; RETR after REST is a ranged GET; listings come from paged LIST calls as a stream;
//! RNFR/RNTO is a copy then a delete (not atomic: the session says so); APPE and STOR after REST are refused by the
//! session (502/504), since an object cannot be appended to or written from an offset.

use super::fs::{Info, Kind, WriteMode};
use super::storage::{BoxFuture, Listing, ReadStream, Storage, StorageCaps, UploadSink, WriteStream};
use futures_util::StreamExt;
use opendal::{EntryMode, ErrorKind as DalKind, Operator};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, ReadBuf};

/// Where the objects are and how to reach them.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// A key prefix the server's `/` maps to (`""`: the whole bucket).
    pub prefix: String,
    /// The endpoint URL (`http://127.0.0.1:8333` for a local store); `None`: AWS's for the region.
    pub endpoint: Option<String>,
    /// The region (`us-east-1` when unset).
    pub region: Option<String>,
    /// Credentials (read by the caller from the environment or a file: nothing here reads either).
    pub access_key_id: String,
    /// The secret key.
    pub secret_access_key: String,
    /// A session token, for temporary credentials.
    pub session_token: Option<String>,
}

/// Multipart part size (S3's minimum is 5 MiB); also the most an upload holds in memory at a time.
const PART: usize = 8 * 1024 * 1024;

/// The S3 back end. Cheap to clone (one HTTP client inside).
#[derive(Debug, Clone)]
pub struct S3Storage {
    op: Operator,
}

fn io_err(e: opendal::Error) -> io::Error {
    let kind = match e.kind() {
        DalKind::NotFound => io::ErrorKind::NotFound,
        DalKind::PermissionDenied => io::ErrorKind::PermissionDenied,
        DalKind::AlreadyExists => io::ErrorKind::AlreadyExists,
        DalKind::Unsupported => io::ErrorKind::Unsupported,
        DalKind::IsADirectory => io::ErrorKind::IsADirectory,
        DalKind::NotADirectory => io::ErrorKind::NotADirectory,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e.to_string())
}

/// `/a/b` -> `a/b` (a file's key); `/` -> ``.
fn key(vpath: &str) -> io::Result<&str> {
    vpath
        .strip_prefix('/')
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("not an absolute virtual path: {vpath:?}")))
}

/// `/a/b` -> `a/b/` (a directory's prefix); `/` -> `/` (OpenDAL's root).
fn dir_key(vpath: &str) -> io::Result<String> {
    let k = key(vpath)?;
    Ok(if k.is_empty() { "/".to_owned() } else { format!("{k}/") })
}

fn parent_of(vpath: &str) -> &str {
    match vpath.rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((p, _)) => p,
    }
}

fn name_of(vpath: &str) -> &str {
    vpath.rsplit_once('/').map_or(vpath, |(_, n)| n)
}

fn secs(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn info(name: &str, md: &opendal::Metadata) -> Info {
    let dir = md.mode() == EntryMode::DIR;
    Info {
        name: name.to_owned(),
        kind: if dir { Kind::Dir } else { Kind::File },
        size: if dir { 0 } else { md.content_length() },
        mtime: secs(md.last_modified().map(SystemTime::from)),
        mode: if dir { 0o755 } else { 0o644 },
        nlink: 1,
        uid: 0,
        gid: 0,
        link_target: None,
    }
}

impl S3Storage {
    /// An S3 back end for `config`. Reads no environment variable, profile or instance metadata: the credentials
    /// are the config's.
    ///
    /// # Errors
    /// The configuration is refused by OpenDAL (no bucket, say).
    pub fn new(config: &S3Config) -> io::Result<S3Storage> {
        // OpenDAL's HTTP client uses rustls with the process-wide provider: ring, as the rest of ftpkit.
        let _ = rustls::crypto::ring::default_provider().install_default();
        opendal_http_transport_reqwest::install_default();
        let mut b = opendal::services::S3::default()
            .bucket(&config.bucket)
            .root(&format!("/{}", config.prefix.trim_matches('/')))
            .region(config.region.as_deref().unwrap_or("us-east-1"))
            .access_key_id(&config.access_key_id)
            .secret_access_key(&config.secret_access_key)
            .disable_config_load()
            .disable_ec2_metadata();
        if let Some(e) = &config.endpoint {
            b = b.endpoint(e);
        }
        if let Some(t) = &config.session_token {
            b = b.session_token(t);
        }
        let op = Operator::new(b).map_err(io_err)?.layer(opendal::layers::TimeoutLayer::new());
        Ok(S3Storage { op })
    }

    /// Is `vpath` a directory: a marker object `a/b/`, or any key under the prefix.
    async fn is_dir(&self, vpath: &str) -> io::Result<bool> {
        if vpath == "/" {
            return Ok(true);
        }
        let prefix = dir_key(vpath)?;
        match self.op.stat(&prefix).await {
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == DalKind::NotFound => {}
            Err(e) => return Err(io_err(e)),
        }
        let mut l = self.op.lister_with(&prefix).limit(1).await.map_err(io_err)?;
        Ok(l.next().await.transpose().map_err(io_err)?.is_some())
    }

    async fn need_dir(&self, vpath: &str) -> io::Result<()> {
        if self.is_dir(vpath).await? {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::NotFound, format!("{vpath}: no such directory")))
        }
    }

    /// A file's metadata, `None` when there is no object under its key.
    async fn file(&self, vpath: &str) -> io::Result<Option<opendal::Metadata>> {
        let k = key(vpath)?;
        if k.is_empty() {
            return Ok(None);
        }
        match self.op.stat(k).await {
            Ok(md) if md.mode() == EntryMode::FILE => Ok(Some(md)),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == DalKind::NotFound => Ok(None),
            Err(e) => Err(io_err(e)),
        }
    }

    async fn metadata_of(&self, vpath: &str) -> io::Result<Info> {
        if let Some(md) = self.file(vpath).await? {
            return Ok(info(name_of(vpath), &md));
        }
        if self.is_dir(vpath).await? {
            let name = if vpath == "/" { "/" } else { name_of(vpath) };
            return Ok(Info {
                name: name.to_owned(),
                kind: Kind::Dir,
                size: 0,
                mtime: 0,
                mode: 0o755,
                nlink: 1,
                uid: 0,
                gid: 0,
                link_target: None,
            });
        }
        Err(io::Error::new(io::ErrorKind::NotFound, format!("{vpath}: not found")))
    }

    async fn list_of(&self, vpath: &str) -> io::Result<Listing> {
        if self.file(vpath).await?.is_some() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a directory"));
        }
        self.need_dir(vpath).await?;
        let prefix = dir_key(vpath)?;
        let mut lister = self.op.lister(&prefix).await.map_err(io_err)?;
        let (tx, listing) = Listing::channel();
        // The pages are fetched as the server takes the entries (the channel is bounded).
        tokio::spawn(async move {
            while let Some(entry) = lister.next().await {
                let item = match entry {
                    // The directory itself comes back from some stores; it is not its own entry.
                    Ok(e) if e.path() == prefix || e.path().trim_end_matches('/').is_empty() => continue,
                    Ok(e) => Ok(info(e.name().trim_end_matches('/'), e.metadata())),
                    Err(e) => Err(io_err(e)),
                };
                if tx.send(item).await.is_err() {
                    break;
                }
            }
        });
        Ok(listing)
    }

    async fn open_write(&self, vpath: &str, mode: WriteMode) -> io::Result<WriteStream> {
        let (dir, name) = match mode {
            WriteMode::Replace => {
                if self.is_dir(vpath).await? {
                    return Err(io::Error::new(io::ErrorKind::IsADirectory, "the target is a directory"));
                }
                (parent_of(vpath).to_owned(), name_of(vpath).to_owned())
            }
            WriteMode::Unique => {
                let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
                (vpath.to_owned(), format!("ftpkit-{stamp:x}"))
            }
            WriteMode::Append | WriteMode::Resume(_) => {
                return Err(io::Error::new(io::ErrorKind::Unsupported, "objects cannot be appended to"))
            }
        };
        self.need_dir(&dir).await?;
        let path = format!("{}/{name}", dir.trim_end_matches('/'));
        let writer = self.op.writer_with(key(&path)?).chunk(PART).await.map_err(io_err)?;
        Ok(WriteStream::Sink(Box::new(S3Upload { writer: Some(writer), name })))
    }
}

/// An object being uploaded (multipart once past one part).
struct S3Upload {
    writer: Option<opendal::Writer>,
    name: String,
}

impl std::fmt::Debug for S3Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Upload").field("name", &self.name).finish_non_exhaustive()
    }
}

impl UploadSink for S3Upload {
    fn write<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let w = self.writer.as_mut().ok_or_else(|| io::Error::other("upload already finished"))?;
            w.write(bytes.to_vec()).await.map_err(io_err)
        })
    }
    fn finish(mut self: Box<Self>) -> BoxFuture<'static, io::Result<()>> {
        let writer = self.writer.take();
        Box::pin(async move {
            let mut w = writer.ok_or_else(|| io::Error::other("upload already finished"))?;
            w.close().await.map(|_| ()).map_err(io_err)
        })
    }
    fn abort(mut self: Box<Self>) -> BoxFuture<'static, io::Result<()>> {
        let writer = self.writer.take();
        Box::pin(async move {
            match writer {
                Some(mut w) => w.abort().await.map_err(io_err),
                None => Ok(()),
            }
        })
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for S3Upload {
    /// Dropped unfinished (the session abandoned the transfer): abort the multipart upload in the background. The
    /// object never appears either way; the abort frees the parts.
    fn drop(&mut self) {
        if let (Some(mut w), Ok(rt)) = (self.writer.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(async move {
                let _ = w.abort().await;
            });
        }
    }
}

/// OpenDAL's byte stream as a tokio `AsyncRead`.
struct ChunkReader {
    stream: opendal::FuturesBytesStream,
    chunk: bytes::Bytes,
}

impl AsyncRead for ChunkReader {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            if !self.chunk.is_empty() {
                let n = self.chunk.len().min(buf.remaining());
                buf.put_slice(&self.chunk.split_to(n));
                return Poll::Ready(Ok(()));
            }
            match futures_util::ready!(self.stream.poll_next_unpin(cx)) {
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Poll::Ready(Err(e)),
                None => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl Storage for S3Storage {
    fn capabilities(&self) -> StorageCaps {
        StorageCaps::NONE
    }
    fn metadata<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Info>> {
        Box::pin(self.metadata_of(path))
    }
    fn list<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<Listing>> {
        Box::pin(self.list_of(path))
    }
    fn read<'a>(&'a self, path: &'a str, offset: u64) -> BoxFuture<'a, io::Result<ReadStream>> {
        Box::pin(async move {
            let md = self.file(path).await?.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))?;
            let k = key(path)?;
            let reader = self.op.reader_with(k).chunk(PART).await.map_err(io_err)?;
            let stream = reader.into_bytes_stream(offset.min(md.content_length())..).await.map_err(io_err)?;
            Ok(ReadStream::Stream(Box::pin(ChunkReader { stream, chunk: bytes::Bytes::new() })))
        })
    }
    fn write<'a>(&'a self, path: &'a str, mode: WriteMode) -> BoxFuture<'a, io::Result<WriteStream>> {
        Box::pin(self.open_write(path, mode))
    }
    fn rename<'a>(&'a self, from: &'a str, to: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            if self.file(from).await?.is_none() {
                // The session refuses RNFR of a directory (504: `rename_dirs` is off); one that appears between
                // RNFR and RNTO is refused here.
                return Err(if self.is_dir(from).await? {
                    io::Error::new(io::ErrorKind::Unsupported, "directories are not renamed here")
                } else {
                    io::Error::new(io::ErrorKind::NotFound, "no such file")
                });
            }
            self.need_dir(parent_of(to)).await?;
            if self.is_dir(to).await? {
                return Err(io::Error::new(io::ErrorKind::IsADirectory, "the target is a directory"));
            }
            // Copy, then delete: a reader in between sees both; never neither.
            self.op.copy(key(from)?, key(to)?).await.map_err(io_err)?;
            self.op.delete(key(from)?).await.map_err(io_err)
        })
    }
    fn delete<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            if self.file(path).await?.is_none() {
                return Err(io::Error::new(io::ErrorKind::NotFound, "no such file"));
            }
            self.op.delete(key(path)?).await.map_err(io_err)
        })
    }
    fn mkdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            self.need_dir(parent_of(path)).await?;
            if self.file(path).await?.is_some() || self.is_dir(path).await? {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            self.op.create_dir(&dir_key(path)?).await.map_err(io_err)
        })
    }
    fn rmdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            if path == "/" {
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, "the root cannot be removed"));
            }
            self.need_dir(path).await?;
            let prefix = dir_key(path)?;
            let mut lister = self.op.lister_with(&prefix).limit(2).await.map_err(io_err)?;
            while let Some(e) = lister.next().await {
                let e = e.map_err(io_err)?;
                if e.path() != prefix {
                    return Err(io::Error::from(io::ErrorKind::DirectoryNotEmpty));
                }
            }
            self.op.delete(&prefix).await.map_err(io_err)
        })
    }
    fn set_mtime<'a>(&'a self, _path: &'a str, _mtime: i64) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async { Err(io::Error::new(io::ErrorKind::Unsupported, "objects keep their upload time")) })
    }
}
