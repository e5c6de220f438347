//! A blocking FTP client on `std::net`: an IO loop that performs the actions of the one client driver
//! ([`ClientDriver`]).
//!
//! ```no_run
//! use ftpkit::blocking::Client;
//! let mut ftp = Client::connect("127.0.0.1:2121")?;
//! ftp.login("anonymous", "guest")?;
//! for entry in ftp.list(None)? {
//!     println!("{} {:?}", entry.name, entry.size);
//! }
//! let mut file = std::fs::File::create("readme.txt")?;
//! ftp.retrieve_to("readme.txt", &mut file)?;
//! ftp.quit()?;
//! # Ok::<(), ftpkit::client::Error>(())
//! ```
//!
//! Every protocol decision (which command follows which reply, EPSV→PASV fallback, the NAT policy for 227
//! addresses, the data connection's source check, what a timeout means) is the driver's; this module moves bytes
//! and waits until the driver's deadline.

use crate::client::{self, client_calls, unexpected, ClientMode, Error, Options, Result, TlsMode};
use crate::proto::command::TransferType;
use crate::proto::driver::{AcceptVerdict, Action, Call, ClientDriver, DataEnd, Outcome, TlsInfo};
use crate::proto::listing::{DateTime, Entry};
use crate::proto::reply::Reply;
use crate::proto::session::client::{ClientSession, TransferKind};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How long one wait on the control connection lasts while the listener is polled (active mode).
const ACCEPT_POLL: Duration = Duration::from_millis(10);

/// A connection, plain or under TLS (FTPS).
#[derive(Debug)]
enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            #[cfg(feature = "tls")]
            Stream::Tls(s) => &s.sock,
        }
    }

    /// Ends the data sent on it: `close_notify` under TLS, then a FIN.
    fn end_writes(&mut self) -> io::Result<()> {
        #[cfg(feature = "tls")]
        if let Stream::Tls(s) = self {
            s.conn.send_close_notify();
            s.flush()?;
        }
        self.tcp().shutdown(Shutdown::Write)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            // A server that closes without close_notify (most FTPS servers do on data connections): the end of the
            // data; the final reply says whether it was all.
            #[cfg(feature = "tls")]
            Stream::Tls(s) => match s.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                r => r,
            },
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// A blocking FTP client.
#[derive(Debug)]
pub struct Client {
    ctrl: Stream,
    driver: ClientDriver,
    opts: Options,
    rbuf: Vec<u8>,
    /// What the control socket's read timeout (`SO_RCVTIMEO`) was last set to by [`Client::wait`]; `None` when
    /// unknown (set elsewhere).
    ctrl_timeout: Option<Duration>,
    /// The control connection's TLS (its session store is shared by its data connections).
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::Tls>,
    /// The data connection of the open transfer.
    data: Option<Stream>,
    /// The active-mode listener of the transfer being set up.
    listener: Option<TcpListener>,
}

impl Client {
    /// Connects with default options and reads the greeting.
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Client> {
        Client::connect_with(addr, Options::default())
    }

    /// Connects, trying each resolved address in turn, and reads the greeting.
    pub fn connect_with(addr: impl ToSocketAddrs, opts: Options) -> Result<Client> {
        let mut last = None;
        for a in addr.to_socket_addrs()? {
            match connect(a, opts.connect_timeout, client::bind_address(&opts, client::Conn::Control)) {
                Ok(s) => return Client::from_stream(s, opts),
                Err(e) => last = Some(e),
            }
        }
        Err(last.map_or(Error::Timeout("an address to connect to"), Error::Io))
    }

