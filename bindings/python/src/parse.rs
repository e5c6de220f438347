//! Parsers and formatters: each function calls one function of the core and converts its result.
use crate::errors::parse_error;
use ftpkit_proto::command::{format_command as core_format_command, Command, CommandDecoder, CommandLine};
use ftpkit_proto::feat::Features;
use ftpkit_proto::hostport::{self, EprtArg, EpsvText, HostPortError, LprtArg, Mode, PasvText, PortArg};
use ftpkit_proto::listing::{
    format_mlsd_line, format_unix_list_line, parse_list_line, parse_mlsd_line, Date, DateTime, Entry, EntryKind,
    ListFormat, ListLine,
};
use ftpkit_proto::path;
use ftpkit_proto::reply::{Code, Framing, Limits, Reply, ReplyDecoder};
use ftpkit_proto::ErrorKind;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr, SocketAddrV4};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(reply_decode, m)?)?;
    m.add_function(wrap_pyfunction!(reply_format, m)?)?;
    m.add_function(wrap_pyfunction!(command_decode, m)?)?;
    m.add_function(wrap_pyfunction!(command_format, m)?)?;
    m.add_class::<HostPort>()?;
    m.add_class::<Port>()?;
    m.add_function(wrap_pyfunction!(parse_pasv, m)?)?;
    m.add_function(wrap_pyfunction!(parse_epsv, m)?)?;
    m.add_function(wrap_pyfunction!(parse_port, m)?)?;
    m.add_function(wrap_pyfunction!(parse_eprt, m)?)?;
    m.add_function(wrap_pyfunction!(parse_lprt, m)?)?;
    m.add_function(wrap_pyfunction!(parse_lpsv, m)?)?;
    m.add_function(wrap_pyfunction!(format_port, m)?)?;
    m.add_function(wrap_pyfunction!(format_pasv, m)?)?;
    m.add_function(wrap_pyfunction!(format_eprt, m)?)?;
    m.add_function(wrap_pyfunction!(format_epsv, m)?)?;
    m.add_function(wrap_pyfunction!(format_lprt, m)?)?;
    m.add_function(wrap_pyfunction!(parse_257, m)?)?;
    m.add_function(wrap_pyfunction!(format_257, m)?)?;
    m.add_function(wrap_pyfunction!(feat_parse, m)?)?;
    m.add_function(wrap_pyfunction!(feat_format, m)?)?;
    m.add_function(wrap_pyfunction!(mlsd_line, m)?)?;
    m.add_function(wrap_pyfunction!(list_line, m)?)?;
    m.add_function(wrap_pyfunction!(mlsd_format, m)?)?;
    m.add_function(wrap_pyfunction!(list_format, m)?)?;
    m.add_function(wrap_pyfunction!(_noop, m)?)?;
    Ok(())
}

/// Does nothing with its argument: the cost of a call into this module (argument passing, the call and its
/// return) without any work, which `bench/bench.py` prints as the floor under the parse figures.
#[pyfunction]
fn _noop(_text: &Bound<'_, PyAny>) {}

fn hp_err(py: Python<'_>, parser: &str, e: HostPortError) -> PyErr {
    let field = e.field().map(|f| f.role.to_owned());
    parse_error(py, parser, field, e.kind(), format!("{parser}: {e}"))
}

fn mode(strict: bool) -> Mode {
    if strict {
        Mode::Strict
    } else {
        Mode::Tolerant
    }
}

type Span = (usize, usize);

/// `(code, raw lines, text lines, consumed bytes)`.
type DecodedReply<'py> = (u16, Vec<Bound<'py, PyBytes>>, Vec<Bound<'py, PyBytes>>, usize);

/// A whole reply (the first one in `data`) through the streaming decoder (Telnet stripping included):
/// `(code, raw lines, text lines, consumed bytes)`.
#[pyfunction]
#[pyo3(signature = (data, strict=true, max_line=None, max_reply_lines=None, max_reply_bytes=None))]
fn reply_decode<'py>(
    py: Python<'py>,
    data: &[u8],
    strict: bool,
    max_line: Option<usize>,
    max_reply_lines: Option<usize>,
    max_reply_bytes: Option<usize>,
) -> PyResult<DecodedReply<'py>> {
    let mut limits = Limits::default();
    limits.max_line = max_line.unwrap_or(limits.max_line);
    limits.max_reply_lines = max_reply_lines.unwrap_or(limits.max_reply_lines);
    limits.max_reply_bytes = max_reply_bytes.unwrap_or(limits.max_reply_bytes);
    let framing = if strict { Framing::Strict } else { Framing::Tolerant };
    let mut d = ReplyDecoder::new(framing, limits);
    d.feed(data);
    let before = d.buffered();
    match d.decode() {
        Ok(Some(r)) => {
            let lines = r.lines().map(|l| PyBytes::new(py, l)).collect();
            let text = r.text_lines().map(|l| PyBytes::new(py, l)).collect();
            let code = r.code().get();
            let _ = r;
            let consumed = before.saturating_sub(d.buffered());
            Ok((code, lines, text, consumed))
        }
        Ok(None) => Err(parse_error(
            py,
            "reply",
            Some("final line".into()),
            ErrorKind::Incomplete,
            "reply: the input ends before the reply's final line (\"NNN text\" and a line end)".into(),
        )),
        Err(e) => Err(parse_error(py, "reply", None, e.kind(), format!("reply: {e}"))),
    }
}

