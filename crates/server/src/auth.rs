//! Request authentication: the API key (`Authorization: Bearer`) and the session token
//! (`X-Session-Token`), with the 0.0.8 error texts.

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ApiResult};
use crate::model::SessionRow;
use crate::state::AppState;
use crate::time;

pub const SESSION_HEADER: &str = "x-session-token";

const MISSING_KEY: &str = "Missing API key in authorization header and no configured default";
const BAD_HEADER: &str = "Invalid authorization header. Use: Bearer {api_key}";
const BAD_KEY: &str = "Invalid Moorcheh API key";
const MISSING_TOKEN: &str = "Missing session token. Use X-Session-Token header.";

/// Checks `Authorization: Bearer <key>` against the accepted keys.
pub fn require_key(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let unauthorized = |text: &str| ApiError::detail(StatusCode::UNAUTHORIZED, text);
    let Some(raw) = headers.get(AUTHORIZATION) else {
        return Err(unauthorized(MISSING_KEY));
    };
    let Ok(value) = raw.to_str() else {
        return Err(unauthorized(BAD_HEADER));
    };
    if value.trim().is_empty() {
        return Err(unauthorized(MISSING_KEY));
    }
    let Some(key) = value.strip_prefix("Bearer ") else {
        return Err(unauthorized(BAD_HEADER));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(unauthorized(MISSING_KEY));
    }
    // Compare against every key, without short-circuiting on the first match.
    let matched = state
        .api_keys()
        .iter()
        .fold(subtle::Choice::from(0u8), |acc, k| {
            acc | k.as_bytes().ct_eq(key.as_bytes())
        });
    if bool::from(matched) {
        Ok(())
    } else {
        Err(unauthorized(BAD_KEY))
    }
}

/// A request's verified, live session.
#[derive(Debug, Clone)]
pub struct SessionContext {
    pub session: SessionRow,
}

impl SessionContext {
    pub fn agent_id(&self) -> &str {
        &self.session.agent_id
    }

    /// 403 unless the path's agent is the session's agent.
    pub fn require_agent(&self, path_agent: &str) -> ApiResult<()> {
        if self.agent_id() == path_agent {
            Ok(())
        } else {
            Err(ApiError::memanto(
                StatusCode::FORBIDDEN,
                "AuthorizationError",
                format!(
                    "Session is for agent '{}', cannot access '{}'",
                    self.agent_id(),
                    path_agent
                ),
            ))
        }
    }
}

/// Key check, then the session token: presence, signature, expiry, stored session.
pub async fn require_session(state: &AppState, headers: &HeaderMap) -> ApiResult<SessionContext> {
    require_key(state, headers)?;
    let token = match headers.get(SESSION_HEADER).map(|v| v.to_str()) {
        None => "",
        Some(Ok(t)) => t.trim(),
        Some(Err(_)) => return Err(ApiError::invalid_token("Not a well-formed JWT")),
    };
    if token.is_empty() {
        return Err(ApiError::detail(StatusCode::UNAUTHORIZED, MISSING_TOKEN));
    }
    let verified = state.tokens().verify(token)?;
    let claims = verified.claims;
    let now = time::now();
    if now > verified.expires_at {
        return Err(expired(&claims.session_id, &claims.expires_at));
    }
    let session = state.session(&claims.session_id).await?;
    let session = match session {
        Some(s) if s.status == "active" && s.agent_id == claims.agent_id => s,
        _ => return Err(ApiError::session_inactive(&claims.session_id)),
    };
    if now > session.expires() {
        return Err(expired(&session.session_id, &session.expires_at));
    }
    Ok(SessionContext { session })
}

fn expired(session_id: &str, at: &str) -> ApiError {
    ApiError::memanto(
        StatusCode::UNAUTHORIZED,
        "SessionExpired",
        format!("Session {session_id} expired at {at}"),
    )
}
