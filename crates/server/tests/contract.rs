//! The wire contract round trip: what the LocalServer sends in each generation is read by the
//! client's protocol structs (`memanto_protocol::wire`) without losing a field, and what the
//! client's request structs send is what the server accepts.

mod common;

use axum::http::StatusCode;
use common::App;
use memanto_protocol::wire::{
    RecallBody, RecallResponse, RememberBody, ServiceInfo, SessionInfo, SessionObject,
    TemporalBody, TemporalResponse,
};
use memanto_protocol::Generation;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Parse `body` as `T`, and check that writing `T` back keeps every non-null field of the body
/// with its value (unknown fields included, through `extra`).
fn read<T: DeserializeOwned + Serialize>(body: &Value) -> T {
    let typed: T = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("the client's struct cannot read {body}: {e}"));
    let back = serde_json::to_value(&typed).unwrap();
    keeps(body, &back, "");
    typed
}

fn keeps(sent: &Value, read: &Value, at: &str) {
    match (sent, read) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                if v.is_null() {
                    continue;
                }
                let got = b.get(k).unwrap_or_else(|| panic!("{at}.{k} was dropped"));
                keeps(v, got, &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                keeps(x, y, &format!("{at}[{i}]"));
            }
        }
        (a, b) => assert_eq!(a, b, "{at}"),
    }
}

#[tokio::test]
async fn current_generation_round_trip() {
    let app = App::current();
    let info: ServiceInfo = read(&app.get("/").send().await.body);
    assert_eq!(
        info.version.as_deref().and_then(Generation::of_version),
        Some(Generation::Current)
    );
    app.create_agent("bot").await;
    let (token, session) = app.activate("bot").await;
    let session: SessionObject = read(&session);
    assert_eq!(session.session_token.as_deref(), Some(token.as_str()));
    let remember = RememberBody {
        content: "Alex prefers oat milk".into(),
        memory_type: Some("preference".into()),
        tags: vec!["drinks".into()],
        ..Default::default()
    };
    let r = app
        .post_as(
            "bot",
            &token,
            "remember",
            Some(serde_json::to_value(&remember).unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let recall = RecallBody {
        query: "oat milk".into(),
        status: Some("active".into()),
        ..Default::default()
    };
    let r = app
        .post_as(
            "bot",
            &token,
            "recall",
            Some(serde_json::to_value(&recall).unwrap()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let found: RecallResponse = read(&r.body);
    assert_eq!(found.memories.len(), 1);
    let m = &found.memories[0];
    assert_eq!(m.content.as_deref(), Some("Alex prefers oat milk"));
    assert_eq!(m.memory_type.as_deref(), Some("preference"));
    assert_eq!(m.tags, ["drinks"]);
    assert_eq!(m.status.as_deref(), Some("active"));
    assert!(m.score.is_some_and(|s| s > 0.0));
    assert!(
        m.extra.is_empty(),
        "0.2 items have no fields outside the struct: {:?}",
        m.extra
    );
    let since = TemporalBody {
        since: Some("2000-01-01".into()),
        ..Default::default()
    };
    let r = app
        .post_as(
            "bot",
            &token,
            "recall/changed-since",
            Some(serde_json::to_value(&since).unwrap()),
        )
        .await;
    let changed: TemporalResponse = read(&r.body);
    assert_eq!(changed.temporal_mode.as_deref(), Some("changed_since"));
    assert_eq!(changed.memories[0].change_type.as_deref(), Some("created"));
    let r = app.get("/api/v2/status").send().await;
    let status: SessionInfo = read(&r.body);
    assert_eq!(status.session_id, session.session_id);
    assert!(status
        .time_remaining_seconds
        .as_ref()
        .and_then(|n| n.as_i64())
        .is_some_and(|s| s > 0));
}

#[tokio::test]
async fn legacy_generation_round_trip() {
    let app = App::legacy();
    let info: ServiceInfo = read(&app.get("/").send().await.body);
    assert_eq!(
        info.version.as_deref().and_then(Generation::of_version),
        Some(Generation::Legacy)
    );
    let token = app.agent_with_session("bot").await;
    app.remember(
        "bot",
        &token,
        "The office is in Lisbon",
        &[("tags", "office")],
    )
    .await;
    let body = app.recall("bot", &token, &[("query", "office")]).await;
    let found: RecallResponse = read(&body);
    let m = &found.memories[0];
    assert_eq!(m.content.as_deref(), Some("The office is in Lisbon"));
    assert_eq!(m.tags, ["office"]);
    // 0.0.x trust fields are kept in `extra`, not lost.
    assert!(m.extra.contains_key("validation_count"), "{:?}", m.extra);
    let r = app
        .get("/api/v2/session/current")
        .key()
        .token(&token)
        .send()
        .await;
    let current: SessionInfo = read(&r.body);
    assert_eq!(current.agent_id.as_deref(), Some("bot"));
}
