//! Query parameters shared by the search routes, and their cost guards.

use axum::http::StatusCode;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::json;

use crate::db::query::StatusFilter;
use crate::error::{ApiError, ApiResult};
use crate::model::{MAX_LIMIT, MAX_QUERY_CHARS};
use crate::time::{self, DateBound};
use crate::validate::{self, check_range, loc, Problems, QueryParams};

pub fn query_too_long(n: usize) -> ApiError {
    ApiError::Guard(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({
            "error": "query_too_long",
            "message": format!("Query exceeds maximum length of {MAX_QUERY_CHARS} characters"),
            "actual_length": n,
            "max_length": MAX_QUERY_CHARS,
        }),
    )
}

pub fn k_too_large(k: i64) -> ApiError {
    ApiError::Guard(
        StatusCode::BAD_REQUEST,
        json!({
            "error": "k_too_large",
            "message": format!("k exceeds maximum of {MAX_LIMIT}"),
            "actual_k": k,
            "max_k": MAX_LIMIT,
        }),
    )
}

/// The cost guards, checked after validation: query length (413), then limit (400).
pub fn guard(text: Option<&str>, limit: i64) -> ApiResult<()> {
    let n = text.map_or(0, |t| t.chars().count());
    if n > MAX_QUERY_CHARS {
        return Err(query_too_long(n));
    }
    if limit > MAX_LIMIT {
        return Err(k_too_large(limit));
    }
    Ok(())
}

/// A required, non-empty text parameter (`query`).
pub fn text_param(q: &QueryParams, name: &str, p: &mut Problems) -> String {
    match q.get(name) {
        None => {
            p.missing(loc(&["query", name]));
            String::new()
        }
        Some("") => {
            p.too_short(loc(&["query", name]), json!(""), 1);
            String::new()
        }
        Some(t) => t.to_owned(),
    }
}

/// `limit`: default `default`, `< 1` → 422 (the `> 100` 400 comes after validation).
pub fn limit_param(q: &QueryParams, default: i64, p: &mut Problems) -> i64 {
    match q.int("limit", p) {
        Some(k) if k < 1 => {
            p.ge(loc(&["query", "limit"]), json!(q.get("limit")), json!(1));
            default
        }
        Some(k) => k,
        None => default,
    }
}

/// A float query parameter within `[0, 1]`.
pub fn unit_param(q: &QueryParams, name: &str, p: &mut Problems) -> Option<f64> {
    let v = q.float(name, p)?;
    check_range(p, loc(&["query", name]), json!(q.get(name)), v, 0.0, 1.0).then_some(v)
}

/// `t` within years 0000..=9999, so that stored strings keep sorting chronologically.
fn clamp_year(t: DateTime<Utc>) -> DateTime<Utc> {
    let min = NaiveDate::MIN
        .with_year(0)
        .and_then(|d| d.and_hms_opt(0, 0, 0));
    let max = NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999));
    match (min, max) {
        (Some(min), Some(max)) => t.clamp(min.and_utc(), max.and_utc()),
        _ => t,
    }
}

/// An optional timestamp parameter, as a stored-format string (422 when unparsable).
pub fn date_param(
    q: &QueryParams,
    name: &str,
    bound: DateBound,
    p: &mut Problems,
) -> Option<String> {
    let raw = q.get(name)?;
    match time::parse_user(raw, bound) {
        Some(t) => Some(time::fmt(&clamp_year(t))),
        None => {
            p.push(
                "datetime_from_date_parsing",
                loc(&["query", name]),
                "Input should be a valid datetime or date (RFC 3339, ISO 8601 or YYYY-MM-DD)",
                json!(raw),
                None,
            );
            None
        }
    }
}

/// A required timestamp parameter: `(raw input, stored-format string)`.
pub fn required_date(
    q: &QueryParams,
    name: &str,
    bound: DateBound,
    p: &mut Problems,
) -> (String, Option<String>) {
    match q.get(name) {
        None => {
            p.missing(loc(&["query", name]));
            (String::new(), None)
        }
        Some(raw) => (raw.to_owned(), date_param(q, name, bound, p)),
    }
}

/// `status` (0.2.x): `all` (default), `active` or `expired`; 422 otherwise.
pub fn status_param(q: &QueryParams, p: &mut Problems) -> StatusFilter {
    let Some(raw) = q.get("status") else {
        return StatusFilter::All;
    };
    StatusFilter::parse(raw).unwrap_or_else(|| {
        p.one_of(
            loc(&["query", "status"]),
            json!(raw),
            &memanto_protocol::RECALL_STATUSES,
        );
        StatusFilter::All
    })
}

/// `memory_types` (comma-separated, case-insensitive) and `tags` (comma-separated, all
/// required).
pub fn type_and_tag_filters(q: &QueryParams) -> (Vec<String>, Vec<String>) {
    let types = q
        .get("memory_types")
        .map(|csv| validate::split_csv(&csv.to_lowercase()))
        .unwrap_or_default();
    let tags = q.get("tags").map(validate::split_csv).unwrap_or_default();
    (types, tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_four_digit_years_are_clamped_or_refused() {
        let q = QueryParams::parse(Some("a=-0100-01-01&b=2024-02-03&c=12345-01-01"));
        let mut p = Problems::new();
        let mut get = |n: &str| date_param(&q, n, DateBound::StartOfDay, &mut p);
        assert_eq!(get("a").as_deref(), Some("0000-01-01T00:00:00.000000Z"));
        assert_eq!(get("b").as_deref(), Some("2024-02-03T00:00:00.000000Z"));
        assert_eq!(get("c"), None);
        assert_eq!(p.len(), 1);
    }
}
