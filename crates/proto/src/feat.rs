//! `FEAT` replies (RFC 2389): what extensions a server supports.
//!
//! ```text
//! 211-Extensions supported:
//!  MLST type*;size*;modify*;UNIX.mode;
//!  REST STREAM
//!  UTF8
//! 211 End.
//! ```
//!
//! The first and last lines are prose. Each line between names one feature: one SP, the feature name
//! (case-insensitive), then optionally one SP and its parameters. Reading is lenient: extra leading blanks, a
//! missing leading blank and a `211-` prefix on a feature line are accepted, and blank lines are skipped.
//!
//! [`Features`] reads a reply ([`Features::from_reply_text`], or the reply's text lines with [`Features::parse`]),
//! answers questions about it ([`Features::has`], [`Features::params`], [`Features::mlst_facts`] ...) and writes the
//! `211` reply for a server ([`Features::to_reply_text`]).

use std::borrow::Cow;

use crate::hash::HashAlgorithm;
use crate::ErrorKind;

/// Why a `FEAT` reply or a feature to advertise was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeatError {
    /// The reply starts with a code other than 211 (a `500` or `502` means the server has no `FEAT`).
    #[error("reply code {code} is not 211")]
    WrongCode {
        /// The code found.
        code: u16,
    },
    /// A control character (CR, LF, NUL...) in a feature name or parameters to be written.
    #[error("control character 0x{byte:02x} at byte {offset} of the feature {field}")]
    ControlCharacter {
        /// `"name"` or `"params"`.
        field: &'static str,
        /// The offending byte.
        byte: u8,
        /// Its byte offset in that field.
        offset: usize,
    },
    /// A feature name that is empty or holds a space.
    #[error("feature name {reason}")]
    BadName {
        /// What was wrong.
        reason: &'static str,
    },
    /// Feature parameters that would not read back as written (a blank at either end).
    #[error("feature params {reason}")]
    BadParams {
        /// What was wrong.
        reason: &'static str,
    },
}

impl FeatError {
    /// The stable error class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FeatError::WrongCode { .. } => ErrorKind::WrongReply,
            FeatError::ControlCharacter { .. } => ErrorKind::Injection,
            FeatError::BadName { .. } | FeatError::BadParams { .. } => ErrorKind::Syntax,
        }
    }
}

/// One advertised feature: a name and its parameters (empty when it has none).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Feature<'a> {
    name: Cow<'a, str>,
    params: Cow<'a, str>,
}

impl<'a> Feature<'a> {
    /// A feature to advertise, checked: the name is not empty and holds no space or control character; the
    /// parameters hold no control character and neither start nor end with a blank.
    ///
    /// # Errors
    /// [`FeatError::BadName`], [`FeatError::BadParams`], [`FeatError::ControlCharacter`].
    pub fn new(name: impl Into<Cow<'a, str>>, params: impl Into<Cow<'a, str>>) -> Result<Self, FeatError> {
        let (name, params) = (name.into(), params.into());
        check_no_control(&name, "name")?;
        check_no_control(&params, "params")?;
        if name.is_empty() {
            return Err(FeatError::BadName { reason: "is empty" });
        }
        if name.contains(' ') {
            return Err(FeatError::BadName { reason: "holds a space" });
        }
        if params.starts_with([' ', '\t']) || params.ends_with([' ', '\t']) {
            return Err(FeatError::BadParams { reason: "start or end with a blank" });
        }
        Ok(Feature { name, params })
    }

    /// Reads one feature line (leading and trailing blanks ignored); `None` for a blank line.
    fn from_line(line: &'a str) -> Option<Self> {
        let line = line.trim_matches([' ', '\t', '\r', '\n']);
        if line.is_empty() {
            return None;
        }
        let (name, params) = line.split_once(' ').unwrap_or((line, ""));
        Some(Feature { name: Cow::Borrowed(name), params: Cow::Borrowed(params.trim_start_matches(' ')) })
    }

    /// The name as the server wrote it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters, empty when there are none (`STREAM` for `REST STREAM`).
    pub fn params(&self) -> &str {
        &self.params
    }

    /// True when this feature is called `name` (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The same feature with no borrow.
    pub fn into_owned(self) -> Feature<'static> {
        Feature { name: Cow::Owned(self.name.into_owned()), params: Cow::Owned(self.params.into_owned()) }
    }
}

fn check_no_control(s: &str, field: &'static str) -> Result<(), FeatError> {
    match s.bytes().enumerate().find(|&(_, b)| b < 0x20 || b == 0x7f) {
        Some((offset, byte)) => Err(FeatError::ControlCharacter { field, byte, offset }),
        None => Ok(()),
    }
}

