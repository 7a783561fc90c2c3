//! A session: one agent's session token, kept fresh. The token lives only in memory, is never
//! shown in `Debug`, and is forgotten on deactivate / close / agent deletion.
//!
//! Before each memory call a session whose token is within `refresh_margin` of expiry (by the
//! server's clock, estimated from its `Date` header) extends itself once, single flight: when
//! many tasks arrive at that moment, one sends the extend and the others wait for its token.
//! On a 401 for an expired or revoked token it activates again once and retries the call once,
//! when the policy allows it (default: only for sessions this client activated itself).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;

use crate::client::Client;
use crate::config::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Call, Replay, LOG_TARGET};
use crate::token::{decode_session_token, SessionClaims};
use crate::validate;

/// How a session looks after itself.
#[derive(Debug, Clone)]
pub struct SessionPolicy {
    /// Extend before a memory call when less than `refresh_margin` remains.
    pub auto_extend: bool,
    pub refresh_margin: Duration,
    /// Hours an automatic extend asks for.
    pub extend_hours: u32,
    /// On a 401 for an expired or revoked token: activate again once, retry the call once.
    pub reactivate: bool,
    /// Lifetime asked for when activating (again); None = the server's default.
    pub duration_hours: Option<f64>,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            auto_extend: true,
            refresh_margin: Duration::from_secs(300),
            extend_hours: 6,
            reactivate: false,
            duration_hours: None,
        }
    }
}

#[derive(Clone)]
struct TokenState {
    token: Secret,
    claims: SessionClaims,
    generation: u64,
}

pub struct Session {
    client: Client,
    agent_id: String,
    policy: SessionPolicy,
    state: RwLock<Option<TokenState>>,
    generations: AtomicU64,
    /// Set by deactivate/close: the token must never come back.
    closed: AtomicBool,
    /// Single flight for extend / re-activate.
    refresh: tokio::sync::Mutex<()>,
    /// Expiry of a token that an extend could not move (0.0.8 extends only the stored
    /// record), so that it is not extended again on every call.
    unmovable_expiry: Mutex<Option<DateTime<Utc>>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("agent_id", &self.agent_id)
            .finish_non_exhaustive()
    }
}

fn session_token_of(body: &Value) -> Result<String> {
    body.get("session_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Server,
                "The activate response carried no session_token; is base_url a Memanto server?",
            )
        })
}

fn is_token_rejection(e: &Error) -> bool {
    e.status_code == Some(401)
        && matches!(
            e.kind,
            ErrorKind::SessionExpired | ErrorKind::InvalidSessionToken
        )
}

impl Session {
    /// Wrap a token the caller already holds. The agent id comes from the token's claims when
    /// not given. The claims are unverified, so an explicit agent_id wins; if it differs from
    /// the token's, the server answers 403 (PermissionDenied) on the first call.
    pub fn from_token(
        client: Client,
        agent_id: Option<&str>,
        token: &str,
        policy: SessionPolicy,
    ) -> Result<Arc<Self>> {
        let claims = decode_session_token(token)?;
        let agent_id = match (agent_id, claims.agent_id.as_deref()) {
            (Some(a), _) => a.to_string(),
            (None, Some(c)) => c.to_string(),
            (None, None) => {
                return Err(Error::validation(
                    "the session token names no agent_id; pass agent_id",
                ))
            }
        };
        validate::agent_id(&agent_id)?;
        let session = Arc::new(Session {
            client: client.clone(),
            agent_id,
            policy,
            state: RwLock::new(Some(TokenState {
                token: Secret::new(token.trim()),
                claims,
                generation: 0,
            })),
            generations: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            refresh: tokio::sync::Mutex::new(()),
            unmovable_expiry: Mutex::new(None),
        });
        client.track(&session);
        Ok(session)
    }

