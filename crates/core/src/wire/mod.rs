//! The seam between the SDK's operations and a server generation's wire format. Each
//! generation module (`legacy.rs` for 0.0.x, `current.rs` for 0.2.x) turns an [`Op`] into a
//! [`Call`] and classifies that generation's error responses; every quirk of a generation lives
//! in its module and nowhere else.

pub mod current;
pub mod legacy;

use memanto_protocol::Generation;

use crate::error::{Error, ErrorKind, ErrorResponse, AGENT_REMEDY, MEMORY_REMEDY};
use crate::http::{Call, Target};
use crate::ops::Op;
use crate::validate;

/// What was found about the server (or pinned): the generation whose wire format the client
/// speaks, and the version `GET /` reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub generation: Generation,
    /// `GET /`'s `version`; `None` when the generation was pinned or the server sent none.
    pub version: Option<String>,
    /// The server also serves the other generation's routes (the default LocalServer), so a
    /// call the primary generation lacks can go by the other's encoding.
    pub serves_both: bool,
    /// True when found by `GET /`, false when pinned.
    pub detected: bool,
}

impl ServerInfo {
    pub fn pinned(generation: Generation) -> Self {
        ServerInfo {
            generation,
            version: None,
            serves_both: false,
            detected: false,
        }
    }

    /// From `GET /`'s body; `None` when it reports no version of a Memanto generation (then
    /// the server is probably not Memanto, and the caller says so).
    pub fn from_service(info: &memanto_protocol::wire::ServiceInfo) -> Option<Self> {
        let version = info.version.clone();
        let generation = version.as_deref().and_then(Generation::of_version)?;
        let serves_both = info
            .generations
            .as_ref()
            .is_some_and(|g| g.iter().any(|x| x == "0.0") && g.iter().any(|x| x == "0.2"));
        Some(ServerInfo {
            generation,
            version,
            serves_both,
            detected: true,
        })
    }

    /// `Memanto 0.2.30 (API generation 0.2)` or `a Memanto server of API generation 0.2`.
    pub fn describe(&self) -> String {
        match &self.version {
            Some(v) => format!("Memanto {v} (API generation {})", self.generation),
            None => format!(
                "a Memanto server of API generation {} (pinned with api_version)",
                self.generation
            ),
        }
    }
}

/// Why a generation cannot encode an operation.
#[derive(Debug)]
pub enum Refusal {
    /// The generation has no such call: why, and what to use instead.
    Missing {
        why: &'static str,
        instead: &'static str,
    },
    /// The call exists, but not with this argument: its name, why, and what to do instead.
    Argument {
        name: &'static str,
        why: &'static str,
        instead: &'static str,
    },
    /// The arguments break a rule of this generation (e.g. 0.0.x's temperature ≤ 1).
    Invalid(Error),
}

impl Refusal {
    pub(crate) fn missing(why: &'static str, instead: &'static str) -> Refusal {
        Refusal::Missing { why, instead }
    }

    pub(crate) fn argument(
        name: &'static str,
        why: &'static str,
        instead: &'static str,
    ) -> Refusal {
        Refusal::Argument { name, why, instead }
    }
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::Invalid(e)
    }
}

pub(crate) type Encoded = std::result::Result<Call, Refusal>;

fn encode_with(generation: Generation, agent: &str, op: &Op<'_>) -> Encoded {
    let call = match generation {
        Generation::Legacy => legacy::encode(agent, op),
        Generation::Current => current::encode(agent, op),
    }?;
    Ok(call.generation(generation).op(op.name()))
}

/// Encode `op` for `server`: by its generation's rules, else (for a server that serves both
/// generations) by the other's; else an `Unsupported` error naming the server and the
/// alternative, before anything is sent.
pub fn encode(server: &ServerInfo, agent: &str, op: &Op<'_>) -> crate::error::Result<Call> {
    let refusal = match encode_with(server.generation, agent, op) {
        Ok(call) => return Ok(call),
        Err(Refusal::Invalid(e)) => return Err(e),
        Err(r) => r,
    };
    if server.serves_both {
        let other = match server.generation {
            Generation::Legacy => Generation::Current,
            Generation::Current => Generation::Legacy,
        };
        match encode_with(other, agent, op) {
            Ok(call) => return Ok(call),
            Err(Refusal::Invalid(e)) => return Err(e),
            Err(_) => {}
        }
    }
    let message = match refusal {
        Refusal::Missing { why, instead } => format!(
            "{} is not offered by {}: {why}. {instead}",
            op.name(),
            server.describe()
        ),
        Refusal::Argument { name, why, instead } => format!(
            "{} with {name}=... is not offered by {}: {why}. {instead}",
            op.name(),
            server.describe()
        ),
        Refusal::Invalid(e) => return Err(e),
    };
    Err(Error::new(ErrorKind::Unsupported, message))
}

