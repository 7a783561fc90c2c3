//! The trust operations: validate, supersede, contradict. Each runs in one transaction and
//! moves the memory's `updated_at`.

use axum::http::StatusCode;
use rusqlite::{params, Connection};

use super::memories::{self, NewMemory};
use crate::error::{ApiError, ApiResult};

/// `validation_count += 1`, `validated_at = now`; returns the new count.
pub fn validate(conn: &Connection, agent_id: &str, id: &str, now: &str) -> ApiResult<i64> {
    let mut stmt = conn.prepare_cached(
        "UPDATE memories SET validation_count = validation_count + 1,
                validated_at = ?3, updated_at = ?3
         WHERE agent_id = ?1 AND id = ?2 RETURNING validation_count",
    )?;
    let mut rows = stmt.query(params![agent_id, id, now])?;
    match rows.next()? {
        Some(row) => Ok(row.get(0)?),
        None => Err(ApiError::memory_not_found(agent_id, id)),
    }
}

/// The memory that replaces a superseded one.
#[derive(Debug, Clone)]
pub enum Replacement {
    /// A memory the agent already has.
    Existing(String),
    /// A new memory, stored in the same transaction (from `session_id`).
    New {
        memory: NewMemory,
        session_id: String,
    },
}

fn already_superseded(id: &str, by: Option<&str>) -> ApiError {
    ApiError::memanto(
        StatusCode::CONFLICT,
        "AlreadySuperseded",
        format!(
            "Memory '{id}' is already superseded by '{}'",
            by.unwrap_or("another memory")
        ),
    )
}

/// Marks `old_id` superseded by `replacement` at `now` (all or nothing); returns the
/// replacement's id. 404 for an unknown memory, 409 when either memory is already
/// superseded, 422 when a memory would supersede itself.
pub fn supersede(
    conn: &mut Connection,
    agent_id: &str,
    old_id: &str,
    replacement: &Replacement,
    now: &str,
) -> ApiResult<String> {
    let tx = conn.savepoint()?;
    let old = memories::require(&tx, agent_id, old_id)?;
    if old.is_superseded() {
        return Err(already_superseded(
            old_id,
            old.trust.superseded_by.as_deref(),
        ));
    }
    let new_id = match replacement {
        Replacement::Existing(new_id) => {
            if new_id == old_id {
                return Err(ApiError::validation(serde_json::json!({
                    "type": "value_error",
                    "loc": ["query", "new_memory_id"],
                    "msg": "Value error, a memory cannot supersede itself",
                    "input": new_id,
                })));
            }
            let new = memories::require(&tx, agent_id, new_id)?;
            if new.is_superseded() {
                return Err(already_superseded(
                    new_id,
                    new.trust.superseded_by.as_deref(),
                ));
            }
            new_id.clone()
        }
        Replacement::New { memory, session_id } => {
            memories::insert(&tx, agent_id, session_id, now, memory)?
        }
    };
    tx.execute(
        "UPDATE memories SET status = 'superseded', superseded_by = ?3, superseded_at = ?4,
                updated_at = ?4
         WHERE agent_id = ?1 AND id = ?2",
        params![agent_id, old_id, new_id, now],
    )?;
    tx.execute(
        "UPDATE memories SET supersedes = ?3, updated_at = ?4 WHERE agent_id = ?1 AND id = ?2",
        params![agent_id, new_id, old_id, now],
    )?;
    tx.commit()?;
    Ok(new_id)
}

/// Flags a memory as contradicted, keeping an earlier reason / contradicting memory when
/// none is given. 404 for an unknown memory (either one).
pub fn contradict(
    conn: &mut Connection,
    agent_id: &str,
    id: &str,
    reason: Option<&str>,
    contradicting_id: Option<&str>,
    now: &str,
) -> ApiResult<()> {
    let tx = conn.savepoint()?;
    memories::require(&tx, agent_id, id)?;
    if let Some(other) = contradicting_id {
        memories::require(&tx, agent_id, other)?;
    }
    tx.execute(
        "UPDATE memories SET contradiction_detected = 1,
                contradiction_reason = COALESCE(?3, contradiction_reason),
                contradicting_memory_id = COALESCE(?4, contradicting_memory_id),
                updated_at = ?5
         WHERE agent_id = ?1 AND id = ?2",
        params![agent_id, id, reason, contradicting_id, now],
    )?;
    tx.commit()?;
    Ok(())
}
