//! `POST /api/v2/agents/{agent_id}/remember/extract` (API-0.2 §4.3), without an LLM: the
//! deterministic rules of `crate::extract` pick the candidates.
//!
//! Divergences from 0.2.30: candidates come from sentence rules, not a model (`ai_model` is
//! accepted and ignored); when nothing is extracted the answer is a 200 with zero candidates
//! (0.2.30 answers a 500); stored `results` say `status: "stored"` (no backend queue here).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::Response;
use memanto_protocol::limits::{
    MAX_CONTENT_CHARS, MAX_EXTRACT_MEMORIES, MAX_EXTRACT_MESSAGES, MAX_ROLE_CHARS,
};
use serde_json::{json, Map, Value};

use super::body::{bool_field, int_field};
use super::current_only::session_for;
use super::{body_bytes, ok};
use crate::auth::AgentSession;
use crate::db;
use crate::db::memories::NewMemory;
use crate::error::ApiResult;
use crate::extract::{self, Candidate, CONFIDENCE};
use crate::state::AppState;
use crate::time;
use crate::validate::{self, loc, loc_with, Problems};

/// The tag every extracted memory gets.
const EXTRACT_TAG: &str = "conversation-extract";
const DEFAULT_MAX: i64 = 20;

/// A required, non-blank string of at most `max` characters.
fn text(
    obj: &Map<String, Value>,
    field: &str,
    base: &validate::Loc,
    max: usize,
    p: &mut Problems,
) -> String {
    let Some(s) = validate::req_str(obj, field, base, p) else {
        return String::new();
    };
    let at = loc_with(base, field);
    if s.is_empty() {
        p.too_short(at, json!(s), 1);
    } else if s.chars().count() > max {
        p.too_long(at, json!(s), max);
    } else if s.trim().is_empty() {
        p.push(
            "value_error",
            at,
            format!("Value error, {field} must not be blank"),
            json!(s),
            None,
        );
    }
    s
}

/// A validated extract body.
struct Request {
    /// `(role, content)` of each message.
    messages: Vec<(String, String)>,
    dry_run: bool,
    max_memories: usize,
}

fn parse(obj: &Map<String, Value>) -> ApiResult<Request> {
    let mut p = Problems::new();
    let list_at = loc(&["body", "messages"]);
    let mut messages = Vec::new();
    match obj.get("messages") {
        None => p.missing(list_at),
        Some(Value::Array(items)) if items.is_empty() || items.len() > MAX_EXTRACT_MESSAGES => {
            let (kind, msg) = if items.is_empty() {
                (
                    "too_short",
                    "List should have at least 1 item after validation, not 0".to_owned(),
                )
            } else {
                ("too_long", format!("List should have at most {MAX_EXTRACT_MESSAGES} items after validation, not {}", items.len()))
            };
            p.push(kind, list_at, msg, Value::Null, Some(json!({"field_type": "List", "min_length": 1, "max_length": MAX_EXTRACT_MESSAGES, "actual_length": items.len()})));
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let base = loc_with(&list_at, i);
                let Value::Object(m) = item else {
                    p.wrong_type(base, item.clone(), "model_type", "dictionary or object");
                    continue;
                };
                let role = text(m, "role", &base, MAX_ROLE_CHARS, &mut p);
                let content = text(m, "content", &base, MAX_CONTENT_CHARS, &mut p);
                messages.push((role, content));
            }
        }
        Some(other) => p.wrong_type(list_at, other.clone(), "list_type", "list"),
    }
    let dry_run = bool_field(obj, "dry_run", &mut p);
    let max = int_field(obj, "max_memories", &mut p).unwrap_or(DEFAULT_MAX);
    let max_at = loc(&["body", "max_memories"]);
    if max < 1 {
        p.ge(max_at, json!(max), json!(1));
    } else if max > i64::from(MAX_EXTRACT_MEMORIES) {
        p.le(max_at, json!(max), json!(MAX_EXTRACT_MEMORIES));
    }
    let _model = validate::opt_str(obj, "ai_model", &loc(&["body"]), &mut p);
    p.finish()?;
    Ok(Request {
        messages,
        dry_run,
        max_memories: max.clamp(1, i64::from(MAX_EXTRACT_MEMORIES)) as usize,
    })
}

fn candidate_json(c: &Candidate) -> Value {
    json!({
        "type": c.mtype, "title": c.title, "content": c.content, "confidence": CONFIDENCE,
        "source": "system", "provenance": "inferred",
    })
}

/// `{messages: [{role, content}], dry_run?, max_memories?, ai_model?}`. Dry run: `{agent_id,
/// session_id, dry_run: true, candidates, count}`; else the candidates are stored through the
/// batch path (tags `["conversation-extract"]`, source `system`, provenance `inferred`) and
/// the answer is `{agent_id, session_id, dry_run: false, candidates, total_submitted,
/// successful, failed, results: [{id, status, action, reason, type}]}`.
pub(super) async fn extract(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (ctx, agent_id) = session_for(s)?;
    let Request {
        messages,
        dry_run,
        max_memories: max,
    } = parse(&validate::json_object(&body_bytes(body)?)?)?;
    let found = extract::extract(messages.iter().map(|(r, c)| (r.as_str(), c.as_str())), max);
    let candidates: Vec<Value> = found.iter().map(candidate_json).collect();
    let session_id = ctx.session.session_id.clone();
    if dry_run {
        return ok(json!({
            "agent_id": agent_id, "session_id": session_id, "dry_run": true,
            "count": candidates.len(), "candidates": candidates,
        }));
    }
    let items: Vec<NewMemory> = found
        .iter()
        .map(|c| NewMemory {
            mtype: c.mtype.to_owned(),
            title: c.title.clone(),
            content: c.content.clone(),
            tags: vec![EXTRACT_TAG.to_owned()],
            confidence: CONFIDENCE,
            source: "system".to_owned(),
            provenance: "inferred".to_owned(),
        })
        .collect();
    let ids = if items.is_empty() {
        Vec::new()
    } else {
        let (aid, sid, at) = (
            agent_id.clone(),
            session_id.clone(),
            time::fmt(&time::now()),
        );
        state
            .write(move |conn| db::memories::insert_all(conn, &aid, &sid, &at, &items))
            .await?
    };
    let results: Vec<Value> = ids
        .iter()
        .zip(&found)
        .map(|(id, c)| json!({"id": id, "status": "stored", "action": "store", "reason": "stored", "type": c.mtype}))
        .collect();
    ok(json!({
        "agent_id": agent_id, "session_id": session_id, "dry_run": false,
        "candidates": candidates, "total_submitted": ids.len(), "successful": ids.len(),
        "failed": 0, "results": results,
    }))
}
