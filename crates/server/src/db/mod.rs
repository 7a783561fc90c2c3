//! SQLite storage: a small connection pool (one writer behind a mutex plus a few
//! `query_only` readers; WAL mode lets them run concurrently) and the `meta` table.

pub mod agents;
pub mod memories;
pub mod query;
mod rank;
mod schema;
pub mod sessions;
pub mod trust;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use crate::error::ServerError;

const READERS: usize = 4;
/// The connection pool.
pub struct Db {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("readers", &self.readers.len())
            .finish()
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(30))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(target: "memanto_server", "SQLite journal mode is {mode}, not WAL");
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    rank::register(conn)
}

impl Db {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Db, ServerError> {
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        schema::migrate(&mut writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let conn = Connection::open(path)?;
            configure(&conn)?;
            conn.execute_batch("PRAGMA query_only=1;")?;
            readers.push(Mutex::new(conn));
        }
        Ok(Db {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on the writer connection (blocking; call from `spawn_blocking`).
    pub fn write<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut conn)
    }

    /// Runs `f` on one of the reader connections (blocking; call from `spawn_blocking`).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        for i in 0..n {
            if let Ok(conn) = self.readers[(start + i) % n].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.readers[start % n]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }
}

pub fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// Returns the stored value of `key`, storing `make()` first if there is none.
pub fn meta_get_or_init(
    conn: &mut Connection,
    key: &str,
    make: impl FnOnce() -> String,
) -> rusqlite::Result<String> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let value = match meta_get(&tx, key)? {
        Some(v) => v,
        None => {
            let v = make();
            meta_set(&tx, key, &v)?;
            v
        }
    };
    tx.commit()?;
    Ok(value)
}
