//! 0.2.30 request-field rules (API-0.2 §4.1, §5, §9.5, §11): memory fields, tag rules for
//! writes and filters, type lists, limits and the temporal date bounds.

use serde_json::{json, Map, Value};

use crate::db::memories::NewMemory;
use crate::model::{MAX_CONTENT_CHARS, MAX_TITLE_CHARS, MEMORY_TYPES, PROVENANCES};
use crate::time::{self, DateBound};

pub use super::dates::date;
use crate::validate::{self, check_range, loc_with, Loc, Problems};
use memanto_protocol::limits::{MAX_SOURCE_CHARS, MAX_TAGS, MAX_TAG_CHARS, TAG_INJECTION_PHRASES};
use memanto_protocol::{MEMORY_STATUSES, RECALL_STATUSES};

pub(super) fn value_error(p: &mut Problems, at: Loc, msg: &str, input: Value) {
    p.push(
        "value_error",
        at,
        format!("Value error, {msg}"),
        input,
        None,
    );
}

/// A pydantic `Literal[...]` member (case-sensitive).
pub fn literal(raw: &str, at: Loc, allowed: &[&str], p: &mut Problems) -> bool {
    if allowed.contains(&raw) {
        return true;
    }
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    let expected = match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    };
    p.push(
        "literal_error",
        at,
        format!("Input should be {expected}"),
        json!(raw),
        Some(json!({ "expected": expected })),
    );
    false
}

fn label_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Memory content: required, non-blank, at most 10 000 characters (422 `string_too_long`).
pub fn content(obj: &Map<String, Value>, base: &Loc, p: &mut Problems) -> Option<String> {
    let c = validate::req_str(obj, "content", base, p)?;
    let at = loc_with(base, "content");
    if c.chars().count() > MAX_CONTENT_CHARS {
        p.too_long(at, json!(c), MAX_CONTENT_CHARS);
    } else if c.trim().is_empty() {
        value_error(p, at, "content must not be blank", json!(c));
    }
    Some(c)
}

/// The write tag rules of §9.5: each trimmed, 1–64 chars, no comma / control characters /
/// leading `#` / injection phrase; at most 20.
pub fn write_tags(obj: &Map<String, Value>, base: &Loc, p: &mut Problems) -> Option<Vec<String>> {
    let at = loc_with(base, "tags");
    let items = match obj.get("tags")? {
        Value::Null => return None,
        Value::Array(items) => items,
        other => {
            p.wrong_type(at, other.clone(), "list_type", "valid list");
            return None;
        }
    };
    if items.len() > MAX_TAGS {
        value_error(
            p,
            at.clone(),
            &format!("at most {MAX_TAGS} tags are allowed"),
            Value::Array(items.clone()),
        );
    }
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = loc_with(&at, i);
        let Value::String(raw) = item else {
            p.wrong_type(at, item.clone(), "string_type", "string");
            continue;
        };
        let t = raw.trim();
        let lower = t.to_lowercase();
        let problem = if t.is_empty() || t.chars().count() > MAX_TAG_CHARS {
            Some(format!("each tag must be 1-{MAX_TAG_CHARS} characters"))
        } else if t.contains(',') {
            Some("tags must not contain commas".to_owned())
        } else if t
            .chars()
            .any(|c| c.is_ascii_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))
        {
            Some("tags must not contain control characters".to_owned())
        } else if t.starts_with('#') {
            Some("tags must not start with '#'".to_owned())
        } else if lower.starts_with("system:")
            || TAG_INJECTION_PHRASES.iter().any(|ph| lower.contains(ph))
        {
            Some("tag looks like an instruction injection".to_owned())
        } else {
            None
        };
        match problem {
            Some(msg) => value_error(p, at, &msg, item.clone()),
            None if !out.iter().any(|o| o == t) => out.push(t.to_owned()),
            None => {}
        }
    }
    Some(out)
}

/// A write `source`: trimmed, 1–64 chars of `[A-Za-z0-9._-]`.
pub fn source(obj: &Map<String, Value>, base: &Loc, p: &mut Problems) -> Option<String> {
    let raw = validate::opt_str(obj, "source", base, p)?;
    let s = raw.trim().to_owned();
    let at = loc_with(base, "source");
    if s.is_empty() {
        p.too_short(at, json!(raw), 1);
    } else if s.chars().count() > MAX_SOURCE_CHARS {
        p.too_long(at, json!(raw), MAX_SOURCE_CHARS);
    } else if !label_ok(&s) {
        p.push(
            "string_pattern_mismatch",
            at,
            "String should match pattern '^[A-Za-z0-9._-]+$'",
            json!(raw),
            Some(json!({ "pattern": "^[A-Za-z0-9._-]+$" })),
        );
    }
    Some(s)
}

/// An optional enum-valued string field.
pub fn opt_literal(
    obj: &Map<String, Value>,
    field: &str,
    allowed: &[&str],
    base: &Loc,
    p: &mut Problems,
) -> Option<String> {
    let v = validate::opt_str(obj, field, base, p)?;
    literal(&v, loc_with(base, field), allowed, p);
    Some(v)
}

