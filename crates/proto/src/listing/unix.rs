//! `ls -l` style `LIST` lines.
//!
//! ```text
//! drwxr-x---+  3 owner  group name   4096 Jul 27 01:45 name with  spaces
//! lrwxrwxrwx   1 root   root            7 Jan 25  2020 bin -> usr/bin
//! crw-r-----   1 root   kmem        0, 27 Jan 30 11:42 kmem
//! ```
//!
//! The mode string (type letter and nine permission letters, then an optional ACL / extended-attribute marker `+`,
//! `@` or `.`, sometimes glued to the link count) is read first. Then the line is scanned for the first place where
//! a size (or a device's `major, minor`) is followed by a month name, a day and a time or year, with at least one
//! column (link count or owner) between the mode string and the size. What stands between is link count, owner and
//! group (the group may hold spaces or be missing); what follows the time or year and ONE space is the name, with
//! its own spaces kept.

use std::borrow::Cow;

use super::{check_no_control, Date, DateTime, Entry, EntryKind, ListError, ListFormat};

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The month number of a three-letter English month name (any case).
pub(super) fn month_of(tok: &str) -> Option<u8> {
    MONTHS.iter().position(|m| m.eq_ignore_ascii_case(tok)).and_then(|i| u8::try_from(i + 1).ok())
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn small_number(s: &str, min_len: usize, max_len: usize) -> Option<u8> {
    if s.len() < min_len || s.len() > max_len || !all_digits(s) {
        return None;
    }
    s.parse().ok()
}

/// Space-separated tokens of `s` from a byte offset, with their start offsets.
#[derive(Clone)]
struct Tokens<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.s.get(self.pos..)?;
        let skipped = rest.len() - rest.trim_start_matches(' ').len();
        let start = self.pos + skipped;
        let tail = self.s.get(start..)?;
        if tail.is_empty() {
            self.pos = self.s.len();
            return None;
        }
        let len = tail.find(' ').unwrap_or(tail.len());
        self.pos = start + len;
        Some((start, tail.get(..len)?))
    }
}

/// Permission bits of the nine letters after the type letter, or `None` when a letter is not a Unix one.
fn mode_bits(perm: &[u8]) -> Option<u32> {
    let [ur, uw, ux, gr, gw, gx, or, ow, ox] = <[u8; 9]>::try_from(perm).ok()?;
    let rw = |c: u8, want: u8, bit: u32| match c {
        b'-' => Some(0),
        c if c == want => Some(bit),
        _ => None,
    };
    let mut mode = rw(ur, b'r', 0o400)? | rw(uw, b'w', 0o200)?;
    mode |= rw(gr, b'r', 0o040)? | rw(gw, b'w', 0o020)?;
    mode |= rw(or, b'r', 0o004)? | rw(ow, b'w', 0o002)?;
    mode |= match ux {
        b'-' => 0,
        b'x' => 0o100,
        b's' => 0o4100,
        b'S' => 0o4000,
        _ => return None,
    };
    mode |= match gx {
        b'-' => 0,
        b'x' => 0o010,
        b's' => 0o2010,
        b'S' | b'l' | b'L' => 0o2000,
        _ => return None,
    };
    mode |= match ox {
        b'-' => 0,
        b'x' => 0o001,
        b't' => 0o1001,
        b'T' => 0o1000,
        _ => return None,
    };
    Some(mode)
}

/// The year of a `Mon DD HH:MM` date: the latest year in which the date exists and is no more than one day after
/// `reference` (see the module docs of `listing`).
pub(super) fn infer_year(month: u8, day: u8, reference: Date) -> Option<u16> {
    let limit = reference.next_day().unwrap_or(reference);
    let mut year = limit.year();
    // Nine tries reach back past the longest gap between two 29 Februaries (eight years, around 1900 or 2100).
    for _ in 0..9 {
        if let Ok(date) = Date::new(year, month, day) {
            if date <= limit {
                return Some(year);
            }
        }
        year = year.checked_sub(1)?;
    }
    None
}

