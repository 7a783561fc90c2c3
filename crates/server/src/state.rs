//! Shared application state: the database pool, accepted keys, token keys, settings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rusqlite::Connection;

use crate::config::{ApiMode, ServerConfig};
use crate::db::query::{SearchQuery, SearchResult};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult, ServerError};
use crate::files::{self, DbLock};
use crate::model::{self, SessionRow};
use crate::tokens::TokenKeys;
use crate::writer::Writer;

/// At most this many sessions are cached.
const SESSION_CACHE_LIMIT: usize = 4096;

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    /// Shared with the writer thread.
    db: Arc<Db>,
    /// Live sessions (with an existing agent) by id, valid for one auth generation of `db`.
    sessions: RwLock<(u64, HashMap<String, SessionRow>)>,
    api_keys: Vec<String>,
    tokens: TokenKeys,
    session_duration: Duration,
    mode: ApiMode,
    renew_every_call: bool,
    renew_threshold: Duration,
    trust_loopback: bool,
    /// The 0.2 server-wide "active session" marker: the id of the most recently created
    /// session (any agent), cleared when that agent is deactivated or deleted.
    marker: Mutex<Option<(String, String)>>,
    /// The thread that runs every write (see `writer`).
    writer: Writer,
    db_path: PathBuf,
    /// This server's hold on `db_path`: released after `db` is closed (fields drop in order).
    _lock: DbLock,
    // Declared last so that it is dropped (and the temporary folder removed) after `db`.
    _temp_dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db_path", &self.inner.db_path)
            .field(
                "api_keys",
                &format_args!("[{} hidden]", self.inner.api_keys.len()),
            )
            .field("session_duration", &self.inner.session_duration)
            .field("mode", &self.inner.mode)
            .finish()
    }
}

