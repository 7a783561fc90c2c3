//! [`ServerHandle`]: a server running on its own OS thread and tokio runtime.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::routes::router;
use crate::state::AppState;

/// How long in-flight requests may take to finish after `stop()`.
const GRACE: Duration = Duration::from_secs(10);

/// A running local server. Dropping it stops the server.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    api_key: String,
    db_path: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), ServerError>>>,
}

impl ServerHandle {
    /// Opens/creates the DB, binds the listener, spawns a dedicated OS thread running its own
    /// tokio multi-thread runtime (2 worker threads) that serves until [`stop`](Self::stop);
    /// returns once listening.
    pub fn start(config: ServerConfig) -> Result<ServerHandle, ServerError> {
        let state = AppState::open(&config)?;
        let listener = std::net::TcpListener::bind(SocketAddr::new(config.host, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let api_key = state.api_key().to_owned();
        let db_path = state.db_path().to_path_buf();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), ServerError>>();
        let thread = std::thread::Builder::new()
            .name(format!("memanto-server-{}", addr.port()))
            .spawn(move || serve(state, listener, shutdown_rx, ready_tx))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(ServerHandle {
                addr,
                api_key,
                db_path,
                shutdown: Some(shutdown_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                _ => ServerError::Runtime("server thread exited during startup".into()),
            }),
        }
    }

    /// `http://HOST:PORT` (IPv6 hosts in brackets).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first accepted API key.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The SQLite file (for a temporary database it is removed by `stop`).
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// Graceful shutdown: stops accepting, lets in-flight requests finish (bounded), joins the
    /// thread. Idempotent.
    pub fn stop(&mut self) -> Result<(), ServerError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take() {
            None => Ok(()),
            Some(thread) => thread
                .join()
                .map_err(|_| ServerError::Runtime("server thread panicked".into()))?,
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn serve(
    state: AppState,
    listener: std::net::TcpListener,
    shutdown: oneshot::Receiver<()>,
    ready: mpsc::Sender<Result<(), ServerError>>,
) -> Result<(), ServerError> {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("memanto-server-worker")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(ServerError::Io(e)));
            return Ok(());
        }
    };
    let result = runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(ServerError::Io(e)));
                return Ok(());
            }
        };
        let _ = ready.send(Ok(()));
        let (stopping_tx, stopping_rx) = oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            // The peer address lets the 0.2 management gate recognise loopback callers.
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = shutdown.await;
            let _ = stopping_tx.send(());
        });
        let mut server = tokio::spawn(async move { server.await });
        tokio::select! {
            res = &mut server => flatten(res),
            _ = stopping_rx => match tokio::time::timeout(GRACE, &mut server).await {
                Ok(res) => flatten(res),
                Err(_) => {
                    tracing::warn!(target: "memanto_server", "requests still running after {GRACE:?}; aborting them");
                    server.abort();
                    Ok(())
                }
            },
        }
    });
    // Don't wait long for blocking database tasks that are still queued.
    runtime.shutdown_timeout(Duration::from_secs(5));
    result
}

fn flatten(res: Result<std::io::Result<()>, tokio::task::JoinError>) -> Result<(), ServerError> {
    match res {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ServerError::Io(e)),
        Err(e) => Err(ServerError::Runtime(format!("server task failed: {e}"))),
    }
}
