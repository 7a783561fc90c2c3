//! Agent CRUD, activate/deactivate, session/current, session/extend, sessions.

mod common;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use common::{qs, App};
use serde_json::{json, Value};

fn ts(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    assert!(s.ends_with('Z'), "timestamp without Z: {s}");
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn agent_crud() {
    let app = App::new();
    let r = app
        .post("/api/v2/agents")
        .key()
        .json(json!({
            "agent_id": "support-bot_1",
            "pattern": "project",
            "description": "helps",
            "metadata": {"team": "a"}
        }))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let a = &r.body;
    assert_eq!(a["agent_id"], "support-bot_1");
    assert_eq!(a["namespace"], "memanto_agent_support-bot_1");
    assert_eq!(a["pattern"], "project");
    assert_eq!(a["description"], "helps");
    assert_eq!(a["metadata"], json!({"team": "a"}));
    assert_eq!(a["status"], "ready");
    assert_eq!(a["memory_count"], 0);
    assert_eq!(a["session_count"], 0);
    assert!(a["last_session"].is_null());
    let created = ts(&a["created_at"]);
    assert!((Utc::now() - created).num_seconds() < 5);

    // Defaults.
    let b = app.create_agent("second").await;
    assert_eq!(b["pattern"], "support");
    assert!(b["description"].is_null());
    assert!(b["metadata"].is_null());

    // Duplicate → 409.
    let r = app
        .post("/api/v2/agents")
        .key()
        .json(json!({"agent_id": "second"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        r.body,
        json!({"detail": {"error": "AgentAlreadyExists", "message": "Agent 'second' already exists", "details": {}}})
    );

    // List: newest first.
    let r = app.get("/api/v2/agents").key().send().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["count"], 2);
    let ids: Vec<&str> = r.body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["second", "support-bot_1"]);

    // Get one / unknown.
    let r = app.get("/api/v2/agents/support-bot_1").key().send().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["description"], "helps");
    let r = app.get("/api/v2/agents/ghost").key().send().await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.body,
        json!({"detail": {"error": "AgentNotFound", "message": "Agent 'ghost' not found", "details": {}}})
    );

    // Delete removes memories too.
    let token = app.activate("second").await.0;
    app.remember("second", &token, "a remembered fact", &[])
        .await;
    assert_eq!(
        app.get("/api/v2/agents/second").key().send().await.body["memory_count"],
        1
    );
    let r = app.delete("/api/v2/agents/second").key().send().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"message": "Agent 'second' successfully deleted"})
    );
    let r = app.delete("/api/v2/agents/second").key().send().await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error(), "AgentNotFound");
    app.create_agent("second").await;
    assert_eq!(
        app.get("/api/v2/agents/second").key().send().await.body["memory_count"],
        0
    );
}

#[tokio::test]
async fn agent_create_validation() {
    let app = App::new();
    let cases = [
        (json!({}), "missing", json!(["body", "agent_id"])),
        (
            json!({"agent_id": ""}),
            "string_too_short",
            json!(["body", "agent_id"]),
        ),
        (
            json!({"agent_id": "has space"}),
            "string_pattern_mismatch",
            json!(["body", "agent_id"]),
        ),
        (
            json!({"agent_id": "x".repeat(65)}),
            "string_too_long",
            json!(["body", "agent_id"]),
        ),
        (
            json!({"agent_id": 5}),
            "string_type",
            json!(["body", "agent_id"]),
        ),
        (
            json!({"agent_id": "ok", "pattern": "other"}),
            "enum",
            json!(["body", "pattern"]),
        ),
        (
            json!({"agent_id": "ok", "metadata": [1]}),
            "dict_type",
            json!(["body", "metadata"]),
        ),
        (
            json!(["agent_id"]),
            "model_attributes_type",
            json!(["body"]),
        ),
    ];
    for (body, kind, loc) in cases {
        let r = app
            .post("/api/v2/agents")
            .key()
            .json(body.clone())
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.body["detail"][0]["type"], kind, "{body}: {}", r.text);
        assert_eq!(r.body["detail"][0]["loc"], loc, "{body}");
        assert!(r.body["detail"][0]["msg"].is_string());
    }
    let r = app.post("/api/v2/agents").key().send().await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "missing");
    assert_eq!(
        app.get("/api/v2/agents").key().send().await.body["count"],
        0
    );
    // 64 characters is fine.
    app.create_agent(&"x".repeat(64)).await;
}

