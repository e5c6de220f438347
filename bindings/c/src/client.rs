//! `ftpkit_client`: the one sans-IO client driver (`ftpkit_proto::driver::ClientDriver`) for C. Calls in
//! (`_login`, `_start`, `_rename`, `_open`, `_finish`, `_abort`), IO facts in (`_handle_*`), IO actions out
//! (`_poll_action`: send these bytes, connect here, listen there, close the data connection, a trace line, a log
//! line, and `DONE` last with the call's outcome), and the deadline (`_poll_timeout`). Every rule (what a login is,
//! EPSV falling back to PASV, which reply ends a call, what a timeout means) is the driver's; this module converts
//! pointers, addresses and the caller's clock.

use crate::clock::Clock;
use crate::ffi::{self, ffi_boundary};
use crate::hostport::{from_ip, ftpkit_hostport, to_addr};
use crate::result::{self, ftpkit_result, FTPKIT_OK};
use ftpkit_proto::driver::{
    AcceptVerdict, Action, Call, ClientDriver, ClientMode, DataEnd, DriverConfig, DriverError, LogLevel, Outcome,
    TraceLine,
};
use ftpkit_proto::session::client::TransferKind;
use ftpkit_proto::time::Instant;
use std::net::SocketAddr;
use std::time::Duration;

/// Client mode: the client connects data connections to the server (EPSV, falling back to PASV). The default.
pub const FTPKIT_CLIENT_PASSIVE: u32 = 0;
/// Client mode: the server connects to a listener of the client's (EPRT for IPv6, PORT for IPv4).
pub const FTPKIT_CLIENT_ACTIVE: u32 = 1;

/// Config flag: passive mode tries EPSV first, falling back to PASV (without it: PASV only). Default on.
pub const FTPKIT_CLIENT_EXTENDED_PASSIVE: u32 = 1;
/// Config flag: a login asks FEAT afterwards (a refusal is no error). Default on.
pub const FTPKIT_CLIENT_FEAT_AFTER_LOGIN: u32 = 2;
/// Config flag: a login sets binary type (`TYPE I`) afterwards. Default on.
pub const FTPKIT_CLIENT_BINARY_AFTER_LOGIN: u32 = 4;
/// Config flag: emit `FTPKIT_ACTION_TRACE` actions (`ftp -d` style lines). Default off.
pub const FTPKIT_CLIENT_TRACE: u32 = 8;
/// The default flags.
pub const FTPKIT_CLIENT_DEFAULT_FLAGS: u32 =
    FTPKIT_CLIENT_EXTENDED_PASSIVE | FTPKIT_CLIENT_FEAT_AFTER_LOGIN | FTPKIT_CLIENT_BINARY_AFTER_LOGIN;
const ALL_FLAGS: u32 = FTPKIT_CLIENT_DEFAULT_FLAGS | FTPKIT_CLIENT_TRACE;

/// Call for `ftpkit_client_start`: `FEAT` (no argument). Ends with `FTPKIT_DONE_FEATURES`.
pub const FTPKIT_CALL_FEAT: u32 = 1;
/// Call: `PWD` (no argument). Ends with `FTPKIT_DONE_PATH`.
pub const FTPKIT_CALL_PWD: u32 = 2;
/// Call: `CWD <arg>`. Ends with `FTPKIT_DONE_OK`.
pub const FTPKIT_CALL_CWD: u32 = 3;
/// Call: `CDUP` (no argument). Ends with `FTPKIT_DONE_OK`.
pub const FTPKIT_CALL_CDUP: u32 = 4;
/// Call: `MKD <arg>`. Ends with `FTPKIT_DONE_PATH` (the 257 path) or `FTPKIT_DONE_OK` (no readable path).
pub const FTPKIT_CALL_MKD: u32 = 5;
/// Call: `RMD <arg>`. Ends with `FTPKIT_DONE_OK`.
pub const FTPKIT_CALL_RMD: u32 = 6;
/// Call: `DELE <arg>`. Ends with `FTPKIT_DONE_OK`.
pub const FTPKIT_CALL_DELE: u32 = 7;
/// Call: `SIZE <arg>`. Ends with `FTPKIT_DONE_SIZE` (`value`).
pub const FTPKIT_CALL_SIZE: u32 = 8;
/// Call: `MDTM <arg>`. Ends with `FTPKIT_DONE_MODIFIED` (`time`).
pub const FTPKIT_CALL_MDTM: u32 = 9;
/// Call: `NOOP` (no argument). Ends with `FTPKIT_DONE_OK`.
pub const FTPKIT_CALL_NOOP: u32 = 10;
/// Call: `SITE <arg>`. Ends with `FTPKIT_DONE_OK`.
pub const FTPKIT_CALL_SITE: u32 = 11;
/// Call: a raw command line `<arg>` (no line end): parsed, checked for injection, sent. Ends with
/// `FTPKIT_DONE_REPLY` whatever the final code.
pub const FTPKIT_CALL_RAW: u32 = 12;
/// Call: `QUIT` (no argument). Ends with `FTPKIT_DONE_QUIT` on 221 or when the server closes the connection.
pub const FTPKIT_CALL_QUIT: u32 = 13;

