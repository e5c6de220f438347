//! One control connection: the drive loop over the server session.
//!
//! The loop follows the session's documented calling order: after every input (control bytes, an accepted data
//! connection, a finished piece of work, a timer), drain `poll_transmit`, `poll_event` and `poll_request`, then
//! re-arm the one timer from `poll_timeout`. Every protocol rule (when the idle timer restarts, the shutdown
//! reply, which reply a failed request gets) is the session's; this loop only does IO and reads the clock. Work for a request runs on tokio's blocking pool (file system, sendfile)
//! or as a small async task (binding and connecting data sockets); its outcome comes back through a `JoinSet`.

use super::data::{self, Landing, Opened};
use super::pace::{Paced, Pacer};
use super::storage::{BoxFuture, ReadStream, Storage, WriteStream};
use super::{ActiveSource, Shared};
use crate::proto::session::server::backoff::LoginVerdict;
use crate::proto::session::server::rate::RateLimits;
use crate::proto::session::server::{
    DataVerdict, Outcome, ServerError, ServerEvent, ServerRequest, ServerRequestId, ServerSession,
};
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::time::Instant;

/// The session's requests in progress, polled by the session's own task: starting one spawns no task, and its end
/// wakes no other worker thread (a request's blocking part still goes to the blocking pool). A request that panics
/// fails alone (`Failed`: the session answers it and goes on). The set exists only while a request is in progress:
/// an idle session holds no allocation for it.
#[derive(Default)]
struct Work {
    set: Option<FuturesUnordered<BoxFuture<'static, Done>>>,
}

impl Work {
    /// Starts `job` for request `id`.
    fn spawn(&mut self, id: ServerRequestId, job: impl std::future::Future<Output = Done> + Send + 'static) {
        let job = AssertUnwindSafe(job).catch_unwind().map(move |r| {
            r.unwrap_or_else(|_| {
                tracing::error!(?id, "request panicked");
                Done { id, outcome: Outcome::Failed("internal error".into()), extra: Extra::None }
            })
        });
        self.set.get_or_insert_with(FuturesUnordered::new).push(Box::pin(job));
    }

    fn is_empty(&self) -> bool {
        self.set.as_ref().is_none_or(FuturesUnordered::is_empty)
    }

    /// The next request to finish (cancel safe: a finished one is never lost); `None` when none is in progress.
    async fn next(&mut self) -> Option<Done> {
        let set = self.set.as_mut()?;
        let done = set.next().await;
        if set.is_empty() {
            self.set = None;
        }
        done
    }

    /// Drops every request still in progress (an unfinished upload's `Drop` removes its temporary file).
    fn clear(&mut self) {
        self.set = None;
    }
}

/// What a finished piece of work hands back besides its outcome.
enum Extra {
    None,
    Listener(TcpListener),
    Data(TcpStream),
    Opened(Opened),
    /// The account's root and bandwidth limits.
    Root(Option<PathBuf>, RateLimits),
    /// A completed upload, to be put in place unless the transfer was aborted meanwhile.
    Commit(Landing),
}

struct Done {
    id: ServerRequestId,
    outcome: Outcome,
    extra: Extra,
}

/// The adapter's side of one session: sockets and files the session's requests produced.
struct Io {
    /// The logged-in user's storage.
    storage: Option<Arc<dyn Storage>>,
    /// The logged-in user (for the transfer log).
    user: String,
    /// When the running transfer started (for the transfer log).
    started: Option<Instant>,
    /// The root of the account that just authenticated, until the session says `LoggedIn`.
    login_root: Option<PathBuf>,
    /// The bandwidth limits of the account that just authenticated, until the session says `LoggedIn`.
    login_rates: RateLimits,
    /// The logged-in session's pacing of downloads and of uploads (empty: not paced).
    pace: (Pacer, Pacer),
    listener: Option<TcpListener>,
    data: Option<TcpStream>,
    opened: HashMap<ServerRequestId, Opened>,
    cancelled: HashSet<ServerRequestId>,
    /// A clone of the data socket of the running transfer, to cut it off on ABOR.
    transfer: Option<(ServerRequestId, std::net::TcpStream)>,
    /// The server's address on the control connection (active connections come from it).
    local_ip: IpAddr,
    /// The client's address (the PROXY header's behind a load balancer): what the login back-off counts.
    peer_ip: IpAddr,
    /// This control connection's TLS acceptors (its own session store).
    #[cfg(feature = "tls")]
    tls: Option<super::tls::SessionTls>,
    /// For the request being started: data protected (PROT P), with the session's verdict on a data handshake
    /// that did not resume the control connection's session.
    #[cfg(feature = "tls")]
    protect: Option<crate::proto::session::server::TlsVerdict>,
}

/// The control connection: in clear, or under TLS (after AUTH, or implicit).
enum Ctrl {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<super::tls::TlsControl>),
    /// Between the two during a handshake (a failed handshake ends the session).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Gone,
}

/// Bytes one read of the control connection takes at most.
const CTRL_READ: usize = 2048;

