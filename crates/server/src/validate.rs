//! Request parsing with pydantic-style 422 problem lists (API.md §1.2 D).

use axum::body::Bytes;
use serde_json::{json, Map, Value};

use crate::error::{ApiError, ApiResult};

/// Accumulates 422 problems so that one response reports all of them.
#[derive(Debug, Default)]
pub struct Problems(Vec<Value>);

/// A location such as `["query","limit"]` or `["body","memories",3,"content"]`.
pub type Loc = Vec<Value>;

pub fn loc(parts: &[&str]) -> Loc {
    parts.iter().map(|p| Value::from(*p)).collect()
}

pub fn loc_with(base: &Loc, part: impl Into<Value>) -> Loc {
    let mut l = base.clone();
    l.push(part.into());
    l
}

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(
        &mut self,
        kind: &str,
        loc: Loc,
        msg: impl Into<String>,
        input: Value,
        ctx: Option<Value>,
    ) {
        let mut item = json!({ "type": kind, "loc": loc, "msg": msg.into(), "input": input });
        if let Some(ctx) = ctx {
            item["ctx"] = ctx;
        }
        self.0.push(item);
    }

    pub fn missing(&mut self, loc: Loc) {
        self.push("missing", loc, "Field required", Value::Null, None);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Err(422)` if any problem was recorded.
    pub fn finish(self) -> ApiResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }

    pub fn ge(&mut self, loc: Loc, input: Value, bound: Value) {
        let msg = format!("Input should be greater than or equal to {bound}");
        self.push(
            "greater_than_equal",
            loc,
            msg,
            input,
            Some(json!({ "ge": bound })),
        );
    }

    pub fn le(&mut self, loc: Loc, input: Value, bound: Value) {
        let msg = format!("Input should be less than or equal to {bound}");
        self.push(
            "less_than_equal",
            loc,
            msg,
            input,
            Some(json!({ "le": bound })),
        );
    }

    pub fn gt(&mut self, loc: Loc, input: Value, bound: Value) {
        let msg = format!("Input should be greater than {bound}");
        self.push(
            "greater_than",
            loc,
            msg,
            input,
            Some(json!({ "gt": bound })),
        );
    }

    pub fn too_short(&mut self, loc: Loc, input: Value, min: usize) {
        let unit = if min == 1 { "character" } else { "characters" };
        let msg = format!("String should have at least {min} {unit}");
        self.push(
            "string_too_short",
            loc,
            msg,
            input,
            Some(json!({ "min_length": min })),
        );
    }

    pub fn too_long(&mut self, loc: Loc, input: Value, max: usize) {
        let msg = format!("String should have at most {max} characters");
        self.push(
            "string_too_long",
            loc,
            msg,
            input,
            Some(json!({ "max_length": max })),
        );
    }

    pub fn one_of(&mut self, loc: Loc, input: Value, allowed: &[&str]) {
        let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
        let expected = match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => quoted.join(""),
        };
        let msg = format!("Input should be {expected}");
        self.push(
            "enum",
            loc,
            msg,
            input,
            Some(json!({ "expected": expected })),
        );
    }

    pub fn wrong_type(&mut self, loc: Loc, input: Value, kind: &str, what: &str) {
        self.push(
            kind,
            loc,
            format!("Input should be a valid {what}"),
            input,
            None,
        );
    }
}

/// Checks a float against inclusive `[min, max]` bounds.
pub fn check_range(p: &mut Problems, loc: Loc, input: Value, v: f64, min: f64, max: f64) -> bool {
    if v < min {
        p.ge(loc, input, json!(min));
        false
    } else if v > max {
        p.le(loc, input, json!(max));
        false
    } else {
        true
    }
}

/// Query-string parameters (the last occurrence of a name wins, as in Starlette).
#[derive(Debug, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        QueryParams(
            form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn int(&self, name: &str, p: &mut Problems) -> Option<i64> {
        let raw = self.get(name)?;
        match raw.trim().parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                p.push(
                    "int_parsing",
                    loc(&["query", name]),
                    "Input should be a valid integer, unable to parse string as an integer",
                    Value::from(raw),
                    None,
                );
                None
            }
        }
    }

    pub fn float(&self, name: &str, p: &mut Problems) -> Option<f64> {
        let raw = self.get(name)?;
        match raw.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                p.push(
                    "float_parsing",
                    loc(&["query", name]),
                    "Input should be a valid number, unable to parse string as a number",
                    Value::from(raw),
                    None,
                );
                None
            }
        }
    }

    pub fn bool(&self, name: &str, p: &mut Problems) -> Option<bool> {
        let raw = self.get(name)?;
        match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
            "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
            _ => {
                p.push(
                    "bool_parsing",
                    loc(&["query", name]),
                    "Input should be a valid boolean, unable to interpret input",
                    Value::from(raw),
                    None,
                );
                None
            }
        }
    }
}

/// Parses a JSON body. Empty bodies are `None` (a 422 `missing` when `required`).
pub fn json_body(body: &Bytes, required: bool) -> ApiResult<Option<Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        if required {
            let mut p = Problems::new();
            p.missing(loc(&["body"]));
            p.finish()?;
        }
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let mut p = Problems::new();
            p.push(
                "json_invalid",
                loc(&["body"]),
                "JSON decode error",
                Value::Null,
                Some(json!({ "error": e.to_string() })),
            );
            p.finish().map(|_| None)
        }
    }
}

/// The body as a JSON object (422 `model_attributes_type` otherwise).
pub fn json_object(body: &Bytes) -> ApiResult<Map<String, Value>> {
    match json_body(body, true)? {
        Some(Value::Object(map)) => Ok(map),
        other => Err(ApiError::validation(json!({
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": other.unwrap_or(Value::Null),
        }))),
    }
}

/// An optional string field (`null` = absent).
pub fn opt_str(
    obj: &Map<String, Value>,
    field: &str,
    base: &Loc,
    p: &mut Problems,
) -> Option<String> {
    match obj.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            p.wrong_type(
                loc_with(base, field),
                other.clone(),
                "string_type",
                "string",
            );
            None
        }
    }
}

/// A required string field.
pub fn req_str(
    obj: &Map<String, Value>,
    field: &str,
    base: &Loc,
    p: &mut Problems,
) -> Option<String> {
    match obj.get(field) {
        None => {
            p.missing(loc_with(base, field));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            p.wrong_type(
                loc_with(base, field),
                other.clone(),
                "string_type",
                "string",
            );
            None
        }
    }
}

/// An optional number field (numbers or numeric strings; `null` = absent).
pub fn opt_f64(obj: &Map<String, Value>, field: &str, base: &Loc, p: &mut Problems) -> Option<f64> {
    let v = obj.get(field)?;
    let parsed = match v {
        Value::Null => return None,
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match parsed {
        Some(x) if x.is_finite() => Some(x),
        _ => {
            p.wrong_type(loc_with(base, field), v.clone(), "float_type", "number");
            None
        }
    }
}

/// An optional list of strings; a comma-separated string is accepted too.
/// Items are trimmed, empty ones dropped, duplicates removed.
pub fn opt_tags(
    obj: &Map<String, Value>,
    field: &str,
    base: &Loc,
    p: &mut Problems,
) -> Option<Vec<String>> {
    match obj.get(field)? {
        Value::Null => None,
        Value::String(s) => Some(split_csv(s)),
        Value::Array(items) => {
            let mut tags = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => tags.push(s.clone()),
                    other => p.wrong_type(
                        loc_with(&loc_with(base, field), i),
                        other.clone(),
                        "string_type",
                        "string",
                    ),
                }
            }
            Some(clean_list(tags))
        }
        other => {
            p.wrong_type(loc_with(base, field), other.clone(), "list_type", "list");
            None
        }
    }
}

/// Splits a comma-separated value: trims each item, drops empties and duplicates.
pub fn split_csv(s: &str) -> Vec<String> {
    clean_list(s.split(',').map(str::to_owned))
}

fn clean_list(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        let t = item.trim();
        if !t.is_empty() && !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_enum_messages() {
        assert_eq!(split_csv(" a, b ,,a,c "), vec!["a", "b", "c"]);
        let mut p = Problems::new();
        p.one_of(
            loc(&["body", "pattern"]),
            json!("x"),
            &["support", "project", "tool"],
        );
        let ApiError::Validation(items) = p.finish().unwrap_err() else {
            panic!()
        };
        assert_eq!(
            items[0]["msg"],
            "Input should be 'support', 'project' or 'tool'"
        );
        assert_eq!(items[0]["loc"], json!(["body", "pattern"]));
    }

    #[test]
    fn query_last_value_wins_and_parse_errors() {
        let q = QueryParams::parse(Some("limit=1&limit=5&x=a%20b&n=abc"));
        let mut p = Problems::new();
        assert_eq!(q.int("limit", &mut p), Some(5));
        assert_eq!(q.get("x"), Some("a b"));
        assert_eq!(q.int("n", &mut p), None);
        assert_eq!(q.int("absent", &mut p), None);
        let ApiError::Validation(items) = p.finish().unwrap_err() else {
            panic!()
        };
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["type"], "int_parsing");
        assert_eq!(items[0]["input"], "abc");
    }
}
