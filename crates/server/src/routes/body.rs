//! Fields of the 0.2.x JSON bodies shared by the current-generation routes (pydantic-style
//! 422 problems), and their common errors.

use axum::body::Bytes;
use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use crate::db::query::StatusFilter;
use crate::error::{ApiError, ApiResult};
use crate::model::MEMORY_TYPES;
use crate::time::{self, DateBound};
use crate::validate::{self, loc, Problems};

/// A body that may be absent: empty or `null` means `{}`; anything else must be a JSON
/// object.
pub fn optional_object(body: &Bytes) -> ApiResult<Map<String, Value>> {
    match validate::json_body(body, false)? {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(_) => validate::json_object(body),
    }
}

/// 404 `{"detail": "Memory '<id>' was not found."}` (the 0.2.x text).
pub fn memory_gone(id: &str) -> ApiError {
    ApiError::detail(
        StatusCode::NOT_FOUND,
        format!("Memory '{id}' was not found."),
    )
}

fn at(field: &str) -> validate::Loc {
    loc(&["body", field])
}

/// `status`: `all` (default, also for `null`), `active` or `expired`.
pub fn status_field(obj: &Map<String, Value>, p: &mut Problems) -> StatusFilter {
    match obj.get("status") {
        None | Some(Value::Null) => StatusFilter::All,
        Some(v) => v.as_str().and_then(StatusFilter::parse).unwrap_or_else(|| {
            p.one_of(at("status"), v.clone(), &memanto_protocol::RECALL_STATUSES);
            StatusFilter::All
        }),
    }
}

/// A list of strings (`null` or absent = empty), each passed through `check`.
fn string_list(
    obj: &Map<String, Value>,
    field: &str,
    p: &mut Problems,
    mut check: impl FnMut(&str, validate::Loc, &mut Problems) -> Option<String>,
) -> Vec<String> {
    let items = match obj.get(field) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            p.wrong_type(at(field), other.clone(), "list_type", "list");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let here = validate::loc_with(&at(field), i);
        match item {
            Value::String(s) => {
                if let Some(v) = check(s, here, p) {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
            other => p.wrong_type(here, other.clone(), "string_type", "string"),
        }
    }
    out
}

/// `type`: a list of memory types (case-sensitive, as in 0.2.x).
pub fn types_field(obj: &Map<String, Value>, p: &mut Problems) -> Vec<String> {
    string_list(obj, "type", p, |s, here, p| {
        if MEMORY_TYPES.contains(&s) {
            Some(s.to_owned())
        } else {
            p.one_of(here, json!(s), &MEMORY_TYPES);
            None
        }
    })
}

/// A tag filter: trimmed, `^[A-Za-z0-9_.-]+$`.
pub fn tags_field(obj: &Map<String, Value>, p: &mut Problems) -> Vec<String> {
    string_list(obj, "tags", p, |s, here, p| {
        let t = s.trim();
        if !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            Some(t.to_owned())
        } else {
            p.push(
                "value_error",
                here,
                format!("Value error, Invalid tag filter '{s}': only letters, digits, '_', '.' and '-' are allowed"),
                json!(s),
                None,
            );
            None
        }
    })
}

/// An optional date bound (§11): a string parsed by the protocol's parser, in the stored
/// format; `null` = no bound.
pub fn date_field(
    obj: &Map<String, Value>,
    field: &str,
    bound: DateBound,
    p: &mut Problems,
) -> Option<String> {
    match obj.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let parsed = time::parse_user(s, bound)
                .filter(|t| (0..=9999).contains(&chrono::Datelike::year(t)));
            match parsed {
                Some(t) => Some(time::fmt(&t)),
                None => {
                    p.push(
                        "value_error",
                        at(field),
                        format!("Value error, Invalid value '{s}'. Use YYYY-MM-DD or ISO 8601 datetime."),
                        json!(s),
                        None,
                    );
                    None
                }
            }
        }
        Some(other) => {
            p.push(
                "value_error",
                at(field),
                format!(
                    "Value error, Cannot parse temporal recall bound from {}",
                    py_type(other)
                ),
                other.clone(),
                None,
            );
            None
        }
    }
}

/// The Python class name pydantic would report for a JSON value.
fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if n.is_f64() => "<class 'float'>",
        Value::Number(_) => "<class 'int'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
        _ => "<class 'str'>",
    }
}

/// An optional integer (`null` = absent).
pub fn int_field(obj: &Map<String, Value>, field: &str, p: &mut Problems) -> Option<i64> {
    match obj.get(field) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) => Some(n),
            None => {
                p.wrong_type(at(field), v.clone(), "int_type", "integer");
                None
            }
        },
    }
}

/// `limit`: `default` when absent, `>= 1` (422).
pub fn limit_field(obj: &Map<String, Value>, default: i64, p: &mut Problems) -> i64 {
    match int_field(obj, "limit", p) {
        Some(k) if k < 1 => {
            p.ge(at("limit"), json!(k), json!(1));
            default
        }
        Some(k) => k,
        None => default,
    }
}

/// An optional boolean, `false` when absent or `null`.
pub fn bool_field(obj: &Map<String, Value>, field: &str, p: &mut Problems) -> bool {
    match obj.get(field) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            p.wrong_type(at(field), other.clone(), "bool_type", "boolean");
            false
        }
    }
}

/// A report/summary date: `^\d{4}-\d{2}-\d{2}$` (not checked as a calendar date), else 400
/// `Invalid summary identifier`; today's UTC date when absent.
pub fn date_id(raw: Option<&Value>) -> ApiResult<String> {
    let invalid = || ApiError::detail(StatusCode::BAD_REQUEST, "Invalid summary identifier");
    match raw {
        None | Some(Value::Null) => Ok(time::now().format("%Y-%m-%d").to_string()),
        Some(Value::String(s)) => {
            let b = s.as_bytes();
            let ok = b.len() == 10
                && b.iter().enumerate().all(|(i, c)| match i {
                    4 | 7 => *c == b'-',
                    _ => c.is_ascii_digit(),
                });
            if ok {
                Ok(s.clone())
            } else {
                Err(invalid())
            }
        }
        Some(_) => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_ids() {
        assert_eq!(date_id(Some(&json!("2026-02-31"))).unwrap(), "2026-02-31");
        for bad in [
            json!("2026-1-01"),
            json!("20260101"),
            json!(" 2026-01-01"),
            json!(5),
        ] {
            assert!(date_id(Some(&bad)).is_err(), "{bad}");
        }
        assert_eq!(date_id(None).unwrap().len(), 10);
    }
}
