//! The tokio client: an IO loop that performs the one client driver's actions. See the [module docs](super).

use crate::client::{self, client_calls, unexpected, ClientMode, Error, Options, Result, TlsMode};
use crate::proto::command::TransferType;
use crate::proto::driver::{AcceptVerdict, Action, Call, ClientDriver, DataEnd, Outcome, TlsInfo};
use crate::proto::listing::{DateTime, Entry};
use crate::proto::reply::Reply;
use crate::proto::session::client::{ClientSession, TransferKind};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant as StdInstant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::time::{timeout, Instant, Sleep};

/// A connection, plain or under TLS (FTPS).
#[derive(Debug)]
enum Conn {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// Only while the control connection changes between plain and TLS.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Gone,
}

impl Conn {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Conn::Plain(s) => Some(s),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => Some(s.get_ref().0),
            Conn::Gone => None,
        }
    }
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the connection is being switched to or from TLS")
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            // A server that closes without close_notify (most FTPS servers do on data connections): the end of the
            // data; the final reply says whether it was all.
            #[cfg(feature = "tls")]
            Conn::Tls(s) => match Pin::new(&mut **s).poll_read(cx, buf) {
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => Poll::Ready(Ok(())),
                r => r,
            },
            Conn::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
            Conn::Gone => Poll::Ready(Err(gone())),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
            Conn::Gone => Poll::Ready(Err(gone())),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
            Conn::Gone => Poll::Ready(Err(gone())),
        }
    }
}