/// Transfer for `ftpkit_client_open`: `RETR <path>` (download).
pub const FTPKIT_TRANSFER_RETR: u32 = 1;
/// Transfer: `STOR <path>` (upload).
pub const FTPKIT_TRANSFER_STOR: u32 = 2;
/// Transfer: `STOU` (upload under a name the server picks; no path).
pub const FTPKIT_TRANSFER_STOU: u32 = 3;
/// Transfer: `APPE <path>` (upload, appended).
pub const FTPKIT_TRANSFER_APPE: u32 = 4;
/// Transfer: `LIST [path]` (a listing for people; `ftpkit_entry_parse_list` reads its lines).
pub const FTPKIT_TRANSFER_LIST: u32 = 5;
/// Transfer: `NLST [path]` (names only).
pub const FTPKIT_TRANSFER_NLST: u32 = 6;
/// Transfer: `MLSD [path]` (facts; `ftpkit_entry_parse_mlsd` reads its lines).
pub const FTPKIT_TRANSFER_MLSD: u32 = 7;
/// Transfer: the driver's choice of listing: MLSD when the server's FEAT (asked at login) lists it, else LIST.
pub const FTPKIT_TRANSFER_LISTING: u32 = 8;

/// `ftpkit_client_finish`: a download's data ended (the server closed its side after the last byte).
pub const FTPKIT_DATA_EOF: u32 = 1;
/// `ftpkit_client_finish`: an upload's data is all sent and the client closed its side.
pub const FTPKIT_DATA_CLOSED: u32 = 2;

/// Action: none; wait for the control connection (and for the listener while `ftpkit_client_wants_accept`), until
/// `ftpkit_client_poll_timeout`'s deadline.
pub const FTPKIT_ACTION_NONE: u32 = 0;
/// Action: write `bytes` to the control connection. If the write fails, call `ftpkit_client_close`.
pub const FTPKIT_ACTION_SEND: u32 = 1;
/// Action (passive): connect a data connection to `addr` within `timeout_ms`, then report
/// `ftpkit_client_handle_connected` or `_handle_connect_failed`.
pub const FTPKIT_ACTION_CONNECT: u32 = 2;
/// Action (active): bind a listener on `addr` (its IP; port 0), then report `ftpkit_client_handle_listening` or
/// `_handle_listen_failed`; accept on it while `ftpkit_client_wants_accept` and report `_handle_accepted`.
pub const FTPKIT_ACTION_LISTEN: u32 = 3;
/// Action (active): the listener is no longer needed; close it.
pub const FTPKIT_ACTION_STOP_LISTENING: u32 = 4;
/// Action: close the data connection the caller holds; with `reset`, set `SO_LINGER` 0 first (the server then sees
/// a reset and cannot take cut-off data for a whole file).
pub const FTPKIT_ACTION_CLOSE_DATA: u32 = 5;
/// Action: a trace line (only with `FTPKIT_CLIENT_TRACE`): `detail` is `FTPKIT_TRACE_*`.
pub const FTPKIT_ACTION_TRACE: u32 = 6;
/// Action: a message for the caller's log in `bytes`; `detail` is `FTPKIT_LOG_*`.
pub const FTPKIT_ACTION_LOG: u32 = 7;
/// Action: the call ended; always its last action. `result` is `FTPKIT_OK` or the call's error; on success
/// `detail` is `FTPKIT_DONE_*`.
pub const FTPKIT_ACTION_DONE: u32 = 8;

/// Trace: a command sent (`bytes`, no line end; PASS arguments masked as XXXX).
pub const FTPKIT_TRACE_SENT: u32 = 1;
/// Trace: a reply line received (`bytes`, no line end; a line split across reads comes once, whole).
pub const FTPKIT_TRACE_RECEIVED: u32 = 2;
/// Trace: a data connection was established: `addr` is the client's end, `peer` the server's.
pub const FTPKIT_TRACE_DATA: u32 = 3;
/// Trace: another kind of line, rendered as text in `bytes` (TLS lines; not produced by this API yet).
pub const FTPKIT_TRACE_OTHER: u32 = 99;

/// Log level: worth telling an operator (a 227 address replaced, a foreign data connection refused).
pub const FTPKIT_LOG_INFO: u32 = 1;
/// Log level: detail (an event of another request passed over).
pub const FTPKIT_LOG_DEBUG: u32 = 2;

/// Done: the greeting (the client's first call, started by `ftpkit_client_new`); `code`, `bytes` its text.
pub const FTPKIT_DONE_GREETING: u32 = 1;
/// Done: logged in (with FEAT and TYPE as configured); `code`, `bytes` the login's reply.
pub const FTPKIT_DONE_LOGGED_IN: u32 = 2;
/// Done: FEAT answered (the driver keeps the features).
pub const FTPKIT_DONE_FEATURES: u32 = 3;
/// Done: a request with nothing more to report succeeded; `code`, `bytes` the final reply.
pub const FTPKIT_DONE_OK: u32 = 4;
/// Done: a 257 path in `bytes` (PWD, MKD).
pub const FTPKIT_DONE_PATH: u32 = 5;
/// Done: SIZE in `value`.
pub const FTPKIT_DONE_SIZE: u32 = 6;
/// Done: MDTM in `time` (seconds since the Unix epoch, UTC).
pub const FTPKIT_DONE_MODIFIED: u32 = 7;
/// Done: a raw command's final reply, whatever its code; `code`, `bytes`.
pub const FTPKIT_DONE_REPLY: u32 = 8;
/// Done: QUIT answered (or the server closed the connection).
pub const FTPKIT_DONE_QUIT: u32 = 9;
/// Done: the transfer's data may flow now over the caller's data connection: move it, then `ftpkit_client_finish`.
pub const FTPKIT_DONE_DATA_READY: u32 = 10;
/// Done: the transfer completed; `code`, `bytes` the final reply (226).
pub const FTPKIT_DONE_TRANSFERRED: u32 = 11;
/// Done: the transfer was aborted; `code`, `bytes` ABOR's reply when there was one (`code` 0 otherwise).
pub const FTPKIT_DONE_ABORTED: u32 = 12;

/// A client's settings, before `ftpkit_client_new` copies them. Owned by the caller (`_new`/`_free`); not
/// thread-safe (one thread at a time).
#[derive(Debug)]
pub struct ftpkit_client_config {
    inner: DriverConfig,
}

