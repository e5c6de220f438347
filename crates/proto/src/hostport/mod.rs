//! Host-port tuples: the addresses in PORT/PASV (RFC 959), EPRT/EPSV (RFC 2428) and LPRT/LPSV (RFC 1639).
//!
//! Each parser takes the text it reads (a command's argument, or a whole reply as raw bytes) and returns a
//! [`Parsed`] value: the address or port, and the byte range of the tuple in that input, the way Linux's
//! `nf_conntrack_ftp` reports it. A NAT helper can [`rewrite`] the tuple in place; an explainer can highlight it.
//!
//! | input | parser | span covers |
//! | --- | --- | --- |
//! | PORT argument | [`parse_port`] | `h1,h2,h3,h4,p1,p2` |
//! | 227 reply | [`parse_pasv`] | `h1,h2,h3,h4,p1,p2` (no parentheses) |
//! | EPRT argument | [`parse_eprt`] | `|1|a.b.c.d|port|` (delimiters included) |
//! | 229 reply | [`parse_epsv`] | `|||port|` (delimiters included, no parentheses) |
//! | LPRT argument | [`parse_lprt`] | `af,hal,h1,...,pal,p1,p2` |
//! | 228 reply | [`parse_lpsv`] | `af,hal,h1,...,pal,p1,p2` (no parentheses) |
//!
//! The parsers are hand-written byte scanners: no regex, no heap allocation, no panic on any input. Every value
//! they return is owned (`'static`), so there is no separate owned form.
//!
//! # What is refused
//! Every number field is 1-3 ASCII digits (zero padding is read as decimal, never octal) and at most 255; the port
//! is 1-65535. Refused, with an error naming the field: a field over 255, more than 3 digits (`1192,...` is not
//! re-read as `192,...`), too few or too many fields, empty fields, blanks inside the tuple, signs, non-ASCII digits,
//! a dotted address in a 227, port 0, numbers that would overflow, and a tuple glued to other digits.
//!
//! # Modes
//! [`Mode::Tolerant`] (the default) follows RFC 1123 §4.1.2.6: the six numbers of a 227 are found wherever the
//! server put them (in parentheses, after `=`, bare, with prose around). [`Mode::Strict`] is for a server judging a
//! client, or a client that wants the exact RFC form: a PORT/LPRT argument is exactly the tuple, and a 227/228
//! reply carries it in parentheses.
//!
//! # Decisions where the RFCs and peers differ
//! - A reply is judged by its final line: its code must be the parser's (else [`HostPortError::WrongReply`]) and
//!   the tuple is read there only; numbers on earlier lines of a multi-line reply are ignored.
//! - Tolerant 227/228: candidates are tried in text order (after `(`, after `=`, or a bare number run) and the
//!   first well-formed one wins. A bare run glued to a digit, `,`, `.`, a sign or a non-ASCII byte before it is no
//!   candidate, and a tuple followed by `,<digit>` or `.<digit>` is refused. When nothing parses, the error is the
//!   one of the candidate that got furthest.
//! - EPRT/EPSV delimiters: RFC 2428 allows any of 33-126; like wireshark, ftpkit also refuses `.`, `:` and hex
//!   letters (they collide with addresses), for EPSV too. A 229 tuple after `(` must be closed by `)`; a 229 with
//!   no usable parenthesised tuple is searched for a bare `<d><d><d>port<d>`.
//! - EPRT af 1 refuses leading zeros in the dotted quad (octal ambiguity, CVE-2021-29921); PORT/PASV/LPRT fields
//!   may be zero-padded up to 3 digits (RFC 959 numbers are decimal).
//! - IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) stay IPv6 when parsed (EPRT af 2, LPRT af 6) and formatted:
//!   ftpkit reports what the peer sent. IPv6 zone ids are refused when parsed and not written when formatted.
//! - [`parse_eprt`] and [`parse_lprt`] take no mode and read exactly the tuple (no blanks or line end around it);
//!   [`parse_port`] in tolerant mode trims blanks and line ends around the argument.
//!
//! # Formatting
//! [`PortArg`], [`EprtArg`], [`LprtArg`], [`PasvText`], [`EpsvText`] and [`LpsvText`] format the canonical forms;
//! each parser reads back what they write (for every port but 0, which the parsers refuse).
//!
//! # Where things are
//! One file per grammar ([`port`](self) for PORT/227, `eprt` for EPRT/229, `lprt` for LPRT/228), the shared types
//! (`span`: [`Mode`], [`Parsed`], [`rewrite`]) and errors (`error`), the shared byte readers (`read`) and the fast
//! paths that read well-formed input in one pass (`fast`). Every public item is re-exported here: the paths are
//! `ftpkit_proto::hostport::*`.
mod eprt;
mod error;
mod fast;
mod lprt;
mod port;
mod read;
mod span;
#[cfg(test)]
mod tests;

pub use eprt::{parse_eprt, parse_epsv, Eprt, EprtArg, Epsv, EpsvText};
pub use error::{Field, HostPortError, Problem};
pub use lprt::{parse_lprt, parse_lpsv, LprtArg, LpsvText};
pub use port::{parse_pasv, parse_port, rewrite_pasv, PasvText, PortArg};
pub use span::{rewrite, Mode, Parsed};

pub(crate) use eprt::{parse_eprt_general, parse_epsv_general};
pub(crate) use fast::{eprt_v4_fast_addr, port_fast_addr};
pub(crate) use port::parse_pasv_general;
