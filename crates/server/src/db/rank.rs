//! The ranking function of the search index: BM25F over a memory's title, content and tags
//! (each token counts its field's weight, in the term frequency and in the length), with
//! Lucene's IDF `ln(1 + (N - n + 0.5) / (n + 0.5))`, which stays positive even in a handful
//! of memories, and BM25+'s lower bound (Lv & Zhai 2011): a matched term adds at least
//! `delta` times its IDF, however long the memory, so that a long memory holding several of
//! the query's words is not outranked by a short one holding one.

/// BM25F parameters. The defaults were tuned on LoCoMo conversations 1-5 (short chat turns,
/// with the turn they answer as the title): a title counts half, term frequency saturates
/// early (k1 0.9), length matters moderately (b 0.5), a matched term adds at least 0.6 of its
/// IDF, and the five best memories of a first pass lend ten terms at up to 0.3 of a query
/// term's weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub k1: f64,
    pub b: f64,
    /// BM25+'s lower bound of a matched term's contribution, in units of its IDF (0: BM25).
    pub delta: f64,
    /// Weights of the title, content and tags fields.
    pub weights: [f32; 3],
    /// Pseudo-relevance feedback: how many of the best memories of a first pass lend their
    /// terms, how many terms are added, and the weight of the heaviest (0 terms: off).
    pub feedback_docs: usize,
    pub feedback_terms: usize,
    pub feedback_weight: f64,
    /// Terms held by more than this share of the memories are never added.
    pub feedback_max_df: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            k1: 0.9,
            b: 0.5,
            delta: 0.6,
            weights: [0.5, 1.0, 1.0],
            feedback_docs: 5,
            feedback_terms: 10,
            feedback_weight: 0.3,
            feedback_max_df: 0.2,
        }
    }
}

/// The inverse document frequency of a term held by `df` of `n` live documents.
pub fn idf(n: f64, df: f64) -> f64 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln().max(0.0)
}

/// The expansion terms of pseudo-relevance feedback (RM3-like): each feedback memory, of
/// first-pass score `x`, length `len` and (term, weighted frequency) list, lends its terms
/// in proportion to `x` and to their share of its length; a term's weight is that times its
/// IDF. Terms already searched, held by one memory only, or too common are left out; the
/// best `feedback_terms` are returned with query weights up to `feedback_weight`, and none
/// counting more (weight times IDF) than the strongest searched term.
pub fn feedback<'a>(
    p: &Params,
    n: f64,
    docs: impl Iterator<Item = (f64, f64, &'a [(u32, f32)])>,
    df: impl Fn(u32) -> f64,
    searched: &[(u32, f64)],
) -> Vec<(u32, f64)> {
    let mut weights: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
    let max_df = (p.feedback_max_df * n).max(2.0);
    for (x, len, terms) in docs {
        for &(term, tf) in terms {
            let d = df(term);
            if d < 2.0 || d > max_df || searched.iter().any(|&(t, _)| t == term) {
                continue;
            }
            *weights.entry(term).or_default() += x * f64::from(tf) / len.max(1.0) * idf(n, d);
        }
    }
    let mut best: Vec<(u32, f64)> = weights.into_iter().collect();
    best.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    best.truncate(p.feedback_terms);
    let top = best.first().map_or(1.0, |b| b.1);
    // An added term weighs at most as much as the query's strongest term: where the query's
    // words are in nearly every memory, feedback must not outweigh them.
    let strongest = searched
        .iter()
        .map(|&(t, qw)| qw * idf(n, df(t)))
        .fold(0.0, f64::max);
    best.iter()
        .map(|&(t, w)| {
            let cap = (strongest / idf(n, df(t)).max(1e-9)).min(1.0);
            (t, p.feedback_weight * w / top * cap)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idf_is_positive_and_falls_with_frequency() {
        assert!(idf(3.0, 3.0) > 0.0);
        assert!(idf(1000.0, 1.0) > idf(1000.0, 10.0));
        assert!((idf(1.0, 1.0) - (1.0f64 + 0.5 / 1.5).ln()).abs() < 1e-12);
    }

    #[test]
    fn feedback_adds_the_distinctive_terms_of_the_best_memories() {
        let p = Params::default();
        // Terms: 0 searched; 1 in both feedback docs (df 3); 2 in one doc only (df 1, no
        // use); 3 everywhere (too common); 4 in the weaker doc (df 2).
        let strong: &[(u32, f32)] = &[(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0)];
        let weak: &[(u32, f32)] = &[(0, 1.0), (1, 1.0), (3, 1.0), (4, 1.0)];
        let df = |t: u32| [3.0, 3.0, 1.0, 100.0, 2.0][t as usize];
        let docs = [(2.0, 4.0, strong), (1.0, 4.0, weak)].into_iter();
        let out = feedback(&p, 100.0, docs, df, &[(0, 1.0)]);
        let terms: Vec<u32> = out.iter().map(|&(t, _)| t).collect();
        assert_eq!(terms, [1, 4]);
        assert!((out[0].1 - p.feedback_weight).abs() < 1e-12);
        assert!(out[1].1 > 0.0 && out[1].1 < out[0].1);
        // A query word held by every memory: added terms weigh no more than it does.
        let everywhere = |t: u32| [100.0, 3.0, 1.0, 100.0, 2.0][t as usize];
        let docs = [(2.0, 4.0, strong), (1.0, 4.0, weak)].into_iter();
        let capped = feedback(&p, 100.0, docs, everywhere, &[(0, 1.0)]);
        assert_eq!(capped.len(), 2);
        for (t, w) in capped {
            assert!(w > 0.0 && w * idf(100.0, everywhere(t)) <= idf(100.0, 100.0) + 1e-12);
        }
        let off = Params {
            feedback_terms: 0,
            ..p
        };
        assert!(feedback(&off, 100.0, std::iter::empty(), df, &[]).is_empty());
    }
}