/// One fact named in the `MLST` feature's parameters (`size*` is a default fact, `UNIX.mode` a supported one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MlstFact<'a> {
    /// The fact name without the `*`.
    pub name: &'a str,
    /// True when marked `*`: the server sends it unless told otherwise by `OPTS MLST`.
    pub default: bool,
}

/// The facts of an `MLST` feature line, in order (see [`Features::mlst_facts`]).
#[derive(Debug, Clone)]
pub struct MlstFacts<'a> {
    rest: &'a str,
}

impl<'a> Iterator for MlstFacts<'a> {
    type Item = MlstFact<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (fact, rest) = self.rest.split_once(';').unwrap_or((self.rest, ""));
            self.rest = rest;
            let fact = fact.trim_matches(' ');
            if fact.is_empty() {
                continue;
            }
            return Some(match fact.strip_suffix('*') {
                Some(name) => MlstFact { name, default: true },
                None => MlstFact { name: fact, default: false },
            });
        }
    }
}

/// The features of a `FEAT` reply, in the order the server listed them.
///
/// Each feature borrows its name and parameters from the reply text; the list itself is one `Vec` (a reply has
/// no fixed number of features). [`Features::into_owned`] gives a `Features<'static>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Features<'a> {
    features: Vec<Feature<'a>>,
}

/// The three-digit code at the start of `line`, when followed by SP, `-` or the end.
fn leading_code(line: &str) -> Option<(u16, &str)> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = line.get(3..)?;
    if !(rest.is_empty() || rest.starts_with([' ', '-'])) {
        return None;
    }
    Some((digits.parse().ok()?, rest.get(1..).unwrap_or("")))
}

impl<'a> Features<'a> {
    /// No features.
    pub fn new() -> Self {
        Features { features: Vec::new() }
    }

