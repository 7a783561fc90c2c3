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
pub const SCHEMA_VERSION: i64 = 4;

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

/// Version 4 (the 0.2.x memory features): a memory's expiry (`expired_at` set = expired;
/// `expired_by` names why), kept apart from the legacy trust `status` (`active` |
/// `superseded`); per-agent expiry policies and conflict reports, both JSON, removed with
/// their agent.
const V4: &str = r#"
ALTER TABLE memories ADD COLUMN expired_at TEXT;
ALTER TABLE memories ADD COLUMN expired_by TEXT;
CREATE TABLE IF NOT EXISTS policies (
    agent_id   TEXT PRIMARY KEY,
    policy     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conflict_reports (
    agent_id     TEXT NOT NULL,
    date         TEXT NOT NULL,
    report       TEXT NOT NULL,
    generated_at TEXT NOT NULL,
    PRIMARY KEY (agent_id, date)
);
CREATE TRIGGER IF NOT EXISTS agent_extras_delete AFTER DELETE ON agents BEGIN
    DELETE FROM policies WHERE agent_id = old.agent_id;
    DELETE FROM conflict_reports WHERE agent_id = old.agent_id;
END;
"#;

/// Steps to reach each version after 1, in order.
const STEPS: [(i64, &str); 3] = [(2, V2), (3, V3), (4, V4)];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_3_database_gains_expiry_and_keeps_its_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        conn.execute_batch(V2).unwrap();
        conn.execute_batch(V3).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 3;
             INSERT INTO agents(agent_id, pattern, created_at) VALUES ('a', 'support', 't');
             INSERT INTO memories(id, agent_id, type, title, content, tags, tags_json, confidence,
                                  source, provenance, created_at, updated_at, status, superseded_by)
             VALUES ('m1', 'a', 'fact', 'T', 'C', 'x', '[\"x\"]', 0.5, 'agent', 'observed',
                     '2025-01-01T00:00:00.000000Z', '2025-01-02T00:00:00.000000Z',
                     'superseded', 'm2');
             INSERT INTO memory_tags VALUES (1, 'x');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        let row: (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            String,
        ) = conn
            .query_row(
                "SELECT content, status, superseded_by, expired_at, expired_by, updated_at
                 FROM memories WHERE id = 'm1'",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(
            row,
            (
                "C".into(),
                "superseded".into(),
                "m2".into(),
                None,
                None,
                "2025-01-02T00:00:00.000000Z".into()
            )
        );
        // The new tables work and go with their agent; the tag rows are still there.
        conn.execute_batch(
            "INSERT INTO policies VALUES ('a', '{}', 't');
             INSERT INTO conflict_reports VALUES ('a', '2025-01-01', '[]', 't');",
        )
        .unwrap();
        let tags: i64 = conn
            .query_row("SELECT COUNT(*) FROM memory_tags", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tags, 1);
        conn.execute("DELETE FROM agents WHERE agent_id = 'a'", [])
            .unwrap();
        let left: i64 = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM policies) + (SELECT COUNT(*) FROM conflict_reports)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0);
        // Migrating again is a no-op.
        migrate(&mut conn).unwrap();
    }
}
