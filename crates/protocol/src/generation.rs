//! The two server generations and how to tell them apart from `GET /`.

use std::fmt;

/// A Memanto server generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generation {
    /// 0.0.x, the documented API (`API.md`): GET recall, `/session/current`, `/session/extend`.
    Legacy,
    /// 0.1+ / 0.2.x (`API-0.2.md`): POST recall with JSON bodies, `/status`, renewed tokens
    /// in `X-Session-Token` response headers, a management gate.
    Current,
}

impl Generation {
    /// The generation a server `version` string belongs to: `0.0.*` is legacy, anything at or
    /// above 0.1 is current. `None` when the string is not a version.
    pub fn of_version(version: &str) -> Option<Generation> {
        let v = version.trim().trim_start_matches(['v', 'V']);
        let mut parts = v.split(['.', '-', '+']);
        let major: u64 = parts.next()?.parse().ok()?;
        let minor: u64 = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        Some(if major == 0 && minor == 0 {
            Generation::Legacy
        } else {
            Generation::Current
        })
    }

    /// Parse a pin: `"0.0"` or `"0.2"`, or a full version of a known generation (`"0.0.8"`,
    /// `"0.1.3"`, `"0.2.30"`). Anything else (`"0.9"`, `"1"`, `"current"`) is not a pin, so a
    /// typo is refused rather than taken for a generation.
    pub fn parse_pin(pin: &str) -> Option<Generation> {
        let v = pin.trim();
        let parts: Vec<&str> = v.split('.').collect();
        if parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        match parts.as_slice() {
            ["0", "0", ..] => Some(Generation::Legacy),
            ["0", "2"] | ["0", "1" | "2", _, ..] => Some(Generation::Current),
            _ => None,
        }
    }

    /// `"0.0"` or `"0.2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Generation::Legacy => "0.0",
            Generation::Current => "0.2",
        }
    }
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// True when a 0.2.x `version` has the management gate (0.2.10 and later).
pub fn has_management_gate(version: &str) -> bool {
    let nums: Vec<u64> = version
        .trim()
        .trim_start_matches(['v', 'V'])
        .split(['.', '-', '+'])
        .take(3)
        .map_while(|p| p.parse().ok())
        .collect();
    match nums.as_slice() {
        [0, 0, ..] | [0, 1, ..] => false,
        [0, 2, patch, ..] => *patch >= 10,
        [0, 2] => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(Generation::of_version("0.0.8"), Some(Generation::Legacy));
        assert_eq!(Generation::of_version("0.1.3"), Some(Generation::Current));
        assert_eq!(Generation::of_version("0.2.30"), Some(Generation::Current));
        assert_eq!(Generation::of_version("1.0"), Some(Generation::Current));
        assert_eq!(Generation::of_version("v0.0.1"), Some(Generation::Legacy));
        assert_eq!(Generation::of_version("banana"), None);
        assert_eq!(Generation::parse_pin("0.2"), Some(Generation::Current));
        assert_eq!(Generation::parse_pin("0.0"), Some(Generation::Legacy));
        assert_eq!(Generation::parse_pin("auto"), None);
        assert_eq!(Generation::parse_pin("0.9x"), None);
        assert_eq!(Generation::parse_pin("0.9"), None);
        assert_eq!(Generation::parse_pin("1"), None);
        assert_eq!(Generation::parse_pin("current"), None);
        assert_eq!(Generation::parse_pin("0.1"), None);
        assert_eq!(Generation::parse_pin("0.2.30"), Some(Generation::Current));
        assert_eq!(Generation::parse_pin("0.1.3"), Some(Generation::Current));
        assert_eq!(Generation::parse_pin("0.0.8"), Some(Generation::Legacy));
        assert!(has_management_gate("0.2.30"));
        assert!(!has_management_gate("0.2.0"));
        assert!(!has_management_gate("0.0.8"));
    }
}
