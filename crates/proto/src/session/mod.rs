//! Sans-IO FTP sessions: the control connection and its data connections as pure state machines.
//!
//! - [`client`]: [`client::ClientSession`] takes replies in and gives commands and events out.
//! - [`server`]: [`server::ServerSession`] takes commands in and gives replies and requests out.
//!
//! Neither opens a socket or reads the clock: the caller does the IO and reports what happened (a data connection
//! accepted, a timer that fired) as plain values.

pub mod client;
pub mod server;

/// Data-connection facts and the passive-address (NAT) policy, defined with the client session.
pub use client::{DataEvent, NatNotice, NatReason, PasvAddressPolicy};
