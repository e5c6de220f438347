//! The boundary: the one panic-catching macro every `extern "C"` body runs through, and the pointer and buffer
//! helpers that turn C arguments into Rust values (each returns a status instead of trusting the caller).

use crate::result::{self, ftpkit_result};
use std::cell::RefCell;

/// Runs an `extern "C"` body and turns a panic into [`result::FTPKIT_PANIC`] (or the fallback value given). Every
/// exported function's body is one call of this macro: `tests/boundary.rs` checks it.
///
/// The body is a block evaluating to the function's return value; `?`-style early exits use `return` inside it.
macro_rules! ffi_boundary {
    ($body:block) => {
        $crate::ffi::catch(|| $body, $crate::result::FTPKIT_PANIC)
    };
    (fallback: $fallback:expr, $body:block) => {
        $crate::ffi::catch(|| $body, $fallback)
    };
}
pub(crate) use ffi_boundary;

/// Calls `f`, returning `fallback` when it panics (the panic is recorded as the thread's last error detail).
#[inline]
pub(crate) fn catch<T>(f: impl FnOnce() -> T, fallback: T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            set_detail(format!("internal error (a Rust panic was caught at the boundary): {what}"));
            fallback
        }
    }
}

thread_local! {
    /// The detailed message of the last failing call on this thread (see `ftpkit_error_detail`).
    static DETAIL: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `msg` as this thread's last error detail.
pub(crate) fn set_detail(msg: String) {
    DETAIL.with(|d| *d.borrow_mut() = msg);
}

/// Records a detail and returns `code`: the one way functions fail (off the hot path: never inlined).
#[cold]
#[inline(never)]
pub(crate) fn fail(code: ftpkit_result, msg: impl Into<String>) -> ftpkit_result {
    set_detail(msg.into());
    code
}

/// Runs `f` with this thread's last error detail.
pub(crate) fn with_detail<T>(f: impl FnOnce(&str) -> T) -> T {
    DETAIL.with(|d| f(&d.borrow()))
}

/// Fails with `FTPKIT_NULL_PARAMETER` naming the parameter.
#[cold]
#[inline(never)]
pub(crate) fn null(name: &str) -> ftpkit_result {
    fail(result::FTPKIT_NULL_PARAMETER, format!("parameter `{name}` is NULL"))
}

/// Borrows `len` bytes at `ptr`. NULL is accepted only when `len` is 0 (an empty input).
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that stay valid and unmodified for `'a`.
#[inline]
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8], ftpkit_result> {
    if ptr.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(null(name)) };
    }
    // SAFETY: non-NULL, and the caller promises `len` readable bytes valid for 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `len` bytes at `ptr` as UTF-8 text.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn text<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a str, ftpkit_result> {
    // SAFETY: forwarded from the caller.
    let b = unsafe { bytes(ptr, len, name) }?;
    std::str::from_utf8(b).map_err(|e| {
        fail(result::FTPKIT_INVALID_UTF8, format!("parameter `{name}` is not UTF-8 (at byte {})", e.valid_up_to()))
    })
}

/// Borrows the object behind a `const` handle pointer.
///
/// # Safety
/// `ptr` must be NULL or a handle returned by this library and not freed yet.
#[inline]
pub(crate) unsafe fn borrow<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, ftpkit_result> {
    // SAFETY: a live handle from this library (the caller's promise) is a valid, aligned T.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// Borrows the object behind a mutable handle pointer.
///
/// # Safety
/// `ptr` must be NULL or a handle returned by this library, not freed, and not used by another thread meanwhile.
#[inline]
pub(crate) unsafe fn borrow_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, ftpkit_result> {
    // SAFETY: as above, plus exclusive use for the call (documented per handle in the header).
    unsafe { ptr.as_mut() }.ok_or_else(|| null(name))
}

/// Checks an out-parameter and returns it as a mutable reference (written only on success by the callers).
///
/// # Safety
/// `ptr` must be NULL or point to a writable, aligned `T`.
#[inline]
pub(crate) unsafe fn out<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, ftpkit_result> {
    // SAFETY: the caller promises a writable, aligned T when non-NULL.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(name))
}

/// Moves `value` to the heap and returns the owning pointer (freed by the matching `_free`).
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Frees a handle made by [`into_handle`]; NULL is a no-op.
///
/// # Safety
/// `ptr` must be NULL or a pointer from [`into_handle`] for the same `T`, not freed before.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: made by Box::into_raw for this T and not freed yet (the caller's promise).
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// Copies `src` into the caller's buffer, snprintf style: `*needed` always receives `src.len()`; when the buffer
/// holds fewer than `src.len() + 1` bytes the result is `FTPKIT_BUFFER_TOO_SMALL` and nothing is written, else the
/// bytes and a terminating NUL are written (the NUL is a convenience: `src` may itself hold NULs, use `*needed`).
///
/// # Safety
/// `buf` must be NULL or point to `cap` writable bytes; `needed` must be NULL or writable.
pub(crate) unsafe fn copy_out(src: &[u8], buf: *mut u8, cap: usize, needed: *mut usize) -> ftpkit_result {
    // SAFETY: forwarded from the caller.
    let Ok(needed) = (unsafe { out(needed, "needed") }) else { return result::FTPKIT_NULL_PARAMETER };
    *needed = src.len();
    if cap < src.len() + 1 {
        return fail(
            result::FTPKIT_BUFFER_TOO_SMALL,
            format!("the buffer holds {cap} bytes; {} are needed (with the NUL)", src.len() + 1),
        );
    }
    if buf.is_null() {
        return null("buf");
    }
    // SAFETY: `buf` has `cap >= src.len() + 1` writable bytes (caller's promise) and cannot overlap `src`, which
    // Rust owns or borrows from an input the caller gave as `const`.
    unsafe {
        std::ptr::copy_nonoverlapping(src.as_ptr(), buf, src.len());
        *buf.add(src.len()) = 0;
    }
    result::FTPKIT_OK
}

/// Writes a borrowed byte string as pointer + length out-parameters.
///
/// # Safety
/// `ptr` and `len` must be NULL or writable.
#[inline]
pub(crate) unsafe fn lend(src: &[u8], ptr: *mut *const u8, len: *mut usize) -> ftpkit_result {
    // SAFETY: forwarded from the caller.
    let (Ok(p), Ok(l)) = (unsafe { out(ptr, "out_ptr") }, unsafe { out(len, "out_len") }) else {
        return null("out_ptr/out_len");
    };
    *p = src.as_ptr();
    *l = src.len();
    result::FTPKIT_OK
}
