//! `ftpkit_server_session`: the sans-IO FTP server session. Bytes from the client in; reply bytes, requests
//! (work for the caller: check a login, open a file, connect a data socket...) and events out; the caller answers
//! each request with an outcome. The caller owns every socket and file, and the clock: every timed call takes
//! `now_ms` (the caller's monotonic clock in milliseconds, see `clock.rs`), and the session's one timer (idle, or
//! waiting for a data connection) comes out as a deadline on that clock (`_poll_timeout`, `_handle_timeout`).

use crate::clock::Clock;
use crate::ffi::{self, ffi_boundary};
use crate::hostport::{ftpkit_hostport, to_addr};
use crate::result::{self, ftpkit_result, FTPKIT_OK};
use ftpkit_proto::listing::DateTime;
use ftpkit_proto::session::server::{
    Access, Outcome, ServerConfig, ServerEvent as Event, ServerRequest as Request, ServerRequestId as RequestId,
    ServerSession,
};

/// Outcome: done (opened, deleted, connected...).
pub const FTPKIT_OUTCOME_OK: u32 = 1;
/// Outcome of a stat request: a directory.
pub const FTPKIT_OUTCOME_DIR: u32 = 2;
/// Outcome of a stat request: a file.
pub const FTPKIT_OUTCOME_FILE: u32 = 3;
/// Outcome of a size request: `value` is the size in bytes.
pub const FTPKIT_OUTCOME_SIZE: u32 = 4;
/// Outcome of an authenticate request: logged in, read-only.
pub const FTPKIT_OUTCOME_LOGGED_IN_READ_ONLY: u32 = 5;
/// Outcome of an authenticate request: logged in, read-write.
pub const FTPKIT_OUTCOME_LOGGED_IN_READ_WRITE: u32 = 6;
/// Outcome of an authenticate request: refused.
pub const FTPKIT_OUTCOME_DENIED: u32 = 7;
/// Outcome of a transfer request: done, `value` bytes moved.
pub const FTPKIT_OUTCOME_TRANSFER_DONE: u32 = 8;
/// Outcome of a transfer request: the data connection broke (426).
pub const FTPKIT_OUTCOME_CONNECTION_LOST: u32 = 9;
/// No such file or directory.
pub const FTPKIT_OUTCOME_NOT_FOUND: u32 = 10;
/// The file system refused.
pub const FTPKIT_OUTCOME_PERMISSION_DENIED: u32 = 11;
/// The target exists already.
pub const FTPKIT_OUTCOME_EXISTS: u32 = 12;
/// No space left (452).
pub const FTPKIT_OUTCOME_NO_SPACE: u32 = 13;
/// A quota is exceeded (552).
pub const FTPKIT_OUTCOME_QUOTA_EXCEEDED: u32 = 14;
/// A listen-passive request: every port of the range is taken (425).
pub const FTPKIT_OUTCOME_PASSIVE_RANGE_EXHAUSTED: u32 = 15;
/// Anything else (the session answers with a generic failure; nothing of it is sent to the client).
pub const FTPKIT_OUTCOME_FAILED: u32 = 16;

/// A server session for one control connection. Owned by the caller (`_new`/`_free`); not thread-safe (one
/// thread at a time; it may move between threads).
#[derive(Debug)]
pub struct ftpkit_server_session {
    inner: ServerSession,
    /// The caller's clock.
    clock: Clock,
    /// The bytes lent by the last `_poll_transmit`.
    transmit: Vec<u8>,
    /// The request lent by the last `_poll_request`.
    request: Option<ftpkit_request>,
    /// Requests handed out and not completed yet (ids are matched here: C passes the number back).
    open: Vec<RequestId>,
    /// The name of the event lent by the last `_poll_event`.
    event: &'static str,
}

/// A request lent by its session: valid until the next `ftpkit_server_session_poll_request` or `_free`.
#[derive(Debug)]
pub struct ftpkit_request {
    inner: Request,
    /// The request's main text: the path (the `from` path of a rename), or the user name of a login.
    text: String,
    /// The second text: the password of a login, the `to` path of a rename; empty otherwise.
    text2: String,
}

