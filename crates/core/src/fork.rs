//! Which fork of the process this is, without a system call.
//!
//! A value made by one process (an HTTP pool, a runtime, an epoll-backed waker) must not be
//! used by a child created with `fork()`: the child shares the parent's epoll instance and
//! sockets but has none of its threads. Checking `getpid()` on every request costs a system
//! call each time (glibc no longer caches it); instead a `pthread_atfork` handler counts forks
//! in the child, so the check is an atomic load. `fork()` from C, `os.fork()` and
//! `multiprocessing`'s fork start method all run the handler.

use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

#[cfg(unix)]
extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// This process's fork generation: 0 in the process that first asked, one more in each child
/// forked since (and in a child's child). Values tagged with it are rebuilt when it changes.
pub fn generation() -> u64 {
    #[cfg(unix)]
    {
        static REGISTER: std::sync::Once = std::sync::Once::new();
        REGISTER.call_once(|| {
            // SAFETY: registers a handler that only touches an atomic, which is
            // async-signal-safe as `fork()` requires of child handlers.
            let rc = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
            assert_eq!(rc, 0, "pthread_atfork failed");
        });
        GENERATION.load(Ordering::Relaxed)
    }
    #[cfg(not(unix))]
    {
        u64::from(std::process::id())
    }
}
