//! One error type for the whole client, and the single function that turns an HTTP error
//! response into it. Messages always say how to fix the problem and never contain secrets.

use serde_json::Value;

/// The failure classes a caller can act on. Each maps to one Python exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Invalid or missing API key (401 on the key check).
    Authentication,
    /// No session token was sent (401), or the client holds none (deactivated / closed).
    SessionTokenMissing,
    /// The session token's `expires_at` has passed (401 `SessionExpired`).
    SessionExpired,
    /// The token is garbage, signed by another secret, or revoked (401 `InvalidSessionToken`).
    InvalidSessionToken,
    /// Authenticated but not allowed, e.g. a token of agent A used on agent B (403, or 0.0.8's
    /// 500 with "cannot access").
    PermissionDenied,
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 400 / 413 / 422, or bad input caught before sending.
    Validation,
    /// 429.
    RateLimit,
    /// 5xx, or a 2xx whose body is not the JSON we expect.
    Server,
    /// Could not connect, connection reset, DNS failure.
    Connection,
    /// The request did not complete within the configured timeout.
    Timeout,
    /// The connected server's generation has no such call (caught before sending), or the
    /// server answered that the route does not exist (404 `Not Found` / 405).
    Unsupported,
}

impl ErrorKind {
    /// The Python exception class name for this kind.
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "AuthenticationError",
            ErrorKind::SessionTokenMissing => "SessionTokenMissingError",
            ErrorKind::SessionExpired => "SessionExpiredError",
            ErrorKind::InvalidSessionToken => "InvalidSessionTokenError",
            ErrorKind::PermissionDenied => "PermissionDeniedError",
            ErrorKind::NotFound => "NotFoundError",
            ErrorKind::Conflict => "ConflictError",
            ErrorKind::Validation => "ValidationError",
            ErrorKind::RateLimit => "RateLimitError",
            ErrorKind::Server => "ServerError",
            ErrorKind::Connection => "APIConnectionError",
            ErrorKind::Timeout => "APITimeoutError",
            ErrorKind::Unsupported => "UnsupportedOperationError",
        }
    }
}

/// A client error: what kind, what the server said, and how to fix it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: ErrorKind,
    /// Human-readable text including the remedy. Never contains a key or token.
    pub message: String,
    /// HTTP status, when the server answered.
    pub status_code: Option<u16>,
    /// The server's error code when it gives one (`SessionExpired`, `text_too_long`, ...).
    pub code: Option<String>,
    /// The parsed body (JSON), or a short text snippet for non-JSON bodies.
    pub body: Option<Value>,
    /// Seconds from a `Retry-After` header, if any.
    pub retry_after: Option<f64>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            status_code: None,
            code: None,
            body: None,
            retry_after: None,
        }
    }

    /// Bad input caught before anything is sent.
    pub fn validation(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Validation, message)
    }

    /// The client holds no session token (deactivated or never activated).
    pub fn no_token(agent_id: &str) -> Self {
        Error::new(
            ErrorKind::SessionTokenMissing,
            format!(
                "This session for agent '{agent_id}' holds no session token (it was deactivated or closed). \
                 Activate the agent again: session = agent.activate()."
            ),
        )
    }
}

const SNIPPET_CHARS: usize = 200;
/// Remedy of a 404 on an agent route.
pub const AGENT_REMEDY: &str = "Check the agent id (client.agents.list() shows what exists).";
/// Remedy of a 404 on a route that names a memory.
pub const MEMORY_REMEDY: &str = "Check the memory id (recall shows the ids that exist).";

/// A short, single-line excerpt of a non-JSON body (e.g. a proxy's HTML error page).
pub fn snippet(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut last_space = true;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
        if out.chars().count() >= SNIPPET_CHARS {
            out.push('…');
            break;
        }
    }
    out.trim().to_string()
}

