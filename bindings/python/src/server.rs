//! `ftpkit.Server`: the embedded tokio server (`ftpkit::server::Server`) on a runtime of its own, so Python code
//! (a pytest fixture, say) gets a real FTP server on 127.0.0.1 without an event loop.
use ftpkit::proto::session::server::{Access, Masquerade, TlsPolicy, TlsReuse};
use ftpkit::server::{Handle, Server};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeServer>()
}

#[derive(Debug)]
struct Running {
    runtime: tokio::runtime::Runtime,
    handle: Handle,
}

#[derive(Debug)]
/// A running server. `stop()` (or garbage collection) shuts it down.
#[pyclass(module = "ftpkit._native", name = "Server")]
pub struct NativeServer {
    addr: SocketAddr,
    implicit: Option<SocketAddr>,
    running: Mutex<Option<Running>>,
}

#[pymethods]
impl NativeServer {
    /// Starts serving `root` on `host:port` (port 0: any free port). FTPS with `tls=(cert PEM, key PEM)`:
    /// `tls_required` (login and data only under TLS), `tls_reuse` (`require`: 522 for a protected data
    /// connection that did not resume this control connection's TLS session; `warn`; `off`), `allow_ccc` (CCC
    /// after login clears the control connection; 534 otherwise), `implicit_port` (a second listener with TLS
    /// from the first byte; 0: any free port).
    #[new]
    #[pyo3(signature = (root, users, anonymous, write, host="127.0.0.1", port=0, passive_ports=None, masquerade=None, greeting=None, tls=None, tls_required=false, tls_reuse="require", allow_ccc=false, implicit_port=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        root: std::path::PathBuf,
        users: Vec<(String, String)>,
        anonymous: bool,
        write: bool,
        host: &str,
        port: u16,
        passive_ports: Option<(u16, u16)>,
        masquerade: Option<&str>,
        greeting: Option<String>,
        tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
        tls_required: bool,
        tls_reuse: &str,
        allow_ccc: bool,
        implicit_port: Option<u16>,
    ) -> PyResult<Self> {
        let ip = host.parse().map_err(|e| PyValueError::new_err(format!("host {host:?}: {e}")))?;
        let access = if write { Access::ReadWrite } else { Access::ReadOnly };
        let mut b = Server::builder(root).bind(SocketAddr::new(ip, port));
        if let Some(g) = greeting {
            // Set first: the other settings below are fields of the same session configuration.
            b = b.session_config(ftpkit::proto::session::server::ServerConfig { greeting: g, ..Default::default() });
        }
        b = b.anonymous(anonymous);
        for (u, p) in &users {
            b = b.user(u, p, access);
        }
        if let Some((lo, hi)) = passive_ports {
            if lo == 0 || lo > hi {
                return Err(PyValueError::new_err(format!("passive_ports ({lo}, {hi}): need 0 < low <= high")));
            }
            b = b.passive_ports(lo..=hi);
        }
        if let Some(m) = masquerade {
            let a: Ipv4Addr =
                m.parse().map_err(|e| PyValueError::new_err(format!("masquerade {m:?}: not an IPv4 address: {e}")))?;
            b = b.masquerade(Masquerade::One(a));
        }
        let reuse = match tls_reuse {
            "require" => TlsReuse::Require,
            "warn" => TlsReuse::Warn,
            "off" => TlsReuse::Off,
            other => return Err(PyValueError::new_err(format!("tls_reuse {other:?}: require, warn or off"))),
        };
        match tls {
            Some((cert, key)) => {
                b = b.tls_pem(cert, key).tls_policy(TlsPolicy {
                    available: true,
                    require_login: tls_required,
                    require_data: tls_required,
                    allow_ccc,
                    reuse,
                });
                if let Some(p) = implicit_port {
                    b = b.implicit_tls_bind(SocketAddr::new(ip, p));
                }
            }
            None if tls_required || implicit_port.is_some() => {
                return Err(PyValueError::new_err("tls_required and implicit_port need tls_cert and tls_key"));
            }
            None => {}
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ftpkit-server")
            .enable_all()
            .build()
            .map_err(|e| PyOSError::new_err(format!("cannot start the server's runtime: {e}")))?;
        let server = py
            .detach(|| runtime.block_on(b.build()))
            .map_err(|e| PyOSError::new_err(format!("cannot start the server: {e}")))?;
        let addr = server.local_addr().map_err(|e| PyOSError::new_err(e.to_string()))?;
        let implicit = server.implicit_addr();
        let handle = server.handle();
        runtime.spawn(server.run());
        Ok(NativeServer { addr, implicit, running: Mutex::new(Some(Running { runtime, handle })) })
    }

    /// The implicit-FTPS listener's address `(host, port)`, when there is one.
    #[getter]
    fn implicit_address(&self) -> Option<(String, u16)> {
        self.implicit.map(|a| (a.ip().to_string(), a.port()))
    }

    /// The address the server listens on, `(host, port)`.
    #[getter]
    fn address(&self) -> (String, u16) {
        (self.addr.ip().to_string(), self.addr.port())
    }

    /// Sessions now open.
    #[getter]
    fn sessions(&self) -> usize {
        let g = self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        g.as_ref().map_or(0, |r| r.handle.sessions())
    }

    /// True until `stop()`.
    #[getter]
    fn running(&self) -> bool {
        self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner).is_some()
    }

    /// Stops accepting, ends every session (idle ones at once with 421) and stops the runtime. Idempotent.
    fn stop(&self, py: Python<'_>) {
        let taken = self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(r) = taken {
            py.detach(move || {
                r.runtime.block_on(r.handle.shutdown());
                r.runtime.shutdown_timeout(Duration::from_secs(5));
            });
        }
    }
}

impl Drop for NativeServer {
    fn drop(&mut self) {
        let taken = self.running.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(r) = taken {
            r.runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}
