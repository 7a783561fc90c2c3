//! Running core futures for Python: blocking on the calling thread (sync API, see `caller.rs`)
//! or as an awaitable on the I/O thread (async API, see `aio.rs`). Panics inside a call become
//! `MemantoError`, never `PanicException`; cancelling the awaiting asyncio task drops the Rust
//! future.

use std::future::Future;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::caller::{wait, wait_then};
use crate::convert::to_py;
use crate::errors::to_pyerr;
use crate::results::{plain, How, IntoRoot};

/// A finished sync call's JSON, not yet converted: `then(how)` builds the result.
#[pyclass(frozen, module = "memanto_client._native")]
pub struct Reply {
    root: crate::results::Root,
}

#[pymethods]
impl Reply {
    /// Build the result as `how` (a result class's `Builder`, or a callable given the JSON)
    /// with `overrides` for its fields.
    #[pyo3(signature = (how, overrides=None))]
    fn then<'py>(
        &self,
        py: Python<'py>,
        how: &Bound<'py, PyAny>,
        overrides: Option<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        How::from_py(how, overrides).apply(py, &self.root)
    }

    /// The JSON as Python objects.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        plain(py, &self.root)
    }
}

fn built<'py, B: IntoRoot>(
    py: Python<'py>,
    v: B,
    how: Option<&How>,
) -> PyResult<Bound<'py, PyAny>> {
    let root = v.into_root().map_err(|e| to_pyerr(py, e))?;
    match how {
        Some(h) => h.apply(py, &root),
        None => plain(py, &root),
    }
}

/// Run a call whose result is JSON, to be built by the caller: a `Reply` when blocking, a
/// `Pending` awaitable otherwise (both have `then`).
pub fn run_reply<'py, B, Fut>(
    py: Python<'py>,
    asynchronous: bool,
    fut: Fut,
) -> PyResult<Bound<'py, PyAny>>
where
    B: IntoRoot,
    Fut: Future<Output = memanto_core::Result<B>> + Send + 'static,
{
    if asynchronous {
        return crate::aio::spawn(py, fut, built::<B>);
    }
    let root = wait_then(py, fut, B::into_root)?;
    Ok(Py::new(py, Reply { root })?.into_bound(py).into_any())
}

/// Run `fut` and convert its value with `convert`: blocking when `asynchronous` is false,
/// otherwise returning an awaitable.
pub fn run_with<'py, T, Fut, C>(
    py: Python<'py>,
    asynchronous: bool,
    fut: Fut,
    convert: C,
) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    Fut: Future<Output = memanto_core::Result<T>> + Send + 'static,
    C: for<'a> FnOnce(Python<'a>, T) -> PyResult<Bound<'a, PyAny>> + Send + 'static,
{
    if !asynchronous {
        let value = wait(py, fut)?;
        return convert(py, value);
    }
    crate::aio::spawn(py, fut, move |py, v, _how| convert(py, v))
}

/// `run_with` for calls whose result is JSON, given to Python as plain objects.
pub fn run<'py, Fut>(py: Python<'py>, asynchronous: bool, fut: Fut) -> PyResult<Bound<'py, PyAny>>
where
    Fut: Future<Output = memanto_core::Result<Value>> + Send + 'static,
{
    if asynchronous {
        return crate::aio::spawn(py, fut, built::<Value>);
    }
    let v = wait(py, fut)?;
    to_py(py, &v)
}
