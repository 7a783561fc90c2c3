//! 0.2.x daily summary and conflicts (generate → list → resolve).

mod common;

use axum::http::StatusCode;
use common::App;
use memanto_protocol::wire::{DateBody, ResolveConflictBody};
use serde_json::{json, Value};

async fn store(app: &App, token: &str, content: &str, mtype: &str, title: &str) -> String {
    app.remember(
        "bot",
        token,
        content,
        &[("memory_type", mtype), ("title", title)],
    )
    .await["memory_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

async fn conflicts(app: &App, token: &str) -> Value {
    app.get_ok("bot", token, "conflicts", &[]).await
}

async fn resolve(
    app: &App,
    token: &str,
    index: u64,
    action: &str,
    manual: Option<&str>,
) -> common::Resp {
    let body = ResolveConflictBody {
        conflict_index: index,
        action: action.into(),
        manual_content: manual.map(str::to_owned),
        ..ResolveConflictBody::default()
    };
    app.post_as(
        "bot",
        token,
        "conflicts/resolve",
        Some(serde_json::to_value(body).unwrap()),
    )
    .await
}

async fn all(app: &App, token: &str) -> Vec<Value> {
    let r = app
        .post_as("bot", token, "recall/all", Some(json!({})))
        .await;
    r.body["memories"].as_array().unwrap().clone()
}

#[tokio::test]
async fn daily_summary_counts_the_day() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let r = app.post_as("bot", &token, "daily-summary", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["summary"], json!({"status": "no_sessions"}));
    assert_eq!(
        r.body["export"],
        json!({"output_path": null, "total_memories": 0, "per_type_counts": {}})
    );

    store(&app, &token, "Standup is at 9:30", "event", "Standup").await;
    store(&app, &token, "The API uses JWT", "fact", "Auth").await;
    let (token2, _) = app.activate("bot").await;
    store(
        &app,
        &token2,
        "Rust is the main language",
        "fact",
        "Language",
    )
    .await;
    let r = app
        .post_as("bot", &token2, "daily-summary", Some(json!({})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let date = today();
    assert_eq!(r.body["date"], date.as_str());
    assert_eq!(r.body["agent_id"], "bot");
    let s = &r.body["summary"];
    assert_eq!(s["status"], "success");
    assert_eq!(s["sessions_count"], 2);
    assert_eq!(s["agent_id"], "bot");
    assert_eq!(s["date"], date.as_str());
    assert!(s["summary_path"].is_null());
    assert_eq!(
        s["text"],
        format!("Daily summary of agent 'bot' for {date}: 3 memories in 2 sessions.\n\nevent (1):\n- Standup\n\nfact (2):\n- Auth\n- Language")
    );
    assert_eq!(
        r.body["export"],
        json!({"output_path": null, "total_memories": 3, "per_type_counts": {"event": 1, "fact": 2}})
    );

    let body = serde_json::to_value(DateBody {
        date: Some("2000-01-01".into()),
    })
    .unwrap();
    let r = app
        .post_as("bot", &token2, "daily-summary", Some(body))
        .await;
    assert_eq!(r.body["summary"]["status"], "no_sessions");
    assert_eq!(r.body["export"]["total_memories"], 0);
    for bad in [json!("2026-1-01"), json!("yesterday"), json!(20260101)] {
        let r = app
            .post_as("bot", &token2, "daily-summary", Some(json!({"date": bad})))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.body, json!({"detail": "Invalid summary identifier"}));
    }
}

#[tokio::test]
async fn generate_list_and_resolve() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let berlin = store(
        &app,
        &token,
        "The office is in Berlin",
        "fact",
        "Office location",
    )
    .await;
    let tea = store(&app, &token, "User likes green tea", "preference", "Drink").await;
    let dog = store(&app, &token, "User has a dog named Rex", "fact", "Pet").await;
    store(
        &app,
        &token,
        "Deploys happen on Tuesdays",
        "fact",
        "Deploys",
    )
    .await;
    let munich = store(
        &app,
        &token,
        "The office is in Munich",
        "fact",
        "Office location",
    )
    .await;
    let coffee = store(
        &app,
        &token,
        "User likes strong coffee",
        "preference",
        "Drink",
    )
    .await;
    let no_dog = store(
        &app,
        &token,
        "User no longer has a dog named Rex",
        "fact",
        "Pet status",
    )
    .await;

    let r = conflicts(&app, &token).await;
    assert_eq!(
        (r["count"].clone(), r["conflicts"].clone()),
        (json!(0), json!([]))
    );
    let r = app.post_as("bot", &token, "conflicts/generate", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["date"], today().as_str());
    assert_eq!(
        r.body["conflicts"],
        json!({"status": "success", "json_path": null, "conflict_count": 3})
    );
    let r = conflicts(&app, &token).await;
    assert_eq!(r["count"], 3);
    let list = r["conflicts"].as_array().unwrap();
    let pairs: Vec<(&str, &str, &str, u64)> = list
        .iter()
        .map(|c| {
            (
                c["old_memory_id"].as_str().unwrap(),
                c["new_memory_id"].as_str().unwrap(),
                c["type"].as_str().unwrap(),
                c["index"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            (berlin.as_str(), munich.as_str(), "update", 0),
            (tea.as_str(), coffee.as_str(), "update", 1),
            (dog.as_str(), no_dog.as_str(), "contradiction", 2),
        ]
    );
    let c = &list[0];
    assert_eq!(c["old_content"], "The office is in Berlin");
    assert_eq!(c["new_content"], "The office is in Munich");
    assert_eq!(c["recommendation"], "keep_new");
    assert_eq!(
        (c["resolved"].clone(), c["resolution"].clone()),
        (json!(false), Value::Null)
    );
    assert_eq!(
        (c["old_source"].clone(), c["new_source"].clone()),
        (json!("agent"), json!("agent"))
    );
    assert!(c["old_created_at"].as_str().unwrap().ends_with("M"));
    assert!(c["description"].as_str().unwrap().contains("Berlin"));

    // keep_new deletes the old memory; the entry leaves the list, indices stay.
    let r = resolve(&app, &token, 0, "keep_new", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "resolved");
    assert_eq!(r.body["action"], "keep_new");
    assert_eq!(r.body["deleted"], berlin.as_str());
    assert!(all(&app, &token)
        .await
        .iter()
        .all(|m| m["id"] != berlin.as_str()));
    let r = conflicts(&app, &token).await;
    let idx: Vec<u64> = r["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["index"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, [1, 2]);
    let r = resolve(&app, &token, 0, "keep_new", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = resolve(&app, &token, 3, "keep_new", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);

    // expire_old: reversible, reason conflict-resolution.
    let r = resolve(&app, &token, 1, "expire_old", None).await;
    assert_eq!(r.body["expired_old"], tea.as_str());
    let memories = all(&app, &token).await;
    let tea_now = memories.iter().find(|m| m["id"] == tea.as_str()).unwrap();
    assert_eq!(tea_now["status"], "expired");
    assert_eq!(tea_now["expired_by"], "conflict-resolution");

    // manual: both go, a corrected memory replaces them.
    let r = resolve(
        &app,
        &token,
        2,
        "manual",
        Some("  User gave Rex to a neighbour in 2026 "),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.body["deleted_old"].clone(), r.body["deleted_new"].clone()),
        (json!(dog), json!(no_dog))
    );
    let new_id = r.body["new_memory_id"].as_str().unwrap().to_owned();
    let memories = all(&app, &token).await;
    let m = memories
        .iter()
        .find(|m| m["id"] == new_id.as_str())
        .unwrap();
    assert_eq!(m["content"], "User gave Rex to a neighbour in 2026");
    assert_eq!(m["type"], "fact");
    assert_eq!(m["confidence"], 0.9);
    assert_eq!(m["tags"], json!(["conflict-resolution"]));
    assert_eq!(
        (m["source"].clone(), m["provenance"].clone()),
        (json!("user"), json!("corrected"))
    );
    assert!(memories
        .iter()
        .all(|m| m["id"] != dog.as_str() && m["id"] != no_dog.as_str()));
    assert_eq!(conflicts(&app, &token).await["count"], 0);

    // Validation.
    for (body, status) in [
        (
            json!({"conflict_index": 0, "action": "merge"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"conflict_index": -1, "action": "keep_new"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"action": "keep_new"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"conflict_index": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"conflict_index": 0, "action": "manual", "manual_content": "  "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"conflict_index": 0, "action": "manual", "manual_content": "x", "manual_type": "Fact"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"conflict_index": 0, "action": "keep_new", "date": "2026/01/01"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = app
            .post_as("bot", &token, "conflicts/resolve", Some(body.clone()))
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
    }
    let r = app
        .post_as(
            "bot",
            &token,
            "conflicts/resolve",
            Some(json!({"conflict_index": 0, "action": "manual"})),
        )
        .await;
    assert_eq!(r.body["detail"][0]["loc"], json!(["body"]));
    let r = app
        .get("/api/v2/agents/bot/conflicts?date=today")
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Another date has no report.
    let r = app
        .get_ok("bot", &token, "conflicts", &[("date", "2001-02-03")])
        .await;
    assert_eq!(
        (r["date"].clone(), r["count"].clone()),
        (json!("2001-02-03"), json!(0))
    );
}

#[tokio::test]
async fn other_actions_and_warnings() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let mut pairs = Vec::new();
    for (title, a, b) in [
        ("Car", "The car is a blue Volvo", "The car is a red Fiat"),
        (
            "Phone",
            "Phone number ends with 1234",
            "Phone number ends with 9876",
        ),
        (
            "Bank",
            "Savings account at Nordbank",
            "Savings account at Southbank",
        ),
        ("Desk", "Desk faces the window", "Desk faces the door"),
        (
            "Gym",
            "Gym membership renews in May",
            "Gym membership renews in June",
        ),
    ] {
        let old = store(&app, &token, a, "fact", title).await;
        pairs.push(old);
        let new = store(&app, &token, b, "fact", title).await;
        pairs.push(new);
    }
    let body = serde_json::to_value(DateBody {
        date: Some(today()),
    })
    .unwrap();
    let r = app
        .post_as("bot", &token, "conflicts/generate", Some(body))
        .await;
    assert_eq!(r.body["conflicts"]["conflict_count"], 5, "{}", r.text);
    let ids = |m: &[Value]| {
        m.iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    let r = resolve(&app, &token, 0, "keep_old", None).await;
    assert_eq!(r.body["deleted"], pairs[1].as_str());
    let r = resolve(&app, &token, 1, "keep_both", None).await;
    assert_eq!(r.body["note"], "Both memories were kept.");
    let r = resolve(&app, &token, 2, "remove_both", None).await;
    assert_eq!(
        (r.body["deleted_old"].clone(), r.body["deleted_new"].clone()),
        (json!(pairs[4]), json!(pairs[5]))
    );
    let r = resolve(&app, &token, 3, "expire_both", None).await;
    assert_eq!(
        (r.body["expired_old"].clone(), r.body["expired_new"].clone()),
        (json!(pairs[6]), json!(pairs[7]))
    );
    // A memory deleted meanwhile gives a warning inside a 200.
    let r = app
        .delete(format!("/api/v2/agents/bot/memories/{}", pairs[9]))
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = resolve(&app, &token, 4, "keep_old", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["warning"],
        format!("Memory '{}' was not found.", pairs[9])
    );
    assert!(r.body.get("deleted").is_none());

    let left = all(&app, &token).await;
    let mut got = ids(&left);
    got.sort();
    let mut want = vec![
        pairs[0].clone(),
        pairs[2].clone(),
        pairs[3].clone(),
        pairs[6].clone(),
        pairs[7].clone(),
        pairs[8].clone(),
    ];
    want.sort();
    assert_eq!(got, want);
    let expired: Vec<&Value> = left.iter().filter(|m| m["status"] == "expired").collect();
    assert_eq!(expired.len(), 2);
    // Generating again overwrites the report (resolutions reset); expired memories take no part.
    let r = app
        .post_as("bot", &token, "conflicts/generate", Some(json!({})))
        .await;
    assert_eq!(r.body["conflicts"]["conflict_count"], 1);
    let r = conflicts(&app, &token).await;
    assert_eq!(r["conflicts"][0]["old_memory_id"], pairs[2].as_str());
    assert_eq!(r["conflicts"][0]["index"], 0);
}