/// `NNN-text\r\n ... NNN text\r\n` from a code and text lines.
#[pyfunction]
fn reply_format<'py>(py: Python<'py>, code: u16, lines: Vec<String>) -> PyResult<Bound<'py, PyBytes>> {
    let code = Code::try_from(code)
        .map_err(|e| parse_error(py, "format_reply", Some("code".into()), e.kind(), format!("format_reply: {e}")))?;
    let reply = Reply::multiline(code, lines);
    let bytes = reply
        .to_bytes()
        .map_err(|e| parse_error(py, "format_reply", Some("text".into()), e.kind(), format!("format_reply: {e}")))?;
    Ok(PyBytes::new(py, &bytes))
}

/// One command line through the server's decoder (Telnet stripping, line limit) and the typed parser:
/// `(VERB, argument as sent)`.
#[pyfunction]
fn command_decode(py: Python<'_>, data: &[u8]) -> PyResult<(String, Option<String>)> {
    let mut d = CommandDecoder::default();
    d.feed(data);
    if !data.ends_with(b"\n") {
        d.feed(b"\r\n");
    }
    let err = |e: ftpkit_proto::command::CommandError| {
        parse_error(py, "command", None, e.kind(), format!("command: {e} (reply {})", e.reply_hint()))
    };
    let line = match d.decode_line() {
        Ok(Some(line)) => line.to_vec(),
        Ok(None) => {
            return Err(parse_error(py, "command", None, ErrorKind::Incomplete, "command: no line".into()));
        }
        Err(e) => return Err(err(e)),
    };
    // The typed parse decides whether the line is acceptable; the verb and argument are reported as sent.
    let cmd = Command::parse_bytes(&line).map_err(err)?;
    let verb = cmd.verb().to_ascii_uppercase();
    let text = std::str::from_utf8(&line).map_err(|e| {
        parse_error(
            py,
            "command",
            None,
            ErrorKind::Syntax,
            format!("command: not UTF-8 after byte {}", e.valid_up_to()),
        )
    })?;
    let arg = CommandLine::split(text).arg.map(str::to_owned);
    Ok((verb, arg))
}

/// `VERB[ SP arg]\r\n`, refusing CR, LF and NUL (command injection) and verbs that are not letters and digits.
#[pyfunction]
#[pyo3(signature = (verb, arg=None))]
fn command_format<'py>(py: Python<'py>, verb: &str, arg: Option<&str>) -> PyResult<Bound<'py, PyBytes>> {
    let mut out = Vec::new();
    core_format_command(verb, arg, &mut out)
        .map_err(|e| parse_error(py, "format_command", None, e.kind(), format!("format_command: {e}")))?;
    Ok(PyBytes::new(py, &out))
}

fn span(r: &std::ops::Range<usize>) -> Span {
    (r.start, r.end)
}

