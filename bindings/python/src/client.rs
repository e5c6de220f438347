//! The client behind `ftpkit.FTP`: `ftpkit::blocking::Client` (the core's client session driven over `std::net`),
//! called with the GIL released so other Python threads run while it waits on the network.
//!
//! ftplib's methods return the server's reply text. Raw commands (`quote`) and transfers (`open_transfer`,
//! `finish_transfer`) give their final reply directly; for the client's other calls, which return values, the
//! trace hook feeds the received control lines to the core's reply decoder so each call can hand back the replies
//! it caused (and the `ftp -d` trace of `set_debuglevel` comes from the same hook). Commands are parsed by the
//! core (`Command::parse`); no protocol decision is taken here.
use crate::errors::make;
use ftpkit::blocking::Client;
use ftpkit::client::{ClientMode as Mode, Error, Options, TextEncoding, TlsMode, TlsPolicy, TraceLine, Tracer};
use ftpkit::proto::command::{Command, ProtectionLevel, TransferType};
use ftpkit::proto::driver::DataEnd;
use ftpkit::proto::hash::{to_hex, HashAlgorithm};
use ftpkit::proto::listing::split_mlsd_line;
use ftpkit::proto::reply::Reply;
use ftpkit::proto::reply::{Framing, Limits, ReplyDecoder};
use ftpkit::proto::session::client::{Direction, TransferKind};
use ftpkit::proto::timeline::{self, Context};
use ftpkit::proto::transcript::{self, DEBUG_MARKER};
use ftpkit::tls::TlsConfig;
use pyo3::exceptions::{PyEOFError, PyOSError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::IntoRawFd;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClient>()
}

/// One reply as ftplib shows it: the command verb it answered, its code and its raw lines joined with `\n`.
type ReplyRec = (String, u16, String);

/// What the trace hook collects.
#[derive(Debug)]
struct Log {
    decoder: ReplyDecoder,
    /// The verb of the last command sent.
    last_verb: String,
    /// Replies decoded since the current call began.
    replies: Vec<ReplyRec>,
    /// The exchange in `ftp -d` form (commands with the `---> ` marker) while debugging is on, for the
    /// data-connection steps.
    lines: Vec<String>,
    /// The server's address, for the steps.
    server: Option<SocketAddr>,
    /// Data connections established (client end, server end) whose steps are not printed yet.
    pending: Vec<(SocketAddr, SocketAddr)>,
    /// How many data connections' steps were printed.
    printed: usize,
}

#[derive(Debug)]
struct Shared {
    debug: AtomicI32,
    log: Mutex<Log>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes one line to Python's `sys.stdout` (where ftplib prints its debug output).
fn print_line(text: &str) {
    Python::attach(|py| {
        let r = py
            .import("sys")
            .and_then(|sys| sys.getattr("stdout"))
            .and_then(|out| out.call_method1("write", (format!("{text}\n"),)));
        if let Err(e) = r {
            e.print(py);
        }
    });
}

impl Shared {
    fn on_trace(&self, line: &TraceLine) {
        let debug = self.debug.load(Ordering::Relaxed);
        match line {
            TraceLine::Sent(s) => {
                let text = format!("{DEBUG_MARKER}{s}");
                {
                    let mut log = lock(&self.log);
                    log.last_verb = s.split(' ').next().unwrap_or("").to_ascii_uppercase();
                    if debug > 0 {
                        log.lines.push(text.clone());
                    }
                }
                if debug > 0 {
                    print_line(&text);
                }
            }
            TraceLine::Received(s) => {
                {
                    let mut log = lock(&self.log);
                    if debug > 0 {
                        log.lines.push(s.clone());
                    }
                    let Log { decoder, last_verb, replies, .. } = &mut *log;
                    decoder.feed(s.as_bytes());
                    decoder.feed(b"\r\n");
                    loop {
                        match decoder.decode() {
                            Ok(Some(r)) => {
                                let lines: Vec<String> =
                                    r.lines().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
                                replies.push((last_verb.clone(), r.code().get(), lines.join("\n")));
                            }
                            Ok(None) => break,
                            // A line the decoder refuses: the session reports the protocol error itself.
                            Err(_) => continue,
                        }
                    }
                }
                if debug > 0 {
                    print_line(s);
                    for line in self.new_steps() {
                        print_line(&line);
                    }
                }
            }
            TraceLine::Data { local, remote } if debug > 0 => lock(&self.log).pending.push((*local, *remote)),
            // FTPS: each handshake (and whether a data connection resumed the control session), and CCC.
            TraceLine::Tls { .. } | TraceLine::TlsClosed if debug > 0 => {
                if let Some(text) = line.tls_text() {
                    print_line(&text);
                }
            }
            _ => {}
        }
    }

