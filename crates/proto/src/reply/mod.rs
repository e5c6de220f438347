//! Server replies: reply codes, borrowed and owned replies, a streaming decoder and an encoder.
//!
//! A reply (RFC 959 §4.2) is either one line `NNN text` or a multi-line block that opens with `NNN-text` and closes
//! with a line `NNN text`. Lines inside a multi-line reply may hold anything, including other codes or a bare `550`.
//!
//! ```text
//!   socket bytes ──feed──► ReplyDecoder ──decode──► ReplyRef<'_> (borrows the decoder) ──to_owned──► Reply
//!   Reply ──encode──► "NNN-text\r\n...NNN text\r\n"
//! ```
//!
//! # Calling order
//!
//! [`ReplyDecoder::feed`] the bytes read from the control connection, then call [`ReplyDecoder::decode`] until it
//! returns `Ok(None)` (need more bytes). An `Err` reports one bad line or one broken reply, which the decoder has
//! already skipped: keep calling. A [`ReplyRef`] borrows the decoder and is valid until the next `feed` or
//! `decode`; call [`ReplyRef::to_owned`] to keep it.
//!
//! # Where things are
//! [`Code`] and its classes (`code`), the borrowed [`ReplyRef`] and its line iterators (`borrowed`), the owned
//! [`Reply`] and its encoding (`encode`), the decoder: [`parse_reply`], [`ReplyDecoder`], [`Framing`], [`Limits`]
//! (`decode`), and [`ReplyError`] (`error`). Every public item is re-exported here: the paths are
//! `ftpkit_proto::reply::*`.
mod borrowed;
mod code;
mod decode;
mod encode;
mod error;
#[cfg(test)]
mod tests;

pub use borrowed::{Lines, ReplyRef, TextLines};
pub use code::{Category, Class, Code};
pub use decode::{parse_reply, parse_reply_with, Framing, Limits, ReplyDecoder};
pub use encode::Reply;
pub use error::ReplyError;
