//! A blocking FTP client on `std::net`: a drive loop over the sans-IO
//! [`ClientSession`].
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
//! addresses, the data connection's source check) is the session's; this module moves bytes and waits, with a
//! timeout on every wait.

use crate::client::{self, unexpected, Error, Mode, Options, Result};
use crate::proto::command::TransferType;
use crate::proto::listing::{DateTime, Entry};
use crate::proto::reply::Reply;
use crate::proto::session::client::{ClientSession, DataMode, Event, RequestId, SessionError, Transfer, TransferKind};
use crate::proto::session::DataEvent;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How long one poll of the control connection waits while an active-mode accept is pending.
const ACCEPT_POLL: Duration = Duration::from_millis(10);

/// A blocking FTP client.
#[derive(Debug)]
pub struct Client {
    ctrl: TcpStream,
    session: ClientSession,
    opts: Options,
    rbuf: Vec<u8>,
    /// The data connection of the transfer in progress.
    data: Option<TcpStream>,
    /// The active-mode listener of the transfer in progress.
    listener: Option<TcpListener>,
    /// Partial control lines not yet traced.
    trace_buf: client::TraceBuf,
    /// An active-mode data connection the server made before the session could take it (pyftpdlib connects as soon
    /// as PORT/EPRT arrives, before REST and the transfer command): offered again as the session moves on.
    early: Option<(TcpStream, SocketAddr)>,
}

