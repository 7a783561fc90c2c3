//! 0.2.30 authentication (Current mode): the management gate (API-DIFFS §3) and strict session
//! tokens (API-0.2 §10): one stored session per agent, auto-renew near expiry (or on every call
//! with `renew_every_call`), auto-recreate of a lapsed session for a caller that also passes the
//! management gate.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};

use super::{key_matches, session_token, SessionContext};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::model::{self, SessionRow};
use crate::state::AppState;
use crate::time;

const GATE_401: &str = "Unauthorized. Agent management endpoints require either a loopback client or a valid management credential (Authorization: Bearer <key> or X-Api-Key).";
const GATE_403: &str = "Origin not allowed for management endpoints";

/// Whether the request carries a matching credential: `X-Api-Key` (checked first), or
/// `Authorization: <scheme> <key>` with a case-insensitive `Bearer` scheme.
fn credential_ok(state: &AppState, parts: &Parts) -> bool {
    let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(k) = header(memanto_protocol::API_KEY_HEADER).map(str::trim) {
        if !k.is_empty() && key_matches(state, k) {
            return true;
        }
    }
    let Some(auth) = header(AUTHORIZATION.as_str()) else {
        return false;
    };
    match auth.trim().split_once(char::is_whitespace) {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => {
            let key = key.trim();
            !key.is_empty() && key_matches(state, key)
        }
        _ => false,
    }
}

fn loopback_host(host: &str) -> bool {
    let h = host.trim().to_ascii_lowercase();
    // Strip a port: `[::1]:8000`, `127.0.0.1:8000`, `localhost:8000`.
    let name = if let Some(rest) = h.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else if h.matches(':').count() == 1 {
        h.split(':').next().unwrap_or("")
    } else {
        h.as_str()
    };
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `^http://(localhost|127\.0\.0\.1)(:[0-9]+)?$`, the default CORS origin rule.
fn allowed_origin(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://") else {
        return false;
    };
    let (host, port) = rest.split_once(':').unwrap_or((rest, ""));
    (host == "localhost" || host == "127.0.0.1")
        && (rest == host || (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())))
}

/// A loopback caller: loopback peer (an in-process request has none and counts as local),
/// loopback `Host`, not cross-site, no non-loopback forwarding entry.
fn is_loopback(parts: &Parts) -> bool {
    let peer_ok = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_none_or(|ConnectInfo(addr)| addr.ip().is_loopback());
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let host_ok = header(HOST.as_str()).is_none_or(loopback_host);
    let origin_ok = header(ORIGIN.as_str()).is_none_or(allowed_origin);
    let site_ok = !matches!(header("sec-fetch-site"), Some("cross-site" | "same-site"));
    let forwarded_ok = ["x-forwarded-for", "x-real-ip"].iter().all(|name| {
        header(name).is_none_or(|v| {
            v.split(',')
                .all(|ip| ip.trim().parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()))
        })
    });
    peer_ok && host_ok && origin_ok && site_ok && forwarded_ok
}

/// Whether the request passes the management gate (no error).
pub fn passes_gate(state: &AppState, parts: &Parts) -> bool {
    credential_ok(state, parts) || (state.trust_loopback() && is_loopback(parts))
}

/// The management gate: a credential or (with `trust_loopback`) a loopback caller; else 403
/// for a disallowed `Origin`, 401 otherwise.
pub fn require_mgmt(state: &AppState, parts: &Parts) -> ApiResult<()> {
    if passes_gate(state, parts) {
        return Ok(());
    }
    let origin = parts.headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    if origin.is_some_and(|o| !allowed_origin(o)) {
        return Err(ApiError::detail(StatusCode::FORBIDDEN, GATE_403));
    }
    Err(ApiError::detail(StatusCode::UNAUTHORIZED, GATE_401))
}

/// `2026-12-01 20:19:03.778882+00:00`, as Python prints an aware datetime.
fn python_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
}

/// A session token: signature, expiry (auto-recreate or 401 `SessionExpired`), the stored
/// session (same id, active), then auto-renew. Returns the session serving the request and the
/// replacement token when one was issued.
pub async fn resolve(
    state: &AppState,
    parts: &Parts,
) -> ApiResult<(SessionContext, Option<String>)> {
    let token = session_token(&parts.headers)?;
    let verified = state.tokens().verify(token)?;
    let claims = verified.claims;
    let now = time::now();
    let stored = state
        .session(&claims.session_id)
        .await?
        .filter(|s| s.status == "active" && s.agent_id == claims.agent_id);
    if now > verified.expires_at {
        return match stored {
            Some(old) if passes_gate(state, parts) => {
                let duration = state.session_duration();
                renew(state, &old, duration, now).await
            }
            _ => Err(ApiError::memanto(
                StatusCode::UNAUTHORIZED,
                "SessionExpired",
                format!(
                    "Session {} expired at {}",
                    claims.session_id,
                    python_time(&verified.expires_at)
                ),
            )),
        };
    }
    let session = match stored {
        Some(s) if now <= s.expires() => s,
        _ => return Err(ApiError::session_inactive(&claims.session_id)),
    };
    let threshold = TimeDelta::from_std(state.renew_threshold()).unwrap_or(TimeDelta::MAX);
    if state.renew_every_call() || session.expires() - now <= threshold {
        return renew(state, &session, state.session_duration(), now).await;
    }
    Ok((SessionContext { session }, None))
}

/// Replaces `old` by a fresh session of `duration` (the presented token dies at once).
async fn renew(
    state: &AppState,
    old: &SessionRow,
    duration: std::time::Duration,
    now: DateTime<Utc>,
) -> ApiResult<(SessionContext, Option<String>)> {
    let (row, token) = create_session(state, old, duration, now)?;
    let (old_id, new) = (old.session_id.clone(), row.clone());
    state
        .write(move |conn| db::sessions::renew(conn, &old_id, &new))
        .await?;
    state.set_marker(&row.session_id, &row.agent_id);
    Ok((SessionContext { session: row }, Some(token)))
}

/// A new session row for the agent of `like`, starting `now`, with its token.
pub fn create_session(
    state: &AppState,
    like: &SessionRow,
    duration: std::time::Duration,
    now: DateTime<Utc>,
) -> ApiResult<(SessionRow, String)> {
    let expires = TimeDelta::from_std(duration)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .ok_or_else(|| ApiError::internal("session expiry out of range"))?;
    let row = SessionRow {
        session_id: model::new_session_id(),
        agent_id: like.agent_id.clone(),
        pattern: like.pattern.clone(),
        started_at: time::fmt(&now),
        expires_at: time::fmt(&expires),
        status: "active".to_owned(),
        ended_at: None,
    };
    let token = state
        .tokens()
        .issue_current(&row.agent_id, &row.session_id, &now, &expires)?;
    Ok((row, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins() {
        for h in [
            "localhost",
            "localhost:8000",
            "127.0.0.1:1",
            "[::1]:80",
            "::1",
            "127.0.0.2",
        ] {
            assert!(loopback_host(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1:80", "[2001:db8::1]:80"] {
            assert!(!loopback_host(h), "{h}");
        }
        assert!(allowed_origin("http://localhost:3000"));
        assert!(allowed_origin("http://127.0.0.1"));
        assert!(!allowed_origin("https://localhost:3000"));
        assert!(!allowed_origin("http://evil.com"));
        assert!(!allowed_origin("http://localhost:"));
    }
}
