//! Conflicts (API-0.2 §7.2–7.4): generate a date's report with the local heuristic of
//! `crate::conflicts`, list its unresolved entries, resolve one.
//!
//! Divergences from 0.2.30: detection is a word-overlap heuristic, not the hosted agent run;
//! `json_path` is `null`; a missing report or an index out of range is a 404 and an entry
//! already resolved a 409 (0.2.30: generic 500s); entries carry an extra `memory_type`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use memanto_protocol::CONFLICT_ACTIONS;
use serde_json::{json, Map, Value};

use super::body::{date_id, int_field, optional_object};
use super::current_only::session_for;
use super::{body_bytes, ok};
use crate::auth::AgentSession;
use crate::conflicts;
use crate::db;
use crate::db::memories::NewMemory;
use crate::error::{ApiError, ApiResult};
use crate::model::{self, MAX_CONTENT_CHARS, MEMORY_TYPES};
use crate::state::AppState;
use crate::time;
use crate::validate::{self, loc, Problems, QueryParams};

/// Optional body `{date?}`: builds the date's report from the agent's active memories and
/// stores it, overwriting an earlier one (and its resolutions). 200 `{agent_id, session_id,
/// date, conflicts: {status: "success", json_path: null, conflict_count}}`.
pub(super) async fn generate(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (ctx, agent_id) = session_for(s)?;
    let date = date_id(optional_object(&body_bytes(body)?)?.get("date"))?;
    // Detection reads a snapshot off the writer (it compares many pairs); a memory deleted
    // before the report is stored is answered with a warning when resolved.
    let aid = agent_id.clone();
    let rows = state
        .read(move |conn| db::expiry::all_rows(conn, &aid))
        .await?;
    let report: Vec<Value> = conflicts::detect(&rows, &date)
        .iter()
        .map(|f| conflicts::entry(f, &rows))
        .collect();
    let count = report.len();
    let (aid, d) = (agent_id.clone(), date.clone());
    state
        .write(move |conn| db::conflicts::put(conn, &aid, &d, &report, &time::fmt(&time::now())))
        .await?;
    ok(json!({
        "agent_id": agent_id, "session_id": ctx.session.session_id, "date": date,
        "conflicts": {"status": "success", "json_path": null, "conflict_count": count},
    }))
}

/// `GET …/conflicts?date=`: the unresolved entries with their `index` in the full report;
/// `[]` when there is no report. 200 `{agent_id, session_id, date, conflicts, count}`.
pub(super) async fn list(
    State(state): State<AppState>,
    s: AgentSession,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let (ctx, agent_id) = session_for(s)?;
    let q = QueryParams::parse(raw.as_deref());
    let date = date_id(q.get("date").map(|d| json!(d)).as_ref())?;
    let (aid, d) = (agent_id.clone(), date.clone());
    let report = state
        .read(move |conn| db::conflicts::get(conn, &aid, &d))
        .await?
        .unwrap_or_default();
    let open: Vec<Value> = report
        .into_iter()
        .enumerate()
        .filter(|(_, e)| e["resolved"] != true)
        .map(|(i, mut e)| {
            e["index"] = json!(i);
            e
        })
        .collect();
    ok(json!({
        "agent_id": agent_id, "session_id": ctx.session.session_id, "date": date,
        "count": open.len(), "conflicts": open,
    }))
}

/// A validated resolve body.
struct Resolve {
    index: usize,
    action: String,
    manual: Option<(String, Option<String>)>,
}

fn parse_resolve(obj: &Map<String, Value>) -> ApiResult<Resolve> {
    let mut p = Problems::new();
    let base = loc(&["body"]);
    let index = match obj.get("conflict_index") {
        None => {
            p.missing(loc(&["body", "conflict_index"]));
            0
        }
        Some(_) => match int_field(obj, "conflict_index", &mut p) {
            Some(i) if i < 0 => {
                p.ge(loc(&["body", "conflict_index"]), json!(i), json!(0));
                0
            }
            Some(i) => i,
            None => 0,
        },
    };
    let action = validate::req_str(obj, "action", &base, &mut p).unwrap_or_default();
    if obj.get("action").is_some_and(Value::is_string)
        && !CONFLICT_ACTIONS.contains(&action.as_str())
    {
        p.one_of(loc(&["body", "action"]), json!(action), &CONFLICT_ACTIONS);
    }
    let content = validate::opt_str(obj, "manual_content", &base, &mut p);
    let mtype = validate::opt_str(obj, "manual_type", &base, &mut p);
    if let Some(t) = &mtype {
        if !MEMORY_TYPES.contains(&t.as_str()) {
            p.one_of(loc(&["body", "manual_type"]), json!(t), &MEMORY_TYPES);
        }
    }
    if let Some(c) = &content {
        if c.chars().count() > MAX_CONTENT_CHARS {
            p.too_long(
                loc(&["body", "manual_content"]),
                json!(c),
                MAX_CONTENT_CHARS,
            );
        }
    }
    let manual = if action == "manual" {
        match content.filter(|c| !c.trim().is_empty()) {
            Some(c) => Some((c.trim().to_owned(), mtype)),
            None => {
                p.push(
                    "value_error",
                    base,
                    "Value error, manual_content is required when action is 'manual'",
                    Value::Object(obj.clone()),
                    None,
                );
                None
            }
        }
    } else {
        None
    };
    p.finish()?;
    Ok(Resolve {
        index: usize::try_from(index).unwrap_or(usize::MAX),
        action,
        manual,
    })
}

