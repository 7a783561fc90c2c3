//! A stored memory and its JSON item shape (API.md §4.3).

use serde::Serialize;
use serde_json::Value;

/// The trust fields: supersession, validation and contradiction.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// `active` or `superseded`.
    pub status: String,
    pub validation_count: i64,
    pub validated_at: Option<String>,
    pub superseded_by: Option<String>,
    pub supersedes: Option<String>,
    pub superseded_at: Option<String>,
    pub contradiction_detected: bool,
    pub contradiction_reason: Option<String>,
    pub contradicting_memory_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MemoryRow {
    pub id: String,
    pub agent_id: String,
    pub mtype: String,
    pub title: String,
    pub content: String,
    pub tags: Vec<String>,
    pub confidence: f64,
    pub source: String,
    pub provenance: String,
    pub created_at: String,
    pub updated_at: String,
    pub trust: Trust,
    /// When the memory was expired (0.2.x); `None` while it is active.
    pub expired_at: Option<String>,
    /// Why it was expired: `manual`, a reason, a policy rule, `retention.<type>`...
    pub expired_by: Option<String>,
    /// Similarity to the query (`None` outside text searches).
    pub score: Option<f64>,
}

impl MemoryRow {
    /// The stored "card": `[TYPE] title\n\ncontent` plus `\n\nTags: a, b` when tagged.
    pub fn text(&self) -> String {
        let mut text = format!(
            "[{}] {}\n\n{}",
            self.mtype.to_uppercase(),
            self.title,
            self.content
        );
        if !self.tags.is_empty() {
            text.push_str("\n\nTags: ");
            text.push_str(&self.tags.join(", "));
        }
        text
    }

    pub fn is_superseded(&self) -> bool {
        self.trust.status == "superseded"
    }

    /// Whether the memory is expired (0.2.x `status: "expired"`).
    pub fn is_expired(&self) -> bool {
        self.expired_at.is_some()
    }

    /// The reported `status`: `expired` while expired, else the trust status (`active`, or
    /// the legacy `superseded`).
    pub fn status(&self) -> &str {
        if self.is_expired() {
            "expired"
        } else {
            &self.trust.status
        }
    }

    /// The memory item of recall responses; `contradiction_reason` and
    /// `contradicting_memory_id` appear only when set.
    pub fn to_item_json(&self) -> Value {
        serde_json::to_value(self.item()).unwrap_or(Value::Null)
    }

    /// The memory item, ready to serialize without building a JSON tree (keys in the same
    /// alphabetical order as [`to_item_json`](Self::to_item_json)).
    pub fn item(&self) -> MemoryItem<'_> {
        let t = &self.trust;
        MemoryItem {
            actor_id: &self.agent_id,
            confidence: self.confidence,
            content: &self.content,
            contradicting_memory_id: t.contradicting_memory_id.as_deref(),
            contradiction_detected: t.contradiction_detected,
            contradiction_reason: t.contradiction_reason.as_deref(),
            created_at: &self.created_at,
            expired_at: self.expired_at.as_deref(),
            expired_by: self.expired_by.as_deref(),
            expires_at: None,
            id: &self.id,
            provenance: &self.provenance,
            score: self.score,
            scope_id: &self.agent_id,
            scope_type: "agent",
            source: &self.source,
            status: self.status(),
            superseded_at: t.superseded_at.as_deref(),
            superseded_by: t.superseded_by.as_deref(),
            supersedes: t.supersedes.as_deref(),
            tags: &self.tags,
            text: self.text(),
            title: &self.title,
            ttl_seconds: None,
            mtype: &self.mtype,
            updated_at: &self.updated_at,
            validated_at: t.validated_at.as_deref(),
            validation_count: t.validation_count,
        }
    }
}

/// The JSON memory item (API.md §4.3), borrowed from a [`MemoryRow`].
#[derive(Debug, Serialize)]
pub struct MemoryItem<'a> {
    actor_id: &'a str,
    confidence: f64,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    contradicting_memory_id: Option<&'a str>,
    contradiction_detected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    contradiction_reason: Option<&'a str>,
    created_at: &'a str,
    expired_at: Option<&'a str>,
    expired_by: Option<&'a str>,
    expires_at: Option<&'a str>,
    id: &'a str,
    provenance: &'a str,
    score: Option<f64>,
    scope_id: &'a str,
    scope_type: &'a str,
    source: &'a str,
    status: &'a str,
    superseded_at: Option<&'a str>,
    superseded_by: Option<&'a str>,
    supersedes: Option<&'a str>,
    tags: &'a [String],
    text: String,
    title: &'a str,
    ttl_seconds: Option<i64>,
    #[serde(rename = "type")]
    mtype: &'a str,
    updated_at: &'a str,
    validated_at: Option<&'a str>,
    validation_count: i64,
}
