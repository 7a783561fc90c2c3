//! remember, batch-remember, recall and answer.

mod common;

use axum::http::StatusCode;
use common::{qs, App};
use serde_json::{json, Value};

fn ids(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn remember_with_query_params_and_recall_item_shape() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let sid = app
        .get("/api/v2/session/current")
        .key()
        .token(&token)
        .send()
        .await
        .body["session_id"]
        .clone();
    let r = app
        .remember(
            "bot",
            &token,
            "Alex prefers oat milk in coffee",
            &[
                ("memory_type", "preference"),
                ("title", "Milk preference"),
                ("confidence", "0.9"),
                ("tags", " drinks, alex ,,"),
                ("source", "chat"),
                ("provenance", "observed"),
            ],
        )
        .await;
    let id = r["memory_id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
    assert_eq!(r["agent_id"], "bot");
    assert_eq!(r["session_id"], sid);
    assert_eq!(r["namespace"], "memanto_agent_bot");
    assert_eq!(r["status"], "stored");
    assert_eq!(r["provenance"], "observed");
    assert_eq!(r["confidence"], 0.9);
    assert_eq!(r["type"], "preference");
    assert_eq!(r["title"], "Milk preference");
    assert!(r["created_at"].as_str().unwrap().ends_with('Z'));

    let body = app
        .recall("bot", &token, &[("query", "What milk does Alex drink?")])
        .await;
    assert_eq!(body["agent_id"], "bot");
    assert_eq!(body["session_id"], sid);
    assert_eq!(body["query"], "What milk does Alex drink?");
    assert_eq!(body["count"], 1);
    let m = &body["memories"][0];
    assert_eq!(m["id"], id);
    assert_eq!(m["title"], "Milk preference");
    assert_eq!(m["content"], "Alex prefers oat milk in coffee");
    assert_eq!(
        m["text"],
        "[PREFERENCE] Milk preference\n\nAlex prefers oat milk in coffee\n\nTags: drinks, alex"
    );
    assert_eq!(m["type"], "preference");
    assert_eq!(m["confidence"], 0.9);
    assert_eq!(m["status"], "active");
    assert_eq!(m["tags"], json!(["drinks", "alex"]));
    assert_eq!(m["created_at"], r["created_at"]);
    assert_eq!(m["updated_at"], r["created_at"]);
    assert!(m["expires_at"].is_null() && m["ttl_seconds"].is_null());
    assert_eq!(m["actor_id"], "bot");
    assert_eq!(m["source"], "chat");
    assert_eq!(m["scope_type"], "agent");
    assert_eq!(m["scope_id"], "bot");
    let score = m["score"].as_f64().unwrap();
    assert!(score > 0.1 && score < 1.0, "{score}");
    assert_eq!(m["provenance"], "observed");
    assert_eq!(m["validation_count"], 0);
    assert_eq!(m["contradiction_detected"], false);
    for k in ["superseded_by", "supersedes", "validated_at"] {
        assert!(m[k].is_null(), "{k}");
    }
}

#[tokio::test]
async fn remember_defaults_body_fields_and_precedence() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let long = "word ".repeat(20);
    let r = app.remember("bot", &token, &long, &[]).await;
    assert_eq!(r["type"], "fact");
    assert_eq!(r["confidence"], 0.8);
    assert_eq!(r["provenance"], "explicit_statement");
    assert_eq!(r["title"], format!("{}...", &long[..50]));

    // 0.2.x style: everything in the body.
    let r = app
        .post("/api/v2/agents/bot/remember")
        .key()
        .token(&token)
        .json(json!({
            "content": "Ship the beta on Friday", "type": "commitment", "title": "Beta date",
            "confidence": 0.6, "tags": ["release", " beta "], "source": "pm", "provenance": "inferred"
        }))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["type"], "commitment");
    assert_eq!(r.body["title"], "Beta date");
    assert_eq!(r.body["confidence"], 0.6);
    assert_eq!(r.body["provenance"], "inferred");

    // Query parameters win over the body.
    let r = app
        .post(format!(
            "/api/v2/agents/bot/remember{}",
            qs(&[("memory_type", "decision"), ("confidence", "0.3")])
        ))
        .key()
        .token(&token)
        .json(json!({"content": "Use SQLite for storage", "type": "goal", "confidence": 0.99}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["type"], "decision");
    assert_eq!(r.body["confidence"], 0.3);

    let found = app.recall("bot", &token, &[("query", "beta friday")]).await;
    let m = &found["memories"][0];
    assert_eq!(m["tags"], json!(["release", "beta"]));
    assert_eq!(m["source"], "pm");
    let found = app.recall("bot", &token, &[("query", "word")]).await;
    assert_eq!(found["memories"][0]["source"], "agent");
}

