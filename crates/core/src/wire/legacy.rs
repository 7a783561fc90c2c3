//! Server generation 0.0.x (`spec/API.md`), and every quirk of it:
//! - recall and the temporal queries are GETs with query parameters (`memory_types` as CSV);
//! - remember reads the content from the JSON body and everything else from query parameters,
//!   so remember is sent in both encodings (newer servers read the body, 0.0.8 the query);
//! - answer takes the question and prompts in the body and the options in the query (`aiModel`);
//! - update and delete exist only on the internal `/api/v1/memory/{id}` router, addressed by
//!   the agent's namespace;
//! - `session/extend` lengthens only the stored record, not the token (the session notices and
//!   re-activates instead, see `session.rs`);
//! - a token used on another agent is a `500 … cannot access …`, not a 403;
//! - 401s carry string details, told apart by their text.

use reqwest::Method;
use serde_json::{json, Value};

use super::{agent_path, memory_path, Encoded, Refusal, EXPIRED_REMEDY, MISSING_TOKEN_REMEDY};
use crate::args::{MemoryInput, MemoryUpdate, Replacement, TemporalArgs};
use crate::error::{Error, ErrorKind, ErrorResponse};
use crate::http::{Call, Replay};
use crate::ops::Op;
use memanto_protocol::limits::MAX_TEMPERATURE_LEGACY;

const NOT_LEGACY: &str = "that call arrived with the 0.1/0.2 server generation";

use Refusal as R;

/// The query parameters 0.0.8 reads for remember.
fn remember_query(m: &MemoryInput) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(t) = &m.memory_type {
        q.push(("memory_type", t.clone()));
    }
    if let Some(t) = &m.title {
        q.push(("title", t.clone()));
    }
    if let Some(c) = m.confidence {
        q.push(("confidence", c.to_string()));
    }
    if !m.tags.is_empty() {
        q.push(("tags", m.tags.join(",")));
    }
    if let Some(s) = &m.source {
        q.push(("source", s.clone()));
    }
    if let Some(p) = &m.provenance {
        q.push(("provenance", p.clone()));
    }
    q
}

