//! 0.2.x encodings and error rules against the request and response shapes of
//! `spec/API-0.2.md`.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::args::{ConflictResolution, RecallArgs};
use crate::error::parse_response;
use crate::http::{Payload, Target};
use crate::wire::{self, ServerInfo};
use memanto_protocol::Generation;

fn server() -> ServerInfo {
    ServerInfo {
        generation: Generation::Current,
        version: Some("0.2.30".into()),
        serves_both: false,
        detected: true,
    }
}

fn enc(op: Op<'_>) -> Call {
    wire::encode(&server(), "bot", &op).unwrap()
}

fn body(c: &Call) -> serde_json::Value {
    match &c.payload {
        Payload::Json(v) => v.clone(),
        other => panic!("expected a JSON body, got {other:?}"),
    }
}

fn classify_as(status: u16, body: &str, op: &'static str, ct: &str) -> crate::error::Error {
    let mut call = Call::new(Method::POST, "/api/v2/agents/bot/recall", Replay::Safe)
        .generation(Generation::Current);
    call.target = Target {
        op,
        names_memory: false,
    };
    wire::classify(
        &call,
        parse_response(status, body.as_bytes(), Some(ct), &[]),
        None,
    )
}

#[test]
fn recall_is_a_post_with_a_json_body() {
    let args = RecallArgs {
        query: "oat milk".into(),
        limit: Some(5),
        status: Some("active".into()),
        memory_types: vec!["fact".into()],
        tags: vec!["drinks".into()],
        created_after: Some("2026-01-01".into()),
        ..Default::default()
    };
    let c = enc(Op::Recall(&args));
    assert_eq!(c.method, Method::POST);
    assert_eq!(c.path, "/api/v2/agents/bot/recall");
    assert!(c.query.is_empty());
    assert_eq!(
        body(&c),
        json!({"query":"oat milk","limit":5,"status":"active","type":["fact"],"tags":["drinks"],"created_after":"2026-01-01"})
    );
    assert!(
        c.api_key_header,
        "memory routes carry the key for auto-recreate"
    );
}

#[test]
fn temporal_bodies() {
    let args = TemporalArgs {
        limit: Some(3),
        ..Default::default()
    };
    let c = enc(Op::RecallAsOf {
        query: Some("ignored"),
        as_of: "2026-03-01",
        args: &args,
    });
    assert_eq!(body(&c), json!({"as_of":"2026-03-01","limit":3}));
    let c = enc(Op::RecallChangedSince {
        since: "2026-03-01T00:00:00Z",
        args: &args,
    });
    assert_eq!(body(&c), json!({"since":"2026-03-01T00:00:00Z","limit":3}));
    // recall/recent and recall/all need a body even when it is empty.
    let c = enc(Op::RecallRecent(&TemporalArgs::default()));
    assert_eq!(c.path, "/api/v2/agents/bot/recall/recent");
    assert_eq!(body(&c), json!({}));
    let c = enc(Op::RecallAll(&TemporalArgs::default()));
    assert_eq!(body(&c), json!({}));
    // recall_current becomes recall of the active memories.
    let c = enc(Op::RecallCurrent {
        query: "q",
        args: &args,
    });
    assert_eq!(c.path, "/api/v2/agents/bot/recall");
    assert_eq!(body(&c), json!({"query":"q","limit":3,"status":"active"}));
}

