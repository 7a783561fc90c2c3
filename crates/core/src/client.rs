//! The client: configuration, the transport, which server generation it talks to, and the
//! calls that need no session token (agents, activate, deactivate, sessions, status, health).
//! Memory calls live in `memory.rs` (through a session, `session.rs`).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::{ClientConfig, Secret};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Call, Replay, Reply, Transport};
use crate::ops::Op;
use crate::registry::Registry;
use crate::validate;
use crate::wire::{self, ServerInfo};

/// The Memanto client. Cheap to clone (shares one connection pool).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    registry: Registry,
    /// Found once per client (per base URL) from `GET /`, or pinned.
    server: tokio::sync::OnceCell<ServerInfo>,
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
        let server = match config.api_version {
            Some(g) => tokio::sync::OnceCell::new_with(Some(ServerInfo::pinned(g))),
            None => tokio::sync::OnceCell::new(),
        };
        let transport = Transport::new(config)?;
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                registry: Registry::default(),
                server,
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

    pub(crate) fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// Make every session of this client (or only those of `agent_id`) forget its token.
    pub fn forget_sessions(&self, agent_id: Option<&str>) {
        self.inner.registry.forget(agent_id);
    }

    /// What is known of the server without a request: `None` until detected (or pinned).
    pub fn server_cached(&self) -> Option<ServerInfo> {
        self.inner.server.get().cloned()
    }

    /// The server's generation and version: pinned, or found once from `GET /` (concurrent
    /// callers share one request).
    pub async fn server(&self) -> Result<ServerInfo> {
        self.inner
            .server
            .get_or_try_init(|| async {
                let call = Call::new(reqwest::Method::GET, "/", Replay::Safe).op("client.server");
                let body = self.inner.transport.send(&call, None).await?.result?;
                let info: memanto_protocol::wire::ServiceInfo = serde_json::from_value(body)
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::Server,
                            format!(
                                "GET / did not describe a Memanto server ({e}); check base_url, \
                                 or pin the generation with api_version=\"0.0\" or \"0.2\"."
                            ),
                        )
                    })?;
                let found = ServerInfo::from_service(&info).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Server,
                        format!(
                            "GET / reported no Memanto version ({}); check that base_url points at a \
                             Memanto server, or pin the generation with api_version=\"0.0\" or \"0.2\".",
                            info.version
                                .as_deref()
                                .map(crate::validate::shown)
                                .unwrap_or_else(|| "none".into())
                        ),
                    )
                })?;
                log::debug!(target: crate::http::LOG_TARGET, "server at {} speaks API generation {} (version {:?})", self.base_url(), found.generation, found.version);
                Ok(found)
            })
            .await
            .cloned()
    }

    /// Encode `op` for the server and send it (with `token` on memory calls).
    pub(crate) async fn dispatch<B: crate::http::FromBody>(
        &self,
        agent: &str,
        op: &Op<'_>,
        token: Option<&Secret>,
    ) -> Result<Reply<B>> {
        let server = self.server().await?;
        let call = wire::encode(&server, agent, op)?;
        let mut reply = self.inner.transport.send::<B>(&call, token).await?;
        reply.result = reply
            .result
            .map(|body: B| body.normalize(call.generation, op));
        Ok(reply)
    }

    async fn call(&self, op: Op<'_>) -> Result<Value> {
        self.dispatch("", &op, None).await?.result
    }

    /// `GET /health`.
    pub async fn health(&self) -> Result<Value> {
        self.call(Op::Health).await
    }

    /// One of the unauthenticated service routes: `/`, `/ready` or `/live`.
    pub async fn probe(&self, path: &str) -> Result<Value> {
        if !matches!(path, "/" | "/ready" | "/live") {
            return Err(Error::validation(format!(
                "{path:?} is not a service route (/, /ready, /live)"
            )));
        }
        let call = Call::new(reqwest::Method::GET, path, Replay::Safe).op("client.probe");
        self.inner.transport.send(&call, None).await?.result
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
        if let Some(p) = pattern {
            validate::one_of("pattern", p, &validate::PATTERNS)?;
        }
        self.call(Op::CreateAgent {
            agent_id,
            pattern,
            description,
            metadata: metadata.as_ref(),
        })
        .await
    }

    /// `GET /api/v2/agents`.
    pub async fn list_agents(&self) -> Result<Value> {
        self.call(Op::ListAgents).await
    }

    /// `GET /api/v2/agents/{agent_id}`.
    pub async fn get_agent(&self, agent_id: &str) -> Result<Value> {
        validate::agent_id(agent_id)?;
        self.call(Op::GetAgent(agent_id)).await
    }

    /// `DELETE /api/v2/agents/{agent_id}`; this client's sessions of the agent forget their
    /// tokens.
    pub async fn delete_agent(&self, agent_id: &str) -> Result<Value> {
        validate::agent_id(agent_id)?;
        let out = self.call(Op::DeleteAgent(agent_id)).await?;
        self.forget_sessions(Some(agent_id));
        Ok(out)
    }

    /// `POST /api/v2/agents/{agent_id}/activate`. Returns the session object (with the token).
    pub async fn activate(&self, agent_id: &str, duration_hours: Option<f64>) -> Result<Value> {
        validate::agent_id(agent_id)?;
        if let Some(h) = duration_hours {
            validate::positive_hours("duration_hours", h)?;
        }
        self.call(Op::Activate {
            agent_id,
            duration_hours,
        })
        .await
    }

    /// 0.0.x `GET /api/v2/sessions`: the server's sessions, newest first.
    pub async fn list_sessions(&self) -> Result<Value> {
        self.call(Op::ListSessions).await
    }

    /// 0.2.x `GET /api/v2/status`: the server's most recently created session (of any agent).
    pub async fn status(&self) -> Result<Value> {
        self.call(Op::Status).await
    }

    /// `POST /api/v2/agents/{agent_id}/deactivate` (needs no session token).
    pub async fn deactivate(&self, agent_id: &str) -> Result<Value> {
        validate::agent_id(agent_id)?;
        self.call(Op::Deactivate(agent_id)).await
    }
}
