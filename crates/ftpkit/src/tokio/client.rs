//! The tokio client: an async drive loop over the sans-IO session. See the [module docs](super).

use crate::client::{self, unexpected, Error, Mode, Options, Result};
use crate::proto::command::TransferType;
use crate::proto::listing::{DateTime, Entry};
use crate::proto::reply::Reply;
use crate::proto::session::client::{ClientSession, DataMode, Event, RequestId, SessionError, Transfer, TransferKind};
use crate::proto::session::DataEvent;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::time::{timeout, Instant, Sleep};

/// An async FTP client.
#[derive(Debug)]
pub struct Client {
    ctrl: TcpStream,
    session: ClientSession,
    opts: Options,
    rbuf: Vec<u8>,
    /// Control bytes taken from the session and not written yet (only an abort begun in `drop` leaves some).
    wbuf: Vec<u8>,
    /// The data connection of the transfer being set up.
    data: Option<TcpStream>,
    /// The active-mode listener of the transfer being set up.
    listener: Option<TcpListener>,
    /// Active mode: a connection the server made before the session asked for it (some servers connect as soon as
    /// they accept `PORT`, before their reply); reported at the session's `AcceptData`.
    early: Option<(TcpStream, SocketAddr)>,
    /// Active mode: the session said `AcceptData` for the transfer being set up.
    accept_wanted: bool,
    /// An abort begun without waiting (a dropped transfer): its replies are read before the next request's.
    abort_owed: Option<RequestId>,
    /// The aborted transfer's data connection, set to linger 0; dropped (reset) once `ABOR` is written.
    orphan: Option<TcpStream>,
    /// Partial control lines not yet traced.
    trace_buf: client::TraceBuf,
}

/// What the drive loop is waiting for.
enum Until {
    /// The final event of request `id`.
    Done(RequestId),
    /// `DataReady` (or failure) of transfer `id`.
    DataReady(RequestId),
}

impl Until {
    fn id(&self) -> RequestId {
        match self {
            Until::Done(id) | Until::DataReady(id) => *id,
        }
    }
}

impl Client {
    /// Connects with default options and reads the greeting.
    pub async fn connect(addr: impl ToSocketAddrs) -> Result<Client> {
        Client::connect_with(addr, Options::default()).await
    }

    /// Connects, trying each resolved address in turn (each within [`Options::connect_timeout`]), and reads the
    /// greeting.
    pub async fn connect_with(addr: impl ToSocketAddrs, opts: Options) -> Result<Client> {
        let limit = opts.connect_timeout;
        let addrs =
            timeout(limit, tokio::net::lookup_host(addr)).await.map_err(|_| Error::Timeout("a name lookup"))??;
        let mut last = None;
        for a in addrs {
            match timeout(limit, TcpStream::connect(a)).await {
                Ok(Ok(s)) => return Client::from_stream(s, opts).await,
                Ok(Err(e)) => last = Some(Error::Io(e)),
                Err(_) => last = Some(Error::Timeout("the control connection")),
            }
        }
        Err(last.unwrap_or(Error::Timeout("an address to connect to")))
    }

    /// Wraps an already connected control connection and reads the greeting.
    pub async fn from_stream(ctrl: TcpStream, opts: Options) -> Result<Client> {
        ctrl.set_nodelay(true)?;
        let peer = ctrl.peer_addr()?;
        let config = client::session_config(peer, &opts);
        let mut c = Client {
            ctrl,
            session: ClientSession::new(config),
            opts,
            rbuf: vec![0; 8192],
            wbuf: Vec::new(),
            data: None,
            listener: None,
            early: None,
            trace_buf: client::TraceBuf::default(),
            accept_wanted: false,
            abort_owed: None,
            orphan: None,
        };
        c.wait_greeting().await?;
        Ok(c)
    }

    /// The session (read-only), for its features and state.
    pub fn session(&self) -> &ClientSession {
        &self.session
    }

    /// Changes passive/active mode for the next transfers.
    pub fn set_mode(&mut self, mode: Mode) {
        self.opts.mode = mode;
    }

