//! The one thread that runs the database's writes, in arrival order, committing the writes
//! that queued up together in one transaction (group commit).
//!
//! Every write holds the single writer connection (SQLite has one writer per file), so writes
//! run one at a time however many requests make them. Run on the blocking pool, 64
//! concurrent `remember`s each took a pool thread that slept on the writer's mutex: a lock
//! convoy (perf: a third of the server's CPU in the kernel, futex wake-ups and context
//! switches), and each hand-off of the mutex a thread wake-up. Here the writes queue on a
//! channel and one thread takes them back to back; a request waits on a oneshot, a parked
//! task rather than a thread.
//!
//! A commit is most of a small write's cost (WAL frames written, an FTS5 segment per
//! transaction, file locks), so the thread takes every write already queued (up to
//! [`MAX_GROUP`]) into one transaction, each write inside a savepoint of its own: a write
//! that fails (or panics) rolls back only its own changes. The writes open their own
//! transactions as savepoints (`Connection::savepoint`), which nest. Replies go out after
//! the commit and the search index's refresh, so a write is acknowledged only once it is in
//! the WAL and visible to searches; if the commit fails, every write of the group gets the
//! error.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// At most this many writes share a transaction.
pub(crate) const MAX_GROUP: usize = 64;

/// A write: runs against the connection, says whether it succeeded (else its savepoint is
/// rolled back), and hands back what delivers its reply once the group's fate is known.
type Job = Box<dyn FnOnce(&mut Connection) -> Ran + Send>;

/// Delivers a write's reply: called with `Err(cause)` when the group's commit failed.
type Reply = Box<dyn FnOnce(Result<(), &str>) + Send>;

struct Ran {
    ok: bool,
    reply: Reply,
}

/// The sending side and the thread. Dropping it ends the thread once the jobs already queued
/// have run, and waits for that (the thread holds the database, which must close before the
/// server's file lock goes).
#[derive(Debug)]
pub(crate) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(crate) fn start(db: Arc<Db>) -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("memanto-db-writer".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match queue.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    run_group(&db, group);
                }
            })?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `f` on the writer connection, on the writer thread, inside the current group's
    /// transaction; an error from `f` rolls back what `f` changed. `None` if `f` panicked
    /// (or the thread is gone).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> ApiResult<T> + Send + 'static,
    ) -> Option<ApiResult<T>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let out = f(conn);
            Ran {
                ok: out.is_ok(),
                reply: Box::new(move |committed| {
                    let out = match committed {
                        Err(cause) if out.is_ok() => Err(ApiError::internal(format!(
                            "database commit failed, nothing was stored: {cause}"
                        ))),
                        _ => out,
                    };
                    let _ = reply.send(out);
                }),
            }
        });
        self.jobs.as_ref()?.send(job).ok()?;
        answer.await.ok()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            // Never join from the writer thread itself (the last handle on the server's
            // state could be dropped by a job).
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

/// Runs `group` in one transaction and delivers the replies after its commit.
fn run_group(db: &Db, group: Vec<Job>) {
    let (ran, committed) = db.write(|conn| {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Not expected (this thread is the only writer); each write then runs alone.
            tracing::warn!(target: "memanto_server", "cannot begin a group transaction: {e}");
            let ran: Vec<_> = group.into_iter().map(|job| run_one(conn, job)).collect();
            return (ran, Ok(()));
        }
        let mut ran = Vec::with_capacity(group.len());
        let mut broken = None;
        for job in group {
            // If a savepoint statement fails, the writes not yet run are dropped with the
            // rest of the group: their callers get no reply (an internal error).
            if let Err(e) = conn.execute_batch("SAVEPOINT memanto_write") {
                broken = Some(e.to_string());
                break;
            }
            let one = run_one(conn, job);
            let end = if one.ok {
                "RELEASE memanto_write"
            } else {
                "ROLLBACK TO memanto_write; RELEASE memanto_write"
            };
            let ended = conn.execute_batch(end);
            ran.push(one);
            if let Err(e) = ended {
                broken = Some(e.to_string());
                break;
            }
        }
        let committed = match broken {
            None => conn.execute_batch("COMMIT").map_err(|e| e.to_string()),
            Some(cause) => Err(cause),
        };
        if committed.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        (ran, committed)
    });
    if let Err(cause) = &committed {
        tracing::error!(target: "memanto_server", "database commit failed: {cause}");
    }
    let outcome = committed.as_ref().map(|_| ()).map_err(String::as_str);
    for one in ran {
        (one.reply)(outcome);
    }
}