impl Ctrl {
    /// Waits until the control connection has something to read. In clear: readiness only, and the caller reads
    /// with [`Ctrl::try_read`] into a buffer of its own that lives only for that call, so an idle session holds no
    /// read buffer (its future is what an idle session costs). Under TLS the bytes are read here, into `tls_buf`
    /// (rustls may hold decrypted bytes the socket's readiness does not show): `Some(n)`.
    ///
    /// Not `AsyncReadExt::read` in clear: tokio takes a read shorter than the buffer for "the socket is drained"
    /// and waits for the next readiness edge. A read stops short at TCP's urgent mark with bytes still queued
    /// behind it (the `\n` of an `ABOR\r\n` sent with MSG_OOB), and no new edge comes for bytes already there.
    /// `readable` + `try_read` only forgets readiness on a real `WouldBlock`.
    async fn readable(&mut self, tls_buf: &mut Vec<u8>) -> io::Result<Option<usize>> {
        match self {
            Ctrl::Plain(s) => s.readable().await.map(|()| None),
            #[cfg(feature = "tls")]
            Ctrl::Tls(t) => {
                tls_buf.resize(CTRL_READ, 0);
                tokio::io::AsyncReadExt::read(t, tls_buf).await.map(Some)
            }
            Ctrl::Gone => {
                let _ = tls_buf;
                Ok(Some(0))
            }
        }
    }

    /// After [`Ctrl::readable`] in clear: what is queued (`WouldBlock` when nothing was after all).
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Ctrl::Plain(s) => s.try_read(buf),
            _ => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Ctrl::Plain(s) => s.write_all(bytes).await,
            #[cfg(feature = "tls")]
            Ctrl::Tls(t) => {
                t.write_all(bytes).await?;
                t.flush().await
            }
            Ctrl::Gone => Err(io::Error::new(io::ErrorKind::NotConnected, "control connection gone")),
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        match self {
            Ctrl::Plain(s) => s.flush().await,
            #[cfg(feature = "tls")]
            Ctrl::Tls(t) => t.flush().await,
            Ctrl::Gone => Ok(()),
        }
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            Ctrl::Plain(s) => s.shutdown().await,
            #[cfg(feature = "tls")]
            Ctrl::Tls(t) => t.shutdown().await,
            Ctrl::Gone => Ok(()),
        }
    }
}

/// Serves one control connection until the session closes, the client goes away, or the server shuts down.
/// `implicit`: TLS from the first byte (implicit FTPS).
pub(crate) async fn serve(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>, implicit: bool) -> io::Result<()> {
    stream.set_nodelay(true)?;
    // Keep TCP urgent data in the stream. Clients that send ABOR "out of band" (Python's ftplib sends the whole
    // `ABOR\r\n` with MSG_OOB) have their last byte marked urgent; without this, Linux takes that byte out of the
    // stream and the command line never ends.
    socket2::SockRef::from(&stream).set_out_of_band_inline(true)?;
    let local = stream.local_addr()?;
    #[cfg(feature = "tls")]
    let session_tls = shared.tls.as_ref().map(|t| t.for_session());
    let now = Instant::now().into_std();
    let (mut session, mut wr) = if implicit {
        #[cfg(feature = "tls")]
        {
            let Some(t) = &session_tls else { return Ok(()) };
            // Boxed, as every rarely taken large await of this function: the session's future is as large as its
            // largest await, and every idle session holds it.
            let tls = Box::pin(super::tls::accept(&t.control, stream, shared.settings.data_timeout)).await?;
            (
                ServerSession::new_implicit_tls(shared.settings.session.clone(), peer, local, now),
                Ctrl::Tls(Box::new(tls)),
            )
        }
        #[cfg(not(feature = "tls"))]
        return Ok(());
    } else {
        (ServerSession::new(shared.settings.session.clone(), peer, local, now), Ctrl::Plain(stream))
    };
    let mut io = Io {
        storage: None,
        user: String::new(),
        started: None,
        login_root: None,
        login_rates: RateLimits::default(),
        pace: (Pacer::default(), Pacer::default()),
        listener: None,
        data: None,
        opened: HashMap::new(),
        cancelled: HashSet::new(),
        transfer: None,
        local_ip: local.ip(),
        peer_ip: peer.ip(),
        #[cfg(feature = "tls")]
        tls: session_tls,
        #[cfg(feature = "tls")]
        protect: None,
    };
    let mut work = Work::default();
    let mut stop = shared.shutdown.clone();
    let mut stopping = *stop.borrow();
    // Under TLS only (see `Ctrl::readable`).
    let mut tls_buf = Vec::new();
    let mut counted = crate::proto::session::server::ServerStats::default();
    tracing::debug!(%peer, "session opened");
    loop {
        let drained = drain(&mut session, &mut wr, &mut io, &mut work, &shared, peer).await;
        if let Some(m) = &shared.metrics {
            m.absorb(session.stats(), &mut counted);
        }
        match drained {
            Ok(false) => {}
            Ok(true) => break,
            Err(e) => {
                // The client went away, or stopped reading its replies: clean up below as for any other end.
                tracing::debug!(%peer, error = %e, "control connection write failed");
                break;
            }
        }
        if stopping && work.is_empty() {
            // Work in progress (a transfer) has ended: the session writes its 421 and closes; the drain above
            // writes it on the next turn and ends the loop.
            session.shutdown();
            continue;
        }
        let deadline = session.poll_timeout().map(Instant::from_std);
        tokio::select! {
            read = wr.readable(&mut tls_buf) => {
                let mut buf = [0u8; CTRL_READ];
                let (read, bytes) = match read {
                    Ok(Some(n)) => (Ok(n), tls_buf.as_slice()),
                    Ok(None) => (wr.try_read(&mut buf), buf.as_slice()),
                    Err(e) => (Err(e), buf.as_slice()),
                };
                match read {
                    Ok(0) => break,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => break,
                    Ok(n) => match session.handle_input(Instant::now().into_std(), &bytes[..n]) {
                        Ok(()) => {}
                        Err(ServerError::Closed) => break,
                        Err(e) => tracing::debug!(%peer, error = %e, "input refused"),
                    },
                }
            },
            Some(done) = work.next(), if !work.is_empty() => finish(&mut session, &mut io, &mut work, done),
            accepted = accept(io.listener.as_ref()), if io.listener.is_some() => {
                if let Ok((mut stream, from)) = accepted {
                    // Through a load balancer, the data connection's PROXY header names its real source. Read
                    // here, bounded by the header timeout (a trusted proxy sends it at once).
                    let from = match &shared.settings.proxy {
                        None => from,
                        Some(policy) => match Box::pin(super::proxy::client_of(policy, &mut stream, from, false)).await {
                            Ok((source, _)) => source,
                            Err(e) => {
                                tracing::info!(%peer, %from, error = %e, "data connection refused: PROXY protocol");
                                continue;
                            }
                        },
                    };
                    match session.handle_data_accepted(from) {
                        DataVerdict::Use => {
                            // One passive listener, one data connection: the port closes once it has come (a
                            // second connector is refused by the kernel, and the session stops polling accept).
                            io.data = Some(stream);
                            io.listener = None;
                        }
                        DataVerdict::Refuse(why) => {
                            tracing::info!(%peer, %from, ?why, "data connection refused");
                            drop(stream);
                        }
                    }
                }
            },
            () = sleep_until(deadline), if deadline.is_some() => session.handle_timeout(Instant::now().into_std()),
            _ = stop.changed(), if !stopping => stopping = true,
        }
    }
    // Whatever is still open: abort unfinished uploads (their Drop removes temporary files), close sockets.
    if let Some((_, sock)) = io.transfer.take() {
        let _ = sock.shutdown(std::net::Shutdown::Both);
    }
    work.clear();
    io.opened.clear();
    let _ = wr.shutdown().await;
    tracing::debug!(%peer, "session closed");
    Ok(())
}