/// Makes a session for a client at `*client` that reached the server at `*server` (only `family`, `addr`, `port`
/// are read). `anonymous` allows `USER anonymous`/`ftp` read-only without an authenticate request. The safe
/// defaults hold otherwise (bounce protection, no privileged active ports, passive data only from the client).
/// The 220 greeting is queued at once: call `_poll_transmit`. `now_ms` is the caller's monotonic clock in
/// milliseconds (any epoch; every later `now_ms` and deadline of this session is on the same clock); the idle timer
/// (300 s) starts now.
///
/// # Safety
/// `client`/`server` readable; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_new(
    client: *const ftpkit_hostport,
    server: *const ftpkit_hostport,
    anonymous: bool,
    now_ms: u64,
    out: *mut *mut ftpkit_server_session,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (c, s, out) =
            match unsafe { (ffi::borrow(client, "client"), ffi::borrow(server, "server"), ffi::out(out, "out")) } {
                (Ok(c), Ok(s), Ok(o)) => (c, s, o),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
            };
        let (c, s) = match (to_addr(c), to_addr(s)) {
            (Ok(c), Ok(s)) => (c, s),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let config = ServerConfig { anonymous, ..ServerConfig::default() };
        let clock = Clock::new(now_ms);
        let now = match clock.at(now_ms) {
            Ok(n) => n,
            Err(e) => return e,
        };
        *out = ffi::into_handle(ftpkit_server_session {
            inner: ServerSession::new(config, c, s, now),
            clock,
            transmit: Vec::new(),
            request: None,
            open: Vec::new(),
            event: "",
        });
        FTPKIT_OK
    })
}

/// Frees a session. NULL is a no-op.
///
/// # Safety
/// NULL or from `ftpkit_server_session_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_free(session: *mut ftpkit_server_session) {
    ffi_boundary!(fallback: (), {
        // SAFETY: the caller's promise above.
        unsafe { ffi::free_handle(session) }
    })
}

/// Feeds bytes read from the client's control connection at `now_ms`. `FTPKIT_CLOSED` once the session has closed.
///
/// # Safety
/// `session` live; `bytes` points to `len` readable bytes (or NULL with 0).
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_handle_input(
    session: *mut ftpkit_server_session,
    now_ms: u64,
    bytes: *const u8,
    len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (s, b) = match unsafe { (ffi::borrow_mut(session, "session"), ffi::bytes(bytes, len, "bytes")) } {
            (Ok(s), Ok(b)) => (s, b),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let now = match s.clock.at(now_ms) {
            Ok(n) => n,
            Err(e) => return e,
        };
        match s.inner.handle_input(now, b) {
            Ok(()) => FTPKIT_OK,
            Err(e) => result::core_error(e.kind(), e),
        }
    })
}

/// Lends the next bytes to write to the client (`*len` 0 and `*ptr` NULL when there are none), valid until the
/// next call on the session.
///
/// # Safety
/// `session` live; `ptr`/`len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_poll_transmit(
    session: *mut ftpkit_server_session,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (s, p, l) =
            match unsafe { (ffi::borrow_mut(session, "session"), ffi::out(ptr, "ptr"), ffi::out(len, "len")) } {
                (Ok(s), Ok(p), Ok(l)) => (s, p, l),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
            };
        match s.inner.poll_transmit() {
            Some(bytes) => {
                s.transmit = bytes;
                *p = s.transmit.as_ptr();
                *l = s.transmit.len();
            }
            None => {
                *p = std::ptr::null();
                *l = 0;
            }
        }
        FTPKIT_OK
    })
}

