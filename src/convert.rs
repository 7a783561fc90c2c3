//! JSON <-> Python conversions (via pythonize) and claims to a plain dict.

use memanto_core::{time::to_iso, SessionClaims};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

pub fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v).map_err(PyErr::from)
}

pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    pythonize::depythonize(obj).map_err(PyErr::from)
}

/// Claims as a dict; times as canonical ISO strings (`+00:00`), unknown claims under `raw`.
pub fn claims_to_py<'py>(py: Python<'py>, c: &SessionClaims) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("agent_id", c.agent_id.as_deref())?;
    d.set_item("namespace", c.namespace.as_deref())?;
    d.set_item("session_id", c.session_id.as_deref())?;
    d.set_item("started_at", c.started_at.as_ref().map(to_iso))?;
    d.set_item("expires_at", to_iso(&c.expires_at))?;
    d.set_item("issued_at", c.issued_at.as_ref().map(to_iso))?;
    d.set_item("raw", to_py(py, &Value::Object(c.raw.clone()))?)?;
    Ok(d)
}
