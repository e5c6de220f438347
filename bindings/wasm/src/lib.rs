//! # ftpkit-wasm: the ftpkit core for JavaScript
//!
//! A thin map of `ftpkit-proto` for the browser (`wasm-bindgen`, `--target web`). Browsers have no TCP, so this
//! module gives JavaScript the core's parsers, models and simulated world, not sockets. Everything is computed by
//! the core; the JSON shapes come from the core's one renderer (`ftpkit_proto::transcript::json`, the same that
//! `ftpkit decode --json` prints) and are handed to JavaScript as plain objects.
//!
//! Conventions:
//! - Functions are camelCase in JavaScript (`decodeTranscript`, `firewallRules`, `new SimWorld(...)`).
//! - Spans are given twice: `span` in UTF-8 bytes and `span_utf16` in UTF-16 code units (what `String.slice` counts).
//! - Errors are thrown as JavaScript `Error`s with `name = "FtpkitError"` and the core's `kind` (`"syntax"`, ...),
//!   `code` (the stable number) and, for host-port errors, the `field` (`"p1"`, `"h3"`, `"port"`, ...).
//!
//! Each module below has plain Rust functions returning JSON text or a [`Failure`] (tested natively with
//! `cargo test -p ftpkit-wasm`) and the `#[wasm_bindgen]` exports that only convert at the edge.

mod decode;
mod error;
mod firewall;
mod hostport;
mod sim;

pub use decode::{decode_line_json, decode_transcript_json, other_mode_json, timeline_json};
pub use error::Failure;
pub use firewall::{firewall_json, predict_json};
pub use hostport::{format_json, parse_json, rewrite_json};
pub use sim::SimWorld;

use wasm_bindgen::prelude::*;

/// Turns core JSON text into a JavaScript value.
pub(crate) fn to_js(json: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(json)
}

/// Converts a result of the plain layer into what JavaScript sees: an object, or a thrown `Error`.
pub(crate) fn export(r: Result<String, Failure>) -> Result<JsValue, JsValue> {
    match r {
        Ok(json) => to_js(&json),
        Err(f) => Err(f.into_js()),
    }
}

/// The version of the module (the workspace version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
