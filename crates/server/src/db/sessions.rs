//! Session rows. Several sessions of one agent may be active at once; a token is accepted
//! only while its session row exists and is `active`.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::{ApiError, ApiResult};
use crate::model::SessionRow;

const SELECT: &str =
    "SELECT session_id, agent_id, pattern, started_at, expires_at, status, ended_at FROM sessions";

fn from_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        session_id: r.get(0)?,
        agent_id: r.get(1)?,
        pattern: r.get(2)?,
        started_at: r.get(3)?,
        expires_at: r.get(4)?,
        status: r.get(5)?,
        ended_at: r.get(6)?,
    })
}

pub fn get(conn: &Connection, session_id: &str) -> ApiResult<Option<SessionRow>> {
    let sql = format!("{SELECT} WHERE session_id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([session_id], from_row)
        .optional()?)
}

/// Stores a new active session and bumps the agent's `session_count` / `last_session`.
/// Fails with 404 `AgentNotFound` if the agent does not exist.
pub fn activate(conn: &mut Connection, row: &SessionRow) -> ApiResult<()> {
    let tx = conn.savepoint()?;
    let n = tx
        .prepare_cached(
            "UPDATE agents SET session_count = session_count + 1, last_session = ?2
             WHERE agent_id = ?1",
        )?
        .execute(params![row.agent_id, row.started_at])?;
    if n == 0 {
        return Err(ApiError::agent_not_found(&row.agent_id));
    }
    tx.prepare_cached(
        "INSERT INTO sessions(session_id, agent_id, pattern, started_at, expires_at, status)
         VALUES (?1, ?2, ?3, ?4, ?5, 'active')",
    )?
    .execute(params![
        row.session_id,
        row.agent_id,
        row.pattern,
        row.started_at,
        row.expires_at
    ])?;
    tx.commit()?;
    Ok(())
}

/// The most recently started session of an agent.
pub fn latest_for_agent(conn: &Connection, agent_id: &str) -> ApiResult<Option<SessionRow>> {
    let sql = format!("{SELECT} WHERE agent_id = ?1 ORDER BY started_at DESC, rowid DESC LIMIT 1");
    Ok(conn.query_row(&sql, [agent_id], from_row).optional()?)
}

/// Terminates every active session of `agent_id` at `ended_at`.
pub fn terminate_all(conn: &Connection, agent_id: &str, ended_at: &str) -> ApiResult<usize> {
    Ok(conn.execute(
        "UPDATE sessions SET status = 'terminated', ended_at = ?2
         WHERE agent_id = ?1 AND status = 'active'",
        params![agent_id, ended_at],
    )?)
}

pub fn set_expiry(conn: &Connection, session_id: &str, expires_at: &str) -> ApiResult<()> {
    conn.prepare_cached("UPDATE sessions SET expires_at = ?2 WHERE session_id = ?1")?
        .execute(params![session_id, expires_at])?;
    Ok(())
}

/// All sessions, newest first.
pub fn list(conn: &Connection) -> ApiResult<Vec<SessionRow>> {
    let sql = format!("{SELECT} ORDER BY started_at DESC, rowid DESC");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// How many memories were stored under `session_id`.
pub fn memories_created(conn: &Connection, session_id: &str) -> ApiResult<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM memories WHERE session_id = ?1",
        [session_id],
        |r| r.get(0),
    )?)
}

/// 0.2 rule, one stored session per agent: marks every other active session of the agent
/// `replaced` (their tokens answer "no longer active").
pub fn replace_others(conn: &Connection, row: &SessionRow, ended_at: &str) -> ApiResult<usize> {
    Ok(conn.execute(
        "UPDATE sessions SET status = 'replaced', ended_at = ?3
         WHERE agent_id = ?1 AND session_id <> ?2 AND status = 'active'",
        params![row.agent_id, row.session_id, ended_at],
    )?)
}

/// 0.2 auto-renew / auto-recreate: stores `new` in place of the still-active `old_id` (which
/// becomes `replaced`), without counting a new activation. 401 `InvalidSessionToken` when
/// `old_id` is no longer the agent's active session (a concurrent renewal won).
pub fn renew(conn: &mut Connection, old_id: &str, new: &SessionRow) -> ApiResult<()> {
    let tx = conn.savepoint()?;
    let n = tx
        .prepare_cached(
            "UPDATE sessions SET status = 'replaced', ended_at = ?2
             WHERE session_id = ?1 AND status = 'active'",
        )?
        .execute(params![old_id, new.started_at])?;
    if n == 0 {
        return Err(ApiError::session_inactive(old_id));
    }
    tx.prepare_cached(
        "INSERT INTO sessions(session_id, agent_id, pattern, started_at, expires_at, status)
         VALUES (?1, ?2, ?3, ?4, ?5, 'active')",
    )?
    .execute(params![
        new.session_id,
        new.agent_id,
        new.pattern,
        new.started_at,
        new.expires_at
    ])?;
    tx.commit()?;
    Ok(())
}

/// Marks one session `terminated` at `ended_at` (again, when it already is).
pub fn terminate(conn: &Connection, session_id: &str, ended_at: &str) -> ApiResult<()> {
    conn.prepare_cached(
        "UPDATE sessions SET status = 'terminated', ended_at = ?2 WHERE session_id = ?1",
    )?
    .execute(params![session_id, ended_at])?;
    Ok(())
}
