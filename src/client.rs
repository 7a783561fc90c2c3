//! `NativeClient`: the key-only calls. Python's `Client`/`Agents` (blocking) and
//! `AsyncClient`/`AsyncAgents` (awaitables) wrap it; `asynchronous` picks the mode.

use std::time::Duration;

use memanto_core::{Client, ClientConfig, Session, SessionPolicy};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::bridge::{run, run_with};
use crate::convert::{from_py, to_py};
use crate::errors::{check, to_pyerr};
use crate::session::NativeSession;

#[pyclass(frozen, module = "memanto_client._native")]
pub struct NativeClient {
    inner: Client,
    asynchronous: bool,
}

fn seconds(what: &str, v: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(v).map_err(|_| {
        Python::attach(|py| {
            to_pyerr(
                py,
                memanto_core::Error::validation(format!(
                    "{what} must be a positive number of seconds, got {v}"
                )),
            )
        })
    })
}

fn policy(
    duration_hours: Option<f64>,
    auto_extend: bool,
    refresh_margin: f64,
    reactivate: bool,
) -> PyResult<SessionPolicy> {
    Ok(SessionPolicy {
        auto_extend,
        refresh_margin: seconds("refresh_margin", refresh_margin)?,
        reactivate,
        duration_hours,
        ..SessionPolicy::default()
    })
}

fn server_json(s: &memanto_core::ServerInfo) -> serde_json::Value {
    serde_json::json!({
        "generation": s.generation.as_str(),
        "version": s.version,
        "serves_both": s.serves_both,
        "detected": s.detected,
    })
}

#[pymethods]
impl NativeClient {
    /// `timeout`: total seconds per request, or None for no limit.
    #[new]
    #[pyo3(signature = (api_key, base_url, timeout, connect_timeout, max_retries, max_connections, max_response_bytes, max_retry_after, asynchronous, api_version=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        max_retries: u32,
        max_connections: usize,
        max_response_bytes: usize,
        max_retry_after: f64,
        asynchronous: bool,
        api_version: Option<String>,
    ) -> PyResult<Self> {
        let timeout = timeout.map(|t| seconds("timeout", t)).transpose()?;
        let connect_timeout = connect_timeout
            .map(|t| seconds("connect_timeout", t))
            .transpose()?;
        let mut config = check(
            py,
            ClientConfig::resolve_with_version(
                api_key,
                base_url,
                timeout,
                connect_timeout,
                api_version,
            ),
        )?;
        config.retry.max_retries = max_retries;
        config.max_connections = max_connections;
        config.max_response_bytes = max_response_bytes;
        config.retry.max_retry_after = seconds("max_retry_after", max_retry_after)?;
        Ok(NativeClient {
            inner: check(py, Client::new(config))?,
            asynchronous,
        })
    }

    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }

    #[getter]
    fn has_api_key(&self) -> bool {
        self.inner.config().api_key.is_some()
    }

    #[getter]
    fn timeout(&self) -> Option<f64> {
        self.inner.config().timeout.map(|d| d.as_secs_f64())
    }

    /// What is known of the server without a request (None until detected or pinned):
    /// `{"generation", "version", "serves_both", "detected"}`.
    fn server_cached<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .server_cached()
            .map(|s| to_py(py, &server_json(&s)))
            .transpose()
    }

    /// Find the server's generation (`GET /` once), as `server_cached` describes it.
    fn detect_server<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.clone();
        run(py, self.asynchronous, async move {
            c.server().await.map(|s| server_json(&s))
        })
    }

    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.clone();
        run(py, self.asynchronous, async move { c.status().await })
    }

    /// Make every session of this client forget its token (Client.close()).
    fn forget_sessions(&self) {
        self.inner.forget_sessions(None);
    }

    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.clone();
        run(py, self.asynchronous, async move { c.health().await })
    }

    /// `GET /`, `/ready` or `/live`.
    fn probe<'py>(&self, py: Python<'py>, path: String) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.clone();
        run(py, self.asynchronous, async move { c.probe(&path).await })
    }

    #[pyo3(signature = (agent_id, pattern, description, metadata))]
    fn create_agent<'py>(
        &self,
        py: Python<'py>,
        agent_id: String,
        pattern: Option<String>,
        description: Option<String>,
        metadata: Option<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let metadata = match metadata {
            Some(m) => match from_py(m.as_any())? {
                serde_json::Value::Object(map) => Some(map),
                _ => None,
            },
            None => None,
        };
        let c = self.inner.clone();
        run(py, self.asynchronous, async move {
            c.create_agent(
                &agent_id,
                pattern.as_deref(),
                description.as_deref(),
                metadata,
            )
            .await
        })
    }

    fn list_agents<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.clone();
        run(py, self.asynchronous, async move { c.list_agents().await })
    }

    fn get_agent<'py>(&self, py: Python<'py>, agent_id: String) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.clone();
        run(py, self.asynchronous, async move {
            c.get_agent(&agent_id).await
        })
    }

    fn delete_agent<'py>(&self, py: Python<'py>, agent_id: String) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.clone();
        run(py, self.asynchronous, async move {
            c.delete_agent(&agent_id).await
        })
    }

    fn list_sessions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.clone();
        run(
            py,
            self.asynchronous,
            async move { c.list_sessions().await },
        )
    }

    fn deactivate<'py>(&self, py: Python<'py>, agent_id: String) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.clone();
        run(py, self.asynchronous, async move {
            c.deactivate(&agent_id).await
        })
    }

    /// Returns (or, when asynchronous, resolves to) `(NativeSession, activate response dict)`.
    #[pyo3(signature = (agent_id, duration_hours, auto_extend, refresh_margin, reactivate))]
    fn activate<'py>(
        &self,
        py: Python<'py>,
        agent_id: String,
        duration_hours: Option<f64>,
        auto_extend: bool,
        refresh_margin: f64,
        reactivate: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let policy = policy(duration_hours, auto_extend, refresh_margin, reactivate)?;
        let c = self.inner.clone();
        let asynchronous = self.asynchronous;
        run_with(
            py,
            asynchronous,
            async move { Session::activate(&c, &agent_id, policy).await },
            move |py, (session, body)| {
                let native = Bound::new(py, NativeSession::new(session, asynchronous))?;
                Ok(PyTuple::new(py, [native.into_any(), to_py(py, &body)?])?.into_any())
            },
        )
    }

    #[pyo3(signature = (token, agent_id, auto_extend, refresh_margin, reactivate))]
    fn session_from_token(
        &self,
        py: Python<'_>,
        token: String,
        agent_id: Option<String>,
        auto_extend: bool,
        refresh_margin: f64,
        reactivate: bool,
    ) -> PyResult<NativeSession> {
        let policy = policy(None, auto_extend, refresh_margin, reactivate)?;
        let s = check(
            py,
            Session::from_token(self.inner.clone(), agent_id.as_deref(), &token, policy),
        )?;
        Ok(NativeSession::new(s, self.asynchronous))
    }
}
