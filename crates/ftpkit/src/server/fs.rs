//! The server's view of the disk: a root directory that sessions cannot leave.
//!
//! Every operation takes a *virtual* path as the server session resolved it (`/`, `/pub/file.txt`: absolute,
//! normalised, no `..`) and runs it through a [`cap_std::fs::Dir`] opened on the root. cap-std resolves each path
//! beneath that directory and refuses, race-free, anything that leads out of it: `..` past the root, absolute paths,
//! and symlinks (inside the root) whose target lies outside it. Symlinks that stay inside the root work as usual.
//!
//! Uploads never leave a truncated file under the final name: [`Jail::create_upload`] writes a temporary file beside
//! the target and [`Upload::commit`] renames it into place only when the transfer completed; [`Upload::abort`] (or
//! dropping the `Upload`) removes it. An append that fails is truncated back to the length the file had.

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

/// How an upload opens its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// STOR: replace the file when the transfer completes.
    Replace,
    /// STOR after REST n: write into the existing file from byte n (resuming an upload keeps what arrived).
    Resume(u64),
    /// APPE: append; a failed append is cut back to the original length.
    Append,
    /// STOU: a new file under a name the server picks, in the directory given.
    Unique,
}

/// What kind of entry a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (in listings, which do not follow links).
    Symlink,
    /// Anything else (device, socket, fifo).
    Other,
}

/// The facts a listing or SIZE/MDTM needs about one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// The entry's name (the last path component).
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Its size in bytes.
    pub size: u64,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: i64,
    /// Unix permission bits.
    pub mode: u32,
    /// Hard link count.
    pub nlink: u64,
    /// Owner and group ids.
    pub uid: u32,
    /// The group id.
    pub gid: u32,
    /// A symlink's target, as stored.
    pub link_target: Option<String>,
}

/// The jailed root.
#[derive(Debug)]
pub struct Jail {
    dir: Dir,
    root: PathBuf,
}

/// A directory being read a batch at a time ([`Jail::open_list`]); blocking, like every [`Jail`] operation.
#[derive(Debug)]
pub struct DirLister {
    dir: Dir,
    entries: cap_std::fs::ReadDir,
    rel: PathBuf,
}

impl DirLister {
    /// Up to `max` more entries; none at the end. Symlinks are listed as links (not followed), with their target
    /// as stored when it stays inside the root; names that are not UTF-8, and entries gone meanwhile, are skipped.
    pub fn next_batch(&mut self, max: usize) -> io::Result<Vec<Info>> {
        let mut out = Vec::with_capacity(max.min(256));
        while out.len() < max {
            let Some(entry) = self.entries.next() else { break };
            let Ok(name) = entry?.file_name().into_string() else { continue };
            let Ok(md) = self.dir.symlink_metadata(&name) else { continue };
            let target = if md.file_type().is_symlink() {
                self.dir
                    .read_link_contents(&name)
                    .ok()
                    .and_then(|t| t.to_str().map(str::to_owned))
                    .filter(|t| stays_inside(&self.rel, t))
            } else {
                None
            };
            out.push(info_from(name, &md, target));
        }
        Ok(out)
    }
}

/// Counter for temporary and unique names within this process.
static NEXT_NAME: AtomicU64 = AtomicU64::new(1);

fn is_outside(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied && e.to_string().contains("outside")
}

/// Turns a virtual path into a path relative to the root, refusing anything that is not absolute and normalised.
pub fn relative(vpath: &str) -> io::Result<PathBuf> {
    if !vpath.starts_with('/') || vpath.contains('\0') {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("not an absolute virtual path: {vpath:?}")));
    }
    let mut rel = PathBuf::new();
    for c in Path::new(vpath).components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(part) => rel.push(part),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("path leaves the root: {vpath:?}")))
            }
        }
    }
    if rel.as_os_str().is_empty() {
        rel.push(".");
    }
    Ok(rel)
}

