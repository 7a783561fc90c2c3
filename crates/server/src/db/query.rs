//! Searching memories: ranked full-text search or a recency listing, with every filter
//! applied in SQL before the limit, and the number of matches before the limit.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

use super::memories::{from_row, COLUMNS, N_COLUMNS};
use crate::error::ApiResult;
use crate::model::MemoryRow;

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub agent_id: String,
    /// FTS5 MATCH expression (see `search::match_expression`), ranked best first; `None`
    /// lists memories newest `updated_at` first instead.
    pub fts: Option<String>,
    pub limit: i64,
    /// Minimum similarity (text searches only).
    pub min_similarity: Option<f64>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    /// Any of these types (empty = all).
    pub types: Vec<String>,
    /// All of these tags.
    pub tags: Vec<String>,
    /// Only memories that existed and were not yet superseded at this time.
    pub valid_at: Option<String>,
    /// Leave out superseded memories.
    pub exclude_superseded: bool,
    /// Only memories created or updated after this time.
    pub changed_since: Option<String>,
}

/// A page of results and the number of matches before the limit.
#[derive(Debug, Clone, Default)]
pub struct SearchResult {
    pub rows: Vec<MemoryRow>,
    pub total: i64,
}

/// Positional SQL arguments.
#[derive(Default)]
struct Args(Vec<SqlValue>);

impl Args {
    /// Adds a value and returns its placeholder.
    fn bind(&mut self, v: impl Into<SqlValue>) -> String {
        self.0.push(v.into());
        format!("?{}", self.0.len())
    }

    fn bind_list(&mut self, items: &[String]) -> String {
        items
            .iter()
            .map(|i| self.bind(i.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The `AND ...` conditions on `m` for every filter of `q` but the text match.
fn filters(q: &SearchQuery, args: &mut Args) -> String {
    let mut sql = String::new();
    if !q.types.is_empty() {
        sql += &format!(" AND m.type IN ({})", args.bind_list(&q.types));
    }
    if let Some(after) = &q.created_after {
        sql += &format!(" AND m.created_at >= {}", args.bind(after.clone()));
    }
    if let Some(before) = &q.created_before {
        sql += &format!(" AND m.created_at <= {}", args.bind(before.clone()));
    }
    if !q.tags.is_empty() {
        let list = args.bind_list(&q.tags);
        let n = args.bind(q.tags.len() as i64);
        sql += &format!(
            " AND (SELECT COUNT(*) FROM memory_tags t WHERE t.memory_seq = m.seq
                   AND t.tag IN ({list})) = {n}"
        );
    }
    if let Some(at) = &q.valid_at {
        let at = args.bind(at.clone());
        sql += &format!(
            " AND m.created_at <= {at} AND (m.superseded_at IS NULL OR m.superseded_at > {at})"
        );
    }
    if q.exclude_superseded {
        sql += " AND m.status <> 'superseded'";
    }
    if let Some(since) = &q.changed_since {
        // `updated_at >= created_at` always, so this covers "created or updated".
        sql += &format!(" AND m.updated_at > {}", args.bind(since.clone()));
    }
    sql
}

/// Runs `q`: best first for a text search, else newest `updated_at` first.
pub fn search(conn: &Connection, q: &SearchQuery) -> ApiResult<SearchResult> {
    let mut args = Args::default();
    let sql = match &q.fts {
        Some(fts) => {
            let fts = args.bind(fts.clone());
            let agent = args.bind(q.agent_id.clone());
            let mut filters = filters(q, &mut args);
            if let Some(min) = q.min_similarity {
                filters += &format!(" AND r.x / (1.0 + r.x) >= {}", args.bind(min));
            }
            let limit = args.bind(q.limit);
            format!(
                "SELECT {COLUMNS}, r.x, COUNT(*) OVER ()
                 FROM (SELECT rowid AS seq, memanto_rank(memories_fts) AS x
                       FROM memories_fts WHERE memories_fts MATCH {fts}) AS r
                 JOIN memories m ON m.seq = r.seq
                 WHERE m.agent_id = {agent}{filters}
                 ORDER BY r.x DESC, m.seq DESC
                 LIMIT {limit}"
            )
        }
        None => {
            let agent = args.bind(q.agent_id.clone());
            let filters = filters(q, &mut args);
            let limit = args.bind(q.limit);
            format!(
                "SELECT {COLUMNS}, NULL, COUNT(*) OVER ()
                 FROM memories m
                 WHERE m.agent_id = {agent}{filters}
                 ORDER BY m.updated_at DESC, m.seq DESC
                 LIMIT {limit}"
            )
        }
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut total = 0;
    let rows = stmt
        .query_map(params_from_iter(args.0), |r| {
            let mut row = from_row(r)?;
            let x: Option<f64> = r.get(N_COLUMNS)?;
            row.score = x.map(crate::search::similarity);
            Ok((row, r.get::<_, i64>(N_COLUMNS + 1)?))
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
