//! The transport: one connection pool per process shared by every call (hyper-util's client
//! for plain HTTP, `direct.rs`; reqwest for HTTPS, proxies and uploads; one exchange on
//! either is `exchange.rs`), with the API key header, a bound on
//! connections in use (callers queue rather than fail), retries with backoff and jitter that
//! obey `Retry-After`, a cap on response size, the server clock offset, and request logging
//! (method, path, status, attempt, elapsed ms; never headers, bodies or query strings).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE, LOCATION,
    RETRY_AFTER, USER_AGENT,
};
use reqwest::Method;
use serde_json::Value;
use tokio::sync::Semaphore;

use memanto_protocol::Generation;

use crate::config::{ClientConfig, Secret};
use crate::direct::Direct;
use crate::error::{self, Error, ErrorKind, Result};
use crate::exchange::{
    exchange, read_body, redirected, too_long, Failure, Prepared, USER_AGENT_VALUE,
};

pub use memanto_protocol::{API_KEY_HEADER, SESSION_TOKEN_HEADER};
/// Log target: Python sees these records under the `memanto_client` logger.
pub const LOG_TARGET: &str = "memanto_client";

/// Whether a request may be sent again after it may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Reads and idempotent writes: retried after timeouts' cousins (resets, 5xx).
    Safe,
    /// Writes whose repetition would duplicate an effect (remember, extend, supersede, ...):
    /// retried only when the request provably never reached the server (connect errors), or
    /// the server said it did not process it (408, 429).
    Unsafe,
}

/// What to send.
#[derive(Debug, Clone)]
pub enum Payload {
    Empty,
    Json(Value),
    File { name: String, bytes: Vec<u8> },
}

/// What a call addresses, for error messages: the SDK call's name and whether the route
/// names a memory (so that a 404 there says "check the memory id").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub op: &'static str,
    pub names_memory: bool,
}

/// One API call, as a generation module encoded it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    /// Path under the base URL, e.g. `/api/v2/agents/bot/recall`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub payload: Payload,
    pub replay: Replay,
    /// Send the key as `X-Api-Key` too (0.2.x management routes, and memory routes where
    /// the server may recreate an expired session for a management caller).
    pub api_key_header: bool,
    /// The generation whose error rules classify this call's failures.
    pub generation: Generation,
    pub target: Target,
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>, replay: Replay) -> Self {
        Call {
            method,
            path: path.into(),
            query: Vec::new(),
            payload: Payload::Empty,
            replay,
            api_key_header: false,
            generation: Generation::Legacy,
            target: Target {
                op: "request",
                names_memory: false,
            },
        }
    }
    pub fn query(mut self, query: Vec<(&'static str, String)>) -> Self {
        self.query = query;
        self
    }
    pub fn json(mut self, body: Value) -> Self {
        self.payload = Payload::Json(body);
        self
    }
    pub fn body<T: serde::Serialize>(self, body: &T) -> Self {
        let v = serde_json::to_value(body).unwrap_or(Value::Null);
        self.json(v)
    }
    pub fn op(mut self, op: &'static str) -> Self {
        self.target.op = op;
        self
    }
    pub fn names_memory(mut self) -> Self {
        self.target.names_memory = true;
        self
    }
    pub fn mgmt(mut self) -> Self {
        self.api_key_header = true;
        self
    }
    pub fn generation(mut self, generation: Generation) -> Self {
        self.generation = generation;
        self
    }
}

/// The outcome of one call: the JSON body or the mapped error, plus the replacement session
/// token when the server sent one in an `X-Session-Token` response header (on success or error).
#[derive(Debug)]
pub struct Reply<B = Value> {
    pub result: Result<B>,
    pub session_token: Option<Secret>,
}

/// What a body's error message needs to know about its response.
pub struct BodyMeta<'a> {
    pub status: u16,
    pub content_type: Option<&'a str>,
    /// Redacted from any body quoted in a message.
    pub secrets: &'a [&'a str],
}

