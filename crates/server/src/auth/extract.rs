//! Axum extractors for the checks every handler needs, choosing each generation's rules in one
//! place: [`Mgmt`] (management access), [`SessionAuth`] (a live session), [`AgentPath`] /
//! [`MemoryPath`] (path segments, 422 when missing), [`AgentSession`] (both, with the scope
//! check left to the handler so that each route can run it at its documented point).
//! [`deliver_renewed`] puts a renewed token in `X-Session-Token` on success responses only.

use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use super::{current, legacy, SessionContext, SESSION_HEADER};
use crate::config::ApiMode;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Management access: the 0.2 gate in Current mode, the 0.0 `Bearer` key otherwise.
pub struct Mgmt;

impl FromRequestParts<AppState> for Mgmt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match state.mode() {
            ApiMode::Current => current::require_mgmt(state, parts)?,
            ApiMode::Legacy | ApiMode::Both => legacy::require_key(state, &parts.headers)?,
        }
        Ok(Mgmt)
    }
}

/// A verified, live session (strict and self-renewing in Current mode).
pub struct SessionAuth(pub SessionContext);

impl FromRequestParts<AppState> for SessionAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match state.mode() {
            ApiMode::Current => {
                let (ctx, renewed) = current::resolve(state, parts).await?;
                if let (Some(token), Some(slot)) = (renewed, parts.extensions.get::<RenewSlot>()) {
                    slot.put(token);
                }
                Ok(SessionAuth(ctx))
            }
            ApiMode::Legacy | ApiMode::Both => Ok(SessionAuth(
                legacy::require_session(state, &parts.headers).await?,
            )),
        }
    }
}

/// One named path segment, or a 422 naming it.
async fn path_param(parts: &mut Parts, state: &AppState, name: &str) -> ApiResult<String> {
    let bad = |msg: String| {
        ApiError::validation(json!({
            "type": "string_type",
            "loc": ["path", name],
            "msg": msg,
            "input": null,
        }))
    };
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|e| bad(format!("Invalid path parameter: {e}")))?;
    params
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .ok_or_else(|| bad(format!("Missing path parameter {name}")))
}

/// The `{agent_id}` path segment.
pub struct AgentPath(pub String);

impl FromRequestParts<AppState> for AgentPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        path_param(parts, state, "agent_id").await.map(AgentPath)
    }
}

/// The `{memory_id}` path segment.
pub struct MemoryPath(pub String);

impl FromRequestParts<AppState> for MemoryPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        path_param(parts, state, "memory_id").await.map(MemoryPath)
    }
}

/// A session and the path's agent. Call [`check_scope`](Self::check_scope) (403 when they
/// differ) where the route documents it.
pub struct AgentSession {
    pub ctx: SessionContext,
    pub agent_id: String,
}

impl AgentSession {
    pub fn check_scope(&self) -> ApiResult<()> {
        self.ctx.require_agent(&self.agent_id)
    }

    pub fn session_id(&self) -> &str {
        &self.ctx.session.session_id
    }
}

impl FromRequestParts<AppState> for AgentSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let SessionAuth(ctx) = SessionAuth::from_request_parts(parts, state).await?;
        let AgentPath(agent_id) = AgentPath::from_request_parts(parts, state).await?;
        Ok(AgentSession { ctx, agent_id })
    }
}

/// Where [`SessionAuth`] leaves a renewed token for [`deliver_renewed`].
#[derive(Clone, Default)]
struct RenewSlot(Arc<Mutex<Option<String>>>);

impl RenewSlot {
    fn put(&self, token: String) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(token);
    }

    fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Middleware: a token renewed while serving the request goes into `X-Session-Token` — only
/// when the response is a success (0.2.30 drops it on errors, though the old token is dead).
pub async fn deliver_renewed(mut req: Request, next: Next) -> Response {
    let slot = RenewSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    if let Some(token) = slot.take() {
        if res.status().is_success() {
            if let Ok(v) = HeaderValue::from_str(&token) {
                res.headers_mut().insert(SESSION_HEADER, v);
            }
        }
    }
    res
}
