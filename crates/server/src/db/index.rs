//! The in-memory search index: per agent, an inverted index of the tokens of each memory's
//! title, content and tags (tokenized by SQLite's FTS5 `porter unicode61` tokenizer, as the
//! `memories_fts` table of schema versions 1-2 was), holding the memories themselves, so that
//! a ranked search touches no SQL at all.
//!
//! Ranking is the BM25F of [`rank`] (Lucene's IDF, BM25+'s lower bound, pseudo-relevance
//! feedback) with the statistics (N, n, average length) of the agent's own memories; the
//! relevance is a positive number, higher is better. Scoring walks only the postings of the query's terms, so a search costs in
//! proportion to how often its words occur, with a small constant.
//!
//! SQLite stays the store: an agent's index is built from its rows on its first search, and
//! the writer connection reports every changed `memories` row (`update_hook`), which the
//! index reads again after the write, before the write's request returns.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock};

use rusqlite::{Connection, OptionalExtension};

use super::memories::{from_row, COLUMNS, N_COLUMNS};
use super::rank::{self, Params};
use super::tokenize::Tokenizer;
use crate::model::MemoryRow;

/// `lens` value of a removed document (its postings stay until the next compaction).
const DEAD: f32 = -1.0;

thread_local! {
    /// Per-thread score accumulator, indexed by document ordinal; all zero between searches.
    static SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A search filter: whether a memory with this relevance is wanted.
pub type Keep<'a> = &'a dyn Fn(&Doc, f64) -> bool;

/// A stored memory as the search filters see it.
#[derive(Debug, Clone)]
pub struct Doc {
    pub row: MemoryRow,
    /// Its distinct tags, sorted.
    pub tag_set: Vec<String>,
    seq: i64,
    /// (term id, field-weighted occurrences) for every distinct token.
    terms: Vec<(u32, f32)>,
    /// Fingerprint of the indexed text, to skip re-tokenizing unchanged memories.
    text_hash: u64,
}

/// The indexed texts: title, content, and the tags joined by spaces.
fn texts(row: &MemoryRow) -> [String; 3] {
    [row.title.clone(), row.content.clone(), row.tags.join(" ")]
}

fn text_hash(texts: &[String; 3]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    texts.hash(&mut h);
    h.finish()
}

/// One agent's index.
#[derive(Default)]
pub struct AgentIndex {
    term_ids: HashMap<String, u32>,
    /// By term id: (document ordinal, field-weighted occurrences).
    postings: Vec<Vec<(u32, f32)>>,
    /// By term id: live documents holding the term.
    df: Vec<u32>,
    /// By document ordinal: field-weighted token count, or [`DEAD`].
    lens: Vec<f32>,
    /// By document ordinal: the memory's `seq`.
    seqs: Vec<i64>,
    docs: Vec<Doc>,
    by_seq: HashMap<i64, u32>,
    live: u32,
    dead: u32,
    total_len: f64,
    params: Params,
}

impl AgentIndex {
    /// An empty index ranking with `params`.
    #[cfg(test)]
    pub(super) fn with_params(params: Params) -> AgentIndex {
        AgentIndex {
            params,
            ..AgentIndex::default()
        }
    }

    fn term_id(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.term_ids.get(token) {
            return id;
        }
        let id = self.postings.len() as u32;
        self.term_ids.insert(token.to_owned(), id);
        self.postings.push(Vec::new());
        self.df.push(0);
        id
    }

    #[cfg(test)]
    fn insert(&mut self, seq: i64, row: MemoryRow, hash: u64, tokens: &[String]) {
        let fields = [Vec::new(), tokens.to_vec(), Vec::new()];
        self.insert_fields(seq, row, hash, &fields);
    }

    /// Indexes a memory from the tokens of its fields (title, content, tags), each token
    /// counting its field's weight (BM25F).
    pub(super) fn insert_fields(
        &mut self,
        seq: i64,
        row: MemoryRow,
        hash: u64,
        fields: &[Vec<String>; 3],
    ) {
        let mut counts: HashMap<u32, f32> = HashMap::new();
        let mut len = 0.0f32;
        let weights = self.params.weights;
        for (tokens, &w) in fields.iter().zip(&weights) {
            for t in tokens {
                *counts.entry(self.term_id(t)).or_default() += w;
            }
            len += w * tokens.len() as f32;
        }
        let ord = self.docs.len() as u32;
        let mut terms: Vec<(u32, f32)> = counts.into_iter().filter(|&(_, f)| f > 0.0).collect();
        terms.sort_unstable_by_key(|&(t, _)| t);
        for &(term, tf) in &terms {
            self.postings[term as usize].push((ord, tf));
            self.df[term as usize] += 1;
        }
        let mut tag_set = row.tags.clone();
        tag_set.sort();
        tag_set.dedup();
        self.lens.push(len);
        self.seqs.push(seq);
        self.docs.push(Doc {
            row,
            tag_set,
            seq,
            terms,
            text_hash: hash,
        });
        self.by_seq.insert(seq, ord);
        self.live += 1;
        self.total_len += f64::from(len);
    }

    fn remove(&mut self, seq: i64) {
        let Some(ord) = self.by_seq.remove(&seq) else {
            return;
        };
        for &(term, _) in &self.docs[ord as usize].terms {
            self.df[term as usize] -= 1;
        }
        self.total_len -= f64::from(self.lens[ord as usize]);
        self.lens[ord as usize] = DEAD;
        self.live -= 1;
        self.dead += 1;
        if self.dead > 1024 && self.dead > self.live {
            self.compact();
        }
    }

    /// Drops removed documents and renumbers the others.
    fn compact(&mut self) {
        let docs = std::mem::take(&mut self.docs);
        let lens = std::mem::take(&mut self.lens);
        self.seqs.clear();
        self.postings.iter_mut().for_each(Vec::clear);
        self.by_seq.clear();
        for (doc, len) in docs.into_iter().zip(lens).filter(|(_, len)| *len != DEAD) {
            let ord = self.docs.len() as u32;
            for &(term, tf) in &doc.terms {
                self.postings[term as usize].push((ord, tf));
            }
            self.by_seq.insert(doc.seq, ord);
            self.lens.push(len);
            self.seqs.push(doc.seq);
            self.docs.push(doc);
        }
        self.dead = 0;
    }

    /// Scores every live memory holding a term of `query` (a term listed twice counts twice,
    /// as two phrases of an FTS5 query would) and returns those passing `keep` (all when
    /// `None`): the best `limit` as (memory, relevance), best first (ties: newest first), and
    /// how many passed.
    pub fn search(
        &self,
        query: &[String],
        limit: usize,
        keep: Option<Keep<'_>>,
    ) -> (Vec<(&MemoryRow, f64)>, usize) {
        SCRATCH.with_borrow_mut(|scores| {
            if scores.len() < self.docs.len() {
                scores.resize(self.docs.len(), 0.0);
            }
            self.score(query, limit, keep, scores)
        })
    }

    fn score(
        &self,
        query: &[String],
        limit: usize,
        keep: Option<Keep<'_>>,
        scores: &mut [f64],
    ) -> (Vec<(&MemoryRow, f64)>, usize) {
        let terms: Vec<(u32, f64)> = query
            .iter()
            .filter_map(|t| self.term_ids.get(t))
            .map(|&term| (term, 1.0))
            .collect();
        let mut touched: Vec<u32> = Vec::new();
        self.accumulate(&terms, scores, &mut touched, false);
        if self.params.feedback_terms > 0 {
            let expansion = self.feedback(&terms, &touched, scores, keep);
            // Feedback reorders the memories matching the query; it adds none.
            self.accumulate(&expansion, scores, &mut touched, true);
        }
        // The best `limit` in a min-heap; equal scores: the newer memory (higher seq) wins.
        let mut best: BinaryHeap<Reverse<Hit>> = BinaryHeap::with_capacity(limit + 1);
        let mut total = 0;
        for ord in touched {
            // Leave the scratch buffer zeroed for the next search.
            let x = std::mem::take(&mut scores[ord as usize]);
            if !(x > 0.0 && keep.is_none_or(|keep| keep(&self.docs[ord as usize], x))) {
                continue;
            }
            total += 1;
            let hit = Hit {
                x,
                seq: self.seqs[ord as usize],
                ord,
            };
            if best.len() < limit {
                best.push(Reverse(hit));
            } else if best.peek().is_some_and(|Reverse(worst)| hit > *worst) {
                best.pop();
                best.push(Reverse(hit));
            }
        }
        let rows = best
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(hit)| (&self.docs[hit.ord as usize].row, hit.x))
            .collect();
        (rows, total)
    }

    fn avgdl(&self) -> f64 {
        if self.live > 0 {
            (self.total_len / f64::from(self.live)).max(1e-9)
        } else {
            1.0
        }
    }

    /// Adds the BM25F contribution of each (term, query weight) to the scores of the live
    /// documents holding it, noting in `touched` each document scored for the first time;
    /// with `rescore_only`, only to the documents already scored.
    fn accumulate(
        &self,
        terms: &[(u32, f64)],
        scores: &mut [f64],
        touched: &mut Vec<u32>,
        rescore_only: bool,
    ) {
        let n = f64::from(self.live);
        let (k1, b) = (self.params.k1, self.params.b);
        let (per_len, base) = (k1 * b / self.avgdl(), k1 * (1.0 - b));
        for &(term, qw) in terms {
            let df = f64::from(self.df[term as usize]);
            if df == 0.0 {
                continue;
            }
            // idf * (f * (k1 + 1) / (f + k1 * (1 - b + b * len / avgdl)) + delta), one division.
            let idf = qw * rank::idf(n, df);
            let (weight, floor) = (idf * (k1 + 1.0), idf * self.params.delta);
            for &(ord, tf) in &self.postings[term as usize] {
                let len = self.lens[ord as usize];
                if len < 0.0 {
                    continue;
                }
                let f = f64::from(tf);
                let s = &mut scores[ord as usize];
                if *s == 0.0 {
                    if rescore_only {
                        continue;
                    }
                    touched.push(ord);
                }
                *s += weight * f / (f + base + per_len * f64::from(len)) + floor;
            }
        }
    }

    /// Pseudo-relevance feedback: the terms that best characterise the best few memories of
    /// the first pass (as `rank::feedback` weighs them), not already searched.
    fn feedback(
        &self,
        terms: &[(u32, f64)],
        touched: &[u32],
        scores: &[f64],
        keep: Option<Keep<'_>>,
    ) -> Vec<(u32, f64)> {
        let depth = self.params.feedback_docs;
        // The best `depth` by (score, seq), as the final ranking orders ties.
        let mut top: Vec<Hit> = Vec::with_capacity(depth + 1);
        for &ord in touched {
            let hit = Hit {
                x: scores[ord as usize],
                seq: self.seqs[ord as usize],
                ord,
            };
            if top.len() == depth && top.last().is_some_and(|worst| *worst >= hit) {
                continue;
            }
            // The filters, but not the similarity floor: the first-pass score is not final.
            if !keep.is_none_or(|keep| keep(&self.docs[ord as usize], f64::MAX)) {
                continue;
            }
            let at = top.partition_point(|h| *h > hit);
            top.insert(at, hit);
            top.truncate(depth);
        }
        let n = f64::from(self.live);
        let docs = top.iter().map(|h| {
            let d = &self.docs[h.ord as usize];
            (
                h.x,
                f64::from(self.lens[h.ord as usize]),
                d.terms.as_slice(),
            )
        });
        let df = |term: u32| f64::from(self.df[term as usize]);
        rank::feedback(&self.params, n, docs, df, terms)
    }
}

