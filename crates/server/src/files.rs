//! The database's files on disk.
//!
//! * One server per database file: each server holds an exclusive OS advisory lock
//!   (`flock`, through `std::fs::File::try_lock`) on the sidecar `<db>.lock` for its whole
//!   lifetime. A second server on the same file — in this process or another — fails to
//!   start with [`ServerError::Locked`] instead of serving its own stale index. The lock goes
//!   with the file descriptor: on stop, on drop, and when the process dies (even SIGKILL).
//! * Private files: the database holds the API key and the token-signing secret, so it is
//!   created owner-only (0600) whatever the umask, an existing one is tightened to 0600 when
//!   reopened, and so are its `-wal`/`-shm` files and the lock file. (SQLite creates `-wal`
//!   and `-shm` with the database file's mode; [`tighten_sidecars`] re-checks after opening.)

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::ServerError;

/// The mode of every file this server creates next to its database.
pub const PRIVATE_MODE: u32 = 0o600;

/// `db` with `suffix` appended to its file name (`memanto.db` + `-wal` = `memanto.db-wal`).
pub fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(db.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// The exclusive lock on `<db>.lock`, held while this value lives.
#[derive(Debug)]
pub struct DbLock {
    _file: File,
}

impl DbLock {
    /// Takes the lock of the database at `db`, or fails at once with
    /// [`ServerError::Locked`] if another server holds it.
    pub fn acquire(db: &Path) -> Result<DbLock, ServerError> {
        let path = sidecar(&resolve(db), ".lock");
        let file = open_private(&path, false)?;
        match file.try_lock() {
            Ok(()) => Ok(DbLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(ServerError::Locked {
                db_path: db.to_path_buf(),
                lock_path: path,
            }),
            Err(TryLockError::Error(e)) => Err(ServerError::Io(io::Error::new(
                e.kind(),
                format!("could not lock {}: {e}", path.display()),
            ))),
        }
    }
}

/// Where the database really is, so that two paths to one file (a symlink, `a/../b`) share
/// one lock file: the file itself when it exists, else its (existing) folder + its name.
fn resolve(db: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(db) {
        return real;
    }
    match (db.parent(), db.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            std::fs::canonicalize(parent)
                .map(|p| p.join(name))
                .unwrap_or_else(|_| db.to_path_buf())
        }
        _ => db.to_path_buf(),
    }
}

/// Creates the database file owner-only if it does not exist (before SQLite opens it, so it
/// never exists with a wider mode), or tightens an existing one to owner-only.
pub fn prepare_database(db: &Path) -> io::Result<()> {
    open_private(db, true).map(drop)
}

/// Tightens the `-wal` and `-shm` files of `db` (if present) to owner-only.
pub fn tighten_sidecars(db: &Path) -> io::Result<()> {
    for suffix in ["-wal", "-shm"] {
        let path = sidecar(db, suffix);
        match std::fs::metadata(&path) {
            Ok(meta) => tighten(&path, &meta)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Opens (creating if missing) `path` for reading and writing, created with mode 0600
/// regardless of the umask; an existing file loses any group/other permission bits.
fn open_private(path: &Path, database: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_MODE);
    let file = options.open(path).map_err(|e| {
        let what = if database {
            "the database"
        } else {
            "the lock file"
        };
        io::Error::new(
            e.kind(),
            format!("could not open {what} {}: {e}", path.display()),
        )
    })?;
    tighten(path, &file.metadata()?)?;
    Ok(file)
}

#[cfg(unix)]
fn tighten(path: &Path, meta: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    // Owner read/write kept as they are (a read-only file stays read-only); all else goes.
    let wanted = (mode & 0o600) | if meta.len() == 0 { PRIVATE_MODE } else { 0 };
    if mode != wanted {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "could not make {} owner-only (mode {mode:o}): {e}",
                    path.display()
                ),
            )
        })?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _meta: &std::fs::Metadata) -> io::Result<()> {
    Ok(())
}
