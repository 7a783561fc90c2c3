//! `validate`, `supersede` and `contradict`: the trust fields of a memory, persisted.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::json;

use super::fields::{body_fields, check, guard_content};
use super::{body_bytes, ok};
use crate::auth::{AgentSession, MemoryPath, SessionContext};
use crate::db;
use crate::db::trust::Replacement;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time;
use crate::validate::{self, loc, Problems, QueryParams};

/// The agent scope check; returns `(context, agent_id)`.
fn start(s: AgentSession) -> ApiResult<(SessionContext, String)> {
    s.check_scope()?;
    Ok((s.ctx, s.agent_id))
}

/// `POST /api/v2/agents/{agent_id}/validate/{memory_id}`
pub async fn validate(
    State(state): State<AppState>,
    s: AgentSession,
    MemoryPath(memory_id): MemoryPath,
) -> ApiResult<Response> {
    let (ctx, agent_id) = start(s)?;
    let now = time::fmt(&time::now());
    let (aid, mid, at) = (agent_id.clone(), memory_id.clone(), now.clone());
    let count = state
        .write(move |conn| db::trust::validate(conn, &aid, &mid, &at))
        .await?;
    ok(json!({
        "memory_id": memory_id,
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "status": "validated",
        "validation_count": count,
        "validated_at": now,
    }))
}

/// The replacement named by `?new_memory_id=` or described by a JSON body (exactly one).
fn replacement(q: &QueryParams, body: &Bytes, session_id: &str) -> ApiResult<Replacement> {
    let has_body = !body.iter().all(u8::is_ascii_whitespace);
    let given = q.get("new_memory_id");
    let (kind, msg) = match (given, has_body) {
        (Some(id), false) if !id.is_empty() => return Ok(Replacement::Existing(id.to_owned())),
        (None, true) => return new_from_body(body, session_id),
        (None, false) => (
            "missing",
            "Field required (or send the new memory as a JSON body)",
        ),
        (Some(_), true) => (
            "value_error",
            "Value error, give either new_memory_id or a JSON body with the new memory, not both",
        ),
        (Some(_), false) => (
            "string_too_short",
            "String should have at least 1 character",
        ),
    };
    Err(ApiError::validation(json!({
        "type": kind,
        "loc": ["query", "new_memory_id"],
        "msg": msg,
        "input": given,
    })))
}

/// A replacement memory from the JSON body (validated like `remember`).
fn new_from_body(body: &Bytes, session_id: &str) -> ApiResult<Replacement> {
    let obj = validate::json_object(body)?;
    let mut p = Problems::new();
    let fields = body_fields(&obj, &loc(&["body"]), &mut p);
    let memory = check(fields, "agent", &mut p);
    p.finish()?;
    let memory = memory.ok_or_else(|| ApiError::internal("validated memory missing"))?;
    guard_content(&memory.content)?;
    Ok(Replacement::New {
        memory,
        session_id: session_id.to_owned(),
    })
}

/// `POST /api/v2/agents/{agent_id}/supersede/{old_memory_id}`, with `?new_memory_id=<id>`
/// or a JSON body `{content, type?, title?, confidence?, tags?, source?, provenance?}` that
/// creates the replacement in the same transaction.
pub async fn supersede(
    State(state): State<AppState>,
    s: AgentSession,
    MemoryPath(memory_id): MemoryPath,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (ctx, agent_id) = start(s)?;
    let old_id = memory_id;
    let body = body_bytes(body)?;
    let q = QueryParams::parse(raw.as_deref());
    let session_id = ctx.session.session_id.clone();
    let replacement = replacement(&q, &body, &session_id)?;
    let now = time::fmt(&time::now());
    let (aid, old, at) = (agent_id.clone(), old_id.clone(), now.clone());
    let new_id = state
        .write(move |conn| db::trust::supersede(conn, &aid, &old, &replacement, &at))
        .await?;
    ok(json!({
        "old_memory_id": old_id,
        "new_memory_id": new_id,
        "agent_id": agent_id,
        "session_id": session_id,
        "status": "superseded",
        "superseded_at": now,
        "message": format!("Memory {old_id} superseded by {new_id}"),
    }))
}

/// `POST /api/v2/agents/{agent_id}/contradict/{memory_id}` with an optional JSON body
/// `{reason?, contradicting_memory_id?}`.
pub async fn contradict(
    State(state): State<AppState>,
    s: AgentSession,
    MemoryPath(memory_id): MemoryPath,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (ctx, agent_id) = start(s)?;
    let body = body_bytes(body)?;
    let (mut reason, mut other) = (None, None);
    if !body.iter().all(u8::is_ascii_whitespace) {
        let obj = validate::json_object(&body)?;
        let base = loc(&["body"]);
        let mut p = Problems::new();
        reason = validate::opt_str(&obj, "reason", &base, &mut p)
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        other = validate::opt_str(&obj, "contradicting_memory_id", &base, &mut p)
            .filter(|o| !o.is_empty());
        if other.as_deref() == Some(memory_id.as_str()) {
            p.push(
                "value_error",
                loc(&["body", "contradicting_memory_id"]),
                "Value error, a memory cannot contradict itself",
                json!(memory_id),
                None,
            );
        }
        p.finish()?;
    }
    let now = time::fmt(&time::now());
    let (aid, mid) = (agent_id.clone(), memory_id.clone());
    state
        .write(move |conn| {
            db::trust::contradict(conn, &aid, &mid, reason.as_deref(), other.as_deref(), &now)
        })
        .await?;
    ok(json!({
        "memory_id": memory_id,
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "status": "contradicted",
        "message": format!("Memory {memory_id} marked as contradicted"),
    }))
}
