//! Command and reply formatting: text in, wire bytes out, injection (CR, LF, NUL) refused.

use crate::ffi::{self, ffi_boundary};
use crate::result::{self, ftpkit_result};
use ftpkit_proto::command::format_command;
use ftpkit_proto::reply::{Code, Reply};

/// Writes the command line `VERB[ SP arg]\r\n` into `buf` (snprintf convention). `arg` NULL means no argument (a
/// non-NULL `arg` with `arg_len` 0 writes `VERB \r\n`). The verb must be ASCII letters and digits; CR, LF or NUL in
/// either part is `FTPKIT_INJECTION` and nothing is written.
///
/// # Safety
/// `verb`/`arg` point to their lengths in readable bytes (`arg` may be NULL); `buf` has `cap` writable bytes or is
/// NULL; `needed` is writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_format_command(
    verb: *const u8,
    verb_len: usize,
    arg: *const u8,
    arg_len: usize,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise on `verb`.
        let verb = match unsafe { ffi::text(verb, verb_len, "verb") } {
            Ok(v) => v,
            Err(e) => return e,
        };
        let arg = if arg.is_null() {
            None
        } else {
            // SAFETY: the caller's promise on `arg`.
            match unsafe { ffi::text(arg, arg_len, "arg") } {
                Ok(a) => Some(a),
                Err(e) => return e,
            }
        };
        let mut line = Vec::new();
        if let Err(e) = format_command(verb, arg, &mut line) {
            return result::core_error(e.kind(), e);
        }
        // SAFETY: forwarded.
        unsafe { ffi::copy_out(&line, buf, cap, needed) }
    })
}

/// Writes a reply with code `code` (100-599) into `buf` (snprintf convention). `text` holds the text lines
/// separated by LF (one line: single-line reply `NNN text\r\n`; more: `NNN-first\r\n ... NNN last\r\n`). CR or NUL
/// in the text is `FTPKIT_INJECTION`; a bad code is `FTPKIT_RANGE`; nothing is written on error.
///
/// # Safety
/// `text` points to `text_len` readable bytes (or is NULL with 0); `buf` has `cap` writable bytes or is NULL;
/// `needed` is writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_format_reply(
    code: u16,
    text: *const u8,
    text_len: usize,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise on `text`.
        let text = match unsafe { ffi::text(text, text_len, "text") } {
            Ok(t) => t,
            Err(e) => return e,
        };
        let code = match Code::new(code) {
            Ok(c) => c,
            Err(e) => return result::core_error(e.kind(), e),
        };
        let reply = Reply::multiline(code, text.split('\n'));
        match reply.to_bytes() {
            // SAFETY: forwarded.
            Ok(bytes) => unsafe { ffi::copy_out(&bytes, buf, cap, needed) },
            Err(e) => result::core_error(e.kind(), e),
        }
    })
}
