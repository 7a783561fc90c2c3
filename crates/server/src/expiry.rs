//! Expiry policies without I/O (API-0.2 §8): the duration parser, the sweep (which active
//! memories a policy expires, and why), and the three presets.
//!
//! The presets' retention tables are this LocalServer's own: the real server's tables are
//! not part of the wire contract, so the names match and the contents are sensible inventions.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use memanto_protocol::policy::{Policy, PolicyRule, RuleMatch, NEVER};

use crate::model::MemoryRow;

/// A duration string: `Ok(None)` for `never`/`""` (no expiry), `Ok(Some(window))` for
/// `<n><unit>` (n > 0, optional whitespace, case-insensitive; `m` minutes, `h`, `d`, `w`,
/// `mo` = 30 days, `y` = 365 days), else a message.
pub fn parse_duration(raw: &str) -> Result<Option<TimeDelta>, String> {
    let s = raw.trim().to_ascii_lowercase();
    if s.is_empty() || s == NEVER {
        return Ok(None);
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = (&s[..split], s[split..].trim_start());
    let invalid = || {
        format!(
            "Invalid duration '{raw}': use 'never' or <number><unit> with unit m, h, d, w, mo or y (e.g. '30d')"
        )
    };
    let n: i64 = digits.parse().map_err(|_| invalid())?;
    let unit_minutes: i64 = match unit {
        "m" => 1,
        "h" => 60,
        "d" => 24 * 60,
        "w" => 7 * 24 * 60,
        "mo" => 30 * 24 * 60,
        "y" => 365 * 24 * 60,
        _ => return Err(invalid()),
    };
    if n <= 0 {
        return Err(format!(
            "Invalid duration '{raw}': the number must be positive"
        ));
    }
    n.checked_mul(unit_minutes)
        .and_then(TimeDelta::try_minutes)
        .map(Some)
        .ok_or_else(|| format!("Invalid duration '{raw}': too long"))
}

/// A duration already validated (unparsable ones count as `never`).
fn window(raw: &str) -> Option<TimeDelta> {
    parse_duration(raw).ok().flatten()
}

fn any_of(list: &Option<Vec<String>>, value: &str) -> bool {
    list.as_ref().is_none_or(|l| l.iter().any(|x| x == value))
}

/// Whether a memory meets every condition of `m`.
pub fn matches(m: &RuleMatch, row: &MemoryRow) -> bool {
    any_of(&m.types, &row.mtype)
        && any_of(&m.source, &row.source)
        && any_of(&m.provenance, &row.provenance)
        && m.tags
            .as_ref()
            .is_none_or(|tags| tags.iter().any(|t| row.tags.contains(t)))
        && m.confidence_below.is_none_or(|c| row.confidence < c)
}

/// When the policy clock of a memory started: `updated_at`, else `created_at`.
pub fn clock_start(row: &MemoryRow) -> Option<DateTime<Utc>> {
    [&row.updated_at, &row.created_at]
        .into_iter()
        .find_map(|t| memanto_protocol::parse_timestamp(t))
}

/// What a policy says about one active memory at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not due (no window, pinned, or younger than its window).
    Keep,
    /// Due: expire it with this `expired_by` (a rule name or `retention.<type>`).
    Expire(String),
}

/// The first matching rule decides (`never` pins); else `retention[type]`.
pub fn verdict(policy: &Policy, row: &MemoryRow, now: DateTime<Utc>) -> Result<Verdict, String> {
    let (reason, window) = match policy.rules.iter().find(|r| matches(&r.matches, row)) {
        Some(rule) => (rule.name.clone(), window(&rule.expire_after)),
        None => (
            format!("retention.{}", row.mtype),
            policy.retention.get(&row.mtype).and_then(|d| window(d)),
        ),
    };
    let Some(window) = window else {
        return Ok(Verdict::Keep);
    };
    let start = clock_start(row)
        .ok_or_else(|| format!("Memory '{}' has no readable updated_at/created_at", row.id))?;
    Ok(if now - start >= window {
        Verdict::Expire(reason)
    } else {
        Verdict::Keep
    })
}

/// The outcome of a sweep over an agent's memories.
#[derive(Debug, Default)]
pub struct Sweep {
    pub scanned: usize,
    pub already_expired: usize,
    /// Index into the swept rows and the `expired_by` reason, for every memory due.
    pub due: Vec<(usize, String)>,
    /// `(memory id, error)` for memories that could not be evaluated.
    pub errors: Vec<(String, String)>,
}

