//! The 0.2 memory item (API-0.2 §9.1): exactly its 19 keys, no trust fields, memory times with
//! `+00:00` (§0.6).

use serde::Serialize;

use crate::model::MemoryRow;

/// A stored `…Z` time as Python's `isoformat()` writes an aware UTC one.
pub fn py_iso(stored: &str) -> String {
    match stored.strip_suffix('Z') {
        Some(head) => format!("{head}+00:00"),
        None => stored.to_owned(),
    }
}

/// One memory item of a 0.2 read.
#[derive(Debug, Serialize)]
pub struct Item<'a> {
    id: &'a str,
    title: &'a str,
    content: &'a str,
    text: String,
    #[serde(rename = "type")]
    mtype: &'a str,
    confidence: f64,
    status: &'a str,
    tags: &'a [String],
    created_at: String,
    updated_at: String,
    expired_at: Option<String>,
    expired_by: Option<&'a str>,
    actor_id: &'a str,
    source: &'a str,
    source_ref: Option<&'a str>,
    agent_id: &'a str,
    score: Option<f64>,
    provenance: &'a str,
    change_type: Option<&'a str>,
}

impl<'a> Item<'a> {
    /// The item of `row`; `status` is `expired` only for an expired memory (a legacy
    /// `superseded` reads as `active`, as 0.2.30 reports unknown statuses).
    pub fn of(row: &'a MemoryRow) -> Item<'a> {
        let status = if row.is_expired() {
            "expired"
        } else {
            "active"
        };
        Item {
            id: &row.id,
            title: &row.title,
            content: &row.content,
            text: row.text(),
            mtype: &row.mtype,
            confidence: row.confidence,
            status,
            tags: &row.tags,
            created_at: py_iso(&row.created_at),
            updated_at: py_iso(&row.updated_at),
            expired_at: row.expired_at.as_deref().map(py_iso),
            expired_by: row.expired_by.as_deref(),
            actor_id: &row.agent_id,
            source: &row.source,
            source_ref: None,
            agent_id: &row.agent_id,
            score: row.score,
            provenance: &row.provenance,
            change_type: None,
        }
    }

    /// As-of reports every item `active`, without a score.
    pub fn in_as_of(mut self) -> Self {
        self.status = "active";
        self.score = None;
        self
    }

    pub fn with_change(mut self, change: &'a str) -> Self {
        self.change_type = Some(change);
        self.score = None;
        self
    }
}
