//! An async FTP client on tokio: the same drive loop over
//! [`ClientSession`](crate::proto::session::client::ClientSession) as [`blocking`](crate::blocking), with
//! `async` calls, [`tokio::io::AsyncRead`] downloads and [`tokio::io::AsyncWrite`] uploads.
//!
//! ```no_run
//! # async fn demo() -> ftpkit::client::Result<()> {
//! use ftpkit::tokio::Client;
//! let mut ftp = Client::connect("127.0.0.1:2121").await?;
//! ftp.login("anonymous", "guest").await?;
//! for entry in ftp.list(None).await? {
//!     println!("{} {:?}", entry.name, entry.size);
//! }
//! let mut file = tokio::fs::File::create("readme.txt").await?;
//! ftp.retrieve_to("readme.txt", &mut file).await?;
//! ftp.quit().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Options, errors and the listing helpers are shared with the blocking client ([`crate::client`]). The runtime
//! must have its I/O and time drivers enabled (`#[tokio::main]` and `Runtime::new` do): every wait has a timeout.
//!
//! # Dropping a transfer unfinished
//!
//! There is no async `Drop`. A [`Download`] dropped before its end (or an [`Upload`] dropped before
//! [`Upload::finish`]) aborts its transfer in two halves:
//!
//! 1. at once, in `drop`, without waiting: the session is told to abort, `ABOR` is written to the control
//!    connection if the socket takes it without blocking, and the data connection is given linger 0, so that
//!    closing it resets it (a server never takes the cut-off data for a whole file). The data connection is closed
//!    right away when `ABOR` went out; otherwise it is kept until `ABOR` is written, so the reset never comes first;
//! 2. at the start of the next call on the [`Client`]: what is left of `ABOR` is written, the data connection is
//!    reset, and the `426`/`226` replies are read before the new request's own.
//!
//! [`Download::abort`] and [`Upload::abort`] do both halves now. The same holds when a call's future is cancelled
//! in the middle of an abort. Cancelling any other call's future part-way (e.g. with `tokio::time::timeout` around
//! it) can leave a reply unread; the client's own timeouts ([`Options`](crate::client::Options)) are the
//! supported way to bound a call.
//!
//! # Timeouts
//!
//! A timeout on the control connection (no reply, or a command that cannot be written, within
//! [`Options::reply_timeout`](crate::client::Options::reply_timeout)) or on an active-mode accept closes the
//! session, as [`ClientSession`](crate::proto::session::client::ClientSession) asks: the replies can no longer be
//! matched to the requests. Later calls fail with [`Error::Protocol`](crate::client::Error::Protocol). A data
//! read or write that stalls for [`Options::data_timeout`](crate::client::Options::data_timeout) fails with
//! [`std::io::ErrorKind::TimedOut`]; the transfer is then aborted as above and the session goes on.

mod client;

pub use client::{Client, Download, Upload};
