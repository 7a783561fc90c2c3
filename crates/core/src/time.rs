//! Timestamps: the protocol crate's one lenient parser (both generations' formats, naive
//! meaning UTC) and the canonical ISO form handed to Python.

pub use memanto_protocol::time::{parse_timestamp, parse_user_timestamp, to_iso, DateBound};
