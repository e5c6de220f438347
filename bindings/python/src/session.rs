//! `ftpkit.ServerSession`: the core's sans-IO server session. Bytes in, bytes, requests and events out; the
//! caller does the IO, the file system and the clock. Requests and events cross as `(name, fields)` pairs that
//! the Python layer turns into `ftpkit.Message` values.
use crate::errors::error;
use ftpkit_proto::listing::DateTime;
use ftpkit_proto::session::server::{
    Access, DataType, DataVerdict, ListKind, Outcome, Rights, ServerConfig, ServerEvent as Event,
    ServerRequest as Request, ServerRequestId as RequestId, ServerSession, TimeoutKind, WriteMode,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeServerSession>()
}

#[derive(Debug)]
#[pyclass(module = "ftpkit._native", name = "ServerSession")]
pub struct NativeServerSession {
    inner: Mutex<ServerSession>,
    ids: Mutex<std::collections::HashMap<u64, RequestId>>,
}

fn addr(py: Python<'_>, what: &str, s: &str) -> PyResult<SocketAddr> {
    s.parse().map_err(|e| {
        crate::errors::parse_error(
            py,
            "ServerSession",
            Some(what.into()),
            ftpkit_proto::ErrorKind::Syntax,
            format!("{what} {s:?}: {e}"),
        )
    })
}

fn access_name(a: Access) -> &'static str {
    match a.rights() {
        Rights::READ => "read_only",
        Rights::ALL => "read_write",
        _ => "custom",
    }
}

/// A request's name and fields (the fields of each request are documented on the core's `Request`).
fn request_fields<'py>(py: Python<'py>, r: &Request) -> PyResult<(String, Bound<'py, PyDict>)> {
    let d = PyDict::new(py);
    d.set_item("id", r.id().get())?;
    match r {
        Request::Authenticate { user, password, .. } => {
            d.set_item("user", user)?;
            d.set_item("password", password)?;
        }
        Request::Stat { path, .. }
        | Request::Delete { path, .. }
        | Request::Mkdir { path, .. }
        | Request::Rmdir { path, .. }
        | Request::Size { path, .. }
        | Request::Mtime { path, .. } => d.set_item("path", path.as_str())?,
        Request::OpenRead { path, offset, .. } => {
            d.set_item("path", path.as_str())?;
            d.set_item("offset", offset)?;
        }
        Request::OpenWrite { path, mode, offset, .. } => {
            d.set_item("path", path.as_str())?;
            let m = match mode {
                WriteMode::Create => "create",
                WriteMode::Append => "append",
                WriteMode::Unique => "unique",
            };
            d.set_item("mode", m)?;
            d.set_item("offset", offset)?;
        }
        Request::List { path, kind, .. } => {
            d.set_item("path", path.as_str())?;
            let k = match kind {
                ListKind::Unix => "unix",
                ListKind::Mlsd => "mlsd",
                ListKind::Names => "names",
            };
            d.set_item("kind", k)?;
        }
        Request::Rename { from, to, .. } => {
            d.set_item("from", from.as_str())?;
            d.set_item("to", to.as_str())?;
        }
        Request::ListenPassive { ip, ports, .. } => {
            d.set_item("ip", ip.to_string())?;
            d.set_item("ports", (*ports.start(), *ports.end()))?;
        }
        Request::ConnectActive { addr, .. } => d.set_item("addr", addr.to_string())?,
        Request::Transfer { opened, data_type, .. } => {
            d.set_item("opened", opened.get())?;
            d.set_item("binary", matches!(data_type, DataType::Binary))?;
        }
        // STAT <path>: answer "lines" with a list of LIST lines; MFMT, SITE CHMOD: "ok"; HASH: "hash" with
        // (size, digest bytes).
        Request::ListLines { path, max, .. } => {
            d.set_item("path", path.as_str())?;
            d.set_item("max", max)?;
        }
        Request::SetMtime { path, time, .. } => {
            d.set_item("path", path.as_str())?;
            d.set_item("unix_seconds", time.to_unix())?;
        }
        Request::Chmod { path, mode, .. } => {
            d.set_item("path", path.as_str())?;
            d.set_item("mode", mode)?;
        }
        Request::Hash { path, algorithm, .. } => {
            d.set_item("path", path.as_str())?;
            d.set_item("algorithm", algorithm.name())?;
        }
        other => d.set_item("detail", format!("{other:?}"))?,
    }
    Ok((r.name().to_owned(), d))
}

