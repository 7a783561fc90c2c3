//! Domain constants, identifiers and the row types with their JSON shapes.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::time;

mod memory;
pub use memory::{MemoryItem, MemoryRow, Trust};

// The wire contract's names and limits, stated once in memanto-protocol.
pub use memanto_protocol::limits::{MAX_BATCH, MAX_CONTENT_CHARS, MAX_QUERY_CHARS, MAX_TITLE_CHARS};
pub use memanto_protocol::{MEMORY_TYPES, PATTERNS, PROVENANCES};
/// Largest recall `limit` (signed: query strings may carry negative numbers).
pub const MAX_LIMIT: i64 = memanto_protocol::limits::MAX_LIMIT as i64;

/// The namespace of an agent: `memanto_agent_<agent_id>`.
pub fn namespace(agent_id: &str) -> String {
    format!("memanto_agent_{agent_id}")
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system random source failed");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 random bytes for the HS256 secret, hex-encoded.
pub fn new_secret_hex() -> String {
    random_hex(32)
}

/// `mk_local_` + 32 random hex characters.
pub fn new_api_key() -> String {
    format!("mk_local_{}", random_hex(16))
}

/// `sess_` + 12 lowercase hex characters.
pub fn new_session_id() -> String {
    format!("sess_{}", random_hex(6))
}

/// Default title: the content if it has at most 50 characters, else its first 50 + `...`.
pub fn default_title(content: &str) -> String {
    if content.chars().count() <= 50 {
        content.to_owned()
    } else {
        let head: String = content.chars().take(50).collect();
        format!("{head}...")
    }
}

#[derive(Debug, Clone)]
pub struct AgentRow {
    pub agent_id: String,
    pub pattern: String,
    pub description: Option<String>,
    pub metadata: Option<Value>,
    pub created_at: String,
    pub last_session: Option<String>,
    pub session_count: i64,
    pub status: String,
    pub memory_count: i64,
}

impl AgentRow {
    pub fn to_json(&self) -> Value {
        json!({
            "agent_id": self.agent_id,
            "namespace": namespace(&self.agent_id),
            "pattern": self.pattern,
            "description": self.description,
            "created_at": self.created_at,
            "last_session": self.last_session,
            "memory_count": self.memory_count,
            "session_count": self.session_count,
            "status": self.status,
            "metadata": self.metadata,
        })
    }
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub session_id: String,
    pub agent_id: String,
    pub pattern: Option<String>,
    pub started_at: String,
    pub expires_at: String,
    pub status: String,
    pub ended_at: Option<String>,
}

impl SessionRow {
    pub fn expires(&self) -> DateTime<Utc> {
        time::parse_stored(&self.expires_at).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    pub fn started(&self) -> DateTime<Utc> {
        time::parse_stored(&self.started_at).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// `active`, `terminated`, or `expired` for an active session past its expiry.
    pub fn effective_status(&self, now: &DateTime<Utc>) -> &str {
        if self.status == "active" && self.expires() < *now {
            "expired"
        } else {
            &self.status
        }
    }

    /// The `Session` object (API.md §2.1); `token` is `null` when not handed out.
    pub fn to_session_json(&self, token: Option<&str>, now: &DateTime<Utc>) -> Value {
        json!({
            "session_id": self.session_id,
            "session_token": token,
            "agent_id": self.agent_id,
            "namespace": namespace(&self.agent_id),
            "started_at": self.started_at,
            "expires_at": self.expires_at,
            "pattern": self.pattern,
            "status": self.effective_status(now),
            "metadata": Value::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_have_documented_shapes() {
        let sid = new_session_id();
        assert_eq!(sid.len(), 17);
        assert!(sid.starts_with("sess_"));
        assert!(sid[5..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        let key = new_api_key();
        assert_eq!(key.len(), "mk_local_".len() + 32);
        assert_eq!(new_secret_hex().len(), 64);
        assert_ne!(new_session_id(), new_session_id());
    }

    #[test]
    fn default_title_truncates_at_50_chars() {
        assert_eq!(default_title("short"), "short");
        let long = "é".repeat(60);
        assert_eq!(default_title(&long), format!("{}...", "é".repeat(50)));
        assert_eq!(default_title(&"a".repeat(50)), "a".repeat(50));
    }
}
