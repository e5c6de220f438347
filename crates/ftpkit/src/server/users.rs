//! The users file as an [`Authenticator`]: Argon2id password hashes, per-user homes and rights, and reloading
//! without a restart.
//!
//! The format (one `name:hash:home:rights` line a user, `#` comments) is the core's
//! ([`crate::proto::session::server::users`]): this module only reads the file, checks each hash is an Argon2 PHC
//! string with bounded cost, and verifies passwords.
//!
//! - **Hashes**: Argon2id, version 19, [`M_COST_KIB`] KiB of memory, [`T_COST`] passes, [`P_COST`] lane (the
//!   RFC 9106 / OWASP minimum setting, m=19456,t=2,p=1): about 20-30 ms a hash on one core of a current x86 machine
//!   (measure yours with `cargo test -p ftpkit --release --lib server::users -- --nocapture`), which makes guessing
//!   slow while a login stays quick. [`hash_password`] writes them; a file may hold other Argon2 parameters (each
//!   string names its own), up to [`MAX_M_COST_KIB`] and [`MAX_T_COST`], so that a hand-edited line cannot make
//!   each login take a gigabyte or a minute.
//! - **Verification** runs on the caller's thread: the server calls [`Authenticator::authenticate`] on tokio's
//!   blocking pool (`spawn_blocking`), never on the async executor. A name that is not in the file costs a hash
//!   too, so the time of a refusal does not tell which names exist.
//! - **Reloading**: on each login the file's modification time, size and inode are compared with those it had
//!   when last read (one `stat`); when they differ, the file is read again. New logins then use the new file;
//!   sessions already logged in keep their rights and home. A file that no longer reads (a bad line, gone) is
//!   logged with its line number and the last good contents stay in force.

use super::{Account, Authenticator};
use crate::proto::session::server::users::{self, UsersFileError};
use crate::proto::session::server::Access;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Memory of the hashes [`hash_password`] writes, in KiB (19 MiB).
pub const M_COST_KIB: u32 = 19_456;
/// Passes of the hashes [`hash_password`] writes.
pub const T_COST: u32 = 2;
/// Lanes of the hashes [`hash_password`] writes.
pub const P_COST: u32 = 1;
/// The most memory a hash in the file may ask for, in KiB (256 MiB).
pub const MAX_M_COST_KIB: u32 = 256 * 1024;
/// The most passes a hash in the file may ask for.
pub const MAX_T_COST: u32 = 16;
/// The largest users file read, in bytes.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

/// A users file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsersError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Over [`MAX_FILE`] bytes.
    #[error("{path}: over {MAX_FILE} bytes")]
    TooBig {
        /// The file.
        path: PathBuf,
    },
    /// A line is not valid (the core's check).
    #[error("{path}: {source}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line and what is wrong.
        source: UsersFileError,
    },
    /// A hash is not an Argon2 PHC string this server verifies, or costs too much.
    #[error("{path}: line {line}: {reason}")]
    Hash {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The password could not be hashed.
    #[error("hashing: {0}")]
    Hashing(String),
}

/// The password's Argon2id hash (a PHC string) with a new random salt and the parameters above.
///
/// # Errors
/// The system's random source failed.
pub fn hash_password(password: &str) -> Result<String, UsersError> {
    let salt = SaltString::generate(&mut password_hash::rand_core::OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Hashing(e.to_string()))
}

fn hasher() -> Result<Argon2<'static>, UsersError> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(|e| UsersError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks that `hash` is an Argon2 PHC string with bounded cost.
fn check_hash(hash: &str) -> Result<(), String> {
    let parsed = PasswordHash::new(hash).map_err(|e| format!("not a PHC string: {e}"))?;
    Algorithm::try_from(parsed.algorithm).map_err(|_| format!("not an Argon2 hash: {}", parsed.algorithm))?;
    let params = Params::try_from(&parsed).map_err(|e| format!("Argon2 parameters: {e}"))?;
    if params.m_cost() > MAX_M_COST_KIB || params.t_cost() > MAX_T_COST {
        return Err(format!(
            "costs too much (m={}, t={}; at most m={MAX_M_COST_KIB}, t={MAX_T_COST})",
            params.m_cost(),
            params.t_cost()
        ));
    }
    if parsed.hash.is_none() {
        return Err(String::from("no hash output in the PHC string"));
    }
    Ok(())
}

/// True when `password` matches the PHC string `hash` (already checked by [`check_hash`]).
fn verify(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// What identifies one version of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(meta: &std::fs::Metadata) -> Stamp {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    Stamp { modified: meta.modified().ok(), len: meta.len(), inode }
}

/// One user as loaded.
#[derive(Debug)]
struct Loaded {
    hash: String,
    account: Account,
}

#[derive(Debug)]
struct State {
    stamp: Stamp,
    users: Arc<HashMap<String, Loaded>>,
}

/// A users file, read at [`open`](UsersFile::open) and again whenever it changes (checked at each login).
#[derive(Debug)]
pub struct UsersFile {
    path: PathBuf,
    root: PathBuf,
    state: Mutex<State>,
    /// A hash of a random password, verified for names not in the file.
    decoy: String,
}

impl UsersFile {
    /// Reads the users file at `path`; relative homes are taken from `root` (the server's root).
    ///
    /// # Errors
    /// The file cannot be read, or a line is bad (its number is in the error).
    pub fn open(path: impl Into<PathBuf>, root: impl Into<PathBuf>) -> Result<UsersFile, UsersError> {
        let (path, root) = (path.into(), root.into());
        let (stamp, users) = load(&path, &root)?;
        let decoy = hash_password(&format!("{:?}", SystemTime::now()))?;
        Ok(UsersFile { path, root, state: Mutex::new(State { stamp, users: Arc::new(users) }), decoy })
    }

