//! The tokio runtime behind the sync API, and the one way to wait on it: with the GIL released,
//! waking every 50 ms to let Python deliver signals (Ctrl-C abandons the request).

use std::future::Future;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::errors::{internal_error, to_pyerr};

static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// The process's runtime. A child created by `fork()` inherits the parent's runtime object but
/// none of its threads, so a new one is built whenever the process id changed (the inherited
/// one is leaked on purpose: dropping it would wait for threads that do not exist).
pub fn runtime() -> PyResult<Arc<Runtime>> {
    let pid = std::process::id();
    let mut guard = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, rt)) = guard.as_ref() {
        if *owner == pid {
            return Ok(rt.clone());
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("memanto-io")
        .enable_all()
        .build()
        .map_err(|e| internal_error(format!("could not start the I/O runtime: {e}")))?;
    let rt = Arc::new(rt);
    if let Some(old) = guard.replace((pid, rt.clone())) {
        std::mem::forget(old);
    }
    Ok(rt)
}

/// Run `fut` to completion on the runtime while the calling thread waits without the GIL.
pub fn wait<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = memanto_core::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let rt = runtime()?;
    let (tx, rx) = mpsc::sync_channel(1);
    let task = rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    let received = py.detach(move || loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(result) => return Ok(Some(result)),
            // The task ended without sending: it panicked or the runtime is shutting down.
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(None),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = Python::attach(|py| py.check_signals()) {
                    task.abort();
                    return Err(e);
                }
            }
        }
    })?;
    match received {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(to_pyerr(py, e)),
        None => Err(internal_error(
            "the request task stopped unexpectedly (internal error)".into(),
        )),
    }
}