/// Replace anything that looks like a JWT (three base64url segments, the first starting with
/// `eyJ`) and each of the given secrets with `[REDACTED]`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut s = text.to_string();
    for secret in secrets {
        if secret.len() >= 4 {
            s = s.replace(secret, "[REDACTED]");
        }
    }
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if s[i..].starts_with("eyJ") {
            let end = bytes[i..]
                .iter()
                .position(|b| {
                    !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
                })
                .map_or(bytes.len(), |p| i + p);
            if s[i..end].matches('.').count() >= 2 {
                out.push_str("[REDACTED]");
                i = end;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn detail_text(detail: &Value) -> (Option<String>, String) {
    match detail {
        Value::String(s) => (None, s.clone()),
        Value::Object(map) => {
            let code = map.get("error").and_then(Value::as_str).map(str::to_string);
            let mut msg = map
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let Some(orig) = map
                .get("details")
                .and_then(|d| d.get("original_error"))
                .and_then(Value::as_str)
            {
                if msg.is_empty() || msg == "An unexpected error occurred" {
                    msg = orig.to_string();
                } else {
                    msg = format!("{msg} ({orig})");
                }
            }
            (code, msg)
        }
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .take(5)
                .map(|it| {
                    let loc = it
                        .get("loc")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .map(|p| {
                                    p.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| p.to_string())
                                })
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default();
                    let msg = it.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                    if loc.is_empty() {
                        msg.to_string()
                    } else {
                        format!("{loc}: {msg}")
                    }
                })
                .collect();
            let code = items
                .first()
                .and_then(|i| i.get("type"))
                .and_then(Value::as_str)
                .map(str::to_string);
            (code, parts.join("; "))
        }
        other => (None, other.to_string()),
    }
}

/// A non-2xx response, parsed and redacted, before a generation module classifies it.
#[derive(Debug, Clone)]
pub struct ErrorResponse {
    pub status: u16,
    /// `detail.error` (or a 422 item's `type`) when the server gives one.
    pub code: Option<String>,
    /// The server's message (redacted; a snippet for non-JSON bodies).
    pub message: String,
    /// The parsed body (JSON, redacted), or a snippet string.
    pub body: Value,
    /// The body was JSON.
    pub is_json: bool,
}

impl ErrorResponse {
    /// The message in lower case, for the substring rules some servers need.
    pub fn lower(&self) -> String {
        self.message.to_ascii_lowercase()
    }

    /// The code, or "".
    pub fn code(&self) -> &str {
        self.code.as_deref().unwrap_or("")
    }

    /// FastAPI's answer for a path or method it does not route: `{"detail":"Not Found"}` (404)
    /// or `{"detail":"Method Not Allowed"}` (405).
    pub fn is_missing_route(&self) -> bool {
        match self.status {
            405 => true,
            404 => self.code.is_none() && self.message == "Not Found",
            _ => false,
        }
    }

    /// The error with `kind` and `remedy` appended to the server's message.
    pub fn into_error(self, kind: ErrorKind, remedy: &str, retry_after: Option<f64>) -> Error {
        let status = self.status;
        let message = if self.message.is_empty() {
            format!("HTTP {status}. {remedy}")
        } else {
            format!("{} (HTTP {status}). {remedy}", self.message)
        };
        Error {
            kind,
            message,
            status_code: Some(status),
            code: self.code,
            body: Some(self.body),
            retry_after,
        }
    }
}

/// Parse a non-2xx response. `body` is the raw body; `content_type` its header. `secrets`
/// are redacted from the message and the kept body.
pub fn parse_response(
    status: u16,
    body: &[u8],
    content_type: Option<&str>,
    secrets: &[&str],
) -> ErrorResponse {
    let text = String::from_utf8_lossy(body);
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let (code, message, body_value, is_json) = match &parsed {
        Some(v) => {
            let (code, msg) = match v.get("detail") {
                Some(d) => detail_text(d),
                None => (None, snippet(&redact(&text, secrets))),
            };
            (code, msg, redact_value(v.clone(), secrets), true)
        }
        None => {
            // Redact before shortening, so that a secret cut at the edge cannot escape.
            let snip = snippet(&redact(&text, secrets));
            let ct = content_type.unwrap_or("no content type");
            (
                None,
                format!("non-JSON response ({ct}): {snip}"),
                Value::String(snip),
                false,
            )
        }
    };
    ErrorResponse {
        status,
        // The code reaches reprs and pickles as `code`: redacted like the message.
        code: code.map(|c| redact(&c, secrets)),
        message: redact(&message, secrets),
        body: body_value,
        is_json,
    }
}

