//! EPLF, the Easily Parsed LIST Format (D. J. Bernstein, <https://cr.yp.to/ftp/list/eplf.html>).
//!
//! ```text
//! +i8388621.48594,m825718503,r,s280,<TAB>djb.html
//! +i8388621.50690,m824255907,/,<TAB>514
//! ```
//!
//! A `+`, facts separated by `,`, a TAB, then the name. Facts read: `r` (a file one may RETR), `/` (a directory one
//! may CWD into), `s<bytes>`, `m<seconds since 1970, UTC>`, `up<octal mode>`; others (`i<id>`) are skipped. A line
//! whose `s`, `m` or `up` value is not a number is refused.

use std::borrow::Cow;

use super::fields::number;
use super::{DateTime, Entry, EntryKind, ListFormat};

pub(super) fn parse(line: &str) -> Option<Entry<'_>> {
    let (facts, name) = line.strip_prefix('+')?.split_once('\t')?;
    if name.is_empty() {
        return None;
    }
    let (mut dir, mut file, mut size, mut modified, mut mode) = (false, false, None, None, None);
    for fact in facts.split(',').filter(|f| !f.is_empty()) {
        match fact.as_bytes()[0] {
            b'/' => dir = true,
            b'r' => file = true,
            b's' => size = Some(number::<u64>(&fact[1..])?),
            b'm' => modified = Some(DateTime::from_unix(number::<i64>(&fact[1..])?, 0)?),
            b'u' if fact.starts_with("up") => {
                mode = Some(u32::from_str_radix(&fact[2..], 8).ok().filter(|m| *m <= 0o7777 && fact.len() > 2)?)
            }
            _ => {}
        }
    }
    let kind = match (dir, file, name) {
        (true, _, ".") => EntryKind::CurrentDir,
        (true, _, "..") => EntryKind::ParentDir,
        (true, _, _) => EntryKind::Dir,
        (false, true, _) => EntryKind::File,
        (false, false, _) => EntryKind::Unknown,
    };
    let mut e = Entry::new(name, kind, ListFormat::Eplf);
    e.size = size;
    e.modified = modified;
    e.unix_mode = mode;
    e.raw = Cow::Borrowed(line);
    Some(e)
}
