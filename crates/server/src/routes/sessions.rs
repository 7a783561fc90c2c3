//! Activate / deactivate, `session/current`, `session/extend`, `sessions`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::TimeDelta;
use serde_json::{json, Value};

use super::{body_bytes, ok};
use crate::auth::{AgentPath, Mgmt, SessionAuth, SESSION_HEADER};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::model::{self, SessionRow};
use crate::state::AppState;
use crate::time;
use crate::validate::{self, loc, loc_with, Problems, QueryParams};

/// Upper bound for `duration_hours` / `additional_hours` (about 100 years).
const MAX_HOURS: f64 = 876_000.0;
const DEFAULT_EXTEND_HOURS: i64 = 6;

/// The optional `SessionCreate` body: `{agent_id?, duration_hours?}`.
fn parse_duration(body: &Bytes) -> ApiResult<Option<f64>> {
    let obj = match validate::json_body(body, false)? {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(obj)) => obj,
        Some(other) => {
            return Err(ApiError::validation(json!({
                "type": "model_attributes_type",
                "loc": ["body"],
                "msg": "Input should be a valid dictionary or object to extract fields from",
                "input": other,
            })))
        }
    };
    let base = loc(&["body"]);
    let mut p = Problems::new();
    let _agent_id = validate::opt_str(&obj, "agent_id", &base, &mut p);
    let hours = validate::opt_f64(&obj, "duration_hours", &base, &mut p);
    if let Some(h) = hours {
        let at = loc_with(&base, "duration_hours");
        if h <= 0.0 {
            p.gt(at, obj["duration_hours"].clone(), json!(0));
        } else if h > MAX_HOURS {
            p.le(at, obj["duration_hours"].clone(), json!(MAX_HOURS));
        }
    }
    p.finish()?;
    Ok(hours)
}

/// `POST /api/v2/agents/{agent_id}/activate` → a new active Session with its token.
pub async fn activate(
    State(state): State<AppState>,
    _: Mgmt,
    AgentPath(agent_id): AgentPath,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body_bytes(body)?;
    let duration = match parse_duration(&body)? {
        Some(h) => time::hours(h).ok_or_else(|| ApiError::internal("unrepresentable duration"))?,
        None => TimeDelta::from_std(state.session_duration())
            .map_err(|e| ApiError::internal(format!("session duration: {e}")))?,
    };
    let started = time::now();
    let expires = started
        .checked_add_signed(duration)
        .ok_or_else(|| ApiError::internal("session expiry out of range"))?;
    let row = state
        .write(move |conn| {
            let pattern = db::agents::pattern(conn, &agent_id)?;
            let row = SessionRow {
                session_id: model::new_session_id(),
                agent_id,
                pattern: Some(pattern),
                started_at: time::fmt(&started),
                expires_at: time::fmt(&expires),
                status: "active".to_owned(),
                ended_at: None,
            };
            db::sessions::activate(conn, &row)?;
            Ok(row)
        })
        .await?;
    let token = state
        .tokens()
        .issue(&row.agent_id, &row.session_id, &started, &expires)?;
    // Both mode also serves 0.2's `GET /status`, which reports the newest session.
    state.set_marker(&row.session_id, &row.agent_id);
    ok(row.to_session_json(Some(&token), &started))
}

