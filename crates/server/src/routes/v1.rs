//! 0.0.8's internal `/api/v1/memory` routes (API.md §5.4 end): the only way to update or delete
//! one memory on a 0.0.x server. Key only, no session; the agent comes from the namespace
//! `memanto_agent_<agent_id>`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::{body_bytes, ok};
use crate::auth::{MemoryPath, Mgmt};
use crate::db;
use crate::db::memories::MemoryPatch;
use crate::error::{ApiError, ApiResult};
use crate::model::MEMORY_TYPES;
use crate::state::AppState;
use crate::time;
use crate::validate::{self, loc, Problems, QueryParams};

/// The agent of `memanto_agent_<agent_id>` (`None` for any other namespace).
fn agent_of(namespace: &str) -> Option<&str> {
    namespace
        .strip_prefix("memanto_agent_")
        .filter(|a| memanto_protocol::is_valid_agent_id(a))
}

fn not_in_namespace(memory_id: &str, namespace: &str) -> ApiError {
    ApiError::memanto(
        StatusCode::INTERNAL_SERVER_ERROR,
        "MemoryError",
        format!("Failed to update memory: Memory {memory_id} not found in namespace {namespace}"),
    )
}

/// `PATCH /api/v1/memory/{memory_id}` with `{namespace, updates: {...}, user_confirmed?}`.
/// Applied keys: `title`, `content`, `type`, `confidence`, `tags`, `source`; every key of
/// `updates` is listed in `updated_fields`.
pub async fn update(
    State(state): State<AppState>,
    _: Mgmt,
    MemoryPath(memory_id): MemoryPath,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let obj = validate::json_object(&body_bytes(body)?)?;
    let base = loc(&["body"]);
    let mut p = Problems::new();
    let namespace = validate::req_str(&obj, "namespace", &base, &mut p).unwrap_or_default();
    let updates = match obj.get("updates") {
        None => {
            p.missing(loc(&["body", "updates"]));
            serde_json::Map::new()
        }
        Some(Value::Object(u)) => u.clone(),
        Some(other) => {
            p.wrong_type(
                loc(&["body", "updates"]),
                other.clone(),
                "dict_type",
                "dictionary",
            );
            serde_json::Map::new()
        }
    };
    if let Some(v) = obj
        .get("user_confirmed")
        .filter(|v| !v.is_boolean() && !v.is_null())
    {
        p.wrong_type(
            loc(&["body", "user_confirmed"]),
            v.clone(),
            "bool_type",
            "boolean",
        );
    }
    p.finish()?;
    let Some(agent_id) = agent_of(&namespace).map(str::to_owned) else {
        return Err(not_in_namespace(&memory_id, &namespace));
    };
    let str_of = |k: &str| updates.get(k).and_then(Value::as_str).map(str::to_owned);
    let patch = MemoryPatch {
        mtype: str_of("type")
            .map(|t| t.trim().to_lowercase())
            .filter(|t| MEMORY_TYPES.contains(&t.as_str())),
        title: str_of("title"),
        content: str_of("content").filter(|c| !c.trim().is_empty()),
        tags: updates.get("tags").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect()
        }),
        confidence: updates
            .get("confidence")
            .and_then(Value::as_f64)
            .filter(|c| (0.0..=1.0).contains(c)),
        source: str_of("source").filter(|s| !s.trim().is_empty()),
        provenance: None,
    };
    let updated: Vec<&String> = updates.keys().collect();
    let now = time::fmt(&time::now());
    let (mid, ns) = (memory_id.clone(), namespace.clone());
    state
        .write(move |conn| {
            db::memories::update(conn, &agent_id, &mid, &patch, &now).map_err(|e| match e {
                ApiError::Memanto {
                    error: "MemoryNotFound",
                    ..
                } => not_in_namespace(&mid, &ns),
                other => other,
            })
        })
        .await?;
    ok(json!({
        "id": memory_id,
        "namespace": namespace,
        "status": "success",
        "action": "updated",
        "reason": "Memory updated",
        "updated_fields": updated,
    }))
}

/// `DELETE /api/v1/memory/{memory_id}?namespace=<ns>` → `{"message": "Memory deleted
/// successfully"}`; 404 `{"detail": "Memory not found"}`.
pub async fn delete(
    State(state): State<AppState>,
    _: Mgmt,
    MemoryPath(memory_id): MemoryPath,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = QueryParams::parse(raw.as_deref());
    let Some(namespace) = q.get("namespace").map(str::to_owned) else {
        let mut p = Problems::new();
        p.missing(loc(&["query", "namespace"]));
        return p
            .finish()
            .and_then(|_| Err(ApiError::internal("unreachable")));
    };
    let not_found = || ApiError::detail(StatusCode::NOT_FOUND, "Memory not found");
    let agent_id = agent_of(&namespace).ok_or_else(not_found)?.to_owned();
    state
        .write(move |conn| db::memories::delete(conn, &agent_id, &memory_id))
        .await
        .map_err(|e| match e {
            ApiError::Memanto {
                error: "MemoryNotFound",
                ..
            } => not_found(),
            other => other,
        })?;
    ok(json!({ "message": "Memory deleted successfully" }))
}
