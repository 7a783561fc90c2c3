//! `PATCH` and `DELETE /api/v2/agents/{agent_id}/memories/{memory_id}` (0.2.10 style).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::fields::guard_content;
use super::fields::{body_type, check_content, check_provenance, check_title, check_type};
use super::{body_bytes, ok};
use crate::auth::{AgentSession, MemoryPath};
use crate::db;
use crate::db::memories::MemoryPatch;
use crate::error::ApiResult;
use crate::model;
use crate::state::AppState;
use crate::time;
use crate::validate::{self, check_range, loc, Problems};

/// The fields a patch may set, in the order `updated_fields` lists them.
const FIELDS: [&str; 7] = [
    "title",
    "content",
    "type",
    "confidence",
    "tags",
    "source",
    "provenance",
];

/// Parses and validates a patch body (same rules as `remember`); returns the patch and the
/// names of the fields it sets.
fn parse_patch(obj: &Map<String, Value>) -> ApiResult<(MemoryPatch, Vec<&'static str>)> {
    let base = loc(&["body"]);
    let at = |f: &str| loc(&["body", f]);
    let mut p = Problems::new();
    let content = validate::opt_str(obj, "content", &base, &mut p);
    if let Some(c) = &content {
        check_content(c, at("content"), &mut p);
    }
    let title = validate::opt_str(obj, "title", &base, &mut p);
    if let Some(t) = &title {
        check_title(t, at("title"), &mut p);
    }
    let mtype = body_type(obj, &base, &mut p).map(|(t, at)| check_type(&t, at, &mut p));
    let confidence = validate::opt_f64(obj, "confidence", &base, &mut p);
    if let Some(c) = confidence {
        check_range(
            &mut p,
            at("confidence"),
            obj["confidence"].clone(),
            c,
            0.0,
            1.0,
        );
    }
    let tags = validate::opt_tags(obj, "tags", &base, &mut p);
    let source = validate::opt_str(obj, "source", &base, &mut p).map(|s| s.trim().to_owned());
    if source.as_deref() == Some("") {
        p.too_short(at("source"), obj["source"].clone(), 1);
    }
    let provenance = validate::opt_str(obj, "provenance", &base, &mut p)
        .map(|v| check_provenance(&v, at("provenance"), &mut p));
    let patch = MemoryPatch {
        mtype,
        title,
        content,
        tags,
        confidence,
        source,
        provenance,
    };
    let set = [
        patch.title.is_some(),
        patch.content.is_some(),
        patch.mtype.is_some(),
        patch.confidence.is_some(),
        patch.tags.is_some(),
        patch.source.is_some(),
        patch.provenance.is_some(),
    ];
    let updated: Vec<&'static str> = FIELDS
        .iter()
        .zip(set)
        .filter_map(|(f, s)| s.then_some(*f))
        .collect();
    if updated.is_empty() && p.is_empty() {
        p.push(
            "value_error",
            base,
            format!("Value error, give at least one of: {}", FIELDS.join(", ")),
            Value::Object(obj.clone()),
            None,
        );
    }
    p.finish()?;
    if let Some(c) = &patch.content {
        guard_content(c)?;
    }
    Ok((patch, updated))
}

/// `PATCH /api/v2/agents/{agent_id}/memories/{memory_id}`: body any of `title`, `content`,
/// `type`, `confidence`, `tags` (list), `source`, `provenance`; keeps the id.
pub async fn update(
    State(state): State<AppState>,
    s: AgentSession,
    MemoryPath(memory_id): MemoryPath,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    s.check_scope()?;
    let AgentSession { ctx, agent_id } = s;
    let body = body_bytes(body)?;
    let obj = validate::json_object(&body)?;
    let (patch, updated) = parse_patch(&obj)?;
    let now = time::fmt(&time::now());
    let (aid, mid) = (agent_id.clone(), memory_id.clone());
    state
        .write(move |conn| db::memories::update(conn, &aid, &mid, &patch, &now))
        .await?;
    ok(json!({
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "namespace": model::namespace(&agent_id),
        "memory_id": memory_id,
        "status": "updated",
        "action": "updated",
        "updated_fields": updated,
    }))
}

/// `DELETE /api/v2/agents/{agent_id}/memories/{memory_id}`. Other memories that name it
/// (`superseded_by`, `supersedes`, `contradicting_memory_id`) keep the reference.
pub async fn delete(
    State(state): State<AppState>,
    s: AgentSession,
    MemoryPath(memory_id): MemoryPath,
) -> ApiResult<Response> {
    s.check_scope()?;
    let AgentSession { ctx: _, agent_id } = s;
    let (aid, mid) = (agent_id.clone(), memory_id.clone());
    state
        .write(move |conn| db::memories::delete(conn, &aid, &mid))
        .await?;
    ok(json!({
        "agent_id": agent_id,
        "memory_id": memory_id,
        "namespace": model::namespace(&agent_id),
        "status": "deleted",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn parse(v: Value) -> ApiResult<(MemoryPatch, Vec<&'static str>)> {
        let Value::Object(obj) = v else { panic!() };
        parse_patch(&obj)
    }

    #[test]
    fn lists_updated_fields_in_order_and_rejects_empty_patches() {
        let (patch, fields) =
            parse(json!({"tags": ["a"], "content": "x", "memory_type": "Goal"})).unwrap();
        assert_eq!(fields, vec!["content", "type", "tags"]);
        assert_eq!(patch.mtype.as_deref(), Some("goal"));
        for empty in [json!({}), json!({"unknown": 1}), json!({"title": null})] {
            let Err(ApiError::Validation(items)) = parse(empty) else {
                panic!()
            };
            assert_eq!(items[0]["loc"], json!(["body"]));
        }
        let Err(ApiError::Validation(items)) =
            parse(json!({"type": "nope", "confidence": 2, "source": " ", "content": ""}))
        else {
            panic!()
        };
        assert_eq!(items.len(), 4);
        assert!(matches!(
            parse(json!({"content": "x".repeat(10_001)})),
            Err(ApiError::Guard(..))
        ));
    }
}
