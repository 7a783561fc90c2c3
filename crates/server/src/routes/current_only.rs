//! Routes only the 0.2.x generation has (API-0.2 §4.3, §5.4–5.5, §6.3–6.4, §7, §8): memory
//! expiry, the recent/all listings, extraction, daily summaries, conflicts and expiry
//! policies. Handlers live here and in the sibling modules `extract`, `insights`,
//! `conflicts` and `policy`; all authenticate with the [`AgentSession`] extractor (each generation's token rules) and the agent scope check.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use super::body::{
    date_field, limit_field, memory_gone, optional_object, status_field, tags_field, types_field,
};
use super::params::k_too_large;
use super::{body_bytes, conflicts, extract, insights, ok, policy};
use crate::auth::{AgentSession, MemoryPath, SessionContext};
use crate::db;
use crate::db::recent::RecentQuery;
use crate::error::ApiResult;
use crate::model::{MemoryItem, MemoryRow, MAX_LIMIT};
use crate::state::AppState;
use crate::time::{self, DateBound};
use crate::validate::{self, loc, Problems};
use memanto_protocol::limits::{DEFAULT_RECALL_ALL_LIMIT, DEFAULT_RECALL_LIMIT, MAX_SOURCE_CHARS};

/// The 0.2.x-only routes, with absolute paths.
pub(crate) fn routes() -> Router<AppState> {
    const A: &str = "/api/v2/agents/{agent_id}";
    Router::new()
        .route(&format!("{A}/memories/{{memory_id}}/expire"), post(expire))
        .route(
            &format!("{A}/memories/{{memory_id}}/restore"),
            post(restore),
        )
        .route(&format!("{A}/recall/recent"), post(recent))
        .route(&format!("{A}/recall/all"), post(all))
        .route(&format!("{A}/remember/extract"), post(extract::extract))
        .route(&format!("{A}/daily-summary"), post(insights::daily_summary))
        .route(
            &format!("{A}/conflicts/generate"),
            post(conflicts::generate),
        )
        .route(&format!("{A}/conflicts"), get(conflicts::list))
        .route(&format!("{A}/conflicts/resolve"), post(conflicts::resolve))
        .route(&format!("{A}/policy"), get(policy::get).put(policy::put))
        .route(&format!("{A}/policy/presets"), get(policy::presets))
        .route(&format!("{A}/policy/presets/{{name}}"), get(policy::preset))
        .route(&format!("{A}/policy/preset"), post(policy::set_preset))
        .route(&format!("{A}/policy/apply"), post(policy::apply))
        .route(&format!("{A}/policy/purge"), post(policy::purge))
}

/// Authentication and the agent scope check for `/agents/{agent_id}/...` routes.
pub(super) fn session_for(s: AgentSession) -> ApiResult<(SessionContext, String)> {
    s.check_scope()?;
    Ok((s.ctx, s.agent_id))
}

/// An expiry reason: trimmed, 1–64 characters of `[A-Za-z0-9._-]`; `manual` when absent.
///
/// Divergence: 0.2.30 answers a bad reason with a 500 `MemoryOperationError` carrying the
/// same message; this server answers a 422 (`loc: ["body", "reason"]`), which is what it is.
pub(super) fn expiry_reason(obj: &serde_json::Map<String, Value>) -> ApiResult<String> {
    let mut p = Problems::new();
    let reason =
        validate::opt_str(obj, "reason", &loc(&["body"]), &mut p).map(|r| r.trim().to_owned());
    p.finish()?;
    let Some(reason) = reason else {
        return Ok("manual".to_owned());
    };
    let msg = if reason.is_empty() {
        "Value error, A reason is required when expiring a memory".to_owned()
    } else if reason.chars().count() > MAX_SOURCE_CHARS
        || !reason
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        format!(
            "Value error, Invalid expiry reason '{reason}': only letters, digits, '.', '_' and '-' are allowed (1-{MAX_SOURCE_CHARS} characters)"
        )
    } else {
        return Ok(reason);
    };
    let mut p = Problems::new();
    p.push(
        "value_error",
        loc(&["body", "reason"]),
        msg,
        json!(obj.get("reason")),
        None,
    );
    p.finish().map(|_| String::new())
}