#[tokio::test]
async fn remember_validation() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let post = |q: &[(&str, &str)], body: Value| {
        app.post(format!("/api/v2/agents/bot/remember{}", qs(q)))
            .key()
            .token(&token)
            .json(body)
    };
    let long_title = "t".repeat(501);
    type Case<'a> = (Vec<(&'a str, &'a str)>, Value, &'a str, Value);
    let cases: Vec<Case> = vec![
        (vec![], json!({}), "missing", json!(["body", "content"])),
        (
            vec![],
            json!({"content": ""}),
            "string_too_short",
            json!(["body", "content"]),
        ),
        (
            vec![],
            json!({"content": 7}),
            "string_type",
            json!(["body", "content"]),
        ),
        (
            vec![("memory_type", "gossip")],
            json!({"content": "x"}),
            "enum",
            json!(["query", "memory_type"]),
        ),
        (
            vec![],
            json!({"content": "x", "type": "gossip"}),
            "enum",
            json!(["body", "type"]),
        ),
        (
            vec![("provenance", "rumour")],
            json!({"content": "x"}),
            "enum",
            json!(["query", "provenance"]),
        ),
        (
            vec![("confidence", "1.5")],
            json!({"content": "x"}),
            "less_than_equal",
            json!(["query", "confidence"]),
        ),
        (
            vec![("confidence", "-0.1")],
            json!({"content": "x"}),
            "greater_than_equal",
            json!(["query", "confidence"]),
        ),
        (
            vec![("confidence", "high")],
            json!({"content": "x"}),
            "float_parsing",
            json!(["query", "confidence"]),
        ),
        (
            vec![("title", long_title.as_str())],
            json!({"content": "x"}),
            "string_too_long",
            json!(["query", "title"]),
        ),
    ];
    for (q, body, kind, loc) in cases {
        let r = post(&q, body.clone()).send().await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q:?} {body}: {}",
            r.text
        );
        assert_eq!(
            r.body["detail"][0]["type"], kind,
            "{q:?} {body}: {}",
            r.text
        );
        assert_eq!(r.body["detail"][0]["loc"], loc, "{q:?} {body}");
    }
    let r = post(&[], json!("just a string")).send().await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post("/api/v2/agents/bot/remember")
        .key()
        .token(&token)
        .raw("{\"content\":")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "json_invalid");

    // Over 10000 characters → 413; exactly 10000 is fine (characters, not bytes).
    let r = post(&[], json!({"content": "é".repeat(10_001)}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.body,
        json!({"detail": {
            "error": "text_too_long",
            "message": "Memory content exceeds maximum length of 10000 characters",
            "actual_length": 10001,
            "max_length": 10000
        }})
    );
    let r = post(&[], json!({"content": "é".repeat(10_000)}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Titles are bounded at 100 characters, as the stored record is on both generations.
    let r = post(&[("title", &"t".repeat(101))], json!({"content": "x"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = post(&[("title", &"t".repeat(100))], json!({"content": "x"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v2/agents/bot").key().send().await.body["memory_count"],
        2
    );
}

#[tokio::test]
async fn batch_remember() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let r = app
        .post("/api/v2/agents/bot/batch-remember")
        .key()
        .token(&token)
        .json(json!({"memories": [
            {"content": "The office wifi password rotates monthly", "type": "fact", "tags": ["office"]},
            {"content": "Prefers short answers", "type": "preference", "confidence": 0.95, "title": "Style",
             "source": "agent", "provenance": "inferred"},
        ]}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let b = &r.body;
    assert_eq!(b["agent_id"], "bot");
    assert_eq!(b["namespace"], "memanto_agent_bot");
    assert!(b["session_id"].as_str().unwrap().starts_with("sess_"));
    assert_eq!(b["total_submitted"], 2);
    assert_eq!(b["successful"], 2);
    assert_eq!(b["failed"], 0);
    let results = b["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for res in results {
        assert!(uuid::Uuid::parse_str(res["id"].as_str().unwrap()).is_ok());
        assert_eq!(res["status"], "stored");
        assert_eq!(res["action"], "store");
        assert_eq!(res["reason"], "stored");
    }
    let found = app
        .recall("bot", &token, &[("query", "short answers")])
        .await;
    assert_eq!(found["memories"][0]["id"], results[1]["id"]);
    assert_eq!(found["memories"][0]["title"], "Style");
    assert_eq!(found["memories"][0]["provenance"], "inferred");
    let found = app.recall("bot", &token, &[("query", "wifi")]).await;
    assert_eq!(found["memories"][0]["source"], "user");
    assert_eq!(found["memories"][0]["tags"], json!(["office"]));
}

#[tokio::test]
async fn batch_remember_validation_is_all_or_nothing() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let send = |body: Value| {
        app.post("/api/v2/agents/bot/batch-remember")
            .key()
            .token(&token)
            .json(body)
            .send()
    };

    let r = send(json!({"memories": []})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "too_short");
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "memories"]));
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"content": format!("m{i}")}))
        .collect();
    let r = send(json!({"memories": many})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "too_long");
    let r = send(json!({})).await;
    assert_eq!(r.body["detail"][0]["type"], "missing");
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "memories"]));

    let r = send(json!({"memories": [
        {"content": "fine"},
        {"content": "x".repeat(10_001)},
        {"content": "ok", "type": "nonsense"},
        {"title": "no content"},
        {"content": "c", "confidence": 2},
    ]}))
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let problems: Vec<(String, Value)> = r.body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["type"].as_str().unwrap().to_owned(), p["loc"].clone()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                "string_too_long".to_owned(),
                json!(["body", "memories", 1, "content"])
            ),
            ("enum".to_owned(), json!(["body", "memories", 2, "type"])),
            (
                "missing".to_owned(),
                json!(["body", "memories", 3, "content"])
            ),
            (
                "less_than_equal".to_owned(),
                json!(["body", "memories", 4, "confidence"])
            ),
        ]
    );
    // Nothing was stored.
    assert_eq!(
        app.get("/api/v2/agents/bot").key().send().await.body["memory_count"],
        0
    );

    // 100 items are fine.
    let hundred: Vec<Value> = (0..100)
        .map(|i| json!({"content": format!("note {i}")}))
        .collect();
    let r = send(json!({"memories": hundred})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["successful"], 100);
    assert_eq!(
        app.get("/api/v2/agents/bot").key().send().await.body["memory_count"],
        100
    );
}