/// A client on one control connection: the driver, the caller's clock, and what the last action lends. Owned by
/// the caller (`_new`/`_free`); not thread-safe (one thread at a time; it may move between threads).
#[derive(Debug)]
pub struct ftpkit_client {
    driver: ClientDriver,
    clock: Clock,
    /// The bytes lent by the last `_poll_action`.
    lent: Vec<u8>,
}

/// One action, written by `ftpkit_client_poll_action` into a struct the caller owns. Which fields mean something
/// depends on `kind` (`FTPKIT_ACTION_*`); the others are 0 (`bytes` is never NULL: `len` 0 when empty). `bytes`
/// is lent by the client until its next `_poll_action` or `_free`; not NUL-terminated (a reply may hold NUL: use
/// `len`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ftpkit_action {
    /// `FTPKIT_ACTION_*`.
    pub kind: u32,
    /// TRACE: `FTPKIT_TRACE_*`; LOG: `FTPKIT_LOG_*`; DONE: `FTPKIT_DONE_*` (0 when the call failed).
    pub detail: u32,
    /// DONE: `FTPKIT_OK`, or the call's error (`FTPKIT_REFUSED` for a refusal, `FTPKIT_INCOMPLETE` for a timeout
    /// or a failed transfer, `FTPKIT_CLOSED`, `FTPKIT_UNEXPECTED_INPUT`, `FTPKIT_INVALID_STATE`, ...).
    pub result: ftpkit_result,
    /// DONE: the reply code that ended the call (also for a refusal), 0 when there was none.
    pub code: u16,
    /// CONNECT/LISTEN: the data connection will be protected by TLS (never, until TLS is in the C API).
    pub secure: bool,
    /// CLOSE_DATA: reset the connection (linger 0) rather than close it.
    pub reset: bool,
    /// SEND: the bytes to write. TRACE: the line. LOG: the message. DONE: the final reply's text (lines joined
    /// by LF), the path of a `FTPKIT_DONE_PATH`, or the error's message when the call failed.
    pub bytes: *const u8,
    /// The length of `bytes`.
    pub len: usize,
    /// CONNECT: where to connect. LISTEN: the IP to listen on (port 0). TRACE (DATA): the client's end.
    pub addr: ftpkit_hostport,
    /// TRACE (DATA): the server's end.
    pub peer: ftpkit_hostport,
    /// CONNECT: how long the connect may take, in milliseconds.
    pub timeout_ms: u64,
    /// DONE (SIZE): the size in bytes.
    pub value: u64,
    /// DONE (MODIFIED): seconds since the Unix epoch, UTC.
    pub time: i64,
}

fn empty_hostport() -> ftpkit_hostport {
    from_ip(None, 0)
}

fn hostport_of(addr: SocketAddr) -> ftpkit_hostport {
    from_ip(Some(addr.ip()), addr.port())
}

impl ftpkit_action {
    fn none() -> ftpkit_action {
        ftpkit_action {
            kind: FTPKIT_ACTION_NONE,
            detail: 0,
            result: FTPKIT_OK,
            code: 0,
            secure: false,
            reset: false,
            bytes: b"".as_ptr(),
            len: 0,
            addr: empty_hostport(),
            peer: empty_hostport(),
            timeout_ms: 0,
            value: 0,
            time: 0,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn mode_of(mode: u32) -> Result<ClientMode, ftpkit_result> {
    match mode {
        FTPKIT_CLIENT_PASSIVE => Ok(ClientMode::Passive),
        FTPKIT_CLIENT_ACTIVE => Ok(ClientMode::Active),
        m => Err(ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown client mode {m}"))),
    }
}

/// Makes a config for a control connection from `*local` to `*server` (their `family`, `addr`, `port`), with the
/// driver's defaults: passive, `FTPKIT_CLIENT_DEFAULT_FLAGS`, 30 s reply and data timeouts. `*server` is where
/// passive addresses are checked against (a 227 naming another host is replaced by it); `*local`'s IP is where
/// active mode listens.
///
/// # Safety
/// `server`/`local` readable; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_config_new(
    server: *const ftpkit_hostport,
    local: *const ftpkit_hostport,
    out: *mut *mut ftpkit_client_config,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (s, l, out) =
            match unsafe { (ffi::borrow(server, "server"), ffi::borrow(local, "local"), ffi::out(out, "out")) } {
                (Ok(s), Ok(l), Ok(o)) => (s, l, o),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
            };
        let (s, l) = match (to_addr(s), to_addr(l)) {
            (Ok(s), Ok(l)) => (s, l),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        *out = ffi::into_handle(ftpkit_client_config { inner: DriverConfig::new(s, l) });
        FTPKIT_OK
    })
}

/// Frees a config. NULL is a no-op.
///
/// # Safety
/// NULL or from `ftpkit_client_config_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_config_free(config: *mut ftpkit_client_config) {
    ffi_boundary!(fallback: (), {
        // SAFETY: the caller's promise above.
        unsafe { ffi::free_handle(config) }
    })
}

/// Sets passive (`FTPKIT_CLIENT_PASSIVE`) or active (`FTPKIT_CLIENT_ACTIVE`) mode.
///
/// # Safety
/// `config` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_config_set_mode(config: *mut ftpkit_client_config, mode: u32) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let c = match unsafe { ffi::borrow_mut(config, "config") } {
            Ok(c) => c,
            Err(e) => return e,
        };
        match mode_of(mode) {
            Ok(m) => {
                c.inner.mode = m;
                FTPKIT_OK
            }
            Err(e) => e,
        }
    })
}

