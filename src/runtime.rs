//! The I/O thread of async calls (sync calls run on their caller's thread, see `caller.rs`).
//!
//! One current-thread tokio runtime runs on one thread (`memanto-io`): every async request and
//! every connection's work stays on that thread, with no work stealing between threads.

use std::sync::Mutex;

use pyo3::prelude::*;
use tokio::runtime::Handle;

use crate::errors::internal_error;

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