    /// Reads the text lines of a `211` reply, its code already stripped (`"Extensions supported:"`,
    /// `" UTF8"`, ..., `"End."`): the first and last lines are prose, each line between is a feature.
    pub fn parse<I>(text_lines: I) -> Self
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut lines = text_lines.into_iter();
        let _prose = lines.next();
        let mut features = Vec::new();
        let mut pending: Option<&'a str> = None;
        for line in lines {
            if let Some(prev) = pending.replace(line) {
                let prev = leading_code(prev).filter(|&(c, _)| c == 211).map_or(prev, |(_, r)| r);
                features.extend(Feature::from_line(prev));
            }
        }
        // `pending` now holds the last line: prose.
        Features { features }
    }

    /// Reads a whole `211` reply as received (`211-...\r\n UTF8\r\n211 End\r\n`; `\r\n` or `\n` line ends), or
    /// its text without codes. A one-line `211` reply has no features.
    ///
    /// ```
    /// use ftpkit_proto::feat::Features;
    /// let f = Features::from_reply_text("211-Features:\r\n EPSV\r\n REST STREAM\r\n211 End\r\n").unwrap();
    /// assert!(f.has("epsv") && f.supports_epsv());
    /// assert_eq!(f.params("REST"), Some("STREAM"));
    /// assert_eq!(f.params("MLST"), None);
    /// ```
    ///
    /// # Errors
    /// [`FeatError::WrongCode`] when the text starts with a code other than 211.
    pub fn from_reply_text(text: &'a str) -> Result<Self, FeatError> {
        let body = text.strip_suffix('\n').unwrap_or(text);
        let mut lines = body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let Some(first) = lines.next().filter(|l| !l.is_empty()) else {
            return Ok(Features::new());
        };
        let first = match leading_code(first) {
            Some((211, rest)) => rest,
            Some((code, _)) => return Err(FeatError::WrongCode { code }),
            None => first,
        };
        Ok(Features::parse(core::iter::once(first).chain(lines)))
    }

    /// Adds a feature to advertise (for servers).
    ///
    /// # Errors
    /// As [`Feature::new`].
    pub fn push(&mut self, name: impl Into<Cow<'a, str>>, params: impl Into<Cow<'a, str>>) -> Result<(), FeatError> {
        self.features.push(Feature::new(name, params)?);
        Ok(())
    }

    /// The features in order.
    pub fn iter(&self) -> core::slice::Iter<'_, Feature<'a>> {
        self.features.iter()
    }

    /// How many features there are.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The first feature called `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Feature<'a>> {
        self.features.iter().find(|f| f.is(name))
    }

    /// True when a feature called `name` is listed (ASCII case-insensitive).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The parameters of the feature `name` (empty when it has none), or `None` when it is not listed.
    pub fn params(&self, name: &str) -> Option<&str> {
        self.get(name).map(Feature::params)
    }

    /// The facts of the `MLST` feature (`type*;size*;modify*;UNIX.mode;`), or `None` without `MLST`.
    pub fn mlst_facts(&self) -> Option<MlstFacts<'_>> {
        self.params("MLST").map(|rest| MlstFacts { rest })
    }

    /// The algorithms of the `HASH` feature (draft-bryan-ftpext-hash: `SHA-256*;SHA-1;MD5`), each with whether it
    /// is the one in use (`*`), in the server's order; names ftpkit does not know are left out. `None` without
    /// `HASH`.
    pub fn hash_algorithms(&self) -> Option<Vec<(HashAlgorithm, bool)>> {
        let params = self.params("HASH")?;
        let algs = params.split(';').map(|a| a.trim_matches(' ')).filter_map(|a| match a.strip_suffix('*') {
            Some(name) => HashAlgorithm::from_name(name).map(|h| (h, true)),
            None => HashAlgorithm::from_name(a).map(|h| (h, false)),
        });
        Some(algs.collect())
    }
    /// `HASH` is listed with `algorithm` among its algorithms.
    pub fn offers_hash(&self, algorithm: HashAlgorithm) -> bool {
        self.hash_algorithms().is_some_and(|algs| algs.iter().any(|&(a, _)| a == algorithm))
    }
    /// The `HASH` algorithm in use (the one starred in FEAT), if any.
    pub fn hash_selected(&self) -> Option<HashAlgorithm> {
        self.hash_algorithms()?.into_iter().find_map(|(a, selected)| selected.then_some(a))
    }
    /// `EPSV` is listed (RFC 2428 predates FEAT, so servers need not list it: absence proves nothing).
    pub fn supports_epsv(&self) -> bool {
        self.has("EPSV")
    }
    /// `EPRT` is listed (the same caveat as [`Features::supports_epsv`]).
    pub fn supports_eprt(&self) -> bool {
        self.has("EPRT")
    }
    /// `MLSD` can be used: `MLST` is listed (RFC 3659 §7.8 ties `MLSD` to it) or `MLSD` is.
    pub fn supports_mlsd(&self) -> bool {
        self.has("MLST") || self.has("MLSD")
    }
    /// `SIZE` is listed.
    pub fn supports_size(&self) -> bool {
        self.has("SIZE")
    }
    /// `MDTM` is listed.
    pub fn supports_mdtm(&self) -> bool {
        self.has("MDTM")
    }
    /// `REST STREAM` is listed (restart of stream-mode transfers).
    pub fn supports_rest_stream(&self) -> bool {
        self.params("REST").is_some_and(|p| p.split(' ').any(|w| w.eq_ignore_ascii_case("STREAM")))
    }
    /// `TVFS` is listed (`/`-separated path names).
    pub fn supports_tvfs(&self) -> bool {
        self.has("TVFS")
    }
    /// `UTF8` is listed (RFC 2640: path names are UTF-8).
    pub fn utf8(&self) -> bool {
        self.has("UTF8")
    }
    /// `AUTH` lists `TLS` (RFC 4217).
    pub fn supports_auth_tls(&self) -> bool {
        self.params("AUTH").is_some_and(|p| p.split([' ', ';']).any(|w| w.eq_ignore_ascii_case("TLS")))
    }

    /// The text lines of the `211` reply a server sends (no codes, no line ends): `Features:`, one line per
    /// feature starting with one SP, `End`. With no features: the single line `No features`.
    pub fn text_lines(&self) -> Vec<String> {
        if self.features.is_empty() {
            return vec!["No features".to_owned()];
        }
        let mut out = Vec::with_capacity(self.features.len() + 2);
        out.push("Features:".to_owned());
        for f in &self.features {
            if f.params.is_empty() {
                out.push(format!(" {}", f.name));
            } else {
                out.push(format!(" {} {}", f.name, f.params));
            }
        }
        out.push("End".to_owned());
        out
    }

    /// The whole `211` reply as it goes on the wire, `\r\n` line ends: `211-Features:`, the feature lines,
    /// `211 End` (or `211 No features`). [`Features::from_reply_text`] reads it back.
    ///
    /// ```
    /// use ftpkit_proto::feat::Features;
    /// let mut f = Features::new();
    /// f.push("UTF8", "").unwrap();
    /// f.push("REST", "STREAM").unwrap();
    /// assert_eq!(f.to_reply_text(), "211-Features:\r\n UTF8\r\n REST STREAM\r\n211 End\r\n");
    /// ```
    pub fn to_reply_text(&self) -> String {
        let lines = self.text_lines();
        let last = lines.len().saturating_sub(1);
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            if i == 0 && i != last {
                out.push_str("211-");
            } else if i == last {
                out.push_str("211 ");
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out
    }

    /// The same features with no borrow.
    pub fn into_owned(self) -> Features<'static> {
        Features { features: self.features.into_iter().map(Feature::into_owned).collect() }
    }
}