/// Sets the flags (`FTPKIT_CLIENT_*` or-ed together; every flag not given is off). An unknown bit is
/// `FTPKIT_INVALID_PARAMETER` and changes nothing.
///
/// # Safety
/// `config` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_config_set_flags(
    config: *mut ftpkit_client_config,
    flags: u32,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let c = match unsafe { ffi::borrow_mut(config, "config") } {
            Ok(c) => c,
            Err(e) => return e,
        };
        if flags & !ALL_FLAGS != 0 {
            return ffi::fail(
                result::FTPKIT_INVALID_PARAMETER,
                format!("unknown client flags {:#x}", flags & !ALL_FLAGS),
            );
        }
        c.inner.extended_passive = flags & FTPKIT_CLIENT_EXTENDED_PASSIVE != 0;
        c.inner.feat_after_login = flags & FTPKIT_CLIENT_FEAT_AFTER_LOGIN != 0;
        c.inner.binary_after_login = flags & FTPKIT_CLIENT_BINARY_AFTER_LOGIN != 0;
        c.inner.trace = flags & FTPKIT_CLIENT_TRACE != 0;
        FTPKIT_OK
    })
}

/// Sets how long to wait for a reply (`reply_ms`; when it runs out the session is closed and the call fails with
/// `FTPKIT_INCOMPLETE`) and for a data connection (`data_ms`: a connect, or the server's connection in active
/// mode), in milliseconds. 0 is `FTPKIT_INVALID_PARAMETER`.
///
/// # Safety
/// `config` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_config_set_timeouts(
    config: *mut ftpkit_client_config,
    reply_ms: u64,
    data_ms: u64,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let c = match unsafe { ffi::borrow_mut(config, "config") } {
            Ok(c) => c,
            Err(e) => return e,
        };
        if reply_ms == 0 || data_ms == 0 {
            return ffi::fail(result::FTPKIT_INVALID_PARAMETER, "a timeout of 0 ms");
        }
        c.inner.reply_timeout = Duration::from_millis(reply_ms);
        c.inner.data_timeout = Duration::from_millis(data_ms);
        FTPKIT_OK
    })
}

/// Makes a client on a freshly connected control connection, with a copy of `*config` (free the config when you
/// like). `now_ms` is the caller's monotonic clock in milliseconds (any epoch; every later `now_ms` and deadline of
/// this client is on the same clock). Its first call, waiting for the greeting, is in progress: feed the server's
/// bytes and poll actions until `FTPKIT_ACTION_DONE` (`FTPKIT_DONE_GREETING`).
///
/// # Safety
/// `config` live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_new(
    config: *const ftpkit_client_config,
    now_ms: u64,
    out: *mut *mut ftpkit_client,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (c, out) = match unsafe { (ffi::borrow(config, "config"), ffi::out(out, "out")) } {
            (Ok(c), Ok(o)) => (c, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let clock = Clock::new(now_ms);
        let now = match clock.at(now_ms) {
            Ok(n) => n,
            Err(e) => return e,
        };
        *out = ffi::into_handle(ftpkit_client {
            driver: ClientDriver::new(c.inner.clone(), now),
            clock,
            lent: Vec::new(),
        });
        FTPKIT_OK
    })
}

/// Frees a client (and what its last action lent). NULL is a no-op. The caller closes its own sockets.
///
/// # Safety
/// NULL or from `ftpkit_client_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_free(client: *mut ftpkit_client) {
    ffi_boundary!(fallback: (), {
        // SAFETY: the caller's promise above.
        unsafe { ffi::free_handle(client) }
    })
}

/// The live client and the `Instant` for `now_ms`.
///
/// # Safety
/// `client` NULL or live, used by no other thread meanwhile.
unsafe fn client_at<'a>(
    client: *mut ftpkit_client,
    now_ms: u64,
) -> Result<(&'a mut ftpkit_client, Instant), ftpkit_result> {
    // SAFETY: forwarded from the caller.
    let c = unsafe { ffi::borrow_mut(client, "client") }?;
    let now = c.clock.at(now_ms)?;
    Ok((c, now))
}

/// Starts `call`: `FTPKIT_INVALID_STATE` while another call is in progress (its DONE not polled yet), and nothing
/// changes. Every other failure comes as the call's DONE.
fn start(c: &mut ftpkit_client, now: Instant, call: Call) -> ftpkit_result {
    match c.driver.start(call, now) {
        Ok(()) => FTPKIT_OK,
        Err(e) => result::core_error(e.kind(), e),
    }
}

/// An optional text argument: NULL is none; otherwise UTF-8.
///
/// # Safety
/// As for `ffi::text`.
unsafe fn optional_text(ptr: *const u8, len: usize, name: &str) -> Result<Option<String>, ftpkit_result> {
    if ptr.is_null() {
        return if len == 0 { Ok(None) } else { Err(ffi::null(name)) };
    }
    // SAFETY: forwarded from the caller.
    unsafe { ffi::text(ptr, len, name) }.map(|t| Some(t.to_owned()))
}

/// The live client at `now_ms` and an optional text argument.
///
/// # Safety
/// As for `client_at` and `optional_text`.
unsafe fn client_and_text<'a>(
    client: *mut ftpkit_client,
    now_ms: u64,
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<(&'a mut ftpkit_client, Instant, Option<String>), ftpkit_result> {
    // SAFETY: forwarded from the caller.
    let (c, now) = unsafe { client_at(client, now_ms) }?;
    // SAFETY: forwarded from the caller.
    let text = unsafe { optional_text(ptr, len, name) }?;
    Ok((c, now, text))
}

