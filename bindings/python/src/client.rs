//! The client behind `ftpkit.FTP`: `ftpkit::blocking::Client` (the core's client session driven over `std::net`),
//! called with the GIL released so other Python threads run while it waits on the network.
//!
//! The blocking client returns values, not reply texts; ftplib's methods return the server's reply text. The
//! client's trace hook reports every control line, and this module feeds the received ones to the core's reply
//! decoder, so each call can hand back the replies it caused (and the `ftp -d` trace of `set_debuglevel` comes
//! from the same hook). No protocol decision is taken here.
use crate::errors::make;
use ftpkit::blocking::Client;
use ftpkit::client::{ClientMode as Mode, Error, Options, TraceLine, Tracer};
use ftpkit::proto::command::TransferType;
use ftpkit::proto::listing::split_mlsd_line;
use ftpkit::proto::reply::{Framing, Limits, ReplyDecoder};
use ftpkit::proto::timeline::{self, Context};
use ftpkit::proto::transcript::{self, DEBUG_MARKER};
use pyo3::exceptions::{PyEOFError, PyOSError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
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

/// The exception ftplib would raise: error_temp (4xx), error_perm (5xx), error_reply (other codes), error_proto
/// (the server broke the protocol), OSError / TimeoutError / EOFError for the connection itself.
fn client_error(py: Python<'_>, e: Error, last: Option<ReplyRec>) -> PyErr {
    let reply_err = |code: u16, fallback: String| {
        // The raw reply text as ftplib reports it, when the trace saw that reply.
        let text = match &last {
            Some((_, c, t)) if *c == code => t.clone(),
            _ => fallback,
        };
        let class = match code / 100 {
            4 => "error_temp",
            5 => "error_perm",
            _ => "error_reply",
        };
        make(py, class, text, &[])
    };
    match e {
        Error::Refused(r) | Error::LoginFailed(r) => {
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
        other => make(py, "error_proto", other.to_string(), &[]),
    }
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
    /// Connects to `host:port` and reads the greeting. `timeout` (seconds) bounds connecting and every wait.
    #[new]
    #[pyo3(signature = (host, port, timeout=None, passive=true, debuglevel=0))]
    fn new(
        py: Python<'_>,
        host: &str,
        port: u16,
        timeout: Option<f64>,
        passive: bool,
        debuglevel: i32,
    ) -> PyResult<Self> {
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
        Ok(NativeClient { client: Mutex::new(Some(client)), shared, welcome })
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

    /// True when the server's FEAT reply listed the feature (`MLST`, `EPSV`, ...).
    fn has_feature(&self, py: Python<'_>, name: &str) -> PyResult<bool> {
        let name = name.to_owned();
        self.with(py, move |c| Ok(c.session().features().is_some_and(|f| f.has(&name)))).map(|(v, _)| v)
    }

    /// Runs one operation of the blocking client: `(its value, the replies it caused)`.
    ///
    /// Operations: `login(user, passwd)`, `cwd(path)`, `pwd`, `mkd(path)`, `rmd(path)`, `dele(path)`,
    /// `rename(from, to)`, `size(path)`, `mdtm(path)` (unix seconds), `noop`, `site(text)`, `type(A|I)`,
    /// `quit`, `nlst(path?)`, `list(path?)` (raw LIST lines), `mlsd(path?)` (`[(name, [(fact, value)])]`).
    #[pyo3(signature = (op, a=None, b=None))]
    fn call(&self, py: Python<'_>, op: &str, a: Option<String>, b: Option<String>) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        enum V {
            None,
            Str(String),
            Int(u64),
            I64(i64),
            Lines(Vec<String>),
            Facts(Vec<(String, Vec<(String, String)>)>),
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
                self.with(py, move |c| {
                    let e = |e: Error| Failure::Client(Box::new(e));
                    Ok(match op.as_str() {
                        "login" => {
                            c.login(&arg()?, b.as_deref().unwrap_or("")).map_err(e)?;
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
        };
        Ok((value, reply_list(py, replies)?))
    }

    /// Downloads `path` (RETR, after REST `rest` when given), calling `callback(block)` for every block of at most
    /// `blocksize` bytes. Returns `(bytes, replies)`.
    #[pyo3(signature = (path, callback, blocksize=8192, rest=None))]
    fn retrieve(
        &self,
        py: Python<'_>,
        path: String,
        callback: Py<PyAny>,
        blocksize: usize,
        rest: Option<u64>,
    ) -> PyResult<(u64, Py<PyAny>)> {
        let (n, replies) = self.with(py, move |c| {
            let mut w = CallbackWriter { callback: &callback, blocksize, error: None };
            let r = c.retrieve_from(&path, rest.unwrap_or(0), &mut w);
            match (r, w.error.take()) {
                (_, Some(py_err)) => Err(Failure::Python(py_err)),
                (Ok(n), None) => Ok(n),
                (Err(e), None) => Err(Failure::Client(Box::new(e))),
            }
        })?;
        Ok((n, reply_list(py, replies)?))
    }

    /// Uploads from the file object `fp` (`fp.read(blocksize)` until it returns b''): STOR, APPE when `append`,
    /// REST + STOR when `rest`. Returns `(bytes, replies)`.
    #[pyo3(signature = (path, fp, blocksize=8192, callback=None, rest=None, append=false))]
    #[allow(clippy::too_many_arguments)]
    fn store(
        &self,
        py: Python<'_>,
        path: String,
        fp: Py<PyAny>,
        blocksize: usize,
        callback: Option<Py<PyAny>>,
        rest: Option<u64>,
        append: bool,
    ) -> PyResult<(u64, Py<PyAny>)> {
        let (n, replies) = self.with(py, move |c| {
            let mut r = FileReader { fp: &fp, callback: callback.as_ref(), blocksize, error: None };
            let res = match (append, rest) {
                (true, _) => c.append_from(&path, &mut r),
                (false, Some(off)) => c.store_at(&path, off, &mut r),
                (false, None) => c.store_from(&path, &mut r),
            };
            match (res, r.error.take()) {
                (_, Some(py_err)) => Err(Failure::Python(py_err)),
                (Ok(n), None) => Ok(n),
                (Err(e), None) => Err(Failure::Client(Box::new(e))),
            }
        })?;
        Ok((n, reply_list(py, replies)?))
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