fn filters(
    q: &mut Vec<(&'static str, String)>,
    limit: Option<u32>,
    types: &[String],
    tags: &[String],
) {
    if let Some(l) = limit {
        q.push(("limit", l.to_string()));
    }
    if !types.is_empty() {
        q.push(("memory_types", types.join(",")));
    }
    if !tags.is_empty() {
        q.push(("tags", tags.join(",")));
    }
}

/// 0.0.x temporal queries take limit, types and tags only.
fn temporal_filters(
    args: &TemporalArgs,
) -> std::result::Result<Vec<(&'static str, String)>, Refusal> {
    if args.status.as_deref().is_some_and(|s| s != "all") {
        return Err(R::argument(
            "status",
            "0.0.x temporal queries have no status filter",
            "Leave status out, or use a 0.2.x server.",
        ));
    }
    if args.created_after.is_some() || args.created_before.is_some() {
        return Err(R::argument(
            "created_after",
            "0.0.x temporal queries have no creation window",
            "Leave created_after/created_before out, or use recall(..., created_after=...).",
        ));
    }
    let mut q = Vec::new();
    filters(&mut q, args.limit, &args.memory_types, &args.tags);
    Ok(q)
}

fn update_body(agent: &str, u: &MemoryUpdate) -> Value {
    let mut updates = serde_json::Map::new();
    let mut set = |k: &str, v: Value| {
        updates.insert(k.to_string(), v);
    };
    if let Some(c) = &u.content {
        set("content", json!(c));
    }
    if let Some(t) = &u.memory_type {
        set("type", json!(t));
    }
    if let Some(t) = &u.title {
        set("title", json!(t));
    }
    if let Some(c) = u.confidence {
        set("confidence", json!(c));
    }
    if let Some(t) = &u.tags {
        set("tags", json!(t));
    }
    if let Some(s) = &u.source {
        set("source", json!(s));
    }
    if let Some(p) = &u.provenance {
        set("provenance", json!(p));
    }
    // user_confirmed: the caller asked for this change, so 0.0.8 must not turn a fact or
    // preference "provisional" on this path.
    json!({
        "namespace": memanto_protocol::namespace(agent),
        "updates": Value::Object(updates),
        "user_confirmed": true,
    })
}

fn v1_memory(memory_id: &str) -> String {
    format!(
        "/api/v1/memory/{}",
        crate::validate::path_segment(memory_id)
    )
}

/// Turn `op` into a 0.0.x request.
pub fn encode(agent: &str, op: &Op<'_>) -> Encoded {
    use Method as M;
    let call = match *op {
        Op::Health => Call::new(M::GET, "/health", Replay::Safe),
        Op::CreateAgent {
            agent_id,
            pattern,
            description,
            metadata,
        } => {
            let mut body = json!({ "agent_id": agent_id });
            if let Some(p) = pattern {
                body["pattern"] = json!(p);
            }
            if let Some(d) = description {
                body["description"] = json!(d);
            }
            if let Some(m) = metadata {
                body["metadata"] = Value::Object(m.clone());
            }
            // Replaying a create is harmless: a duplicate gets 409 instead of a second agent.
            Call::new(M::POST, "/api/v2/agents", Replay::Safe).json(body)
        }
        Op::ListAgents => Call::new(M::GET, "/api/v2/agents", Replay::Safe),
        Op::GetAgent(id) => Call::new(M::GET, format!("/api/v2/agents/{id}"), Replay::Safe),
        Op::DeleteAgent(id) => Call::new(M::DELETE, format!("/api/v2/agents/{id}"), Replay::Safe),
        Op::Activate {
            agent_id,
            duration_hours,
        } => {
            let call = Call::new(M::POST, agent_path(agent_id, "activate"), Replay::Unsafe);
            match duration_hours {
                Some(h) => call.json(json!({ "agent_id": agent_id, "duration_hours": h })),
                None => call,
            }
        }
        Op::Deactivate(id) => Call::new(M::POST, agent_path(id, "deactivate"), Replay::Safe),
        Op::ListSessions => Call::new(M::GET, "/api/v2/sessions", Replay::Safe),
        Op::Status => {
            return Err(R::missing(
                "0.0.x has no GET /status (sessions are read by token)",
                "Use session.current() or client.sessions().",
            ))
        }
        Op::SessionCurrent => Call::new(M::GET, "/api/v2/session/current", Replay::Safe),
        Op::Extend { hours } => Call::new(M::POST, "/api/v2/session/extend", Replay::Unsafe)
            .query(vec![("additional_hours", hours.to_string())]),
        Op::Remember(m) => Call::new(M::POST, agent_path(agent, "remember"), Replay::Unsafe)
            .query(remember_query(m))
            .body(&m.to_body()),
        Op::BatchRemember(items) => {
            let body =
                json!({ "memories": items.iter().map(MemoryInput::to_body).collect::<Vec<_>>() });
            Call::new(M::POST, agent_path(agent, "batch-remember"), Replay::Unsafe).json(body)
        }
        Op::Recall(a) => {
            if a.status.as_deref().is_some_and(|s| s != "all") {
                return Err(R::argument(
                    "status",
                    "0.0.x recall has no status filter (memories there do not expire)",
                    "Leave status out, or use recall_current() for what is not superseded.",
                ));
            }
            let mut q = vec![("query", a.query.clone())];
            if let Some(m) = a.min_similarity {
                q.push(("min_similarity", m.to_string()));
            }
            if let Some(t) = &a.created_after {
                q.push(("created_after", t.clone()));
            }
            if let Some(t) = &a.created_before {
                q.push(("created_before", t.clone()));
            }
            filters(&mut q, a.limit, &a.memory_types, &a.tags);
            Call::new(M::GET, agent_path(agent, "recall"), Replay::Safe).query(q)
        }
        Op::RecallAsOf { query, as_of, args } => {
            let Some(query) = query else {
                return Err(Refusal::Invalid(Error::validation(
                    "recall_as_of needs a query on 0.0.x servers (their as-of search is a text search); pass query=...",
                )));
            };
            let mut q = vec![("query", query.to_string()), ("as_of", as_of.to_string())];
            q.extend(temporal_filters(args)?);
            Call::new(M::GET, agent_path(agent, "recall/as-of"), Replay::Safe).query(q)
        }
        Op::RecallChangedSince { since, args } => {
            let mut q = vec![("since", since.to_string())];
            q.extend(temporal_filters(args)?);
            Call::new(
                M::GET,
                agent_path(agent, "recall/changed-since"),
                Replay::Safe,
            )
            .query(q)
        }
        Op::RecallCurrent { query, args } => {
            let mut q = vec![("query", query.to_string())];
            q.extend(temporal_filters(args)?);
            Call::new(M::GET, agent_path(agent, "recall/current"), Replay::Safe).query(q)
        }
        Op::RecallRecent(_) | Op::RecallAll(_) => {
            return Err(R::missing(
                "recall/recent and recall/all arrived with the 0.1 generation",
                "Use recall_changed_since(since=...) for the newest memories.",
            ))
        }
        Op::Answer(a) => {
            if let Some(t) = a.temperature {
                if t > MAX_TEMPERATURE_LEGACY {
                    return Err(Refusal::Invalid(Error::validation(format!(
                        "temperature must be between 0.0 and {MAX_TEMPERATURE_LEGACY} on 0.0.x servers, got {t}"
                    ))));
                }
            }
            let mut body = json!({ "question": a.question });
            if let Some(h) = &a.header_prompt {
                body["header_prompt"] = json!(h);
            }
            if let Some(f) = &a.footer_prompt {
                body["footer_prompt"] = json!(f);
            }
            let mut q = Vec::new();
            if let Some(l) = a.limit {
                q.push(("limit", l.to_string()));
            }
            if let Some(t) = a.threshold {
                q.push(("threshold", t.to_string()));
            }
            if let Some(t) = a.temperature {
                q.push(("temperature", t.to_string()));
            }
            if let Some(m) = &a.ai_model {
                q.push(("aiModel", m.clone()));
            }
            if let Some(k) = a.kiosk_mode {
                q.push(("kiosk_mode", k.to_string()));
            }
            Call::new(M::POST, agent_path(agent, "answer"), Replay::Safe)
                .query(q)
                .json(body)
        }
        Op::Validate(id) => {
            Call::new(M::POST, memory_path(agent, "validate", id), Replay::Unsafe).names_memory()
        }
        Op::Supersede { old, replacement } => {
            let call = Call::new(
                M::POST,
                memory_path(agent, "supersede", old),
                Replay::Unsafe,
            )
            .names_memory();
            match replacement {
                Replacement::Existing(new_id) => {
                    call.query(vec![("new_memory_id", new_id.clone())])
                }
                Replacement::New(m) => call.body(&m.to_body()),
            }
        }
        Op::Contradict {
            memory_id,
            reason,
            contradicting,
        } => {
            let mut body = serde_json::Map::new();
            if let Some(r) = reason {
                body.insert("reason".into(), json!(r));
            }
            if let Some(c) = contradicting {
                body.insert("contradicting_memory_id".into(), json!(c));
            }
            let call = Call::new(
                M::POST,
                memory_path(agent, "contradict", memory_id),
                Replay::Safe,
            )
            .names_memory();
            if body.is_empty() {
                call
            } else {
                call.json(Value::Object(body))
            }
        }
        Op::Update { memory_id, update } => Call::new(M::PATCH, v1_memory(memory_id), Replay::Safe)
            .json(update_body(agent, update))
            .names_memory(),
        Op::Delete(memory_id) => Call::new(M::DELETE, v1_memory(memory_id), Replay::Safe)
            .query(vec![("namespace", memanto_protocol::namespace(agent))])
            .names_memory(),
        Op::Upload { name, bytes } => super::upload_call(agent, name, bytes),
        Op::Expire { .. } | Op::Restore(_) => {
            return Err(R::missing(
                "memories there do not expire: expire/restore arrived with 0.2.11",
                "Use supersede() or contradict(), or delete() the memory.",
            ))
        }
        Op::Extract(_) => {
            return Err(R::missing(
                NOT_LEGACY,
                "Store the facts yourself with batch_remember().",
            ))
        }
        Op::DailySummary { .. } => {
            return Err(R::missing(
                NOT_LEGACY,
                "Use recall_changed_since(since=<start of the day>) for a day's memories.",
            ))
        }
        Op::GenerateConflicts { .. } | Op::Conflicts { .. } | Op::ResolveConflict(_) => {
            return Err(R::missing(
                NOT_LEGACY,
                "Use contradict() and supersede() to record conflicts on this server.",
            ))
        }
        Op::GetPolicy
        | Op::PutPolicy(_)
        | Op::PolicyPresets
        | Op::PolicyPreset(_)
        | Op::ApplyPolicyPreset(_)
        | Op::ApplyPolicy { .. }
        | Op::PurgeExpired { .. } => {
            return Err(R::missing(
                "expiry policies arrived with 0.2.11",
                "Delete memories you no longer need with delete().",
            ))
        }
    };
    Ok(call)
}

/// Bring 0.0.x's odd success shapes to the common one: the v1 memory router answers update
/// with `{id, namespace, status, action, reason, updated_fields}` and delete with
/// `{"message": "Memory deleted successfully"}`, neither naming the memory as `memory_id`.
pub fn normalize(op: &Op<'_>, body: Value) -> Value {
    let (memory_id, deleted) = match *op {
        Op::Update { memory_id, .. } => (memory_id, false),
        Op::Delete(memory_id) => (memory_id, true),
        _ => return body,
    };
    let Value::Object(mut m) = body else {
        return body;
    };
    m.entry("memory_id").or_insert_with(|| json!(memory_id));
    if deleted {
        m.entry("status").or_insert_with(|| json!("deleted"));
    }
    Value::Object(m)
}

/// 0.0.x's own error rules (before the shared ones).
pub fn classify(call: &Call, resp: &ErrorResponse) -> Option<(ErrorKind, String)> {
    let lower = resp.lower();
    let code = resp.code();
    let s = |t: &str| Some(t.to_string());
    match resp.status {
        401 if code == "SessionExpired" || lower.contains("expired") => {
            Some((ErrorKind::SessionExpired, EXPIRED_REMEDY.into()))
        }
        401 if code == "InvalidSessionToken"
            || lower.contains("session token") && !lower.contains("missing") =>
        {
            s(
                "The session token was rejected (malformed, signed by another server, or revoked \
               by deactivate). Activate the agent again to get a new token.",
            )
            .map(|r| (ErrorKind::InvalidSessionToken, r))
        }
        401 if lower.contains("missing session token") => {
            Some((ErrorKind::SessionTokenMissing, MISSING_TOKEN_REMEDY.into()))
        }
        401 => s(
            "Check the API key: pass api_key=... or set the MOORCHEH_API_KEY environment \
                  variable (keys are managed at console.moorcheh.ai/api-keys; for a LocalServer \
                  use server.api_key).",
        )
        .map(|r| (ErrorKind::Authentication, r)),
        // 0.0.8 reports a token of another agent as an internal error.
        500 if lower.contains("cannot access") => s(
            "This session token may not be used here. A session token only works for the agent \
             that was activated; activate the agent you are calling.",
        )
        .map(|r| (ErrorKind::PermissionDenied, r)),
        // The v1 memory router: `{"detail":"Memory not found"}`.
        404 if call.target.names_memory && lower.contains("memory not found") => {
            Some((ErrorKind::NotFound, crate::error::MEMORY_REMEDY.into()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
