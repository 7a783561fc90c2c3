//! `POST /api/v2/agents/{agent_id}/daily-summary` (API-0.2 §7.1), without an LLM.
//!
//! Divergences from 0.2.30: the summary is built locally from the memories the agent stored
//! that UTC day (not from session log files summarised by a model): `summary_path` and
//! `output_path` are `null`, and `summary.text` lists the day's memories by type (a key the
//! real server does not send). `output_path` in the body is ignored, as there.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::body::{date_id, optional_object};
use super::current_only::session_for;
use super::{body_bytes, ok};
use crate::auth::AgentSession;
use crate::db;
use crate::db::daily::DayItem;
use crate::error::ApiResult;
use crate::state::AppState;

/// The summary text: a headline, then each type (alphabetical) with its memories' titles.
fn summary_text(agent_id: &str, date: &str, items: &[DayItem], sessions: usize) -> String {
    let mut by_type: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for item in items {
        by_type.entry(&item.mtype).or_default().push(&item.title);
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut text = format!(
        "Daily summary of agent '{agent_id}' for {date}: {} in {}.",
        plural(items.len(), "memory").replace("memorys", "memories"),
        plural(sessions, "session")
    );
    for (mtype, titles) in by_type {
        text.push_str(&format!("\n\n{mtype} ({}):", titles.len()));
        for title in titles {
            text.push_str("\n- ");
            text.push_str(title);
        }
    }
    text
}

/// Optional body `{date?: "YYYY-MM-DD", output_path?}` (default today, UTC; a bad date is a
/// 400 `Invalid summary identifier`). 200 `{agent_id, session_id, date, summary, export}`
/// with `summary` `{status: "success", summary_path: null, sessions_count, agent_id, date,
/// text}` or `{status: "no_sessions"}` when nothing was stored that day, and `export`
/// `{output_path: null, total_memories, per_type_counts}`.
pub(super) async fn daily_summary(
    State(state): State<AppState>,
    s: AgentSession,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let (ctx, agent_id) = session_for(s)?;
    let obj = optional_object(&body_bytes(body)?)?;
    let date = date_id(obj.get("date"))?;
    let (aid, d) = (agent_id.clone(), date.clone());
    let items = state
        .read(move |conn| db::daily::created_on(conn, &aid, &d))
        .await?;
    let sessions: BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i.session_id.as_deref())
        .collect();
    let mut per_type: BTreeMap<&str, usize> = BTreeMap::new();
    for item in &items {
        *per_type.entry(&item.mtype).or_default() += 1;
    }
    let summary = if items.is_empty() {
        json!({"status": "no_sessions"})
    } else {
        json!({
            "status": "success", "summary_path": null, "sessions_count": sessions.len(),
            "agent_id": agent_id, "date": date,
            "text": summary_text(&agent_id, &date, &items, sessions.len()),
        })
    };
    ok(json!({
        "agent_id": agent_id,
        "session_id": ctx.session.session_id,
        "date": date,
        "summary": summary,
        "export": {"output_path": null, "total_memories": items.len(), "per_type_counts": per_type},
    }))
}