    /// The seed's four numbered steps of each data connection the core's timeline of the exchange shows complete
    /// (its transfer command answered) and not printed yet, with the addresses the sockets show.
    fn new_steps(&self) -> Vec<String> {
        let (text, server, printed, pending) = {
            let log = lock(&self.log);
            if log.pending.is_empty() {
                return Vec::new();
            }
            (log.lines.join("\n"), log.server, log.printed, log.pending.clone())
        };
        let (local, remote) = pending[0];
        let ctx =
            Context { client: Some(local.ip()), server: Some(remote.ip()), control_port: server.map(|s| s.port()) };
        let items = transcript::decode(&text);
        let tl = timeline::build(&items, &ctx);
        let mut out = Vec::new();
        let mut used = 0;
        for (c, (local, remote)) in tl.connections.iter().skip(printed).zip(pending.iter()) {
            if c.outcome.is_none() {
                break;
            }
            out.push(format!("data connection {} ({}): client {local} <-> server {remote}", c.index, c.mode.name()));
            for s in &c.steps {
                out.push(format!("  {}. {} -> {}: {}", s.number, s.from, s.to, s.what));
            }
            used += 1;
        }
        if used > 0 {
            let mut log = lock(&self.log);
            log.printed += used;
            let n = used.min(log.pending.len());
            log.pending.drain(..n);
        }
        out
    }
}

#[derive(Debug)]
/// A connected client. Every method releases the GIL while it waits.
#[pyclass(module = "ftpkit._native", name = "Client")]
pub struct NativeClient {
    client: Mutex<Option<Client>>,
    shared: Arc<Shared>,
    welcome: String,
    xfer: Mutex<Xfer>,
}

/// The transfer handed to Python (`transfercmd`), and the replies `abort` left for `voidresp`.
#[derive(Debug, Default)]
struct Xfer {
    /// The direction of the transfer whose socket Python holds: `voidresp` ends it.
    open: Option<Direction>,
    /// Replies received but not returned yet (`(code, text)`), oldest first.
    leftover: VecDeque<(u16, String)>,
}

/// Something a call may fail with, converted to the Python exception once the GIL is held again.
enum Failure {
    Client(Box<Error>),
    Python(PyErr),
    Closed,
    Usage(String),
}

impl Failure {
    fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            Failure::Python(e) => e,
            Failure::Closed => make(py, "error_proto", "the connection is closed (call connect first)".into(), &[]),
            Failure::Usage(m) => PyValueError::new_err(m),
            Failure::Client(e) => client_error(py, *e, None),
        }
    }
}

/// ftplib's exception class for a reply code, as its `getresp` decides: none for 1xx/2xx/3xx, `error_temp` for
/// 4xx, `error_perm` for 5xx, `error_proto` otherwise. The one place the binding classifies replies.
fn reply_class(code: u16) -> Option<&'static str> {
    match code / 100 {
        1..=3 => None,
        4 => Some("error_temp"),
        5 => Some("error_perm"),
        _ => Some("error_proto"),
    }
}

/// A final reply as ftplib shows it: its raw lines joined with `\n`. The reply value holds the text lines
/// without their code prefixes; the raw lines are the trace's record of the same reply (the last one seen with
/// that code), else the lines rebuilt in the `NNN-`/`NNN ` form.
fn reply_text(r: &Reply, seen: &[ReplyRec]) -> (u16, String) {
    let code = r.code.get();
    if let Some((_, _, text)) = seen.iter().rev().find(|(_, c, _)| *c == code) {
        return (code, text.clone());
    }
    let last = r.lines.len().saturating_sub(1);
    let lines: Vec<String> =
        r.lines.iter().enumerate().map(|(i, l)| format!("{code}{}{l}", if i == last { ' ' } else { '-' })).collect();
    (code, lines.join("\n"))
}

/// The reply's text, or the exception ftplib's `getresp` raises for its code.
fn check_reply(py: Python<'_>, (code, text): (u16, String)) -> PyResult<String> {
    match reply_class(code) {
        None => Ok(text),
        Some(class) => Err(make(py, class, text, &[])),
    }
}

