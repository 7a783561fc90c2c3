//! Current (0.2.30) mode: route set, GET / per mode, the management gate, strict tokens
//! (revocation, renewal, recreation) and the `/status` marker.

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::{App, KEY};
use memanto_server::{ApiMode, ServerConfig};
use serde_json::{json, Value};

const GATE_401: &str = "Unauthorized. Agent management endpoints require either a loopback client or a valid management credential (Authorization: Bearer <key> or X-Api-Key).";

fn app_with(f: impl FnOnce(&mut ServerConfig)) -> App {
    let mut config = ServerConfig {
        api_version: ApiMode::Current,
        session_duration: Duration::from_secs(3600),
        ..ServerConfig::default()
    };
    f(&mut config);
    App::with_config(config)
}

#[tokio::test]
async fn zero_zero_routes_answer_as_a_real_0_2_server() {
    let app = App::current();
    let tok = app.agent_with_session("bot").await;
    let not_found = [
        (Method::GET, "/api/v2/session/current"),
        (Method::POST, "/api/v2/session/extend"),
        (Method::GET, "/api/v2/sessions"),
        (Method::POST, "/api/v2/agents/bot/validate/m1"),
        (Method::POST, "/api/v2/agents/bot/supersede/m1"),
        (Method::POST, "/api/v2/agents/bot/contradict/m1"),
        (Method::GET, "/api/v2/agents/bot/recall/current"),
        (Method::PATCH, "/api/v1/memory/m1"),
        (Method::DELETE, "/api/v1/memory/m1"),
    ];
    for (method, path) in not_found {
        let r = app
            .call(method.clone(), path)
            .key()
            .token(&tok)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(r.body, json!({"detail": "Not Found"}), "{method} {path}");
    }
    for path in ["recall", "recall/as-of", "recall/changed-since"] {
        let r = app
            .get(format!(
                "/api/v2/agents/bot/{path}?query=x&as_of=2020-01-01&since=2020-01-01"
            ))
            .key()
            .token(&tok)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(r.body, json!({"detail": "Method Not Allowed"}));
    }
    // The 0.2 routes are there.
    let r = app
        .post_as("bot", &tok, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get("/api/v2/status").send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn index_and_health_per_mode() {
    let current = App::current();
    let r = current.get("/").send().await;
    assert_eq!(r.body["version"], "0.2.30");
    assert_eq!(r.body["docs"], Value::Null);
    assert_eq!(r.body["service"], "MEMANTO");
    assert!(r.body.get("generations").is_none());
    let r = current.get("/health").send().await; // open on 0.2
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["version"], "0.2.30");

    let legacy = App::legacy();
    let r = legacy.get("/").send().await;
    assert_eq!(r.body["version"], "0.0.8");
    assert_eq!(r.body["docs"], "/docs");
    assert_eq!(r.body["description"], "Memory that AI Agents Love!");
    assert!(r.body.get("generations").is_none());
    assert_eq!(
        legacy.get("/health").send().await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        legacy.get("/health").key().send().await.body["version"],
        "0.0.8"
    );

    let both = App::new();
    let r = both.get("/").send().await;
    assert_eq!(r.body["version"], "0.0.8");
    assert_eq!(r.body["generations"], json!(["0.0", "0.2"]));
}

#[tokio::test]
async fn management_gate_without_loopback_trust() {
    let app = app_with(|c| c.trust_loopback = false);
    let gate = json!({ "detail": GATE_401 });
    let r = app
        .post("/api/v2/agents")
        .json(json!({"agent_id": "bot"}))
        .send()
        .await;
    assert_eq!((r.status, &r.body), (StatusCode::UNAUTHORIZED, &gate));
    let r = app
        .post("/api/v2/agents")
        .header("x-api-key", "wrong")
        .header("authorization", "Bearer wrong")
        .json(json!({"agent_id": "bot"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .post("/api/v2/agents")
        .header("origin", "http://evil.example")
        .json(json!({"agent_id": "bot"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body,
        json!({"detail": "Origin not allowed for management endpoints"})
    );

    let r = app
        .post("/api/v2/agents")
        .api_key()
        .json(json!({"agent_id": "bot"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // Bearer, scheme case-insensitive; a wrong X-Api-Key does not spoil a right Bearer.
    for auth in [format!("Bearer {KEY}"), format!("bearer {KEY}")] {
        let r = app
            .get("/api/v2/agents")
            .header("x-api-key", "wrong")
            .header("authorization", &auth)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{auth}");
    }
    for (method, path) in [
        (Method::GET, "/api/v2/agents"),
        (Method::GET, "/api/v2/agents/bot"),
        (Method::POST, "/api/v2/agents/bot/activate"),
        (Method::POST, "/api/v2/agents/bot/deactivate"),
        (Method::GET, "/api/v2/status"),
        (Method::DELETE, "/api/v2/agents/bot"),
    ] {
        let r = app.call(method.clone(), path).send().await;
        assert_eq!(
            (r.status, &r.body),
            (StatusCode::UNAUTHORIZED, &gate),
            "{method} {path}"
        );
    }
    let r = app
        .post("/api/v2/agents/bot/activate")
        .api_key()
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let tok = r.body["session_token"].as_str().unwrap().to_owned();
    // Memory routes need the token only.
    let r = app
        .post("/api/v2/agents/bot/remember")
        .token(&tok)
        .json(json!({"content": "hello"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app.get("/api/v2/status").api_key().send().await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn loopback_callers_pass_the_gate_unless_forwarded_or_cross_site() {
    let app = App::current();
    let r = app.get("/api/v2/agents").send().await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .get("/api/v2/agents")
        .header("host", "localhost:8000")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for (name, value) in [
        ("host", "memanto.example.com"),
        ("x-forwarded-for", "10.1.2.3"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = app.get("/api/v2/agents").header(name, value).send().await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}: {value}");
        let r = app
            .get("/api/v2/agents")
            .header(name, value)
            .api_key()
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {value} with key");
    }
}

#[tokio::test]
async fn a_second_activate_revokes_the_first_token() {
    let app = App::current();
    app.create_agent("bot").await;
    let (first, s1) = app.activate("bot").await;
    let (second, s2) = app.activate("bot").await;
    assert_ne!(s1["session_id"], s2["session_id"]);
    // Exactly the five string claims of 0.2.30: no iat/exp.
    let c = claims(&first);
    let mut names: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "agent_id",
            "expires_at",
            "namespace",
            "session_id",
            "started_at"
        ]
    );
    assert!(c["expires_at"].as_str().unwrap().ends_with('Z'));
    let r = app
        .post_as("bot", &first, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "InvalidSessionToken");
    assert_eq!(
        r.message(),
        format!(
            "Session {} is no longer active",
            s1["session_id"].as_str().unwrap()
        )
    );
    let r = app
        .post_as("bot", &second, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.renewed().is_none(),
        "1 h left is above the 30 min threshold"
    );
    assert_eq!(
        app.get("/api/v2/agents/bot").send().await.body["session_count"],
        2
    );
}

#[tokio::test]
async fn renew_every_call_hands_out_a_new_token_on_each_success_only() {
    let app = app_with(|c| c.renew_every_call = true);
    let mut tok = app.agent_with_session("bot").await;
    let mut seen = vec![tok.clone()];
    for i in 0..3 {
        let r = app
            .post_as(
                "bot",
                &tok,
                "remember",
                Some(json!({"content": format!("note {i}")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let new = r.renewed().expect("a renewed token");
        assert!(!seen.contains(&new));
        // The body already names the new session.
        let claims = claims(&new);
        assert_eq!(r.body["session_id"], claims["session_id"]);
        let old = app
            .post_as("bot", &tok, "recall", Some(json!({"query": "note"})))
            .await;
        assert_eq!(old.status, StatusCode::UNAUTHORIZED);
        assert_eq!(old.error(), "InvalidSessionToken");
        assert!(old.renewed().is_none());
        seen.push(new.clone());
        tok = new;
    }
    // An error response (422) carries no header, and the presented token is dead anyway.
    let r = app
        .post_as("bot", &tok, "remember", Some(json!({"content": ""})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.renewed().is_none());
    let r = app
        .post_as("bot", &tok, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "InvalidSessionToken");
    // A 403 scope error renews too and loses the token the same way.
    let tok = app.activate("bot").await.0;
    app.create_agent("other").await;
    let r = app
        .post_as("other", &tok, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.renewed().is_none());
    let r = app
        .post_as("bot", &tok, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// The claims of a JWT (no verification).
fn claims(token: &str) -> Value {
    use std::io::Read;
    let part = token.split('.').nth(1).unwrap();
    let mut padded = part.replace('-', "+").replace('_', "/");
    while !padded.len().is_multiple_of(4) {
        padded.push('=');
    }
    // Minimal base64 decoder, to avoid a dependency.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in padded.bytes().filter(|c| *c != b'=') {
        bits = (bits << 6) | alphabet.iter().position(|a| *a == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    let mut s = String::new();
    out.as_slice().read_to_string(&mut s).unwrap();
    serde_json::from_str(&s).unwrap()
}

#[tokio::test]
async fn auto_renew_when_at_most_the_threshold_is_left() {
    // 1 h sessions, renewed when ≤ 2 h are left: every call renews.
    let app = app_with(|c| c.renew_threshold = Duration::from_secs(7200));
    let tok = app.agent_with_session("bot").await;
    let r = app
        .post_as("bot", &tok, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let new = r.renewed().expect("renewed under the threshold");
    assert_ne!(claims(&new)["session_id"], claims(&tok)["session_id"]);
    assert_eq!(
        app.post_as("bot", &tok, "recall", Some(json!({"query": "x"})))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Renewal is not an activation.
    assert_eq!(
        app.get("/api/v2/agents/bot").send().await.body["session_count"],
        1
    );
    // Above the default 30 min threshold: no renewal.
    let app = App::current();
    let tok = app.agent_with_session("bot").await;
    let r = app
        .post_as("bot", &tok, "recall", Some(json!({"query": "x"})))
        .await;
    assert!(r.renewed().is_none());
}

#[tokio::test]
async fn auto_recreate_of_a_lapsed_session_needs_the_management_check() {
    let app = app_with(|c| {
        c.session_duration = Duration::from_millis(300);
        c.renew_threshold = Duration::ZERO;
        c.trust_loopback = false;
    });
    app.post("/api/v2/agents")
        .api_key()
        .json(json!({"agent_id": "bot"}))
        .send()
        .await;
    let tok = app
        .post("/api/v2/agents/bot/activate")
        .api_key()
        .send()
        .await
        .body["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Without a credential (and loopback not trusted): expired.
    let r = app
        .post("/api/v2/agents/bot/recall")
        .token(&tok)
        .json(json!({"query": "x"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "SessionExpired");
    let sid = claims(&tok)["session_id"].as_str().unwrap().to_owned();
    assert!(r
        .message()
        .starts_with(&format!("Session {sid} expired at ")));
    assert!(r.message().ends_with("+00:00"), "{}", r.message());
    assert!(!r.message().contains('T'), "{}", r.message());
    // With the credential, the same request succeeds on a fresh session.
    let r = app
        .post("/api/v2/agents/bot/recall")
        .token(&tok)
        .api_key()
        .json(json!({"query": "x"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let new = r.renewed().expect("recreated");
    assert_ne!(claims(&new)["session_id"], sid);
    assert_eq!(r.body["session_id"], claims(&new)["session_id"]);

    // A deactivated (terminated) session is never recreated.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let d = app
        .post("/api/v2/agents/bot/deactivate")
        .api_key()
        .send()
        .await;
    assert_eq!(
        d.body["session_id"],
        claims(&new)["session_id"],
        "{}",
        d.text
    );
    let r = app
        .post("/api/v2/agents/bot/recall")
        .token(&new)
        .api_key()
        .json(json!({"query": "x"}))
        .send()
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "{} {:?} {}",
        r.text,
        claims(&new),
        d.text
    );
    assert_eq!(r.error(), "SessionExpired");
}

#[tokio::test]
async fn status_reports_the_most_recently_created_session() {
    let app = App::current();
    let r = app.get("/api/v2/status").send().await;
    assert_eq!(
        (r.status, r.body),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "No active session"})
        )
    );
    app.create_agent("a").await;
    app.create_agent("b").await;
    app.activate("a").await;
    let (_, sb) = app.activate("b").await;
    let r = app.get("/api/v2/status").send().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["agent_id"], "b");
    assert_eq!(r.body["session_id"], sb["session_id"]);
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["namespace"], "memanto_agent_b");
    let left = r.body["time_remaining_seconds"]
        .as_i64()
        .expect("an integer");
    assert!((3590..=3600).contains(&left), "{left}");
    for key in ["started_at", "expires_at"] {
        assert!(r.body[key].as_str().unwrap().ends_with('Z'));
    }
    // Deactivating b clears the marker, although a is still active.
    app.post("/api/v2/agents/b/deactivate").send().await;
    assert_eq!(
        app.get("/api/v2/status").send().await.status,
        StatusCode::NOT_FOUND
    );
    app.activate("a").await;
    assert_eq!(app.get("/api/v2/status").send().await.body["agent_id"], "a");
    app.delete("/api/v2/agents/a").send().await;
    assert_eq!(
        app.get("/api/v2/status").send().await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn status_recreates_a_lapsed_marked_session() {
    let app = app_with(|c| c.session_duration = Duration::from_millis(300));
    let tok = app.agent_with_session("bot").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let r = app.get("/api/v2/status").send().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_ne!(r.body["session_id"], claims(&tok)["session_id"]);
    assert!(r.renewed().is_none(), "the new token is returned nowhere");
    // The caller's expired token can no longer be recreated.
    let r = app
        .post_as("bot", &tok, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.error(), "SessionExpired");
}

#[tokio::test]
async fn deactivate_needs_no_token_and_kills_the_session() {
    let app = App::current();
    app.create_agent("bot").await;
    let r = app.post("/api/v2/agents/bot/deactivate").send().await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error(), "SessionNotFound");
    assert_eq!(r.message(), "No session found for agent bot");
    let (tok, s) = app.activate("bot").await;
    let r = app.post("/api/v2/agents/bot/deactivate").send().await;
    assert_eq!(r.status, StatusCode::OK);
    let keys: Vec<&str> = r
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "agent_id",
            "duration_hours",
            "ended_at",
            "memories_created",
            "session_id",
            "started_at",
            "summary_memory_id"
        ]
    );
    assert_eq!(r.body["session_id"], s["session_id"]);
    assert_eq!(r.body["memories_created"], 0);
    let again = app.post("/api/v2/agents/bot/deactivate").send().await;
    assert_eq!(again.body["session_id"], s["session_id"]);
    let r = app
        .post_as("bot", &tok, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.error(), "InvalidSessionToken");
    // Agent delete kills the session too.
    let tok = app.activate("bot").await.0;
    let r = app.delete("/api/v2/agents/bot").send().await;
    assert_eq!(
        r.body["message"],
        "Agent 'bot' successfully deleted (backup retained in Moorcheh)"
    );
    let r = app
        .post_as("bot", &tok, "recall", Some(json!({"query": "x"})))
        .await;
    assert_eq!(r.error(), "InvalidSessionToken");
}

#[tokio::test]
async fn a_token_of_another_agent_is_403_and_authorization_is_ignored() {
    let app = App::current();
    let tok = app.agent_with_session("a").await;
    app.create_agent("b").await;
    let r = app
        .post_as("b", &tok, "remember", Some(json!({"content": "x"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body,
        json!({"detail": {"error": "AuthorizationError", "message": "Session is for agent 'a', cannot access 'b'", "details": {}}})
    );
    // A bad Authorization header does not matter on token routes.
    let r = app
        .post("/api/v2/agents/a/remember")
        .header("authorization", "Basic nonsense")
        .token(&tok)
        .json(json!({"content": "x"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post("/api/v2/agents/a/remember")
        .json(json!({"content": "x"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.body,
        json!({"detail": "Missing session token. Use X-Session-Token header."})
    );
}

#[tokio::test]
async fn malformed_json_is_refused_before_authentication() {
    let app = app_with(|c| c.trust_loopback = false);
    let r = app.post("/api/v2/agents").raw("{not json").send().await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body["detail"][0]["type"], "json_invalid");
    assert_eq!(r.body["detail"][0]["loc"][0], "body");
    assert!(r.body["detail"][0]["loc"][1].is_number());
    let r = app
        .post("/api/v2/agents/bot/recall")
        .raw("[1,")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Well-formed but unauthenticated: the gate answers first.
    let r = app
        .post("/api/v2/agents")
        .json(json!({"agent_id": 5}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