#[tokio::test]
async fn recall_ranks_and_isolates_agents() {
    let app = App::new();
    let t1 = app.agent_with_session("one").await;
    let t2 = app.agent_with_session("two").await;
    app.remember("one", &t1, "The deploy pipeline uses GitHub Actions", &[])
        .await;
    app.remember(
        "one",
        &t1,
        "Deploy deploy deploy: the deploy runs nightly",
        &[],
    )
    .await;
    app.remember("one", &t1, "Lunch is at noon", &[]).await;
    app.remember("two", &t2, "deploy secrets of agent two", &[])
        .await;

    let body = app
        .recall("one", &t1, &[("query", "how does the deploy work")])
        .await;
    assert_eq!(body["count"], 2);
    let mems = body["memories"].as_array().unwrap();
    assert!(mems.iter().all(|m| m["actor_id"] == "one"));
    assert_eq!(
        mems[0]["content"],
        "Deploy deploy deploy: the deploy runs nightly"
    );
    let s0 = mems[0]["score"].as_f64().unwrap();
    let s1 = mems[1]["score"].as_f64().unwrap();
    assert!(s0 > s1 && s1 > 0.0 && s0 < 1.0, "{s0} {s1}");

    // Stemming: "deploying" finds "deploy".
    assert_eq!(
        app.recall("one", &t1, &[("query", "deploying")]).await["count"],
        2
    );
    // limit.
    assert_eq!(
        app.recall("one", &t1, &[("query", "deploy"), ("limit", "1")])
            .await["count"],
        1
    );
    // FTS syntax is just text; no searchable words → no memories.
    for q in [
        "deploy\" OR *",
        "NEAR(deploy lunch)",
        "title:deploy",
        "-deploy",
        "(((",
        "\"",
        "?!",
    ] {
        let r = app
            .get(format!("/api/v2/agents/one/recall{}", qs(&[("query", q)])))
            .key()
            .token(&t1)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
    }
    assert_eq!(app.recall("one", &t1, &[("query", "?!")]).await["count"], 0);
    assert_eq!(
        app.recall("one", &t1, &[("query", "   ")]).await["memories"],
        json!([])
    );
    // min_similarity.
    let strict = app
        .recall(
            "one",
            &t1,
            &[
                ("query", "deploy"),
                ("min_similarity", &format!("{}", (s0 + s1) / 2.0)),
            ],
        )
        .await;
    assert_eq!(strict["count"], 1);
    assert_eq!(
        app.recall("one", &t1, &[("query", "deploy"), ("min_similarity", "1")])
            .await["count"],
        0
    );
}

