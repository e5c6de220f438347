//! The one JSON rendering of decoded items and timelines, shared by `ftpkit decode --json`, `ftpkit explain
//! --json`, the WASM module and the other bindings, so every shell prints the same shapes.
//!
//! A small hand-written writer (the core has no serde dependency): objects keep their keys in the order written,
//! strings are escaped as JSON requires (`"`, `\`, control characters; everything else as is), output is compact.
//!
//! Shapes ([`item`]):
//! - command: `{"kind":"command","line":N,"verb":"PORT","arg":"..."|null,"endpoint":{"ip":..,"port":..}?,"explain":".."}`
//! - reply: `{"kind":"reply","line":N,"code":227,"text":[".."],"endpoint":{..}?,"path":".."?,"explain":".."}`
//! - error: `{"kind":"error","line":N,"input":"..","error":"..","error_kind":"syntax"}`
//!
//! [`item_detailed`] adds what a page needs to draw the line: the `input`, `lossy`, the endpoint's `form`, port
//! bytes and its span in bytes and in UTF-16 code units (JavaScript string offsets), and an error's `field`.

use super::{Endpoint, Item};
use crate::explain::explain;
use crate::firewall::{Mode, Side};
use crate::timeline::{DataConnection, End, Step, Timeline, Warning};
use core::fmt::Write as _;
use core::ops::Range;

/// Writes `s` as a JSON string literal (with quotes) onto `out`.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object under construction; keys appear in the order they are added.
#[derive(Debug)]
pub struct Obj {
    out: String,
    first: bool,
}

impl Default for Obj {
    fn default() -> Self {
        Obj::new()
    }
}

impl Obj {
    /// An empty object.
    pub fn new() -> Obj {
        Obj { out: String::from("{"), first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(&mut self.out, k);
        self.out.push(':');
    }

    /// Adds a string member.
    pub fn str(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        write_str(&mut self.out, v);
        self
    }

    /// Adds a string member, or `null`.
    pub fn opt_str(self, k: &str, v: Option<&str>) -> Obj {
        match v {
            Some(v) => self.str(k, v),
            None => self.raw(k, "null"),
        }
    }

    /// Adds a number member.
    pub fn num(mut self, k: &str, v: u64) -> Obj {
        self.key(k);
        let _ = write!(self.out, "{v}");
        self
    }

    /// Adds a number member, or `null`.
    pub fn opt_num(self, k: &str, v: Option<u64>) -> Obj {
        match v {
            Some(v) => self.num(k, v),
            None => self.raw(k, "null"),
        }
    }

    /// Adds a boolean member.
    pub fn bool(self, k: &str, v: bool) -> Obj {
        self.raw(k, if v { "true" } else { "false" })
    }

    /// Adds a member whose value is already JSON text.
    pub fn raw(mut self, k: &str, json: &str) -> Obj {
        self.key(k);
        self.out.push_str(json);
        self
    }

    /// The object's JSON text.
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// A JSON array of already-rendered values.
pub fn array<I: IntoIterator<Item = String>>(values: I) -> String {
    let mut out = String::from("[");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&v);
    }
    out.push(']');
    out
}

/// A JSON array of strings.
pub fn str_array<'a, I: IntoIterator<Item = &'a str>>(values: I) -> String {
    array(values.into_iter().map(|s| {
        let mut o = String::new();
        write_str(&mut o, s);
        o
    }))
}

/// A byte offset inside `s` as a UTF-16 offset (what JavaScript string indices count). An offset inside a
/// character or past the end counts up to the character boundary at or before it.
pub fn utf16_offset(s: &str, byte: usize) -> usize {
    let mut end = byte.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].encode_utf16().count()
}

/// A byte range inside `s` as a UTF-16 range.
pub fn utf16_span(s: &str, span: &Range<usize>) -> Range<usize> {
    utf16_offset(s, span.start)..utf16_offset(s, span.end)
}

fn endpoint(ep: &Endpoint) -> String {
    Obj::new().opt_str("ip", ep.ip.map(|ip| ip.to_string()).as_deref()).num("port", u64::from(ep.port)).finish()
}

fn endpoint_detailed(ep: &Endpoint, input: &str) -> String {
    let (p1, p2) = ep.port_bytes();
    let s16 = utf16_span(input, &ep.span);
    Obj::new()
        .opt_str("ip", ep.ip.map(|ip| ip.to_string()).as_deref())
        .num("port", u64::from(ep.port))
        .str("form", ep.form.label())
        .str("mode", if ep.form.is_active() { "active" } else { "passive" })
        .num("p1", u64::from(p1))
        .num("p2", u64::from(p2))
        .str("tuple", input.get(ep.span.clone()).unwrap_or(""))
        .raw("span", &format!("[{},{}]", ep.span.start, ep.span.end))
        .raw("span_utf16", &format!("[{},{}]", s16.start, s16.end))
        .finish()
}

