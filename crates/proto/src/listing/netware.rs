//! Novell NetWare `LIST` lines.
//!
//! ```text
//! d [RWCEAFMS] rwinston                          512 Nov 24  2005 Favorites
//! - [R-CEAFMS] rwinston                        19968 Mar 12 15:20 Document name with spaces.doc
//! ```
//!
//! `d` (directory) or `-` (file), the trustee rights in brackets (kept as [`Entry::permissions`]), owner, size,
//! an `ls -l` date (`Mon DD HH:MM`, year by the rule in the [module docs](super), or `Mon DD YYYY`), name.

use std::borrow::Cow;

use super::fields::{columns, number};
use super::unix::{month_of, parse_time};
use super::{Date, Entry, EntryKind, ListFormat};

pub(super) fn parse(line: &str, reference: Date) -> Option<Entry<'_>> {
    let ([kind, rights, owner, size, month, day, time], name) = columns::<7>(line)?;
    let kind = match kind {
        "d" => EntryKind::Dir,
        "-" => EntryKind::File,
        _ => return None,
    };
    let rights = rights.strip_prefix('[')?.strip_suffix(']')?;
    if rights.len() != 8 || !rights.bytes().all(|b| b == b'-' || b.is_ascii_uppercase()) {
        return None;
    }
    let size = number::<u64>(size)?;
    let modified = parse_time(month_of(month)?, day, time, reference)?;
    if name.is_empty() {
        return None;
    }
    let kind = match (kind, name) {
        (EntryKind::Dir, ".") => EntryKind::CurrentDir,
        (EntryKind::Dir, "..") => EntryKind::ParentDir,
        (k, _) => k,
    };
    let mut e = Entry::new(name, kind, ListFormat::NetWare);
    e.size = Some(size);
    e.modified = Some(modified);
    e.owner = Some(Cow::Borrowed(owner));
    e.permissions = Some(Cow::Borrowed(rights));
    e.raw = Cow::Borrowed(line);
    Some(e)
}
