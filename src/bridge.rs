//! Running core futures for Python: blocking (sync API) or as an awaitable (async API), both on
//! this process's tokio runtime. Panics inside a call become `MemantoError`, never
//! `PanicException`; cancelling the awaiting asyncio task drops the Rust future.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use futures::FutureExt;
use pyo3::prelude::*;
use pyo3_async_runtimes::generic::{self, ContextExt, JoinError, Runtime};
use pyo3_async_runtimes::TaskLocals;
use serde_json::Value;

use crate::convert::to_py;
use crate::errors::{internal_error, to_pyerr};
use crate::runtime::{runtime, wait};

tokio::task_local! {
    static LOCALS: TaskLocals;
}

/// pyo3-async-runtimes' view of our per-process runtime (see `runtime.rs`).
pub struct ProcessRuntime;

pub struct TokioJoinError(tokio::task::JoinError);

impl JoinError for TokioJoinError {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

pub struct Handle(tokio::task::JoinHandle<()>);

impl Future for Handle {
    type Output = Result<(), TokioJoinError>;
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map_err(TokioJoinError)
    }
}

fn spawn_on_process_runtime<F: Future<Output = ()> + Send + 'static>(fut: F) -> Handle {
    match runtime() {
        Ok(rt) => Handle(rt.spawn(fut)),
        // Only if no runtime can be built at all; the awaitable then never resolves, so the
        // caller learns of it through `run` below, which builds the runtime first.
        Err(_) => Handle(tokio::runtime::Handle::current().spawn(fut)),
    }
}

impl Runtime for ProcessRuntime {
    type JoinError = TokioJoinError;
    type JoinHandle = Handle;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        spawn_on_process_runtime(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        spawn_on_process_runtime(async move {
            let _ = tokio::task::spawn_blocking(f).await;
        })
    }
}

impl ContextExt for ProcessRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        LOCALS.try_with(|l| l.clone()).ok()
    }
}

/// Run `fut` and convert its value with `convert`: blocking when `asynchronous` is false,
/// otherwise returning an asyncio awaitable.
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
    runtime()?; // build it now, so a failure is an exception here rather than a hang later
    generic::future_into_py::<ProcessRuntime, _, Py<PyAny>>(py, async move {
        let outcome = AssertUnwindSafe(fut).catch_unwind().await;
        Python::attach(|py| match outcome {
            Ok(Ok(v)) => convert(py, v).map(Bound::unbind),
            Ok(Err(e)) => Err(to_pyerr(py, e)),
            Err(_) => Err(internal_error(
                "an internal error (panic) occurred in memanto_client; please report it".into(),
            )),
        })
    })
}

/// `run_with` for calls whose result is JSON.
pub fn run<'py, Fut>(py: Python<'py>, asynchronous: bool, fut: Fut) -> PyResult<Bound<'py, PyAny>>
where
    Fut: Future<Output = memanto_core::Result<Value>> + Send + 'static,
{
    run_with(py, asynchronous, fut, |py, v| to_py(py, &v))
}
