//! Turning user text into search words, and relevance into a similarity.

use std::collections::HashSet;

/// At most this many distinct terms are searched.
const MAX_TERMS: usize = 64;

/// Verbs of saying: in a search ("what did Sam say about the trip", "did she mention") they
/// frame the question; what was said is in the memory, rarely that it was said.
#[rustfmt::skip]
const REPORTING: &[&str] = &[
    "describe", "described", "describes", "mention", "mentioned", "mentions", "said", "say",
    "says", "talk", "talked", "talks", "tell", "tells", "told",
];

/// `text` with "won't" as "will not" (any case, either apostrophe), so that "won" is only ever
/// the past of "win" (`crate::irregular`).
pub fn won_t(text: &str) -> std::borrow::Cow<'_, str> {
    let lower = |c: char| c.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut hits = Vec::new();
    for (i, _) in text.match_indices(['n', 'N']) {
        // "wo" + "n" + apostrophe + "t", not inside a longer word.
        if i >= 2
            && lower(bytes[i - 2] as char) == 'w'
            && lower(bytes[i - 1] as char) == 'o'
            && (i < 3 || !(bytes[i - 3] as char).is_alphanumeric())
        {
            let rest = &text[i + 1..];
            for apos in ["'", "\u{2019}"] {
                if let Some(r) = rest.strip_prefix(apos) {
                    if r.starts_with(['t', 'T'])
                        && !r[1..].starts_with(|c: char| c.is_alphanumeric())
                    {
                        hits.push((i - 2, i + 1 + apos.len() + 1));
                    }
                }
            }
        }
    }
    if hits.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 4 * hits.len());
    let mut at = 0;
    for (start, end) in hits {
        out.push_str(&text[at..start]);
        out.push_str("will not");
        at = end;
    }
    out.push_str(&text[at..]);
    std::borrow::Cow::Owned(out)
}

/// The searchable words of `text`, lower-cased and de-duplicated, in order.
pub fn terms(text: &str) -> Vec<String> {
    let text = won_t(text);
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    // In "what kind of music", "type of", "sorts of", the word after is what is sought.
    let vague = |i: usize| {
        matches!(
            words[i].as_str(),
            "kind" | "kinds" | "type" | "types" | "sort" | "sorts"
        ) && words.get(i + 1).is_some_and(|w| w == "of")
    };
    // The words searched: those naming what is sought; failing any, the words that are not
    // function words; failing any, all.
    let mut tiers: [Vec<String>; 3] = Default::default();
    let mut seen: [HashSet<&str>; 3] = Default::default();
    for (i, w) in words.iter().enumerate() {
        let function = crate::stopwords::is_stopword(w);
        let framing = function || REPORTING.contains(&w.as_str()) || vague(i);
        for (tier, keep) in [!framing, !function, true].into_iter().enumerate() {
            if keep && seen[tier].insert(w) {
                tiers[tier].push(w.clone());
            }
        }
    }
    let mut chosen = tiers
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or_default();
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
        // "kind of" says nothing of what is sought; "kind" alone is a word.
        assert_eq!(
            terms("What kind of music, what types of art?"),
            ["music", "art"]
        );
        assert_eq!(terms("a kind person"), ["kind", "person"]);
        assert_eq!(terms("kind of"), ["kind"]);
        // Verbs of saying frame a question; alone they are searched.
        assert_eq!(terms("What did Sam say about the trip?"), ["sam", "trip"]);
        assert_eq!(terms("who said that"), ["said"]);
        // "won't" is "will not": "won" is the verb.
        assert_eq!(terms("Who won? I won’t go"), ["won", "go"]);
    }

    #[test]
    fn won_t_is_will_not() {
        assert_eq!(
            won_t("I won't, WON'T, won’t."),
            "I will not, will not, will not."
        );
        assert_eq!(
            won_t("we won, wont, swon't, won'tx"),
            "we won, wont, swon't, won'tx"
        );
        assert!(matches!(
            won_t("nothing here"),
            std::borrow::Cow::Borrowed(_)
        ));
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
