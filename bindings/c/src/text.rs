//! Reply texts with structure: 257 paths (`ftpkit_parse_257`, `ftpkit_format_257`) and the FEAT list
//! (`ftpkit_features`).

use crate::ffi::{self, ffi_boundary};
use crate::result::{self, ftpkit_result, FTPKIT_OK};
use ftpkit_proto::feat::Features;
use ftpkit_proto::path;

/// Reads the quoted path of a 257 reply (`257 "/a ""b"" c" created`, code optional; doubled quotes undone) into
/// `buf` (snprintf convention). No quote is `FTPKIT_SYNTAX`; a control character inside the quotes is refused.
///
/// # Safety
/// `text` points to `len` readable bytes; `buf` has `cap` writable bytes or is NULL; `needed` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_parse_257(
    text: *const u8,
    len: usize,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise on `text`.
        let text = match unsafe { ffi::text(text, len, "text") } {
            Ok(t) => t,
            Err(e) => return e,
        };
        match path::parse_257(text) {
            // SAFETY: forwarded.
            Ok(p) => unsafe { ffi::copy_out(p.as_bytes(), buf, cap, needed) },
            Err(e) => result::core_error(e.kind(), e),
        }
    })
}

/// Writes a 257 reply line without its line end, `257 "<path, quotes doubled>" <text>`, into `buf` (snprintf
/// convention). CR, LF or NUL in the path or text is `FTPKIT_INJECTION`.
///
/// # Safety
/// `path_ptr`/`text` point to their lengths in readable bytes; `buf` has `cap` writable bytes or is NULL;
/// `needed` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_format_257(
    path_ptr: *const u8,
    path_len: usize,
    text: *const u8,
    text_len: usize,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (p, t) = match unsafe { (ffi::text(path_ptr, path_len, "path"), ffi::text(text, text_len, "text")) } {
            (Ok(p), Ok(t)) => (p, t),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match path::format_257(p, t) {
            // SAFETY: forwarded.
            Ok(s) => unsafe { ffi::copy_out(s.as_bytes(), buf, cap, needed) },
            Err(e) => result::core_error(e.kind(), e),
        }
    })
}

/// The features a server announced in its FEAT (211) reply. Owned by the caller (`_parse`/`_free`); immutable,
/// so it may be read from several threads at once.
#[derive(Debug)]
pub struct ftpkit_features {
    inner: Features<'static>,
}

/// Parses a whole 211 reply as received (`211-Features:\r\n EPSV\r\n211 End\r\n`) into `*out`. Another code is
/// `FTPKIT_WRONG_REPLY`.
///
/// # Safety
/// `reply` points to `len` readable bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_features_parse(
    reply: *const u8,
    len: usize,
    out: *mut *mut ftpkit_features,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (text, out) = match unsafe { (ffi::text(reply, len, "reply"), ffi::out(out, "out")) } {
            (Ok(t), Ok(o)) => (t, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match Features::from_reply_text(text) {
            Ok(f) => {
                *out = ffi::into_handle(ftpkit_features { inner: f.into_owned() });
                FTPKIT_OK
            }
            Err(e) => result::core_error(e.kind(), e),
        }
    })
}

/// Frees a feature list. NULL is a no-op.
///
/// # Safety
/// NULL or from `ftpkit_features_parse`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_features_free(features: *mut ftpkit_features) {
    ffi_boundary!(fallback: (), {
        // SAFETY: the caller's promise above.
        unsafe { ffi::free_handle(features) }
    })
}

/// The number of features; 0 for NULL.
///
/// # Safety
/// NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_features_len(features: *const ftpkit_features) -> usize {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(features, "features") }.map_or(0, |f| f.inner.len())
    })
}

/// Lends feature `index`'s name and parameters (empty when none), valid until the list is freed.
/// `FTPKIT_INVALID_PARAMETER` past the end.
///
/// # Safety
/// `features` live; the four out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_features_get(
    features: *const ftpkit_features,
    index: usize,
    name: *mut *const u8,
    name_len: *mut usize,
    params: *mut *const u8,
    params_len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let f = match unsafe { ffi::borrow(features, "features") } {
            Ok(f) => f,
            Err(e) => return e,
        };
        let Some(feat) = f.inner.iter().nth(index) else {
            return ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("feature {index} of {}", f.inner.len()));
        };
        if name.is_null() || name_len.is_null() || params.is_null() || params_len.is_null() {
            return ffi::null("name/name_len/params/params_len");
        }
        // SAFETY: all four checked non-NULL, writable by the caller's promise.
        unsafe {
            ffi::lend(feat.name().as_bytes(), name, name_len);
            ffi::lend(feat.params().as_bytes(), params, params_len)
        }
    })
}

/// True when the list has the feature `name` (ASCII case-insensitive); false for NULL or invalid UTF-8.
///
/// # Safety
/// `features` NULL or live; `name` points to `name_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_features_has(
    features: *const ftpkit_features,
    name: *const u8,
    name_len: usize,
) -> bool {
    ffi_boundary!(fallback: false, {
        // SAFETY: the caller's promises above.
        match unsafe { (ffi::borrow(features, "features"), ffi::text(name, name_len, "name")) } {
            (Ok(f), Ok(n)) => f.inner.has(n),
            _ => false,
        }
    })
}
