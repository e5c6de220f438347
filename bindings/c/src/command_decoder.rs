//! `ftpkit_command_decoder` (streaming command decoding, server side) and `ftpkit_command`, the command it lends.

use crate::ffi::{self, ffi_boundary};
use crate::reply_decoder::ftpkit_bytes;
use crate::result::{self, ftpkit_result, FTPKIT_OK};
use ftpkit_proto::command::{Command, CommandDecoder};
use std::borrow::Cow;

/// A streaming command decoder: bytes from a client in, one parsed command per line out, lines bounded.
/// Owned by the caller (`_new`/`_free`); not thread-safe (one thread at a time; it may move between threads).
#[derive(Debug)]
pub struct ftpkit_command_decoder {
    /// The command lent by the last `next`, kept as the core made it so that `current` can point into it (no
    /// copy). Its borrowed text lives in `inner`'s buffer: the lifetime is extended by hand, so it is dropped
    /// before `inner` is touched again (every `feed` and `next` clears it first) and declared first (dropped first).
    held: Option<Command<'static>>,
    /// A typed argument's canonical text (PORT, TYPE...), which the core formats into a new string.
    typed_arg: String,
    inner: CommandDecoder,
    current: ftpkit_command,
    /// The reply code a server should answer the last bad line with (500, 501 or 504), 0 when none.
    hint: u16,
}

/// A command lent by its decoder: valid until the next `ftpkit_command_decoder_feed`, `_next` or `_free`. Its
/// fields may be read directly (no call per field: the fast way) or through `ftpkit_command_verb` and
/// `ftpkit_command_arg`; they are the same values.
#[repr(C)]
#[derive(Debug)]
pub struct ftpkit_command {
    /// The verb (UTF-8) in canonical (upper) case for known commands, as sent for others.
    pub verb: ftpkit_bytes,
    /// The argument (UTF-8) as the wire shows it (canonical for typed arguments: PORT, EPRT, TYPE...); empty
    /// without one.
    pub arg: ftpkit_bytes,
    /// Whether the command has an argument.
    pub has_arg: bool,
}

impl ftpkit_command {
    fn verb(&self) -> &[u8] {
        // SAFETY: points into the owning decoder's held command, its buffer or a static string, untouched until its
        // next feed/next/free.
        unsafe { std::slice::from_raw_parts(self.verb.ptr, self.verb.len) }
    }

    fn arg(&self) -> &[u8] {
        // SAFETY: as for `verb` (or the decoder's `typed_arg`).
        unsafe { std::slice::from_raw_parts(self.arg.ptr, self.arg.len) }
    }
}

/// The bytes of `s` as an `ftpkit_bytes` (never NULL).
fn bytes_of(s: &str) -> ftpkit_bytes {
    ftpkit_bytes { ptr: if s.is_empty() { b"".as_ptr() } else { s.as_ptr() }, len: s.len() }
}

/// Makes a command decoder accepting lines up to `max_line` bytes (0: the default, 8192). `*out` receives it.
///
/// # Safety
/// `out` must point to a writable pointer.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_command_decoder_new(
    max_line: usize,
    out: *mut *mut ftpkit_command_decoder,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let Ok(out) = (unsafe { ffi::out(out, "out") }) else { return result::FTPKIT_NULL_PARAMETER };
        let max = if max_line == 0 { CommandDecoder::DEFAULT_MAX_LINE } else { max_line };
        *out = ffi::into_handle(ftpkit_command_decoder {
            inner: CommandDecoder::new(max),
            held: None,
            typed_arg: String::new(),
            current: ftpkit_command { verb: bytes_of(""), arg: bytes_of(""), has_arg: false },
            hint: 0,
        });
        FTPKIT_OK
    })
}

/// Frees a command decoder. NULL is a no-op.
///
/// # Safety
/// `decoder` must be NULL or from `ftpkit_command_decoder_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_command_decoder_free(decoder: *mut ftpkit_command_decoder) {
    ffi_boundary!(fallback: (), {
        // SAFETY: the caller's promise above.
        unsafe { ffi::free_handle(decoder) }
    })
}

