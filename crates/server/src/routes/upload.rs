//! `POST /api/v2/agents/{agent_id}/upload-file`: a text, Markdown, JSON or CSV file becomes
//! `artifact` memories, one per chunk, stored in one transaction.

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::ok;
use crate::auth::AgentSession;
use crate::chunk::{self, Kind};
use crate::db;
use crate::db::memories::NewMemory;
use crate::error::{ApiError, ApiResult};
use crate::model;
use crate::state::AppState;
use crate::time;

/// Largest accepted file.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Largest accepted request body: the file plus room for the multipart framing.
pub const BODY_LIMIT: usize = MAX_FILE_BYTES + 64 * 1024;

/// Types 0.0.8 accepts that this server cannot read (415).
const UNREADABLE: [&str; 3] = [".docx", ".pdf", ".xlsx"];
const ALLOWED_0_0_8: &str = ".csv, .docx, .json, .md, .pdf, .txt, .xlsx";
const SUPPORTED: &str = ".csv, .json, .md, .txt";
/// File names are shortened to this many characters in titles and tags.
const NAME_CHARS: usize = 200;

/// A 422 about the `file` form field.
fn file_problem(kind: &str, msg: impl Into<String>) -> ApiError {
    ApiError::validation(json!({
        "type": kind,
        "loc": ["body", "file"],
        "msg": msg.into(),
        "input": Value::Null,
    }))
}

fn too_large() -> ApiError {
    ApiError::Guard(
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({
            "error": "file_too_large",
            "message": format!("File exceeds maximum size of {MAX_FILE_BYTES} bytes"),
            "max_size": MAX_FILE_BYTES,
        }),
    )
}

fn multipart_error(e: MultipartError) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::detail(
            status,
            format!("There was an error parsing the body: {}", e.body_text()),
        )
    }
}

/// The last path component of a client-supplied name, without control characters.
fn base_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    base.chars().filter(|c| !c.is_control()).collect()
}

/// Python's `os.path.splitext(name)[1].lower()` (leading dots do not start an extension).
fn extension(name: &str) -> String {
    let stem_start = name.len() - name.trim_start_matches('.').len();
    match name[stem_start..].rfind('.') {
        Some(i) => name[stem_start + i..].to_lowercase(),
        None => String::new(),
    }
}

/// The reader for `name`, or the 415 / 400 for an unsupported type.
fn file_kind(name: &str) -> ApiResult<Kind> {
    let ext = extension(name);
    if let Some(kind) = Kind::from_extension(&ext) {
        return Ok(kind);
    }
    if UNREADABLE.contains(&ext.as_str()) {
        return Err(ApiError::memanto(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedFileType",
            format!(
                "File type '{ext}' is not supported by the LocalServer (supported: {SUPPORTED})"
            ),
        ));
    }
    Err(ApiError::detail(
        StatusCode::BAD_REQUEST,
        format!("File type '{ext}' is not supported. Allowed types: {ALLOWED_0_0_8}"),
    ))
}

/// The `file` field: its base name, kind and bytes. 422 when absent or not a file, then
/// 415 / 400 for its type (before reading it), 413 when too large.
async fn read_file(mut multipart: Multipart) -> ApiResult<(String, Kind, Vec<u8>)> {
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let Some(name) = field.file_name().map(base_name) else {
            return Err(file_problem(
                "value_error",
                "Value error, Expected UploadFile, received: <class 'str'>",
            ));
        };
        let kind = file_kind(&name)?;
        return Ok((name, kind, read_limited(field).await?));
    }
    Err(file_problem("missing", "Field required"))
}

/// The field's bytes, at most [`MAX_FILE_BYTES`] (else 413).
async fn read_limited(mut field: Field<'_>) -> ApiResult<Vec<u8>> {
    let mut data = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if data.len() + chunk.len() > MAX_FILE_BYTES {
            return Err(too_large());
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// The file's text split into memories.
fn memories(name: &str, kind: Kind, data: &[u8]) -> ApiResult<Vec<NewMemory>> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let text = std::str::from_utf8(data).map_err(|e| {
        file_problem(
            "value_error",
            format!("Value error, the file is not UTF-8 text: {e}"),
        )
    })?;
    if text.trim().is_empty() {
        return Err(file_problem(
            "value_error",
            "Value error, the file is empty",
        ));
    }
    let pieces = chunk::split(kind, text)
        .map_err(|e| file_problem("value_error", format!("Value error, {e}")))?;
    if pieces.is_empty() {
        return Err(file_problem(
            "value_error",
            "Value error, the file has nothing to store",
        ));
    }
    let short: String = name.chars().take(NAME_CHARS).collect();
    let n = pieces.len();
    Ok(pieces
        .into_iter()
        .enumerate()
        .map(|(i, content)| NewMemory {
            mtype: "artifact".to_owned(),
            title: format!("{short} (part {}/{n})", i + 1),
            content,
            tags: vec![short.clone()],
            confidence: 0.8,
            source: "file".to_owned(),
            provenance: "imported".to_owned(),
        })
        .collect())
}

/// `POST /api/v2/agents/{agent_id}/upload-file`, `multipart/form-data` with a `file` field.
/// Checks: key, token, agent scope, then the file's extension, size and text.
pub async fn upload_file(
    State(state): State<AppState>,
    s: AgentSession,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    s.check_scope()?;
    let AgentSession { ctx, agent_id } = s;
    let multipart = multipart.map_err(|_| file_problem("missing", "Field required"))?;
    let (name, kind, data) = read_file(multipart).await?;
    let file_size = data.len();
    // Chunking a large file takes a while: keep it off the async workers.
    let file_name = name.clone();
    let items = tokio::task::spawn_blocking(move || memories(&file_name, kind, &data))
        .await
        .map_err(|e| ApiError::internal(format!("chunking task failed: {e}")))??;
    let created_at = time::fmt(&time::now());
    let session_id = ctx.session.session_id.clone();
    let (aid, sid) = (agent_id.clone(), session_id.clone());
    let ids = state
        .write(move |conn| db::memories::insert_all(conn, &aid, &sid, &created_at, &items))
        .await?;
    ok(json!({
        "agent_id": agent_id,
        "session_id": session_id,
        "namespace": model::namespace(&agent_id),
        "file_name": name,
        "file_size": file_size,
        "status": "uploaded",
        "message": format!("Stored {} memories from {name}", ids.len()),
        "memories_created": ids.len(),
        "memory_ids": ids,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_like_python_splitext() {
        assert_eq!(extension("Notes.TXT"), ".txt");
        assert_eq!(extension("a.tar.gz"), ".gz");
        assert_eq!(extension(".bashrc"), "");
        assert_eq!(extension("README"), "");
        assert_eq!(extension("x."), ".");
        assert_eq!(base_name("C:\\docs\\a.md"), "a.md");
        assert_eq!(base_name("../etc/passwd\n"), "passwd");
    }
}