impl<'a, 'f> IntoIterator for &'f Features<'a> {
    type Item = &'f Feature<'a>;
    type IntoIter = core::slice::Iter<'f, Feature<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(f: &Features<'_>) -> Vec<(String, String)> {
        f.iter().map(|x| (x.name().to_owned(), x.params().to_owned())).collect()
    }

    #[test]
    fn reads_table() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("211-Features:\r\n EPRT\r\n REST STREAM\r\n211 End\r\n", &[("EPRT", ""), ("REST", "STREAM")]),
            ("211-x\n MDTM\n211 End\n", &[("MDTM", "")]),
            ("211 No features\r\n", &[]),
            ("211-x\r\n211 End\r\n", &[]),
            ("", &[]),
            ("211-x\r\n  SIZE  \r\nMDTM\r\n\r\n211-TVFS\r\n211 End\r\n", &[("SIZE", ""), ("MDTM", ""), ("TVFS", "")]),
            ("Features:\n AUTH TLS;TLS-C\nEnd", &[("AUTH", "TLS;TLS-C")]),
            ("211-x\r\n LANG EN*;FR\r\n211 End", &[("LANG", "EN*;FR")]),
        ];
        for &(text, want) in cases {
            let f = Features::from_reply_text(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            let want: Vec<_> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
            assert_eq!(names(&f), want, "{text:?}");
        }
        assert_eq!(Features::from_reply_text("500 Unknown command.\r\n"), Err(FeatError::WrongCode { code: 500 }));
        assert_eq!(FeatError::WrongCode { code: 500 }.kind(), ErrorKind::WrongReply);
    }

    #[test]
    fn queries() {
        let f = Features::from_reply_text(
            "211-Extensions supported:\r\n UTF8\r\n rest stream\r\n MLST type*;size*;UNIX.mode;\r\n AUTH TLS\r\n211 End.\r\n",
        )
        .unwrap();
        assert!(f.utf8() && f.supports_rest_stream() && f.supports_mlsd() && f.supports_auth_tls());
        assert!(!f.supports_epsv() && !f.supports_size() && !f.supports_mdtm() && !f.supports_tvfs());
        assert_eq!(f.params("Rest"), Some("stream"));
        assert_eq!(f.params("UTF8"), Some(""));
        let facts: Vec<_> = f.mlst_facts().unwrap().map(|m| (m.name, m.default)).collect();
        assert_eq!(facts, vec![("type", true), ("size", true), ("UNIX.mode", false)]);
        assert!(Features::new().mlst_facts().is_none());
        let owned: Features<'static> = f.clone().into_owned();
        assert_eq!(owned, f);
    }

    #[test]
    fn writes_and_refuses() {
        let mut f = Features::new();
        assert_eq!(f.to_reply_text(), "211 No features\r\n");
        f.push("MLST", "type*;size*;").unwrap();
        assert_eq!(f.text_lines(), vec!["Features:", " MLST type*;size*;", "End"]);
        assert_eq!(Features::from_reply_text(&f.to_reply_text()).unwrap(), f);
        assert_eq!(f.push("", ""), Err(FeatError::BadName { reason: "is empty" }));
        assert_eq!(f.push("A B", ""), Err(FeatError::BadName { reason: "holds a space" }));
        assert_eq!(
            f.push("X", "a\r\n500 x"),
            Err(FeatError::ControlCharacter { field: "params", byte: b'\r', offset: 1 })
        );
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn hash_feature_offered_and_selected() {
        let f = Features::from_reply_text("211-Features:\r\n HASH SHA-256;SHA-1*;MD5;CRC32\r\n SIZE\r\n211 End\r\n")
            .unwrap();
        let sha1 = HashAlgorithm::Sha1;
        assert_eq!(
            f.hash_algorithms(),
            Some(vec![(HashAlgorithm::Sha256, false), (sha1, true), (HashAlgorithm::Md5, false)])
        );
        assert!(f.offers_hash(HashAlgorithm::Sha256));
        assert_eq!(f.hash_selected(), Some(sha1));
        let none = Features::from_reply_text("211-Features:\r\n SIZE\r\n211 End\r\n").unwrap();
        assert_eq!(none.hash_algorithms(), None);
        assert!(!none.offers_hash(HashAlgorithm::Sha256));
        assert_eq!(none.hash_selected(), None);
        let md5 = Features::from_reply_text("211-Features:\r\n HASH MD5\r\n211 End\r\n").unwrap();
        assert!(!md5.offers_hash(HashAlgorithm::Sha256));
        assert_eq!(md5.hash_selected(), None);
    }
}
