//! Current (0.2.30) mode: reads — recall, as-of, changed-since, answer (API-0.2 §5, §9.1, §11).

mod common;

use axum::http::StatusCode;
use common::{keys, App, ITEM_KEYS};
use serde_json::{json, Value};

#[tokio::test]
async fn recall_body_and_items() {
    let app = App::current();
    let tok = app.agent_with_session("bot").await;
    app.post_as(
        "bot",
        &tok,
        "remember",
        Some(json!({"content": "Alice likes green tea", "type": "preference", "tags": ["drinks"]})),
    )
    .await;
    app.post_as(
        "bot",
        &tok,
        "remember",
        Some(json!({"content": "Bob likes tea too"})),
    )
    .await;
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall",
            Some(json!({"query": "tea", "limit": 5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        keys(&r.body),
        ["agent_id", "count", "memories", "query", "session_id"]
    );
    assert_eq!(r.body["count"], 2);
    let item = &r.body["memories"][0];
    assert_eq!(keys(item), ITEM_KEYS);
    assert!(item["created_at"].as_str().unwrap().ends_with("+00:00"));
    assert!(item["score"].is_number());
    assert!(item["change_type"].is_null() && item["expired_at"].is_null());
    assert_eq!(item["agent_id"], "bot");
    assert_eq!(item["actor_id"], "bot");
    let only = |body: Value| {
        let app = &app;
        let tok = tok.clone();
        async move {
            let r = app.post_as("bot", &tok, "recall", Some(body.clone())).await;
            assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.text);
            r.body["memories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        only(json!({"query": "tea", "type": ["preference"]})).await,
        ["Alice likes green tea"]
    );
    assert_eq!(
        only(json!({"query": "tea", "tags": ["drinks"]})).await,
        ["Alice likes green tea"]
    );
    assert_eq!(
        only(json!({"query": "tea", "status": "active"}))
            .await
            .len(),
        2
    );
    assert!(only(json!({"query": "tea", "status": "expired"}))
        .await
        .is_empty());
    assert!(
        only(json!({"query": "tea", "created_before": "2000-01-01"}))
            .await
            .is_empty()
    );
    assert_eq!(
        only(
            json!({"query": "tea", "created_after": "2000-01-01", "created_before": "2999-12-31"})
        )
        .await
        .len(),
        2
    );

    let bad = [
        (json!({"query": "tea", "status": "gone"}), 422),
        (json!({"query": "tea", "tags": ["a b"]}), 422),
        (json!({"query": "tea", "type": ["nope"]}), 422),
        (json!({"query": "tea", "limit": 0}), 422),
        (json!({"query": " "}), 422),
        (json!({}), 422),
        (json!({"query": "tea", "created_after": "yesterday"}), 422),
        (json!({"query": "tea", "created_after": 12345}), 422),
        (json!({"query": "tea", "limit": 101}), 400),
        (json!({"query": "q".repeat(1001)}), 413),
    ];
    for (body, status) in bad {
        let r = app.post_as("bot", &tok, "recall", Some(body.clone())).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
    }
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall",
            Some(json!({"query": "tea", "created_after": 12345})),
        )
        .await;
    assert_eq!(
        r.body["detail"][0]["msg"],
        "Value error, Cannot parse temporal recall bound from <class 'int'>"
    );
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall",
            Some(json!({"query": "tea", "limit": 101})),
        )
        .await;
    assert_eq!(r.body["detail"]["error"], "k_too_large");
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall",
            Some(json!({"query": "q".repeat(1001)})),
        )
        .await;
    assert_eq!(r.body["detail"]["error"], "query_too_long");
}

