//! Timestamps: RFC 3339 UTC with `Z` and microseconds on the wire and in the database.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeDelta, Utc};

/// Current time, truncated to whole microseconds (the stored precision).
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

/// `2026-11-30T02:13:00.583820Z` — fixed width, so stored strings sort chronologically.
pub fn fmt(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a timestamp this server wrote.
pub fn parse_stored(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Which end of a date-only value to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    /// `YYYY-MM-DD` means 00:00:00 UTC.
    StartOfDay,
    /// `YYYY-MM-DD` means 23:59:59.999999 UTC.
    EndOfDay,
}

/// Parses a user-supplied timestamp: RFC 3339 / ISO 8601 with an offset, a naive ISO
/// date-time (taken as UTC), or a date `YYYY-MM-DD`.
pub fn parse_user(input: &str, bound: DateBound) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    // Accept a space instead of the `T` separator, like Python's fromisoformat.
    let owned;
    let s = if s.len() > 10 && s.as_bytes()[10] == b' ' {
        owned = format!("{}T{}", &s[..10], &s[11..]);
        owned.as_str()
    } else {
        s
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return Some(n.and_utc());
        }
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let time = match bound {
        DateBound::StartOfDay => NaiveTime::MIN,
        DateBound::EndOfDay => NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)?,
    };
    Some(date.and_time(time).and_utc())
}

/// A duration in fractional hours as a chrono delta (`None` if not representable).
pub fn hours(h: f64) -> Option<TimeDelta> {
    let micros = h * 3_600_000_000.0;
    if !micros.is_finite() || micros.abs() > 1.0e17 {
        return None;
    }
    Some(TimeDelta::microseconds(micros.round() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_z_and_micros() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(fmt(&t), "2023-11-14T22:13:20.000000Z");
        assert_eq!(parse_stored(&fmt(&t)), Some(t));
    }

    #[test]
    fn parses_user_inputs() {
        let want = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_user("2024-05-01T10:00:00Z", DateBound::StartOfDay),
            Some(want)
        );
        assert_eq!(
            parse_user("2024-05-01T12:00:00+02:00", DateBound::StartOfDay),
            Some(want)
        );
        assert_eq!(
            parse_user("2024-05-01T10:00:00", DateBound::StartOfDay),
            Some(want)
        );
        assert_eq!(
            parse_user("2024-05-01 10:00:00.000", DateBound::StartOfDay),
            Some(want)
        );
        assert_eq!(
            parse_user("2024-05-01T10:00:00+0000", DateBound::StartOfDay),
            Some(want)
        );
        assert_eq!(
            parse_user("2024-05-01", DateBound::StartOfDay)
                .map(|d| fmt(&d))
                .as_deref(),
            Some("2024-05-01T00:00:00.000000Z")
        );
        assert_eq!(
            parse_user("2024-05-01", DateBound::EndOfDay)
                .map(|d| fmt(&d))
                .as_deref(),
            Some("2024-05-01T23:59:59.999999Z")
        );
        assert_eq!(parse_user("yesterday", DateBound::StartOfDay), None);
        assert_eq!(parse_user("2024-13-01", DateBound::StartOfDay), None);
    }
}