    /// Logs in, then asks for the server's features (FEAT; its failure is not an error) and sets binary type.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<()> {
        self.ask(|s| s.login(user, password, None)).await?;
        if let Ok(id) = self.session.feat() {
            let _ = self.run(Until::Done(id)).await;
        }
        self.set_type(TransferType::Image).await
    }

    /// Sets the transfer type (`TYPE I` binary, `TYPE A` ASCII).
    pub async fn set_type(&mut self, t: TransferType) -> Result<()> {
        self.ask(|s| s.type_(t)).await.map(drop)
    }

    /// The working directory (PWD).
    pub async fn pwd(&mut self) -> Result<String> {
        match self.ask(ClientSession::pwd).await? {
            Event::Path { path, .. } => Ok(path),
            other => Err(unexpected(other)),
        }
    }

    /// Changes the working directory.
    pub async fn cwd(&mut self, path: &str) -> Result<()> {
        self.ask(|s| s.cwd(path)).await.map(drop)
    }

    /// Makes a directory; returns its path when the server says it.
    pub async fn mkdir(&mut self, path: &str) -> Result<Option<String>> {
        match self.ask(|s| s.mkd(path)).await? {
            Event::Path { path, .. } => Ok(Some(path)),
            _ => Ok(None),
        }
    }

    /// Removes a directory.
    pub async fn rmdir(&mut self, path: &str) -> Result<()> {
        self.ask(|s| s.rmd(path)).await.map(drop)
    }

    /// Deletes a file.
    pub async fn delete(&mut self, path: &str) -> Result<()> {
        self.ask(|s| s.dele(path)).await.map(drop)
    }

    /// Renames (RNFR + RNTO).
    pub async fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        self.ask(|s| s.rename(from, to)).await.map(drop)
    }

    /// A file's size (SIZE).
    pub async fn size(&mut self, path: &str) -> Result<u64> {
        match self.ask(|s| s.size(path)).await? {
            Event::Size { size, .. } => Ok(size),
            other => Err(unexpected(other)),
        }
    }

    /// A file's modification time, UTC (MDTM).
    pub async fn mdtm(&mut self, path: &str) -> Result<DateTime> {
        match self.ask(|s| s.mdtm(path)).await? {
            Event::Modified { time, .. } => Ok(time),
            other => Err(unexpected(other)),
        }
    }

    /// NOOP.
    pub async fn noop(&mut self) -> Result<()> {
        self.ask(ClientSession::noop).await.map(drop)
    }

    /// A SITE command; returns the server's reply.
    pub async fn site(&mut self, text: &str) -> Result<Reply> {
        match self.ask(|s| s.site(text)).await? {
            Event::Done { reply, .. } => Ok(reply),
            other => Err(unexpected(other)),
        }
    }

    /// Ends the session (QUIT) and closes the connection.
    pub async fn quit(mut self) -> Result<()> {
        match self.ask(ClientSession::quit).await {
            Ok(_) | Err(Error::Closed(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The entries of a directory, parsed: MLSD when the server has it, LIST otherwise. Lines no parser
    /// understands are left out; use [`Client::list_raw`] to see them.
    pub async fn list(&mut self, path: Option<&str>) -> Result<Vec<Entry<'static>>> {
        let mlsd = self.session.features().is_some_and(|f| f.supports_mlsd());
        let kind = if mlsd {
            TransferKind::Mlsd(path.map(str::to_owned))
        } else {
            TransferKind::List(path.map(str::to_owned))
        };
        let data = self.read_all(kind).await?;
        Ok(client::parse_entries(&data, mlsd, client::today()).0)
    }

    /// The raw LIST lines.
    pub async fn list_raw(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        let data = self.read_all(TransferKind::List(path.map(str::to_owned))).await?;
        Ok(client::parse_names(&data))
    }

    /// The names in a directory (NLST).
    pub async fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        let data = self.read_all(TransferKind::Nlst(path.map(str::to_owned))).await?;
        Ok(client::parse_names(&data))
    }

    /// Downloads a file into `out` (flushed at the end); returns the bytes copied.
    pub async fn retrieve_to(&mut self, path: &str, out: &mut (impl AsyncWrite + Unpin)) -> Result<u64> {
        self.retrieve_from(path, 0, out).await
    }

    /// Downloads a file from byte `offset` (REST) into `out`: resumes a partial download.
    pub async fn retrieve_from(&mut self, path: &str, offset: u64, out: &mut (impl AsyncWrite + Unpin)) -> Result<u64> {
        let size = self.opts.buffer_size;
        let mut stream = self.retrieve_at(path, offset).await?;
        let n = copy(&mut stream, out, size).await?;
        stream.finish().await?;
        Ok(n)
    }

    /// Starts a download; read the file from the returned stream, then call [`Download::finish`].
    pub async fn retrieve(&mut self, path: &str) -> Result<Download<'_>> {
        self.retrieve_at(path, 0).await
    }

    async fn retrieve_at(&mut self, path: &str, offset: u64) -> Result<Download<'_>> {
        let rest = (offset > 0).then_some(offset);
        let (id, sock) = self.start_transfer(TransferKind::Retr(path.to_owned()), rest).await?;
        Ok(Download::new(self, id, sock))
    }

    /// Uploads `input` to `path` (STOR); returns the bytes sent.
    pub async fn store_from(&mut self, path: &str, input: &mut (impl AsyncRead + Unpin)) -> Result<u64> {
        self.upload_from(TransferKind::Stor(path.to_owned()), None, input).await
    }

    /// Appends `input` to `path` (APPE).
    pub async fn append_from(&mut self, path: &str, input: &mut (impl AsyncRead + Unpin)) -> Result<u64> {
        self.upload_from(TransferKind::Appe(path.to_owned()), None, input).await
    }

    /// Resumes an upload: writes `input` into `path` from byte `offset` (REST + STOR).
    pub async fn store_at(&mut self, path: &str, offset: u64, input: &mut (impl AsyncRead + Unpin)) -> Result<u64> {
        self.upload_from(TransferKind::Stor(path.to_owned()), Some(offset), input).await
    }

    /// Starts an upload; write the file into the returned stream, then call [`Upload::finish`].
    pub async fn store(&mut self, path: &str) -> Result<Upload<'_>> {
        let (id, sock) = self.start_transfer(TransferKind::Stor(path.to_owned()), None).await?;
        Ok(Upload::new(self, id, sock))
    }

    async fn upload_from(
        &mut self,
        kind: TransferKind,
        rest: Option<u64>,
        input: &mut (impl AsyncRead + Unpin),
    ) -> Result<u64> {
        let size = self.opts.buffer_size;
        let (id, sock) = self.start_transfer(kind, rest).await?;
        let mut up = Upload::new(self, id, sock);
        let n = copy(input, &mut up, size).await?;
        up.finish().await?;
        Ok(n)
    }

    /// Downloads a whole data transfer into memory (listings).
    async fn read_all(&mut self, kind: TransferKind) -> Result<Vec<u8>> {
        let (id, sock) = self.start_transfer(kind, None).await?;
        let mut d = Download::new(self, id, sock);
        let mut out = Vec::new();
        d.read_to_end(&mut out).await?;
        d.finish().await?;
        Ok(out)
    }

    /// Settles what an earlier dropped transfer left, makes one request and waits for its final event.
    async fn ask(&mut self, make: impl FnOnce(&mut ClientSession) -> Result<RequestId, SessionError>) -> Result<Event> {
        self.settle().await?;
        let id = make(&mut self.session)?;
        self.run(Until::Done(id)).await
    }

    /// Asks for a transfer and drives the session until data may flow; returns the data connection.
    async fn start_transfer(&mut self, kind: TransferKind, rest: Option<u64>) -> Result<(RequestId, TcpStream)> {
        self.settle().await?;
        let mode = match self.opts.mode {
            Mode::Passive if self.opts.extended_passive => DataMode::Passive,
            Mode::Passive => DataMode::Pasv,
            Mode::Active => {
                let local = self.ctrl.local_addr()?;
                let listener = TcpListener::bind(SocketAddr::new(local.ip(), 0)).await?;
                let addr = listener.local_addr()?;
                self.listener = Some(listener);
                DataMode::Active(addr)
            }
        };
        let mut transfer = Transfer::new(kind, mode);
        if let Some(r) = rest {
            transfer = transfer.restart_at(r);
        }
        let result = match self.session.transfer(transfer) {
            Ok(id) => self.run(Until::DataReady(id)).await.map(|_| id),
            Err(e) => Err(e.into()),
        };
        self.listener = None;
        self.early = None;
        self.accept_wanted = false;
        let id = result?;
        let sock = self.data.take().ok_or(Error::Timeout("the data connection"))?;
        Ok((id, sock))
    }

    /// Finishes an abort begun without waiting: writes the rest of `ABOR`, resets the data connection, and reads
    /// the abort's replies.
    async fn settle(&mut self) -> Result<()> {
        self.flush().await?;
        if let Some(id) = self.abort_owed {
            let r = self.run(Until::Done(id)).await;
            self.abort_owed = None;
            r?;
        }
        Ok(())
    }

    /// Starts aborting the transfer in progress without waiting (usable from `drop`): the session queues `ABOR`, it
    /// is written if the socket takes it now, and the data connection (linger 0) is reset once `ABOR` is out.
    fn begin_abort(&mut self, sock: Option<TcpStream>) {
        if let Some(s) = &sock {
            // Linger 0: closing sends a reset, not a FIN, so the server cannot take cut-off data for a whole file.
            if let Err(e) = socket2::SockRef::from(s).set_linger(Some(Duration::ZERO)) {
                tracing::debug!(error = %e, "cannot set linger 0 on the data connection");
            }
        }
        match self.session.abort() {
            Ok(id) => {
                self.abort_owed = Some(id);
                self.stage();
                self.try_write_now();
                if self.wbuf.is_empty() {
                    drop(sock);
                } else {
                    self.orphan = sock;
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "nothing to abort");
                drop(sock);
            }
        }
    }

    async fn wait_greeting(&mut self) -> Result<()> {
        loop {
            self.flush().await?;
            while let Some(ev) = self.session.poll_event() {
                match ev {
                    Event::Greeting { .. } => return Ok(()),
                    Event::Closed { reason, .. } => return Err(Error::Closed(reason)),
                    _ => {}
                }
            }
            if self.session.is_closed() {
                return Err(Error::Protocol(SessionError::Closed));
            }
            self.read_control().await?;
        }
    }

    /// Moves what the session has to send into the write buffer (traced).
    fn stage(&mut self) {
        while let Some(bytes) = self.session.poll_transmit() {
            self.trace_buf.feed(self.opts.trace.as_ref(), true, &bytes);
            self.wbuf.extend_from_slice(&bytes);
        }
    }

    /// Writes what the socket takes without waiting.
    fn try_write_now(&mut self) {
        while !self.wbuf.is_empty() {
            match self.ctrl.try_write(&self.wbuf) {
                Ok(0) | Err(_) => break, // the next flush writes the rest, or reports the error
                Ok(n) => drop(self.wbuf.drain(..n.min(self.wbuf.len()))),
            }
        }
    }

    /// Writes what the session has to send; then an aborted transfer's data connection may be reset.
    async fn flush(&mut self) -> Result<()> {
        self.stage();
        if !self.wbuf.is_empty() {
            match timeout(self.opts.reply_timeout, self.ctrl.write_all(&self.wbuf)).await {
                Ok(Ok(())) => self.wbuf.clear(),
                Ok(Err(e)) => {
                    self.session.handle_close();
                    return Err(e.into());
                }
                Err(_) => return Err(self.timed_out("the control connection to take a command")),
            }
        }
        self.orphan = None;
        Ok(())
    }

    /// Reads once from the control connection (within the reply timeout) and feeds the session.
    async fn read_control(&mut self) -> Result<()> {
        match timeout(self.opts.reply_timeout, self.ctrl.read(&mut self.rbuf)).await {
            Ok(r) => self.on_read(r),
            Err(_) => Err(self.timed_out("a reply")),
        }
    }

    /// Feeds what a control read gave. A reply that makes no sense still answers the request in flight (its
    /// failure event comes out of the session), so the session's error is only logged.
    fn on_read(&mut self, r: io::Result<usize>) -> Result<()> {
        match r {
            Ok(0) => {
                self.session.handle_close();
                Ok(())
            }
            Ok(n) => {
                let bytes = self.rbuf.get(..n).unwrap_or_default();
                self.trace_buf.feed(self.opts.trace.as_ref(), false, bytes);
                let verdict = self.session.handle_input(bytes);
                client::judge_input(&mut self.session, verdict)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => {
                self.session.handle_close();
                Err(e.into())
            }
        }
    }

    /// A wait on the control connection timed out: replies can no longer be matched to requests, so the session is
    /// closed (as the session's docs ask) and its sockets dropped.
    fn timed_out(&mut self, what: &'static str) -> Error {
        self.session.handle_close();
        self.data = None;
        self.listener = None;
        self.early = None;
        self.orphan = None;
        Error::Timeout(what)
    }

    /// The drive loop: write, handle events, wait (for a reply, or in active mode also the server's connection),
    /// until the awaited event.
    async fn run(&mut self, until: Until) -> Result<Event> {
        loop {
            self.flush().await?;
            while let Some(ev) = self.session.poll_event() {
                if let Some(done) = self.on_event(ev, &until).await? {
                    self.flush().await?;
                    return Ok(done);
                }
                self.flush().await?;
            }
            if self.session.is_closed() {
                return Err(Error::Protocol(SessionError::Closed));
            }
            if self.listener.is_some() && self.data.is_none() && self.early.is_none() {
                self.wait_accept_or_reply(&until).await?;
            } else {
                self.read_control().await?;
            }
        }
    }

    /// Active mode: waits for the server's data connection and for control replies at once.
    async fn wait_accept_or_reply(&mut self, until: &Until) -> Result<()> {
        enum Woke {
            Accepted(io::Result<(TcpStream, SocketAddr)>),
            Read(io::Result<usize>),
            Slept,
        }
        let Some(listener) = self.listener.as_ref() else { return Ok(()) };
        let woke = tokio::select! {
            r = listener.accept() => Woke::Accepted(r),
            r = self.ctrl.read(&mut self.rbuf) => Woke::Read(r),
            () = tokio::time::sleep(self.opts.data_timeout) => Woke::Slept,
        };
        match woke {
            Woke::Accepted(Ok((sock, from))) => {
                if self.accept_wanted {
                    self.report_accepted(until.id(), sock, from);
                } else {
                    self.early = Some((sock, from));
                }
                Ok(())
            }
            Woke::Accepted(Err(e)) => Err(e.into()),
            Woke::Read(r) => self.on_read(r),
            Woke::Slept => Err(self.timed_out("the server's data connection")),
        }
    }

    /// Tells the session about an accepted data connection; keeps it if the session takes it (it refuses one from a
    /// foreign host, and the wait for the server's connection goes on).
    fn report_accepted(&mut self, id: RequestId, sock: TcpStream, from: SocketAddr) {
        match self.session.handle_data(id, DataEvent::Accepted { from }) {
            Ok(()) => {
                client::trace_endpoints(self.opts.trace.as_ref(), sock.local_addr(), sock.peer_addr());
                self.data = Some(sock);
            }
            Err(e) => tracing::warn!(%from, error = %e, "data connection refused"),
        }
    }

    /// Acts on one event; returns it when it is the awaited one, an error when it ends the wait badly. Failures of
    /// other requests (an aborted transfer's `426` while the abort is awaited) are logged, not returned.
    async fn on_event(&mut self, ev: Event, until: &Until) -> Result<Option<Event>> {
        let awaited = until.id();
        match ev {
            Event::ConnectData { id, addr, nat } => {
                if let Some(n) = nat {
                    tracing::info!(announced = %n.announced, used = %n.used, reason = ?n.reason, "227 address replaced");
                }
                let fact = match timeout(self.opts.data_timeout, TcpStream::connect(addr)).await {
                    Ok(Ok(sock)) => {
                        client::trace_endpoints(self.opts.trace.as_ref(), sock.local_addr(), sock.peer_addr());
                        self.data = Some(sock);
                        DataEvent::Connected
                    }
                    Ok(Err(e)) => DataEvent::Failed { reason: e.to_string() },
                    Err(_) => DataEvent::Failed { reason: format!("no connection to {addr} in time") },
                };
                self.session.handle_data(id, fact)?;
                Ok(None)
            }
            Event::AcceptData { id, .. } => {
                self.accept_wanted = true;
                if let Some((sock, from)) = self.early.take() {
                    self.report_accepted(id, sock, from);
                }
                Ok(None)
            }
            Event::DataReady { id } if matches!(until, Until::DataReady(w) if *w == id) => {
                Ok(Some(Event::DataReady { id }))
            }
            Event::TransferFailed { id, failure, reply } if id == awaited => {
                self.data = None;
                Err(Error::Transfer { failure, reply })
            }
            Event::LoginFailed { id, reply } if id == awaited => Err(Error::LoginFailed(reply)),
            Event::Failed { id, reply } if id == awaited => Err(Error::Refused(reply)),
            Event::Closed { reason, .. } => Err(Error::Closed(reason)),
            ev => {
                let done = client::final_id(&ev) == Some(awaited) && matches!(until, Until::Done(_));
                if !done {
                    tracing::trace!(event = ?ev, "event passed over");
                }
                Ok(done.then_some(ev))
            }
        }
    }
}