/// The transfer command `line` as a transfer the client can open (the core parses it). Other commands raise
/// `error_reply`, as ftplib's `ntransfercmd` does when the server answers them without a 1xx.
fn transfer_kind(py: Python<'_>, line: &str) -> PyResult<TransferKind> {
    let cmd = Command::parse(line).map_err(|e| PyValueError::new_err(format!("{line:?}: {e}")))?;
    let own = |c: Option<std::borrow::Cow<'_, str>>| c.map(|a| a.into_owned());
    Ok(match cmd {
        Command::Retr(p) => TransferKind::Retr(p.into_owned()),
        Command::Stor(p) => TransferKind::Stor(p.into_owned()),
        Command::Appe(p) => TransferKind::Appe(p.into_owned()),
        Command::Stou(None) => TransferKind::Stou,
        Command::List(a) => TransferKind::List(own(a)),
        Command::Nlst(a) => TransferKind::Nlst(own(a)),
        Command::Mlsd(a) => TransferKind::Mlsd(own(a)),
        _ => {
            return Err(make(
                py,
                "error_reply",
                format!("{line:?} is not a transfer command (RETR, STOR, APPE, STOU, LIST, NLST, MLSD)"),
                &[],
            ))
        }
    })
}

/// The exception ftplib would raise: error_temp (4xx), error_perm (5xx), error_reply (other codes), error_proto
/// (the server broke the protocol), OSError / TimeoutError / EOFError for the connection itself.
fn client_error(py: Python<'_>, e: Error, last: Option<ReplyRec>) -> PyErr {
    let reply_err = |code: u16, fallback: String| {
        // The raw reply text as ftplib reports it, when the trace saw that reply.
        let text = match &last {
            Some((_, c, t)) if *c == code => t.clone(),
            _ => fallback,
        };
        make(py, reply_class(code).unwrap_or("error_reply"), text, &[])
    };
    match e {
        Error::Refused(r) | Error::LoginFailed(r) | Error::TlsRefused(r) => {
            let code = r.code.get();
            reply_err(code, format!("{code} {}", r.text()))
        }
        Error::Transfer { reply: Some(r), .. } => {
            let code = r.code.get();
            reply_err(code, format!("{code} {}", r.text()))
        }
        Error::Transfer { failure, reply: None } => PyOSError::new_err(format!("data connection failed: {failure:?}")),
        Error::Io(io) => match io.raw_os_error() {
            Some(errno) => PyOSError::new_err((errno, io.to_string())),
            None => PyOSError::new_err(io.to_string()),
        },
        Error::Timeout(what) => PyTimeoutError::new_err(format!("timed out waiting for {what}")),
        Error::Protocol(p) => make(py, "error_proto", p.to_string(), &[("kind", Some(p.kind().name().to_owned()))]),
        Error::Closed(reason) => PyEOFError::new_err(format!("connection closed ({reason:?})")),
        // As Python's ssl module reports them (both are OSError subclasses, in ftplib.all_errors).
        Error::Certificate(m) => ssl_error(py, "SSLCertVerificationError", format!("certificate verify failed: {m}")),
        Error::Tls(m) => ssl_error(py, "SSLError", m),
        Error::Encoding(e) => crate::errors::encoding(py, &e),
        other => make(py, "error_proto", other.to_string(), &[]),
    }
}

/// An instance of `ssl.<class>` (the errors Python's own TLS raises, which ftplib callers catch).
fn ssl_error(py: Python<'_>, class: &str, message: String) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py.import("ssl")?.getattr(class)?;
        Ok(PyErr::from_value(cls.call1((message.clone(),))?))
    };
    build().unwrap_or_else(|_| PyOSError::new_err(message))
}

/// The FTPS settings of `ftpkit.FTP_TLS`, a dict built by the Python layer (`_tls.py`): each maps one field of
/// `ftpkit::tls::TlsConfig`.
#[derive(Debug, FromPyObject)]
#[pyo3(from_item_all)]
struct TlsArgs {
    /// The name the certificate must carry (the host connected to).
    server_name: Option<String>,
    /// `cafile=`: trust only the certificates in this PEM file.
    ca_file: Option<std::path::PathBuf>,
    /// The CA certificates (DER) loaded into the `ssl.SSLContext`.
    ca_certs: Vec<Vec<u8>>,
    /// `certfile`/`keyfile`: the client certificate chain and its key.
    client_cert: Option<(std::path::PathBuf, std::path::PathBuf)>,
    /// False: accept any certificate (`verify_mode == CERT_NONE`).
    verify: bool,
    /// False: verify the chain, not the name (`check_hostname = False`).
    check_hostname: bool,
    /// TLS 1.2 only (`maximum_version == TLSv1_2`).
    tls12_only: bool,
}

impl TlsArgs {
    fn config(self) -> TlsConfig {
        TlsConfig {
            server_name: self.server_name,
            ca_file: self.ca_file,
            ca_certs: self.ca_certs,
            client_cert: self.client_cert,
            insecure_skip_verify: !self.verify,
            skip_hostname_check: !self.check_hostname,
            tls12_only: self.tls12_only,
        }
    }
}

