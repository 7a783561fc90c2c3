//! 0.2.x `remember/extract`: dry run, storing, validation, nothing found.

mod common;

use axum::http::StatusCode;
use common::App;
use memanto_protocol::wire::{ExtractBody, Message};
use serde_json::{json, Value};

fn conversation() -> Vec<Message> {
    let m = |role: &str, content: &str| Message {
        role: role.into(),
        content: content.into(),
    };
    vec![
        m(
            "user",
            "Hi! I prefer window seats on long flights. What can you do?",
        ),
        m("assistant", "I can remember your travel preferences."),
        m(
            "user",
            "My manager Dana approves all trips. The company card ends in 4242.",
        ),
        m("user", "I prefer window seats on long flights."),
    ]
}

#[tokio::test]
async fn dry_run_then_store() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let body = ExtractBody {
        messages: conversation(),
        dry_run: true,
        ..ExtractBody::default()
    };
    let r = app
        .post_as(
            "bot",
            &token,
            "remember/extract",
            Some(serde_json::to_value(&body).unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["dry_run"], true);
    assert_eq!(r.body["count"], 3);
    assert_eq!(r.body["agent_id"], "bot");
    let candidates = r.body["candidates"].clone();
    assert_eq!(
        candidates[0],
        json!({"type": "preference", "title": "I prefer window seats on long flights.",
               "content": "I prefer window seats on long flights.", "confidence": 0.8,
               "source": "system", "provenance": "inferred"})
    );
    assert_eq!(candidates[1]["type"], "relationship");
    assert_eq!(candidates[2]["content"], "The company card ends in 4242.");
    assert_eq!(candidates[2]["type"], "fact");
    let listed = app
        .post_as("bot", &token, "recall/all", Some(json!({})))
        .await;
    assert_eq!(listed.body["count"], 0, "a dry run stores nothing");

    let body = ExtractBody {
        messages: conversation(),
        max_memories: Some(2),
        ..ExtractBody::default()
    };
    let r = app
        .post_as(
            "bot",
            &token,
            "remember/extract",
            Some(serde_json::to_value(&body).unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["dry_run"], false);
    assert_eq!(r.body["candidates"], json!([candidates[0], candidates[1]]));
    assert_eq!(
        (
            r.body["total_submitted"].clone(),
            r.body["successful"].clone(),
            r.body["failed"].clone()
        ),
        (json!(2), json!(2), json!(0))
    );
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results[0]["action"], "store");
    assert_eq!(results[1]["type"], "relationship");
    let stored = app
        .post_as(
            "bot",
            &token,
            "recall/recent",
            Some(json!({"tags": ["conversation-extract"]})),
        )
        .await;
    assert_eq!(stored.body["count"], 2);
    let m = &stored.body["memories"][1];
    assert_eq!(m["id"], results[0]["id"]);
    assert_eq!(m["type"], "preference");
    assert_eq!(m["source"], "system");
    assert_eq!(m["provenance"], "inferred");
    assert_eq!(m["confidence"], 0.8);
    assert_eq!(m["tags"], json!(["conversation-extract"]));
    // Extracted memories are searchable like any other.
    let found = app
        .recall("bot", &token, &[("query", "window seats")])
        .await;
    assert_eq!(found["memories"][0]["id"], results[0]["id"]);
}

#[tokio::test]
async fn nothing_to_extract_is_a_clean_200() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let body = json!({"messages": [{"role": "user", "content": "Hello!"}, {"role": "assistant", "content": "Hi, how can I help you today?"}]});
    let r = app
        .post_as("bot", &token, "remember/extract", Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["candidates"], json!([]));
    assert_eq!(
        (r.body["total_submitted"].clone(), r.body["results"].clone()),
        (json!(0), json!([]))
    );
}

#[tokio::test]
async fn extract_validation() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let msg = json!({"role": "user", "content": "I like tea very much."});
    let many: Vec<Value> = (0..201).map(|_| msg.clone()).collect();
    for (body, loc, kind) in [
        (json!({}), json!(["body", "messages"]), "missing"),
        (
            json!({"messages": []}),
            json!(["body", "messages"]),
            "too_short",
        ),
        (
            json!({"messages": many}),
            json!(["body", "messages"]),
            "too_long",
        ),
        (
            json!({"messages": "hi"}),
            json!(["body", "messages"]),
            "list_type",
        ),
        (
            json!({"messages": [{"content": "x"}]}),
            json!(["body", "messages", 0, "role"]),
            "missing",
        ),
        (
            json!({"messages": [{"role": "", "content": "x"}]}),
            json!(["body", "messages", 0, "role"]),
            "string_too_short",
        ),
        (
            json!({"messages": [{"role": "u".repeat(51), "content": "x"}]}),
            json!(["body", "messages", 0, "role"]),
            "string_too_long",
        ),
        (
            json!({"messages": [{"role": "user", "content": "  "}]}),
            json!(["body", "messages", 0, "content"]),
            "value_error",
        ),
        (
            json!({"messages": [{"role": "user", "content": "x".repeat(10_001)}]}),
            json!(["body", "messages", 0, "content"]),
            "string_too_long",
        ),
        (
            json!({"messages": [msg], "max_memories": 0}),
            json!(["body", "max_memories"]),
            "greater_than_equal",
        ),
        (
            json!({"messages": [msg], "max_memories": 101}),
            json!(["body", "max_memories"]),
            "less_than_equal",
        ),
        (
            json!({"messages": [msg], "dry_run": "no"}),
            json!(["body", "dry_run"]),
            "bool_type",
        ),
    ] {
        let r = app
            .post_as("bot", &token, "remember/extract", Some(body.clone()))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{loc}: {}",
            r.text
        );
        assert_eq!(r.body["detail"][0]["loc"], loc);
        assert_eq!(r.body["detail"][0]["type"], kind, "{loc}");
    }
    let r = app.post_as("bot", &token, "remember/extract", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let listed = app
        .post_as("bot", &token, "recall/all", Some(json!({})))
        .await;
    assert_eq!(listed.body["count"], 0);
}