/// Copies `r` into `w` with a buffer of `size` bytes (at least 4 KiB), then flushes `w`.
async fn copy<R, W>(r: &mut R, w: &mut W, size: usize) -> Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0u8; size.max(4096)];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        w.write_all(buf.get(..n).unwrap_or_default()).await?;
        total += n as u64;
    }
    w.flush().await?;
    Ok(total)
}

/// A data connection's stall timer: fires when no progress was made for `limit`.
struct Idle {
    limit: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl Idle {
    fn new(limit: Duration) -> Idle {
        Idle { limit, sleep: None, armed: false }
    }

    /// Progress was made: the next wait starts a new period.
    fn progress(&mut self) {
        self.armed = false;
    }

    /// Called when the socket is not ready: an error once the period has run out.
    fn poll_stalled(&mut self, cx: &mut Context<'_>, what: &str) -> Poll<io::Error> {
        let deadline = Instant::now() + self.limit;
        let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !self.armed {
            sleep.as_mut().reset(deadline);
            self.armed = true;
        }
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.armed = false;
                Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, format!("{what}: no progress in {:?}", self.limit)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl std::fmt::Debug for Idle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idle").field("limit", &self.limit).field("armed", &self.armed).finish()
    }
}

/// A download in progress: read it to the end, then [`Download::finish`]. Reads fail with
/// [`io::ErrorKind::TimedOut`] after [`Options::data_timeout`] without data. Dropping it unfinished aborts the
/// transfer: at once as far as possible without waiting, the rest at the start of the client's next call (see the
/// [module docs](super#dropping-a-transfer-unfinished)).
#[derive(Debug)]
pub struct Download<'a> {
    client: &'a mut Client,
    id: RequestId,
    sock: Option<TcpStream>,
    eof: bool,
    idle: Idle,
}