/// `source_address` as ftplib takes it, `(host, port)` (`''`: any address), resolved to one socket address.
fn source(addr: Option<(String, u16)>) -> PyResult<Option<SocketAddr>> {
    let Some((host, port)) = addr else { return Ok(None) };
    let host = if host.is_empty() { "0.0.0.0".to_owned() } else { host };
    let target = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let found =
        target.to_socket_addrs().map_err(|e| PyOSError::new_err(format!("source_address {target}: {e}")))?.next();
    found.map(Some).ok_or_else(|| PyOSError::new_err(format!("source_address {target}: no address")))
}

/// Writes downloaded bytes to a Python callback, `blocksize` bytes a call at most, taking the GIL for each call.
struct CallbackWriter<'a> {
    callback: &'a Py<PyAny>,
    blocksize: usize,
    error: Option<PyErr>,
}

impl Write for CallbackWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = Python::attach(|py| -> PyResult<()> {
            for chunk in buf.chunks(self.blocksize.max(1)) {
                self.callback.call1(py, (PyBytes::new(py, chunk),))?;
            }
            Ok(())
        });
        match r {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                self.error = Some(e);
                Err(io::Error::other("the Python callback raised"))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads upload bytes from a Python file object (`fp.read(blocksize)`), calling `callback(block)` after each.
struct FileReader<'a> {
    fp: &'a Py<PyAny>,
    callback: Option<&'a Py<PyAny>>,
    blocksize: usize,
    error: Option<PyErr>,
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = self.blocksize.max(1).min(buf.len());
        let r = Python::attach(|py| -> PyResult<usize> {
            let block = self.fp.call_method1(py, "read", (want,))?;
            let bytes = block.bind(py).cast::<PyBytes>().map_err(PyErr::from)?;
            let data = bytes.as_bytes();
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            if n > 0 {
                if let Some(cb) = self.callback {
                    cb.call1(py, (bytes.clone(),))?;
                }
            }
            Ok(n)
        });
        r.map_err(|e| {
            self.error = Some(e);
            io::Error::other("the Python file or callback raised")
        })
    }
}

fn reply_list(py: Python<'_>, r: Vec<ReplyRec>) -> PyResult<Py<PyAny>> {
    Ok(r.into_pyobject(py)?.into_any().unbind())
}