#[tokio::test]
async fn filters_apply_before_the_limit() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    // 150 memories all matching "project"; only 5 are decisions, and they rank low
    // (long documents), so a limit-then-filter implementation would miss them.
    let mut items: Vec<Value> = (0..145)
        .map(|i| json!({"content": format!("project note {i}"), "type": "fact", "tags": ["misc"]}))
        .collect();
    for i in 0..5 {
        items.push(json!({
            "content": format!("project {} decision number {i}", "filler words here ".repeat(20)),
            "type": "decision",
            "tags": ["arch", if i % 2 == 0 { "even" } else { "odd" }],
        }));
    }
    for chunk in items.chunks(100) {
        let r = app
            .post("/api/v2/agents/bot/batch-remember")
            .key()
            .token(&token)
            .json(json!({"memories": chunk}))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let all = app
        .recall("bot", &token, &[("query", "project"), ("limit", "100")])
        .await;
    assert_eq!(all["count"], 100);
    assert!(all["memories"].as_array().unwrap()[..10]
        .iter()
        .all(|m| m["type"] == "fact"));

    let d = app
        .recall(
            "bot",
            &token,
            &[
                ("query", "project"),
                ("limit", "10"),
                ("memory_types", "decision"),
            ],
        )
        .await;
    assert_eq!(d["count"], 5);
    assert!(d["memories"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["type"] == "decision"));
    let d = app
        .recall(
            "bot",
            &token,
            &[
                ("query", "project"),
                ("limit", "3"),
                ("memory_types", "Decision, goal"),
            ],
        )
        .await;
    assert_eq!(d["count"], 3);

    // Tags: all listed tags must be present.
    let t = app
        .recall(
            "bot",
            &token,
            &[("query", "project"), ("limit", "10"), ("tags", "arch,even")],
        )
        .await;
    assert_eq!(t["count"], 3);
    assert!(t["memories"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["tags"] == json!(["arch", "even"])));
    let t = app
        .recall(
            "bot",
            &token,
            &[("query", "project"), ("tags", "arch, misc")],
        )
        .await;
    assert_eq!(t["count"], 0);
    // Unknown type matches nothing.
    assert_eq!(
        app.recall(
            "bot",
            &token,
            &[("query", "project"), ("memory_types", "nope")]
        )
        .await["count"],
        0
    );
}

#[tokio::test]
async fn recall_time_window() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let first = app.remember("bot", &token, "alpha event", &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let second = app.remember("bot", &token, "alpha later event", &[]).await;
    let t1 = first["created_at"].as_str().unwrap();
    let t2 = second["created_at"].as_str().unwrap();

    let r = app
        .recall("bot", &token, &[("query", "alpha"), ("created_after", t2)])
        .await;
    assert_eq!(
        ids(&r, "memories"),
        vec![second["memory_id"].as_str().unwrap().to_owned()]
    );
    let r = app
        .recall("bot", &token, &[("query", "alpha"), ("created_before", t1)])
        .await;
    assert_eq!(
        ids(&r, "memories"),
        vec![first["memory_id"].as_str().unwrap().to_owned()]
    );
    // Naive timestamps are UTC; offsets are honoured; dates cover whole days.
    let naive = t2.trim_end_matches('Z');
    assert_eq!(
        app.recall(
            "bot",
            &token,
            &[("query", "alpha"), ("created_after", naive)]
        )
        .await["count"],
        1
    );
    let today = &t1[..10];
    assert_eq!(
        app.recall(
            "bot",
            &token,
            &[
                ("query", "alpha"),
                ("created_after", today),
                ("created_before", today)
            ]
        )
        .await["count"],
        2
    );
    assert_eq!(
        app.recall(
            "bot",
            &token,
            &[("query", "alpha"), ("created_before", "2000-01-01")]
        )
        .await["count"],
        0
    );
    assert_eq!(
        app.recall(
            "bot",
            &token,
            &[
                ("query", "alpha"),
                ("created_after", "2999-01-01T00:00:00+02:00")
            ]
        )
        .await["count"],
        0
    );

    let r = app
        .get(format!(
            "/api/v2/agents/bot/recall{}",
            qs(&[("query", "alpha"), ("created_after", "last week")])
        ))
        .key()
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["detail"][0]["loc"],
        json!(["query", "created_after"])
    );
}

