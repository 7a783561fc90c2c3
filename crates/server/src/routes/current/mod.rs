//! The 0.2.30 routes (API-0.2 §1): management behind the gate, memory routes on strict,
//! self-renewing tokens, every request body in JSON, and the 0.2 response shapes.

mod agents;
mod dates;
pub(crate) mod fields;
pub(crate) mod item;
pub(super) mod json_first;
mod memories;
mod recall;
mod sessions;
mod temporal;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};
use axum::Router;

use super::upload;
use crate::state::AppState;

/// Every 0.2.30 route of API-0.2 §1 but the 0.2-only features (`current_only`).
pub(super) fn routes() -> Router<AppState> {
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
        .route(
            "/api/v2/agents/{agent_id}/remember",
            post(memories::remember),
        )
        .route(
            "/api/v2/agents/{agent_id}/batch-remember",
            post(memories::batch_remember),
        )
        .route(
            "/api/v2/agents/{agent_id}/upload-file",
            post(upload::upload_file).layer(DefaultBodyLimit::max(upload::BODY_LIMIT)),
        )
        .route("/api/v2/agents/{agent_id}/answer", post(recall::answer))
        .route(
            "/api/v2/agents/{agent_id}/memories/{memory_id}",
            patch(memories::update).delete(memories::delete),
        )
        .merge(extra_routes())
}

/// The 0.2 routes whose method and path no 0.0.x route has: served in Both mode too.
pub(super) fn extra_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/status", get(sessions::status))
        .route("/api/v2/agents/{agent_id}/recall", post(recall::recall))
        .route(
            "/api/v2/agents/{agent_id}/recall/as-of",
            post(temporal::as_of),
        )
        .route(
            "/api/v2/agents/{agent_id}/recall/changed-since",
            post(temporal::changed_since),
        )
}