/// Starts a login: `USER`, `PASS` (and `ACCT` when the server asks and `account` is not NULL), then FEAT and
/// `TYPE I` as configured. Ends with `FTPKIT_DONE_LOGGED_IN`, or `FTPKIT_REFUSED` (`code`: the refusal).
/// Texts are UTF-8; CR, LF or NUL in them is refused (`FTPKIT_INJECTION`, as the call's DONE).
///
/// # Safety
/// `client` live; each text NULL with length 0 or `len` readable bytes (`account` NULL: none).
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_login(
    client: *mut ftpkit_client,
    now_ms: u64,
    user: *const u8,
    user_len: usize,
    password: *const u8,
    password_len: usize,
    account: *const u8,
    account_len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let args = unsafe {
            (
                client_at(client, now_ms),
                ffi::text(user, user_len, "user"),
                ffi::text(password, password_len, "password"),
                optional_text(account, account_len, "account"),
            )
        };
        match args {
            (Ok((c, now)), Ok(u), Ok(p), Ok(a)) => {
                start(c, now, Call::Login { user: u.to_owned(), password: p.to_owned(), account: a })
            }
            (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => e,
        }
    })
}

/// Starts a simple call (`FTPKIT_CALL_*`). `arg` (UTF-8) is required by CWD, MKD, RMD, DELE, SIZE, MDTM, SITE
/// and RAW (NULL is `FTPKIT_NULL_PARAMETER`) and must be NULL for the others (else `FTPKIT_INVALID_PARAMETER`).
/// Injection (CR, LF, NUL) and a raw line that is no command come as the call's DONE.
///
/// # Safety
/// `client` live; `arg` NULL or `arg_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_start(
    client: *mut ftpkit_client,
    now_ms: u64,
    call: u32,
    arg: *const u8,
    arg_len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (c, now, arg) = match unsafe { client_and_text(client, now_ms, arg, arg_len, "arg") } {
            Ok(x) => x,
            Err(e) => return e,
        };
        let call = match (call, arg) {
            (FTPKIT_CALL_FEAT, None) => Call::Feat,
            (FTPKIT_CALL_PWD, None) => Call::Pwd,
            (FTPKIT_CALL_CDUP, None) => Call::Cdup,
            (FTPKIT_CALL_NOOP, None) => Call::Noop,
            (FTPKIT_CALL_QUIT, None) => Call::Quit,
            (FTPKIT_CALL_CWD, Some(a)) => Call::Cwd(a),
            (FTPKIT_CALL_MKD, Some(a)) => Call::Mkd(a),
            (FTPKIT_CALL_RMD, Some(a)) => Call::Rmd(a),
            (FTPKIT_CALL_DELE, Some(a)) => Call::Dele(a),
            (FTPKIT_CALL_SIZE, Some(a)) => Call::Size(a),
            (FTPKIT_CALL_MDTM, Some(a)) => Call::Mdtm(a),
            (FTPKIT_CALL_SITE, Some(a)) => Call::Site(a),
            (FTPKIT_CALL_RAW, Some(a)) => Call::Raw(a),
            (FTPKIT_CALL_FEAT | FTPKIT_CALL_PWD | FTPKIT_CALL_CDUP | FTPKIT_CALL_NOOP | FTPKIT_CALL_QUIT, Some(_)) => {
                return ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("call {call} takes no argument"))
            }
            (FTPKIT_CALL_CWD..=FTPKIT_CALL_RAW, None) => return ffi::null("arg"),
            (other, _) => return ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown call {other}")),
        };
        start(c, now, call)
    })
}

/// Starts a rename: `RNFR from`, then `RNTO to`. Ends with `FTPKIT_DONE_OK`.
///
/// # Safety
/// `client` live; `from`/`to` point to their lengths in readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_rename(
    client: *mut ftpkit_client,
    now_ms: u64,
    from: *const u8,
    from_len: usize,
    to: *const u8,
    to_len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let args =
            unsafe { (client_at(client, now_ms), ffi::text(from, from_len, "from"), ffi::text(to, to_len, "to")) };
        match args {
            (Ok((c, now)), Ok(f), Ok(t)) => start(c, now, Call::Rename { from: f.to_owned(), to: t.to_owned() }),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => e,
        }
    })
}

/// Starts a transfer (`FTPKIT_TRANSFER_*`): the data connection (CONNECT in passive mode, LISTEN in active mode),
/// `REST rest` when `rest` is not 0, and the transfer command. Ends with `FTPKIT_DONE_DATA_READY` once data may
/// flow: read the data connection to its end (a download) or write and close it (an upload), then call
/// `ftpkit_client_finish`. `path` (UTF-8) is required by RETR, STOR and APPE, optional for the listings (NULL:
/// none) and must be NULL for STOU.
///
/// # Safety
/// `client` live; `path` NULL or `path_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_open(
    client: *mut ftpkit_client,
    now_ms: u64,
    kind: u32,
    path: *const u8,
    path_len: usize,
    rest: u64,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (c, now, path) = match unsafe { client_and_text(client, now_ms, path, path_len, "path") } {
            Ok(x) => x,
            Err(e) => return e,
        };
        let kind = match (kind, path) {
            (FTPKIT_TRANSFER_RETR, Some(p)) => TransferKind::Retr(p),
            (FTPKIT_TRANSFER_STOR, Some(p)) => TransferKind::Stor(p),
            (FTPKIT_TRANSFER_APPE, Some(p)) => TransferKind::Appe(p),
            (FTPKIT_TRANSFER_RETR | FTPKIT_TRANSFER_STOR | FTPKIT_TRANSFER_APPE, None) => return ffi::null("path"),
            (FTPKIT_TRANSFER_STOU, None) => TransferKind::Stou,
            (FTPKIT_TRANSFER_STOU, Some(_)) => {
                return ffi::fail(result::FTPKIT_INVALID_PARAMETER, "STOU takes no path")
            }
            (FTPKIT_TRANSFER_LIST, p) => TransferKind::List(p),
            (FTPKIT_TRANSFER_NLST, p) => TransferKind::Nlst(p),
            (FTPKIT_TRANSFER_MLSD, p) => TransferKind::Mlsd(p),
            (FTPKIT_TRANSFER_LISTING, p) => c.driver.listing_command(p.as_deref()),
            (other, _) => return ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown transfer {other}")),
        };
        start(c, now, Call::Open { kind, rest: (rest != 0).then_some(rest) })
    })
}

