//! `ftp://[user[:pass]@]host[:port]/path` URLs (RFC 1738 §3.2), percent-decoded; `ftps://` for implicit FTPS.
//!
//! Written by hand rather than with the `url` crate: the grammar is small, and FTP needs two things a general URL
//! parser does not give: the path kept relative to the login directory (RFC 1738 §3.2.2; `%2F` makes it absolute),
//! and a refusal of decoded CR, LF and NUL, which would end or split a command line.

use std::fmt;

/// The user name sent when the URL names none.
pub const ANONYMOUS_USER: &str = "anonymous";
/// The password sent for an anonymous login.
pub const ANONYMOUS_PASS: &str = "ftpkit@";

/// A parsed `ftp://` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct FtpUrl {
    /// The host as written (an IPv6 address without its brackets).
    pub host: String,
    /// The control port (21 when absent).
    pub port: u16,
    /// The user (`anonymous` when absent).
    pub user: String,
    /// The password (`ftpkit@` for anonymous, empty when a user is given without one).
    pub password: String,
    /// The path as sent to the server: relative to the login directory unless it starts with `/` (`%2F`). Empty
    /// when the URL has none.
    pub path: String,
}

impl fmt::Debug for FtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"***")
            .field("path", &self.path)
            .finish()
    }
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Not an `ftp://` (or, where allowed, `ftps://`) URL.
    #[error("URL {0:?} does not start with ftp:// (or ftps://)")]
    Scheme(String),
    /// No host between `//` and the path.
    #[error("URL has no host")]
    NoHost,
    /// The port is not a number 1-65535.
    #[error("port {0:?} is not a number 1-65535")]
    Port(String),
    /// An IPv6 host's `[` has no `]`.
    #[error("host {0:?}: '[' without ']'")]
    Bracket(String),
    /// A `%` not followed by two hex digits.
    #[error("{field}: '%' at byte {at} is not followed by two hex digits")]
    Escape {
        /// Which part of the URL.
        field: &'static str,
        /// Byte offset of the `%` in that part.
        at: usize,
    },
    /// A decoded CR, LF or NUL, which would end or split the FTP command line.
    #[error("{field}: decodes to a CR, LF or NUL byte, which cannot be sent in an FTP command")]
    ControlByte {
        /// Which part of the URL.
        field: &'static str,
    },
    /// The decoded text is not UTF-8.
    #[error("{field}: decodes to bytes that are not UTF-8")]
    NotUtf8 {
        /// Which part of the URL.
        field: &'static str,
    },
}

