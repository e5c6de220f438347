//! Virtual paths: the server's view of its file tree, resolved lexically and never above `/`.
//!
//! A server session keeps a virtual working directory and resolves every path argument against it into a
//! [`VirtualPath`]: absolute, normalised (`/a/b`, no `.`, no `..`, no empty segment, no trailing `/`), and
//! never above the virtual root (`/..` is `/`). The caller's file system adapter maps a virtual path under its
//! root by joining the [`segments`](VirtualPath::segments) one by one; since no segment is ever `.`, `..`, empty or
//! holds `/` or NUL, the join cannot leave the root lexically. Symbolic links are IO and stay the adapter's job.
//!
//! ```text
//!   cwd /pub  +  "../etc//./passwd/"  ──resolve──►  /etc/passwd   ──adapter──►  <root>/etc/passwd
//!   cwd /     +  "../../.."           ──resolve──►  /
//! ```
//!
//! # Decisions
//! - Resolution is purely lexical (like `path.Clean` in Go or RFC 3986 dot-segment removal): `a/../b` is `b`
//!   even when `a` is a symbolic link. The adapter checks the final real path stays under its root.
//! - A NUL byte anywhere is refused ([`VpathError::Nul`]); so are CR and LF (they cannot come from a decoded command,
//!   but a path built by other code could carry them into a reply).
//! - `\` is an ordinary byte here (a legal Unix file name byte). A server session refuses it unless configured
//!   otherwise, because on Windows it is a separator (see `ServerConfig::allow_backslash`).
//! - `~` has no meaning: `~/x` is a directory named `~`.
use crate::ErrorKind;
use core::fmt;

/// Why a path argument was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VpathError {
    /// The path holds a NUL byte.
    #[error("path: byte {position} is NUL; NUL is not allowed in a path")]
    Nul {
        /// 1-based position in the argument.
        position: usize,
    },
    /// The path holds CR or LF.
    #[error("path: byte {position} is {byte:#04x}; CR and LF are not allowed in a path")]
    LineEnd {
        /// 1-based position in the argument.
        position: usize,
        /// The byte.
        byte: u8,
    },
}

impl VpathError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            VpathError::Nul { .. } | VpathError::LineEnd { .. } => ErrorKind::Injection,
        }
    }
}

/// An absolute, normalised virtual path: `/` or `/seg/seg...`, each segment non-empty, not `.` or `..`, without
/// `/`, NUL, CR or LF.
///
/// It owns its text (a `String`), so it has no borrowed form; it is what requests carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VirtualPath(String);

impl Default for VirtualPath {
    fn default() -> Self {
        VirtualPath::root()
    }
}

impl VirtualPath {
    /// The root, `/`.
    pub fn root() -> Self {
        VirtualPath(String::from("/"))
    }

