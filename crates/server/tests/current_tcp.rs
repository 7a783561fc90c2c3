//! Current mode over real loopback TCP: the management gate sees the peer address, and renewed
//! tokens arrive in the `X-Session-Token` response header.

use memanto_server::{ApiMode, ServerConfig, ServerHandle};
use serde_json::{json, Value};

fn start(trust_loopback: bool) -> ServerHandle {
    ServerHandle::start(ServerConfig {
        api_version: ApiMode::Current,
        renew_every_call: true,
        trust_loopback,
        ..ServerConfig::default()
    })
    .expect("start")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_peer_passes_the_gate_and_renewals_travel_in_the_header() {
    let server = start(true);
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.url());
    let index: Value = http
        .get(url("/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(index["version"], "0.2.30");
    // No credential: a loopback peer is trusted.
    let r = http
        .post(url("/api/v2/agents"))
        .json(&json!({"agent_id": "bot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let s: Value = http
        .post(url("/api/v2/agents/bot/activate"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tok = s["session_token"].as_str().unwrap().to_owned();
    let r = http
        .post(url("/api/v2/agents/bot/remember"))
        .header("x-session-token", &tok)
        .json(&json!({"content": "over tcp"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let new = r.headers()["x-session-token"].to_str().unwrap().to_owned();
    assert_ne!(new, tok);
    let r = http
        .post(url("/api/v2/agents/bot/recall"))
        .header("x-session-token", &tok)
        .json(&json!({"query": "tcp"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let strict = start(false);
    let r = http
        .get(format!("{}/api/v2/agents", strict.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .get(format!("{}/api/v2/agents", strict.url()))
        .header("x-api-key", strict.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
