//! Rust log records (the core's `memanto_client` target, hyper's, reqwest's) go to Python's
//! `logging` through pyo3-log, but never while a sync call drives its runtime: Python code run
//! there (a logging handler, or a finalizer or signal handler that fires inside it) must not
//! start a call of its own inside the running runtime, and an exception it raises must not be
//! left pending on the caller's thread. Records of such a stretch are held on that thread and
//! handed to Python once the runtime is left (`release`).

use std::cell::RefCell;

use log::{Level, LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

/// A record kept for later: what pyo3-log reads of it.
struct Held {
    level: Level,
    target: String,
    module_path: Option<String>,
    file: Option<String>,
    line: Option<u32>,
    message: String,
}

thread_local! {
    /// Some while this thread drives a sync call's runtime: the records to hand over after.
    static HELD: RefCell<Option<Vec<Held>>> = const { RefCell::new(None) };
}

struct Bridge(pyo3_log::Logger);

impl Log for Bridge {
    fn enabled(&self, metadata: &Metadata) -> bool {
        // pyo3-log answers from its cache of Python's levels, without calling Python.
        self.0.enabled(metadata)
    }

    fn log(&self, record: &Record) {
        let held = HELD.with(|held| match held.try_borrow_mut() {
            Ok(mut held) => match held.as_mut() {
                // pyo3-log decides for itself, when the record goes straight to it.
                None => false,
                Some(_) if !self.0.enabled(record.metadata()) => true,
                Some(list) => {
                    list.push(Held {
                        level: record.level(),
                        target: record.target().to_string(),
                        module_path: record.module_path().map(str::to_string),
                        file: record.file().map(str::to_string),
                        line: record.line(),
                        message: record.args().to_string(),
                    });
                    true
                }
            },
            // Logging while a record is being kept (cannot happen): drop it rather than recurse.
            Err(_) => true,
        });
        if !held {
            self.0.log(record);
        }
    }

    fn flush(&self) {}
}

/// Install the bridge as the `log` backend; the handle resets pyo3-log's level cache.
pub fn install() -> Option<pyo3_log::ResetHandle> {
    let logger = pyo3_log::Logger::default();
    let reset = logger.reset_handle();
    log::set_boxed_logger(Box::new(Bridge(logger))).ok()?;
    log::set_max_level(LevelFilter::Debug);
    Some(reset)
}

/// Hold this thread's records from now until `release`.
pub fn hold() {
    HELD.with(|held| {
        if let Ok(mut held) = held.try_borrow_mut() {
            held.get_or_insert_with(Vec::new);
        }
    });
}

/// Stop holding, and hand the held records to Python (taking the GIL if there are any). An
/// exception raised while logging is returned if it is a `BaseException` that is not an
/// `Exception` (Ctrl-C's `KeyboardInterrupt`, `SystemExit`), and otherwise reported as
/// unraisable: the call it happened in is not undone by a failing log handler.
pub fn release() -> PyResult<()> {
    let held = HELD.with(|held| held.try_borrow_mut().ok().and_then(|mut h| h.take()));
    let Some(held) = held.filter(|h| !h.is_empty()) else {
        return Ok(());
    };
    let logger = log::logger();
    Python::attach(|py| {
        let before = PyErr::take(py);
        for h in &held {
            logger.log(
                &Record::builder()
                    .level(h.level)
                    .target(&h.target)
                    .module_path(h.module_path.as_deref())
                    .file(h.file.as_deref())
                    .line(h.line)
                    .args(format_args!("{}", h.message))
                    .build(),
            );
        }
        let raised = PyErr::take(py);
        if let Some(e) = before {
            e.restore(py);
        }
        match raised {
            Some(e) if !e.is_instance_of::<pyo3::exceptions::PyException>(py) => Err(e),
            Some(e) => {
                e.write_unraisable(py, None);
                Ok(())
            }
            None => Ok(()),
        }
    })
}
