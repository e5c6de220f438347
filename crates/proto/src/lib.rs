//! # ftpkit-proto: the FTP protocol as pure functions and state machines
//!
//! This crate is the sans-IO core of ftpkit. It opens no socket, spawns no task, never reads the clock and never
//! panics on input: bytes and events go in, bytes and events come out, and the caller does the IO and the waiting.
//!
//! ```text
//!   bytes from the control connection ──► decoder ──► Reply / Command values ──► session ──► events
//!                                                                                  │
//!   bytes to send ◄── encoder ◄── Command / Reply values ◄─────────────────────────┘
//! ```
//!
//! Everything FTP-shaped lives here so that the runtime adapters, the CLI and the C, Python and WASM bindings share
//! one tested implementation.
//!
//! Feature `bytes` (default): `feed_buf` on [`reply::ReplyDecoder`], [`command::CommandDecoder`] and
//! [`line::LineBuffer`] drains any `bytes::Buf` (a `BytesMut` filled by a socket read, a `Bytes`, a chain) into the
//! decoder. Without it the crate has no `bytes` dependency; `feed(&[u8])` does the same from a slice.
// One `unsafe` block, for a measured speed-up: `line::plain_prefix` (the reason is written there).
#![deny(unsafe_code)]
#![warn(missing_docs)]
// No `unwrap`/`expect` in the library: bad input is a typed error, never a panic (the unit tests may unwrap).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod error;

pub mod command;
pub mod driver;
pub mod encoding;
pub mod explain;
pub mod feat;
pub mod firewall;
// Invariant checks for the fuzz targets and the crash replay test; always compiled so that test can use it.
#[doc(hidden)]
pub mod fuzzing;
pub mod hash;
pub mod hostport;
pub mod line;
pub mod listing;
pub mod path;
pub mod proxy;
pub mod reply;
pub mod session;
pub mod sim;
#[cfg(test)]
mod testutil;
pub mod time;
pub mod timeline;
pub mod transcript;
pub mod vpath;

pub use error::ErrorKind;
