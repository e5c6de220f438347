//! OS/2 `LIST` lines (IBM TCP/IP for OS/2).
//!
//! ```text
//!      0           DIR   05-12-97   16:52  Maintenance Desktop
//!  33280      A          02-09-97   13:49  OS2LDR
//! 587823    RSA    DIR   01-08-97   13:58  OS2KRNL
//! ```
//!
//! Size, up to two attribute columns (upper-case letters: `A`, `R`, `S`, `H`, `RSA`...; `DIR` marks a directory),
//! `MM-DD-YY` or `MM-DD-YYYY` (two-digit years by the POSIX pivot), `HH:MM`, name. Directories list size 0, kept.

use std::borrow::Cow;

use super::fields::{clock, columns, number};
use super::{DateTime, Entry, EntryKind, ListFormat};

pub(super) fn parse(line: &str) -> Option<Entry<'_>> {
    let ([size], mut rest) = columns::<1>(line)?;
    let size = number::<u64>(size)?;
    let mut dir = false;
    // Attribute columns, then the date.
    let mut date = None;
    for _ in 0..3 {
        let ([word], after) = columns::<1>(rest)?;
        rest = after;
        if word.bytes().all(|b| b.is_ascii_uppercase()) {
            dir |= word == "DIR";
            continue;
        }
        date = Some(word);
        break;
    }
    let date = date?;
    let (_, (y, m, d)) = super::dos::date(date).ok().filter(|(left, _)| left.is_empty())?;
    let ([time], name) = columns::<1>(rest)?;
    let (h, mi, s) = clock(time).filter(|_| time.len() == 5)?;
    if name.is_empty() {
        return None;
    }
    let modified = DateTime::new(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?, h, mi, s, 0).ok()?;
    let kind = match (dir, name) {
        (true, ".") => EntryKind::CurrentDir,
        (true, "..") => EntryKind::ParentDir,
        (true, _) => EntryKind::Dir,
        (false, _) => EntryKind::File,
    };
    let mut e = Entry::new(name, kind, ListFormat::Os2);
    e.size = Some(size);
    e.modified = Some(modified);
    e.raw = Cow::Borrowed(line);
    Some(e)
}