/// A 0.2 title: at most 100 characters, line breaks folded to one space.
pub fn title(obj: &Map<String, Value>, base: &Loc, p: &mut Problems) -> Option<String> {
    let t = validate::opt_str(obj, "title", base, p)?;
    if t.chars().count() > MAX_TITLE_CHARS {
        p.too_long(loc_with(base, "title"), json!(t), MAX_TITLE_CHARS);
    }
    let folded: String = t
        .chars()
        .map(|c| {
            if matches!(
                c,
                '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
            ) {
                ' '
            } else {
                c
            }
        })
        .collect();
    Some(
        folded
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    )
    .filter(|f| !f.is_empty())
    .or(Some(t))
}

/// Default title: the content if at most 50 characters, else its first `head` + `...`.
fn default_title(content: &str, head: usize) -> String {
    if content.chars().count() <= 50 {
        content.to_owned()
    } else {
        format!("{}...", content.chars().take(head).collect::<String>())
    }
}

/// A remember body or batch item (`title_head`: 50 for remember, 47 for batch). `status`,
/// `expired_at` and `expired_by` are validated (expired needs both) and not stored.
pub fn memory(
    obj: &Map<String, Value>,
    base: &Loc,
    title_head: usize,
    p: &mut Problems,
) -> Option<NewMemory> {
    let before = p.len();
    let content = content(obj, base, p);
    let mtype = opt_literal(obj, "type", &MEMORY_TYPES, base, p);
    let title = title(obj, base, p);
    let confidence = validate::opt_f64(obj, "confidence", base, p);
    if let Some(c) = confidence {
        check_range(
            p,
            loc_with(base, "confidence"),
            obj["confidence"].clone(),
            c,
            0.0,
            1.0,
        );
    }
    let tags = write_tags(obj, base, p).unwrap_or_default();
    let source = source(obj, base, p);
    let provenance = opt_literal(obj, "provenance", &PROVENANCES, base, p);
    let status = opt_literal(obj, "status", &MEMORY_STATUSES, base, p);
    let expired_at = validate::opt_str(obj, "expired_at", base, p);
    let expired_by = validate::opt_str(obj, "expired_by", base, p);
    if status.as_deref() == Some("expired") && (expired_at.is_none() || expired_by.is_none()) {
        value_error(
            p,
            base.clone(),
            "expired_at and expired_by are required when status is 'expired'",
            Value::Object(obj.clone()),
        );
    }
    if let Some(at) = &expired_at {
        if time::parse_user(at, DateBound::StartOfDay).is_none() {
            p.push(
                "datetime_from_date_parsing",
                loc_with(base, "expired_at"),
                "Input should be a valid datetime or date, invalid character in year",
                json!(at),
                None,
            );
        }
    }
    if p.len() > before {
        return None;
    }
    let content = content?;
    Some(NewMemory {
        mtype: mtype.unwrap_or_else(|| "fact".to_owned()),
        title: title.unwrap_or_else(|| default_title(content.trim(), title_head)),
        content,
        tags,
        confidence: confidence.unwrap_or(0.8),
        source: source.unwrap_or_else(|| "agent".to_owned()),
        provenance: provenance.unwrap_or_else(|| "explicit_statement".to_owned()),
    })
}

/// Read filter tags: each trimmed and `^[A-Za-z0-9_.-]+$`.
pub fn filter_tags(obj: &Map<String, Value>, base: &Loc, p: &mut Problems) -> Vec<String> {
    let at = loc_with(base, "tags");
    let items = match obj.get("tags") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            p.wrong_type(at, other.clone(), "list_type", "valid list");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) if label_ok(s.trim()) => out.push(s.trim().to_owned()),
            Value::String(_) => value_error(
                p,
                loc_with(&at, i),
                "tag filters may only contain letters, digits, '_', '.' and '-'",
                item.clone(),
            ),
            other => p.wrong_type(loc_with(&at, i), other.clone(), "string_type", "string"),
        }
    }
    out
}

/// `type`: a list of memory types (422 per unknown one).
pub fn type_list(obj: &Map<String, Value>, base: &Loc, p: &mut Problems) -> Vec<String> {
    let at = loc_with(base, "type");
    match obj.get("type") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => {
                        if literal(s, loc_with(&at, i), &MEMORY_TYPES, p) {
                            out.push(s.clone());
                        }
                    }
                    other => p.wrong_type(loc_with(&at, i), other.clone(), "string_type", "string"),
                }
            }
            out
        }
        Some(other) => {
            p.wrong_type(at, other.clone(), "list_type", "valid list");
            Vec::new()
        }
    }
}

/// `status` filter: `all` (default), `active` or `expired`; `None` means all.
pub fn status_filter(
    obj: &Map<String, Value>,
    base: &Loc,
    p: &mut Problems,
) -> crate::db::query::StatusFilter {
    opt_literal(obj, "status", &RECALL_STATUSES, base, p)
        .and_then(|s| crate::db::query::StatusFilter::parse(&s))
        .unwrap_or_default()
}

/// An optional integer `field` ≥ `min` (the `> 100` 400 comes after validation).
pub fn int(
    obj: &Map<String, Value>,
    field: &str,
    min: i64,
    base: &Loc,
    p: &mut Problems,
) -> Option<i64> {
    let at = loc_with(base, field);
    match obj.get(field)? {
        Value::Null => None,
        Value::Number(n) if n.as_i64().is_some() => {
            let v = n.as_i64().unwrap_or_default();
            if v < min {
                p.ge(at, json!(v), json!(min));
            }
            Some(v)
        }
        other => {
            p.push(
                "int_type",
                at,
                "Input should be a valid integer",
                other.clone(),
                None,
            );
            None
        }
    }
}
