//! The one thread that runs the database's writes, in arrival order.
//!
//! Every write holds the single writer connection (SQLite has one writer per file), so writes
//! run one at a time however many requests make them. Run on the blocking pool, 64
//! concurrent `remember`s each took a pool thread that slept on the writer's mutex: a lock
//! convoy (perf: a third of the server's CPU in the kernel, futex wake-ups and context
//! switches), and each hand-off of the mutex a thread wake-up. Here the writes queue on a
//! channel and one thread takes them back to back; a request waits on a oneshot, a parked
//! task rather than a thread.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

type Job = Box<dyn FnOnce() + Send>;

/// The sending side; dropping it (with the server's state) ends the thread once the jobs
/// already queued have run.
#[derive(Debug)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub(crate) fn start() -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("memanto-db-writer".into())
            .spawn(move || {
                for job in queue {
                    // A panicking write loses only its own reply (its caller gets an
                    // internal error); the thread goes on with the next.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            })?;
        Ok(Writer { jobs })
    }

    /// Runs `f` on the writer thread; `None` if it panicked (or the thread is gone).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = reply.send(f());
        });
        self.jobs.send(job).ok()?;
        answer.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_each_write_on_its_thread_and_survives_a_panicking_one() {
        let writer = Writer::start().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        for i in 0..20 {
            let seen = seen.clone();
            let got = writer
                .run(move || {
                    seen.lock().unwrap().push(i);
                    i * 2
                })
                .await;
            assert_eq!(got, Some(i * 2));
        }
        assert_eq!(*seen.lock().unwrap(), (0..20).collect::<Vec<_>>());
        let panicked: Option<()> = writer.run(|| panic!("a write that panics")).await;
        assert_eq!(panicked, None);
        let name = writer
            .run(|| std::thread::current().name().map(str::to_owned))
            .await;
        assert_eq!(name, Some(Some("memanto-db-writer".to_owned())));
    }
}