    /// Wraps an already connected control connection and reads the greeting (after the TLS handshake, for
    /// implicit FTPS).
    pub fn from_stream(ctrl: TcpStream, opts: Options) -> Result<Client> {
        let setup = client::setup(socket2::SockRef::from(&ctrl), ctrl.peer_addr()?, ctrl.local_addr()?, &opts)?;
        let mut c = Client {
            ctrl: Stream::Plain(ctrl),
            driver: setup.driver,
            opts,
            rbuf: vec![0; client::CONTROL_READ],
            ctrl_timeout: None,
            #[cfg(feature = "tls")]
            tls: setup.tls,
            data: None,
            listener: None,
        };
        if c.opts.tls.mode == TlsMode::Implicit {
            match c.handshake_control() {
                Ok(info) => c.driver.handle_tls_started(Instant::now(), info),
                Err(e) => return Err(tls_error(&e)),
            }
        }
        c.run()?;
        Ok(c)
    }

    /// Runs the TLS handshake on the control connection and tells the driver how it went.
    fn start_tls(&mut self) {
        let now = Instant::now();
        match self.handshake_control() {
            Ok(info) => self.driver.handle_tls_started(now, info),
            Err(e) => {
                let (reason, certificate) = tls_failure(&e);
                self.driver.handle_tls_failed(now, reason, certificate);
            }
        }
    }

