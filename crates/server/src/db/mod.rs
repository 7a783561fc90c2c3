//! SQLite storage: a small connection pool (one writer behind a mutex plus a few
//! `query_only` readers; WAL mode lets them run concurrently), the schema, and `meta`.

pub mod agents;
pub mod memories;
mod rank;
pub mod sessions;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use crate::error::ServerError;

const READERS: usize = 4;
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agents (
    agent_id      TEXT PRIMARY KEY,
    pattern       TEXT NOT NULL,
    description   TEXT,
    metadata      TEXT,
    created_at    TEXT NOT NULL,
    last_session  TEXT,
    session_count INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'ready'
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    agent_id   TEXT NOT NULL,
    pattern    TEXT,
    started_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    status     TEXT NOT NULL,
    ended_at   TEXT
);
CREATE INDEX IF NOT EXISTS sessions_by_agent ON sessions(agent_id, started_at);
CREATE TABLE IF NOT EXISTS memories (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    agent_id   TEXT NOT NULL,
    session_id TEXT,
    type       TEXT NOT NULL,
    title      TEXT NOT NULL,
    content    TEXT NOT NULL,
    tags       TEXT NOT NULL,
    tags_json  TEXT NOT NULL,
    confidence REAL NOT NULL,
    source     TEXT NOT NULL,
    provenance TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS memories_by_agent ON memories(agent_id, created_at);
CREATE INDEX IF NOT EXISTS memories_by_agent_type ON memories(agent_id, type);
CREATE INDEX IF NOT EXISTS memories_by_session ON memories(session_id);
CREATE TABLE IF NOT EXISTS memory_tags (
    memory_seq INTEGER NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (memory_seq, tag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memory_tags_by_tag ON memory_tags(tag, memory_seq);
CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5(
    title, content, tags,
    content='memories', content_rowid='seq',
    tokenize='porter unicode61'
);
CREATE TRIGGER IF NOT EXISTS memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts(rowid, title, content, tags)
    VALUES (new.seq, new.title, new.content, new.tags);
END;
CREATE TRIGGER IF NOT EXISTS memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, title, content, tags)
    VALUES ('delete', old.seq, old.title, old.content, old.tags);
    DELETE FROM memory_tags WHERE memory_seq = old.seq;
END;
CREATE TRIGGER IF NOT EXISTS memories_fts_update AFTER UPDATE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, title, content, tags)
    VALUES ('delete', old.seq, old.title, old.content, old.tags);
    INSERT INTO memories_fts(rowid, title, content, tags)
    VALUES (new.seq, new.title, new.content, new.tags);
END;
"#;

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
        let writer = Connection::open(path)?;
        configure(&writer)?;
        migrate(&writer)?;
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

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    let version: Option<String> = meta_get(conn, "schema_version")?;
    if version.is_none() {
        meta_set(conn, "schema_version", &SCHEMA_VERSION.to_string())?;
    }
    Ok(())
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