/// `POST …/conflicts/resolve` `{conflict_index, action, date?, manual_content?,
/// manual_type?}`: applies the action (§7.4) and marks the entry resolved, in one
/// transaction. 200 `{agent_id, session_id, date, action, status: "resolved", …}` plus
/// `deleted` / `deleted_old` / `deleted_new` / `expired_old` / `expired_new` / `note` /
/// `new_memory_id`, and `warning` / `warning_old` / `warning_new` for a memory already gone.
pub(super) async fn resolve(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (ctx, agent_id) = session_for(s)?;
    let obj = validate::json_object(&body_bytes(body)?)?;
    let req = parse_resolve(&obj)?;
    let date = date_id(obj.get("date"))?;
    let (aid, sid, d) = (
        agent_id.clone(),
        ctx.session.session_id.clone(),
        date.clone(),
    );
    let mut out = state
        .write(move |conn| -> ApiResult<Map<String, Value>> {
            let tx = conn.savepoint()?;
            let mut report = db::conflicts::get(&tx, &aid, &d)?.unwrap_or_default();
            let Some(entry) = report.get_mut(req.index) else {
                return Err(ApiError::detail(
                    StatusCode::NOT_FOUND,
                    format!("Conflict {} was not found in the report of {d}.", req.index),
                ));
            };
            if entry["resolved"] == true {
                return Err(ApiError::detail(
                    StatusCode::CONFLICT,
                    format!("Conflict {} of {d} is already resolved.", req.index),
                ));
            }
            let old = entry["old_memory_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let new = entry["new_memory_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let mut out = Map::new();
            let gone = |id: &str| json!(format!("Memory '{id}' was not found."));
            let now = time::fmt(&time::now());
            // (memory, key on success, key of the warning otherwise, delete or expire)
            let both = |k: &str| (format!("{k}_old"), format!("{k}_new"));
            let steps: Vec<(&str, String, String, bool)> = match req.action.as_str() {
                "keep_old" => vec![(&new, "deleted".into(), "warning".into(), true)],
                "keep_new" => vec![(&old, "deleted".into(), "warning".into(), true)],
                "expire_old" => vec![(&old, "expired_old".into(), "warning".into(), false)],
                "expire_new" => vec![(&new, "expired_new".into(), "warning".into(), false)],
                "remove_both" | "manual" => {
                    let (a, b) = both("deleted");
                    vec![
                        (&old, a, "warning_old".into(), true),
                        (&new, b, "warning_new".into(), true),
                    ]
                }
                "expire_both" => {
                    let (a, b) = both("expired");
                    vec![
                        (&old, a, "warning_old".into(), false),
                        (&new, b, "warning_new".into(), false),
                    ]
                }
                _ => Vec::new(),
            };
            for (id, key, warn, delete) in steps {
                let done = if delete {
                    db::expiry::delete(&tx, &aid, id)?
                } else {
                    db::expiry::expire(&tx, &aid, id, "conflict-resolution", &now)?
                };
                if done {
                    out.insert(key, json!(id));
                } else {
                    out.insert(warn, gone(id));
                }
            }
            if req.action == "keep_both" {
                out.insert("note".into(), json!("Both memories were kept."));
            }
            if let Some((content, mtype)) = &req.manual {
                let mtype = mtype
                    .clone()
                    .or_else(|| entry["memory_type"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| "fact".to_owned());
                let memory = NewMemory {
                    mtype,
                    title: model::default_title(content),
                    content: content.clone(),
                    tags: vec!["conflict-resolution".into()],
                    confidence: 0.9,
                    source: "user".into(),
                    provenance: "corrected".into(),
                };
                let id = db::memories::insert(&tx, &aid, &sid, &now, &memory)?;
                out.insert("new_memory_id".into(), json!(id));
            }
            entry["resolved"] = json!(true);
            entry["resolution"] = json!(req.action);
            db::conflicts::put(&tx, &aid, &d, &report, &now)?;
            tx.commit()?;
            Ok(out)
        })
        .await?;
    out.insert("agent_id".into(), json!(agent_id));
    out.insert("session_id".into(), json!(ctx.session.session_id));
    out.insert("date".into(), json!(date));
    out.insert("action".into(), obj["action"].clone());
    out.insert("status".into(), json!("resolved"));
    ok(Value::Object(out))
}
