//! Server generation 0.1+ / 0.2.x (`spec/API-0.2.md`), and every quirk of it:
//! - recall and the temporal queries are POSTs with JSON bodies (`type` as a list); as-of takes
//!   no query; `recall/recent` and `recall/all` need a `{}` body;
//! - remember and answer take everything in the JSON body (`ai_model`; no prompts);
//! - management routes (agents, activate, deactivate, `/status`) pass a gate: the key as
//!   `X-Api-Key` (or Bearer), or a loopback caller;
//! - there is no extend: a session is renewed by activating again, which revokes the agent's
//!   older tokens, and the server renews sessions itself near expiry, returning the replacement
//!   in an `X-Session-Token` response header on success only (`session.rs` acts on this);
//! - `GET /status` reports the server's most recent session, not necessarily the caller's;
//! - some input errors come back as 500 (expire with a bad reason, extract with nothing found)
//!   or as a text/plain 500 that closes the connection.

use reqwest::Method;
use serde_json::json;

use super::{agent_path, memory_path, Encoded, Refusal, EXPIRED_REMEDY, MISSING_TOKEN_REMEDY};
use crate::args::{MemoryInput, TemporalArgs};
use crate::error::{Error, ErrorKind, ErrorResponse};
use crate::http::{Call, Replay};
use crate::ops::Op;
use memanto_protocol::limits::MAX_TEMPERATURE_CURRENT;
use memanto_protocol::wire::{
    AnswerBody, DateBody, DryRunBody, ExpireBody, ExtractBody, PresetBody, RecallBody,
    ResolveConflictBody, TemporalBody, UpdateBody,
};

const REMOVED: &str = "validate, supersede and contradict were removed in the 0.1 generation";

use Refusal as R;

fn list(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn temporal(args: &TemporalArgs) -> TemporalBody {
    TemporalBody {
        limit: args.limit,
        types: list(&args.memory_types),
        tags: list(&args.tags),
        status: args.status.clone(),
        created_after: args.created_after.clone(),
        created_before: args.created_before.clone(),
        ..Default::default()
    }
}

/// Tag rules of 0.2.x writes (API-0.2 §9.5), checked before sending.
fn check_tags(tags: &[String]) -> Result<(), Error> {
    use memanto_protocol::limits::{MAX_TAGS, MAX_TAG_CHARS, TAG_INJECTION_PHRASES};
    if tags.len() > MAX_TAGS {
        return Err(Error::validation(format!(
            "a memory may carry at most {MAX_TAGS} tags on 0.2.x servers, got {}",
            tags.len()
        )));
    }
    for t in tags {
        let v = t.trim();
        let lower = v.to_lowercase();
        let bad = v.chars().count() > MAX_TAG_CHARS
            || v.starts_with('#')
            || v.chars()
                .any(|c| c.is_control() || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))
            || lower.starts_with("system:")
            || TAG_INJECTION_PHRASES.iter().any(|p| lower.contains(p));
        if bad {
            return Err(Error::validation(format!(
                "tag {:?} is refused by 0.2.x servers: 1 to {MAX_TAG_CHARS} characters, no control \
                 characters, no leading '#', no instruction-like phrases",
                v.chars().take(40).collect::<String>()
            )));
        }
    }
    Ok(())
}

fn remember_body(m: &MemoryInput) -> Result<memanto_protocol::wire::RememberBody, Error> {
    check_tags(&m.tags)?;
    Ok(m.to_body())
}

