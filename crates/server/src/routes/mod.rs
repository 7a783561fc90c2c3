//! The HTTP surface: router, service routes, fallbacks and shared extractor helpers.

mod agents;
mod body;
mod conflicts;
pub(crate) mod current_only;
mod edit;
mod extract;
mod fields;
mod insights;
mod memories;
mod params;
mod policy;
mod policy_parse;
mod recall;
mod sessions;
mod temporal;
mod trust;
mod upload;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Largest accepted request body (a full batch of 100 × 10 000-character memories fits).
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The Memanto v2 API (0.0.x generation) as an axum router over `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/live", get(live))
        .route("/api/v2/agents", post(agents::create).get(agents::list))
        .route(
            "/api/v2/agents/{agent_id}",
            get(agents::get).delete(agents::delete),
        )
        .route(
            "/api/v2/agents/{agent_id}/activate",
            post(sessions::activate),
        )
        .route(
            "/api/v2/agents/{agent_id}/deactivate",
            post(sessions::deactivate),
        )
        .route("/api/v2/session/current", get(sessions::current))
        .route("/api/v2/session/extend", post(sessions::extend))
        .route("/api/v2/sessions", get(sessions::list))
        .route(
            "/api/v2/agents/{agent_id}/remember",
            post(memories::remember),
        )
        .route(
            "/api/v2/agents/{agent_id}/batch-remember",
            post(memories::batch_remember),
        )
        .route("/api/v2/agents/{agent_id}/recall", get(recall::recall))
        .route("/api/v2/agents/{agent_id}/answer", post(recall::answer))
        .route(
            "/api/v2/agents/{agent_id}/recall/as-of",
            get(temporal::as_of),
        )
        .route(
            "/api/v2/agents/{agent_id}/recall/changed-since",
            get(temporal::changed_since),
        )
        .route(
            "/api/v2/agents/{agent_id}/recall/current",
            get(temporal::current),
        )
        .route(
            "/api/v2/agents/{agent_id}/validate/{memory_id}",
            post(trust::validate),
        )
        .route(
            "/api/v2/agents/{agent_id}/supersede/{memory_id}",
            post(trust::supersede),
        )
        .route(
            "/api/v2/agents/{agent_id}/contradict/{memory_id}",
            post(trust::contradict),
        )
        .route(
            "/api/v2/agents/{agent_id}/memories/{memory_id}",
            patch(edit::update).delete(edit::delete),
        )
        .route(
            "/api/v2/agents/{agent_id}/upload-file",
            post(upload::upload_file).layer(DefaultBodyLimit::max(upload::BODY_LIMIT)),
        )
        .merge(current_only::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

async fn index() -> Json<Value> {
    Json(json!({
        "service": "MEMANTO",
        "description": "Memory that AI Agents Love!",
        "version": crate::API_VERSION,
        "implementation": concat!("memanto-client LocalServer ", env!("CARGO_PKG_VERSION")),
        "docs": null,
    }))
}

async fn health(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    auth::require_key(&state, &headers)?;
    Ok(Json(json!({
        "status": "healthy",
        "service": "MEMANTO",
        "version": crate::API_VERSION,
        // No Moorcheh behind a LocalServer: say so rather than claim a connection.
        "moorcheh_connected": false,
        "backend": "local",
    })))
}

async fn ready() -> Json<Value> {
    Json(json!({ "status": "ready" }))
}

async fn live() -> Json<Value> {
    Json(json!({ "status": "alive" }))
}

async fn not_found() -> ApiError {
    ApiError::detail(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

/// `200` with a JSON body.
fn ok(value: Value) -> ApiResult<Response> {
    Ok(Json(value).into_response())
}

/// The `{agent_id}` path segment, or a JSON 422.
fn agent_path(path: Result<Path<String>, PathRejection>) -> ApiResult<String> {
    path.map(|Path(id)| id).map_err(|e| {
        ApiError::validation(json!({
            "type": "string_type",
            "loc": ["path", "agent_id"],
            "msg": format!("Invalid path parameter: {e}"),
            "input": null,
        }))
    })
}

/// The `{agent_id}` and `{memory_id}` path segments, or a JSON 422.
fn memory_path(path: Result<Path<(String, String)>, PathRejection>) -> ApiResult<(String, String)> {
    path.map(|Path(ids)| ids).map_err(|e| {
        ApiError::validation(json!({
            "type": "string_type",
            "loc": ["path", "memory_id"],
            "msg": format!("Invalid path parameter: {e}"),
            "input": null,
        }))
    })
}

/// The raw request body, or a JSON error (413 when over the limit).
fn body_bytes(body: Result<Bytes, BytesRejection>) -> ApiResult<Bytes> {
    body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::detail(status, format!("Request body exceeds {BODY_LIMIT} bytes"))
        } else {
            ApiError::detail(status, format!("Could not read the request body: {e}"))
        }
    })
}
