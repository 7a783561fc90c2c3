//! 0.2 agent CRUD behind the management gate: no `metadata`, no id length limit, `warnings`
//! on the list, `include_counts` and `delete-backup-too` flags, the 0.2 delete message.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::{AgentPath, Mgmt};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::routes::agents::parse_new_agent;
use crate::routes::{body_bytes, ok};
use crate::state::AppState;
use crate::time;
use crate::validate::{Problems, QueryParams};

/// Validates the boolean flag `name` of the query string (FastAPI booleans).
fn flag(raw: Option<String>, name: &str) -> ApiResult<bool> {
    let q = QueryParams::parse(raw.as_deref());
    let mut p = Problems::new();
    let v = q.bool(name, &mut p);
    p.finish()?;
    Ok(v.unwrap_or(false))
}

/// `POST /api/v2/agents` → 201 AgentInfo.
pub async fn create(
    State(state): State<AppState>,
    _: Mgmt,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body_bytes(body)?;
    let agent = parse_new_agent(&body, None, false)?;
    let created_at = time::fmt(&time::now());
    let row = state
        .write(move |conn| db::agents::create(conn, &agent, &created_at))
        .await?;
    Ok((StatusCode::CREATED, Json(row.to_current_json())).into_response())
}

/// `GET /api/v2/agents[?include_counts=]` → `{agents, count, warnings}`, newest first.
pub async fn list(
    State(state): State<AppState>,
    _: Mgmt,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    flag(raw, "include_counts")?;
    let rows = state.read(db::agents::list).await?;
    let agents: Vec<Value> = rows.iter().map(|a| a.to_current_json()).collect();
    ok(json!({ "agents": agents, "count": agents.len(), "warnings": [] }))
}

/// `GET /api/v2/agents/{agent_id}` → AgentInfo.
pub async fn get(
    State(state): State<AppState>,
    _: Mgmt,
    AgentPath(agent_id): AgentPath,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    flag(raw, "include_counts")?;
    let row = state
        .read(move |conn| db::agents::require(conn, &agent_id))
        .await?;
    ok(row.to_current_json())
}

/// `DELETE /api/v2/agents/{agent_id}[?delete-backup-too=]`: removes the agent, its session
/// (its tokens die) and — there being no separate backup here — its memories.
pub async fn delete(
    State(state): State<AppState>,
    _: Mgmt,
    AgentPath(agent_id): AgentPath,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let all = flag(raw, "delete-backup-too")?;
    let id = agent_id.clone();
    let deleted = state
        .write(move |conn| db::agents::delete(conn, &id))
        .await?;
    if !deleted {
        return Err(ApiError::agent_not_found(&agent_id));
    }
    state.clear_marker(Some(&agent_id));
    let how = if all {
        "with all namespace memories"
    } else {
        "(backup retained in Moorcheh)"
    };
    ok(json!({ "message": format!("Agent '{agent_id}' successfully deleted {how}") }))
}
