//! A real `ServerHandle` over loopback: lifecycle, persistence across restarts, concurrency.

use std::time::Duration;

use memanto_server::{ServerConfig, ServerError, ServerHandle};
use serde_json::{json, Value};

struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Client {
    fn new(server: &ServerHandle) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: server.url(),
            key: server.api_key().to_owned(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header("authorization", format!("Bearer {}", self.key));
        if let Some(t) = token {
            req = req.header("x-session-token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_with_temporary_database() {
    let mut server = ServerHandle::start(ServerConfig::default()).expect("start");
    let addr = server.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(server.url(), format!("http://127.0.0.1:{}", addr.port()));
    let key = server.api_key().to_owned();
    assert!(key.starts_with("mk_local_"), "{key}");
    assert_eq!(key.len(), 41);
    assert!(key[9..].chars().all(|c| c.is_ascii_hexdigit()));
    let db = server.db_path().to_path_buf();
    assert!(db.exists());

    let client = Client::new(&server);
    let (status, body) = client
        .send(reqwest::Method::GET, "/health", None, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    let (status, _) = client
        .send(
            reqwest::Method::POST,
            "/api/v2/agents",
            None,
            Some(json!({"agent_id": "a"})),
        )
        .await;
    assert_eq!(status, 201);

    server.stop().expect("stop");
    server.stop().expect("stop is idempotent");
    assert!(!db.exists(), "temporary database should be removed");
    let err = reqwest::Client::new()
        .get(format!("http://{addr}/live"))
        .send()
        .await;
    assert!(err.is_err(), "server should no longer listen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("memanto.db");
    let config = ServerConfig {
        db_path: Some(path.clone()),
        ..ServerConfig::default()
    };

    let mut first = ServerHandle::start(config.clone()).unwrap();
    assert_eq!(first.db_path(), path);
    let key = first.api_key().to_owned();
    let c = Client::new(&first);
    assert_eq!(
        c.send(
            reqwest::Method::POST,
            "/api/v2/agents",
            None,
            Some(json!({"agent_id": "keeper", "description": "d"}))
        )
        .await
        .0,
        201
    );
    let (_, session) = c
        .send(
            reqwest::Method::POST,
            "/api/v2/agents/keeper/activate",
            None,
            None,
        )
        .await;
    let token = session["session_token"].as_str().unwrap().to_owned();
    let (status, stored) = c
        .send(
            reqwest::Method::POST,
            "/api/v2/agents/keeper/remember?memory_type=goal&tags=persist",
            Some(&token),
            Some(json!({"content": "Remember the durable lighthouse"})),
        )
        .await;
    assert_eq!(status, 200);
    first.stop().unwrap();
    assert!(path.exists(), "a named database survives stop");

    // Same file, no keys configured: the stored key is reused and old tokens still work.
    let second = ServerHandle::start(config.clone()).unwrap();
    assert_eq!(second.api_key(), key);
    let c = Client::new(&second);
    let (status, found) = c
        .send(
            reqwest::Method::GET,
            "/api/v2/agents/keeper/recall?query=lighthouse",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["count"], 1);
    assert_eq!(found["memories"][0]["id"], stored["memory_id"]);
    assert_eq!(found["memories"][0]["type"], "goal");
    assert_eq!(found["memories"][0]["tags"], json!(["persist"]));
    assert_eq!(found["session_id"], session["session_id"]);
    let (_, agent) = c
        .send(reqwest::Method::GET, "/api/v2/agents/keeper", None, None)
        .await;
    assert_eq!(agent["session_count"], 1);
    assert_eq!(agent["memory_count"], 1);
    assert_eq!(agent["description"], "d");
    let (_, sessions) = c
        .send(reqwest::Method::GET, "/api/v2/sessions", None, None)
        .await;
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    assert_eq!(sessions[0]["status"], "active");
    drop(second); // Drop stops too.

    // Explicit keys replace the stored one, but the token secret is the same.
    let mut third = ServerHandle::start(ServerConfig {
        api_keys: vec!["explicit".into()],
        ..config
    })
    .unwrap();
    assert_eq!(third.api_key(), "explicit");
    let mut c = Client::new(&third);
    let (status, current) = c
        .send(
            reqwest::Method::GET,
            "/api/v2/session/current",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(current["agent_id"], "keeper");
    c.key = key;
    let (status, body) = c
        .send(reqwest::Method::GET, "/api/v2/agents", None, None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "Invalid Moorcheh API key");
    third.stop().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_recalls() {
    let server = ServerHandle::start(ServerConfig {
        api_keys: vec!["k".into()],
        ..ServerConfig::default()
    })
    .unwrap();
    let c = Client::new(&server);
    c.send(
        reqwest::Method::POST,
        "/api/v2/agents",
        None,
        Some(json!({"agent_id": "bench"})),
    )
    .await;
    let (_, s) = c
        .send(
            reqwest::Method::POST,
            "/api/v2/agents/bench/activate",
            None,
            None,
        )
        .await;
    let token = s["session_token"].as_str().unwrap().to_owned();
    let memories: Vec<Value> = (0..100)
        .map(|i| json!({"content": format!("topic{} shared fact number {i}", i % 10)}))
        .collect();
    let (status, _) = c
        .send(
            reqwest::Method::POST,
            "/api/v2/agents/bench/batch-remember",
            Some(&token),
            Some(json!({"memories": memories})),
        )
        .await;
    assert_eq!(status, 200);

    let c = std::sync::Arc::new(c);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let c = c.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let path = format!("/api/v2/agents/bench/recall?query=topic{}&limit=20", i % 10);
            c.send(reqwest::Method::GET, &path, Some(&token), None)
                .await
        }));
    }
    let results = tokio::time::timeout(Duration::from_secs(60), async {
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    })
    .await
    .expect("64 concurrent recalls finish");
    for (i, (status, body)) in results.into_iter().enumerate() {
        assert_eq!(status, 200);
        assert_eq!(body["count"], 10, "recall {i}");
        let want = format!("topic{}", i % 10);
        assert!(body["memories"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["content"].as_str().unwrap().starts_with(&want)));
    }
}

#[test]
fn start_errors_are_reported() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let err = ServerHandle::start(ServerConfig {
        port,
        ..ServerConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, ServerError::Io(_)), "{err:?}");

    let err = ServerHandle::start(ServerConfig {
        api_keys: vec![String::new()],
        ..ServerConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, ServerError::Config(_)), "{err:?}");
    let err = ServerHandle::start(ServerConfig {
        session_duration: Duration::ZERO,
        ..ServerConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, ServerError::Config(_)), "{err}");

    // Starting and stopping from plain (non-async) code works, with an explicit port.
    let mut server = ServerHandle::start(ServerConfig::default()).unwrap();
    let again = ServerHandle::start(ServerConfig {
        port: server.addr().port(),
        ..ServerConfig::default()
    });
    assert!(again.is_err());
    server.stop().unwrap();
}
