//! 0.0.x encodings and error rules against the request and response shapes of `spec/API.md`.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::args::{AnswerArgs, RecallArgs};
use crate::error::parse_response;
use crate::http::{Payload, Target};
use crate::wire::{self, ServerInfo};
use memanto_protocol::Generation;

fn enc(op: Op<'_>) -> Call {
    wire::encode(&ServerInfo::pinned(Generation::Legacy), "bot", &op).unwrap()
}

fn classify_as(status: u16, body: &str, names_memory: bool) -> crate::error::Error {
    let mut call = Call::new(Method::GET, "/api/v2/agents/bot/recall", Replay::Safe);
    call.target = Target {
        op: "session.recall()",
        names_memory,
    };
    wire::classify(
        &call,
        parse_response(status, body.as_bytes(), Some("application/json"), &[]),
        None,
    )
}

#[test]
fn recall_is_a_get_with_csv_types() {
    let args = RecallArgs {
        query: "oat milk".into(),
        limit: Some(5),
        memory_types: vec!["fact".into(), "preference".into()],
        tags: vec!["drinks".into()],
        ..Default::default()
    };
    let c = enc(Op::Recall(&args));
    assert_eq!(c.method, Method::GET);
    assert_eq!(c.path, "/api/v2/agents/bot/recall");
    assert_eq!(
        c.query,
        vec![
            ("query", "oat milk".to_string()),
            ("limit", "5".into()),
            ("memory_types", "fact,preference".into()),
            ("tags", "drinks".into())
        ]
    );
    assert!(matches!(c.payload, Payload::Empty));
    assert_eq!(c.generation, Generation::Legacy);
}

#[test]
fn remember_goes_in_both_encodings() {
    let m = MemoryInput {
        content: "Alex prefers oat milk".into(),
        memory_type: Some("preference".into()),
        tags: vec!["a".into(), "b".into()],
        ..Default::default()
    };
    let c = enc(Op::Remember(&m));
    assert_eq!(c.replay, Replay::Unsafe);
    assert_eq!(
        c.query,
        vec![
            ("memory_type", "preference".to_string()),
            ("tags", "a,b".into())
        ]
    );
    let Payload::Json(body) = &c.payload else {
        panic!("json body")
    };
    assert_eq!(
        body,
        &json!({"content":"Alex prefers oat milk","type":"preference","tags":["a","b"]})
    );
}

