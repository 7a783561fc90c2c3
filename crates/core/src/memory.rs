//! The memory calls of a session: remember, recall, answer, temporal queries, memory
//! management and file upload. Each sends the session token (see `session.rs`).

use reqwest::Method;
use serde_json::{json, Value};

use crate::args::{
    filter_params, AnswerArgs, MemoryInput, MemoryUpdate, RecallArgs, Replacement, TemporalArgs,
};
use crate::error::{self, Error, ErrorKind, Result};
use crate::http::{Call, Payload, Replay};
use crate::session::Session;
use crate::validate;

impl Session {
    /// `{route}/{memory_id}` under this agent, the id checked and sent as one encoded segment.
    fn memory_path(&self, route: &str, memory_id: &str) -> Result<String> {
        validate::memory_id(memory_id)?;
        Ok(self.agent_path(&format!("{route}/{}", validate::path_segment(memory_id))))
    }

    async fn call_at(
        &self,
        method: Method,
        path: &str,
        replay: Replay,
        query: &[(&str, String)],
        payload: Payload,
    ) -> Result<Value> {
        let mut call = Call::new(method, path, replay).query(query);
        call.payload = payload;
        let names_a_memory = ["/memories/", "/validate/", "/supersede/", "/contradict/"]
            .iter()
            .any(|r| path.contains(r));
        self.call(call).await.map_err(|mut e| {
            if names_a_memory
                && e.kind == ErrorKind::NotFound
                && e.code.as_deref() != Some("AgentNotFound")
            {
                e.message = e.message.replace(error::AGENT_REMEDY, error::MEMORY_REMEDY);
            }
            e
        })
    }

    /// `POST /api/v2/agents/{id}/remember`: content in the JSON body, the other fields as query
    /// parameters (as the 0.0.8 server reads them) and in the body (as newer servers do).
    pub async fn remember(&self, memory: &MemoryInput) -> Result<Value> {
        memory.validate()?;
        let body = memory.to_json();
        self.call_at(
            Method::POST,
            &self.agent_path("remember"),
            Replay::Unsafe,
            &memory.legacy_query(),
            Payload::Json(body),
        )
        .await
    }

    /// `POST /api/v2/agents/{id}/batch-remember` with 1..100 memories.
    pub async fn batch_remember(&self, memories: &[MemoryInput]) -> Result<Value> {
        if memories.is_empty() || memories.len() > validate::MAX_BATCH {
            return Err(Error::validation(format!(
                "batch_remember takes 1 to {} memories per request, got {}",
                validate::MAX_BATCH,
                memories.len()
            )));
        }
        for (i, m) in memories.iter().enumerate() {
            m.validate()
                .map_err(|e| Error::validation(format!("memory {i}: {}", e.message)))?;
        }
        let body =
            json!({ "memories": memories.iter().map(MemoryInput::to_json).collect::<Vec<_>>() });
        self.call_at(
            Method::POST,
            &self.agent_path("batch-remember"),
            Replay::Unsafe,
            &[],
            Payload::Json(body),
        )
        .await
    }

    /// `GET /api/v2/agents/{id}/recall`.
    pub async fn recall(&self, args: &RecallArgs) -> Result<Value> {
        validate::query(&args.query, "query")?;
        let mut q = vec![("query", args.query.clone())];
        if let Some(m) = args.min_similarity {
            validate::unit_interval("min_similarity", m)?;
            q.push(("min_similarity", m.to_string()));
        }
        if let Some(a) = &args.created_after {
            validate::timestamp("created_after", a)?;
            q.push(("created_after", a.clone()));
        }
        if let Some(b) = &args.created_before {
            validate::timestamp("created_before", b)?;
            q.push(("created_before", b.clone()));
        }
        filter_params(&mut q, args.limit, &args.memory_types, &args.tags)?;
        self.call_at(
            Method::GET,
            &self.agent_path("recall"),
            Replay::Safe,
            &q,
            Payload::Empty,
        )
        .await
    }

    /// `GET /api/v2/agents/{id}/recall/as-of`: memories valid at `as_of` (ISO-8601, UTC).
    pub async fn recall_as_of(
        &self,
        query: &str,
        as_of: &str,
        args: &TemporalArgs,
    ) -> Result<Value> {
        validate::query(query, "query")?;
        validate::timestamp("as_of", as_of)?;
        let mut q = vec![("query", query.to_string()), ("as_of", as_of.to_string())];
        filter_params(&mut q, args.limit, &args.memory_types, &args.tags)?;
        self.call_at(
            Method::GET,
            &self.agent_path("recall/as-of"),
            Replay::Safe,
            &q,
            Payload::Empty,
        )
        .await
    }

    /// `GET /api/v2/agents/{id}/recall/changed-since`: memories created or changed after `since`.
    pub async fn recall_changed_since(&self, since: &str, args: &TemporalArgs) -> Result<Value> {
        validate::timestamp("since", since)?;
        let mut q = vec![("since", since.to_string())];
        filter_params(&mut q, args.limit, &args.memory_types, &args.tags)?;
        self.call_at(
            Method::GET,
            &self.agent_path("recall/changed-since"),
            Replay::Safe,
            &q,
            Payload::Empty,
        )
        .await
    }

    /// `GET /api/v2/agents/{id}/recall/current`: search without superseded memories.
    pub async fn recall_current(&self, query: &str, args: &TemporalArgs) -> Result<Value> {
        validate::query(query, "query")?;
        let mut q = vec![("query", query.to_string())];
        filter_params(&mut q, args.limit, &args.memory_types, &args.tags)?;
        self.call_at(
            Method::GET,
            &self.agent_path("recall/current"),
            Replay::Safe,
            &q,
            Payload::Empty,
        )
        .await
    }

