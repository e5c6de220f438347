//! `ftpkit_entry`: one directory listing line (LIST in Unix or DOS form, MLSD facts) read into its fields.

use crate::ffi::{self, ffi_boundary};
use crate::result::{self, ftpkit_result, FTPKIT_OK};
use ftpkit_proto::listing::{self, Date, Entry, ListLine};

/// One listing entry. Owned by the caller (`ftpkit_entry_parse_*`/`ftpkit_entry_free`); immutable, readable from
/// several threads at once.
#[derive(Debug)]
pub struct ftpkit_entry {
    inner: Entry<'static>,
}

/// Reads one LIST line (Unix `ls -l`, DOS, or facts) into `*out`. A line no parser understands (`total 20`) is
/// not an error: `*out` is set to NULL and `FTPKIT_OK` returned. `year`/`month`/`day` give today's date, which
/// `ls -l` lines without a year are read against.
///
/// # Safety
/// `line` points to `len` readable bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_entry_parse_list(
    line: *const u8,
    len: usize,
    year: u16,
    month: u8,
    day: u8,
    out: *mut *mut ftpkit_entry,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (line, out) = match unsafe { (ffi::text(line, len, "line"), ffi::out(out, "out")) } {
            (Ok(l), Ok(o)) => (l, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let date = match Date::new(year, month, day) {
            Ok(d) => d,
            Err(e) => return result::core_error(e.kind(), e),
        };
        *out = match listing::parse_list_line(line, date) {
            ListLine::Entry(e) => ffi::into_handle(ftpkit_entry { inner: e.into_owned() }),
            ListLine::Unparsed(_) => std::ptr::null_mut(),
        };
        FTPKIT_OK
    })
}

/// Reads one MLSD line (`type=file;size=3; name`) strictly into `*out`; a malformed line is a core error.
///
/// # Safety
/// `line` points to `len` readable bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_entry_parse_mlsd(
    line: *const u8,
    len: usize,
    out: *mut *mut ftpkit_entry,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (line, out) = match unsafe { (ffi::text(line, len, "line"), ffi::out(out, "out")) } {
            (Ok(l), Ok(o)) => (l, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match listing::parse_mlsd_line(line) {
            Ok(e) => {
                *out = ffi::into_handle(ftpkit_entry { inner: e.into_owned() });
                FTPKIT_OK
            }
            Err(e) => result::core_error(e.kind(), e),
        }
    })
}

/// Frees an entry. NULL is a no-op.
///
/// # Safety
/// NULL or from `ftpkit_entry_parse_*`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_entry_free(entry: *mut ftpkit_entry) {
    ffi_boundary!(fallback: (), {
        // SAFETY: the caller's promise above.
        unsafe { ffi::free_handle(entry) }
    })
}

/// Lends the entry's name and its kind's stable name (`file`, `dir`, `symlink`, `cdir`, `pdir`, `device`,
/// `unknown`, or an MLSD type as sent), valid until the entry is freed.
///
/// # Safety
/// `entry` live; out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_entry_name(
    entry: *const ftpkit_entry,
    name: *mut *const u8,
    name_len: *mut usize,
    kind: *mut *const u8,
    kind_len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let e = match unsafe { ffi::borrow(entry, "entry") } {
            Ok(e) => e,
            Err(err) => return err,
        };
        if kind.is_null() || kind_len.is_null() {
            return ffi::null("kind/kind_len");
        }
        // SAFETY: forwarded (checked by lend / above).
        unsafe {
            let r = ffi::lend(e.inner.name.as_bytes(), name, name_len);
            if r != FTPKIT_OK {
                return r;
            }
            ffi::lend(e.inner.kind.name().as_bytes(), kind, kind_len)
        }
    })
}

/// The size in bytes into `*size` and whether it is known into `*has`.
///
/// # Safety
/// `entry` live; `has`/`size` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_entry_size(
    entry: *const ftpkit_entry,
    has: *mut bool,
    size: *mut u64,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { (ffi::borrow(entry, "entry"), ffi::out(has, "has"), ffi::out(size, "size")) } {
            (Ok(e), Ok(h), Ok(s)) => {
                *h = e.inner.size.is_some();
                *s = e.inner.size.unwrap_or(0);
                FTPKIT_OK
            }
            (Err(x), _, _) | (_, Err(x), _) | (_, _, Err(x)) => x,
        }
    })
}

/// The modification time as Unix seconds (UTC) into `*secs` and whether it is known into `*has`.
///
/// # Safety
/// `entry` live; `has`/`secs` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_entry_modified(
    entry: *const ftpkit_entry,
    has: *mut bool,
    secs: *mut i64,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { (ffi::borrow(entry, "entry"), ffi::out(has, "has"), ffi::out(secs, "secs")) } {
            (Ok(e), Ok(h), Ok(s)) => {
                *h = e.inner.modified.is_some();
                *s = e.inner.modified.map_or(0, |m| m.to_unix());
                FTPKIT_OK
            }
            (Err(x), _, _) | (_, Err(x), _) | (_, _, Err(x)) => x,
        }
    })
}

/// Lends the value of the MLSD fact `name` (ASCII case-insensitive) and sets `*has`; entries read from LIST lines
/// have the facts the core derives for them.
///
/// # Safety
/// `entry` live; `name` points to `name_len` readable bytes; out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_entry_fact(
    entry: *const ftpkit_entry,
    name: *const u8,
    name_len: usize,
    ptr: *mut *const u8,
    len: *mut usize,
    has: *mut bool,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (e, n, h) =
            match unsafe { (ffi::borrow(entry, "entry"), ffi::text(name, name_len, "name"), ffi::out(has, "has")) } {
                (Ok(e), Ok(n), Ok(h)) => (e, n, h),
                (Err(x), _, _) | (_, Err(x), _) | (_, _, Err(x)) => return x,
            };
        let value = e.inner.facts().get(n);
        // SAFETY: forwarded.
        let r = unsafe { ffi::lend(value.unwrap_or("").as_bytes(), ptr, len) };
        if r == FTPKIT_OK {
            *h = value.is_some();
        }
        r
    })
}