#[tokio::test]
async fn recall_parameter_errors() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    let get = |q: &[(&str, &str)]| {
        app.get(format!("/api/v2/agents/bot/recall{}", qs(q)))
            .key()
            .token(&token)
            .send()
    };

    let r = get(&[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body,
        json!({"detail": [{"type": "missing", "loc": ["query", "query"], "msg": "Field required", "input": null}]})
    );
    let r = get(&[("query", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "string_too_short");
    let r = get(&[("query", "x"), ("limit", "0")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["type"], "greater_than_equal");
    assert_eq!(r.body["detail"][0]["loc"], json!(["query", "limit"]));
    let r = get(&[("query", "x"), ("limit", "ten")]).await;
    assert_eq!(r.body["detail"][0]["type"], "int_parsing");
    let r = get(&[("query", "x"), ("min_similarity", "2")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.body["detail"][0]["loc"],
        json!(["query", "min_similarity"])
    );
    let r = get(&[("query", "x"), ("limit", "101")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"detail": {"error": "k_too_large", "message": "k exceeds maximum of 100", "actual_k": 101, "max_k": 100}})
    );
    let r = get(&[("query", &"q".repeat(1001))]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.body,
        json!({"detail": {"error": "query_too_long", "message": "Query exceeds maximum length of 1000 characters", "actual_length": 1001, "max_length": 1000}})
    );
    assert_eq!(
        get(&[("query", &"q".repeat(1000)), ("limit", "100")])
            .await
            .status,
        StatusCode::OK
    );
    // Several problems are reported together.
    let r = get(&[("limit", "0"), ("min_similarity", "x")]).await;
    assert_eq!(r.body["detail"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn answer_is_extractive() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    app.remember("bot", &token, "Alex is allergic to peanuts", &[])
        .await;
    app.remember("bot", &token, "The quarterly report is due in March", &[])
        .await;
    let sid = app
        .get("/api/v2/session/current")
        .key()
        .token(&token)
        .send()
        .await
        .body["session_id"]
        .clone();

    let r = app
        .post(format!("/api/v2/agents/bot/answer{}", qs(&[("limit", "5"), ("temperature", "0.2"), ("aiModel", "x"), ("kiosk_mode", "true")])))
        .key()
        .token(&token)
        .json(json!({"question": "Is Alex allergic to anything?", "header_prompt": "h", "footer_prompt": "f"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let a = &r.body;
    assert_eq!(a["agent_id"], "bot");
    assert_eq!(a["session_id"], sid);
    assert_eq!(a["question"], "Is Alex allergic to anything?");
    assert_eq!(a["answer"], "Alex is allergic to peanuts");
    assert_eq!(a["namespace"], "memanto_agent_bot");
    assert_eq!(a["mode"], "extractive");
    assert_eq!(
        a["note"],
        "Extractive answer built from recalled memories; no language model was used."
    );
    assert_eq!(a["sources"].as_array().unwrap().len(), 1);
    assert_eq!(a["sources"][0]["content"], "Alex is allergic to peanuts");

    let r = app
        .post("/api/v2/agents/bot/answer")
        .key()
        .token(&token)
        .json(json!({"question": "zebra migration"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["answer"],
        "I could not find anything relevant in this agent's memories."
    );
    assert_eq!(r.body["sources"], json!([]));

    // A threshold above every score leaves nothing.
    let r = app
        .post("/api/v2/agents/bot/answer?threshold=0.99")
        .key()
        .token(&token)
        .json(json!({"question": "Alex peanuts"}))
        .send()
        .await;
    assert_eq!(r.body["sources"], json!([]));

    // Errors.
    let send = |q: &str, body: Value| {
        app.post(format!("/api/v2/agents/bot/answer{q}"))
            .key()
            .token(&token)
            .json(body)
            .send()
    };
    let r = send("", json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"][0]["loc"], json!(["body", "question"]));
    let r = send("", json!({"question": ""})).await;
    assert_eq!(r.body["detail"][0]["type"], "string_too_short");
    let r = send("", json!({"question": "q".repeat(1001)})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.body["detail"]["error"], "query_too_long");
    let r = send("?limit=101", json!({"question": "x"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["detail"]["error"], "k_too_large");
    for q in [
        "?limit=0",
        "?threshold=1.2",
        "?temperature=-1",
        "?kiosk_mode=maybe",
    ] {
        let r = send(q, json!({"question": "x"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
    }
}
