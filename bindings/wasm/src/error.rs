//! Errors at the edge: the core's kind, code and message, thrown as a JavaScript `Error`.

use ftpkit_proto::ErrorKind;
use wasm_bindgen::JsValue;

/// An error of the core, as the binding reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The core's stable kind name (`"syntax"`, `"range"`, ...).
    pub kind: &'static str,
    /// The kind's stable number.
    pub code: u32,
    /// The core's message.
    pub message: String,
    /// The host-port field the error is about, when it is about one.
    pub field: Option<&'static str>,
}

impl Failure {
    /// A failure of `kind` with the core's message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure { kind: kind.name(), code: kind.code(), message: message.into(), field: None }
    }

    /// The same, naming a field.
    pub fn with_field(mut self, field: Option<&'static str>) -> Failure {
        self.field = field;
        self
    }

    /// The thrown value: `Error` with `name`, `kind`, `code` and `field`.
    pub fn into_js(self) -> JsValue {
        let e = js_sys::Error::new(&self.message);
        e.set_name("FtpkitError");
        let obj: &JsValue = e.as_ref();
        let set = |k: &str, v: JsValue| {
            let _ = js_sys::Reflect::set(obj, &JsValue::from_str(k), &v);
        };
        set("kind", JsValue::from_str(self.kind));
        set("code", JsValue::from_f64(f64::from(self.code)));
        set("field", self.field.map_or(JsValue::NULL, JsValue::from_str));
        e.into()
    }
}
