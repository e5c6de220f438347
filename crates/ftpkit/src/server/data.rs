//! The work behind the session's requests: listings and transfers over a [`Storage`] back end. The file paths
//! (a local back end's files) are blocking and run on tokio's blocking pool, except `send_file_async` (file
//! downloads, on the runtime); the stream paths (any other back end, and TLS) are async. None makes a protocol
//! decision.

use super::fs::{Info, Jail, Kind, Upload, WriteMode};
use super::storage::{Listed, Listing, ReadStream, Storage, UploadSink, WriteStream};
use crate::proto::listing::{
    format_mlsd_entry_with, format_unix_list_line, Date, DateTime, Entry, EntryKind, ListFormat, MlstFacts,
};
use crate::proto::session::server::{ListKind, Outcome};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What an open request prepared for the transfer that follows.
#[derive(Debug)]
pub(crate) enum Opened {
    /// Bytes to send.
    Read(ReadStream),
    /// An upload to receive.
    Write(WriteStream),
    /// A listing, formatted as its entries come from the back end.
    Listing(ListingBody),
}

/// A completed upload waiting to be put in place (unless the session aborted the transfer meanwhile).
#[derive(Debug)]
pub(crate) enum Landing {
    /// A temporary file, renamed into place.
    File(Upload),
    /// A back end's upload, finished.
    Sink(Box<dyn UploadSink>),
}

/// Maps an IO error onto the session's outcome vocabulary (the session picks the reply code; texts never reach
/// the client).
pub(crate) fn outcome_of(e: &io::Error) -> Outcome {
    if Jail::is_escape(e) {
        return Outcome::PermissionDenied;
    }
    match e.kind() {
        io::ErrorKind::NotFound => Outcome::NotFound,
        io::ErrorKind::PermissionDenied => Outcome::PermissionDenied,
        io::ErrorKind::AlreadyExists => Outcome::Exists,
        io::ErrorKind::StorageFull => Outcome::NoSpace,
        io::ErrorKind::FileTooLarge => Outcome::QuotaExceeded,
        io::ErrorKind::IsADirectory | io::ErrorKind::NotADirectory | io::ErrorKind::DirectoryNotEmpty => {
            Outcome::PermissionDenied
        }
        _ => Outcome::Failed(e.to_string()),
    }
}

/// Today's date, UTC (the reference for `ls -l`'s year-or-time column).
pub(crate) fn today() -> Date {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    DateTime::from_unix(secs, 0).map_or(Date::UNIX_EPOCH, |t| t.date())
}

/// The listing entry for a file system entry.
pub(crate) fn entry_of(info: &Info) -> Entry<'static> {
    let kind = match info.kind {
        Kind::File => EntryKind::File,
        Kind::Dir => EntryKind::Dir,
        Kind::Symlink => EntryKind::Symlink,
        Kind::Other => EntryKind::Device,
    };
    let mut e = Entry::new(info.name.clone(), kind, ListFormat::Unix);
    e.size = Some(info.size);
    e.modified = DateTime::from_unix(info.mtime, 0);
    e.unix_mode = Some(info.mode & 0o7777);
    e.links = Some(info.nlink);
    e.owner = Some(info.uid.to_string().into());
    e.group = Some(info.gid.to_string().into());
    e.link_target = info.link_target.clone().map(Into::into);
    e
}

/// A listing to send: the entries still to come from the back end (or the one file listed), and their format.
#[derive(Debug)]
pub(crate) struct ListingBody {
    entries: Entries,
    kind: ListKind,
    facts: MlstFacts,
    today: Date,
}

#[derive(Debug)]
enum Entries {
    /// LIST of a file: its one line.
    One(Option<Info>),
    /// A directory's entries, streamed.
    Dir(Listing),
}

/// Opens a listing of `path` (a directory's entries, or the one file): the errors a listing can meet before its
/// first byte (no such path, not allowed) come back here, before the data connection is used.
pub(crate) async fn listing(
    storage: &dyn Storage,
    path: &str,
    kind: ListKind,
    facts: MlstFacts,
    today: Date,
) -> io::Result<ListingBody> {
    let entries = match storage.list_path(path).await? {
        Listed::Dir(listing) => Entries::Dir(listing),
        Listed::One(me) => Entries::One(Some(me)),
    };
    Ok(ListingBody { entries, kind, facts, today })
}

/// Bytes of formatted lines gathered before a write to the data connection.
const LISTING_FLUSH: usize = 64 * 1024;