/// Ends the open transfer's data (`FTPKIT_DATA_EOF` after a download's end, `FTPKIT_DATA_CLOSED` after an
/// upload's last byte and close): waits for the final reply. Ends with `FTPKIT_DONE_TRANSFERRED`; with no
/// transfer open the DONE carries `FTPKIT_INVALID_STATE`.
///
/// # Safety
/// `client` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_finish(client: *mut ftpkit_client, now_ms: u64, end: u32) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let (c, now) = match unsafe { client_at(client, now_ms) } {
            Ok(x) => x,
            Err(e) => return e,
        };
        let end = match end {
            FTPKIT_DATA_EOF => DataEnd::Eof,
            FTPKIT_DATA_CLOSED => DataEnd::Closed,
            other => return ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown data end {other}")),
        };
        start(c, now, Call::Finish { end })
    })
}

/// Aborts the open transfer: `ABOR`, then CLOSE_DATA with `reset`. Ends with `FTPKIT_DONE_ABORTED`; with no
/// transfer open the DONE carries `FTPKIT_INVALID_STATE`.
///
/// # Safety
/// `client` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_abort(client: *mut ftpkit_client, now_ms: u64) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        match unsafe { client_at(client, now_ms) } {
            Ok((c, now)) => start(c, now, Call::Abort),
            Err(e) => e,
        }
    })
}

/// Switches passive (`FTPKIT_CLIENT_PASSIVE`) or active (`FTPKIT_CLIENT_ACTIVE`) mode for the next transfers.
///
/// # Safety
/// `client` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_set_mode(client: *mut ftpkit_client, mode: u32) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        let c = match unsafe { ffi::borrow_mut(client, "client") } {
            Ok(c) => c,
            Err(e) => return e,
        };
        match mode_of(mode) {
            Ok(m) => {
                c.driver.set_mode(m);
                FTPKIT_OK
            }
            Err(e) => e,
        }
    })
}

/// Feeds bytes read from the control connection (any split; a reply may arrive in pieces). Poll actions afterwards.
/// Bytes that cannot be framed as replies end the call with `FTPKIT_UNEXPECTED_INPUT`-class errors (as its DONE).
///
/// # Safety
/// `client` live; `bytes` NULL with 0 or `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_handle_control(
    client: *mut ftpkit_client,
    now_ms: u64,
    bytes: *const u8,
    len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { (client_at(client, now_ms), ffi::bytes(bytes, len, "bytes")) } {
            (Ok((c, now)), Ok(b)) => {
                c.driver.handle_control(now, b);
                FTPKIT_OK
            }
            (Err(e), _) | (_, Err(e)) => e,
        }
    })
}

/// Runs `f` on the live client at `now_ms`.
///
/// # Safety
/// As for `client_at`.
unsafe fn timed(client: *mut ftpkit_client, now_ms: u64, f: impl FnOnce(&mut ClientDriver, Instant)) -> ftpkit_result {
    // SAFETY: forwarded from the caller.
    match unsafe { client_at(client, now_ms) } {
        Ok((c, now)) => {
            f(&mut c.driver, now);
            FTPKIT_OK
        }
        Err(e) => e,
    }
}

/// The control connection reached its end (read returned 0) or failed. Poll actions afterwards: the call in
/// progress ends (QUIT successfully; any other with `FTPKIT_CLOSED`).
///
/// # Safety
/// `client` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_handle_control_closed(client: *mut ftpkit_client, now_ms: u64) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        unsafe { timed(client, now_ms, |d, now| d.handle_control_closed(now)) }
    })
}

/// The caller gives up on the session (a write to the control connection failed): it is closed and the call in
/// progress ends with `FTPKIT_CLOSED`. Poll actions afterwards.
///
/// # Safety
/// `client` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_close(client: *mut ftpkit_client, now_ms: u64) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        unsafe { timed(client, now_ms, |d, now| d.close(now)) }
    })
}

/// The deadline of `ftpkit_client_poll_timeout` may have passed (harmless before it). When it has, the session is
/// closed (a late reply could be taken for the next request's) and the call ends with `FTPKIT_INCOMPLETE`.
///
/// # Safety
/// `client` live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_handle_timeout(client: *mut ftpkit_client, now_ms: u64) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise above.
        unsafe { timed(client, now_ms, |d, now| d.handle_timeout(now)) }
    })
}

/// An optional address: NULL is none.
///
/// # Safety
/// `hp` NULL or readable.
unsafe fn optional_addr(hp: *const ftpkit_hostport) -> Result<Option<SocketAddr>, ftpkit_result> {
    // SAFETY: the caller's promise above.
    match unsafe { hp.as_ref() } {
        None => Ok(None),
        Some(hp) => to_addr(hp).map(Some),
    }
}

/// Passive: the data connection asked for by CONNECT is up. `local` and `remote` are its two ends, for the trace
/// (either may be NULL when unknown). Ignored when no data connection is awaited.
///
/// # Safety
/// `client` live; `local`/`remote` NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_handle_connected(
    client: *mut ftpkit_client,
    now_ms: u64,
    local: *const ftpkit_hostport,
    remote: *const ftpkit_hostport,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { (client_at(client, now_ms), optional_addr(local), optional_addr(remote)) } {
            (Ok((c, now)), Ok(l), Ok(r)) => {
                c.driver.handle_connected(now, l, r);
                FTPKIT_OK
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => e,
        }
    })
}