#[tokio::test]
async fn activate_and_session_objects() {
    let app = App::new();
    app.create_agent("bot").await;
    let before = Utc::now();
    let (token, s) = app.activate("bot").await;
    let sid = s["session_id"].as_str().unwrap();
    assert!(sid.starts_with("sess_") && sid.len() == 17, "{sid}");
    assert!(sid[5..]
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(s["agent_id"], "bot");
    assert_eq!(s["namespace"], "memanto_agent_bot");
    assert_eq!(s["pattern"], "support");
    assert_eq!(s["status"], "active");
    assert!(s["metadata"].is_null());
    let started = ts(&s["started_at"]);
    let expires = ts(&s["expires_at"]);
    assert!(started >= before - chrono::TimeDelta::seconds(1));
    assert_eq!((expires - started).num_seconds(), 3600); // App::new uses a 1 h duration

    // The token carries the documented claims.
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(&token)
        .unwrap()
        .claims;
    assert_eq!(claims["agent_id"], "bot");
    assert_eq!(claims["namespace"], "memanto_agent_bot");
    assert_eq!(claims["session_id"], sid);
    assert_eq!(claims["started_at"], s["started_at"]);
    assert_eq!(claims["expires_at"], s["expires_at"]);
    assert_eq!(claims["exp"].as_i64().unwrap(), expires.timestamp());
    assert!(claims["iat"].as_i64().unwrap() >= before.timestamp());

    // Agent bookkeeping.
    let a = app.get("/api/v2/agents/bot").key().send().await.body;
    assert_eq!(a["session_count"], 1);
    assert_eq!(a["last_session"], s["started_at"]);

    // duration_hours in the body; an empty or agent_id-only body is fine.
    let r = app
        .post("/api/v2/agents/bot/activate")
        .key()
        .json(json!({"agent_id": "bot", "duration_hours": 2.5}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (ts(&r.body["expires_at"]) - ts(&r.body["started_at"])).num_minutes(),
        150
    );
    let r = app
        .post("/api/v2/agents/bot/activate")
        .key()
        .json(json!({"agent_id": "bot"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post("/api/v2/agents/bot/activate")
        .key()
        .json(json!({}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for bad in [
        json!({"duration_hours": 0}),
        json!({"duration_hours": -1}),
        json!({"duration_hours": "x"}),
        json!(3),
    ] {
        let r = app
            .post("/api/v2/agents/bot/activate")
            .key()
            .json(bad.clone())
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(r.body["detail"].is_array());
    }
    assert_eq!(
        app.get("/api/v2/agents/bot").key().send().await.body["session_count"],
        4
    );

    // Several sessions can be active at once: the first token still works.
    let r = app
        .get("/api/v2/session/current")
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["session_id"], sid);

    let r = app.post("/api/v2/agents/ghost/activate").key().send().await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error(), "AgentNotFound");
}

#[tokio::test]
async fn session_current_and_list() {
    let app = App::new();
    app.create_agent("one").await;
    app.create_agent("two").await;
    let (t1, s1) = app.activate("one").await;
    let (_t2, s2) = app.activate("two").await;

    let r = app
        .get("/api/v2/session/current")
        .key()
        .token(&t1)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let c = &r.body;
    assert_eq!(c["session_id"], s1["session_id"]);
    assert_eq!(c["agent_id"], "one");
    assert_eq!(c["namespace"], "memanto_agent_one");
    assert_eq!(c["started_at"], s1["started_at"]);
    assert_eq!(c["expires_at"], s1["expires_at"]);
    assert_eq!(c["status"], "active");
    assert_eq!(c["pattern"], "support");
    let remaining = c["time_remaining_seconds"].as_i64().unwrap();
    assert!((3590..=3600).contains(&remaining), "{remaining}");

    let r = app.get("/api/v2/sessions").key().send().await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["session_id"], s2["session_id"]);
    assert_eq!(list[1]["session_id"], s1["session_id"]);
    for s in list {
        assert!(s["session_token"].is_null(), "tokens must not be listed");
        assert_eq!(s["status"], "active");
    }
    app.post("/api/v2/agents/one/deactivate").key().send().await;
    let list = app.get("/api/v2/sessions").key().send().await.body;
    assert_eq!(list[1]["status"], "terminated");
    assert_eq!(list[0]["status"], "active");
}

#[tokio::test]
async fn deactivate_summarises_latest_session() {
    let app = App::new();
    app.create_agent("bot").await;
    let r = app.post("/api/v2/agents/bot/deactivate").key().send().await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.body,
        json!({"detail": {"error": "SessionNotFound", "message": "No session found for agent bot", "details": {}}})
    );
    let r = app
        .post("/api/v2/agents/ghost/deactivate")
        .key()
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error(), "AgentNotFound");

    let (old_token, _) = app.activate("bot").await;
    app.remember("bot", &old_token, "from the first session", &[])
        .await;
    let (token, s) = app.activate("bot").await;
    app.remember("bot", &token, "one", &[]).await;
    app.remember("bot", &token, "two", &[]).await;
    let r = app
        .post("/api/v2/agents/bot/batch-remember")
        .key()
        .token(&token)
        .json(json!({"memories": [{"content": "three"}]}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // No token needed.
    let r = app.post("/api/v2/agents/bot/deactivate").key().send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let d = &r.body;
    assert_eq!(d["session_id"], s["session_id"]);
    assert_eq!(d["agent_id"], "bot");
    assert_eq!(d["started_at"], s["started_at"]);
    assert!(ts(&d["ended_at"]) >= ts(&s["started_at"]));
    assert_eq!(d["duration_hours"].as_f64().unwrap(), 0.0);
    assert_eq!(d["memories_created"], 3);
    assert!(d["summary_memory_id"].is_null());

    // Both sessions were terminated.
    for t in [&old_token, &token] {
        let r = app
            .get("/api/v2/session/current")
            .key()
            .token(t)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.error(), "InvalidSessionToken");
    }
    // Repeating keeps the original end time.
    let again = app.post("/api/v2/agents/bot/deactivate").key().send().await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["ended_at"], d["ended_at"]);
    // Memories survive deactivation.
    assert_eq!(
        app.get("/api/v2/agents/bot").key().send().await.body["memory_count"],
        4
    );
}

#[tokio::test]
async fn extend_moves_expiry_and_issues_new_token() {
    let app = App::new();
    app.create_agent("bot").await;
    let (token, s) = app.activate("bot").await;
    let old_exp = ts(&s["expires_at"]);

    let r = app
        .post(format!(
            "/api/v2/session/extend{}",
            qs(&[("additional_hours", "2")])
        ))
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = &r.body;
    assert_eq!(e["session_id"], s["session_id"]);
    assert_eq!(e["agent_id"], "bot");
    assert_eq!(e["status"], "active");
    assert_eq!(e["started_at"], s["started_at"]);
    let new_exp = ts(&e["expires_at"]);
    assert_eq!(new_exp - old_exp, chrono::TimeDelta::hours(2));
    let new_token = e["session_token"].as_str().unwrap();
    assert_ne!(new_token, token);
    assert_eq!(r.headers["x-session-token"].to_str().unwrap(), new_token);
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(new_token)
        .unwrap()
        .claims;
    assert_eq!(claims["session_id"], s["session_id"]);
    assert_eq!(claims["expires_at"], e["expires_at"]);
    assert_eq!(claims["exp"].as_i64().unwrap(), new_exp.timestamp());

    // session/current reflects it; both tokens work.
    for t in [token.as_str(), new_token] {
        let c = app
            .get("/api/v2/session/current")
            .key()
            .token(t)
            .send()
            .await;
        assert_eq!(c.status, StatusCode::OK);
        assert_eq!(c.body["expires_at"], e["expires_at"]);
        assert!(c.body["time_remaining_seconds"].as_i64().unwrap() > 3 * 3600 - 10);
    }

    // Default is 6 hours.
    let r = app
        .post("/api/v2/session/extend")
        .key()
        .token(new_token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        ts(&r.body["expires_at"]) - new_exp,
        chrono::TimeDelta::hours(6)
    );

    // Bad values.
    for v in ["0", "-3"] {
        let r = app
            .post(format!("/api/v2/session/extend?additional_hours={v}"))
            .key()
            .token(&token)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            r.body,
            json!({"detail": "Additional hours must be greater than 0."})
        );
    }
    let r = app
        .post("/api/v2/session/extend?additional_hours=1.5")
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "int_parsing");
    assert_eq!(
        r.body["detail"][0]["loc"],
        json!(["query", "additional_hours"])
    );
    let r = app.post("/api/v2/session/extend").key().send().await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.body["detail"],
        "Missing session token. Use X-Session-Token header."
    );
}

#[tokio::test]
async fn extend_revives_nothing_after_expiry_but_extends_short_sessions() {
    let app = App::with_duration(std::time::Duration::from_secs(2));
    app.create_agent("bot").await;
    let (token, _) = app.activate("bot").await;
    let r = app
        .post("/api/v2/session/extend?additional_hours=1")
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let new_token = r.body["session_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    // The old token hits its own expiry; the new one lives on.
    let r = app
        .get("/api/v2/session/current")
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error(), "SessionExpired");
    let r = app
        .get("/api/v2/session/current")
        .key()
        .token(&new_token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["time_remaining_seconds"].as_i64().unwrap() > 3500);
}
