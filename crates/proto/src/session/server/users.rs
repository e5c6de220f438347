//! The users file: one account a line, parsed and edited here, read and verified by the shell.
//!
//! ```text
//! # name:password hash (PHC string):home:rights[:max down:max up]
//! alice:$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA:alice:read,write,mkdir
//! bob:$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA::read:1M:256K
//! ```
//!
//! - Fields are separated by `:`; none may hold one (PHC strings never do; a home with a `:` cannot be written).
//! - `name`: 1-64 bytes, no `:`, no white space or control character; each name once.
//! - `hash`: the password's hash as a PHC string (`$id$...`, no white space); the shell checks the rest
//!   (ftpkit's server: an Argon2 hash, see `ftpkit::server::users`).
//! - `home`: the user's root, a directory the user sees as `/` and cannot leave; empty for the server's root,
//!   relative paths are taken from the server's root.
//! - `rights`: a [`Rights`] list (`read,write,delete,mkdir,rename`, `all`, `none`); it may not be empty (write
//!   `none` for none).
//! - `max down`, `max up` (optional, either may be empty): the user's bandwidth limits in bytes a second across
//!   all of the user's sessions, as [`parse_rate`] reads them (`1048576`, `512K`, `1M`); absent or empty: none.
//! - Blank lines and lines whose first non-blank character is `#` are kept as they are and mean nothing.
//!
//! [`parse`] reads a whole file into [`UserEntry`] values, or fails with the first bad line's number and what is
//! wrong with it ([`UsersFileError`]); [`set_entry`] adds or replaces one user's line, leaving every other line
//! (comments too) as it was.

use super::rate::{parse_rate, RateLimits};
use super::values::{Rights, RightsError};
use crate::ErrorKind;

/// The longest user name, in bytes.
pub const MAX_NAME: usize = 64;

/// One account of a users file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEntry {
    /// The login name.
    pub name: String,
    /// The password hash, a PHC string (`$argon2id$v=19$...`).
    pub hash: String,
    /// The user's home (root): empty for the server's root; relative to the server's root unless absolute.
    pub home: String,
    /// What the user may do.
    pub rights: Rights,
    /// The user's bandwidth limits (all of the user's sessions together).
    pub rates: RateLimits,
}

impl UserEntry {
    /// The entry as one line of the file (no line end).
    ///
    /// # Errors
    /// A field the format cannot hold (see [`check_entry`]); the line would not read back as this entry.
    pub fn to_line(&self) -> Result<String, UsersErrorKind> {
        check_entry(self)?;
        let mut line = format!("{}:{}:{}:{}", self.name, self.hash, self.home, self.rights);
        if self.rates != RateLimits::default() {
            let rate = |r: Option<u64>| r.map(|n| n.to_string()).unwrap_or_default();
            line.push_str(&format!(":{}:{}", rate(self.rates.down), rate(self.rates.up)));
        }
        Ok(line)
    }
}

/// What is wrong with a line (or an entry to write).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsersErrorKind {
    /// Not four to six `:`-separated fields.
    #[error("expected 4 to 6 fields name:hash:home:rights[:down[:up]], found {found}")]
    Fields {
        /// How many fields the line has.
        found: usize,
    },
    /// The name is empty, too long, or holds white space, a control character or `:`.
    #[error("bad user name (1-{MAX_NAME} bytes, no ':', white space or control characters)")]
    Name,
    /// The hash is not a PHC string.
    #[error("the password hash is not a PHC string ($id$...)")]
    Hash,
    /// The home holds `:`, a control character or a line end.
    #[error("the home cannot hold ':' or control characters")]
    Home,
    /// The rights field is empty.
    #[error("no rights (write `none` for none)")]
    NoRights,
    /// The rights field names something that is not a right.
    #[error(transparent)]
    Rights(#[from] RightsError),
    /// A rate is not bytes a second.
    #[error("{0}")]
    Rate(String),
    /// The name was already on an earlier line.
    #[error("user {name:?} is already on line {first}")]
    Duplicate {
        /// The name.
        name: String,
        /// The line it was first on.
        first: usize,
    },
}

/// A users file that cannot be read: the first bad line and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct UsersFileError {
    /// The line's number, from 1.
    pub line: usize,
    /// What is wrong.
    pub kind: UsersErrorKind,
}

