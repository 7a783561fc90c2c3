//! SQLite storage: a small connection pool (one writer behind a mutex plus a few
//! `query_only` readers; WAL mode lets them run concurrently), the `meta` table, and the
//! in-memory search index that follows every write of the writer.

pub mod agents;
pub mod conflicts;
pub mod daily;
pub mod expiry;
mod index;
pub mod memories;
pub mod policies;
pub mod query;
pub(crate) mod rank;
#[cfg(test)]
mod rank_eval;
pub mod recent;
mod schema;
pub mod sessions;
mod tokenize;
pub mod trust;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use crate::error::ServerError;
use index::SearchIndex;

const READERS: usize = 4;
/// The connection pool.
pub struct Db {
    // Declared before the connections: its tokenizers must go before the writer closes.
    index: SearchIndex,
    /// `seq` of the `memories` rows the writer changed since its last refresh of the index.
    changed: Arc<Mutex<Vec<i64>>>,
    /// Set by the writer when it changes `sessions` or `agents`.
    auth_changed: Arc<AtomicBool>,
    /// Bumped after each committed write that changed `sessions` or `agents`.
    auth_generation: AtomicU64,
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

/// Durability: WAL with `synchronous=NORMAL`. A commit has been written (`write(2)`) to the
/// WAL before the request that made it is answered, so every acknowledged write survives the
/// death of the server process however it dies (SIGKILL, panic, OOM killer): the OS holds the
/// pages and the next open replays the WAL (`tests/test_local_durability.py` kills a server
/// during concurrent batch writes and finds every acknowledged memory). What NORMAL does not
/// cover is an OS crash or power loss, which may roll back the last commits (never corrupt
/// the file: checkpoints are synced). `FULL` would cover that at the price of an fsync per
/// commit — measured 3.2 ms against 11 µs per commit on the development machine, which
/// would make every `remember` wait for the disk; for a local development server that is
/// the wrong trade.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(30))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(target: "memanto_server", "SQLite journal mode is {mode}, not WAL");
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
}

impl Db {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Db, ServerError> {
        let mut writer = Connection::open(path)?;
        configure(&writer)?;
        schema::migrate(&mut writer)?;
        let changed = Arc::new(Mutex::new(Vec::new()));
        let auth_changed = Arc::new(AtomicBool::new(false));
        let (sink, auth_sink) = (changed.clone(), auth_changed.clone());
        writer.update_hook(Some(move |_, _: &str, table: &str, seq: i64| match table {
            "memories" => sink.lock().unwrap_or_else(|e| e.into_inner()).push(seq),
            "sessions" | "agents" => auth_sink.store(true, Ordering::Relaxed),
            _ => {}
        }))?;
        let index = SearchIndex::new(tokenize::Tokenizer::new(&writer)?);
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let conn = Connection::open(path)?;
            configure(&conn)?;
            conn.execute_batch("PRAGMA query_only=1;")?;
            readers.push(Mutex::new(conn));
        }
        Ok(Db {
            index,
            changed,
            auth_changed,
            auth_generation: AtomicU64::new(0),
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Runs `f` on the writer connection (blocking; call from `spawn_blocking`), then brings
    /// the search index up to date with the memories it changed.
    pub fn write<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut conn);
        if self.auth_changed.swap(false, Ordering::Relaxed) {
            self.auth_generation.fetch_add(1, Ordering::SeqCst);
        }
        let mut changed =
            std::mem::take(&mut *self.changed.lock().unwrap_or_else(|e| e.into_inner()));
        if !changed.is_empty() {
            changed.sort_unstable();
            changed.dedup();
            let refreshed = if conn.is_autocommit() {
                self.index.refresh(&conn, &changed)
            } else {
                Err(rusqlite::Error::InvalidQuery)
            };
            if let Err(e) = refreshed {
                tracing::warn!(target: "memanto_server", "search index dropped (agents reload on their next search): {e}");
                self.index.clear();
            }
        }
        out
    }

    /// Changes whenever a write to `sessions` or `agents` has been committed: what was read
    /// from them under an older generation may be stale.
    pub fn auth_generation(&self) -> u64 {
        self.auth_generation.load(Ordering::SeqCst)
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
