//! The `HASH` command's reply (draft-bryan-ftpext-hash): `213 <algorithm> <start>-<end> <hex digest> <path>`.
//!
//! [`HashReply::parse`] reads the text of a `213` reply into a typed value; malformed text is a
//! [`HashReplyError`], never a panic. [`HashReply::check`] compares it with a digest computed locally (the mirror's
//! verification), so the comparison policy lives here and is tested here.

pub use crate::session::server::HashAlgorithm;

use crate::ErrorKind;

/// Why a `HASH` reply's text could not be read, or did not match.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashReplyError {
    /// A field is missing (the reply has fewer than algorithm, range, digest and path).
    #[error("HASH reply lacks its {0}")]
    Missing(&'static str),
    /// The algorithm is not one of SHA-256, SHA-1 and MD5.
    #[error("HASH reply names an unknown algorithm")]
    UnknownAlgorithm,
    /// The range is not `<start>-<end>` in decimal with start ≤ end.
    #[error("HASH reply has a malformed byte range")]
    BadRange,
    /// The digest is not hex, or not as long as the algorithm's.
    #[error("HASH reply digest is not {0} bytes of hex")]
    BadDigest(usize),
    /// The server hashed with another algorithm than the one compared against.
    #[error("the server hashed with {got}, not {want}")]
    WrongAlgorithm {
        /// The algorithm asked for.
        want: &'static str,
        /// The one in the reply.
        got: &'static str,
    },
    /// The server hashed another byte range than the whole file.
    #[error("the server hashed bytes {start}-{end}, not the whole file of {size} bytes")]
    PartialRange {
        /// First byte hashed.
        start: u64,
        /// End of the range hashed.
        end: u64,
        /// The file's size.
        size: u64,
    },
    /// The digests differ.
    #[error("hash mismatch: the server has {remote}, the local copy {local}")]
    Mismatch {
        /// The server's digest, hex.
        remote: String,
        /// The local digest, hex.
        local: String,
    },
}

impl HashReplyError {
    /// The stable error class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HashReplyError::Mismatch { .. } => ErrorKind::UnexpectedInput,
            HashReplyError::WrongAlgorithm { .. } | HashReplyError::PartialRange { .. } => ErrorKind::WrongReply,
            HashReplyError::UnknownAlgorithm => ErrorKind::Unsupported,
            HashReplyError::Missing(_) | HashReplyError::BadRange | HashReplyError::BadDigest(_) => ErrorKind::Syntax,
        }
    }
}

/// A parsed `HASH` reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashReply {
    /// The algorithm the server used.
    pub algorithm: HashAlgorithm,
    /// The first byte hashed.
    pub start: u64,
    /// The end of the range hashed, as the server wrote it (ftpkit's server: the file's size).
    pub end: u64,
    /// The digest bytes (as long as the algorithm's [`HashAlgorithm::digest_len`]).
    pub digest: Vec<u8>,
    /// The path as the server repeated it (may hold spaces).
    pub path: String,
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(hex: &str, len: usize) -> Option<Vec<u8>> {
    if hex.len() != len * 2 || !hex.is_ascii() {
        return None;
    }
    (0..len).map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}

