//! `ftpkit_reply_decoder` (streaming reply decoding, client side) and `ftpkit_reply`, the reply it lends.

use crate::ffi::{self, ffi_boundary};
use crate::result::{self, ftpkit_result, FTPKIT_OK};
use ftpkit_proto::reply::{Framing, Limits, ReplyDecoder};

/// `framing` value: RFC 959's rule (only a line with the opening code and SP closes a multi-line reply).
pub const FTPKIT_FRAMING_STRICT: u32 = 0;
/// `framing` value: any `NNN ` line closes a multi-line reply, which takes that line's code (curl's rule).
pub const FTPKIT_FRAMING_TOLERANT: u32 = 1;

/// A streaming reply decoder: bytes from the control connection in, complete replies out, with bounded memory.
/// Owned by the caller (`_new`/`_free`); not thread-safe (use one thread at a time; it may move between threads).
#[derive(Debug)]
pub struct ftpkit_reply_decoder {
    inner: ReplyDecoder,
    /// The reply lent by the last `next` (its pointer goes stale at the next feed/next/free, as documented).
    current: ftpkit_reply,
    /// The text lines `current.lines` points to; reused from reply to reply.
    lines: Vec<ftpkit_bytes>,
}

/// A decoded reply lent by its decoder: valid until the next `ftpkit_reply_decoder_feed`,
/// `ftpkit_reply_decoder_next` or `ftpkit_reply_decoder_free` on that decoder. Never freed by the caller. Its fields
/// may be read directly (no call per field: the fast way) or through `ftpkit_reply_code`, `_raw`, `_line_count`,
/// `_line`, `_lines`; they are the same values.
#[repr(C)]
#[derive(Debug)]
pub struct ftpkit_reply {
    /// The reply code (100-599).
    pub code: u16,
    /// The whole reply as received (line ends included, Telnet commands stripped).
    pub raw: ftpkit_bytes,
    /// The text lines (see `ftpkit_reply_line`): `line_count` entries, each pointing into `raw`.
    pub lines: *const ftpkit_bytes,
    /// How many text lines (1 for a single-line reply).
    pub line_count: usize,
}

impl ftpkit_reply {
    fn raw(&self) -> &[u8] {
        // SAFETY: `raw` was taken from a `ReplyRef` of the owning decoder (or is the empty static string), whose
        // buffer is neither freed nor moved until the next feed/next/free, which is exactly how long a reply may be
        // used (the header says so).
        unsafe { std::slice::from_raw_parts(self.raw.ptr, self.raw.len) }
    }

    fn text(&self) -> &[ftpkit_bytes] {
        // SAFETY: `lines`/`line_count` describe the owning decoder's `lines` vector (or the empty static string),
        // untouched until the next next/free.
        unsafe { std::slice::from_raw_parts(self.lines, self.line_count) }
    }
}

/// An empty byte string whose pointer is not NULL.
const EMPTY: ftpkit_bytes = ftpkit_bytes { ptr: b"".as_ptr(), len: 0 };

/// Makes a reply decoder. `framing` is `FTPKIT_FRAMING_STRICT` or `FTPKIT_FRAMING_TOLERANT`; each limit 0 means
/// its default (8192-byte lines, 1 MiB replies, 16384 lines). Exceeding a limit is an `FTPKIT_TOO_LONG` error for
/// that reply, never unbounded growth. `*out` receives the decoder on success.
///
/// # Safety
/// `out` must point to a writable pointer.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_decoder_new(
    framing: u32,
    max_line: usize,
    max_reply_bytes: usize,
    max_reply_lines: usize,
    out: *mut *mut ftpkit_reply_decoder,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller promises a writable pointer or NULL.
        let Ok(out) = (unsafe { ffi::out(out, "out") }) else { return result::FTPKIT_NULL_PARAMETER };
        let framing = match framing {
            FTPKIT_FRAMING_STRICT => Framing::Strict,
            FTPKIT_FRAMING_TOLERANT => Framing::Tolerant,
            other => return ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown framing {other}")),
        };
        let d = Limits::default();
        let pick = |v: usize, default: usize| if v == 0 { default } else { v };
        let limits = Limits {
            max_line: pick(max_line, d.max_line),
            max_reply_bytes: pick(max_reply_bytes, d.max_reply_bytes),
            max_reply_lines: pick(max_reply_lines, d.max_reply_lines),
        };
        *out = ffi::into_handle(ftpkit_reply_decoder {
            inner: ReplyDecoder::new(framing, limits),
            current: ftpkit_reply { code: 0, raw: EMPTY, lines: std::ptr::NonNull::dangling().as_ptr(), line_count: 0 },
            lines: Vec::new(),
        });
        FTPKIT_OK
    })
}

/// Frees a reply decoder (and the reply it lent). NULL is a no-op.
///
/// # Safety
/// `decoder` must be NULL or a decoder from `ftpkit_reply_decoder_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_decoder_free(decoder: *mut ftpkit_reply_decoder) {
    ffi_boundary!(fallback: (), {
        // SAFETY: the caller's promise above.
        unsafe { ffi::free_handle(decoder) }
    })
}

/// Appends `len` bytes read from the control connection (Telnet commands are stripped; bytes may be any, NULs
/// included). Invalidates the reply lent by the last `ftpkit_reply_decoder_next`.
///
/// # Safety
/// `decoder` must be a live decoder; `bytes` must point to `len` readable bytes (or be NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_decoder_feed(
    decoder: *mut ftpkit_reply_decoder,
    bytes: *const u8,
    len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (d, b) = match unsafe { (ffi::borrow_mut(decoder, "decoder"), ffi::bytes(bytes, len, "bytes")) } {
            (Ok(d), Ok(b)) => (d, b),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        d.inner.feed(b);
        FTPKIT_OK
    })
}

