//! Directory listings: `LIST` lines (Unix `ls -l` and DOS/IIS forms) and `MLSD`/`MLST` entries (RFC 3659 §7).
//!
//! Every parser gives the same [`Entry`]. `LIST` output has no standard form, so [`parse_list_line`] tries the
//! Unix form, then the DOS form, then an MLSD entry, and hands back a line none of them understands as
//! [`ListLine::Unparsed`] rather than dropping it or failing the whole listing. `MLSD` output has a grammar, so
//! [`parse_mlsd_line`] returns an error for a line that breaks it.
//!
//! Nothing here reads the clock: `ls -l` leaves the year out of recent dates, and the year is inferred from a
//! reference [`Date`] the caller passes (usually today's date on the server's calendar):
//!
//! **Year rule.** A `Mon DD HH:MM` date is put in the latest year in which it is a valid date and falls no more
//! than one day after the reference date. (The day of slack absorbs time zones between client and server.) So with
//! reference 2026-11-24, `Nov 25 10:00` is 2026-11-25, `Nov 26 10:00` is 2025-11-26, and `Feb 29 10:00` is
//! 2024-02-29.
//!
//! Entries borrow from the input; [`Entry::into_owned`] gives an `Entry<'static>`.

use std::borrow::Cow;

use crate::ErrorKind;

mod detect;
mod dos;
mod eplf;
mod fields;
mod mlsd;
mod mvs;
mod netware;
mod os2;
mod os400;
mod time;
mod unix;
mod vms;

pub use detect::{detect_list_format, format_from_syst};

pub use mlsd::{
    format_mlsd_entry, format_mlsd_entry_with, format_mlsd_line, parse_mlsd_line, split_mlsd_line, Facts, MlstFacts,
};
pub use time::{days_in_month, is_leap_year, Date, DateTime, TimeError};
pub use unix::format_unix_list_line;

/// What a listing entry names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryKind<'a> {
    /// A regular file (`-` in `ls -l`, `type=file`, a DOS line with a size).
    File,
    /// A directory (`d`, `type=dir`, `<DIR>`).
    Dir,
    /// A symbolic link (`l`, `type=OS.unix=slink[:target]`).
    Symlink,
    /// The listed directory itself (MLSD `type=cdir`, or a `d` line named `.`).
    CurrentDir,
    /// The parent of the listed directory (MLSD `type=pdir`, or a `d` line named `..`).
    ParentDir,
    /// A character or block device (`c`/`b`, `type=OS.unix=chr-...`/`blk-...`).
    Device,
    /// Another type: the `ls -l` type letter (`p`, `s`, ...) or the MLSD `type` value as sent (`OS.unix=socket`).
    Other(Cow<'a, str>),
    /// An MLSD entry without a `type` fact.
    Unknown,
}

impl EntryKind<'_> {
    /// The same kind with no borrow.
    pub fn into_owned(self) -> EntryKind<'static> {
        match self {
            EntryKind::File => EntryKind::File,
            EntryKind::Dir => EntryKind::Dir,
            EntryKind::Symlink => EntryKind::Symlink,
            EntryKind::CurrentDir => EntryKind::CurrentDir,
            EntryKind::ParentDir => EntryKind::ParentDir,
            EntryKind::Device => EntryKind::Device,
            EntryKind::Other(s) => EntryKind::Other(Cow::Owned(s.into_owned())),
            EntryKind::Unknown => EntryKind::Unknown,
        }
    }

    /// A short stable name: `file`, `dir`, `symlink`, `cdir`, `pdir`, `device`, `unknown`, or for
    /// [`Other`](EntryKind::Other) the type as sent (for JSON output and the bindings).
    pub fn name(&self) -> &str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::CurrentDir => "cdir",
            EntryKind::ParentDir => "pdir",
            EntryKind::Device => "device",
            EntryKind::Other(s) => s,
            EntryKind::Unknown => "unknown",
        }
    }

    /// True for [`Dir`](EntryKind::Dir), [`CurrentDir`](EntryKind::CurrentDir) and
    /// [`ParentDir`](EntryKind::ParentDir).
    pub fn is_dir(&self) -> bool {
        matches!(self, EntryKind::Dir | EntryKind::CurrentDir | EntryKind::ParentDir)
    }
}

