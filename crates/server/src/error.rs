//! Error types: [`ServerError`] for the embedding API, [`ApiError`] for HTTP responses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Failure to start, run or stop a [`crate::ServerHandle`] / open an [`crate::AppState`].
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The SQLite database could not be opened, migrated or read.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// A file-system or socket operation failed (creating the DB folder, binding the port...).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The configuration cannot be used (e.g. an empty API key).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Another server (in this process or another) holds the database file: one server per
    /// file, or each would serve its own stale copy of the memories.
    #[error(
        "the database {} is in use by another LocalServer (it holds the lock {}); \
         stop that server first, or use another database file",
        db_path.display(),
        lock_path.display()
    )]
    Locked {
        db_path: std::path::PathBuf,
        lock_path: std::path::PathBuf,
    },
    /// The server thread or its runtime failed (or panicked).
    #[error("server runtime error: {0}")]
    Runtime(String),
}

/// An HTTP error in one of the body families of API.md §1.2.
#[derive(Debug)]
pub enum ApiError {
    /// Family A: `{"detail": "<text>"}`.
    Detail(StatusCode, String),
    /// Family B: `{"detail": {"error", "message", "details": {}}}`.
    Memanto {
        status: StatusCode,
        error: &'static str,
        message: String,
    },
    /// Family C (cost guards): `{"detail": <object>}` without `details`.
    Guard(StatusCode, Value),
    /// Family D: 422 with a pydantic-style list of problems.
    Validation(Vec<Value>),
    /// Unexpected failure: logged, answered with a generic 500 (family B, no cause leaked).
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn detail(status: StatusCode, text: impl Into<String>) -> Self {
        ApiError::Detail(status, text.into())
    }

    pub fn memanto(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiError::Memanto {
            status,
            error,
            message: message.into(),
        }
    }

    pub fn agent_not_found(agent_id: &str) -> Self {
        Self::memanto(
            StatusCode::NOT_FOUND,
            "AgentNotFound",
            format!("Agent '{agent_id}' not found"),
        )
    }

    pub fn memory_not_found(agent_id: &str, memory_id: &str) -> Self {
        Self::memanto(
            StatusCode::NOT_FOUND,
            "MemoryNotFound",
            format!("Memory '{memory_id}' was not found for agent '{agent_id}'"),
        )
    }

    pub fn invalid_token(reason: impl std::fmt::Display) -> Self {
        Self::memanto(
            StatusCode::UNAUTHORIZED,
            "InvalidSessionToken",
            format!("Invalid session token: {reason}"),
        )
    }

    pub fn session_inactive(session_id: &str) -> Self {
        Self::memanto(
            StatusCode::UNAUTHORIZED,
            "InvalidSessionToken",
            format!("Session {session_id} is no longer active"),
        )
    }

    /// A single 422 problem.
    pub fn validation(item: Value) -> Self {
        ApiError::Validation(vec![item])
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::Detail(status, text) => (status, json!({ "detail": text })),
            ApiError::Memanto {
                status,
                error,
                message,
            } => (
                status,
                json!({ "detail": { "error": error, "message": message, "details": {} } }),
            ),
            ApiError::Guard(status, detail) => (status, json!({ "detail": detail })),
            ApiError::Validation(items) => {
                (StatusCode::UNPROCESSABLE_ENTITY, json!({ "detail": items }))
            }
            ApiError::Internal(cause) => {
                tracing::error!(target: "memanto_server", "internal error: {cause}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "detail": {
                        "error": "InternalServerError",
                        "message": "An unexpected error occurred",
                        "details": {}
                    } }),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn render(e: ApiError) -> (StatusCode, Value) {
        let res = e.into_response();
        let status = res.status();
        let body = to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn internal_errors_do_not_leak_their_cause() {
        let (status, body) = render(ApiError::internal("secret mk_local_abc in a query")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            json!({"detail": {"error": "InternalServerError", "message": "An unexpected error occurred", "details": {}}})
        );
        let (status, body) = render(ApiError::from(rusqlite::Error::QueryReturnedNoRows)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["detail"]["error"], "InternalServerError");
    }

    #[test]
    fn public_types_are_thread_safe() {
        fn check<T: Send + Sync + 'static>() {}
        check::<ServerError>();
        check::<crate::ServerHandle>();
        check::<crate::AppState>();
        check::<crate::ServerConfig>();
    }
}