/// Evaluates `policy` on every row (only active ones can expire).
pub fn sweep(policy: &Policy, rows: &[MemoryRow], now: DateTime<Utc>) -> Sweep {
    let mut out = Sweep {
        scanned: rows.len(),
        ..Sweep::default()
    };
    for (i, row) in rows.iter().enumerate() {
        if row.is_expired() {
            out.already_expired += 1;
            continue;
        }
        match verdict(policy, row, now) {
            Ok(Verdict::Expire(reason)) => out.due.push((i, reason)),
            Ok(Verdict::Keep) => {}
            Err(e) => out.errors.push((row.id.clone(), e)),
        }
    }
    out
}

/// Whether an expired memory is old enough to purge: `expired_at <= now - window`.
pub fn purgeable(row: &MemoryRow, window: TimeDelta, now: DateTime<Utc>) -> bool {
    row.expired_at
        .as_deref()
        .and_then(memanto_protocol::parse_timestamp)
        .is_some_and(|at| at <= now - window)
}

/// The names of the presets, sorted.
pub const PRESET_NAMES: [&str; 3] = ["aggressive", "balanced", "conservative"];

/// `Unknown preset '<n>'. Must be one of: aggressive, balanced, conservative.`
pub fn unknown_preset(name: &str) -> String {
    format!(
        "Unknown preset '{name}'. Must be one of: {}.",
        PRESET_NAMES.join(", ")
    )
}

