//! The I/O thread of async calls (sync calls run on their caller's thread, see `caller.rs`).
//!
//! One current-thread tokio runtime runs on one thread (`memanto-io`): every async request and
//! every connection's work stays on that thread, with no work stealing between threads.

use std::sync::Mutex;

use pyo3::prelude::*;
use tokio::runtime::{Handle, Runtime};

use crate::errors::internal_error;

static RUNTIME: Mutex<Option<(u64, Handle)>> = Mutex::new(None);

/// The value in `slot` made by this process, or a new one from `start`. A child created by
/// `fork()` inherits the parent's value but not its threads, and must not touch its resources
/// (an epoll instance is shared with the parent), so a new value is started whenever the
/// fork generation (`memanto_core::fork`) changed and the inherited one is leaked on purpose.
pub fn per_process<T: Clone>(
    slot: &Mutex<Option<(u64, T)>>,
    start: impl FnOnce() -> PyResult<T>,
) -> PyResult<T> {
    let fork = memanto_core::fork::generation();
    let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, value)) = guard.as_ref() {
        if *owner == fork {
            return Ok(value.clone());
        }
    }
    let value = start()?;
    if let Some(old) = guard.replace((fork, value.clone())) {
        std::mem::forget(old);
    }
    Ok(value)
}

/// A current-thread tokio runtime with I/O and timers (`what` names it in the error).
pub fn current_thread(what: &str) -> PyResult<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| internal_error(format!("could not start the {what}: {e}")))
}

/// The process's I/O runtime, on its own thread (rebuilt in a forked child).
pub fn runtime() -> PyResult<Handle> {
    per_process(&RUNTIME, || {
        let rt = current_thread("I/O runtime")?;
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("memanto-io".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .map_err(|e| internal_error(format!("could not start the I/O thread: {e}")))?;
        Ok(handle)
    })
}