/// Turn `op` into a 0.2.x request.
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
            if metadata.is_some_and(|m| !m.is_empty()) {
                return Err(R::argument(
                    "metadata",
                    "0.2.x servers do not store agent metadata",
                    "Leave metadata out (put it in description=... if it must be kept).",
                ));
            }
            let mut body = json!({ "agent_id": agent_id });
            if let Some(p) = pattern {
                body["pattern"] = json!(p);
            }
            if let Some(d) = description {
                body["description"] = json!(d);
            }
            Call::new(M::POST, "/api/v2/agents", Replay::Safe)
                .json(body)
                .mgmt()
        }
        Op::ListAgents => Call::new(M::GET, "/api/v2/agents", Replay::Safe).mgmt(),
        Op::GetAgent(id) => Call::new(M::GET, format!("/api/v2/agents/{id}"), Replay::Safe).mgmt(),
        Op::DeleteAgent(id) => {
            Call::new(M::DELETE, format!("/api/v2/agents/{id}"), Replay::Safe).mgmt()
        }
        Op::Activate {
            agent_id,
            duration_hours,
        } => {
            if duration_hours.is_some() {
                return Err(R::argument(
                    "duration_hours",
                    "0.2.x servers set the session lifetime themselves (6 hours by default) and \
                     ignore duration_hours",
                    "Leave duration_hours out; sessions are renewed automatically.",
                ));
            }
            Call::new(M::POST, agent_path(agent_id, "activate"), Replay::Unsafe).mgmt()
        }
        Op::Deactivate(id) => {
            Call::new(M::POST, agent_path(id, "deactivate"), Replay::Safe).mgmt()
        }
        Op::ListSessions => {
            return Err(R::missing(
                "GET /sessions was removed in the 0.1 generation",
                "Use client.status() for the server's active session, or session.current().",
            ))
        }
        Op::Status | Op::SessionCurrent => {
            Call::new(M::GET, "/api/v2/status", Replay::Safe).mgmt()
        }
        Op::Extend { .. } => {
            return Err(R::missing(
                "0.2.x has no extend endpoint",
                "session.extend() renews by activating the agent again.",
            ))
        }
        Op::Remember(m) => Call::new(M::POST, agent_path(agent, "remember"), Replay::Unsafe)
            .body(&remember_body(m)?),
        Op::BatchRemember(items) => {
            let memories = items
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    remember_body(m).map_err(|e| Error::validation(format!("memory {i}: {}", e.message)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Call::new(M::POST, agent_path(agent, "batch-remember"), Replay::Unsafe)
                .body(&memanto_protocol::wire::BatchRememberBody { memories })
        }
        Op::Recall(a) => {
            let body = RecallBody {
                query: a.query.clone(),
                limit: a.limit,
                status: a.status.clone(),
                min_similarity: a.min_similarity,
                types: list(&a.memory_types),
                tags: list(&a.tags),
                created_after: a.created_after.clone(),
                created_before: a.created_before.clone(),
            };
            Call::new(M::POST, agent_path(agent, "recall"), Replay::Safe).body(&body)
        }
        // 0.2.x as-of lists what was valid at that time; it takes no query.
        Op::RecallAsOf { as_of, args, .. } => {
            let body = TemporalBody {
                as_of: Some(as_of.to_string()),
                limit: args.limit,
                types: list(&args.memory_types),
                tags: list(&args.tags),
                ..Default::default()
            };
            Call::new(M::POST, agent_path(agent, "recall/as-of"), Replay::Safe).body(&body)
        }
        Op::RecallChangedSince { since, args } => {
            let body = TemporalBody {
                since: Some(since.to_string()),
                created_after: None,
                created_before: None,
                ..temporal(args)
            };
            Call::new(M::POST, agent_path(agent, "recall/changed-since"), Replay::Safe).body(&body)
        }
        // No recall/current any more; the closest honest thing is recall of active memories.
        Op::RecallCurrent { query, args } => {
            let body = RecallBody {
                query: query.to_string(),
                limit: args.limit,
                status: Some("active".into()),
                types: list(&args.memory_types),
                tags: list(&args.tags),
                ..Default::default()
            };
            Call::new(M::POST, agent_path(agent, "recall"), Replay::Safe).body(&body)
        }
        Op::RecallRecent(args) => {
            Call::new(M::POST, agent_path(agent, "recall/recent"), Replay::Safe).body(&temporal(args))
        }
        Op::RecallAll(args) => {
            Call::new(M::POST, agent_path(agent, "recall/all"), Replay::Safe).body(&temporal(args))
        }
        Op::Answer(a) => {
            if a.header_prompt.is_some() || a.footer_prompt.is_some() {
                return Err(R::argument(
                    "header_prompt",
                    "0.2.x servers fix the answer prompts server-side",
                    "Leave header_prompt/footer_prompt out.",
                ));
            }
            if let Some(t) = a.temperature {
                if t > MAX_TEMPERATURE_CURRENT {
                    return Err(Refusal::Invalid(Error::validation(format!(
                        "temperature must be between 0.0 and {MAX_TEMPERATURE_CURRENT}, got {t}"
                    ))));
                }
            }
            let body = AnswerBody {
                question: a.question.clone(),
                limit: a.limit,
                threshold: a.threshold,
                temperature: a.temperature,
                ai_model: a.ai_model.clone(),
                kiosk_mode: a.kiosk_mode.unwrap_or(false),
                ..Default::default()
            };
            Call::new(M::POST, agent_path(agent, "answer"), Replay::Safe).body(&body)
        }
        Op::Validate(_) => {
            return Err(R::missing(
                REMOVED,
                "Confirmed memories need no marking there; use update(memory_id, confidence=...).",
            ))
        }
        Op::Supersede { .. } => {
            return Err(R::missing(
                REMOVED,
                "Store the new memory with remember() and expire(old_memory_id) the old one.",
            ))
        }
        Op::Contradict { .. } => {
            return Err(R::missing(
                REMOVED,
                "Use expire(memory_id, reason=\"contradicted\"), or conflicts() and resolve_conflict().",
            ))
        }
        Op::Update { memory_id, update } => {
            if update.provenance.is_some() {
                return Err(R::argument(
                    "provenance",
                    "0.2.x servers keep a memory's provenance on update",
                    "Leave provenance out, or store a new memory with the provenance you want.",
                ));
            }
            if let Some(t) = &update.tags {
                check_tags(t)?;
            }
            let body = UpdateBody {
                title: update.title.clone(),
                content: update.content.clone(),
                memory_type: update.memory_type.clone(),
                confidence: update.confidence,
                tags: update.tags.clone(),
                source: update.source.clone(),
                provenance: None,
            };
            Call::new(M::PATCH, memory_path(agent, "memories", memory_id), Replay::Safe)
                .body(&body)
                .names_memory()
        }
        Op::Delete(memory_id) => {
            Call::new(M::DELETE, memory_path(agent, "memories", memory_id), Replay::Safe)
                .names_memory()
        }
        Op::Expire { memory_id, reason } => {
            let path = format!("{}/expire", memory_path(agent, "memories", memory_id));
            Call::new(M::POST, path, Replay::Safe)
                .body(&ExpireBody {
                    reason: reason.map(str::to_string),
                })
                .names_memory()
        }
        Op::Restore(memory_id) => {
            let path = format!("{}/restore", memory_path(agent, "memories", memory_id));
            Call::new(M::POST, path, Replay::Safe).names_memory()
        }
        Op::Extract(a) => {
            let body = ExtractBody {
                messages: a.messages.clone(),
                dry_run: a.dry_run,
                max_memories: a.max_memories,
                ai_model: a.ai_model.clone(),
            };
            let replay = if a.dry_run { Replay::Safe } else { Replay::Unsafe };
            Call::new(M::POST, agent_path(agent, "remember/extract"), replay).body(&body)
        }
        Op::Upload { name, bytes } => super::upload_call(agent, name, bytes),
        Op::DailySummary { date } => {
            Call::new(M::POST, agent_path(agent, "daily-summary"), Replay::Safe).body(&DateBody {
                date: date.map(str::to_string),
            })
        }
        // Generating overwrites the day's report (and its resolutions): never replayed.
        Op::GenerateConflicts { date } => Call::new(
            M::POST,
            agent_path(agent, "conflicts/generate"),
            Replay::Unsafe,
        )
        .body(&DateBody {
            date: date.map(str::to_string),
        }),
        Op::Conflicts { date } => {
            let q = date.map(|d| vec![("date", d.to_string())]).unwrap_or_default();
            Call::new(M::GET, agent_path(agent, "conflicts"), Replay::Safe).query(q)
        }
        Op::ResolveConflict(r) => {
            let body = ResolveConflictBody {
                conflict_index: r.conflict_index,
                action: r.action.clone(),
                date: r.date.clone(),
                manual_content: r.manual_content.clone(),
                manual_type: r.manual_type.clone(),
            };
            Call::new(M::POST, agent_path(agent, "conflicts/resolve"), Replay::Unsafe).body(&body)
        }
        Op::GetPolicy => Call::new(M::GET, agent_path(agent, "policy"), Replay::Safe),
        Op::PutPolicy(policy) => {
            Call::new(M::PUT, agent_path(agent, "policy"), Replay::Safe).json(policy.clone())
        }
        Op::PolicyPresets => Call::new(M::GET, agent_path(agent, "policy/presets"), Replay::Safe),
        Op::PolicyPreset(name) => Call::new(
            M::GET,
            agent_path(agent, &format!("policy/presets/{}", crate::validate::path_segment(name))),
            Replay::Safe,
        ),
        Op::ApplyPolicyPreset(name) => Call::new(M::POST, agent_path(agent, "policy/preset"), Replay::Safe)
            .body(&PresetBody {
                name: name.to_string(),
            }),
        Op::ApplyPolicy { dry_run } => {
            Call::new(M::POST, agent_path(agent, "policy/apply"), Replay::Safe)
                .body(&DryRunBody { dry_run })
        }
        Op::PurgeExpired { dry_run } => {
            Call::new(M::POST, agent_path(agent, "policy/purge"), Replay::Safe)
                .body(&DryRunBody { dry_run })
        }
    };
    // Memory routes carry the key too: a server may then recreate an expired session for a
    // management caller instead of refusing the call.
    Ok(if op.needs_token() { call.mgmt() } else { call })
}