/// The date-time of `Mon DD HH:MM` or `Mon DD YYYY`.
pub(super) fn parse_time(month: u8, day: &str, time: &str, reference: Date) -> Option<DateTime> {
    let day = small_number(day, 1, 2)?;
    if let Some((h, m)) = time.split_once(':') {
        let (m, s) = match m.split_once(':') {
            Some((m, s)) => (m, small_number(s, 2, 2)?),
            None => (m, 0),
        };
        let hour = small_number(h, 1, 2)?;
        let minute = small_number(m, 2, 2)?;
        let year = infer_year(month, day, reference)?;
        DateTime::new(year, month, day, hour, minute, s, 0).ok()
    } else if time.len() == 4 && all_digits(time) {
        let year: u16 = time.parse().ok()?;
        Some(Date::new(year, month, day).ok()?.at_midnight())
    } else {
        None
    }
}

/// Where the middle columns (links, owner, group) end and what the size is, given the two tokens before the month.
fn size_column(device: bool, before: Option<(usize, &str)>, size: (usize, &str)) -> Option<(usize, Option<u64>)> {
    let (size_start, size_tok) = size;
    if !device {
        return if all_digits(size_tok) { Some((size_start, Some(size_tok.parse().ok()?))) } else { None };
    }
    // A device shows `major, minor` (or `major,minor`) where the size would be; its size is None.
    if let Some((major, minor)) = size_tok.split_once(',') {
        return (all_digits(major) && (minor.is_empty() || all_digits(minor))).then_some((size_start, None));
    }
    if !all_digits(size_tok) {
        return None;
    }
    match before {
        Some((start, tok)) if tok.strip_suffix(',').is_some_and(all_digits) => Some((start, None)),
        _ => Some((size_start, None)),
    }
}

pub(super) fn parse(line: &str, reference: Date) -> Option<Entry<'_>> {
    let b = line.as_bytes();
    let type_char = *b.first()?;
    if !b"-dlcbpsD".contains(&type_char) {
        return None;
    }
    let unix_mode = mode_bits(b.get(1..10)?)?;
    let permissions = line.get(..10)?;
    let mut pos = 10;
    if matches!(b.get(pos), Some(b'+' | b'@' | b'.')) {
        pos += 1;
    }
    let glued_start = pos;
    while b.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    let glued_links = line.get(glued_start..pos).filter(|s| !s.is_empty());
    if b.get(pos) != Some(&b' ') {
        return None;
    }
    let device = matches!(type_char, b'c' | b'b');

    let mut it = Tokens { s: line, pos };
    let mut prev: [Option<(usize, &str)>; 2] = [None, None];
    while let Some((start, tok)) = it.next() {
        let found = month_of(tok).and_then(|month| {
            let size = prev[1]?;
            let (middle_end, size) = size_column(device, prev[0], size)?;
            let middle = line.get(pos..middle_end)?.trim_matches(' ');
            if middle.is_empty() && glued_links.is_none() {
                return None;
            }
            let mut look = it.clone();
            let (_, day) = look.next()?;
            let (time_start, time) = look.next()?;
            let name_start = time_start + time.len() + 1;
            if b.get(name_start - 1) != Some(&b' ') {
                return None;
            }
            let name = line.get(name_start..).filter(|n| !n.is_empty())?;
            let modified = parse_time(month, day, time, reference)?;
            Some((middle, size, modified, name))
        });
        if let Some((middle, size, modified, name)) = found {
            return Some(build(line, type_char, permissions, unix_mode, glued_links, middle, size, modified, name));
        }
        prev = [prev[1], Some((start, tok))];
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn build<'a>(
    line: &'a str,
    type_char: u8,
    permissions: &'a str,
    unix_mode: u32,
    glued_links: Option<&'a str>,
    middle: &'a str,
    size: Option<u64>,
    modified: DateTime,
    name: &'a str,
) -> Entry<'a> {
    let mut cols = Tokens { s: middle, pos: 0 };
    let mut links = glued_links.and_then(|l| l.parse().ok());
    let mut owner = None;
    let mut group = None;
    let first = cols.next();
    let owner_tok = match first {
        Some((_, t)) if glued_links.is_none() && all_digits(t) => {
            links = t.parse().ok();
            cols.next()
        }
        other => other,
    };
    if let Some((_, o)) = owner_tok {
        owner = Some(Cow::Borrowed(o));
        if let Some((g_start, _)) = cols.next() {
            group = middle.get(g_start..).map(Cow::Borrowed);
        }
    }
    let (name, link_target) = match (type_char, name.split_once(" -> ")) {
        // A link whose name part is empty (`... 2024  -> t`): the whole text is the name, never an empty one.
        (b'l', Some((n, t))) if !n.is_empty() => (n, Some(Cow::Borrowed(t))),
        _ => (name, None),
    };
    let kind = match (type_char, name) {
        (b'd', ".") => EntryKind::CurrentDir,
        (b'd', "..") => EntryKind::ParentDir,
        (b'd', _) => EntryKind::Dir,
        (b'-', _) => EntryKind::File,
        (b'l', _) => EntryKind::Symlink,
        (b'c' | b'b', _) => EntryKind::Device,
        _ => EntryKind::Other(Cow::Borrowed(line.get(..1).unwrap_or(""))),
    };
    Entry {
        name: Cow::Borrowed(name),
        kind,
        size,
        modified: Some(modified),
        created: None,
        link_target,
        permissions: Some(Cow::Borrowed(permissions)),
        unix_mode: Some(unix_mode),
        links,
        owner,
        group,
        format: ListFormat::Unix,
        raw: Cow::Borrowed(line),
    }
}

