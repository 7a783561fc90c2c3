//! Searching memories: ranked full-text search (the in-memory index) or a recency listing
//! (SQL), with every filter applied before the limit, and the number of matches before the
//! limit.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

use super::index::{AgentIndex, Doc};
use super::memories::{from_row, COLUMNS};
use super::Db;
use crate::error::ApiResult;
use crate::model::MemoryRow;

/// The 0.2.x `status` filter of reads: every memory, only active ones, or only expired ones
/// (a legacy `superseded` memory counts as active unless it is expired).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    All,
    Active,
    Expired,
}

impl StatusFilter {
    /// One of [`memanto_protocol::RECALL_STATUSES`] (exact, lower-case), else `None`.
    pub fn parse(s: &str) -> Option<StatusFilter> {
        match s {
            "all" => Some(StatusFilter::All),
            "active" => Some(StatusFilter::Active),
            "expired" => Some(StatusFilter::Expired),
            _ => None,
        }
    }

    /// Whether a memory with this expiry passes.
    pub fn keeps(self, expired: bool) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Active => !expired,
            StatusFilter::Expired => expired,
        }
    }

    /// The SQL condition on `m` (empty for `All`).
    pub fn sql(self) -> &'static str {
        match self {
            StatusFilter::All => "",
            StatusFilter::Active => " AND m.expired_at IS NULL",
            StatusFilter::Expired => " AND m.expired_at IS NOT NULL",
        }
    }
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub agent_id: String,
    /// Words to search for (see `search::terms`), ranked best first; `None` lists memories
    /// newest `updated_at` first instead.
    pub words: Option<Vec<String>>,
    pub limit: i64,
    /// Minimum similarity (text searches only).
    pub min_similarity: Option<f64>,
    pub created_after: Option<String>,
    pub created_before: Option<String>,
    /// Any of these types (empty = all).
    pub types: Vec<String>,
    /// All of these tags (any of them with `tags_any`).
    pub tags: Vec<String>,
    /// `tags` match when the memory has any of them (0.2 as-of, changed-since).
    pub tags_any: bool,
    /// Only memories that existed and were not yet superseded at this time.
    pub valid_at: Option<String>,
    /// Leave out superseded memories.
    pub exclude_superseded: bool,
    /// Only memories created or updated after this time.
    pub changed_since: Option<String>,
    /// Active and/or expired memories (0.2.x).
    pub status: StatusFilter,
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
    if !q.tags.is_empty() && q.tags_any {
        let list = args.bind_list(&q.tags);
        sql += &format!(
            " AND EXISTS (SELECT 1 FROM memory_tags t WHERE t.memory_seq = m.seq AND t.tag IN ({list}))"
        );
    } else if !q.tags.is_empty() {
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
            " AND m.created_at <= {at} AND (m.superseded_at IS NULL OR m.superseded_at > {at})
              AND (m.expired_at IS NULL OR m.expired_at > {at})"
        );
    }
    if q.exclude_superseded {
        sql += " AND m.status <> 'superseded'";
    }
    sql += q.status.sql();
    if let Some(since) = &q.changed_since {
        // `updated_at >= created_at` always, so this covers "created or updated".
        sql += &format!(" AND m.updated_at > {}", args.bind(since.clone()));
    }
    sql
}

impl SearchQuery {
    /// Whether a memory passes every filter (the in-memory twin of [`filters`]), with its
    /// relevance `x` for `min_similarity`.
    fn keeps(&self, doc: &Doc, x: f64) -> bool {
        let m = &doc.row;
        (self.types.is_empty() || self.types.contains(&m.mtype))
            && self
                .created_after
                .as_ref()
                .is_none_or(|a| m.created_at >= *a)
            && self
                .created_before
                .as_ref()
                .is_none_or(|b| m.created_at <= *b)
            // As the SQL: the memory's distinct tags among the asked ones number as many as asked.
            && (self.tags.is_empty()
                || (self.tags_any && doc.tag_set.iter().any(|t| self.tags.contains(t)))
                || (!self.tags_any
                    && doc.tag_set.iter().filter(|t| self.tags.contains(t)).count()
                        == self.tags.len()))
            && self.valid_at.as_ref().is_none_or(|at| {
                m.created_at <= *at
                    && m.trust.superseded_at.as_ref().is_none_or(|s| s > at)
                    && m.expired_at.as_ref().is_none_or(|e| e > at)
            })
            && self.status.keeps(m.is_expired())
            && !(self.exclude_superseded && m.trust.status == "superseded")
            && self
                .changed_since
                .as_ref()
                .is_none_or(|s| m.updated_at > *s)
            && self.min_similarity.is_none_or(|min| x / (1.0 + x) >= min)
    }
}

impl Db {
    /// Runs `q`: best first for a text search, else newest `updated_at` first. Blocking.
    pub fn search(&self, q: &SearchQuery) -> ApiResult<SearchResult> {
        if q.words.is_none() {
            return self.read(|conn| list(conn, q));
        }
        let index = match self.index.agent(&q.agent_id) {
            Some(index) => index,
            None => self.write(|conn| self.index.load(conn, &q.agent_id))?,
        };
        self.ranked(&index, q)
    }

