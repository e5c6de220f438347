//! The work behind the session's `Hash` request (HASH, draft-bryan-ftpext-hash): a file's SHA-256, SHA-1 or MD5,
//! read from the [`Storage`] back end as a stream in bounded memory and hashed off the async executor (hashing a
//! large file is CPU work that would hold a runtime thread). The session picks the algorithm and writes the reply.

use super::fs::Kind;
use super::storage::{ReadStream, Storage};
use crate::proto::session::server::{HashAlgorithm, Outcome};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::io;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

/// Bytes read (and hashed) at a time.
const BLOCK: usize = 256 * 1024;
/// Blocks in flight between the reader and the hashing thread, for a back end's stream: memory stays below
/// `(QUEUE + 2) * BLOCK` whatever the file's size.
const QUEUE: usize = 4;

/// One running hash.
enum Hasher {
    Sha256(Sha256),
    Sha1(Sha1),
    Md5(Md5),
}

impl Hasher {
    fn new(algorithm: HashAlgorithm) -> Hasher {
        match algorithm {
            HashAlgorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            HashAlgorithm::Sha1 => Hasher::Sha1(Sha1::new()),
            HashAlgorithm::Md5 => Hasher::Md5(Md5::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Md5(h) => h.update(bytes),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Md5(h) => h.finalize().to_vec(),
        }
    }
}

/// The `Hash` request's outcome for `path`: the file's size and digest, [`Outcome::Dir`] for a directory.
pub(crate) async fn hash(storage: &dyn Storage, path: &str, algorithm: HashAlgorithm) -> io::Result<Outcome> {
    let info = storage.metadata(path).await?;
    match info.kind {
        Kind::File => {}
        Kind::Dir => return Ok(Outcome::Dir),
        Kind::Symlink | Kind::Other => return Ok(Outcome::NotFound),
    }
    let (size, digest) = match storage.read(path, 0).await? {
        ReadStream::File(file) => join(tokio::task::spawn_blocking(move || hash_file(file, algorithm))).await?,
        ReadStream::Stream(mut stream) => {
            // The runtime reads; a blocking-pool thread hashes what the bounded channel hands it.
            let (tx, mut rx) = mpsc::channel::<Vec<u8>>(QUEUE);
            let hasher = tokio::task::spawn_blocking(move || {
                let (mut h, mut size) = (Hasher::new(algorithm), 0u64);
                while let Some(block) = rx.blocking_recv() {
                    size += block.len() as u64;
                    h.update(&block);
                }
                Ok((size, h.finish()))
            });
            loop {
                let mut block = vec![0u8; BLOCK];
                let n = stream.read(&mut block).await?;
                if n == 0 {
                    break;
                }
                block.truncate(n);
                if tx.send(block).await.is_err() {
                    break;
                }
            }
            drop(tx);
            join(hasher).await?
        }
    };
    Ok(Outcome::Hash { size, digest })
}

async fn join<T>(task: tokio::task::JoinHandle<io::Result<T>>) -> io::Result<T> {
    task.await.unwrap_or_else(|e| Err(io::Error::other(e)))
}

/// Hashes a file from where it is positioned to its end: (bytes read, digest).
fn hash_file(file: std::fs::File, algorithm: HashAlgorithm) -> io::Result<(u64, Vec<u8>)> {
    use crate::digest::digest_to_end;
    match algorithm {
        HashAlgorithm::Sha256 => digest_to_end::<Sha256>(file, BLOCK),
        HashAlgorithm::Sha1 => digest_to_end::<Sha1>(file, BLOCK),
        HashAlgorithm::Md5 => digest_to_end::<Md5>(file, BLOCK),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::storage::{LocalStorage, MemoryStorage};

    /// Known answers (FIPS 180-2 / RFC 1321 test vectors for "abc"), through both paths: a local file and a
    /// back end's stream.
    #[tokio::test]
    async fn known_answers_from_a_file_and_from_a_stream() {
        let want = [
            (HashAlgorithm::Sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (HashAlgorithm::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (HashAlgorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
        ];
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("abc"), b"abc").unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let local = LocalStorage::open(dir.path()).unwrap();
        let memory = MemoryStorage::new();
        memory.put("/abc", b"abc".to_vec()).unwrap();
        for storage in [&local as &dyn Storage, &memory] {
            for (algorithm, hex) in want {
                match hash(storage, "/abc", algorithm).await.unwrap() {
                    Outcome::Hash { size, digest } => {
                        let got: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                        assert_eq!((size, got.as_str()), (3, hex), "{algorithm:?} {storage:?}");
                    }
                    other => panic!("{other:?}"),
                }
            }
            assert!(hash(storage, "/nothing", HashAlgorithm::Sha256).await.is_err());
        }
        assert_eq!(hash(&local, "/d", HashAlgorithm::Md5).await.unwrap(), Outcome::Dir);
    }
}
