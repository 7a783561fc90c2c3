//! Service routes, API-key and session-token errors, 404/405.

mod common;

use axum::http::StatusCode;
use common::{App, KEY};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn service_routes() {
    let app = App::new();
    let r = app.get("/").send().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["service"], "MEMANTO");
    assert_eq!(r.body["description"], "Memory that AI Agents Love!");
    assert_eq!(r.body["version"], "0.0.8");
    assert_eq!(
        r.body["implementation"],
        format!("memanto-client LocalServer {}", env!("CARGO_PKG_VERSION"))
    );
    assert!(r.body["docs"].is_null());

    assert_eq!(
        app.get("/ready").send().await.body,
        json!({ "status": "ready" })
    );
    assert_eq!(
        app.get("/live").send().await.body,
        json!({ "status": "alive" })
    );

    let h = app.get("/health").key().send().await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(
        h.body,
        json!({ "status": "healthy", "service": "MEMANTO", "version": "0.0.8", "moorcheh_connected": false, "backend": "local" })
    );
    let h = app.get("/health").send().await;
    assert_eq!(h.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h.body["detail"],
        "Missing API key in authorization header and no configured default"
    );
}

#[tokio::test]
async fn api_key_errors_on_every_kind_of_route() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let routes = [
        ("GET", "/api/v2/agents"),
        ("POST", "/api/v2/agents"),
        ("GET", "/api/v2/agents/bot"),
        ("POST", "/api/v2/agents/bot/activate"),
        ("GET", "/api/v2/sessions"),
        ("GET", "/api/v2/session/current"),
        ("POST", "/api/v2/agents/bot/remember"),
        ("GET", "/api/v2/agents/bot/recall?query=x"),
        ("POST", "/api/v2/agents/bot/answer"),
        ("GET", "/health"),
    ];
    let cases: [(Option<&str>, &str); 5] = [
        (
            None,
            "Missing API key in authorization header and no configured default",
        ),
        (
            Some("Bearer "),
            "Missing API key in authorization header and no configured default",
        ),
        (
            Some(&*format!("bearer {KEY}").leak()),
            "Invalid authorization header. Use: Bearer {api_key}",
        ),
        (
            Some(&*format!("Token {KEY}").leak()),
            "Invalid authorization header. Use: Bearer {api_key}",
        ),
        (Some("Bearer wrong-key"), "Invalid Moorcheh API key"),
    ];
    for (method, path) in routes {
        for (header, detail) in &cases {
            let mut call = app
                .call(method.parse().unwrap(), path)
                .token(&token)
                .json(json!({"content": "x"}));
            if let Some(h) = header {
                call = call.header("authorization", h);
            }
            let r = call.send().await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {header:?}: {}",
                r.text
            );
            assert_eq!(
                r.body,
                json!({ "detail": detail }),
                "{method} {path} {header:?}"
            );
        }
    }
}

#[tokio::test]
async fn several_keys_are_accepted() {
    let config = memanto_server::ServerConfig {
        api_keys: vec!["k1".into(), "k2".into()],
        ..Default::default()
    };
    let state = memanto_server::AppState::open(&config).unwrap();
    assert_eq!(state.api_key(), "k1");
    assert_eq!(state.api_keys(), ["k1".to_owned(), "k2".to_owned()]);
    let app = memanto_server::router(state);
    use tower::ServiceExt;
    for (key, want) in [("k1", 200), ("k2", 200), ("k3", 401)] {
        let req = axum::http::Request::get("/health")
            .header("authorization", format!("Bearer {key}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status().as_u16(), want, "key {key}");
    }
}

#[tokio::test]
async fn session_token_errors() {
    let app = App::new();
    app.create_agent("alpha").await;
    app.create_agent("beta").await;
    let (token_a, session_a) = app.activate("alpha").await;
    let (token_b, _) = app.activate("beta").await;

    // Missing / empty token.
    for token in [None, Some(""), Some("   ")] {
        let mut call = app.get("/api/v2/agents/alpha/recall?query=x").key();
        if let Some(t) = token {
            call = call.token(t);
        }
        let r = call.send().await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.body,
            json!({ "detail": "Missing session token. Use X-Session-Token header." })
        );
    }

    // Garbage token.
    let r = app
        .get("/api/v2/agents/alpha/recall?query=x")
        .key()
        .token("not-a-jwt")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "InvalidSessionToken");
    assert!(
        r.message().starts_with("Invalid session token: "),
        "{}",
        r.message()
    );
    assert_eq!(r.body["detail"]["details"], json!({}));

    // Well-formed token with the same claims, signed with another secret.
    let claims: serde_json::Value =
        jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(&token_a)
            .unwrap()
            .claims;
    assert_eq!(claims["agent_id"], "alpha");
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"some-other-secret").unwrap(),
    )
    .unwrap();
    let r = app
        .get("/api/v2/session/current")
        .key()
        .token(&forged)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "InvalidSessionToken");
    assert_eq!(
        r.message(),
        "Invalid session token: Signature verification failed"
    );

    // Token of agent alpha used on agent beta → 403.
    let r = app
        .get("/api/v2/agents/beta/recall?query=x")
        .key()
        .token(&token_a)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body,
        json!({ "detail": {
            "error": "AuthorizationError",
            "message": "Session is for agent 'alpha', cannot access 'beta'",
            "details": {}
        } })
    );
    let r = app
        .post("/api/v2/agents/alpha/remember")
        .key()
        .token(&token_b)
        .json(json!({"content": "x"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.message(),
        "Session is for agent 'beta', cannot access 'alpha'"
    );

    // Both tokens work right now.
    let r = app
        .get("/api/v2/session/current")
        .key()
        .token(&token_a)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["session_id"], session_a["session_id"]);
}

