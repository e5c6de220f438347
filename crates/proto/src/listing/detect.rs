//! Choosing the `LIST` parser for a whole listing: from the `SYST` reply and the first lines.

use std::borrow::Cow;

use super::{dos, eplf, lines, mlsd, mvs, netware, os2, os400, parse_stripped_line, strip_line_end, unix, vms};
use super::{Date, ListFormat, ListLine};

/// How many non-empty lines from the top the detector reads.
const SAMPLE_LINES: usize = 16;

/// The forms tried, in the order that breaks ties (the common forms first).
const CANDIDATES: [ListFormat; 9] = [
    ListFormat::Unix,
    ListFormat::Dos,
    ListFormat::Mlsd,
    ListFormat::Eplf,
    ListFormat::NetWare,
    ListFormat::Os2,
    ListFormat::Os400,
    ListFormat::Vms,
    ListFormat::Mvs,
];

/// The form a `SYST` reply's text names, if it names one ftpkit reads (`215 UNIX Type: L8`, `215 VMS`,
/// `215 MVS is the operating system of this server. FTP Server is running on z/OS.`, `215 OS/400 is the remote
/// operating system...`, `215 NetWare system type.`, `215 OS/2`, `215 Windows_NT`). Pass the text with or
/// without the code.
pub fn format_from_syst(syst: &str) -> Option<ListFormat> {
    let s = syst.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '-').to_ascii_uppercase();
    let first = s.split_whitespace().next().unwrap_or("");
    if first.contains("VMS") {
        Some(ListFormat::Vms)
    } else if first == "MVS" || s.contains("Z/OS") || s.contains("OS/390") {
        Some(ListFormat::Mvs)
    } else if first == "OS/400" || s.contains("OS/400") {
        Some(ListFormat::Os400)
    } else if first == "NETWARE" {
        Some(ListFormat::NetWare)
    } else if first == "OS/2" {
        Some(ListFormat::Os2)
    } else if first.starts_with("WINDOWS") {
        Some(ListFormat::Dos)
    } else if first == "UNIX" {
        Some(ListFormat::Unix)
    } else {
        None
    }
}

/// Whether `line` reads as `format` by that form's own parser (no fallback).
fn reads_as(format: ListFormat, line: &str, reference: Date) -> bool {
    match format {
        ListFormat::Unix => unix::parse(line, reference).is_some(),
        ListFormat::Dos => dos::parse(line).is_some(),
        ListFormat::Mlsd => mlsd::looks_like_facts(line) && mlsd::parse_without_line_end(line).is_ok(),
        ListFormat::Eplf => eplf::parse(line).is_some(),
        ListFormat::NetWare => netware::parse(line, reference).is_some(),
        ListFormat::Os2 => os2::parse(line).is_some(),
        ListFormat::Os400 => os400::parse(line).is_some(),
        ListFormat::Vms => vms::parse(line).is_some(),
        ListFormat::Mvs => mvs::parse(line).is_some(),
    }
}

/// Picks the `LIST` form of a listing from the `SYST` reply text (when the caller has it) and the listing's first
/// lines. `None` when no form reads any of them (an empty listing, only a `total` line).
///
/// The first 16 non-empty lines are read by each form's parser; the form that reads most of them
/// wins, ties going to the more common form (Unix, DOS, MLSD, EPLF, NetWare, OS/2, OS/400, VMS, MVS). The form
/// `SYST` names wins when it reads at least as many lines as any other, or when the sample is empty (z/OS and
/// OS/400 servers can also list in Unix form, so the lines have the last word).
///
/// ```
/// use ftpkit_proto::listing::{detect_list_format, Date, ListFormat};
/// let today = Date::new(2026, 11, 24).unwrap();
/// let vms = "Directory USER1:[TEMP]\r\n\r\n1-JUN.LIS;1  9/9  2-JUN-1998 07:32:04  [GROUP,OWNER]  (RWED,RWED,RWED,RE)\r\n";
/// assert_eq!(detect_list_format(None, vms, today), Some(ListFormat::Vms));
/// assert_eq!(detect_list_format(Some("215 UNIX Type: L8"), "", today), Some(ListFormat::Unix));
/// ```
pub fn detect_list_format(syst: Option<&str>, listing: &str, reference: Date) -> Option<ListFormat> {
    let hint = syst.and_then(format_from_syst);
    let sample: Vec<&str> = lines(listing).map(str::trim_end).filter(|l| !l.is_empty()).take(SAMPLE_LINES).collect();
    if sample.is_empty() {
        return hint;
    }
    let score = |f: ListFormat| sample.iter().filter(|l| reads_as(f, l, reference)).count();
    let mut best: Option<(ListFormat, usize)> = None;
    for f in CANDIDATES {
        let n = score(f);
        if n > 0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((f, n));
        }
    }
    match (hint, best) {
        (Some(h), Some((_, b))) if score(h) >= b => Some(h),
        (_, Some((f, _))) => Some(f),
        (h, None) => h,
    }
}

/// One line (its line end already gone) read as `format` first, then as
/// [`parse_list_line`](super::parse_list_line) reads any line.
pub(super) fn parse_line_as(format: Option<ListFormat>, line: &str, reference: Date) -> ListLine<'_> {
    let first = match format {
        Some(ListFormat::Eplf) => eplf::parse(line),
        Some(ListFormat::NetWare) => netware::parse(line, reference),
        Some(ListFormat::Os2) => os2::parse(line),
        Some(ListFormat::Os400) => os400::parse(line),
        Some(ListFormat::Vms) => vms::parse(line),
        Some(ListFormat::Mvs) => mvs::parse_in_listing(line),
        _ => None,
    };
    match first {
        Some(e) => ListLine::Entry(e),
        None => parse_stripped_line(line, reference),
    }
}

/// The lines of a listing read as one form; see [`parse_listing_as`](super::parse_listing_as).
pub(super) struct Listing<'a> {
    lines: Box<dyn Iterator<Item = &'a str> + 'a>,
    format: Option<ListFormat>,
    reference: Date,
    /// A VMS name that stood alone on the line before.
    vms_name: Option<&'a str>,
}

impl<'a> Listing<'a> {
    pub(super) fn new(data: &'a str, format: Option<ListFormat>, reference: Date) -> Self {
        Listing { lines: Box::new(lines(data)), format, reference, vms_name: None }
    }
}

impl<'a> Iterator for Listing<'a> {
    type Item = ListLine<'a>;

    fn next(&mut self) -> Option<ListLine<'a>> {
        // The payload's line end is gone; a `\r` left over (a line ending `\r\r\n`) goes too, as in
        // `parse_list_line`, so every path below sees and keeps the same text.
        let line = strip_line_end(self.lines.next()?);
        if self.format == Some(ListFormat::Vms) {
            let name = self.vms_name.take();
            if let Some(name) = name.filter(|_| line.starts_with([' ', '\t'])) {
                if let Some(e) = vms::parse_columns(line, line, name) {
                    return Some(ListLine::Entry(e));
                }
            }
            let trimmed = line.trim_end();
            if !trimmed.contains([' ', '\t']) {
                if let Some(name) = vms::versioned_name(trimmed) {
                    self.vms_name = Some(name);
                    return Some(ListLine::Unparsed(Cow::Borrowed(line)));
                }
            }
        }
        Some(parse_line_as(self.format, line, self.reference))
    }
}