/// Lends the next request (NULL when there is none), valid until the next `_poll_request` or `_free`. Answer each
/// with `ftpkit_server_session_complete` (or `_complete_bound` for a listen-passive request).
///
/// # Safety
/// `session` live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_poll_request(
    session: *mut ftpkit_server_session,
    out: *mut *const ftpkit_request,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (s, out) = match unsafe { (ffi::borrow_mut(session, "session"), ffi::out(out, "out")) } {
            (Ok(s), Ok(o)) => (s, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        s.request = s.inner.poll_request().map(|r| {
            let (text, text2) = match &r {
                Request::Authenticate { user, password, .. } => (user.clone(), password.clone()),
                Request::Rename { from, to, .. } => (from.to_string(), to.to_string()),
                Request::Stat { path, .. }
                | Request::OpenRead { path, .. }
                | Request::OpenWrite { path, .. }
                | Request::List { path, .. }
                | Request::Delete { path, .. }
                | Request::Mkdir { path, .. }
                | Request::Rmdir { path, .. }
                | Request::Size { path, .. }
                | Request::Mtime { path, .. } => (path.to_string(), String::new()),
                Request::SetMtime { path, time, .. } => (path.to_string(), time.to_mlsd()),
                Request::Chmod { path, mode, .. } => (path.to_string(), format!("{mode:o}")),
                Request::Hash { path, algorithm, .. } => (path.to_string(), algorithm.name().to_owned()),
                Request::ListLines { path, max, .. } => (path.to_string(), max.to_string()),
                Request::ConnectActive { addr, .. } => (addr.to_string(), String::new()),
                Request::ListenPassive { ip, .. } => (ip.to_string(), String::new()),
                _ => (String::new(), String::new()),
            };
            ftpkit_request { inner: r, text, text2 }
        });
        match &s.request {
            Some(r) => {
                s.open.push(r.inner.id());
                *out = r;
            }
            None => *out = std::ptr::null(),
        }
        FTPKIT_OK
    })
}

/// Lends the name of the next event (`logged_in`, `close_data`, `cancel`, `close`; empty when there is none):
/// a static string. `close` means: close the control connection once the pending bytes are written.
///
/// # Safety
/// `session` live; `ptr`/`len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_poll_event(
    session: *mut ftpkit_server_session,
    ptr: *mut *const u8,
    len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let s = match unsafe { ffi::borrow_mut(session, "session") } {
            Ok(s) => s,
            Err(e) => return e,
        };
        s.event = match s.inner.poll_event() {
            None => "",
            Some(Event::LoggedIn { .. }) => "logged_in",
            Some(Event::CloseData) => "close_data",
            Some(Event::Cancel { id }) => {
                s.open.retain(|o| *o != id);
                "cancel"
            }
            Some(Event::Close) => "close",
            Some(_) => "other",
        };
        // SAFETY: forwarded.
        unsafe { ffi::lend(s.event.as_bytes(), ptr, len) }
    })
}

/// The deadline of the session's one timer on the caller's clock (milliseconds, as `now_ms`): `*has` false when
/// none runs. The timer is the idle timeout (300 s without a command: 421 and close) or, while the session waits
/// for a data connection, the data-connect timeout (30 s: 425). Read it after every `_handle_input`, `_complete*`
/// and `_handle_timeout`, and wake up then to call `_handle_timeout`.
///
/// # Safety
/// `session` live; `has`/`at_ms` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_poll_timeout(
    session: *const ftpkit_server_session,
    has: *mut bool,
    at_ms: *mut u64,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { ffi::borrow(session, "session") } {
            // SAFETY: as above.
            Ok(x) => unsafe { x.clock.write_deadline(x.inner.poll_timeout(), has, at_ms) },
            Err(e) => e,
        }
    })
}

/// The caller's timer went off at `now_ms`. Harmless when early, late, spurious or after the session closed; when
/// the deadline has passed the session acts (421 and the `close` event for idleness; 425 for a data connection
/// that did not come): poll transmit, events and requests afterwards.
///
/// # Safety
/// `session` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_handle_timeout(
    session: *mut ftpkit_server_session,
    now_ms: u64,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let s = match unsafe { ffi::borrow_mut(session, "session") } {
            Ok(s) => s,
            Err(e) => return e,
        };
        match s.clock.at(now_ms) {
            Ok(now) => {
                s.inner.handle_timeout(now);
                FTPKIT_OK
            }
            Err(e) => e,
        }
    })
}

/// True once the session has closed (QUIT answered, too many failed logins, idle); false for NULL.
///
/// # Safety
/// `session` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_is_closed(session: *const ftpkit_server_session) -> bool {
    ffi_boundary!(fallback: false, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(session, "session") }.is_ok_and(|s| s.inner.is_closed())
    })
}