/// Runs one write; a panic loses only its own reply (its caller gets an internal error).
fn run_one(conn: &mut Connection, job: Job) -> Ran {
    catch_unwind(AssertUnwindSafe(|| job(conn))).unwrap_or_else(|_| Ran {
        ok: false,
        reply: Box::new(|_| {}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{meta_get, meta_set};

    fn open() -> (tempfile::TempDir, Writer, Arc<Db>) {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(&dir.path().join("w.db")).unwrap());
        (dir, Writer::start(Arc::clone(&db)).unwrap(), db)
    }

    /// Spawns a write that holds the writer thread for `millis` ms, then stores `key` and
    /// returns `then()`; returns once that write has started, so writes sent after it queue.
    fn hold<T: Send + 'static>(
        writer: &Arc<Writer>,
        millis: u64,
        key: &'static str,
        then: impl FnOnce() -> T + Send + 'static,
    ) -> tokio::task::JoinHandle<Option<ApiResult<T>>> {
        let writer = Arc::clone(writer);
        let (started, wait_started) = std::sync::mpsc::channel();
        let held = tokio::spawn(async move {
            writer
                .run(move |conn| {
                    started.send(()).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(millis));
                    meta_set(conn, key, "x")?;
                    Ok(then())
                })
                .await
        });
        wait_started.recv().unwrap();
        held
    }

    fn committed_keys(db: &Db, prefix: &str) -> i64 {
        db.read(|conn| {
            conn.query_row(
                "SELECT count(*) FROM meta WHERE key LIKE ?1 || '%'",
                [prefix],
                |r| r.get(0),
            )
            .unwrap()
        })
    }

    #[tokio::test]
    async fn runs_each_write_on_its_thread_in_order_and_survives_a_panicking_one() {
        let (_dir, writer, db) = open();
        for i in 0..20 {
            let got = writer
                .run(move |conn| {
                    meta_set(conn, &format!("seq{i:02}"), &i.to_string())?;
                    Ok(i * 2)
                })
                .await;
            assert_eq!(got.map(|r| r.ok()), Some(Some(i * 2)));
        }
        assert_eq!(committed_keys(&db, "seq"), 20);
        let panicked: Option<ApiResult<()>> = writer
            .run(|conn| {
                meta_set(conn, "panicked", "1")?;
                panic!("a write that panics")
            })
            .await;
        assert!(panicked.is_none());
        let name = writer
            .run(|_| Ok(std::thread::current().name().map(str::to_owned)))
            .await;
        assert_eq!(name.unwrap().unwrap(), Some("memanto-db-writer".to_owned()));
        assert_eq!(committed_keys(&db, "panicked"), 0);
    }

    /// Writes queued behind a slow one share its group: none sees another's row committed
    /// while the group runs, a failing and a panicking write leave nothing behind, and the
    /// others are all stored once acknowledged.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_writes_share_one_commit_and_a_failing_one_rolls_back_alone() {
        let (_dir, writer, db) = open();
        let writer = Arc::new(writer);
        let db2 = Arc::clone(&db);
        let slow = hold(&writer, 200, "g-slow", move || committed_keys(&db2, "g"));
        let mut queued = Vec::new();
        for i in 0..10 {
            let writer = Arc::clone(&writer);
            let db = Arc::clone(&db);
            queued.push(tokio::spawn(async move {
                writer
                    .run(move |conn| {
                        meta_set(conn, &format!("g{i}"), "x")?;
                        match i {
                            4 => Err(ApiError::internal("this write fails")),
                            7 => panic!("this write panics"),
                            _ => Ok(committed_keys(&db, "g")),
                        }
                    })
                    .await
            }));
        }
        // Let every one of them reach the queue while the slow write runs.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(slow.await.unwrap().unwrap().unwrap(), 0);
        let mut outcomes = Vec::new();
        for q in queued {
            outcomes.push(q.await.unwrap().map(|r| r.ok()));
        }
        // None of the queued writes saw another's row committed: they ran in one group,
        // after the slow write's group had committed (which holds only the slow write).
        let expect: Vec<Option<Option<i64>>> = (0..10)
            .map(|i| match i {
                4 => Some(None),
                7 => None,
                _ => Some(Some(1)),
            })
            .collect();
        assert_eq!(outcomes, expect);
        db.read(|conn| {
            assert_eq!(meta_get(conn, "g4").unwrap(), None);
            assert_eq!(meta_get(conn, "g7").unwrap(), None);
            assert_eq!(meta_get(conn, "g9").unwrap().as_deref(), Some("x"));
        });
        assert_eq!(committed_keys(&db, "g"), 9);
    }

    /// A commit that fails (a deferred foreign key left dangling by one write) fails every
    /// write of its group, and none of them is stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_commit_fails_every_write_of_the_group() {
        let (_dir, writer, db) = open();
        writer
            .run(|conn| {
                conn.execute_batch(
                    "CREATE TABLE p(id INTEGER PRIMARY KEY);
                     CREATE TABLE c(pid INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);",
                )?;
                Ok(())
            })
            .await
            .unwrap()
            .unwrap();
        let writer = Arc::new(writer);
        let first = hold(&writer, 150, "f-first", || ());
        let mut queued = Vec::new();
        for i in 0..3 {
            let writer = Arc::clone(&writer);
            queued.push(tokio::spawn(async move {
                writer
                    .run(move |conn| {
                        meta_set(conn, &format!("f{i}"), "x")?;
                        if i == 1 {
                            conn.execute("INSERT INTO c(pid) VALUES (99)", [])?;
                        }
                        Ok(i)
                    })
                    .await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(75)).await;
        assert!(matches!(first.await.unwrap(), Some(Ok(()))));
        for q in queued {
            let err = q.await.unwrap().unwrap().unwrap_err();
            assert!(
                format!("{err:?}").contains("database commit failed"),
                "{err:?}"
            );
        }
        assert_eq!(committed_keys(&db, "f"), 1);
        let after = writer.run(|conn| Ok(meta_set(conn, "f-after", "x")?)).await;
        assert!(matches!(after, Some(Ok(()))));
        assert_eq!(committed_keys(&db, "f"), 2);
    }
}