#[pymethods]
impl NativeClient {
    /// Connects to `host:port` and reads the greeting. `timeout` (seconds) bounds connecting and every wait;
    /// `source_address` `(host, port)` is the local address to connect from; `tls` (a dict, see `TlsArgs`) makes
    /// it an FTPS client driven step by step (`TlsMode::Manual`: `auth`, `pbsz`, `prot`, `ccc` operations);
    /// `encoding` (`utf8` or `latin1`, the core's names) is the connection's encoding of names.
    #[new]
    #[pyo3(signature = (host, port, timeout=None, passive=true, debuglevel=0, source_address=None, tls=None, encoding="utf8"))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: &str,
        port: u16,
        timeout: Option<f64>,
        passive: bool,
        debuglevel: i32,
        source_address: Option<(String, u16)>,
        tls: Option<TlsArgs>,
        encoding: &str,
    ) -> PyResult<Self> {
        let encoding: TextEncoding = encoding.parse().map_err(|e| PyValueError::new_err(format!("{e}")))?;
        let limit = match timeout {
            Some(t) if t.is_finite() && t > 0.0 => Duration::from_secs_f64(t),
            Some(t) => {
                return Err(PyValueError::new_err(format!("timeout must be a positive number of seconds, not {t}")))
            }
            None => Duration::from_secs(60),
        };
        let shared = Arc::new(Shared {
            debug: AtomicI32::new(debuglevel),
            log: Mutex::new(Log {
                decoder: ReplyDecoder::new(Framing::Strict, Limits::default()),
                last_verb: String::new(),
                replies: Vec::new(),
                lines: Vec::new(),
                server: None,
                pending: Vec::new(),
                printed: 0,
            }),
        });
        let hook = Arc::clone(&shared);
        let tracer: Tracer = Arc::new(move |line: &TraceLine| hook.on_trace(line));
        let opts = Options {
            connect_timeout: limit,
            reply_timeout: limit,
            data_timeout: limit,
            mode: if passive { Mode::Passive } else { Mode::Active },
            trace: Some(tracer),
            source_address: source(source_address)?,
            tls: match tls {
                Some(_) => TlsPolicy { mode: TlsMode::Manual, ..TlsPolicy::default() },
                None => TlsPolicy::default(),
            },
            tls_config: tls.map(TlsArgs::config).unwrap_or_default(),
            encoding,
            ..Options::default()
        };
        let target = format!(
            "{}:{port}",
            if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() }
        );
        let result = py.detach(|| -> Result<Client, Error> {
            let addrs: Vec<SocketAddr> = target.as_str().to_socket_addrs()?.collect();
            if let Some(a) = addrs.first() {
                lock(&shared.log).server = Some(*a);
            }
            Client::connect_with(addrs.as_slice(), opts)
        });
        let last = lock(&shared.log).replies.last().cloned();
        let client = result.map_err(|e| client_error(py, e, last))?;
        let welcome = {
            let mut log = lock(&shared.log);
            let w = log.replies.first().map(|r| r.2.clone()).unwrap_or_default();
            log.replies.clear();
            w
        };
        Ok(NativeClient { client: Mutex::new(Some(client)), shared, welcome, xfer: Mutex::new(Xfer::default()) })
    }

    /// The greeting, as ftplib's `getwelcome()` shows it.
    #[getter]
    fn welcome(&self) -> String {
        self.welcome.clone()
    }

    /// The server's address `(ip, port)`.
    #[getter]
    fn server(&self) -> Option<(String, u16)> {
        lock(&self.shared.log).server.map(|a| (a.ip().to_string(), a.port()))
    }

    /// The debug level (0 silent; 1 or more: the `ftp -d` trace on stdout, with each data connection's steps).
    fn set_debuglevel(&self, level: i32) {
        self.shared.debug.store(level, Ordering::Relaxed);
    }

    /// Passive (EPSV, then PASV) or active (PORT/EPRT) data connections from now on.
    fn set_passive(&self, py: Python<'_>, passive: bool) -> PyResult<()> {
        self.with(py, |c| {
            c.set_mode(if passive { Mode::Passive } else { Mode::Active });
            Ok(())
        })
        .map(|(_, _)| ())
    }

    /// True while TLS runs on the control connection (after `auth`, until `ccc`).
    #[getter]
    fn control_protected(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, |c| Ok(c.control_protected())).map(|(v, _)| v)
    }

    /// True while data connections are protected (after `prot('P')`, until `prot('C')`).
    #[getter]
    fn data_protected(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, |c| Ok(c.data_protected())).map(|(v, _)| v)
    }

    /// True when the server's FEAT reply listed the feature (`MLST`, `EPSV`, ...).
    fn has_feature(&self, py: Python<'_>, name: &str) -> PyResult<bool> {
        let name = name.to_owned();
        self.with(py, move |c| Ok(c.session().features().is_some_and(|f| f.has(&name)))).map(|(v, _)| v)
    }

    /// Runs one operation of the blocking client: `(its value, the replies it caused)`.
    ///
    /// Operations: `login(user, passwd, acct?)`, `cwd(path)`, `pwd`, `mkd(path)`, `rmd(path)`, `dele(path)`,
    /// `rename(from, to)`, `size(path)`, `mdtm(path)` (unix seconds), `noop`, `site(text)`, `type(A|I)`,
    /// `quit`, `nlst(path?)`, `list(path?)` (raw LIST lines), `mlsd(path?)` (`[(name, [(fact, value)])]`); with
    /// `tls`: `auth` (AUTH TLS and the handshake), `pbsz`, `prot(P|C)`, `ccc`.
    #[pyo3(signature = (op, a=None, b=None, c=None))]
    fn call(
        &self,
        py: Python<'_>,
        op: &str,
        a: Option<String>,
        b: Option<String>,
        c: Option<String>,
    ) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        enum V {
            None,
            Str(String),
            Int(u64),
            I64(i64),
            Lines(Vec<String>),
            Facts(Vec<(String, Vec<(String, String)>)>),
            /// HASH's reply: algorithm, first byte, end of the range, hex digest, path.
            Hash(&'static str, u64, u64, String, String),
        }
        let op_name = op.to_owned();
        let a2 = a.clone();
        let arg = move || a2.clone().ok_or_else(|| Failure::Usage(format!("{op_name}: an argument is needed")));
        let (v, replies) = match op {
            "quit" => {
                let taken = self.take_client(py);
                let r = py.detach(|| match taken {
                    Some(c) => c.quit().map_err(|e| Failure::Client(Box::new(e))),
                    None => Err(Failure::Closed),
                });
                let replies = std::mem::take(&mut lock(&self.shared.log).replies);
                r.map_err(|f| f.into_py(py))?;
                (V::None, replies)
            }
            _ => {
                let op = op.to_owned();
                let acct = c;
                self.with(py, move |c| {
                    let e = |e: Error| Failure::Client(Box::new(e));
                    Ok(match op.as_str() {
                        "login" => {
                            let (user, pass) = (arg()?, b.clone().unwrap_or_default());
                            match acct.as_deref() {
                                Some(acct) => c.login_with_account(&user, &pass, acct).map_err(e)?,
                                None => c.login(&user, &pass).map_err(e)?,
                            }
                            V::None
                        }
                        "cwd" => {
                            c.cwd(&arg()?).map_err(e)?;
                            V::None
                        }
                        "pwd" => V::Str(c.pwd().map_err(e)?),
                        "mkd" => c.mkdir(&arg()?).map_err(e)?.map_or(V::None, V::Str),
                        "rmd" => {
                            c.rmdir(&arg()?).map_err(e)?;
                            V::None
                        }
                        "dele" => {
                            c.delete(&arg()?).map_err(e)?;
                            V::None
                        }
                        "rename" => {
                            let to = b.clone().ok_or_else(|| Failure::Usage("rename: a target is needed".into()))?;
                            c.rename(&arg()?, &to).map_err(e)?;
                            V::None
                        }
                        "size" => V::Int(c.size(&arg()?).map_err(e)?),
                        "mdtm" => V::I64(c.mdtm(&arg()?).map_err(e)?.to_unix()),
                        "noop" => {
                            c.noop().map_err(e)?;
                            V::None
                        }
                        "auth" => {
                            c.auth().map_err(e)?;
                            V::None
                        }
                        "pbsz" => {
                            c.pbsz().map_err(e)?;
                            V::None
                        }
                        "prot" => {
                            let level = match arg()?.to_ascii_uppercase().as_str() {
                                "P" => ProtectionLevel::Private,
                                "C" => ProtectionLevel::Clear,
                                other => return Err(Failure::Usage(format!("prot: P or C, not {other:?}"))),
                            };
                            c.prot(level).map_err(e)?;
                            V::None
                        }
                        "ccc" => {
                            c.ccc().map_err(e)?;
                            V::None
                        }
                        "site" => {
                            c.site(&arg()?).map_err(e)?;
                            V::None
                        }
                        "type" => {
                            let t = match arg()?.to_ascii_uppercase().as_str() {
                                "A" => TransferType::Ascii(None),
                                "I" => TransferType::Image,
                                other => return Err(Failure::Usage(format!("type: A or I, not {other:?}"))),
                            };
                            c.set_type(t).map_err(e)?;
                            V::None
                        }
                        "nlst" => V::Lines(c.nlst(a.as_deref()).map_err(e)?),
                        "list" => V::Lines(c.list_raw(a.as_deref()).map_err(e)?),
                        "mlsd" => {
                            if !c.session().features().is_some_and(|f| f.supports_mlsd()) {
                                return Err(Failure::Usage(
                                    "mlsd: the server did not list MLST in its FEAT reply".into(),
                                ));
                            }
                            let entries = c.list(a.as_deref()).map_err(e)?;
                            V::Facts(
                                entries
                                    .iter()
                                    .filter_map(|en| {
                                        let (facts, name) = split_mlsd_line(&en.raw).ok()?;
                                        let facts =
                                            facts.map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned())).collect();
                                        Some((name.to_owned(), facts))
                                    })
                                    .collect(),
                            )
                        }
                        "hash" => {
                            let r = c.hash(&arg()?).map_err(e)?;
                            V::Hash(r.algorithm.name(), r.start, r.end, to_hex(&r.digest), r.path)
                        }
                        "select_hash" => {
                            let name = arg()?;
                            let Some(algorithm) = HashAlgorithm::from_name(&name) else {
                                return Err(Failure::Usage(format!(
                                    "select_hash: SHA-256, SHA-1 or MD5, not {name:?}"
                                )));
                            };
                            c.select_hash(algorithm).map_err(e)?;
                            V::None
                        }
                        other => return Err(Failure::Usage(format!("unknown operation {other:?}"))),
                    })
                })?
            }
        };
        let value = match v {
            V::None => py.None(),
            V::Str(s) => s.into_pyobject(py)?.into_any().unbind(),
            V::Int(n) => n.into_pyobject(py)?.into_any().unbind(),
            V::I64(n) => n.into_pyobject(py)?.into_any().unbind(),
            V::Lines(l) => l.into_pyobject(py)?.into_any().unbind(),
            V::Facts(f) => f.into_pyobject(py)?.into_any().unbind(),
            V::Hash(algorithm, start, end, digest, path) => {
                (algorithm, start, end, digest, path).into_pyobject(py)?.into_any().unbind()
            }
        };
        Ok((value, reply_list(py, replies)?))
    }

    /// Sends one raw command line and returns its final reply's text; 4xx/5xx (and codes outside 1-5) raise as
    /// ftplib's `getresp` does.
    ///
    /// A line the core's command parser refuses (a missing argument, an unknown verb's bad form) is not sent: it
    /// raises `error_perm` with the core's reason, the class ftplib gets from the server's 501.
    fn quote(&self, py: Python<'_>, line: String) -> PyResult<String> {
        if let Err(e) = Command::parse(&line) {
            return Err(make(py, "error_perm", format!("501 {line:?} not sent: {e}"), &[]));
        }
        let (reply, seen) = self.with(py, move |c| c.quote(&line).map_err(|e| Failure::Client(Box::new(e))))?;
        check_reply(py, reply_text(&reply, &seen))
    }

    /// Opens the transfer command `cmd` (from byte `rest`) and hands over its data connection as a raw file
    /// descriptor the caller owns from now on (ftplib's `transfercmd`). The next `voidresp` ends the transfer.
    #[pyo3(signature = (cmd, rest=None))]
    fn open_transfer(&self, py: Python<'_>, cmd: &str, rest: Option<u64>) -> PyResult<i32> {
        let kind = transfer_kind(py, cmd)?;
        let xfer = &self.xfer;
        let (fd, _) = self.with(py, move |c| {
            let dir = kind.direction();
            let sock = c.open_transfer(kind, rest).map_err(|e| Failure::Client(Box::new(e)))?;
            // Python sets its own timeout on the socket object; the client's socket-level timeouts go.
            let _ = sock.set_read_timeout(None);
            let _ = sock.set_write_timeout(None);
            lock(xfer).open = Some(dir);
            Ok(sock.into_raw_fd())
        })?;
        Ok(fd)
    }

    /// Reads the next reply (ftplib's `voidresp`/`getresp`): ends the transfer opened by `open_transfer` (its data
    /// connection read to its end, or written and closed), or returns a reply `abort` left. Raises by code class.
    fn getresp(&self, py: Python<'_>) -> PyResult<String> {
        let (open, left) = {
            let mut x = lock(&self.xfer);
            let open = x.open.take();
            (open, if open.is_none() { x.leftover.pop_front() } else { None })
        };
        if let Some((code, text)) = left {
            return check_reply(py, (code, text));
        }
        let Some(dir) = open else {
            return Err(make(py, "error_proto", "no reply is pending (no transfer is open)".into(), &[]));
        };
        let end = if dir == Direction::Upload { DataEnd::Closed } else { DataEnd::Eof };
        let (reply, seen) = self.with(py, move |c| c.finish_transfer(end).map_err(|e| Failure::Client(Box::new(e))))?;
        check_reply(py, reply_text(&reply, &seen))
    }

    /// Aborts the open transfer (ABOR, the data connection reset) or, with none open, sends ABOR. Returns the first
    /// reply to it (the 426, or the 225/226 when nothing was in flight); a later one is left for `getresp`, as
    /// ftplib leaves it on the control connection.
    fn abort(&self, py: Python<'_>) -> PyResult<String> {
        let open = lock(&self.xfer).open.take();
        if open.is_none() {
            let (reply, seen) = self.with(py, |c| c.quote("ABOR").map_err(|e| Failure::Client(Box::new(e))))?;
            return Ok(reply_text(&reply, &seen).1);
        }
        let (_, replies) = self.with(py, |c| c.abort_transfer().map_err(|e| Failure::Client(Box::new(e))))?;
        let mut replies: VecDeque<(u16, String)> =
            replies.into_iter().filter(|(verb, _, _)| verb == "ABOR").map(|(_, c, t)| (c, t)).collect();
        let first = replies.pop_front();
        lock(&self.xfer).leftover.extend(replies);
        match first {
            // ftplib's abort reads this reply without classifying it (its caller checks the code).
            Some((_, text)) => Ok(text),
            None => Err(make(py, "error_proto", "no reply to ABOR".into(), &[])),
        }
    }

    /// Runs the download command `cmd` (RETR, LIST, NLST, MLSD; from byte `rest`), calling `callback(block)` for
    /// every block of at most `blocksize` bytes. Returns the final reply's text.
    #[pyo3(signature = (cmd, callback, blocksize=8192, rest=None))]
    fn download(
        &self,
        py: Python<'_>,
        cmd: &str,
        callback: Py<PyAny>,
        blocksize: usize,
        rest: Option<u64>,
    ) -> PyResult<String> {
        let kind = transfer_kind(py, cmd)?;
        if kind.direction() != Direction::Download {
            return Err(PyValueError::new_err(format!("{cmd:?} is an upload: use storbinary or storlines")));
        }
        let (reply, seen) = self.with(py, move |c| {
            // A stream over the data connection, plain or under TLS (resuming the control session).
            let mut data = c.download(kind, rest).map_err(|e| Failure::Client(Box::new(e)))?;
            let mut w = CallbackWriter { callback: &callback, blocksize, error: None };
            // Reads of up to 256 KiB, or `blocksize` if larger (the callback still gets blocks of at most
            // `blocksize`): fewer system calls. The buffer starts at 16 KiB and doubles while reads fill it, so
            // a short listing does not zero a large buffer (retrlines' 1 MiB one was 6% of the client's CPU in
            // a short session: perf on the bench's session loop).
            let cap = blocksize.max(256 << 10);
            let mut buf = vec![0u8; cap.min(16 << 10)];
            loop {
                let n = match data.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(aborted(data.abort(), Failure::Client(Box::new(Error::Io(e))))),
                };
                if w.write_all(buf.get(..n).unwrap_or_default()).is_err() {
                    let f = w.error.take().map_or(Failure::Usage("the callback failed".into()), Failure::Python);
                    return Err(aborted(data.abort(), f));
                }
                if n == buf.len() && n < cap {
                    buf.resize((n * 2).min(cap), 0);
                }
            }
            data.finish().map_err(|e| Failure::Client(Box::new(e)))
        })?;
        check_reply(py, reply_text(&reply, &seen))
    }

    /// Runs the upload command `cmd` (STOR, APPE, STOU; from byte `rest`) with the bytes of `fp.read(blocksize)`
    /// until it returns `b''`, calling `callback(block)` after each. Returns the final reply's text.
    #[pyo3(signature = (cmd, fp, blocksize=8192, callback=None, rest=None))]
    fn upload(
        &self,
        py: Python<'_>,
        cmd: &str,
        fp: Py<PyAny>,
        blocksize: usize,
        callback: Option<Py<PyAny>>,
        rest: Option<u64>,
    ) -> PyResult<String> {
        let kind = transfer_kind(py, cmd)?;
        if kind.direction() != Direction::Upload {
            return Err(PyValueError::new_err(format!("{cmd:?} is a download: use retrbinary or retrlines")));
        }
        let (reply, seen) = self.with(py, move |c| {
            let mut data = c.upload(kind, rest).map_err(|e| Failure::Client(Box::new(e)))?;
            let mut r = FileReader { fp: &fp, callback: callback.as_ref(), blocksize, error: None };
            let mut buf = vec![0u8; blocksize.max(1)];
            loop {
                let n = match r.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(_) => {
                        let f = r.error.take().map_or(Failure::Usage("the file failed".into()), Failure::Python);
                        return Err(aborted(data.abort(), f));
                    }
                };
                if let Err(e) = data.write_all(buf.get(..n).unwrap_or_default()) {
                    return Err(aborted(data.abort(), Failure::Client(Box::new(Error::Io(e)))));
                }
            }
            // The end of the data (close_notify under TLS, then FIN), then the final reply.
            data.finish().map_err(|e| Failure::Client(Box::new(e)))
        })?;
        check_reply(py, reply_text(&reply, &seen))
    }

    /// Closes the connection without QUIT. Idempotent.
    fn close(&self, py: Python<'_>) {
        let taken = self.take_client(py);
        py.detach(move || drop(taken));
    }

    /// True while connected.
    #[getter]
    fn connected(&self, py: Python<'_>) -> bool {
        py.detach(|| lock(&self.client).is_some())
    }
}

