//! A session: one agent's session token, kept fresh. The token lives only in memory, is never
//! shown in `Debug`, and is forgotten on deactivate / close / agent deletion.
//!
//! Before each memory call a session whose token is within its refresh margin of expiry (by
//! the server's clock, estimated from its `Date` header) refreshes itself once, single flight:
//! when many tasks arrive at that moment, one refreshes and the others wait for its token. How
//! it refreshes is the generation's: 0.0.x extends (and activates again when the extend did
//! not move the token's expiry); 0.2.x activates again. A token in an `X-Session-Token`
//! response header is adopted. On a 401 for an expired or revoked token the session activates
//! again once and retries the call once, when the policy allows it (default: only for sessions
//! this client activated itself); one activation at a time per agent.
//!
//! On servers where an activation revokes the agent's older tokens (0.2.x), a client keeps one
//! live session per agent: a second `activate()` of the same agent joins the live session
//! (every handle then uses the new token), and the server session ends when the last handle
//! closes or on an explicit deactivate.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use memanto_protocol::Generation;
use serde_json::Value;

use crate::client::Client;
use crate::config::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::http::LOG_TARGET;
use crate::ops::Op;
use crate::registry::Tracked;
use crate::token::{decode_session_token, SessionClaims};
use crate::validate;

/// How a session looks after itself.
#[derive(Debug, Clone)]
pub struct SessionPolicy {
    /// Refresh before a memory call when less than `refresh_margin` remains.
    pub auto_extend: bool,
    pub refresh_margin: Duration,
    /// Hours an automatic extend asks for (0.0.x).
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

/// 0.2.x renews a session itself on a memory call when at most this much remains, and a
/// renewal during a call that then fails loses the new token; refreshing before that point
/// keeps the client ahead of it.
fn current_refresh_margin(policy: &SessionPolicy) -> Duration {
    let server =
        Duration::from_secs(60 * (memanto_protocol::limits::RENEW_THRESHOLD_MINUTES as u64 + 1));
    policy.refresh_margin.max(server)
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
    /// Shared, so that reading it per call (several times) is a reference count, not a copy
    /// of every claim.
    state: RwLock<Option<Arc<TokenState>>>,
    generations: AtomicU64,
    /// Set by deactivate/close: the token must never come back.
    closed: AtomicBool,
    /// Handles that activated this session and have not closed it (shared sessions).
    owners: AtomicUsize,
    /// Single flight for extend / re-activate.
    refresh: tokio::sync::Mutex<()>,
    /// Expiry of a token that a 0.0.8 extend could not move (it extends only the stored
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

impl Tracked for Session {
    fn agent_id(&self) -> &str {
        &self.agent_id
    }
    fn forget(&self) {
        Session::forget(self);
    }
    fn is_live(&self) -> bool {
        self.has_token()
    }
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
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
    fn build(
        client: Client,
        agent_id: String,
        token: &str,
        policy: SessionPolicy,
    ) -> Result<Arc<Self>> {
        let claims = decode_session_token(token)?;
        let session = Arc::new(Session {
            client: client.clone(),
            agent_id,
            policy,
            state: RwLock::new(Some(Arc::new(TokenState {
                token: Secret::new(token.trim()),
                claims,
                generation: 0,
            }))),
            generations: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            owners: AtomicUsize::new(1),
            refresh: tokio::sync::Mutex::new(()),
            unmovable_expiry: Mutex::new(None),
        });
        client.registry().track(session.clone());
        Ok(session)
    }

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
        Session::build(client, agent_id, token, policy)
    }

    /// Activate `agent_id`; returns the session and the body of the activate response. On a
    /// server where activation revokes older tokens, a live session of the agent in this
    /// client is joined (it adopts the new token) rather than left with a dead one.
    pub async fn activate(
        client: &Client,
        agent_id: &str,
        policy: SessionPolicy,
    ) -> Result<(Arc<Self>, Value)> {
        validate::agent_id(agent_id)?;
        let server = client.server().await?;
        let shared = server.generation == Generation::Current;
        if shared {
            if let Some(live) = client.registry().live_session::<Session>(agent_id) {
                let _flight = live.refresh.lock().await;
                let body = client.activate(agent_id, policy.duration_hours).await?;
                live.replace(&session_token_of(&body)?)?;
                live.owners.fetch_add(1, Ordering::SeqCst);
                return Ok((live.clone(), body));
            }
        }
        let body = client.activate(agent_id, policy.duration_hours).await?;
        let token = session_token_of(&body)?;
        let session = Session::build(client.clone(), agent_id.to_string(), &token, policy)?;
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

    fn state(&self) -> Result<Arc<TokenState>> {
        self.state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| Error::no_token(&self.agent_id))
    }

    /// The decoded claims of the current token.
    pub fn claims(&self) -> Result<SessionClaims> {
        Ok(self.state()?.claims.clone())
    }

    /// The current token (a secret: do not log it).
    pub fn token(&self) -> Result<Secret> {
        Ok(self.state()?.token.clone())
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
                *guard = Some(Arc::new(TokenState {
                    token,
                    claims,
                    generation,
                }));
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
        *guard = Some(Arc::new(TokenState {
            token: Secret::new(token),
            claims,
            generation,
        }));
        Ok(())
    }

    /// Forget the token: it is never sent again, and no refresh brings it back.
    pub fn forget(&self) {
        self.closed.store(true, Ordering::SeqCst);
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// One request with the current token, adopting any replacement the server sends. No
    /// refresh here, so a refresh never recurses into another. Returns the outcome and the
    /// generation of the token it was sent with.
    async fn send<B: crate::http::FromBody>(&self, op: &Op<'_>) -> Result<(Result<B>, u64)> {
        let state = self.state()?;
        let reply = self
            .client
            .dispatch(&self.agent_id, op, Some(&state.token))
            .await?;
        if let Some(t) = reply.session_token {
            self.adopt(t);
        }
        Ok((reply.result, state.generation))
    }

    /// A memory call: refresh if due, send, and on a rejected token re-activate once and retry
    /// once (when the policy allows).
    pub(crate) async fn call<B: crate::http::FromBody>(&self, op: Op<'_>) -> Result<B> {
        self.state()?;
        let generation = self.client.server().await?.generation;
        self.refresh_if_due(generation).await?;
        let (result, sent_with) = self.send(&op).await?;
        match result {
            Err(e) if self.policy.reactivate && is_token_rejection(&e) => {
                log::info!(target: LOG_TARGET, "session token rejected ({:?}); activating agent {} again", e.kind, self.agent_id);
                self.reactivate_after(sent_with).await?;
                self.send(&op).await?.0
            }
            other => other,
        }
    }

    fn due(&self, margin: Duration) -> Result<bool> {
        let margin = chrono::Duration::from_std(margin).unwrap_or(chrono::Duration::MAX);
        Ok(self.server_time_remaining()? < margin)
    }

    async fn refresh_if_due(&self, generation: Generation) -> Result<()> {
        let margin = match generation {
            Generation::Legacy => self.policy.refresh_margin,
            Generation::Current => current_refresh_margin(&self.policy),
        };
        if !self.policy.auto_extend || !self.due(margin)? {
            return Ok(());
        }
        let _flight = self.refresh.lock().await;
        if !self.due(margin)? {
            return Ok(()); // another caller refreshed while we waited
        }
        if generation == Generation::Current {
            // No extend there: activating again is the renewal.
            log::debug!(target: LOG_TARGET, "session of agent {} is near expiry; activating again", self.agent_id);
            return match self.reactivate_locked().await {
                Ok(_) => Ok(()),
                Err(e) if e.kind == ErrorKind::SessionTokenMissing => Err(e),
                Err(e) => {
                    log::info!(target: LOG_TARGET, "automatic renewal failed ({}); continuing", e.message);
                    Ok(())
                }
            };
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
                Ok(_) if !self.due(margin)? => return Ok(()),
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
        self.reactivate_locked().await.map(|_| ())
    }

    async fn reactivate_locked(&self) -> Result<Value> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::no_token(&self.agent_id));
        }
        let body = self
            .client
            .activate(&self.agent_id, self.policy.duration_hours)
            .await?;
        self.replace(&session_token_of(&body)?)?;
        Ok(body)
    }