/// A scored memory; greater is better (higher relevance, then higher seq).
struct Hit {
    x: f64,
    seq: i64,
    ord: u32,
}

impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        self.x.total_cmp(&other.x).then(self.seq.cmp(&other.seq))
    }
}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Hit {}

/// Every loaded agent's index.
pub struct SearchIndex {
    tokenizer: Tokenizer,
    agents: RwLock<HashMap<String, Arc<RwLock<AgentIndex>>>>,
}

impl SearchIndex {
    pub fn new(tokenizer: Tokenizer) -> SearchIndex {
        SearchIndex {
            tokenizer,
            agents: RwLock::new(HashMap::new()),
        }
    }

    /// The tokens of a query word (usually one; none for a word of separators only).
    pub fn query_tokens(&self, word: &str, out: &mut Vec<String>) -> rusqlite::Result<()> {
        self.tokenizer.tokenize(word, true, out)
    }

    /// The tokens of each indexed text (title, content, tags).
    fn doc_tokens(&self, texts: &[String; 3]) -> rusqlite::Result<[Vec<String>; 3]> {
        let mut fields: [Vec<String>; 3] = Default::default();
        for (text, tokens) in texts.iter().zip(&mut fields) {
            self.tokenizer.tokenize(text, false, tokens)?;
        }
        Ok(fields)
    }