/// Appends `len` bytes read from the client (any bytes). Invalidates the command lent by the last `_next`.
///
/// # Safety
/// `decoder` must be live; `bytes` must point to `len` readable bytes (or be NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn ftpkit_command_decoder_feed(
    decoder: *mut ftpkit_command_decoder,
    bytes: *const u8,
    len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { (ffi::borrow_mut(decoder, "decoder"), ffi::bytes(bytes, len, "bytes")) } {
            (Ok(d), Ok(b)) => {
                // The lent command may point into the buffer `feed` moves.
                d.held = None;
                d.inner.feed(b);
                FTPKIT_OK
            }
            (Err(e), _) | (_, Err(e)) => e,
        }
    })
}

/// Decodes the next command line. On `FTPKIT_OK`, `*command` is the command (lent) or NULL when more bytes are
/// needed. Any other result is one bad line, already skipped (an empty line, a bad verb, a malformed argument,
/// an over-long line): `ftpkit_command_decoder_reply_hint` gives the reply code to answer it with.
///
/// # Safety
/// `decoder` must be live; `command` must point to a writable pointer.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_command_decoder_next(
    decoder: *mut ftpkit_command_decoder,
    command: *mut *const ftpkit_command,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (d, out) = match unsafe { (ffi::borrow_mut(decoder, "decoder"), ffi::out(command, "command")) } {
            (Ok(d), Ok(o)) => (d, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        d.hint = 0;
        // Nothing may point into the decoder's buffer while it decodes.
        d.held = None;
        match d.inner.decode() {
            Ok(Some(c)) => {
                // The verb and a text argument are borrowed from the command (a static name, the decoder's buffer,
                // or the command's own heap text): moving the command below moves none of those bytes.
                let verb = bytes_of(c.verb());
                let (arg, has_arg) = match c.arg() {
                    None => (bytes_of(""), false),
                    Some(Cow::Borrowed(a)) => (bytes_of(a), true),
                    Some(Cow::Owned(a)) => {
                        d.typed_arg = a;
                        (bytes_of(&d.typed_arg), true)
                    }
                };
                // SAFETY: only the lifetime changes. The command borrows `d.inner`'s buffer, which stays as it is
                // until the next `feed`/`next`/`free`; each of those drops `held` before touching `inner`.
                d.held = Some(unsafe { std::mem::transmute::<Command<'_>, Command<'static>>(c) });
                d.current = ftpkit_command { verb, arg, has_arg };
                *out = &d.current;
                FTPKIT_OK
            }
            Ok(None) => {
                *out = std::ptr::null();
                FTPKIT_OK
            }
            Err(e) => {
                d.hint = e.reply_hint();
                result::core_error(e.kind(), e)
            }
        }
    })
}

/// The reply code (500, 501 or 504) a server should answer the line refused by the last `_next` with; 0 when
/// the last `_next` succeeded or `decoder` is NULL.
///
/// # Safety
/// `decoder` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_command_decoder_reply_hint(decoder: *const ftpkit_command_decoder) -> u16 {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(decoder, "decoder") }.map_or(0, |d| d.hint)
    })
}

/// Lends the verb (UTF-8, no NUL terminator) as pointer + length.
///
/// # Safety
/// `command` must be a valid lent command; `ptr`/`len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_command_verb(
    command: *const ftpkit_command,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { ffi::borrow(command, "command") } {
            // SAFETY: forwarded.
            Ok(c) => unsafe { ffi::lend(c.verb(), ptr, len) },
            Err(e) => e,
        }
    })
}

/// Lends the argument (UTF-8) as pointer + length and sets `*has_arg`; a command without an argument gives
/// `*has_arg = false` and an empty string.
///
/// # Safety
/// `command` must be a valid lent command; `ptr`, `len`, `has_arg` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_command_arg(
    command: *const ftpkit_command,
    ptr: *mut *const u8,
    len: *mut usize,
    has_arg: *mut bool,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (c, has) = match unsafe { (ffi::borrow(command, "command"), ffi::out(has_arg, "has_arg")) } {
            (Ok(c), Ok(h)) => (c, h),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        // SAFETY: forwarded.
        let r = unsafe { ffi::lend(c.arg(), ptr, len) };
        if r == FTPKIT_OK {
            *has = c.has_arg;
        }
        r
    })
}
