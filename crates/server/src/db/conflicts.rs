//! Conflict reports: one per agent and UTC date, a JSON list of conflict entries (removed
//! with their agent by a trigger).

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// The stored report of `date`, `None` when there is none.
pub fn get(conn: &Connection, agent_id: &str, date: &str) -> ApiResult<Option<Vec<Value>>> {
    let raw: Option<String> = conn
        .prepare_cached("SELECT report FROM conflict_reports WHERE agent_id = ?1 AND date = ?2")?
        .query_row([agent_id, date], |r| r.get(0))
        .optional()?;
    raw.map(|s| {
        serde_json::from_str(&s)
            .map_err(|e| ApiError::internal(format!("stored conflict report of {agent_id}: {e}")))
    })
    .transpose()
}

/// Stores (or overwrites) the report of `date`.
pub fn put(
    conn: &Connection,
    agent_id: &str,
    date: &str,
    report: &[Value],
    now: &str,
) -> ApiResult<()> {
    let json = serde_json::to_string(report).map_err(ApiError::internal)?;
    conn.prepare_cached(
        "INSERT INTO conflict_reports(agent_id, date, report, generated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(agent_id, date) DO UPDATE SET report = excluded.report,
                                                   generated_at = excluded.generated_at",
    )?
    .execute(params![agent_id, date, json, now])?;
    Ok(())
}
