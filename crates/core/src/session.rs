//! A session: one agent's session token plus the memory calls that need it.
//! The token lives only in memory, is never shown in `Debug`, and is forgotten on deactivate.

use std::sync::RwLock;

use reqwest::Method;
use serde_json::{json, Value};

use crate::client::Client;
use crate::config::Secret;
use crate::error::{Error, ErrorKind, Result};
use crate::token::{decode_session_token, SessionClaims};
use crate::validate;

/// One memory to store (remember / batch-remember).
#[derive(Debug, Clone, Default)]
pub struct MemoryInput {
    pub content: String,
    pub memory_type: Option<String>,
    pub title: Option<String>,
    pub confidence: Option<f64>,
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub provenance: Option<String>,
}

impl MemoryInput {
    pub fn validate(&self) -> Result<()> {
        validate::content(&self.content, "content")?;
        if let Some(t) = &self.memory_type {
            validate::one_of("memory type", t, &validate::MEMORY_TYPES)?;
        }
        if let Some(t) = &self.title {
            validate::title(t)?;
        }
        if let Some(c) = self.confidence {
            validate::unit_interval("confidence", c)?;
        }
        validate::tags(&self.tags)?;
        if let Some(p) = &self.provenance {
            validate::one_of("provenance", p, &validate::PROVENANCES)?;
        }
        if let Some(s) = &self.source {
            if s.trim().is_empty() {
                return Err(Error::validation("source must not be empty"));
            }
        }
        Ok(())
    }

    /// The JSON item for batch-remember, and the full body for remember on newer servers.
    fn to_json(&self) -> Value {
        let mut v = json!({ "content": self.content });
        if let Some(t) = &self.memory_type {
            v["type"] = json!(t);
        }
        if let Some(t) = &self.title {
            v["title"] = json!(t);
        }
        if let Some(c) = self.confidence {
            v["confidence"] = json!(c);
        }
        if !self.tags.is_empty() {
            v["tags"] = json!(self.tags);
        }
        if let Some(s) = &self.source {
            v["source"] = json!(s);
        }
        if let Some(p) = &self.provenance {
            v["provenance"] = json!(p);
        }
        v
    }

    /// The query parameters the 0.0.8 server reads for remember.
    fn legacy_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(t) = &self.memory_type {
            q.push(("memory_type", t.clone()));
        }
        if let Some(t) = &self.title {
            q.push(("title", t.clone()));
        }
        if let Some(c) = self.confidence {
            q.push(("confidence", c.to_string()));
        }
        if !self.tags.is_empty() {
            q.push(("tags", self.tags.join(",")));
        }
        if let Some(s) = &self.source {
            q.push(("source", s.clone()));
        }
        if let Some(p) = &self.provenance {
            q.push(("provenance", p.clone()));
        }
        q
    }
}

/// Arguments of recall (`GET /api/v2/agents/{id}/recall`).
#[derive(Debug, Clone, Default)]
pub struct RecallArgs {
    pub query: String,
    pub limit: Option<u32>,
    pub min_similarity: Option<f64>,
    /// ISO-8601 strings (UTC).
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    pub memory_types: Vec<String>,
    pub tags: Vec<String>,
}

/// Arguments of answer (`POST /api/v2/agents/{id}/answer`).
#[derive(Debug, Clone, Default)]
pub struct AnswerArgs {
    pub question: String,
    pub limit: Option<u32>,
    pub threshold: Option<f64>,
    pub temperature: Option<f64>,
    pub ai_model: Option<String>,
    pub kiosk_mode: Option<bool>,
    pub header_prompt: Option<String>,
    pub footer_prompt: Option<String>,
}

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
        f.debug_struct("Session").field("agent_id", &self.agent_id).finish_non_exhaustive()
    }
}

