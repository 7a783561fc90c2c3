//! 0.2 sessions: activate (one session per agent), deactivate (no token), `GET /status` (the
//! server-wide marker of the most recently created session).

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::auth::current::create_session;
use crate::auth::{AgentPath, Mgmt};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::model::{self, SessionRow};
use crate::routes::ok;
use crate::state::AppState;
use crate::time;
use axum::extract::State;

/// `POST /agents/{agent_id}/activate`: no body is read; a new 6 h (configured) session that
/// replaces the agent's stored one, so older tokens die.
pub async fn activate(
    State(state): State<AppState>,
    _: Mgmt,
    AgentPath(agent_id): AgentPath,
) -> ApiResult<Response> {
    let now = time::now();
    let template = SessionRow {
        session_id: String::new(),
        agent_id,
        pattern: None,
        started_at: String::new(),
        expires_at: String::new(),
        status: String::new(),
        ended_at: None,
    };
    let (row, token) = create_session(&state, &template, state.session_duration(), now)?;
    let row = state
        .write(move |conn| {
            let pattern = db::agents::pattern(conn, &row.agent_id)?;
            let row = SessionRow {
                pattern: Some(pattern),
                ..row
            };
            db::sessions::activate(conn, &row)?;
            db::sessions::replace_others(conn, &row, &row.started_at)?;
            Ok(row)
        })
        .await?;
    state.set_marker(&row.session_id, &row.agent_id);
    let cookie = format!(
        "{}={token}; HttpOnly; Path=/; SameSite=strict",
        memanto_protocol::SESSION_COOKIE
    );
    with_cookie(ok(row.to_session_json(Some(&token), &now))?, &cookie)
}

/// `POST /agents/{agent_id}/deactivate`: terminates the agent's stored session (idempotent:
/// a repeat re-stamps `ended_at`); 404 `SessionNotFound` when it has none.
pub async fn deactivate(
    State(state): State<AppState>,
    _: Mgmt,
    AgentPath(agent_id): AgentPath,
) -> ApiResult<Response> {
    let now = time::now();
    let id = agent_id.clone();
    let session = state
        .write(move |conn| {
            let Some(mut s) = db::sessions::latest_for_agent(conn, &id)? else {
                return Err(ApiError::memanto(
                    StatusCode::NOT_FOUND,
                    "SessionNotFound",
                    format!("No session found for agent {id}"),
                ));
            };
            db::sessions::terminate(conn, &s.session_id, &time::fmt(&now))?;
            s.ended_at = Some(time::fmt(&now));
            Ok(s)
        })
        .await?;
    state.clear_marker(Some(&agent_id));
    let cookie = format!(
        "{}=\"\"; expires={}; Max-Age=0; Path=/; SameSite=lax",
        memanto_protocol::SESSION_COOKIE,
        now.format("%a, %d %b %Y %H:%M:%S GMT")
    );
    let hours = (now - session.started()).num_milliseconds() as f64 / 3_600_000.0;
    let summary = ok(json!({
        "session_id": session.session_id,
        "agent_id": session.agent_id,
        "started_at": session.started_at,
        "ended_at": time::fmt(&now),
        "duration_hours": (hours.max(0.0) * 100.0).round() / 100.0,
        "memories_created": 0,
        "summary_memory_id": null,
    }))?;
    with_cookie(summary, &cookie)
}

/// Adds a `Set-Cookie` header (0.2.30 sets and clears `memanto_session_token`; the LocalServer
/// does not accept the cookie as a credential).
fn with_cookie(mut res: Response, cookie: &str) -> ApiResult<Response> {
    let v = HeaderValue::from_str(cookie).map_err(ApiError::internal)?;
    res.headers_mut().insert(SET_COOKIE, v);
    Ok(res)
}

/// `GET /api/v2/status`: SessionInfo of the session the server-wide marker names — the most
/// recently created one, whichever agent. A lapsed one is recreated (the new token is returned
/// nowhere); 404 `No active session` without a marker or when it names a terminated session.
pub async fn status(State(state): State<AppState>, _: Mgmt) -> ApiResult<Response> {
    let no_session = || ApiError::detail(StatusCode::NOT_FOUND, "No active session");
    let Some(sid) = state.marker() else {
        return Err(no_session());
    };
    let session = match state.session(&sid).await? {
        Some(s) if s.status == "active" => s,
        _ => {
            state.clear_marker(None);
            return Err(no_session());
        }
    };
    let now = time::now();
    let session = if now > session.expires() {
        let (row, _token) = create_session(&state, &session, state.session_duration(), now)?;
        let (old_id, new) = (session.session_id.clone(), row.clone());
        state
            .write(move |conn| db::sessions::renew(conn, &old_id, &new))
            .await?;
        state.set_marker(&row.session_id, &row.agent_id);
        row
    } else {
        session
    };
    ok(json!({
        "session_id": session.session_id,
        "agent_id": session.agent_id,
        "namespace": model::namespace(&session.agent_id),
        "started_at": session.started_at,
        "expires_at": session.expires_at,
        "status": "active",
        "time_remaining_seconds": (session.expires() - now).num_seconds().max(0),
        "pattern": session.pattern,
    }))
}
