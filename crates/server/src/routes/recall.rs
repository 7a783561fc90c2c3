//! `recall` (ranked full-text search) and `answer` (extractive, no language model).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;

use super::body_bytes;
use super::params::{
    date_param, guard, limit_param, status_param, text_param, type_and_tag_filters, unit_param,
};
use crate::auth::AgentSession;
use crate::db::query::{SearchQuery, SearchResult};
use crate::error::ApiResult;
use crate::model::{self, MemoryItem, MemoryRow};
use crate::search;
use crate::state::AppState;
use crate::time::DateBound;
use crate::validate::{self, loc, Problems, QueryParams};

const NOTHING_FOUND: &str = "I could not find anything relevant in this agent's memories.";
const ANSWER_NOTE: &str =
    "Extractive answer built from recalled memories; no language model was used.";
/// At most this many memories make up an extractive answer.
const ANSWER_PARTS: usize = 3;

/// Runs `query`; with `text`, a ranked search for its words (nothing when it has none).
pub(super) async fn run_search(
    state: &AppState,
    query: SearchQuery,
    text: Option<&str>,
) -> ApiResult<SearchResult> {
    let words = match text.map(search::terms) {
        Some(words) if words.is_empty() => return Ok(SearchResult::default()),
        words => words,
    };
    state.search(SearchQuery { words, ..query }).await
}

/// `GET /api/v2/agents/{agent_id}/recall?query=...`; `status` (`all` | `active` | `expired`,
/// 0.2.x) filters on expiry.
pub async fn recall(
    State(state): State<AppState>,
    s: AgentSession,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    s.check_scope()?;
    let AgentSession { ctx, agent_id } = s;
    let q = QueryParams::parse(raw.as_deref());
    let mut p = Problems::new();
    let text = text_param(&q, "query", &mut p);
    let limit = limit_param(&q, 10, &mut p);
    let min_similarity = unit_param(&q, "min_similarity", &mut p);
    let created_after = date_param(&q, "created_after", DateBound::StartOfDay, &mut p);
    let created_before = date_param(&q, "created_before", DateBound::EndOfDay, &mut p);
    let (types, tags) = type_and_tag_filters(&q);
    let status = status_param(&q, &mut p);
    p.finish()?;
    guard(Some(&text), limit)?;
    let search = SearchQuery {
        agent_id: agent_id.clone(),
        limit,
        min_similarity,
        created_after,
        created_before,
        types,
        tags,
        status,
        ..SearchQuery::default()
    };
    let found = run_search(&state, search, Some(&text)).await?;
    let memories: Vec<MemoryItem<'_>> = found.rows.iter().map(MemoryRow::item).collect();
    Ok(Json(RecallBody {
        agent_id: &agent_id,
        count: memories.len(),
        memories,
        query: &text,
        session_id: &ctx.session.session_id,
        total_available: found.total,
    })
    .into_response())
}

/// The recall response (keys in alphabetical order, as the other JSON bodies have them).
#[derive(Serialize)]
struct RecallBody<'a> {
    agent_id: &'a str,
    count: usize,
    memories: Vec<MemoryItem<'a>>,
    query: &'a str,
    session_id: &'a str,
    total_available: i64,
}

/// The answer response.
#[derive(Serialize)]
struct AnswerBody<'a> {
    agent_id: &'a str,
    answer: String,
    mode: &'a str,
    namespace: String,
    note: &'a str,
    question: &'a str,
    session_id: &'a str,
    sources: Vec<MemoryItem<'a>>,
}

/// The best memory's content, plus up to two more that score nearly as well (>= 80%).
pub(super) fn extract_answer(rows: &[MemoryRow]) -> String {
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
    s: AgentSession,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    s.check_scope()?;
    let AgentSession { ctx, agent_id } = s;
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
    guard(Some(&question), limit)?;
    let search = SearchQuery {
        agent_id: agent_id.clone(),
        limit,
        min_similarity: Some(threshold),
        ..SearchQuery::default()
    };
    let rows = run_search(&state, search, Some(&question)).await?.rows;
    Ok(Json(AnswerBody {
        agent_id: &agent_id,
        answer: extract_answer(&rows),
        mode: "extractive",
        namespace: model::namespace(&agent_id),
        note: ANSWER_NOTE,
        question: &question,
        session_id: &ctx.session.session_id,
        sources: rows.iter().map(MemoryRow::item).collect(),
    })
    .into_response())
}
