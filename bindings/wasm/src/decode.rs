//! Decoding lines and transcripts, and the timeline of their data connections.

use crate::error::Failure;
use crate::export;
use ftpkit_proto::timeline::{self, Context, DataConnection, Timeline};
use ftpkit_proto::transcript::{self, json, Endpoint, EndpointForm, Item};
use ftpkit_proto::ErrorKind;
use std::net::IpAddr;
use wasm_bindgen::prelude::*;

/// One line (or one multi-line reply) decoded, as the core's detailed item JSON; an undecodable line is a
/// [`Failure`] naming the field.
pub fn decode_line_json(text: &str) -> Result<String, Failure> {
    let items = transcript::decode(text);
    match items.first() {
        None => Err(Failure::new(ErrorKind::Incomplete, "nothing to decode: the line is empty")),
        Some(Item::Error(e)) => Err(Failure::new(e.kind, e.error.clone()).with_field(e.field.map(|f| f.role))),
        Some(item) => Ok(json::item_detailed(item)),
    }
}

/// A whole transcript, as bytes, decoded: an array of the core's detailed item JSON (errors are items).
pub fn decode_transcript_json(bytes: &[u8]) -> String {
    json::items(&transcript::decode_bytes(bytes), true)
}

fn addr(field: &'static str, text: Option<&str>) -> Result<Option<IpAddr>, Failure> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| Failure::new(ErrorKind::Syntax, format!("{field}: {t:?} is not an IP address"))),
    }
}

/// The timeline of a transcript (bytes) with what is known of the control connection: the core's timeline JSON
/// plus `items` (detailed) and `errors` (the error items).
pub fn timeline_json(
    bytes: &[u8],
    client: Option<&str>,
    server: Option<&str>,
    control_port: Option<u16>,
) -> Result<String, Failure> {
    let ctx = Context { client: addr("client", client)?, server: addr("server", server)?, control_port };
    let items = transcript::decode_bytes(bytes);
    let tl = timeline::build(&items, &ctx);
    let errors: Vec<&Item> = items.iter().filter(|i| matches!(i, Item::Error(_))).collect();
    Ok(json::timeline_obj(&tl)
        .raw("items", &json::items(&items, true))
        .raw("errors", &json::array(errors.into_iter().map(json::item_detailed)))
        .raw("text", &{
            let mut s = String::new();
            json::write_str(&mut s, &timeline::render_text(&tl));
            s
        })
        .finish())
}

/// Decodes one line (`PORT 192,168,150,80,14,178`, `227 Entering Passive Mode (...)`, ...). Throws when it
/// cannot be decoded.
#[wasm_bindgen(js_name = decodeLine)]
pub fn decode_line(text: &str) -> Result<JsValue, JsValue> {
    export(decode_line_json(text))
}

/// Decodes a transcript given as text: an array of items (commands, replies, error items).
#[wasm_bindgen(js_name = decodeTranscript)]
pub fn decode_transcript(text: &str) -> Result<JsValue, JsValue> {
    export(Ok(decode_transcript_json(text.as_bytes())))
}

/// Decodes a transcript given as bytes (a `Uint8Array`): non-UTF-8 lines are decoded lossily, never the end.
#[wasm_bindgen(js_name = decodeTranscriptBytes)]
pub fn decode_transcript_bytes(bytes: &[u8]) -> Result<JsValue, JsValue> {
    export(Ok(decode_transcript_json(bytes)))
}

/// The data connections of a transcript (bytes) as the seed's steps, with NAT warnings computed from the given
/// control-connection addresses (empty strings for unknown).
#[wasm_bindgen(js_name = timeline)]
pub fn timeline_js(
    bytes: &[u8],
    client: Option<String>,
    server: Option<String>,
    control_port: Option<u16>,
) -> Result<JsValue, JsValue> {
    export(timeline_json(bytes, client.as_deref(), server.as_deref(), control_port))
}

/// The seed's active-mode `ftp -d` session (PORT 192,168,150,80,14,178), verbatim.
#[wasm_bindgen(js_name = seedActive)]
pub fn seed_active() -> String {
    transcript::SEED_ACTIVE.to_owned()
}

/// The seed's passive-mode `ftp -d` session (227 ... (192,168,150,90,195,149)), verbatim.
#[wasm_bindgen(js_name = seedPassive)]
pub fn seed_passive() -> String {
    transcript::SEED_PASSIVE.to_owned()
}

/// The timeline of the same session in the other mode: each data connection rebuilt by the core's
/// [`DataConnection::new`] from the counterpart form (PORT ↔ 227, EPRT ↔ 229, LPRT ↔ 228) with the same port number,
/// the address being the other side's control address when known.
pub fn other_mode_json(
    bytes: &[u8],
    client: Option<&str>,
    server: Option<&str>,
    control_port: Option<u16>,
) -> Result<String, Failure> {
    let ctx = Context { client: addr("client", client)?, server: addr("server", server)?, control_port };
    let tl = timeline::build(&transcript::decode_bytes(bytes), &ctx);
    let connections = tl
        .connections
        .iter()
        .map(|dc| {
            let ep = &dc.endpoint;
            let (form, ip) = match ep.form {
                EndpointForm::Port => (EndpointForm::Pasv, ctx.server),
                EndpointForm::Eprt => (EndpointForm::Epsv, None),
                EndpointForm::Lprt => (EndpointForm::Lpsv, ctx.server),
                EndpointForm::Pasv => (EndpointForm::Port, ctx.client),
                EndpointForm::Epsv => (EndpointForm::Eprt, ctx.client),
                EndpointForm::Lpsv => (EndpointForm::Lprt, ctx.client),
            };
            let other = Endpoint { ip, port: ep.port, form, span: 0..0 };
            let mut alt = DataConnection::new(dc.index, other, dc.announced_at, &ctx);
            alt.command = dc.command.clone();
            alt.command_at = dc.command_at;
            alt.outcome = dc.outcome;
            alt
        })
        .collect();
    Ok(json::timeline(&Timeline { connections, warnings: Vec::new() }))
}

/// The same session's data connections in the other mode (see [`other_mode_json`]).
#[wasm_bindgen(js_name = timelineOtherMode)]
pub fn timeline_other_mode(
    bytes: &[u8],
    client: Option<String>,
    server: Option<String>,
    control_port: Option<u16>,
) -> Result<JsValue, JsValue> {
    export(other_mode_json(bytes, client.as_deref(), server.as_deref(), control_port))
}