/// The error for a success status whose body is not JSON.
fn not_json(meta: &BodyMeta<'_>, e: &serde_json::Error, bytes: &[u8]) -> Error {
    let ct = meta.content_type.unwrap_or("no content type");
    let mut err = Error::new(
        ErrorKind::Server,
        format!(
            "The server answered HTTP {} with a body that is not JSON ({ct}; {e}): {}. \
             Check that base_url points at a Memanto server.",
            meta.status,
            error::snippet(&error::redact(
                &String::from_utf8_lossy(bytes),
                meta.secrets
            ))
        ),
    );
    err.status_code = Some(meta.status);
    err
}

/// How a successful response's body is kept: parsed into a `serde_json::Value` or a
/// [`Tape`](crate::tape::Tape), or [`Deferred`] as bytes for the consumer to parse.
pub trait FromBody: Sized + Send + 'static {
    /// Parse a body (empty: no content).
    fn from_body(bytes: Vec<u8>, meta: &BodyMeta<'_>) -> Result<Self>;
    /// A generation's reshaping of the reply of `op` (only `Value` replies are reshaped; the
    /// operations whose replies are reshaped ask for a `Value`).
    fn normalize(self, _generation: crate::Generation, _op: &crate::ops::Op<'_>) -> Self {
        self
    }
}

impl FromBody for Value {
    fn from_body(bytes: Vec<u8>, meta: &BodyMeta<'_>) -> Result<Self> {
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| not_json(meta, &e, &bytes))
    }
    fn normalize(self, generation: crate::Generation, op: &crate::ops::Op<'_>) -> Self {
        crate::wire::normalize(generation, op, self)
    }
}

impl FromBody for crate::tape::Tape {
    fn from_body(bytes: Vec<u8>, meta: &BodyMeta<'_>) -> Result<Self> {
        if bytes.is_empty() {
            return Ok(crate::tape::Tape::from_value(&Value::Null));
        }
        crate::tape::Tape::parse(bytes).map_err(|(e, bytes)| not_json(meta, &e, &bytes))
    }
}

/// A body not parsed yet: a sync caller parses it (`Deferred::parse`) once its call is done,
/// outside the runtime.
pub struct Deferred {
    bytes: Vec<u8>,
    status: u16,
    content_type: Option<String>,
    secrets: Vec<Secret>,
}

impl Deferred {
    pub fn parse<B: FromBody>(self) -> Result<B> {
        let secrets: Vec<&str> = self.secrets.iter().map(Secret::expose).collect();
        let meta = BodyMeta {
            status: self.status,
            content_type: self.content_type.as_deref(),
            secrets: &secrets,
        };
        B::from_body(self.bytes, &meta)
    }
}

impl FromBody for Deferred {
    fn from_body(bytes: Vec<u8>, meta: &BodyMeta<'_>) -> Result<Self> {
        Ok(Deferred {
            bytes,
            status: meta.status,
            content_type: meta.content_type.map(str::to_string),
            secrets: meta.secrets.iter().map(|s| Secret::new(*s)).collect(),
        })
    }
}

/// What must not cross a `fork()`: the connection pool (its sockets and the tasks driving them
/// belong to the parent's runtime) and the connection permits (held by the parent's tasks).
struct PerProcess {
    fork: u64,
    http: reqwest::Client,
    /// The direct path, for a plain-HTTP server no proxy applies to (`direct.rs`).
    direct: Option<Direct>,
    permits: Arc<Semaphore>,
}

pub struct Transport {
    per_process: ArcSwap<PerProcess>,
    config: ClientConfig,
    auth: Option<HeaderValue>,
    /// The key as an `X-Api-Key` value (0.2.x management credential).
    api_key_value: Option<HeaderValue>,
    /// Server clock minus local clock, in milliseconds, from the last `Date` header.
    skew_ms: AtomicI64,
    /// `base_url` parsed once; each request's URL is a copy with its path and query set.
    base: reqwest::Url,
    /// The base URL's path without its trailing slash (prefixed to every call's path).
    prefix: String,
}

enum Attempt<B> {
    Done(Reply<B>),
    Retry {
        error: Error,
        wait: Option<Duration>,
    },
}