fn session_token_of(body: &Value) -> Result<String> {
    body.get("session_token").and_then(Value::as_str).map(str::to_string).ok_or_else(|| {
        Error::new(ErrorKind::Server, "The activate response carried no session_token; is base_url a Memanto server?")
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
            (None, None) => return Err(Error::validation("the session token names no agent_id; pass agent_id")),
        };
        validate::agent_id(&agent_id)?;
        Ok(Session {
            client,
            agent_id,
            state: RwLock::new(Some(TokenState { token: Secret::new(token.trim()), claims })),
        })
    }

    /// Activate `agent_id` and return the session with the body of the activate response.
    pub async fn activate(client: &Client, agent_id: &str, duration_hours: Option<f64>) -> Result<(Self, Value)> {
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
        self.state.read().unwrap_or_else(|e| e.into_inner()).clone().ok_or_else(|| Error::no_token(&self.agent_id))
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
        self.state.read().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// Take a replacement token if it decodes, belongs to this agent and does not expire
    /// earlier than the one held (so the newest token wins, not the last response to arrive).
    pub fn adopt(&self, token: Secret) -> bool {
        let Ok(claims) = decode_session_token(token.expose()) else { return false };
        if claims.agent_id.as_deref().is_some_and(|a| a != self.agent_id) {
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

    async fn call(&self, method: Method, path: &str, query: &[(&str, String)], body: Option<&Value>) -> Result<Value> {
        let token = self.state()?.token;
        let reply = self.client.request(method, path, query, body, Some(&token)).await?;
        if let Some(t) = reply.session_token {
            self.adopt(t);
        }
        reply.result
    }

    fn agent_path(&self, tail: &str) -> String {
        format!("/api/v2/agents/{}/{tail}", self.agent_id)
    }

    /// `POST /api/v2/agents/{id}/remember`: content in the JSON body, the other fields as query
    /// parameters (as the 0.0.8 server reads them) and in the body (as newer servers do).
    pub async fn remember(&self, memory: &MemoryInput) -> Result<Value> {
        memory.validate()?;
        let body = memory.to_json();
        self.call(Method::POST, &self.agent_path("remember"), &memory.legacy_query(), Some(&body)).await
    }

    /// `POST /api/v2/agents/{id}/batch-remember` with 1..100 memories.
    pub async fn batch_remember(&self, memories: &[MemoryInput]) -> Result<Value> {
        if memories.is_empty() || memories.len() > validate::MAX_BATCH {
            return Err(Error::validation(format!(
                "batch_remember takes 1 to {} memories per request, got {}",
                validate::MAX_BATCH,
                memories.len()
            )));
        }
        for (i, m) in memories.iter().enumerate() {
            m.validate().map_err(|e| Error::validation(format!("memory {i}: {}", e.message)))?;
        }
        let body = json!({ "memories": memories.iter().map(MemoryInput::to_json).collect::<Vec<_>>() });
        self.call(Method::POST, &self.agent_path("batch-remember"), &[], Some(&body)).await
    }

    /// `GET /api/v2/agents/{id}/recall`.
    pub async fn recall(&self, args: &RecallArgs) -> Result<Value> {
        validate::query(&args.query, "query")?;
        let mut q = vec![("query", args.query.clone())];
        if let Some(l) = args.limit {
            validate::limit(l)?;
            q.push(("limit", l.to_string()));
        }
        if let Some(m) = args.min_similarity {
            validate::unit_interval("min_similarity", m)?;
            q.push(("min_similarity", m.to_string()));
        }
        if let Some(a) = &args.created_after {
            q.push(("created_after", a.clone()));
        }
        if let Some(b) = &args.created_before {
            q.push(("created_before", b.clone()));
        }
        if !args.memory_types.is_empty() {
            for t in &args.memory_types {
                validate::one_of("memory type", t, &validate::MEMORY_TYPES)?;
            }
            q.push(("memory_types", args.memory_types.join(",")));
        }
        if !args.tags.is_empty() {
            validate::tags(&args.tags)?;
            q.push(("tags", args.tags.join(",")));
        }
        self.call(Method::GET, &self.agent_path("recall"), &q, None).await
    }

    /// `POST /api/v2/agents/{id}/answer`: question (and prompts) in the body, options in the query.
    pub async fn answer(&self, args: &AnswerArgs) -> Result<Value> {
        validate::query(&args.question, "question")?;
        let mut body = json!({ "question": args.question });
        if let Some(h) = &args.header_prompt {
            body["header_prompt"] = json!(h);
        }
        if let Some(f) = &args.footer_prompt {
            body["footer_prompt"] = json!(f);
        }
        let mut q = Vec::new();
        if let Some(l) = args.limit {
            validate::limit(l)?;
            q.push(("limit", l.to_string()));
        }
        if let Some(t) = args.threshold {
            validate::unit_interval("threshold", t)?;
            q.push(("threshold", t.to_string()));
        }
        if let Some(t) = args.temperature {
            validate::unit_interval("temperature", t)?;
            q.push(("temperature", t.to_string()));
        }
        if let Some(m) = &args.ai_model {
            q.push(("aiModel", m.clone()));
        }
        if let Some(k) = args.kiosk_mode {
            q.push(("kiosk_mode", k.to_string()));
        }
        self.call(Method::POST, &self.agent_path("answer"), &q, Some(&body)).await
    }

    /// `GET /api/v2/session/current`.
    pub async fn current(&self) -> Result<Value> {
        self.call(Method::GET, "/api/v2/session/current", &[], None).await
    }

    /// `POST /api/v2/session/extend?additional_hours=N`; adopts the token in the response.
    pub async fn extend(&self, additional_hours: u32) -> Result<Value> {
        if additional_hours == 0 {
            return Err(Error::validation("additional_hours must be greater than 0"));
        }
        let q = [("additional_hours", additional_hours.to_string())];
        let body = self.call(Method::POST, "/api/v2/session/extend", &q, None).await?;
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
