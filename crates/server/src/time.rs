//! Timestamps: RFC 3339 UTC with `Z` and microseconds on the wire and in the database.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

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

pub use memanto_protocol::time::DateBound;

/// Parses a user-supplied timestamp with the protocol's one lenient parser: RFC 3339 /
/// ISO 8601 with an offset, a naive ISO date-time (taken as UTC), or a date (`YYYY-MM-DD`,
/// `YYYYMMDD`) standing for the start or end of that UTC day.
pub fn parse_user(input: &str, bound: DateBound) -> Option<DateTime<Utc>> {
    memanto_protocol::time::parse_user_timestamp(input, bound)
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
