//! DOS / IIS style `LIST` lines.
//!
//! ```text
//! 08-07-15  07:50PM                  718 Post_PRR_2015.dat
//! 12-05-96  17:03         <DIR>          absoft2
//! 08-07-2015  07:50PM       <DIR>          Billing
//! ```
//!
//! `MM-DD-YY` or `MM-DD-YYYY`, blanks, `HH:MM` with an optional glued `AM`/`PM` (24-hour clock without it), blanks,
//! `<DIR>` or a byte count, blanks, then the name (the blanks before it are column padding and are not part of the
//! name; blanks inside and at the end of the name are kept).
//!
//! **Two-digit years** follow the POSIX `%y` pivot: 69-99 are 1969-1999, 00-68 are 2000-2068.

use std::borrow::Cow;

use nom::branch::alt;
use nom::bytes::complete::{tag_no_case, take_while_m_n};
use nom::character::complete::{char, digit1, space1};
use nom::combinator::{map, map_res, opt, rest, verify};
use nom::{IResult, Parser};

use super::{DateTime, Entry, EntryKind, ListFormat};

/// A run of `min..=max` ASCII digits as a number.
fn number(min: usize, max: usize) -> impl FnMut(&str) -> IResult<&str, u16> {
    move |input| map_res(take_while_m_n(min, max, |c: char| c.is_ascii_digit()), str::parse::<u16>).parse(input)
}

/// `MM-DD-YY` or `MM-DD-YYYY` as (year, month, day), the two-digit year widened by the POSIX pivot.
pub(super) fn date(input: &str) -> IResult<&str, (u16, u16, u16)> {
    let year = alt((number(4, 4), map(number(2, 2), |y| if y >= 69 { 1900 + y } else { 2000 + y })));
    map((number(2, 2), char('-'), number(2, 2), char('-'), year), |(m, _, d, _, y)| (y, m, d)).parse(input)
}

/// `HH:MM`, `HH:MMAM` or `HH:MMPM` as a 24-hour (hour, minute); a 12-hour clock takes hours 1-12 only.
fn time(input: &str) -> IResult<&str, (u16, u16)> {
    let half = opt(alt((tag_no_case("AM"), tag_no_case("PM"))));
    map_res((number(1, 2), char(':'), number(2, 2), half), |(h, _, m, half): (u16, char, u16, Option<&str>)| {
        let hour = match half {
            None => h,
            Some(_) if !(1..=12).contains(&h) => return Err("hour outside 1-12 on a 12-hour clock"),
            Some(p) if p.eq_ignore_ascii_case("AM") => h % 12,
            Some(_) => h % 12 + 12,
        };
        Ok((hour, m))
    })
    .parse(input)
}

/// `<DIR>` (None) or a byte count.
fn size(input: &str) -> IResult<&str, Option<u64>> {
    alt((map(tag_no_case("<DIR>"), |_| None), map(map_res(digit1, str::parse::<u64>), Some))).parse(input)
}

pub(super) fn parse(line: &str) -> Option<Entry<'_>> {
    let name = verify(rest, |n: &str| !n.is_empty());
    let mut grammar = (date, space1, time, space1, size, space1, name);
    let (_, ((y, mo, d), _, (h, mi), _, size, _, name)) = grammar.parse(line).ok()?;
    let small = |v: u16| u8::try_from(v).ok();
    let modified = DateTime::new(y, small(mo)?, small(d)?, small(h)?, small(mi)?, 0, 0).ok()?;
    let kind = match (size, name) {
        (Some(_), _) => EntryKind::File,
        (None, ".") => EntryKind::CurrentDir,
        (None, "..") => EntryKind::ParentDir,
        (None, _) => EntryKind::Dir,
    };
    let mut entry = Entry::new(name, kind, ListFormat::Dos);
    entry.size = size;
    entry.modified = Some(modified);
    entry.raw = Cow::Borrowed(line);
    Some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_table() {
        // line, name, size, (y, mo, d, h, mi)
        type Row<'a> = (&'a str, &'a str, Option<u64>, (u16, u8, u8, u8, u8));
        let rows: &[Row<'_>] = &[
            (
                "08-07-15  07:50PM                  718 Post_PRR_2015.dat",
                "Post_PRR_2015.dat",
                Some(718),
                (2015, 8, 7, 19, 50),
            ),
            ("12-05-96  17:03         <DIR>          absoft2", "absoft2", None, (1996, 12, 5, 17, 3)),
            (
                "08-07-2015  07:50PM                  718 Post_PRR_2015.dat",
                "Post_PRR_2015.dat",
                Some(718),
                (2015, 8, 7, 19, 50),
            ),
            ("12-03-96  06:38AM       <DIR>          123xyz", "123xyz", None, (1996, 12, 3, 6, 38)),
            (
                "05-22-97  12:08AM                  5000000000 10 years and under",
                "10 years and under",
                Some(5_000_000_000),
                (1997, 5, 22, 0, 8),
            ),
            ("05-22-97  12:08PM                  1 noon", "noon", Some(1), (1997, 5, 22, 12, 8)),
            ("01-01-68  01:00am                  1 y2068", "y2068", Some(1), (2068, 1, 1, 1, 0)),
            ("01-01-69  01:00pm                  1 y1969", "y1969", Some(1), (1969, 1, 1, 13, 0)),
            ("02-29-24  23:59       <dir>          trailing  ", "trailing  ", None, (2024, 2, 29, 23, 59)),
        ];
        for &(line, name, size, (y, mo, d, h, mi)) in rows {
            let e = parse(line).unwrap_or_else(|| panic!("unparsed {line:?}"));
            assert_eq!(e.name, name, "{line:?}");
            assert_eq!(e.size, size, "{line:?}");
            assert_eq!(e.is_dir(), size.is_none(), "{line:?}");
            assert_eq!(e.modified, Some(DateTime::new(y, mo, d, h, mi, 0, 0).unwrap()), "{line:?}");
            assert_eq!(e.format, ListFormat::Dos);
        }
    }

    #[test]
    fn refuses_table() {
        for line in [
            "",
            "08-07-15  07:50PM                  718",
            "08-07-15  07:50PM                  718 ",
            "13-07-15  07:50PM                  718 month13",
            "02-29-23  07:50PM                  718 notleap",
            "08-07-15  13:50PM                  718 pm13",
            "08-07-15  00:50AM                  718 am0",
            "08-07-15  24:00                    718 h24",
            "08-07-15  07:60                    718 m60",
            "08-07-15  07:50PM       <FILE>         x",
            "8-7-15  07:50PM                  718 short",
            "08/07/15  07:50PM                  718 slash",
            "08-07-15 07:50PM 7x8 x",
        ] {
            assert!(parse(line).is_none(), "{line:?}");
        }
    }
}