/// `POST …/memories/{memory_id}/expire`, optional body `{reason}` (default `manual`):
/// stamps `expired_at = now`, `expired_by = reason`, bumps `updated_at` (an expired memory is
/// re-stamped). 200 `{agent_id, session_id, memory_id, status:"expired", expired_at,
/// expired_by}`; 404 `{"detail":"Memory '<id>' was not found."}`.
async fn expire(
    State(state): State<AppState>,
    s: AgentSession,
    MemoryPath(memory_id): MemoryPath,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (ctx, agent_id) = session_for(s)?;
    let reason = expiry_reason(&optional_object(&body_bytes(body)?)?)?;
    let now = time::fmt(&time::now());
    let (aid, mid, r, at) = (
        agent_id.clone(),
        memory_id.clone(),
        reason.clone(),
        now.clone(),
    );
    let found = state
        .write(move |conn| db::expiry::expire(conn, &aid, &mid, &r, &at))
        .await?;
    if !found {
        return Err(memory_gone(&memory_id));
    }
    ok(json!({
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "memory_id": memory_id,
        "status": "expired",
        "expired_at": now,
        "expired_by": reason,
    }))
}

/// `POST …/memories/{memory_id}/restore` (no body): active again, expiry stamp cleared,
/// `updated_at` bumped (which restarts the policy clock). 200 `{agent_id, session_id,
/// memory_id, status:"active"}`; 404 as expire.
async fn restore(
    State(state): State<AppState>,
    s: AgentSession,
    MemoryPath(memory_id): MemoryPath,
) -> ApiResult<Response> {
    let (ctx, agent_id) = session_for(s)?;
    let now = time::fmt(&time::now());
    let (aid, mid) = (agent_id.clone(), memory_id.clone());
    let found = state
        .write(move |conn| db::expiry::restore(conn, &aid, &mid, &now))
        .await?;
    if !found {
        return Err(memory_gone(&memory_id));
    }
    ok(json!({
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "memory_id": memory_id,
        "status": "active",
    }))
}

/// The recent/all response.
#[derive(Serialize)]
struct RecentBody<'a> {
    agent_id: &'a str,
    session_id: &'a str,
    memories: Vec<MemoryItem<'a>>,
    count: usize,
    total_available: i64,
    temporal_mode: &'static str,
    as_of_date: Option<&'a str>,
    since_date: Option<&'a str>,
}

/// `recall/recent` (`capped`: limit ≤ 100, default 10) and `recall/all` (no cap, default
/// 5000). The body is required (`{}` is fine): a missing one is a 422, as on 0.2.30.
async fn listing(
    state: AppState,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
    capped: bool,
) -> ApiResult<Response> {
    let (ctx, agent_id) = session_for(s)?;
    let obj = validate::json_object(&body_bytes(body)?)?;
    let mut p = Problems::new();
    let default = if capped {
        DEFAULT_RECALL_LIMIT
    } else {
        DEFAULT_RECALL_ALL_LIMIT
    };
    let query = RecentQuery {
        agent_id: agent_id.clone(),
        limit: limit_field(&obj, i64::from(default), &mut p),
        types: types_field(&obj, &mut p),
        tags: tags_field(&obj, &mut p),
        status: status_field(&obj, &mut p),
        created_after: date_field(&obj, "created_after", DateBound::StartOfDay, &mut p),
        created_before: date_field(&obj, "created_before", DateBound::EndOfDay, &mut p),
    };
    p.finish()?;
    if capped && query.limit > MAX_LIMIT {
        return Err(k_too_large(query.limit));
    }
    let found = state
        .read(move |conn| db::recent::list(conn, &query))
        .await?;
    let memories: Vec<MemoryItem<'_>> = found.rows.iter().map(MemoryRow::item).collect();
    Ok(Json(RecentBody {
        agent_id: &agent_id,
        session_id: &ctx.session.session_id,
        count: memories.len(),
        memories,
        total_available: found.total,
        temporal_mode: "recent",
        as_of_date: None,
        since_date: None,
    })
    .into_response())
}

/// `POST …/recall/recent` `{limit?, type?, tags? (any), status?, created_after?,
/// created_before?}`: newest `created_at` first.
async fn recent(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    listing(state, s, body, true).await
}

/// `POST …/recall/all`: as recent, without the limit cap.
async fn all(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    listing(state, s, body, false).await
}
