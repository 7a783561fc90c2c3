//! Conflict detection without an LLM (the LocalServer's stand-in for 0.2.x's hosted agent
//! run), and the report entries it produces (API-0.2 §7.3).
//!
//! Rules: only active `fact` and `preference` memories take part. Each memory created on the
//! report's UTC date ("new") is compared with every earlier active memory of the same type
//! ("old"); a pair is a conflict when the two are about the same subject — the same title
//! (case-insensitive), or a Dice overlap of at least 0.5 between their content words (stop
//! words left out) — and their contents differ. Each new memory keeps its best match. The
//! conflict `type` is `contradiction` when exactly one side is negated ("not", "no longer",
//! "never", ...), else `update` for the same title, else `conflict`. The recommendation is
//! always `keep_new`.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::model::MemoryRow;

/// Memory types compared (as on 0.2.30).
pub const TYPES: [&str; 2] = ["fact", "preference"];
const MIN_OVERLAP: f64 = 0.5;
const STOP: [&str; 30] = [
    "a", "an", "the", "is", "are", "was", "were", "be", "to", "of", "in", "on", "at", "for", "and",
    "or", "it", "its", "this", "that", "with", "as", "by", "has", "have", "had", "i", "my", "me",
    "we",
];
const NEGATIONS: [&str; 8] = [
    "not", "no", "never", "don't", "doesn't", "isn't", "longer", "nothing",
];

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn content_words(s: &str) -> BTreeSet<String> {
    words(s)
        .into_iter()
        .filter(|w| !STOP.contains(&w.as_str()) && !NEGATIONS.contains(&w.as_str()))
        .collect()
}

fn negated(s: &str) -> bool {
    words(s)
        .iter()
        .any(|w| NEGATIONS.contains(&w.as_str()) || w.ends_with("n't"))
}

fn norm(s: &str) -> String {
    words(s).join(" ")
}

/// Dice overlap of two word sets.
fn overlap(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(b).count() as f64 / (a.len() + b.len()) as f64
}

/// A detected conflict: indices into the rows given to [`detect`].
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub old: usize,
    pub new: usize,
    pub kind: &'static str,
}

/// The conflicts among `rows` for the UTC date `date` (`YYYY-MM-DD`), oldest new memory first.
pub fn detect(rows: &[MemoryRow], date: &str) -> Vec<Found> {
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|&i| !rows[i].is_expired() && TYPES.contains(&rows[i].mtype.as_str()))
        .collect();
    order.sort_by(|&a, &b| rows[a].created_at.cmp(&rows[b].created_at).then(a.cmp(&b)));
    let bags: Vec<BTreeSet<String>> = rows.iter().map(|r| content_words(&r.content)).collect();
    let mut out = Vec::new();
    for (pos, &new) in order.iter().enumerate() {
        let n = &rows[new];
        if !n.created_at.starts_with(date) {
            continue;
        }
        let mut best: Option<(f64, usize, bool)> = None;
        for &old in &order[..pos] {
            let o = &rows[old];
            if o.mtype != n.mtype || norm(&o.content) == norm(&n.content) {
                continue;
            }
            let same_title = !o.title.trim().is_empty()
                && o.title.trim().to_lowercase() == n.title.trim().to_lowercase();
            let score = if same_title {
                1.0
            } else {
                overlap(&bags[old], &bags[new])
            };
            if score >= MIN_OVERLAP && best.is_none_or(|(s, _, _)| score >= s) {
                best = Some((score, old, same_title));
            }
        }
        if let Some((_, old, same_title)) = best {
            let kind = if negated(&rows[old].content) != negated(&n.content) {
                "contradiction"
            } else if same_title {
                "update"
            } else {
                "conflict"
            };
            out.push(Found { old, new, kind });
        }
    }
    out
}

/// `Mar 11, 2026 03:00 PM` (in UTC: the LocalServer has no notion of the caller's zone).
fn display(ts: &str) -> Value {
    memanto_protocol::parse_timestamp(ts).map_or(Value::Null, |t| {
        json!(t.format("%b %d, %Y %I:%M %p").to_string())
    })
}

