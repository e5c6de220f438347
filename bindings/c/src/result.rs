//! `ftpkit_result`: the status every fallible function returns, its names and messages.

use crate::ffi::{self, ffi_boundary};
use ftpkit_proto::ErrorKind;

/// The status of a call: `FTPKIT_OK` (0), a core error kind (1-999: the core's stable `ErrorKind` codes), or an
/// error of the C boundary itself (4096 and up). A plain integer, never a C enum, so that a newer library's codes
/// can be passed through an older program safely.
#[allow(non_camel_case_types)]
pub type ftpkit_result = u32;

/// Success.
pub const FTPKIT_OK: ftpkit_result = 0;
/// Core: malformed input (the literal values below are checked against the core's `ErrorKind::code()` by a
/// test; cbindgen needs literals) (a verb, code, field or separator that does not follow the grammar).
pub const FTPKIT_SYNTAX: ftpkit_result = 1;
/// Core: a number out of range (an octet over 255, port 0, a reply code whose first digit is not 1-5).
pub const FTPKIT_RANGE: ftpkit_result = 2;
/// Core: CR, LF or NUL in text that would go onto the control connection (command or reply injection refused).
pub const FTPKIT_INJECTION: ftpkit_result = 3;
/// Core: a line or a reply longer than the configured limit.
pub const FTPKIT_TOO_LONG: ftpkit_result = 4;
/// Core: the input ended in the middle of a value that had to be complete.
pub const FTPKIT_INCOMPLETE: ftpkit_result = 5;
/// Core: well-formed but unsupported (an unknown address family, say).
pub const FTPKIT_UNSUPPORTED: ftpkit_result = 6;
/// Core: a reply with another code than the parser reads (a 229 handed to the 227 parser).
pub const FTPKIT_WRONG_REPLY: ftpkit_result = 7;
/// Core: a session received input that makes no sense in its state (the peer's fault).
pub const FTPKIT_UNEXPECTED_INPUT: ftpkit_result = 8;
/// Core and boundary: a handle used in a way its current state does not allow (the caller's fault): a session
/// call out of order, or asking a decoder for its current item when it holds none. One code for both meanings.
pub const FTPKIT_INVALID_STATE: ftpkit_result = 9;
/// Core: a policy refused the request (FTP bounce, a privileged port...).
pub const FTPKIT_REFUSED: ftpkit_result = 10;
/// Core: the session is closed and takes no more input.
pub const FTPKIT_CLOSED: ftpkit_result = 11;

/// The first code of the boundary's own range (never a core kind, never an errno value).
pub const FTPKIT_BOUNDARY_BASE: ftpkit_result = 4096;
/// Boundary: a required pointer parameter was NULL.
pub const FTPKIT_NULL_PARAMETER: ftpkit_result = 4097;
/// Boundary: the caller's buffer is too small; the needed size was written to the `needed` out-parameter.
pub const FTPKIT_BUFFER_TOO_SMALL: ftpkit_result = 4098;
/// Boundary: a text parameter is not valid UTF-8.
pub const FTPKIT_INVALID_UTF8: ftpkit_result = 4099;
/// Boundary: a bug inside the library (a Rust panic) was caught; the handle involved should be freed.
pub const FTPKIT_PANIC: ftpkit_result = 4100;
/// Boundary: an integer parameter names no known value (a form, a mode, a format, an index out of range).
pub const FTPKIT_INVALID_PARAMETER: ftpkit_result = 4101;

/// The status for a core error kind.
pub(crate) fn from_kind(kind: ErrorKind) -> ftpkit_result {
    kind.code()
}

/// Fails with a core error: its kind's code, its message recorded as the detail.
pub(crate) fn core_error<E: std::fmt::Display>(kind: ErrorKind, e: E) -> ftpkit_result {
    ffi::fail(from_kind(kind), e.to_string())
}

/// The stable name of a code, NUL-terminated. The core kinds' names are `ErrorKind::name()` (a test checks it).
fn name_of(result: ftpkit_result) -> Option<&'static std::ffi::CStr> {
    Some(match result {
        FTPKIT_OK => c"ok",
        FTPKIT_SYNTAX => c"syntax",
        FTPKIT_RANGE => c"range",
        FTPKIT_INJECTION => c"injection",
        FTPKIT_TOO_LONG => c"too_long",
        FTPKIT_INCOMPLETE => c"incomplete",
        FTPKIT_UNSUPPORTED => c"unsupported",
        FTPKIT_WRONG_REPLY => c"wrong_reply",
        FTPKIT_UNEXPECTED_INPUT => c"unexpected_input",
        FTPKIT_INVALID_STATE => c"invalid_state",
        FTPKIT_REFUSED => c"refused",
        FTPKIT_CLOSED => c"closed",
        FTPKIT_NULL_PARAMETER => c"null_parameter",
        FTPKIT_BUFFER_TOO_SMALL => c"buffer_too_small",
        FTPKIT_INVALID_UTF8 => c"invalid_utf8",
        FTPKIT_PANIC => c"panic",
        FTPKIT_INVALID_PARAMETER => c"invalid_parameter",
        _ => return None,
    })
}

#[cfg(test)]
fn core_kind(result: ftpkit_result) -> Option<ErrorKind> {
    const KINDS: [ErrorKind; 11] = [
        ErrorKind::Syntax,
        ErrorKind::Range,
        ErrorKind::Injection,
        ErrorKind::TooLong,
        ErrorKind::Incomplete,
        ErrorKind::Unsupported,
        ErrorKind::WrongReply,
        ErrorKind::UnexpectedInput,
        ErrorKind::InvalidState,
        ErrorKind::Refused,
        ErrorKind::Closed,
    ];
    KINDS.into_iter().find(|k| k.code() == result)
}

