//! 0.2.x `recall/recent` and `recall/all`: order, filters, `total_available`, limits.

mod common;

use axum::http::StatusCode;
use common::App;
use memanto_protocol::wire::TemporalBody;
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn ok(app: &App, token: &str, route: &str, body: Value) -> Value {
    let r = app.post_as("bot", token, route, Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{route} {body}: {}", r.text);
    r.body
}

#[tokio::test]
async fn newest_first_with_filters_and_totals() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let mut stored = Vec::new();
    for (content, mtype, tags) in [
        ("Alice likes tea", "preference", "drinks"),
        ("Ship the release on Friday", "goal", "work,release"),
        ("The build server is slow", "fact", "work"),
        ("Bob prefers coffee", "preference", "drinks,people"),
    ] {
        let r = app
            .remember(
                "bot",
                &token,
                content,
                &[("memory_type", mtype), ("tags", tags)],
            )
            .await;
        stored.push(r["memory_id"].as_str().unwrap().to_owned());
    }
    let newest_first: Vec<String> = stored.iter().rev().cloned().collect();

    let r = ok(&app, &token, "recall/recent", json!({})).await;
    assert_eq!(ids(&r), newest_first);
    assert_eq!(r["count"], 4);
    assert_eq!(r["total_available"], 4);
    assert_eq!(r["temporal_mode"], "recent");
    assert!(r["as_of_date"].is_null() && r["since_date"].is_null());
    assert_eq!(r["agent_id"], "bot");
    assert!(r["session_id"].as_str().unwrap().starts_with("sess_"));
    assert_eq!(r["memories"][0]["content"], "Bob prefers coffee");
    assert_eq!(r["memories"][0]["tags"], json!(["drinks", "people"]));

    // The SDK's wire struct is a valid body.
    let body = serde_json::to_value(TemporalBody {
        limit: Some(2),
        ..TemporalBody::default()
    })
    .unwrap();
    let r = ok(&app, &token, "recall/recent", body).await;
    assert_eq!(ids(&r), newest_first[..2]);
    assert_eq!(
        (r["count"].clone(), r["total_available"].clone()),
        (json!(2), json!(4))
    );

    let r = ok(
        &app,
        &token,
        "recall/recent",
        json!({"type": ["preference"]}),
    )
    .await;
    assert_eq!(ids(&r), vec![stored[3].clone(), stored[0].clone()]);
    let r = ok(
        &app,
        &token,
        "recall/recent",
        json!({"type": ["goal", "fact"], "limit": 1}),
    )
    .await;
    assert_eq!(
        (ids(&r), r["total_available"].clone()),
        (vec![stored[2].clone()], json!(2))
    );
    // Tags: any listed tag matches.
    let r = ok(
        &app,
        &token,
        "recall/recent",
        json!({"tags": ["release", "people"]}),
    )
    .await;
    assert_eq!(ids(&r), vec![stored[3].clone(), stored[1].clone()]);
    let r = ok(
        &app,
        &token,
        "recall/recent",
        json!({"tags": [" work "], "type": ["fact"]}),
    )
    .await;
    assert_eq!(ids(&r), vec![stored[2].clone()]);

    // Creation bounds are inclusive; a date-only `created_before` is the end of that day.
    let first_at = r["memories"][0]["created_at"].as_str().unwrap().to_owned();
    let r = ok(
        &app,
        &token,
        "recall/recent",
        json!({"created_after": first_at, "created_before": first_at}),
    )
    .await;
    assert_eq!(ids(&r), vec![stored[2].clone()]);
    let today = first_at[..10].to_owned();
    let r = ok(
        &app,
        &token,
        "recall/recent",
        json!({"created_after": today, "created_before": today}),
    )
    .await;
    assert_eq!(r["count"], 4);
    let r = ok(
        &app,
        &token,
        "recall/recent",
        json!({"created_before": "2000-01-01"}),
    )
    .await;
    assert_eq!(r["count"], 0);
    let r = ok(
        &app,
        &token,
        "recall/recent",
        json!({"created_after": "2999-01-01T00:00:00+02:00"}),
    )
    .await;
    assert_eq!(r["count"], 0);

    // Status.
    let r = app
        .post_as(
            "bot",
            &token,
            &format!("memories/{}/expire", stored[1]),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = ok(&app, &token, "recall/recent", json!({"status": "expired"})).await;
    assert_eq!(ids(&r), vec![stored[1].clone()]);
    assert_eq!(r["memories"][0]["status"], "expired");
    assert_eq!(r["memories"][0]["expired_by"], "manual");
    let r = ok(&app, &token, "recall/recent", json!({"status": "active"})).await;
    assert_eq!(
        (r["count"].clone(), r["total_available"].clone()),
        (json!(3), json!(3))
    );
    let r = ok(&app, &token, "recall/all", json!({"status": null})).await;
    assert_eq!(ids(&r), newest_first);
}

#[tokio::test]
async fn all_has_no_cap_and_recent_has_one() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let memories: Vec<Value> = (0..100)
        .map(|i| json!({"content": format!("Batch note number {i}")}))
        .collect();
    for _ in 0..2 {
        let r = app
            .post_as(
                "bot",
                &token,
                "batch-remember",
                Some(json!({"memories": memories})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = ok(&app, &token, "recall/all", json!({})).await;
    assert_eq!(
        (r["count"].clone(), r["total_available"].clone()),
        (json!(200), json!(200))
    );
    assert_eq!(r["temporal_mode"], "recent");
    let r = ok(&app, &token, "recall/all", json!({"limit": 101})).await;
    assert_eq!(
        (r["count"].clone(), r["total_available"].clone()),
        (json!(101), json!(200))
    );
    let r = ok(&app, &token, "recall/recent", json!({})).await;
    assert_eq!(
        (r["count"].clone(), r["total_available"].clone()),
        (json!(10), json!(200))
    );

    let r = app
        .post_as("bot", &token, "recall/recent", Some(json!({"limit": 101})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["detail"]["error"], "k_too_large");
    assert_eq!(r.body["detail"]["actual_k"], 101);
}

#[tokio::test]
async fn recent_validation() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    for route in ["recall/recent", "recall/all"] {
        // The body is required, as on 0.2.30.
        let r = app.post_as("bot", &token, route, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{route}");
        assert_eq!(r.body["detail"][0]["type"], "missing");
        for (body, loc, kind) in [
            (
                json!({"limit": 0}),
                json!(["body", "limit"]),
                "greater_than_equal",
            ),
            (json!({"limit": "x"}), json!(["body", "limit"]), "int_type"),
            (
                json!({"type": ["Fact"]}),
                json!(["body", "type", 0]),
                "enum",
            ),
            (
                json!({"type": "fact"}),
                json!(["body", "type"]),
                "list_type",
            ),
            (
                json!({"tags": ["has space"]}),
                json!(["body", "tags", 0]),
                "value_error",
            ),
            (json!({"status": "gone"}), json!(["body", "status"]), "enum"),
            (
                json!({"created_after": "yesterday"}),
                json!(["body", "created_after"]),
                "value_error",
            ),
            (
                json!({"created_before": 20250101}),
                json!(["body", "created_before"]),
                "value_error",
            ),
        ] {
            let r = app.post_as("bot", &token, route, Some(body.clone())).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{route} {body}: {}",
                r.text
            );
            assert_eq!(r.body["detail"][0]["loc"], loc, "{body}");
            assert_eq!(r.body["detail"][0]["type"], kind, "{body}");
        }
        let r = app
            .post_as(
                "bot",
                &token,
                route,
                Some(json!({"created_before": 20250101})),
            )
            .await;
        assert_eq!(
            r.body["detail"][0]["msg"],
            "Value error, Cannot parse temporal recall bound from <class 'int'>"
        );
        let r = app
            .post_as(
                "bot",
                &token,
                route,
                Some(json!({"created_after": "yesterday"})),
            )
            .await;
        assert_eq!(
            r.body["detail"][0]["msg"],
            "Value error, Invalid value 'yesterday'. Use YYYY-MM-DD or ISO 8601 datetime."
        );
    }
}
