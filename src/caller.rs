//! Sync calls run on the calling thread. One current-thread tokio runtime per process has no
//! thread of its own while it is busy: the waiting caller drives it (its sockets, timers and
//! connection tasks) inside `block_on`, so a sync call costs no hand-off between threads.
//! When several threads wait at once, one of them drives and the others are woken when their
//! own call completes.
//!
//! When no call has run for [`IDLE`], a helper thread (`memanto-idle`) drives the runtime until
//! the next call arrives, so that what happens to idle connections is handled as it happens:
//! a kept-alive connection the server closes leaves the pool, and the connections of a client
//! that was garbage-collected are closed. The next call wakes the helper, which lets go.
//!
//! A client's connections belong to the runtime they were opened on, so a client is used
//! either by sync calls (here) or by async calls (the I/O thread, `runtime.rs`), never both;
//! `Client` and `AsyncClient` each have their own native client.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use pyo3::prelude::*;
use tokio::runtime::Runtime;
use tokio::sync::Notify;

use crate::errors::{internal_error, panicked, to_pyerr};

/// How often a waiting sync call lets Python deliver signals (Ctrl-C drops the request).
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// How long the runtime goes without a call before the helper thread drives it.
const IDLE: Duration = Duration::from_millis(100);

struct Activity {
    /// Sync calls inside `block_on` now.
    calls: usize,
    /// When the last one ended.
    last: Instant,
}

struct CallerRuntime {
    rt: Runtime,
    activity: Mutex<Activity>,
    /// Told when a call starts: the helper stops driving the runtime.
    call_started: Notify,
}

static CALLER_RUNTIME: Mutex<Option<(u64, Arc<CallerRuntime>)>> = Mutex::new(None);

/// This process's runtime for sync calls, and its helper thread (rebuilt in a forked child).
fn caller_runtime() -> PyResult<Arc<CallerRuntime>> {
    crate::runtime::per_process(&CALLER_RUNTIME, || {
        let shared = Arc::new(CallerRuntime {
            rt: crate::runtime::current_thread("sync runtime")?,
            activity: Mutex::new(Activity {
                calls: 0,
                last: Instant::now(),
            }),
            call_started: Notify::new(),
        });
        let for_helper = shared.clone();
        std::thread::Builder::new()
            .name("memanto-idle".into())
            .spawn(move || drive_while_idle(&for_helper))
            .map_err(|e| internal_error(format!("could not start the idle helper thread: {e}")))?;
        Ok(shared)
    })
}

/// The helper thread: whenever the runtime has gone [`IDLE`] without a call, drive it until a
/// call starts. It only checks every [`IDLE`] while calls keep coming, and never while it
/// drives (it then sleeps in the runtime's own wait for I/O).
fn drive_while_idle(shared: &CallerRuntime) {
    loop {
        let quiet_for = {
            let a = shared.activity.lock().unwrap_or_else(|e| e.into_inner());
            (a.calls == 0).then(|| a.last.elapsed())
        };
        match quiet_for {
            Some(quiet) if quiet >= IDLE => {
                crate::logbridge::hold();
                shared.rt.block_on(async {
                    // Registered before looking at `calls` again, so that a call starting
                    // after that look is sure to wake this one.
                    let started = shared.call_started.notified();
                    tokio::pin!(started);
                    started.as_mut().enable();
                    let busy = shared.activity.lock().map_or(true, |a| a.calls > 0);
                    if !busy {
                        started.await;
                    }
                });
                if let Err(e) = crate::logbridge::release() {
                    Python::attach(|py| e.write_unraisable(py, None));
                }
            }
            Some(quiet) => std::thread::sleep(IDLE - quiet),
            None => std::thread::sleep(IDLE),
        }
    }
}

/// How long the runtime may go undriven before a call first takes in what happened on its
/// sockets meanwhile (back-to-back calls skip that).
const SETTLE_AFTER: Duration = Duration::from_millis(1);

/// Counts a sync call as running while it lives.
struct Running<'a>(&'a CallerRuntime);

impl<'a> Running<'a> {
    /// Count a call in; also whether nobody drove the runtime for [`SETTLE_AFTER`].
    fn start(shared: &'a CallerRuntime) -> (Self, bool) {
        let undriven = {
            let mut a = shared.activity.lock().unwrap_or_else(|e| e.into_inner());
            a.calls += 1;
            a.calls == 1 && a.last.elapsed() >= SETTLE_AFTER
        };
        shared.call_started.notify_waiters();
        (Running(shared), undriven)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut a = self.0.activity.lock().unwrap_or_else(|e| e.into_inner());
        a.calls -= 1;
        a.last = Instant::now();
    }
}

/// Run `fut` to completion on the calling thread, without the GIL, waking every 50 ms to let
/// Python deliver signals (Ctrl-C drops the request).
pub fn wait<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = memanto_core::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    wait_then(py, fut, Ok)
}

/// `wait`, then `then` on the value, still without the GIL (sync calls have their bodies handed
/// back unparsed, `memanto_core::Deferred`, and parse them here).
pub fn wait_then<F, T, U>(
    py: Python<'_>,
    fut: F,
    then: impl FnOnce(T) -> memanto_core::Result<U> + Send,
) -> PyResult<U>
where
    F: Future<Output = memanto_core::Result<T>> + Send + 'static,
    T: Send + 'static,
    U: Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        // Python code run by a runtime thread (a logging handler during an async call, on the
        // I/O thread) cannot block that thread on a call of its own.
        return Err(internal_error(
            "a sync call cannot be made from memanto_client's own I/O thread (for example by a \
             logging handler that runs during an async call); make it from another thread"
                .into(),
        ));
    }
    let shared = caller_runtime()?;
    let received = py.detach(|| {
        let (running, mut settle) = Running::start(&shared);
        let mut call = Box::pin(AssertUnwindSafe(fut).catch_unwind());
        let done = loop {
            crate::logbridge::hold();
            let step = shared.rt.block_on(async {
                if settle {
                    // Take in what happened on the sockets while nobody drove the runtime (a
                    // kept-alive connection the server closed then leaves the pool before
                    // this call picks one): the first yield polls the I/O driver, the second
                    // lets the connection tasks it woke run before the call starts.
                    tokio::task::yield_now().await;
                    tokio::task::yield_now().await;
                }
                tokio::select! {
                    biased;
                    done = &mut call => Some(done.ok()),
                    () = tokio::time::sleep(SIGNAL_CHECK) => None,
                }
            });
            settle = false;
            // Log records, and then signals, reach Python outside the runtime, so that a
            // handler may make a sync call of its own (a thread cannot enter it twice).
            let logged = crate::logbridge::release();
            if let Some(done) = step {
                break logged.map(|()| done);
            }
            if let Err(e) = logged.and_then(|()| Python::attach(|py| py.check_signals())) {
                let _inside = shared.rt.enter();
                drop(call);
                break Err(e);
            }
        };
        drop(running);
        done.map(|received| received.map(|r| r.and_then(then)))
    })?;
    match received {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(to_pyerr(py, e)),
        None => Err(panicked()),
    }
}
