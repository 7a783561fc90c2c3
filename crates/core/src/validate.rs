//! Checks run before anything is sent, with the limits of the 0.0.8 server (API.md §4.2).

use crate::error::{Error, Result};

pub use memanto_protocol::limits::{
    MAX_BATCH, MAX_CONTENT_CHARS, MAX_LIMIT, MAX_QUERY_CHARS, MAX_TITLE_CHARS, UPLOAD_EXTENSIONS,
};
pub use memanto_protocol::{MEMORY_TYPES, PATTERNS, PROVENANCES};

pub fn agent_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::validation("agent_id must not be empty"));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::validation(format!(
            "agent_id {id:?} may only contain letters, digits, '_' and '-'"
        )));
    }
    Ok(())
}

/// Longest memory id accepted (ids are UUIDs in practice).
pub const MAX_MEMORY_ID_CHARS: usize = 200;
/// Longest tag, source or model name accepted (keeps query strings within URL limits).
pub const MAX_SHORT_TEXT_CHARS: usize = 200;

/// A memory id is sent as one path segment: it may not be empty, `.` or `..`, nor contain
/// separators, escapes or control characters that could make it another path.
pub fn memory_id(id: &str) -> Result<()> {
    let bad_char = id
        .chars()
        .any(|c| c.is_control() || matches!(c, '/' | '\\' | '?' | '#' | '%'));
    let too_long = id.chars().count() > MAX_MEMORY_ID_CHARS;
    if id.trim().is_empty() || id == "." || id == ".." || bad_char || too_long {
        let shown: String = id.chars().take(40).collect();
        return Err(Error::validation(format!(
            "memory_id {shown:?} is not a valid memory id (1 to {MAX_MEMORY_ID_CHARS} characters, \
             no '/', '\\', '?', '#', '%' or control characters, and not '.' or '..')"
        )));
    }
    Ok(())
}

/// `id` as a single, percent-encoded path segment (after `memory_id` accepted it).
pub fn path_segment(id: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(id, SEGMENT).to_string()
}

/// A short free-text value (source, model name): at most `MAX_SHORT_TEXT_CHARS`.
pub fn short_text(what: &str, value: &str) -> Result<()> {
    let n = value.chars().count();
    if n > MAX_SHORT_TEXT_CHARS {
        return Err(Error::validation(format!(
            "{what} is {n} characters; at most {MAX_SHORT_TEXT_CHARS} are accepted"
        )));
    }
    Ok(())
}

/// `value` for an error message: at most 60 characters.
pub fn shown(value: &str) -> String {
    if value.chars().count() <= 60 {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(57).collect();
        format!("{head:?}... ({} characters)", value.chars().count())
    }
}

pub fn one_of(what: &str, value: &str, allowed: &[&str]) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::validation(format!(
            "unknown {what} {}; expected one of: {}",
            shown(value),
            allowed.join(", ")
        )))
    }
}

/// The keys a 0.2.x expiry policy has: anything else (a typo such as `types` for `type`)
/// would be dropped by the server and could turn a rule into one that matches every memory.
pub fn policy(policy: &serde_json::Value) -> Result<()> {
    use serde_json::Value;
    const TOP: [&str; 4] = ["version", "retention", "rules", "purge_expired_after"];
    const RULE: [&str; 3] = ["name", "match", "expire_after"];
    const MATCH: [&str; 5] = ["type", "tags", "source", "provenance", "confidence_below"];
    let unknown = |at: &str, key: &str, allowed: &[&str]| {
        Error::validation(format!(
            "policy{at} has an unknown key {}; expected one of: {}",
            shown(key),
            allowed.join(", ")
        ))
    };
    let Value::Object(top) = policy else {
        return Err(Error::validation("policy must be a dict"));
    };
    for k in top.keys() {
        if !TOP.contains(&k.as_str()) {
            return Err(unknown("", k, &TOP));
        }
    }
    if let Some(Value::Array(rules)) = top.get("rules") {
        for (i, rule) in rules.iter().enumerate() {
            let Value::Object(rule) = rule else {
                return Err(Error::validation(format!(
                    "policy['rules'][{i}] must be a dict with name, match and expire_after"
                )));
            };
            for k in rule.keys() {
                if !RULE.contains(&k.as_str()) {
                    return Err(unknown(&format!("['rules'][{i}]"), k, &RULE));
                }
            }
            if let Some(Value::Object(m)) = rule.get("match") {
                for k in m.keys() {
                    if !MATCH.contains(&k.as_str()) {
                        return Err(unknown(&format!("['rules'][{i}]['match']"), k, &MATCH));
                    }
                }
            }
        }
    }
    Ok(())
}

pub fn content(text: &str, what: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::validation(format!("{what} must not be empty")));
    }
    let n = text.chars().count();
    if n > MAX_CONTENT_CHARS {
        return Err(Error::validation(format!(
            "{what} is {n} characters; the server accepts at most {MAX_CONTENT_CHARS}. Split it into several memories."
        )));
    }
    Ok(())
}

