//! The HTTP surface: router, service routes, fallbacks and shared extractor helpers.

pub(crate) mod agents;
mod body;
mod conflicts;
pub(crate) mod current;
pub(crate) mod current_only;
mod edit;
mod extract;
mod fields;
mod insights;
mod memories;
pub(crate) mod params;
mod policy;
mod policy_parse;
pub(crate) mod recall;
mod sessions;
mod temporal;
mod trust;
mod upload;
mod v1;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::auth;
use crate::config::ApiMode;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use memanto_protocol::wire::ServiceInfo;

/// Largest accepted request body (a full batch of 100 × 10 000-character memories fits).
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The Memanto v2 API as an axum router over `state`, with the route set of the state's
/// [`ApiMode`]: Legacy = the 0.0.x routes, Current = the 0.2.30 routes, Both = every 0.0.x route
/// plus the 0.2 routes that do not collide with one (see `current::extra_routes`).
pub fn router(state: AppState) -> Router {
    let mode = state.mode();
    let service = Router::new()
        .route("/", get(index))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/live", get(live));
    let api = match mode {
        ApiMode::Legacy => legacy_routes(),
        // Malformed JSON is refused before authentication on 0.2 (API-0.2 §0.3).
        ApiMode::Current => current::routes()
            .merge(current_only::routes())
            .layer(axum::middleware::from_fn(current::json_first::json_first)),
        ApiMode::Both => legacy_routes()
            .merge(both_routes())
            .merge(current::extra_routes())
            .merge(current_only::routes()),
    };
    service
        .merge(api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(auth::extract::deliver_renewed))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The 0.0.x routes (API.md §3.0, plus the internal `/api/v1/memory` update and delete).
fn legacy_routes() -> Router<AppState> {
    Router::new()
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
            "/api/v2/agents/{agent_id}/upload-file",
            post(upload::upload_file).layer(DefaultBodyLimit::max(upload::BODY_LIMIT)),
        )
        .route(
            "/api/v1/memory/{memory_id}",
            patch(v1::update).delete(v1::delete),
        )
}

/// Both mode only: the 0.2 memory edit routes with the union shapes (key + token).
fn both_routes() -> Router<AppState> {
    Router::new().route(
        "/api/v2/agents/{agent_id}/memories/{memory_id}",
        patch(edit::update).delete(edit::delete),
    )
}

/// `GET /`: the imitated generation's version (Both: `0.0.8` plus `generations`).
async fn index(State(state): State<AppState>) -> Json<ServiceInfo> {
    let (description, version, docs, generations) = match state.mode() {
        ApiMode::Legacy => (
            LEGACY_DESCRIPTION,
            crate::LEGACY_VERSION,
            Some("/docs"),
            None,
        ),
        ApiMode::Current => (CURRENT_DESCRIPTION, crate::CURRENT_VERSION, None, None),
        ApiMode::Both => (
            LEGACY_DESCRIPTION,
            crate::LEGACY_VERSION,
            None,
            Some(vec!["0.0".to_owned(), "0.2".to_owned()]),
        ),
    };
    let mut extra = serde_json::Map::new();
    extra.insert(
        "implementation".to_owned(),
        json!(concat!(
            "memanto-client LocalServer ",
            env!("CARGO_PKG_VERSION")
        )),
    );
    Json(ServiceInfo {
        service: Some("MEMANTO".to_owned()),
        description: Some(description.to_owned()),
        version: Some(version.to_owned()),
        docs: docs.map(str::to_owned),
        generations,
        extra,
    })
}

const LEGACY_DESCRIPTION: &str = "Memory that AI Agents Love!";
const CURRENT_DESCRIPTION: &str = "A companion memory agent that lets your agents focus and improve while you keep ownership of everything they learn.";

/// `GET /health`: 0.0.x needs the key; 0.2.x is open.
async fn health(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let version = match state.mode() {
        ApiMode::Current => crate::CURRENT_VERSION,
        ApiMode::Legacy | ApiMode::Both => {
            auth::require_key(&state, &headers)?;
            crate::LEGACY_VERSION
        }
    };
    Ok(Json(json!({
        "status": "healthy",
        "service": "MEMANTO",
        "version": version,
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
