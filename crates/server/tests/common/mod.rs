//! Helpers to drive the router in-process with `tower::ServiceExt::oneshot`.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use memanto_server::{router, ApiMode, AppState, ServerConfig};
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

pub const KEY: &str = "test-key-123";

pub struct App {
    pub state: AppState,
    router: Router,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// The renewed token of a 0.2 response, if any.
    pub fn renewed(&self) -> Option<String> {
        self.headers
            .get("x-session-token")
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// `detail.error` of a family-B error.
    pub fn error(&self) -> &str {
        self.body["detail"]["error"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.body["detail"]["message"].as_str().unwrap_or("")
    }
}

impl App {
    pub fn new() -> App {
        Self::with_duration(Duration::from_secs(3600))
    }

    pub fn with_duration(session_duration: Duration) -> App {
        Self::with_config(ServerConfig {
            session_duration,
            ..ServerConfig::default()
        })
    }

    /// A strict 0.2.30 server (1 h sessions).
    pub fn current() -> App {
        Self::with_config(ServerConfig {
            api_version: ApiMode::Current,
            session_duration: Duration::from_secs(3600),
            ..ServerConfig::default()
        })
    }

    /// A strict 0.0.8 server (1 h sessions).
    pub fn legacy() -> App {
        Self::with_config(ServerConfig {
            api_version: ApiMode::Legacy,
            session_duration: Duration::from_secs(3600),
            ..ServerConfig::default()
        })
    }

    /// A server for `config`, with [`KEY`] as its only key.
    pub fn with_config(config: ServerConfig) -> App {
        let config = ServerConfig {
            api_keys: vec![KEY.to_owned()],
            ..config
        };
        let state = AppState::open(&config).expect("open state");
        App {
            router: router(state.clone()),
            state,
        }
    }

    pub fn call(&self, method: Method, uri: impl Into<String>) -> Call<'_> {
        Call {
            app: self,
            method,
            uri: uri.into(),
            headers: Vec::new(),
            body: None,
        }
    }
    pub fn get(&self, uri: impl Into<String>) -> Call<'_> {
        self.call(Method::GET, uri)
    }
    pub fn post(&self, uri: impl Into<String>) -> Call<'_> {
        self.call(Method::POST, uri)
    }
    pub fn delete(&self, uri: impl Into<String>) -> Call<'_> {
        self.call(Method::DELETE, uri)
    }
    pub fn patch(&self, uri: impl Into<String>) -> Call<'_> {
        self.call(Method::PATCH, uri)
    }

    /// `GET /api/v2/agents/{id}/<route>?<query>` with key and token; asserts 200.
    pub async fn get_ok(
        &self,
        id: &str,
        token: &str,
        route: &str,
        query: &[(&str, &str)],
    ) -> Value {
        let r = self
            .get(format!("/api/v2/agents/{id}/{route}{}", qs(query)))
            .key()
            .token(token)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{route} {query:?}: {}", r.text);
        r.body
    }

    /// `POST /api/v2/agents/{id}/<route>` with key, token and an optional JSON body.
    pub async fn post_as(&self, id: &str, token: &str, route: &str, body: Option<Value>) -> Resp {
        let call = self
            .post(format!("/api/v2/agents/{id}/{route}"))
            .key()
            .token(token);
        match body {
            Some(b) => call.json(b),
            None => call,
        }
        .send()
        .await
    }

    /// Creates an agent (asserting 201) and returns its AgentInfo.
    pub async fn create_agent(&self, id: &str) -> Value {
        let r = self
            .post("/api/v2/agents")
            .key()
            .json(json!({ "agent_id": id }))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.body
    }

    /// Activates an agent (asserting 200) and returns `(token, session)`.
    pub async fn activate(&self, id: &str) -> (String, Value) {
        let r = self
            .post(format!("/api/v2/agents/{id}/activate"))
            .key()
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        (r.body["session_token"].as_str().unwrap().to_owned(), r.body)
    }

    /// Creates and activates an agent; returns its token.
    pub async fn agent_with_session(&self, id: &str) -> String {
        self.create_agent(id).await;
        self.activate(id).await.0
    }

    /// Stores a memory via `remember` with extra query parameters; returns the response body.
    pub async fn remember(
        &self,
        id: &str,
        token: &str,
        content: &str,
        query: &[(&str, &str)],
    ) -> Value {
        let r = self
            .post(format!("/api/v2/agents/{id}/remember{}", qs(query)))
            .key()
            .token(token)
            .json(json!({ "content": content }))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }

    /// Recall with query parameters; asserts 200 and returns the body.
    pub async fn recall(&self, id: &str, token: &str, query: &[(&str, &str)]) -> Value {
        let r = self
            .get(format!("/api/v2/agents/{id}/recall{}", qs(query)))
            .key()
            .token(token)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body
    }
}

