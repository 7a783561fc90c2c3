//! Arguments of the memory calls, with their checks and wire encodings.

use crate::error::{Error, Result};
use crate::validate;

pub use memanto_protocol::wire::Message;

/// One memory to store (remember / batch-remember).
#[derive(Debug, Clone, Default)]
pub struct MemoryInput {
    pub content: String,
    pub memory_type: Option<String>,
    pub title: Option<String>,
    pub confidence: Option<f64>,
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub provenance: Option<String>,
}

impl MemoryInput {
    pub fn validate(&self) -> Result<()> {
        validate::content(&self.content, "content")?;
        if let Some(t) = &self.memory_type {
            validate::one_of("memory type", t, &validate::MEMORY_TYPES)?;
        }
        if let Some(t) = &self.title {
            validate::title(t)?;
        }
        if let Some(c) = self.confidence {
            validate::unit_interval("confidence", c)?;
        }
        validate::tags(&self.tags)?;
        if let Some(p) = &self.provenance {
            validate::one_of("provenance", p, &validate::PROVENANCES)?;
        }
        if let Some(s) = &self.source {
            if s.trim().is_empty() {
                return Err(Error::validation("source must not be empty"));
            }
            validate::short_text("source", s)?;
        }
        Ok(())
    }

    /// The remember body (0.2.x) and batch-remember item (both generations).
    pub fn to_body(&self) -> memanto_protocol::wire::RememberBody {
        memanto_protocol::wire::RememberBody {
            content: self.content.clone(),
            memory_type: self.memory_type.clone(),
            title: self.title.clone(),
            confidence: self.confidence,
            tags: self.tags.clone(),
            source: self.source.clone(),
            provenance: self.provenance.clone(),
        }
    }
}

/// Arguments of recall.
#[derive(Debug, Clone, Default)]
pub struct RecallArgs {
    pub query: String,
    pub limit: Option<u32>,
    pub min_similarity: Option<f64>,
    /// ISO-8601 strings (UTC).
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    pub memory_types: Vec<String>,
    pub tags: Vec<String>,
    /// `all`, `active` or `expired` (0.2.x).
    pub status: Option<String>,
}

impl RecallArgs {
    pub fn validate(&self) -> Result<()> {
        validate::query(&self.query, "query")?;
        if let Some(m) = self.min_similarity {
            validate::unit_interval("min_similarity", m)?;
        }
        if let Some(a) = &self.created_after {
            validate::timestamp("created_after", a)?;
        }
        if let Some(b) = &self.created_before {
            validate::timestamp("created_before", b)?;
        }
        if let Some(s) = &self.status {
            validate::one_of("status", s, &memanto_protocol::RECALL_STATUSES)?;
        }
        validate_filters(self.limit, &self.memory_types, &self.tags)
    }
}

/// The checks shared by recall and the temporal queries.
pub(crate) fn validate_filters(
    limit: Option<u32>,
    memory_types: &[String],
    tags: &[String],
) -> Result<()> {
    if let Some(l) = limit {
        validate::limit(l)?;
    }
    for t in memory_types {
        validate::one_of("memory type", t, &validate::MEMORY_TYPES)?;
    }
    validate::tags(tags)
}

/// Arguments of answer (`POST /api/v2/agents/{id}/answer`). The generation module checks
/// `temperature` against its own bound.
#[derive(Debug, Clone, Default)]
pub struct AnswerArgs {
    pub question: String,
    pub limit: Option<u32>,
    pub threshold: Option<f64>,
    pub temperature: Option<f64>,
    pub ai_model: Option<String>,
    pub kiosk_mode: Option<bool>,
    pub header_prompt: Option<String>,
    pub footer_prompt: Option<String>,
}

impl AnswerArgs {
    pub fn validate(&self) -> Result<()> {
        validate::query(&self.question, "question")?;
        if let Some(l) = self.limit {
            validate::limit(l)?;
        }
        if let Some(t) = self.threshold {
            validate::unit_interval("threshold", t)?;
        }
        if let Some(t) = self.temperature {
            if !(t.is_finite() && t >= 0.0) {
                return Err(Error::validation(format!(
                    "temperature must be 0.0 or more, got {t}"
                )));
            }
        }
        if let Some(m) = &self.ai_model {
            validate::short_text("ai_model", m)?;
        }
        Ok(())
    }
}

/// Filters of the temporal queries (as-of, changed-since, current, recent, all).
#[derive(Debug, Clone, Default)]
pub struct TemporalArgs {
    pub limit: Option<u32>,
    pub memory_types: Vec<String>,
    pub tags: Vec<String>,
    /// `all`, `active` or `expired` (0.2.x changed-since, recent, all).
    pub status: Option<String>,
    /// Creation window (0.2.x recent and all), ISO-8601.
    pub created_after: Option<String>,
    pub created_before: Option<String>,
}