/// Writes a reply, giving up when the client has not taken it within `limit` (a client that sends commands but
/// never reads its replies would otherwise hold the session, and its slot, forever: the idle timer cannot fire
/// while the loop waits on a write).
async fn write_timed(wr: &mut Ctrl, bytes: &[u8], limit: Duration) -> io::Result<()> {
    match tokio::time::timeout(limit, wr.write_all(bytes)).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "the client did not read its replies")),
    }
}

async fn accept(listener: Option<&TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Hands a finished piece of work back to the session.
fn finish(session: &mut ServerSession, io: &mut Io, work: &mut Work, done: Done) {
    if io.transfer.as_ref().is_some_and(|(id, _)| *id == done.id) {
        io.transfer = None;
    }
    if io.cancelled.remove(&done.id) {
        return; // the session abandoned it; whatever it opened is dropped here (uploads abort themselves)
    }
    match done.extra {
        Extra::None => {}
        Extra::Listener(l) => io.listener = Some(l),
        Extra::Data(s) => io.data = Some(s),
        Extra::Opened(o) => {
            io.opened.insert(done.id, o);
        }
        Extra::Root(r, rates) => {
            io.login_root = r;
            io.login_rates = rates;
        }
        Extra::Commit(upload) => {
            let (id, bytes) = match done.outcome {
                Outcome::TransferDone { bytes } => (done.id, bytes),
                _ => (done.id, 0),
            };
            work.spawn(id, async move {
                let outcome = data::commit(upload, bytes).await;
                Done { id, outcome, extra: Extra::None }
            });
            return;
        }
    }
    if let Err(e) = session.complete(Instant::now().into_std(), done.id, done.outcome) {
        tracing::debug!(error = %e, "outcome not taken");
    }
}

/// Drains the session's outputs and starts the work it asks for. Returns true when the session closed.
async fn drain(
    session: &mut ServerSession,
    wr: &mut Ctrl,
    io: &mut Io,
    work: &mut Work,
    shared: &Arc<Shared>,
    peer: SocketAddr,
) -> io::Result<bool> {
    let mut closed = false;
    loop {
        let mut progressed = false;
        while let Some(bytes) = session.poll_transmit() {
            write_timed(wr, &bytes, shared.settings.session.idle_timeout).await?;
            progressed = true;
        }
        while let Some(event) = session.poll_event() {
            progressed = true;
            match event {
                ServerEvent::LoggedIn { user, access, anonymous } => {
                    // The virtual host HOST chose (its index in the session's list is its root's here).
                    let settings = &shared.settings;
                    let vhost = session.host().and_then(|h| settings.session.vhosts.iter().position(|v| v == h));
                    let vhost_root = vhost.and_then(|i| settings.vhost_roots.get(i)).cloned();
                    let root = match (anonymous, vhost_root) {
                        (true, Some(r)) => r,
                        (true, None) => settings.anonymous_root.clone().unwrap_or_else(|| settings.root.clone()),
                        (false, r) => io.login_root.take().or(r).unwrap_or_else(|| settings.root.clone()),
                    };
                    match &shared.storage {
                        Some(s) => io.storage = Some(s.clone()),
                        None => match shared.local_root(&root) {
                            Ok(s) => io.storage = Some(s),
                            Err(e) => {
                                tracing::error!(%peer, error = %e, root = %root.display(), "cannot open the user's root")
                            }
                        },
                    }
                    // The session's own buckets, and the user's shared ones (anonymous users have none).
                    let rates = if anonymous { RateLimits::default() } else { std::mem::take(&mut io.login_rates) };
                    let pacer = |down: bool, session: Option<u64>, user_rate: Option<u64>| {
                        let mut buckets: Vec<_> = session.map(super::pace::bucket).into_iter().collect();
                        buckets.extend(user_rate.map(|r| shared.user_bucket(&user, down, r)));
                        Pacer::new(buckets)
                    };
                    let limits = shared.settings.max_rate;
                    io.pace = (pacer(true, limits.down, rates.down), pacer(false, limits.up, rates.up));
                    let (host, client) = (session.host().map(|h| h.name.as_str()), session.client_name());
                    tracing::info!(%peer, %user, ?access, anonymous, host, client, "logged in");
                    io.user = user;
                }
                ServerEvent::CloseData => {
                    io.listener = None;
                    io.data = None;
                }
                ServerEvent::Cancel { id } => {
                    io.cancelled.insert(id);
                    io.opened.remove(&id);
                    if let Some((tid, sock)) = &io.transfer {
                        if *tid == id {
                            let _ = sock.shutdown(std::net::Shutdown::Both);
                        }
                    }
                }
                ServerEvent::Close => closed = true,
                ServerEvent::StartTls => Box::pin(start_tls(wr, io, shared, peer)).await?,
                ServerEvent::StopTls => Box::pin(stop_tls(wr, shared, peer)).await?,
                ServerEvent::Transferred { direction, path, bytes, completed } => {
                    // One line per transfer, in the spirit of xferlog.
                    let ms =
                        io.started.take().map_or(0, |t| u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX));
                    let (user, direction) = (&io.user, direction.name());
                    tracing::info!(target: "ftpkit::transfer", %peer, %user, direction, %path, bytes, completed, ms, "transfer");
                }
                other => tracing::debug!(?other, "event not handled by this adapter"),
            }
        }
        while let Some(request) = session.poll_request() {
            progressed = true;
            #[cfg(feature = "tls")]
            {
                io.protect = session.data_protected().then(|| session.data_tls_verdict(false));
            }
            start(request, io, work, shared);
        }
        if !progressed {
            break;
        }
    }
    if closed {
        wr.flush().await?;
    }
    Ok(closed)
}

