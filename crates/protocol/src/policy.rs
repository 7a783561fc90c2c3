//! The 0.2.x expiry policy object (API-0.2 §8.1), as `GET/PUT /policy` carry it. Durations
//! are strings: `never` or `""` (no expiry), or `<n><unit>` with units `m`, `h`, `d`, `w`,
//! `mo` (30 days), `y` (365 days), case-insensitive.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The "no expiry" duration.
pub const NEVER: &str = "never";

fn never() -> String {
    NEVER.to_owned()
}

fn one() -> i64 {
    1
}

/// An agent's expiry policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    #[serde(default = "one")]
    pub version: i64,
    /// Memory type → duration.
    #[serde(default)]
    pub retention: BTreeMap<String, String>,
    /// Evaluated in order; the first matching rule wins.
    #[serde(default)]
    pub rules: Vec<PolicyRule>,
    #[serde(default = "never")]
    pub purge_expired_after: String,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            version: 1,
            retention: BTreeMap::new(),
            rules: Vec::new(),
            purge_expired_after: never(),
        }
    }
}

impl Policy {
    /// No retention entry and no rule: nothing can expire under it.
    pub fn is_empty(&self) -> bool {
        self.retention.is_empty() && self.rules.is_empty()
    }
}

/// One rule: memories matching `match` expire after `expire_after` (`never` pins them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRule {
    pub name: String,
    #[serde(rename = "match", default)]
    pub matches: RuleMatch,
    #[serde(default = "never")]
    pub expire_after: String,
}

/// Conditions of a rule, all of which must hold; an empty match matches every memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleMatch {
    /// Any of these memory types.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    /// Any of these tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Any of these sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Vec<String>>,
    /// Any of these provenances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Vec<String>>,
    /// Confidence strictly below this (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_below: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_omitted_match_fields() {
        let p: Policy = serde_json::from_value(json!({"rules": [{"name": "r"}]})).unwrap();
        assert_eq!(p.version, 1);
        assert_eq!(p.purge_expired_after, "never");
        assert_eq!(p.rules[0].expire_after, "never");
        assert!(!p.is_empty() && Policy::default().is_empty());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"version": 1, "retention": {}, "rules": [{"name": "r", "match": {}, "expire_after": "never"}], "purge_expired_after": "never"})
        );
    }
}
