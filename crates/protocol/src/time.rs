//! The one lenient timestamp parser, for both generations' output and for user input:
//! naive ISO-8601 (0.0.8, meaning UTC), `Z` or `±HH:MM` offsets (0.2.x), a space or `T`
//! separator, fractional seconds of any length, and bare dates.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};

/// Which instant a date-only value stands for (API-0.2 §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    /// `YYYY-MM-DD` means 00:00:00 UTC (`created_after`, `since`).
    StartOfDay,
    /// `YYYY-MM-DD` means 23:59:59.999999 UTC (`created_before`, 0.2.x `as_of`).
    EndOfDay,
}

fn date_only(s: &str) -> Option<NaiveDate> {
    if s.contains('T') || s.contains(' ') {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
        (s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| NaiveDate::parse_from_str(s, "%Y%m%d").ok())
            .flatten()
    })
}

fn date_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    // Space separator, or a `T` with an offset that RFC 3339 rejects (no seconds, `+0000`).
    let t = if s.len() > 10 && s.as_bytes()[10] == b' ' {
        format!("{}T{}", &s[..10], &s[11..])
    } else {
        s.to_string()
    };
    let t = t
        .strip_suffix('Z')
        .map(|x| format!("{x}+00:00"))
        .unwrap_or(t);
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
        "%Y%m%dT%H%M%S%.f%:z",
        "%Y%m%dT%H%M%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(&t, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H",
        "%Y%m%dT%H%M%S%.f",
        "%Y%m%dT%H%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&t, fmt) {
            return Some(naive.and_utc());
        }
    }
    None
}

/// Parse a user-supplied bound: a date-only value becomes the start or end of that UTC day,
/// anything else an ISO-8601 time (naive means UTC). `None` when it is not a time.
pub fn parse_user_timestamp(input: &str, bound: DateBound) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(d) = date_only(s) {
        let time = match bound {
            DateBound::StartOfDay => NaiveTime::MIN,
            DateBound::EndOfDay => NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)?,
        };
        return Some(d.and_time(time).and_utc());
    }
    date_time(s)
}

/// Parse a timestamp a server sent (a date-only value is midnight UTC).
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    parse_user_timestamp(s, DateBound::StartOfDay)
}

/// Canonical form: `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`, which `datetime.fromisoformat` reads on
/// every supported Python version and both generations accept.
pub fn to_iso(dt: &DateTime<Utc>) -> String {
    dt.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// `2026-11-30T02:13:00.583820Z`: fixed width, so stored strings sort chronologically.
pub fn to_rfc3339_z(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_every_server_format() {
        let want = Utc.with_ymd_and_hms(2026, 11, 30, 8, 13, 0).unwrap()
            + chrono::Duration::microseconds(583_820);
        for s in [
            "2026-11-30T08:13:00.583820",
            "2026-11-30T08:13:00.583820Z",
            "2026-11-30T08:13:00.583820+00:00",
            "2026-11-30T10:13:00.583820+02:00",
            "2026-11-30 08:13:00.583820",
            "2026-11-30 10:13:00.583820+02:00",
            "20261130T081300.583820",
        ] {
            assert_eq!(parse_timestamp(s), Some(want), "{s}");
        }
        assert_eq!(
            parse_timestamp("2026-11-30T08:13:00"),
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 8, 13, 0).unwrap())
        );
        assert_eq!(
            parse_timestamp("2026-11-30T08:13+0000"),
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 8, 13, 0).unwrap())
        );
        assert_eq!(
            parse_timestamp("2026-11-30"),
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap())
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp(""), None);
        assert_eq!(parse_timestamp("2026-13-01"), None);
    }

    #[test]
    fn date_only_bounds() {
        let end = parse_user_timestamp("2099-01-01", DateBound::EndOfDay).unwrap();
        assert_eq!(to_iso(&end), "2099-01-01T23:59:59.999999+00:00");
        let start = parse_user_timestamp("20990101", DateBound::StartOfDay).unwrap();
        assert_eq!(to_rfc3339_z(&start), "2099-01-01T00:00:00.000000Z");
    }
}
