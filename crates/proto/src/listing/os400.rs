//! OS/400 (IBM i, AS/400) `LIST` lines in the server's native form (`LISTFMT 0`).
//!
//! ```text
//! PEP              4019 04/03/18 18:58:16 *STMF      einladung.zip
//! PEP             36864 04/03/24 14:06:34 *DIR       dir1/
//! QSYS                                    *MEM       MYFILE.FILE/MYMEM.MBR
//! ```
//!
//! Owner, size, date, time, object type (`*STMF`, `*DIR`, `*FILE`, `*MEM`, `*LIB`...), name. Members (`*MEM`)
//! carry no size or date. The date is `YY/MM/DD` (the server default), read as `MM/DD/YY` when that is the only
//! valid reading; two-digit years follow the POSIX pivot. A trailing `/` (directories) is not part of the name.
//! `*DIR`, `*LIB` and `*FLR` are directories; `*STMF`, `*FILE`, `*MEM` and `*DOC` files; other types
//! [`EntryKind::Other`] with the type as sent.

use std::borrow::Cow;

use super::fields::{clock, columns, number, pivot_year};
use super::{DateTime, Entry, EntryKind, ListFormat};

fn date(s: &str) -> Option<(u16, u8, u8)> {
    let mut p = s.split('/');
    let (a, b, c) = (p.next()?, p.next()?, p.next()?);
    if p.next().is_some() || a.len() != 2 || b.len() != 2 || c.len() != 2 {
        return None;
    }
    let (a, b, c): (u16, u8, u8) = (number(a)?, number(b)?, number(c)?);
    let ymd = (pivot_year(a), b, c);
    if super::Date::new(ymd.0, ymd.1, ymd.2).is_ok() {
        return Some(ymd);
    }
    // MM/DD/YY.
    let (m, d, y) = (u8::try_from(a).ok()?, b, pivot_year(u16::from(c)));
    super::Date::new(y, m, d).ok().map(|_| (y, m, d))
}

pub(super) fn parse(line: &str) -> Option<Entry<'_>> {
    let ([owner], rest) = columns::<1>(line)?;
    let (size, modified, rest) = if rest.starts_with('*') {
        (None, None, rest)
    } else {
        let ([size, d, t], rest) = columns::<3>(rest)?;
        let (y, mo, da) = date(d)?;
        let (h, mi, s) = clock(t).filter(|_| t.len() == 8)?;
        (Some(number::<u64>(size)?), Some(DateTime::new(y, mo, da, h, mi, s, 0).ok()?), rest)
    };
    let ([kind], name) = columns::<1>(rest)?;
    let object = kind.strip_prefix('*').filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_uppercase()))?;
    let name = name.trim_end();
    let name = name.strip_suffix('/').unwrap_or(name);
    if name.is_empty() {
        return None;
    }
    let kind = match object {
        "DIR" | "LIB" | "FLR" => EntryKind::Dir,
        "STMF" | "FILE" | "MEM" | "DOC" => EntryKind::File,
        _ => EntryKind::Other(Cow::Borrowed(kind)),
    };
    let mut e = Entry::new(name, kind, ListFormat::Os400);
    e.size = size;
    e.modified = modified;
    e.owner = Some(Cow::Borrowed(owner));
    e.raw = Cow::Borrowed(line);
    Some(e)
}