/// What the drive loop is waiting for.
enum Until {
    /// The final event of request `id`.
    Done(RequestId),
    /// `DataReady` (or failure) of transfer `id`.
    DataReady(RequestId),
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
            match TcpStream::connect_timeout(&a, opts.connect_timeout) {
                Ok(s) => return Client::from_stream(s, opts),
                Err(e) => last = Some(e),
            }
        }
        Err(last.map_or(Error::Timeout("an address to connect to"), Error::Io))
    }

    /// Wraps an already connected control connection and reads the greeting.
    pub fn from_stream(ctrl: TcpStream, opts: Options) -> Result<Client> {
        ctrl.set_nodelay(true)?;
        let peer = ctrl.peer_addr()?;
        let config = client::session_config(peer, &opts);
        let mut c = Client {
            ctrl,
            session: ClientSession::new(config),
            opts,
            rbuf: vec![0; 8192],
            data: None,
            listener: None,
            trace_buf: client::TraceBuf::default(),
            early: None,
        };
        c.wait_greeting()?;
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
    pub fn login(&mut self, user: &str, password: &str) -> Result<()> {
        let id = self.session.login(user, password, None)?;
        self.run(Until::Done(id))?;
        if let Ok(id) = self.session.feat() {
            let _ = self.run(Until::Done(id));
        }
        self.set_type(TransferType::Image)
    }

    /// Sets the transfer type (`TYPE I` binary, `TYPE A` ASCII).
    pub fn set_type(&mut self, t: TransferType) -> Result<()> {
        let id = self.session.type_(t)?;
        self.run(Until::Done(id)).map(drop)
    }

    /// The working directory (PWD).
    pub fn pwd(&mut self) -> Result<String> {
        let id = self.session.pwd()?;
        match self.run(Until::Done(id))? {
            Event::Path { path, .. } => Ok(path),
            other => Err(unexpected(other)),
        }
    }

    /// Changes the working directory.
    pub fn cwd(&mut self, path: &str) -> Result<()> {
        let id = self.session.cwd(path)?;
        self.run(Until::Done(id)).map(drop)
    }

    /// Makes a directory; returns its path when the server says it.
    pub fn mkdir(&mut self, path: &str) -> Result<Option<String>> {
        let id = self.session.mkd(path)?;
        match self.run(Until::Done(id))? {
            Event::Path { path, .. } => Ok(Some(path)),
            _ => Ok(None),
        }
    }

    /// Removes a directory.
    pub fn rmdir(&mut self, path: &str) -> Result<()> {
        let id = self.session.rmd(path)?;
        self.run(Until::Done(id)).map(drop)
    }

    /// Deletes a file.
    pub fn delete(&mut self, path: &str) -> Result<()> {
        let id = self.session.dele(path)?;
        self.run(Until::Done(id)).map(drop)
    }

    /// Renames (RNFR + RNTO).
    pub fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        let id = self.session.rename(from, to)?;
        self.run(Until::Done(id)).map(drop)
    }

    /// A file's size (SIZE).
    pub fn size(&mut self, path: &str) -> Result<u64> {
        let id = self.session.size(path)?;
        match self.run(Until::Done(id))? {
            Event::Size { size, .. } => Ok(size),
            other => Err(unexpected(other)),
        }
    }

    /// A file's modification time, UTC (MDTM).
    pub fn mdtm(&mut self, path: &str) -> Result<DateTime> {
        let id = self.session.mdtm(path)?;
        match self.run(Until::Done(id))? {
            Event::Modified { time, .. } => Ok(time),
            other => Err(unexpected(other)),
        }
    }

    /// NOOP.
    pub fn noop(&mut self) -> Result<()> {
        let id = self.session.noop()?;
        self.run(Until::Done(id)).map(drop)
    }

    /// A SITE command; returns the server's reply.
    pub fn site(&mut self, text: &str) -> Result<Reply> {
        let id = self.session.site(text)?;
        match self.run(Until::Done(id))? {
            Event::Done { reply, .. } => Ok(reply),
            other => Err(unexpected(other)),
        }
    }

    /// Ends the session (QUIT) and closes the connection.
    pub fn quit(mut self) -> Result<()> {
        let id = self.session.quit()?;
        match self.run(Until::Done(id)) {
            Ok(_) | Err(Error::Closed(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The entries of a directory, parsed: MLSD when the server has it, LIST otherwise. Lines no parser
    /// understands are left out; use [`Client::list_raw`] to see them.
    pub fn list(&mut self, path: Option<&str>) -> Result<Vec<Entry<'static>>> {
        let mlsd = self.session.features().is_some_and(|f| f.supports_mlsd());
        let kind = if mlsd {
            TransferKind::Mlsd(path.map(str::to_owned))
        } else {
            TransferKind::List(path.map(str::to_owned))
        };
        let data = self.read_all(kind, None)?;
        Ok(client::parse_entries(&data, mlsd, client::today()).0)
    }

    /// The raw LIST lines.
    pub fn list_raw(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        let data = self.read_all(TransferKind::List(path.map(str::to_owned)), None)?;
        Ok(client::parse_names(&data))
    }

    /// The names in a directory (NLST).
    pub fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        let data = self.read_all(TransferKind::Nlst(path.map(str::to_owned)), None)?;
        Ok(client::parse_names(&data))
    }

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
        let rest = (offset > 0).then_some(offset);
        let (id, sock) = self.start_transfer(TransferKind::Retr(path.to_owned()), rest)?;
        Ok(Download { client: self, id, sock: Some(sock), eof: false })
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
        let (id, sock) = self.start_transfer(TransferKind::Stor(path.to_owned()), None)?;
        Ok(Upload { client: self, id, sock: Some(sock) })
    }

    fn upload_from(&mut self, kind: TransferKind, rest: Option<u64>, input: &mut impl Read) -> Result<u64> {
        let size = self.opts.buffer_size;
        let (id, sock) = self.start_transfer(kind, rest)?;
        let mut up = Upload { client: self, id, sock: Some(sock) };
        let n = copy(input, &mut up, size)?;
        up.finish()?;
        Ok(n)
    }

    /// Downloads a whole data transfer into memory (listings).
    fn read_all(&mut self, kind: TransferKind, rest: Option<u64>) -> Result<Vec<u8>> {
        let (id, sock) = self.start_transfer(kind, rest)?;
        let mut d = Download { client: self, id, sock: Some(sock), eof: false };
        let mut out = Vec::new();
        d.read_to_end(&mut out)?;
        d.finish()?;
        Ok(out)
    }

    /// Asks for a transfer and drives the session until data may flow; returns the data connection.
    fn start_transfer(&mut self, kind: TransferKind, rest: Option<u64>) -> Result<(RequestId, TcpStream)> {
        let mode = match self.opts.mode {
            Mode::Passive if self.opts.extended_passive => DataMode::Passive,
            Mode::Passive => DataMode::Pasv,
            Mode::Active => {
                let local = self.ctrl.local_addr()?;
                let listener = TcpListener::bind(SocketAddr::new(local.ip(), 0))?;
                let addr = listener.local_addr()?;
                self.listener = Some(listener);
                DataMode::Active(addr)
            }
        };
        let mut transfer = Transfer::new(kind, mode);
        if let Some(r) = rest {
            transfer = transfer.restart_at(r);
        }
        let id = self.session.transfer(transfer)?;
        let result = self.run(Until::DataReady(id));
        self.listener = None;
        self.early = None;
        result?;
        let sock = self.data.take().ok_or(Error::Timeout("the data connection"))?;
        sock.set_read_timeout(Some(self.opts.data_timeout))?;
        sock.set_write_timeout(Some(self.opts.data_timeout))?;
        Ok((id, sock))
    }

    fn wait_greeting(&mut self) -> Result<()> {
        let deadline = Instant::now() + self.opts.reply_timeout;
        loop {
            self.flush()?;
            while let Some(ev) = self.session.poll_event() {
                match ev {
                    Event::Greeting { .. } => return Ok(()),
                    Event::Closed { reason, .. } => return Err(Error::Closed(reason)),
                    _ => {}
                }
            }
            self.read_control(deadline)?;
        }
    }

    /// Writes what the session has to send.
    fn flush(&mut self) -> Result<()> {
        while let Some(bytes) = self.session.poll_transmit() {
            self.trace_buf.feed(self.opts.trace.as_ref(), true, &bytes);
            self.ctrl.write_all(&bytes)?;
        }
        Ok(())
    }

    /// Reads once from the control connection (until `deadline`) and feeds the session.
    fn read_control(&mut self, deadline: Instant) -> Result<()> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout("a reply"));
        }
        self.ctrl.set_read_timeout(Some(left))?;
        match self.ctrl.read(&mut self.rbuf) {
            Ok(0) => {
                self.trace_buf.flush(self.opts.trace.as_ref());
                self.session.handle_close();
                Ok(())
            }
            Ok(n) => {
                let bytes = self.rbuf[..n].to_vec();
                self.trace_buf.feed(self.opts.trace.as_ref(), false, &bytes);
                self.feed(&bytes)
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                Err(Error::Timeout("a reply"))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => {
                self.session.handle_close();
                Err(e.into())
            }
        }
    }

    /// Feeds control bytes; see [`client::judge_input`] for which session errors end the connection.
    fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        let verdict = self.session.handle_input(bytes);
        client::judge_input(&mut self.session, verdict)
    }

    /// The drive loop: write, handle data events, read, until the awaited event.
    fn run(&mut self, until: Until) -> Result<Event> {
        let mut deadline = Instant::now() + self.opts.reply_timeout;
        loop {
            self.flush()?;
            while let Some(ev) = self.session.poll_event() {
                if let Some(done) = self.on_event(ev, &until)? {
                    self.flush()?;
                    return Ok(done);
                }
                self.flush()?;
                deadline = Instant::now() + self.opts.reply_timeout;
            }
            if let Some((sock, from)) = self.early.take() {
                self.accepted(sock, from, &until)?;
                if self.data.is_some() {
                    continue;
                }
            }
            if let Some(listener) = self.listener.as_ref().filter(|_| self.data.is_none() && self.early.is_none()) {
                // Active mode: the server connects to us. Poll the listener and the control connection in turn.
                listener.set_nonblocking(true)?;
                match listener.accept() {
                    Ok((sock, from)) => {
                        sock.set_nonblocking(false)?;
                        self.accepted(sock, from, &until)?;
                        continue;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e.into()),
                }
                match self.read_control(Instant::now() + ACCEPT_POLL) {
                    Err(Error::Timeout(_)) if Instant::now() < deadline => continue,
                    Err(Error::Timeout(_)) => return Err(Error::Timeout("the server's data connection")),
                    other => other?,
                }
            } else {
                self.read_control(deadline)?;
            }
        }
    }

    fn accepted(&mut self, sock: TcpStream, from: SocketAddr, until: &Until) -> Result<()> {
        let id = match until {
            Until::DataReady(id) | Until::Done(id) => *id,
        };
        match self.session.handle_data(id, DataEvent::Accepted { from }) {
            Ok(()) => {
                client::trace_data(self.opts.trace.as_ref(), &sock);
                self.data = Some(sock);
            }
            // Too early (the transfer command is not out yet): keep it and offer it again.
            Err(SessionError::InvalidState { .. }) => self.early = Some((sock, from)),
            Err(e) => tracing::warn!(%from, error = %e, "data connection refused"),
        }
        Ok(())
    }

    /// Acts on one event; returns it when it is the awaited one, an error when it ends the wait badly.
    fn on_event(&mut self, ev: Event, until: &Until) -> Result<Option<Event>> {
        match ev {
            Event::ConnectData { id, addr, nat } => {
                if let Some(n) = nat {
                    tracing::info!(announced = %n.announced, used = %n.used, reason = ?n.reason, "227 address replaced");
                }
                match TcpStream::connect_timeout(&addr, self.opts.data_timeout) {
                    Ok(sock) => {
                        client::trace_data(self.opts.trace.as_ref(), &sock);
                        self.data = Some(sock);
                        self.session.handle_data(id, DataEvent::Connected)?;
                    }
                    Err(e) => self.session.handle_data(id, DataEvent::Failed { reason: e.to_string() })?,
                }
                Ok(None)
            }
            Event::AcceptData { .. } => Ok(None),
            Event::DataReady { id } if matches!(until, Until::DataReady(w) if *w == id) => {
                Ok(Some(Event::DataReady { id }))
            }
            Event::TransferFailed { failure, reply, .. } => {
                self.data = None;
                Err(Error::Transfer { failure, reply })
            }
            Event::LoginFailed { reply, .. } => Err(Error::LoginFailed(reply)),
            Event::Failed { reply, .. } => Err(Error::Refused(reply)),
            Event::Closed { reason, .. } => Err(Error::Closed(reason)),
            ev => {
                let done_id = client::final_id(&ev);
                Ok(match until {
                    Until::Done(w) if done_id == Some(*w) => Some(ev),
                    _ => None,
                })
            }
        }
    }
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
        w.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// A download in progress: read it to the end, then [`Download::finish`]. Dropping it unfinished aborts the