/// The form a listing line was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListFormat {
    /// `ls -l` style `LIST` output.
    Unix,
    /// DOS / IIS style `LIST` output.
    Dos,
    /// An RFC 3659 `MLSD` / `MLST` entry.
    Mlsd,
    /// EPLF, the Easily Parsed LIST Format (`+i8388621.48594,m825718503,r,s280,\tdjb.html`).
    Eplf,
    /// OpenVMS (`1-JUN.LIS;1  9/9  2-JUN-1998 07:32:04  [GROUP,OWNER]  (RWED,RWED,RWED,RE)`).
    Vms,
    /// OS/400, IBM i (`PEP  4019 04/03/18 18:58:16 *STMF  einladung.zip`).
    Os400,
    /// z/OS, MVS data sets and PDS members (`SAVE00 3390 2004/06/23 1 1 FB 128 6144 PS INCOMING.RPT`).
    Mvs,
    /// Novell NetWare (`- [RWCEAFMS] rwinston  19968 Mar 12 15:20 Executive Summary.doc`).
    NetWare,
    /// OS/2 (`     0           DIR   05-12-97   16:44  PSFONTS`).
    Os2,
}

impl ListFormat {
    /// A short stable name: `"unix"`, `"dos"`, `"mlsd"`, `"eplf"`, `"vms"`, `"os400"`, `"mvs"`, `"netware"` or
    /// `"os2"`.
    pub const fn name(self) -> &'static str {
        match self {
            ListFormat::Unix => "unix",
            ListFormat::Dos => "dos",
            ListFormat::Mlsd => "mlsd",
            ListFormat::Eplf => "eplf",
            ListFormat::Vms => "vms",
            ListFormat::Os400 => "os400",
            ListFormat::Mvs => "mvs",
            ListFormat::NetWare => "netware",
            ListFormat::Os2 => "os2",
        }
    }
}

/// One entry of a directory listing, whatever form it came in.
///
/// Fields a form does not carry are `None` (DOS has no owner; `ls -l` has no creation time).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry<'a> {
    /// The entry's name (for a Unix symlink: the part before ` -> `).
    pub name: Cow<'a, str>,
    /// What the name is.
    pub kind: EntryKind<'a>,
    /// Size in bytes. `None` for DOS `<DIR>`, device nodes and MLSD entries with neither `size` nor `sizd`
    /// (`sizd`, the size of a directory's own storage, counts for directories).
    pub size: Option<u64>,
    /// Last modification time (MLSD `modify`, UTC; LIST: server local time, seconds 0, midnight for `Mon DD YYYY`).
    pub modified: Option<DateTime>,
    /// Creation time (MLSD `create`).
    pub created: Option<DateTime>,
    /// The target of a symlink (Unix ` -> target`, or MLSD `OS.unix=slink:target` when the target is given).
    pub link_target: Option<Cow<'a, str>>,
    /// The permission text as sent: the Unix mode string (`drwxr-xr-x`, 10 characters, ACL marker left out) or the
    /// MLSD `perm` fact (`fle`).
    pub permissions: Option<Cow<'a, str>>,
    /// Unix permission bits (`0o7777` at most from an `ls -l` mode string; MLSD `UNIX.mode` as sent, in octal).
    pub unix_mode: Option<u32>,
    /// Hard link count (`ls -l` only).
    pub links: Option<u64>,
    /// Owner name or number (`ls -l` owner column; MLSD `UNIX.owner`, else `UNIX.uid`).
    pub owner: Option<Cow<'a, str>>,
    /// Group name or number (`ls -l` group column, which may hold spaces; MLSD `UNIX.group`, else `UNIX.gid`).
    pub group: Option<Cow<'a, str>>,
    /// The form the line was in.
    pub format: ListFormat,
    /// The whole line as given, without its line end.
    pub raw: Cow<'a, str>,
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

