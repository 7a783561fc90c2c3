//! Memory rows, their tags, and ranked full-text search.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, Row};

use crate::error::ApiResult;
use crate::model::MemoryRow;

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

/// Stores all `items` in one transaction (all or nothing); returns their new ids.
pub fn insert_all(
    conn: &mut Connection,
    agent_id: &str,
    session_id: &str,
    created_at: &str,
    items: &[NewMemory],
) -> ApiResult<Vec<String>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut ids = Vec::with_capacity(items.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO memories(id, agent_id, session_id, type, title, content, tags, tags_json,
                                  confidence, source, provenance, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        )?;
        let mut insert_tag = tx
            .prepare_cached("INSERT OR IGNORE INTO memory_tags(memory_seq, tag) VALUES (?1, ?2)")?;
        for m in items {
            let id = uuid::Uuid::new_v4().to_string();
            let tags_json = serde_json::to_string(&m.tags).unwrap_or_else(|_| "[]".to_owned());
            insert.execute(params![
                id,
                agent_id,
                session_id,
                m.mtype,
                m.title,
                m.content,
                m.tags.join(" "),
                tags_json,
                m.confidence,
                m.source,
                m.provenance,
                created_at,
            ])?;
            let seq = tx.last_insert_rowid();
            for tag in &m.tags {
                insert_tag.execute(params![seq, tag])?;
            }
            ids.push(id);
        }
    }
    tx.commit()?;
    Ok(ids)
}

/// What to search for; every filter is applied in SQL before the limit.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub agent_id: String,
    /// FTS5 MATCH expression (see `search::match_expression`).
    pub fts: String,
    pub limit: i64,
    pub min_similarity: Option<f64>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    pub types: Vec<String>,
    pub tags: Vec<String>,
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<MemoryRow> {
    let tags_json: String = r.get(5)?;
    let x: f64 = r.get(11)?;
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
        score: Some(crate::search::similarity(x)),
    })
}

fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ranked search, best first.
pub fn search(conn: &Connection, q: &SearchQuery) -> ApiResult<Vec<MemoryRow>> {
    let mut args: Vec<SqlValue> = vec![q.fts.clone().into(), q.agent_id.clone().into()];
    let mut filters = String::new();
    if !q.types.is_empty() {
        filters += &format!(
            " AND m.type IN ({})",
            placeholders(args.len() + 1, q.types.len())
        );
        args.extend(q.types.iter().cloned().map(SqlValue::from));
    }
    if let Some(after) = &q.created_after {
        args.push(after.clone().into());
        filters += &format!(" AND m.created_at >= ?{}", args.len());
    }
    if let Some(before) = &q.created_before {
        args.push(before.clone().into());
        filters += &format!(" AND m.created_at <= ?{}", args.len());
    }
    if !q.tags.is_empty() {
        let list = placeholders(args.len() + 1, q.tags.len());
        args.extend(q.tags.iter().cloned().map(SqlValue::from));
        args.push((q.tags.len() as i64).into());
        filters += &format!(
            " AND (SELECT COUNT(*) FROM memory_tags t WHERE t.memory_seq = m.seq
                   AND t.tag IN ({list})) = ?{}",
            args.len()
        );
    }
    if let Some(min) = q.min_similarity {
        args.push(min.into());
        filters += &format!(" AND r.x / (1.0 + r.x) >= ?{}", args.len());
    }
    args.push(q.limit.into());
    let sql = format!(
        "SELECT m.id, m.agent_id, m.type, m.title, m.content, m.tags_json, m.confidence,
                m.source, m.provenance, m.created_at, m.updated_at, r.x
         FROM (SELECT rowid AS seq, memanto_rank(memories_fts) AS x
               FROM memories_fts WHERE memories_fts MATCH ?1) AS r
         JOIN memories m ON m.seq = r.seq
         WHERE m.agent_id = ?2{filters}
         ORDER BY r.x DESC, m.seq DESC
         LIMIT ?{}",
        args.len()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