fn split_parent(rel: &Path) -> io::Result<(PathBuf, String)> {
    let name = rel
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the root has no name"))?
        .to_owned();
    let parent =
        rel.parent().filter(|p| !p.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok((parent, name))
}

fn info_from(name: String, md: &cap_std::fs::Metadata, link_target: Option<String>) -> Info {
    use cap_std::fs::MetadataExt;
    let ft = md.file_type();
    let kind = if ft.is_symlink() {
        Kind::Symlink
    } else if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File
    } else {
        Kind::Other
    };
    let mtime = md
        .modified()
        .ok()
        .map(|t| t.into_std())
        .and_then(|t| match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).ok(),
            Err(e) => i64::try_from(e.duration().as_secs()).ok().map(|s| -s),
        })
        .unwrap_or(0);
    Info {
        name,
        kind,
        size: md.len(),
        mtime,
        mode: md.mode(),
        nlink: md.nlink(),
        uid: md.uid(),
        gid: md.gid(),
        link_target,
    }
}

impl Jail {
    /// Opens the root directory.
    pub fn open(root: impl AsRef<Path>) -> io::Result<Jail> {
        let root = root.as_ref().to_path_buf();
        let dir = Dir::open_ambient_dir(&root, ambient_authority())?;
        Ok(Jail { dir, root })
    }

    /// The root on the real file system (for logs).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The entry a virtual path names, following symlinks that stay inside the root.
    pub fn stat(&self, vpath: &str) -> io::Result<Info> {
        let rel = relative(vpath)?;
        let md = self.dir.metadata(&rel)?;
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("/").to_owned();
        Ok(info_from(name, &md, None))
    }

    /// The entries of a directory, sorted by name (all at once: [`Jail::open_list`] reads a batch at a time, as
    /// the server's listings do); symlinks are listed as links (not followed), with their target as stored. Names
    /// that are not UTF-8 are skipped (the control connection speaks UTF-8).
    pub fn list(&self, vpath: &str) -> io::Result<Vec<Info>> {
        let mut lister = self.open_list(vpath)?;
        let mut out = Vec::new();
        loop {
            let batch = lister.next_batch(1024)?;
            if batch.is_empty() {
                break;
            }
            out.extend(batch);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Opens a directory for reading its entries incrementally, in the order the file system gives them
    /// (`readdir(3)`'s, not sorted): memory stays bounded whatever the directory's size.
    pub fn open_list(&self, vpath: &str) -> io::Result<DirLister> {
        let rel = relative(vpath)?;
        let dir = self.dir.open_dir(&rel)?;
        let entries = dir.entries()?;
        Ok(DirLister { dir, entries, rel })
    }

    /// What a listing shows of `vpath`: the directory opened for reading ([`Jail::open_list`]), or, for a path that
    /// is not a directory, its entry ([`Jail::stat`]). A directory is opened without a `stat` first (listing one,
    /// the usual case, costs no more system calls than listing it does).
    pub fn open_listing(&self, vpath: &str) -> io::Result<Result<DirLister, Info>> {
        match self.open_list(vpath) {
            Ok(lister) => Ok(Ok(lister)),
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => self.stat(vpath).map(Err),
            Err(e) => Err(e),
        }
    }

    /// Opens a file for reading, positioned at `offset`.
    pub fn open_read(&self, vpath: &str, offset: u64) -> io::Result<std::fs::File> {
        let rel = relative(vpath)?;
        let file = self.dir.open(&rel)?;
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
        }
        let mut file = file.into_std();
        if offset > 0 {
            file.seek(SeekFrom::Start(offset))?;
        }
        Ok(file)
    }

    /// Starts an upload; see [`WriteMode`]. Returns the open file and the handle that commits or aborts it.
    pub fn create_upload(&self, vpath: &str, mode: WriteMode) -> io::Result<Upload> {
        let rel = relative(vpath)?;
        match mode {
            WriteMode::Replace => {
                let (parent, name) = split_parent(&rel)?;
                let dir = self.dir.open_dir(&parent)?;
                if dir.metadata(&name).map(|m| m.is_dir()).unwrap_or(false) {
                    return Err(io::Error::new(io::ErrorKind::IsADirectory, "the target is a directory"));
                }
                let (temp, file) = create_unique(&dir, &format!(".{name}"), ".ftpkit-part")?;
                Ok(Upload { state: UploadState::Temp { dir, temp, name: name.clone() }, file: Some(file), name })
            }
            WriteMode::Unique => {
                let dir = self.dir.open_dir(&rel)?;
                let (name, file) = create_unique(&dir, "ftpkit-", "")?;
                let (temp, _) = (name.clone(), ());
                Ok(Upload { state: UploadState::Unique { dir, temp }, file: Some(file), name })
            }
            WriteMode::Resume(offset) => {
                let mut opts = OpenOptions::new();
                opts.write(true).create(true);
                let mut file = self.dir.open_with(&rel, &opts)?.into_std();
                file.seek(SeekFrom::Start(offset))?;
                let name = split_parent(&rel)?.1;
                Ok(Upload { state: UploadState::InPlace { truncate_to: None }, file: Some(file), name })
            }
            WriteMode::Append => {
                let mut opts = OpenOptions::new();
                opts.append(true).create(true);
                let file = self.dir.open_with(&rel, &opts)?.into_std();
                let len = file.metadata()?.len();
                let name = split_parent(&rel)?.1;
                Ok(Upload { state: UploadState::InPlace { truncate_to: Some(len) }, file: Some(file), name })
            }
        }
    }

    /// Deletes a file.
    pub fn delete(&self, vpath: &str) -> io::Result<()> {
        let rel = relative(vpath)?;
        if self.dir.symlink_metadata(&rel)?.is_dir() {
            return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory (use RMD)"));
        }
        self.dir.remove_file(&rel)
    }

    /// Makes a directory.
    pub fn mkdir(&self, vpath: &str) -> io::Result<()> {
        self.dir.create_dir(relative(vpath)?)
    }

    /// Removes an empty directory. The root itself cannot be removed.
    pub fn rmdir(&self, vpath: &str) -> io::Result<()> {
        let rel = relative(vpath)?;
        if rel == Path::new(".") {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, "the root cannot be removed"));
        }
        self.dir.remove_dir(rel)
    }

    /// Renames within the root.
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (from, to) = (relative(from)?, relative(to)?);
        if from == Path::new(".") || to == Path::new(".") {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, "the root cannot be renamed"));
        }
        self.dir.rename(from, &self.dir, to)
    }

    /// Sets the modification time of a file or directory (seconds since the Unix epoch).
    pub fn set_mtime(&self, vpath: &str, mtime: i64) -> io::Result<()> {
        let file = self.dir.open(relative(vpath)?)?.into_std();
        let secs = std::time::Duration::from_secs(mtime.unsigned_abs());
        let at = if mtime >= 0 { UNIX_EPOCH.checked_add(secs) } else { UNIX_EPOCH.checked_sub(secs) };
        file.set_modified(at.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "time out of range"))?)
    }

    /// Sets the Unix permission bits of a file or directory (SITE CHMOD); a symlink's target, inside the root.
    pub fn set_mode(&self, vpath: &str, mode: u32) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let perm = cap_std::fs::Permissions::from_std(std::fs::Permissions::from_mode(mode & 0o7777));
        self.dir.set_permissions(relative(vpath)?, perm)
    }

    /// True when the error means a path led outside the root (as opposed to not found, say).
    pub fn is_escape(e: &io::Error) -> bool {
        is_outside(e)
    }
}

