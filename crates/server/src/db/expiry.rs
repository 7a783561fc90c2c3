//! A memory's expiry (0.2.x): expire, restore, the rows a policy sweep evaluates, and
//! permanent deletion. Each change bumps `updated_at` (the policy clock); the search index
//! follows through the writer's update hook.

use rusqlite::{params, Connection};

use super::memories::{from_row, COLUMNS};
use crate::error::ApiResult;
use crate::model::MemoryRow;

/// Stamps a memory expired by `reason` at `now` (an expired one is re-stamped); `false`
/// when the agent has no such memory.
pub fn expire(
    conn: &Connection,
    agent_id: &str,
    id: &str,
    reason: &str,
    now: &str,
) -> ApiResult<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE memories SET expired_at = ?3, expired_by = ?4, updated_at = ?3
             WHERE agent_id = ?1 AND id = ?2",
        )?
        .execute(params![agent_id, id, now, reason])?;
    Ok(n > 0)
}

/// Makes a memory active again (clearing its expiry stamp); `false` when absent.
pub fn restore(conn: &Connection, agent_id: &str, id: &str, now: &str) -> ApiResult<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE memories SET expired_at = NULL, expired_by = NULL, updated_at = ?3
             WHERE agent_id = ?1 AND id = ?2",
        )?
        .execute(params![agent_id, id, now])?;
    Ok(n > 0)
}

/// Every memory of the agent, oldest first.
pub fn all_rows(conn: &Connection, agent_id: &str) -> ApiResult<Vec<MemoryRow>> {
    let sql = format!("SELECT {COLUMNS} FROM memories m WHERE m.agent_id = ?1 ORDER BY m.seq");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([agent_id], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Deletes a memory permanently; `false` when absent.
pub fn delete(conn: &Connection, agent_id: &str, id: &str) -> ApiResult<bool> {
    let n = conn
        .prepare_cached("DELETE FROM memories WHERE agent_id = ?1 AND id = ?2")?
        .execute([agent_id, id])?;
    Ok(n > 0)
}