/// `(ip, port)` and where the tuple stood in the input, as returned by the host-port parsers.
///
/// Behaves as the tuple `(ip, port)` (indexing, unpacking, `len`, equality and hash with a plain tuple) and has
/// `ip`, `port`, `span` (`input[span[0]:span[1]]` is the tuple), `af` (EPRT 1/2, LPRT 4/6, else None) and
/// `delimiter` (EPRT, else None). The address text is made only when read.
#[pyclass(module = "ftpkit", name = "HostPort", frozen)]
#[derive(Debug, Clone)]
pub struct HostPort {
    addr: SocketAddr,
    span: Span,
    af: Option<u8>,
    delimiter: Option<char>,
}

fn as_pair(other: &Bound<'_, PyAny>) -> Option<(String, u16)> {
    if let Ok(hp) = other.cast::<HostPort>() {
        let hp = hp.get();
        return Some((hp.addr.ip().to_string(), hp.addr.port()));
    }
    other.extract::<(String, u16)>().ok()
}

#[pymethods]
impl HostPort {
    #[new]
    #[pyo3(signature = (ip, port, span=(0, 0), af=None, delimiter=None), text_signature = "(ip, port, span=(0, 0), af=None, delimiter=None)")]
    fn new(py: Python<'_>, ip: &str, port: u16, span: Span, af: Option<u8>, delimiter: Option<char>) -> PyResult<Self> {
        Ok(HostPort { addr: SocketAddr::new(ip_of(py, "HostPort", ip)?, port), span, af, delimiter })
    }

    /// The address, as text (`"192.0.2.7"`, `"::1"`).
    #[getter]
    fn ip(&self) -> String {
        self.addr.ip().to_string()
    }

    /// The port.
    #[getter]
    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `(start, end)`: the byte range of the tuple in the parsed input.
    #[getter]
    fn span(&self) -> Span {
        self.span
    }

    /// EPRT's 1 (IPv4) or 2 (IPv6), LPRT/LPSV's 4 or 6; None for PORT and 227.
    #[getter]
    fn af(&self) -> Option<u8> {
        self.af
    }

    /// The EPRT delimiter character; None for the other forms.
    #[getter]
    fn delimiter(&self) -> Option<char> {
        self.delimiter
    }

    fn __len__(&self) -> usize {
        2
    }

    fn __getitem__<'py>(&self, py: Python<'py>, index: isize) -> PyResult<Bound<'py, PyAny>> {
        match index {
            0 | -2 => Ok(self.ip().into_pyobject(py)?.into_any()),
            1 | -1 => Ok(self.addr.port().into_pyobject(py)?.into_any()),
            _ => Err(pyo3::exceptions::PyIndexError::new_err("HostPort index out of range")),
        }
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.as_tuple(py)?.try_iter()?.into_any())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        as_pair(other)
            .is_some_and(|(ip, port)| port == self.addr.port() && ip.parse::<IpAddr>().ok() == Some(self.addr.ip()))
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        self.as_tuple(py)?.hash()
    }

    fn __repr__(&self) -> String {
        format!("HostPort(ip={:?}, port={}, span={:?})", self.addr.ip().to_string(), self.addr.port(), self.span)
    }
}

impl HostPort {
    fn as_tuple<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        (self.ip(), self.addr.port()).into_pyobject(py)
    }
}

/// A port read from a 229 reply, with `span` (where `|||port|` stood) and `delimiter`. Behaves as an `int`
/// (`int(p)`, `operator.index(p)`, equality and hash with ints), so `sock.connect((host, p))` works.
#[pyclass(module = "ftpkit", name = "Port", frozen)]
#[derive(Debug, Clone)]
pub struct Port {
    port: u16,
    span: Span,
    delimiter: char,
}

#[pymethods]
impl Port {
    #[new]
    #[pyo3(signature = (port, span=(0, 0), delimiter='|'), text_signature = "(port, span=(0, 0), delimiter='|')")]
    fn new(port: u16, span: Span, delimiter: char) -> Self {
        Port { port, span, delimiter }
    }

    /// `(start, end)`: the byte range of `<d><d><d>port<d>` in the reply.
    #[getter]
    fn span(&self) -> Span {
        self.span
    }

    /// The delimiter character the server used.
    #[getter]
    fn delimiter(&self) -> char {
        self.delimiter
    }

    fn __index__(&self) -> u16 {
        self.port
    }

    fn __int__(&self) -> u16 {
        self.port
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        if let Ok(p) = other.cast::<Port>() {
            return p.get().port == self.port;
        }
        other.extract::<i64>().is_ok_and(|n| n == i64::from(self.port))
    }

