//! OpenVMS `DIRECTORY/FULL`-style `LIST` lines (the VMS FTP servers of TCPware, MultiNet and UCX/TCP/IP Services).
//!
//! ```text
//! Directory USER1:[TEMP]
//!
//! 1-JUN.LIS;1              9/9           2-JUN-1998 07:32:04  [GROUP,OWNER]    (RWED,RWED,RWED,RE)
//! DATA.DIR;1               1/9           2-JUN-1998 07:32:04  [TRANSLATED]     (,RWED,RWED,RE)
//!
//! Total 2 files
//! ```
//!
//! `NAME.TYPE;VERSION`, blocks used (`/allocated`), `D-MON-YYYY`, `HH:MM[:SS[.cc]]`, `[GROUP,OWNER]` or `[OWNER]`,
//! `(SYSTEM,OWNER,GROUP,WORLD)` rights. The name is given without its `;version`; a `.DIR` name is a directory.
//! The size is the blocks used times 512 (VMS lists blocks, not bytes: an upper bound of the byte count). A long
//! name may stand alone on its line with the columns on the next: that next line is read with the name before it
//! (see [`parse_listing_as`](super::parse_listing_as)); the header and `Total` lines are [`Unparsed`](super::ListLine).

use std::borrow::Cow;

use super::fields::{clock, columns, number};
use super::unix::month_of;
use super::{Date, DateTime, Entry, EntryKind, ListFormat};

/// `NAME.TYPE;VERSION` → `NAME.TYPE`, when the version is a number.
pub(super) fn versioned_name(tok: &str) -> Option<&str> {
    let (name, version) = tok.rsplit_once(';')?;
    number::<u32>(version)?;
    (!name.is_empty()).then_some(name)
}

/// A whole line: name and columns.
pub(super) fn parse(line: &str) -> Option<Entry<'_>> {
    let ([name], rest) = columns::<1>(line)?;
    let name = versioned_name(name)?;
    parse_columns(line, rest, name)
}

/// The columns after the name (`rest`), for the entry called `name`; `line` is the raw line kept in the entry.
pub(super) fn parse_columns<'a>(line: &'a str, rest: &'a str, name: &'a str) -> Option<Entry<'a>> {
    let ([blocks, date, time], rest) = columns::<3>(rest)?;
    let used = blocks.split_once('/').map_or(blocks, |(u, a)| if number::<u64>(a).is_some() { u } else { "" });
    let size = number::<u64>(used)?.checked_mul(512)?;
    let mut d = date.splitn(3, '-');
    let day: u8 = d.next().filter(|s| (1..=2).contains(&s.len())).and_then(number)?;
    let month = d.next().and_then(month_of)?;
    let year: u16 = d.next().filter(|s| s.len() == 4).and_then(number)?;
    let (h, mi, s) = clock(time)?;
    let modified = DateTime::new(year, month, day, h, mi, s, 0).ok()?;
    Date::new(year, month, day).ok()?;
    // Owner and rights: `[...]` (the `]` may be missing when a long owner fills the column) then `(...)`.
    let rest = rest.trim_end();
    let (owner_part, perms) = match rest.rfind('(') {
        Some(i) if rest.ends_with(')') => (rest[..i].trim_end(), Some(&rest[i + 1..rest.len() - 1])),
        _ => (rest, None),
    };
    let owner_part = owner_part.strip_prefix('[')?;
    let owner_part = owner_part.strip_suffix(']').unwrap_or(owner_part).trim();
    if owner_part.contains(['[', ']', '(', ')']) {
        return None;
    }
    let (group, owner) = match owner_part.split_once(',') {
        Some((g, o)) => (Some(g), o),
        None => (None, owner_part),
    };
    let suffix = name.len().checked_sub(4).and_then(|i| name.get(i..));
    let kind = if name.len() > 4 && suffix.is_some_and(|s| s.eq_ignore_ascii_case(".DIR")) {
        EntryKind::Dir
    } else {
        EntryKind::File
    };
    let mut e = Entry::new(name, kind, ListFormat::Vms);
    e.size = Some(size);
    e.modified = Some(modified);
    e.owner = (!owner.is_empty()).then_some(Cow::Borrowed(owner));
    e.group = group.filter(|g| !g.is_empty()).map(Cow::Borrowed);
    e.permissions = perms.map(Cow::Borrowed);
    e.raw = Cow::Borrowed(line);
    Some(e)
}