/// An async FTP client.
#[derive(Debug)]
pub struct Client {
    ctrl: Conn,
    /// Control bytes the driver gave and not written yet (only an abort begun in `drop` leaves some).
    wbuf: Vec<u8>,
    driver: ClientDriver,
    opts: Options,
    /// The control connection's TLS (its session store is shared by its data connections).
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::Tls>,
    rbuf: Vec<u8>,
    /// The data connection of the open transfer.
    data: Option<Conn>,
    /// The active-mode listener of the transfer being set up.
    listener: Option<TcpListener>,
    /// The aborted transfer's data connection, set to linger 0; dropped (reset) once `ABOR` is written.
    orphan: Option<Conn>,
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
            match timeout(limit, connect(a, client::bind_address(&opts, client::Conn::Control))).await {
                Ok(Ok(s)) => return Client::from_stream(s, opts).await,
                Ok(Err(e)) => last = Some(Error::Io(e)),
                Err(_) => last = Some(Error::Timeout("the control connection")),
            }
        }
        Err(last.unwrap_or(Error::Timeout("an address to connect to")))
    }

    /// Wraps an already connected control connection and reads the greeting.
    pub async fn from_stream(ctrl: TcpStream, opts: Options) -> Result<Client> {
        let setup = client::setup(socket2::SockRef::from(&ctrl), ctrl.peer_addr()?, ctrl.local_addr()?, &opts)?;
        let mut c = Client {
            ctrl: Conn::Plain(ctrl),
            driver: setup.driver,
            opts,
            #[cfg(feature = "tls")]
            tls: setup.tls,
            rbuf: vec![0; client::CONTROL_READ],
            wbuf: Vec::new(),
            data: None,
            listener: None,
            orphan: None,
        };
        if c.opts.tls.mode == TlsMode::Implicit {
            match c.handshake_control().await {
                Ok(info) => c.driver.handle_tls_started(StdInstant::now(), info),
                Err(e) => return Err(crate::blocking::tls_error(&e)),
            }
        }
        c.run().await?;
        Ok(c)
    }

    /// Runs the TLS handshake on the control connection and tells the driver how it went.
    async fn start_tls(&mut self) {
        let result = self.handshake_control().await;
        let now = StdInstant::now();
        match result {
            Ok(info) => self.driver.handle_tls_started(now, info),
            Err(e) => {
                let (reason, certificate) = crate::blocking::tls_failure(&e);
                self.driver.handle_tls_failed(now, reason, certificate);
            }
        }
    }

    #[cfg(feature = "tls")]
    async fn handshake_control(&mut self) -> io::Result<TlsInfo> {
        let tls = self.tls.as_ref().ok_or_else(|| io::Error::other("no TLS configuration"))?;
        let (config, name) = tls.parts();
        let Conn::Plain(tcp) = std::mem::replace(&mut self.ctrl, Conn::Gone) else {
            return Err(io::Error::other("the control connection is not plain"));
        };
        let connecting = tokio_rustls::TlsConnector::from(config).connect(name, tcp);
        let stream = timeout(self.opts.reply_timeout, connecting)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake on the control connection"))??;
        let info = crate::tls::info(stream.get_ref().1);
        self.ctrl = Conn::Tls(Box::new(stream));
        Ok(info)
    }

    #[cfg(not(feature = "tls"))]
    async fn handshake_control(&mut self) -> io::Result<TlsInfo> {
        Err(io::Error::other(client::NO_TLS))
    }

    /// CCC: ends TLS on the control connection (close_notify both ways), keeping the TCP connection.
    async fn stop_tls(&mut self) -> Result<()> {
        #[cfg(feature = "tls")]
        if let Conn::Tls(mut s) = std::mem::replace(&mut self.ctrl, Conn::Gone) {
            s.get_mut().1.send_close_notify();
            let limit = self.opts.reply_timeout;
            timeout(limit, s.flush()).await.map_err(|_| Error::Timeout("close_notify to be sent"))??;
            let mut scratch = [0u8; 512];
            // Up to the server's close_notify (read gives 0 there).
            while timeout(limit, s.read(&mut scratch))
                .await
                .map_err(|_| Error::Timeout("the server's close_notify"))??
                > 0
            {}
            self.ctrl = Conn::Plain(s.into_inner().0);
        }
        self.driver.handle_tls_stopped(StdInstant::now());
        Ok(())
    }

    /// The data connection's handshake (as the TLS client, also in active mode), resuming the control
    /// connection's session.
    #[cfg(feature = "tls")]
    async fn secure_data(&mut self) -> io::Result<TlsInfo> {
        let tls = self.tls.as_ref().ok_or_else(|| io::Error::other("no TLS configuration"))?;
        let Some(Conn::Plain(tcp)) = self.data.take() else {
            return Err(io::Error::new(io::ErrorKind::NotConnected, "no plain data connection to secure"));
        };
        let (config, name) = tls.parts();
        let connecting = tokio_rustls::TlsConnector::from(config).connect(name, tcp);
        let mut stream = timeout(self.opts.data_timeout, connecting)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake on the data connection"))??;
        if tls.wants_ticket(stream.get_ref().1) {
            // This connection took the last ticket: wait (bounded) for the server's new one, so the next data
            // connection can resume too.
            let (io, conn) = stream.get_mut();
            let _ = timeout(crate::tls::TICKET_WAIT.min(self.opts.data_timeout), async {
                while !crate::tls::has_new_ticket(conn) {
                    io.readable().await?;
                    match crate::tls::read_records(conn, &mut TryRead(io)) {
                        Ok(false) => break,
                        Ok(true) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok::<(), io::Error>(())
            })
            .await;
        }
        let info = crate::tls::info(stream.get_ref().1);
        self.data = Some(Conn::Tls(Box::new(stream)));
        Ok(info)
    }

    #[cfg(not(feature = "tls"))]
    async fn secure_data(&mut self) -> io::Result<TlsInfo> {
        Err(io::Error::other(client::NO_TLS))
    }

    client_calls!({async} {.await});

    /// Downloads a file into `out`; returns the bytes copied.
    pub async fn retrieve_to(&mut self, path: &str, out: &mut (impl AsyncWrite + Unpin)) -> Result<u64> {
        self.retrieve_from(path, 0, out).await
    }

    /// Downloads a file from byte `offset` (REST) into `out`: resumes a partial download.
    pub async fn retrieve_from(&mut self, path: &str, offset: u64, out: &mut (impl AsyncWrite + Unpin)) -> Result<u64> {
        let size = self.opts.buffer_size;
        self.open(TransferKind::Retr(path.to_owned()), (offset > 0).then_some(offset)).await?;
        let mut stream = Download::new(self);
        let n = copy(&mut stream, out, size).await?;
        stream.finish().await?;
        Ok(n)
    }

    /// Starts a download; read the file from the returned stream, then call [`Download::finish`].
    pub async fn retrieve(&mut self, path: &str) -> Result<Download<'_>> {
        self.open(TransferKind::Retr(path.to_owned()), None).await?;
        Ok(Download::new(self))
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
        self.open(TransferKind::Stor(path.to_owned()), None).await?;
        Ok(Upload::new(self))
    }

    async fn upload_from(
        &mut self,
        kind: TransferKind,
        rest: Option<u64>,
        input: &mut (impl AsyncRead + Unpin),
    ) -> Result<u64> {
        let size = self.opts.buffer_size;
        self.open(kind, rest).await?;
        let mut up = Upload::new(self);
        let n = copy(input, &mut up, size).await?;
        up.finish().await?;
        Ok(n)
    }

    /// Downloads a whole data transfer into memory (listings).
    async fn read_all(&mut self, kind: TransferKind) -> Result<Vec<u8>> {
        self.open(kind, None).await?;
        let mut d = Download::new(self);
        let mut out = Vec::with_capacity(crate::client::LISTING_START);
        d.read_to_end(&mut out).await?;
        d.finish().await?;
        Ok(out)
    }

    /// Opens a transfer: the driver's call ends once data may flow over `self.data`.
    async fn open(&mut self, kind: TransferKind, rest: Option<u64>) -> Result<()> {
        match self.call(Call::Open { kind, rest }).await? {
            Outcome::DataReady if self.data.is_some() => Ok(()),
            Outcome::DataReady => Err(Error::Timeout("the data connection")),
            other => Err(unexpected(other)),
        }
    }

    /// Settles what an earlier dropped transfer left, starts a call and runs it to its end.
    async fn call(&mut self, call: Call) -> Result<Outcome> {
        self.settle().await?;
        self.driver.start(call, StdInstant::now())?;
        self.run().await
    }

    /// Finishes an abort begun without waiting: writes the rest of `ABOR`, resets the data connection, and reads
    /// the abort's replies.
    async fn settle(&mut self) -> Result<()> {
        self.flush().await?;
        if self.driver.is_busy() {
            match self.run().await {
                Ok(_) | Err(Error::Transfer { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Aborts the open transfer: ABOR, the data connection reset, then the server's replies.
    pub async fn abort_transfer(&mut self) -> Result<()> {
        self.begin_abort();
        self.settle().await
    }

    /// Starts aborting the open transfer without waiting (usable from `drop`): `ABOR` is written if the socket
    /// takes it now, and the data connection (linger 0) is reset once `ABOR` is out; the rest is `settle`'s.
    fn begin_abort(&mut self) {
        self.begin(Call::Abort);
    }

    /// Starts a call without waiting (usable from `drop`): what the socket takes now is written, the rest and the
    /// replies are `settle`'s, at the start of the next call.
    fn begin(&mut self, call: Call) {
        if let Err(e) = self.driver.start(call, StdInstant::now()) {
            tracing::debug!(error = %e, "cannot start the call");
            self.data = None;
            return;
        }
        while let Some(action) = self.driver.poll_action() {
            match action {
                Action::Send(bytes) => {
                    self.wbuf.extend_from_slice(&bytes);
                    self.try_write_now();
                }
                Action::CloseData { reset } => {
                    if let Some(sock) = self.data.take() {
                        if reset {
                            set_linger_zero(sock.tcp());
                        }
                        if !self.wbuf.is_empty() {
                            self.orphan = Some(sock);
                        }
                    }
                }
                // The call ended at once (nothing had to be sent).
                Action::Done(_) => break,
                other => self.perform_local(other),
            }
        }
    }

    /// Writes what the socket takes without waiting.
    fn try_write_now(&mut self) {
        // Under TLS the bytes go through the TLS layer: the next flush writes them.
        let Conn::Plain(ctrl) = &self.ctrl else { return };
        while !self.wbuf.is_empty() {
            match ctrl.try_write(&self.wbuf) {
                Ok(0) | Err(_) => break, // the next flush writes the rest, or reports the error
                Ok(n) => drop(self.wbuf.drain(..n.min(self.wbuf.len()))),
            }
        }
    }

    /// Writes the pending control bytes; then an aborted transfer's data connection may be reset.
    async fn flush(&mut self) -> Result<()> {
        if !self.wbuf.is_empty() {
            match timeout(self.opts.reply_timeout, self.ctrl.write_all(&self.wbuf)).await {
                Ok(Ok(())) => self.wbuf.clear(),
                Ok(Err(e)) => return Err(self.abandon(crate::blocking::control_error(e))),
                Err(_) => return Err(self.abandon(Error::Timeout("the control connection to take a command"))),
            }
        }
        self.orphan = None;
        Ok(())
    }

    /// The IO loop: perform the driver's actions until the call's `Done`; in between, wait on the control
    /// connection (and the listener) until the driver's deadline.
    async fn run(&mut self) -> Result<Outcome> {
        loop {
            while let Some(action) = self.driver.poll_action() {
                match action {
                    Action::Done(result) => return result.map_err(Error::from),
                    Action::Send(bytes) => {
                        self.wbuf.extend_from_slice(&bytes);
                        self.flush().await?;
                    }
                    Action::Connect { addr, timeout: limit, .. } => {
                        let from = client::bind_address(&self.opts, client::Conn::Data);
                        match timeout(limit, connect(addr, from)).await {
                            Ok(Ok(sock)) => {
                                let (local, remote) = (sock.local_addr().ok(), sock.peer_addr().ok());
                                self.data = Some(Conn::Plain(sock));
                                self.driver.handle_connected(StdInstant::now(), local, remote);
                            }
                            Ok(Err(e)) => self.driver.handle_connect_failed(StdInstant::now(), e.to_string()),
                            Err(_) => self
                                .driver
                                .handle_connect_failed(StdInstant::now(), format!("no connection to {addr} in time")),
                        }
                    }
                    Action::Listen { ip, .. } => {
                        match TcpListener::bind(SocketAddr::new(ip, 0)).await.and_then(|l| Ok((l.local_addr()?, l))) {
                            Ok((addr, listener)) => {
                                self.listener = Some(listener);
                                self.driver.handle_listening(StdInstant::now(), addr);
                            }
                            Err(e) => self.driver.handle_listen_failed(StdInstant::now(), e.to_string()),
                        }
                    }
                    Action::StartTls => self.start_tls().await,
                    Action::StopTls => self.stop_tls().await?,
                    Action::SecureData => {
                        let result = self.secure_data().await.map_err(|e| e.to_string());
                        self.driver.handle_data_secured(StdInstant::now(), result);
                    }
                    other => self.perform_local(other),
                }
            }
            self.wait().await?;
        }
    }

    /// The actions that need no waiting.
    fn perform_local(&mut self, action: Action) {
        match action {
            Action::StopListening => self.listener = None,
            Action::CloseData { reset } => {
                if let Some(sock) = self.data.take() {
                    if reset {
                        set_linger_zero(sock.tcp());
                    }
                }
            }
            Action::Trace(line) => {
                if let Some(t) = &self.opts.trace {
                    t(&line);
                }
            }
            Action::Log { level, message } => client::log(level, &message),
            _ => {}
        }
    }

    /// Waits for the next input: a control read, or while the driver wants the server's connection an accept,
    /// until the driver's deadline.
    async fn wait(&mut self) -> Result<()> {
        enum Woke {
            Accepted(io::Result<(TcpStream, SocketAddr)>),
            Read(io::Result<usize>),
            Slept,
        }
        let deadline = self.driver.poll_timeout().unwrap_or_else(|| StdInstant::now() + self.opts.reply_timeout);
        let sleep = tokio::time::sleep_until(Instant::from_std(deadline));
        let woke = match self.listener.as_ref().filter(|_| self.driver.wants_accept()) {
            Some(listener) => tokio::select! {
                r = listener.accept() => Woke::Accepted(r),
                r = self.ctrl.read(&mut self.rbuf) => Woke::Read(r),
                () = sleep => Woke::Slept,
            },
            None => tokio::select! {
                r = self.ctrl.read(&mut self.rbuf) => Woke::Read(r),
                () = sleep => Woke::Slept,
            },
        };
        let now = StdInstant::now();
        match woke {
            Woke::Accepted(Ok((sock, from))) => {
                if self.driver.handle_accepted(now, from, sock.local_addr().ok()) == AcceptVerdict::Use {
                    self.data = Some(Conn::Plain(sock));
                }
            }
            Woke::Accepted(Err(e)) => return Err(self.abandon(Error::Io(e))),
            Woke::Read(Ok(0)) => self.driver.handle_control_closed(now),
            Woke::Read(Ok(n)) => self.driver.handle_control(now, self.rbuf.get(..n).unwrap_or_default()),
            Woke::Read(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Woke::Read(Err(e)) => return Err(self.abandon(crate::blocking::control_error(e))),
            Woke::Slept => self.driver.handle_timeout(now),
        }
        Ok(())
    }

    /// The control connection failed: the session is over; its sockets are dropped.
    fn abandon(&mut self, e: Error) -> Error {
        self.driver.close(StdInstant::now());
        while self.driver.poll_action().is_some() {}
        self.wbuf.clear();
        self.data = None;
        self.listener = None;
        self.orphan = None;
        e
    }
}

/// A tokio socket read without waiting (`WouldBlock` when nothing is there), for rustls' `read_tls`.
#[cfg(feature = "tls")]
struct TryRead<'a>(&'a TcpStream);

#[cfg(feature = "tls")]
impl io::Read for TryRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

/// Linger 0: closing sends a reset, not a FIN, so the server cannot take cut-off data for a whole file.
/// Connects to `addr`, from `from` when given (bound first).
async fn connect(addr: SocketAddr, from: Option<SocketAddr>) -> io::Result<TcpStream> {
    let Some(from) = from else { return TcpStream::connect(addr).await };
    let sock = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    sock.bind(from)?;
    sock.connect(addr).await
}

fn set_linger_zero(sock: Option<&TcpStream>) {
    let Some(sock) = sock else { return };
    if let Err(e) = socket2::SockRef::from(sock).set_linger(Some(Duration::ZERO)) {
        tracing::debug!(error = %e, "cannot set linger 0 on the data connection");
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
    eof: bool,
    /// `finish` or `abort` took over.
    done: bool,
    idle: Idle,
}

impl<'a> Download<'a> {
    fn new(client: &'a mut Client) -> Download<'a> {
        let idle = Idle::new(client.opts.data_timeout);
        Download { client, eof: false, done: false, idle }
    }

    /// Reads what is left, then waits for the server's final reply (226).
    pub async fn finish(mut self) -> Result<Reply> {
        if !self.eof {
            tokio::io::copy(&mut self, &mut tokio::io::sink()).await?;
        }
        self.done = true;
        self.client.finish_transfer(DataEnd::Eof).await
    }

    /// Stops the download: ABOR, the data connection reset, then the 426/226 pair.
    pub async fn abort(mut self) -> Result<()> {
        self.done = true;
        self.client.abort_transfer().await
    }
}

impl AsyncRead for Download<'_> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(sock) = this.client.data.as_mut() else { return Poll::Ready(Ok(())) };
        let before = buf.filled().len();
        match Pin::new(sock).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.idle.progress();
                if buf.filled().len() == before && buf.remaining() > 0 {
                    this.eof = true;
                    this.client.data = None;
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
        match (self.done, self.eof) {
            (true, _) => {}
            // Read to its end: nothing to abort; the final reply is read at the start of the next call.
            (false, true) => self.client.begin(Call::Finish { end: DataEnd::Eof }),
            (false, false) => self.client.begin_abort(),
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
    /// `poll_shutdown` already ended the data (the caller shut the stream down before `finish`).
    shut: bool,
    /// `finish` or `abort` took over.
    done: bool,
    idle: Idle,
}

impl<'a> Upload<'a> {
    fn new(client: &'a mut Client) -> Upload<'a> {
        let idle = Idle::new(client.opts.data_timeout);
        Upload { client, shut: false, done: false, idle }
    }

    /// Ends the data (a FIN), waits for the server to close its side too, then for its final reply (226).
    pub async fn finish(mut self) -> Result<Reply> {
        let limit = self.client.opts.data_timeout;
        if let Some(mut s) = self.client.data.take() {
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
        self.done = true;
        self.client.finish_transfer(DataEnd::Closed).await
    }

    /// Stops the upload: ABOR, the data connection reset, then the server's replies.
    pub async fn abort(mut self) -> Result<()> {
        self.done = true;
        self.client.abort_transfer().await
    }
}

impl AsyncWrite for Upload<'_> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let Some(sock) = this.client.data.as_mut().filter(|_| !this.shut) else {
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
        match self.get_mut().client.data.as_mut() {
            Some(s) => Pin::new(s).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.client.data.as_mut() {
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
        if !self.done {
            self.client.begin_abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn control_socket_keepalive_is_set_as_configured() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = tokio::spawn(async move {
            for _ in 0..2 {
                let (mut s, _) = l.accept().await.unwrap();
                s.write_all(b"220 hi\r\n").await.unwrap();
                let mut sink = Vec::new();
                let _ = s.read_to_end(&mut sink).await;
            }
        });
        let c = Client::connect(addr).await.unwrap();
        let sock = socket2::SockRef::from(c.ctrl.tcp().unwrap());
        assert!(sock.keepalive().unwrap());
        assert_eq!(sock.tcp_keepalive_time().unwrap(), Duration::from_secs(60));
        assert_eq!(sock.tcp_keepalive_interval().unwrap(), Duration::from_secs(15));
        drop(c);
        let c = Client::connect_with(addr, Options { keepalive: None, ..Options::default() }).await.unwrap();
        assert!(!socket2::SockRef::from(c.ctrl.tcp().unwrap()).keepalive().unwrap());
        drop(c);
        server.await.unwrap();
    }
}