impl<'a> Download<'a> {
    fn new(client: &'a mut Client, id: RequestId, sock: TcpStream) -> Download<'a> {
        let idle = Idle::new(client.opts.data_timeout);
        Download { client, id, sock: Some(sock), eof: false, idle }
    }

    /// Reads what is left, then waits for the server's final reply (226).
    pub async fn finish(mut self) -> Result<Reply> {
        if !self.eof {
            tokio::io::copy(&mut self, &mut tokio::io::sink()).await?;
        }
        let id = self.id;
        match self.client.run(Until::Done(id)).await? {
            Event::TransferComplete { reply, .. } => Ok(reply),
            other => Err(unexpected(other)),
        }
    }

    /// Stops the download: ABOR, the data connection reset, then the 426/226 pair.
    pub async fn abort(mut self) -> Result<()> {
        self.eof = true;
        let sock = self.sock.take();
        self.client.begin_abort(sock);
        self.client.settle().await
    }
}

impl AsyncRead for Download<'_> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(sock) = this.sock.as_mut() else { return Poll::Ready(Ok(())) };
        let before = buf.filled().len();
        match Pin::new(sock).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.idle.progress();
                if buf.filled().len() == before && buf.remaining() > 0 {
                    this.eof = true;
                    this.sock = None;
                    this.client.session.handle_data(this.id, DataEvent::Eof).map_err(io::Error::other)?;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.idle.poll_stalled(cx, "download").map(Err),
        }
    }
}

