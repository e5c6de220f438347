//! `ftpkit_hostport`: every host-port form (PORT/227, EPRT/229, LPRT/228) parsed with its byte span, formatted,
//! and rewritten in place by its span (what a NAT helper does).

use crate::ffi::{self, ffi_boundary};
use crate::result::{self, ftpkit_result, FTPKIT_OK};
use ftpkit_proto::hostport::{self, EprtArg, EpsvText, LprtArg, LpsvText, Mode, PasvText, PortArg};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

/// `form`: a PORT argument `h1,h2,h3,h4,p1,p2` (UTF-8 text).
pub const FTPKIT_FORM_PORT: u32 = 1;
/// `form`: a whole 227 reply (bytes), the answer to PASV.
pub const FTPKIT_FORM_PASV: u32 = 2;
/// `form`: an EPRT argument `|af|addr|port|` (UTF-8 text).
pub const FTPKIT_FORM_EPRT: u32 = 3;
/// `form`: a whole 229 reply (bytes), the answer to EPSV (a port only: `family` 0).
pub const FTPKIT_FORM_EPSV: u32 = 4;
/// `form`: an LPRT argument `af,hal,h1..hN,pal,p1,p2` (UTF-8 text).
pub const FTPKIT_FORM_LPRT: u32 = 5;
/// `form`: a whole 228 reply (bytes), the answer to LPSV.
pub const FTPKIT_FORM_LPSV: u32 = 6;

/// `mode`: RFC 1123 tolerance: find the tuple anywhere in a 227/228 text, blanks around a PORT argument.
pub const FTPKIT_MODE_TOLERANT: u32 = 0;
/// `mode`: exactly the RFC form. (EPRT, EPSV and LPRT have one form and ignore the mode.)
pub const FTPKIT_MODE_STRICT: u32 = 1;

/// A host-port value: an address and port, and where the tuple stood in the parsed input. A plain C struct the
/// caller owns (on the stack, typically).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ftpkit_hostport {
    /// 4 (IPv4, in `addr[0..4]`), 6 (IPv6, all 16 bytes of `addr`) or 0 (no address: a 229 reply names a port only).
    pub family: u8,
    /// The address in network byte order.
    pub addr: [u8; 16],
    /// The port (host byte order).
    pub port: u16,
    /// The delimiter an EPRT argument or 229 reply used (`'|'` usually); 0 for the other forms. When formatting,
    /// 0 means `'|'`.
    pub delimiter: u8,
    /// The tuple's first byte in the input (for replies: in the whole reply bytes).
    pub span_start: usize,
    /// One past the tuple's last byte: `input[span_start..span_end]` is what a rewrite replaces.
    pub span_end: usize,
}

fn from_addr(addr: Option<SocketAddr>, port: u16, delimiter: u8, span: core::ops::Range<usize>) -> ftpkit_hostport {
    let mut hp =
        ftpkit_hostport { family: 0, addr: [0; 16], port, delimiter, span_start: span.start, span_end: span.end };
    match addr {
        Some(SocketAddr::V4(a)) => {
            hp.family = 4;
            hp.addr[..4].copy_from_slice(&a.ip().octets());
        }
        Some(SocketAddr::V6(a)) => {
            hp.family = 6;
            hp.addr = a.ip().octets();
        }
        None => {}
    }
    hp
}

/// The address of `hp`, or an error status for a bad family.
pub(crate) fn to_addr(hp: &ftpkit_hostport) -> Result<SocketAddr, ftpkit_result> {
    let ip = match hp.family {
        4 => IpAddr::V4(Ipv4Addr::new(hp.addr[0], hp.addr[1], hp.addr[2], hp.addr[3])),
        6 => IpAddr::V6(Ipv6Addr::from(hp.addr)),
        f => return Err(ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("address family {f} (want 4 or 6)"))),
    };
    Ok(SocketAddr::new(ip, hp.port))
}

/// Converts a core IP address into the C struct's family and bytes (port 0, no span).
pub(crate) fn from_ip(ip: Option<IpAddr>, port: u16) -> ftpkit_hostport {
    from_addr(ip.map(|ip| SocketAddr::new(ip, port)), port, 0, 0..0)
}

fn v4(hp: &ftpkit_hostport) -> Result<SocketAddrV4, ftpkit_result> {
    match to_addr(hp)? {
        SocketAddr::V4(a) => Ok(a),
        SocketAddr::V6(_) => Err(ffi::fail(
            result::FTPKIT_UNSUPPORTED,
            "PORT and 227 carry IPv4 only: use EPRT/229 or LPRT/228 for IPv6",
        )),
    }
}