fn finish(s: &mut ftpkit_server_session, now_ms: u64, id: u64, outcome: Outcome) -> ftpkit_result {
    let now = match s.clock.at(now_ms) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let Some(at) = s.open.iter().position(|r| r.get() == id) else {
        return ffi::fail(result::FTPKIT_INVALID_STATE, format!("no open request has id {id}"));
    };
    let rid = s.open.remove(at);
    match s.inner.complete(now, rid, outcome) {
        Ok(()) => FTPKIT_OK,
        Err(e) => result::core_error(e.kind(), e),
    }
}

/// Answers request `id` with `outcome` at `now_ms` (`FTPKIT_OUTCOME_*`; `value` is the size for `SIZE` and the byte count
/// for `TRANSFER_DONE`, ignored otherwise). An id that is not open is `FTPKIT_INVALID_STATE`; an outcome that does
/// not fit the request is the core's error.
///
/// # Safety
/// `session` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_complete(
    session: *mut ftpkit_server_session,
    now_ms: u64,
    id: u64,
    outcome: u32,
    value: u64,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let s = match unsafe { ffi::borrow_mut(session, "session") } {
            Ok(s) => s,
            Err(e) => return e,
        };
        let o = match outcome {
            FTPKIT_OUTCOME_OK => Outcome::Ok,
            FTPKIT_OUTCOME_DIR => Outcome::Dir,
            FTPKIT_OUTCOME_FILE => Outcome::File,
            FTPKIT_OUTCOME_SIZE => Outcome::Size(value),
            FTPKIT_OUTCOME_LOGGED_IN_READ_ONLY => Outcome::LoggedIn(Access::ReadOnly),
            FTPKIT_OUTCOME_LOGGED_IN_READ_WRITE => Outcome::LoggedIn(Access::ReadWrite),
            FTPKIT_OUTCOME_DENIED => Outcome::Denied,
            FTPKIT_OUTCOME_TRANSFER_DONE => Outcome::TransferDone { bytes: value },
            FTPKIT_OUTCOME_CONNECTION_LOST => Outcome::ConnectionLost,
            FTPKIT_OUTCOME_NOT_FOUND => Outcome::NotFound,
            FTPKIT_OUTCOME_PERMISSION_DENIED => Outcome::PermissionDenied,
            FTPKIT_OUTCOME_EXISTS => Outcome::Exists,
            FTPKIT_OUTCOME_NO_SPACE => Outcome::NoSpace,
            FTPKIT_OUTCOME_QUOTA_EXCEEDED => Outcome::QuotaExceeded,
            FTPKIT_OUTCOME_PASSIVE_RANGE_EXHAUSTED => Outcome::PassiveRangeExhausted,
            FTPKIT_OUTCOME_FAILED => Outcome::Failed(String::from("failed (from C)")),
            other => return ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown outcome {other}")),
        };
        finish(s, now_ms, id, o)
    })
}

/// Answers an `mtime` request (MDTM) at `now_ms` with the file's modification time, UTC, as RFC 3659's
/// `YYYYMMDDHHMMSS[.fff]` (`time`, `len` bytes). A time that does not read is `FTPKIT_SYNTAX`, and the request stays
/// open.
///
/// # Safety
/// `session` live; `time` NULL or `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_complete_time(
    session: *mut ftpkit_server_session,
    now_ms: u64,
    id: u64,
    time: *const u8,
    len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (s, t) = match unsafe { (ffi::borrow_mut(session, "session"), ffi::text(time, len, "time")) } {
            (Ok(s), Ok(t)) => (s, t),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match DateTime::parse_mlsd(t) {
            Ok(t) => finish(s, now_ms, id, Outcome::Time(t)),
            Err(e) => ffi::fail(result::FTPKIT_SYNTAX, format!("time: {e}")),
        }
    })
}