#[tokio::test]
async fn expired_token_is_session_expired() {
    let app = App::with_duration(Duration::from_secs(1));
    app.create_agent("alpha").await;
    let (token_a, session_a) = app.activate("alpha").await;
    // After the 1-second session duration the token is expired (not "invalid").
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let r = app
        .get("/api/v2/agents/alpha/recall?query=x")
        .key()
        .token(&token_a)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "SessionExpired");
    assert_eq!(
        r.message(),
        format!(
            "Session {} expired at {}",
            session_a["session_id"].as_str().unwrap(),
            session_a["expires_at"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn deactivated_and_deleted_sessions_are_revoked() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let sid = app
        .get("/api/v2/session/current")
        .key()
        .token(&token)
        .send()
        .await
        .body["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.post("/api/v2/agents/bot/deactivate").key().send().await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .get("/api/v2/agents/bot/recall?query=x")
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "InvalidSessionToken");
    assert_eq!(r.message(), format!("Session {sid} is no longer active"));

    // A fresh session works; deleting the agent revokes it too.
    let (token2, s2) = app.activate("bot").await;
    assert_eq!(
        app.get("/api/v2/session/current")
            .key()
            .token(&token2)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.delete("/api/v2/agents/bot").key().send().await.status,
        StatusCode::OK
    );
    let r = app
        .get("/api/v2/session/current")
        .key()
        .token(&token2)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.message(),
        format!(
            "Session {} is no longer active",
            s2["session_id"].as_str().unwrap()
        )
    );
    // Re-creating an agent of the same name does not revive the old token.
    app.create_agent("bot").await;
    let r = app
        .get("/api/v2/session/current")
        .key()
        .token(&token2)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn auth_comes_before_validation_and_unknown_routes() {
    let app = App::new();
    // Unauthenticated + malformed → 401, authenticated + malformed → 422 json_invalid.
    let r = app.post("/api/v2/agents").raw("{not json").send().await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .post("/api/v2/agents")
        .key()
        .raw("{not json")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "json_invalid");
    assert_eq!(r.body["detail"][0]["loc"], json!(["body"]));
    assert!(r.body["detail"][0]["input"].is_null());
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));

    // Missing query parameter without a token → 401 for the token, not 422.
    app.create_agent("bot").await;
    let r = app.get("/api/v2/agents/bot/recall").key().send().await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let r = app.get("/api/v2/nope").send().await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, json!({ "detail": "Not Found" }));
    // (POST recall is a 0.2 route, served in the default Both mode; PUT is nowhere.)
    let r = app
        .call(axum::http::Method::PUT, "/api/v2/agents/bot/recall")
        .key()
        .send()
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body, json!({ "detail": "Method Not Allowed" }));
    let r = app
        .call(axum::http::Method::PUT, "/api/v2/agents")
        .key()
        .send()
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body, json!({ "detail": "Method Not Allowed" }));
}

#[tokio::test]
async fn non_ascii_token_header_is_an_invalid_token() {
    let app = App::new();
    app.create_agent("bot").await;
    let req = axum::http::Request::get("/api/v2/session/current")
        .header("authorization", format!("Bearer {KEY}"))
        .header(
            "x-session-token",
            axum::http::HeaderValue::from_bytes(b"tok\xe9n").unwrap(),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    use tower::ServiceExt;
    let res = memanto_server::router(app.state.clone())
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["detail"]["error"], "InvalidSessionToken");
}