    /// The agent's index if it is loaded.
    pub fn agent(&self, agent_id: &str) -> Option<Arc<RwLock<AgentIndex>>> {
        self.agents
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(agent_id)
            .cloned()
    }

    /// Builds the agent's index from its rows. Call with the writer connection (under the
    /// writer's lock), so that no write slips between reading the rows and publishing.
    pub fn load(
        &self,
        conn: &Connection,
        agent_id: &str,
    ) -> rusqlite::Result<Arc<RwLock<AgentIndex>>> {
        if let Some(found) = self.agent(agent_id) {
            return Ok(found);
        }
        let mut index = AgentIndex::default();
        let sql =
            format!("SELECT {COLUMNS}, m.seq FROM memories m WHERE m.agent_id = ?1 ORDER BY m.seq");
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([agent_id])?;
        while let Some(r) = rows.next()? {
            let row = from_row(r)?;
            let texts = texts(&row);
            let tokens = self.doc_tokens(&texts)?;
            index.insert_fields(r.get(N_COLUMNS)?, row, text_hash(&texts), &tokens);
        }
        let index = Arc::new(RwLock::new(index));
        self.agents
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(agent_id.to_owned(), index.clone());
        Ok(index)
    }

    /// Brings the index up to date with the rows `seqs` as they now are in `conn` (inserted,
    /// updated or deleted). Agents not loaded are left alone: they load fresh when searched.
    /// Call under the writer's lock.
    pub fn refresh(&self, conn: &Connection, seqs: &[i64]) -> rusqlite::Result<()> {
        let sql = format!("SELECT {COLUMNS} FROM memories m WHERE m.seq = ?1");
        let mut stmt = conn.prepare_cached(&sql)?;
        let agents = self.agents.read().unwrap_or_else(|e| e.into_inner());
        for &seq in seqs {
            let row = stmt.query_row([seq], from_row).optional()?;
            let owner = row.as_ref().map(|r| r.agent_id.as_str());
            for (agent_id, index) in agents.iter() {
                let held = index
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .by_seq
                    .contains_key(&seq);
                if held && Some(agent_id.as_str()) != owner {
                    index.write().unwrap_or_else(|e| e.into_inner()).remove(seq);
                }
            }
            let Some(row) = row else { continue };
            let Some(index) = agents.get(&row.agent_id) else {
                continue;
            };
            let texts = texts(&row);
            let hash = text_hash(&texts);
            let same_text = {
                let index = index.read().unwrap_or_else(|e| e.into_inner());
                index
                    .by_seq
                    .get(&seq)
                    .is_some_and(|&ord| index.docs[ord as usize].text_hash == hash)
            };
            let tokens = if same_text {
                None
            } else {
                Some(self.doc_tokens(&texts)?)
            };
            let mut index = index.write().unwrap_or_else(|e| e.into_inner());
            match tokens {
                None => {
                    let ord = index.by_seq[&seq] as usize;
                    let doc = &mut index.docs[ord];
                    doc.tag_set = {
                        let mut t = row.tags.clone();
                        t.sort();
                        t.dedup();
                        t
                    };
                    doc.row = row;
                }
                Some(tokens) => {
                    index.remove(seq);
                    index.insert_fields(seq, row, hash, &tokens);
                }
            }
        }
        Ok(())
    }