/// Runs `f` with the live client at `now_ms` and a failure reason (any bytes; shown as text, invalid UTF-8
/// replaced).
///
/// # Safety
/// As for `client_at` and `ffi::bytes`.
unsafe fn with_reason(
    client: *mut ftpkit_client,
    now_ms: u64,
    ptr: *const u8,
    len: usize,
    f: impl FnOnce(&mut ClientDriver, Instant, String),
) -> ftpkit_result {
    // SAFETY: forwarded from the caller.
    match unsafe { (client_at(client, now_ms), ffi::bytes(ptr, len, "reason")) } {
        (Ok((c, now)), Ok(r)) => {
            f(&mut c.driver, now, String::from_utf8_lossy(r).into_owned());
            FTPKIT_OK
        }
        (Err(e), _) | (_, Err(e)) => e,
    }
}

/// Passive: the connect asked for by CONNECT failed (`reason`: any text, e.g. `strerror(errno)`). The call ends as
/// the driver decides (the server's reply, or `FTPKIT_INCOMPLETE`).
///
/// # Safety
/// `client` live; `reason` NULL with 0 or `reason_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_handle_connect_failed(
    client: *mut ftpkit_client,
    now_ms: u64,
    reason_text: *const u8,
    reason_len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        unsafe { with_reason(client, now_ms, reason_text, reason_len, |d, now, r| d.handle_connect_failed(now, r)) }
    })
}

/// Active: the listener asked for by LISTEN is bound at `*addr` (`getsockname`); the transfer command follows.
///
/// # Safety
/// `client` live; `addr` readable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_handle_listening(
    client: *mut ftpkit_client,
    now_ms: u64,
    addr: *const ftpkit_hostport,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (c, now, a) = match unsafe { (client_at(client, now_ms), ffi::borrow(addr, "addr")) } {
            (Ok((c, now)), Ok(a)) => (c, now, a),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match to_addr(a) {
            Ok(a) => {
                c.driver.handle_listening(now, a);
                FTPKIT_OK
            }
            Err(e) => e,
        }
    })
}

/// Active: binding the listener failed; the call ends with `FTPKIT_INCOMPLETE`.
///
/// # Safety
/// `client` live; `reason` NULL with 0 or `reason_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_handle_listen_failed(
    client: *mut ftpkit_client,
    now_ms: u64,
    reason_text: *const u8,
    reason_len: usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        unsafe { with_reason(client, now_ms, reason_text, reason_len, |d, now, r| d.handle_listen_failed(now, r)) }
    })
}

/// Active: the listener accepted a connection from `*from` (`*local`: its local end, or NULL). `*use_it` says
/// whether to keep it as the data connection (true) or close it and accept again (false: not from the server, or
/// no transfer wants one). A connection that comes before the server was asked for it is kept and offered then.
///
/// # Safety
/// `client` live; `from` readable; `local` NULL or readable; `use_it` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_handle_accepted(
    client: *mut ftpkit_client,
    now_ms: u64,
    from: *const ftpkit_hostport,
    local: *const ftpkit_hostport,
    use_it: *mut bool,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let args = unsafe {
            (client_at(client, now_ms), ffi::borrow(from, "from"), optional_addr(local), ffi::out(use_it, "use_it"))
        };
        let (c, now, from, local, use_it) = match args {
            (Ok((c, now)), Ok(f), Ok(l), Ok(u)) => (c, now, f, l, u),
            (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => return e,
        };
        match to_addr(from) {
            Ok(f) => {
                *use_it = c.driver.handle_accepted(now, f, local) == AcceptVerdict::Use;
                FTPKIT_OK
            }
            Err(e) => e,
        }
    })
}

/// Writes the next action into `*out` (`FTPKIT_ACTION_NONE` when the caller must wait: on the control connection,
/// and on the listener while `ftpkit_client_wants_accept`, until `ftpkit_client_poll_timeout`). DONE comes last,
/// once all other actions of its call are out. Drain actions after every call and every `_handle_*`: an action may
/// ask for a `_handle_*` report (CONNECT, LISTEN), which may queue more. `out->bytes` is lent until the next
/// `_poll_action` or `_free`.
///
/// # Safety
/// `client` live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_poll_action(
    client: *mut ftpkit_client,
    out: *mut ftpkit_action,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (c, out) = match unsafe { (ffi::borrow_mut(client, "client"), ffi::out(out, "out")) } {
            (Ok(c), Ok(o)) => (c, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let mut a = ftpkit_action::none();
        c.lent = match c.driver.poll_action() {
            None => Vec::new(),
            Some(Action::Send(bytes)) => {
                a.kind = FTPKIT_ACTION_SEND;
                bytes
            }
            Some(Action::Connect { addr, timeout, protected }) => {
                a.kind = FTPKIT_ACTION_CONNECT;
                a.addr = hostport_of(addr);
                a.timeout_ms = millis(timeout);
                a.secure = protected;
                Vec::new()
            }
            Some(Action::Listen { ip, protected }) => {
                a.kind = FTPKIT_ACTION_LISTEN;
                a.addr = from_ip(Some(ip), 0);
                a.secure = protected;
                Vec::new()
            }
            Some(Action::StopListening) => {
                a.kind = FTPKIT_ACTION_STOP_LISTENING;
                Vec::new()
            }
            Some(Action::CloseData { reset }) => {
                a.kind = FTPKIT_ACTION_CLOSE_DATA;
                a.reset = reset;
                Vec::new()
            }
            Some(Action::Trace(line)) => {
                a.kind = FTPKIT_ACTION_TRACE;
                match line {
                    TraceLine::Sent(s) => {
                        a.detail = FTPKIT_TRACE_SENT;
                        s.into_bytes()
                    }
                    TraceLine::Received(s) => {
                        a.detail = FTPKIT_TRACE_RECEIVED;
                        s.into_bytes()
                    }
                    TraceLine::Data { local, remote } => {
                        a.detail = FTPKIT_TRACE_DATA;
                        a.addr = hostport_of(local);
                        a.peer = hostport_of(remote);
                        Vec::new()
                    }
                    other => {
                        a.detail = FTPKIT_TRACE_OTHER;
                        format!("{other:?}").into_bytes()
                    }
                }
            }
            Some(Action::Log { level, message }) => {
                a.kind = FTPKIT_ACTION_LOG;
                a.detail = match level {
                    LogLevel::Info => FTPKIT_LOG_INFO,
                    LogLevel::Debug => FTPKIT_LOG_DEBUG,
                };
                message.into_bytes()
            }
            Some(Action::Done(done)) => {
                a.kind = FTPKIT_ACTION_DONE;
                done_fields(&mut a, done)
            }
            Some(other) => {
                // StartTls, StopTls, SecureData: only with a TLS policy, which this API cannot set yet.
                return ffi::fail(result::FTPKIT_UNSUPPORTED, format!("action not in the C API: {other:?}"));
            }
        };
        // Never NULL, even when empty: C's memcpy(dst, NULL, 0) is undefined.
        a.bytes = if c.lent.is_empty() { b"".as_ptr() } else { c.lent.as_ptr() };
        a.len = c.lent.len();
        *out = a;
        FTPKIT_OK
    })
}

