//! Session JWTs: HS256 with the server's persisted random secret.

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::time;

/// The claims of a session token: the five 0.0.8 string claims plus numeric `iat`/`exp`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub agent_id: String,
    pub namespace: String,
    pub session_id: String,
    pub started_at: String,
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// Signing and verification keys derived from the server secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

/// A token that verified: its claims and the parsed `expires_at`.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub claims: Claims,
    pub expires_at: DateTime<Utc>,
}

impl TokenKeys {
    /// Keys for `secret` (must not be empty).
    pub fn new(secret: &[u8]) -> Result<Self, crate::ServerError> {
        let bad = |e: jsonwebtoken::errors::Error| {
            crate::ServerError::Config(format!("unusable token secret: {e}"))
        };
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked by the caller against the `expires_at` claim, so that a well-signed
        // but expired token yields `SessionExpired` rather than `InvalidSessionToken`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(secret).map_err(bad)?,
            decoding: DecodingKey::from_secret(secret).map_err(bad)?,
            validation,
        })
    }

    /// Signs a token for `session_id` of `agent_id`, valid until `expires_at`.
    pub fn issue(
        &self,
        agent_id: &str,
        session_id: &str,
        started_at: &DateTime<Utc>,
        expires_at: &DateTime<Utc>,
    ) -> ApiResult<String> {
        self.sign(self.claims(agent_id, session_id, started_at, expires_at))
    }

    /// As [`issue`](Self::issue), with exactly the five string claims of 0.2.30 (no
    /// `iat`/`exp`, API-0.2 §10.1).
    pub fn issue_current(
        &self,
        agent_id: &str,
        session_id: &str,
        started_at: &DateTime<Utc>,
        expires_at: &DateTime<Utc>,
    ) -> ApiResult<String> {
        let claims = Claims {
            iat: None,
            exp: None,
            ..self.claims(agent_id, session_id, started_at, expires_at)
        };
        self.sign(claims)
    }

    fn sign(&self, claims: Claims) -> ApiResult<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("signing session token: {e}")))
    }

    fn claims(
        &self,
        agent_id: &str,
        session_id: &str,
        started_at: &DateTime<Utc>,
        expires_at: &DateTime<Utc>,
    ) -> Claims {
        Claims {
            agent_id: agent_id.to_owned(),
            namespace: crate::model::namespace(agent_id),
            session_id: session_id.to_owned(),
            started_at: time::fmt(started_at),
            expires_at: time::fmt(expires_at),
            iat: Some(Utc::now().timestamp()),
            exp: Some(expires_at.timestamp()),
        }
    }

    /// Verifies the signature and claim shapes (not the expiry, not the stored session).
    pub fn verify(&self, token: &str) -> ApiResult<VerifiedToken> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| ApiError::invalid_token(reason(e.kind())))?;
        let claims = data.claims;
        let expires_at = time::parse_user(&claims.expires_at, time::DateBound::StartOfDay)
            .ok_or_else(|| ApiError::invalid_token("malformed expires_at claim"))?;
        Ok(VerifiedToken { claims, expires_at })
    }
}

fn reason(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidToken => "Not a well-formed JWT".to_owned(),
        ErrorKind::InvalidSignature => "Signature verification failed".to_owned(),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "The specified alg value is not allowed".to_owned()
        }
        ErrorKind::Base64(_) => "Invalid base64 encoding".to_owned(),
        ErrorKind::Json(e) => format!("Invalid claims: {e}"),
        ErrorKind::Utf8(_) => "Invalid UTF-8 in token".to_owned(),
        ErrorKind::MissingRequiredClaim(c) => format!("Token is missing the \"{c}\" claim"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_secret() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef").unwrap();
        let start = time::now();
        let end = start + chrono::TimeDelta::hours(1);
        let tok = keys
            .issue("bot", "sess_0123456789ab", &start, &end)
            .unwrap();
        let v = keys.verify(&tok).unwrap();
        assert_eq!(v.claims.agent_id, "bot");
        assert_eq!(v.claims.namespace, "memanto_agent_bot");
        assert_eq!(v.claims.session_id, "sess_0123456789ab");
        assert_eq!(v.expires_at, end);
        assert_eq!(v.claims.exp, Some(end.timestamp()));
        assert!(v.claims.expires_at.ends_with('Z'));

        let other = TokenKeys::new(b"another-secret-another-secret-xx").unwrap();
        match other.verify(&tok) {
            Err(ApiError::Memanto { error, message, .. }) => {
                assert_eq!(error, "InvalidSessionToken");
                assert_eq!(
                    message,
                    "Invalid session token: Signature verification failed"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            keys.verify("garbage"),
            Err(ApiError::Memanto { .. })
        ));
    }
}
