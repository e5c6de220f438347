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

pub(crate) mod ffi;

pub mod command_decoder;
pub mod firewall;
pub mod format;
pub mod hostport;
pub mod listing;
pub mod reply_decoder;
pub mod result;
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