/// AUTH was accepted (234 already written in clear): the TLS handshake on the control connection.
async fn start_tls(wr: &mut Ctrl, io: &Io, shared: &Arc<Shared>, peer: SocketAddr) -> io::Result<()> {
    wr.flush().await?;
    #[cfg(feature = "tls")]
    if let (Ctrl::Plain(_), Some(t)) = (&*wr, &io.tls) {
        let Ctrl::Plain(stream) = std::mem::replace(wr, Ctrl::Gone) else { return Ok(()) };
        match super::tls::accept(&t.control, stream, shared.settings.data_timeout).await {
            Ok(tls) => {
                let conn = tls.get_ref().1;
                let (version, suite) = (conn.protocol_version(), conn.negotiated_cipher_suite());
                let client_cert = conn.peer_certificates().is_some_and(|c| !c.is_empty());
                tracing::debug!(%peer, ?version, suite = ?suite.map(|s| s.suite()), client_cert, "control connection under TLS");
                *wr = Ctrl::Tls(Box::new(tls));
                return Ok(());
            }
            Err(e) => {
                tracing::info!(%peer, error = %e, "TLS handshake on the control connection failed");
                return Err(e);
            }
        }
    }
    let _ = (io, shared);
    tracing::error!(%peer, "AUTH accepted without a TLS configuration");
    Err(io::Error::new(io::ErrorKind::Unsupported, "no TLS"))
}

/// CCC was accepted (its 200 already written under TLS): close_notify both ways, then the same TCP connection in
/// clear.
///
/// The client's answer is read record by record off the socket, never more: a client may send its next command
/// in clear right behind its close_notify, and a TLS reader would swallow it. A client that does not answer with
/// a close_notify (curl's default "passive" CCC mode) sends its next command in clear instead; that is taken as
/// the end of TLS too, and the command is left in the socket for the session.
async fn stop_tls(wr: &mut Ctrl, shared: &Arc<Shared>, peer: SocketAddr) -> io::Result<()> {
    wr.flush().await?;
    #[cfg(feature = "tls")]
    if matches!(wr, Ctrl::Tls(_)) {
        let Ctrl::Tls(mut tls) = std::mem::replace(wr, Ctrl::Gone) else { return Ok(()) };
        tls.get_mut().1.send_close_notify();
        tls.flush().await?;
        let (mut tcp, mut conn) = (*tls).into_inner();
        let limit = shared.settings.session.idle_timeout;
        match tokio::time::timeout(limit, super::tls::take_close_notify(&mut tcp, &mut conn)).await {
            Ok(Ok(answered)) => tracing::debug!(%peer, answered, "control connection back in clear (CCC)"),
            Ok(Err(e)) => {
                tracing::info!(%peer, error = %e, "CCC: the client's TLS shutdown failed");
                return Err(e);
            }
            Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "CCC: no answer to close_notify")),
        }
        *wr = Ctrl::Plain(tcp);
        return Ok(());
    }
    let _ = shared;
    tracing::error!(%peer, "CCC accepted on a control connection not under TLS");
    Err(io::Error::new(io::ErrorKind::InvalidInput, "CCC without TLS"))
}