impl TemporalArgs {
    pub fn validate(&self) -> Result<()> {
        if let Some(s) = &self.status {
            validate::one_of("status", s, &memanto_protocol::RECALL_STATUSES)?;
        }
        if let Some(a) = &self.created_after {
            validate::timestamp("created_after", a)?;
        }
        if let Some(b) = &self.created_before {
            validate::timestamp("created_before", b)?;
        }
        validate_filters(self.limit, &self.memory_types, &self.tags)
    }
}

/// Arguments of `remember/extract` (0.2.x).
#[derive(Debug, Clone, Default)]
pub struct ExtractArgs {
    pub messages: Vec<memanto_protocol::wire::Message>,
    pub dry_run: bool,
    pub max_memories: Option<u32>,
    pub ai_model: Option<String>,
}

impl ExtractArgs {
    pub fn validate(&self) -> Result<()> {
        use memanto_protocol::limits::{
            MAX_EXTRACT_MEMORIES, MAX_EXTRACT_MESSAGES, MAX_ROLE_CHARS,
        };
        let n = self.messages.len();
        if n == 0 || n > MAX_EXTRACT_MESSAGES {
            return Err(Error::validation(format!(
                "extract takes 1 to {MAX_EXTRACT_MESSAGES} messages, got {n}"
            )));
        }
        for (i, m) in self.messages.iter().enumerate() {
            let role = m.role.trim();
            if role.is_empty() || m.role.chars().count() > MAX_ROLE_CHARS {
                return Err(Error::validation(format!(
                    "messages[{i}].role must be 1 to {MAX_ROLE_CHARS} characters (e.g. \"user\")"
                )));
            }
            validate::content(&m.content, &format!("messages[{i}].content"))?;
        }
        if let Some(k) = self.max_memories {
            if k == 0 || k > MAX_EXTRACT_MEMORIES {
                return Err(Error::validation(format!(
                    "max_memories must be between 1 and {MAX_EXTRACT_MEMORIES}, got {k}"
                )));
            }
        }
        if let Some(m) = &self.ai_model {
            validate::short_text("ai_model", m)?;
        }
        Ok(())
    }
}

/// Arguments of `conflicts/resolve` (0.2.x).
#[derive(Debug, Clone, Default)]
pub struct ConflictResolution {
    pub conflict_index: u64,
    pub action: String,
    pub date: Option<String>,
    pub manual_content: Option<String>,
    pub manual_type: Option<String>,
}

impl ConflictResolution {
    pub fn validate(&self) -> Result<()> {
        validate::one_of("action", &self.action, &memanto_protocol::CONFLICT_ACTIONS)?;
        if let Some(d) = &self.date {
            validate::day("date", d)?;
        }
        match (&*self.action, &self.manual_content) {
            ("manual", None) => {
                return Err(Error::validation(
                    "action \"manual\" needs manual_content (the memory that replaces both)",
                ))
            }
            ("manual", Some(c)) => validate::content(c, "manual_content")?,
            (_, Some(_)) => {
                return Err(Error::validation(
                    "manual_content applies only with action \"manual\"",
                ))
            }
            _ => {}
        }
        if let Some(t) = &self.manual_type {
            validate::one_of("memory type", t, &validate::MEMORY_TYPES)?;
        }
        Ok(())
    }
}

/// The new memory of a supersede: an existing memory's id, or content stored in the same call.
#[derive(Debug, Clone)]
pub enum Replacement {
    Existing(String),
    New(MemoryInput),
}

/// Fields to change in `update` (None = unchanged).
#[derive(Debug, Clone, Default)]
pub struct MemoryUpdate {
    pub content: Option<String>,
    pub memory_type: Option<String>,
    pub title: Option<String>,
    pub confidence: Option<f64>,
    pub tags: Option<Vec<String>>,
    pub source: Option<String>,
    pub provenance: Option<String>,
}

impl MemoryUpdate {
    pub fn validate(&self) -> Result<()> {
        let empty = self.content.is_none()
            && self.memory_type.is_none()
            && self.title.is_none()
            && self.confidence.is_none()
            && self.tags.is_none()
            && self.source.is_none()
            && self.provenance.is_none();
        if empty {
            return Err(Error::validation(
                "update needs at least one field to change",
            ));
        }
        if let Some(c) = &self.content {
            validate::content(c, "content")?;
        }
        if let Some(t) = &self.memory_type {
            validate::one_of("memory type", t, &validate::MEMORY_TYPES)?;
        }
        if let Some(t) = &self.title {
            validate::title(t)?;
        }
        if let Some(c) = self.confidence {
            validate::unit_interval("confidence", c)?;
        }
        if let Some(t) = &self.tags {
            validate::tags(t)?;
        }
        if let Some(s) = &self.source {
            validate::short_text("source", s)?;
        }
        if let Some(p) = &self.provenance {
            validate::one_of("provenance", p, &validate::PROVENANCES)?;
        }
        Ok(())
    }
}
