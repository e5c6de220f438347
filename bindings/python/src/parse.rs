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
use pyo3::types::{PyBytes, PyDict};
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr, SocketAddrV4};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(reply_decode, m)?)?;
    m.add_function(wrap_pyfunction!(reply_format, m)?)?;
    m.add_function(wrap_pyfunction!(command_decode, m)?)?;
    m.add_function(wrap_pyfunction!(command_format, m)?)?;
    m.add_function(wrap_pyfunction!(pasv, m)?)?;
    m.add_function(wrap_pyfunction!(epsv, m)?)?;
    m.add_function(wrap_pyfunction!(port_arg, m)?)?;
    m.add_function(wrap_pyfunction!(eprt_arg, m)?)?;
    m.add_function(wrap_pyfunction!(lprt_arg, m)?)?;
    m.add_function(wrap_pyfunction!(lpsv, m)?)?;
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
    Ok(())
}

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
) -> PyResult<(u16, Vec<Bound<'py, PyBytes>>, Vec<Bound<'py, PyBytes>>, usize)> {
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
        parse_error(py, "command", None, ErrorKind::Syntax, format!("command: not UTF-8 after byte {}", e.valid_up_to()))
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

#[pyfunction]
#[pyo3(signature = (reply, strict=false))]
fn pasv(py: Python<'_>, reply: &[u8], strict: bool) -> PyResult<(String, u16, Span)> {
    let p = hostport::parse_pasv(reply, mode(strict)).map_err(|e| hp_err(py, "pasv", e))?;
    Ok((p.value.ip().to_string(), p.value.port(), span(&p.span)))
}

#[pyfunction]
fn epsv(py: Python<'_>, reply: &[u8]) -> PyResult<(u16, char, Span)> {
    let p = hostport::parse_epsv(reply).map_err(|e| hp_err(py, "epsv", e))?;
    Ok((p.value.port, char::from(p.value.delimiter), span(&p.span)))
}

#[pyfunction]
#[pyo3(signature = (arg, strict=false))]
fn port_arg(py: Python<'_>, arg: &str, strict: bool) -> PyResult<(String, u16, Span)> {
    let p = hostport::parse_port(arg, mode(strict)).map_err(|e| hp_err(py, "port", e))?;
    Ok((p.value.ip().to_string(), p.value.port(), span(&p.span)))
}

fn af(addr: &SocketAddr, v4: u8, v6: u8) -> u8 {
    if addr.is_ipv4() {
        v4
    } else {
        v6
    }
}

#[pyfunction]
fn eprt_arg(py: Python<'_>, arg: &str) -> PyResult<(u8, String, u16, char, Span)> {
    let p = hostport::parse_eprt(arg).map_err(|e| hp_err(py, "eprt", e))?;
    let a = p.value.addr;
    Ok((af(&a, 1, 2), a.ip().to_string(), a.port(), char::from(p.value.delimiter), span(&p.span)))
}

#[pyfunction]
fn lprt_arg(py: Python<'_>, arg: &str) -> PyResult<(u8, String, u16, Span)> {
    let p = hostport::parse_lprt(arg).map_err(|e| hp_err(py, "lprt", e))?;
    let a = p.value;
    Ok((af(&a, 4, 6), a.ip().to_string(), a.port(), span(&p.span)))
}

#[pyfunction]
#[pyo3(signature = (reply, strict=false))]
fn lpsv(py: Python<'_>, reply: &[u8], strict: bool) -> PyResult<(u8, String, u16, Span)> {
    let p = hostport::parse_lpsv(reply, mode(strict)).map_err(|e| hp_err(py, "lpsv", e))?;
    let a = p.value;
    Ok((af(&a, 4, 6), a.ip().to_string(), a.port(), span(&p.span)))
}

fn ip_of(py: Python<'_>, parser: &str, ip: &str) -> PyResult<IpAddr> {
    ip.parse::<IpAddr>().map_err(|e| {
        parse_error(py, parser, Some("ip".into()), ErrorKind::Syntax, format!("{parser}: ip {ip:?}: {e}"))
    })
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
    let f = Features::from_reply_text(text)
        .map_err(|e| parse_error(py, "feat", None, e.kind(), format!("feat: {e}")))?;
    Ok(f.iter().map(|x| (x.name().to_owned(), x.params().to_owned())).collect())
}

/// A FEAT reply's text from features.
#[pyfunction]
fn feat_format(py: Python<'_>, features: Vec<(String, String)>) -> PyResult<String> {
    let mut f = Features::new();
    for (name, params) in features {
        f.push(name, params).map_err(|e| parse_error(py, "format_feat", None, e.kind(), format!("format_feat: {e}")))?;
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
    let e = parse_mlsd_line(line).map_err(|e| parse_error(py, "mlsd_line", None, e.kind(), format!("mlsd_line: {e}")))?;
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