fn redact_value(v: Value, secrets: &[&str]) -> Value {
    match v {
        Value::String(s) => Value::String(redact(&s, secrets)),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| redact_value(x, secrets)).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, x)| (redact(&k, secrets), redact_value(x, secrets)))
                .collect(),
        ),
        other => other,
    }
}

/// Map a transport-level failure. The URL (with its query string) is dropped from the text.
pub fn from_transport(err: reqwest::Error, secrets: &[&str]) -> Error {
    let timeout = err.is_timeout();
    transport(&err.without_url(), timeout, secrets)
}

/// A transport failure (no complete response): `err` and its sources, redacted, as a
/// timeout when `timeout` is set and as a connection error otherwise.
pub fn transport(err: &dyn std::error::Error, timeout: bool, secrets: &[&str]) -> Error {
    let mut detail = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    let detail = redact(&detail, secrets);
    if timeout {
        Error::new(
            ErrorKind::Timeout,
            format!("The request timed out ({detail}). Raise timeout=... on the client or check the server."),
        )
    } else {
        Error::new(
            ErrorKind::Connection,
            format!("Could not reach the Memanto server ({detail}). Check base_url / MEMANTO_BASE_URL and that the server is running."),
        )
    }
}

/// The error of a call that got no complete response within its timeout.
pub fn timed_out() -> Error {
    Error::new(
        ErrorKind::Timeout,
        "The request timed out (no complete response within the timeout). Raise timeout=... on the client or check the server.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_body_gives_a_snippet() {
        let html = "<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let r = parse_response(502, html.as_bytes(), Some("text/html"), &[]);
        assert!(r.message.contains("502 Bad Gateway"), "{}", r.message);
        assert!(r.message.contains("text/html"));
        assert!(!r.message.contains("<h1>"));
        assert!(!r.is_json);
        let long = "x".repeat(5000);
        let r = parse_response(502, long.as_bytes(), Some("text/plain"), &[]);
        assert!(r.message.len() < 600);
    }

    #[test]
    fn parses_the_three_detail_shapes() {
        let r = parse_response(404, br#"{"detail":"Not Found"}"#, None, &[]);
        assert!(r.is_missing_route());
        let r = parse_response(
            404,
            br#"{"detail":{"error":"AgentNotFound","message":"Agent 'x' not found","details":{}}}"#,
            None,
            &[],
        );
        assert_eq!(r.code(), "AgentNotFound");
        assert!(!r.is_missing_route());
        let r = parse_response(
            422,
            br#"{"detail":[{"type":"missing","loc":["query","query"],"msg":"Field required","input":null}]}"#,
            None,
            &[],
        );
        assert_eq!(r.code(), "missing");
        assert!(
            r.message.contains("query.query: Field required"),
            "{}",
            r.message
        );
        let r = parse_response(
            500,
            br#"{"detail":{"error":"InternalServerError","message":"An unexpected error occurred","details":{"original_error":"Session is for agent 'a', cannot access 'b'"}}}"#,
            None,
            &[],
        );
        assert!(r.message.contains("cannot access 'b'"));
    }

    #[test]
    fn redacts_tokens_and_secrets() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJhZ2VudF9pZCI6ImEifQ.c2ln";
        let text = format!("bad token {jwt} with key mk_secret_123");
        let r = redact(&text, &["mk_secret_123"]);
        assert_eq!(r, "bad token [REDACTED] with key [REDACTED]");
        let e = parse_response(
            401,
            format!(r#"{{"detail":"Invalid session token {jwt}"}}"#).as_bytes(),
            None,
            &[],
        );
        assert!(!e.message.contains("eyJ"));
        assert!(!e.body.to_string().contains("eyJ"));
        // non-JWT text that merely starts with eyJ stays
        assert_eq!(redact("eyJust text", &[]), "eyJust text");
    }
}