impl UrlError {
    /// The stable class of the error.
    pub fn kind(&self) -> ftpkit_proto::ErrorKind {
        use ftpkit_proto::ErrorKind as K;
        match self {
            UrlError::Scheme(_) => K::Unsupported,
            UrlError::NoHost | UrlError::Bracket(_) => K::Syntax,
            UrlError::Port(_) => K::Range,
            UrlError::Escape { .. } | UrlError::NotUtf8 { .. } => K::Syntax,
            UrlError::ControlByte { .. } => K::Injection,
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes; refuses bad escapes, CR, LF, NUL and non-UTF-8 results.
pub fn percent_decode(text: &str, field: &'static str) -> Result<String, UrlError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex);
            let lo = bytes.get(i + 2).copied().and_then(hex);
            match (hi, lo) {
                (Some(h), Some(l)) => out.push(h * 16 + l),
                _ => return Err(UrlError::Escape { field, at: i }),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    if out.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(UrlError::ControlByte { field });
    }
    String::from_utf8(out).map_err(|_| UrlError::NotUtf8 { field })
}

/// The port of implicit FTPS (`ftps://`), as curl and lftp use it.
pub const FTPS_PORT: u16 = 990;

impl FtpUrl {
    /// Parses `ftp://[user[:pass]@]host[:port][/path]`. A `;type=` suffix is not supported (binary is always used).
    pub fn parse(text: &str) -> Result<FtpUrl, UrlError> {
        match text.get(..6) {
            Some(s) if s.eq_ignore_ascii_case("ftp://") => FtpUrl::parse_rest(text.get(6..).unwrap_or_default(), 21),
            _ => Err(UrlError::Scheme(text.to_owned())),
        }
    }

    /// Parses an `ftp://` URL, or an `ftps://` URL (implicit FTPS: TLS from the first byte, port 990 when absent,
    /// curl's and lftp's convention); the flag says which.
    pub fn parse_with_tls(text: &str) -> Result<(FtpUrl, bool), UrlError> {
        match text.get(..7) {
            Some(s) if s.eq_ignore_ascii_case("ftps://") => {
                Ok((FtpUrl::parse_rest(text.get(7..).unwrap_or_default(), FTPS_PORT)?, true))
            }
            _ => Ok((FtpUrl::parse(text)?, false)),
        }
    }

    fn parse_rest(rest: &str, default_port: u16) -> Result<FtpUrl, UrlError> {
        let (authority, path) = match rest.find('/') {
            Some(i) => (rest.get(..i).unwrap_or_default(), rest.get(i + 1..).unwrap_or_default()),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(authority.get(..i).unwrap_or_default()), authority.get(i + 1..).unwrap_or_default()),
            None => (None, authority),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| UrlError::Bracket(hostport.to_owned()))?;
            match after {
                "" => (h, None),
                p => (h, Some(p.strip_prefix(':').ok_or_else(|| UrlError::Port(p.to_owned()))?)),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        let port = match port {
            None | Some("") => default_port,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return Err(UrlError::Port(p.to_owned())),
            },
        };
        let (user, password) = match userinfo {
            None => (ANONYMOUS_USER.to_owned(), ANONYMOUS_PASS.to_owned()),
            Some(info) => {
                let (u, p) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let user = percent_decode(u, "user")?;
                let anonymous = user.is_empty() || user.eq_ignore_ascii_case(ANONYMOUS_USER);
                let password = match p {
                    Some(p) => percent_decode(p, "password")?,
                    None if anonymous => ANONYMOUS_PASS.to_owned(),
                    None => String::new(),
                };
                (if user.is_empty() { ANONYMOUS_USER.to_owned() } else { user }, password)
            }
        };
        let path = percent_decode(path, "path")?;
        Ok(FtpUrl { host: host.to_owned(), port, user, password, path })
    }

    /// `host:port`, with brackets around an IPv6 address, for connecting.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The path, or `None` when the URL names the login directory.
    pub fn path_opt(&self) -> Option<&str> {
        (!self.path.is_empty()).then_some(self.path.as_str())
    }

    /// The last segment of the path (a file name), if any.
    pub fn file_name(&self) -> Option<&str> {
        self.path.rsplit('/').next().filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(host: &str, port: u16, user: &str, password: &str, path: &str) -> FtpUrl {
        FtpUrl { host: host.into(), port, user: user.into(), password: password.into(), path: path.into() }
    }

    #[test]
    fn ftps_urls_are_implicit_tls_on_port_990() {
        assert_eq!(FtpUrl::parse_with_tls("ftps://h/a").unwrap(), (url("h", 990, "anonymous", "ftpkit@", "a"), true));
        assert_eq!(FtpUrl::parse_with_tls("FTPS://u:p@h:2990/").unwrap(), (url("h", 2990, "u", "p", ""), true));
        assert_eq!(FtpUrl::parse_with_tls("ftp://h/").unwrap(), (url("h", 21, "anonymous", "ftpkit@", ""), false));
        assert!(matches!(FtpUrl::parse("ftps://h/"), Err(UrlError::Scheme(_))));
        assert!(matches!(FtpUrl::parse_with_tls("http://h/"), Err(UrlError::Scheme(_))));
    }

    #[test]
    fn parses() {
        let table = [
            ("ftp://example.com", url("example.com", 21, "anonymous", "ftpkit@", "")),
            ("FTP://example.com/", url("example.com", 21, "anonymous", "ftpkit@", "")),
            ("ftp://h:2121/pub/a.txt", url("h", 2121, "anonymous", "ftpkit@", "pub/a.txt")),
            ("ftp://bob@h/x", url("h", 21, "bob", "", "x")),
            ("ftp://bob:s%40cr%3At@h:21/x", url("h", 21, "bob", "s@cr:t", "x")),
            ("ftp://a%40b:p@h/", url("h", 21, "a@b", "p", "")),
            ("ftp://anonymous@h/", url("h", 21, "anonymous", "ftpkit@", "")),
            ("ftp://[::1]:2121/dir/f%20g", url("::1", 2121, "anonymous", "ftpkit@", "dir/f g")),
            ("ftp://[::1]/", url("::1", 21, "anonymous", "ftpkit@", "")),
            ("ftp://h/%2Fetc/motd", url("h", 21, "anonymous", "ftpkit@", "/etc/motd")),
            ("ftp://h/%C3%A9t%C3%A9", url("h", 21, "anonymous", "ftpkit@", "été")),
        ];
        for (text, want) in table {
            assert_eq!(FtpUrl::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn refuses() {
        let table = [
            ("http://h/", UrlError::Scheme("http://h/".into())),
            ("ftp:/h", UrlError::Scheme("ftp:/h".into())),
            ("ftp:///x", UrlError::NoHost),
            ("ftp://u@:21/x", UrlError::NoHost),
            ("ftp://h:0/", UrlError::Port("0".into())),
            ("ftp://h:65536/", UrlError::Port("65536".into())),
            ("ftp://h:+21/", UrlError::Port("+21".into())),
            ("ftp://[::1/", UrlError::Bracket("[::1".into())),
            ("ftp://[::1]x/", UrlError::Port("x".into())),
            ("ftp://h/a%2", UrlError::Escape { field: "path", at: 1 }),
            ("ftp://h/a%zz", UrlError::Escape { field: "path", at: 1 }),
            ("ftp://h/a%0d%0aDELE%20x", UrlError::ControlByte { field: "path" }),
            ("ftp://u%00:p@h/", UrlError::ControlByte { field: "user" }),
            ("ftp://h/%ff", UrlError::NotUtf8 { field: "path" }),
        ];
        for (text, want) in table {
            assert_eq!(FtpUrl::parse(text), Err(want), "{text}");
        }
    }

    #[test]
    fn helpers() {
        let u = FtpUrl::parse("ftp://[::1]:2121/pub/a.txt").unwrap();
        assert_eq!(u.authority(), "[::1]:2121");
        assert_eq!(u.file_name(), Some("a.txt"));
        assert_eq!(u.path_opt(), Some("pub/a.txt"));
        let u = FtpUrl::parse("ftp://h/pub/").unwrap();
        assert_eq!((u.authority().as_str(), u.file_name(), u.path_opt()), ("h:21", None, Some("pub/")));
        assert!(!format!("{u:?}").contains("ftpkit@"), "the password is not shown");
    }
}