#[test]
fn remember_answer_and_management() {
    let m = MemoryInput {
        content: "c".into(),
        tags: vec!["t".into()],
        provenance: Some("inferred".into()),
        ..Default::default()
    };
    let c = enc(Op::Remember(&m));
    assert!(c.query.is_empty(), "no legacy query parameters on 0.2.x");
    assert_eq!(
        body(&c),
        json!({"content":"c","tags":["t"],"provenance":"inferred"})
    );
    let bad = MemoryInput {
        content: "c".into(),
        tags: vec!["#status".into()],
        ..Default::default()
    };
    let e = wire::encode(&server(), "bot", &Op::Remember(&bad)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Validation);
    let a = crate::args::AnswerArgs {
        question: "q".into(),
        temperature: Some(1.5),
        ai_model: Some("m".into()),
        ..Default::default()
    };
    let c = enc(Op::Answer(&a));
    assert_eq!(
        body(&c),
        json!({"question":"q","temperature":1.5,"ai_model":"m"})
    );
    let prompts = crate::args::AnswerArgs {
        question: "q".into(),
        header_prompt: Some("h".into()),
        ..Default::default()
    };
    let e = wire::encode(&server(), "bot", &Op::Answer(&prompts)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(
        e.message
            .starts_with("session.answer() with header_prompt=... is not offered"),
        "{}",
        e.message
    );
    let c = enc(Op::Activate {
        agent_id: "bot",
        duration_hours: None,
    });
    assert!(c.api_key_header);
    assert!(matches!(c.payload, Payload::Empty));
    let c = enc(Op::SessionCurrent);
    assert_eq!(c.path, "/api/v2/status");
    let c = enc(Op::Expire {
        memory_id: "m/1",
        reason: Some("stale"),
    });
    assert_eq!(c.path, "/api/v2/agents/bot/memories/m%2F1/expire");
    assert_eq!(body(&c), json!({"reason":"stale"}));
    let r = ConflictResolution {
        conflict_index: 2,
        action: "keep_new".into(),
        ..Default::default()
    };
    let c = enc(Op::ResolveConflict(&r));
    assert_eq!(body(&c), json!({"conflict_index":2,"action":"keep_new"}));
    assert_eq!(c.replay, Replay::Unsafe);
}

#[test]
fn legacy_calls_are_refused_with_the_alternative() {
    for (op, hint) in [
        (Op::Validate("m"), "update("),
        (Op::ListSessions, "client.status()"),
        (
            Op::Contradict {
                memory_id: "m",
                reason: None,
                contradicting: None,
            },
            "expire(",
        ),
    ] {
        let e = wire::encode(&server(), "bot", &op).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
        assert!(e.message.contains("Memanto 0.2.30"), "{}", e.message);
        assert!(e.message.contains(hint), "{}", e.message);
    }
}

#[test]
fn error_rules() {
    let e = classify_as(
        401,
        r#"{"detail":{"error":"InvalidSessionToken","message":"Session sess_0123456789ab is no longer active","details":{}}}"#,
        "session.recall()",
        "application/json",
    );
    assert_eq!(e.kind, ErrorKind::InvalidSessionToken);
    assert!(e.message.contains("revoke"), "{}", e.message);
    let e = classify_as(
        401,
        r#"{"detail":"Unauthorized. Agent management endpoints require either a loopback client or a valid management credential (Authorization: Bearer <key> or X-Api-Key)."}"#,
        "agent.activate()",
        "application/json",
    );
    assert_eq!(e.kind, ErrorKind::Authentication);
    assert!(e.message.contains("MEMANTO_SECRET_KEY"), "{}", e.message);
    let e = classify_as(
        403,
        r#"{"detail":{"error":"AuthorizationError","message":"Session is for agent 'a', cannot access 'b'","details":{}}}"#,
        "session.recall()",
        "application/json",
    );
    assert_eq!(e.kind, ErrorKind::PermissionDenied);
    let e = classify_as(
        404,
        r#"{"detail":"No active session"}"#,
        "client.status()",
        "application/json",
    );
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(!e.message.contains("agent id"), "{}", e.message);
    let e = classify_as(
        500,
        "Internal Server Error",
        "client.agents.get()",
        "text/plain",
    );
    assert_eq!(e.kind, ErrorKind::Server);
    let e = classify_as(
        500,
        r#"{"detail":{"error":"MemoryOperationError","message":"Invalid expiry reason 'a b': only letters, digits, '.', '_' and '-' are allowed","details":{}}}"#,
        "session.expire()",
        "application/json",
    );
    assert_eq!(e.kind, ErrorKind::Validation);
    let e = classify_as(
        405,
        r#"{"detail":"Method Not Allowed"}"#,
        "session.recall()",
        "application/json",
    );
    assert_eq!(e.kind, ErrorKind::Unsupported);
}
