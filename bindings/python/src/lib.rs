//! `ftpkit._native`: the compiled half of the `ftpkit` Python package.
//!
//! Every function here is a thin map of a function of the core (`ftpkit-proto`) or of the socket adapters
//! (`ftpkit`): arguments converted in, results and errors converted out, nothing decided here. The idiomatic API
//! (dataclasses, `ftplib`-compatible exceptions, the `FTP` class) lives in the pure-Python package
//! `bindings/python/python/ftpkit/`, which is the only supported way to use this module.
//!
//! One file per core area: `errors` (the edge where core errors become Python exceptions), `parse` (parsers and
//! formatters), `analyze` (transcripts, explanations, timelines, firewall rules), `server` (the embedded tokio
//! server on a background thread), `client` (the blocking client, the GIL released while it waits) and
//! `session` and `client_session` (the sans-IO sessions).
use pyo3::prelude::*;

mod analyze;
mod client;
mod client_session;
mod errors;
mod parse;
mod server;
mod session;

/// The native module. Its contents are private to the `ftpkit` package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    parse::register(m)?;
    analyze::register(m)?;
    server::register(m)?;
    client::register(m)?;
    session::register(m)?;
    client_session::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