impl AppState {
    /// Opens (or creates) the database named by `config` (a temporary one when
    /// `db_path` is `None`, removed when the last clone of this state is dropped), loads or
    /// creates the token secret, and settles the accepted API keys.
    pub fn open(config: &ServerConfig) -> Result<AppState, ServerError> {
        for key in &config.api_keys {
            if key.is_empty() || key.trim() != key {
                return Err(ServerError::Config(
                    "API keys must be non-empty and have no surrounding whitespace".into(),
                ));
            }
        }
        if config.session_duration.is_zero() {
            return Err(ServerError::Config(
                "session_duration must be positive".into(),
            ));
        }
        let (db_path, temp_dir) = match &config.db_path {
            Some(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)?;
                }
                (path.clone(), None)
            }
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("memanto-local-")
                    .tempdir()?;
                (dir.path().join("memanto.db"), Some(dir))
            }
        };
        // Nothing touches the database before the lock is ours.
        let lock = DbLock::acquire(&db_path)?;
        files::prepare_database(&db_path)?;
        let db = Arc::new(Db::open(&db_path)?);
        files::tighten_sidecars(&db_path)?;
        let (secret, stored_key) = db.write(|conn| -> rusqlite::Result<(String, String)> {
            let secret = db::meta_get_or_init(conn, "jwt_secret", model::new_secret_hex)?;
            let key = if config.api_keys.is_empty() {
                db::meta_get_or_init(conn, "api_key", model::new_api_key)?
            } else {
                String::new()
            };
            Ok((secret, key))
        })?;
        let api_keys = if config.api_keys.is_empty() {
            vec![stored_key]
        } else {
            config.api_keys.clone()
        };
        let writer = Writer::start(Arc::clone(&db)).map_err(|e| {
            ServerError::Runtime(format!("cannot start the database writer thread: {e}"))
        })?;
        Ok(AppState {
            inner: Arc::new(Inner {
                db,
                sessions: RwLock::new((0, HashMap::new())),
                api_keys,
                tokens: TokenKeys::new(&secret_bytes(&secret))?,
                session_duration: config.session_duration,
                mode: config.api_version,
                renew_every_call: config.renew_every_call,
                renew_threshold: config.renew_threshold,
                trust_loopback: config.trust_loopback,
                marker: Mutex::new(None),
                writer,
                db_path,
                _lock: lock,
                _temp_dir: temp_dir,
            }),
        })
    }

    /// The API key stored in the database at `path` (made by the first server started there
    /// without a configured key), read without taking the database's lock: it works while a
    /// server is running on the file. `None` if the file has no stored key.
    pub fn stored_api_key(path: &Path) -> Result<Option<String>, ServerError> {
        use rusqlite::OpenFlags;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let has_meta: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
            [],
            |r| r.get(0),
        )?;
        if !has_meta {
            return Ok(None);
        }
        Ok(db::meta_get(&conn, "api_key")?)
    }

    /// The first accepted API key.
    pub fn api_key(&self) -> &str {
        &self.inner.api_keys[0]
    }

    /// All accepted API keys.
    pub fn api_keys(&self) -> &[String] {
        &self.inner.api_keys
    }

    /// The SQLite file in use.
    pub fn db_path(&self) -> &Path {
        &self.inner.db_path
    }

    /// Default lifetime of new sessions.
    pub fn session_duration(&self) -> Duration {
        self.inner.session_duration
    }

    /// The server generation imitated.
    pub fn mode(&self) -> ApiMode {
        self.inner.mode
    }

    pub(crate) fn renew_every_call(&self) -> bool {
        self.inner.renew_every_call
    }

    pub(crate) fn renew_threshold(&self) -> Duration {
        self.inner.renew_threshold
    }

    pub(crate) fn trust_loopback(&self) -> bool {
        self.inner.trust_loopback
    }

    /// The session id the server-wide active marker names.
    pub(crate) fn marker(&self) -> Option<String> {
        let m = self.inner.marker.lock().unwrap_or_else(|e| e.into_inner());
        m.as_ref().map(|(sid, _)| sid.clone())
    }

    /// Points the marker at a newly created session of `agent_id`.
    pub(crate) fn set_marker(&self, session_id: &str, agent_id: &str) {
        *self.inner.marker.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((session_id.to_owned(), agent_id.to_owned()));
    }

    /// Clears the marker if it names a session of `agent_id` (`None`: always).
    pub(crate) fn clear_marker(&self, agent_id: Option<&str>) {
        let mut m = self.inner.marker.lock().unwrap_or_else(|e| e.into_inner());
        if agent_id.is_none() || m.as_ref().map(|(_, a)| a.as_str()) == agent_id {
            *m = None;
        }
    }

    pub(crate) fn tokens(&self) -> &TokenKeys {
        &self.inner.tokens
    }

    /// Runs `f` on a reader connection, off the async workers.
    pub(crate) async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.inner.db.read(f))
            .await
            .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// The stored session `session_id` if it exists and its agent does; from a cache that
    /// every committed change to `sessions` or `agents` invalidates.
    pub(crate) async fn session(&self, session_id: &str) -> ApiResult<Option<SessionRow>> {
        let generation = self.inner.db.auth_generation();
        {
            let cache = self
                .inner
                .sessions
                .read()
                .unwrap_or_else(|e| e.into_inner());
            if cache.0 == generation {
                if let Some(row) = cache.1.get(session_id) {
                    return Ok(Some(row.clone()));
                }
            }
        }
        let sid = session_id.to_owned();
        let found = self
            .read(move |conn| {
                let Some(session) = db::sessions::get(conn, &sid)? else {
                    return Ok(None);
                };
                Ok(db::agents::exists(conn, &session.agent_id)?.then_some(session))
            })
            .await?;
        if let Some(row) = &found {
            let mut cache = self
                .inner
                .sessions
                .write()
                .unwrap_or_else(|e| e.into_inner());
            // Cache only what was read under the generation still current: a write that
            // committed meanwhile may have changed this row.
            if self.inner.db.auth_generation() == generation {
                if cache.0 != generation || cache.1.len() >= SESSION_CACHE_LIMIT {
                    *cache = (generation, HashMap::new());
                }
                cache.1.insert(session_id.to_owned(), row.clone());
            }
        }
        Ok(found)
    }

    /// Runs a search: in place when it is a text search of an agent whose index is in memory
    /// (no SQL then), else off the async workers.
    pub(crate) async fn search(&self, query: SearchQuery) -> ApiResult<SearchResult> {
        if let Some(found) = self.inner.db.search_in_memory(&query) {
            return found;
        }
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.inner.db.search(&query))
            .await
            .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Runs `f` on the writer connection, on the writer thread (see `writer`: writes that
    /// queue up together share one commit; an error from `f` rolls back what it changed).
    pub(crate) async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> ApiResult<T> + Send + 'static,
    {
        self.inner
            .writer
            .run(f)
            .await
            .ok_or_else(|| ApiError::internal("database write failed (panicked)"))?
    }
}

/// The stored secret is hex; fall back to its raw bytes if it is not.
fn secret_bytes(stored: &str) -> Vec<u8> {
    let s = stored.trim();
    let decoded: Option<Vec<u8>> = s
        .len()
        .is_multiple_of(2)
        .then(|| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten();
    match decoded {
        Some(bytes) if !bytes.is_empty() => bytes,
        _ => stored.as_bytes().to_vec(),
    }
}
