//! The ranking function of the search index: BM25F over a memory's title, content and tags
//! (each token counts its field's weight, in the term frequency and in the length), with
//! Lucene's IDF `ln(1 + (N - n + 0.5) / (n + 0.5))`, which stays positive even in a handful
//! of memories.

/// BM25F parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub k1: f64,
    pub b: f64,
    /// Weights of the title, content and tags fields.
    pub weights: [f32; 3],
}

impl Default for Params {
    fn default() -> Params {
        Params {
            k1: 1.2,
            b: 0.75,
            weights: [1.0, 1.0, 1.0],
        }
    }
}

/// The inverse document frequency of a term held by `df` of `n` live documents.
pub fn idf(n: f64, df: f64) -> f64 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln().max(0.0)
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
}
