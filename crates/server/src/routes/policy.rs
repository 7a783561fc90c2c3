//! Expiry policies (API-0.2 §8): get/put, presets, apply (the sweep) and purge. The policy
//! is stored per agent in SQLite; the sweep logic is `crate::expiry`.
//!
//! Divergences from 0.2.30: `PUT` answers `path: null` (no YAML file behind it); the presets'
//! retention tables are this server's own (see `crate::expiry::preset`).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use memanto_protocol::policy::Policy;
use serde_json::{json, Map, Value};

use super::body::{bool_field, optional_object};
use super::current_only::session_for;
use super::policy_parse::parse_policy;
use super::{body_bytes, ok};
use crate::auth::AgentSession;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::expiry::{self, parse_duration, preset as find_preset, PRESET_NAMES};
use crate::state::AppState;
use crate::time;
use crate::validate::{self, loc, Problems};

async fn stored_policy(state: &AppState, agent_id: &str) -> ApiResult<Option<Policy>> {
    let aid = agent_id.to_owned();
    state.read(move |conn| db::policies::get(conn, &aid)).await
}

async fn store_policy(state: &AppState, agent_id: &str, policy: Policy) -> ApiResult<Policy> {
    let (aid, now) = (agent_id.to_owned(), time::fmt(&time::now()));
    state
        .write(move |conn| db::policies::put(conn, &aid, &policy, &now).map(|_| policy))
        .await
}

/// `GET …/policy`: `{agent_id, policy, is_empty}` (the default empty policy when none is set).
pub(super) async fn get(State(state): State<AppState>, s: AgentSession) -> ApiResult<Response> {
    let (_, agent_id) = session_for(s)?;
    let policy = stored_policy(&state, &agent_id).await?.unwrap_or_default();
    ok(json!({"agent_id": agent_id, "is_empty": policy.is_empty(), "policy": policy}))
}

/// `PUT …/policy` with the policy object: replaces it (expires nothing). `{agent_id, policy,
/// path: null}`.
pub(super) async fn put(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (_, agent_id) = session_for(s)?;
    let policy = parse_policy(&validate::json_object(&body_bytes(body)?)?)?;
    let policy = store_policy(&state, &agent_id, policy).await?;
    ok(json!({"agent_id": agent_id, "policy": policy, "path": null}))
}

/// `GET …/policy/presets`: `{presets: [{name, description, retention, rule_count,
/// purge_expired_after}]}`.
pub(super) async fn presets(s: AgentSession) -> ApiResult<Response> {
    session_for(s)?;
    let list: Vec<Value> = ["conservative", "balanced", "aggressive"]
        .into_iter()
        .filter_map(|name| {
            let (description, p) = find_preset(name)?;
            Some(json!({
                "name": name,
                "description": description,
                "retention": p.retention,
                "rule_count": p.rules.len(),
                "purge_expired_after": p.purge_expired_after,
            }))
        })
        .collect();
    debug_assert_eq!(list.len(), PRESET_NAMES.len());
    ok(json!({"presets": list}))
}

