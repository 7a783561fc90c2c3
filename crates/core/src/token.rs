//! Decoding the session JWT on the client, without the server's secret. The signature is not
//! (and cannot be) checked here: the claims are for reading expiry and identity, never for trust.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::time::parse_timestamp;

/// The claims of a Memanto session token.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionClaims {
    pub agent_id: Option<String>,
    pub namespace: Option<String>,
    pub session_id: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    /// Effective expiry: the numeric `exp` claim when present, else `expires_at`.
    pub expires_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    /// Every claim as sent, unknown ones included.
    pub raw: Map<String, Value>,
}

fn invalid(reason: &str) -> Error {
    Error::new(
        ErrorKind::InvalidSessionToken,
        format!(
            "Malformed session token: {reason}. A session token is the JWT returned by \
             activate (three base64url parts separated by dots); activate the agent to get one."
        ),
    )
}

/// Times a Python `datetime` can hold (years 1 to 9999); others are treated as absent (for
/// optional claims) or make the token malformed (for the expiry).
fn in_range(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    (1..=9999).contains(&t.year()).then_some(t)
}

fn numeric_time(v: &Value) -> Option<DateTime<Utc>> {
    let secs = v.as_f64()?;
    if !secs.is_finite() {
        return None;
    }
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round() as u32;
    Utc.timestamp_opt(whole as i64, nanos.min(999_999_999))
        .single()
}

/// Decode a session token's claims. Expired tokens decode fine; malformed ones give
/// `ErrorKind::InvalidSessionToken`. The message never echoes the token.
pub fn decode_session_token(token: &str) -> Result<SessionClaims> {
    let token = token.trim();
    if token.is_empty() {
        return Err(invalid("the token is empty"));
    }
    if token.split('.').count() != 3 {
        return Err(invalid("expected three dot-separated parts"));
    }
    let data =
        jsonwebtoken::dangerous::insecure_decode::<Map<String, Value>>(token).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            invalid(match e.kind() {
                K::Base64(_) => "a part is not valid base64url",
                K::Json(_) => "the header or the claims are not a JSON object",
                K::Utf8(_) => "the claims are not UTF-8 text",
                _ => "it cannot be decoded as a JWT",
            })
        })?;
    let raw = data.claims;
    let text = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_string);
    let time = |k: &str| match raw.get(k) {
        Some(Value::String(s)) => parse_timestamp(s).and_then(in_range),
        Some(v @ Value::Number(_)) => numeric_time(v).and_then(in_range),
        _ => None,
    };
    let expires_at = match raw.get("exp") {
        Some(v) => {
            numeric_time(v).ok_or_else(|| invalid("the exp claim is not a number of seconds"))?
        }
        None => match raw.get("expires_at") {
            Some(Value::String(s)) => parse_timestamp(s)
                .ok_or_else(|| invalid("the expires_at claim is not an ISO-8601 time"))?,
            _ => return Err(invalid("it carries neither an exp nor an expires_at claim")),
        },
    };
    let expires_at = in_range(expires_at)
        .ok_or_else(|| invalid("its expiry is out of range (years 1 to 9999)"))?;
    Ok(SessionClaims {
        agent_id: text("agent_id"),
        namespace: text("namespace"),
        session_id: text("session_id"),
        started_at: time("started_at"),
        expires_at,
        issued_at: raw.get("iat").and_then(numeric_time).and_then(in_range),
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    fn mint(claims: Value) -> String {
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(b"k").unwrap(),
        )
        .unwrap()
    }

    fn b64(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn memanto_008_claims_without_exp() {
        let t = mint(
            json!({"agent_id":"bot","namespace":"memanto_agent_bot","session_id":"sess_0123456789ab",
            "started_at":"2026-11-30T02:13:00.583820","expires_at":"2026-11-30T08:13:00.583820"}),
        );
        let c = decode_session_token(&t).unwrap();
        assert_eq!(c.agent_id.as_deref(), Some("bot"));
        assert_eq!(c.session_id.as_deref(), Some("sess_0123456789ab"));
        assert_eq!(
            c.expires_at,
            parse_timestamp("2026-11-30T08:13:00.583820Z").unwrap()
        );
        assert_eq!(c.started_at, parse_timestamp("2026-11-30T02:13:00.583820Z"));
        assert_eq!(c.issued_at, None);
    }

    #[test]
    fn exp_wins_integer_and_float() {
        let t = mint(
            json!({"agent_id":"a","expires_at":"2030-01-01T00:00:00Z","exp":1_800_000_000,"iat":1_799_990_000}),
        );
        let c = decode_session_token(&t).unwrap();
        assert_eq!(c.expires_at.timestamp(), 1_800_000_000);
        assert_eq!(c.issued_at.unwrap().timestamp(), 1_799_990_000);
        let t = mint(json!({"agent_id":"a","exp":1_800_000_000.25}));
        let c = decode_session_token(&t).unwrap();
        assert_eq!(c.expires_at.timestamp(), 1_800_000_000);
        assert_eq!(c.expires_at.timestamp_subsec_millis(), 250);
    }

    #[test]
    fn offsets_and_z_in_expires_at() {
        let t = mint(json!({"expires_at":"2026-11-30T10:00:00+02:00"}));
        assert_eq!(
            decode_session_token(&t).unwrap().expires_at,
            parse_timestamp("2026-11-30T08:00:00Z").unwrap()
        );
        let t = mint(json!({"expires_at":"2026-11-30T08:00:00Z"}));
        assert_eq!(
            decode_session_token(&t).unwrap().expires_at,
            parse_timestamp("2026-11-30T08:00:00").unwrap()
        );
    }

    #[test]
    fn expired_tokens_still_decode() {
        let t = mint(json!({"agent_id":"a","expires_at":"2001-01-01T00:00:00"}));
        assert_eq!(
            decode_session_token(&t)
                .unwrap()
                .expires_at
                .format("%Y")
                .to_string(),
            "2001"
        );
    }

    #[test]
    fn non_ascii_and_unpadded_hand_built() {
        let header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = b64(
            r#"{"agent_id":"agént-ü","namespace":"ns","expires_at":"2026-11-30T08:00:00","note":"日本"}"#,
        );
        assert!(!payload.contains('='));
        let t = format!("{header}.{payload}.c2ln");
        let c = decode_session_token(&t).unwrap();
        assert_eq!(c.agent_id.as_deref(), Some("agént-ü"));
        assert_eq!(c.raw["note"], json!("日本"));
    }

    #[test]
    fn malformed_tokens_are_clear_errors_without_the_token() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "eyJhbGciOiJIUzI1NiJ9.!!!.sig",
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig",
        ] {
            let e = decode_session_token(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidSessionToken, "{bad}");
            assert!(
                e.message.starts_with("Malformed session token"),
                "{}",
                e.message
            );
            if bad.len() > 3 {
                assert!(!e.message.contains(bad), "{}", e.message);
            }
        }
        let t = mint(json!({"agent_id":"a"}));
        assert!(decode_session_token(&t)
            .unwrap_err()
            .message
            .contains("neither an exp"));
        let t = mint(json!({"expires_at":"soon"}));
        assert!(decode_session_token(&t)
            .unwrap_err()
            .message
            .contains("expires_at"));
    }
}
