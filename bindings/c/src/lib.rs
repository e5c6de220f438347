//! # libftpkit: the C library of ftpkit
//!
//! Thin C shells over the sans-IO core `ftpkit-proto`: every parser, formatter and state machine is the core's;
//! this crate only converts pointers, lengths and status codes. The header `include/ftpkit.h` is generated from
//! this crate by `cargo xtask c-header` (cbindgen, pinned) and states the conventions once at its top.
//!
//! One module per exported type; [`ffi`] holds the boundary (the panic-catching `ffi_boundary!` macro every
//! exported body runs through, and the pointer and buffer helpers).
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
// `extern "C"` functions take raw pointers: each one's `# Safety` section says what the caller must provide.
#![allow(clippy::missing_safety_doc)]
// The C names are the API: `ftpkit_reply_decoder`, not `FtpkitReplyDecoder`.
#![allow(non_camel_case_types)]

pub(crate) mod clock;
pub(crate) mod ffi;

pub mod client;
pub mod command_decoder;
pub mod firewall;
pub mod format;
pub mod hostport;
pub mod listing;
pub mod reply_decoder;
pub mod result;
pub mod server_session;
pub mod text;
pub mod transcript;

use ffi::ffi_boundary;

/// The library's version (`"0.1.0"`), a static NUL-terminated string. Never NULL; never free it.
#[no_mangle]
pub extern "C" fn ftpkit_version() -> *const std::ffi::c_char {
    ffi_boundary!(fallback: c"unknown".as_ptr(), {
        const V: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
        V.as_ptr().cast()
    })
}

#[cfg(test)]
mod boundary_tests {
    /// Every module's source, to check every export from the text itself.
    const SOURCES: &[(&str, &str)] = &[
        ("lib.rs", include_str!("lib.rs")),
        ("client.rs", include_str!("client.rs")),
        ("command_decoder.rs", include_str!("command_decoder.rs")),
        ("firewall.rs", include_str!("firewall.rs")),
        ("format.rs", include_str!("format.rs")),
        ("hostport.rs", include_str!("hostport.rs")),
        ("listing.rs", include_str!("listing.rs")),
        ("reply_decoder.rs", include_str!("reply_decoder.rs")),
        ("result.rs", include_str!("result.rs")),
        ("server_session.rs", include_str!("server_session.rs")),
        ("text.rs", include_str!("text.rs")),
        ("transcript.rs", include_str!("transcript.rs")),
    ];

    /// Every `extern "C"` function's body is exactly one `ffi_boundary!` call: no exported code runs outside the
    /// panic catcher. (A new module must be added to SOURCES: the count below checks the header's too.)
    #[test]
    fn every_export_runs_inside_the_panic_boundary() {
        let marker = concat!("extern ", "\"C\" fn ");
        let mut exports = Vec::new();
        for (file, src) in SOURCES {
            for chunk in src.split(marker).skip(1) {
                let name: String = chunk.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                let body_at = chunk.find('{').expect("a body");
                let body = chunk[body_at + 1..].trim_start();
                assert!(body.starts_with("ffi_boundary!("), "{file}: {name} does not run inside ffi_boundary!");
                exports.push(name);
            }
        }
        for (file, src) in SOURCES {
            let exports_here = src.matches(marker).count();
            assert_eq!(
                src.matches(concat!("#[no_", "mangle]")).count(),
                exports_here,
                "{file}: an export without no_mangle"
            );
        }
        let header = include_str!("../include/ftpkit.h");
        for name in &exports {
            assert!(header.contains(&format!("{name}(")), "{name} is missing from ftpkit.h (run cargo xtask c-header)");
        }
        let declared = header
            .lines()
            .filter(|l| {
                !["//", "/*", "*"].iter().any(|c| l.trim_start().starts_with(c))
                    && l.contains("ftpkit_")
                    && l.contains('(')
            })
            .filter(|l| {
                let before = l.split('(').next().unwrap_or("");
                before.split_whitespace().last().is_some_and(|w| w.trim_start_matches('*').starts_with("ftpkit_"))
            })
            .count();
        assert_eq!(declared, exports.len(), "every function in ftpkit.h is one of the checked exports");
    }

    /// A panic inside the boundary becomes FTPKIT_PANIC (and the detail says so), never an unwind into C.
    #[test]
    fn a_panic_becomes_the_panic_code() {
        let r: crate::result::ftpkit_result = crate::ffi::ffi_boundary!({
            let v: Vec<u8> = Vec::new();
            #[allow(clippy::indexing_slicing)]
            let x = v[1];
            u32::from(x)
        });
        assert_eq!(r, crate::result::FTPKIT_PANIC);
        assert!(crate::ffi::with_detail(|d| d.contains("panic")));
    }
}
