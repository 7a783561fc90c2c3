//! 0.2.30 rejects a malformed JSON body with 422 `json_invalid` before any authentication
//! (API-0.2 §0.3 step 1); this middleware does that for the Current-mode routes.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::error::ApiError;

/// Reads a JSON request body once; answers 422 if it does not parse, else passes it on.
pub async fn json_first(req: Request, next: Next) -> Response {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, super::super::BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::detail(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                format!("Could not read the request body: {e}"),
            )
            .into_response()
        }
    };
    if !bytes.iter().all(u8::is_ascii_whitespace) {
        if let Err(e) = serde_json::from_slice::<Value>(&bytes) {
            // pydantic's position is a character offset into the body.
            let pos = e.column().saturating_sub(1);
            return ApiError::Validation(vec![json!({
                "type": "json_invalid",
                "loc": ["body", pos],
                "msg": "JSON decode error",
                "input": {},
                "ctx": { "error": e.to_string() },
            })])
            .into_response();
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