fn mode_string(type_char: char, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(type_char);
    let bit = |b: u32| mode & b != 0;
    let triad = |s: &mut String, r: u32, w: u32, x: u32, special: u32, on: char, off: char| {
        s.push(if bit(r) { 'r' } else { '-' });
        s.push(if bit(w) { 'w' } else { '-' });
        s.push(match (bit(x), bit(special)) {
            (true, true) => on,
            (false, true) => off,
            (true, false) => 'x',
            (false, false) => '-',
        });
    };
    triad(&mut s, 0o400, 0o200, 0o100, 0o4000, 's', 'S');
    triad(&mut s, 0o040, 0o020, 0o010, 0o2000, 's', 'S');
    triad(&mut s, 0o004, 0o002, 0o001, 0o1000, 't', 'T');
    s
}

fn check_column(value: &str, field: &'static str) -> Result<(), ListError> {
    check_no_control(value, field)?;
    if value.is_empty() {
        return Err(ListError::Unwritable { field, reason: "empty" });
    }
    if value.contains(' ') {
        return Err(ListError::Unwritable { field, reason: "holds a space" });
    }
    if month_of(value).is_some() {
        return Err(ListError::Unwritable { field, reason: "is a month name, which would be read as the date" });
    }
    Ok(())
}

/// Writes an `ls -l` style `LIST` line (no line end) that [`parse_list_line`](super::parse_list_line) reads back.
///
/// Uses `kind` (File `-`, Dir / CurrentDir / ParentDir `d`, Symlink `l`), `unix_mode` (permission bits; default
/// 0644 for files, 0755 for directories, 0777 for links), `links` (default 1), `owner` and `group` (default `ftp`),
/// `size` (default 0), `modified` (required), `name` and, for a symlink, `link_target`. The date is written as
/// `Mon DD HH:MM` when it lies within the 183 days up to one day after `reference` (so the year rule of the
/// [module docs](super) gives the year back) and as `Mon DD  YYYY` otherwise, as `ls` does.
///
/// ```
/// use ftpkit_proto::listing::{format_unix_list_line, Date, DateTime, Entry, EntryKind, ListFormat};
/// let mut e = Entry::new("big.bin", EntryKind::File, ListFormat::Unix);
/// e.size = Some(1048576);
/// e.modified = Some(DateTime::new(2024, 2, 29, 23, 59, 0, 0).unwrap());
/// let line = format_unix_list_line(&e, Date::new(2026, 11, 24).unwrap()).unwrap();
/// assert_eq!(line, "-rw-r--r--    1 ftp      ftp       1048576 Feb 29  2024 big.bin");
/// ```
///
/// # Errors
/// [`ListError::UnsupportedKind`] for devices and other kinds; [`ListError::Missing`] without `modified`;
/// [`ListError::ControlCharacter`] for a control character in any text; [`ListError::Unwritable`] for an empty name,
/// an owner or group that is empty, holds a space or is a month name, a symlink name holding ` -> `, or a year the
/// form cannot hold.
pub fn format_unix_list_line(entry: &Entry<'_>, reference: Date) -> Result<String, ListError> {
    let (type_char, default_mode) = match entry.kind {
        EntryKind::File => ('-', 0o644),
        EntryKind::Dir | EntryKind::CurrentDir | EntryKind::ParentDir => ('d', 0o755),
        EntryKind::Symlink => ('l', 0o777),
        _ => return Err(ListError::UnsupportedKind { format: "unix" }),
    };
    let name = entry.name.as_ref();
    check_no_control(name, "name")?;
    if name.is_empty() {
        return Err(ListError::Unwritable { field: "name", reason: "empty" });
    }
    let owner = entry.owner.as_deref().unwrap_or("ftp");
    let group = entry.group.as_deref().unwrap_or("ftp");
    check_column(owner, "owner")?;
    check_column(group, "group")?;
    let modified = entry.modified.ok_or(ListError::Missing { field: "modified" })?;
    let mut target = String::new();
    if type_char == 'l' {
        if name.contains(" -> ") {
            return Err(ListError::Unwritable { field: "name", reason: "a symlink name holding ' -> '" });
        }
        if let Some(t) = entry.link_target.as_deref() {
            check_no_control(t, "link_target")?;
            target = format!(" -> {t}");
        }
    }
    let limit = reference.next_day().unwrap_or(reference);
    let age = limit.day_number() - modified.date().day_number();
    let month = MONTHS.get(usize::from(modified.month()).saturating_sub(1)).copied().unwrap_or("Jan");
    let when = if (0..183).contains(&age) {
        format!("{:02}:{:02}", modified.hour(), modified.minute())
    } else if modified.year() >= 1000 {
        format!("{:>5}", modified.year())
    } else {
        return Err(ListError::Unwritable { field: "modified", reason: "year before 1000 needs 4 digits" });
    };
    Ok(format!(
        "{} {:>4} {:<8} {:<8} {:>8} {} {:>2} {} {}{}",
        mode_string(type_char, entry.unix_mode.unwrap_or(default_mode)),
        entry.links.unwrap_or(1),
        owner,
        group,
        entry.size.unwrap_or(0),
        month,
        modified.day(),
        when,
        name,
        target
    ))
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // the test tables spell out their row types
mod tests {
    use super::*;
    use crate::listing::{parse_list_line, ListLine};

    fn reference() -> Date {
        Date::new(2026, 11, 24).unwrap()
    }

    fn entry(line: &str) -> Entry<'_> {
        match parse_list_line(line, reference()) {
            ListLine::Entry(e) => e,
            ListLine::Unparsed(_) => panic!("unparsed: {line:?}"),
        }
    }

    #[test]
    fn columns_table() {
        // line, name, size, links, owner, group
        type Row<'a> = (&'a str, &'a str, Option<u64>, Option<u64>, Option<&'a str>, Option<&'a str>);
        let rows: &[Row<'_>] = &[
            (
                "drwx------   3 slacker    users         104 Jul 27 01:45 public_html",
                "public_html",
                Some(104),
                Some(3),
                Some("slacker"),
                Some("users"),
            ),
            (
                "drwx------ 4 maxm Domain Users 512 Oct 2 10:59 .metadata",
                ".metadata",
                Some(512),
                Some(4),
                Some("maxm"),
                Some("Domain Users"),
            ),
            (
                "drwxr-x---+1464 chrism   chrism     41472 Feb 25 13:17 20090225",
                "20090225",
                Some(41472),
                Some(1464),
                Some("chrism"),
                Some("chrism"),
            ),
            ("drwxr-xr-x 1 usernameftp 512 Jan 29 23:32 prog", "prog", Some(512), Some(1), Some("usernameftp"), None),
            (
                "-rwxr-xr-x   2 user     my group 500        5000000000 Mar  2 15:13 bigfile",
                "bigfile",
                Some(5_000_000_000),
                Some(2),
                Some("user"),
                Some("my group 500"),
            ),
            ("crw-r----- 1 root kmem 0, 27 Jan 30 11:42 kmem", "kmem", None, Some(1), Some("root"), Some("kmem")),
            ("brw-rw----   1 root disk 8,0 Jan 30 11:42 sda", "sda", None, Some(1), Some("root"), Some("disk")),
            (
                "-rw-r--r--@  1 joe  staff  10 Dec  1  2009 mac file",
                "mac file",
                Some(10),
                Some(1),
                Some("joe"),
                Some("staff"),
            ),
            ("-rw-r--r--.  1 0 0 10 Dec  1  2009 selinux", "selinux", Some(10), Some(1), Some("0"), Some("0")),
            ("-rw-r--r-- owner group 7 Dec  1  2009 nolinks", "nolinks", Some(7), None, Some("owner"), Some("group")),
            (
                "-rw-r--r--   1 a b 1 Jan  1  2020  leading space",
                " leading space",
                Some(1),
                Some(1),
                Some("a"),
                Some("b"),
            ),
            (
                "-rw-r--r--   1 a b 1 Jan  1  2020 Feb 3 2020 in name",
                "Feb 3 2020 in name",
                Some(1),
                Some(1),
                Some("a"),
                Some("b"),
            ),
        ];
        for &(line, name, size, links, owner, group) in rows {
            let e = entry(line);
            assert_eq!(e.name, name, "{line:?}");
            assert_eq!(e.size, size, "{line:?} size");
            assert_eq!(e.links, links, "{line:?} links");
            assert_eq!(e.owner.as_deref(), owner, "{line:?} owner");
            assert_eq!(e.group.as_deref(), group, "{line:?} group");
            assert_eq!(e.format, ListFormat::Unix);
            assert_eq!(e.raw, line);
        }
    }

    #[test]
    fn kinds_and_modes() {
        let rows: &[(&str, EntryKind<'_>, u32, Option<&str>)] = &[
            ("lrwxrwxrwx 1 root other 7 Jan 25 00:17 bin -> usr/bin", EntryKind::Symlink, 0o777, Some("usr/bin")),
            ("-rw-r--r-- 1 a b 7 Jan 25 00:17 a -> b", EntryKind::File, 0o644, None),
            ("drwxr-xr-x 2 a b 7 Jan 25 00:17 .", EntryKind::CurrentDir, 0o755, None),
            ("drwxr-xr-x 2 a b 7 Jan 25 00:17 ..", EntryKind::ParentDir, 0o755, None),
            ("drwxrwxrwt 2 a b 7 Jan 25 00:17 tmp", EntryKind::Dir, 0o1777, None),
            ("-rwsr-sr-T 1 a b 7 Jan 25 00:17 s", EntryKind::File, 0o7754, None),
            ("-rwSr-lr-- 1 a b 7 Jan 25 00:17 S", EntryKind::File, 0o6644, None),
            ("prw-r--r-- 1 a b 0 Jan 25 00:17 fifo", EntryKind::Other("p".into()), 0o644, None),
        ];
        for (line, kind, mode, target) in rows {
            let e = entry(line);
            assert_eq!(&e.kind, kind, "{line:?}");
            assert_eq!(e.unix_mode, Some(*mode), "{line:?}");
            assert_eq!(e.link_target.as_deref(), *target, "{line:?}");
            assert_eq!(e.permissions.as_deref(), line.get(..10), "{line:?}");
        }
    }

    #[test]
    fn year_rule() {
        // reference(): 2026-11-24
        let rows: &[(&str, (u16, u8, u8, u8, u8))] = &[
            ("Nov 24 10:00", (2026, 11, 24, 10, 0)),
            ("Nov 25 10:00", (2026, 11, 25, 10, 0)),
            ("Nov 26 10:00", (2025, 11, 26, 10, 0)),
            ("Jul 27 01:45", (2026, 7, 27, 1, 45)),
            ("Dec 31 23:59", (2025, 12, 31, 23, 59)),
            ("Feb 29 12:00", (2024, 2, 29, 12, 0)),
            ("Mar 14  2023", (2023, 3, 14, 0, 0)),
            ("Feb 29  2024", (2024, 2, 29, 0, 0)),
            ("Jan  5 09:07:33", (2026, 1, 5, 9, 7)),
        ];
        for &(date, (y, mo, d, h, mi)) in rows {
            let line = format!("-rw-r--r-- 1 a b 1 {date} f");
            let e = entry(&line);
            let m = e.modified.unwrap_or_else(|| panic!("{line:?} no time"));
            assert_eq!((m.year(), m.month(), m.day(), m.hour(), m.minute()), (y, mo, d, h, mi), "{line:?}");
        }
        let end = Date::new(2026, 12, 31).unwrap();
        assert_eq!(infer_year(1, 1, end), Some(2027));
        assert_eq!(infer_year(2, 29, Date::new(1904, 2, 27).unwrap()), Some(1896));
        assert_eq!(infer_year(2, 29, Date::new(0, 1, 1).unwrap()), None);
    }

    #[test]
    fn unparsed_table() {
        for line in [
            "",
            "total 20",
            "d [R----F--] supervisor            512       Jan 16 18:53 login",
            "-rw-r--r--   1 root     root       111325 Apr -7 18:79 zx.tar.gz",
            "-rw-r--r--   1 root     root       111325 Apr  7 18:79 zx.tar.gz",
            "-rw-r--r--   1 root     root       111325 Apr  7 24:00 zx.tar.gz",
            "-rw-r--r--   1 root     root       111325 Apr 31 12:00 zx.tar.gz",
            "-rw-r--r--   1 root     root       111325 Feb 29  2023 zx.tar.gz",
            "drwxr-xr-x   2 root     root         4096 Jam  4 00:03 zziplib",
            "-rw-r--r--   1 root     root         4096 Jan  4 00:03 ",
            "-rw-r--r--   1 root     root         4096 Jan  4 00:03",
            "-rwxrwxrwz   1 root     root         4096 Jan  4 00:03 bad-perm",
            "-rw-r--r--   1 root     root         4x96 Jan  4 00:03 bad-size",
            "-rw-r--r-- 4096 Jan  4 00:03 no-owner",
            "-rw-r--r--",
        ] {
            assert!(matches!(parse_list_line(line, reference()), ListLine::Unparsed(ref s) if s == line), "{line:?}");
        }
    }

    #[test]
    fn formats_table() {
        let t = |y, mo, d, h, mi| DateTime::new(y, mo, d, h, mi, 0, 0).unwrap();
        let mut e = Entry::new("public_html", EntryKind::Dir, ListFormat::Unix);
        e.modified = Some(t(2026, 7, 27, 1, 45));
        e.size = Some(104);
        e.links = Some(3);
        e.owner = Some("slacker".into());
        e.group = Some("users".into());
        e.unix_mode = Some(0o700);
        assert_eq!(
            format_unix_list_line(&e, reference()).as_deref(),
            Ok("drwx------    3 slacker  users         104 Jul 27 01:45 public_html")
        );
        let mut l = Entry::new("bin", EntryKind::Symlink, ListFormat::Unix);
        l.modified = Some(t(2020, 1, 25, 0, 17));
        l.link_target = Some("usr/bin".into());
        assert_eq!(
            format_unix_list_line(&l, reference()).as_deref(),
            Ok("lrwxrwxrwx    1 ftp      ftp             0 Jan 25  2020 bin -> usr/bin")
        );
        let mut bad = e.clone();
        bad.owner = Some("Jan".into());
        assert!(matches!(format_unix_list_line(&bad, reference()), Err(ListError::Unwritable { field: "owner", .. })));
        bad.owner = Some("a\rb".into());
        assert!(matches!(
            format_unix_list_line(&bad, reference()),
            Err(ListError::ControlCharacter { field: "owner", .. })
        ));
        let mut bad = e.clone();
        bad.modified = None;
        assert_eq!(format_unix_list_line(&bad, reference()), Err(ListError::Missing { field: "modified" }));
        bad.kind = EntryKind::Device;
        assert_eq!(format_unix_list_line(&bad, reference()), Err(ListError::UnsupportedKind { format: "unix" }));
        let mut bad = e.clone();
        bad.name = "x\ny".into();
        assert!(matches!(
            format_unix_list_line(&bad, reference()),
            Err(ListError::ControlCharacter { field: "name", .. })
        ));
        assert_eq!(mode_string('-', 0o7777), "-rwsrwsrwt");
        assert_eq!(mode_string('-', 0o7000), "---S--S--T");
    }
}