    #[cfg(feature = "tls")]
    fn handshake_control(&mut self) -> io::Result<TlsInfo> {
        let tls = self.tls.as_ref().ok_or_else(|| io::Error::other("no TLS configuration"))?;
        let mut tcp = self.ctrl.tcp().try_clone()?;
        self.ctrl_timeout = None;
        tcp.set_read_timeout(Some(self.opts.reply_timeout))?;
        tcp.set_write_timeout(Some(self.opts.reply_timeout))?;
        let mut conn = tls.connection()?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)?;
        }
        let info = crate::tls::info(&conn);
        self.ctrl = Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)));
        Ok(info)
    }

    #[cfg(not(feature = "tls"))]
    fn handshake_control(&mut self) -> io::Result<TlsInfo> {
        Err(io::Error::other(client::NO_TLS))
    }

    /// CCC: ends TLS on the control connection (close_notify both ways), keeping the TCP connection.
    fn stop_tls(&mut self) -> Result<()> {
        let tcp = self.ctrl.tcp().try_clone()?;
        #[cfg_attr(not(feature = "tls"), allow(unused_mut))]
        let mut old = std::mem::replace(&mut self.ctrl, Stream::Plain(tcp));
        #[cfg(feature = "tls")]
        if let Stream::Tls(s) = &mut old {
            s.conn.send_close_notify();
            s.flush()?;
            self.ctrl_timeout = None;
            s.sock.set_read_timeout(Some(self.opts.reply_timeout))?;
            // Up to the server's close_notify (read returns 0 there).
            let mut scratch = [0u8; 512];
            while s.read(&mut scratch)? > 0 {}
        }
        drop(old);
        self.driver.handle_tls_stopped(Instant::now());
        Ok(())
    }

    /// The data connection's handshake (as the TLS client, also in active mode), resuming the control
    /// connection's session.
    #[cfg(feature = "tls")]
    fn secure_data(&mut self) -> io::Result<TlsInfo> {
        let tls = self.tls.as_ref().ok_or_else(|| io::Error::other("no TLS configuration"))?;
        let Some(Stream::Plain(mut tcp)) = self.data.take() else {
            return Err(io::Error::new(io::ErrorKind::NotConnected, "no plain data connection to secure"));
        };
        tcp.set_read_timeout(Some(self.opts.data_timeout))?;
        tcp.set_write_timeout(Some(self.opts.data_timeout))?;
        let mut conn = tls.connection()?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)?;
        }
        if tls.wants_ticket(&conn) {
            // This connection took the last ticket: wait (bounded) for the server's new one, so the next data
            // connection can resume too.
            tcp.set_read_timeout(Some(crate::tls::TICKET_WAIT.min(self.opts.data_timeout)))?;
            while !crate::tls::has_new_ticket(&conn) {
                match crate::tls::read_records(&mut conn, &mut tcp) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => break,
                    Err(e) => return Err(e),
                }
            }
            tcp.set_read_timeout(Some(self.opts.data_timeout))?;
        }
        let info = crate::tls::info(&conn);
        self.data = Some(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))));
        Ok(info)
    }

    #[cfg(not(feature = "tls"))]
    fn secure_data(&mut self) -> io::Result<TlsInfo> {
        Err(io::Error::other(client::NO_TLS))
    }

    client_calls!({} {});

    /// Downloads a file into `out`; returns the bytes copied.
    pub fn retrieve_to(&mut self, path: &str, out: &mut impl Write) -> Result<u64> {
        self.retrieve_from(path, 0, out)
    }

    /// Downloads a file from byte `offset` (REST) into `out`: resumes a partial download.
    pub fn retrieve_from(&mut self, path: &str, offset: u64, out: &mut impl Write) -> Result<u64> {
        let size = self.opts.buffer_size;
        let mut stream = self.retrieve_at(path, offset)?;
        let n = copy(&mut stream, out, size)?;
        stream.finish()?;
        Ok(n)
    }

    /// Starts a download; read the file from the returned stream, then call [`Download::finish`].
    pub fn retrieve(&mut self, path: &str) -> Result<Download<'_>> {
        self.retrieve_at(path, 0)
    }

    fn retrieve_at(&mut self, path: &str, offset: u64) -> Result<Download<'_>> {
        self.download(TransferKind::Retr(path.to_owned()), (offset > 0).then_some(offset))
    }

    /// Opens any download (`kind`: RETR, LIST, NLST, MLSD; from byte `rest`) as a stream, plain or under TLS: read
    /// it to its end, then call [`Download::finish`].
    pub fn download(&mut self, kind: TransferKind, rest: Option<u64>) -> Result<Download<'_>> {
        self.open(kind, rest)?;
        Ok(Download { client: self, eof: false, done: false })
    }

    /// Opens any upload (`kind`: STOR, APPE, STOU; from byte `rest`) as a stream, plain or under TLS: write the
    /// data, then call [`Upload::finish`].
    pub fn upload(&mut self, kind: TransferKind, rest: Option<u64>) -> Result<Upload<'_>> {
        self.open(kind, rest)?;
        Ok(Upload { client: self, done: false })
    }

    /// Uploads `input` to `path` (STOR); returns the bytes sent.
    pub fn store_from(&mut self, path: &str, input: &mut impl Read) -> Result<u64> {
        self.upload_from(TransferKind::Stor(path.to_owned()), None, input)
    }

    /// Appends `input` to `path` (APPE).
    pub fn append_from(&mut self, path: &str, input: &mut impl Read) -> Result<u64> {
        self.upload_from(TransferKind::Appe(path.to_owned()), None, input)
    }

    /// Resumes an upload: writes `input` into `path` from byte `offset` (REST + STOR).
    pub fn store_at(&mut self, path: &str, offset: u64, input: &mut impl Read) -> Result<u64> {
        self.upload_from(TransferKind::Stor(path.to_owned()), Some(offset), input)
    }

    /// Starts an upload; write the file into the returned stream, then call [`Upload::finish`].
    pub fn store(&mut self, path: &str) -> Result<Upload<'_>> {
        self.upload(TransferKind::Stor(path.to_owned()), None)
    }

    /// Opens any transfer (`kind`, from byte `rest`) and hands over its data connection, already set up and
    /// ready: read a download to its end or write an upload and shut it down, then call
    /// [`finish_transfer`](Self::finish_transfer), or [`abort_transfer`](Self::abort_transfer) to stop. For
    /// callers that need the socket itself (the Python binding's `transfercmd`). A protected (TLS) data
    /// connection cannot be handed over as a plain socket: that fails with [`Error::Protocol`].
    pub fn open_transfer(&mut self, kind: TransferKind, rest: Option<u64>) -> Result<TcpStream> {
        self.open(kind, rest)?;
        match self.data.take() {
            Some(Stream::Plain(s)) => Ok(s),
            #[cfg_attr(not(feature = "tls"), allow(unreachable_patterns))]
            Some(other) => {
                self.data = Some(other);
                Err(Error::Protocol(crate::proto::session::client::SessionError::InvalidState {
                    what: "open_transfer",
                    why: "a protected data connection is no plain socket",
                }))
            }
            None => Err(Error::Timeout("the data connection")),
        }
    }

    /// Logs in with an account (`ACCT` when the server asks for one with `332`), then asks for the server's
    /// features and sets binary type as `login` does. For callers that pass ftplib's `acct`.
    pub fn login_with_account(&mut self, user: &str, password: &str, account: &str) -> Result<()> {
        let call =
            Call::Login { user: user.to_owned(), password: password.to_owned(), account: Some(account.to_owned()) };
        self.call(call).map(drop)
    }

    /// Aborts the open transfer (ABOR, the data connection reset, then the 426/226 pair).
    pub fn abort_transfer(&mut self) -> Result<()> {
        match self.call(Call::Abort) {
            Ok(_) | Err(Error::Transfer { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn upload_from(&mut self, kind: TransferKind, rest: Option<u64>, input: &mut impl Read) -> Result<u64> {
        let size = self.opts.buffer_size;
        let mut up = self.upload(kind, rest)?;
        let n = copy(input, &mut up, size)?;
        up.finish()?;
        Ok(n)
    }

    /// Downloads a whole data transfer into memory (listings).
    fn read_all(&mut self, kind: TransferKind) -> Result<Vec<u8>> {
        let mut d = self.download(kind, None)?;
        let mut out = Vec::with_capacity(client::LISTING_START);
        d.read_to_end(&mut out)?;
        d.finish()?;
        Ok(out)
    }

    /// Opens a transfer: the driver's call ends once data may flow over `self.data`.
    fn open(&mut self, kind: TransferKind, rest: Option<u64>) -> Result<()> {
        match self.call(Call::Open { kind, rest })? {
            Outcome::DataReady => {}
            other => return Err(unexpected(other)),
        }
        let sock = self.data.as_ref().ok_or(Error::Timeout("the data connection"))?.tcp();
        sock.set_read_timeout(Some(self.opts.data_timeout))?;
        sock.set_write_timeout(Some(self.opts.data_timeout))?;
        Ok(())
    }

    /// Starts a call and runs it to its end.
    fn call(&mut self, call: Call) -> Result<Outcome> {
        self.driver.start(call, Instant::now())?;
        self.run()
    }

    /// The IO loop: perform the driver's actions until the call's `Done`; in between, wait on the control
    /// connection (and the listener) until the driver's deadline.
    fn run(&mut self) -> Result<Outcome> {
        loop {
            while let Some(action) = self.driver.poll_action() {
                if let Action::Done(result) = action {
                    return result.map_err(Error::from);
                }
                self.perform(action)?;
            }
            self.wait()?;
        }
    }

    fn perform(&mut self, action: Action) -> Result<()> {
        match action {
            Action::Send(bytes) => {
                if let Err(e) = self.ctrl.write_all(&bytes) {
                    return Err(self.abandon(e));
                }
            }
            Action::Connect { addr, timeout, .. } => {
                match connect(addr, timeout, client::bind_address(&self.opts, client::Conn::Data)) {
                    Ok(sock) => {
                        let (local, remote) = (sock.local_addr().ok(), sock.peer_addr().ok());
                        self.data = Some(Stream::Plain(sock));
                        self.driver.handle_connected(Instant::now(), local, remote);
                    }
                    Err(e) => self.driver.handle_connect_failed(Instant::now(), e.to_string()),
                }
            }
            Action::Listen { ip, .. } => match TcpListener::bind(SocketAddr::new(ip, 0)).and_then(|l| {
                l.set_nonblocking(true)?;
                Ok((l.local_addr()?, l))
            }) {
                Ok((addr, listener)) => {
                    self.listener = Some(listener);
                    self.driver.handle_listening(Instant::now(), addr);
                }
                Err(e) => self.driver.handle_listen_failed(Instant::now(), e.to_string()),
            },
            Action::StopListening => self.listener = None,
            Action::CloseData { reset } => {
                if let Some(sock) = self.data.take() {
                    if reset {
                        let _ = socket2::SockRef::from(sock.tcp()).set_linger(Some(Duration::ZERO));
                    }
                }
            }
            Action::StartTls => self.start_tls(),
            Action::StopTls => self.stop_tls()?,
            Action::SecureData => {
                let result = self.secure_data().map_err(|e| e.to_string());
                self.driver.handle_data_secured(Instant::now(), result);
            }
            Action::Trace(line) => {
                if let Some(t) = &self.opts.trace {
                    t(&line);
                }
            }
            Action::Log { level, message } => client::log(level, &message),
            _ => {}
        }
        Ok(())
    }

    /// Waits for the next input: a control read (or, while the driver wants the server's connection, an accept)
    /// until the driver's deadline.
    fn wait(&mut self) -> Result<()> {
        let now = Instant::now();
        let deadline = self.driver.poll_timeout().unwrap_or(now + self.opts.reply_timeout);
        let mut until = deadline;
        if let Some(listener) = self.listener.as_ref().filter(|_| self.driver.wants_accept()) {
            match listener.accept() {
                Ok((sock, from)) => {
                    sock.set_nonblocking(false)?;
                    if self.driver.handle_accepted(now, from, sock.local_addr().ok()) == AcceptVerdict::Use {
                        self.data = Some(Stream::Plain(sock));
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => until = deadline.min(now + ACCEPT_POLL),
                Err(e) => return Err(self.abandon(e)),
            }
        }
        let left = until.saturating_duration_since(now);
        if left.is_zero() {
            self.driver.handle_timeout(now);
            return Ok(());
        }
        // The read waits at most what is left until the deadline (up to READ_TIMEOUT_SLACK more). The timeout set
        // for the previous read is kept when it still fits, sparing a system call per reply; a read that times out
        // before the deadline only makes the driver look at the clock (`handle_timeout` before the deadline does
        // nothing) and this loop wait again.
        let fits = self.ctrl_timeout.is_some_and(|t| t <= left + READ_TIMEOUT_SLACK && t * 2 >= left);
        if !fits {
            self.ctrl.tcp().set_read_timeout(Some(left))?;
            self.ctrl_timeout = Some(left);
        }
        match self.ctrl.read(&mut self.rbuf) {
            Ok(0) => self.driver.handle_control_closed(Instant::now()),
            Ok(n) => self.driver.handle_control(Instant::now(), self.rbuf.get(..n).unwrap_or_default()),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                self.driver.handle_timeout(Instant::now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(self.abandon(e)),
        }
        Ok(())
    }

    /// The control connection failed: the session is over; its sockets are dropped.
    fn abandon(&mut self, e: io::Error) -> Error {
        self.driver.close(Instant::now());
        while self.driver.poll_action().is_some() {}
        self.data = None;
        self.listener = None;
        control_error(e)
    }
}

/// A failed control connection as the client's error: a TLS failure (an alert from the server, such as a client
/// certificate it refused after the handshake, or a bad record) as [`Error::Tls`]/[`Error::Certificate`], the
/// rest as [`Error::Io`].
pub(crate) fn control_error(e: io::Error) -> Error {
    #[cfg(feature = "tls")]
    if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        return tls_error(&e);
    }
    Error::Io(e)
}

/// How far past the driver's deadline a control read may wait when [`Client::wait`] keeps the read timeout it set
/// before.
const READ_TIMEOUT_SLACK: Duration = Duration::from_millis(5);

/// Connects to `addr` within `timeout`, from `from` when given (bound first).
fn connect(addr: SocketAddr, timeout: Duration, from: Option<SocketAddr>) -> io::Result<TcpStream> {
    let Some(from) = from else { return TcpStream::connect_timeout(&addr, timeout) };
    let sock = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    sock.bind(&from.into())?;
    sock.connect_timeout(&addr.into(), timeout)?;
    Ok(sock.into())
}

/// A failed handshake as the client's error.
pub(crate) fn tls_error(e: &io::Error) -> Error {
    match tls_failure(e) {
        (reason, true) => Error::Certificate(reason),
        (reason, false) => Error::Tls(reason),
    }
}

/// A failed handshake: its reason for the user, and whether it is the server's certificate failing verification.
pub(crate) fn tls_failure(e: &io::Error) -> (String, bool) {
    #[cfg(feature = "tls")]
    return (crate::tls::failure_reason(e), crate::tls::is_certificate_error(e));
    #[cfg(not(feature = "tls"))]
    return (e.to_string(), false);
}

fn copy(r: &mut impl Read, w: &mut impl Write, size: usize) -> Result<u64> {
    let mut buf = vec![0u8; size.max(4096)];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        w.write_all(buf.get(..n).unwrap_or_default())?;
        total += n as u64;
    }
}

/// A download in progress: read it to the end, then [`Download::finish`]. Dropping it unfinished aborts the
/// transfer (ABOR) so the control connection stays in step.
#[derive(Debug)]
pub struct Download<'a> {
    client: &'a mut Client,
    eof: bool,
    /// `finish` or `abort` took over.
    done: bool,
}

impl Read for Download<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(sock) = self.client.data.as_mut() else { return Ok(0) };
        let n = sock.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.eof = true;
            self.client.data = None;
        }
        Ok(n)
    }
}