#[tokio::test]
async fn as_of_and_changed_since() {
    let app = App::current();
    let tok = app.agent_with_session("bot").await;
    let id = app
        .post_as(
            "bot",
            &tok,
            "remember",
            Some(json!({"content": "first", "tags": ["a"]})),
        )
        .await
        .body["memory_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_as(
        "bot",
        &tok,
        "remember",
        Some(json!({"content": "second", "tags": ["b"]})),
    )
    .await;

    let r = app
        .post_as(
            "bot",
            &tok,
            "recall/as-of",
            Some(json!({"as_of": "2999-01-01"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        keys(&r.body),
        [
            "agent_id",
            "as_of_date",
            "count",
            "memories",
            "session_id",
            "since_date",
            "temporal_mode",
            "total_available"
        ]
    );
    assert_eq!(r.body["as_of_date"], "2999-01-01T23:59:59.999999+00:00");
    assert_eq!(r.body["temporal_mode"], "as_of");
    assert!(r.body["since_date"].is_null() && r.body["total_available"].is_null());
    assert_eq!(r.body["count"], 2);
    let item = &r.body["memories"][0];
    assert_eq!(keys(item), ITEM_KEYS);
    assert!(item["score"].is_null());
    assert_eq!(item["status"], "active");
    // Any listed tag matches.
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall/as-of",
            Some(json!({"as_of": "2999-01-01", "tags": ["a", "b"]})),
        )
        .await;
    assert_eq!(r.body["count"], 2);
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall/as-of",
            Some(json!({"as_of": "2000-01-01T10:00:00+02:00"})),
        )
        .await;
    assert_eq!(r.body["count"], 0);
    assert_eq!(r.body["as_of_date"], "2000-01-01T10:00:00+02:00");
    let r = app
        .post_as("bot", &tok, "recall/as-of", Some(json!({"limit": 3})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "missing");
    let r = app
        .post_as("bot", &tok, "recall/as-of", Some(json!({"as_of": 5})))
        .await;
    assert_eq!(
        r.body["detail"][0]["msg"],
        "Value error, Cannot parse as_of from <class 'int'>"
    );
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall/as-of",
            Some(json!({"as_of": "2999-01-01", "limit": 101})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = app
        .post_as(
            "bot",
            &tok,
            "recall/changed-since",
            Some(json!({"since": "2000-01-01"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["since_date"], "2000-01-01T00:00:00+00:00");
    assert_eq!(r.body["temporal_mode"], "changed_since");
    assert!(r.body["as_of_date"].is_null());
    assert_eq!(r.body["memories"][0]["change_type"], "created");
    assert_eq!(r.body["memories"][0]["content"], "second", "newest first");
    // After an edit, a bound between creation and edit reports `updated`.
    let between = r.body["memories"][0]["created_at"]
        .as_str()
        .unwrap()
        .to_owned();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = app
        .patch(format!("/api/v2/agents/bot/memories/{id}"))
        .token(&tok)
        .json(json!({"content": "first, edited"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall/changed-since",
            Some(json!({"since": between})),
        )
        .await;
    assert_eq!(r.body["count"], 1, "{}", r.text);
    assert_eq!(r.body["memories"][0]["change_type"], "updated");
    assert_eq!(
        r.body["memories"][0]["title"], "first",
        "the title is not re-derived"
    );
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall/changed-since",
            Some(json!({"since": "x"})),
        )
        .await;
    assert_eq!(
        r.body["detail"][0]["msg"],
        "Value error, Invalid value 'x'. Use YYYY-MM-DD or ISO 8601 datetime."
    );
}

#[tokio::test]
async fn answer_takes_its_options_in_the_body() {
    let app = App::current();
    let tok = app.agent_with_session("bot").await;
    app.post_as(
        "bot",
        &tok,
        "remember",
        Some(json!({"content": "The launch is on Friday"})),
    )
    .await;
    let r = app.post_as("bot", &tok, "answer", Some(json!({"question": "When is the launch?", "limit": 5, "temperature": 1.5, "ai_model": "x", "kiosk_mode": false}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        keys(&r.body),
        [
            "agent_id",
            "answer",
            "namespace",
            "question",
            "session_id",
            "sources"
        ]
    );
    assert!(r.body["answer"].as_str().unwrap().contains("Friday"));
    assert_eq!(keys(&r.body["sources"][0]), ITEM_KEYS);
    for body in [
        json!({"question": "x", "limit": 101}),
        json!({"question": "x", "limit": 0}),
        json!({"question": "x", "temperature": 2.5}),
        json!({"question": "  "}),
    ] {
        let r = app.post_as("bot", &tok, "answer", Some(body.clone())).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.text
        );
    }
    let r = app
        .post_as(
            "bot",
            &tok,
            "answer",
            Some(json!({"question": "q".repeat(1001)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}
