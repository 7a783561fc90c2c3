//! Current (0.2.30) mode: route set, `GET /` per mode, the management gate, JSON-first.

mod common;

use axum::http::{Method, StatusCode};
use common::{current_with as app_with, App, KEY};
use serde_json::{json, Value};

const GATE_401: &str = "Unauthorized. Agent management endpoints require either a loopback client or a valid management credential (Authorization: Bearer <key> or X-Api-Key).";

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
