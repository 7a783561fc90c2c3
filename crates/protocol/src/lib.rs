//! memanto-protocol: the wire contract of the Memanto REST API v2, stated once for the client
//! core and the LocalServer. No I/O here: names, limits, the lenient timestamp parser, the
//! server generations, and the request/response structs (serde), which keep unknown fields.
//!
//! Sources: `spec/API.md` (0.0.x), `spec/API-0.2.md` (0.2.30), `spec/API-DIFFS.md`.

pub mod generation;
pub mod limits;
pub mod policy;
pub mod time;
pub mod wire;

pub use generation::Generation;
pub use time::{parse_timestamp, parse_user_timestamp, to_iso, DateBound};

/// The 13 memory types (case-sensitive on input), the same on both generations.
pub const MEMORY_TYPES: [&str; 13] = [
    "fact",
    "preference",
    "goal",
    "decision",
    "artifact",
    "learning",
    "event",
    "instruction",
    "relationship",
    "context",
    "observation",
    "commitment",
    "error",
];

/// The six provenances; `explicit_statement` is the default.
pub const PROVENANCES: [&str; 6] = [
    "explicit_statement",
    "inferred",
    "corrected",
    "validated",
    "observed",
    "imported",
];

/// Agent patterns; `support` is the default.
pub const PATTERNS: [&str; 3] = ["support", "project", "tool"];

/// Values of the `status` filter on 0.2.x reads (`all` is the default).
pub const RECALL_STATUSES: [&str; 3] = ["all", "active", "expired"];

/// Memory statuses on 0.2.x.
pub const MEMORY_STATUSES: [&str; 2] = ["active", "expired"];

/// Actions of `POST /conflicts/resolve` (0.2.x).
pub const CONFLICT_ACTIONS: [&str; 8] = [
    "keep_old",
    "keep_new",
    "keep_both",
    "remove_both",
    "expire_old",
    "expire_new",
    "expire_both",
    "manual",
];

/// Header carrying the session JWT on memory calls, and renewed tokens in 0.2.x responses.
pub const SESSION_TOKEN_HEADER: &str = "x-session-token";
/// Header carrying the management credential on 0.2.10+ (checked before `Authorization`).
pub const API_KEY_HEADER: &str = "x-api-key";
/// Cookie the 0.2.x server sets on activate (the SDK never relies on it).
pub const SESSION_COOKIE: &str = "memanto_session_token";

/// Error codes (`detail.error`) that the client classifies.
pub mod codes {
    pub const SESSION_EXPIRED: &str = "SessionExpired";
    pub const INVALID_SESSION_TOKEN: &str = "InvalidSessionToken";
    pub const SESSION_NOT_FOUND: &str = "SessionNotFound";
    pub const AUTHORIZATION_ERROR: &str = "AuthorizationError";
    pub const AGENT_NOT_FOUND: &str = "AgentNotFound";
    pub const AGENT_ALREADY_EXISTS: &str = "AgentAlreadyExists";
    pub const MEMORY_NOT_FOUND: &str = "MemoryNotFound";
    pub const QUERY_TOO_LONG: &str = "query_too_long";
    pub const K_TOO_LARGE: &str = "k_too_large";
}

/// The namespace of an agent: `memanto_agent_<agent_id>`.
pub fn namespace(agent_id: &str) -> String {
    format!("memanto_agent_{agent_id}")
}

/// True for an agent id both generations accept: `^[A-Za-z0-9_-]+$`.
pub fn is_valid_agent_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