impl<'a> Entry<'a> {
    /// An entry with only a name, kind and form, every optional field `None`, `raw` empty. Handy for servers that
    /// fill in the fields they know and pass the entry to [`format_unix_list_line`].
    pub fn new(name: impl Into<Cow<'a, str>>, kind: EntryKind<'a>, format: ListFormat) -> Self {
        Entry {
            name: name.into(),
            kind,
            size: None,
            modified: None,
            created: None,
            link_target: None,
            permissions: None,
            unix_mode: None,
            links: None,
            owner: None,
            group: None,
            format,
            raw: Cow::Borrowed(""),
        }
    }

    /// The same entry with no borrow.
    pub fn into_owned(self) -> Entry<'static> {
        Entry {
            name: own(self.name),
            kind: self.kind.into_owned(),
            size: self.size,
            modified: self.modified,
            created: self.created,
            link_target: self.link_target.map(own),
            permissions: self.permissions.map(own),
            unix_mode: self.unix_mode,
            links: self.links,
            owner: self.owner.map(own),
            group: self.group.map(own),
            format: self.format,
            raw: own(self.raw),
        }
    }

    /// True when the entry is a directory, the current directory or its parent.
    pub fn is_dir(&self) -> bool {
        self.kind.is_dir()
    }

    /// The MLSD facts of the line (empty for LIST entries). Names compare case-insensitively in [`Facts::get`].
    pub fn facts(&self) -> Facts<'_> {
        if self.format == ListFormat::Mlsd {
            if let Ok((facts, _)) = split_mlsd_line(&self.raw) {
                return facts;
            }
        }
        Facts::empty()
    }
}

/// One line of a `LIST` payload: an entry, or a line kept as it was because no parser understood it.
// Most lines are entries, and boxing the entry would allocate once per line: the size difference is wanted.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListLine<'a> {
    /// A line read as a file, directory, link...
    Entry(Entry<'a>),
    /// A line no parser understood (`total 20`, a NetWare line, a bad date, an empty line), without its line end.
    Unparsed(Cow<'a, str>),
}

impl ListLine<'_> {
    /// The same line with no borrow.
    pub fn into_owned(self) -> ListLine<'static> {
        match self {
            ListLine::Entry(e) => ListLine::Entry(e.into_owned()),
            ListLine::Unparsed(s) => ListLine::Unparsed(own(s)),
        }
    }

    /// The entry, if the line was one.
    pub fn entry(&self) -> Option<&Entry<'_>> {
        match self {
            ListLine::Entry(e) => Some(e),
            ListLine::Unparsed(_) => None,
        }
    }
}

