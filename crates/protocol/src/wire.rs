//! Request bodies and response objects. Responses keep unknown fields in `extra`, and every
//! field is optional where either generation may omit it, so one struct reads both. Requests
//! leave out what is unset, so that each server applies its own defaults.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `GET /`: `{service, description, version, docs}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default)]
    pub docs: Option<String>,
    /// LocalServer only: the generations whose routes it serves (absent on real servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generations: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A memory item as recall and the temporal queries return it (0.0.x and 0.2.x fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryItem {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(rename = "type", default)]
    pub memory_type: Option<String>,
    #[serde(default)]
    pub confidence: Option<f64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(default)]
    pub provenance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_type: Option<String>,
    /// 0.0.x trust fields and anything else a server adds.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `POST /recall` response (both generations).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecallResponse {
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub memories: Vec<MemoryItem>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Temporal responses (as-of, changed-since, recent, all; 0.0.x current).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemporalResponse {
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub memories: Vec<MemoryItem>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub total_available: Option<u64>,
    #[serde(default)]
    pub temporal_mode: Option<String>,
    #[serde(default)]
    pub as_of_date: Option<String>,
    #[serde(default)]
    pub since_date: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The session object of activate (both generations).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionObject {
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub session_token: Option<String>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// 0.2.x `GET /status` and 0.0.x `GET /session/current`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    /// Whole seconds on 0.2.x, a float on some 0.0.x builds: kept as sent.
    pub time_remaining_seconds: Option<serde_json::Number>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A memory to store: the 0.2.x remember body and a batch-remember item (0.0.x reads the
/// subset it knows).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RememberBody {
    pub content: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub memory_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<String>,
}

/// `POST /batch-remember` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchRememberBody {
    pub memories: Vec<RememberBody>,
}

/// 0.2.x `POST /recall` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecallBody {
    pub query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_similarity: Option<f64>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_before: Option<String>,
}

/// 0.2.x temporal bodies: as-of (`as_of`), changed-since (`since`), recent and all (neither).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemporalBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_before: Option<String>,
}

/// 0.2.x `POST /answer` body (0.0.x reads `question` and the prompts from it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerBody {
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_model: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub kiosk_mode: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer_prompt: Option<String>,
}

/// `PATCH /memories/{id}` body: unset fields are unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub memory_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Honoured by the LocalServer; ignored by 0.2.x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<String>,
}

/// 0.2.x `POST /memories/{id}/expire` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExpireBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One message of `remember/extract`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// 0.2.x `POST /remember/extract` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtractBody {
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub dry_run: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_memories: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_model: Option<String>,
}

/// 0.2.x `{date?}` body of daily-summary and conflicts/generate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DateBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// 0.2.x `POST /conflicts/resolve` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResolveConflictBody {
    pub conflict_index: u64,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_type: Option<String>,
}

/// 0.2.x `{dry_run}` body of policy apply and purge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DryRunBody {
    #[serde(default)]
    pub dry_run: bool,
}

/// 0.2.x `POST /policy/preset` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PresetBody {
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn memory_keeps_unknown_fields_and_reads_both_generations() {
        let legacy = json!({"id":"m1","title":"t","content":"c","text":"[FACT] t\n\nc","type":"fact",
            "confidence":0.8,"status":"active","tags":["a"],"created_at":"2026-11-30T08:13:00.583820",
            "updated_at":"2026-11-30T08:13:00.583820","source":"agent","provenance":"explicit_statement",
            "score":0.5,"validation_count":2,"superseded_by":null});
        let m: MemoryItem = serde_json::from_value(legacy.clone()).unwrap();
        assert_eq!(m.memory_type.as_deref(), Some("fact"));
        assert_eq!(m.extra["validation_count"], json!(2));
        assert_eq!(serde_json::to_value(&m).unwrap(), legacy);
        let current = json!({"id":"m2","title":"t","content":"c","text":"x","type":null,"confidence":null,
            "status":"expired","tags":[],"created_at":null,"updated_at":null,"expired_at":"2026-12-01T20:19:03+00:00",
            "expired_by":"manual","actor_id":"a","source":"agent","source_ref":null,"agent_id":"a",
            "score":null,"provenance":"explicit_statement","change_type":null});
        let m: MemoryItem = serde_json::from_value(current).unwrap();
        assert_eq!(m.expired_by.as_deref(), Some("manual"));
        assert!(m.extra.is_empty());
    }

    #[test]
    fn request_bodies_leave_out_unset_fields() {
        let b = RecallBody {
            query: "q".into(),
            types: Some(vec!["fact".into()]),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            json!({"query":"q","type":["fact"]})
        );
        assert_eq!(
            serde_json::to_value(TemporalBody::default()).unwrap(),
            json!({})
        );
    }
}