/// The JSON object for one item, as `ftpkit decode --json` prints it (one per line).
pub fn item(it: &Item) -> String {
    render(it, false)
}

/// [`item`] plus what a page needs to draw the line (see the module docs).
pub fn item_detailed(it: &Item) -> String {
    render(it, true)
}

fn render(it: &Item, detailed: bool) -> String {
    match it {
        Item::Command(c) => {
            let mut o = Obj::new().str("kind", "command").num("line", c.line as u64).str("verb", &c.verb);
            o = o.opt_str("arg", c.arg.as_deref());
            if let Some(ep) = &c.endpoint {
                o = o.raw("endpoint", &if detailed { endpoint_detailed(ep, &c.input) } else { endpoint(ep) });
            }
            o = o.str("explain", &explain(it));
            if detailed {
                o = o.str("input", &c.input).bool("lossy", c.lossy);
            }
            o.finish()
        }
        Item::Reply(r) => {
            let mut o = Obj::new().str("kind", "reply").num("line", r.line as u64).num("code", u64::from(r.code));
            o = o.raw("text", &str_array(r.text.iter().map(String::as_str)));
            if let Some(ep) = &r.endpoint {
                o = o.raw("endpoint", &if detailed { endpoint_detailed(ep, &r.input) } else { endpoint(ep) });
            }
            if let Some(p) = &r.path {
                o = o.str("path", p);
            }
            o = o.str("explain", &explain(it));
            if detailed {
                o = o.str("input", &r.input).bool("lossy", r.lossy);
            }
            o.finish()
        }
        Item::Error(e) => {
            let mut o = Obj::new()
                .str("kind", "error")
                .num("line", e.line as u64)
                .str("input", &e.input)
                .str("error", &e.error)
                .str("error_kind", e.kind.name());
            if detailed {
                o = o.num("error_code", u64::from(e.kind.code())).opt_str("field", e.field.map(|f| f.role));
            }
            o.finish()
        }
    }
}

/// The items as a JSON array (of [`item_detailed`] objects when `detailed`).
pub fn items(items: &[Item], detailed: bool) -> String {
    array(items.iter().map(|i| render(i, detailed)))
}

const fn side(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

fn end(e: &End) -> String {
    Obj::new()
        .str("side", side(e.side))
        .opt_str("ip", e.ip.map(|ip| ip.to_string()).as_deref())
        .opt_num("port", e.port.map(u64::from))
        .opt_str("port_label", if e.port.is_none() { Some(e.port_label.as_str()) } else { None })
        .finish()
}

fn step(s: &Step) -> String {
    Obj::new()
        .num("step", u64::from(s.number))
        .raw("from", &end(&s.from))
        .raw("to", &end(&s.to))
        .str("what", &s.what)
        .opt_str("new_inbound_at", s.new_inbound_at.map(side))
        .finish()
}

fn warning(w: &Warning) -> String {
    Obj::new().num("line", w.line as u64).str("text", &w.text).finish()
}

fn connection(dc: &DataConnection) -> String {
    Obj::new()
        .num("index", dc.index as u64)
        .str(
            "mode",
            match dc.mode {
                Mode::Active => "active",
                Mode::Passive => "passive",
            },
        )
        .str("announced_by", dc.endpoint.form.label())
        .num("announced_at", dc.announced_at as u64)
        .raw("endpoint", &endpoint(&dc.endpoint))
        .opt_str("command", dc.command.as_deref())
        .opt_num("command_at", dc.command_at.map(|l| l as u64))
        .opt_num("outcome", dc.outcome.map(u64::from))
        .raw("steps", &array(dc.steps.iter().map(step)))
        .raw("control_protected", if dc.control_protected { "true" } else { "false" })
        .raw("warnings", &array(dc.warnings.iter().map(warning)))
        .finish()
}

/// The timeline as one object: `{"connections":[...],"notes":[...]}`, as `ftpkit explain --json` prints it
/// (`explain` adds an `errors` array of [`item`] objects).
pub fn timeline(tl: &Timeline) -> String {
    timeline_obj(tl).finish()
}

/// [`timeline`] as an open object, so a caller can add members before finishing it.
pub fn timeline_obj(tl: &Timeline) -> Obj {
    Obj::new()
        .raw("connections", &array(tl.connections.iter().map(connection)))
        .raw("notes", &array(tl.warnings.iter().map(warning)))
}
