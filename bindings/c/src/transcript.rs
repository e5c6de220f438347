//! `ftpkit_transcript` (a decoded `ftp -d` transcript or control-connection log) and `ftpkit_item`, one of its
//! commands, replies or undecodable lines, with the core's explanation and timeline.

use crate::ffi::{self, ffi_boundary};
use crate::hostport::{from_ip, ftpkit_hostport};
use crate::result::{self, ftpkit_result, FTPKIT_OK};
use ftpkit_proto::explain::explain;
use ftpkit_proto::timeline::{self, Context};
use ftpkit_proto::transcript::{self, Item};

/// `ftpkit_item_kind`: a command the client sent.
pub const FTPKIT_ITEM_COMMAND: u32 = 1;
/// `ftpkit_item_kind`: a reply the server sent.
pub const FTPKIT_ITEM_REPLY: u32 = 2;
/// `ftpkit_item_kind`: a line that could not be decoded (its error is kept).
pub const FTPKIT_ITEM_ERROR: u32 = 3;

/// A decoded transcript: owned by the caller (`_decode`/`_free`), immutable once made, so it may be read from
/// several threads at once; its items live as long as it does.
#[derive(Debug)]
pub struct ftpkit_transcript {
    items: Vec<ftpkit_item>,
}

/// One item of a transcript, lent by it: valid until `ftpkit_transcript_free`.
#[derive(Debug)]
pub struct ftpkit_item {
    item: Item,
    explain: String,
}

/// Decodes a transcript (`len` bytes of UTF-8: an `ftp -d` session, or a log of `---> CMD` and `NNN text`
/// lines) into `*out`. Invalid UTF-8 is `FTPKIT_INVALID_UTF8`. Undecodable lines do not fail the call: they
/// become `FTPKIT_ITEM_ERROR` items.
///
/// # Safety
/// `text` points to `len` readable bytes (or NULL with 0); `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_transcript_decode(
    text: *const u8,
    len: usize,
    out: *mut *mut ftpkit_transcript,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (text, out) = match unsafe { (ffi::text(text, len, "text"), ffi::out(out, "out")) } {
            (Ok(t), Ok(o)) => (t, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let items =
            transcript::decode(text).into_iter().map(|item| ftpkit_item { explain: explain(&item), item }).collect();
        *out = ffi::into_handle(ftpkit_transcript { items });
        FTPKIT_OK
    })
}

/// Frees a transcript and its items. NULL is a no-op.
///
/// # Safety
/// `transcript` is NULL or from `ftpkit_transcript_decode`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_transcript_free(transcript: *mut ftpkit_transcript) {
    ffi_boundary!(fallback: (), {
        // SAFETY: the caller's promise above.
        unsafe { ffi::free_handle(transcript) }
    })
}

/// The number of items, 0 for NULL.
///
/// # Safety
/// `transcript` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_transcript_len(transcript: *const ftpkit_transcript) -> usize {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(transcript, "transcript") }.map_or(0, |t| t.items.len())
    })
}

/// Item `index` (0-based), or NULL when `transcript` is NULL or `index` is past the end. Lent: valid until the
/// transcript is freed.
///
/// # Safety
/// `transcript` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_transcript_item(
    transcript: *const ftpkit_transcript,
    index: usize,
) -> *const ftpkit_item {
    ffi_boundary!(fallback: std::ptr::null(), {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(transcript, "transcript") }
            .ok()
            .and_then(|t| t.items.get(index))
            .map_or(std::ptr::null(), |i| i as *const ftpkit_item)
    })
}

