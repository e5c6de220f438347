//! MLSD / MLST entries (RFC 3659 §7): `fact=value;fact=value; name`.
//!
//! The facts end with `;`, one SP follows, and everything after that SP is the name (which may hold spaces and
//! `;`). A line that starts with the SP has no facts. Each fact splits at its FIRST `=` (a value may hold more `=`,
//! as in `type=OS.unix=slink:`). Fact values hold no SP (RFC 3659 `RCHAR`), so the first SP ends the fact list.

use std::borrow::Cow;

use super::{check_no_control, strip_line_end, DateTime, Entry, EntryKind, ListError, ListFormat};

/// The facts of one MLSD entry, as borrowed `(name, value)` pairs in line order.
///
/// Made by [`split_mlsd_line`] (or [`Entry::facts`]), so every fact is known to hold a `=`. Names keep their case;
/// [`Facts::get`] compares them case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Facts<'a> {
    rest: &'a str,
}

impl<'a> Facts<'a> {
    /// No facts.
    pub const fn empty() -> Self {
        Facts { rest: "" }
    }

    /// The fact list as it stands in the line (`type=file;size=3;`), empty when there are none.
    pub fn as_str(&self) -> &'a str {
        self.rest
    }

    /// The value of the first fact called `name` (ASCII case-insensitive), if any.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let mut all = *self;
        all.find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }
}

impl<'a> Iterator for Facts<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            let (fact, rest) = self.rest.split_once(';').unwrap_or((self.rest, ""));
            self.rest = rest;
            if let Some(pair) = fact.split_once('=') {
                return Some(pair);
            }
        }
        None
    }
}

/// True when `line` has a non-empty fact list with a `=` before its first SP: worth trying as MLSD inside `LIST`.
pub(super) fn looks_like_facts(line: &str) -> bool {
    match line.find(' ') {
        Some(sp) if sp > 0 => line.get(..sp).is_some_and(|f| f.contains('=') && f.ends_with(';')),
        _ => false,
    }
}

/// Splits an MLSD line into its facts and its name, checking the grammar. One trailing line end is ignored.
///
/// # Errors
/// [`ListError::Empty`], [`ListError::NoName`] (no SP, or nothing after it), [`ListError::FactsNotTerminated`]
/// (the fact list does not end in `;`), [`ListError::FactWithoutEquals`], [`ListError::EmptyFactName`].
pub fn split_mlsd_line(line: &str) -> Result<(Facts<'_>, &str), ListError> {
    let line = strip_line_end(line);
    if line.is_empty() {
        return Err(ListError::Empty);
    }
    let sp = line.find(' ').ok_or(ListError::NoName)?;
    let (facts, name) = (line.get(..sp).unwrap_or(""), line.get(sp + 1..).unwrap_or(""));
    if name.is_empty() {
        return Err(ListError::NoName);
    }
    if !facts.is_empty() {
        let body = facts.strip_suffix(';').ok_or(ListError::FactsNotTerminated { offset: sp })?;
        let mut offset = 0;
        for (i, fact) in body.split(';').enumerate() {
            let index = i + 1;
            match fact.find('=') {
                None => return Err(ListError::FactWithoutEquals { index, offset }),
                Some(0) => return Err(ListError::EmptyFactName { index, offset }),
                Some(_) => {}
            }
            offset += fact.len() + 1;
        }
    }
    Ok((Facts { rest: facts }, name))
}

fn parse_decimal(value: &str, fact: &'static str) -> Result<u64, ListError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ListError::BadFactValue { fact, reason: "not a decimal number" });
    }
    value.parse().map_err(|_| ListError::BadFactValue { fact, reason: "over 2^64-1" })
}

fn parse_octal(value: &str, fact: &'static str) -> Result<u32, ListError> {
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(ListError::BadFactValue { fact, reason: "not 1-10 octal digits" });
    }
    u32::from_str_radix(value, 8).map_err(|_| ListError::BadFactValue { fact, reason: "over 2^32-1" })
}

fn parse_time(value: &str, fact: &'static str) -> Result<DateTime, ListError> {
    DateTime::parse_mlsd(value).map_err(|source| ListError::BadTime { fact, source })
}

