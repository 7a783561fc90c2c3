//! Turning user text into search words, and relevance into a similarity.

use std::collections::HashSet;

/// At most this many distinct terms are searched.
const MAX_TERMS: usize = 64;

/// The searchable words of `text`, lower-cased and de-duplicated, in order.
pub fn terms(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let all: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| seen.insert(w.clone()))
        .collect();
    let content: Vec<String> = all
        .iter()
        .filter(|w| !crate::stopwords::is_stopword(w))
        .cloned()
        .collect();
    let mut chosen = if content.is_empty() { all } else { content };
    chosen.truncate(MAX_TERMS);
    chosen
}

/// Similarity in `[0, 1)` from the (positive) BM25 relevance `x` of the search index: `x / (1 + x)`.
/// The same formula is used in SQL for `min_similarity`.
pub fn similarity(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x / (1.0 + x)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_deduplicated_and_syntax_free() {
        assert_eq!(terms("What does Alex drink?"), ["alex", "drink"]);
        assert_eq!(
            terms("NEAR(a b) OR title:x* \"q\""),
            ["near", "b", "title", "x", "q"]
        );
        assert!(terms("  ?!* ").is_empty());
        // Only stopwords: keep them rather than searching nothing.
        assert_eq!(terms("what is it"), ["what", "is", "it"]);
        assert_eq!(terms("Café café CAFÉ"), ["café"]);
    }

    #[test]
    fn similarity_is_monotone_in_unit_interval() {
        assert_eq!(similarity(0.0), 0.0);
        assert_eq!(similarity(f64::NAN), 0.0);
        assert!((similarity(1.0) - 0.5).abs() < 1e-12);
        assert!(similarity(3.0) > similarity(2.0));
        assert!(similarity(1e9) < 1.0);
    }
}