/// Why an MLSD line was refused or a listing line could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The line is empty.
    #[error("empty line")]
    Empty,
    /// An MLSD fact has no `=`.
    #[error("fact {index} (starting at byte {offset}) has no '='")]
    FactWithoutEquals {
        /// The fact's position in the list, from 1.
        index: usize,
        /// Its byte offset in the line.
        offset: usize,
    },
    /// An MLSD fact has an empty name (`=x;` or `;;`).
    #[error("fact {index} (starting at byte {offset}) has an empty name")]
    EmptyFactName {
        /// The fact's position in the list, from 1.
        index: usize,
        /// Its byte offset in the line.
        offset: usize,
    },
    /// The MLSD fact list does not end with `;` before the space that starts the name.
    #[error("fact list not terminated by ';' before the space at byte {offset}")]
    FactsNotTerminated {
        /// Byte offset of the space that ends the fact list.
        offset: usize,
    },
    /// The MLSD line has no space followed by a name.
    #[error("no name: the line has no space followed by a name")]
    NoName,
    /// A fact that ftpkit interprets holds a value of the wrong form.
    #[error("fact {fact}: {reason}")]
    BadFactValue {
        /// The fact's name, lower-cased (`"size"`, `"unix.mode"`...).
        fact: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A `modify`/`create` timestamp (or, when formatting, a date) that is not valid.
    #[error("fact {fact}: {source}")]
    BadTime {
        /// The fact or field: `"modify"`, `"create"` or `"modified"`.
        fact: &'static str,
        /// What was wrong.
        source: TimeError,
    },
    /// A control character (CR, LF, NUL...) in text to be written into a listing line.
    #[error("control character 0x{byte:02x} at byte {offset} of the {field}")]
    ControlCharacter {
        /// The field: `"name"`, `"owner"`, `"link_target"`, `"fact name"`, `"fact value"`...
        field: &'static str,
        /// The offending byte.
        byte: u8,
        /// Its byte offset in the field.
        offset: usize,
    },
    /// A value that cannot be written in the form because it would read back as something else.
    #[error("{field} cannot be written: {reason}")]
    Unwritable {
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A field the formatter needs is missing.
    #[error("{field} is required")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// An entry kind the form cannot express.
    #[error("an entry of this kind cannot be written as {format}")]
    UnsupportedKind {
        /// The form: `"unix"`.
        format: &'static str,
    },
}

impl ListError {
    /// The stable error class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ListError::Empty
            | ListError::FactWithoutEquals { .. }
            | ListError::EmptyFactName { .. }
            | ListError::FactsNotTerminated { .. }
            | ListError::NoName
            | ListError::BadFactValue { .. }
            | ListError::Unwritable { .. } => ErrorKind::Syntax,
            ListError::BadTime { source, .. } => source.kind(),
            ListError::ControlCharacter { .. } => ErrorKind::Injection,
            ListError::Missing { .. } => ErrorKind::Syntax,
            ListError::UnsupportedKind { .. } => ErrorKind::Unsupported,
        }
    }
}

/// Strips one trailing `\r\n`, `\n` or `\r`.
fn strip_line_end(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Checks `s` for control characters (0x00-0x1F, 0x7F).
fn check_no_control(s: &str, field: &'static str) -> Result<(), ListError> {
    match s.bytes().enumerate().find(|&(_, b)| b < 0x20 || b == 0x7f) {
        Some((offset, byte)) => Err(ListError::ControlCharacter { field, byte, offset }),
        None => Ok(()),
    }
}

/// Reads one `LIST` line: Unix `ls -l` form, else DOS/IIS form, else an MLSD entry with at least one fact.
///
/// One trailing line end is ignored. A line none of them understands comes back as [`ListLine::Unparsed`]; a
/// `Mon DD HH:MM` date gets its year from `reference` by the rule in the [module docs](self).
///
/// ```
/// use ftpkit_proto::listing::{parse_list_line, Date, ListLine};
/// let today = Date::new(2026, 11, 24).unwrap();
/// let line = "drwx------   3 slacker    users         104 Jul 27 01:45 public_html";
/// let ListLine::Entry(e) = parse_list_line(line, today) else { panic!() };
/// assert_eq!((e.name.as_ref(), e.size, e.is_dir()), ("public_html", Some(104), true));
/// assert_eq!(e.modified.unwrap().to_string(), "2026-07-27T01:45:00");
/// assert!(matches!(parse_list_line("total 20", today), ListLine::Unparsed(_)));
/// ```
pub fn parse_list_line(line: &str, reference: Date) -> ListLine<'_> {
    parse_stripped_line(strip_line_end(line), reference)
}

/// [`parse_list_line`] on a line whose line end is already gone.
fn parse_stripped_line(line: &str, reference: Date) -> ListLine<'_> {
    if let Some(entry) = unix::parse(line, reference) {
        return ListLine::Entry(entry);
    }
    if let Some(entry) = dos::parse(line) {
        return ListLine::Entry(entry);
    }
    if mlsd::looks_like_facts(line) {
        if let Ok(entry) = mlsd::parse_without_line_end(line) {
            return ListLine::Entry(entry);
        }
    }
    ListLine::Unparsed(Cow::Borrowed(line))
}

