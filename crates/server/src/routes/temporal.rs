//! Temporal recall: `recall/as-of`, `recall/changed-since` and `recall/current`.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{json, Value};

use super::ok;
use super::params::{
    guard, limit_param, required_date, status_param, text_param, type_and_tag_filters, unit_param,
};
use super::recall::run_search;
use crate::auth::{AgentSession, SessionContext};
use crate::db::query::{SearchQuery, StatusFilter};
use crate::error::ApiResult;
use crate::model::MemoryRow;
use crate::state::AppState;
use crate::time::DateBound;
use crate::validate::{Problems, QueryParams};

const AS_OF_NOTE: &str = "Showing memories valid at the specified point in time";
const CHANGED_NOTE: &str = "Showing memories created or updated since the specified date";
const CURRENT_NOTE: &str = "Excludes superseded, expired, and deleted memories";

/// The agent scope check, then the parsed query string.
fn start(s: AgentSession, raw: Option<String>) -> ApiResult<(SessionContext, String, QueryParams)> {
    s.check_scope()?;
    Ok((s.ctx, s.agent_id, QueryParams::parse(raw.as_deref())))
}

/// `GET /api/v2/agents/{agent_id}/recall/as-of?query=&as_of=`: the memories that existed at
/// `as_of` and were not superseded yet, ranked like recall. A date-only `as_of` means the end
/// of that day (23:59:59.999999 UTC), as in the 0.2.x servers.
pub async fn as_of(
    State(state): State<AppState>,
    s: AgentSession,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let (ctx, agent_id, q) = start(s, raw)?;
    let mut p = Problems::new();
    let text = text_param(&q, "query", &mut p);
    let (as_of_input, valid_at) = required_date(&q, "as_of", DateBound::EndOfDay, &mut p);
    let limit = limit_param(&q, 10, &mut p);
    let min_similarity = unit_param(&q, "min_similarity", &mut p);
    let (types, tags) = type_and_tag_filters(&q);
    p.finish()?;
    guard(Some(&text), limit)?;
    let search = SearchQuery {
        agent_id: agent_id.clone(),
        limit,
        min_similarity,
        types,
        tags,
        valid_at,
        ..SearchQuery::default()
    };
    let found = run_search(&state, search, Some(&text)).await?;
    let memories: Vec<Value> = found.rows.iter().map(MemoryRow::to_item_json).collect();
    ok(json!({
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "query": text,
        "as_of_date": as_of_input,
        "memories": memories,
        "count": memories.len(),
        "total_available": found.total,
        "temporal_mode": "as_of",
        "note": AS_OF_NOTE,
    }))
}

/// `GET /api/v2/agents/{agent_id}/recall/changed-since?since=`: memories created or updated
/// after `since` (a date-only value means the start of that day), newest change first;
/// `status` (`all` | `active` | `expired`, 0.2.x) filters on expiry.
pub async fn changed_since(
    State(state): State<AppState>,
    s: AgentSession,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let (ctx, agent_id, q) = start(s, raw)?;
    let mut p = Problems::new();
    let (since_input, since) = required_date(&q, "since", DateBound::StartOfDay, &mut p);
    let limit = limit_param(&q, 10, &mut p);
    let (types, tags) = type_and_tag_filters(&q);
    let status = status_param(&q, &mut p);
    p.finish()?;
    guard(None, limit)?;
    let since = since.unwrap_or_default();
    let search = SearchQuery {
        agent_id: agent_id.clone(),
        limit,
        types,
        tags,
        changed_since: Some(since.clone()),
        status,
        ..SearchQuery::default()
    };
    let found = run_search(&state, search, None).await?;
    let memories: Vec<Value> = found
        .rows
        .iter()
        .map(|m| {
            let mut item = m.to_item_json();
            let change = if m.created_at > since {
                "created"
            } else {
                "updated"
            };
            item["change_type"] = json!(change);
            item
        })
        .collect();
    ok(json!({
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "since_date": since_input,
        "memories": memories,
        "count": memories.len(),
        "total_available": found.total,
        "temporal_mode": "changed_since",
        "note": CHANGED_NOTE,
    }))
}

/// `GET /api/v2/agents/{agent_id}/recall/current?query=`: recall without superseded
/// memories. The `limit` most relevant are chosen, then ordered by confidence (highest
/// first; ties keep the relevance order); contradicted ones carry `_warning`.
pub async fn current(
    State(state): State<AppState>,
    s: AgentSession,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let (ctx, agent_id, q) = start(s, raw)?;
    let mut p = Problems::new();
    let text = text_param(&q, "query", &mut p);
    let limit = limit_param(&q, 10, &mut p);
    let min_similarity = unit_param(&q, "min_similarity", &mut p);
    let (types, tags) = type_and_tag_filters(&q);
    p.finish()?;
    guard(Some(&text), limit)?;
    let search = SearchQuery {
        agent_id: agent_id.clone(),
        limit,
        min_similarity,
        types,
        tags,
        exclude_superseded: true,
        status: StatusFilter::Active,
        ..SearchQuery::default()
    };
    let mut found = run_search(&state, search, Some(&text)).await?;
    found
        .rows
        .sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let memories: Vec<Value> = found
        .rows
        .iter()
        .map(|m| {
            let mut item = m.to_item_json();
            if m.trust.contradiction_detected {
                item["_warning"] = json!("contradicted");
            }
            item
        })
        .collect();
    ok(json!({
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "query": text,
        "memories": memories,
        "count": memories.len(),
        "total_available": found.total,
        "temporal_mode": "current_only",
        "note": CURRENT_NOTE,
    }))
}