    /// Resolve `arg` against this directory: an argument starting with `/` starts again from the root. Empty
    /// segments and `.` are dropped, `..` removes the last segment and never goes above `/`, a trailing `/` is
    /// dropped. An empty argument gives this path.
    ///
    /// ```
    /// use ftpkit_proto::vpath::VirtualPath;
    /// let cwd = VirtualPath::root().resolve("pub").unwrap();
    /// assert_eq!(cwd.resolve("../../etc//./passwd/").unwrap().as_str(), "/etc/passwd");
    /// ```
    ///
    /// # Errors
    /// [`VpathError::Nul`] or [`VpathError::LineEnd`]; nothing else can fail.
    pub fn resolve(&self, arg: &str) -> Result<VirtualPath, VpathError> {
        if let Some(i) = arg.bytes().position(|b| matches!(b, 0 | b'\r' | b'\n')) {
            let byte = arg.as_bytes().get(i).copied().unwrap_or(0);
            return Err(if byte == 0 {
                VpathError::Nul { position: i + 1 }
            } else {
                VpathError::LineEnd { position: i + 1, byte }
            });
        }
        let mut out = if arg.starts_with('/') { String::with_capacity(arg.len()) } else { self.0.clone() };
        if out == "/" {
            out.clear();
        }
        for seg in arg.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    let cut = out.rfind('/').unwrap_or(0);
                    out.truncate(cut);
                }
                _ => {
                    out.push('/');
                    out.push_str(seg);
                }
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        Ok(VirtualPath(out))
    }

    /// The path text, always starting with `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `/`.
    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The segments from the root down (none for `/`). No segment is empty, `.` or `..`, or holds `/` or NUL.
    pub fn segments(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.split('/').filter(|s| !s.is_empty())
    }

    /// The last segment (`None` for `/`).
    pub fn file_name(&self) -> Option<&str> {
        self.segments().last()
    }

    /// The parent directory (`/` for `/`).
    pub fn parent(&self) -> VirtualPath {
        match self.0.rfind('/') {
            Some(0) | None => VirtualPath::root(),
            Some(i) => VirtualPath(self.0.get(..i).unwrap_or("/").to_owned()),
        }
    }

    /// The path relative to the root (no leading `/`; empty for `/`), for joining under a real directory.
    pub fn relative(&self) -> &str {
        self.0.get(1..).unwrap_or("")
    }

    /// The owned text.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for VirtualPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(cwd: &str) -> VirtualPath {
        VirtualPath::root().resolve(cwd).unwrap()
    }

    #[test]
    fn resolve_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("/", "", "/"),
            ("/", "a", "/a"),
            ("/", "/", "/"),
            ("/", "..", "/"),
            ("/", "../../..", "/"),
            ("/", "/../../etc/passwd", "/etc/passwd"),
            ("/pub", "..", "/"),
            ("/pub", "../..", "/"),
            ("/pub", "x/../../..", "/"),
            ("/pub", "x/../y", "/pub/y"),
            ("/pub", "//a//b//", "/a/b"),
            ("/pub", "./a/./b/.", "/pub/a/b"),
            ("/pub", "a/", "/pub/a"),
            ("/pub", "...", "/pub/..."),
            ("/pub", ".hidden", "/pub/.hidden"),
            ("/pub", "~/x", "/pub/~/x"),
            ("/pub", "a\\..\\..", "/pub/a\\..\\.."),
            ("/pub", " sp ace ", "/pub/ sp ace "),
            ("/pub", "café-ñandú.txt", "/pub/café-ñandú.txt"),
            ("/a/b/c", "../../d", "/a/d"),
            ("/a/b/c", "", "/a/b/c"),
            ("/a/b/c", ".", "/a/b/c"),
        ];
        for &(cwd, arg, want) in cases {
            let got = at(cwd).resolve(arg).unwrap();
            assert_eq!(got.as_str(), want, "{cwd} + {arg:?}");
            assert!(got.segments().all(|s| !s.is_empty() && s != "." && s != ".."), "{got}");
        }
    }

    #[test]
    fn refused() {
        assert_eq!(at("/").resolve("a\0b"), Err(VpathError::Nul { position: 2 }));
        assert_eq!(at("/").resolve("\0"), Err(VpathError::Nul { position: 1 }));
        assert_eq!(at("/").resolve("a\nb"), Err(VpathError::LineEnd { position: 2, byte: b'\n' }));
        assert_eq!(VpathError::Nul { position: 1 }.kind(), ErrorKind::Injection);
        assert_eq!(VpathError::Nul { position: 3 }.to_string(), "path: byte 3 is NUL; NUL is not allowed in a path");
    }

    #[test]
    fn parts() {
        let p = at("/a/b/c.txt");
        assert_eq!(p.segments().collect::<Vec<_>>(), ["a", "b", "c.txt"]);
        assert_eq!(p.file_name(), Some("c.txt"));
        assert_eq!(p.parent().as_str(), "/a/b");
        assert_eq!(p.parent().parent().parent().as_str(), "/");
        assert_eq!(VirtualPath::root().parent().as_str(), "/");
        assert_eq!(VirtualPath::root().file_name(), None);
        assert_eq!(p.relative(), "a/b/c.txt");
        assert_eq!(VirtualPath::root().relative(), "");
        assert!(VirtualPath::default().is_root());
    }
}