impl Download<'_> {
    /// Reads what is left, then waits for the server's final reply (226).
    pub fn finish(mut self) -> Result<Reply> {
        if !self.eof {
            io::copy(&mut self, &mut io::sink())?;
        }
        self.done = true;
        self.client.finish_transfer(DataEnd::Eof)
    }

    /// Stops the download: ABOR, then the 426/226 pair.
    pub fn abort(mut self) -> Result<()> {
        self.done = true;
        self.client.abort_transfer()
    }
}

impl Drop for Download<'_> {
    fn drop(&mut self) {
        match (self.done, self.eof) {
            (true, _) => {}
            // Read to its end: nothing to abort, only the final reply to read.
            (false, true) => drop(self.client.finish_transfer(DataEnd::Eof)),
            (false, false) => drop(self.client.abort_transfer()),
        }
    }
}

/// An upload in progress: write the data, then [`Upload::finish`]. Dropping it unfinished aborts the transfer.
#[derive(Debug)]
pub struct Upload<'a> {
    client: &'a mut Client,
    /// `finish` or `abort` took over.
    done: bool,
}

impl Write for Upload<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.client.data.as_mut() {
            Some(s) => s.write(buf),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "upload finished")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.client.data.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Upload<'_> {
    /// Closes the data connection (the end of the file) and waits for the server's final reply (226).
    pub fn finish(mut self) -> Result<Reply> {
        if let Some(mut s) = self.client.data.take() {
            s.end_writes()?;
            // Wait for the server to close its side too, so the 226 refers to all our bytes (under TLS 1.3 this
            // also reads the server's new session tickets).
            let _ = io::copy(&mut s, &mut io::sink());
        }
        self.done = true;
        self.client.finish_transfer(DataEnd::Closed)
    }

    /// Stops the upload: ABOR; the server keeps no partial file under the name (ftpkit's server does not).
    pub fn abort(mut self) -> Result<()> {
        self.done = true;
        self.client.abort_transfer()
    }
}

