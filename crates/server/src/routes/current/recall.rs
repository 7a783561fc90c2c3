//! 0.2 `POST /recall` (JSON body, `status` filter, `type`/`tags` lists) and `POST /answer`
//! (every option in the body; `limit` 1–100 → 422, `temperature` 0–2).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::fields;
use super::item::Item;
use crate::auth::AgentSession;
use crate::db::query::SearchQuery;
use crate::error::ApiResult;
use crate::model;
use crate::routes::params::{k_too_large, query_too_long};
use crate::routes::recall::{extract_answer, run_search};
use crate::routes::{body_bytes, ok};
use crate::state::AppState;
use crate::time::{self, DateBound};
use crate::validate::{self, check_range, loc, loc_with, Loc, Problems};
use memanto_protocol::limits::{MAX_LIMIT, MAX_QUERY_CHARS, MAX_TEMPERATURE_CURRENT};

/// A required, non-blank text field (`query`, `question`).
fn text(obj: &Map<String, Value>, field: &str, base: &Loc, p: &mut Problems) -> String {
    let t = validate::req_str(obj, field, base, p).unwrap_or_default();
    if obj.get(field).is_some_and(Value::is_string) && t.trim().is_empty() {
        if t.is_empty() {
            p.too_short(loc_with(base, field), json!(t), 1);
        } else {
            p.push(
                "value_error",
                loc_with(base, field),
                format!("Value error, {field} must not be blank"),
                json!(t),
                None,
            );
        }
    }
    t
}

/// An optional float field within `[min, max]`.
fn bounded(
    obj: &Map<String, Value>,
    field: &str,
    max: f64,
    base: &Loc,
    p: &mut Problems,
) -> Option<f64> {
    let v = validate::opt_f64(obj, field, base, p)?;
    check_range(p, loc_with(base, field), obj[field].clone(), v, 0.0, max).then_some(v)
}

/// 413 for an over-long text, then the scope check, then 400 for `limit > 100` (§0.3).
pub(super) fn guards(s: &AgentSession, text: Option<&str>, limit: i64) -> ApiResult<()> {
    let n = text.map_or(0, |t| t.chars().count());
    if n > MAX_QUERY_CHARS {
        return Err(query_too_long(n));
    }
    s.check_scope()?;
    if limit > i64::from(MAX_LIMIT) {
        return Err(k_too_large(limit));
    }
    Ok(())
}

/// `POST /agents/{agent_id}/recall` with `{query, limit?, status?, min_similarity?, type?,
/// tags?, created_after?, created_before?}` → `{agent_id, session_id, query, memories, count}`.
pub async fn recall(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let obj = validate::json_object(&body_bytes(body)?)?;
    let base = loc(&["body"]);
    let mut p = Problems::new();
    let query = text(&obj, "query", &base, &mut p);
    let limit = fields::int(&obj, "limit", 1, &base, &mut p).unwrap_or(10);
    let status = fields::status_filter(&obj, &base, &mut p);
    let min_similarity = bounded(&obj, "min_similarity", 1.0, &base, &mut p);
    let types = fields::type_list(&obj, &base, &mut p);
    let tags = fields::filter_tags(&obj, &base, &mut p);
    let what = "temporal recall bound";
    let after = fields::date(
        &obj,
        "created_after",
        DateBound::StartOfDay,
        what,
        false,
        &base,
        &mut p,
    );
    let before = fields::date(
        &obj,
        "created_before",
        DateBound::EndOfDay,
        what,
        false,
        &base,
        &mut p,
    );
    p.finish()?;
    guards(&s, Some(&query), limit)?;
    let search = SearchQuery {
        agent_id: s.agent_id.clone(),
        limit,
        min_similarity: min_similarity.filter(|m| *m > 0.0),
        created_after: after.map(|(_, t)| time::fmt(&t)),
        created_before: before.map(|(_, t)| time::fmt(&t)),
        types,
        tags,
        status,
        ..SearchQuery::default()
    };
    let found = run_search(&state, search, Some(&query)).await?;
    let memories: Vec<Item<'_>> = found.rows.iter().map(Item::of).collect();
    ok(json!({
        "agent_id": s.agent_id,
        "session_id": s.session_id(),
        "query": query,
        "count": memories.len(),
        "memories": memories,
    }))
}

/// `POST /agents/{agent_id}/answer` with `{question, limit?, threshold?, temperature?,
/// ai_model?, kiosk_mode?}` → `{agent_id, session_id, question, answer, sources, namespace}`.
/// The answer is extractive (no language model); `threshold` applies only in kiosk mode.
pub async fn answer(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let obj = validate::json_object(&body_bytes(body)?)?;
    let base = loc(&["body"]);
    let mut p = Problems::new();
    let question = text(&obj, "question", &base, &mut p);
    let limit = fields::int(&obj, "limit", 1, &base, &mut p);
    if let Some(l) = limit.filter(|l| *l > i64::from(MAX_LIMIT)) {
        p.le(loc(&["body", "limit"]), json!(l), json!(MAX_LIMIT));
    }
    let threshold = bounded(&obj, "threshold", 1.0, &base, &mut p);
    let _temperature = bounded(&obj, "temperature", MAX_TEMPERATURE_CURRENT, &base, &mut p);
    let _model = validate::opt_str(&obj, "ai_model", &base, &mut p);
    let kiosk = match obj.get("kiosk_mode") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            p.wrong_type(
                loc(&["body", "kiosk_mode"]),
                other.clone(),
                "bool_type",
                "boolean",
            );
            false
        }
    };
    p.finish()?;
    guards(&s, Some(&question), 0)?;
    let search = SearchQuery {
        agent_id: s.agent_id.clone(),
        limit: limit.unwrap_or(15),
        min_similarity: kiosk.then(|| threshold.unwrap_or(0.15)),
        ..SearchQuery::default()
    };
    let rows = run_search(&state, search, Some(&question)).await?.rows;
    let sources: Vec<Item<'_>> = rows.iter().map(Item::of).collect();
    ok(json!({
        "agent_id": s.agent_id,
        "session_id": s.session_id(),
        "question": question,
        "answer": extract_answer(&rows),
        "sources": sources,
        "namespace": model::namespace(&s.agent_id),
    }))
}
