//! Per-agent expiry policies, stored as JSON (removed with their agent by a trigger).

use memanto_protocol::policy::Policy;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{ApiError, ApiResult};

/// The agent's stored policy, `None` when it has none. A stored value that no longer parses
/// is a 500 (nothing is overwritten).
pub fn get(conn: &Connection, agent_id: &str) -> ApiResult<Option<Policy>> {
    let raw: Option<String> = conn
        .prepare_cached("SELECT policy FROM policies WHERE agent_id = ?1")?
        .query_row([agent_id], |r| r.get(0))
        .optional()?;
    raw.map(|s| {
        serde_json::from_str(&s)
            .map_err(|e| ApiError::internal(format!("stored policy of {agent_id}: {e}")))
    })
    .transpose()
}

/// Replaces the agent's policy.
pub fn put(conn: &Connection, agent_id: &str, policy: &Policy, now: &str) -> ApiResult<()> {
    let json = serde_json::to_string(policy).map_err(ApiError::internal)?;
    conn.prepare_cached(
        "INSERT INTO policies(agent_id, policy, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(agent_id) DO UPDATE SET policy = excluded.policy,
                                             updated_at = excluded.updated_at",
    )?
    .execute(params![agent_id, json, now])?;
    Ok(())
}
