//! 0.2.x memory status: expire, restore, and the `status` filter on recall.

mod common;

use axum::http::StatusCode;
use common::App;
use memanto_protocol::wire::ExpireBody;
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn find(body: &Value, id: &str) -> Value {
    body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn store(app: &App, token: &str, content: &str) -> String {
    app.remember("bot", token, content, &[]).await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn expire_filter_and_restore() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let a = store(&app, &token, "The garden gate is green").await;
    let b = store(&app, &token, "The garden shed is locked at night").await;
    let c = store(&app, &token, "The garden pond has three fish").await;
    let before = find(&app.recall("bot", &token, &[("query", "garden")]).await, &b);
    assert_eq!(before["status"], "active");
    assert!(before["expired_at"].is_null() && before["expired_by"].is_null());

    let body = serde_json::to_value(ExpireBody {
        reason: Some(" outdated-2026 ".into()),
    })
    .unwrap();
    let r = app
        .post_as("bot", &token, &format!("memories/{b}/expire"), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["agent_id"], "bot");
    assert_eq!(r.body["memory_id"], b.as_str());
    assert_eq!(r.body["status"], "expired");
    assert_eq!(r.body["expired_by"], "outdated-2026");
    assert!(r.body["session_id"].as_str().unwrap().starts_with("sess_"));
    let expired_at = r.body["expired_at"].as_str().unwrap().to_owned();
    assert!(expired_at.as_str() > before["updated_at"].as_str().unwrap());

    let all = app.recall("bot", &token, &[("query", "garden")]).await;
    assert_eq!(ids(&all), sorted(vec![a.clone(), b.clone(), c.clone()]));
    let item = find(&all, &b);
    assert_eq!(item["status"], "expired");
    assert_eq!(item["expired_at"], expired_at.as_str());
    assert_eq!(item["expired_by"], "outdated-2026");
    assert_eq!(item["updated_at"], expired_at.as_str());
    assert_eq!(item["content"], "The garden shed is locked at night");
    let explicit_all = app
        .recall("bot", &token, &[("query", "garden"), ("status", "all")])
        .await;
    assert_eq!(explicit_all["count"], 3);
    let active = app
        .recall("bot", &token, &[("query", "garden"), ("status", "active")])
        .await;
    assert_eq!(ids(&active), sorted(vec![a.clone(), c.clone()]));
    assert_eq!(active["total_available"], 2);
    let expired = app
        .recall("bot", &token, &[("query", "garden"), ("status", "expired")])
        .await;
    assert_eq!(ids(&expired), vec![b.clone()]);
    // recall/current (0.0.x) leaves expired memories out too.
    let current = app
        .get_ok("bot", &token, "recall/current", &[("query", "garden")])
        .await;
    assert_eq!(ids(&current), sorted(vec![a.clone(), c.clone()]));
    // as-of hides a memory expired at or before the instant asked about.
    let as_of = app
        .get_ok(
            "bot",
            &token,
            "recall/as-of",
            &[("query", "garden"), ("as_of", "2999-01-01")],
        )
        .await;
    assert_eq!(ids(&as_of), sorted(vec![a.clone(), c.clone()]));

    // changed-since (listed in SQL, not the index) takes the filter too.
    let changed = |status: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            app.get_ok(
                "bot",
                token,
                "recall/changed-since",
                &[("since", "2000-01-01"), ("status", status)],
            )
            .await
        }
    };
    assert_eq!(ids(&changed("expired").await), vec![b.clone()]);
    assert_eq!(
        ids(&changed("active").await),
        sorted(vec![a.clone(), c.clone()])
    );
    assert_eq!(changed("all").await["total_available"], 3);

    // No body means `manual`; an expired memory is re-stamped.
    let r = app
        .post_as("bot", &token, &format!("memories/{b}/expire"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["expired_by"], "manual");
    for body in [json!({}), json!(null), json!({"reason": null})] {
        let r = app
            .post_as("bot", &token, &format!("memories/{a}/expire"), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["expired_by"], "manual");
    }

    let r = app
        .post_as("bot", &token, &format!("memories/{b}/restore"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"agent_id": "bot", "session_id": r.body["session_id"], "memory_id": b, "status": "active"})
    );
    let all = app.recall("bot", &token, &[("query", "garden")]).await;
    let item = find(&all, &b);
    assert_eq!(item["status"], "active");
    assert!(item["expired_at"].is_null() && item["expired_by"].is_null());
    assert!(item["updated_at"].as_str().unwrap() > expired_at.as_str());
    let active = app
        .recall("bot", &token, &[("query", "garden"), ("status", "active")])
        .await;
    assert_eq!(ids(&active), sorted(vec![b.clone(), c.clone()]));
}

