//! 0.0.x authentication (Legacy and Both modes): the API key (`Authorization: Bearer`) on every
//! route and the session token (`X-Session-Token`) on memory routes, with the 0.0.8 error texts.
//! Several sessions of one agent may be live at once; nothing is renewed.

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};

use super::{key_matches, session_token, SessionContext};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time;

const MISSING_KEY: &str = "Missing API key in authorization header and no configured default";
const BAD_HEADER: &str = "Invalid authorization header. Use: Bearer {api_key}";
const BAD_KEY: &str = "Invalid Moorcheh API key";

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
    if key_matches(state, key) {
        Ok(())
    } else {
        Err(unauthorized(BAD_KEY))
    }
}

/// Key check, then the session token: presence, signature, expiry, stored session.
pub async fn require_session(state: &AppState, headers: &HeaderMap) -> ApiResult<SessionContext> {
    require_key(state, headers)?;
    let token = session_token(headers)?;
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
