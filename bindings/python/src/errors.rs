//! Where core errors become Python exceptions. The exception classes are defined in Python
//! (`ftpkit/_errors.py`, so that they can subclass `ValueError` and ftplib's classes); this module looks them up.
use ftpkit_proto::encoding::{EncodingError, TextEncoding};
use ftpkit_proto::ErrorKind;
use pyo3::exceptions::{PyRuntimeError, PyUnicodeDecodeError, PyUnicodeEncodeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

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

/// A name that does not fit the connection's encoding, as the exception ftplib gets from Python's codec there:
/// `UnicodeEncodeError` for a name to send (ftplib's `line.encode(self.encoding)`), `UnicodeDecodeError` for
/// received bytes (ftplib's `line.decode(self.encoding)`). Positions are in characters for the first and bytes
/// for the second, as Python's; the reason is the core's message.
pub fn encoding(py: Python<'_>, e: &EncodingError) -> PyErr {
    let codec = |enc: TextEncoding| match enc {
        TextEncoding::Utf8 => "utf-8",
        TextEncoding::Latin1 => "latin-1",
    };
    let message = e.to_string();
    let build = || -> PyResult<PyErr> {
        let inst = match e {
            EncodingError::Unencodable { encoding, text, at, .. } => {
                // The run of characters that do not fit, from the first, as Python's encoder reports it.
                let tail = text.get(*at..).unwrap_or_default();
                let start = text.get(..*at).unwrap_or_default().chars().count();
                let run = tail.chars().take_while(|c| encoding.check(c.encode_utf8(&mut [0; 4])).is_err()).count();
                let args = (codec(*encoding), text.as_str(), start, start + run.max(1), message.as_str());
                py.get_type::<PyUnicodeEncodeError>().call1(args)?
            }
            EncodingError::Undecodable { encoding, at, lossy } => {
                // The core keeps the text with U+FFFD in place of the bytes refused, not the bytes themselves.
                let args = (codec(*encoding), PyBytes::new(py, lossy.as_bytes()), *at, at + 1, message.as_str());
                py.get_type::<PyUnicodeDecodeError>().call1(args)?
            }
            _ => return Ok(error(py, e.kind(), message.clone())),
        };
        Ok(PyErr::from_value(inst))
    };
    build().unwrap_or_else(|err| PyRuntimeError::new_err(format!("ftpkit: cannot raise {message}: {err}")))
}
