//! 0.2 `POST /recall/as-of` (`{as_of, limit?, type?, tags?}`, no query) and
//! `POST /recall/changed-since` (`{since, limit?, type?, tags?, status?}`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::fields;
use super::item::Item;
use super::recall::guards;
use crate::auth::AgentSession;
use crate::db::query::SearchQuery;
use crate::error::ApiResult;
use crate::routes::recall::run_search;
use crate::routes::{body_bytes, ok};
use crate::state::AppState;
use crate::time::{self, DateBound};
use crate::validate::{self, loc, Problems};

/// `POST /agents/{agent_id}/recall/as-of`: memories created at or before `as_of` (a date means
/// the end of that day), each reported `active`, without scores.
pub async fn as_of(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let obj = validate::json_object(&body_bytes(body)?)?;
    let base = loc(&["body"]);
    let mut p = Problems::new();
    let at = fields::date(
        &obj,
        "as_of",
        DateBound::EndOfDay,
        "as_of",
        true,
        &base,
        &mut p,
    );
    let limit = fields::int(&obj, "limit", 1, &base, &mut p).unwrap_or(10);
    let types = fields::type_list(&obj, &base, &mut p);
    let tags = fields::filter_tags(&obj, &base, &mut p);
    p.finish()?;
    guards(&s, None, limit)?;
    let (echo, at) = at.unwrap_or_default();
    let search = SearchQuery {
        agent_id: s.agent_id.clone(),
        limit,
        created_before: Some(time::fmt(&at)),
        types,
        tags,
        tags_any: true,
        ..SearchQuery::default()
    };
    let found = run_search(&state, search, None).await?;
    let memories: Vec<Item<'_>> = found.rows.iter().map(|r| Item::of(r).in_as_of()).collect();
    ok(json!({
        "agent_id": s.agent_id,
        "session_id": s.session_id(),
        "count": memories.len(),
        "memories": memories,
        "total_available": null,
        "temporal_mode": "as_of",
        "as_of_date": echo,
        "since_date": null,
    }))
}

/// `POST /agents/{agent_id}/recall/changed-since`: memories created (`change_type: created`)
/// or else updated after `since` (strict; a date means its start), newest change first.
pub async fn changed_since(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let obj = validate::json_object(&body_bytes(body)?)?;
    let base = loc(&["body"]);
    let mut p = Problems::new();
    let since = fields::date(
        &obj,
        "since",
        DateBound::StartOfDay,
        "since",
        true,
        &base,
        &mut p,
    );
    let limit = fields::int(&obj, "limit", 1, &base, &mut p).unwrap_or(10);
    let types = fields::type_list(&obj, &base, &mut p);
    let tags = fields::filter_tags(&obj, &base, &mut p);
    let status = fields::status_filter(&obj, &base, &mut p);
    p.finish()?;
    guards(&s, None, limit)?;
    let (echo, since) = since.unwrap_or_default();
    let since = time::fmt(&since);
    let search = SearchQuery {
        agent_id: s.agent_id.clone(),
        limit,
        types,
        tags,
        tags_any: true,
        status,
        changed_since: Some(since.clone()),
        ..SearchQuery::default()
    };
    let mut rows = run_search(&state, search, None).await?.rows;
    let when = |m: &crate::model::MemoryRow| {
        if m.created_at > since {
            m.created_at.clone()
        } else {
            m.updated_at.clone()
        }
    };
    rows.sort_by_key(|m| std::cmp::Reverse(when(m)));
    let memories: Vec<Item<'_>> = rows
        .iter()
        .map(|m| {
            Item::of(m).with_change(if m.created_at > since {
                "created"
            } else {
                "updated"
            })
        })
        .collect();
    ok(json!({
        "agent_id": s.agent_id,
        "session_id": s.session_id(),
        "count": memories.len(),
        "memories": memories,
        "total_available": null,
        "temporal_mode": "changed_since",
        "as_of_date": null,
        "since_date": echo,
    }))
}