    /// Forgets every loaded agent (they load again on their next search).
    pub fn clear(&self) {
        self.agents
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Trust;

    fn row(seq: i64, mtype: &str) -> MemoryRow {
        MemoryRow {
            id: format!("m{seq}"),
            agent_id: "a".into(),
            mtype: mtype.into(),
            title: String::new(),
            content: String::new(),
            tags: vec![],
            confidence: 0.8,
            source: "agent".into(),
            provenance: "explicit_statement".into(),
            created_at: format!("2026-01-01T00:00:{:02}", seq % 60),
            updated_at: String::new(),
            trust: Trust::default(),
            expired_at: None,
            expired_by: None,
            score: None,
        }
    }

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    fn ids(hits: &[(&MemoryRow, f64)]) -> Vec<String> {
        hits.iter().map(|(r, _)| r.id.clone()).collect()
    }

    #[test]
    fn ranks_by_bm25_with_newest_first_on_ties_and_filters_before_the_limit() {
        let mut ix = AgentIndex::default();
        ix.insert(1, row(1, "fact"), 1, &words("red apple"));
        ix.insert(2, row(2, "fact"), 2, &words("red red apple pie"));
        ix.insert(3, row(3, "goal"), 3, &words("green pear"));
        ix.insert(4, row(4, "fact"), 4, &words("red apple"));
        let (hits, total) = ix.search(&words("red"), 10, None);
        assert_eq!(total, 3);
        // Two occurrences beat one despite the longer text; equal scores: newest seq first.
        assert_eq!(ids(&hits), ["m2", "m4", "m1"]);
        assert_eq!(hits[1].1, hits[2].1);
        assert!(hits[0].1 > hits[1].1 && hits[2].1 > 0.0);

        let (hits, total) = ix.search(
            &words("red pear"),
            1,
            Some(&|d: &Doc, _| d.row.mtype == "goal"),
        );
        assert_eq!((ids(&hits), total), (vec!["m3".to_owned()], 1));
        let (hits, total) = ix.search(&words("plum"), 10, None);
        assert!(hits.is_empty() && total == 0);
    }

    #[test]
    fn removals_update_statistics_and_compaction_keeps_results() {
        let mut ix = AgentIndex::default();
        for seq in 0..3000 {
            let text = if seq % 3 == 0 {
                "common rare"
            } else {
                "common"
            };
            ix.insert(seq, row(seq, "fact"), seq as u64, &words(text));
        }
        let before = ids(&ix.search(&words("rare"), 5, None).0);
        for seq in (0..3000).filter(|s| s % 3 != 0) {
            ix.remove(seq);
        }
        assert_eq!(ix.live, 1000);
        assert!(ix.dead < 1024, "compaction ran ({} dead)", ix.dead);
        assert_eq!(ix.df[ix.term_ids["common"] as usize], 1000);
        let (hits, total) = ix.search(&words("rare"), 5, None);
        assert_eq!(total, 1000);
        assert_eq!(ids(&hits), before);
        ix.remove(2997);
        assert_eq!(ids(&ix.search(&words("rare"), 1, None).0), ["m2994"]);
    }

    #[test]
    fn a_matched_term_adds_at_least_delta_times_its_idf() {
        let params = Params {
            feedback_terms: 0,
            ..Params::default()
        };
        let mut ix = AgentIndex::with_params(params);
        let long = format!("red apple{}", " filler".repeat(200));
        ix.insert(1, row(1, "fact"), 1, &words(&long));
        ix.insert(2, row(2, "fact"), 2, &words("red"));
        ix.insert(3, row(3, "fact"), 3, &words("pear"));
        let idf = rank::idf(3.0, 2.0);
        let (hits, _) = ix.search(&words("red"), 10, None);
        assert_eq!(ids(&hits), ["m2", "m1"]);
        assert!(hits[1].1 > params.delta * idf);
        // Two words of the query in the long memory beat one in the short.
        let (hits, _) = ix.search(&words("red apple"), 10, None);
        assert_eq!(ids(&hits), ["m1", "m2"]);
    }

    #[test]
    fn field_weights_count_in_frequency_and_length() {
        let params = Params {
            feedback_terms: 0,
            ..Params::default()
        };
        let mut ix = AgentIndex::with_params(params);
        let f = |t: &str, c: &str, g: &str| {
            [words(t), words(c), words(g)]
                .map(|w| w.into_iter().filter(|x| !x.is_empty()).collect::<Vec<_>>())
        };
        // The same words, once in the content, once in the (half-weight) title.
        ix.insert_fields(1, row(1, "fact"), 1, &f("", "kayak lake", ""));
        ix.insert_fields(2, row(2, "fact"), 2, &f("kayak lake", "", ""));
        ix.insert_fields(3, row(3, "fact"), 3, &f("", "tent", "kayak"));
        assert_eq!(ix.lens, [2.0, 1.0, 2.0]);
        let (hits, total) = ix.search(&words("kayak"), 10, None);
        assert_eq!(total, 3);
        // Content and tags weigh alike (equal scores: newest first); the title counts half.
        assert_eq!(ids(&hits), ["m3", "m1", "m2"]);
        assert_eq!(hits[0].1, hits[1].1);
        assert!(hits[2].1 > 0.0 && hits[2].1 < hits[1].1);
    }

    #[test]
    fn feedback_reorders_the_matches_by_the_words_of_the_best_ones_and_adds_none() {
        let build = |params: Params| {
            let mut ix = AgentIndex::with_params(params);
            for seq in 0..40 {
                ix.insert(
                    seq,
                    row(seq, "fact"),
                    seq as u64,
                    &words("weather talk today"),
                );
            }
            ix.insert(50, row(50, "fact"), 50, &words("pottery clay glaze"));
            ix.insert(51, row(51, "fact"), 51, &words("pottery clay glaze"));
            ix.insert(52, row(52, "fact"), 52, &words("pottery sale cheap"));
            ix.insert(53, row(53, "fact"), 53, &words("clay glaze kiln"));
            ix
        };
        let plain = build(Params {
            feedback_terms: 0,
            ..Params::default()
        });
        // Equal BM25 scores: newest first.
        let (hits, total) = plain.search(&words("pottery"), 10, None);
        assert_eq!(
            (ids(&hits), total),
            (vec!["m52".into(), "m51".into(), "m50".into()], 3)
        );
        // The best matches share clay and glaze; the odd one out falls behind them, and the
        // memory holding no query word stays out.
        let fed = build(Params::default());
        let (hits, total) = fed.search(&words("pottery"), 10, None);
        assert_eq!(
            (ids(&hits), total),
            (vec!["m51".into(), "m50".into(), "m52".into()], 3)
        );
        assert!(hits[1].1 > hits[2].1);
    }
}
