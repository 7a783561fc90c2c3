//! The temporal bounds of API-0.2 §11: date-only values are the start or end of that UTC day,
//! errors in 0.2.30's words, and the `isoformat()` echo of `as_of_date` / `since_date`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::fields::value_error;
use crate::time::{self, DateBound};
use crate::validate::{loc_with, Loc, Problems};

/// A date bound of §11: date-only → start or end of that UTC day; a string that is no time →
/// 422; a non-string → 422 `Cannot parse <what> from <class>`. `Some((echo, instant))`.
pub fn date(
    obj: &Map<String, Value>,
    field: &str,
    bound: DateBound,
    what: &str,
    required: bool,
    base: &Loc,
    p: &mut Problems,
) -> Option<(String, DateTime<Utc>)> {
    let at = loc_with(base, field);
    let v = match obj.get(field) {
        None | Some(Value::Null) if required => {
            p.missing(at);
            return None;
        }
        None | Some(Value::Null) => return None,
        Some(v) => v,
    };
    let Value::String(raw) = v else {
        let class = match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => "int",
            Value::Number(_) => "float",
            Value::Bool(_) => "bool",
            Value::Array(_) => "list",
            _ => "dict",
        };
        value_error(
            p,
            at,
            &format!("Cannot parse {what} from <class '{class}'>"),
            v.clone(),
        );
        return None;
    };
    match time::parse_user(raw, bound) {
        Some(t) => Some((echo(raw, &t), t)),
        None => {
            value_error(
                p,
                at,
                &format!("Invalid value '{raw}'. Use YYYY-MM-DD or ISO 8601 datetime."),
                v.clone(),
            );
            None
        }
    }
}

/// The `isoformat()` echo of a bound: an explicit offset is kept, else `+00:00`;
/// microseconds only when non-zero.
fn echo(raw: &str, t: &DateTime<Utc>) -> String {
    let s = raw.trim();
    let has_offset = s
        .get(11..)
        .is_some_and(|tail| tail.contains('+') || tail.contains('-'));
    if has_offset {
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
        }
    }
    let fmt = if t.timestamp_subsec_micros() == 0 {
        "%Y-%m-%dT%H:%M:%S+00:00"
    } else {
        "%Y-%m-%dT%H:%M:%S%.6f+00:00"
    };
    t.format(fmt).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_like_isoformat() {
        let d = |s: &str, b| {
            let t = time::parse_user(s, b).unwrap();
            echo(s, &t)
        };
        assert_eq!(
            d("2099-01-01", DateBound::EndOfDay),
            "2099-01-01T23:59:59.999999+00:00"
        );
        assert_eq!(
            d("2099-01-01", DateBound::StartOfDay),
            "2099-01-01T00:00:00+00:00"
        );
        assert_eq!(
            d("2099-01-01T10:00:00+02:00", DateBound::StartOfDay),
            "2099-01-01T10:00:00+02:00"
        );
        assert_eq!(
            d("2099-01-01T10:00:00Z", DateBound::StartOfDay),
            "2099-01-01T10:00:00+00:00"
        );
    }
}
