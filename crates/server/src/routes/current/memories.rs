//! 0.2 memory writes: remember and batch-remember (everything in the JSON body), and the
//! memory `PATCH` / `DELETE` with their 0.2 response shapes and errors.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::fields;
use crate::auth::{AgentSession, MemoryPath};
use crate::db;
use crate::db::memories::{MemoryPatch, NewMemory};
use crate::error::{ApiError, ApiResult};
use crate::model::{self, MAX_BATCH, MEMORY_TYPES};
use crate::routes::{body_bytes, ok};
use crate::state::AppState;
use crate::time;
use crate::validate::{self, check_range, loc, loc_with, Problems};

/// The backend upload status 0.2.30 reports for a stored memory.
const QUEUED: &str = "queued";

async fn store(
    state: &AppState,
    s: &AgentSession,
    items: Vec<NewMemory>,
) -> ApiResult<Vec<String>> {
    let created_at = time::fmt(&time::now());
    let (aid, sid) = (s.agent_id.clone(), s.session_id().to_owned());
    state
        .write(move |conn| db::memories::insert_all(conn, &aid, &sid, &created_at, &items))
        .await
}

/// `POST /agents/{agent_id}/remember` with `{content, type?, title?, confidence?, tags?,
/// source?, provenance?, status?, expired_at?, expired_by?}`. An omitted `type` is stored (and
/// reported) as `fact`; `status`/`expired_*` are validated, then ignored.
pub async fn remember(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let obj = validate::json_object(&body_bytes(body)?)?;
    let mut p = Problems::new();
    let memory = fields::memory(&obj, &loc(&["body"]), 50, &mut p);
    p.finish()?;
    s.check_scope()?;
    let memory = memory.ok_or_else(|| ApiError::internal("validated memory missing"))?;
    let ids = store(&state, &s, vec![memory.clone()]).await?;
    ok(json!({
        "memory_id": ids[0],
        "agent_id": s.agent_id,
        "session_id": s.session_id(),
        "namespace": model::namespace(&s.agent_id),
        "status": QUEUED,
        "provenance": memory.provenance,
        "confidence": memory.confidence,
        "type": memory.mtype,
    }))
}

/// `POST /agents/{agent_id}/batch-remember` with `{memories: [item × 1..100]}`.
pub async fn batch_remember(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let obj = validate::json_object(&body_bytes(body)?)?;
    let list_loc = loc(&["body", "memories"]);
    let mut p = Problems::new();
    let mut items = Vec::new();
    match obj.get("memories") {
        None => p.missing(list_loc),
        Some(Value::Array(list)) if list.is_empty() || list.len() > MAX_BATCH => {
            let (kind, msg, ctx) = if list.is_empty() {
                (
                    "too_short",
                    "List should have at least 1 item after validation, not 0".to_owned(),
                    json!({ "field_type": "List", "min_length": 1, "actual_length": 0 }),
                )
            } else {
                (
                    "too_long",
                    format!(
                        "List should have at most {MAX_BATCH} items after validation, not {}",
                        list.len()
                    ),
                    json!({ "field_type": "List", "max_length": MAX_BATCH, "actual_length": list.len() }),
                )
            };
            p.push(kind, list_loc, msg, Value::Null, Some(ctx));
        }
        Some(Value::Array(list)) => {
            for (i, item) in list.iter().enumerate() {
                let at = loc_with(&list_loc, i);
                match item {
                    Value::Object(it) => items.extend(fields::memory(it, &at, 47, &mut p)),
                    other => p.push(
                        "model_attributes_type",
                        at,
                        "Input should be a valid dictionary or object to extract fields from",
                        other.clone(),
                        None,
                    ),
                }
            }
        }
        Some(other) => p.wrong_type(list_loc, other.clone(), "list_type", "valid list"),
    }
    p.finish()?;
    s.check_scope()?;
    let types: Vec<String> = items.iter().map(|m| m.mtype.clone()).collect();
    let ids = store(&state, &s, items).await?;
    let results: Vec<Value> = ids
        .iter()
        .zip(&types)
        .map(|(id, t)| {
            json!({ "id": id, "status": QUEUED, "action": "store", "reason": "MVP direct store",
                    "error": null, "type": t })
        })
        .collect();
    ok(json!({
        "agent_id": s.agent_id,
        "session_id": s.session_id(),
        "namespace": model::namespace(&s.agent_id),
        "total_submitted": ids.len(),
        "successful": ids.len(),
        "failed": 0,
        "results": results,
    }))
}