/// The kind and symlink target named by a `type` fact value.
fn kind_of(value: &str) -> (EntryKind<'_>, Option<&str>) {
    let lower_is = |s: &str| value.eq_ignore_ascii_case(s);
    if lower_is("file") {
        return (EntryKind::File, None);
    }
    if lower_is("dir") {
        return (EntryKind::Dir, None);
    }
    if lower_is("cdir") {
        return (EntryKind::CurrentDir, None);
    }
    if lower_is("pdir") {
        return (EntryKind::ParentDir, None);
    }
    let os = value.get(..8).filter(|p| p.eq_ignore_ascii_case("OS.unix=")).and_then(|_| value.get(8..));
    if let Some(t) = os {
        let (word, arg) = match t.find([':', '-']) {
            Some(i) => (t.get(..i).unwrap_or(t), t.get(i + 1..)),
            None => (t, None),
        };
        if word.eq_ignore_ascii_case("slink") || word.eq_ignore_ascii_case("symlink") {
            return (EntryKind::Symlink, arg.filter(|a| !a.is_empty()));
        }
        if word.eq_ignore_ascii_case("chr") || word.eq_ignore_ascii_case("blk") {
            return (EntryKind::Device, None);
        }
    }
    (EntryKind::Other(Cow::Borrowed(value)), None)
}

/// Reads one MLSD entry (or the entry line of an MLST reply, given without its leading SP).
///
/// The facts ftpkit interprets: `type` (kind; `OS.unix=slink:target` gives the link target), `size` (else `sizd`),
/// `modify`, `create`, `perm`, `UNIX.mode` (octal), `UNIX.owner` (else `UNIX.uid`), `UNIX.group` (else
/// `UNIX.gid`); [`Entry::facts`] gives all of them.
///
/// ```
/// use ftpkit_proto::listing::{parse_mlsd_line, EntryKind};
/// let e = parse_mlsd_line("type=OS.unix=slink:;size=10;UNIX.mode=0777; link-to-readme").unwrap();
/// assert_eq!((e.kind, e.size, e.unix_mode), (EntryKind::Symlink, Some(10), Some(0o777)));
/// assert_eq!(e.name, "link-to-readme");
/// ```
///
/// # Errors
/// Those of [`split_mlsd_line`], plus [`ListError::BadFactValue`] / [`ListError::BadTime`] when an interpreted
/// fact holds a value of the wrong form.
pub fn parse_mlsd_line(line: &str) -> Result<Entry<'_>, ListError> {
    parse_without_line_end(strip_line_end(line))
}

/// [`parse_mlsd_line`] for a line whose line end is already gone (stripping twice would eat a CR of the name).
pub(super) fn parse_without_line_end(raw: &str) -> Result<Entry<'_>, ListError> {
    let (facts, name) = split_mlsd_line(raw)?;
    let mut entry = Entry::new(name, EntryKind::Unknown, ListFormat::Mlsd);
    entry.raw = Cow::Borrowed(raw);
    let (mut size, mut sizd, mut uid, mut gid) = (None, None, None, None);
    for (fact, value) in facts {
        let is = |s: &str| fact.eq_ignore_ascii_case(s);
        if is("type") {
            let (kind, target) = kind_of(value);
            entry.kind = kind;
            entry.link_target = target.map(Cow::Borrowed);
        } else if is("size") {
            size = Some(parse_decimal(value, "size")?);
        } else if is("sizd") {
            sizd = Some(parse_decimal(value, "sizd")?);
        } else if is("modify") {
            entry.modified = Some(parse_time(value, "modify")?);
        } else if is("create") {
            entry.created = Some(parse_time(value, "create")?);
        } else if is("perm") {
            entry.permissions = Some(Cow::Borrowed(value));
        } else if is("unix.mode") {
            entry.unix_mode = Some(parse_octal(value, "unix.mode")?);
        } else if is("unix.owner") {
            entry.owner = Some(Cow::Borrowed(value));
        } else if is("unix.uid") {
            uid = Some(value);
        } else if is("unix.group") {
            entry.group = Some(Cow::Borrowed(value));
        } else if is("unix.gid") {
            gid = Some(value);
        }
    }
    entry.size = size.or(sizd);
    if entry.owner.is_none() {
        entry.owner = uid.map(Cow::Borrowed);
    }
    if entry.group.is_none() {
        entry.group = gid.map(Cow::Borrowed);
    }
    Ok(entry)
}