    fn __hash__(&self) -> isize {
        // hash(int) of a small non-negative int is the int itself: equal to the int's hash, as equality needs.
        self.port as isize
    }

    fn __repr__(&self) -> String {
        format!("Port({}, span={:?}, delimiter={:?})", self.port, self.span, self.delimiter)
    }

    fn __str__(&self) -> String {
        self.port.to_string()
    }
}

/// The bytes of a `str` (UTF-8) or bytes-like argument, without copying a `bytes`.
fn text_bytes<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<std::borrow::Cow<'a, [u8]>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(std::borrow::Cow::Borrowed(s.to_str()?.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(std::borrow::Cow::Borrowed(b.as_bytes()));
    }
    Ok(std::borrow::Cow::Owned(obj.extract::<Vec<u8>>()?))
}

/// The address of a 227 reply, `(ip, port)` as a `HostPort`: the literal address, even 0.0.0.0 or a private
/// one. Tolerant (the default) finds the six numbers wherever they stand (RFC 1123 4.1.2.6); `strict` wants
/// them in parentheses. A multi-line 227 is read on its final line. Raises ftpkit.ParseError naming the field.
#[pyfunction]
#[pyo3(signature = (text, *, strict=false))]
fn parse_pasv(py: Python<'_>, text: &Bound<'_, PyAny>, strict: bool) -> PyResult<HostPort> {
    let bytes = text_bytes(text)?;
    let p = hostport::parse_pasv(&bytes, mode(strict)).map_err(|e| hp_err(py, "pasv", e))?;
    Ok(HostPort { addr: SocketAddr::V4(p.value), span: span(&p.span), af: None, delimiter: None })
}