/// The PATCH fields in the order `updated_fields` lists them.
const PATCH_FIELDS: [&str; 6] = ["title", "content", "type", "confidence", "tags", "source"];

fn bad_request(msg: &str) -> ApiError {
    ApiError::detail(StatusCode::BAD_REQUEST, msg)
}

/// `PATCH /agents/{agent_id}/memories/{memory_id}`: any of `title`, `content`, `type`,
/// `confidence`, `tags`, `source` (others, e.g. `provenance`, ignored); the title is kept when
/// the content changes.
pub async fn update(
    State(state): State<AppState>,
    s: AgentSession,
    MemoryPath(memory_id): MemoryPath,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let obj = validate::json_object(&body_bytes(body)?)?;
    let base = loc(&["body"]);
    let mut p = Problems::new();
    let title = fields::title(&obj, &base, &mut p);
    let content = validate::opt_str(&obj, "content", &base, &mut p);
    if let Some(c) = &content {
        if c.chars().count() > model::MAX_CONTENT_CHARS {
            p.too_long(
                loc(&["body", "content"]),
                json!(c),
                model::MAX_CONTENT_CHARS,
            );
        }
    }
    let mtype = fields::opt_literal(&obj, "type", &MEMORY_TYPES, &base, &mut p);
    let confidence = validate::opt_f64(&obj, "confidence", &base, &mut p);
    if let Some(c) = confidence {
        check_range(
            &mut p,
            loc(&["body", "confidence"]),
            obj["confidence"].clone(),
            c,
            0.0,
            1.0,
        );
    }
    let tags = fields::write_tags(&obj, &base, &mut p);
    let source = fields::source(&obj, &base, &mut p);
    p.finish()?;
    s.check_scope()?;
    let set = [
        title.is_some(),
        content.is_some(),
        mtype.is_some(),
        confidence.is_some(),
        tags.is_some(),
        source.is_some(),
    ];
    let updated: Vec<&str> = PATCH_FIELDS
        .iter()
        .zip(set)
        .filter_map(|(f, s)| s.then_some(*f))
        .collect();
    if updated.is_empty() {
        return Err(bad_request("Provide at least one field to update."));
    }
    if content.as_ref().is_some_and(|c| c.trim().is_empty()) {
        return Err(bad_request("Memory content must be a non-empty string."));
    }
    let mut patch = MemoryPatch {
        mtype,
        title,
        content,
        tags,
        confidence,
        source,
        provenance: None,
    };
    let now = time::fmt(&time::now());
    let (aid, mid) = (s.agent_id.clone(), memory_id.clone());
    state
        .write(move |conn| {
            let old = db::memories::get(conn, &aid, &mid)?.ok_or_else(|| {
                ApiError::detail(
                    StatusCode::NOT_FOUND,
                    format!("Memory '{mid}' was not found."),
                )
            })?;
            patch.title.get_or_insert(old.title);
            db::memories::update(conn, &aid, &mid, &patch, &now)
        })
        .await?;
    ok(json!({
        "agent_id": s.agent_id,
        "session_id": s.session_id(),
        "namespace": model::namespace(&s.agent_id),
        "memory_id": memory_id,
        "status": QUEUED,
        "action": "updated",
        "updated_fields": updated,
    }))
}

/// `DELETE /agents/{agent_id}/memories/{memory_id}` → `{agent_id, memory_id, namespace,
/// status: "deleted"}` (no `session_id`); 404 string detail when absent.
pub async fn delete(
    State(state): State<AppState>,
    s: AgentSession,
    MemoryPath(memory_id): MemoryPath,
) -> ApiResult<Response> {
    s.check_scope()?;
    let (aid, mid) = (s.agent_id.clone(), memory_id.clone());
    state
        .write(move |conn| {
            db::memories::delete(conn, &aid, &mid).map_err(|e| match e {
                ApiError::Memanto {
                    error: "MemoryNotFound",
                    ..
                } => ApiError::detail(
                    StatusCode::NOT_FOUND,
                    format!("Memory '{mid}' was not found for agent '{aid}'"),
                ),
                other => other,
            })
        })
        .await?;
    ok(json!({
        "agent_id": s.agent_id,
        "memory_id": memory_id,
        "namespace": model::namespace(&s.agent_id),
        "status": "deleted",
    }))
}
