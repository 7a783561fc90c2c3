//! The I/O thread, and the one way to wait on it from a sync call: with the GIL released,
//! waking every 50 ms to let Python deliver signals (Ctrl-C abandons the request).
//!
//! One current-thread tokio runtime runs on one thread (`memanto-io`): every request and every
//! connection's work stays on that thread, with no work stealing between threads.

use std::future::Future;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Handle;

const SIGNAL_CHECK: Duration = Duration::from_millis(50);

use crate::errors::{internal_error, to_pyerr};

static RUNTIME: Mutex<Option<(u32, Handle)>> = Mutex::new(None);

/// The process's I/O runtime. A child created by `fork()` inherits the parent's handle but not
/// its thread, so a new runtime is started whenever the process id changed (the inherited
/// handle is leaked on purpose: dropping it could touch the parent's resources).
pub fn runtime() -> PyResult<Handle> {
    let pid = std::process::id();
    let mut guard = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, handle)) = guard.as_ref() {
        if *owner == pid {
            return Ok(handle.clone());
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| internal_error(format!("could not start the I/O runtime: {e}")))?;
    let handle = rt.handle().clone();
    std::thread::Builder::new()
        .name("memanto-io".into())
        .spawn(move || rt.block_on(std::future::pending::<()>()))
        .map_err(|e| internal_error(format!("could not start the I/O thread: {e}")))?;
    if let Some(old) = guard.replace((pid, handle.clone())) {
        std::mem::forget(old);
    }
    Ok(handle)
}

/// Run `fut` to completion on the I/O thread while the calling thread waits without the GIL,
/// waking every 50 ms to let Python deliver signals (Ctrl-C drops the request). Sync calls
/// have their bodies handed back unparsed (`memanto_core::Deferred`) and parse them here, on
/// the calling thread, so the I/O thread only moves bytes.
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
        match rx.recv_timeout(SIGNAL_CHECK) {
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
            "an internal error (panic) occurred in memanto_client; please report it".into(),
        )),
    }
}
