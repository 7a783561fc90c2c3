//! `remember` and `batch-remember`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{json, Value};

use super::fields::{body_fields, body_type, check, check_content, guard_content, Fields};
use super::{body_bytes, ok};
use crate::auth::AgentSession;
use crate::db;
use crate::db::memories::NewMemory;
use crate::error::{ApiError, ApiResult};
use crate::model::{self, MAX_BATCH, MAX_CONTENT_CHARS};
use crate::state::AppState;
use crate::time;
use crate::validate::{self, loc, loc_with, Problems, QueryParams};

/// `POST /api/v2/agents/{agent_id}/remember`: `{"content"}` in the body, the other fields as
/// query parameters (or, 0.2.x style, in the body; query parameters win).
pub async fn remember(
    State(state): State<AppState>,
    s: AgentSession,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    s.check_scope()?;
    let AgentSession { ctx, agent_id } = s;
    let body = body_bytes(body)?;
    let q = QueryParams::parse(raw.as_deref());
    let obj = validate::json_object(&body)?;
    let base = loc(&["body"]);
    let mut p = Problems::new();

    let content = validate::req_str(&obj, "content", &base, &mut p);
    if let Some(c) = &content {
        check_content(c, loc(&["body", "content"]), &mut p);
    }
    let qloc = |name: &str| loc(&["query", name]);
    let mtype = match q.get("memory_type") {
        Some(t) => Some((t.to_owned(), qloc("memory_type"))),
        None => body_type(&obj, &base, &mut p),
    };
    let title = match q.get("title") {
        Some(t) => Some((t.to_owned(), qloc("title"))),
        None => {
            validate::opt_str(&obj, "title", &base, &mut p).map(|t| (t, loc(&["body", "title"])))
        }
    };
    let confidence = match q.get("confidence") {
        Some(raw) => q
            .float("confidence", &mut p)
            .map(|c| (c, qloc("confidence"), json!(raw))),
        None => validate::opt_f64(&obj, "confidence", &base, &mut p)
            .map(|c| (c, loc(&["body", "confidence"]), obj["confidence"].clone())),
    };
    let tags = match q.get("tags") {
        Some(csv) => validate::split_csv(csv),
        None => validate::opt_tags(&obj, "tags", &base, &mut p).unwrap_or_default(),
    };
    let source = match q.get("source") {
        Some(s) => Some(s.to_owned()),
        None => validate::opt_str(&obj, "source", &base, &mut p),
    };
    let provenance = match q.get("provenance") {
        Some(v) => Some((v.to_owned(), qloc("provenance"))),
        None => validate::opt_str(&obj, "provenance", &base, &mut p)
            .map(|v| (v, loc(&["body", "provenance"]))),
    };
    let fields = Fields {
        content: content.unwrap_or_default(),
        mtype,
        title,
        confidence,
        tags,
        source,
        provenance,
    };
    let memory = check(fields, "agent", &mut p);
    p.finish()?;
    let memory = memory.ok_or_else(|| ApiError::internal("validated memory missing"))?;
    guard_content(&memory.content)?;

    let created_at = time::fmt(&time::now());
    let session_id = ctx.session.session_id.clone();
    let (aid, sid, at, item) = (
        agent_id.clone(),
        session_id.clone(),
        created_at.clone(),
        memory.clone(),
    );
    let ids = state
        .write(move |conn| {
            db::memories::insert_all(conn, &aid, &sid, &at, std::slice::from_ref(&item))
        })
        .await?;
    ok(json!({
        "memory_id": ids[0],
        "agent_id": agent_id,
        "session_id": session_id,
        "namespace": model::namespace(&agent_id),
        "status": "stored",
        "provenance": memory.provenance,
        "confidence": memory.confidence,
        "type": memory.mtype,
        "title": memory.title,
        "created_at": created_at,
    }))
}

fn parse_batch(body: &Bytes) -> ApiResult<Vec<NewMemory>> {
    let obj = validate::json_object(body)?;
    let list_loc = loc(&["body", "memories"]);
    let mut p = Problems::new();
    let items = match obj.get("memories") {
        None => {
            p.missing(list_loc);
            return p.finish().map(|_| Vec::new());
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            p.wrong_type(list_loc, other.clone(), "list_type", "list");
            return p.finish().map(|_| Vec::new());
        }
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        let (kind, msg, ctx) = if items.is_empty() {
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
                    items.len()
                ),
                json!({ "field_type": "List", "max_length": MAX_BATCH, "actual_length": items.len() }),
            )
        };
        p.push(kind, list_loc, msg, Value::Null, Some(ctx));
        return p.finish().map(|_| Vec::new());
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let base = loc_with(&list_loc, i);
        let Value::Object(it) = item else {
            p.push(
                "model_attributes_type",
                base,
                "Input should be a valid dictionary or object to extract fields from",
                item.clone(),
                None,
            );
            continue;
        };
        let fields = body_fields(it, &base, &mut p);
        if fields.content.chars().count() > MAX_CONTENT_CHARS {
            p.too_long(
                loc_with(&base, "content"),
                json!(fields.content),
                MAX_CONTENT_CHARS,
            );
        }
        if let Some(m) = check(fields, "user", &mut p) {
            out.push(m);
        }
    }
    p.finish()?;
    Ok(out)
}

/// `POST /api/v2/agents/{agent_id}/batch-remember`: 1..100 memories, all or nothing.
pub async fn batch_remember(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    s.check_scope()?;
    let AgentSession { ctx, agent_id } = s;
    let body = body_bytes(body)?;
    let items = parse_batch(&body)?;
    let created_at = time::fmt(&time::now());
    let session_id = ctx.session.session_id.clone();
    let (aid, sid) = (agent_id.clone(), session_id.clone());
    let ids = state
        .write(move |conn| db::memories::insert_all(conn, &aid, &sid, &created_at, &items))
        .await?;
    let results: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "id": id, "status": "stored", "action": "store", "reason": "stored" }))
        .collect();
    ok(json!({
        "agent_id": agent_id,
        "session_id": session_id,
        "namespace": model::namespace(&agent_id),
        "total_submitted": ids.len(),
        "successful": ids.len(),
        "failed": 0,
        "results": results,
    }))
}
