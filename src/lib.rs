//! The PyO3 layer of memanto-client: classes, conversions, the runtime, GIL release and
//! exception mapping. No HTTP or business logic lives here (see crates/core and crates/server).

mod aio;
mod bridge;
mod caller;
mod client;
mod convert;
mod errors;
mod logbridge;
mod results;
mod runtime;
mod server;
mod session;

use pyo3::prelude::*;

/// Decode a session token's claims without the server's secret (returns a dict; times are
/// ISO-8601 strings in UTC).
#[pyfunction]
fn decode_session_token<'py>(
    py: Python<'py>,
    token: &str,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let claims = errors::check(py, memanto_core::decode_session_token(token))?;
    convert::claims_to_py(py, &claims)
}

/// Parse a server timestamp (naive = UTC, `Z`, offsets, date-only) into canonical
/// `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`, or None when it is not a timestamp.
#[pyfunction]
fn normalize_timestamp(s: &str) -> Option<String> {
    memanto_core::time::parse_timestamp(s).map(|t| memanto_core::time::to_iso(&t))
}

static LOG_RESET: std::sync::OnceLock<pyo3_log::ResetHandle> = std::sync::OnceLock::new();

/// Forget the cached Python logger levels (after logging was reconfigured).
#[pyfunction]
fn reset_log_cache() {
    if let Some(h) = LOG_RESET.get() {
        h.reset();
    }
}

/// For tests: a call whose Rust future panics, run like any other call.
#[pyfunction]
fn _debug_panic(py: Python<'_>, asynchronous: bool) -> PyResult<Bound<'_, PyAny>> {
    bridge::run(py, asynchronous, async {
        if std::hint::black_box(true) {
            panic!("deliberate panic for tests");
        }
        Ok(serde_json::Value::Null)
    })
}

/// The wire contract's names and limits (memanto-protocol), so Python states none of them.
fn limits(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyDict>> {
    use memanto_protocol::limits as l;
    let d = pyo3::types::PyDict::new(py);
    d.set_item("memory_types", memanto_protocol::MEMORY_TYPES.to_vec())?;
    d.set_item("provenances", memanto_protocol::PROVENANCES.to_vec())?;
    d.set_item("patterns", memanto_protocol::PATTERNS.to_vec())?;
    d.set_item(
        "recall_statuses",
        memanto_protocol::RECALL_STATUSES.to_vec(),
    )?;
    d.set_item(
        "conflict_actions",
        memanto_protocol::CONFLICT_ACTIONS.to_vec(),
    )?;
    d.set_item("upload_extensions", l::UPLOAD_EXTENSIONS.to_vec())?;
    d.set_item("max_content_chars", l::MAX_CONTENT_CHARS)?;
    d.set_item("max_query_chars", l::MAX_QUERY_CHARS)?;
    d.set_item("max_title_chars", l::MAX_TITLE_CHARS)?;
    d.set_item("max_limit", l::MAX_LIMIT)?;
    d.set_item("max_batch", l::MAX_BATCH)?;
    d.set_item("max_tags", l::MAX_TAGS)?;
    d.set_item("max_tag_chars", l::MAX_TAG_CHARS)?;
    d.set_item("max_extract_messages", l::MAX_EXTRACT_MESSAGES)?;
    d.set_item("default_session_hours", l::DEFAULT_SESSION_HOURS)?;
    d.set_item("default_recall_limit", l::DEFAULT_RECALL_LIMIT)?;
    d.set_item("renew_threshold_minutes", l::RENEW_THRESHOLD_MINUTES)?;
    Ok(d)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Core log records (target "memanto_client") go to Python's `memanto_client` logger.
    if let Some(handle) = logbridge::install() {
        let _ = LOG_RESET.set(handle);
    }
    m.add_class::<client::NativeClient>()?;
    m.add_class::<session::NativeSession>()?;
    m.add_class::<server::NativeServer>()?;
    m.add_class::<results::Builder>()?;
    m.add_class::<results::RawJson>()?;
    m.add_class::<results::Extra>()?;
    m.add_class::<bridge::Reply>()?;
    m.add_class::<aio::Pending>()?;
    m.add_function(wrap_pyfunction!(decode_session_token, m)?)?;
    m.add_function(wrap_pyfunction!(normalize_timestamp, m)?)?;
    m.add_function(wrap_pyfunction!(reset_log_cache, m)?)?;
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    m.add_function(wrap_pyfunction!(server::serve_forever, m)?)?;
    m.add_function(wrap_pyfunction!(server::stored_api_key, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("LIMITS", limits(m.py())?)?;
    Ok(())
}

// Rust's own allocations (parsed JSON, requests) through mimalloc: the hot path allocates many
// small strings and maps, which glibc's malloc serves at several times the cost.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
