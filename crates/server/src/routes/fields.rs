//! Validation of one memory's fields, shared by remember, batch-remember, supersede (with a
//! body) and the memory update.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use crate::db::memories::NewMemory;
use crate::error::ApiError;
use crate::model::{self, MAX_CONTENT_CHARS, MAX_TITLE_CHARS, MEMORY_TYPES, PROVENANCES};
use crate::validate::{self, check_range, loc_with, Loc, Problems};

/// One memory's raw fields, wherever they came from, with the location to blame for each.
pub struct Fields {
    pub content: String,
    pub mtype: Option<(String, Loc)>,
    pub title: Option<(String, Loc)>,
    pub confidence: Option<(f64, Loc, Value)>,
    pub tags: Vec<String>,
    pub source: Option<String>,
    pub provenance: Option<(String, Loc)>,
}

/// A memory type, normalised (trimmed, lower-case); a problem if unknown.
pub fn check_type(raw: &str, at: Loc, p: &mut Problems) -> String {
    let norm = raw.trim().to_lowercase();
    if !MEMORY_TYPES.contains(&norm.as_str()) {
        p.one_of(at, json!(raw), &MEMORY_TYPES);
    }
    norm
}

/// A provenance, normalised (trimmed, lower-case); a problem if unknown.
pub fn check_provenance(raw: &str, at: Loc, p: &mut Problems) -> String {
    let norm = raw.trim().to_lowercase();
    if !PROVENANCES.contains(&norm.as_str()) {
        p.one_of(at, json!(raw), &PROVENANCES);
    }
    norm
}

/// A title of at most 500 characters.
pub fn check_title(title: &str, at: Loc, p: &mut Problems) {
    if title.chars().count() > MAX_TITLE_CHARS {
        p.too_long(at, json!(title), MAX_TITLE_CHARS);
    }
}

/// Checks everything but the content length; `None` if a problem was recorded.
pub fn check(f: Fields, default_source: &str, p: &mut Problems) -> Option<NewMemory> {
    let problems_before = p.len();
    let mtype = match f.mtype {
        None => "fact".to_owned(),
        Some((t, at)) => check_type(&t, at, p),
    };
    let title = match f.title.filter(|(t, _)| !t.trim().is_empty()) {
        None => model::default_title(f.content.trim()),
        Some((t, at)) => {
            check_title(&t, at, p);
            t
        }
    };
    let confidence = match f.confidence {
        None => 0.8,
        Some((c, at, input)) => {
            check_range(p, at, input, c, 0.0, 1.0);
            c
        }
    };
    let provenance = match f.provenance {
        None => "explicit_statement".to_owned(),
        Some((v, at)) => check_provenance(&v, at, p),
    };
    let source = f
        .source
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default_source.to_owned());
    (p.len() == problems_before).then_some(NewMemory {
        mtype,
        title,
        content: f.content,
        tags: f.tags,
        confidence,
        source,
        provenance,
    })
}

/// Records a problem for empty or blank content.
pub fn check_content(content: &str, at: Loc, p: &mut Problems) {
    if content.is_empty() {
        p.too_short(at, json!(content), 1);
    } else if content.trim().is_empty() {
        p.push(
            "value_error",
            at,
            "Value error, content must not be blank",
            json!(content),
            None,
        );
    }
}

/// 413 `text_too_long` (the remember cost guard) for content over 10 000 characters.
pub fn guard_content(content: &str) -> Result<(), ApiError> {
    let n = content.chars().count();
    if n <= MAX_CONTENT_CHARS {
        return Ok(());
    }
    Err(ApiError::Guard(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({
            "error": "text_too_long",
            "message": format!("Memory content exceeds maximum length of {MAX_CONTENT_CHARS} characters"),
            "actual_length": n,
            "max_length": MAX_CONTENT_CHARS,
        }),
    ))
}

/// `type` of a body item (`memory_type` accepted as an alias).
pub fn body_type(obj: &Map<String, Value>, base: &Loc, p: &mut Problems) -> Option<(String, Loc)> {
    let key = if obj.contains_key("type") {
        "type"
    } else {
        "memory_type"
    };
    validate::opt_str(obj, key, base, p).map(|t| (t, loc_with(base, key)))
}

/// The fields of a JSON memory object at `base` (content required, not length-checked).
pub fn body_fields(obj: &Map<String, Value>, base: &Loc, p: &mut Problems) -> Fields {
    let content = validate::req_str(obj, "content", base, p);
    if let Some(c) = &content {
        check_content(c, loc_with(base, "content"), p);
    }
    Fields {
        content: content.unwrap_or_default(),
        mtype: body_type(obj, base, p),
        title: validate::opt_str(obj, "title", base, p).map(|t| (t, loc_with(base, "title"))),
        confidence: validate::opt_f64(obj, "confidence", base, p)
            .map(|c| (c, loc_with(base, "confidence"), obj["confidence"].clone())),
        tags: validate::opt_tags(obj, "tags", base, p).unwrap_or_default(),
        source: validate::opt_str(obj, "source", base, p),
        provenance: validate::opt_str(obj, "provenance", base, p)
            .map(|v| (v, loc_with(base, "provenance"))),
    }
}