/// Runs a back-end operation for a request; its result is the request's outcome (and its time, with metrics on).
fn on_storage<F, Fut>(work: &mut Work, io: &Io, shared: &Arc<Shared>, id: ServerRequestId, op: &'static str, f: F)
where
    F: FnOnce(Arc<dyn Storage>) -> Fut,
    Fut: std::future::Future<Output = (Outcome, Extra)> + Send + 'static,
{
    let Some(storage) = io.storage.clone() else {
        work.spawn(id, async move { Done { id, outcome: Outcome::PermissionDenied, extra: Extra::None } });
        return;
    };
    let job = f(storage);
    let shared = shared.metrics.is_some().then(|| shared.clone());
    work.spawn(id, async move {
        let t0 = Instant::now();
        let (outcome, extra) = job.await;
        if let Some(m) = shared.as_ref().and_then(|s| s.metrics.as_ref()) {
            m.storage_op(op, t0.elapsed());
        }
        Done { id, outcome, extra }
    });
}

fn result(r: io::Result<Outcome>) -> (Outcome, Extra) {
    (r.unwrap_or_else(|e| data::outcome_of(&e)), Extra::None)
}

/// LIST's lines of `path` (a directory's entries, or the one file) for STAT with a path: at most `max + 1` are
/// read from the back end (one more than the reply carries, so the session can say it cut the listing), so the
/// memory a huge directory takes stays bounded.
async fn list_lines(storage: &dyn Storage, path: &str, max: usize) -> io::Result<Vec<String>> {
    use crate::proto::listing::format_unix_list_line;
    let today = data::today();
    let line = |info: &super::fs::Info| format_unix_list_line(&data::entry_of(info), today).ok();
    let mut listing = match storage.list_path(path).await? {
        super::storage::Listed::Dir(listing) => listing,
        super::storage::Listed::One(me) => return Ok(line(&me).into_iter().collect()),
    };
    let mut lines = Vec::new();
    while lines.len() <= max {
        match listing.next().await {
            Some(info) => lines.extend(line(&info?)),
            None => break,
        }
    }
    Ok(lines)
}

/// Starts the work for one request.
fn start(request: ServerRequest, io: &mut Io, work: &mut Work, shared: &Arc<Shared>) {
    let id = request.id();
    let op = request.name();
    match request {
        ServerRequest::Authenticate { user, password, .. } => {
            let auth = shared.auth.clone();
            let (shared, ip) = (shared.clone(), io.peer_ip);
            work.spawn(id, async move {
                // The back-off's verdict first: refuse (421) or wait as it says, then check.
                match shared.login_verdict(ip) {
                    LoginVerdict::Allow => {}
                    LoginVerdict::Delay(d) => tokio::time::sleep(d).await,
                    LoginVerdict::Refuse(left) => {
                        tracing::warn!(client = %ip, %user, refused_for = ?left, "login refused: too many failed logins");
                        return Done { id, outcome: Outcome::Throttled, extra: Extra::None };
                    }
                }
                let account = if auth.may_block() {
                    tokio::task::spawn_blocking(move || auth.authenticate(&user, &password)).await.ok().flatten()
                } else {
                    auth.authenticate(&user, &password)
                };
                shared.login_result(ip, account.is_some());
                match account {
                    Some(a) => Done { id, outcome: Outcome::LoggedIn(a.access), extra: Extra::Root(a.root, a.rates) },
                    None => Done { id, outcome: Outcome::Denied, extra: Extra::None },
                }
            });
        }
        ServerRequest::Stat { path, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            result(s.metadata(path.as_str()).await.map(|info| Outcome::Entry(Box::new(data::entry_of(&info)))))
        }),
        ServerRequest::Size { path, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            // The adapter reports what the path is; the session picks the reply for a directory.
            result(s.metadata(path.as_str()).await.map(|i| match i.kind {
                super::fs::Kind::File => Outcome::Size(i.size),
                super::fs::Kind::Dir => Outcome::Dir,
                _ => Outcome::NotFound,
            }))
        }),
        ServerRequest::Mtime { path, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            result(s.metadata(path.as_str()).await.map(|i| {
                match crate::proto::listing::DateTime::from_unix(i.mtime, 0) {
                    _ if i.kind == super::fs::Kind::Dir => Outcome::Dir,
                    Some(t) if i.kind == super::fs::Kind::File => Outcome::Time(t),
                    _ => Outcome::NotFound,
                }
            }))
        }),
        ServerRequest::SetMtime { path, time, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            result(s.set_mtime(path.as_str(), time.to_unix()).await.map(|()| Outcome::Ok))
        }),
        ServerRequest::Delete { path, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            result(s.delete(path.as_str()).await.map(|()| Outcome::Ok))
        }),
        ServerRequest::Mkdir { path, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            result(s.mkdir(path.as_str()).await.map(|()| Outcome::Ok))
        }),
        ServerRequest::Rmdir { path, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            result(s.rmdir(path.as_str()).await.map(|()| Outcome::Ok))
        }),
        ServerRequest::Rename { from, to, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            result(s.rename(from.as_str(), to.as_str()).await.map(|()| Outcome::Ok))
        }),
        ServerRequest::OpenRead { path, offset, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            match s.read(path.as_str(), offset).await {
                Ok(r) => (Outcome::File, Extra::Opened(Opened::Read(r))),
                Err(e) => (data::outcome_of(&e), Extra::None),
            }
        }),
        ServerRequest::OpenWrite { path, mode, offset, .. } => {
            on_storage(work, io, shared, id, op, move |s| async move {
                match s.write(path.as_str(), data::write_mode(mode, offset)).await {
                    Ok(up) => {
                        let outcome = if matches!(mode, crate::proto::session::server::WriteMode::Unique) {
                            let name = match &up {
                                WriteStream::File(f) => f.name().to_owned(),
                                WriteStream::Sink(sink) => sink.name().to_owned(),
                            };
                            Outcome::UniqueName(name)
                        } else {
                            Outcome::Ok
                        };
                        (outcome, Extra::Opened(Opened::Write(up)))
                    }
                    Err(e) => (data::outcome_of(&e), Extra::None),
                }
            })
        }
        ServerRequest::List { path, kind, facts, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            match data::listing(s.as_ref(), path.as_str(), kind, facts, data::today()).await {
                Ok(body) => (Outcome::Ok, Extra::Opened(Opened::Listing(body))),
                Err(e) => (data::outcome_of(&e), Extra::None),
            }
        }),
        ServerRequest::Chmod { path, mode, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            result(s.set_mode(path.as_str(), mode).await.map(|()| Outcome::Ok))
        }),
        ServerRequest::Hash { path, algorithm, .. } => {
            let slots = shared.hash_slots.clone();
            on_storage(work, io, shared, id, op, move |s| async move {
                // One of the server's hash slots for the whole read (the semaphore is never closed).
                let _slot = slots.acquire_owned().await.ok();
                result(super::hash::hash(s.as_ref(), path.as_str(), algorithm).await)
            })
        }
        ServerRequest::ListLines { path, max, .. } => on_storage(work, io, shared, id, op, move |s| async move {
            result(list_lines(s.as_ref(), path.as_str(), max).await.map(Outcome::Lines))
        }),
        ServerRequest::ListenPassive { ip, ports, .. } => {
            let start_at = shared.next_passive.fetch_add(1, Ordering::Relaxed);
            work.spawn(id, async move {
                match bind_passive(ip, ports, start_at).await {
                    Some((l, addr)) => Done { id, outcome: Outcome::Bound(addr), extra: Extra::Listener(l) },
                    None => Done { id, outcome: Outcome::PassiveRangeExhausted, extra: Extra::None },
                }
            });
        }
        ServerRequest::ConnectActive { addr, .. } => {
            let source = shared.settings.active_source;
            let timeout = shared.settings.data_timeout;
            let local_ip = io.local_ip;
            work.spawn(id, async move {
                match connect_active(addr, source, local_ip, timeout).await {
                    Ok(s) => Done { id, outcome: Outcome::Ok, extra: Extra::Data(s) },
                    Err(e) => Done { id, outcome: Outcome::Failed(e.to_string()), extra: Extra::None },
                }
            });
        }
        ServerRequest::Transfer { opened, .. } => {
            io.started = Some(Instant::now());
            let (Some(stream), Some(what)) = (io.data.take(), io.opened.remove(&opened)) else {
                work.spawn(id, async move { Done { id, outcome: Outcome::ConnectionLost, extra: Extra::None } });
                return;
            };
            let timeout = shared.settings.data_timeout;
            #[cfg(feature = "tls")]
            if let Some(unresumed) = io.protect {
                let Some(acceptor) = io.tls.as_ref().map(|t| t.data(matches!(what, super::data::Opened::Write(_))))
                else {
                    work.spawn(
                        id,
                        async move { Done { id, outcome: Outcome::TlsHandshakeFailed, extra: Extra::None } },
                    );
                    return;
                };
                if let Ok(clone) = socket2::SockRef::from(&stream).try_clone() {
                    io.transfer = Some((id, clone.into()));
                }
                let pacer = if matches!(what, Opened::Write(_)) { io.pace.1.clone() } else { io.pace.0.clone() };
                work.spawn(id, async move {
                    match super::tls::transfer(acceptor, stream, what, unresumed, timeout, pacer).await {
                        (outcome, Some(upload)) => Done { id, outcome, extra: Extra::Commit(upload) },
                        (outcome, None) => Done { id, outcome, extra: Extra::None },
                    }
                });
                return;
            }
            // Paced (a bandwidth limit): the stream path through the pacer, in bounded chunks (no sendfile).
            let pacer = if matches!(what, Opened::Write(_)) { &io.pace.1 } else { &io.pace.0 };
            if !pacer.is_empty() {
                if let Ok(clone) = socket2::SockRef::from(&stream).try_clone() {
                    io.transfer = Some((id, clone.into()));
                }
                let paced = Paced::new(stream, pacer.clone());
                work.spawn(id, async move {
                    match data::transfer_stream(paced, super::pace::as_streams(what), timeout).await {
                        (outcome, Some(landing)) => Done { id, outcome, extra: Extra::Commit(landing) },
                        (outcome, None) => Done { id, outcome, extra: Extra::None },
                    }
                });
                return;
            }
            // A back end's streams (not files) and listings: the async path, on this runtime.
            if matches!(
                what,
                Opened::Read(ReadStream::Stream(_)) | Opened::Write(WriteStream::Sink(_)) | Opened::Listing(_)
            ) {
                if let Ok(clone) = socket2::SockRef::from(&stream).try_clone() {
                    io.transfer = Some((id, clone.into()));
                }
                work.spawn(id, async move {
                    match data::transfer_stream(stream, what, timeout).await {
                        (outcome, Some(landing)) => Done { id, outcome, extra: Extra::Commit(landing) },
                        (outcome, None) => Done { id, outcome, extra: Extra::None },
                    }
                });
                return;
            }
            // Downloads of files go out from this runtime (non-blocking sendfile on readiness), not from a
            // blocking-pool thread: see `data::send_file_async`.
            #[cfg(any(target_os = "linux", target_os = "android"))]
            let what = match what {
                Opened::Read(ReadStream::File(file)) => {
                    if let Ok(clone) = socket2::SockRef::from(&stream).try_clone() {
                        io.transfer = Some((id, clone.into()));
                    }
                    work.spawn(id, async move {
                        let outcome = data::send_file_async(stream, file, timeout).await;
                        Done { id, outcome, extra: Extra::None }
                    });
                    return;
                }
                other => other,
            };
            let sock = match stream.into_std() {
                Ok(s) => s,
                Err(_) => {
                    work.spawn(id, async move { Done { id, outcome: Outcome::ConnectionLost, extra: Extra::None } });
                    return;
                }
            };
            if let Ok(clone) = sock.try_clone() {
                io.transfer = Some((id, clone));
            }
            work.spawn(id, async move {
                match tokio::task::spawn_blocking(move || data::transfer(sock, what, timeout)).await {
                    Ok((outcome, Some(upload))) => Done { id, outcome, extra: Extra::Commit(upload) },
                    Ok((outcome, None)) => Done { id, outcome, extra: Extra::None },
                    Err(e) => Done { id, outcome: Outcome::Failed(e.to_string()), extra: Extra::None },
                }
            });
        }
        other => {
            tracing::warn!(request = other.name(), "request this adapter does not know");
            work.spawn(
                id,
                async move { Done { id, outcome: Outcome::Failed("not supported".into()), extra: Extra::None } },
            );
        }
    }
}

