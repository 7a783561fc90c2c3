//! Current (0.2.30) mode: strict tokens — revocation, renewal, recreation, `/status`, scope.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{claims, current_with as app_with, App};
use serde_json::json;

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
    let mut keys: Vec<&str> = r
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable(); // maps keep insertion order (serde_json preserve_order)
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
