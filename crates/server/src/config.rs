//! Server configuration.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

/// Default session lifetime (the 0.0.8 `SESSION_DEFAULT_DURATION_HOURS`).
pub const DEFAULT_SESSION_DURATION: Duration = Duration::from_secs(6 * 3600);

/// Renew a 0.2-mode session on a memory call when at most this much of it is left
/// (0.2.30's `SESSION_EXTEND_THRESHOLD_MINUTES`).
pub const DEFAULT_RENEW_THRESHOLD: Duration =
    Duration::from_secs(memanto_protocol::limits::RENEW_THRESHOLD_MINUTES as u64 * 60);

/// Which Memanto server generation the LocalServer imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiMode {
    /// The union of both route sets (legacy session semantics); `GET /` says `0.0.8` and
    /// lists `"generations": ["0.0", "0.2"]`.
    #[default]
    Both,
    /// Strictly the 0.0.x contract (`API.md`): `GET /` says `0.0.8`.
    Legacy,
    /// Strictly the 0.2.30 contract (`API-0.2.md`): `GET /` says `0.2.30`.
    Current,
}

impl ApiMode {
    /// `"0.0"` → Legacy, `"0.2"` → Current (also `"legacy"`/`"current"`, full versions),
    /// `"both"` → Both; `None` for anything else.
    pub fn parse(s: &str) -> Option<ApiMode> {
        if s.trim().eq_ignore_ascii_case("both") {
            return Some(ApiMode::Both);
        }
        match memanto_protocol::Generation::parse_pin(s)? {
            memanto_protocol::Generation::Legacy => Some(ApiMode::Legacy),
            memanto_protocol::Generation::Current => Some(ApiMode::Current),
        }
    }

    /// Serves the 0.0.x routes (Legacy and Both).
    pub fn serves_legacy(self) -> bool {
        self != ApiMode::Current
    }

    /// Serves the 0.2.x routes (Current and Both).
    pub fn serves_current(self) -> bool {
        self != ApiMode::Legacy
    }
}

/// How to open and serve a local Memanto server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// SQLite file to use; `None` => a temporary file, removed when the server stops.
    pub db_path: Option<PathBuf>,
    /// Address to bind (default `127.0.0.1`).
    pub host: IpAddr,
    /// Port to bind; `0` => an ephemeral port.
    pub port: u16,
    /// Accepted API keys. Empty => reuse the key stored in the database, or generate
    /// `mk_local_` + 32 random hex characters and persist it.
    pub api_keys: Vec<String>,
    /// Lifetime of a session created by `activate` without `duration_hours` (default 6 h).
    pub session_duration: Duration,
    /// The server generation to imitate (default [`ApiMode::Both`]).
    pub api_version: ApiMode,
    /// Current mode: every successful memory (TOKEN-route) call renews the session, so it
    /// returns a replacement token in `X-Session-Token` and the presented one dies.
    pub renew_every_call: bool,
    /// Current mode: renew a session on a memory call when at most this much is left.
    pub renew_threshold: Duration,
    /// Current mode: loopback callers pass the management gate without a credential (as the
    /// real 0.2 server); `false` => management routes need `X-Api-Key` or `Bearer <key>`.
    pub trust_loopback: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            db_path: None,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            api_keys: Vec::new(),
            session_duration: DEFAULT_SESSION_DURATION,
            api_version: ApiMode::Both,
            renew_every_call: false,
            renew_threshold: DEFAULT_RENEW_THRESHOLD,
            trust_loopback: true,
        }
    }
}