#[test]
fn answer_options_travel_in_the_query() {
    let a = AnswerArgs {
        question: "q?".into(),
        limit: Some(3),
        ai_model: Some("m".into()),
        header_prompt: Some("h".into()),
        ..Default::default()
    };
    let c = enc(Op::Answer(&a));
    assert_eq!(
        c.query,
        vec![("limit", "3".to_string()), ("aiModel", "m".into())]
    );
    let Payload::Json(body) = &c.payload else {
        panic!()
    };
    assert_eq!(body, &json!({"question":"q?","header_prompt":"h"}));
    let hot = AnswerArgs {
        question: "q".into(),
        temperature: Some(1.5),
        ..Default::default()
    };
    let e = wire::encode(
        &ServerInfo::pinned(Generation::Legacy),
        "bot",
        &Op::Answer(&hot),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    assert!(e.message.contains("1"), "{}", e.message);
}

#[test]
fn update_and_delete_use_the_v1_memory_router() {
    let u = MemoryUpdate {
        content: Some("new".into()),
        ..Default::default()
    };
    let c = enc(Op::Update {
        memory_id: "m 1",
        update: &u,
    });
    assert_eq!(c.method, Method::PATCH);
    assert_eq!(c.path, "/api/v1/memory/m%201");
    let Payload::Json(body) = &c.payload else {
        panic!()
    };
    assert_eq!(
        body,
        &json!({"namespace":"memanto_agent_bot","updates":{"content":"new"},"user_confirmed":true})
    );
    let c = enc(Op::Delete("m1"));
    assert_eq!(c.path, "/api/v1/memory/m1");
    assert_eq!(
        c.query,
        vec![("namespace", "memanto_agent_bot".to_string())]
    );
}

#[test]
fn calls_of_the_current_generation_are_refused_before_sending() {
    let server = ServerInfo {
        generation: Generation::Legacy,
        version: Some("0.0.8".into()),
        serves_both: false,
        detected: true,
    };
    let e = wire::encode(&server, "bot", &Op::Restore("m1")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("session.restore()"), "{}", e.message);
    assert!(e.message.contains("Memanto 0.0.8"), "{}", e.message);
    let args = TemporalArgs::default();
    let e = wire::encode(&server, "bot", &Op::RecallRecent(&args)).unwrap_err();
    assert!(e.message.contains("recall_changed_since"), "{}", e.message);
    // A server that serves both generations takes the other's encoding instead.
    let both = ServerInfo {
        serves_both: true,
        ..server
    };
    let c = wire::encode(
        &both,
        "bot",
        &Op::Expire {
            memory_id: "m1",
            reason: None,
        },
    )
    .unwrap();
    assert_eq!(c.path, "/api/v2/agents/bot/memories/m1/expire");
    assert_eq!(c.generation, Generation::Current);
}

#[test]
fn error_rules() {
    let e = classify_as(401, r#"{"detail":"Invalid Moorcheh API key"}"#, false);
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert!(e.message.contains("MOORCHEH_API_KEY"), "{}", e.message);
    let e = classify_as(
        401,
        r#"{"detail":"Missing session token. Use X-Session-Token header."}"#,
        false,
    );
    assert_eq!(e.kind, ErrorKind::SessionTokenMissing);
    let e = classify_as(
        401,
        r#"{"detail":{"error":"SessionExpired","message":"Session sess_1 expired at 2026-01-01 00:00:00","details":{}}}"#,
        false,
    );
    assert_eq!(e.kind, ErrorKind::SessionExpired);
    assert!(e.message.contains("extend"));
    let e = classify_as(
        401,
        r#"{"detail":{"error":"InvalidSessionToken","message":"Invalid session token: Not enough segments","details":{}}}"#,
        false,
    );
    assert_eq!(e.kind, ErrorKind::InvalidSessionToken);
    let e = classify_as(
        500,
        r#"{"detail":{"error":"InternalServerError","message":"An unexpected error occurred","details":{"original_error":"Session is for agent 'a', cannot access 'b'"}}}"#,
        false,
    );
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    assert!(e.message.contains("cannot access 'b'"));
    let e = classify_as(404, r#"{"detail":"Memory not found"}"#, true);
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("memory id"), "{}", e.message);
    // A missing route is not a missing agent.
    let e = classify_as(405, r#"{"detail":"Method Not Allowed"}"#, false);
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(!e.message.contains("agent id"), "{}", e.message);
    let e = classify_as(404, r#"{"detail":"Not Found"}"#, false);
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(
        e.message.contains("GET /api/v2/agents/bot/recall"),
        "{}",
        e.message
    );
    let e = classify_as(
        404,
        r#"{"detail":{"error":"AgentNotFound","message":"Agent 'x' not found","details":{}}}"#,
        false,
    );
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("Check the agent id"), "{}", e.message);
    assert_eq!(classify_as(429, "{}", false).kind, ErrorKind::RateLimit);
    assert_eq!(
        classify_as(503, r#"{"detail":"down"}"#, false).kind,
        ErrorKind::Server
    );
    let e = classify_as(
        413,
        r#"{"detail":{"error":"text_too_long","message":"Memory content exceeds maximum length of 10000 characters","actual_length":10001,"max_length":10000}}"#,
        false,
    );
    assert_eq!(e.kind, ErrorKind::Validation);
    assert_eq!(e.code.as_deref(), Some("text_too_long"));
}

#[test]
fn v1_responses_are_normalized() {
    let u = MemoryUpdate::default();
    let op = Op::Update {
        memory_id: "m1",
        update: &u,
    };
    let body = json!({"id":"m1","namespace":"memanto_agent_bot","status":"queued","action":"updated","reason":"r","updated_fields":["content"]});
    let v = normalize(&op, body);
    assert_eq!(v["memory_id"], "m1");
    assert_eq!(v["status"], "queued");
    let v = normalize(
        &Op::Delete("m2"),
        json!({"message":"Memory deleted successfully"}),
    );
    assert_eq!(
        v,
        json!({"message":"Memory deleted successfully","memory_id":"m2","status":"deleted"})
    );
}
