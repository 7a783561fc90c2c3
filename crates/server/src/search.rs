//! Turning user text into a safe FTS5 query, and relevance into a similarity.

use std::collections::HashSet;

/// At most this many distinct terms are searched.
const MAX_TERMS: usize = 64;

/// Very common English words, dropped from queries that have other words too.
const STOPWORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "did", "do",
    "does", "for", "from", "had", "has", "have", "how", "i", "in", "is", "it", "its", "me", "my",
    "of", "on", "or", "our", "so", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "to", "was", "we", "were", "what", "when", "where", "which", "who", "whom",
    "why", "will", "with", "would", "you", "your",
];

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
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .cloned()
        .collect();
    let mut chosen = if content.is_empty() { all } else { content };
    chosen.truncate(MAX_TERMS);
    chosen
}

/// An FTS5 MATCH expression OR-ing every term, each quoted so that user text can never be
/// FTS5 syntax. `None` when the text has no searchable words.
pub fn match_expression(text: &str) -> Option<String> {
    let terms = terms(text);
    if terms.is_empty() {
        return None;
    }
    let quoted: Vec<String> = terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    Some(quoted.join(" OR "))
}

/// Similarity in `[0, 1)` from the (positive) relevance `x` of `memanto_rank`: `x / (1 + x)`.
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
    fn quotes_terms_and_drops_syntax() {
        assert_eq!(
            match_expression("What does Alex drink?").as_deref(),
            Some("\"alex\" OR \"drink\"")
        );
        assert_eq!(
            match_expression("NEAR(a b) OR title:x* \"q\"").as_deref(),
            Some("\"near\" OR \"b\" OR \"title\" OR \"x\" OR \"q\"")
        );
        assert_eq!(match_expression("  ?!* "), None);
        // Only stopwords: keep them rather than searching nothing.
        assert_eq!(
            match_expression("what is it").as_deref(),
            Some("\"what\" OR \"is\" OR \"it\"")
        );
        assert_eq!(
            match_expression("Café café CAFÉ").as_deref(),
            Some("\"café\"")
        );
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