    /// Runs a text search without blocking when the agent's index is in memory (no SQL is
    /// involved then); `None` when [`search`](Self::search) has to run instead.
    pub fn search_in_memory(&self, q: &SearchQuery) -> Option<ApiResult<SearchResult>> {
        q.words.as_ref()?;
        let index = self.index.agent(&q.agent_id)?;
        Some(self.ranked(&index, q))
    }

    fn ranked(
        &self,
        index: &std::sync::RwLock<AgentIndex>,
        q: &SearchQuery,
    ) -> ApiResult<SearchResult> {
        let mut tokens = Vec::new();
        for word in q.words.iter().flatten() {
            self.index.query_tokens(word, &mut tokens)?;
        }
        if tokens.is_empty() {
            return Ok(SearchResult::default());
        }
        let limit = usize::try_from(q.limit).unwrap_or(0);
        let index = index.read().unwrap_or_else(|e| e.into_inner());
        let keep = |doc: &Doc, x: f64| q.keeps(doc, x);
        let filtered = !q.types.is_empty()
            || !q.tags.is_empty()
            || q.created_after.is_some()
            || q.created_before.is_some()
            || q.valid_at.is_some()
            || q.exclude_superseded
            || q.changed_since.is_some()
            || q.status != StatusFilter::All
            || q.min_similarity.is_some();
        let (hits, total) = index.search(&tokens, limit, filtered.then_some(&keep as _));
        let rows = hits
            .into_iter()
            .map(|(row, x)| MemoryRow {
                score: Some(crate::search::similarity(x)),
                ..row.clone()
            })
            .collect();
        Ok(SearchResult {
            rows,
            total: total as i64,
        })
    }
}

/// Lists the memories passing `q`'s filters, newest `updated_at` first. The page and the
/// count are two queries: a window `COUNT(*) OVER ()` would read and sort every matching
/// row for each page, where these walk the `(agent_id, updated_at)` index and stop.
fn list(conn: &Connection, q: &SearchQuery) -> ApiResult<SearchResult> {
    let mut args = Args::default();
    let agent = args.bind(q.agent_id.clone());
    let filters = filters(q, &mut args);
    let count_sql = format!("SELECT COUNT(*) FROM memories m WHERE m.agent_id = {agent}{filters}");
    let total: i64 = conn
        .prepare_cached(&count_sql)?
        .query_row(params_from_iter(args.0.iter()), |r| r.get(0))?;
    let limit = args.bind(q.limit);
    let sql = format!(
        "SELECT {COLUMNS}
         FROM memories m
         WHERE m.agent_id = {agent}{filters}
         ORDER BY m.updated_at DESC, m.seq DESC
         LIMIT {limit}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args.0), from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(SearchResult { rows, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_filters_agree_in_sql_and_in_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).unwrap();
        db.write(|conn| {
            conn.execute_batch(
                "INSERT INTO memories(id, agent_id, type, title, content, tags, tags_json,
                     confidence, source, provenance, created_at, updated_at, expired_at, expired_by)
                 VALUES
                 ('live', 'a', 'fact', 'Apples', 'apples are red', '', '[]', 0.8, 'agent',
                  'explicit_statement', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', NULL, NULL),
                 ('gone', 'a', 'fact', 'Apples', 'apples were green', '', '[]', 0.8, 'agent',
                  'explicit_statement', '2026-01-02T00:00:00.000000Z', '2026-01-03T00:00:00.000000Z',
                  '2026-01-03T00:00:00.000000Z', 'manual');",
            )
        })
        .unwrap();
        let run = |words: Option<Vec<String>>, status| {
            let q = SearchQuery {
                agent_id: "a".into(),
                words,
                limit: 10,
                status,
                ..SearchQuery::default()
            };
            let found = db.search(&q).unwrap();
            let ids: Vec<String> = found.rows.into_iter().map(|r| r.id).collect();
            (ids, found.total)
        };
        for words in [None, Some(vec!["apples".to_owned()])] {
            assert_eq!(
                run(words.clone(), StatusFilter::Active),
                (vec!["live".into()], 1)
            );
            assert_eq!(
                run(words.clone(), StatusFilter::Expired),
                (vec!["gone".into()], 1)
            );
            assert_eq!(run(words.clone(), StatusFilter::All).1, 2);
        }
        // as-of: a memory expired at or before the instant is hidden, after it is kept.
        let valid_at = |at: &str| {
            let q = SearchQuery {
                agent_id: "a".into(),
                limit: 10,
                valid_at: Some(at.into()),
                ..SearchQuery::default()
            };
            db.search(&q).unwrap().total
        };
        assert_eq!(valid_at("2026-01-02T12:00:00.000000Z"), 2);
        assert_eq!(valid_at("2026-01-03T00:00:00.000000Z"), 1);
        assert_eq!(StatusFilter::parse("ACTIVE"), None);
    }
}
