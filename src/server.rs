//! `NativeServer`: the embedded LocalServer (crates/server) started from Python.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use memanto_server::{ApiMode, AppState, ServerConfig, ServerHandle};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

use crate::errors::to_pyerr;

#[pyclass(frozen, module = "memanto_client._native")]
pub struct NativeServer {
    handle: Mutex<ServerHandle>,
    url: String,
    api_key: String,
    db_path: String,
}

fn bad(message: String) -> PyErr {
    Python::attach(|py| to_pyerr(py, memanto_core::Error::validation(message)))
}

/// Longest session the LocalServer issues (its tokens must stay within the years 1 to 9999).
const MAX_SESSION_SECONDS: f64 = 100.0 * 365.25 * 24.0 * 3600.0;

/// Which generation to imitate and how strictly (the 0.2-mode switches).
struct Mode {
    api_version: Option<String>,
    renew_every_call: bool,
    trust_loopback: bool,
}

/// `None` → Both (the default), `"0.0"` → Legacy, `"0.2"` → Current.
fn api_mode(api_version: Option<&str>) -> PyResult<ApiMode> {
    match api_version {
        None => Ok(ApiMode::Both),
        Some("0.0") => Ok(ApiMode::Legacy),
        Some("0.2") => Ok(ApiMode::Current),
        Some(other) => Err(bad(format!(
            "api_version must be \"0.0\", \"0.2\" or None (both), got {other:?}"
        ))),
    }
}

fn config(
    db_path: Option<PathBuf>,
    host: &str,
    port: u16,
    api_key: Option<String>,
    session_seconds: Option<f64>,
    mode: Mode,
) -> PyResult<ServerConfig> {
    let api_version = api_mode(mode.api_version.as_deref())?;
    let host: IpAddr = host
        .parse()
        .map_err(|_| bad(format!("host must be an IP address, got {host:?}")))?;
    if let Some(p) = &db_path {
        let s = p.to_string_lossy();
        if s.trim().is_empty() || s.starts_with(":memory:") || s.starts_with("file:") {
            return Err(bad(format!(
                "db_path {s:?} is not a file path; pass a file name, or None for a temporary file"
            )));
        }
    }
    if let Some(k) = &api_key {
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_graphic()) {
            return Err(bad("api_key must be non-empty printable ASCII without spaces (it travels in an HTTP header)".into()));
        }
    }
    let mut cfg = ServerConfig {
        db_path,
        host,
        port,
        api_keys: api_key.into_iter().collect(),
        api_version,
        renew_every_call: mode.renew_every_call,
        trust_loopback: mode.trust_loopback,
        ..ServerConfig::default()
    };
    if let Some(s) = session_seconds {
        if !(s.is_finite() && s > 0.0 && s <= MAX_SESSION_SECONDS) {
            return Err(bad(format!(
                "session_duration must be more than 0 and at most 100 years, got {s} seconds"
            )));
        }
        cfg.session_duration = Duration::from_secs_f64(s);
    }
    Ok(cfg)
}

#[pymethods]
impl NativeServer {
    #[new]
    #[pyo3(signature = (db_path, host, port, api_key, session_seconds, api_version=None, renew_every_call=false, trust_loopback=true))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        db_path: Option<PathBuf>,
        host: String,
        port: u16,
        api_key: Option<String>,
        session_seconds: Option<f64>,
        api_version: Option<String>,
        renew_every_call: bool,
        trust_loopback: bool,
    ) -> PyResult<Self> {
        let mode = Mode {
            api_version,
            renew_every_call,
            trust_loopback,
        };
        let cfg = config(db_path, &host, port, api_key, session_seconds, mode)?;
        let handle = py
            .detach(|| ServerHandle::start(cfg))
            .map_err(|e| PyOSError::new_err(format!("could not start the LocalServer: {e}")))?;
        Ok(NativeServer {
            url: handle.url(),
            api_key: handle.api_key().to_string(),
            db_path: handle.db_path().display().to_string(),
            handle: Mutex::new(handle),
        })
    }

    #[getter]
    fn url(&self) -> String {
        self.url.clone()
    }

    #[getter]
    fn api_key(&self) -> String {
        self.api_key.clone()
    }

    #[getter]
    fn db_path(&self) -> String {
        self.db_path.clone()
    }

    /// Stop serving and wait for the server thread (idempotent).
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.handle.lock().unwrap_or_else(|e| e.into_inner()).stop())
            .map_err(|e| PyOSError::new_err(format!("error while stopping the LocalServer: {e}")))
    }
}

/// The API key stored in the database `db_path` (`None` if it has none), read without the
/// database's lock, so it works while a server runs on the file (for `memanto-local show-key`).
#[pyfunction]
pub fn stored_api_key(py: Python<'_>, db_path: PathBuf) -> PyResult<Option<String>> {
    py.detach(|| AppState::stored_api_key(&db_path))
        .map_err(|e| {
            PyOSError::new_err(format!(
                "could not read the API key from {}: {e}",
                db_path.display()
            ))
        })
}

/// Serve until a Python signal handler raises (for the `memanto-local serve` command, which
/// installs handlers for SIGINT and SIGTERM). Calls `on_ready(url, api_key, db_path)`; stops
/// gracefully (in-flight requests finish, the database is closed and its lock released)
/// before re-raising the handler's exception.
#[pyfunction]
#[pyo3(signature = (db_path, host, port, api_key, session_seconds, on_ready, api_version=None))]
#[allow(clippy::too_many_arguments)]
pub fn serve_forever(
    py: Python<'_>,
    db_path: Option<PathBuf>,
    host: String,
    port: u16,
    api_key: Option<String>,
    session_seconds: Option<f64>,
    on_ready: Bound<'_, PyAny>,
    api_version: Option<String>,
) -> PyResult<()> {
    let server = NativeServer::new(
        py,
        db_path,
        host,
        port,
        api_key,
        session_seconds,
        api_version,
        false,
        true,
    )?;
    on_ready.call1((
        server.url.clone(),
        server.api_key.clone(),
        server.db_path.clone(),
    ))?;
    let interrupted = loop {
        py.detach(|| std::thread::sleep(Duration::from_millis(100)));
        if let Err(e) = py.check_signals() {
            break e;
        }
    };
    server.stop(py)?;
    Err(interrupted)
}