impl Drop for Download<'_> {
    fn drop(&mut self) {
        if !self.eof {
            let sock = self.sock.take();
            self.client.begin_abort(sock);
        }
    }
}

/// An upload in progress: write the data, then [`Upload::finish`]. Writes fail with [`io::ErrorKind::TimedOut`]
/// after [`Options::data_timeout`] without progress. Dropping it unfinished aborts the transfer (the server keeps
/// no partial file under the name, if it honours the reset): at once as far as possible without waiting, the rest
/// at the start of the client's next call (see the [module docs](super#dropping-a-transfer-unfinished)).
#[derive(Debug)]
pub struct Upload<'a> {
    client: &'a mut Client,
    id: RequestId,
    sock: Option<TcpStream>,
    /// `poll_shutdown` already ended the data (the caller shut the stream down before `finish`).
    shut: bool,
    idle: Idle,
}

impl<'a> Upload<'a> {
    fn new(client: &'a mut Client, id: RequestId, sock: TcpStream) -> Upload<'a> {
        let idle = Idle::new(client.opts.data_timeout);
        Upload { client, id, sock: Some(sock), shut: false, idle }
    }

    /// Ends the data (a FIN), waits for the server to close its side too, then for its final reply (226).
    pub async fn finish(mut self) -> Result<Reply> {
        let limit = self.client.opts.data_timeout;
        if let Some(s) = self.sock.as_mut() {
            if !self.shut {
                timeout(limit, s.shutdown()).await.map_err(|_| Error::Timeout("the end of the upload"))??;
            }
            // The server closes once it has read everything, so the 226 refers to all our bytes.
            let mut scratch = [0u8; 512];
            loop {
                match timeout(limit, s.read(&mut scratch)).await {
                    Ok(Ok(0) | Err(_)) => break,
                    Ok(Ok(_)) => {}
                    Err(_) => return Err(Error::Timeout("the server to close the data connection")),
                }
            }
        }
        self.sock = None;
        let id = self.id;
        self.client.session.handle_data(id, DataEvent::Closed)?;
        match self.client.run(Until::Done(id)).await? {
            Event::TransferComplete { reply, .. } => Ok(reply),
            other => Err(unexpected(other)),
        }
    }

    /// Stops the upload: ABOR, the data connection reset, then the server's replies.
    pub async fn abort(mut self) -> Result<()> {
        let sock = self.sock.take();
        self.client.begin_abort(sock);
        self.client.settle().await
    }
}

impl AsyncWrite for Upload<'_> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let Some(sock) = this.sock.as_mut().filter(|_| !this.shut) else {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::NotConnected, "upload finished")));
        };
        match Pin::new(sock).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.idle.progress();
                Poll::Ready(r)
            }
            Poll::Pending => this.idle.poll_stalled(cx, "upload").map(Err),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().sock.as_mut() {
            Some(s) => Pin::new(s).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.sock.as_mut() {
            Some(s) if !this.shut => {
                let r = std::task::ready!(Pin::new(s).poll_shutdown(cx));
                this.shut = r.is_ok();
                Poll::Ready(r)
            }
            _ => Poll::Ready(Ok(())),
        }
    }
}

impl Drop for Upload<'_> {
    fn drop(&mut self) {
        if let Some(sock) = self.sock.take() {
            self.client.begin_abort(Some(sock));
        }
    }
}