impl UsersFileError {
    /// The stable error class: [`ErrorKind::Syntax`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Syntax
    }
}

fn is_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Checks that `entry` can be written as a line that reads back as itself.
///
/// # Errors
/// The first field that cannot be written.
pub fn check_entry(entry: &UserEntry) -> Result<(), UsersErrorKind> {
    let bad = |c: char| c == ':' || c.is_whitespace() || c.is_control();
    if entry.name.is_empty() || entry.name.len() > MAX_NAME || entry.name.contains(bad) || entry.name.starts_with('#') {
        return Err(UsersErrorKind::Name);
    }
    if !entry.hash.starts_with('$') || entry.hash.len() < 2 || entry.hash.contains(bad) {
        return Err(UsersErrorKind::Hash);
    }
    if entry.home.contains(|c: char| c == ':' || c.is_control()) {
        return Err(UsersErrorKind::Home);
    }
    Ok(())
}

/// One line that is not a comment.
fn parse_line(line: &str) -> Result<UserEntry, UsersErrorKind> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let fields: Vec<&str> = line.split(':').collect();
    let (&[name, hash, home, rights], rates) = (fields.get(..4).unwrap_or(&fields[..]), fields.get(4..).unwrap_or(&[]))
    else {
        return Err(UsersErrorKind::Fields { found: fields.len() });
    };
    if rates.len() > 2 {
        return Err(UsersErrorKind::Fields { found: fields.len() });
    }
    let rate = |i: usize| match rates.get(i).map(|r| r.trim()) {
        None | Some("") => Ok(None),
        Some(r) => parse_rate(r).map(Some).map_err(UsersErrorKind::Rate),
    };
    let rates = RateLimits { down: rate(0)?, up: rate(1)? };
    if rights.trim().is_empty() {
        return Err(UsersErrorKind::NoRights);
    }
    let entry = UserEntry {
        name: name.to_owned(),
        hash: hash.to_owned(),
        home: home.to_owned(),
        rights: rights.parse()?,
        rates,
    };
    check_entry(&entry)?;
    Ok(entry)
}

/// Every account of a users file, in file order.
///
/// # Errors
/// The first bad line: its number and what is wrong (a duplicate name, too).
pub fn parse(text: &str) -> Result<Vec<UserEntry>, UsersFileError> {
    let mut out: Vec<(usize, UserEntry)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if is_comment(line) {
            continue;
        }
        let entry = parse_line(line).map_err(|kind| UsersFileError { line: n, kind })?;
        if let Some((first, _)) = out.iter().find(|(_, e)| e.name == entry.name) {
            let kind = UsersErrorKind::Duplicate { name: entry.name, first: *first };
            return Err(UsersFileError { line: n, kind });
        }
        out.push((n, entry));
    }
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