/// Appends the listing line for `info` (CRLF-terminated) to `out`. A name that cannot be written on one line (a
/// control character) is left out, never mangled.
fn push_line(info: &Info, kind: ListKind, facts: MlstFacts, today: Date, out: &mut Vec<u8>) {
    let line = match kind {
        ListKind::Unix => format_unix_list_line(&entry_of(info), today),
        ListKind::Mlsd => format_mlsd_entry_with(&entry_of(info), facts),
        ListKind::Names => Ok(info.name.clone()),
    };
    match line {
        Ok(line) if !line.contains(['\r', '\n', '\0']) => {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        _ => tracing::debug!(name = ?info.name, "entry left out of the listing: not writable on one line"),
    }
}

/// Why a streamed listing stopped early.
#[derive(Debug)]
pub(crate) enum ListingError {
    /// The back end failed mid-listing (or gave no entry within the data timeout).
    Storage(io::Error),
    /// The data connection failed or stalled.
    Data(io::Error),
}

/// Writes a listing to the data connection as the back end produces its entries, 64 KiB of lines at a time:
/// memory is bounded by the back end's queue and one buffer, whatever the directory's size. Each wait (for an
/// entry, for the socket) is bounded by the data timeout. Returns the bytes written.
pub(crate) async fn write_listing<S>(data: &mut S, body: ListingBody, timeout: Duration) -> Result<u64, ListingError>
where
    S: tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    let ListingBody { mut entries, kind, facts, today } = body;
    let mut buf = Vec::with_capacity(LISTING_FLUSH + 1024);
    let mut total = 0u64;
    loop {
        let next = match &mut entries {
            Entries::One(one) => one.take().map(Ok),
            Entries::Dir(listing) => match tokio::time::timeout(timeout, listing.next()).await {
                Ok(next) => next,
                Err(_) => Some(Err(io::Error::new(io::ErrorKind::TimedOut, "no entry within the data timeout"))),
            },
        };
        let end = match next {
            Some(Ok(info)) => {
                push_line(&info, kind, facts, today, &mut buf);
                false
            }
            Some(Err(e)) => return Err(ListingError::Storage(e)),
            None => true,
        };
        if (end && !buf.is_empty()) || buf.len() >= LISTING_FLUSH {
            match tokio::time::timeout(timeout, data.write_all(&buf)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(ListingError::Data(e)),
                Err(_) => return Err(ListingError::Data(io::Error::new(io::ErrorKind::TimedOut, "data timeout"))),
            }
            total += buf.len() as u64;
            buf.clear();
        }
        if end {
            return Ok(total);
        }
    }
}

/// The outcome of a listing that stopped early: a back end's failure is a local error (451), a data connection's
/// a lost connection (426).
pub(crate) fn listing_failed(e: ListingError) -> Outcome {
    match e {
        ListingError::Storage(e) => {
            tracing::info!(error = %e, "listing cut off by the back end");
            Outcome::Failed(e.to_string())
        }
        ListingError::Data(e) => {
            tracing::debug!(error = %e, "listing cut off on the data connection");
            Outcome::ConnectionLost
        }
    }
}

/// The back end's write mode for a STOR/APPE/STOU (with REST's offset).
pub(crate) fn write_mode(mode: crate::proto::session::server::WriteMode, offset: u64) -> WriteMode {
    use crate::proto::session::server::WriteMode as M;
    match mode {
        M::Create if offset > 0 => WriteMode::Resume(offset),
        M::Create => WriteMode::Replace,
        M::Append => WriteMode::Append,
        M::Unique => WriteMode::Unique,
    }
}

/// Size of the blocks an upload is read in.
const UPLOAD_BLOCK: usize = 256 * 1024;

/// Streams one transfer over a blocking data socket, closes it, and says how it went. A completed upload comes
/// back uncommitted: the control task commits it only if the session did not abort the transfer meanwhile (a
/// client that sends ABOR and closes the data connection must not get its partial file put in place).
///
/// On Linux, file downloads normally go through [`send_file_async`] instead; they come here only when the kernel
/// refuses `sendfile` for the file.
pub(crate) fn transfer(data: TcpStream, opened: Opened, timeout: Duration) -> (Outcome, Option<Landing>) {
    let setup = data
        .set_nonblocking(false)
        .and_then(|()| data.set_read_timeout(Some(timeout)))
        .and_then(|()| data.set_write_timeout(Some(timeout)));
    if setup.is_err() {
        return (Outcome::ConnectionLost, None);
    }
    let sent = match opened {
        Opened::Write(WriteStream::File(upload)) => {
            let (outcome, upload) = receive(&data, upload);
            return (outcome, upload.map(Landing::File));
        }
        Opened::Read(ReadStream::File(mut file)) => copy_file(&mut file, &data),
        // Streams and listings are the async path's (`transfer_stream`); the caller never sends them here.
        Opened::Read(ReadStream::Stream(_)) | Opened::Write(WriteStream::Sink(_)) | Opened::Listing(_) => {
            return (Outcome::Failed("a stream on the blocking path".into()), None)
        }
    };
    match sent {
        Ok(bytes) => (finish(&data, bytes), None),
        Err(_) => (Outcome::ConnectionLost, None),
    }
}