impl Drop for Upload<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.client.abort_transfer();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::{Ipv4Addr, SocketAddrV4};

    /// A scripted server that, like pyftpdlib, connects to the client's data port as soon as PORT arrives (before
    /// it answers PORT, so before the client has sent REST or RETR), then serves `RETR` from the REST offset.
    fn early_connecting_server(file: &'static [u8]) -> (SocketAddr, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (ctrl, _) = listener.accept().unwrap();
            ctrl.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut w = ctrl.try_clone().unwrap();
            let mut r = BufReader::new(ctrl);
            w.write_all(b"220 scripted\r\n").unwrap();
            let mut data: Option<TcpStream> = None;
            let mut rest = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
                let reply: String = match verb {
                    "USER" => "230 in".into(),
                    "FEAT" => "211 no features".into(),
                    "TYPE" => "200 type".into(),
                    "PORT" => {
                        let n: Vec<u8> = arg.split(',').map(|p| p.parse().unwrap()).collect();
                        let port = u16::from(n[4]) * 256 + u16::from(n[5]);
                        let to = SocketAddrV4::new(Ipv4Addr::new(n[0], n[1], n[2], n[3]), port);
                        data = Some(TcpStream::connect(to).unwrap());
                        // Let the client see the connection before the 200.
                        std::thread::sleep(Duration::from_millis(100));
                        "200 Active data connection established.".into()
                    }
                    "REST" => {
                        rest = arg.parse().unwrap();
                        "350 Restarting.".into()
                    }
                    "RETR" => {
                        w.write_all(b"125 Data connection already open.\r\n").unwrap();
                        let mut d = data.take().unwrap();
                        d.write_all(&file[rest..]).unwrap();
                        drop(d);
                        rest = 0;
                        "226 Transfer complete.".into()
                    }
                    "QUIT" => {
                        w.write_all(b"221 bye\r\n").unwrap();
                        return;
                    }
                    _ => "502 not here".into(),
                };
                w.write_all(format!("{reply}\r\n").as_bytes()).unwrap();
            }
        });
        (addr, handle)
    }

    #[test]
    fn active_data_connection_made_before_the_transfer_command_is_used() {
        const FILE: &[u8] = b"0123456789abcdefghij";
        let (addr, server) = early_connecting_server(FILE);
        let opts = Options {
            mode: ClientMode::Active,
            reply_timeout: Duration::from_secs(3),
            data_timeout: Duration::from_secs(3),
            ..Options::default()
        };
        let mut c = Client::connect_with(addr, opts).unwrap();
        c.login("u", "p").unwrap();
        let mut got = Vec::new();
        assert_eq!(c.retrieve_to("f", &mut got).unwrap(), 20);
        assert_eq!(got, FILE);
        let mut tail = Vec::new();
        assert_eq!(c.retrieve_from("f", 15, &mut tail).unwrap(), 5);
        assert_eq!(tail, b"fghij");
        c.quit().unwrap();
        server.join().unwrap();
    }

    /// A listener that greets every connection and then waits for it to close.
    fn greeter() -> (SocketAddr, std::thread::JoinHandle<()>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let h = std::thread::spawn(move || {
            for _ in 0..2 {
                let (mut s, _) = l.accept().unwrap();
                s.write_all(b"220 hi\r\n").unwrap();
                let mut sink = Vec::new();
                let _ = s.read_to_end(&mut sink);
            }
        });
        (addr, h)
    }

    #[test]
    fn control_socket_keepalive_is_set_as_configured() {
        let (addr, server) = greeter();
        let c = Client::connect(addr).unwrap();
        let sock = socket2::SockRef::from(c.ctrl.tcp());
        assert!(sock.keepalive().unwrap());
        assert_eq!(sock.tcp_keepalive_time().unwrap(), Duration::from_secs(60));
        assert_eq!(sock.tcp_keepalive_interval().unwrap(), Duration::from_secs(15));
        drop(c);
        let k = crate::client::KeepAlive { idle: Duration::from_secs(7), interval: Duration::from_secs(3) };
        let c = Client::connect_with(addr, Options { keepalive: Some(k), ..Options::default() }).unwrap();
        let sock = socket2::SockRef::from(c.ctrl.tcp());
        assert_eq!(sock.tcp_keepalive_time().unwrap(), Duration::from_secs(7));
        assert_eq!(sock.tcp_keepalive_interval().unwrap(), Duration::from_secs(3));
        drop(c);
        server.join().unwrap();
        let (addr, server) = greeter();
        for _ in 0..2 {
            let c = Client::connect_with(addr, Options { keepalive: None, ..Options::default() }).unwrap();
            assert!(!socket2::SockRef::from(c.ctrl.tcp()).keepalive().unwrap());
        }
        server.join().unwrap();
    }
}