/// The report entry of a conflict (§7.3 fields; `index` is added when listing).
pub fn entry(f: &Found, rows: &[MemoryRow]) -> Value {
    let (o, n) = (&rows[f.old], &rows[f.new]);
    json!({
        "type": f.kind,
        "title": n.title,
        "description": format!(
            "Two {} memories disagree: \"{}\" (older) vs \"{}\" (newer).",
            n.mtype, o.content, n.content
        ),
        "old_memory_id": o.id,
        "old_content": o.content,
        "new_memory_id": n.id,
        "new_content": n.content,
        "recommendation": "keep_new",
        "resolved": false,
        "resolution": null,
        "old_created_at": display(&o.created_at),
        "new_created_at": display(&n.created_at),
        "old_source": o.source,
        "new_source": n.source,
        "memory_type": n.mtype,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Trust;

    fn row(id: &str, mtype: &str, title: &str, content: &str, created: &str) -> MemoryRow {
        MemoryRow {
            id: id.into(),
            agent_id: "a".into(),
            mtype: mtype.into(),
            title: title.into(),
            content: content.into(),
            tags: vec![],
            confidence: 0.8,
            source: "agent".into(),
            provenance: "explicit_statement".into(),
            created_at: created.into(),
            updated_at: created.into(),
            trust: Trust::default(),
            expired_at: None,
            expired_by: None,
            score: None,
        }
    }

    #[test]
    fn pairs_by_subject_type_and_date() {
        let day = "2026-03-11";
        let rows = vec![
            row(
                "o1",
                "fact",
                "Office",
                "The office is in Berlin",
                "2026-03-01T10:00:00Z",
            ),
            row(
                "o2",
                "preference",
                "Drinks",
                "User likes tea",
                "2026-03-01T10:00:00Z",
            ),
            row(
                "o3",
                "fact",
                "Pets",
                "User has a dog",
                "2026-03-01T10:00:00Z",
            ),
            row(
                "n1",
                "fact",
                "Office move",
                "The office is in Munich",
                "2026-03-11T15:00:00Z",
            ),
            row(
                "n2",
                "preference",
                "Drinks",
                "User likes strong coffee",
                "2026-03-11T15:01:00Z",
            ),
            row(
                "n3",
                "fact",
                "Pets 2",
                "User does not have a dog",
                "2026-03-11T15:02:00Z",
            ),
            // Same words as o1 but a goal: not compared. Same content as o3: no conflict with
            // it, but it contradicts the newer n3.
            row(
                "n4",
                "goal",
                "Office",
                "The office is in Paris",
                "2026-03-11T15:03:00Z",
            ),
            row(
                "n5",
                "fact",
                "Pets",
                "user has a dog!",
                "2026-03-11T15:04:00Z",
            ),
            // Another day's memory is an "old" one only.
            row(
                "n6",
                "fact",
                "Office",
                "The office is in Hamburg",
                "2026-03-12T09:00:00Z",
            ),
        ];
        let found = detect(&rows, day);
        let got: Vec<(&str, &str, &str)> = found
            .iter()
            .map(|f| (rows[f.old].id.as_str(), rows[f.new].id.as_str(), f.kind))
            .collect();
        assert_eq!(
            got,
            [
                ("o1", "n1", "conflict"),
                ("o2", "n2", "update"),
                ("o3", "n3", "contradiction"),
                ("n3", "n5", "contradiction"),
            ]
        );
        let e = entry(&found[0], &rows);
        assert_eq!(e["old_created_at"], "Mar 01, 2026 10:00 AM");
        assert_eq!(e["new_created_at"], "Mar 11, 2026 03:00 PM");
        assert_eq!(e["recommendation"], "keep_new");
        assert_eq!(e["memory_type"], "fact");
        // Expired memories take no part.
        let mut rows = rows;
        rows[0].expired_at = Some("2026-03-02T00:00:00Z".into());
        assert_eq!(detect(&rows, day).len(), 3);
        assert!(detect(&rows, "2026-03-10").is_empty());
    }
}