/// `text` with `entry`'s line in place of the line of the user of that name, or added at the end; every other
/// line (comments, blank lines, other users) is kept byte for byte, and the result ends with a line end.
///
/// # Errors
/// `text` is not a valid users file (fix it first: nothing is rewritten around a bad line), or `entry` cannot be
/// written (line 0).
pub fn set_entry(text: &str, entry: &UserEntry) -> Result<String, UsersFileError> {
    parse(text)?;
    let line = entry.to_line().map_err(|kind| UsersFileError { line: 0, kind })?;
    let mut out = String::with_capacity(text.len() + line.len() + 1);
    let mut replaced = false;
    for l in text.lines() {
        let same = !is_comment(l) && l.split(':').next() == Some(entry.name.as_str());
        if same {
            out.push_str(&line);
            replaced = true;
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    if !replaced {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

    fn entry(name: &str, home: &str, rights: Rights) -> UserEntry {
        UserEntry { name: name.into(), hash: HASH.into(), home: home.into(), rights, rates: RateLimits::default() }
    }

    #[test]
    fn reads_entries_and_skips_comments() {
        let text = format!("# users\n\nalice:{HASH}:alice:read,write\r\n  # note\nbob:{HASH}::none\n");
        let users = parse(&text).unwrap();
        assert_eq!(users, [entry("alice", "alice", Rights::READ.union(Rights::WRITE)), entry("bob", "", Rights::NONE)]);
    }

    #[test]
    fn rates_are_optional_fields() {
        let text = format!("a:{HASH}::read:1M\nb:{HASH}::read::512K\nc:{HASH}::read:2048:1K\nd:{HASH}::read::\n");
        let users = parse(&text).unwrap();
        let rates: Vec<RateLimits> = users.iter().map(|u| u.rates).collect();
        assert_eq!(
            rates,
            [
                RateLimits { down: Some(1 << 20), up: None },
                RateLimits { down: None, up: Some(512 << 10) },
                RateLimits { down: Some(2048), up: Some(1024) },
                RateLimits::default(),
            ]
        );
        assert_eq!(users[1].to_line().unwrap(), format!("b:{HASH}::read::524288"));
        assert_eq!(users[3].to_line().unwrap(), format!("d:{HASH}::read"));
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let cases: &[(&str, UsersErrorKind)] = &[
            ("alice", UsersErrorKind::Fields { found: 1 }),
            ("alice:$x:home:read:1M:2M:3M", UsersErrorKind::Fields { found: 7 }),
            ("alice:$x:home:read:fast", UsersErrorKind::Rate(parse_rate("fast").unwrap_err())),
            (":$x::read", UsersErrorKind::Name),
            ("al ice:$x::read", UsersErrorKind::Name),
            ("alice:plain::read", UsersErrorKind::Hash),
            ("alice:$::read", UsersErrorKind::Hash),
            ("alice:$x::", UsersErrorKind::NoRights),
            ("alice:$x::read,fly", UsersErrorKind::Rights(RightsError { name: "fly".into() })),
            ("alice:$x:h\u{7}:read", UsersErrorKind::Home),
        ];
        for (line, kind) in cases {
            let text = format!("# first\nok:$y::read\n{line}\n");
            assert_eq!(parse(&text), Err(UsersFileError { line: 3, kind: kind.clone() }), "{line}");
        }
        let long = "n".repeat(MAX_NAME + 1);
        assert_eq!(parse(&format!("{long}:$x::read")).unwrap_err().kind, UsersErrorKind::Name);
        let dup = parse("a:$x::read\nb:$x::read\n\na:$y::all\n").unwrap_err();
        assert_eq!(dup, UsersFileError { line: 4, kind: UsersErrorKind::Duplicate { name: "a".into(), first: 1 } });
        assert_eq!(dup.to_string(), "line 4: user \"a\" is already on line 1");
        assert_eq!(dup.kind(), ErrorKind::Syntax);
    }

    #[test]
    fn set_entry_replaces_or_appends_and_keeps_the_rest() {
        let text = format!("# users\nalice:{HASH}:a:read\n\nbob:{HASH}::all");
        let new_bob = UserEntry { hash: "$argon2id$new".into(), ..entry("bob", "b", Rights::READ) };
        let out = set_entry(&text, &new_bob).unwrap();
        assert_eq!(out, format!("# users\nalice:{HASH}:a:read\n\nbob:$argon2id$new:b:read\n"));
        let out = set_entry(&out, &entry("carol", "", Rights::ALL)).unwrap();
        assert!(out.ends_with(&format!("bob:$argon2id$new:b:read\ncarol:{HASH}::read,write,delete,mkdir,rename\n")));
        assert_eq!(parse(&out).unwrap().len(), 3);
        assert_eq!(set_entry("", &entry("x", "", Rights::NONE)).unwrap(), format!("x:{HASH}::none\n"));
        // Nothing is rewritten around a bad line, and an entry that cannot be written is refused.
        assert_eq!(set_entry("junk\n", &entry("x", "", Rights::NONE)).unwrap_err().line, 1);
        assert_eq!(set_entry("", &entry("x", "a:b", Rights::NONE)).unwrap_err().kind, UsersErrorKind::Home);
    }

    proptest::proptest! {
        /// Whatever entries are written, they read back as written.
        #[test]
        fn written_entries_read_back(
            names in proptest::collection::hash_set("[a-z][a-z0-9._-]{0,20}", 1..6),
            home in "[a-z/ ._-]{0,20}",
            bits in 0u8..32,
        ) {
            let rights = Rights::NAMED.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0)
                .fold(Rights::NONE, |a, (_, (r, _))| a.union(*r));
            let mut text = String::from("# header\n");
            let mut want = Vec::new();
            for name in &names {
                let e = entry(name, &home, rights);
                text = set_entry(&text, &e).unwrap();
                want.push(e);
            }
            proptest::prop_assert_eq!(parse(&text).unwrap(), want);
        }
    }
}
