//! `ftpkit.ClientSession`: the core's sans-IO client session. Bytes in, bytes and events out; the caller does
//! the IO (control and data connections) and the clock. Events cross as `(name, fields)` pairs that the Python
//! layer turns into `ftpkit.Message` values. Written against today's `ClientSession` API.
use crate::errors::{error, parse_error};
use ftpkit_proto::command::{Command, TransferType};
use ftpkit_proto::reply::Reply;
use ftpkit_proto::session::client::{
    ClientSession, CloseReason, Config, DataEvent, DataMode, Event, RequestId, Transfer, TransferFailure, TransferKind,
};
use ftpkit_proto::ErrorKind;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClientSession>()
}

#[derive(Debug)]
#[pyclass(module = "ftpkit._native", name = "ClientSession")]
pub struct NativeClientSession {
    inner: Mutex<ClientSession>,
}

fn addr(py: Python<'_>, what: &str, s: &str) -> PyResult<SocketAddr> {
    s.parse().map_err(|e| {
        parse_error(py, "ClientSession", Some(what.into()), ErrorKind::Syntax, format!("{what} {s:?}: {e}"))
    })
}

fn session_err(py: Python<'_>, e: ftpkit_proto::session::client::SessionError) -> PyErr {
    error(py, e.kind(), e.to_string())
}

fn set_reply(d: &Bound<'_, PyDict>, key: &str, r: &Reply) -> PyResult<()> {
    d.set_item(key, (r.code.get(), r.lines.clone()))
}

fn failure_name(f: &TransferFailure) -> String {
    match f {
        TransferFailure::Setup => "setup".into(),
        TransferFailure::Restart => "restart".into(),
        TransferFailure::NoDataConnection => "no_data_connection".into(),
        TransferFailure::Aborted => "aborted".into(),
        TransferFailure::LocalError => "local_error".into(),
        TransferFailure::Refused => "refused".into(),
        TransferFailure::DataConnection(why) => format!("data_connection: {why}"),
        other => format!("{other:?}"),
    }
}

#[pymethods]
impl NativeClientSession {
    /// A session for a control connection to `peer` ("ip:port").
    #[new]
    #[pyo3(signature = (peer, epsv_all=false))]
    fn new(py: Python<'_>, peer: &str, epsv_all: bool) -> PyResult<Self> {
        let mut config = Config::new(addr(py, "peer", peer)?);
        config.epsv_all = epsv_all;
        Ok(NativeClientSession { inner: Mutex::new(ClientSession::new(config)) })
    }

    /// Feeds bytes read from the control connection.
    fn handle_input(&self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        self.lock().handle_input(data).map_err(|e| session_err(py, e))
    }

    /// The control connection closed.
    fn handle_close(&self) {
        self.lock().handle_close();
    }

    /// A data-connection event for request `id`: `connected`, `accepted` (value: the peer "ip:port"), `eof`,
    /// `closed`, `failed` (value: why).
    #[pyo3(signature = (id, event, value=None))]
    fn handle_data(&self, py: Python<'_>, id: u64, event: &str, value: Option<String>) -> PyResult<()> {
        let ev = match event {
            "connected" => DataEvent::Connected,
            "accepted" => DataEvent::Accepted { from: addr(py, "from", value.as_deref().unwrap_or(""))? },
            "eof" => DataEvent::Eof,
            "closed" => DataEvent::Closed,
            "failed" => DataEvent::Failed { reason: value.unwrap_or_default() },
            other => return Err(error(py, ErrorKind::Unsupported, format!("unknown data event {other:?}"))),
        };
        self.lock().handle_data(RequestId::from_u64(id), ev).map_err(|e| session_err(py, e))
    }