const REVOKED_REMEDY: &str =
    "The server no longer accepts this session token: 0.2.x servers revoke \
    a token when the agent is activated again (by any client), when they renew the session, on \
    deactivate and when the agent is deleted. Activate the agent again (sessions activated by \
    agent.activate() do this themselves once).";

/// 0.2.x's own error rules (before the shared ones).
pub fn classify(call: &Call, resp: &ErrorResponse) -> Option<(ErrorKind, String)> {
    let lower = resp.lower();
    let code = resp.code();
    let out = |k: ErrorKind, r: &str| Some((k, r.to_string()));
    match resp.status {
        401 if code == memanto_protocol::codes::SESSION_EXPIRED => {
            out(ErrorKind::SessionExpired, EXPIRED_REMEDY)
        }
        401 if code == memanto_protocol::codes::INVALID_SESSION_TOKEN => {
            if lower.contains("no longer active") {
                out(ErrorKind::InvalidSessionToken, REVOKED_REMEDY)
            } else {
                out(
                    ErrorKind::InvalidSessionToken,
                    "The session token was rejected (malformed or signed by another server). \
                     Activate the agent again to get a new token.",
                )
            }
        }
        401 if lower.contains("missing session token") => {
            out(ErrorKind::SessionTokenMissing, MISSING_TOKEN_REMEDY)
        }
        401 => out(
            ErrorKind::Authentication,
            "This server's management routes need its key: pass api_key=... (or set \
             MOORCHEH_API_KEY) to the server's MOORCHEH_API_KEY, or MEMANTO_SECRET_KEY for an \
             on-prem server; callers on the server's own machine (loopback) need none.",
        ),
        403 if lower.contains("origin not allowed") => out(
            ErrorKind::PermissionDenied,
            "The server refuses management calls from this Origin; call it without an Origin \
             header, or add the origin to the server's ALLOWED_ORIGINS.",
        ),
        404 if lower == "no active session" => out(
            ErrorKind::NotFound,
            "The server has no active session (none was activated, or the last one was \
             deactivated). Activate an agent first.",
        ),
        500 if !resp.is_json => out(
            ErrorKind::Server,
            "The server failed with a plain-text error (it closes the connection after one; \
             the client reconnects). A malformed id or a backend failure can cause this.",
        ),
        500 if call.target.op == "session.extract()" => out(
            ErrorKind::Server,
            "The server failed to extract memories; on 0.2.x this also happens when the \
             conversation held nothing worth remembering.",
        ),
        500 if call.target.op == "session.expire()" && lower.contains("reason") => out(
            ErrorKind::Validation,
            "Use a reason of letters, digits, '.', '_' and '-'.",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