/// transfer (ABOR) so the control connection stays in step.
#[derive(Debug)]
pub struct Download<'a> {
    client: &'a mut Client,
    id: RequestId,
    sock: Option<TcpStream>,
    eof: bool,
}

impl Read for Download<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(sock) = self.sock.as_mut() else { return Ok(0) };
        let n = sock.read(buf)?;
        if n == 0 && !self.eof {
            self.eof = true;
            self.sock = None;
            self.client.session.handle_data(self.id, DataEvent::Eof).map_err(io::Error::other)?;
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
        let id = self.id;
        self.eof = true;
        match self.client.run(Until::Done(id))? {
            Event::TransferComplete { reply, .. } => Ok(reply),
            other => Err(unexpected(other)),
        }
    }

    /// Stops the download: ABOR, then the 426/226 pair.
    pub fn abort(mut self) -> Result<()> {
        self.eof = true;
        abort(self.client, self.sock.take())
    }
}

impl Drop for Download<'_> {
    fn drop(&mut self) {
        if !self.eof {
            let _ = abort(self.client, self.sock.take());
        }
    }
}

fn abort(client: &mut Client, sock: Option<TcpStream>) -> Result<()> {
    let id = client.session.abort()?;
    // ABOR goes out first; then the data connection is reset (not closed with FIN), so the server cannot take
    // the cut-off data for a complete file.
    client.flush()?;
    if let Some(s) = sock {
        let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
        drop(s);
    }
    match client.run(Until::Done(id)) {
        Ok(_) | Err(Error::Transfer { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// An upload in progress: write the data, then [`Upload::finish`]. Dropping it unfinished aborts the transfer.
#[derive(Debug)]
pub struct Upload<'a> {
    client: &'a mut Client,
    id: RequestId,
    sock: Option<TcpStream>,
}

impl Write for Upload<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.sock.as_mut() {
            Some(s) => s.write(buf),
            None => Err(io::Error::new(io::ErrorKind::NotConnected, "upload finished")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Upload<'_> {
    /// Closes the data connection (the end of the file) and waits for the server's final reply (226).
    pub fn finish(mut self) -> Result<Reply> {
        if let Some(s) = self.sock.take() {
            s.shutdown(Shutdown::Write)?;
            // Wait for the server to close its side too, so the 226 refers to all our bytes.
            let mut s = s;
            let _ = io::copy(&mut s, &mut io::sink());
        }
        let id = self.id;
        self.client.session.handle_data(id, DataEvent::Closed)?;
        match self.client.run(Until::Done(id))? {
            Event::TransferComplete { reply, .. } => Ok(reply),
            other => Err(unexpected(other)),
        }
    }

    /// Stops the upload: ABOR; the server keeps no partial file under the name (ftpkit's server does not).
    pub fn abort(mut self) -> Result<()> {
        let sock = self.sock.take();
        abort(self.client, sock)
    }
}

impl Drop for Upload<'_> {
    fn drop(&mut self) {
        if let Some(sock) = self.sock.take() {
            let _ = abort(self.client, Some(sock));
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
            mode: Mode::Active,
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
}
