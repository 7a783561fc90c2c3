//! The 0.2.x `recall/recent` and `recall/all` listing: filters (any of the types, any of the
//! tags, status, inclusive creation bounds), newest `created_at` first, and the number of
//! matches before the limit.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

use super::memories::{from_row, COLUMNS, N_COLUMNS};
use super::query::{SearchResult, StatusFilter};
use crate::error::ApiResult;

/// What `recall/recent` and `recall/all` list.
#[derive(Debug, Clone, Default)]
pub struct RecentQuery {
    pub agent_id: String,
    pub limit: i64,
    /// Any of these types (empty = all).
    pub types: Vec<String>,
    /// Any of these tags (empty = all).
    pub tags: Vec<String>,
    pub status: StatusFilter,
    /// Inclusive bounds, in the stored timestamp format.
    pub created_after: Option<String>,
    pub created_before: Option<String>,
}

fn placeholders(args: &mut Vec<SqlValue>, items: &[String]) -> String {
    items
        .iter()
        .map(|i| {
            args.push(SqlValue::Text(i.clone()));
            format!("?{}", args.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `q`.
pub fn list(conn: &Connection, q: &RecentQuery) -> ApiResult<SearchResult> {
    let mut args: Vec<SqlValue> = vec![SqlValue::Text(q.agent_id.clone())];
    let mut sql = String::new();
    if !q.types.is_empty() {
        sql += &format!(" AND m.type IN ({})", placeholders(&mut args, &q.types));
    }
    if !q.tags.is_empty() {
        sql += &format!(
            " AND EXISTS (SELECT 1 FROM memory_tags t WHERE t.memory_seq = m.seq AND t.tag IN ({}))",
            placeholders(&mut args, &q.tags)
        );
    }
    if let Some(after) = &q.created_after {
        args.push(SqlValue::Text(after.clone()));
        sql += &format!(" AND m.created_at >= ?{}", args.len());
    }
    if let Some(before) = &q.created_before {
        args.push(SqlValue::Text(before.clone()));
        sql += &format!(" AND m.created_at <= ?{}", args.len());
    }
    sql += q.status.sql();
    args.push(SqlValue::Integer(q.limit));
    let sql = format!(
        "SELECT {COLUMNS}, COUNT(*) OVER () FROM memories m
         WHERE m.agent_id = ?1{sql}
         ORDER BY m.created_at DESC, m.seq DESC
         LIMIT ?{}",
        args.len()
    );
    let mut total = 0;
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(args), |r| {
            Ok((from_row(r)?, r.get::<_, i64>(N_COLUMNS)?))
        })?
        .map(|res| {
            res.map(|(row, n)| {
                total = n;
                row
            })
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(SearchResult { rows, total })
}
