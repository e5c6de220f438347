//! Bandwidth limits on data connections: the core's token buckets ([`TokenBucket`]) read with the runtime's clock,
//! and a stream wrapper that sleeps as they say.
//!
//! A session's transfers in one direction are paced by its own bucket (the server's per-session limit) and by its
//! user's (the users file's limit, one bucket shared by all of that user's sessions), whichever is slower. Paced
//! transfers move at most [`CHUNK`] bytes between two questions to the buckets, so they take the async stream path
//! (`data::transfer_stream`): a local file's download is read through tokio instead of `sendfile(2)`, and a local
//! upload goes to its temporary file through [`FileSink`] (still renamed into place only when complete).

use super::data::Opened;
use super::fs::Upload;
use super::storage::{BoxFuture, ReadStream, UploadSink, WriteStream};
use crate::proto::session::server::rate::TokenBucket;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most bytes moved between two questions to the buckets.
pub(crate) const CHUNK: usize = 16 * 1024;

/// One bucket, shared where it is a user's.
pub(crate) type Bucket = Arc<Mutex<TokenBucket>>;

/// A new bucket for `rate` bytes a second, full now.
pub(crate) fn bucket(rate: u64) -> Bucket {
    Arc::new(Mutex::new(TokenBucket::new(rate, tokio::time::Instant::now().into_std())))
}

/// The buckets one direction of a session's transfers goes through.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pacer {
    buckets: Vec<Bucket>,
}

impl Pacer {
    /// Paced by these buckets (none: not paced).
    pub(crate) fn new(buckets: Vec<Bucket>) -> Self {
        Pacer { buckets }
    }

    /// True when there is nothing to pace by.
    pub(crate) fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// How long to wait before moving more: the longest of the buckets' waits.
    fn wait(&self) -> Duration {
        let now = tokio::time::Instant::now().into_std();
        self.buckets.iter().map(|b| b.lock().unwrap_or_else(|p| p.into_inner()).wait(now)).max().unwrap_or_default()
    }

    /// `n` bytes moved.
    fn consume(&self, n: usize) {
        let now = tokio::time::Instant::now().into_std();
        for b in &self.buckets {
            b.lock().unwrap_or_else(|p| p.into_inner()).consume(now, n as u64);
        }
    }
}

/// A data stream whose reads and writes wait for the pacer.
#[derive(Debug)]
pub(crate) struct Paced<S> {
    inner: S,
    pacer: Pacer,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    scratch: Vec<u8>,
}

impl<S> Paced<S> {
    pub(crate) fn new(inner: S, pacer: Pacer) -> Self {
        Paced { inner, pacer, sleep: None, scratch: Vec::new() }
    }

    /// Ready when the pacer lets bytes go.
    fn poll_turn(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if let Some(s) = &mut self.sleep {
                ready!(s.as_mut().poll(cx));
                self.sleep = None;
            }
            let wait = self.pacer.wait();
            if wait.is_zero() {
                return Poll::Ready(());
            }
            self.sleep = Some(Box::pin(tokio::time::sleep(wait)));
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Paced<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_turn(cx));
        let want = buf.remaining().min(CHUNK);
        this.scratch.resize(want, 0);
        let mut part = ReadBuf::new(&mut this.scratch[..want]);
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut part))?;
        let n = part.filled().len();
        buf.put_slice(&this.scratch[..n]);
        this.pacer.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Paced<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_turn(cx));
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..buf.len().min(CHUNK)]))?;
        this.pacer.consume(n);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A local upload as a sink: each block written on the blocking pool, committed (renamed into place) on
/// `finish`, undone on `abort` or drop.
#[derive(Debug)]
pub(crate) struct FileSink {
    upload: Option<Upload>,
    name: String,
}

impl FileSink {
    pub(crate) fn new(upload: Upload) -> Self {
        FileSink { name: upload.name().to_owned(), upload: Some(upload) }
    }
}

impl UploadSink for FileSink {
    fn write<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let mut upload = self.upload.take().ok_or_else(|| io::Error::other("upload already finished"))?;
            let block = bytes.to_vec();
            let (upload, result) = tokio::task::spawn_blocking(move || {
                let r = upload.file().and_then(|f| io::Write::write_all(f, &block));
                (upload, r)
            })
            .await
            .map_err(io::Error::other)?;
            self.upload = Some(upload);
            result
        })
    }

    fn finish(mut self: Box<Self>) -> BoxFuture<'static, io::Result<()>> {
        let upload = self.upload.take();
        Box::pin(async move {
            let upload = upload.ok_or_else(|| io::Error::other("upload already finished"))?;
            tokio::task::spawn_blocking(move || upload.commit()).await.map_err(io::Error::other)?
        })
    }

    fn abort(mut self: Box<Self>) -> BoxFuture<'static, io::Result<()>> {
        let upload = self.upload.take();
        Box::pin(async move {
            let Some(upload) = upload else { return Ok(()) };
            tokio::task::spawn_blocking(move || upload.abort().map(drop)).await.map_err(io::Error::other)?
        })
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// The same transfer on the stream path: a local file read through tokio, a local upload through [`FileSink`].
pub(crate) fn as_streams(opened: Opened) -> Opened {
    match opened {
        Opened::Read(ReadStream::File(file)) => {
            Opened::Read(ReadStream::Stream(Box::pin(tokio::fs::File::from_std(file))))
        }
        Opened::Write(WriteStream::File(upload)) => Opened::Write(WriteStream::Sink(Box::new(FileSink::new(upload)))),
        other => other,
    }
}