pub fn query(text: &str, what: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::validation(format!("{what} must not be empty")));
    }
    let n = text.chars().count();
    if n > MAX_QUERY_CHARS {
        return Err(Error::validation(format!(
            "{what} is {n} characters; the server accepts at most {MAX_QUERY_CHARS}"
        )));
    }
    Ok(())
}

pub fn title(text: &str) -> Result<()> {
    let n = text.chars().count();
    if n == 0 || n > MAX_TITLE_CHARS {
        return Err(Error::validation(format!(
            "title must be 1 to {MAX_TITLE_CHARS} characters, got {n}"
        )));
    }
    Ok(())
}

pub fn unit_interval(what: &str, v: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&v) {
        return Err(Error::validation(format!(
            "{what} must be between 0.0 and 1.0, got {v}"
        )));
    }
    Ok(())
}

pub fn limit(v: u32) -> Result<()> {
    if v == 0 || v > MAX_LIMIT {
        return Err(Error::validation(format!(
            "limit must be between 1 and {MAX_LIMIT}, got {v}"
        )));
    }
    Ok(())
}

pub fn tags(tags: &[String]) -> Result<()> {
    for t in tags {
        if t.trim().is_empty() {
            return Err(Error::validation("tags must not contain empty strings"));
        }
        if t.contains(',') {
            return Err(Error::validation(format!(
                "tag {t:?} contains a comma; the server splits tags on commas"
            )));
        }
        let n = t.chars().count();
        if n > MAX_SHORT_TEXT_CHARS {
            return Err(Error::validation(format!(
                "a tag is {n} characters; tags may have at most {MAX_SHORT_TEXT_CHARS}"
            )));
        }
    }
    Ok(())
}

pub fn positive_hours(what: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(Error::validation(format!(
            "{what} must be greater than 0, got {v}"
        )));
    }
    Ok(())
}

/// An ISO-8601 time (with or without offset; naive means UTC) or a `YYYY-MM-DD` date.
pub fn timestamp(what: &str, value: &str) -> Result<()> {
    if crate::time::parse_timestamp(value).is_none() {
        return Err(Error::validation(format!(
            "{what} {} is not an ISO-8601 time; use e.g. 2026-03-28T14:00:00Z or 2026-03-28",
            shown(value)
        )));
    }
    Ok(())
}

/// A `YYYY-MM-DD` day (0.2.x daily-summary and conflict dates), checked as a calendar date.
pub fn day(what: &str, value: &str) -> Result<()> {
    let ok = value.len() == 10 && chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok();
    if !ok {
        return Err(Error::validation(format!(
            "{what} {} must be a date written YYYY-MM-DD, e.g. 2026-12-01",
            shown(value)
        )));
    }
    Ok(())
}

/// An expiry reason (0.2.x): 1 to 64 of letters, digits, '.', '_' and '-'.
/// 1 to `max` characters, each a letter, digit, '.', '_' or '-' (0.2.x labels).
fn is_label(v: &str, max: usize) -> bool {
    !v.is_empty()
        && v.chars().count() <= max
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

pub fn reason(value: &str) -> Result<()> {
    if !is_label(value.trim(), memanto_protocol::limits::MAX_SOURCE_CHARS) {
        return Err(Error::validation(format!(
            "reason {} must be 1 to {} characters of letters, digits, '.', '_' and '-'",
            shown(value),
            memanto_protocol::limits::MAX_SOURCE_CHARS
        )));
    }
    Ok(())
}

/// A policy preset name: 1 to 64 of letters, digits, '.', '_' and '-'.
pub fn preset(name: &str) -> Result<()> {
    if name == "." || name == ".." || !is_label(name, 64) {
        return Err(Error::validation(format!(
            "preset name {} must be letters, digits, '.', '_' or '-' (e.g. \"balanced\")",
            shown(name)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(agent_id("support-bot_1").is_ok());
        assert!(agent_id("a b").is_err());
        assert!(agent_id("").is_err());
        assert!(agent_id("é").is_err());
        assert!(content(&"x".repeat(10_000), "content").is_ok());
        assert!(content(&"x".repeat(10_001), "content")
            .unwrap_err()
            .message
            .contains("10001 characters"));
        assert!(content(&"é".repeat(10_000), "content").is_ok());
        assert!(content("  ", "content").is_err());
        assert!(query(&"q".repeat(1001), "query").is_err());
        assert!(limit(0).is_err() && limit(101).is_err() && limit(100).is_ok());
        assert!(unit_interval("confidence", 1.5).is_err());
        assert!(unit_interval("confidence", f64::NAN).is_err());
        assert!(one_of("memory type", "facts", &MEMORY_TYPES)
            .unwrap_err()
            .message
            .contains("preference"));
        assert!(tags(&["a,b".into()]).is_err());
        assert!(positive_hours("hours", 0.0).is_err());
        assert!(title(&"t".repeat(101)).is_err());
        assert!(memory_id("../x").is_err());
        assert!(timestamp("as_of", "2026-03-28").is_ok());
        assert!(timestamp("as_of", "2026-03-28T14:00:00+02:00").is_ok());
        assert!(timestamp("as_of", "last week")
            .unwrap_err()
            .message
            .contains("ISO-8601"));
    }
}
