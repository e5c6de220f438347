//! # ftpkit: FTP clients and server on a sans-IO core
//!
//! The protocol lives in [`proto`] (the `ftpkit-proto` crate): parsing, formatting and the session state
//! machines. This crate only adds sockets and files.
//!
//! Feature `tokio` (default): the async client (`ftpkit::tokio`) and the server (`ftpkit::server`). Without it the
//! crate is the blocking client ([`blocking`]) and what the clients share ([`client`]), on std::net alone.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use ftpkit_proto as proto;

#[cfg(feature = "tokio")]
pub mod server;

pub mod blocking;
pub mod client;
mod digest;
pub mod mirror;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(feature = "tokio")]
pub mod tokio;
