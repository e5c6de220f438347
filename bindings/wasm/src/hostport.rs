//! Host-port tuples: parse, format, and rewrite by span (as a NAT helper does).

use crate::error::Failure;
use crate::export;
use ftpkit_proto::hostport::{self, EprtArg, HostPortError, LprtArg, Mode, PortArg};
use ftpkit_proto::transcript::json::{self, Obj};
use ftpkit_proto::ErrorKind;
use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::ops::Range;
use wasm_bindgen::prelude::*;

fn fail(e: HostPortError) -> Failure {
    Failure::new(e.kind(), e.to_string()).with_field(e.field().map(|f| f.role))
}

/// What one form parses to: address (none for 229), port, and the tuple's span in `text`.
fn parse(form: &str, text: &str) -> Result<(Option<IpAddr>, u16, Range<usize>), Failure> {
    let b = text.as_bytes();
    match form.to_ascii_lowercase().as_str() {
        "port" => hostport::parse_port(text, Mode::Strict)
            .map(|p| (Some(IpAddr::V4(*p.value.ip())), p.value.port(), p.span))
            .map_err(fail),
        "pasv" | "227" => hostport::parse_pasv(b, Mode::Tolerant)
            .map(|p| (Some(IpAddr::V4(*p.value.ip())), p.value.port(), p.span))
            .map_err(fail),
        "eprt" => {
            hostport::parse_eprt(text).map(|p| (Some(p.value.addr.ip()), p.value.addr.port(), p.span)).map_err(fail)
        }
        "epsv" | "229" => hostport::parse_epsv(b).map(|p| (None, p.value.port, p.span)).map_err(fail),
        "lprt" => hostport::parse_lprt(text).map(|p| (Some(p.value.ip()), p.value.port(), p.span)).map_err(fail),
        "lpsv" | "228" => {
            hostport::parse_lpsv(b, Mode::Tolerant).map(|p| (Some(p.value.ip()), p.value.port(), p.span)).map_err(fail)
        }
        other => Err(Failure::new(
            ErrorKind::Unsupported,
            format!("form {other:?}: expected port, pasv, eprt, epsv, lprt or lpsv"),
        )),
    }
}

fn span_json(text: &str, span: &Range<usize>) -> String {
    let s16 = json::utf16_span(text, span);
    format!("\"span\":[{},{}],\"span_utf16\":[{},{}]", span.start, span.end, s16.start, s16.end)
}

/// Parses a PORT/EPRT/LPRT argument or a 227/229/228 reply: `{"ip","port","p1","p2","tuple","span","span_utf16"}`.
pub fn parse_json(form: &str, text: &str) -> Result<String, Failure> {
    let (ip, port, span) = parse(form, text)?;
    let [p1, p2] = port.to_be_bytes();
    let o = Obj::new()
        .opt_str("ip", ip.map(|i| i.to_string()).as_deref())
        .num("port", u64::from(port))
        .num("p1", u64::from(p1))
        .num("p2", u64::from(p2))
        .str("tuple", text.get(span.clone()).unwrap_or(""))
        .finish();
    Ok(format!("{},{}}}", &o[..o.len() - 1], span_json(text, &span)))
}

fn tuple_text(form: &str, ip: &str, port: u16) -> Result<String, Failure> {
    let bad = || Failure::new(ErrorKind::Syntax, format!("address: {ip:?} is not an IP address"));
    let ip: IpAddr = ip.trim().parse().map_err(|_| bad())?;
    if port == 0 {
        return Err(Failure::new(ErrorKind::Range, "port: 0 is not a port (1-65535)").with_field(Some("port")));
    }
    let v4 = || match ip {
        IpAddr::V4(v4) => Ok(SocketAddrV4::new(v4, port)),
        IpAddr::V6(_) => Err(Failure::new(ErrorKind::Unsupported, "PORT and 227 carry IPv4 only: use EPRT or LPRT")),
    };
    Ok(match form.to_ascii_lowercase().as_str() {
        "port" | "pasv" | "227" => PortArg(v4()?).to_string(),
        "eprt" => EprtArg(SocketAddr::new(ip, port)).to_string(),
        "epsv" | "229" => format!("|||{port}|"),
        "lprt" | "lpsv" | "228" => LprtArg(SocketAddr::new(ip, port)).to_string(),
        other => {
            return Err(Failure::new(
                ErrorKind::Unsupported,
                format!("form {other:?}: expected port, pasv, eprt, epsv, lprt or lpsv"),
            ))
        }
    })
}

/// Formats the tuple of a form for an address and port (`192,168,150,80,14,178`, `|1|1.2.3.4|5|`, ...).
pub fn format_json(form: &str, ip: &str, port: u16) -> Result<String, Failure> {
    let mut s = String::new();
    json::write_str(&mut s, &tuple_text(form, ip, port)?);
    Ok(s)
}

/// Rewrites the tuple of `text` to `ip:port` by its span, keeping every other byte:
/// `{"before","after","tuple_before","tuple_after","span","span_utf16","span_after_utf16"}`.
pub fn rewrite_json(form: &str, text: &str, ip: &str, port: u16) -> Result<String, Failure> {
    let (_, _, span) = parse(form, text)?;
    let replacement = tuple_text(form, ip, port)?;
    let after =
        String::from_utf8_lossy(&hostport::rewrite(text.as_bytes(), span.clone(), replacement.as_bytes())).into_owned();
    let new_span = span.start..span.start + replacement.len();
    let a16 = json::utf16_span(&after, &new_span);
    let o = Obj::new()
        .str("before", text)
        .str("after", &after)
        .str("tuple_before", text.get(span.clone()).unwrap_or(""))
        .str("tuple_after", &replacement)
        .raw("span_after_utf16", &format!("[{},{}]", a16.start, a16.end))
        .finish();
    Ok(format!("{},{}}}", &o[..o.len() - 1], span_json(text, &span)))
}

/// Parses the tuple of a form (`"port"`, `"pasv"`, `"eprt"`, `"epsv"`, `"lprt"`, `"lpsv"`). Throws naming the field.
#[wasm_bindgen(js_name = parseHostPort)]
pub fn parse_host_port(form: &str, text: &str) -> Result<JsValue, JsValue> {
    export(parse_json(form, text))
}

/// Formats the tuple of a form for `ip` and `port`.
#[wasm_bindgen(js_name = formatHostPort)]
pub fn format_host_port(form: &str, ip: &str, port: u16) -> Result<JsValue, JsValue> {
    export(format_json(form, ip, port))
}

/// Rewrites the tuple in `text` to `ip:port` by its span, as a NAT helper does.
#[wasm_bindgen(js_name = rewriteHostPort)]
pub fn rewrite_host_port(form: &str, text: &str, ip: &str, port: u16) -> Result<JsValue, JsValue> {
    export(rewrite_json(form, text, ip, port))
}
