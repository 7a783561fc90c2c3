//! Memory rows: insert, read, update, delete, and the tag side table.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::{ApiError, ApiResult};
use crate::model::{MemoryRow, Trust};

/// The columns [`from_row`] reads, for a query over `memories m`.
pub const COLUMNS: &str = "m.id, m.agent_id, m.type, m.title, m.content, m.tags_json,
    m.confidence, m.source, m.provenance, m.created_at, m.updated_at, m.status,
    m.validation_count, m.validated_at, m.superseded_by, m.supersedes, m.superseded_at,
    m.contradiction_detected, m.contradiction_reason, m.contradicting_memory_id,
    m.expired_at, m.expired_by";

/// How many columns [`COLUMNS`] has (extra selected columns follow).
pub const N_COLUMNS: usize = 22;

/// A validated memory to store.
#[derive(Debug, Clone)]
pub struct NewMemory {
    pub mtype: String,
    pub title: String,
    pub content: String,
    pub tags: Vec<String>,
    pub confidence: f64,
    pub source: String,
    pub provenance: String,
}

/// Reads the [`COLUMNS`] of a row (without a score).
pub fn from_row(r: &Row<'_>) -> rusqlite::Result<MemoryRow> {
    let tags_json: String = r.get(5)?;
    Ok(MemoryRow {
        id: r.get(0)?,
        agent_id: r.get(1)?,
        mtype: r.get(2)?,
        title: r.get(3)?,
        content: r.get(4)?,
        tags: serde_json::from_str(&tags_json).unwrap_or_default(),
        confidence: r.get(6)?,
        source: r.get(7)?,
        provenance: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        trust: Trust {
            status: r.get(11)?,
            validation_count: r.get(12)?,
            validated_at: r.get(13)?,
            superseded_by: r.get(14)?,
            supersedes: r.get(15)?,
            superseded_at: r.get(16)?,
            contradiction_detected: r.get(17)?,
            contradiction_reason: r.get(18)?,
            contradicting_memory_id: r.get(19)?,
        },
        expired_at: r.get(20)?,
        expired_by: r.get(21)?,
        score: None,
    })
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".to_owned())
}

/// Replaces the tag rows of the memory `seq`.
fn set_tags(tx: &Connection, seq: i64, tags: &[String]) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM memory_tags WHERE memory_seq = ?1")?
        .execute([seq])?;
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO memory_tags(memory_seq, tag) VALUES (?1, ?2)")?;
    for tag in tags {
        insert.execute(params![seq, tag])?;
    }
    Ok(())
}

/// Stores one memory inside `tx`; returns its new id.
pub fn insert(
    tx: &Connection,
    agent_id: &str,
    session_id: &str,
    created_at: &str,
    m: &NewMemory,
) -> rusqlite::Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    tx.prepare_cached(
        "INSERT INTO memories(id, agent_id, session_id, type, title, content, tags, tags_json,
                              confidence, source, provenance, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
    )?
    .execute(params![
        id,
        agent_id,
        session_id,
        m.mtype,
        m.title,
        m.content,
        m.tags.join(" "),
        tags_json(&m.tags),
        m.confidence,
        m.source,
        m.provenance,
        created_at,
    ])?;
    set_tags(tx, tx.last_insert_rowid(), &m.tags)?;
    Ok(id)
}

/// Stores all `items` in one transaction (all or nothing); returns their new ids. The
/// session is checked again inside the transaction: a write that raced with a deactivate or
/// an agent deletion must not leave memories behind for a later agent of the same id.
pub fn insert_all(
    conn: &mut Connection,
    agent_id: &str,
    session_id: &str,
    created_at: &str,
    items: &[NewMemory],
) -> ApiResult<Vec<String>> {
    let tx = conn.savepoint()?;
    let live: bool = tx
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM sessions s JOIN agents a ON a.agent_id = s.agent_id
                           WHERE s.session_id = ?1 AND s.agent_id = ?2 AND s.status = 'active')",
        )?
        .query_row([session_id, agent_id], |r| r.get(0))?;
    if !live {
        return Err(ApiError::session_inactive(session_id));
    }
    let ids = items
        .iter()
        .map(|m| insert(&tx, agent_id, session_id, created_at, m))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    tx.commit()?;
    Ok(ids)
}

/// One memory of `agent_id`.
pub fn get(conn: &Connection, agent_id: &str, id: &str) -> ApiResult<Option<MemoryRow>> {
    let sql = format!("SELECT {COLUMNS} FROM memories m WHERE m.agent_id = ?1 AND m.id = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([agent_id, id], from_row)
        .optional()?)
}

/// Like [`get`] but 404 `MemoryNotFound` when absent.
pub fn require(conn: &Connection, agent_id: &str, id: &str) -> ApiResult<MemoryRow> {
    get(conn, agent_id, id)?.ok_or_else(|| ApiError::memory_not_found(agent_id, id))
}

/// New values for some fields of a memory (`None` = unchanged).
#[derive(Debug, Clone, Default)]
pub struct MemoryPatch {
    pub mtype: Option<String>,
    pub title: Option<String>,
    pub content: Option<String>,
    pub tags: Option<Vec<String>>,
    pub confidence: Option<f64>,
    pub source: Option<String>,
    pub provenance: Option<String>,
}

/// Applies `patch` (the search index follows through the writer's update hook) and sets
/// `updated_at`. A `title` of `Some("")` means "the default title of the content"; a title
/// that was the default of the old content follows the new content.
pub fn update(
    conn: &mut Connection,
    agent_id: &str,
    id: &str,
    patch: &MemoryPatch,
    now: &str,
) -> ApiResult<()> {
    let tx = conn.savepoint()?;
    let old = require(&tx, agent_id, id)?;
    let content = patch.content.as_ref().unwrap_or(&old.content);
    let title = match &patch.title {
        Some(t) if t.trim().is_empty() => crate::model::default_title(content.trim()),
        Some(t) => t.clone(),
        None if patch.content.is_some()
            && old.title == crate::model::default_title(old.content.trim()) =>
        {
            crate::model::default_title(content.trim())
        }
        None => old.title.clone(),
    };
    let tags = patch.tags.as_ref().unwrap_or(&old.tags);
    let seq: i64 = tx.query_row(
        "UPDATE memories SET type = ?3, title = ?4, content = ?5, tags = ?6, tags_json = ?7,
                confidence = ?8, source = ?9, provenance = ?10, updated_at = ?11
         WHERE agent_id = ?1 AND id = ?2 RETURNING seq",
        params![
            agent_id,
            id,
            patch.mtype.as_ref().unwrap_or(&old.mtype),
            title,
            content,
            tags.join(" "),
            tags_json(tags),
            patch.confidence.unwrap_or(old.confidence),
            patch.source.as_ref().unwrap_or(&old.source),
            patch.provenance.as_ref().unwrap_or(&old.provenance),
            now,
        ],
        |r| r.get(0),
    )?;
    if patch.tags.is_some() {
        set_tags(&tx, seq, tags)?;
    }
    tx.commit()?;
    Ok(())
}

/// Deletes a memory with its index and tag rows (404 when absent).
pub fn delete(conn: &Connection, agent_id: &str, id: &str) -> ApiResult<()> {
    let n = conn.execute(
        "DELETE FROM memories WHERE agent_id = ?1 AND id = ?2",
        [agent_id, id],
    )?;
    if n == 0 {
        return Err(ApiError::memory_not_found(agent_id, id));
    }
    Ok(())
}
