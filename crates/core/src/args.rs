//! Arguments of the memory calls, with their checks and wire encodings.

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::validate;

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

    /// The JSON item for batch-remember, and the full body for remember on newer servers.
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({ "content": self.content });
        if let Some(t) = &self.memory_type {
            v["type"] = json!(t);
        }
        if let Some(t) = &self.title {
            v["title"] = json!(t);
        }
        if let Some(c) = self.confidence {
            v["confidence"] = json!(c);
        }
        if !self.tags.is_empty() {
            v["tags"] = json!(self.tags);
        }
        if let Some(s) = &self.source {
            v["source"] = json!(s);
        }
        if let Some(p) = &self.provenance {
            v["provenance"] = json!(p);
        }
        v
    }

    /// The query parameters the 0.0.8 server reads for remember.
    pub(crate) fn legacy_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(t) = &self.memory_type {
            q.push(("memory_type", t.clone()));
        }
        if let Some(t) = &self.title {
            q.push(("title", t.clone()));
        }
        if let Some(c) = self.confidence {
            q.push(("confidence", c.to_string()));
        }
        if !self.tags.is_empty() {
            q.push(("tags", self.tags.join(",")));
        }
        if let Some(s) = &self.source {
            q.push(("source", s.clone()));
        }
        if let Some(p) = &self.provenance {
            q.push(("provenance", p.clone()));
        }
        q
    }
}

/// Arguments of recall (`GET /api/v2/agents/{id}/recall`).
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
}

/// Arguments of answer (`POST /api/v2/agents/{id}/answer`).
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

/// Filters shared by recall and the temporal queries, as query parameters.
pub(crate) fn filter_params(
    q: &mut Vec<(&'static str, String)>,
    limit: Option<u32>,
    memory_types: &[String],
    tags: &[String],
) -> Result<()> {
    if let Some(l) = limit {
        validate::limit(l)?;
        q.push(("limit", l.to_string()));
    }
    if !memory_types.is_empty() {
        for t in memory_types {
            validate::one_of("memory type", t, &validate::MEMORY_TYPES)?;
        }
        q.push(("memory_types", memory_types.join(",")));
    }
    if !tags.is_empty() {
        validate::tags(tags)?;
        q.push(("tags", tags.join(",")));
    }
    Ok(())
}

/// Filters of the temporal queries (as-of, changed-since, current).
#[derive(Debug, Clone, Default)]
pub struct TemporalArgs {
    pub limit: Option<u32>,
    pub memory_types: Vec<String>,
    pub tags: Vec<String>,
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

    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({});
        let mut set = |k: &str, val: Value| {
            v[k] = val;
        };
        if let Some(c) = &self.content {
            set("content", json!(c));
        }
        if let Some(t) = &self.memory_type {
            set("type", json!(t));
        }
        if let Some(t) = &self.title {
            set("title", json!(t));
        }
        if let Some(c) = self.confidence {
            set("confidence", json!(c));
        }
        if let Some(t) = &self.tags {
            set("tags", json!(t));
        }
        if let Some(s) = &self.source {
            set("source", json!(s));
        }
        if let Some(p) = &self.provenance {
            set("provenance", json!(p));
        }
        v
    }
}
