//! z/OS (MVS) `LIST` lines: the data set list of a high-level qualifier and the member list of a partitioned
//! data set (PDS).
//!
//! ```text
//! Volume Unit    Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname
//! SAVE00 3390   2004/06/23  1    1  FB     128  6144  PS    INCOMING.RPTBM023.D061704
//! SAVE01 3390   2004/06/23  1    1  FB     128  6144  PO    INCOMING.RPTBM024.D061704
//! Migrated                                                  HLQ.OLD.DATA
//! Pseudo Directory                                          HLQ.SUB
//!
//!  Name     VV.MM   Created       Changed      Size  Init   Mod   Id
//! TBSHELF   01.03 2002/09/12 2002/10/11 09:37    11    11     0 KIL001
//! ```
//!
//! A data set line: volume, unit, last-referred date (`YYYY/MM/DD`, taken as the modification date), extents,
//! tracks used, record format, record length, block size, organisation, name. `PS` (sequential) is a file; `PO`
//! and `PO-E` (partitioned: it has members) and `Pseudo Directory` lines are directories; a `Migrated` data set is
//! a file with nothing else known; other organisations (`VS`, `DA`) are [`EntryKind::Other`]. The size is not
//! listed in bytes, so it is `None`. A member line: name, version, created date, changed date and time (the
//! modification time), size in records (not bytes: `size` is `None`), initial and modified record counts, user
//! id; a member line may hold the name only. Header lines are [`Unparsed`](super::ListLine).

use std::borrow::Cow;

use super::fields::{clock, columns, number, words};
use super::{DateTime, Entry, EntryKind, ListFormat};

fn ymd(s: &str) -> Option<(u16, u8, u8)> {
    let mut p = s.split('/');
    let y = p.next().filter(|y| y.len() == 4).and_then(number)?;
    let m = p.next().filter(|m| m.len() == 2).and_then(number)?;
    let d = p.next().filter(|d| d.len() == 2).and_then(number)?;
    if p.next().is_some() {
        return None;
    }
    super::Date::new(y, m, d).ok().map(|_| (y, m, d))
}

/// A data set name or member name: no blanks, not empty.
fn single_name(rest: &str) -> Option<&str> {
    let name = rest.trim_end();
    (!name.is_empty() && !name.contains([' ', '\t'])).then_some(name)
}

fn entry<'a>(line: &'a str, name: &'a str, kind: EntryKind<'a>, modified: Option<DateTime>) -> Entry<'a> {
    let mut e = Entry::new(name, kind, ListFormat::Mvs);
    e.modified = modified;
    e.raw = Cow::Borrowed(line);
    e
}

/// A line with two or more columns (what the detector counts).
pub(super) fn parse(line: &str) -> Option<Entry<'_>> {
    if let Some(rest) = line.strip_prefix("Migrated") {
        let name = single_name(rest.trim_start()).filter(|_| rest.starts_with([' ', '\t']))?;
        return Some(entry(line, name, EntryKind::File, None));
    }
    if let Some(rest) = line.strip_prefix("Pseudo Directory") {
        let name = single_name(rest.trim_start()).filter(|_| rest.starts_with([' ', '\t']))?;
        return Some(entry(line, name, EntryKind::Dir, None));
    }
    if let Some(e) = dataset(line) {
        return Some(e);
    }
    // Member line: NAME VV.MM CREATED CHANGED HH:MM SIZE INIT MOD ID.
    let ([name, vvmm, created, changed, time, size, init, modn], rest) = columns::<8>(line)?;
    let (vv, mm) = vvmm.split_once('.')?;
    number::<u16>(vv)?;
    number::<u16>(mm)?;
    ymd(created)?;
    let (y, m, d) = ymd(changed)?;
    let (h, mi, s) = clock(time)?;
    number::<u64>(size)?;
    number::<u64>(init)?;
    number::<u64>(modn)?;
    single_name(rest)?;
    Some(entry(line, name, EntryKind::File, DateTime::new(y, m, d, h, mi, s, 0).ok()))
}

/// A data set line: VOLUME UNIT REFERRED EXT USED RECFM LRECL BLKSZ DSORG DSNAME.
fn dataset(line: &str) -> Option<Entry<'_>> {
    let ([_volume, _unit, referred, ext, used, recfm, lrecl, blksz, dsorg], rest) = columns::<9>(line)?;
    let (y, m, d) = ymd(referred)?;
    number::<u32>(ext)?;
    number::<u32>(used)?;
    number::<u32>(lrecl)?;
    number::<u32>(blksz)?;
    let upper = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase() || b == b'-');
    if !upper(recfm) || !upper(dsorg) {
        return None;
    }
    let name = single_name(rest)?;
    let kind = match dsorg {
        "PS" => EntryKind::File,
        "PO" | "PO-E" => EntryKind::Dir,
        other => EntryKind::Other(Cow::Borrowed(other)),
    };
    let modified = super::Date::new(y, m, d).ok().map(|d| d.at_midnight());
    Some(entry(line, name, kind, modified))
}

/// In a listing already known to be MVS: also a member line holding only a name.
pub(super) fn parse_in_listing(line: &str) -> Option<Entry<'_>> {
    if let Some(e) = parse(line) {
        return Some(e);
    }
    let mut w = words(line);
    let name = w.next()?;
    if w.next().is_some() || line.starts_with([' ', '\t']) {
        return None;
    }
    Some(entry(line, name, EntryKind::File, None))
}
