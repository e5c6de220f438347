//! The firewall model: the four packet flows of a mode, seen from one side, rendered as text, JSON, nftables or
//! iptables-save rules.

use crate::ffi::{self, ffi_boundary};
use crate::result::{self, ftpkit_result};
use ftpkit_proto::firewall::{self, Mode, Ports, Side};

/// `mode`: active FTP (the server opens the data connection).
pub const FTPKIT_FW_ACTIVE: u32 = 1;
/// `mode`: passive FTP (the client opens the data connection).
pub const FTPKIT_FW_PASSIVE: u32 = 2;
/// `side`: the server's firewall.
pub const FTPKIT_FW_SERVER: u32 = 1;
/// `side`: the client's firewall.
pub const FTPKIT_FW_CLIENT: u32 = 2;
/// `format`: a human-readable table.
pub const FTPKIT_FW_TEXT: u32 = 1;
/// `format`: JSON.
pub const FTPKIT_FW_JSON: u32 = 2;
/// `format`: an nftables snippet.
pub const FTPKIT_FW_NFT: u32 = 3;
/// `format`: iptables-save lines.
pub const FTPKIT_FW_IPTABLES: u32 = 4;

/// Writes the rules `mode` needs on `side`'s firewall in `format` into `buf` (snprintf convention). Ports: the
/// server's control port (0: 21) and passive range `passive_start`-`passive_end` (0-0: 1024-65535); the active
/// source port is 20 and the client's ports 1024-65535. A bad port range is `FTPKIT_RANGE`.
///
/// # Safety
/// `buf` has `cap` writable bytes or is NULL; `needed` writable.
#[no_mangle]
pub unsafe extern "C" fn ftpkit_firewall_rules(
    mode: u32,
    side: u32,
    control_port: u16,
    passive_start: u16,
    passive_end: u16,
    format: u32,
    buf: *mut u8,
    cap: usize,
    needed: *mut usize,
) -> ftpkit_result {
    ffi_boundary!({
        let bad = |what: &str, v: u32| ffi::fail(result::FTPKIT_INVALID_PARAMETER, format!("unknown {what} {v}"));
        let mode = match mode {
            FTPKIT_FW_ACTIVE => Mode::Active,
            FTPKIT_FW_PASSIVE => Mode::Passive,
            v => return bad("mode", v),
        };
        let side = match side {
            FTPKIT_FW_SERVER => Side::Server,
            FTPKIT_FW_CLIENT => Side::Client,
            v => return bad("side", v),
        };
        let render: fn(&[firewall::Channel]) -> String = match format {
            FTPKIT_FW_TEXT => firewall::render_text,
            FTPKIT_FW_JSON => firewall::render_json,
            FTPKIT_FW_NFT => firewall::render_nft,
            FTPKIT_FW_IPTABLES => firewall::render_iptables,
            v => return bad("format", v),
        };
        let control = if control_port == 0 { 21 } else { control_port };
        let passive = if (passive_start, passive_end) == (0, 0) { (1024, 65535) } else { (passive_start, passive_end) };
        let ports = match Ports::from_numbers(control, (20, 20), passive, (1024, 65535)) {
            Ok(p) => p,
            Err(e) => return result::core_error(e.kind(), e),
        };
        let text = render(&firewall::rules(mode, side, &ports));
        // SAFETY: forwarded.
        unsafe { ffi::copy_out(text.as_bytes(), buf, cap, needed) }
    })
}
