//! A digest of everything a reader holds, read in blocks: what the server's HASH computes over a local file and
//! what the mirror compares a copied file's HASH with. Any RustCrypto hash (SHA-256, SHA-1, MD5: one `digest`
//! version for all three).

use sha2::Digest;
use std::io::{self, Read};

/// Reads `reader` to its end through a `block`-byte buffer into a `D`: (bytes read, digest). An interrupted read
/// is retried; any other error ends it.
pub(crate) fn digest_to_end<D: Digest>(mut reader: impl Read, block: usize) -> io::Result<(u64, Vec<u8>)> {
    let mut hasher = D::new();
    let mut buf = vec![0u8; block];
    let mut size = 0u64;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok((size, hasher.finalize().to_vec())),
            Ok(n) => {
                size += n as u64;
                hasher.update(buf.get(..n).unwrap_or_default());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::digest_to_end;
    use std::io::{self, Read};

    /// A reader that is interrupted before each of its bytes.
    struct Stuttering<'a>(&'a [u8], bool);

    impl Read for Stuttering<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 = !self.1;
            if self.1 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = self.0.len().min(buf.len()).min(1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// FIPS 180-2's "abc", through a reader interrupted before every byte and a block smaller than the input.
    #[test]
    fn digests_to_the_end_across_interruptions() {
        let (size, digest) = digest_to_end::<sha2::Sha256>(Stuttering(b"abc", false), 2).unwrap();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!((size, hex.as_str()), (3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    }
}
