//! `memanto-server`: an embedded, API-compatible implementation of the Memanto REST API v2
//! (server generation 0.0.x) on axum + SQLite + HS256 session tokens, with ranked search on an
//! in-memory BM25 index (SQLite FTS5's tokenizer).
//!
//! Start one with [`ServerHandle::start`]; drive the router in-process with [`router`] and an
//! [`AppState`] (useful with `tower::ServiceExt::oneshot`).

mod auth;
mod chunk;
mod config;
mod db;
mod error;
mod handle;
mod model;
mod routes;
mod search;
mod state;
mod stopwords;
mod time;
mod tokens;
mod validate;

pub use config::ServerConfig;
pub use error::ServerError;
pub use handle::ServerHandle;
pub use routes::router;
pub use state::AppState;

/// The API generation this server imitates (reported by `GET /` and `GET /health`).
pub const API_VERSION: &str = "0.0.8";