/// A success body in the shape the SDK reads, whichever generation's encoding was used.
pub fn normalize(
    generation: Generation,
    op: &Op<'_>,
    body: serde_json::Value,
) -> serde_json::Value {
    match generation {
        Generation::Legacy => legacy::normalize(op, body),
        Generation::Current => body,
    }
}

/// `/api/v2/agents/{agent}/{tail}`.
pub(crate) fn agent_path(agent: &str, tail: &str) -> String {
    format!("/api/v2/agents/{agent}/{tail}")
}

/// `/api/v2/agents/{agent}/{route}/{memory_id}` with the id as one encoded segment.
pub(crate) fn memory_path(agent: &str, route: &str, memory_id: &str) -> String {
    agent_path(
        agent,
        &format!("{route}/{}", validate::path_segment(memory_id)),
    )
}

/// `POST …/upload-file` with the multipart field `file`: the same on both generations.
pub(crate) fn upload_call(agent: &str, name: &str, bytes: &[u8]) -> Call {
    let mut call = Call::new(
        reqwest::Method::POST,
        agent_path(agent, "upload-file"),
        crate::http::Replay::Unsafe,
    );
    call.payload = crate::http::Payload::File {
        name: name.to_string(),
        bytes: bytes.to_vec(),
    };
    call
}

/// Classify an error response of `call` by its generation's rules, then the shared ones.
pub fn classify(call: &Call, resp: ErrorResponse, retry_after: Option<f64>) -> Error {
    let specific = match call.generation {
        Generation::Legacy => legacy::classify(call, &resp),
        Generation::Current => current::classify(call, &resp),
    };
    let (kind, remedy) = specific.unwrap_or_else(|| common(call, &resp));
    resp.into_error(kind, &remedy, retry_after)
}

/// The rules both generations share.
fn common(call: &Call, resp: &ErrorResponse) -> (ErrorKind, String) {
    let Target { op, names_memory } = call.target;
    let s = |t: &str| t.to_string();
    if resp.is_missing_route() {
        return (
            ErrorKind::Unsupported,
            format!(
                "The server has no route {} {}: {op} is not offered by this server. If it is \
                 another Memanto generation than the client assumed, pass api_version=\"auto\" \
                 (the default) or pin the right one.",
                call.method, call.path
            ),
        );
    }
    match resp.status {
        401 => (
            ErrorKind::Authentication,
            s("Check the API key: pass api_key=... or set the MOORCHEH_API_KEY environment variable \
               (for a LocalServer use server.api_key)."),
        ),
        403 => (
            ErrorKind::PermissionDenied,
            s("This session token may not be used here. A session token only works for the agent \
               that was activated; activate the agent you are calling."),
        ),
        404 if resp.code() == memanto_protocol::codes::AGENT_NOT_FOUND => {
            (ErrorKind::NotFound, s(AGENT_REMEDY))
        }
        404 if resp.code() == memanto_protocol::codes::SESSION_NOT_FOUND => (
            ErrorKind::NotFound,
            s("The server has no session for this agent. Activate the agent first."),
        ),
        404 if names_memory || resp.code() == memanto_protocol::codes::MEMORY_NOT_FOUND => {
            (ErrorKind::NotFound, s(MEMORY_REMEDY))
        }
        404 => (
            ErrorKind::NotFound,
            format!("The server says what {op} names does not exist."),
        ),
        409 if op == "client.agents.create()" => (
            ErrorKind::Conflict,
            s("The agent already exists; use client.agents.get(agent_id) instead."),
        ),
        409 if op == "session.resolve_conflict()" => (
            ErrorKind::Conflict,
            s("Call conflicts() to see the conflicts still open."),
        ),
        409 => (
            ErrorKind::Conflict,
            s("The request conflicts with the server's current state."),
        ),
        415 => (
            ErrorKind::Validation,
            s("This server does not accept that file type; convert it to .txt, .md, .json or .csv."),
        ),
        400 | 413 | 422 => (
            ErrorKind::Validation,
            s("Fix the request arguments named above."),
        ),
        408 => (
            ErrorKind::Timeout,
            s("The server timed out waiting for the request; try again."),
        ),
        429 => (ErrorKind::RateLimit, s("Too many requests; wait and try again.")),
        st if st >= 500 => (
            ErrorKind::Server,
            s("The server failed; try again later or check the server's logs."),
        ),
        _ => (ErrorKind::Server, s("Unexpected response status.")),
    }
}

/// Session remedies shared by both generations' 401 rules.
pub(crate) const EXPIRED_REMEDY: &str = "The session token has expired. Extend the session before \
    it ends (session.extend()) or activate the agent again (agent.activate()).";
pub(crate) const MISSING_TOKEN_REMEDY: &str =
    "This call needs a session token. Activate the agent \
    first (session = agent.activate()) and make memory calls through that session.";
