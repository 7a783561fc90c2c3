//! A stored memory and its JSON item shape (API.md §4.3).

use serde_json::{json, Value};

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

    /// The memory item of recall responses; `contradiction_reason` and
    /// `contradicting_memory_id` appear only when set.
    pub fn to_item_json(&self) -> Value {
        let t = &self.trust;
        let mut item = json!({
            "id": self.id,
            "title": self.title,
            "content": self.content,
            "text": self.text(),
            "type": self.mtype,
            "confidence": self.confidence,
            "status": t.status,
            "tags": self.tags,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "expires_at": Value::Null,
            "ttl_seconds": Value::Null,
            "actor_id": self.agent_id,
            "source": self.source,
            "scope_type": "agent",
            "scope_id": self.agent_id,
            "score": self.score,
            "provenance": self.provenance,
            "validation_count": t.validation_count,
            "validated_at": t.validated_at,
            "contradiction_detected": t.contradiction_detected,
            "superseded_by": t.superseded_by,
            "supersedes": t.supersedes,
            "superseded_at": t.superseded_at,
        });
        if let Some(reason) = &t.contradiction_reason {
            item["contradiction_reason"] = json!(reason);
        }
        if let Some(other) = &t.contradicting_memory_id {
            item["contradicting_memory_id"] = json!(other);
        }
        item
    }
}