    /// Activate `agent_id`; returns the session and the body of the activate response.
    pub async fn activate(
        client: &Client,
        agent_id: &str,
        policy: SessionPolicy,
    ) -> Result<(Arc<Self>, Value)> {
        let body = client.activate(agent_id, policy.duration_hours).await?;
        let token = session_token_of(&body)?;
        let session = Session::from_token(client.clone(), Some(agent_id), &token, policy)?;
        Ok((session, body))
    }

    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    fn state(&self) -> Result<TokenState> {
        self.state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| Error::no_token(&self.agent_id))
    }

    /// The decoded claims of the current token.
    pub fn claims(&self) -> Result<SessionClaims> {
        Ok(self.state()?.claims)
    }

    /// The current token (a secret: do not log it).
    pub fn token(&self) -> Result<Secret> {
        Ok(self.state()?.token)
    }

    /// True until deactivate/close/agent deletion forgot the token.
    pub fn has_token(&self) -> bool {
        self.state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Time left on the token by the server's clock (negative once expired).
    pub fn server_time_remaining(&self) -> Result<chrono::Duration> {
        Ok(self.state()?.claims.expires_at - self.client.transport().server_now())
    }

    /// Take a replacement token if it decodes, belongs to this agent and does not expire
    /// earlier than the one held (so the newest token wins, not the last response to arrive).
    pub fn adopt(&self, token: Secret) -> bool {
        let Ok(claims) = decode_session_token(token.expose()) else {
            return false;
        };
        if claims
            .agent_id
            .as_deref()
            .is_some_and(|a| a != self.agent_id)
        {
            return false;
        }
        let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            None => false, // forgotten on purpose: a late response must not bring it back
            Some(cur) if cur.token == token || cur.claims.expires_at > claims.expires_at => false,
            Some(_) => {
                let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
                *guard = Some(TokenState {
                    token,
                    claims,
                    generation,
                });
                true
            }
        }
    }

    /// Install the token of a fresh activation, whatever its expiry.
    fn replace(&self, token: &str) -> Result<()> {
        let claims = decode_session_token(token)?;
        let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::no_token(&self.agent_id));
        }
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        *guard = Some(TokenState {
            token: Secret::new(token),
            claims,
            generation,
        });
        Ok(())
    }

    /// Forget the token: it is never sent again, and no refresh brings it back.
    pub fn forget(&self) {
        self.closed.store(true, Ordering::SeqCst);
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// One request with the current token, adopting any replacement the server sends. No
    /// refresh here: extend goes through this, so a refresh never recurses into another.
    /// Returns the outcome and the generation of the token it was sent with.
    async fn send(&self, call: &Call<'_>) -> Result<(Result<Value>, u64)> {
        let state = self.state()?;
        let reply = self.client.request(call, Some(&state.token)).await?;
        if let Some(t) = reply.session_token {
            self.adopt(t);
        }
        Ok((reply.result, state.generation))
    }

    /// A memory call: refresh if due, send, and on a rejected token re-activate once and retry
    /// once (when the policy allows).
    pub(crate) async fn call(&self, call: Call<'_>) -> Result<Value> {
        self.refresh_if_due().await?;
        let (result, generation) = self.send(&call).await?;
        match result {
            Err(e) if self.policy.reactivate && is_token_rejection(&e) => {
                log::info!(target: LOG_TARGET, "session token rejected ({:?}); activating agent {} again", e.kind, self.agent_id);
                self.reactivate_after(generation).await?;
                self.send(&call).await?.0
            }
            other => other,
        }
    }

    fn due(&self) -> Result<bool> {
        let margin =
            chrono::Duration::from_std(self.policy.refresh_margin).unwrap_or(chrono::Duration::MAX);
        Ok(self.server_time_remaining()? < margin)
    }

    async fn refresh_if_due(&self) -> Result<()> {
        if !self.policy.auto_extend || !self.due()? {
            return Ok(());
        }
        let _flight = self.refresh.lock().await;
        if !self.due()? {
            return Ok(()); // another caller refreshed while we waited
        }
        let expires_at = self.state()?.claims.expires_at;
        let expired = expires_at <= self.client.transport().server_now();
        let unmovable = *self
            .unmovable_expiry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            == Some(expires_at);
        if !expired && !unmovable {
            log::debug!(target: LOG_TARGET, "session of agent {} is near expiry; extending", self.agent_id);
            match self.extend_locked(self.policy.extend_hours).await {
                Ok(_) if !self.due()? => return Ok(()),
                Ok(_) => {
                    // The server lengthened only its record, not the token (0.0.8).
                    *self
                        .unmovable_expiry
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) = Some(expires_at);
                }
                Err(e) if is_token_rejection(&e) => {}
                Err(e) => {
                    log::info!(target: LOG_TARGET, "automatic extend failed ({}); continuing", e.message);
                    return Ok(());
                }
            }
        }
        if self.policy.reactivate {
            self.reactivate_locked().await?;
        }
        Ok(())
    }

    async fn reactivate_after(&self, rejected_generation: u64) -> Result<()> {
        let _flight = self.refresh.lock().await;
        if self.state()?.generation != rejected_generation {
            return Ok(()); // someone else already replaced the rejected token
        }
        self.reactivate_locked().await
    }

    async fn reactivate_locked(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::no_token(&self.agent_id));
        }
        let body = self
            .client
            .activate(&self.agent_id, self.policy.duration_hours)
            .await?;
        self.replace(&session_token_of(&body)?)
    }

    async fn extend_locked(&self, additional_hours: u32) -> Result<Value> {
        let q = [("additional_hours", additional_hours.to_string())];
        let call = Call::new(Method::POST, "/api/v2/session/extend", Replay::Unsafe).query(&q);
        let body = self.send(&call).await?.0?;
        if let Some(t) = body.get("session_token").and_then(Value::as_str) {
            self.adopt(Secret::new(t));
        }
        Ok(body)
    }

    pub(crate) fn agent_path(&self, tail: &str) -> String {
        format!("/api/v2/agents/{}/{tail}", self.agent_id)
    }

    /// `GET /api/v2/session/current`.
    pub async fn current(&self) -> Result<Value> {
        self.call(Call::new(
            Method::GET,
            "/api/v2/session/current",
            Replay::Safe,
        ))
        .await
    }

    /// `POST /api/v2/session/extend?additional_hours=N`; adopts the token in the response.
    pub async fn extend(&self, additional_hours: u32) -> Result<Value> {
        if additional_hours == 0 {
            return Err(Error::validation("additional_hours must be greater than 0"));
        }
        let _flight = self.refresh.lock().await;
        self.extend_locked(additional_hours).await
    }

    /// `POST /api/v2/agents/{id}/deactivate`. The token is forgotten first, whatever the outcome.
    pub async fn deactivate(&self) -> Result<Value> {
        self.state()?; // already deactivated: say so rather than send anything
        self.forget();
        self.client.deactivate(&self.agent_id).await
    }
}