/// Reads a whole `LIST` (or `MLSD`) payload, line by line (`\r\n` or `\n` line ends; a last line without one counts;
/// empty lines come back as `Unparsed("")`): [`parse_listing_detected`] without a `SYST` reply. A Unix or DOS
/// listing reads exactly as each line through [`parse_list_line`]; a listing whose first lines are in another form
/// (EPLF, VMS, OS/400, MVS, NetWare, OS/2) is read in that form.
pub fn parse_listing(data: &str, reference: Date) -> impl Iterator<Item = ListLine<'_>> + '_ {
    parse_listing_detected(data, None, reference)
}

/// Reads a whole `LIST` payload in the form [`detect_list_format`] picks from `syst` (the `SYST` reply's text,
/// when the caller asked for it) and the first lines. One item per line, always: an entry or
/// [`ListLine::Unparsed`].
pub fn parse_listing_detected<'a>(
    data: &'a str,
    syst: Option<&str>,
    reference: Date,
) -> impl Iterator<Item = ListLine<'a>> + 'a {
    parse_listing_as(data, detect_list_format(syst, data, reference), reference)
}

/// Reads a whole `LIST` payload with `format`'s parser first on each line, then the others [`parse_list_line`]
/// tries (`None`: only those). One item per line: an entry or [`ListLine::Unparsed`]. For VMS, a line holding only
/// a long `NAME;VERSION` comes back `Unparsed` and the indented line of columns after it is the entry, with that
/// name.
pub fn parse_listing_as(
    data: &str,
    format: Option<ListFormat>,
    reference: Date,
) -> impl Iterator<Item = ListLine<'_>> + '_ {
    detect::Listing::new(data, format, reference)
}

/// Reads a whole `MLSD` payload strictly: each line through [`parse_mlsd_line`].
pub fn parse_mlsd_listing(data: &str) -> impl Iterator<Item = Result<Entry<'_>, ListError>> + '_ {
    lines(data).map(parse_mlsd_line)
}

/// The lines of a payload without their line ends; no empty item after a final line end.
fn lines(data: &str) -> impl Iterator<Item = &str> + '_ {
    let body = data.strip_suffix('\n').unwrap_or(data);
    let empty = data.is_empty();
    body.split('\n').filter(move |_| !empty).map(|l| l.strip_suffix('\r').unwrap_or(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_lines() {
        let r = Date::new(2026, 1, 1).unwrap();
        let count = |d: &str| parse_listing(d, r).count();
        assert_eq!(count(""), 0);
        assert_eq!(count("\r\n"), 1);
        assert_eq!(count("a\r\nb\r\n"), 2);
        assert_eq!(count("a\nb"), 2);
        assert_eq!(count("a\n\nb\n"), 3);
        let got: Vec<_> = parse_listing("total 3\r\n\r\n", r).collect();
        assert_eq!(got, vec![ListLine::Unparsed("total 3".into()), ListLine::Unparsed("".into())]);
    }

    #[test]
    fn error_kinds() {
        assert_eq!(ListError::Empty.kind(), ErrorKind::Syntax);
        assert_eq!(ListError::ControlCharacter { field: "name", byte: 10, offset: 0 }.kind(), ErrorKind::Injection);
        assert_eq!(ListError::UnsupportedKind { format: "unix" }.kind(), ErrorKind::Unsupported);
        let t = TimeError::OutOfRange { field: "month", value: 13, min: 1, max: 12 };
        assert_eq!(ListError::BadTime { fact: "modify", source: t }.kind(), ErrorKind::Range);
        assert_eq!(
            ListError::FactWithoutEquals { index: 2, offset: 22 }.to_string(),
            "fact 2 (starting at byte 22) has no '='"
        );
    }

    #[test]
    fn owned_entry_is_equal() {
        let r = Date::new(2026, 1, 1).unwrap();
        let line = "lrwxrwxrwx 1 a b 7 Jan 25 00:17 bin -> usr/bin";
        let ListLine::Entry(e) = parse_list_line(line, r) else { panic!("unparsed") };
        let owned: Entry<'static> = e.clone().into_owned();
        assert_eq!(owned, e);
    }
}
