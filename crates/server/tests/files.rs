//! The database's files: one server per file (the `<db>.lock` advisory lock) and owner-only
//! modes for the database, its WAL/SHM and the lock, whatever the umask.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use memanto_server::{AppState, ServerConfig, ServerError, ServerHandle};

/// The umask is per process: tests that change it run one at a time.
static UMASK: Mutex<()> = Mutex::new(());

fn config(path: &Path) -> ServerConfig {
    ServerConfig {
        db_path: Some(path.to_path_buf()),
        ..ServerConfig::default()
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

#[test]
fn a_second_server_on_a_held_file_refuses_to_start_until_the_first_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("held.db");
    let mut first = ServerHandle::start(config(&path)).expect("first server");

    let err = ServerHandle::start(config(&path)).expect_err("second server on the same file");
    let ServerError::Locked { db_path, lock_path } = &err else {
        panic!("expected Locked, got {err:?}");
    };
    assert_eq!(db_path, &path);
    assert_eq!(lock_path.file_name().unwrap(), "held.db.lock");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("in use by another LocalServer"), "{text}");
    assert!(
        text.contains("stop that server first, or use another database file"),
        "{text}"
    );
    // An AppState (the router without a listener) is refused the same way.
    assert!(matches!(
        AppState::open(&config(&path)),
        Err(ServerError::Locked { .. })
    ));

    first.stop().unwrap();
    let mut again = ServerHandle::start(config(&path)).expect("the file is free after stop");
    again.stop().unwrap();
    drop(again);
    let state = AppState::open(&config(&path)).expect("free after drop");
    drop(state);
    ServerHandle::start(config(&path)).expect("free after the AppState is dropped");
}

#[test]
fn two_paths_to_one_file_share_one_lock() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.db");
    let _first = ServerHandle::start(config(&real)).unwrap();
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let dotted = dir.path().join("sub").join("..").join("real.db");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    for other in [link, dotted] {
        let err = AppState::open(&config(&other)).expect_err("same file by another path");
        assert!(
            matches!(err, ServerError::Locked { .. }),
            "{}: {err}",
            other.display()
        );
    }
}

#[test]
fn the_database_its_wal_shm_and_lock_are_owner_only_whatever_the_umask() {
    let _guard = UMASK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private.db");
    // SAFETY: umask is always safe to call; the guard keeps the tests of this file serial.
    let previous = unsafe { libc::umask(0) };
    let started = ServerHandle::start(config(&path));
    unsafe { libc::umask(previous) };
    let mut server = started.unwrap();
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let file = with_suffix(&path, suffix);
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    server.stop().unwrap();
    // Stopping checkpoints: the WAL is folded into the database and removed.
    assert!(!with_suffix(&path, "-wal").exists());
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn reopening_tightens_an_existing_world_readable_database() {
    let _guard = UMASK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loose.db");
    let key = {
        let server = ServerHandle::start(config(&path)).unwrap();
        server.api_key().to_owned()
    };
    for suffix in ["", ".lock"] {
        let file = with_suffix(&path, suffix);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    let previous = unsafe { libc::umask(0) };
    let reopened = ServerHandle::start(config(&path));
    unsafe { libc::umask(previous) };
    let server = reopened.unwrap();
    assert_eq!(server.api_key(), key);
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let file = with_suffix(&path, suffix);
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn the_stored_key_can_be_read_while_a_server_holds_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.db");
    let server = ServerHandle::start(config(&path)).unwrap();
    let stored = AppState::stored_api_key(&path).unwrap();
    assert_eq!(stored.as_deref(), Some(server.api_key()));
    assert!(server.api_key().starts_with("mk_local_"));
    drop(server);

    let configured = dir.path().join("configured.db");
    let server = ServerHandle::start(ServerConfig {
        api_keys: vec!["mk_from_env".into()],
        ..config(&configured)
    })
    .unwrap();
    assert_eq!(AppState::stored_api_key(&configured).unwrap(), None);
    drop(server);
    assert!(AppState::stored_api_key(&dir.path().join("missing.db")).is_err());
}