impl Transport {
    pub fn new(config: ClientConfig) -> Result<Self> {
        let header = |text: String| {
            let mut v = HeaderValue::from_str(&text).map_err(|_| {
                Error::validation("The API key contains characters not allowed in an HTTP header")
            })?;
            v.set_sensitive(true);
            Ok::<_, Error>(v)
        };
        let auth = match &config.api_key {
            Some(k) => Some(header(format!("Bearer {}", k.expose()))?),
            None => None,
        };
        let api_key_value = match &config.api_key {
            Some(k) => Some(header(k.expose().to_string())?),
            None => None,
        };
        let base = reqwest::Url::parse(&config.base_url)
            .map_err(|e| Error::validation(format!("base_url is not a valid URL ({e})")))?;
        let per_process = ArcSwap::from_pointee(Self::for_this_process(&config, &base)?);
        let prefix = base.path().trim_end_matches('/').to_string();
        Ok(Transport {
            per_process,
            config,
            auth,
            api_key_value,
            skew_ms: AtomicI64::new(0),
            base,
            prefix,
        })
    }

    fn for_this_process(config: &ClientConfig, base: &reqwest::Url) -> Result<PerProcess> {
        let builder = reqwest::Client::builder()
            .user_agent(USER_AGENT_VALUE)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(config.max_connections);
        let builder = if crate::direct::is_loopback(base) {
            builder.no_proxy()
        } else {
            builder
        };
        let http = builder.build().map_err(|e| {
            Error::new(
                ErrorKind::Connection,
                format!("could not build the HTTP client: {e}"),
            )
        })?;
        Ok(PerProcess {
            fork: crate::fork::generation(),
            http,
            direct: Direct::for_base(base, config),
            permits: Arc::new(Semaphore::new(config.max_connections)),
        })
    }

