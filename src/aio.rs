//! Async calls without thread hops. An async call creates an asyncio future on the calling
//! (event-loop) thread and spawns its request on the I/O thread. The finished request is pushed,
//! without the GIL, onto its loop's completion queue; a byte written to a socket pair wakes the
//! loop only when the queue was empty, and the loop, which watches that socket with
//! `add_reader`, drains every completion in one callback on its own thread: Python result
//! objects are built and futures resolved there.
//!
//! `Pending` is what an async native call returns: an awaitable that delegates to the future,
//! and drops the request (and its connection permit) when the awaiting task is cancelled or the
//! awaitable is dropped unfinished.

use std::future::Future;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::FutureExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::errors::{internal_error, panicked, to_pyerr};
use crate::results::How;
use crate::runtime::runtime;

/// Turns a finished request's value into its Python result, on the loop thread.
pub type Convert =
    Box<dyn for<'py> FnOnce(Python<'py>, Option<&How>) -> PyResult<Bound<'py, PyAny>> + Send>;

enum Outcome {
    Ready(Convert),
    Failed(memanto_core::Error),
    Panicked,
}

/// One call's future, and what its result should become (set by `Pending.then`).
struct Slot {
    future: Py<PyAny>,
    how: Mutex<Option<How>>,
}

struct Done {
    slot: Arc<Slot>,
    outcome: Outcome,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The completion queue of one event loop.
struct Hub {
    /// Fork generation (`memanto_core::fork`) of the process that made it.
    fork: u64,
    queue: Mutex<Vec<Done>>,
    wake_tx: UnixStream,
    wake_rx: UnixStream,
}

impl Hub {
    fn new() -> std::io::Result<Self> {
        let (wake_tx, wake_rx) = UnixStream::pair()?;
        wake_tx.set_nonblocking(true)?;
        wake_rx.set_nonblocking(true)?;
        Ok(Hub {
            fork: memanto_core::fork::generation(),
            queue: Mutex::new(Vec::new()),
            wake_tx,
            wake_rx,
        })
    }

    /// From the I/O thread: queue a completion; wake the loop if it had nothing queued.
    fn complete(&self, done: Done) {
        let first = {
            let mut q = lock(&self.queue);
            q.push(done);
            q.len() == 1
        };
        if first {
            // A full socket buffer means a wake-up is already pending: nothing to do.
            let _ = (&self.wake_tx).write(&[1]);
        }
    }

