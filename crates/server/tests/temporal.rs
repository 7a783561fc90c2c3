//! Temporal recall (as-of, changed-since, current), `total_available`, and filters.

mod common;

use axum::http::StatusCode;
use chrono::{DateTime, DurationRound, FixedOffset, TimeDelta, Utc};
use common::{qs, App};
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

fn ts(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// The next whole second at or after `t`.
fn ceil_second(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = t.duration_trunc(TimeDelta::seconds(1)).unwrap();
    if floor == t {
        t
    } else {
        floor + TimeDelta::seconds(1)
    }
}

/// `t` written as `Z`, `+02:00` and naive (all whole seconds).
fn spellings(t: DateTime<Utc>) -> [String; 3] {
    let plus2 = t.with_timezone(&FixedOffset::east_opt(7200).unwrap());
    [
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        plus2.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        t.format("%Y-%m-%dT%H:%M:%S").to_string(),
    ]
}

#[tokio::test]
async fn supersede_then_as_of_current_and_changed_since() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let a = app
        .remember(
            "bot",
            &token,
            "The office is in Berlin",
            &[("confidence", "0.9")],
        )
        .await;
    let a_id = a["memory_id"].as_str().unwrap().to_owned();
    let created_a = ts(&a["created_at"]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let r = app
        .post_as(
            "bot",
            &token,
            &format!("supersede/{a_id}"),
            Some(json!({"content": "The office moved to Munich", "tags": ["office"], "confidence": 0.7})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b_id = r.body["new_memory_id"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&b_id).is_ok());
    assert_eq!(r.body["old_memory_id"], a_id.as_str());
    assert_eq!(r.body["agent_id"], "bot");
    assert_eq!(r.body["status"], "superseded");
    assert_eq!(
        r.body["message"],
        format!("Memory {a_id} superseded by {b_id}")
    );
    let superseded_at = ts(&r.body["superseded_at"]);
    assert!(superseded_at >= created_a + TimeDelta::milliseconds(1100));
    let session_id = r.body["session_id"].clone();

    let as_of = |at: String| {
        let app = &app;
        let token = token.clone();
        async move {
            app.get_ok(
                "bot",
                &token,
                "recall/as-of",
                &[("query", "office"), ("as_of", &at)],
            )
            .await
        }
    };
    // Before the supersede: only A (B did not exist yet), in every spelling.
    let before = ceil_second(created_a);
    assert!(before < superseded_at);
    for at in spellings(before)
        .into_iter()
        .chain([a["created_at"].as_str().unwrap().to_owned()])
    {
        let body = as_of(at.clone()).await;
        assert_eq!(ids(&body), vec![a_id.clone()], "{at}");
        assert_eq!(body["as_of_date"], at.as_str());
        assert_eq!(body["count"], 1);
        assert_eq!(body["total_available"], 1);
        assert_eq!(body["temporal_mode"], "as_of");
        assert_eq!(body["query"], "office");
        assert_eq!(body["session_id"], session_id);
        assert_eq!(
            body["note"],
            "Showing memories valid at the specified point in time"
        );
    }
    // At and after the supersede: only B.
    let after = ceil_second(superseded_at);
    let day = superseded_at.format("%Y-%m-%d").to_string();
    for at in spellings(after).into_iter().chain([
        r.body["superseded_at"].as_str().unwrap().to_owned(),
        day.clone(),
    ]) {
        assert_eq!(ids(&as_of(at.clone()).await), vec![b_id.clone()], "{at}");
    }
    // A date-only value before anything existed: nothing.
    let day_before = (superseded_at - TimeDelta::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let body = as_of(day_before).await;
    assert_eq!(
        (body["count"].clone(), body["memories"].clone()),
        (json!(0), json!([]))
    );

    // Plain recall still has both, with the trust fields.
    let all = app.recall("bot", &token, &[("query", "office")]).await;
    assert_eq!(all["count"], 2);
    let item = |id: &str| {
        all["memories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap()
            .clone()
    };
    let (ia, ib) = (item(&a_id), item(&b_id));
    assert_eq!(ia["status"], "superseded");
    assert_eq!(ia["superseded_by"], b_id.as_str());
    assert_eq!(ia["superseded_at"], r.body["superseded_at"]);
    assert_eq!(ia["updated_at"], r.body["superseded_at"]);
    assert_eq!(ib["status"], "active");
    assert_eq!(ib["supersedes"], a_id.as_str());
    assert_eq!(ib["created_at"], r.body["superseded_at"]);
    assert_eq!(ib["tags"], json!(["office"]));
    assert_eq!(ib["source"], "agent");
    assert!(ib["superseded_by"].is_null() && ia["supersedes"].is_null());

    // Current: B only.
    let cur = app
        .get_ok("bot", &token, "recall/current", &[("query", "office")])
        .await;
    assert_eq!(ids(&cur), vec![b_id.clone()]);
    assert_eq!(cur["temporal_mode"], "current_only");
    assert_eq!(cur["total_available"], 1);
    assert_eq!(
        cur["note"],
        "Excludes superseded, expired, and deleted memories"
    );
    assert!(cur["memories"][0].get("_warning").is_none());

    // Changed since A was stored: B created, A updated (newest change first).
    let since = a["created_at"].as_str().unwrap();
    let ch = app
        .get_ok("bot", &token, "recall/changed-since", &[("since", since)])
        .await;
    assert_eq!(ids(&ch), vec![b_id.clone(), a_id.clone()]);
    assert_eq!(ch["memories"][0]["change_type"], "created");
    assert_eq!(ch["memories"][1]["change_type"], "updated");
    assert!(ch["memories"][0]["score"].is_null());
    assert_eq!(ch["since_date"], since);
    assert_eq!(ch["temporal_mode"], "changed_since");
    assert_eq!(ch["total_available"], 2);
    assert_eq!(
        ch["note"],
        "Showing memories created or updated since the specified date"
    );
    assert!(ch.get("query").is_none());
    // Since a date: everything was created then.
    let ch = app
        .get_ok("bot", &token, "recall/changed-since", &[("since", &day)])
        .await;
    assert_eq!(ch["count"], 2);
    assert!(ch["memories"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["change_type"] == "created"));
    // Since the supersede itself: nothing changed after it.
    let ch = app
        .get_ok(
            "bot",
            &token,
            "recall/changed-since",
            &[("since", r.body["superseded_at"].as_str().unwrap())],
        )
        .await;
    assert_eq!(ch["count"], 0);
}

#[tokio::test]
async fn temporal_parameter_errors() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let get = |route: &str, q: &[(&str, &str)]| {
        app.get(format!("/api/v2/agents/bot/{route}{}", qs(q)))
            .key()
            .token(&token)
            .send()
    };
    for (route, q, loc) in [
        (
            "recall/as-of",
            vec![("query", "x"), ("as_of", "yesterday")],
            "as_of",
        ),
        (
            "recall/as-of",
            vec![("query", "x"), ("as_of", "2024-13-01")],
            "as_of",
        ),
        ("recall/as-of", vec![("query", "x")], "as_of"),
        ("recall/as-of", vec![("as_of", "2024-01-01")], "query"),
        ("recall/changed-since", vec![("since", "soon")], "since"),
        ("recall/changed-since", vec![], "since"),
        ("recall/current", vec![], "query"),
        (
            "recall/current",
            vec![("query", "x"), ("limit", "0")],
            "limit",
        ),
    ] {
        let r = get(route, &q).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{route} {q:?}");
        assert_eq!(r.body["detail"][0]["loc"], json!(["query", loc]), "{route}");
    }
    let r = get("recall/as-of", &[("query", "x"), ("as_of", "nope")]).await;
    assert_eq!(r.body["detail"][0]["type"], "datetime_from_date_parsing");
    assert_eq!(r.body["detail"][0]["input"], "nope");
    for route in ["recall/as-of", "recall/current"] {
        let r = get(
            route,
            &[("query", "x"), ("as_of", "2024-01-01"), ("limit", "101")],
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{route}");
        assert_eq!(r.body["detail"]["error"], "k_too_large");
        let long = "q".repeat(1001);
        let r = get(route, &[("query", &long), ("as_of", "2024-01-01")]).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{route}");
    }
    let r = get(
        "recall/changed-since",
        &[("since", "2024-01-01"), ("limit", "101")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"detail": {"error": "k_too_large", "message": "k exceeds maximum of 100", "actual_k": 101, "max_k": 100}})
    );
    // Key, token and agent scope come first.
    let r = app
        .get("/api/v2/agents/bot/recall/as-of?as_of=bad")
        .key()
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    app.create_agent("other").await;
    let r = app
        .get("/api/v2/agents/other/recall/changed-since?since=bad")
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body["detail"]["error"], "AuthorizationError");
}

/// 145 facts (`misc`) then, after a pause, 5 low-ranking decisions (`arch` + `even`/`odd`).
async fn corpus(app: &App, token: &str) -> String {
    let facts: Vec<Value> = (0..145)
        .map(|i| json!({"content": format!("project note {i}"), "type": "fact", "tags": ["misc"]}))
        .collect();
    for chunk in facts.chunks(100) {
        let r = app
            .post_as(
                "bot",
                token,
                "batch-remember",
                Some(json!({"memories": chunk})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let decisions: Vec<Value> = (0..5)
        .map(|i| {
            json!({
                "content": format!("project {} decision {i}", "filler words here ".repeat(20)),
                "type": "decision",
                "tags": ["arch", if i % 2 == 0 { "even" } else { "odd" }],
            })
        })
        .collect();
    let r = app
        .post_as(
            "bot",
            token,
            "batch-remember",
            Some(json!({"memories": decisions})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let found = app
        .recall(
            "bot",
            token,
            &[
                ("query", "decision"),
                ("memory_types", "decision"),
                ("limit", "1"),
            ],
        )
        .await;
    assert_eq!(found["total_available"], 5);
    found["memories"][0]["created_at"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn counts_and_filters_before_the_limit_on_every_route() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let decided_at = corpus(&app, &token).await;
    let routes: [(&str, Vec<(&str, &str)>); 4] = [
        ("recall", vec![("query", "project")]),
        (
            "recall/as-of",
            vec![("query", "project"), ("as_of", "2999-01-01")],
        ),
        ("recall/current", vec![("query", "project")]),
        ("recall/changed-since", vec![("since", "2000-01-01")]),
    ];
    for (route, base) in &routes {
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut q = base.clone();
            q.extend_from_slice(extra);
            q
        };
        // Capped vs complete.
        let body = app
            .get_ok("bot", &token, route, &with(&[("limit", "100")]))
            .await;
        assert_eq!(
            (body["count"].clone(), body["total_available"].clone()),
            (json!(100), json!(150)),
            "{route}"
        );
        let body = app.get_ok("bot", &token, route, &with(&[])).await;
        assert_eq!(
            (body["count"].clone(), body["total_available"].clone()),
            (json!(10), json!(150)),
            "{route}"
        );
        // A type that matches nothing.
        let body = app
            .get_ok("bot", &token, route, &with(&[("memory_types", "goal")]))
            .await;
        assert_eq!(
            (body["count"].clone(), body["total_available"].clone()),
            (json!(0), json!(0)),
            "{route}"
        );
        // Type AND tags, before the limit.
        let body = app
            .get_ok(
                "bot",
                &token,
                route,
                &with(&[
                    ("memory_types", "Decision,goal"),
                    ("tags", "arch, even"),
                    ("limit", "2"),
                ]),
            )
            .await;
        assert_eq!(
            (body["count"].clone(), body["total_available"].clone()),
            (json!(2), json!(3)),
            "{route}"
        );
        assert!(
            body["memories"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| { m["type"] == "decision" && m["tags"] == json!(["arch", "even"]) }),
            "{route}"
        );
    }
    // Recall: type + tags + date window + similarity combine.
    let body = app
        .recall(
            "bot",
            &token,
            &[
                ("query", "project"),
                ("created_after", &decided_at),
                ("limit", "100"),
            ],
        )
        .await;
    assert_eq!(body["total_available"], 5);
    let body = app
        .recall(
            "bot",
            &token,
            &[
                ("query", "project"),
                ("created_before", &decided_at),
                ("memory_types", "fact"),
                ("tags", "misc"),
                ("limit", "3"),
            ],
        )
        .await;
    assert_eq!(
        (body["count"].clone(), body["total_available"].clone()),
        (json!(3), json!(145))
    );
    let body = app
        .recall(
            "bot",
            &token,
            &[
                ("query", "project"),
                ("created_after", &decided_at),
                ("tags", "odd"),
                ("min_similarity", "0.0001"),
            ],
        )
        .await;
    assert_eq!(body["total_available"], 2);
    let body = app
        .recall(
            "bot",
            &token,
            &[
                ("query", "project"),
                ("created_after", &decided_at),
                ("min_similarity", "0.99"),
            ],
        )
        .await;
    assert_eq!(body["total_available"], 0);
}
