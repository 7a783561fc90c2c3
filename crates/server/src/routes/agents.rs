//! `/api/v2/agents` CRUD.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{body_bytes, ok};
use crate::auth::{AgentPath, Mgmt};
use crate::db;
use crate::db::agents::NewAgent;
use crate::error::{ApiError, ApiResult};
use crate::model::PATTERNS;
use crate::state::AppState;
use crate::time;
use crate::validate::{self, loc, loc_with, Problems};

const AGENT_ID_MAX: usize = 64;
const AGENT_ID_PATTERN: &str = "^[a-zA-Z0-9_-]+$";

fn valid_agent_chars(id: &str) -> bool {
    id.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The create-agent body; `max_len` bounds `agent_id` (0.0: 64; 0.2: none), `metadata` is
/// kept only when `keep_metadata` (0.0).
pub(super) fn parse_new_agent(
    body: &Bytes,
    max_len: Option<usize>,
    keep_metadata: bool,
) -> ApiResult<NewAgent> {
    let obj = validate::json_object(body)?;
    let base = loc(&["body"]);
    let mut p = Problems::new();
    let agent_id = validate::req_str(&obj, "agent_id", &base, &mut p);
    if let Some(id) = &agent_id {
        let at = loc_with(&base, "agent_id");
        let n = id.chars().count();
        if n == 0 {
            p.too_short(at, json!(id), 1);
        } else if let Some(max) = max_len.filter(|max| n > *max) {
            p.too_long(at, json!(id), max);
        } else if !valid_agent_chars(id) {
            p.push(
                "string_pattern_mismatch",
                at,
                format!("String should match pattern '{AGENT_ID_PATTERN}'"),
                json!(id),
                Some(json!({ "pattern": AGENT_ID_PATTERN })),
            );
        }
    }
    let pattern = validate::opt_str(&obj, "pattern", &base, &mut p);
    if let Some(pat) = &pattern {
        if !PATTERNS.contains(&pat.as_str()) {
            p.one_of(loc_with(&base, "pattern"), json!(pat), &PATTERNS);
        }
    }
    let description = validate::opt_str(&obj, "description", &base, &mut p);
    let metadata = match obj.get("metadata") {
        None | Some(Value::Null) => None,
        Some(m @ Value::Object(_)) => Some(m.clone()),
        Some(other) => {
            p.wrong_type(
                loc_with(&base, "metadata"),
                other.clone(),
                "dict_type",
                "dictionary",
            );
            None
        }
    };
    p.finish()?;
    Ok(NewAgent {
        agent_id: agent_id.unwrap_or_default(),
        pattern: pattern.unwrap_or_else(|| "support".to_owned()),
        description,
        metadata: metadata.filter(|_| keep_metadata),
    })
}

/// `POST /api/v2/agents` → 201 AgentInfo.
pub async fn create(
    State(state): State<AppState>,
    _: Mgmt,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body_bytes(body)?;
    let agent = parse_new_agent(&body, Some(AGENT_ID_MAX), true)?;
    let created_at = time::fmt(&time::now());
    let row = state
        .write(move |conn| db::agents::create(conn, &agent, &created_at))
        .await?;
    Ok((StatusCode::CREATED, Json(row.to_json())).into_response())
}

/// `GET /api/v2/agents` → `{"agents": [...], "count": n}`, newest first.
pub async fn list(State(state): State<AppState>, _: Mgmt) -> ApiResult<Response> {
    let rows = state.read(db::agents::list).await?;
    let agents: Vec<Value> = rows.iter().map(|a| a.to_json()).collect();
    ok(json!({ "count": agents.len(), "agents": agents }))
}

/// `GET /api/v2/agents/{agent_id}` → AgentInfo.
pub async fn get(
    State(state): State<AppState>,
    _: Mgmt,
    AgentPath(agent_id): AgentPath,
) -> ApiResult<Response> {
    let row = state
        .read(move |conn| db::agents::require(conn, &agent_id))
        .await?;
    ok(row.to_json())
}

/// `DELETE /api/v2/agents/{agent_id}`: removes the agent, its memories and its sessions.
pub async fn delete(
    State(state): State<AppState>,
    _: Mgmt,
    AgentPath(agent_id): AgentPath,
) -> ApiResult<Response> {
    let id = agent_id.clone();
    let deleted = state
        .write(move |conn| db::agents::delete(conn, &id))
        .await?;
    if !deleted {
        return Err(ApiError::agent_not_found(&agent_id));
    }
    state.clear_marker(Some(&agent_id));
    ok(json!({ "message": format!("Agent '{agent_id}' successfully deleted") }))
}
