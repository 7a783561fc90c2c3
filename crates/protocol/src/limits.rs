//! Limits of the API. Where the generations differ, both values are named.

/// Longest memory content, in characters (0.0.x: 413 above it; 0.2.x: 422).
pub const MAX_CONTENT_CHARS: usize = 10_000;
/// Longest recall query or answer question, in characters (413 `query_too_long`).
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Longest memory title, in characters (the stored record's bound on both generations).
pub const MAX_TITLE_CHARS: usize = 100;
/// Largest `limit` of recall and the temporal queries (400 `k_too_large`).
pub const MAX_LIMIT: u32 = 100;
/// Memories per batch-remember request.
pub const MAX_BATCH: usize = 100;
/// Tags per memory (0.2.x).
pub const MAX_TAGS: usize = 20;
/// Characters per tag (0.2.x; 0.0.x does not check).
pub const MAX_TAG_CHARS: usize = 64;
/// Characters of a `source` label or an expiry reason (0.2.x).
pub const MAX_SOURCE_CHARS: usize = 64;
/// Messages per `remember/extract` request (0.2.x).
pub const MAX_EXTRACT_MESSAGES: usize = 200;
/// `max_memories` of `remember/extract` (0.2.x).
pub const MAX_EXTRACT_MEMORIES: u32 = 100;
/// Characters of a message `role` in `remember/extract` (0.2.x).
pub const MAX_ROLE_CHARS: usize = 50;
/// Highest answer temperature on 0.0.x.
pub const MAX_TEMPERATURE_LEGACY: f64 = 1.0;
/// Highest answer temperature on 0.2.x.
pub const MAX_TEMPERATURE_CURRENT: f64 = 2.0;
/// Default session lifetime on both generations, in hours.
pub const DEFAULT_SESSION_HOURS: u32 = 6;
/// 0.2.x renews a session on a memory call when at most this many minutes remain.
pub const RENEW_THRESHOLD_MINUTES: u32 = 30;
/// Default recall limit (both generations).
pub const DEFAULT_RECALL_LIMIT: u32 = 10;
/// Default limit of `recall/all` when none is given (0.2.x).
pub const DEFAULT_RECALL_ALL_LIMIT: u32 = 5000;
/// Largest upload the 0.2.x server accepts, in bytes.
pub const MAX_UPLOAD_BYTES: u64 = 5_368_709_120;

/// File types the upload route accepts (both generations), without the dot.
pub const UPLOAD_EXTENSIONS: [&str; 7] = ["csv", "docx", "json", "md", "pdf", "txt", "xlsx"];

/// Tag phrases the 0.2.x server refuses (case-insensitive substring), API-0.2 §9.5.
pub const TAG_INJECTION_PHRASES: [&str; 7] = [
    "ignore previous instructions",
    "ignore prior instructions",
    "system override",
    "exfiltrate",
    "send all memories",
    "override previous",
    "disregard previous",
];
