//! The one conversion from the core's error to a Python exception. The classes themselves live
//! in `memanto_client/exceptions.py` so that they pickle and carry plain attributes.

use memanto_core::Error;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let module = py.import("memanto_client.exceptions")?;
    let cls = module.getattr(e.kind.class_name())?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("status_code", e.status_code)?;
    kwargs.set_item("code", e.code.as_deref())?;
    let body = match &e.body {
        Some(b) => pythonize::pythonize(py, b).map_err(PyErr::from)?.unbind(),
        None => py.None(),
    };
    kwargs.set_item("body", body)?;
    kwargs.set_item("retry_after", e.retry_after)?;
    let instance = cls.call((e.message.as_str(),), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}

pub fn to_pyerr(py: Python<'_>, e: Error) -> PyErr {
    build(py, &e).unwrap_or_else(|err| err)
}

/// An internal failure, still raised as a `MemantoError` (never a `PanicException`).
pub fn internal_error(message: String) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("memanto_client.exceptions")
            .and_then(|m| m.getattr("MemantoError"))
            .and_then(|cls| cls.call1((message.as_str(),)));
        match made {
            Ok(inst) => PyErr::from_value(inst),
            Err(_) => PyRuntimeError::new_err(message),
        }
    })
}

/// A call whose Rust future panicked, as a `MemantoError`.
pub fn panicked() -> PyErr {
    internal_error("an internal error (panic) occurred in memanto_client; please report it".into())
}

/// For synchronous core calls (validation, token decoding).
pub fn check<T>(py: Python<'_>, r: memanto_core::Result<T>) -> PyResult<T> {
    r.map_err(|e| to_pyerr(py, e))
}
