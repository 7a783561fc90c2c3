//! Lenient timestamp parsing for both server generations: naive ISO-8601 (0.0.8, meaning UTC),
//! `Z` or `+HH:MM` offsets (0.2.x), fractional seconds of any length, and bare dates (midnight UTC).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Parse a server timestamp. A value without an offset is taken as UTC.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    // Offsets without the `T`, e.g. "2026-01-01 10:00:00+02:00"
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc())
}

/// Canonical form handed to Python: `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`, which
/// `datetime.fromisoformat` reads on every supported Python version.
pub fn to_iso(dt: &DateTime<Utc>) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_every_server_format() {
        let want = Utc.with_ymd_and_hms(2026, 11, 30, 8, 13, 0).unwrap()
            + chrono::Duration::microseconds(583_820);
        assert_eq!(parse_timestamp("2026-11-30T08:13:00.583820"), Some(want));
        assert_eq!(parse_timestamp("2026-11-30T08:13:00.583820Z"), Some(want));
        assert_eq!(
            parse_timestamp("2026-11-30T08:13:00.583820+00:00"),
            Some(want)
        );
        assert_eq!(
            parse_timestamp("2026-11-30T10:13:00.583820+02:00"),
            Some(want)
        );
        assert_eq!(parse_timestamp("2026-11-30 08:13:00.583820"), Some(want));
        assert_eq!(
            parse_timestamp("2026-11-30T08:13:00"),
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 8, 13, 0).unwrap())
        );
        assert_eq!(
            parse_timestamp("2026-11-30T08:13:00.5Z"),
            Some(
                Utc.with_ymd_and_hms(2026, 11, 30, 8, 13, 0).unwrap()
                    + chrono::Duration::milliseconds(500)
            )
        );
        assert_eq!(
            parse_timestamp("2026-11-30"),
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap())
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp(""), None);
    }

    #[test]
    fn iso_round_trip() {
        let dt = parse_timestamp("2026-11-30T08:13:00Z").unwrap();
        assert_eq!(to_iso(&dt), "2026-11-30T08:13:00.000000+00:00");
    }
}
