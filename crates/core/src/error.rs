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

/// Build the error for a non-2xx response. `body` is the raw body; `content_type` its header.
/// `secrets` are redacted from the message and body snippet.
pub fn from_response(
    status: u16,
    body: &[u8],
    content_type: Option<&str>,
    retry_after: Option<f64>,
    secrets: &[&str],
) -> Error {
    let text = String::from_utf8_lossy(body);
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let (code, server_msg, body_value) = match &parsed {
        Some(v) => {
            let (code, msg) = match v.get("detail") {
                Some(d) => detail_text(d),
                None => (None, snippet(&redact(&text, secrets))),
            };
            (code, msg, v.clone())
        }
        None => {
            // Redact before shortening, so that a secret cut at the edge cannot escape.
            let snip = snippet(&redact(&text, secrets));
            let ct = content_type.unwrap_or("no content type");
            (
                None,
                format!("non-JSON response ({ct}): {snip}"),
                Value::String(snip),
            )
        }
    };
    let server_msg = redact(&server_msg, secrets);
    let lower = server_msg.to_ascii_lowercase();
    let code_str = code.as_deref().unwrap_or("");

    let (kind, remedy): (ErrorKind, &str) = match status {
        401 if code_str == "SessionExpired" || lower.contains("expired") => (
            ErrorKind::SessionExpired,
            "The session token has expired. Extend the session before it ends (session.extend()) \
             or activate the agent again (agent.activate()).",
        ),
        401 if code_str == "InvalidSessionToken" || lower.contains("session token") && !lower.contains("missing") => (
            ErrorKind::InvalidSessionToken,
            "The session token was rejected (malformed, signed by another server, or revoked by \
             deactivate). Activate the agent again to get a new token.",
        ),
        401 if lower.contains("missing session token") => (
            ErrorKind::SessionTokenMissing,
            "This call needs a session token. Activate the agent first \
             (session = agent.activate()) and make memory calls through that session.",
        ),
        401 => (
            ErrorKind::Authentication,
            "Check the API key: pass api_key=... or set the MOORCHEH_API_KEY environment variable \
             (keys are managed at console.moorcheh.ai/api-keys; for a LocalServer use server.api_key).",
        ),
        403 => (
            ErrorKind::PermissionDenied,
            "This session token may not be used here. A session token only works for the agent \
             that was activated; activate the agent you are calling.",
        ),
        500 if lower.contains("cannot access") => (
            ErrorKind::PermissionDenied,
            "This session token may not be used here. A session token only works for the agent \
             that was activated; activate the agent you are calling.",
        ),
        404 if code_str == "SessionNotFound" => (
            ErrorKind::NotFound,
            "The server has no session for this agent. Activate the agent first.",
        ),
        404 if code_str == "MemoryNotFound" => (ErrorKind::NotFound, MEMORY_REMEDY),
        404 => (ErrorKind::NotFound, AGENT_REMEDY),
        409 => (ErrorKind::Conflict, "The agent already exists; use client.agents.get(agent_id) instead."),
        415 => (ErrorKind::Validation, "This server does not accept that file type; convert it to .txt, .md, .json or .csv."),
        400 | 413 | 422 => (ErrorKind::Validation, "Fix the request arguments named above."),
        408 => (ErrorKind::Timeout, "The server timed out waiting for the request; try again."),
        429 => (ErrorKind::RateLimit, "Too many requests; wait and try again."),
        s if s >= 500 => (ErrorKind::Server, "The server failed; try again later or check the server's logs."),
        _ => (ErrorKind::Server, "Unexpected response status."),
    };
    let message = if server_msg.is_empty() {
        format!("HTTP {status}. {remedy}")
    } else {
        format!("{server_msg} (HTTP {status}). {remedy}")
    };
    Error {
        kind,
        message,
        status_code: Some(status),
        code,
        body: Some(redact_value(body_value, secrets)),
        retry_after,
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
    let err = err.without_url();
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(&err);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: u16, body: &str) -> Error {
        from_response(status, body.as_bytes(), Some("application/json"), None, &[])
    }

    #[test]
    fn maps_documented_auth_errors() {
        let e = map(401, r#"{"detail":"Invalid Moorcheh API key"}"#);
        assert_eq!(e.kind, ErrorKind::Authentication);
        assert!(e.message.contains("MOORCHEH_API_KEY"), "{}", e.message);
        let e = map(
            401,
            r#"{"detail":"Missing API key in authorization header and no configured default"}"#,
        );
        assert_eq!(e.kind, ErrorKind::Authentication);
        let e = map(
            401,
            r#"{"detail":"Missing session token. Use X-Session-Token header."}"#,
        );
        assert_eq!(e.kind, ErrorKind::SessionTokenMissing);
        assert!(e.message.contains("Activate the agent first"));
        let e = map(
            401,
            r#"{"detail":{"error":"SessionExpired","message":"Session sess_1 expired at 2026-01-01 00:00:00","details":{}}}"#,
        );
        assert_eq!(e.kind, ErrorKind::SessionExpired);
        assert_eq!(e.code.as_deref(), Some("SessionExpired"));
        assert!(e.message.contains("extend"));
        let e = map(
            401,
            r#"{"detail":{"error":"InvalidSessionToken","message":"Invalid session token: Not enough segments","details":{}}}"#,
        );
        assert_eq!(e.kind, ErrorKind::InvalidSessionToken);
        assert_eq!(e.status_code, Some(401));
    }

    #[test]
    fn maps_agent_mismatch_both_generations() {
        let e = map(
            500,
            r#"{"detail":{"error":"InternalServerError","message":"An unexpected error occurred","details":{"original_error":"Session is for agent 'a', cannot access 'b'"}}}"#,
        );
        assert_eq!(e.kind, ErrorKind::PermissionDenied);
        assert!(e.message.contains("cannot access 'b'"));
        let e = map(
            403,
            r#"{"detail":{"error":"AuthorizationError","message":"Session is for agent 'a', cannot access 'b'","details":{}}}"#,
        );
        assert_eq!(e.kind, ErrorKind::PermissionDenied);
        assert_eq!(e.code.as_deref(), Some("AuthorizationError"));
    }

    #[test]
    fn maps_status_classes() {
        assert_eq!(map(404, r#"{"detail":{"error":"AgentNotFound","message":"Agent 'x' not found","details":{}}}"#).kind, ErrorKind::NotFound);
        assert_eq!(
            map(
                409,
                r#"{"detail":{"error":"AgentAlreadyExists","message":"x","details":{}}}"#
            )
            .kind,
            ErrorKind::Conflict
        );
        let e = map(
            413,
            r#"{"detail":{"error":"text_too_long","message":"Memory content exceeds maximum length of 10000 characters","actual_length":10001,"max_length":10000}}"#,
        );
        assert_eq!(e.kind, ErrorKind::Validation);
        assert_eq!(e.code.as_deref(), Some("text_too_long"));
        let e = map(
            422,
            r#"{"detail":[{"type":"missing","loc":["query","query"],"msg":"Field required","input":null}]}"#,
        );
        assert_eq!(e.kind, ErrorKind::Validation);
        assert!(
            e.message.contains("query.query: Field required"),
            "{}",
            e.message
        );
        assert_eq!(map(429, "{}").kind, ErrorKind::RateLimit);
        assert_eq!(map(503, r#"{"detail":"down"}"#).kind, ErrorKind::Server);
    }

    #[test]
    fn html_body_gives_server_error_with_snippet() {
        let html = "<html><head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let e = from_response(502, html.as_bytes(), Some("text/html"), None, &[]);
        assert_eq!(e.kind, ErrorKind::Server);
        assert_eq!(e.status_code, Some(502));
        assert!(e.message.contains("502 Bad Gateway"), "{}", e.message);
        assert!(e.message.contains("text/html"));
        assert!(!e.message.contains("<h1>"));
        let long = "x".repeat(5000);
        let e = from_response(502, long.as_bytes(), Some("text/plain"), None, &[]);
        assert!(e.message.len() < 600);
    }

    #[test]
    fn redacts_tokens_and_secrets() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJhZ2VudF9pZCI6ImEifQ.c2ln";
        let text = format!("bad token {jwt} with key mk_secret_123");
        let r = redact(&text, &["mk_secret_123"]);
        assert_eq!(r, "bad token [REDACTED] with key [REDACTED]");
        let e = from_response(
            401,
            format!(r#"{{"detail":"Invalid session token {jwt}"}}"#).as_bytes(),
            None,
            None,
            &[],
        );
        assert!(!e.message.contains("eyJ"));
        assert!(!e.body.unwrap().to_string().contains("eyJ"));
        // non-JWT text that merely starts with eyJ stays
        assert_eq!(redact("eyJust text", &[]), "eyJust text");
    }
}
