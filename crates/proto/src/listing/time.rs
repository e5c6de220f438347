//! A small validated calendar date and date-time, with no time zone and no clock.
//!
//! Listings carry times in three forms: MLSD's `YYYYMMDDHHMMSS[.sss]` (UTC by RFC 3659), `ls -l`'s `Mon DD HH:MM` /
//! `Mon DD  YYYY` (server local time, year sometimes left out) and DOS's `MM-DD-YY HH:MMAM`. [`DateTime`] holds any
//! of them as plain fields; it never reads the clock, so a year left out is inferred from a [`Date`] the caller
//! passes in.

use std::fmt;

use crate::ErrorKind;

/// Why a date or time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// A field outside its range (month 13, day 31 in April, minute 60...).
    #[error("{field} is {value}, outside {min}..={max}")]
    OutOfRange {
        /// The field: `"year"`, `"month"`, `"day"`, `"hour"`, `"minute"`, `"second"` or `"nanosecond"`.
        field: &'static str,
        /// The value given.
        value: u32,
        /// The smallest allowed value.
        min: u32,
        /// The largest allowed value (for `day`: in that month of that year).
        max: u32,
    },
    /// Text that is not a timestamp of the expected form.
    #[error("bad timestamp: {reason}")]
    Syntax {
        /// What was wrong.
        reason: &'static str,
    },
}

impl TimeError {
    /// The stable error class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TimeError::OutOfRange { .. } => ErrorKind::Range,
            TimeError::Syntax { .. } => ErrorKind::Syntax,
        }
    }
}

/// True when `year` is a leap year in the proleptic Gregorian calendar.
pub const fn is_leap_year(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// The number of days in `month` (1-12) of `year`; 0 for a month outside 1-12.
pub const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn range(field: &'static str, value: u32, min: u32, max: u32) -> Result<(), TimeError> {
    if value < min || value > max {
        Err(TimeError::OutOfRange { field, value, min, max })
    } else {
        Ok(())
    }
}

/// A calendar date (proleptic Gregorian, years 0-9999). Ordered by year, then month, then day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date, checked: year 0-9999, month 1-12, day valid for that month (29 February only in leap years).
    ///
    /// # Errors
    /// [`TimeError::OutOfRange`] naming the first field out of range.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, TimeError> {
        range("year", year.into(), 0, 9999)?;
        range("month", month.into(), 1, 12)?;
        range("day", day.into(), 1, days_in_month(year, month).into())?;
        Ok(Date { year, month, day })
    }

    /// The year.
    pub const fn year(&self) -> u16 {
        self.year
    }
    /// The month, 1-12.
    pub const fn month(&self) -> u8 {
        self.month
    }
    /// The day of the month, 1-31.
    pub const fn day(&self) -> u8 {
        self.day
    }

    /// The next day, or `None` after 9999-12-31.
    pub fn next_day(&self) -> Option<Date> {
        if self.day < days_in_month(self.year, self.month) {
            Some(Date { day: self.day + 1, ..*self })
        } else if self.month < 12 {
            Some(Date { month: self.month + 1, day: 1, ..*self })
        } else if self.year < 9999 {
            Some(Date { year: self.year + 1, month: 1, day: 1 })
        } else {
            None
        }
    }

    /// Days since 0000-03-01 (a monotonic day number, for differences between dates).
    pub fn day_number(&self) -> i64 {
        // Count years from March so that the leap day falls at the end of a counted year.
        let (y, m) = if self.month > 2 {
            (i64::from(self.year), i64::from(self.month) - 3)
        } else {
            (i64::from(self.year) - 1, i64::from(self.month) + 9)
        };
        let day_of_year = (153 * m + 2) / 5 + i64::from(self.day) - 1;
        let leap_days = y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400);
        365 * y + leap_days + day_of_year
    }

    /// 1970-01-01.
    pub const UNIX_EPOCH: Date = Date { year: 1970, month: 1, day: 1 };

    /// The date `days` days after 1970-01-01 (negative: before), or `None` outside years 0-9999.
    pub fn from_unix_days(days: i64) -> Option<Date> {
        // Shift to the day-number epoch of `day_number` (0000-03-01), then invert it by 400-year eras.
        let n = days.checked_add(UNIX_EPOCH_DAY_NUMBER)?;
        let era = n.div_euclid(146_097);
        let doe = n.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let (month, carry) = if mp < 10 { (mp + 3, 0) } else { (mp - 9, 1) };
        let year = era * 400 + yoe + carry;
        let year = u16::try_from(year).ok().filter(|y| *y <= 9999)?;
        Date::new(year, month as u8, day as u8).ok()
    }

    /// The same date at midnight.
    pub const fn at_midnight(self) -> DateTime {
        DateTime { date: self, hour: 0, minute: 0, second: 0, nanosecond: 0 }
    }
}

