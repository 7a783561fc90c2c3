//! Validation of the 0.2.x policy object (API-0.2 §8.1) with pydantic-style 422 problems:
//! retention keys are memory types, durations parse (`crate::expiry::parse_duration`), rule
//! names are unique and match `^[A-Za-z0-9._-]+$` (1–64), match fields have their types.

use memanto_protocol::policy::{Policy, PolicyRule, RuleMatch};
use serde_json::{json, Map, Value};

use super::body::int_field;
use crate::error::ApiResult;
use crate::expiry::parse_duration;
use crate::model::{MEMORY_TYPES, PROVENANCES};
use crate::validate::{self, check_range, loc, loc_with, Loc, Problems};

/// A duration string at `at` (`default` when absent or `null`).
fn duration(v: Option<&Value>, at: Loc, default: &str, p: &mut Problems) -> String {
    match v {
        None | Some(Value::Null) => default.to_owned(),
        Some(Value::String(s)) => {
            if let Err(e) = parse_duration(s) {
                p.push(
                    "value_error",
                    at,
                    format!("Value error, {e}"),
                    json!(s),
                    None,
                );
            }
            s.clone()
        }
        Some(other) => {
            p.wrong_type(at, other.clone(), "string_type", "string");
            default.to_owned()
        }
    }
}

/// An optional list of strings at `at`, each in `allowed` when given.
fn opt_list(
    v: Option<&Value>,
    at: &Loc,
    allowed: Option<&[&str]>,
    p: &mut Problems,
) -> Option<Vec<String>> {
    let items = match v? {
        Value::Null => return None,
        Value::Array(items) => items,
        other => {
            p.wrong_type(at.clone(), other.clone(), "list_type", "list");
            return None;
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match (item, allowed) {
            (Value::String(s), Some(allowed)) if !allowed.contains(&s.as_str()) => {
                p.one_of(loc_with(at, i), item.clone(), allowed)
            }
            (Value::String(s), _) => out.push(s.clone()),
            (other, _) => p.wrong_type(loc_with(at, i), other.clone(), "string_type", "string"),
        }
    }
    Some(out)
}

fn parse_match(v: Option<&Value>, at: Loc, p: &mut Problems) -> RuleMatch {
    let obj = match v {
        None | Some(Value::Null) => return RuleMatch::default(),
        Some(Value::Object(o)) => o,
        Some(other) => {
            p.wrong_type(at, other.clone(), "model_type", "dictionary or object");
            return RuleMatch::default();
        }
    };
    let field = |f: &str| loc_with(&at, f);
    let confidence_below = match obj.get("confidence_below") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(c) if check_range(p, field("confidence_below"), v.clone(), c, 0.0, 1.0) => Some(c),
            Some(_) => None,
            None => {
                p.wrong_type(field("confidence_below"), v.clone(), "float_type", "number");
                None
            }
        },
    };
    RuleMatch {
        types: opt_list(obj.get("type"), &field("type"), Some(&MEMORY_TYPES), p),
        tags: opt_list(obj.get("tags"), &field("tags"), None, p),
        source: opt_list(obj.get("source"), &field("source"), None, p),
        provenance: opt_list(
            obj.get("provenance"),
            &field("provenance"),
            Some(&PROVENANCES),
            p,
        ),
        confidence_below,
    }
}

fn valid_rule_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Validates a policy body (§8.1) with pydantic-style 422 problems.
pub(crate) fn parse_policy(obj: &Map<String, Value>) -> ApiResult<Policy> {
    let mut p = Problems::new();
    let at = |f: &str| loc(&["body", f]);
    let version = int_field(obj, "version", &mut p).unwrap_or(1);
    let mut retention = std::collections::BTreeMap::new();
    match obj.get("retention") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let here = loc_with(&at("retention"), k.as_str());
                if !MEMORY_TYPES.contains(&k.as_str()) {
                    p.one_of(here.clone(), json!(k), &MEMORY_TYPES);
                }
                retention.insert(k.clone(), duration(Some(v), here, "never", &mut p));
            }
        }
        Some(other) => p.wrong_type(at("retention"), other.clone(), "dict_type", "dictionary"),
    }
    let mut rules = Vec::new();
    match obj.get("rules") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let base = loc_with(&at("rules"), i);
                let Value::Object(r) = item else {
                    p.wrong_type(base, item.clone(), "model_type", "dictionary or object");
                    continue;
                };
                let name = validate::req_str(r, "name", &base, &mut p).unwrap_or_default();
                if r.get("name").is_some_and(Value::is_string) && !valid_rule_name(&name) {
                    p.push(
                        "string_pattern_mismatch",
                        loc_with(&base, "name"),
                        "String should match pattern '^[A-Za-z0-9._-]+$' and have 1 to 64 characters",
                        json!(name),
                        Some(json!({"pattern": "^[A-Za-z0-9._-]+$"})),
                    );
                }
                rules.push(PolicyRule {
                    name,
                    matches: parse_match(r.get("match"), loc_with(&base, "match"), &mut p),
                    expire_after: duration(
                        r.get("expire_after"),
                        loc_with(&base, "expire_after"),
                        "never",
                        &mut p,
                    ),
                });
            }
        }
        Some(other) => p.wrong_type(at("rules"), other.clone(), "list_type", "list"),
    }
    let purge_expired_after = duration(
        obj.get("purge_expired_after"),
        at("purge_expired_after"),
        "never",
        &mut p,
    );
    for (i, rule) in rules.iter().enumerate() {
        if p.is_empty() && rules[..i].iter().any(|r| r.name == rule.name) {
            p.push(
                "value_error",
                loc(&["body"]),
                format!(
                    "Value error, Rule names must be unique: '{}' appears more than once",
                    rule.name
                ),
                Value::Object(obj.clone()),
                None,
            );
        }
    }
    p.finish()?;
    Ok(Policy {
        version,
        retention,
        rules,
        purge_expired_after,
    })
}
