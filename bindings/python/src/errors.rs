//! Where core errors become Python exceptions. The exception classes are defined in Python
//! (`ftpkit/_errors.py`, so that they can subclass `ValueError` and ftplib's classes); this module looks them up.
use ftpkit_proto::ErrorKind;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Builds an instance of `ftpkit._errors.<class>` with `message` and keyword arguments.
pub fn make(py: Python<'_>, class: &str, message: String, kwargs: &[(&str, Option<String>)]) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py.import("ftpkit._errors")?.getattr(class)?;
        let kw = PyDict::new(py);
        for (k, v) in kwargs {
            kw.set_item(k, v)?;
        }
        let inst = cls.call((message.clone(),), Some(&kw))?;
        Ok(PyErr::from_value(inst))
    };
    build().unwrap_or_else(|e| PyRuntimeError::new_err(format!("ftpkit: cannot raise {class}: {e}; {message}")))
}

/// A `ftpkit.ParseError`: what `parser` refused, the field (when the core names one), the core's error kind and
/// the core's message (which names the field and says why).
pub fn parse_error(py: Python<'_>, parser: &str, field: Option<String>, kind: ErrorKind, message: String) -> PyErr {
    make(
        py,
        "ParseError",
        message,
        &[("parser", Some(parser.to_owned())), ("field", field), ("kind", Some(kind.name().to_owned()))],
    )
}

/// A `ftpkit.Error` of the given core kind.
pub fn error(py: Python<'_>, kind: ErrorKind, message: String) -> PyErr {
    make(py, "Error", message, &[("kind", Some(kind.name().to_owned()))])
}