    /// The users now in force: the file is read again when its stamp changed since the last read.
    fn current(&self) -> Arc<HashMap<String, Loaded>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::fs::metadata(&self.path).map(|m| stamp(&m));
        match now {
            Ok(s) if s == state.stamp => {}
            Ok(s) => match load(&self.path, &self.root) {
                Ok((s, users)) => {
                    tracing::info!(path = %self.path.display(), users = users.len(), "users file reloaded");
                    state.stamp = s;
                    state.users = Arc::new(users);
                }
                Err(e) => {
                    tracing::error!(error = %e, "users file not reloaded: the last good one stays in force");
                    // Do not read it again until it changes again.
                    state.stamp = s;
                }
            },
            Err(e) => {
                tracing::error!(path = %self.path.display(), error = %e, "users file unreadable: the last good one stays in force")
            }
        }
        state.users.clone()
    }
}

fn load(path: &Path, root: &Path) -> Result<(Stamp, HashMap<String, Loaded>), UsersError> {
    let io = |source| UsersError::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.len() > MAX_FILE {
        return Err(UsersError::TooBig { path: path.to_owned() });
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_FILE + 1), &mut text).map_err(io)?;
    let entries = users::parse(&text).map_err(|source| UsersError::Syntax { path: path.to_owned(), source })?;
    let mut out = HashMap::with_capacity(entries.len());
    for e in entries {
        if let Err(reason) = check_hash(&e.hash) {
            // The core's parse succeeded, so the name is on exactly one line: find its number for the message.
            let line = text.lines().position(|l| l.split(':').next() == Some(e.name.as_str())).map_or(0, |i| i + 1);
            return Err(UsersError::Hash { path: path.to_owned(), line, reason });
        }
        let root = (!e.home.is_empty()).then(|| root.join(&e.home));
        let account = Account { access: Access::Rights(e.rights), root, rates: e.rates };
        out.insert(e.name, Loaded { hash: e.hash, account });
    }
    Ok((stamp(&meta), out))
}

impl Authenticator for UsersFile {
    fn authenticate(&self, user: &str, password: &str) -> Option<Account> {
        let users = self.current();
        match users.get(user) {
            Some(u) => verify(&u.hash, password).then(|| u.account.clone()),
            None => {
                // The same work as for a known name, whatever the password.
                let _ = verify(&self.decoy, password);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_name_their_parameters() {
        let t = std::time::Instant::now();
        let h = hash_password("secret").unwrap();
        let took = t.elapsed();
        assert!(h.starts_with(&format!("$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}$")), "{h}");
        check_hash(&h).unwrap();
        assert!(verify(&h, "secret"));
        assert!(!verify(&h, "secreT"));
        assert_ne!(h, hash_password("secret").unwrap(), "a new salt each time");
        // A figure for the docs, not a check of speed.
        println!("one Argon2id hash (m={M_COST_KIB} KiB, t={T_COST}, p={P_COST}): {took:?}");
    }

    #[test]
    fn foreign_or_costly_hashes_are_refused_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        let good = hash_password("pw").unwrap();
        let cases = [
            ("$5$rounds=5000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "not an Argon2 hash"),
            ("$argon2id$v=19$m=9999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "costs too much"),
            ("$argon2id$v=19$m=19456,t=99,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "costs too much"),
            ("$argon2id$junk", "PHC"),
        ];
        for (hash, want) in cases {
            std::fs::write(&path, format!("ok:{good}::read\n# c\nbad:{hash}::read\n")).unwrap();
            let e = UsersFile::open(&path, dir.path()).unwrap_err();
            assert!(matches!(&e, UsersError::Hash { line: 3, .. }), "{e}");
            assert!(e.to_string().contains(want), "{e}");
        }
        std::fs::write(&path, "x:y\n").unwrap();
        let e = UsersFile::open(&path, dir.path()).unwrap_err();
        assert!(
            e.to_string().ends_with("line 1: expected 4 to 6 fields name:hash:home:rights[:down[:up]], found 2"),
            "{e}"
        );
    }

    #[test]
    fn logins_follow_the_file_and_a_bad_edit_keeps_the_last_good_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        let h = hash_password("pw").unwrap();
        std::fs::write(&path, format!("alice:{h}:homes/alice:read,mkdir\n")).unwrap();
        let f = UsersFile::open(&path, dir.path()).unwrap();
        let a = f.authenticate("alice", "pw").unwrap();
        assert_eq!(a.access.rights().to_string(), "read,mkdir");
        assert_eq!(a.root, Some(dir.path().join("homes/alice")));
        assert!(f.authenticate("alice", "nope").is_none());
        assert!(f.authenticate("bob", "pw").is_none());
        // A new user and new rights, without a restart (a longer file: the stamp differs even within one tick).
        let h2 = hash_password("pw2").unwrap();
        std::fs::write(&path, format!("alice:{h}::all\nbob:{h2}::read\n")).unwrap();
        assert!(f.authenticate("bob", "pw2").is_some());
        let a = f.authenticate("alice", "pw").unwrap();
        assert_eq!((a.access.rights().to_string().as_str(), a.root), ("read,write,delete,mkdir,rename", None));
        // A broken edit: the last good users stay.
        std::fs::write(&path, "alice:broken\n").unwrap();
        assert!(f.authenticate("bob", "pw2").is_some());
        std::fs::remove_file(&path).unwrap();
        assert!(f.authenticate("alice", "pw").is_some());
    }
}