impl HashReply {
    /// Reads the text of a `213` reply (without the code): `SHA-256 0-3 <hex> /f`.
    ///
    /// ```
    /// use ftpkit_proto::hash::{HashAlgorithm, HashReply};
    /// let r = HashReply::parse("MD5 0-3 900150983cd24fb0d6963f7d28e17f72 /a b").unwrap();
    /// assert_eq!((r.algorithm, r.start, r.end, r.path.as_str()), (HashAlgorithm::Md5, 0, 3, "/a b"));
    /// ```
    ///
    /// # Errors
    /// [`HashReplyError::Missing`], [`HashReplyError::UnknownAlgorithm`], [`HashReplyError::BadRange`],
    /// [`HashReplyError::BadDigest`].
    pub fn parse(text: &str) -> Result<HashReply, HashReplyError> {
        let text = text.trim_end_matches(['\r', '\n']).trim_start_matches(' ');
        let mut fields = text.splitn(4, ' ');
        let algorithm = fields.next().filter(|f| !f.is_empty()).ok_or(HashReplyError::Missing("algorithm"))?;
        let algorithm = HashAlgorithm::from_name(algorithm).ok_or(HashReplyError::UnknownAlgorithm)?;
        let range = fields.next().filter(|f| !f.is_empty()).ok_or(HashReplyError::Missing("range"))?;
        let (start, end) = range.split_once('-').ok_or(HashReplyError::BadRange)?;
        let number = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse::<u64>().ok()).flatten();
        let (start, end) = (number(start), number(end));
        let (Some(start), Some(end)) = (start, end) else { return Err(HashReplyError::BadRange) };
        if start > end {
            return Err(HashReplyError::BadRange);
        }
        let hex = fields.next().filter(|f| !f.is_empty()).ok_or(HashReplyError::Missing("digest"))?;
        let digest = from_hex(hex, algorithm.digest_len()).ok_or(HashReplyError::BadDigest(algorithm.digest_len()))?;
        let path = fields.next().filter(|f| !f.is_empty()).ok_or(HashReplyError::Missing("path"))?;
        Ok(HashReply { algorithm, start, end, digest, path: path.to_owned() })
    }

    /// The reply's text as a server writes it (what [`parse`](Self::parse) reads back).
    pub fn to_text(&self) -> String {
        format!("{} {}-{} {} {}", self.algorithm.name(), self.start, self.end, to_hex(&self.digest), self.path)
    }

    /// Checks that this reply covers the whole file of `size` bytes with `algorithm`, and that its digest is
    /// `local` (the digest computed on this side).
    ///
    /// # Errors
    /// [`HashReplyError::WrongAlgorithm`], [`HashReplyError::PartialRange`], [`HashReplyError::Mismatch`].
    pub fn check(&self, algorithm: HashAlgorithm, size: u64, local: &[u8]) -> Result<(), HashReplyError> {
        if self.algorithm != algorithm {
            return Err(HashReplyError::WrongAlgorithm { want: algorithm.name(), got: self.algorithm.name() });
        }
        if self.start != 0 || self.end != size {
            return Err(HashReplyError::PartialRange { start: self.start, end: self.end, size });
        }
        if self.digest != local {
            return Err(HashReplyError::Mismatch { remote: to_hex(&self.digest), local: to_hex(local) });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn reads_ftpkit_servers_reply() {
        let r = HashReply::parse(&format!("SHA-256 0-3 {ABC_SHA256} /dir/a file")).unwrap();
        assert_eq!(r.algorithm, HashAlgorithm::Sha256);
        assert_eq!((r.start, r.end), (0, 3));
        assert_eq!(to_hex(&r.digest), ABC_SHA256);
        assert_eq!(r.path, "/dir/a file");
        assert_eq!(r.check(HashAlgorithm::Sha256, 3, &r.digest.clone()), Ok(()));
    }

    #[test]
    fn malformed_replies_are_typed_errors() {
        use HashReplyError as E;
        let md5 = "900150983cd24fb0d6963f7d28e17f72";
        let cases: Vec<(String, E)> = vec![
            (String::new(), E::Missing("algorithm")),
            ("SHA-256".into(), E::Missing("range")),
            ("SHA-512 0-3 00 /f".into(), E::UnknownAlgorithm),
            ("MD5 3 00 /f".into(), E::BadRange),
            ("MD5 4-3 00 /f".into(), E::BadRange),
            ("MD5 -1-3 00 /f".into(), E::BadRange),
            ("MD5 +0-3 00 /f".into(), E::BadRange),
            ("MD5 0-99999999999999999999 00 /f".into(), E::BadRange),
            ("MD5 0-3".into(), E::Missing("digest")),
            ("MD5 0-3 abc /f".into(), E::BadDigest(16)),
            (format!("MD5 0-3 {} /f", &md5[..30]), E::BadDigest(16)),
            (format!("MD5 0-3 {}zz /f", &md5[..30]), E::BadDigest(16)),
            (format!("MD5 0-3 {}é /f", &md5[..29]), E::BadDigest(16)),
            (format!("MD5 0-3 {md5}"), E::Missing("path")),
            (format!("MD5 0-3 {md5} "), E::Missing("path")),
        ];
        for (text, want) in cases {
            assert_eq!(HashReply::parse(&text), Err(want), "{text:?}");
        }
    }

    #[test]
    fn check_reports_algorithm_range_and_digest() {
        let r = HashReply::parse(&format!("SHA-256 0-3 {ABC_SHA256} /f")).unwrap();
        let good = r.digest.clone();
        let mut bad = good.clone();
        bad[0] ^= 1;
        assert!(matches!(r.check(HashAlgorithm::Sha1, 3, &good), Err(HashReplyError::WrongAlgorithm { .. })));
        assert!(matches!(r.check(HashAlgorithm::Sha256, 4, &good), Err(HashReplyError::PartialRange { .. })));
        let err = r.check(HashAlgorithm::Sha256, 3, &bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedInput);
        assert!(err.to_string().contains(ABC_SHA256), "{err}");
    }

    proptest! {
        #[test]
        fn round_trips(alg in 0usize..3, start in 0u64..1000, len in 0u64..u64::MAX / 2,
                       seed in any::<u8>(), path in "[a-z/ ]{0,20}[a-z]") {
            let algorithm = HashAlgorithm::ALL[alg];
            let digest: Vec<u8> = (0..algorithm.digest_len() as u8).map(|i| i.wrapping_mul(seed)).collect();
            let r = HashReply { algorithm, start, end: start + len, digest, path };
            prop_assert_eq!(HashReply::parse(&r.to_text()), Ok(r));
        }

        #[test]
        fn never_panics(text in "\\PC{0,120}") {
            let _ = HashReply::parse(&text);
        }
    }
}