/// The port of a 229 reply (`(|||port|)`, any one printable non-digit delimiter), as a `Port`.
#[pyfunction]
fn parse_epsv(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Port> {
    let bytes = text_bytes(text)?;
    let p = hostport::parse_epsv(&bytes).map_err(|e| hp_err(py, "epsv", e))?;
    Ok(Port { port: p.value.port, span: span(&p.span), delimiter: char::from(p.value.delimiter) })
}

/// A PORT argument `h1,h2,h3,h4,p1,p2`, as a `HostPort`.
#[pyfunction]
#[pyo3(signature = (arg, *, strict=false))]
fn parse_port(py: Python<'_>, arg: &str, strict: bool) -> PyResult<HostPort> {
    let p = hostport::parse_port(arg, mode(strict)).map_err(|e| hp_err(py, "port", e))?;
    Ok(HostPort { addr: SocketAddr::V4(p.value), span: span(&p.span), af: None, delimiter: None })
}

fn af(addr: &SocketAddr, v4: u8, v6: u8) -> u8 {
    if addr.is_ipv4() {
        v4
    } else {
        v6
    }
}

/// An EPRT argument `|af|address|port|`, as a `HostPort` with `af` and `delimiter`.
#[pyfunction]
fn parse_eprt(py: Python<'_>, arg: &str) -> PyResult<HostPort> {
    let p = hostport::parse_eprt(arg).map_err(|e| hp_err(py, "eprt", e))?;
    let a = p.value.addr;
    Ok(HostPort {
        addr: a,
        span: span(&p.span),
        af: Some(af(&a, 1, 2)),
        delimiter: Some(char::from(p.value.delimiter)),
    })
}

/// An LPRT argument (RFC 1639), as a `HostPort` with `af`.
#[pyfunction]
fn parse_lprt(py: Python<'_>, arg: &str) -> PyResult<HostPort> {
    let p = hostport::parse_lprt(arg).map_err(|e| hp_err(py, "lprt", e))?;
    Ok(HostPort { addr: p.value, span: span(&p.span), af: Some(af(&p.value, 4, 6)), delimiter: None })
}

/// The address of a 228 reply (RFC 1639), as a `HostPort` with `af`.
#[pyfunction]
#[pyo3(signature = (text, *, strict=false))]
fn parse_lpsv(py: Python<'_>, text: &Bound<'_, PyAny>, strict: bool) -> PyResult<HostPort> {
    let bytes = text_bytes(text)?;
    let p = hostport::parse_lpsv(&bytes, mode(strict)).map_err(|e| hp_err(py, "lpsv", e))?;
    Ok(HostPort { addr: p.value, span: span(&p.span), af: Some(af(&p.value, 4, 6)), delimiter: None })
}

fn ip_of(py: Python<'_>, parser: &str, ip: &str) -> PyResult<IpAddr> {
    ip.parse::<IpAddr>()
        .map_err(|e| parse_error(py, parser, Some("ip".into()), ErrorKind::Syntax, format!("{parser}: ip {ip:?}: {e}")))
}

fn v4_of(py: Python<'_>, parser: &str, ip: &str, port: u16) -> PyResult<SocketAddrV4> {
    match ip_of(py, parser, ip)? {
        IpAddr::V4(v4) => Ok(SocketAddrV4::new(v4, port)),
        IpAddr::V6(_) => Err(parse_error(
            py,
            parser,
            Some("ip".into()),
            ErrorKind::Unsupported,
            format!("{parser}: ip {ip:?} is IPv6; this form carries IPv4 only (use the extended form)"),
        )),
    }
}

#[pyfunction]
fn format_port(py: Python<'_>, ip: &str, port: u16) -> PyResult<String> {
    Ok(PortArg(v4_of(py, "format_port", ip, port)?).to_string())
}

#[pyfunction]
fn format_pasv(py: Python<'_>, ip: &str, port: u16) -> PyResult<String> {
    Ok(format!("227 {}", PasvText(v4_of(py, "format_pasv", ip, port)?)))
}

#[pyfunction]
fn format_eprt(py: Python<'_>, ip: &str, port: u16) -> PyResult<String> {
    Ok(EprtArg(SocketAddr::new(ip_of(py, "format_eprt", ip)?, port)).to_string())
}

#[pyfunction]
fn format_epsv(port: u16) -> String {
    format!("229 {}", EpsvText(port))
}

#[pyfunction]
fn format_lprt(py: Python<'_>, ip: &str, port: u16) -> PyResult<String> {
    Ok(LprtArg(SocketAddr::new(ip_of(py, "format_lprt", ip)?, port)).to_string())
}

/// The path of a 257 reply (`""` un-doubled). Control characters in the path (CR: command injection when the
/// path is reused) are refused with ftpkit.ParseError.
#[pyfunction]
fn parse_257(py: Python<'_>, text: &str) -> PyResult<String> {
    path::parse_257(text)
        .map(Cow::into_owned)
        .map_err(|e| parse_error(py, "257", Some("path".into()), e.kind(), format!("257: {e}")))
}

#[pyfunction]
#[pyo3(signature = (path, text=""))]
fn format_257(py: Python<'_>, path: &str, text: &str) -> PyResult<String> {
    path::format_257(path, text).map_err(|e| parse_error(py, "format_257", None, e.kind(), format!("format_257: {e}")))
}

/// The features of a FEAT reply's text (the lines between `211-` and `211 `): `[(NAME, params)]`.
#[pyfunction]
fn feat_parse(py: Python<'_>, text: &str) -> PyResult<Vec<(String, String)>> {
    let f =
        Features::from_reply_text(text).map_err(|e| parse_error(py, "feat", None, e.kind(), format!("feat: {e}")))?;
    Ok(f.iter().map(|x| (x.name().to_owned(), x.params().to_owned())).collect())
}

/// A FEAT reply's text from features.
#[pyfunction]
fn feat_format(py: Python<'_>, features: Vec<(String, String)>) -> PyResult<String> {
    let mut f = Features::new();
    for (name, params) in features {
        f.push(name, params)
            .map_err(|e| parse_error(py, "format_feat", None, e.kind(), format!("format_feat: {e}")))?;
    }
    Ok(f.to_reply_text())
}

fn time_tuple(t: &Option<DateTime>) -> Option<(i64, u32)> {
    t.as_ref().map(|t| (t.to_unix(), t.nanosecond()))
}

/// An entry as a dict of its fields (the Python layer makes it an `ftpkit.Entry`).
fn entry_dict<'py>(py: Python<'py>, e: &Entry<'_>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", e.name.as_ref())?;
    d.set_item("kind", e.kind.name())?;
    d.set_item("size", e.size)?;
    d.set_item("modified", time_tuple(&e.modified))?;
    d.set_item("created", time_tuple(&e.created))?;
    d.set_item("link_target", e.link_target.as_deref())?;
    d.set_item("permissions", e.permissions.as_deref())?;
    d.set_item("unix_mode", e.unix_mode)?;
    d.set_item("links", e.links)?;
    d.set_item("owner", e.owner.as_deref())?;
    d.set_item("group", e.group.as_deref())?;
    d.set_item("format", e.format.name())?;
    d.set_item("raw", e.raw.as_ref())?;
    let facts: Vec<(String, String)> = e.facts().map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned())).collect();
    d.set_item("facts", facts)?;
    Ok(d)
}

