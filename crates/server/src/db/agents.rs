//! Agent rows.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::model::AgentRow;

const SELECT: &str = "SELECT a.agent_id, a.pattern, a.description, a.metadata, a.created_at,
        a.last_session, a.session_count, a.status,
        (SELECT COUNT(*) FROM memories m WHERE m.agent_id = a.agent_id)
    FROM agents a";

fn from_row(r: &Row<'_>) -> rusqlite::Result<AgentRow> {
    let metadata: Option<String> = r.get(3)?;
    Ok(AgentRow {
        agent_id: r.get(0)?,
        pattern: r.get(1)?,
        description: r.get(2)?,
        metadata: metadata.and_then(|m| serde_json::from_str(&m).ok()),
        created_at: r.get(4)?,
        last_session: r.get(5)?,
        session_count: r.get(6)?,
        status: r.get(7)?,
        memory_count: r.get(8)?,
    })
}

/// A validated `AgentCreate` body.
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub agent_id: String,
    pub pattern: String,
    pub description: Option<String>,
    pub metadata: Option<Value>,
}

pub fn create(conn: &Connection, agent: &NewAgent, created_at: &str) -> ApiResult<AgentRow> {
    let metadata = agent.metadata.as_ref().map(Value::to_string);
    let inserted = conn.execute(
        "INSERT INTO agents(agent_id, pattern, description, metadata, created_at, status)
         VALUES (?1, ?2, ?3, ?4, ?5, 'ready') ON CONFLICT(agent_id) DO NOTHING",
        params![
            agent.agent_id,
            agent.pattern,
            agent.description,
            metadata,
            created_at
        ],
    )?;
    if inserted == 0 {
        return Err(ApiError::memanto(
            axum::http::StatusCode::CONFLICT,
            "AgentAlreadyExists",
            format!("Agent '{}' already exists", agent.agent_id),
        ));
    }
    get(conn, &agent.agent_id)?.ok_or_else(|| ApiError::internal("agent vanished after insert"))
}

pub fn get(conn: &Connection, agent_id: &str) -> ApiResult<Option<AgentRow>> {
    let sql = format!("{SELECT} WHERE a.agent_id = ?1");
    Ok(conn.query_row(&sql, [agent_id], from_row).optional()?)
}

/// The agent's pattern (without counting its memories, as [`get`] does); 404
/// `AgentNotFound` when absent.
pub fn pattern(conn: &Connection, agent_id: &str) -> ApiResult<String> {
    conn.prepare_cached("SELECT pattern FROM agents WHERE agent_id = ?1")?
        .query_row([agent_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| ApiError::agent_not_found(agent_id))
}

/// Like [`get`] but 404 `AgentNotFound` when absent.
pub fn require(conn: &Connection, agent_id: &str) -> ApiResult<AgentRow> {
    get(conn, agent_id)?.ok_or_else(|| ApiError::agent_not_found(agent_id))
}

pub fn exists(conn: &Connection, agent_id: &str) -> ApiResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM agents WHERE agent_id = ?1")?
        .query_row([agent_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// All agents, newest first.
pub fn list(conn: &Connection) -> ApiResult<Vec<AgentRow>> {
    let sql = format!("{SELECT} ORDER BY a.created_at DESC, a.rowid DESC");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Deletes the agent with its memories and sessions (so its tokens stop working).
/// Returns false if there was no such agent.
pub fn delete(conn: &mut Connection, agent_id: &str) -> ApiResult<bool> {
    let tx = conn.savepoint()?;
    let n = tx.execute("DELETE FROM agents WHERE agent_id = ?1", [agent_id])?;
    if n == 0 {
        return Ok(false);
    }
    tx.execute("DELETE FROM memories WHERE agent_id = ?1", [agent_id])?;
    tx.execute("DELETE FROM sessions WHERE agent_id = ?1", [agent_id])?;
    tx.commit()?;
    Ok(true)
}