#[tokio::test]
async fn expiry_errors() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let other = app.agent_with_session("other").await;
    let m = store(&app, &token, "The kettle is in the cupboard").await;
    for reason in [
        json!(""),
        json!("   "),
        json!("two words"),
        json!("a".repeat(65)),
        json!("x/y"),
    ] {
        let r = app
            .post_as(
                "bot",
                &token,
                &format!("memories/{m}/expire"),
                Some(json!({"reason": reason})),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{reason}: {}",
            r.text
        );
        assert_eq!(r.body["detail"][0]["loc"], json!(["body", "reason"]));
        assert_eq!(r.body["detail"][0]["type"], "value_error");
    }
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("memories/{m}/expire"),
            Some(json!({"reason": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "string_type");
    let r = app
        .post("/api/v2/agents/bot/memories/x/expire")
        .key()
        .token(&token)
        .raw("{not json")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "json_invalid");
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("memories/{m}/expire"),
            Some(json!(["manual"])),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "model_attributes_type");
    // Still active after all the refusals.
    let found = app
        .recall("bot", &token, &[("query", "kettle"), ("status", "active")])
        .await;
    assert_eq!(found["count"], 1);

    for route in ["expire", "restore"] {
        let r = app
            .post_as("bot", &token, &format!("memories/nope/{route}"), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body, json!({"detail": "Memory 'nope' was not found."}));
        // Another agent's memory is not found under its own path, and forbidden under ours.
        let r = app
            .post_as("other", &other, &format!("memories/{m}/{route}"), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let r = app
            .post_as("bot", &other, &format!("memories/{m}/{route}"), None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.error(), "AuthorizationError");
        let r = app
            .post(format!("/api/v2/agents/bot/memories/{m}/{route}"))
            .key()
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .get("/api/v2/agents/bot/recall?query=kettle&status=superseded")
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["loc"], json!(["query", "status"]));
    assert_eq!(
        r.body["detail"][0]["msg"],
        "Input should be 'all', 'active' or 'expired'"
    );
}

#[tokio::test]
async fn a_superseded_memory_can_expire_and_comes_back_superseded() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let old = store(&app, &token, "The meeting room is on floor two").await;
    let new = store(&app, &token, "The meeting room is on floor three").await;
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("supersede/{old}?new_memory_id={new}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("memories/{old}/expire"),
            Some(json!({"reason": "moved"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let all = app
        .recall("bot", &token, &[("query", "meeting room")])
        .await;
    assert_eq!(find(&all, &old)["status"], "expired");
    assert_eq!(find(&all, &old)["superseded_by"], new.as_str());
    app.post_as("bot", &token, &format!("memories/{old}/restore"), None)
        .await;
    let all = app
        .recall("bot", &token, &[("query", "meeting room")])
        .await;
    assert_eq!(find(&all, &old)["status"], "superseded");
    let active = app
        .recall(
            "bot",
            &token,
            &[("query", "meeting room"), ("status", "active")],
        )
        .await;
    assert_eq!(active["count"], 2, "superseded counts as active: {active}");
}