/// `?a=b&c=d`, URL-encoded (empty string for no parameters).
pub fn qs(params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return String::new();
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    format!("?{}", s.finish())
}

pub struct Call<'a> {
    app: &'a App,
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Call<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn key(self) -> Self {
        self.header("authorization", &format!("Bearer {KEY}"))
    }
    /// The 0.2 management credential header.
    pub fn api_key(self) -> Self {
        self.header("x-api-key", KEY)
    }
    pub fn token(self, token: &str) -> Self {
        self.header("x-session-token", token)
    }
    pub fn json(mut self, v: Value) -> Self {
        self.body = Some(serde_json::to_vec(&v).unwrap());
        self.header("content-type", "application/json")
    }
    pub fn raw(mut self, body: &str) -> Self {
        self.body = Some(body.as_bytes().to_vec());
        self.header("content-type", "application/json")
    }

    /// A `multipart/form-data` body with one file field.
    pub fn multipart(mut self, field: &str, file_name: &str, content: &[u8]) -> Self {
        const BOUNDARY: &str = "XtestBoundaryX";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        self.body = Some(body);
        self.header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
    }

    /// A raw body with its content type.
    pub fn bytes(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.body = Some(body);
        self.header("content-type", content_type)
    }

    pub async fn send(self) -> Resp {
        let mut req = Request::builder().method(self.method).uri(self.uri);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let req = req.body(Body::from(self.body.unwrap_or_default())).unwrap();
        let res = self.app.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }
}

/// The sorted keys of a JSON object.
pub fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// The 19 keys of a 0.2 memory item (API-0.2 §9.1), sorted.
pub const ITEM_KEYS: [&str; 19] = [
    "actor_id",
    "agent_id",
    "change_type",
    "confidence",
    "content",
    "created_at",
    "expired_at",
    "expired_by",
    "id",
    "provenance",
    "score",
    "source",
    "source_ref",
    "status",
    "tags",
    "text",
    "title",
    "type",
    "updated_at",
];

/// A Current-mode server (1 h sessions) with `f` applied to its config.
pub fn current_with(f: impl FnOnce(&mut ServerConfig)) -> App {
    let mut config = ServerConfig {
        api_version: ApiMode::Current,
        session_duration: Duration::from_secs(3600),
        ..ServerConfig::default()
    };
    f(&mut config);
    App::with_config(config)
}

/// The claims of a JWT (no verification).
pub fn claims(token: &str) -> Value {
    use std::io::Read;
    let part = token.split('.').nth(1).unwrap();
    let mut padded = part.replace('-', "+").replace('_', "/");
    while !padded.len().is_multiple_of(4) {
        padded.push('=');
    }
    // Minimal base64 decoder, to avoid a dependency.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in padded.bytes().filter(|c| *c != b'=') {
        bits = (bits << 6) | alphabet.iter().position(|a| *a == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    let mut s = String::new();
    out.as_slice().read_to_string(&mut s).unwrap();
    serde_json::from_str(&s).unwrap()
}