/// Binds a listener on `ip` at the first free port of `ports`, starting at a rotating offset. Never port 0.
async fn bind_passive(ip: IpAddr, ports: RangeInclusive<u16>, start_at: u32) -> Option<(TcpListener, SocketAddr)> {
    let (lo, hi) = (u32::from(*ports.start()), u32::from(*ports.end()));
    if lo == 0 || lo > hi {
        return None;
    }
    let n = hi - lo + 1;
    for k in 0..n {
        let port = lo + (start_at.wrapping_add(k) % n);
        let addr = SocketAddr::new(ip, port as u16);
        if let Ok(l) = TcpListener::bind(addr).await {
            return Some((l, addr));
        }
    }
    None
}

/// Connects to the client's data port, from port 20 when configured and possible.
async fn connect_active(
    addr: SocketAddr,
    source: ActiveSource,
    local: IpAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let socket = || if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() };
    let mut sock = socket()?;
    if source == ActiveSource::Port20OrEphemeral {
        sock.set_reuseaddr(true)?;
        if sock.bind(SocketAddr::new(local, 20)).is_err() {
            sock = socket()?;
        }
    }
    if sock.local_addr().map(|a| a.port() == 0).unwrap_or(true) && local.is_ipv4() == addr.is_ipv4() {
        // Ephemeral port, but from the control connection's address (the client may check it).
        sock.bind(SocketAddr::new(local, 0))?;
    }
    match tokio::time::timeout(timeout, sock.connect(addr)).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "active data connection timed out")),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::time::Duration;

    /// Reads one reply (its last line) from the control connection.
    fn reply(r: &mut BufReader<std::net::TcpStream>) -> String {
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return line;
            }
            if line.as_bytes().get(3) == Some(&b' ') {
                return line;
            }
        }
    }

    /// A control connection to `addr`, logged in as `u`: the socket, a reader and a writer of it.
    fn logged_in(
        addr: std::net::SocketAddr,
    ) -> (std::net::TcpStream, BufReader<std::net::TcpStream>, std::net::TcpStream) {
        let ctrl = std::net::TcpStream::connect(addr).unwrap();
        ctrl.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut r = BufReader::new(ctrl.try_clone().unwrap());
        let mut w = ctrl.try_clone().unwrap();
        assert!(reply(&mut r).starts_with("220 "));
        w.write_all(b"USER u\r\nPASS p\r\n").unwrap();
        assert!(reply(&mut r).starts_with("331 "));
        assert!(reply(&mut r).starts_with("230 "));
        (ctrl, r, w)
    }

    /// Python's ftplib (`FTP.abort`) sends `ABOR\r\n` with `MSG_OOB`: the last byte becomes TCP urgent data, which
    /// a socket without `SO_OOBINLINE` drops from the stream, so the command line would never end.
    #[test]
    fn a_line_end_sent_as_urgent_data_still_ends_the_command() {
        let root = tempfile::tempdir().unwrap();
        let (_rt, addr) = crate::server::tests::serve_on(root.path(), |b| b);
        let (ctrl, mut r, mut w) = logged_in(addr);
        // As `sendall(b"NOOP\r\n", MSG_OOB)` does on Linux: one segment, its last byte urgent.
        assert_eq!(socket2::SockRef::from(&ctrl).send_out_of_band(b"NOOP\r\n").unwrap(), 6);
        assert!(reply(&mut r).starts_with("200 "), "no reply to a command whose line end came as urgent data");
        w.write_all(b"QUIT\r\n").unwrap();
        assert!(reply(&mut r).starts_with("221 "));
    }

    /// A memory back end with hooks: `metadata` panics on `panic_on` (a bug in a back end); `read` of the gated
    /// path says it started (`entered`) and then waits for a permit of `gate`.
    #[derive(Debug, Default)]
    struct Hooked {
        inner: crate::server::storage::MemoryStorage,
        panic_on: Option<&'static str>,
        gate: Option<(&'static str, std::sync::Arc<tokio::sync::Semaphore>)>,
        entered: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }

    impl crate::server::storage::Storage for Hooked {
        fn capabilities(&self) -> crate::server::storage::StorageCaps {
            self.inner.capabilities()
        }
        fn metadata<'a>(&'a self, path: &'a str) -> BoxFuture<'a, std::io::Result<super::super::fs::Info>> {
            assert_ne!(Some(path), self.panic_on, "a bug in the back end");
            self.inner.metadata(path)
        }
        fn list<'a>(&'a self, path: &'a str) -> BoxFuture<'a, std::io::Result<crate::server::storage::Listing>> {
            self.inner.list(path)
        }
        fn read<'a>(&'a self, path: &'a str, offset: u64) -> BoxFuture<'a, std::io::Result<super::ReadStream>> {
            Box::pin(async move {
                if let Some((gated, gate)) = &self.gate {
                    if *gated == path {
                        self.entered.store(true, std::sync::atomic::Ordering::SeqCst);
                        gate.acquire().await.unwrap().forget();
                    }
                }
                self.inner.read(path, offset).await
            })
        }
        fn write<'a>(
            &'a self,
            path: &'a str,
            mode: super::super::fs::WriteMode,
        ) -> BoxFuture<'a, std::io::Result<super::WriteStream>> {
            self.inner.write(path, mode)
        }
        fn rename<'a>(&'a self, from: &'a str, to: &'a str) -> BoxFuture<'a, std::io::Result<()>> {
            self.inner.rename(from, to)
        }
        fn delete<'a>(&'a self, path: &'a str) -> BoxFuture<'a, std::io::Result<()>> {
            self.inner.delete(path)
        }
        fn mkdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, std::io::Result<()>> {
            self.inner.mkdir(path)
        }
        fn rmdir<'a>(&'a self, path: &'a str) -> BoxFuture<'a, std::io::Result<()>> {
            self.inner.rmdir(path)
        }
        fn set_mtime<'a>(&'a self, path: &'a str, mtime: i64) -> BoxFuture<'a, std::io::Result<()>> {
            self.inner.set_mtime(path, mtime)
        }
    }

    /// Server-wide HASH slots: with one, a second session's HASH waits until the first one's is done; with two, it
    /// is answered while the first still waits.
    #[test]
    fn hashes_beyond_the_servers_slots_wait_their_turn() {
        for slots in [1, 2] {
            let root = tempfile::tempdir().unwrap();
            let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
            let storage = Hooked { gate: Some(("/slow", gate.clone())), ..Hooked::default() };
            storage.inner.put("/slow", b"abc".to_vec()).unwrap();
            storage.inner.put("/fast", b"abc".to_vec()).unwrap();
            let entered = storage.entered.clone();
            let (_rt, addr) = crate::server::tests::serve_on(root.path(), |b| {
                b.storage(std::sync::Arc::new(storage)).max_hashes(slots)
            });
            let (_a, mut ra, mut wa) = logged_in(addr);
            let (b, mut rb, mut wb) = logged_in(addr);
            wa.write_all(b"HASH /slow\r\n").unwrap();
            // The first HASH holds a slot (and waits at the gate) before the second is sent.
            let until = std::time::Instant::now() + Duration::from_secs(5);
            while !entered.load(std::sync::atomic::Ordering::SeqCst) && std::time::Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            assert!(entered.load(std::sync::atomic::Ordering::SeqCst), "the first HASH never read its file");
            wb.write_all(b"HASH /fast\r\n").unwrap();
            b.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
            let early = reply(&mut rb);
            if slots == 1 {
                assert_eq!(early, "", "a HASH was answered while the only slot was taken");
            } else {
                assert!(early.starts_with("213 "), "a free slot, yet: {early:?}");
            }
            gate.add_permits(1);
            assert!(reply(&mut ra).starts_with("213 "));
            if slots == 1 {
                b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let late = reply(&mut rb);
                assert!(late.starts_with("213 "), "the waiting HASH, once the slot was free: {late:?}");
            }
        }
    }

    use super::BoxFuture;

    /// A request whose work panics (a back end's bug) fails alone (`Failed`: SIZE's failure reply, not a hang);
    /// the session goes on.
    #[test]
    fn a_request_that_panics_fails_alone_and_the_session_goes_on() {
        let root = tempfile::tempdir().unwrap();
        let storage = std::sync::Arc::new(Hooked { panic_on: Some("/boom"), ..Hooked::default() });
        let (_rt, addr) = crate::server::tests::serve_on(root.path(), |b| b.storage(storage));
        let (_ctrl, mut r, mut w) = logged_in(addr);
        w.write_all(b"SIZE /boom\r\n").unwrap();
        let got = reply(&mut r);
        assert!(got.starts_with("550 ") || got.starts_with("451 "), "a panicking request's reply: {got:?}");
        w.write_all(b"PWD\r\nNOOP\r\n").unwrap();
        assert!(reply(&mut r).starts_with("257 "));
        assert!(reply(&mut r).starts_with("200 "));
        w.write_all(b"QUIT\r\n").unwrap();
        assert!(reply(&mut r).starts_with("221 "));
    }
}