fn mode_of(mode: u32) -> Result<Mode, ftpkit_result> {
    match mode {
        FTPKIT_MODE_TOLERANT => Ok(Mode::Tolerant),
        FTPKIT_MODE_STRICT => Ok(Mode::Strict),
        m => Err(ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown mode {m}"))),
    }
}

fn core<T>(r: Result<T, hostport::HostPortError>) -> Result<T, ftpkit_result> {
    r.map_err(|e| result::core_error(e.kind(), e))
}

fn as_text(input: &[u8]) -> Result<&str, ftpkit_result> {
    std::str::from_utf8(input).map_err(|e| {
        ffi::fail(result::FTPKIT_INVALID_UTF8, format!("the argument is not UTF-8 (at byte {})", e.valid_up_to()))
    })
}

/// Parses `input` as `form` (see `FTPKIT_FORM_*`) in `mode`. Core errors keep their kinds (a 229 handed as
/// `FTPKIT_FORM_PASV` is `FTPKIT_WRONG_REPLY`, an octet over 255 `FTPKIT_RANGE`...).
fn parse(form: u32, mode: u32, input: &[u8]) -> Result<ftpkit_hostport, ftpkit_result> {
    let mode = mode_of(mode)?;
    Ok(match form {
        FTPKIT_FORM_PORT => {
            let p = core(hostport::parse_port(as_text(input)?, mode))?;
            from_addr(Some(p.value.into()), p.value.port(), 0, p.span)
        }
        FTPKIT_FORM_PASV => {
            let p = core(hostport::parse_pasv(input, mode))?;
            from_addr(Some(p.value.into()), p.value.port(), 0, p.span)
        }
        FTPKIT_FORM_EPRT => {
            let p = core(hostport::parse_eprt(as_text(input)?))?;
            from_addr(Some(p.value.addr), p.value.addr.port(), p.value.delimiter, p.span)
        }
        FTPKIT_FORM_EPSV => {
            let p = core(hostport::parse_epsv(input))?;
            from_addr(None, p.value.port, p.value.delimiter, p.span)
        }
        FTPKIT_FORM_LPRT => {
            let p = core(hostport::parse_lprt(as_text(input)?))?;
            from_addr(Some(p.value), p.value.port(), 0, p.span)
        }
        FTPKIT_FORM_LPSV => {
            let p = core(hostport::parse_lpsv(input, mode))?;
            from_addr(Some(p.value), p.value.port(), 0, p.span)
        }
        f => return Err(ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown form {f}"))),
    })
}

/// The tuple alone, as the span of `form` covers it.
fn tuple(form: u32, hp: &ftpkit_hostport) -> Result<String, ftpkit_result> {
    Ok(match form {
        FTPKIT_FORM_PORT | FTPKIT_FORM_PASV => PortArg(v4(hp)?).to_string(),
        FTPKIT_FORM_EPRT => {
            let s = EprtArg(to_addr(hp)?).to_string();
            // The core writes '|'; keep the delimiter the peer chose.
            match hp.delimiter {
                0 | b'|' => s,
                d => s.replace('|', &char::from(d).to_string()),
            }
        }
        FTPKIT_FORM_EPSV => {
            if hp.port == 0 {
                return Err(ffi::fail(result::FTPKIT_RANGE, "port 0"));
            }
            let d = char::from(if hp.delimiter == 0 { b'|' } else { hp.delimiter });
            format!("{d}{d}{d}{}{d}", hp.port)
        }
        FTPKIT_FORM_LPRT | FTPKIT_FORM_LPSV => LprtArg(to_addr(hp)?).to_string(),
        f => return Err(ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown form {f}"))),
    })
}

/// Parses `input` (`len` bytes) as `form` in `mode` into `*out` (written only on success): address, port,
/// delimiter, and the tuple's byte span in `input`. Argument forms (PORT, EPRT, LPRT) must be UTF-8; reply forms
/// (227, 229, 228) are the whole reply bytes, one or more lines, line ends optional.
///
/// # Safety
/// `input` points to `len` readable bytes (or NULL with 0); `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_hostport_parse(
    form: u32,
    mode: u32,
    input: *const u8,
    len: usize,
    out: *mut ftpkit_hostport,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (input, out) = match unsafe { (ffi::bytes(input, len, "input"), ffi::out(out, "out")) } {
            (Ok(i), Ok(o)) => (i, o),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        match parse(form, mode, input) {
            Ok(hp) => {
                *out = hp;
                FTPKIT_OK
            }
            Err(e) => e,
        }
    })
}

/// Formats `*hp` as `form` into `buf` (snprintf convention): for PORT, EPRT and LPRT the argument
/// (`192,168,1,2,4,1`, `|1|192.168.1.2|1025|`, `4,4,...`); for PASV, EPSV and LPSV the reply text without the code
/// (`Entering Passive Mode (192,168,1,2,4,1).`). IPv6 as PORT/PASV is `FTPKIT_UNSUPPORTED`. The span is ignored.
///
/// # Safety
/// `hp` readable; `buf` has `cap` writable bytes or is NULL; `needed` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_hostport_format(
    form: u32,
    hp: *const ftpkit_hostport,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise on `hp`.
        let hp = match unsafe { ffi::borrow(hp, "hp") } {
            Ok(h) => h,
            Err(e) => return e,
        };
        let text = match form {
            FTPKIT_FORM_PASV => v4(hp).map(|a| PasvText(a).to_string()),
            FTPKIT_FORM_EPSV => {
                if hp.port == 0 {
                    Err(ffi::fail(result::FTPKIT_RANGE, "port 0"))
                } else {
                    Ok(EpsvText(hp.port).to_string())
                }
            }
            FTPKIT_FORM_LPSV => to_addr(hp).map(|a| LpsvText(a).to_string()),
            other => tuple(other, hp),
        };
        match text {
            // SAFETY: forwarded.
            Ok(t) => unsafe { ffi::copy_out(t.as_bytes(), buf, cap, needed) },
            Err(e) => e,
        }
    })
}

