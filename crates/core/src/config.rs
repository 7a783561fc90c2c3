//! Client configuration: explicit arguments first, then environment variables, then defaults.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

/// Environment variable holding the Moorcheh API key.
pub const API_KEY_ENV: &str = "MOORCHEH_API_KEY";
/// Environment variable holding the server's base URL.
pub const BASE_URL_ENV: &str = "MEMANTO_BASE_URL";
/// Environment variable pinning the server generation (`auto`, `0.0` or `0.2`).
pub const API_VERSION_ENV: &str = "MEMANTO_API_VERSION";
/// Used when neither the argument nor the environment names a server.
pub const DEFAULT_BASE_URL: &str = "http://localhost:8000";
/// Total time allowed for one request unless the caller says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Default bound on connections in use at once (further callers wait their turn).
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// The most connections a client may hold open at once.
pub const MAX_CONNECTIONS_LIMIT: usize = 10_000;
/// Default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// How failed attempts are retried.
#[derive(Debug, Clone)]
pub struct RetryConfig {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// First backoff delay; it doubles each retry, with full jitter.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// The longest `Retry-After` obeyed; longer requests are cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_retries: DEFAULT_MAX_RETRIES,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// A string that never shows itself in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub api_key: Option<Secret>,
    /// Without a trailing slash, e.g. `http://localhost:8000`.
    pub base_url: String,
    /// Total time per request; `None` means no limit (only when asked for explicitly).
    pub timeout: Option<Duration>,
    pub connect_timeout: Duration,
    pub retry: RetryConfig,
    /// Connections in use at once; further requests queue.
    pub max_connections: usize,
    /// Larger response bodies are refused rather than buffered.
    pub max_response_bytes: usize,
    /// The server generation to speak; `None` = detect it from `GET /` once.
    pub api_version: Option<memanto_protocol::Generation>,
}

/// Parse an `api_version` pin: `auto` (or empty) means detect; `0.0` / `0.2` (or a full
/// version such as `0.2.30`) pin a generation.
pub fn parse_api_version(raw: &str) -> Result<Option<memanto_protocol::Generation>> {
    let v = raw.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    memanto_protocol::Generation::parse_pin(v)
        .map(Some)
        .ok_or_else(|| {
            Error::validation(format!(
                "api_version must be \"auto\", \"0.0\" or \"0.2\" (or a full version such as \"0.2.30\"), got {}",
            crate::validate::shown(v)
            ))
        })
}

impl ClientConfig {
    /// Resolve the configuration. `api_key`: argument, else `MOORCHEH_API_KEY`, else none (the
    /// server may have its own). `base_url`: argument, else `MEMANTO_BASE_URL`, else
    /// `http://localhost:8000`.
    pub fn resolve(
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<Duration>,
        connect_timeout: Option<Duration>,
    ) -> Result<Self> {
        Self::resolve_with_version(api_key, base_url, timeout, connect_timeout, None)
    }

    /// As [`resolve`](Self::resolve), with `api_version`: argument, else
    /// `MEMANTO_API_VERSION`, else `auto`.
    pub fn resolve_with_version(
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<Duration>,
        connect_timeout: Option<Duration>,
        api_version: Option<String>,
    ) -> Result<Self> {
        let api_version = match api_version {
            Some(v) => parse_api_version(&v)?,
            None => match std::env::var(API_VERSION_ENV) {
                Ok(v) => parse_api_version(&v)
                    .map_err(|e| Error::validation(format!("{API_VERSION_ENV}: {}", e.message)))?,
                Err(_) => None,
            },
        };
        let api_key = api_key
            .or_else(|| std::env::var(API_KEY_ENV).ok())
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .map(Secret::new);
        if let Some(k) = &api_key {
            if k.expose().chars().any(|c| c.is_control() || c == ' ') {
                return Err(Error::validation(
                    "The API key contains spaces or control characters; check that it was copied whole \
                     (api_key=... or MOORCHEH_API_KEY).",
                ));
            }
        }
        let base_url = base_url
            .or_else(|| {
                std::env::var(BASE_URL_ENV)
                    .ok()
                    .filter(|s| !s.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base_url = normalize_base_url(&base_url)?;
        if let Some(t) = timeout {
            if t.is_zero() {
                return Err(Error::validation(
                    "timeout must be greater than 0 seconds (or None for no limit)",
                ));
            }
        }
        Ok(ClientConfig {
            api_key,
            base_url,
            timeout,
            connect_timeout: connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            retry: RetryConfig::default(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            api_version,
        })
    }
}

impl ClientConfig {
    /// Check the tunables a caller may have changed after `resolve`.
    pub fn check(&self) -> Result<()> {
        if self.max_connections == 0 || self.max_connections > MAX_CONNECTIONS_LIMIT {
            return Err(Error::validation(format!(
                "max_connections must be between 1 and {MAX_CONNECTIONS_LIMIT}, got {}",
                self.max_connections
            )));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::validation("max_response_bytes must be at least 1"));
        }
        if self.retry.max_retries > 10 {
            return Err(Error::validation("max_retries must be between 0 and 10"));
        }
        Ok(())
    }
}

fn normalize_base_url(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(trimmed).map_err(|e| {
        Error::validation(format!(
            "base_url {trimmed:?} is not a valid URL ({e}); expected e.g. http://localhost:8000"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::validation(format!(
            "base_url must start with http:// or https://, got scheme {:?}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::validation(
            "base_url must not carry credentials; pass api_key=... instead",
        ));
    }
    if url.query().is_some() {
        return Err(Error::validation("base_url must not have a query string"));
    }
    if url.fragment().is_some() {
        return Err(Error::validation(
            "base_url must not have a fragment (#...)",
        ));
    }
    // Accept a base that already ends in /api/v2: the client adds it itself.
    let s = url.as_str().trim_end_matches('/');
    Ok(s.strip_suffix("/api/v2").unwrap_or(s).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_forms() {
        assert_eq!(
            normalize_base_url("http://localhost:8000/").unwrap(),
            "http://localhost:8000"
        );
        assert_eq!(
            normalize_base_url("https://x.example/api/v2").unwrap(),
            "https://x.example"
        );
        assert_eq!(
            normalize_base_url("http://h:1/prefix").unwrap(),
            "http://h:1/prefix"
        );
        assert!(normalize_base_url("localhost:8000").is_err());
        assert!(normalize_base_url("ftp://h").is_err());
        assert!(normalize_base_url("http://u:p@h").is_err());
    }

    #[test]
    fn explicit_arguments_win_and_secret_is_hidden() {
        let c = ClientConfig::resolve(
            Some("mk_abc".into()),
            Some("http://127.0.0.1:9".into()),
            None,
            None,
        )
        .unwrap();
        assert_eq!(c.api_key.as_ref().unwrap().expose(), "mk_abc");
        assert_eq!(c.base_url, "http://127.0.0.1:9");
        assert!(!format!("{c:?}").contains("mk_abc"));
        assert!(ClientConfig::resolve(Some("a b".into()), None, None, None).is_err());
        assert!(ClientConfig::resolve(None, None, Some(Duration::ZERO), None).is_err());
    }
}
