//! Whitespace-separated columns, shared by the column-based `LIST` forms (VMS, OS/400, MVS, NetWare, OS/2).

/// The first `N` blank-separated columns of `line` and the rest after the blanks that follow them (the name
/// column, blanks inside and at the end kept). `None` when the line has fewer than `N` columns.
pub(super) fn columns<const N: usize>(line: &str) -> Option<([&str; N], &str)> {
    let mut out = [""; N];
    let mut rest = line;
    for slot in &mut out {
        rest = rest.trim_start_matches([' ', '\t']);
        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        *slot = &rest[..end];
        rest = &rest[end..];
    }
    Some((out, rest.trim_start_matches([' ', '\t'])))
}

/// All blank-separated columns of `line`.
pub(super) fn words(line: &str) -> impl Iterator<Item = &str> + '_ {
    line.split([' ', '\t']).filter(|w| !w.is_empty())
}

/// A run of ASCII digits as a number, `None` for anything else (signs, blanks, overflow).
pub(super) fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `HH:MM` or `HH:MM:SS` (a VMS `.cc` hundredths suffix is ignored) as (hour, minute, second).
pub(super) fn clock(s: &str) -> Option<(u8, u8, u8)> {
    let s = s.split_once('.').map_or(s, |(hms, cc)| if number::<u8>(cc).is_some() { hms } else { "" });
    let mut parts = s.split(':');
    let h = parts.next().filter(|p| (1..=2).contains(&p.len())).and_then(number)?;
    let m = parts.next().filter(|p| p.len() == 2).and_then(number)?;
    let sec = match parts.next() {
        Some(p) if p.len() == 2 => number(p)?,
        Some(_) => return None,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((h, m, sec))
}

/// A two-digit year by the POSIX `%y` pivot (69-99: 1900s, 00-68: 2000s).
pub(super) fn pivot_year(yy: u16) -> u16 {
    if yy >= 69 {
        1900 + yy
    } else {
        2000 + yy
    }
}
