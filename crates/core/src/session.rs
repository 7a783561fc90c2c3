//! A session: one agent's session token plus the memory calls that need it.
//! The token lives only in memory, is never shown in `Debug`, and is forgotten on deactivate.

use std::sync::RwLock;

use reqwest::Method;
use serde_json::Value;

use crate::client::Client;
use crate::config::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::token::{decode_session_token, SessionClaims};
use crate::validate;

#[derive(Clone)]
struct TokenState {
    token: Secret,
    claims: SessionClaims,
}

pub struct Session {
    client: Client,
    agent_id: String,
    state: RwLock<Option<TokenState>>,
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

impl Session {
    /// Wrap a token the caller already holds. The agent id comes from the token's claims when
    /// not given.
    pub fn from_token(client: Client, agent_id: Option<&str>, token: &str) -> Result<Self> {
        let claims = decode_session_token(token)?;
        // The claims are unverified, so an explicit agent_id wins; if it differs from the
        // token's, the server answers 403 (PermissionDeniedError) on the first call.
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
        Ok(Session {
            client,
            agent_id,
            state: RwLock::new(Some(TokenState {
                token: Secret::new(token.trim()),
                claims,
            })),
        })
    }

    /// Activate `agent_id` and return the session with the body of the activate response.
    pub async fn activate(
        client: &Client,
        agent_id: &str,
        duration_hours: Option<f64>,
    ) -> Result<(Self, Value)> {
        let body = client.activate(agent_id, duration_hours).await?;
        let token = session_token_of(&body)?;
        let session = Session::from_token(client.clone(), Some(agent_id), &token)?;
        Ok((session, body))
    }

    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    pub fn client(&self) -> &Client {
        &self.client
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

    /// True until deactivate/close forgot the token.
    pub fn has_token(&self) -> bool {
        self.state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
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
            Some(cur) if cur.claims.expires_at > claims.expires_at => false,
            Some(cur) if cur.token == token => false,
            None => false, // forgotten on purpose: a late response must not bring it back
            _ => {
                *guard = Some(TokenState { token, claims });
                true
            }
        }
    }

    /// Forget the token: it is never sent again.
    pub fn forget(&self) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let token = self.state()?.token;
        let reply = self
            .client
            .request(method, path, query, body, Some(&token))
            .await?;
        if let Some(t) = reply.session_token {
            self.adopt(t);
        }
        reply.result
    }

    pub(crate) async fn call_multipart(
        &self,
        path: &str,
        file_name: String,
        bytes: Vec<u8>,
    ) -> Result<Value> {
        let token = self.state()?.token;
        let reply = self
            .client
            .request_file(path, file_name, bytes, Some(&token))
            .await?;
        if let Some(t) = reply.session_token {
            self.adopt(t);
        }
        reply.result
    }

    pub(crate) fn agent_path(&self, tail: &str) -> String {
        format!("/api/v2/agents/{}/{tail}", self.agent_id)
    }

    /// `GET /api/v2/session/current`.
    pub async fn current(&self) -> Result<Value> {
        self.call(Method::GET, "/api/v2/session/current", &[], None)
            .await
    }

    /// `POST /api/v2/session/extend?additional_hours=N`; adopts the token in the response.
    pub async fn extend(&self, additional_hours: u32) -> Result<Value> {
        if additional_hours == 0 {
            return Err(Error::validation("additional_hours must be greater than 0"));
        }
        let q = [("additional_hours", additional_hours.to_string())];
        let body = self
            .call(Method::POST, "/api/v2/session/extend", &q, None)
            .await?;
        if let Some(t) = body.get("session_token").and_then(Value::as_str) {
            self.adopt(Secret::new(t));
        }
        Ok(body)
    }

    /// `POST /api/v2/agents/{id}/deactivate`. The token is forgotten whatever the outcome.
    pub async fn deactivate(&self) -> Result<Value> {
        self.state()?; // already deactivated: say so rather than send anything
        self.forget();
        self.client.deactivate(&self.agent_id).await
    }
}