/// Decodes the next complete reply. On `FTPKIT_OK`, `*reply` is the reply (lent, see `ftpkit_reply`) or NULL when
/// more bytes are needed. Any other result is one bad line or one broken reply (over a limit, a bad code), already
/// skipped: `ftpkit_error_detail` says what; call again to go on.
///
/// # Safety
/// `decoder` must be a live decoder; `reply` must point to a writable pointer.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_decoder_next(
    decoder: *mut ftpkit_reply_decoder,
    reply: *mut *const ftpkit_reply,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (d, out) = match unsafe { (ffi::borrow_mut(decoder, "decoder"), ffi::out(reply, "reply")) } {
            (Ok(d), Ok(o)) => (d, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match d.inner.decode() {
            Ok(Some(r)) => {
                let raw = r.raw();
                d.lines.clear();
                // Text lines are sub-slices of `raw` (the decoder's buffer): lend them as they stand.
                d.lines.extend(r.text_lines().map(|l| ftpkit_bytes { ptr: l.as_ptr(), len: l.len() }));
                d.current = ftpkit_reply {
                    code: r.code().get(),
                    raw: ftpkit_bytes { ptr: raw.as_ptr(), len: raw.len() },
                    lines: d.lines.as_ptr(),
                    line_count: d.lines.len(),
                };
                *out = &d.current;
                FTPKIT_OK
            }
            Ok(None) => {
                *out = std::ptr::null();
                FTPKIT_OK
            }
            Err(e) => result::core_error(e.kind(), e),
        }
    })
}

/// Bytes the decoder holds (an incomplete reply, or complete ones not decoded yet) into `*out`.
///
/// # Safety
/// `decoder` must be NULL or a live decoder; `out` must point to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_decoder_buffered(
    decoder: *const ftpkit_reply_decoder,
    out: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { (ffi::borrow(decoder, "decoder"), ffi::out(out, "out")) } {
            (Ok(d), Ok(o)) => {
                *o = d.inner.buffered();
                FTPKIT_OK
            }
            (Err(e), _) | (_, Err(e)) => e,
        }
    })
}

/// The reply code (100-599), or 0 when `reply` is NULL.
///
/// # Safety
/// `reply` must be NULL or a reply lent by a decoder and still valid.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_code(reply: *const ftpkit_reply) -> u16 {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(reply, "reply") }.map_or(0, |r| r.code)
    })
}

/// Lends the whole reply as received (line ends included, Telnet commands stripped) as pointer + length, valid as
/// long as the reply.
///
/// # Safety
/// `reply` must be a valid lent reply; `ptr` and `len` must be writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_raw(
    reply: *const ftpkit_reply,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { ffi::borrow(reply, "reply") } {
            // SAFETY: `ptr`/`len` forwarded.
            Ok(r) => unsafe { ffi::lend(r.raw(), ptr, len) },
            Err(e) => e,
        }
    })
}

/// How many text lines the reply has (1 for a single-line reply), or 0 when `reply` is NULL.
///
/// # Safety
/// `reply` must be NULL or a valid lent reply.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_line_count(reply: *const ftpkit_reply) -> usize {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(reply, "reply") }.map_or(0, |r| r.line_count)
    })
}

/// Lends text line `index` (0-based): the first and last lines without their `NNN-`/`NNN ` prefix, lines between
/// without it where they start with the code, others verbatim; no line end. Bytes as received (not checked for
/// UTF-8; may hold NUL). `FTPKIT_INVALID_PARAMETER` when `index` is past the last line.
///
/// # Safety
/// `reply` must be a valid lent reply; `ptr` and `len` must be writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_line(
    reply: *const ftpkit_reply,
    index: usize,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let r = match unsafe { ffi::borrow(reply, "reply") } {
            Ok(r) => r,
            Err(e) => return e,
        };
        let Some(line) = r.text().get(index) else {
            return ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("line {index} of {}", r.line_count));
        };
        // SAFETY: the line points into the reply's raw bytes, valid as long as the reply; `ptr`/`len` forwarded.
        unsafe { ffi::lend(std::slice::from_raw_parts(line.ptr, line.len), ptr, len) }
    })
}

/// A byte string lent by a handle: `len` bytes at `ptr` (not NUL-terminated; may hold NUL).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ftpkit_bytes {
    /// The first byte (never NULL when written by the library, even for an empty string).
    pub ptr: *const u8,
    /// The length in bytes.
    pub len: usize,
}

/// Lends every text line of the reply at once (as `ftpkit_reply_line` would, one by one) into `lines[0..count)`:
/// one call per reply instead of one per line. `*count` always receives the number of lines; when `cap` is smaller
/// the result is `FTPKIT_BUFFER_TOO_SMALL` and nothing is written. Valid as long as the reply.
///
/// # Safety
/// `reply` a valid lent reply; `lines` NULL or `cap` writable entries; `count` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_reply_lines(
    reply: *const ftpkit_reply,
    lines: *mut ftpkit_bytes,
    cap: usize,
    count: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (r, count) = match unsafe { (ffi::borrow(reply, "reply"), ffi::out(count, "count")) } {
            (Ok(r), Ok(c)) => (r, c),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let n = r.line_count;
        *count = n;
        if cap < n {
            return ffi::fail(result::FTPKIT_BUFFER_TOO_SMALL, format!("{n} lines, room for {cap}"));
        }
        if n == 0 {
            return FTPKIT_OK;
        }
        if lines.is_null() {
            return ffi::null("lines");
        }
        // SAFETY: `lines` has `cap >= n` writable entries (the caller's promise), and cannot overlap the decoder's.
        unsafe { std::ptr::copy_nonoverlapping(r.lines, lines, n) };
        FTPKIT_OK
    })
}
