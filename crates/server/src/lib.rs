//! `memanto-server`: an embedded, API-compatible implementation of the Memanto REST API v2
//! (server generation 0.0.x, 0.2.x, or both: [`ApiMode`]) on axum + SQLite + HS256 session tokens, with ranked search on an
//! in-memory BM25 index (SQLite FTS5's tokenizer).
//!
//! Start one with [`ServerHandle::start`]; drive the router in-process with [`router`] and an
//! [`AppState`] (useful with `tower::ServiceExt::oneshot`).

mod auth;
mod chunk;
mod config;
mod conflicts;
mod db;
mod error;
mod expiry;
mod extract;
mod files;
mod handle;
mod irregular;
mod model;
mod routes;
mod search;
mod state;
mod stopwords;
mod time;
mod tokens;
mod validate;
mod writer;

pub use config::{ApiMode, ServerConfig, DEFAULT_RENEW_THRESHOLD};
pub use error::ServerError;
pub use handle::ServerHandle;
pub use routes::router;
pub use state::AppState;

/// The 0.0.x version reported in Legacy and Both modes (`GET /`, `GET /health`).
pub const LEGACY_VERSION: &str = "0.0.8";
/// The 0.2.x version reported in Current mode.
pub const CURRENT_VERSION: &str = "0.2.30";
/// The version `GET /` reports in the default (Both) mode.
pub const API_VERSION: &str = LEGACY_VERSION;