    /// This process's pool and permits; rebuilt in a child after `fork()`.
    fn process(&self) -> Arc<PerProcess> {
        let current = self.per_process.load_full();
        if current.fork == crate::fork::generation() {
            return current;
        }
        match Self::for_this_process(&self.config, &self.base) {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                self.per_process.store(fresh.clone());
                fresh
            }
            Err(_) => current,
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The server's current time, estimated from the last `Date` header it sent.
    pub fn server_now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.skew_ms.load(Ordering::Relaxed))
    }

    fn secrets<'a>(&'a self, token: Option<&'a Secret>) -> Vec<&'a str> {
        let mut v = Vec::with_capacity(2);
        if let Some(k) = &self.config.api_key {
            v.push(k.expose());
        }
        if let Some(t) = token {
            v.push(t.expose());
        }
        v
    }

    /// The URL and headers of `call` (the API key, the session token, and for the direct path
    /// the user agent and content type that reqwest would add).
    fn parts(
        &self,
        call: &Call,
        token: Option<&Secret>,
        direct: bool,
    ) -> Result<(reqwest::Url, HeaderMap)> {
        let mut url = self.base.clone();
        if self.prefix.is_empty() {
            url.set_path(&call.path);
        } else {
            url.set_path(&format!("{}{}", self.prefix, call.path));
        }
        if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut headers = HeaderMap::with_capacity(8);
        if let Some(auth) = &self.auth {
            headers.insert(AUTHORIZATION, auth.clone());
        }
        if call.api_key_header {
            if let Some(v) = &self.api_key_value {
                headers.insert(API_KEY_HEADER, v.clone());
            }
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
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if matches!(call.payload, Payload::Empty)
            && matches!(call.method, Method::POST | Method::PUT | Method::PATCH)
        {
            // RFC 9110: a body-carrying method without a body says so (some front ends
            // answer 411 otherwise).
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        if direct {
            headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
            if matches!(call.payload, Payload::Json(_)) {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
        }
        Ok((url, headers))
    }

    /// The request of `call`, on the direct path where this process has one and the payload
    /// allows it (file uploads go through reqwest's multipart support).
    fn build<'p>(
        &self,
        process: &'p PerProcess,
        call: &Call,
        token: Option<&Secret>,
    ) -> Result<Prepared<'p>> {
        let direct = process
            .direct
            .as_ref()
            .filter(|_| !matches!(call.payload, Payload::File { .. }));
        let (url, headers) = self.parts(call, token, direct.is_some())?;
        if let Some(d) = direct {
            let json = match &call.payload {
                Payload::Json(v) => Some(serde_json::to_vec(v).map_err(|e| {
                    Error::validation(format!(
                        "The request body could not be encoded as JSON ({e})."
                    ))
                })?),
                _ => None,
            };
            let req = d
                .request(&call.method, &url, headers, json)
                .ok_or_else(too_long)?;
            return Ok(Prepared::Direct(d, req));
        }
        let req = process
            .http
            .request(call.method.clone(), url)
            .headers(headers);
        Ok(Prepared::Reqwest(match &call.payload {
            Payload::Empty => req,
            Payload::Json(v) => req.json(v),
            Payload::File { name, bytes } => {
                let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone());
                req.multipart(reqwest::multipart::Form::new().part("file", part))
            }
        }))
    }

    /// Send `call`, retrying as its `Replay` allows. Errors before any response arrived are
    /// `Err`; once a final response is in, its outcome is in `Reply::result`.
    pub async fn send<B: FromBody>(&self, call: &Call, token: Option<&Secret>) -> Result<Reply<B>> {
        // Built on the first retry only.
        let mut backoff: Option<backon::ExponentialBackoff> = None;
        // `timeout` bounds the whole call: queueing for a connection, every attempt and every
        // wait between attempts.
        let deadline = self.config.timeout.map(|t| Instant::now() + t);
        let mut attempt: u32 = 1;
        loop {
            let started = Instant::now();
            let outcome = self.attempt(call, token, deadline).await;
            let elapsed_ms = started.elapsed().as_millis();
            match outcome {
                Ok(Attempt::Done(reply)) => {
                    let status = match &reply.result {
                        Ok(_) => "ok".to_string(),
                        Err(e) => e
                            .status_code
                            .map_or_else(|| "error".into(), |s| s.to_string()),
                    };
                    log::debug!(target: LOG_TARGET, "{} {} -> {status} (attempt {attempt}, {elapsed_ms} ms)", call.method, call.path);
                    return Ok(reply);
                }
                Ok(Attempt::Retry { error, wait }) => {
                    let backoff = backoff.get_or_insert_with(|| {
                        backon::BackoffBuilder::build(
                            backon::ExponentialBuilder::default()
                                .with_min_delay(self.config.retry.initial_backoff)
                                .with_max_delay(self.config.retry.max_backoff)
                                .with_jitter()
                                .with_max_times(self.config.retry.max_retries as usize),
                        )
                    });
                    let Some(delay) = backoff.next() else {
                        log::debug!(target: LOG_TARGET, "{} {} -> {} (attempt {attempt}, {elapsed_ms} ms, giving up)", call.method, call.path, describe(&error));
                        return give_up(error);
                    };
                    let delay = wait.unwrap_or(delay);
                    if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                        log::debug!(target: LOG_TARGET, "{} {} -> {} (attempt {attempt}, {elapsed_ms} ms, no time left to retry)", call.method, call.path, describe(&error));
                        return give_up(error);
                    }
                    log::info!(
                        target: LOG_TARGET,
                        "{} {} -> {} (attempt {attempt}, {elapsed_ms} ms); retrying in {} ms",
                        call.method, call.path, describe(&error), delay.as_millis()
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => {
                    log::debug!(target: LOG_TARGET, "{} {} -> {} (attempt {attempt}, {elapsed_ms} ms)", call.method, call.path, describe(&e));
                    return Err(e);
                }
            }
        }
    }

    async fn attempt<B: FromBody>(
        &self,
        call: &Call,
        token: Option<&Secret>,
        deadline: Option<Instant>,
    ) -> Result<Attempt<B>> {
        let process = self.process();
        let prepared = self.build(&process, call, token)?;
        let acquire = process.permits.acquire();
        let _permit = match deadline {
            Some(d) => tokio::time::timeout_at(d.into(), acquire)
                .await
                .map_err(|_| {
                    Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "No connection became free within the timeout (max_connections={}); \
                         raise timeout=... or max_connections=..., or make fewer calls at once.",
                            self.config.max_connections
                        ),
                    )
                })?,
            None => acquire.await,
        }
        .map_err(|_| Error::new(ErrorKind::Connection, "the client was closed"))?;
        let secrets = self.secrets(token);
        let (status, headers, body) = match exchange(prepared, call, deadline, &secrets).await {
            Ok(r) => r,
            Err(Failure::Retry(error)) => return Ok(Attempt::Retry { error, wait: None }),
            Err(Failure::Fatal(error)) => return Err(error),
        };
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(date) = header(DATE.as_str()).and_then(|d| httpdate::parse_http_date(d).ok()) {
            let server: DateTime<Utc> = date.into();
            // Date has whole seconds: add half a second to centre the estimate.
            let skew = server - Utc::now() + chrono::Duration::milliseconds(500);
            self.skew_ms
                .store(skew.num_milliseconds(), Ordering::Relaxed);
        }
        let retry_after = header(RETRY_AFTER.as_str()).and_then(parse_retry_after);
        let session_token = header(SESSION_TOKEN_HEADER)
            .filter(|s| !s.is_empty())
            .map(Secret::new);
        let content_type = header(CONTENT_TYPE.as_str()).map(str::to_string);
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            // Not the server's answer: a token it carries is not taken either.
            let location = headers.get(LOCATION).map(|v| v.as_bytes());
            let path = format!("{}{}", self.prefix, call.path);
            let err = redirected(&call.method, &path, status, location, &secrets);
            return Ok(Attempt::Done(Reply {
                result: Err(err),
                session_token: None,
            }));
        }
        let length = header(CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
        let read = read_body(body, self.config.max_response_bytes, length, &secrets);
        let read = match deadline {
            Some(at) => tokio::time::timeout_at(at.into(), read)
                .await
                .unwrap_or_else(|_| Err(error::timed_out())),
            None => read.await,
        };
        let bytes = match read {
            Ok(b) => b,
            Err(e) => {
                return if call.replay == Replay::Safe && e.kind == ErrorKind::Connection {
                    Ok(Attempt::Retry {
                        error: e,
                        wait: None,
                    })
                } else {
                    Err(e)
                }
            }
        };
        if !(200..300).contains(&status) {
            let err = crate::wire::classify(
                call,
                error::parse_response(status, &bytes, content_type.as_deref(), &secrets),
                retry_after,
            );
            let retryable = matches!(status, 408 | 429)
                || (status >= 500 && call.replay == Replay::Safe && err.kind == ErrorKind::Server);
            if retryable {
                let wait = retry_after
                    .map(|s| Duration::from_secs_f64(s).min(self.config.retry.max_retry_after));
                return Ok(Attempt::Retry { error: err, wait });
            }
            return Ok(Attempt::Done(Reply {
                result: Err(err),
                session_token,
            }));
        }
        let meta = BodyMeta {
            status,
            content_type: content_type.as_deref(),
            secrets: &secrets,
        };
        let result = B::from_body(bytes, &meta);
        Ok(Attempt::Done(Reply {
            result,
            session_token,
        }))
    }
}

