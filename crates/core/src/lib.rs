//! memanto-core: the engine of memanto-client. Configuration, the HTTP layer, the seam per
//! server generation (`wire/`), error mapping, session-token decoding and session state for
//! the Memanto agent-memory API. No Python here.

pub mod args;
pub mod client;
pub mod config;
mod direct;
pub mod error;
mod exchange;
pub mod fork;
pub mod http;
mod memory;
pub mod ops;
mod registry;
pub mod session;
pub mod tape;
pub mod time;
pub mod token;
pub mod validate;
pub mod wire;

pub use args::{
    AnswerArgs, ConflictResolution, ExtractArgs, MemoryInput, MemoryUpdate, Message, RecallArgs,
    Replacement, TemporalArgs,
};
pub use client::Client;
pub use config::{ClientConfig, Secret};
pub use error::{Error, ErrorKind, Result};
pub use http::{Call, Deferred, FromBody, Payload, Replay, Reply};
pub use memanto_protocol::Generation;
pub use session::{Session, SessionPolicy};
pub use tape::Tape;
pub use token::{decode_session_token, SessionClaims};
pub use wire::ServerInfo;