/// Writes the data-connection timeline (who connects to whom, in what order, with the firewall's view of each
/// step and the warnings) as text into `buf` (snprintf convention). `client` and `server` give the control
/// connection's addresses when known (NULL: unknown; only `family` and `addr` are read); `control_port` 0 when
/// unknown.
///
/// # Safety
/// `transcript` live; `client`/`server` NULL or readable; `buf` has `cap` writable bytes or is NULL; `needed`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_transcript_timeline(
    transcript: *const ftpkit_transcript,
    client: *const ftpkit_hostport,
    server: *const ftpkit_hostport,
    control_port: u16,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise on `transcript`.
        let t = match unsafe { ffi::borrow(transcript, "transcript") } {
            Ok(t) => t,
            Err(e) => return e,
        };
        let ip = |p: *const ftpkit_hostport| -> Result<_, ftpkit_result> {
            // SAFETY: NULL or readable (the caller's promise).
            match unsafe { p.as_ref() } {
                None => Ok(None),
                Some(hp) => crate::hostport::to_addr(hp).map(|a| Some(a.ip())),
            }
        };
        let (client, server) = match (ip(client), ip(server)) {
            (Ok(c), Ok(s)) => (c, s),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let ctx = Context { client, server, control_port: (control_port != 0).then_some(control_port) };
        let items: Vec<Item> = t.items.iter().map(|i| i.item.clone()).collect();
        let text = timeline::render_text(&timeline::build(&items, &ctx));
        // SAFETY: forwarded.
        unsafe { ffi::copy_out(text.as_bytes(), buf, cap, needed) }
    })
}

/// Runs `f` on the item, or fails with NULL_PARAMETER.
unsafe fn with_item(item: *const ftpkit_item, f: impl FnOnce(&ftpkit_item) -> ftpkit_result) -> ftpkit_result {
    // SAFETY: the caller's promise (NULL or a lent item still valid).
    match unsafe { ffi::borrow(item, "item") } {
        Ok(i) => f(i),
        Err(e) => e,
    }
}

fn wrong_kind(what: &str) -> ftpkit_result {
    ffi::fail(result::FTPKIT_INVALID_STATE, format!("this item is not {what}"))
}

/// `FTPKIT_ITEM_COMMAND`, `_REPLY` or `_ERROR`; 0 for NULL.
///
/// # Safety
/// `item` NULL or a valid lent item.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_kind(item: *const ftpkit_item) -> u32 {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(item, "item") }.map_or(0, |i| match i.item {
            Item::Command(_) => FTPKIT_ITEM_COMMAND,
            Item::Reply(_) => FTPKIT_ITEM_REPLY,
            Item::Error(_) => FTPKIT_ITEM_ERROR,
        })
    })
}

/// The 1-based line of the transcript the item starts on; 0 for NULL.
///
/// # Safety
/// `item` NULL or a valid lent item.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_line(item: *const ftpkit_item) -> usize {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(item, "item") }.map_or(0, |i| i.item.line())
    })
}

/// Lends the item's input text (the command line, the reply's lines joined with LF, the undecodable line).
///
/// # Safety
/// `item` a valid lent item; `ptr`/`len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_input(
    item: *const ftpkit_item,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above (item checked by with_item, out-params by lend).
        unsafe {
            with_item(item, |i| {
                let s = match &i.item {
                    Item::Command(c) => &c.input,
                    Item::Reply(r) => &r.input,
                    Item::Error(e) => &e.input,
                };
                ffi::lend(s.as_bytes(), ptr, len)
            })
        }
    })
}

/// Lends a command item's verb (as written in the transcript). `FTPKIT_INVALID_STATE` for other kinds.
///
/// # Safety
/// `item` a valid lent item; `ptr`/`len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_verb(
    item: *const ftpkit_item,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        unsafe {
            with_item(item, |i| match &i.item {
                Item::Command(c) => ffi::lend(c.verb.as_bytes(), ptr, len),
                _ => wrong_kind("a command"),
            })
        }
    })
}

/// Lends a command item's argument and sets `*has_arg` (false: no argument, empty string lent).
/// `FTPKIT_INVALID_STATE` for other kinds.
///
/// # Safety
/// `item` a valid lent item; `ptr`/`len`/`has_arg` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_arg(
    item: *const ftpkit_item,
    ptr: *mut *const u8,
    len: *mut usize,
    has_arg: *mut bool,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        unsafe {
            with_item(item, |i| match &i.item {
                Item::Command(c) => {
                    let Ok(has) = ffi::out(has_arg, "has_arg") else { return result::FTPKIT_NULL_PARAMETER };
                    let r = ffi::lend(c.arg.as_deref().unwrap_or("").as_bytes(), ptr, len);
                    if r == FTPKIT_OK {
                        *has = c.arg.is_some();
                    }
                    r
                }
                _ => wrong_kind("a command"),
            })
        }
    })
}