/// Fills a DONE action's fields; returns the bytes it lends.
fn done_fields(a: &mut ftpkit_action, done: Result<Outcome, DriverError>) -> Vec<u8> {
    let reply = |a: &mut ftpkit_action, kind: u32, r: &ftpkit_proto::reply::Reply| {
        a.detail = kind;
        a.code = r.code.get();
        r.text().into_bytes()
    };
    match done {
        Ok(Outcome::Greeting(r)) => reply(a, FTPKIT_DONE_GREETING, &r),
        Ok(Outcome::LoggedIn(r)) => reply(a, FTPKIT_DONE_LOGGED_IN, &r),
        Ok(Outcome::Done(r)) => reply(a, FTPKIT_DONE_OK, &r),
        Ok(Outcome::Reply(r)) => reply(a, FTPKIT_DONE_REPLY, &r),
        Ok(Outcome::Transferred(r)) => reply(a, FTPKIT_DONE_TRANSFERRED, &r),
        Ok(Outcome::Aborted(Some(r))) => reply(a, FTPKIT_DONE_ABORTED, &r),
        Ok(Outcome::Aborted(None)) => {
            a.detail = FTPKIT_DONE_ABORTED;
            Vec::new()
        }
        Ok(Outcome::Features) => {
            a.detail = FTPKIT_DONE_FEATURES;
            Vec::new()
        }
        Ok(Outcome::Path(p)) => {
            a.detail = FTPKIT_DONE_PATH;
            p.into_bytes()
        }
        Ok(Outcome::Size(n)) => {
            a.detail = FTPKIT_DONE_SIZE;
            a.value = n;
            Vec::new()
        }
        Ok(Outcome::Modified(t)) => {
            a.detail = FTPKIT_DONE_MODIFIED;
            a.time = t.to_unix();
            Vec::new()
        }
        Ok(Outcome::Quit) => {
            a.detail = FTPKIT_DONE_QUIT;
            Vec::new()
        }
        Ok(Outcome::DataReady) => {
            a.detail = FTPKIT_DONE_DATA_READY;
            Vec::new()
        }
        Ok(other) => {
            a.result = result::FTPKIT_UNSUPPORTED;
            format!("outcome not in the C API: {other:?}").into_bytes()
        }
        Err(e) => {
            a.result = result::from_kind(e.kind());
            a.code = match &e {
                DriverError::Refused(r) | DriverError::LoginFailed(r) | DriverError::TlsRefused(r) => r.code.get(),
                DriverError::Transfer { reply: Some(r), .. } => r.code.get(),
                _ => 0,
            };
            let msg = e.to_string();
            ffi::set_detail(msg.clone());
            msg.into_bytes()
        }
    }
}

/// The deadline until which the caller may wait before calling `ftpkit_client_handle_timeout`, on the caller's
/// clock (milliseconds, as `now_ms`): `*has` false when nothing is awaited from the network. Read it after every
/// call, `_handle_*` and `_poll_action`.
///
/// # Safety
/// `client` live; `has`/`at_ms` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_poll_timeout(
    client: *const ftpkit_client,
    has: *mut bool,
    at_ms: *mut u64,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        match unsafe { ffi::borrow(client, "client") } {
            // SAFETY: as above.
            Ok(x) => unsafe { x.clock.write_deadline(x.driver.poll_timeout(), has, at_ms) },
            Err(e) => e,
        }
    })
}

/// True while a call is in progress (its DONE not polled yet); false for NULL.
///
/// # Safety
/// `client` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_is_busy(client: *const ftpkit_client) -> bool {
    ffi_boundary!(fallback: false, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(client, "client") }.is_ok_and(|c| c.driver.is_busy())
    })
}

/// True while the caller should accept on its listener (active mode, no data connection held); false for NULL.
///
/// # Safety
/// `client` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_client_wants_accept(client: *const ftpkit_client) -> bool {
    ffi_boundary!(fallback: false, {
        // SAFETY: the caller's promise above.
        unsafe { ffi::borrow(client, "client") }.is_ok_and(|c| c.driver.wants_accept())
    })
}
