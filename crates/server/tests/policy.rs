//! 0.2.x expiry policies: get/put, presets, apply (dry run and real) and purge.

mod common;

use axum::http::{Method, StatusCode};
use chrono::{TimeDelta, Utc};
use common::App;
use memanto_protocol::policy::Policy;
use memanto_protocol::wire::{DryRunBody, PresetBody};
use serde_json::{json, Value};

/// A stored timestamp `ago` before now.
fn ago(ago: TimeDelta) -> String {
    (Utc::now() - ago)
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// Writes a column of a memory straight into the database (the test-only way to age it).
fn set(app: &App, id: &str, column: &str, value: &str) {
    let conn = rusqlite::Connection::open(app.state.db_path()).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let n = conn
        .execute(
            &format!("UPDATE memories SET {column} = ?1 WHERE id = ?2"),
            [value, id],
        )
        .unwrap();
    assert_eq!(n, 1);
}

async fn send(
    app: &App,
    token: &str,
    method: Method,
    route: &str,
    body: Option<Value>,
) -> common::Resp {
    let call = app
        .call(method, format!("/api/v2/agents/bot/{route}"))
        .key()
        .token(token);
    match body {
        Some(b) => call.json(b),
        None => call,
    }
    .send()
    .await
}

async fn ok(app: &App, token: &str, method: Method, route: &str, body: Option<Value>) -> Value {
    let r = send(app, token, method, route, body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{route} {body:?}: {}", r.text);
    r.body
}

async fn store(app: &App, token: &str, content: &str, q: &[(&str, &str)]) -> String {
    app.remember("bot", token, content, q).await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn get_put_and_validation() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let r = ok(&app, &token, Method::GET, "policy", None).await;
    assert_eq!(
        r,
        json!({"agent_id": "bot", "is_empty": true, "policy": {
            "version": 1, "retention": {}, "rules": [], "purge_expired_after": "never"}})
    );
    let policy = json!({
        "version": 2,
        "retention": {"context": "12H", "event": "2mo", "fact": "never"},
        "rules": [
            {"name": "pin.me", "match": {"tags": ["pinned"]}, "expire_after": "never"},
            {"name": "weak_agent-notes", "match": {"source": ["agent"], "confidence_below": 0.4,
              "type": ["fact", "observation"], "provenance": ["inferred"]}, "expire_after": "3 d"},
            {"name": "everything"}
        ],
        "purge_expired_after": "1y",
    });
    let r = ok(&app, &token, Method::PUT, "policy", Some(policy.clone())).await;
    assert_eq!(r["agent_id"], "bot");
    assert!(r["path"].is_null());
    let mut want = policy.clone();
    want["rules"][2] = json!({"name": "everything", "match": {}, "expire_after": "never"});
    assert_eq!(r["policy"], want);
    let r = ok(&app, &token, Method::GET, "policy", None).await;
    assert_eq!(
        (r["policy"].clone(), r["is_empty"].clone()),
        (want.clone(), json!(false))
    );
    let parsed: Policy = serde_json::from_value(r["policy"].clone()).unwrap();
    assert_eq!(parsed.rules[1].matches.confidence_below, Some(0.4));

    for (bad, loc) in [
        (
            json!({"retention": {"facts": "1d"}}),
            json!(["body", "retention", "facts"]),
        ),
        (
            json!({"retention": {"fact": "10s"}}),
            json!(["body", "retention", "fact"]),
        ),
        (
            json!({"retention": {"fact": 5}}),
            json!(["body", "retention", "fact"]),
        ),
        (
            json!({"retention": {"fact": "0d"}}),
            json!(["body", "retention", "fact"]),
        ),
        (
            json!({"purge_expired_after": "soon"}),
            json!(["body", "purge_expired_after"]),
        ),
        (
            json!({"rules": [{"name": "bad name"}]}),
            json!(["body", "rules", 0, "name"]),
        ),
        (
            json!({"rules": [{"name": ""}]}),
            json!(["body", "rules", 0, "name"]),
        ),
        (
            json!({"rules": [{"expire_after": "1d"}]}),
            json!(["body", "rules", 0, "name"]),
        ),
        (
            json!({"rules": [{"name": "r", "match": {"type": ["nope"]}}]}),
            json!(["body", "rules", 0, "match", "type", 0]),
        ),
        (
            json!({"rules": [{"name": "r", "match": {"provenance": ["guessed"]}}]}),
            json!(["body", "rules", 0, "match", "provenance", 0]),
        ),
        (
            json!({"rules": [{"name": "r", "match": {"confidence_below": 2}}]}),
            json!(["body", "rules", 0, "match", "confidence_below"]),
        ),
        (
            json!({"rules": [{"name": "r", "expire_after": "1x"}]}),
            json!(["body", "rules", 0, "expire_after"]),
        ),
        (
            json!({"rules": [{"name": "r"}, {"name": "r"}]}),
            json!(["body"]),
        ),
        (json!({"version": "one"}), json!(["body", "version"])),
    ] {
        let r = send(&app, &token, Method::PUT, "policy", Some(bad.clone())).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.body["detail"][0]["loc"], loc, "{bad}");
    }
    let r = send(&app, &token, Method::PUT, "policy", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing refused replaced the stored policy.
    let r = ok(&app, &token, Method::GET, "policy", None).await;
    assert_eq!(r["policy"], want);
}

#[tokio::test]
async fn presets() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let r = ok(&app, &token, Method::GET, "policy/presets", None).await;
    let names: Vec<&str> = r["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["conservative", "balanced", "aggressive"]);
    for p in r["presets"].as_array().unwrap() {
        assert!(p["description"].as_str().unwrap().len() > 20);
        assert!(p["retention"].as_object().unwrap().contains_key("context"));
        assert!(p["rule_count"].as_u64().unwrap() >= 1);
        assert!(p["purge_expired_after"].is_string());
    }
    let r = ok(&app, &token, Method::GET, "policy/presets/balanced", None).await;
    assert_eq!(r["name"], "balanced");
    assert_eq!(r["policy"]["retention"]["context"], "30d");
    let balanced = r["policy"].clone();
    let unknown = "Unknown preset 'huge'. Must be one of: aggressive, balanced, conservative.";
    let r = send(&app, &token, Method::GET, "policy/presets/huge", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, json!({"detail": unknown}));

    let body = serde_json::to_value(PresetBody {
        name: "balanced".into(),
    })
    .unwrap();
    let r = ok(&app, &token, Method::POST, "policy/preset", Some(body)).await;
    assert_eq!(
        r,
        json!({"agent_id": "bot", "preset": "balanced", "policy": balanced})
    );
    let r = ok(&app, &token, Method::GET, "policy", None).await;
    assert_eq!(r["policy"], balanced);
    let r = send(
        &app,
        &token,
        Method::POST,
        "policy/preset",
        Some(json!({"name": "huge"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({"detail": unknown}));
    let r = send(&app, &token, Method::POST, "policy/preset", Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "name"]));
    // Presets need a session of the agent, like every token route.
    let r = app
        .get("/api/v2/agents/bot/policy/presets")
        .key()
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn apply_dry_run_then_for_real_then_purge() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let old_context = store(
        &app,
        &token,
        "User is looking at the pricing page",
        &[("memory_type", "context")],
    )
    .await;
    let pinned = store(
        &app,
        &token,
        "User's timezone is CET",
        &[("memory_type", "context"), ("tags", "pinned")],
    )
    .await;
    let fresh = store(
        &app,
        &token,
        "User opened settings",
        &[("memory_type", "context")],
    )
    .await;
    let weak = store(
        &app,
        &token,
        "User might own a cat",
        &[("confidence", "0.2")],
    )
    .await;
    let strong = store(&app, &token, "User owns a dog", &[("confidence", "0.9")]).await;
    let done = store(
        &app,
        &token,
        "User was on holiday",
        &[("memory_type", "event")],
    )
    .await;
    for id in [&old_context, &pinned] {
        set(&app, id, "updated_at", &ago(TimeDelta::hours(2)));
    }
    // Age counts from updated_at (created_at stays today).
    set(&app, &weak, "updated_at", &ago(TimeDelta::days(2)));
    set(&app, &strong, "updated_at", &ago(TimeDelta::days(400)));
    let r = send(
        &app,
        &token,
        Method::POST,
        &format!("memories/{done}/expire"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    // No policy: nothing to do.
    let r = ok(&app, &token, Method::POST, "policy/apply", None).await;
    assert_eq!(
        (
            r["policy_is_empty"].clone(),
            r["matched"].clone(),
            r["scanned"].clone()
        ),
        (json!(true), json!(0), json!(6))
    );

    ok(
        &app,
        &token,
        Method::PUT,
        "policy",
        Some(json!({
            "retention": {"context": "1h"},
            "rules": [
                {"name": "keep-pinned", "match": {"tags": ["pinned"]}, "expire_after": "never"},
                {"name": "weak", "match": {"confidence_below": 0.3}, "expire_after": "1d"}
            ]
        })),
    )
    .await;
    let body = serde_json::to_value(DryRunBody { dry_run: true }).unwrap();
    let r = ok(&app, &token, Method::POST, "policy/apply", Some(body)).await;
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["policy_is_empty"], false);
    assert_eq!(
        (r["scanned"].clone(), r["already_expired"].clone()),
        (json!(6), json!(1))
    );
    assert_eq!(
        (r["matched"].clone(), r["expired"].clone()),
        (json!(2), json!(0))
    );
    assert_eq!(r["per_rule"], json!({"retention.context": 1, "weak": 1}));
    assert_eq!(r["errors"], json!([]));
    let due: Vec<(&str, &str)> = r["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["expired_by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        due,
        [
            (old_context.as_str(), "retention.context"),
            (weak.as_str(), "weak")
        ]
    );
    assert_eq!(r["memories"][0]["type"], "context");
    assert_eq!(
        r["memories"][0]["title"],
        "User is looking at the pricing page"
    );
    assert!(r["evaluated_at"].is_string());
    let expired = ok(
        &app,
        &token,
        Method::POST,
        "recall/recent",
        Some(json!({"status": "expired"})),
    )
    .await;
    assert_eq!(expired["count"], 1, "a dry run changes nothing");

    let r = ok(
        &app,
        &token,
        Method::POST,
        "policy/apply",
        Some(json!({"dry_run": false})),
    )
    .await;
    assert_eq!(
        (r["matched"].clone(), r["expired"].clone()),
        (json!(2), json!(2))
    );
    let stamp = r["evaluated_at"].clone();
    let expired = ok(
        &app,
        &token,
        Method::POST,
        "recall/recent",
        Some(json!({"status": "expired"})),
    )
    .await;
    let mut by: Vec<(String, String)> = expired["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["expired_by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    by.sort();
    let mut want = vec![
        (old_context.clone(), "retention.context".to_owned()),
        (weak.clone(), "weak".to_owned()),
        (done.clone(), "manual".to_owned()),
    ];
    want.sort();
    assert_eq!(by, want);
    for m in expired["memories"].as_array().unwrap() {
        if m["expired_by"] != "manual" {
            assert_eq!(m["expired_at"], stamp, "one stamp for the whole sweep");
        }
    }
    let active = ok(
        &app,
        &token,
        Method::POST,
        "recall/recent",
        Some(json!({"status": "active"})),
    )
    .await;
    let mut ids: Vec<&str> = active["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut keep = vec![pinned.as_str(), fresh.as_str(), strong.as_str()];
    keep.sort();
    assert_eq!(ids, keep);
    let r = ok(&app, &token, Method::POST, "policy/apply", Some(json!({}))).await;
    assert_eq!(
        (r["matched"].clone(), r["already_expired"].clone()),
        (json!(0), json!(3))
    );

    // Purge: disabled while `purge_expired_after` is never.
    let r = ok(&app, &token, Method::POST, "policy/purge", None).await;
    assert_eq!(r["enabled"], false);
    assert_eq!(
        (
            r["matched"].clone(),
            r["purged"].clone(),
            r["memories"].clone()
        ),
        (json!(0), json!(0), json!([]))
    );
    ok(
        &app,
        &token,
        Method::PUT,
        "policy",
        Some(json!({"purge_expired_after": "1h"})),
    )
    .await;
    set(&app, &done, "expired_at", &ago(TimeDelta::hours(3)));
    let r = ok(
        &app,
        &token,
        Method::POST,
        "policy/purge",
        Some(json!({"dry_run": true})),
    )
    .await;
    assert_eq!(r["enabled"], true);
    assert_eq!(r["purge_expired_after"], "1h");
    assert_eq!(
        (r["matched"].clone(), r["purged"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(r["memories"][0]["id"], done.as_str());
    assert_eq!(r["memories"][0]["expired_by"], "manual");
    let all = ok(&app, &token, Method::POST, "recall/all", Some(json!({}))).await;
    assert_eq!(all["count"], 6);
    let r = ok(&app, &token, Method::POST, "policy/purge", None).await;
    assert_eq!(
        (r["matched"].clone(), r["purged"].clone()),
        (json!(1), json!(1))
    );
    let all = ok(&app, &token, Method::POST, "recall/all", Some(json!({}))).await;
    assert_eq!(all["count"], 5);
    assert!(all["memories"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["id"] != done.as_str()));
    let r = send(
        &app,
        &token,
        Method::POST,
        "policy/apply",
        Some(json!({"dry_run": "yes"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