    /// On the loop thread: take every queued completion and resolve its future.
    fn drain(&self, py: Python<'_>) {
        // Read the wake-ups first, then take the queue: a completion queued in between writes
        // a new byte, so none is left behind until the next one.
        let mut buf = [0u8; 256];
        while let Ok(n) = (&self.wake_rx).read(&mut buf) {
            if n < buf.len() {
                break;
            }
        }
        let batch = std::mem::take(&mut *lock(&self.queue));
        for done in batch {
            deliver(py, done);
        }
    }
}

fn deliver(py: Python<'_>, done: Done) {
    let fut = done.slot.future.bind(py);
    // A cancelled call's future is already done: its result is dropped quietly.
    if fut
        .call_method0(pyo3::intern!(py, "done"))
        .and_then(|d| d.is_truthy())
        .unwrap_or(true)
    {
        return;
    }
    let how = lock(&done.slot.how).take();
    let result = match done.outcome {
        Outcome::Ready(convert) => convert(py, how.as_ref()),
        Outcome::Failed(e) => Err(to_pyerr(py, e)),
        Outcome::Panicked => Err(panicked()),
    };
    let _ = match result {
        Ok(v) => fut.call_method1(pyo3::intern!(py, "set_result"), (v,)),
        Err(e) => fut.call_method1(pyo3::intern!(py, "set_exception"), (e.into_value(py),)),
    };
}

/// The reader callback `loop.add_reader` calls when a hub's socket is readable.
#[pyclass(frozen, module = "memanto_client._native")]
struct Drain {
    hub: Arc<Hub>,
}

#[pymethods]
impl Drain {
    fn __call__(&self, py: Python<'_>) {
        self.hub.drain(py);
    }
}

/// Every loop that has made async calls, with its hub. Closed loops are let go when a new loop
/// makes its first call; after `fork()` the parent's are forgotten (never unregistered: the
/// child must not touch the parent's epoll).
static HUBS: Mutex<Vec<(Py<PyAny>, Arc<Hub>)>> = Mutex::new(Vec::new());

fn hub_for(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Hub>> {
    let fork = memanto_core::fork::generation();
    let stale = {
        let mut hubs = lock(&HUBS);
        if let Some((_, hub)) = hubs.iter().find(|(l, _)| l.is(event_loop)) {
            if hub.fork == fork {
                return Ok(hub.clone());
            }
        }
        if hubs.first().is_some_and(|(_, h)| h.fork != fork) {
            std::mem::take(&mut *hubs)
        } else {
            Vec::new()
        }
    };
    drop(stale);
    let hub = Arc::new(Hub::new().map_err(|e| {
        internal_error(format!(
            "could not create the event-loop wake-up socket: {e}"
        ))
    })?);
    event_loop.call_method1(
        pyo3::intern!(py, "add_reader"),
        (hub.wake_rx.as_raw_fd(), Drain { hub: hub.clone() }),
    )?;
    // Let go of the hubs of closed loops (checked without holding the lock).
    let known = std::mem::take(&mut *lock(&HUBS));
    let (open, closed): (Vec<_>, Vec<_>) = known.into_iter().partition(|(l, _)| {
        !l.bind(py)
            .call_method0(pyo3::intern!(py, "is_closed"))
            .and_then(|c| c.is_truthy())
            .unwrap_or(true)
    });
    {
        let mut hubs = lock(&HUBS);
        hubs.extend(open);
        hubs.push((event_loop.clone().unbind(), hub.clone()));
    }
    drop(closed);
    Ok(hub)
}

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// What an async native call returns: await it (it resolves to the call's result); `then`
/// says what the result should be built into.
#[pyclass(frozen, module = "memanto_client._native")]
pub struct Pending {
    slot: Arc<Slot>,
    abort: tokio::task::AbortHandle,
    iter: Mutex<Option<Py<PyAny>>>,
}

impl Pending {
    fn iter<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut it = lock(&self.iter);
        if let Some(i) = it.as_ref() {
            return Ok(i.bind(py).clone());
        }
        let i = self
            .slot
            .future
            .bind(py)
            .call_method0(pyo3::intern!(py, "__await__"))?;
        *it = Some(i.clone().unbind());
        Ok(i)
    }
}

#[pymethods]
impl Pending {
    /// Build the result as `how` (a result class's `Builder`, or a callable given the JSON)
    /// with `overrides` for its fields; returns this awaitable.
    #[pyo3(signature = (how, overrides=None))]
    fn then<'py>(
        slf: Bound<'py, Self>,
        how: &Bound<'py, PyAny>,
        overrides: Option<Bound<'py, PyDict>>,
    ) -> Bound<'py, Self> {
        *lock(&slf.get().slot.how) = Some(How::from_py(how, overrides));
        slf
    }

    fn __await__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.iter(py)?
            .call_method1(pyo3::intern!(py, "send"), (py.None(),))
    }

    fn send<'py>(&self, py: Python<'py>, value: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.iter(py)?
            .call_method1(pyo3::intern!(py, "send"), (value,))
    }

    #[pyo3(signature = (typ, val=None, tb=None))]
    fn throw<'py>(
        &self,
        py: Python<'py>,
        typ: Bound<'py, PyAny>,
        val: Option<Bound<'py, PyAny>>,
        tb: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.abort.abort();
        let it = self.iter(py)?;
        match (val, tb) {
            (None, _) => it.call_method1(pyo3::intern!(py, "throw"), (typ,)),
            (Some(v), None) => it.call_method1(pyo3::intern!(py, "throw"), (typ, v)),
            (Some(v), Some(t)) => it.call_method1(pyo3::intern!(py, "throw"), (typ, v, t)),
        }
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.abort.abort();
        if let Some(i) = lock(&self.iter).take() {
            i.bind(py).call_method0(pyo3::intern!(py, "close"))?;
        }
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // Unfinished and no longer awaited (its task was cancelled, or it was never awaited):
        // drop the request. A no-op once the request has finished.
        self.abort.abort();
    }
}

/// Start `fut` on the I/O thread for the running event loop; its value becomes the Python
/// result through `convert` on the loop thread.
pub fn spawn<'py, T, Fut, C>(py: Python<'py>, fut: Fut, convert: C) -> PyResult<Bound<'py, PyAny>>
where
    T: Send + 'static,
    Fut: Future<Output = memanto_core::Result<T>> + Send + 'static,
    C: for<'a> FnOnce(Python<'a>, T, Option<&How>) -> PyResult<Bound<'a, PyAny>> + Send + 'static,
{
    let get_loop = GET_RUNNING_LOOP.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
    })?;
    let event_loop = get_loop.bind(py).call0()?;
    let hub = hub_for(py, &event_loop)?;
    let rt = runtime()?;
    let future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let slot = Arc::new(Slot {
        future: future.unbind(),
        how: Mutex::new(None),
    });
    let for_task = slot.clone();
    let join = rt.spawn(async move {
        let outcome = match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(Ok(v)) => Outcome::Ready(Box::new(move |py: Python<'_>, how: Option<&How>| {
                convert(py, v, how)
            })),
            Ok(Err(e)) => Outcome::Failed(e),
            Err(_) => Outcome::Panicked,
        };
        hub.complete(Done {
            slot: for_task,
            outcome,
        });
    });
    let pending = Pending {
        slot,
        abort: join.abort_handle(),
        iter: Mutex::new(None),
    };
    Ok(Py::new(py, pending)?.into_bound(py).into_any())
}