#[pyfunction]
fn mlsd_line<'py>(py: Python<'py>, line: &str) -> PyResult<Bound<'py, PyDict>> {
    let e =
        parse_mlsd_line(line).map_err(|e| parse_error(py, "mlsd_line", None, e.kind(), format!("mlsd_line: {e}")))?;
    entry_dict(py, &e)
}

fn date(py: Python<'_>, parser: &str, ymd: (u16, u8, u8)) -> PyResult<Date> {
    Date::new(ymd.0, ymd.1, ymd.2).map_err(|e| {
        parse_error(py, parser, Some("reference_date".into()), e.kind(), format!("{parser}: reference date: {e}"))
    })
}

/// A LIST line (Unix `ls -l` or DOS), years of `Mon DD HH:MM` lines inferred from `reference` (y, m, d); `None`
/// for a line no parser understood (`total 20`, say).
#[pyfunction]
fn list_line<'py>(py: Python<'py>, line: &str, reference: (u16, u8, u8)) -> PyResult<Option<Bound<'py, PyDict>>> {
    let reference = date(py, "list_line", reference)?;
    match parse_list_line(line, reference) {
        ListLine::Entry(e) => entry_dict(py, &e).map(Some),
        ListLine::Unparsed(_) => Ok(None),
    }
}

/// `facts; name` from facts and a name.
#[pyfunction]
fn mlsd_format(py: Python<'_>, facts: Vec<(String, String)>, name: &str) -> PyResult<String> {
    format_mlsd_line(facts.iter().map(|(k, v)| (k.as_str(), v.as_str())), name)
        .map_err(|e| parse_error(py, "format_mlsd_line", None, e.kind(), format!("format_mlsd_line: {e}")))
}

fn dt(py: Python<'_>, t: Option<(i64, u32)>) -> PyResult<Option<DateTime>> {
    match t {
        None => Ok(None),
        Some((s, n)) => DateTime::from_unix(s, n).map(Some).ok_or_else(|| {
            parse_error(py, "format_list_line", Some("modified".into()), ErrorKind::Range, "time out of range".into())
        }),
    }
}

/// An `ls -l` line from an entry's fields.
#[pyfunction]
#[pyo3(signature = (name, kind, reference, size=None, modified=None, permissions=None, links=None, owner=None, group=None, link_target=None))]
#[allow(clippy::too_many_arguments)]
fn list_format(
    py: Python<'_>,
    name: &str,
    kind: &str,
    reference: (u16, u8, u8),
    size: Option<u64>,
    modified: Option<(i64, u32)>,
    permissions: Option<String>,
    links: Option<u64>,
    owner: Option<String>,
    group: Option<String>,
    link_target: Option<String>,
) -> PyResult<String> {
    let reference = date(py, "format_list_line", reference)?;
    let kind = match kind {
        "file" => EntryKind::File,
        "dir" => EntryKind::Dir,
        "symlink" => EntryKind::Symlink,
        "cdir" => EntryKind::CurrentDir,
        "pdir" => EntryKind::ParentDir,
        "device" => EntryKind::Device,
        "unknown" => EntryKind::Unknown,
        other => EntryKind::Other(Cow::Owned(other.to_owned())),
    };
    let mut e = Entry::new(name, kind, ListFormat::Unix);
    e.size = size;
    e.modified = dt(py, modified)?;
    e.permissions = permissions.map(Cow::Owned);
    e.links = links;
    e.owner = owner.map(Cow::Owned);
    e.group = group.map(Cow::Owned);
    e.link_target = link_target.map(Cow::Owned);
    format_unix_list_line(&e, reference)
        .map_err(|e| parse_error(py, "format_list_line", None, e.kind(), format!("format_list_line: {e}")))
}