impl fmt::Display for Date {
    /// ISO 8601, `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// `Date::day_number` of 1970-01-01.
const UNIX_EPOCH_DAY_NUMBER: i64 = 719_468;

/// A date and time of day, without time zone. Ordered chronologically.
///
/// MLSD times are UTC; `ls -l` and DOS times are whatever the server's local time is. The type only holds the
/// fields; it does not convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    nanosecond: u32,
}

impl DateTime {
    /// A date-time, checked: the date as in [`Date::new`], hour < 24, minute < 60, second <= 60 (a leap second),
    /// nanosecond < 1,000,000,000.
    ///
    /// # Errors
    /// [`TimeError::OutOfRange`] naming the first field out of range.
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        nanosecond: u32,
    ) -> Result<Self, TimeError> {
        let date = Date::new(year, month, day)?;
        range("hour", hour.into(), 0, 23)?;
        range("minute", minute.into(), 0, 59)?;
        range("second", second.into(), 0, 60)?;
        range("nanosecond", nanosecond, 0, 999_999_999)?;
        Ok(DateTime { date, hour, minute, second, nanosecond })
    }

    /// The UTC date-time `secs` seconds after the Unix epoch (negative: before), with `nanos` nanoseconds;
    /// `None` outside years 0-9999 or for `nanos` of a second or more. The caller reads the clock; this only converts.
    pub fn from_unix(secs: i64, nanos: u32) -> Option<DateTime> {
        if nanos >= 1_000_000_000 {
            return None;
        }
        let date = Date::from_unix_days(secs.div_euclid(86_400))?;
        let rem = secs.rem_euclid(86_400);
        Some(DateTime {
            date,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            nanosecond: nanos,
        })
    }

    /// Seconds since the Unix epoch of this date-time read as UTC (the inverse of [`DateTime::from_unix`]).
    pub fn to_unix(&self) -> i64 {
        (self.date.day_number() - UNIX_EPOCH_DAY_NUMBER) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The date part.
    pub const fn date(&self) -> Date {
        self.date
    }
    /// The year.
    pub const fn year(&self) -> u16 {
        self.date.year
    }
    /// The month, 1-12.
    pub const fn month(&self) -> u8 {
        self.date.month
    }
    /// The day of the month, 1-31.
    pub const fn day(&self) -> u8 {
        self.date.day
    }
    /// The hour, 0-23.
    pub const fn hour(&self) -> u8 {
        self.hour
    }
    /// The minute, 0-59.
    pub const fn minute(&self) -> u8 {
        self.minute
    }
    /// The second, 0-60.
    pub const fn second(&self) -> u8 {
        self.second
    }
    /// The fraction of the second in nanoseconds.
    pub const fn nanosecond(&self) -> u32 {
        self.nanosecond
    }

    /// Reads an RFC 3659 `time-val`: `YYYYMMDDHHMMSS` with an optional `.` and 1-9 fraction digits
    /// (as in MLSD `modify=` and `create=` facts and the `MDTM` reply).
    ///
    /// # Errors
    /// [`TimeError::Syntax`] when the form is wrong, [`TimeError::OutOfRange`] for an impossible date or time.
    ///
    /// ```
    /// use ftpkit_proto::listing::DateTime;
    /// let t = DateTime::parse_mlsd("20141022065102.999").unwrap();
    /// assert_eq!((t.year(), t.month(), t.second(), t.nanosecond()), (2014, 10, 2, 999_000_000));
    /// ```
    pub fn parse_mlsd(text: &str) -> Result<Self, TimeError> {
        let b = text.as_bytes();
        let (main, frac) = match b.iter().position(|&c| c == b'.') {
            Some(dot) => (b.get(..dot).unwrap_or(&[]), Some(b.get(dot + 1..).unwrap_or(&[]))),
            None => (b, None),
        };
        if main.len() != 14 {
            return Err(TimeError::Syntax { reason: "expected 14 digits YYYYMMDDHHMMSS" });
        }
        if !main.iter().all(u8::is_ascii_digit) {
            return Err(TimeError::Syntax { reason: "non-digit in YYYYMMDDHHMMSS" });
        }
        let num = |from: usize, to: usize| -> u32 {
            main.get(from..to).unwrap_or(&[]).iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let mut nanosecond = 0u32;
        if let Some(frac) = frac {
            if frac.is_empty() || frac.len() > 9 || !frac.iter().all(u8::is_ascii_digit) {
                return Err(TimeError::Syntax { reason: "fraction after '.' must be 1-9 digits" });
            }
            let value = frac.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
            nanosecond = value * 10u32.pow(9 - frac.len() as u32);
        }
        // Each field has at most 4 digits, so the narrowing casts below cannot truncate.
        DateTime::new(
            num(0, 4) as u16,
            num(4, 6) as u8,
            num(6, 8) as u8,
            num(8, 10) as u8,
            num(10, 12) as u8,
            num(12, 14) as u8,
            nanosecond,
        )
    }

    /// Writes the RFC 3659 `time-val` form read by [`DateTime::parse_mlsd`]: `YYYYMMDDHHMMSS`, then `.` and the
    /// fraction with trailing zeros removed when the nanoseconds are not 0.
    pub fn to_mlsd(&self) -> String {
        let mut s = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.date.year, self.date.month, self.date.day, self.hour, self.minute, self.second
        );
        if self.nanosecond != 0 {
            let frac = format!("{:09}", self.nanosecond);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        s
    }
}

impl fmt::Display for DateTime {
    /// ISO 8601 without zone, `YYYY-MM-DDTHH:MM:SS`, with `.fffffffff` when the nanoseconds are not 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T{:02}:{:02}:{:02}", self.date, self.hour, self.minute, self.second)?;
        if self.nanosecond != 0 {
            write!(f, ".{:09}", self.nanosecond)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // the test tables spell out their row types
mod tests {
    use super::*;

    #[test]
    fn validates_dates() {
        let ok: &[(u16, u8, u8)] = &[(2024, 2, 29), (2000, 2, 29), (2023, 12, 31), (0, 1, 1), (9999, 12, 31)];
        for &(y, m, d) in ok {
            assert!(Date::new(y, m, d).is_ok(), "{y}-{m}-{d}");
        }
        let bad: &[(u16, u8, u8, &str, u32)] = &[
            (2023, 2, 29, "day", 28),
            (1900, 2, 29, "day", 28),
            (2023, 4, 31, "day", 30),
            (2023, 13, 1, "month", 12),
            (2023, 0, 1, "month", 12),
            (2023, 1, 0, "day", 31),
            (10000, 1, 1, "year", 9999),
        ];
        for &(y, m, d, field, max) in bad {
            match Date::new(y, m, d) {
                Err(TimeError::OutOfRange { field: f, max: mx, .. }) => {
                    assert_eq!((f, mx), (field, max), "{y}-{m}-{d}")
                }
                other => panic!("{y}-{m}-{d}: {other:?}"),
            }
        }
    }

    #[test]
    fn validates_times() {
        assert!(DateTime::new(2016, 12, 31, 23, 59, 60, 0).is_ok());
        let bad: &[(u8, u8, u8, u32, &str)] = &[
            (24, 0, 0, 0, "hour"),
            (0, 60, 0, 0, "minute"),
            (0, 0, 61, 0, "second"),
            (0, 0, 0, 1_000_000_000, "nanosecond"),
        ];
        for &(h, mi, s, ns, field) in bad {
            match DateTime::new(2020, 1, 1, h, mi, s, ns) {
                Err(TimeError::OutOfRange { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{h}:{mi}:{s}.{ns}: {other:?}"),
            }
        }
        assert_eq!(DateTime::new(2020, 1, 1, 0, 79, 0, 0).unwrap_err().to_string(), "minute is 79, outside 0..=59");
    }

    #[test]
    fn mlsd_times() {
        let cases: &[(&str, (u16, u8, u8, u8, u8, u8, u32))] = &[
            ("19990219183438", (1999, 2, 19, 18, 34, 38, 0)),
            ("20141022065102.999", (2014, 10, 22, 6, 51, 2, 999_000_000)),
            ("20240229235900.5", (2024, 2, 29, 23, 59, 0, 500_000_000)),
            ("20240229235900.000000001", (2024, 2, 29, 23, 59, 0, 1)),
        ];
        for &(text, (y, mo, d, h, mi, s, ns)) in cases {
            let t = DateTime::parse_mlsd(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(t, DateTime::new(y, mo, d, h, mi, s, ns).unwrap(), "{text}");
            assert_eq!(DateTime::parse_mlsd(&t.to_mlsd()), Ok(t), "{text}");
        }
        for bad in [
            "",
            "2014102206510",
            "201410220651020",
            "2014102206510x",
            "20141022065102.",
            "20141022065102.1234567890",
            "20231301000000",
            "20230229000000",
            "+0141022065102",
        ] {
            assert!(DateTime::parse_mlsd(bad).is_err(), "{bad:?}");
        }
        assert_eq!(DateTime::parse_mlsd("20141022065102.25").unwrap().to_mlsd(), "20141022065102.25");
        assert_eq!(DateTime::parse_mlsd("20141022065102.25").unwrap().to_string(), "2014-10-22T06:51:02.250000000");
    }

    #[test]
    fn day_arithmetic() {
        let d = |y, m, dd| Date::new(y, m, dd).unwrap();
        assert_eq!(d(2024, 2, 28).next_day(), Some(d(2024, 2, 29)));
        assert_eq!(d(2023, 2, 28).next_day(), Some(d(2023, 3, 1)));
        assert_eq!(d(2023, 12, 31).next_day(), Some(d(2024, 1, 1)));
        assert_eq!(d(9999, 12, 31).next_day(), None);
        assert_eq!(d(2024, 3, 1).day_number() - d(2024, 2, 28).day_number(), 2);
        assert_eq!(d(2024, 1, 1).day_number() - d(2023, 1, 1).day_number(), 365);
        assert_eq!(d(2025, 1, 1).day_number() - d(2024, 1, 1).day_number(), 366);
        assert_eq!(d(1, 1, 1).day_number() - d(0, 1, 1).day_number(), 366);
        assert!(d(2023, 12, 31) < d(2024, 1, 1));
    }

    #[test]
    fn unix_time_round_trips_and_matches_known_instants() {
        let dt = |s: i64| DateTime::from_unix(s, 0).map(|t| t.to_string());
        assert_eq!(dt(0).as_deref(), Some("1970-01-01T00:00:00"));
        // 2023-03-14 15:09:26 UTC, the transcripts' tree mtime.
        assert_eq!(dt(1_678_806_566).as_deref(), Some("2023-03-14T15:09:26"));
        assert_eq!(dt(951_782_400).as_deref(), Some("2000-02-29T00:00:00"));
        assert_eq!(dt(-1).as_deref(), Some("1969-12-31T23:59:59"));
        assert_eq!(DateTime::from_unix(0, 1_000_000_000), None);
        assert_eq!(DateTime::from_unix(i64::MAX, 0), None);
        assert_eq!(DateTime::from_unix(i64::MIN, 0), None);
        for s in (-62_000_000_000i64..253_000_000_000).step_by(7_777_777) {
            let t = DateTime::from_unix(s, 0).expect("in range");
            assert_eq!(t.to_unix(), s);
        }
    }
}