/// True when a symlink target, read relative to the link's directory `dir` (relative to the root), stays inside the
/// root. Targets that leave it are not shown in listings: they would reveal paths outside the jail.
fn stays_inside(dir: &Path, target: &str) -> bool {
    if target.starts_with('/') {
        return false;
    }
    let mut depth: usize = dir.components().filter(|c| matches!(c, Component::Normal(_))).count();
    for c in Path::new(target).components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

/// Creates `prefix<n><suffix>` with `create_new`, trying successive numbers.
fn create_unique(dir: &Dir, prefix: &str, suffix: &str) -> io::Result<(String, std::fs::File)> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    for _ in 0..1000 {
        let n = NEXT_NAME.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}{}-{n}{suffix}", std::process::id());
        match dir.open_with(&name, &opts) {
            Ok(f) => return Ok((name, f.into_std())),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name"))
}

#[derive(Debug)]
enum UploadState {
    /// Writing a temporary file; commit renames it to `name`.
    Temp { dir: Dir, temp: String, name: String },
    /// STOU: the unique file is the final file; abort removes it.
    Unique { dir: Dir, temp: String },
    /// Writing the target in place; abort truncates an append back.
    InPlace { truncate_to: Option<u64> },
    /// Committed or aborted.
    Done,
}

/// An upload in progress. Write to [`Upload::file`], then [`Upload::commit`] on success or [`Upload::abort`] on
/// failure. Dropping it without committing aborts it.
#[derive(Debug)]
pub struct Upload {
    state: UploadState,
    file: Option<std::fs::File>,
    name: String,
}

impl Upload {
    /// The file to write the data into.
    pub fn file(&mut self) -> io::Result<&mut std::fs::File> {
        self.file.as_mut().ok_or_else(|| io::Error::other("upload already finished"))
    }

    /// Takes the file out (to move it into a blocking task); give it back with [`Upload::put_file`].
    pub fn take_file(&mut self) -> Option<std::fs::File> {
        self.file.take()
    }

    /// Puts the file back after [`Upload::take_file`].
    pub fn put_file(&mut self, file: std::fs::File) {
        self.file = Some(file);
    }

    /// The final name (for STOU's reply).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The transfer completed: flush, and move the data into place.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some(f) = self.file.take() {
            f.sync_data()?;
        }
        match std::mem::replace(&mut self.state, UploadState::Done) {
            UploadState::Temp { dir, temp, name } => {
                if let Err(e) = dir.rename(&temp, &dir, &name) {
                    let _ = dir.remove_file(&temp);
                    return Err(e);
                }
                Ok(())
            }
            UploadState::Unique { .. } | UploadState::InPlace { .. } | UploadState::Done => Ok(()),
        }
    }

    /// The transfer failed: remove the temporary file, or cut an append back. Returns what was done, for logs.
    pub fn abort(mut self) -> io::Result<&'static str> {
        self.abort_inner()
    }

    fn abort_inner(&mut self) -> io::Result<&'static str> {
        let file = self.file.take();
        match std::mem::replace(&mut self.state, UploadState::Done) {
            UploadState::Temp { dir, temp, .. } | UploadState::Unique { dir, temp } => {
                drop(file);
                dir.remove_file(&temp)?;
                Ok("partial upload removed")
            }
            UploadState::InPlace { truncate_to: Some(len) } => {
                if let Some(f) = file {
                    f.set_len(len)?;
                }
                Ok("append cut back to the original length")
            }
            UploadState::InPlace { truncate_to: None } => Ok("partial data kept for a later REST"),
            UploadState::Done => Ok("nothing to undo"),
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !matches!(self.state, UploadState::Done) {
            if let Err(e) = self.abort_inner() {
                tracing::warn!(error = %e, name = %self.name, "could not undo an unfinished upload");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn jail() -> (tempfile::TempDir, tempfile::TempDir, Jail) {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"outside").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("pub")).unwrap();
        std::fs::write(root.path().join("pub/a.txt"), b"hello").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("escape")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("escape-dir")).unwrap();
        std::os::unix::fs::symlink("pub/a.txt", root.path().join("inside")).unwrap();
        let j = Jail::open(root.path()).unwrap();
        (outside, root, j)
    }

    #[test]
    fn link_targets_inside_the_root() {
        assert!(stays_inside(Path::new("."), "a/b"));
        assert!(stays_inside(Path::new("pub"), "../readme.txt"));
        assert!(!stays_inside(Path::new("pub"), "../../etc/passwd"));
        assert!(!stays_inside(Path::new("."), "/etc/passwd"));
        assert!(!stays_inside(Path::new("."), ".."));
    }

    #[test]
    fn relative_paths_refuse_escape_forms() {
        assert_eq!(relative("/").unwrap(), PathBuf::from("."));
        assert_eq!(relative("/a/b").unwrap(), PathBuf::from("a/b"));
        for bad in ["a", "/a/../..", "/..", "/a\0b", ""] {
            assert!(relative(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn open_listing_opens_directories_and_names_other_entries() {
        let (_o, _r, j) = jail();
        let Ok(Ok(mut dir)) = j.open_listing("/pub") else { panic!("a directory opens for listing") };
        let names: Vec<_> = dir.next_batch(10).unwrap().into_iter().map(|i| i.name).collect();
        assert_eq!(names, ["a.txt"]);
        match j.open_listing("/pub/a.txt") {
            Ok(Err(info)) => assert_eq!((info.name.as_str(), info.kind, info.size), ("a.txt", Kind::File, 5)),
            other => panic!("a file is its own entry: {:?}", other.map(|r| r.err())),
        }
        // A link inside the root is followed, as `stat` follows it; one leading out is refused.
        assert!(matches!(j.open_listing("/inside"), Ok(Err(ref i)) if i.kind == Kind::File));
        assert!(j.open_listing("/escape-dir").is_err());
        assert!(matches!(j.open_listing("/nope"), Err(ref e) if e.kind() == io::ErrorKind::NotFound));
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused_and_inside_ones_work() {
        let (_o, _r, j) = jail();
        let mut s = String::new();
        j.open_read("/inside", 0).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello");
        assert!(j.open_read("/escape", 0).is_err());
        assert!(j.list("/escape-dir").is_err());
        assert!(j.create_upload("/escape-dir/x", WriteMode::Replace).is_err());
        assert!(j.stat("/escape").is_err());
        let listed = j.list("/").unwrap();
        let names: Vec<_> = listed.iter().map(|i| (i.name.clone(), i.kind)).collect();
        assert!(names.contains(&("escape".into(), Kind::Symlink)));
        // Targets outside the root are not revealed; inside ones are.
        let target = |n: &str| listed.iter().find(|i| i.name == n).and_then(|i| i.link_target.clone());
        assert_eq!(target("escape"), None);
        assert_eq!(target("escape-dir"), None);
        assert_eq!(target("inside").as_deref(), Some("pub/a.txt"));
        assert!(names.contains(&("pub".into(), Kind::Dir)));
    }

    #[test]
    fn aborted_upload_leaves_nothing_and_commit_replaces() {
        let (_o, root, j) = jail();
        let mut up = j.create_upload("/pub/a.txt", WriteMode::Replace).unwrap();
        up.file().unwrap().write_all(b"half").unwrap();
        up.abort().unwrap();
        assert_eq!(std::fs::read(root.path().join("pub/a.txt")).unwrap(), b"hello");
        assert_eq!(std::fs::read_dir(root.path().join("pub")).unwrap().count(), 1, "temp file removed");

        let mut up = j.create_upload("/pub/a.txt", WriteMode::Replace).unwrap();
        up.file().unwrap().write_all(b"new content").unwrap();
        drop(up); // dropped without commit = aborted
        assert_eq!(std::fs::read(root.path().join("pub/a.txt")).unwrap(), b"hello");

        let mut up = j.create_upload("/pub/a.txt", WriteMode::Replace).unwrap();
        up.file().unwrap().write_all(b"new content").unwrap();
        up.commit().unwrap();
        assert_eq!(std::fs::read(root.path().join("pub/a.txt")).unwrap(), b"new content");
        assert_eq!(std::fs::read_dir(root.path().join("pub")).unwrap().count(), 1);
    }

    #[test]
    fn failed_append_is_cut_back() {
        let (_o, root, j) = jail();
        let mut up = j.create_upload("/pub/a.txt", WriteMode::Append).unwrap();
        up.file().unwrap().write_all(b" world").unwrap();
        up.abort().unwrap();
        assert_eq!(std::fs::read(root.path().join("pub/a.txt")).unwrap(), b"hello");
        let mut up = j.create_upload("/pub/a.txt", WriteMode::Append).unwrap();
        up.file().unwrap().write_all(b" world").unwrap();
        up.commit().unwrap();
        assert_eq!(std::fs::read(root.path().join("pub/a.txt")).unwrap(), b"hello world");
    }

    #[test]
    fn unique_upload_picks_a_fresh_name() {
        let (_o, root, j) = jail();
        let mut up = j.create_upload("/pub", WriteMode::Unique).unwrap();
        let name = up.name().to_owned();
        up.file().unwrap().write_all(b"u").unwrap();
        up.commit().unwrap();
        assert_eq!(std::fs::read(root.path().join("pub").join(&name)).unwrap(), b"u");
    }

    #[test]
    fn rename_and_remove_stay_inside() {
        let (_o, root, j) = jail();
        assert!(j.rename("/pub/a.txt", "/escape-dir/stolen").is_err());
        assert!(!_o.path().join("stolen").exists());
        j.rename("/pub/a.txt", "/b.txt").unwrap();
        assert!(root.path().join("b.txt").exists());
        assert!(j.rmdir("/").is_err());
        j.mkdir("/new").unwrap();
        j.rmdir("/new").unwrap();
        assert!(j.delete("/pub").is_err());
        j.delete("/b.txt").unwrap();
        // Deleting the symlink that points out removes the link, never its target.
        j.delete("/escape").unwrap();
        assert!(_o.path().join("secret").exists());
    }
}