/// Answers a `list_lines` request (STAT with a path) at `now_ms` with LIST's lines of the path (`ls -l` form),
/// separated by LF (a CR before it is dropped; no line end needed after the last): at most the request's second
/// text (its `max`) lines are sent, more are cut off by the session. The lines go on the control connection, so a
/// line with a NUL, or any CR that is not part of a line end, is `FTPKIT_INVALID_PARAMETER`.
///
/// # Safety
/// `session` live; `lines` NULL (with `len` 0: an empty listing) or `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_complete_lines(
    session: *mut ftpkit_server_session,
    now_ms: u64,
    id: u64,
    lines: *const u8,
    len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (s, text) = match unsafe { (ffi::borrow_mut(session, "session"), ffi::text(lines, len, "lines")) } {
            (Ok(s), Ok(t)) => (s, t),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let text = text.strip_suffix('\n').unwrap_or(text);
        let lines: Vec<String> = if text.is_empty() {
            Vec::new()
        } else {
            text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned()).collect()
        };
        if lines.iter().any(|l| l.contains(['\r', '\0'])) {
            return ffi::fail(result::FTPKIT_INVALID_PARAMETER, "a listing line holds a CR or NUL");
        }
        finish(s, now_ms, id, Outcome::Lines(lines))
    })
}

/// Answers a `hash` request (HASH) at `now_ms`: the whole file (`size` bytes) hashed with the algorithm named by the
/// request's second text, giving `digest` (`len` bytes: 32 for SHA-256, 20 for SHA-1, 16 for MD5; the session
/// writes it in hex).
///
/// # Safety
/// `session` live; `digest` `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_complete_hash(
    session: *mut ftpkit_server_session,
    now_ms: u64,
    id: u64,
    size: u64,
    digest: *const u8,
    len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (s, d) = match unsafe { (ffi::borrow_mut(session, "session"), ffi::bytes(digest, len, "digest")) } {
            (Ok(s), Ok(d)) => (s, d),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        finish(s, now_ms, id, Outcome::Hash { size, digest: d.to_vec() })
    })
}

/// Answers a listen-passive request at `now_ms`: the caller's listener is bound at `*addr`.
///
/// # Safety
/// `session` live; `addr` readable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_server_session_complete_bound(
    session: *mut ftpkit_server_session,
    now_ms: u64,
    id: u64,
    addr: *const ftpkit_hostport,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (s, a) = match unsafe { (ffi::borrow_mut(session, "session"), ffi::borrow(addr, "addr")) } {
            (Ok(s), Ok(a)) => (s, a),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match to_addr(a) {
            Ok(a) => finish(s, now_ms, id, Outcome::Bound(a)),
            Err(e) => e,
        }
    })
}

/// The request's id (pass it back to `_complete`); 0 for NULL.
///
/// # Safety
/// `request` NULL or a valid lent request.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_request_id(request: *const ftpkit_request) -> u64 {
    ffi_boundary!(fallback: 0, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(request, "request") }.map_or(0, |r| r.inner.id().get())
    })
}

/// Lends the request's stable name (`authenticate`, `stat`, `open_read`, `open_write`, `list`, `delete`, `mkdir`,
/// `rmdir`, `rename`, `size`, `mtime`, `set_mtime`, `chmod`, `hash`, `list_lines`, `listen_passive`,
/// `connect_active`, `transfer`, ...), its main text (the path; the `from` path of a rename; the user of a login;
/// the address to connect to or listen on) and its second text (the password of a login, the `to` path of a rename;
/// for `set_mtime` the time to set, UTC, `YYYYMMDDHHMMSS`; for `chmod` the mode in octal; for `hash` the algorithm,
/// `SHA-256`, `SHA-1` or `MD5`; for `list_lines` the most lines the reply carries; else empty). Valid as long as the request.
///
/// # Safety
/// `request` a valid lent request; the six out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_request_fields(
    request: *const ftpkit_request,
    name: *mut *const u8,
    name_len: *mut usize,
    text: *mut *const u8,
    text_len: *mut usize,
    text2: *mut *const u8,
    text2_len: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let r = match unsafe { ffi::borrow(request, "request") } {
            Ok(r) => r,
            Err(e) => return e,
        };
        if [name as usize, name_len as usize, text as usize, text_len as usize, text2 as usize, text2_len as usize]
            .contains(&0)
        {
            return ffi::null("name/text/text2 out-parameters");
        }
        // SAFETY: all six checked non-NULL; writable by the caller's promise.
        unsafe {
            ffi::lend(r.inner.name().as_bytes(), name, name_len);
            ffi::lend(r.text.as_bytes(), text, text_len);
            ffi::lend(r.text2.as_bytes(), text2, text2_len)
        }
    })
}