/// A reply item's code; 0 for other kinds and NULL.
///
/// # Safety
/// `item` NULL or a valid lent item.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_code(item: *const ftpkit_item) -> u16 {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        match unsafe { ffi::borrow(item, "item") } {
            Ok(ftpkit_item { item: Item::Reply(r), .. }) => r.code,
            _ => 0,
        }
    })
}

/// A reply item's number of text lines; 0 for other kinds and NULL.
///
/// # Safety
/// `item` NULL or a valid lent item.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_text_count(item: *const ftpkit_item) -> usize {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        match unsafe { ffi::borrow(item, "item") } {
            Ok(ftpkit_item { item: Item::Reply(r), .. }) => r.text.len(),
            _ => 0,
        }
    })
}

/// Lends a reply item's text line `index` (without the code). `FTPKIT_INVALID_STATE` for other kinds,
/// `FTPKIT_INVALID_PARAMETER` past the last line.
///
/// # Safety
/// `item` a valid lent item; `ptr`/`len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_text_line(
    item: *const ftpkit_item,
    index: usize,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        unsafe {
            with_item(item, |i| match &i.item {
                Item::Reply(r) => match r.text.get(index) {
                    Some(l) => ffi::lend(l.as_bytes(), ptr, len),
                    None => ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("line {index} of {}", r.text.len())),
                },
                _ => wrong_kind("a reply"),
            })
        }
    })
}

/// The data-connection endpoint a command (PORT, EPRT, LPRT) or reply (227, 228, 229) announces: `*has` is set,
/// and when true `*out` receives it (`family` 0 when the address is not given, as in a 229 reply; span in the
/// item's input line).
///
/// # Safety
/// `item` a valid lent item; `has`/`out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_endpoint(
    item: *const ftpkit_item,
    has: *mut bool,
    out: *mut ftpkit_hostport,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        unsafe {
            with_item(item, |i| {
                let (Ok(has), Ok(out)) = (ffi::out(has, "has"), ffi::out(out, "out")) else {
                    return result::FTPKIT_NULL_PARAMETER;
                };
                *has = false;
                if let Some(ep) = i.item.endpoint() {
                    let mut hp = from_ip(ep.ip, ep.port);
                    hp.span_start = ep.span.start;
                    hp.span_end = ep.span.end;
                    *out = hp;
                    *has = true;
                }
                FTPKIT_OK
            })
        }
    })
}

/// Lends a 257 reply item's path (quotes undone) and sets `*has` (false for items without one).
///
/// # Safety
/// `item` a valid lent item; `ptr`/`len`/`has` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_path(
    item: *const ftpkit_item,
    ptr: *mut *const u8,
    len: *mut usize,
    has: *mut bool,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        unsafe {
            with_item(item, |i| {
                let Ok(has) = ffi::out(has, "has") else { return result::FTPKIT_NULL_PARAMETER };
                let path = match &i.item {
                    Item::Reply(r) => r.path.as_deref(),
                    _ => None,
                };
                let r = ffi::lend(path.unwrap_or("").as_bytes(), ptr, len);
                if r == FTPKIT_OK {
                    *has = path.is_some();
                }
                r
            })
        }
    })
}

/// Lends an error item's message; `FTPKIT_INVALID_STATE` for other kinds.
///
/// # Safety
/// `item` a valid lent item; `ptr`/`len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_error(
    item: *const ftpkit_item,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        unsafe {
            with_item(item, |i| match &i.item {
                Item::Error(e) => ffi::lend(e.error.as_bytes(), ptr, len),
                _ => wrong_kind("an error"),
            })
        }
    })
}

/// An error item's kind as a result code (its name: `ftpkit_result_name`); `FTPKIT_OK` for other kinds and NULL.
///
/// # Safety
/// `item` NULL or a valid lent item.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_error_kind(item: *const ftpkit_item) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        match unsafe { ffi::borrow(item, "item") } {
            Ok(ftpkit_item { item: Item::Error(e), .. }) => result::from_kind(e.kind),
            _ => FTPKIT_OK,
        }
    })
}

/// Lends the core's one-sentence explanation of the item (what it means, what the endpoint implies for the
/// firewall): the `explain` of `ftpkit decode`.
///
/// # Safety
/// `item` a valid lent item; `ptr`/`len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_item_explain(
    item: *const ftpkit_item,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        unsafe { with_item(item, |i| ffi::lend(i.explain.as_bytes(), ptr, len)) }
    })
}