fn message_of(result: ftpkit_result) -> &'static str {
    match result {
        FTPKIT_OK => "success",
        FTPKIT_SYNTAX => "malformed input: it does not follow the FTP grammar",
        FTPKIT_RANGE => "a number is out of its range",
        FTPKIT_INJECTION => "CR, LF or NUL in text that would be sent: injection refused",
        FTPKIT_TOO_LONG => "a line or reply is longer than the configured limit",
        FTPKIT_INCOMPLETE => "the input ended in the middle of a value",
        FTPKIT_UNSUPPORTED => "well-formed but not supported",
        FTPKIT_WRONG_REPLY => "a reply with another code than the one this parser reads",
        FTPKIT_UNEXPECTED_INPUT => "the peer sent something that makes no sense in the session's state",
        FTPKIT_INVALID_STATE => "the handle's current state does not allow this call",
        FTPKIT_REFUSED => "a policy refused the request",
        FTPKIT_CLOSED => "the session is closed",
        FTPKIT_NULL_PARAMETER => "a required pointer parameter was NULL",
        FTPKIT_BUFFER_TOO_SMALL => "the buffer is too small; the needed size was reported",
        FTPKIT_INVALID_UTF8 => "a text parameter is not valid UTF-8",
        FTPKIT_PANIC => "internal error: a panic was caught at the library boundary",
        FTPKIT_INVALID_PARAMETER => "an integer parameter names no known value or is out of range",
        _ => "unknown result code",
    }
}

/// The stable short name of a result (`"ok"`, `"syntax"`, `"too_long"`, `"null_parameter"`...), as a static
/// NUL-terminated string; `"unknown"` for a code this library does not know. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn ftpkit_result_name(result: ftpkit_result) -> *const std::ffi::c_char {
    ffi_boundary!(fallback: c"panic".as_ptr(), { name_of(result).unwrap_or(c"unknown").as_ptr() })
}

/// Writes the general meaning of `result` into `buf` (snprintf convention, see the header's conventions):
/// `*needed` receives the message length without the NUL.
///
/// # Safety
/// `buf` must be NULL or point to `cap` writable bytes; `needed` must point to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_result_message(
    result: ftpkit_result,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises on `buf`, `cap`, `needed` are forwarded unchanged.
        unsafe { ffi::copy_out(message_of(result).as_bytes(), buf, cap, needed) }
    })
}

/// Writes the detailed message of the last call that failed on this thread (which field, which limit, which
/// byte: the core error's text) into `buf`, snprintf convention. Empty when no call failed yet. Reading it does not
/// clear it; a later failure on the same thread replaces it. Thread-local: safe from any thread.
///
/// # Safety
/// `buf` must be NULL or point to `cap` writable bytes; `needed` must point to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_error_detail(buf: *mut u8, cap: usize, needed: *mut usize) -> ftpkit_result {
    ffi_boundary!({
        let detail = ffi::with_detail(|d| d.to_owned());
        // Copying must not replace the detail with a "buffer too small" detail of its own: restore it.
        // SAFETY: the caller's promises on `buf`, `cap`, `needed` are forwarded unchanged.
        let r = unsafe { ffi::copy_out(detail.as_bytes(), buf, cap, needed) };
        ffi::set_detail(detail);
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_codes_and_names_are_the_core_kinds() {
        for code in 1..=11 {
            let kind = core_kind(code).expect("kinds 1-11 exist");
            assert_eq!(from_kind(kind), code);
            assert_eq!(name_of(code).and_then(|n| n.to_str().ok()), Some(kind.name()));
            assert_ne!(message_of(code), "unknown result code");
        }
        let consts = [
            FTPKIT_SYNTAX,
            FTPKIT_RANGE,
            FTPKIT_INJECTION,
            FTPKIT_TOO_LONG,
            FTPKIT_INCOMPLETE,
            FTPKIT_UNSUPPORTED,
            FTPKIT_WRONG_REPLY,
            FTPKIT_UNEXPECTED_INPUT,
            FTPKIT_INVALID_STATE,
            FTPKIT_REFUSED,
            FTPKIT_CLOSED,
        ];
        let kinds = [
            ErrorKind::Syntax,
            ErrorKind::Range,
            ErrorKind::Injection,
            ErrorKind::TooLong,
            ErrorKind::Incomplete,
            ErrorKind::Unsupported,
            ErrorKind::WrongReply,
            ErrorKind::UnexpectedInput,
            ErrorKind::InvalidState,
            ErrorKind::Refused,
            ErrorKind::Closed,
        ];
        for (c, k) in consts.into_iter().zip(kinds) {
            assert_eq!(c, k.code(), "{k:?}");
        }
        assert_eq!(FTPKIT_NULL_PARAMETER, FTPKIT_BOUNDARY_BASE + 1);
        assert_eq!(FTPKIT_INVALID_PARAMETER, FTPKIT_BOUNDARY_BASE + 5);
        assert!(core_kind(12).is_none() && name_of(12).is_none());
        for code in FTPKIT_BOUNDARY_BASE + 1..=FTPKIT_INVALID_PARAMETER {
            assert!(name_of(code).is_some() && message_of(code) != "unknown result code");
        }
    }
}
