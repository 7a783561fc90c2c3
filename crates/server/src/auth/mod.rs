//! Request authentication. Each generation's rules live in one file: [`legacy`] (0.0.x: the
//! key everywhere, lenient sessions) and [`current`] (0.2.30: the management gate, strict
//! one-session-per-agent tokens with auto-renew and auto-recreate). [`extract`] turns them into
//! axum extractors that pick the rules by the server's mode.

pub mod current;
pub mod extract;
pub mod legacy;

use axum::http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ApiResult};
use crate::model::SessionRow;
use crate::state::AppState;

pub use extract::{AgentPath, AgentSession, MemoryPath, Mgmt, SessionAuth};
pub use legacy::require_key;
pub use memanto_protocol::SESSION_TOKEN_HEADER as SESSION_HEADER;

pub(crate) const MISSING_TOKEN: &str = "Missing session token. Use X-Session-Token header.";

/// Whether `key` equals one of the accepted keys (constant time, no short-circuit).
pub(crate) fn key_matches(state: &AppState, key: &str) -> bool {
    let matched = state
        .api_keys()
        .iter()
        .fold(subtle::Choice::from(0u8), |acc, k| {
            acc | k.as_bytes().ct_eq(key.as_bytes())
        });
    bool::from(matched)
}

/// The `X-Session-Token` value (trimmed), or 401 when it is absent or empty.
pub(crate) fn session_token(headers: &HeaderMap) -> ApiResult<&str> {
    let token = match headers.get(SESSION_HEADER).map(|v| v.to_str()) {
        None => "",
        Some(Ok(t)) => t.trim(),
        Some(Err(_)) => return Err(ApiError::invalid_token("Not a well-formed JWT")),
    };
    if token.is_empty() {
        return Err(ApiError::detail(StatusCode::UNAUTHORIZED, MISSING_TOKEN));
    }
    Ok(token)
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

    /// 403 `AuthorizationError` unless the path's agent is the session's agent.
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