/// A transfer failed on this side (the data connection, or the Python callback/file raised): it was aborted
/// (ABOR, the data connection reset) so the control connection stays in step; report `failure`, not the abort's
/// own outcome.
fn aborted(_abort: Result<(), Error>, failure: Failure) -> Failure {
    failure
}

impl NativeClient {
    fn take_client(&self, py: Python<'_>) -> Option<Client> {
        py.detach(|| lock(&self.client).take())
    }

    /// Runs `f` on the client with the GIL released (the lock is taken without the GIL, so a thread waiting for it
    /// never blocks the others); returns its value and the replies decoded meanwhile.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Client) -> Result<T, Failure> + Send,
    ) -> PyResult<(T, Vec<ReplyRec>)> {
        let shared = &self.shared;
        let client = &self.client;
        let r = py.detach(move || {
            let mut guard = lock(client);
            lock(&shared.log).replies.clear();
            let r = match guard.as_mut() {
                Some(c) => f(c),
                None => Err(Failure::Closed),
            };
            let replies = std::mem::take(&mut lock(&shared.log).replies);
            (r, replies)
        });
        match r {
            (Ok(v), replies) => Ok((v, replies)),
            (Err(Failure::Client(e)), replies) => Err(client_error(py, *e, replies.last().cloned())),
            (Err(f), _) => Err(f.into_py(py)),
        }
    }
}
