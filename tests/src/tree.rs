//! The tree a server serves: known names, contents and hashes.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// 2023-03-14 15:09:26 UTC, the small files' mtime (as in the shared transcripts).
const OLD_MTIME: u64 = 1_678_806_566;
/// 2024-02-29 23:59:00 UTC, the big file's mtime.
const LEAP_MTIME: u64 = 1_709_251_140;

/// A regular file of the tree, with its known content hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Path relative to the tree root, `/`-separated (e.g. `subdir/nested.txt`).
    pub path: String,
    /// Size in bytes.
    pub len: u64,
    /// Lower-case hex sha256 of the content.
    pub sha256: String,
}

/// A served tree, created fresh in a folder:
///
/// | name | what |
/// | --- | --- |
/// | `readme.txt` | 48-byte text, CRLF line ends |
/// | `hello world.txt` | a name with a space |
/// | `café-ñandú.txt` | a UTF-8 (NFC) name |
/// | `link-to-readme` | symlink to `readme.txt` |
/// | `subdir/nested.txt` | a file in a subdirectory |
/// | `big.bin` | random bytes (default 4 MiB; the same bytes for every tree of that size in a process), known sha256 |
/// | `upload/` | empty, mode 0755, to be given to the server's writing user with [`Tree::chown_upload`] |
///
/// The root and every folder are mode 0755, files 0644.
#[derive(Debug, Clone)]
pub struct Tree {
    root: PathBuf,
    files: Vec<TreeEntry>,
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `len` pseudo-random bytes (xorshift64*), different for every call in a process run.
pub(crate) fn random_bytes(len: usize) -> Vec<u8> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let mut state = nanos ^ COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Bytes and their sha256.
type BigContent = (Vec<u8>, String);

/// The big file's bytes and sha256 for `len`: random, made and hashed once per process and length (hashing 4 MiB in
/// an unoptimised test build costs a noticeable fraction of a second, and every test makes a tree).
fn big_content(len: usize) -> Arc<BigContent> {
    static CACHE: Mutex<Vec<Arc<BigContent>>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(hit) = cache.iter().find(|c| c.0.len() == len) {
        return Arc::clone(hit);
    }
    let bytes = random_bytes(len);
    let sha = sha256_hex(&bytes);
    let entry = Arc::new((bytes, sha));
    cache.push(Arc::clone(&entry));
    entry
}

impl Tree {
    /// Name of the multi-MiB random file.
    pub const BIG: &'static str = "big.bin";
    /// Name of the writable folder.
    pub const UPLOAD: &'static str = "upload";
    /// The names a listing of the root must show (the symlink included).
    pub const ROOT_NAMES: [&'static str; 7] =
        ["readme.txt", "hello world.txt", "café-ñandú.txt", "link-to-readme", "subdir", "big.bin", "upload"];

    /// Creates the tree in `root` (created if missing, must be empty or absent) with a `big_len`-byte `big.bin`.
    pub fn create(root: &Path, big_len: usize) -> Result<Tree> {
        let err = |what: &str, e: std::io::Error| Error::new("tree", format!("{what} in {}: {e}", root.display()));
        fs::create_dir_all(root.join("subdir")).map_err(|e| err("mkdir subdir", e))?;
        fs::create_dir_all(root.join(Self::UPLOAD)).map_err(|e| err("mkdir upload", e))?;
        let contents: [(&str, Vec<u8>, u64); 4] = [
            ("readme.txt", b"ftpkit interop tree.\r\nServed by a real server.\r\n".to_vec(), OLD_MTIME),
            ("hello world.txt", b"a name with a space in it.\r\n".to_vec(), OLD_MTIME),
            ("café-ñandú.txt", "UTF-8 name: café.\r\n".as_bytes().to_vec(), OLD_MTIME),
            ("subdir/nested.txt", b"nested file\r\n".to_vec(), OLD_MTIME),
        ];
        let mut files = Vec::new();
        let big = big_content(big_len);
        let all = contents.iter().map(|(p, b, m)| (*p, b.as_slice(), None, *m));
        for (path, bytes, sha, mtime) in all.chain([(Self::BIG, big.0.as_slice(), Some(&big.1), LEAP_MTIME)]) {
            let full = root.join(path);
            fs::write(&full, bytes).map_err(|e| err(path, e))?;
            fs::set_permissions(&full, fs::Permissions::from_mode(0o644)).map_err(|e| err(path, e))?;
            let file = fs::File::options().write(true).open(&full).map_err(|e| err(path, e))?;
            file.set_modified(UNIX_EPOCH + Duration::from_secs(mtime)).map_err(|e| err(path, e))?;
            let sha256 = sha.cloned().unwrap_or_else(|| sha256_hex(bytes));
            files.push(TreeEntry { path: path.to_owned(), len: bytes.len() as u64, sha256 });
        }
        symlink("readme.txt", root.join("link-to-readme")).map_err(|e| err("symlink", e))?;
        for dir in [root.to_path_buf(), root.join("subdir"), root.join(Self::UPLOAD)] {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).map_err(|e| err("chmod", e))?;
        }
        Ok(Tree { root: root.to_path_buf(), files })
    }

