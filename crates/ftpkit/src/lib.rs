//! # ftpkit: FTP clients and server on a sans-IO core
//!
//! The protocol lives in [`proto`] (the `ftpkit-proto` crate): parsing, formatting and the session state
//! machines. This crate only adds sockets and files.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use ftpkit_proto as proto;

pub mod server;

pub mod blocking;
pub mod client;
pub mod mirror;
#[cfg(feature = "tokio")]
pub mod tokio;
