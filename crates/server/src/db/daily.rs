//! What an agent stored on one UTC day (the daily summary's source).

use rusqlite::Connection;

use crate::error::ApiResult;

/// One memory created that day.
#[derive(Debug, Clone)]
pub struct DayItem {
    pub mtype: String,
    pub title: String,
    pub session_id: Option<String>,
}

/// The agent's memories created on `date` (`YYYY-MM-DD`, UTC), in storage order, whatever
/// their status now (deleted ones are gone).
pub fn created_on(conn: &Connection, agent_id: &str, date: &str) -> ApiResult<Vec<DayItem>> {
    let rows = conn
        .prepare_cached(
            "SELECT type, title, session_id FROM memories
             WHERE agent_id = ?1 AND substr(created_at, 1, 10) = ?2 ORDER BY seq",
        )?
        .query_map([agent_id, date], |r| {
            Ok(DayItem {
                mtype: r.get(0)?,
                title: r.get(1)?,
                session_id: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