    /// The tree's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The regular files with their sizes and hashes (`readme.txt`, `hello world.txt`, `café-ñandú.txt`,
    /// `subdir/nested.txt`, `big.bin`).
    pub fn files(&self) -> &[TreeEntry] {
        &self.files
    }

    /// The entry for `path` (relative, `/`-separated), if it is one of [`Tree::files`].
    pub fn file(&self, path: &str) -> Option<&TreeEntry> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The big random file's entry.
    pub fn big(&self) -> &TreeEntry {
        // `create` always pushes BIG last; fall back to a search so this can never panic.
        match self.files.last() {
            Some(last) if last.path == Self::BIG => last,
            _ => self.files.iter().find(|f| f.path == Self::BIG).unwrap_or(&BIG_MISSING),
        }
    }

    /// `root()/upload`.
    pub fn upload_dir(&self) -> PathBuf {
        self.root.join(Self::UPLOAD)
    }

    /// Gives `upload/` to `uid:gid` (the account the server writes as).
    pub fn chown_upload(&self, uid: u32, gid: u32) -> Result<()> {
        std::os::unix::fs::chown(self.upload_dir(), Some(uid), Some(gid))
            .map_err(|e| Error::new("tree", format!("chown {uid}:{gid} {}: {e}", self.upload_dir().display())))
    }

    /// Gives every file and folder of the tree (not the symlink's target twice) to `uid:gid`.
    pub fn chown_all(&self, uid: u32, gid: u32) -> Result<()> {
        fn walk(dir: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
            for entry in fs::read_dir(dir)? {
                let entry = entry?;
                let ty = entry.file_type()?;
                if ty.is_dir() {
                    walk(&entry.path(), uid, gid)?;
                } else {
                    std::os::unix::fs::lchown(entry.path(), Some(uid), Some(gid))?;
                }
            }
            Ok(())
        }
        walk(&self.root, uid, gid).map_err(|e| Error::new("tree", format!("chown -R {uid}:{gid}: {e}")))
    }

    /// Reads `path` (relative to the root) back from disk, e.g. to check an upload.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        fs::read(self.root.join(path)).map_err(|e| Error::new("tree", format!("read {path}: {e}")))
    }
}

static BIG_MISSING: TreeEntry = TreeEntry { path: String::new(), len: 0, sha256: String::new() };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_inputs() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn tree_has_the_documented_entries() {
        let dir = tempfile::tempdir().unwrap();
        let tree = Tree::create(&dir.path().join("root"), 3 * 1024 * 1024 + 5).unwrap();
        for name in Tree::ROOT_NAMES {
            assert!(tree.root().join(name).symlink_metadata().is_ok(), "{name} missing");
        }
        let big = tree.big();
        assert_eq!(big.path, "big.bin");
        assert_eq!(big.len, 3 * 1024 * 1024 + 5);
        assert_eq!(sha256_hex(&tree.read("big.bin").unwrap()), big.sha256);
        assert_eq!(tree.file("readme.txt").map(|f| f.len), Some(48));
        assert_ne!(random_bytes(64), random_bytes(64));
    }
}
