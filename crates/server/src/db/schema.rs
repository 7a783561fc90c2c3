//! The schema and its migrations.
//!
//! `PRAGMA user_version` records the schema a file has. Version 1 (written before
//! `user_version` was used, so it reads 0) is created first when a file reads 0 (all `IF NOT
//! EXISTS`); each later step then runs once, in one `IMMEDIATE` transaction with the version
//! bump, so a file is either fully migrated or untouched. A new database takes the same path
//! as an old one.

use rusqlite::{Connection, TransactionBehavior};

use super::meta_set;
use crate::error::ServerError;

/// The schema this server writes.
pub const SCHEMA_VERSION: i64 = 3;

/// Version 1: agents, sessions, memories with their tags and full-text index.
const V1: &str = r#"
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

/// Version 2: the trust fields (supersede, validate, contradict), an index for
/// `changed-since`, and a full-text re-index only when an indexed column changes.
const V2: &str = r#"
ALTER TABLE memories ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE memories ADD COLUMN validation_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memories ADD COLUMN validated_at TEXT;
ALTER TABLE memories ADD COLUMN superseded_by TEXT;
ALTER TABLE memories ADD COLUMN supersedes TEXT;
ALTER TABLE memories ADD COLUMN superseded_at TEXT;
ALTER TABLE memories ADD COLUMN contradiction_detected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memories ADD COLUMN contradiction_reason TEXT;
ALTER TABLE memories ADD COLUMN contradicting_memory_id TEXT;
CREATE INDEX IF NOT EXISTS memories_by_agent_updated ON memories(agent_id, updated_at);
DROP TRIGGER IF EXISTS memories_fts_update;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF title, content, tags ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, title, content, tags)
    VALUES ('delete', old.seq, old.title, old.content, old.tags);
    INSERT INTO memories_fts(rowid, title, content, tags)
    VALUES (new.seq, new.title, new.content, new.tags);
END;
"#;

/// Version 3: ranked search runs on the in-memory index (`db::index`), so the FTS5 table
/// and its triggers go; deleting a memory still deletes its tag rows.
const V3: &str = r#"
DROP TRIGGER IF EXISTS memories_fts_insert;
DROP TRIGGER IF EXISTS memories_fts_update;
DROP TRIGGER IF EXISTS memories_fts_delete;
DROP TABLE IF EXISTS memories_fts;
CREATE TRIGGER IF NOT EXISTS memory_tags_delete AFTER DELETE ON memories BEGIN
    DELETE FROM memory_tags WHERE memory_seq = old.seq;
END;
"#;

/// Steps to reach each version after 1, in order.
const STEPS: [(i64, &str); 2] = [(2, V2), (3, V3)];

/// Brings the database up to [`SCHEMA_VERSION`].
pub fn migrate(conn: &mut Connection) -> Result<(), ServerError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(ServerError::Config(format!(
            "the database uses schema version {version}; this server knows up to {SCHEMA_VERSION}"
        )));
    }
    if version == 0 {
        tx.execute_batch(V1)?;
    }
    for (target, sql) in STEPS {
        if version < target {
            tx.execute_batch(sql)?;
        }
    }
    if version < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        meta_set(&tx, "schema_version", &SCHEMA_VERSION.to_string())?;
    }
    tx.commit()?;
    Ok(())
}