/// The outcome once no retry is left: an error the server answered with is that call's
/// result; one raised before any answer is the transport's.
fn give_up<B>(error: Error) -> Result<Reply<B>> {
    match error.status_code {
        Some(_) => Ok(Reply {
            result: Err(error),
            session_token: None,
        }),
        None => Err(error),
    }
}

fn describe(e: &Error) -> String {
    match e.status_code {
        Some(s) => s.to_string(),
        None => format!("{:?}", e.kind),
    }
}

/// `Retry-After` as whole seconds (rounded up): delta-seconds or an HTTP date. Garbage,
/// negative or non-finite values give None (the caller falls back to backoff).
pub fn parse_retry_after(value: &str) -> Option<f64> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| secs.ceil());
    }
    let when = httpdate::parse_http_date(v).ok()?;
    let secs = when
        .duration_since(SystemTime::now())
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    Some(secs.ceil())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(7.0));
        assert_eq!(parse_retry_after(" 1.2 "), Some(2.0));
        assert_eq!(parse_retry_after("999999999"), Some(999_999_999.0));
        assert_eq!(parse_retry_after("-3"), None);
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("1e400"), None);
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(0.0)
        );
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let s = parse_retry_after(&future).unwrap();
        assert!((29.0..=31.0).contains(&s), "{s}");
    }
}