#[pymethods]
impl NativeServerSession {
    #[new]
    #[pyo3(signature = (client, server, anonymous=false, greeting=None, passive_ports=None))]
    fn new(
        py: Python<'_>,
        client: &str,
        server: &str,
        anonymous: bool,
        greeting: Option<String>,
        passive_ports: Option<(u16, u16)>,
    ) -> PyResult<Self> {
        let mut cfg = ServerConfig { anonymous, ..ServerConfig::default() };
        if let Some(g) = greeting {
            cfg.greeting = g;
        }
        if let Some((lo, hi)) = passive_ports {
            cfg.passive_ports = lo..=hi;
        }
        let s = ServerSession::new(cfg, addr(py, "client", client)?, addr(py, "server", server)?, Instant::now());
        Ok(NativeServerSession { inner: Mutex::new(s), ids: Mutex::default() })
    }

    /// Feeds bytes read from the control connection.
    fn handle_input(&self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        let mut s = self.lock();
        s.handle_input(Instant::now(), data).map_err(|e| error(py, e.kind(), e.to_string()))
    }

    /// The next bytes to write to the control connection, or None.
    fn poll_transmit<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.lock().poll_transmit().map(|b| PyBytes::new(py, &b))
    }

    /// The next request to answer with `complete`, as `(name, fields)`, or None.
    fn poll_request<'py>(&self, py: Python<'py>) -> PyResult<Option<(String, Bound<'py, PyDict>)>> {
        let r = self.lock().poll_request();
        match r {
            None => Ok(None),
            Some(r) => {
                self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(r.id().get(), r.id());
                request_fields(py, &r).map(Some)
            }
        }
    }

    /// The next event, as `(name, fields)`, or None.
    fn poll_event<'py>(&self, py: Python<'py>) -> PyResult<Option<(String, Bound<'py, PyDict>)>> {
        let ev = self.lock().poll_event();
        let d = PyDict::new(py);
        let name = match ev {
            None => return Ok(None),
            Some(Event::LoggedIn { user, access, anonymous }) => {
                d.set_item("user", user)?;
                d.set_item("access", access_name(access))?;
                d.set_item("anonymous", anonymous)?;
                "LoggedIn"
            }
            Some(Event::CloseData) => "CloseData",
            Some(Event::Cancel { id }) => {
                d.set_item("id", id.get())?;
                "Cancel"
            }
            Some(Event::Close) => "Close",
            Some(other) => {
                d.set_item("detail", format!("{other:?}"))?;
                "Other"
            }
        };
        Ok(Some((name.to_owned(), d)))
    }

    /// Answers request `id`. `outcome` is a name (`ok`, `dir`, `file`, `denied`, `not_found`,
    /// `permission_denied`, `exists`, `no_space`, `quota_exceeded`, `connection_lost`,
    /// `passive_range_exhausted`, `logged_in`, `size`, `time`, `bound`, `transfer_done`, `unique_name`, `failed`)
    /// and `value` its argument where it has one.
    #[pyo3(signature = (id, outcome, value=None))]
    fn complete(&self, py: Python<'_>, id: u64, outcome: &str, value: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        let rid = self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&id).copied();
        let Some(rid) = rid else {
            return Err(error(py, ftpkit_proto::ErrorKind::InvalidState, format!("no request {id} is pending")));
        };
        let need = |what: &str| {
            value.clone().ok_or_else(|| {
                error(py, ftpkit_proto::ErrorKind::InvalidState, format!("outcome {outcome:?} needs a value ({what})"))
            })
        };
        let o = match outcome {
            "ok" => Outcome::Ok,
            "dir" => Outcome::Dir,
            "file" => Outcome::File,
            "denied" => Outcome::Denied,
            "not_found" => Outcome::NotFound,
            "permission_denied" => Outcome::PermissionDenied,
            "exists" => Outcome::Exists,
            "no_space" => Outcome::NoSpace,
            "quota_exceeded" => Outcome::QuotaExceeded,
            "connection_lost" => Outcome::ConnectionLost,
            "passive_range_exhausted" => Outcome::PassiveRangeExhausted,
            "logged_in" => {
                let w: bool = value.as_ref().map(|v| v.extract()).transpose()?.unwrap_or(true);
                Outcome::LoggedIn(if w { Access::ReadWrite } else { Access::ReadOnly })
            }
            "size" => Outcome::Size(need("bytes")?.extract()?),
            "time" => {
                let secs: i64 = need("unix seconds")?.extract()?;
                let t = DateTime::from_unix(secs, 0)
                    .ok_or_else(|| error(py, ftpkit_proto::ErrorKind::Range, format!("time {secs} out of range")))?;
                Outcome::Time(t)
            }
            "bound" => {
                let s: String = need("\"ip:port\"")?.extract()?;
                Outcome::Bound(addr(py, "bound", &s)?)
            }
            "transfer_done" => Outcome::TransferDone { bytes: need("bytes")?.extract()? },
            "unique_name" => Outcome::UniqueName(need("name")?.extract()?),
            "lines" => Outcome::Lines(need("list of str")?.extract()?),
            "hash" => {
                let (size, digest): (u64, Vec<u8>) = need("(size, digest bytes)")?.extract()?;
                Outcome::Hash { size, digest }
            }
            "failed" => Outcome::Failed(value.map(|v| v.to_string()).unwrap_or_default()),
            other => {
                return Err(error(py, ftpkit_proto::ErrorKind::Unsupported, format!("unknown outcome {other:?}")));
            }
        };
        let r = self.lock().complete(Instant::now(), rid, o);
        self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
        r.map_err(|e| error(py, e.kind(), e.to_string()))
    }

    /// A passive data connection arrived from `peer` ("ip:port"): True to keep it, False to close it.
    fn handle_data_accepted(&self, py: Python<'_>, peer: &str) -> PyResult<bool> {
        let peer = addr(py, "peer", peer)?;
        Ok(matches!(self.lock().handle_data_accepted(peer), DataVerdict::Use))
    }

    /// A timer fired: `idle` or `data_connect`.
    fn handle_timeout(&self, py: Python<'_>, kind: &str) -> PyResult<()> {
        let k = match kind {
            "idle" => TimeoutKind::Idle,
            "data_connect" => TimeoutKind::DataConnect,
            other => return Err(error(py, ftpkit_proto::ErrorKind::Unsupported, format!("unknown timeout {other:?}"))),
        };
        // The caller says the timer fired: the session sees its own deadline as now (a timer of another kind is
        // not armed, and the call does nothing, as the core's spurious timeouts do).
        let mut session = self.lock();
        if let Some((armed, at)) = session.timer() {
            if armed == k {
                session.handle_timeout(at);
            }
        }
        Ok(())
    }

    /// The next timer to arm: `(kind, seconds)`, or None.
    fn poll_timeout(&self) -> Option<(&'static str, f64)> {
        self.lock().timer().map(|(k, at)| {
            let name = match k {
                TimeoutKind::Idle => "idle",
                TimeoutKind::DataConnect => "data_connect",
            };
            (name, at.saturating_duration_since(Instant::now()).as_secs_f64())
        })
    }

    /// True once the session has closed.
    #[getter]
    fn is_closed(&self) -> bool {
        self.lock().is_closed()
    }

    /// The working directory.
    #[getter]
    fn cwd(&self) -> String {
        self.lock().cwd().as_str().to_owned()
    }

    /// The logged-in user, or None.
    #[getter]
    fn user(&self) -> Option<(String, &'static str)> {
        self.lock().user().map(|(u, a)| (u.to_owned(), access_name(a)))
    }
}

impl NativeServerSession {
    fn lock(&self) -> std::sync::MutexGuard<'_, ServerSession> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