    async fn extend_locked(&self, additional_hours: u32) -> Result<Value> {
        let body: Value = self
            .send(&Op::Extend {
                hours: additional_hours,
            })
            .await?
            .0?;
        if let Some(t) = body.get("session_token").and_then(Value::as_str) {
            self.adopt(Secret::new(t));
        }
        Ok(body)
    }

    /// The server's view of this session: 0.0.x `GET /api/v2/session/current`; 0.2.x
    /// `GET /api/v2/status` when it reports this session, else this session as its token
    /// describes it (`/status` reports the server's most recent session of any agent).
    pub async fn current(&self) -> Result<Value> {
        let body = self.call(Op::SessionCurrent).await?;
        if self.client.server().await?.generation == Generation::Legacy {
            return Ok(body);
        }
        let claims = self.claims()?;
        let ours = body.get("session_id").and_then(Value::as_str) == claims.session_id.as_deref();
        if ours {
            return Ok(body);
        }
        let now = self.client.transport().server_now();
        let remaining = (claims.expires_at - now).num_seconds().max(0);
        Ok(serde_json::json!({
            "session_id": claims.session_id,
            "agent_id": claims.agent_id.clone().unwrap_or_else(|| self.agent_id.clone()),
            "namespace": claims.namespace,
            "started_at": claims.started_at.as_ref().map(crate::time::to_iso),
            "expires_at": crate::time::to_iso(&claims.expires_at),
            "status": if remaining > 0 { "active" } else { "expired" },
            "time_remaining_seconds": remaining,
            "reported_by": "token",
        }))
    }

    /// Lengthen the session. 0.0.x: `POST /api/v2/session/extend?additional_hours=N`, adopting
    /// the token in the response. 0.2.x has no extend: the agent is activated again (the
    /// server's default lifetime), and the result is the new session (`renewed_by: "activate"`).
    pub async fn extend(&self, additional_hours: u32) -> Result<Value> {
        if additional_hours == 0 {
            return Err(Error::validation("additional_hours must be greater than 0"));
        }
        self.state()?;
        let generation = self.client.server().await?.generation;
        let _flight = self.refresh.lock().await;
        match generation {
            Generation::Legacy => self.extend_locked(additional_hours).await,
            Generation::Current => {
                let mut body = self.reactivate_locked().await?;
                if let Value::Object(m) = &mut body {
                    m.remove("session_token");
                    m.insert("renewed_by".into(), Value::from("activate"));
                }
                Ok(body)
            }
        }
    }

    /// `POST /api/v2/agents/{id}/deactivate`. The token is forgotten first, whatever the outcome.
    pub async fn deactivate(&self) -> Result<Value> {
        self.state()?; // already deactivated: say so rather than send anything
        self.forget();
        self.client.deactivate(&self.agent_id).await
    }

    /// A handle that activated this session is done with it: the last one deactivates, the
    /// others only let go. Returns whether it deactivated.
    pub async fn close(&self) -> Result<bool> {
        let before = self
            .owners
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_sub(1))
            })
            .unwrap_or(0);
        if before > 1 || !self.has_token() {
            return Ok(false);
        }
        self.deactivate().await.map(|_| true)
    }
}
