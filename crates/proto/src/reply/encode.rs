//! [`Reply`], an owned reply, and its encoding (injection-safe: CR, LF and NUL in the text are refused).
use super::{Code, ReplyError};

/// An owned reply: its code and its text lines (without the `NNN-`/`NNN ` prefixes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    /// The reply code.
    pub code: Code,
    /// The text lines. Empty encodes as one empty line.
    pub lines: Vec<String>,
}

impl Reply {
    /// A single-line reply.
    pub fn new(code: Code, text: impl Into<String>) -> Reply {
        Reply { code, lines: vec![text.into()] }
    }

    /// A reply with the given text lines (multi-line when there is more than one).
    pub fn multiline<I, S>(code: Code, lines: I) -> Reply
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Reply { code, lines: lines.into_iter().map(Into::into).collect() }
    }

    /// The text lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// Write the reply: every line but the last as `NNN-text\r\n`, the last as `NNN text\r\n`. Decoding the
    /// result (either framing) gives back the same code and text lines. Text holding CR, LF or NUL is refused and
    /// nothing is written.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), ReplyError> {
        for (i, line) in self.lines.iter().enumerate() {
            if let Some(&byte) = line.as_bytes().iter().find(|b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(ReplyError::Injection { line: i + 1, byte });
            }
        }
        let digits = self.code.digits();
        let last = self.lines.len().saturating_sub(1);
        out.reserve(self.lines.iter().map(|l| l.len() + 6).sum::<usize>().max(6));
        if self.lines.is_empty() {
            out.extend_from_slice(&digits);
            out.extend_from_slice(b" \r\n");
        }
        for (i, line) in self.lines.iter().enumerate() {
            out.extend_from_slice(&digits);
            out.push(if i == last { b' ' } else { b'-' });
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Ok(())
    }

    /// The encoded reply as bytes (see [`encode`](Self::encode)).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ReplyError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }
}