    /// `POST /api/v2/agents/{id}/validate/{memory_id}`.
    pub async fn validate_memory(&self, memory_id: &str) -> Result<Value> {
        validate::memory_id(memory_id)?;
        self.call_at(
            Method::POST,
            &self.memory_path("validate", memory_id)?,
            Replay::Unsafe,
            &[],
            Payload::Empty,
        )
        .await
    }

    /// `POST /api/v2/agents/{id}/supersede/{old_memory_id}`, with `new_memory_id` as a query
    /// parameter (0.0.8) or the new memory's fields as the body (stored in the same call).
    pub async fn supersede(&self, old_memory_id: &str, replacement: &Replacement) -> Result<Value> {
        validate::memory_id(old_memory_id)?;
        let path = self.memory_path("supersede", old_memory_id)?;
        match replacement {
            Replacement::Existing(new_id) => {
                validate::memory_id(new_id)?;
                if new_id == old_memory_id {
                    return Err(Error::validation("a memory cannot supersede itself"));
                }
                self.call_at(
                    Method::POST,
                    &path,
                    Replay::Unsafe,
                    &[("new_memory_id", new_id.clone())],
                    Payload::Empty,
                )
                .await
            }
            Replacement::New(memory) => {
                memory.validate()?;
                self.call_at(
                    Method::POST,
                    &path,
                    Replay::Unsafe,
                    &[],
                    Payload::Json(memory.to_json()),
                )
                .await
            }
        }
    }

    /// `POST /api/v2/agents/{id}/contradict/{memory_id}`.
    pub async fn contradict(
        &self,
        memory_id: &str,
        reason: Option<&str>,
        contradicting_memory_id: Option<&str>,
    ) -> Result<Value> {
        validate::memory_id(memory_id)?;
        let mut body = json!({});
        if let Some(r) = reason {
            body["reason"] = json!(r);
        }
        if let Some(c) = contradicting_memory_id {
            validate::memory_id(c)?;
            body["contradicting_memory_id"] = json!(c);
        }
        let body = if body.as_object().is_some_and(|o| o.is_empty()) {
            None
        } else {
            Some(body)
        };
        self.call_at(
            Method::POST,
            &self.memory_path("contradict", memory_id)?,
            Replay::Safe,
            &[],
            body.map_or(Payload::Empty, Payload::Json),
        )
        .await
    }

    /// `PATCH /api/v2/agents/{id}/memories/{memory_id}` (keeps the id).
    pub async fn update_memory(&self, memory_id: &str, update: &MemoryUpdate) -> Result<Value> {
        validate::memory_id(memory_id)?;
        update.validate()?;
        self.call_at(
            Method::PATCH,
            &self.memory_path("memories", memory_id)?,
            Replay::Safe,
            &[],
            Payload::Json(update.to_json()),
        )
        .await
    }

    /// `DELETE /api/v2/agents/{id}/memories/{memory_id}`.
    pub async fn delete_memory(&self, memory_id: &str) -> Result<Value> {
        validate::memory_id(memory_id)?;
        self.call_at(
            Method::DELETE,
            &self.memory_path("memories", memory_id)?,
            Replay::Safe,
            &[],
            Payload::Empty,
        )
        .await
    }

    /// `POST /api/v2/agents/{id}/upload-file` (multipart field `file`).
    pub async fn upload_file(&self, path: &std::path::Path) -> Result<Value> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| {
                Error::validation(format!("{} has no usable file name", path.display()))
            })?
            .to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !validate::UPLOAD_EXTENSIONS.contains(&ext.as_str()) {
            return Err(Error::validation(format!(
                "file type '.{ext}' cannot be uploaded; allowed: .{}",
                validate::UPLOAD_EXTENSIONS.join(", .")
            )));
        }
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|e| Error::validation(format!("cannot read {}: {e}", path.display())))?;
        let path = self.agent_path("upload-file");
        self.call_at(
            Method::POST,
            &path,
            Replay::Unsafe,
            &[],
            Payload::File { name, bytes },
        )
        .await
    }

    /// `POST /api/v2/agents/{id}/answer`: question (and prompts) in the body, options in the query.
    pub async fn answer(&self, args: &AnswerArgs) -> Result<Value> {
        validate::query(&args.question, "question")?;
        let mut body = json!({ "question": args.question });
        if let Some(h) = &args.header_prompt {
            body["header_prompt"] = json!(h);
        }
        if let Some(f) = &args.footer_prompt {
            body["footer_prompt"] = json!(f);
        }
        let mut q = Vec::new();
        if let Some(l) = args.limit {
            validate::limit(l)?;
            q.push(("limit", l.to_string()));
        }
        if let Some(t) = args.threshold {
            validate::unit_interval("threshold", t)?;
            q.push(("threshold", t.to_string()));
        }
        if let Some(t) = args.temperature {
            validate::unit_interval("temperature", t)?;
            q.push(("temperature", t.to_string()));
        }
        if let Some(m) = &args.ai_model {
            validate::short_text("ai_model", m)?;
            q.push(("aiModel", m.clone()));
        }
        if let Some(k) = args.kiosk_mode {
            q.push(("kiosk_mode", k.to_string()));
        }
        self.call_at(
            Method::POST,
            &self.agent_path("answer"),
            Replay::Safe,
            &q,
            Payload::Json(body),
        )
        .await
    }
}