/// `GET …/policy/presets/{name}`: `{name, description, policy}`; 404 for an unknown name.
pub(super) async fn preset(
    s: AgentSession,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Response> {
    let name = path.map(|Path((_, name))| name).map_err(|e| {
        ApiError::validation(json!({
            "type": "string_type",
            "loc": ["path", "name"],
            "msg": format!("Invalid path parameter: {e}"),
            "input": null,
        }))
    })?;
    session_for(s)?;
    let (description, policy) = find_preset(&name)
        .ok_or_else(|| ApiError::detail(StatusCode::NOT_FOUND, expiry::unknown_preset(&name)))?;
    ok(json!({"name": name, "description": description, "policy": policy}))
}

/// `POST …/policy/preset` `{name}`: overwrites the agent's policy with the preset;
/// `{agent_id, preset, policy}`; 400 for an unknown name.
pub(super) async fn set_preset(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (_, agent_id) = session_for(s)?;
    let obj = validate::json_object(&body_bytes(body)?)?;
    let mut p = Problems::new();
    let name = validate::req_str(&obj, "name", &loc(&["body"]), &mut p);
    p.finish()?;
    let name = name.unwrap_or_default();
    let (_, policy) = find_preset(&name)
        .ok_or_else(|| ApiError::detail(StatusCode::BAD_REQUEST, expiry::unknown_preset(&name)))?;
    let policy = store_policy(&state, &agent_id, policy).await?;
    ok(json!({"agent_id": agent_id, "preset": name, "policy": policy}))
}

fn dry_run(body: Result<Bytes, BytesRejection>) -> ApiResult<bool> {
    let obj = optional_object(&body_bytes(body)?)?;
    let mut p = Problems::new();
    let dry = bool_field(&obj, "dry_run", &mut p);
    p.finish()?;
    Ok(dry)
}

/// `POST …/policy/apply` optional `{dry_run}`: the sweep of §8.1, in one transaction with
/// one stamp time. `{agent_id, dry_run, policy_is_empty, scanned, already_expired, matched,
/// expired, per_rule, memories: [{id, title, type, created_at, updated_at, expired_by}],
/// errors: [{id, error}], evaluated_at}`; `matched` counts the memories due, `expired` those
/// stamped (0 on a dry run).
pub(super) async fn apply(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (_, agent_id) = session_for(s)?;
    let dry = dry_run(body)?;
    let aid = agent_id.clone();
    let out = state
        .write(move |conn| -> ApiResult<Value> {
            let now = time::now();
            let stamp = time::fmt(&now);
            let tx = conn.savepoint()?;
            let policy = db::policies::get(&tx, &aid)?.unwrap_or_default();
            let rows = db::expiry::all_rows(&tx, &aid)?;
            let sweep = expiry::sweep(&policy, &rows, now);
            let mut per_rule = Map::new();
            let mut memories = Vec::new();
            let mut expired = 0;
            for (i, reason) in &sweep.due {
                let row = &rows[*i];
                if !dry && db::expiry::expire(&tx, &aid, &row.id, reason, &stamp)? {
                    expired += 1;
                }
                let n = per_rule.get(reason).and_then(Value::as_u64).unwrap_or(0);
                per_rule.insert(reason.clone(), json!(n + 1));
                memories.push(json!({
                    "id": row.id, "title": row.title, "type": row.mtype,
                    "created_at": row.created_at, "updated_at": row.updated_at,
                    "expired_by": reason,
                }));
            }
            tx.commit()?;
            let errors: Vec<Value> = sweep
                .errors
                .iter()
                .map(|(id, e)| json!({"id": id, "error": e}))
                .collect();
            Ok(json!({
                "agent_id": aid, "dry_run": dry, "policy_is_empty": policy.is_empty(),
                "scanned": sweep.scanned, "already_expired": sweep.already_expired,
                "matched": sweep.due.len(), "expired": expired, "per_rule": per_rule,
                "memories": memories, "errors": errors, "evaluated_at": stamp,
            }))
        })
        .await?;
    ok(out)
}

/// `POST …/policy/purge` optional `{dry_run}`: permanently deletes expired memories with
/// `expired_at <= now - purge_expired_after` (disabled while that is `never`).
pub(super) async fn purge(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (_, agent_id) = session_for(s)?;
    let dry = dry_run(body)?;
    let aid = agent_id.clone();
    let out = state
        .write(move |conn| -> ApiResult<Value> {
            let now = time::now();
            let stamp = time::fmt(&now);
            let tx = conn.savepoint()?;
            let policy = db::policies::get(&tx, &aid)?.unwrap_or_default();
            let Some(window) = parse_duration(&policy.purge_expired_after).ok().flatten() else {
                return Ok(json!({
                    "agent_id": aid, "dry_run": dry, "enabled": false, "matched": 0,
                    "purged": 0, "memories": [], "errors": [], "evaluated_at": stamp,
                }));
            };
            let rows = db::expiry::all_rows(&tx, &aid)?;
            let mut memories = Vec::new();
            let mut purged = 0;
            for row in rows.iter().filter(|r| expiry::purgeable(r, window, now)) {
                if !dry && db::expiry::delete(&tx, &aid, &row.id)? {
                    purged += 1;
                }
                memories.push(json!({
                    "id": row.id, "title": row.title,
                    "expired_at": row.expired_at, "expired_by": row.expired_by,
                }));
            }
            tx.commit()?;
            Ok(json!({
                "agent_id": aid, "dry_run": dry, "enabled": true,
                "purge_expired_after": policy.purge_expired_after,
                "matched": memories.len(), "purged": purged, "memories": memories,
                "errors": [], "evaluated_at": stamp,
            }))
        })
        .await?;
    ok(out)
}