fn table(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn pin_rule() -> PolicyRule {
    PolicyRule {
        name: "pinned".into(),
        matches: RuleMatch {
            tags: Some(vec!["pinned".into()]),
            ..RuleMatch::default()
        },
        expire_after: NEVER.into(),
    }
}

fn low_confidence(below: f64, after: &str) -> PolicyRule {
    PolicyRule {
        name: "low-confidence".into(),
        matches: RuleMatch {
            confidence_below: Some(below),
            ..RuleMatch::default()
        },
        expire_after: after.into(),
    }
}

/// A preset by name: `(description, policy)`.
pub fn preset(name: &str) -> Option<(&'static str, Policy)> {
    let (description, retention, rules, purge) = match name {
        "conservative" => (
            "Keeps almost everything: only transient context and observations expire, after months; expired memories are never purged.",
            table(&[("context", "90d"), ("observation", "180d")]),
            vec![pin_rule()],
            NEVER,
        ),
        "balanced" => (
            "Expires transient memories (context, observations, events, errors) within weeks to months and low-confidence memories after 30 days; purges expired memories after 90 days.",
            table(&[
                ("context", "30d"),
                ("observation", "90d"),
                ("event", "180d"),
                ("error", "90d"),
            ]),
            vec![pin_rule(), low_confidence(0.3, "30d")],
            "90d",
        ),
        "aggressive" => (
            "Keeps memory lean: transient memories expire within days to weeks, most others within a year, low-confidence memories after 7 days; purges expired memories after 30 days.",
            table(&[
                ("context", "7d"),
                ("observation", "30d"),
                ("event", "60d"),
                ("error", "30d"),
                ("artifact", "90d"),
                ("learning", "180d"),
                ("fact", "1y"),
            ]),
            vec![pin_rule(), low_confidence(0.5, "7d")],
            "30d",
        ),
        _ => return None,
    };
    Some((
        description,
        Policy {
            version: 1,
            retention,
            rules,
            purge_expired_after: purge.into(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Trust;

    fn row(mtype: &str, updated_at: &str) -> MemoryRow {
        MemoryRow {
            id: format!("{mtype}-{updated_at}"),
            agent_id: "a".into(),
            mtype: mtype.into(),
            title: "t".into(),
            content: "c".into(),
            tags: vec![],
            confidence: 0.8,
            source: "agent".into(),
            provenance: "explicit_statement".into(),
            created_at: "2026-01-01T00:00:00.000000Z".into(),
            updated_at: updated_at.into(),
            trust: Trust::default(),
            expired_at: None,
            expired_by: None,
            score: None,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        memanto_protocol::parse_timestamp(s).unwrap()
    }

    #[test]
    fn durations() {
        let d = |s| parse_duration(s).unwrap();
        assert_eq!(d("never"), None);
        assert_eq!(d("NEVER"), None);
        assert_eq!(d(""), None);
        assert_eq!(d("  "), None);
        assert_eq!(d("15m"), Some(TimeDelta::minutes(15)));
        assert_eq!(d("2H"), Some(TimeDelta::hours(2)));
        assert_eq!(d("30d"), Some(TimeDelta::days(30)));
        assert_eq!(d(" 3 w "), Some(TimeDelta::weeks(3)));
        assert_eq!(d("2mo"), Some(TimeDelta::days(60)));
        assert_eq!(d("1Y"), Some(TimeDelta::days(365)));
        for bad in [
            "0d",
            "-1d",
            "d",
            "10",
            "10s",
            "1.5d",
            "10 days",
            "mo",
            "99999999999999999y",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn first_matching_rule_wins_and_never_pins() {
        let mut policy = preset("balanced").unwrap().1;
        let now = at("2026-06-01T00:00:00Z");
        let old_context = row("context", "2026-01-01T00:00:00Z");
        assert_eq!(
            verdict(&policy, &old_context, now),
            Ok(Verdict::Expire("retention.context".into()))
        );
        let mut pinned = old_context.clone();
        pinned.tags = vec!["pinned".into()];
        assert_eq!(verdict(&policy, &pinned, now), Ok(Verdict::Keep));
        let mut weak = row("fact", "2026-05-01T00:00:00Z");
        weak.confidence = 0.2;
        assert_eq!(
            verdict(&policy, &weak, now),
            Ok(Verdict::Expire("low-confidence".into()))
        );
        // Younger than its window, or a type without retention: kept.
        assert_eq!(
            verdict(&policy, &row("context", "2026-05-20T00:00:00Z"), now),
            Ok(Verdict::Keep)
        );
        assert_eq!(
            verdict(&policy, &row("fact", "2020-01-01T00:00:00Z"), now),
            Ok(Verdict::Keep)
        );
        // Age is measured from updated_at; exactly the window is due.
        policy.retention.insert("fact".into(), "31d".into());
        assert_eq!(
            verdict(&policy, &row("fact", "2026-05-01T00:00:00Z"), now),
            Ok(Verdict::Expire("retention.fact".into()))
        );
        let mut unreadable = row("fact", "garbage");
        unreadable.created_at = "also garbage".into();
        assert!(verdict(&policy, &unreadable, now).is_err());
    }

    #[test]
    fn sweep_skips_expired_and_matches_all_conditions() {
        let rule = PolicyRule {
            name: "agent-notes".into(),
            matches: RuleMatch {
                types: Some(vec!["fact".into()]),
                source: Some(vec!["agent".into()]),
                tags: Some(vec!["x".into(), "y".into()]),
                ..RuleMatch::default()
            },
            expire_after: "1h".into(),
        };
        let policy = Policy {
            rules: vec![rule],
            ..Policy::default()
        };
        let now = at("2026-01-02T00:00:00Z");
        let mut tagged = row("fact", "2026-01-01T00:00:00Z");
        tagged.tags = vec!["y".into()];
        let untagged = row("fact", "2026-01-01T00:00:00Z");
        let mut expired = tagged.clone();
        expired.expired_at = Some("2026-01-01T12:00:00Z".into());
        let mut user = tagged.clone();
        user.source = "user".into();
        let s = sweep(&policy, &[tagged, untagged, expired.clone(), user], now);
        assert_eq!((s.scanned, s.already_expired), (4, 1));
        assert_eq!(s.due, vec![(0, "agent-notes".to_owned())]);
        assert!(purgeable(&expired, TimeDelta::hours(12), now));
        assert!(!purgeable(&expired, TimeDelta::hours(13), now));
    }

    #[test]
    fn presets_are_valid() {
        for name in PRESET_NAMES {
            let (_, p) = preset(name).unwrap();
            for d in p.retention.values().chain([&p.purge_expired_after]) {
                parse_duration(d).unwrap();
            }
            assert!(p
                .retention
                .keys()
                .all(|k| crate::model::MEMORY_TYPES.contains(&k.as_str())));
        }
        assert!(preset("nope").is_none());
        assert_eq!(
            unknown_preset("x"),
            "Unknown preset 'x'. Must be one of: aggressive, balanced, conservative."
        );
    }
}
