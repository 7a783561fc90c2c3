//! validate, supersede, contradict, PATCH and DELETE of memories.

mod common;

use axum::http::StatusCode;
use common::App;
use serde_json::{json, Value};

fn not_found(agent: &str, mid: &str) -> Value {
    json!({"detail": {
        "error": "MemoryNotFound",
        "message": format!("Memory '{mid}' was not found for agent '{agent}'"),
        "details": {},
    }})
}

async fn store(app: &App, token: &str, content: &str, query: &[(&str, &str)]) -> String {
    app.remember("bot", token, content, query).await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned()
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

#[tokio::test]
async fn validate_and_contradict_are_persisted() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let strong = store(
        &app,
        &token,
        "Coffee is served at nine",
        &[("confidence", "0.9")],
    )
    .await;
    let weak = store(
        &app,
        &token,
        "Coffee coffee coffee is served at ten",
        &[("confidence", "0.3")],
    )
    .await;

    let mut last = Value::Null;
    for n in 1..=2 {
        let r = app
            .post_as("bot", &token, &format!("validate/{strong}"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["memory_id"], strong.as_str());
        assert_eq!(r.body["agent_id"], "bot");
        assert_eq!(r.body["status"], "validated");
        assert_eq!(r.body["validation_count"], n);
        assert!(r.body["session_id"].as_str().unwrap().starts_with("sess_"));
        last = r.body;
    }
    let item = find(
        &app.recall("bot", &token, &[("query", "coffee")]).await,
        &strong,
    );
    assert_eq!(item["validation_count"], 2);
    assert_eq!(item["validated_at"], last["validated_at"]);
    assert_eq!(item["updated_at"], last["validated_at"]);
    assert_ne!(item["created_at"], item["updated_at"]);

    let r = app
        .post_as(
            "bot",
            &token,
            &format!("contradict/{strong}"),
            Some(json!({"reason": "The schedule changed", "contradicting_memory_id": weak})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"memory_id": strong, "agent_id": "bot", "session_id": last["session_id"],
               "status": "contradicted", "message": format!("Memory {strong} marked as contradicted")})
    );
    // No body at all is fine too, and keeps the earlier reason.
    let r = app
        .post_as("bot", &token, &format!("contradict/{strong}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Recall ranks by relevance; current keeps the contradicted memory, flags it, and
    // orders by confidence.
    let recall = app.recall("bot", &token, &[("query", "coffee")]).await;
    assert_eq!(recall["memories"][0]["id"], weak.as_str());
    let item = find(&recall, &strong);
    assert_eq!(item["contradiction_detected"], true);
    assert_eq!(item["contradiction_reason"], "The schedule changed");
    assert_eq!(item["contradicting_memory_id"], weak.as_str());
    assert!(item.get("_warning").is_none());
    assert!(find(&recall, &weak).get("contradiction_reason").is_none());
    let cur = app
        .get_ok("bot", &token, "recall/current", &[("query", "coffee")])
        .await;
    assert_eq!(cur["count"], 2);
    assert_eq!(cur["memories"][0]["id"], strong.as_str());
    assert_eq!(cur["memories"][0]["_warning"], "contradicted");
    assert!(cur["memories"][1].get("_warning").is_none());

    // Errors.
    for route in ["validate/nope", "contradict/nope"] {
        let r = app.post_as("bot", &token, route, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{route}");
        assert_eq!(r.body, not_found("bot", "nope"));
    }
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("contradict/{strong}"),
            Some(json!({"contradicting_memory_id": "ghost"})),
        )
        .await;
    assert_eq!(r.body, not_found("bot", "ghost"));
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("contradict/{strong}"),
            Some(json!({"contradicting_memory_id": strong})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("contradict/{strong}"),
            Some(json!({"reason": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "reason"]));
    // Another agent cannot see it; its token cannot reach this agent.
    let other = app.agent_with_session("other").await;
    let r = app
        .post_as("other", &other, &format!("validate/{strong}"), None)
        .await;
    assert_eq!(r.body, not_found("other", &strong));
    let r = app
        .post_as("bot", &other, &format!("validate/{strong}"), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(format!("/api/v2/agents/bot/validate/{strong}"))
        .key()
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn supersede_with_an_existing_memory_and_its_errors() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let a = store(&app, &token, "Deploys run on Jenkins", &[]).await;
    let b = store(&app, &token, "Deploys run on GitHub Actions", &[]).await;
    let c = store(&app, &token, "Deploys run on Buildkite", &[]).await;
    let count =
        || async { app.get("/api/v2/agents/bot").key().send().await.body["memory_count"].clone() };

    let r = app
        .post_as(
            "bot",
            &token,
            &format!("supersede/{a}?new_memory_id={b}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["new_memory_id"], b.as_str());
    let all = app.recall("bot", &token, &[("query", "deploys")]).await;
    assert_eq!(find(&all, &a)["superseded_by"], b.as_str());
    assert_eq!(find(&all, &b)["supersedes"], a.as_str());
    let cur = app
        .get_ok("bot", &token, "recall/current", &[("query", "deploys")])
        .await;
    assert_eq!(cur["count"], 2);
    assert!(find(&cur, &a).is_null());

    let conflict = |r: common::Resp, id: &str, by: &str| {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(r.error(), "AlreadySuperseded");
        assert_eq!(
            r.message(),
            format!("Memory '{id}' is already superseded by '{by}'")
        );
    };
    conflict(
        app.post_as(
            "bot",
            &token,
            &format!("supersede/{a}?new_memory_id={c}"),
            None,
        )
        .await,
        &a,
        &b,
    );
    conflict(
        app.post_as(
            "bot",
            &token,
            &format!("supersede/{c}?new_memory_id={a}"),
            None,
        )
        .await,
        &a,
        &b,
    );
    conflict(
        app.post_as(
            "bot",
            &token,
            &format!("supersede/{a}"),
            Some(json!({"content": "x"})),
        )
        .await,
        &a,
        &b,
    );

    let r = app
        .post_as(
            "bot",
            &token,
            &format!("supersede/{c}?new_memory_id=ghost"),
            None,
        )
        .await;
    assert_eq!(r.body, not_found("bot", "ghost"));
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("supersede/ghost?new_memory_id={c}"),
            None,
        )
        .await;
    assert_eq!(r.body, not_found("bot", "ghost"));
    // Atomic: an unknown old memory stores no new one.
    let before = count().await;
    let r = app
        .post_as(
            "bot",
            &token,
            "supersede/ghost",
            Some(json!({"content": "orphan"})),
        )
        .await;
    assert_eq!(r.body, not_found("bot", "ghost"));
    assert_eq!(count().await, before);

    for (route, body, loc) in [
        (
            format!("supersede/{c}"),
            None,
            json!(["query", "new_memory_id"]),
        ),
        (
            format!("supersede/{c}?new_memory_id={c}"),
            None,
            json!(["query", "new_memory_id"]),
        ),
        (
            format!("supersede/{c}?new_memory_id="),
            None,
            json!(["query", "new_memory_id"]),
        ),
        (
            format!("supersede/{c}?new_memory_id={b}"),
            Some(json!({"content": "x"})),
            json!(["query", "new_memory_id"]),
        ),
        (
            format!("supersede/{c}"),
            Some(json!({"title": "no content"})),
            json!(["body", "content"]),
        ),
        (
            format!("supersede/{c}"),
            Some(json!({"content": "x", "type": "bogus"})),
            json!(["body", "type"]),
        ),
    ] {
        let r = app.post_as("bot", &token, &route, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{route}: {}",
            r.text
        );
        assert_eq!(r.body["detail"][0]["loc"], loc, "{route}");
    }
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("supersede/{c}"),
            Some(json!({"content": "x".repeat(10_001)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.body["detail"]["error"], "text_too_long");
    assert_eq!(count().await, before);
}

#[tokio::test]
async fn patch_keeps_the_id_and_reindexes() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let id = store(
        &app,
        &token,
        "The launch is on Monday",
        &[("tags", "alpha"), ("title", "Launch")],
    )
    .await;
    let r = app
        .patch(format!("/api/v2/agents/bot/memories/{id}"))
        .key()
        .token(&token)
        .json(json!({"content": "The release happens on Thursday", "tags": ["beta", "beta "], "confidence": 0.4, "type": "Event", "ignored": 1}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"agent_id": "bot", "session_id": r.body["session_id"], "namespace": "memanto_agent_bot",
               "memory_id": id, "status": "updated", "action": "updated",
               "updated_fields": ["content", "type", "confidence", "tags"]})
    );
    assert_eq!(
        app.recall("bot", &token, &[("query", "Monday")]).await["count"],
        0
    );
    let found = app.recall("bot", &token, &[("query", "Thursday")]).await;
    assert_eq!(found["count"], 1);
    let m = &found["memories"][0];
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["content"], "The release happens on Thursday");
    assert_eq!(m["title"], "Launch");
    assert_eq!(m["type"], "event");
    assert_eq!(m["confidence"], 0.4);
    assert_eq!(m["tags"], json!(["beta"]));
    assert!(m["updated_at"].as_str() > m["created_at"].as_str());
    assert_eq!(
        app.recall("bot", &token, &[("query", "Thursday"), ("tags", "alpha")])
            .await["count"],
        0
    );
    assert_eq!(
        app.recall("bot", &token, &[("query", "Thursday"), ("tags", "beta")])
            .await["count"],
        1
    );
    // Blank title: back to the default title of the content. Title words are searchable.
    let r = app
        .patch(format!("/api/v2/agents/bot/memories/{id}"))
        .key()
        .token(&token)
        .json(json!({"title": " ", "source": "editor", "provenance": "corrected"}))
        .send()
        .await;
    assert_eq!(
        r.body["updated_fields"],
        json!(["title", "source", "provenance"])
    );
    let m = &app.recall("bot", &token, &[("query", "Thursday")]).await["memories"][0];
    assert_eq!(
        (
            m["title"].clone(),
            m["source"].clone(),
            m["provenance"].clone()
        ),
        (
            json!("The release happens on Thursday"),
            json!("editor"),
            json!("corrected")
        )
    );

    let patch = |body: Value, mid: &str| {
        app.patch(format!("/api/v2/agents/bot/memories/{mid}"))
            .key()
            .token(&token)
            .json(body)
            .send()
    };
    assert_eq!(
        patch(json!({"content": "x"}), "ghost").await.body,
        not_found("bot", "ghost")
    );
    for body in [
        json!({}),
        json!({"nothing": true}),
        json!({"content": ""}),
        json!({"confidence": 1.5}),
        json!({"type": "nope"}),
        json!({"tags": 3}),
    ] {
        let r = patch(body.clone(), &id).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
    }
    let r = app
        .patch(format!("/api/v2/agents/bot/memories/{id}"))
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = patch(json!({"content": "y".repeat(10_001)}), &id).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn delete_removes_it_from_every_recall() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let gone = store(&app, &token, "The vault code is 1234", &[]).await;
    let kept = store(&app, &token, "The vault is in the basement", &[]).await;
    let r = app
        .delete(format!("/api/v2/agents/bot/memories/{gone}"))
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"agent_id": "bot", "memory_id": gone, "namespace": "memanto_agent_bot", "status": "deleted"})
    );
    for (route, q) in [
        ("recall", vec![("query", "vault code")]),
        (
            "recall/as-of",
            vec![("query", "vault code"), ("as_of", "2999-01-01")],
        ),
        ("recall/current", vec![("query", "vault code")]),
        ("recall/changed-since", vec![("since", "2000-01-01")]),
    ] {
        let body = app.get_ok("bot", &token, route, &q).await;
        assert_eq!(body["count"], 1, "{route}");
        assert_eq!(body["memories"][0]["id"], kept.as_str(), "{route}");
    }
    assert_eq!(
        app.get("/api/v2/agents/bot").key().send().await.body["memory_count"],
        1
    );
    let r = app
        .delete(format!("/api/v2/agents/bot/memories/{gone}"))
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, not_found("bot", &gone));
    let r = app
        .delete(format!("/api/v2/agents/bot/memories/{kept}"))
        .key()
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
