//! The HTTP layer and the calls that need only the API key (agents, activate, deactivate,
//! health). Memory calls, which also need the session token, live in `session.rs`.

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::config::{ClientConfig, Secret};
use crate::error::{self, Error, ErrorKind, Result};
use crate::validate;

/// Header carrying the session JWT on memory calls (and, on newer servers, renewed tokens in
/// responses).
pub const SESSION_TOKEN_HEADER: &str = "x-session-token";

/// The outcome of one request: the JSON body or the mapped error, plus the replacement session
/// token when the server sent one in an `X-Session-Token` response header (on success or error).
#[derive(Debug)]
pub struct Reply {
    pub result: Result<Value>,
    pub session_token: Option<Secret>,
}

/// The Memanto client. Cheap to clone (shares one connection pool).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    auth: Option<HeaderValue>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.config.base_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("memanto-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(std::time::Duration::from_secs(30));
        if let Some(t) = config.timeout {
            builder = builder.timeout(t);
        }
        let http = builder.build().map_err(|e| {
            Error::new(
                ErrorKind::Connection,
                format!("could not build the HTTP client: {e}"),
            )
        })?;
        let auth = match &config.api_key {
            Some(k) => {
                let mut v =
                    HeaderValue::from_str(&format!("Bearer {}", k.expose())).map_err(|_| {
                        Error::validation(
                            "The API key contains characters not allowed in an HTTP header",
                        )
                    })?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        Ok(Client {
            inner: Arc::new(Inner { http, config, auth }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub fn base_url(&self) -> &str {
        &self.inner.config.base_url
    }

    fn secrets<'a>(&'a self, token: Option<&'a Secret>) -> Vec<&'a str> {
        let mut v = Vec::with_capacity(2);
        if let Some(k) = &self.inner.config.api_key {
            v.push(k.expose());
        }
        if let Some(t) = token {
            v.push(t.expose());
        }
        v
    }

    fn build(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        token: Option<&Secret>,
    ) -> Result<reqwest::RequestBuilder> {
        let url = format!("{}{}", self.inner.config.base_url, path);
        let mut headers = HeaderMap::with_capacity(3);
        if let Some(auth) = &self.inner.auth {
            headers.insert(AUTHORIZATION, auth.clone());
        }
        if let Some(t) = token {
            let mut v = HeaderValue::from_str(t.expose()).map_err(|_| {
                Error::new(
                    ErrorKind::InvalidSessionToken,
                    "The session token contains characters not allowed in an HTTP header; activate the agent again.",
                )
            })?;
            v.set_sensitive(true);
            headers.insert(SESSION_TOKEN_HEADER, v);
        }
        let mut req = self.inner.http.request(method, &url).headers(headers);
        if !query.is_empty() {
            req = req.query(query);
        }
        Ok(req)
    }

    /// Send one request with an optional JSON body. Errors that happen before a response
    /// arrives are returned as `Err`; once a response is in, its outcome is in `Reply::result`.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        token: Option<&Secret>,
    ) -> Result<Reply> {
        let mut req = self.build(method, path, query, token)?;
        if let Some(b) = body {
            req = req.json(b);
        }
        self.finish(req, token).await
    }

    /// POST a file as `multipart/form-data` (field `file`).
    pub async fn request_file(
        &self,
        path: &str,
        file_name: String,
        bytes: Vec<u8>,
        token: Option<&Secret>,
    ) -> Result<Reply> {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name);
        let form = reqwest::multipart::Form::new().part("file", part);
        let req = self.build(Method::POST, path, &[], token)?.multipart(form);
        self.finish(req, token).await
    }

    async fn finish(&self, req: reqwest::RequestBuilder, token: Option<&Secret>) -> Result<Reply> {
        let resp = req
            .send()
            .await
            .map_err(|e| error::from_transport(e, &self.secrets(token)))?;
        let status = resp.status().as_u16();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(CONTENT_TYPE);
        let retry_after = header(RETRY_AFTER)
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0);
        let session_token = header(reqwest::header::HeaderName::from_static(
            SESSION_TOKEN_HEADER,
        ))
        .filter(|s| !s.is_empty())
        .map(Secret::new);
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| error::from_transport(e, &self.secrets(token)))?;
        let secrets = self.secrets(token);
        let result = if !(200..300).contains(&status) {
            Err(error::from_response(
                status,
                &bytes,
                content_type.as_deref(),
                retry_after,
                &secrets,
            ))
        } else if bytes.is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                let ct = content_type.as_deref().unwrap_or("no content type");
                let mut err = Error::new(
                    ErrorKind::Server,
                    format!(
                        "The server answered HTTP {status} with a body that is not JSON ({ct}; {e}): {}. \
                         Check that base_url points at a Memanto server.",
                        error::redact(&error::snippet(&String::from_utf8_lossy(&bytes)), &secrets)
                    ),
                );
                err.status_code = Some(status);
                err
            })
        };
        Ok(Reply {
            result,
            session_token,
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value> {
        self.request(method, path, query, body, None).await?.result
    }

    /// `GET /health`.
    pub async fn health(&self) -> Result<Value> {
        self.call(Method::GET, "/health", &[], None).await
    }

    /// `GET /` (service name and version, used to tell server generations apart).
    pub async fn server_info(&self) -> Result<Value> {
        self.call(Method::GET, "/", &[], None).await
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
        self.call(Method::POST, "/api/v2/agents", &[], Some(&body))
            .await
    }

    /// `GET /api/v2/agents`.
    pub async fn list_agents(&self) -> Result<Value> {
        self.call(Method::GET, "/api/v2/agents", &[], None).await
    }

    /// `GET /api/v2/agents/{agent_id}`.
    pub async fn get_agent(&self, agent_id: &str) -> Result<Value> {
        validate::agent_id(agent_id)?;
        self.call(
            Method::GET,
            &format!("/api/v2/agents/{agent_id}"),
            &[],
            None,
        )
        .await
    }

    /// `DELETE /api/v2/agents/{agent_id}`.
    pub async fn delete_agent(&self, agent_id: &str) -> Result<Value> {
        validate::agent_id(agent_id)?;
        self.call(
            Method::DELETE,
            &format!("/api/v2/agents/{agent_id}"),
            &[],
            None,
        )
        .await
    }

    /// `POST /api/v2/agents/{agent_id}/activate`. Returns the session object (with the token).
    pub async fn activate(&self, agent_id: &str, duration_hours: Option<f64>) -> Result<Value> {
        validate::agent_id(agent_id)?;
        let body = match duration_hours {
            Some(h) => {
                validate::positive_hours("duration_hours", h)?;
                Some(json!({ "agent_id": agent_id, "duration_hours": h }))
            }
            None => None,
        };
        self.call(
            Method::POST,
            &format!("/api/v2/agents/{agent_id}/activate"),
            &[],
            body.as_ref(),
        )
        .await
    }

    /// `GET /api/v2/sessions`: the server's sessions, newest first.
    pub async fn list_sessions(&self) -> Result<Value> {
        self.call(Method::GET, "/api/v2/sessions", &[], None).await
    }

    /// `POST /api/v2/agents/{agent_id}/deactivate` (needs only the API key).
    pub async fn deactivate(&self, agent_id: &str) -> Result<Value> {
        validate::agent_id(agent_id)?;
        self.call(
            Method::POST,
            &format!("/api/v2/agents/{agent_id}/deactivate"),
            &[],
            None,
        )
        .await
    }
}