/// Writes `input` with the bytes `[span_start, span_end)` replaced by `replacement` into `buf` (snprintf
/// convention; bytes may hold NUL: use `*needed`). A span past the end is clamped to the input.
///
/// # Safety
/// `input` and `replacement` point to their lengths in readable bytes (or NULL with 0); `buf` has `cap` writable
/// bytes or is NULL; `needed` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_rewrite(
    input: *const u8,
    len: usize,
    span_start: usize,
    span_end: usize,
    replacement: *const u8,
    replacement_len: usize,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (input, rep) =
            match unsafe { (ffi::bytes(input, len, "input"), ffi::bytes(replacement, replacement_len, "replacement")) }
            {
                (Ok(i), Ok(r)) => (i, r),
                (Err(e), _) | (_, Err(e)) => return e,
            };
        let out = hostport::rewrite(input, span_start..span_end, rep);
        // SAFETY: forwarded.
        unsafe { ffi::copy_out(&out, buf, cap, needed) }
    })
}

/// The NAT helper's step in one call: parses `input` as `form` in `mode`, then writes it with its tuple replaced
/// by `*replacement`'s address and port (everything else byte for byte) into `buf` (snprintf convention). When
/// `old` is not NULL the parsed value is stored there (on success). A 229 reply keeps its delimiter unless
/// `replacement->delimiter` names one.
///
/// # Safety
/// `input` points to `len` readable bytes; `replacement` readable; `old` NULL or writable; `buf` has `cap`
/// writable bytes or is NULL; `needed` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_hostport_rewrite(
    form: u32,
    mode: u32,
    input: *const u8,
    len: usize,
    replacement: *const ftpkit_hostport,
    old: *mut ftpkit_hostport,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promises above.
        let (input, rep) = match unsafe { (ffi::bytes(input, len, "input"), ffi::borrow(replacement, "replacement")) } {
            (Ok(i), Ok(r)) => (i, r),
            (Err(e), _) | (_, Err(e)) => return e,
        };
        let parsed = match parse(form, mode, input) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let mut new = *rep;
        if new.delimiter == 0 {
            new.delimiter = parsed.delimiter;
        }
        let text = match tuple(form, &new) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let bytes = hostport::rewrite(input, parsed.span_start..parsed.span_end, text.as_bytes());
        // SAFETY: forwarded.
        let r = unsafe { ffi::copy_out(&bytes, buf, cap, needed) };
        if r == FTPKIT_OK && !old.is_null() {
            // SAFETY: non-NULL and writable (the caller's promise).
            unsafe { *old = parsed };
        }
        r
    })
}

/// Writes the address of `*hp` as text (`192.168.1.2`, `2001:db8::1` in RFC 5952 form) into `buf` (snprintf
/// convention). A family-0 value (a 229 reply's port only) is `FTPKIT_INVALID_PARAMETER`.
///
/// # Safety
/// `hp` readable; `buf` has `cap` writable bytes or is NULL; `needed` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_hostport_ip_text(
    hp: *const ftpkit_hostport,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        // SAFETY: the caller's promise on `hp`.
        let hp = match unsafe { ffi::borrow(hp, "hp") } {
            Ok(h) => h,
            Err(e) => return e,
        };
        match to_addr(hp) {
            // SAFETY: forwarded.
            Ok(a) => unsafe { ffi::copy_out(a.ip().to_string().as_bytes(), buf, cap, needed) },
            Err(e) => e,
        }
    })
}
