//! The in-memory search index: it follows every kind of write, and ranks an agent's memories
//! by that agent's memories only.

mod common;

use axum::http::StatusCode;
use common::App;
use serde_json::{json, Value};

fn contents(body: &Value) -> Vec<String> {
    body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_follows_every_write() {
    let app = App::new();
    let t = app.agent_with_session("bot").await;
    let first = app.remember("bot", &t, "alpha bravo", &[]).await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The first search builds the agent's index from its rows.
    assert_eq!(
        contents(&app.recall("bot", &t, &[("query", "alpha")]).await),
        ["alpha bravo"]
    );

    // Inserts (single and batch) are searchable as soon as the write has answered.
    let second = app.remember("bot", &t, "alpha charlie alpha", &[]).await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post("/api/v2/agents/bot/batch-remember")
        .key()
        .token(&t)
        .json(json!({"memories": [{"content": "golf hotel"}, {"content": "golf india", "tags": ["juliet"]}]}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let found = app.recall("bot", &t, &[("query", "alpha")]).await;
    assert_eq!(contents(&found), ["alpha charlie alpha", "alpha bravo"]);
    assert_eq!(found["total_available"], 2);
    assert_eq!(
        app.recall("bot", &t, &[("query", "golf juliet")]).await["count"],
        2
    );
    assert_eq!(
        contents(
            &app.recall("bot", &t, &[("query", "golf"), ("tags", "juliet")])
                .await
        ),
        ["golf india"]
    );

    // An update re-indexes the new text.
    let r = app
        .patch(format!("/api/v2/agents/bot/memories/{first}"))
        .key()
        .token(&t)
        .json(json!({"content": "delta echo"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        contents(&app.recall("bot", &t, &[("query", "alpha")]).await),
        ["alpha charlie alpha"]
    );
    assert_eq!(
        contents(&app.recall("bot", &t, &[("query", "echo")]).await),
        ["delta echo"]
    );

    // A change of the filtered fields only (supersede) is seen by the filters.
    let r = app
        .post(format!("/api/v2/agents/bot/supersede/{second}"))
        .key()
        .token(&t)
        .json(json!({"content": "kilo lima"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let current = app
        .get(format!(
            "/api/v2/agents/bot/recall/current{}",
            common::qs(&[("query", "alpha kilo")])
        ))
        .key()
        .token(&t)
        .send()
        .await;
    assert_eq!(contents(&current.body), ["kilo lima"]);

    // A delete removes it.
    let r = app
        .delete(format!("/api/v2/agents/bot/memories/{second}"))
        .key()
        .token(&t)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.recall("bot", &t, &[("query", "alpha")]).await["count"],
        0
    );
}

#[tokio::test]
async fn ranking_uses_the_agents_own_memories_only() {
    let app = App::new();
    let one = app.agent_with_session("one").await;
    let two = app.agent_with_session("two").await;
    app.remember("one", &one, "the deploy runs nightly", &[])
        .await;
    app.remember("one", &one, "lunch is at noon", &[]).await;
    let scores = |body: Value| -> Vec<f64> {
        body["memories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["score"].as_f64().unwrap())
            .collect()
    };
    let before = scores(app.recall("one", &one, &[("query", "deploy lunch")]).await);
    assert_eq!(before.len(), 2);
    let many: Vec<Value> = (0..60)
        .map(|i| json!({"content": format!("deploy number {i}")}))
        .collect();
    let r = app
        .post("/api/v2/agents/two/batch-remember")
        .key()
        .token(&two)
        .json(json!({"memories": many}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        app.recall("two", &two, &[("query", "deploy")]).await["total_available"],
        60
    );
    let after = scores(app.recall("one", &one, &[("query", "deploy lunch")]).await);
    assert_eq!(
        before, after,
        "another agent's memories must not change this agent's scores"
    );
}

#[tokio::test]
async fn deleting_a_memory_deletes_its_tag_rows() {
    let app = App::new();
    let t = app.agent_with_session("bot").await;
    let id = app.remember("bot", &t, "tagged", &[("tags", "a,b")]).await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tag_rows = || -> i64 {
        rusqlite::Connection::open(app.state.db_path())
            .unwrap()
            .query_row("SELECT COUNT(*) FROM memory_tags", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(tag_rows(), 2);
    let r = app
        .delete(format!("/api/v2/agents/bot/memories/{id}"))
        .key()
        .token(&t)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(tag_rows(), 0);
}