    /// The next bytes to write to the control connection, or None.
    fn poll_transmit<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.lock().poll_transmit().map(|b| PyBytes::new(py, &b))
    }

    /// The next event as `(name, fields)`, or None. Replies are `(code, text lines)`.
    fn poll_event<'py>(&self, py: Python<'py>) -> PyResult<Option<(String, Bound<'py, PyDict>)>> {
        let Some(ev) = self.lock().poll_event() else { return Ok(None) };
        let d = PyDict::new(py);
        let name = match &ev {
            Event::Greeting { reply } => {
                set_reply(&d, "reply", reply)?;
                "Greeting"
            }
            Event::LoggedIn { id, reply }
            | Event::LoginFailed { id, reply }
            | Event::Done { id, reply }
            | Event::Failed { id, reply }
            | Event::Reply { id, reply }
            | Event::TransferStarted { id, reply }
            | Event::TransferComplete { id, reply } => {
                d.set_item("id", id.get())?;
                set_reply(&d, "reply", reply)?;
                match ev {
                    Event::LoggedIn { .. } => "LoggedIn",
                    Event::LoginFailed { .. } => "LoginFailed",
                    Event::Done { .. } => "Done",
                    Event::Failed { .. } => "Failed",
                    Event::Reply { .. } => "Reply",
                    Event::TransferStarted { .. } => "TransferStarted",
                    _ => "TransferComplete",
                }
            }
            Event::Features { id, features } => {
                d.set_item("id", id.get())?;
                let f: Vec<(String, String)> =
                    features.iter().map(|f| (f.name().to_owned(), f.params().to_owned())).collect();
                d.set_item("features", f)?;
                "Features"
            }
            Event::Path { id, path } => {
                d.set_item("id", id.get())?;
                d.set_item("path", path)?;
                "Path"
            }
            Event::Size { id, size } => {
                d.set_item("id", id.get())?;
                d.set_item("size", size)?;
                "Size"
            }
            Event::Modified { id, time } => {
                d.set_item("id", id.get())?;
                d.set_item("time", time.to_unix())?;
                "Modified"
            }
            Event::ConnectData { id, addr, nat } => {
                d.set_item("id", id.get())?;
                d.set_item("addr", addr.to_string())?;
                d.set_item("nat", nat.as_ref().map(|n| format!("{n:?}")))?;
                "ConnectData"
            }
            Event::AcceptData { id, expect_from } => {
                d.set_item("id", id.get())?;
                d.set_item("expect_from", expect_from.to_string())?;
                "AcceptData"
            }
            Event::DataReady { id } => {
                d.set_item("id", id.get())?;
                "DataReady"
            }
            Event::TransferFailed { id, failure, reply } => {
                d.set_item("id", id.get())?;
                d.set_item("failure", failure_name(failure))?;
                d.set_item("reply", reply.as_ref().map(|r| (r.code.get(), r.lines.clone())))?;
                "TransferFailed"
            }
            Event::Aborted { id, reply } => {
                d.set_item("id", id.get())?;
                d.set_item("reply", reply.as_ref().map(|r| (r.code.get(), r.lines.clone())))?;
                "Aborted"
            }
            Event::Closed { reason, unanswered } => {
                let r = match reason {
                    CloseReason::Quit(_) => "quit",
                    CloseReason::ServiceNotAvailable(_) => "service_not_available",
                    CloseReason::Refused(_) => "refused",
                    CloseReason::Local => "local",
                    _ => "other",
                };
                d.set_item("reason", r)?;
                d.set_item("unanswered", unanswered.iter().map(|i| i.get()).collect::<Vec<_>>())?;
                "Closed"
            }
            other => {
                d.set_item("detail", format!("{other:?}"))?;
                "Other"
            }
        };
        Ok(Some((name.to_owned(), d)))
    }

    /// Queues a request and returns its id. `op`: `login` (a=user, b=password), `feat`, `type` (a=`A`|`I`),
    /// `cwd`, `cdup`, `pwd`, `rest` (a=offset), `rename` (a, b), `dele`, `mkd`, `rmd`, `size`, `mdtm`, `site`,
    /// `noop`, `quit`, `abort`, `command` (a=a whole command line).
    #[pyo3(signature = (op, a=None, b=None))]
    fn request(&self, py: Python<'_>, op: &str, a: Option<&str>, b: Option<&str>) -> PyResult<u64> {
        let need = |x: Option<&str>| -> PyResult<String> {
            x.map(str::to_owned)
                .ok_or_else(|| error(py, ErrorKind::InvalidState, format!("request {op:?} needs an argument")))
        };
        let mut s = self.lock();
        let r = match op {
            "login" => s.login(&need(a)?, b.unwrap_or(""), None),
            "feat" => s.feat(),
            "type" => {
                let t = TransferType::parse(&need(a)?)
                    .map_err(|e| parse_error(py, "type", None, e.kind(), format!("type: {e}")))?;
                s.type_(t)
            }
            "cwd" => s.cwd(&need(a)?),
            "cdup" => s.cdup(),
            "pwd" => s.pwd(),
            "rest" => {
                let n: u64 = need(a)?.parse().map_err(|e| {
                    parse_error(py, "rest", Some("offset".into()), ErrorKind::Syntax, format!("rest: {e}"))
                })?;
                s.rest(n)
            }
            "rename" => s.rename(&need(a)?, &need(b)?),
            "dele" => s.dele(&need(a)?),
            "mkd" => s.mkd(&need(a)?),
            "rmd" => s.rmd(&need(a)?),
            "size" => s.size(&need(a)?),
            "mdtm" => s.mdtm(&need(a)?),
            "site" => s.site(&need(a)?),
            "noop" => s.noop(),
            "quit" => s.quit(),
            "abort" => s.abort(),
            "command" => {
                let line = need(a)?;
                let cmd = Command::parse(&line)
                    .map_err(|e| parse_error(py, "command", None, e.kind(), format!("command: {e}")))?;
                s.command(cmd)
            }
            other => return Err(error(py, ErrorKind::Unsupported, format!("unknown request {other:?}"))),
        };
        r.map(|id| id.get()).map_err(|e| session_err(py, e))
    }

    /// Queues a transfer: `kind` `retr`/`stor`/`appe` (path), `list`/`nlst`/`mlsd` (optional path), `stou`;
    /// `mode` `passive` (EPSV then PASV), `pasv`, `epsv`, or `active` with `listen` ("ip:port" the caller
    /// listens on); `rest` an offset.
    #[pyo3(signature = (kind, path=None, mode="passive", listen=None, rest=None))]
    fn transfer(
        &self,
        py: Python<'_>,
        kind: &str,
        path: Option<String>,
        mode: &str,
        listen: Option<&str>,
        rest: Option<u64>,
    ) -> PyResult<u64> {
        let need = |p: Option<String>| {
            p.ok_or_else(|| error(py, ErrorKind::InvalidState, format!("transfer {kind:?} needs a path")))
        };
        let k = match kind {
            "retr" => TransferKind::Retr(need(path)?),
            "stor" => TransferKind::Stor(need(path)?),
            "appe" => TransferKind::Appe(need(path)?),
            "stou" => TransferKind::Stou,
            "list" => TransferKind::List(path),
            "nlst" => TransferKind::Nlst(path),
            "mlsd" => TransferKind::Mlsd(path),
            other => return Err(error(py, ErrorKind::Unsupported, format!("unknown transfer kind {other:?}"))),
        };
        let m = match mode {
            "passive" => DataMode::Passive,
            "pasv" => DataMode::Pasv,
            "epsv" => DataMode::Epsv,
            "active" => DataMode::Active(addr(py, "listen", listen.unwrap_or(""))?),
            other => return Err(error(py, ErrorKind::Unsupported, format!("unknown data mode {other:?}"))),
        };
        let mut t = Transfer::new(k, m);
        if let Some(r) = rest {
            t = t.restart_at(r);
        }
        self.lock().transfer(t).map(|id| id.get()).map_err(|e| session_err(py, e))
    }

    /// True once closed.
    #[getter]
    fn is_closed(&self) -> bool {
        self.lock().is_closed()
    }

    /// True once logged in.
    #[getter]
    fn is_logged_in(&self) -> bool {
        self.lock().is_logged_in()
    }

    /// The state's name (for logs and tests).
    #[getter]
    fn state(&self) -> &'static str {
        self.lock().state_name()
    }
}

impl NativeClientSession {
    fn lock(&self) -> MutexGuard<'_, ClientSession> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