/// Writes an MLSD entry line (no line end): each fact as `name=value;`, then one SP and the name.
///
/// ```
/// use ftpkit_proto::listing::format_mlsd_line;
/// let line = format_mlsd_line([("type", "file"), ("size", "48")], "read me.txt").unwrap();
/// assert_eq!(line, "type=file;size=48; read me.txt");
/// ```
///
/// # Errors
/// [`ListError::ControlCharacter`] for a control character anywhere (CR, LF, NUL...); [`ListError::Unwritable`] for
/// an empty name, an empty fact name, a fact name holding `=`, `;` or SP, or a fact value holding `;` or SP (each
/// would make the line read back differently).
pub fn format_mlsd_line<'f>(
    facts: impl IntoIterator<Item = (&'f str, &'f str)>,
    name: &str,
) -> Result<String, ListError> {
    if name.is_empty() {
        return Err(ListError::Unwritable { field: "name", reason: "empty" });
    }
    check_no_control(name, "name")?;
    let mut out = String::new();
    for (fact, value) in facts {
        check_no_control(fact, "fact name")?;
        check_no_control(value, "fact value")?;
        if fact.is_empty() {
            return Err(ListError::Unwritable { field: "fact name", reason: "empty" });
        }
        if fact.contains(['=', ';', ' ']) {
            return Err(ListError::Unwritable { field: "fact name", reason: "holds '=', ';' or a space" });
        }
        if value.contains([';', ' ']) {
            return Err(ListError::Unwritable { field: "fact value", reason: "holds ';' or a space" });
        }
        out.push_str(fact);
        out.push('=');
        out.push_str(value);
        out.push(';');
    }
    out.push(' ');
    out.push_str(name);
    Ok(out)
}

/// Writes an entry as an MLSD/MLST fact line (RFC 3659 §7): `type` (file, dir, cdir, pdir, or `OS.unix=slink:`
/// for a symlink), `size` when known, `modify` when known, `UNIX.mode` (octal) when known, then the name.
///
/// ```
/// use ftpkit_proto::listing::{format_mlsd_entry, DateTime, Entry, EntryKind, ListFormat};
/// let mut e = Entry::new("big.bin", EntryKind::File, ListFormat::Mlsd);
/// e.size = Some(1048576);
/// e.modified = Some(DateTime::new(2024, 2, 29, 23, 59, 0, 0).unwrap());
/// e.unix_mode = Some(0o644);
/// assert_eq!(format_mlsd_entry(&e).unwrap(), "type=file;size=1048576;modify=20240229235900;UNIX.mode=0644; big.bin");
/// ```
///
/// # Errors
/// As [`format_mlsd_line`]: a name with a control character, or empty.
pub fn format_mlsd_entry(entry: &Entry<'_>) -> Result<String, ListError> {
    format_mlsd_entry_with(entry, MlstFacts::ALL)
}

/// The facts a server writes in MLSD and MLST entries (RFC 3659 §7.9): every one it supports is listed in FEAT
/// (`MLST type*;size*;modify*;UNIX.mode*;`, `*` on those in use) and `OPTS MLST fact;fact;` chooses which are
/// written. A set of [`MlstFacts::SUPPORTED`]'s facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MlstFacts(u8);

