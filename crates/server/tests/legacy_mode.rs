//! Legacy (0.0.8) mode: the 0.0.x route set only, with the internal `/api/v1/memory` update
//! and delete; Both mode serves the union.

mod common;

use axum::http::{Method, StatusCode};
use common::App;
use serde_json::json;

#[tokio::test]
async fn zero_two_routes_are_absent() {
    let app = App::legacy();
    let tok = app.agent_with_session("bot").await;
    let id = app.remember("bot", &tok, "hello", &[]).await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for method in [Method::PATCH, Method::DELETE] {
        let r = app
            .call(method.clone(), format!("/api/v2/agents/bot/memories/{id}"))
            .key()
            .token(&tok)
            .json(json!({"content": "x"}))
            .send()
            .await;
        assert_eq!(
            (r.status, &r.body),
            (StatusCode::NOT_FOUND, &json!({"detail": "Not Found"})),
            "{method}"
        );
    }
    for route in ["recall", "recall/as-of", "recall/changed-since"] {
        let r = app
            .post_as("bot", &tok, route, Some(json!({"query": "x"})))
            .await;
        assert_eq!(
            (r.status, &r.body),
            (
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({"detail": "Method Not Allowed"})
            ),
            "{route}"
        );
    }
    let r = app.get("/api/v2/status").key().send().await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The 0.0 routes are all there.
    assert_eq!(
        app.get("/api/v2/session/current")
            .key()
            .token(&tok)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.recall("bot", &tok, &[("query", "hello")]).await["count"],
        1
    );
    // Legacy sessions: a second activation does not revoke the first.
    let (second, _) = app.activate("bot").await;
    assert_eq!(
        app.recall("bot", &tok, &[("query", "hello")]).await["count"],
        1
    );
    assert_eq!(
        app.recall("bot", &second, &[("query", "hello")]).await["count"],
        1
    );
}

#[tokio::test]
async fn v1_memory_update_and_delete() {
    let app = App::legacy();
    let tok = app.agent_with_session("bot").await;
    let id = app
        .remember("bot", &tok, "the old text", &[("memory_type", "goal")])
        .await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("/api/v1/memory/{id}");
    let body = json!({"namespace": "memanto_agent_bot", "updates": {"content": "the new text", "tags": ["x"], "ttl_seconds": 5}});
    let r = app.patch(&url).json(body.clone()).send().await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "key only");
    let r = app.patch(&url).key().json(body).send().await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], id.as_str());
    assert_eq!(r.body["namespace"], "memanto_agent_bot");
    assert_eq!(r.body["action"], "updated");
    assert_eq!(
        r.body["updated_fields"],
        json!(["content", "tags", "ttl_seconds"])
    );
    let found = app.recall("bot", &tok, &[("query", "new")]).await;
    assert_eq!(found["memories"][0]["content"], "the new text");
    assert_eq!(found["memories"][0]["tags"], json!(["x"]));
    assert_eq!(found["memories"][0]["type"], "goal");

    let r = app
        .patch("/api/v1/memory/nope")
        .key()
        .json(json!({"namespace": "memanto_agent_bot", "updates": {"title": "t"}}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.error(), "MemoryError");
    assert_eq!(
        r.message(),
        "Failed to update memory: Memory nope not found in namespace memanto_agent_bot"
    );
    let r = app
        .patch(&url)
        .key()
        .json(json!({"updates": {}}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app.delete(&url).key().send().await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "namespace is required"
    );
    let r = app
        .delete(format!("{url}?namespace=memanto_agent_bot"))
        .key()
        .send()
        .await;
    assert_eq!(
        (r.status, &r.body),
        (
            StatusCode::OK,
            &json!({"message": "Memory deleted successfully"})
        )
    );
    let r = app
        .delete(format!("{url}?namespace=memanto_agent_bot"))
        .key()
        .send()
        .await;
    assert_eq!(
        (r.status, r.body),
        (StatusCode::NOT_FOUND, json!({"detail": "Memory not found"}))
    );
    assert_eq!(
        app.recall("bot", &tok, &[("query", "new")]).await["count"],
        0
    );
}

#[tokio::test]
async fn both_mode_serves_the_union() {
    let app = App::new();
    let tok = app.agent_with_session("bot").await;
    let id = app.remember("bot", &tok, "hello world", &[]).await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // 0.0 GET recall and 0.2 POST recall on the same path.
    assert_eq!(
        app.recall("bot", &tok, &[("query", "hello")]).await["count"],
        1
    );
    let r = app
        .post_as("bot", &tok, "recall", Some(json!({"query": "hello"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["memories"][0]["id"], id.as_str());
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall/as-of",
            Some(json!({"as_of": "2999-01-01"})),
        )
        .await;
    assert_eq!(r.body["count"], 1);
    let r = app
        .post_as(
            "bot",
            &tok,
            "recall/changed-since",
            Some(json!({"since": "2000-01-01"})),
        )
        .await;
    assert_eq!(r.body["memories"][0]["change_type"], "created");
    assert_eq!(
        app.get("/api/v2/status").key().send().await.body["agent_id"],
        "bot"
    );
    // v2 PATCH and the v1 route both work.
    let r = app
        .patch(format!("/api/v2/agents/bot/memories/{id}"))
        .key()
        .token(&tok)
        .json(json!({"title": "t2"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = app
        .delete(format!("/api/v1/memory/{id}?namespace=memanto_agent_bot"))
        .key()
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Legacy session semantics: extend and the 0.0 routes remain.
    assert_eq!(
        app.post("/api/v2/session/extend")
            .key()
            .token(&tok)
            .send()
            .await
            .status,
        StatusCode::OK
    );
}
