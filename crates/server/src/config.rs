//! Server configuration.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

/// Default session lifetime (the 0.0.8 `SESSION_DEFAULT_DURATION_HOURS`).
pub const DEFAULT_SESSION_DURATION: Duration = Duration::from_secs(6 * 3600);

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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            db_path: None,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            api_keys: Vec::new(),
            session_duration: DEFAULT_SESSION_DURATION,
        }
    }
}
