//! Opening a database file written by the first schema (no trust columns, `user_version` 0).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use memanto_server::{router, AppState, ServerConfig, ServerError};
use rusqlite::Connection;
use serde_json::{json, Value};
use tower::ServiceExt;

/// The schema as the first version wrote it.
const V1: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE agents (
    agent_id TEXT PRIMARY KEY, pattern TEXT NOT NULL, description TEXT, metadata TEXT,
    created_at TEXT NOT NULL, last_session TEXT, session_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'ready');
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, pattern TEXT, started_at TEXT NOT NULL,
    expires_at TEXT NOT NULL, status TEXT NOT NULL, ended_at TEXT);
CREATE INDEX sessions_by_agent ON sessions(agent_id, started_at);
CREATE TABLE memories (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, agent_id TEXT NOT NULL, session_id TEXT,
    type TEXT NOT NULL, title TEXT NOT NULL, content TEXT NOT NULL, tags TEXT NOT NULL,
    tags_json TEXT NOT NULL, confidence REAL NOT NULL, source TEXT NOT NULL,
    provenance TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX memories_by_agent ON memories(agent_id, created_at);
CREATE INDEX memories_by_agent_type ON memories(agent_id, type);
CREATE INDEX memories_by_session ON memories(session_id);
CREATE TABLE memory_tags (memory_seq INTEGER NOT NULL, tag TEXT NOT NULL,
    PRIMARY KEY (memory_seq, tag)) WITHOUT ROWID;
CREATE INDEX memory_tags_by_tag ON memory_tags(tag, memory_seq);
CREATE VIRTUAL TABLE memories_fts USING fts5(title, content, tags,
    content='memories', content_rowid='seq', tokenize='porter unicode61');
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts(rowid, title, content, tags)
    VALUES (new.seq, new.title, new.content, new.tags);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, title, content, tags)
    VALUES ('delete', old.seq, old.title, old.content, old.tags);
    DELETE FROM memory_tags WHERE memory_seq = old.seq;
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, title, content, tags)
    VALUES ('delete', old.seq, old.title, old.content, old.tags);
    INSERT INTO memories_fts(rowid, title, content, tags)
    VALUES (new.seq, new.title, new.content, new.tags);
END;
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO agents(agent_id, pattern, created_at) VALUES ('old', 'support', '2025-01-01T00:00:00.000000Z');
INSERT INTO memories(id, agent_id, session_id, type, title, content, tags, tags_json, confidence,
                     source, provenance, created_at, updated_at)
VALUES ('m-1', 'old', 'sess_000000000000', 'goal', 'Lighthouse', 'Keep the old lighthouse lit',
        'harbor night', '["harbor","night"]', 0.7, 'agent', 'observed',
        '2025-01-02T00:00:00.000000Z', '2025-01-02T00:00:00.000000Z'),
       ('m-2', 'old', 'sess_000000000000', 'fact', 'Harbor', 'The harbor closes at dusk',
        'harbor', '["harbor"]', 0.8, 'agent', 'explicit_statement',
        '2025-01-03T00:00:00.000000Z', '2025-01-03T00:00:00.000000Z');
INSERT INTO memory_tags VALUES (1, 'harbor'), (1, 'night'), (2, 'harbor');
"#;

struct Client {
    router: axum::Router,
    token: String,
}

impl Client {
    async fn send(&self, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", "Bearer k")
            .header("x-session-token", &self.token);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(Body::from(body.map(|b| b.to_string()).unwrap_or_default()))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

async fn open(path: &std::path::Path) -> Client {
    let state = AppState::open(&ServerConfig {
        db_path: Some(path.to_path_buf()),
        api_keys: vec!["k".into()],
        ..ServerConfig::default()
    })
    .expect("open the old database");
    let mut c = Client {
        router: router(state),
        token: String::new(),
    };
    let (status, session) = c.send("POST", "/api/v2/agents/old/activate", None).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    c.token = session["session_token"].as_str().unwrap().to_owned();
    c
}

fn user_version(path: &std::path::Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn old_memories_survive_and_gain_default_trust_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    Connection::open(&path).unwrap().execute_batch(V1).unwrap();
    assert_eq!(user_version(&path), 0);

    let c = open(&path).await;
    assert_eq!(user_version(&path), 4);
    // Version 3 searches in memory: the FTS5 table and its triggers are gone.
    let fts: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'memories_fts%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fts, 0);
    let (status, found) = c
        .send("GET", "/api/v2/agents/old/recall?query=lighthouse", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["count"], 1);
    let m = &found["memories"][0];
    assert_eq!(m["id"], "m-1");
    assert_eq!(m["content"], "Keep the old lighthouse lit");
    assert_eq!(m["tags"], json!(["harbor", "night"]));
    assert_eq!(m["provenance"], "observed");
    assert_eq!(m["created_at"], "2025-01-02T00:00:00.000000Z");
    assert_eq!(m["status"], "active");
    assert_eq!(m["validation_count"], 0);
    assert_eq!(m["contradiction_detected"], false);
    for k in [
        "validated_at",
        "superseded_by",
        "supersedes",
        "superseded_at",
    ] {
        assert!(m[k].is_null(), "{k}");
    }
    assert!(m.get("contradiction_reason").is_none());
    let (_, tagged) = c
        .send(
            "GET",
            "/api/v2/agents/old/recall?query=harbor&tags=night",
            None,
        )
        .await;
    assert_eq!(tagged["count"], 1);

    // The new columns and routes work on old rows; old rows are listed by changed-since.
    let (status, _) = c
        .send("POST", "/api/v2/agents/old/validate/m-1", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = c
        .send(
            "POST",
            "/api/v2/agents/old/supersede/m-2?new_memory_id=m-1",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = c
        .send(
            "PATCH",
            "/api/v2/agents/old/memories/m-1",
            Some(json!({"content": "Keep the new beacon lit"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, cur) = c
        .send(
            "GET",
            "/api/v2/agents/old/recall/current?query=beacon%20harbor",
            None,
        )
        .await;
    assert_eq!(cur["count"], 1);
    assert_eq!(cur["memories"][0]["id"], "m-1");
    assert_eq!(cur["memories"][0]["validation_count"], 1);
    assert_eq!(cur["memories"][0]["supersedes"], "m-2");
    // The old words are gone from the index (the title still says "Lighthouse").
    let (_, old) = c
        .send("GET", "/api/v2/agents/old/recall?query=old", None)
        .await;
    assert_eq!(old["count"], 0);
    let (_, ch) = c
        .send(
            "GET",
            "/api/v2/agents/old/recall/changed-since?since=2025-01-01",
            None,
        )
        .await;
    assert_eq!(ch["total_available"], 2);
    drop(c);

    // Opening again is a no-op migration; everything is still there.
    let c = open(&path).await;
    assert_eq!(user_version(&path), 4);
    let (_, found) = c
        .send("GET", "/api/v2/agents/old/recall?query=beacon", None)
        .await;
    assert_eq!(found["memories"][0]["validation_count"], 1);
    let (_, agent) = c.send("GET", "/api/v2/agents/old", None).await;
    assert_eq!(agent["memory_count"], 2);
    assert_eq!(agent["session_count"], 2);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99;")
        .unwrap();
    let err = AppState::open(&ServerConfig {
        db_path: Some(path),
        ..ServerConfig::default()
    })
    .unwrap_err();
    assert!(
        matches!(err, ServerError::Config(ref m) if m.contains("99")),
        "{err}"
    );
}
