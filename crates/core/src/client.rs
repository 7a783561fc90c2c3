//! The calls that need only the API key (agents, activate, deactivate, sessions, health).
//! Memory calls, which also need the session token, live in `memory.rs`; the transport
//! (retries, limits, logging) in `http.rs`.

use std::sync::{Arc, Mutex, Weak};

use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::config::{ClientConfig, Secret};
use crate::error::Result;
use crate::http::{Call, Replay, Reply, Transport};
use crate::session::Session;
use crate::validate;

/// The Memanto client. Cheap to clone (shares one connection pool).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    /// Sessions made through this client, so that deleting an agent or closing the client
    /// can make them forget their tokens.
    sessions: Mutex<Vec<Weak<Session>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self> {
        config.check()?;
        let transport = Transport::new(config)?;
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                sessions: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        self.inner.transport.config()
    }

    pub fn base_url(&self) -> &str {
        &self.config().base_url
    }

    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    pub(crate) fn track(&self, session: &Arc<Session>) {
        let mut list = self
            .inner
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(session));
    }

    /// Make every session of this client (or only those of `agent_id`) forget its token.
    pub fn forget_sessions(&self, agent_id: Option<&str>) {
        let list = self
            .inner
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for s in list.iter().filter_map(Weak::upgrade) {
            if agent_id.is_none_or(|a| a == s.agent_id()) {
                s.forget();
            }
        }
    }

    /// Send one call (see [`Transport::send`]).
    pub async fn request(&self, call: &Call<'_>, token: Option<&Secret>) -> Result<Reply> {
        self.inner.transport.send(call, token).await
    }

    async fn call(&self, call: Call<'_>) -> Result<Value> {
        self.request(&call, None).await?.result
    }

    /// `GET /health`.
    pub async fn health(&self) -> Result<Value> {
        self.call(Call::new(Method::GET, "/health", Replay::Safe))
            .await
    }

    /// `GET /` (service name and version, used to tell server generations apart).
    pub async fn server_info(&self) -> Result<Value> {
        self.probe("/").await
    }

    /// One of the unauthenticated service routes: `/`, `/ready` or `/live`.
    pub async fn probe(&self, path: &str) -> Result<Value> {
        if !matches!(path, "/" | "/ready" | "/live") {
            return Err(crate::error::Error::validation(format!(
                "{path:?} is not a service route (/, /ready, /live)"
            )));
        }
        self.call(Call::new(Method::GET, path, Replay::Safe)).await
    }

    /// `POST /api/v2/agents`.
    pub async fn create_agent(
        &self,
        agent_id: &str,
        pattern: Option<&str>,
        description: Option<&str>,
        metadata: Option<Map<String, Value>>,
    ) -> Result<Value> {
        validate::agent_id(agent_id)?;
        let mut body = json!({ "agent_id": agent_id });
        if let Some(p) = pattern {
            validate::one_of("pattern", p, &validate::PATTERNS)?;
            body["pattern"] = json!(p);
        }
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        if let Some(m) = metadata {
            body["metadata"] = Value::Object(m);
        }
        // Replaying a create is harmless: a duplicate gets 409 instead of a second agent.
        self.call(Call::new(Method::POST, "/api/v2/agents", Replay::Safe).json(body))
            .await
    }

    /// `GET /api/v2/agents`.
    pub async fn list_agents(&self) -> Result<Value> {
        self.call(Call::new(Method::GET, "/api/v2/agents", Replay::Safe))
            .await
    }

    /// `GET /api/v2/agents/{agent_id}`.
    pub async fn get_agent(&self, agent_id: &str) -> Result<Value> {
        validate::agent_id(agent_id)?;
        self.call(Call::new(
            Method::GET,
            &format!("/api/v2/agents/{agent_id}"),
            Replay::Safe,
        ))
        .await
    }

    /// `DELETE /api/v2/agents/{agent_id}`.
    pub async fn delete_agent(&self, agent_id: &str) -> Result<Value> {
        validate::agent_id(agent_id)?;
        let path = format!("/api/v2/agents/{agent_id}");
        let out = self
            .call(Call::new(Method::DELETE, &path, Replay::Safe))
            .await?;
        self.forget_sessions(Some(agent_id));
        Ok(out)
    }

    /// `POST /api/v2/agents/{agent_id}/activate`. Returns the session object (with the token).
    pub async fn activate(&self, agent_id: &str, duration_hours: Option<f64>) -> Result<Value> {
        validate::agent_id(agent_id)?;
        let path = format!("/api/v2/agents/{agent_id}/activate");
        let mut call = Call::new(Method::POST, &path, Replay::Unsafe);
        if let Some(h) = duration_hours {
            validate::positive_hours("duration_hours", h)?;
            call = call.json(json!({ "agent_id": agent_id, "duration_hours": h }));
        }
        self.call(call).await
    }

    /// `GET /api/v2/sessions`: the server's sessions, newest first.
    pub async fn list_sessions(&self) -> Result<Value> {
        self.call(Call::new(Method::GET, "/api/v2/sessions", Replay::Safe))
            .await
    }

    /// `POST /api/v2/agents/{agent_id}/deactivate` (needs only the API key).
    pub async fn deactivate(&self, agent_id: &str) -> Result<Value> {
        validate::agent_id(agent_id)?;
        let path = format!("/api/v2/agents/{agent_id}/deactivate");
        self.call(Call::new(Method::POST, &path, Replay::Safe))
            .await
    }
}