impl MlstFacts {
    /// The facts ftpkit's server writes, in the order it writes them.
    pub const SUPPORTED: [&'static str; 4] = ["type", "size", "modify", "UNIX.mode"];
    /// Every supported fact (the default).
    pub const ALL: MlstFacts = MlstFacts(0b1111);
    /// No fact: entries are ` name` alone.
    pub const NONE: MlstFacts = MlstFacts(0);

    /// Whether `fact` (one of [`MlstFacts::SUPPORTED`], any letter case) is in the set.
    pub fn has(self, fact: &str) -> bool {
        MlstFacts::SUPPORTED.iter().position(|f| f.eq_ignore_ascii_case(fact)).is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// The set `OPTS MLST <facts>` asks for: the supported facts named in the `;`-separated list (any letter
    /// case; unknown ones are left out, RFC 3659 §7.9); an empty list selects none.
    pub fn from_opts(list: &str) -> MlstFacts {
        let bits =
            list.split(';').filter_map(|f| MlstFacts::SUPPORTED.iter().position(|s| s.eq_ignore_ascii_case(f.trim())));
        MlstFacts(bits.fold(0, |acc, i| acc | (1 << i)))
    }

    /// The FEAT parameters: every supported fact, `*` after those in the set (`type*;size*;modify*;UNIX.mode*;`).
    pub fn feat_params(self) -> String {
        MlstFacts::SUPPORTED.iter().map(|f| format!("{f}{};", if self.has(f) { "*" } else { "" })).collect()
    }

    /// The facts in the set, each followed by `;` (the OPTS MLST reply's list).
    pub fn list(self) -> String {
        MlstFacts::SUPPORTED.iter().filter(|f| self.has(f)).map(|f| format!("{f};")).collect()
    }
}

impl Default for MlstFacts {
    fn default() -> Self {
        MlstFacts::ALL
    }
}

/// [`format_mlsd_entry`] with only the facts in `facts` (OPTS MLST).
///
/// ```
/// use ftpkit_proto::listing::{format_mlsd_entry_with, Entry, EntryKind, ListFormat, MlstFacts};
/// let mut e = Entry::new("a.txt", EntryKind::File, ListFormat::Mlsd);
/// (e.size, e.unix_mode) = (Some(3), Some(0o600));
/// assert_eq!(format_mlsd_entry_with(&e, MlstFacts::from_opts("size;UNIX.mode;")).unwrap(), "size=3;UNIX.mode=0600; a.txt");
/// ```
///
/// # Errors
/// As [`format_mlsd_line`].
pub fn format_mlsd_entry_with(entry: &Entry<'_>, facts: MlstFacts) -> Result<String, ListError> {
    let kind = match &entry.kind {
        EntryKind::Dir => "dir",
        EntryKind::CurrentDir => "cdir",
        EntryKind::ParentDir => "pdir",
        EntryKind::Symlink => "OS.unix=slink:",
        _ => "file",
    };
    let size = entry.size.map(|s| s.to_string());
    let modify = entry.modified.map(|t| t.to_mlsd());
    let mode = entry.unix_mode.map(|m| format!("{m:04o}"));
    let all = [
        ("type", Some(kind)),
        ("size", size.as_deref()),
        ("modify", modify.as_deref()),
        ("UNIX.mode", mode.as_deref()),
    ];
    let written = all.into_iter().filter(|(f, _)| facts.has(f)).filter_map(|(f, v)| Some((f, v?)));
    format_mlsd_line(written, &entry.name)
}

#[cfg(test)]
#[allow(clippy::type_complexity)] // the test tables spell out their row types
mod tests {
    use super::*;

    #[test]
    fn splits_table() {
        let cases: &[(&str, &[(&str, &str)], &str)] = &[
            ("type=file;size=3; a", &[("type", "file"), ("size", "3")], "a"),
            (" /no/facts", &[], "/no/facts"),
            ("type=file; na;me", &[("type", "file")], "na;me"),
            ("type=file;  two", &[("type", "file")], " two"),
            ("a=b=c;d=; x y\r\n", &[("a", "b=c"), ("d", "")], "x y"),
            ("Type=OS.unix=slink:; l", &[("Type", "OS.unix=slink:")], "l"),
        ];
        for &(line, facts, name) in cases {
            let (f, n) = split_mlsd_line(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert_eq!(f.collect::<Vec<_>>(), facts, "{line:?}");
            assert_eq!(n, name, "{line:?}");
        }
    }

    #[test]
    fn refuses_table() {
        let cases: &[(&str, ListError)] = &[
            ("", ListError::Empty),
            ("\r\n", ListError::Empty),
            ("type=file;", ListError::NoName),
            ("type=file; ", ListError::NoName),
            (" ", ListError::NoName),
            ("Type=dir missing", ListError::FactsNotTerminated { offset: 8 }),
            ("a=1;bad;c=2; x", ListError::FactWithoutEquals { index: 2, offset: 4 }),
            ("a=1;;c=2; x", ListError::FactWithoutEquals { index: 2, offset: 4 }),
            ("=1; x", ListError::EmptyFactName { index: 1, offset: 0 }),
            ("size=x1; f", ListError::BadFactValue { fact: "size", reason: "not a decimal number" }),
            ("size=99999999999999999999; f", ListError::BadFactValue { fact: "size", reason: "over 2^64-1" }),
            ("UNIX.mode=0789; f", ListError::BadFactValue { fact: "unix.mode", reason: "not 1-10 octal digits" }),
        ];
        for (line, want) in cases {
            assert_eq!(parse_mlsd_line(line).as_ref(), Err(want), "{line:?}");
        }
        assert!(matches!(parse_mlsd_line("modify=20231301000000; f"), Err(ListError::BadTime { fact: "modify", .. })));
    }

    #[test]
    fn kinds_table() {
        let cases: &[(&str, EntryKind<'_>, Option<&str>)] = &[
            ("type=file; x", EntryKind::File, None),
            ("Type=DIR; x", EntryKind::Dir, None),
            ("type=cdir; x", EntryKind::CurrentDir, None),
            ("type=pdir; x", EntryKind::ParentDir, None),
            ("type=OS.unix=slink:; x", EntryKind::Symlink, None),
            ("type=OS.unix=slink:/target; x", EntryKind::Symlink, Some("/target")),
            ("type=os.UNIX=symlink; x", EntryKind::Symlink, None),
            ("type=OS.unix=chr-13/29; x", EntryKind::Device, None),
            ("type=OS.unix=blk-8/0; x", EntryKind::Device, None),
            ("type=OS.unix=socket; x", EntryKind::Other("OS.unix=socket".into()), None),
            ("type=OS.z/VM=pds; x", EntryKind::Other("OS.z/VM=pds".into()), None),
            ("size=1; x", EntryKind::Unknown, None),
        ];
        for (line, kind, target) in cases {
            let e = parse_mlsd_line(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert_eq!(&e.kind, kind, "{line:?}");
            assert_eq!(e.link_target.as_deref(), *target, "{line:?}");
        }
    }

    #[test]
    fn interprets_facts() {
        let line = "type=dir;sizd=4096;modify=20261124083429;create=20200101000000.5;perm=fle;UNIX.mode=0755;\
                    UNIX.uid=103;UNIX.gid=111;UNIX.owner=ftp; upload";
        let e = parse_mlsd_line(line).unwrap();
        assert_eq!(e.kind, EntryKind::Dir);
        assert_eq!(e.size, Some(4096));
        assert_eq!(e.modified, Some(DateTime::new(2026, 11, 24, 8, 34, 29, 0).unwrap()));
        assert_eq!(e.created, Some(DateTime::new(2020, 1, 1, 0, 0, 0, 500_000_000).unwrap()));
        assert_eq!(e.permissions.as_deref(), Some("fle"));
        assert_eq!(e.unix_mode, Some(0o755));
        assert_eq!(e.owner.as_deref(), Some("ftp"));
        assert_eq!(e.group.as_deref(), Some("111"));
        assert_eq!(e.facts().get("unix.UID"), Some("103"));
        assert_eq!(e.facts().count(), 9);
        assert_eq!(e.raw, line);
        // size wins over sizd whatever the order
        assert_eq!(parse_mlsd_line("sizd=1;size=2; x").unwrap().size, Some(2));
    }

    #[test]
    fn formats_table() {
        assert_eq!(format_mlsd_line([], "x").as_deref(), Ok(" x"));
        assert_eq!(format_mlsd_line([("a", "b=c")], " lead").as_deref(), Ok("a=b=c;  lead"));
        let bad: &[(&[(&str, &str)], &str, ListError)] = &[
            (&[], "", ListError::Unwritable { field: "name", reason: "empty" }),
            (&[], "a\r\nDELE x", ListError::ControlCharacter { field: "name", byte: b'\r', offset: 1 }),
            (&[("a", "b\0")], "x", ListError::ControlCharacter { field: "fact value", byte: 0, offset: 1 }),
            (&[("", "b")], "x", ListError::Unwritable { field: "fact name", reason: "empty" }),
            (&[("a=b", "c")], "x", ListError::Unwritable { field: "fact name", reason: "holds '=', ';' or a space" }),
            (&[("a", "b c")], "x", ListError::Unwritable { field: "fact value", reason: "holds ';' or a space" }),
            (&[("a", "b;c")], "x", ListError::Unwritable { field: "fact value", reason: "holds ';' or a space" }),
        ];
        for (facts, name, want) in bad {
            assert_eq!(format_mlsd_line(facts.iter().copied(), name).as_ref(), Err(want), "{facts:?} {name:?}");
        }
    }
}