/// Bytes one non-blocking `sendfile(2)` call is offered in [`send_file_async`]. With [`NOTSENT_LOWAT`] the kernel
/// stops a call once that much is queued unsent, so this mostly bounds the file read one call can do on the
/// runtime's thread (a cold file costs a read of at most this much).
#[cfg(any(target_os = "linux", target_os = "android"))]
const ASYNC_SENDFILE_CHUNK: usize = 64 * 1024;

/// `TCP_NOTSENT_LOWAT` of a download's data socket: the socket takes more data (and reports writable) only while
/// less than this is queued and not yet sent. Bytes in flight are not limited, only the backlog behind them.
///
/// Measured on loopback (1 GiB, curl, 20 interleaved rounds, docs/BENCHMARKS.md): without it the sender keeps up to
/// the 4 MiB send buffer queued unsent, and the ACKs the client's CPU processes send much of that backlog from
/// there, so segments leave from two CPUs, arrive out of order, and get retransmitted (100-600 retransmitted
/// segments a GiB against ~10 for pyftpdlib); at 32 KiB the sender sends nearly everything itself: 3.2 -> 4.5
/// GB/s median. 128 KiB measured no better than none, 64 KiB a little below 32 KiB.
#[cfg(any(target_os = "linux", target_os = "android"))]
const NOTSENT_LOWAT: u32 = 32 * 1024;

/// Sends the rest of `file` (from its current position, so after a REST seek) over `data` with non-blocking
/// `sendfile(2)` calls at an explicit offset, waiting for writability on the runtime between them, then closes the
/// sending side. The data timeout bounds each wait: a client that stops reading for that long loses the transfer.
/// ABOR shuts the socket down from the control task, which fails the next call (or wakes the wait). If the kernel
/// refuses sendfile for this file before anything was sent, the transfer falls back to the blocking path.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) async fn send_file_async(
    data: tokio::net::TcpStream,
    mut file: std::fs::File,
    timeout: Duration,
) -> Outcome {
    use std::io::Seek;
    use tokio::io::Interest;
    if let Err(e) = socket2::SockRef::from(&data).set_tcp_notsent_lowat(NOTSENT_LOWAT) {
        tracing::debug!(error = %e, "TCP_NOTSENT_LOWAT not set on the data socket");
    }
    let Ok(start) = file.stream_position() else { return Outcome::ConnectionLost };
    let mut offset = start;
    loop {
        match tokio::time::timeout(timeout, data.writable()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => return Outcome::ConnectionLost,
        }
        let sent = data.try_io(Interest::WRITABLE, || {
            rustix::fs::sendfile(&data, &file, Some(&mut offset), ASYNC_SENDFILE_CHUNK).map_err(io::Error::from)
        });
        match sent {
            Ok(0) => break,
            // Another task's turn when the budget is spent: on loopback the socket may never be full.
            Ok(_) => tokio::task::consume_budget().await,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
            Err(e)
                if offset == start
                    && matches!(
                        rustix::io::Errno::from_io_error(&e),
                        Some(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::OPNOTSUPP)
                    ) =>
            {
                // No sendfile for this file: the blocking path copies through a buffer (nothing was sent, so the
                // file's own position is still the REST offset).
                let Ok(sock) = data.into_std() else { return Outcome::ConnectionLost };
                return tokio::task::spawn_blocking(move || {
                    transfer(sock, Opened::Read(ReadStream::File(file)), timeout).0
                })
                .await
                .unwrap_or(Outcome::ConnectionLost);
            }
            Err(_) => return Outcome::ConnectionLost,
        }
    }
    let _ = socket2::SockRef::from(&data).shutdown(Shutdown::Write);
    Outcome::TransferDone { bytes: offset - start }
}

/// Copies the rest of `file` (from its current position, so after a REST seek) to `sock` through a 256 KiB
/// buffer; returns the bytes sent. The path for files `sendfile(2)` refuses, and for systems without it.
fn copy_file(file: &mut std::fs::File, sock: &TcpStream) -> io::Result<u64> {
    let mut buf = vec![0u8; UPLOAD_BLOCK];
    let mut sent = 0u64;
    let mut sock = sock;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(sent),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sock.write_all(&buf[..n])?;
        sent += n as u64;
    }
}

