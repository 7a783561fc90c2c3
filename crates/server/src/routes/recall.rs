//! `recall` (ranked full-text search) and `answer` (extractive, no language model).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{agent_path, body_bytes, ok};
use crate::auth;
use crate::db;
use crate::db::memories::SearchQuery;
use crate::error::{ApiError, ApiResult};
use crate::model::{self, MemoryRow, MAX_LIMIT, MAX_QUERY_CHARS};
use crate::search;
use crate::state::AppState;
use crate::time::{self, DateBound};
use crate::validate::{self, check_range, loc, Problems, QueryParams};

const NOTHING_FOUND: &str = "I could not find anything relevant in this agent's memories.";
const ANSWER_NOTE: &str =
    "Extractive answer built from recalled memories; no language model was used.";
/// At most this many memories make up an extractive answer.
const ANSWER_PARTS: usize = 3;

fn query_too_long(n: usize) -> ApiError {
    ApiError::Guard(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({
            "error": "query_too_long",
            "message": format!("Query exceeds maximum length of {MAX_QUERY_CHARS} characters"),
            "actual_length": n,
            "max_length": MAX_QUERY_CHARS,
        }),
    )
}

fn k_too_large(k: i64) -> ApiError {
    ApiError::Guard(
        StatusCode::BAD_REQUEST,
        json!({
            "error": "k_too_large",
            "message": format!("k exceeds maximum of {MAX_LIMIT}"),
            "actual_k": k,
            "max_k": MAX_LIMIT,
        }),
    )
}

/// `limit`: default `default`, `< 1` → 422 (the `> 100` 400 comes after validation).
fn limit_param(q: &QueryParams, default: i64, p: &mut Problems) -> i64 {
    match q.int("limit", p) {
        Some(k) if k < 1 => {
            p.ge(loc(&["query", "limit"]), json!(q.get("limit")), json!(1));
            default
        }
        Some(k) => k,
        None => default,
    }
}

/// A float query parameter within `[0, 1]`.
fn unit_param(q: &QueryParams, name: &str, p: &mut Problems) -> Option<f64> {
    let v = q.float(name, p)?;
    check_range(p, loc(&["query", name]), json!(q.get(name)), v, 0.0, 1.0).then_some(v)
}

fn date_param(q: &QueryParams, name: &str, bound: DateBound, p: &mut Problems) -> Option<String> {
    let raw = q.get(name)?;
    match time::parse_user(raw, bound) {
        Some(t) => Some(time::fmt(&t)),
        None => {
            p.push(
                "datetime_from_date_parsing",
                loc(&["query", name]),
                "Input should be a valid datetime or date (RFC 3339, ISO 8601 or YYYY-MM-DD)",
                json!(raw),
                None,
            );
            None
        }
    }
}

async fn run_search(state: &AppState, query: SearchQuery, text: &str) -> ApiResult<Vec<MemoryRow>> {
    let Some(fts) = search::match_expression(text) else {
        return Ok(Vec::new());
    };
    let query = SearchQuery { fts, ..query };
    state
        .read(move |conn| db::memories::search(conn, &query))
        .await
}

/// `GET /api/v2/agents/{agent_id}/recall?query=...`
pub async fn recall(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let ctx = auth::require_session(&state, &headers).await?;
    let agent_id = agent_path(path)?;
    ctx.require_agent(&agent_id)?;
    let q = QueryParams::parse(raw.as_deref());
    let mut p = Problems::new();
    let text = match q.get("query") {
        None => {
            p.missing(loc(&["query", "query"]));
            String::new()
        }
        Some("") => {
            p.too_short(loc(&["query", "query"]), json!(""), 1);
            String::new()
        }
        Some(t) => t.to_owned(),
    };
    let limit = limit_param(&q, 10, &mut p);
    let min_similarity = unit_param(&q, "min_similarity", &mut p);
    let created_after = date_param(&q, "created_after", DateBound::StartOfDay, &mut p);
    let created_before = date_param(&q, "created_before", DateBound::EndOfDay, &mut p);
    let types: Vec<String> = q
        .get("memory_types")
        .map(|csv| validate::split_csv(&csv.to_lowercase()))
        .unwrap_or_default();
    let tags = q.get("tags").map(validate::split_csv).unwrap_or_default();
    p.finish()?;
    let n = text.chars().count();
    if n > MAX_QUERY_CHARS {
        return Err(query_too_long(n));
    }
    if limit > MAX_LIMIT {
        return Err(k_too_large(limit));
    }
    let search = SearchQuery {
        agent_id: agent_id.clone(),
        limit,
        min_similarity,
        created_after,
        created_before,
        types,
        tags,
        ..SearchQuery::default()
    };
    let rows = run_search(&state, search, &text).await?;
    let memories: Vec<Value> = rows.iter().map(MemoryRow::to_item_json).collect();
    ok(json!({
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "query": text,
        "count": memories.len(),
        "memories": memories,
    }))
}

/// The best memory's content, plus up to two more that score nearly as well (>= 80%).
fn extract_answer(rows: &[MemoryRow]) -> String {
    let Some(best) = rows.first().and_then(|r| r.score) else {
        return NOTHING_FOUND.to_owned();
    };
    rows.iter()
        .take(ANSWER_PARTS)
        .filter(|r| r.score.unwrap_or(0.0) >= best * 0.8)
        .map(|r| r.content.trim())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `POST /api/v2/agents/{agent_id}/answer` with `{"question"}`; options as query parameters.
pub async fn answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let ctx = auth::require_session(&state, &headers).await?;
    let agent_id = agent_path(path)?;
    ctx.require_agent(&agent_id)?;
    let body = body_bytes(body)?;
    let obj = validate::json_object(&body)?;
    let q = QueryParams::parse(raw.as_deref());
    let base = loc(&["body"]);
    let mut p = Problems::new();
    let question = validate::req_str(&obj, "question", &base, &mut p).unwrap_or_default();
    if obj.get("question").is_some_and(|v| v == "") {
        p.too_short(loc(&["body", "question"]), json!(""), 1);
    }
    let _header = validate::opt_str(&obj, "header_prompt", &base, &mut p);
    let _footer = validate::opt_str(&obj, "footer_prompt", &base, &mut p);
    let limit = limit_param(&q, 15, &mut p);
    let threshold = unit_param(&q, "threshold", &mut p).unwrap_or(0.01);
    let _temperature = unit_param(&q, "temperature", &mut p);
    let _kiosk = q.bool("kiosk_mode", &mut p);
    p.finish()?;
    let n = question.chars().count();
    if n > MAX_QUERY_CHARS {
        return Err(query_too_long(n));
    }
    if limit > MAX_LIMIT {
        return Err(k_too_large(limit));
    }
    let search = SearchQuery {
        agent_id: agent_id.clone(),
        limit,
        min_similarity: Some(threshold),
        ..SearchQuery::default()
    };
    let rows = run_search(&state, search, &question).await?;
    let sources: Vec<Value> = rows.iter().map(MemoryRow::to_item_json).collect();
    ok(json!({
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "question": question,
        "answer": extract_answer(&rows),
        "sources": sources,
        "namespace": model::namespace(&agent_id),
        "mode": "extractive",
        "note": ANSWER_NOTE,
    }))
}