/// `POST /api/v2/agents/{agent_id}/deactivate`: terminates every active session of the agent
/// (revoking their tokens) and summarises the most recent one.
pub async fn deactivate(
    State(state): State<AppState>,
    _: Mgmt,
    AgentPath(agent_id): AgentPath,
) -> ApiResult<Response> {
    let now = time::now();
    let (session, memories) = state
        .write(move |conn| {
            let tx = conn.savepoint()?;
            db::agents::pattern(&tx, &agent_id)?;
            if db::sessions::latest_for_agent(&tx, &agent_id)?.is_none() {
                return Err(ApiError::memanto(
                    StatusCode::NOT_FOUND,
                    "SessionNotFound",
                    format!("No session found for agent {agent_id}"),
                ));
            }
            db::sessions::terminate_all(&tx, &agent_id, &time::fmt(&now))?;
            let session = db::sessions::latest_for_agent(&tx, &agent_id)?
                .ok_or_else(|| ApiError::internal("session vanished during deactivate"))?;
            let memories = db::sessions::memories_created(&tx, &session.session_id)?;
            tx.commit()?;
            Ok((session, memories))
        })
        .await?;
    state.clear_marker(Some(&session.agent_id));
    let ended = session
        .ended_at
        .as_deref()
        .and_then(time::parse_stored)
        .unwrap_or(now);
    let hours = (ended - session.started()).num_milliseconds() as f64 / 3_600_000.0;
    ok(json!({
        "session_id": session.session_id,
        "agent_id": session.agent_id,
        "started_at": session.started_at,
        "ended_at": time::fmt(&ended),
        "duration_hours": (hours.max(0.0) * 100.0).round() / 100.0,
        "memories_created": memories,
        "summary_memory_id": null,
    }))
}

/// `GET /api/v2/session/current` → info about the token's own session.
pub async fn current(
    State(_state): State<AppState>,
    SessionAuth(ctx): SessionAuth,
) -> ApiResult<Response> {
    let now = time::now();
    let s = &ctx.session;
    let remaining = (s.expires() - now).num_seconds().max(0);
    ok(json!({
        "session_id": s.session_id,
        "agent_id": s.agent_id,
        "namespace": model::namespace(&s.agent_id),
        "started_at": s.started_at,
        "expires_at": s.expires_at,
        "status": s.effective_status(&now),
        "time_remaining_seconds": remaining,
        "pattern": s.pattern,
    }))
}

/// `POST /api/v2/session/extend?additional_hours=N`: moves the stored expiry to
/// `max(expiry, now) + N h` and issues a new token for it (also in `X-Session-Token`).
pub async fn extend(
    State(state): State<AppState>,
    SessionAuth(ctx): SessionAuth,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let query = QueryParams::parse(raw.as_deref());
    let mut p = Problems::new();
    let hours = query.int("additional_hours", &mut p);
    if let Some(h) = hours {
        if h as f64 > MAX_HOURS {
            p.le(
                loc(&["query", "additional_hours"]),
                json!(query.get("additional_hours")),
                json!(MAX_HOURS as i64),
            );
        }
    }
    p.finish()?;
    let hours = hours.unwrap_or(DEFAULT_EXTEND_HOURS);
    if hours <= 0 {
        return Err(ApiError::detail(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Additional hours must be greater than 0.",
        ));
    }
    let sid = ctx.session.session_id.clone();
    let row = state
        .write(move |conn| {
            let tx = conn.savepoint()?;
            let mut row = db::sessions::get(&tx, &sid)?
                .filter(|s| s.status == "active")
                .ok_or_else(|| ApiError::session_inactive(&sid))?;
            let base = row.expires().max(time::now());
            let expires = base
                .checked_add_signed(TimeDelta::hours(hours))
                .ok_or_else(|| {
                    ApiError::detail(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Session expiry out of range.",
                    )
                })?;
            row.expires_at = time::fmt(&expires);
            db::sessions::set_expiry(&tx, &sid, &row.expires_at)?;
            tx.commit()?;
            Ok(row)
        })
        .await?;
    let token = state.tokens().issue(
        &row.agent_id,
        &row.session_id,
        &row.started(),
        &row.expires(),
    )?;
    let mut response = Json(row.to_session_json(Some(&token), &time::now())).into_response();
    let value = HeaderValue::from_str(&token).map_err(ApiError::internal)?;
    response.headers_mut().insert(SESSION_HEADER, value);
    Ok(response)
}

/// `GET /api/v2/sessions` → every session, newest first, without tokens.
pub async fn list(State(state): State<AppState>, _: Mgmt) -> ApiResult<Response> {
    let rows = state.read(db::sessions::list).await?;
    let now = time::now();
    let sessions: Vec<Value> = rows.iter().map(|s| s.to_session_json(None, &now)).collect();
    ok(Value::Array(sessions))
}