/// Reads an upload into its temporary file until the client closes the data connection (the caller set it up).
fn receive(data: &TcpStream, mut upload: Upload) -> (Outcome, Option<Upload>) {
    let mut buf = vec![0u8; UPLOAD_BLOCK];
    let mut total = 0u64;
    let mut sock = data;
    loop {
        let n = match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                let undone = upload.abort();
                tracing::info!(?undone, "upload cut off");
                return (Outcome::ConnectionLost, None);
            }
        };
        let written = upload.file().and_then(|f| f.write_all(&buf[..n]));
        if let Err(e) = written {
            let outcome = outcome_of(&e);
            let _ = upload.abort();
            return match outcome {
                Outcome::NoSpace | Outcome::QuotaExceeded => (outcome, None),
                _ => (Outcome::Failed(e.to_string()), None),
            };
        }
        total += n as u64;
    }
    (Outcome::TransferDone { bytes: total }, Some(upload))
}

/// Puts a completed upload in place; the outcome the session answers with.
pub(crate) async fn commit(landing: Landing, bytes: u64) -> Outcome {
    let done = match landing {
        Landing::File(upload) => {
            tokio::task::spawn_blocking(move || upload.commit()).await.unwrap_or_else(|e| Err(io::Error::other(e)))
        }
        Landing::Sink(sink) => sink.finish().await,
    };
    match done {
        Ok(()) => Outcome::TransferDone { bytes },
        Err(e) => outcome_of(&e),
    }
}

/// One transfer over any data stream (plain TCP or TLS) for a back end's streams: a download copied from its
/// reader, an upload written to its sink (a completed one comes back to be finished; a cut-off one is aborted), a
/// listing written. Every read and write is bounded by the data timeout; the end is a clean shutdown (FIN, or
/// close_notify and FIN under TLS).
pub(crate) async fn transfer_stream<S>(mut data: S, opened: Opened, timeout: Duration) -> (Outcome, Option<Landing>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let timed = |r: Result<io::Result<usize>, tokio::time::error::Elapsed>| {
        r.unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "no progress within the data timeout")))
    };
    // The copy buffer of a stream's transfer, made only for one (a listing writes its own lines): zeroing 256 KiB
    // was a short session's largest cost in user space.
    let block = || vec![0u8; UPLOAD_BLOCK];
    let sent = match opened {
        Opened::Write(WriteStream::Sink(mut sink)) => {
            let mut buf = block();
            let mut total = 0u64;
            loop {
                let n = match timed(tokio::time::timeout(timeout, data.read(&mut buf)).await) {
                    Ok(0) => break,
                    Ok(n) => n,
                    // A TLS client that closes without close_notify: the TCP end ends the data.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                    Err(_) => {
                        let undone = sink.abort().await;
                        tracing::info!(?undone, "upload cut off");
                        return (Outcome::ConnectionLost, None);
                    }
                };
                if let Err(e) = sink.write(&buf[..n]).await {
                    let outcome = outcome_of(&e);
                    let _ = sink.abort().await;
                    return (outcome, None);
                }
                total += n as u64;
            }
            let _ = data.shutdown().await;
            return (Outcome::TransferDone { bytes: total }, Some(Landing::Sink(sink)));
        }
        Opened::Read(ReadStream::Stream(mut reader)) => {
            let mut buf = block();
            let mut total = 0u64;
            loop {
                let n = match reader.read(&mut buf).await {
                    Ok(0) => break Ok(total),
                    Ok(n) => n,
                    Err(e) => break Err(e),
                };
                if let Err(e) =
                    timed(tokio::time::timeout(timeout, data.write_all(&buf[..n])).await.map(|r| r.map(|()| n)))
                {
                    break Err(e);
                }
                total += n as u64;
            }
        }
        Opened::Listing(body) => match write_listing(&mut data, body, timeout).await {
            Ok(bytes) => Ok(bytes),
            Err(e) => return (listing_failed(e), None),
        },
        // Files are the file paths' (sendfile, the blocking pool): the caller never sends them here.
        Opened::Read(ReadStream::File(_)) | Opened::Write(WriteStream::File(_)) => {
            return (Outcome::Failed("a file on the stream path".into()), None)
        }
    };
    match sent {
        Ok(bytes) => match tokio::time::timeout(timeout, data.shutdown()).await {
            Ok(Ok(())) => (Outcome::TransferDone { bytes }, None),
            _ => (Outcome::ConnectionLost, None),
        },
        Err(_) => (Outcome::ConnectionLost, None),
    }
}

/// Closes the sending side cleanly (the client reads EOF), then reports the bytes sent.
fn finish(data: &TcpStream, bytes: u64) -> Outcome {
    let _ = data.shutdown(Shutdown::Write);
    Outcome::TransferDone { bytes }
}
