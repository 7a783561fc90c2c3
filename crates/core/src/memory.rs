//! The memory calls of a session: each checks its arguments (the one validation layer), names
//! its typed operation, and sends it with the session token (see `session.rs`); the server
//! generation's module (`wire/`) decides the route and encoding.

use serde_json::Value;

use crate::args::{
    AnswerArgs, ConflictResolution, ExtractArgs, MemoryInput, MemoryUpdate, RecallArgs,
    Replacement, TemporalArgs,
};
use crate::error::{Error, Result};
use crate::http::FromBody;
use crate::ops::Op;
use crate::session::Session;
use crate::validate;

impl Session {
    /// `POST /api/v2/agents/{id}/remember`.
    pub async fn remember(&self, memory: &MemoryInput) -> Result<Value> {
        self.remember_as(memory).await
    }

    /// [`Session::remember`] with the reply kept as `B` (a `Value` or a [`Tape`](crate::Tape)).
    pub async fn remember_as<B: FromBody>(&self, memory: &MemoryInput) -> Result<B> {
        memory.validate()?;
        self.call(Op::Remember(memory)).await
    }

    /// `POST /api/v2/agents/{id}/batch-remember` with 1..100 memories.
    pub async fn batch_remember(&self, memories: &[MemoryInput]) -> Result<Value> {
        self.batch_remember_as(memories).await
    }

    /// [`Session::batch_remember`] with the reply kept as `B` (a `Value` or a [`Tape`](crate::Tape)).
    pub async fn batch_remember_as<B: FromBody>(&self, memories: &[MemoryInput]) -> Result<B> {
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
        self.call(Op::BatchRemember(memories)).await
    }

    /// Recall: 0.0.x `GET …/recall`, 0.2.x `POST …/recall`.
    pub async fn recall(&self, args: &RecallArgs) -> Result<Value> {
        self.recall_as(args).await
    }

    /// [`Session::recall`] with the reply kept as `B` (a `Value` or a [`Tape`](crate::Tape)).
    pub async fn recall_as<B: FromBody>(&self, args: &RecallArgs) -> Result<B> {
        args.validate()?;
        self.call(Op::Recall(args)).await
    }

    /// Memories valid at `as_of`: 0.0.x `GET …/recall/as-of` (needs a query), 0.2.x
    /// `POST …/recall/as-of` (takes none).
    pub async fn recall_as_of(
        &self,
        query: Option<&str>,
        as_of: &str,
        args: &TemporalArgs,
    ) -> Result<Value> {
        self.recall_as_of_as(query, as_of, args).await
    }

    /// [`Session::recall_as_of`] with the reply kept as `B` (a `Value` or a [`Tape`](crate::Tape)).
    pub async fn recall_as_of_as<B: FromBody>(
        &self,
        query: Option<&str>,
        as_of: &str,
        args: &TemporalArgs,
    ) -> Result<B> {
        if let Some(q) = query {
            validate::query(q, "query")?;
        }
        validate::timestamp("as_of", as_of)?;
        args.validate()?;
        self.call(Op::RecallAsOf { query, as_of, args }).await
    }

    /// Memories created or changed after `since`.
    pub async fn recall_changed_since(&self, since: &str, args: &TemporalArgs) -> Result<Value> {
        self.recall_changed_since_as(since, args).await
    }

    /// [`Session::recall_changed_since`] with the reply kept as `B` (a `Value` or a [`Tape`](crate::Tape)).
    pub async fn recall_changed_since_as<B: FromBody>(
        &self,
        since: &str,
        args: &TemporalArgs,
    ) -> Result<B> {
        validate::timestamp("since", since)?;
        args.validate()?;
        self.call(Op::RecallChangedSince { since, args }).await
    }

    /// What is currently true: 0.0.x `GET …/recall/current`; 0.2.x recall of active memories.
    pub async fn recall_current(&self, query: &str, args: &TemporalArgs) -> Result<Value> {
        self.recall_current_as(query, args).await
    }

    /// [`Session::recall_current`] with the reply kept as `B` (a `Value` or a [`Tape`](crate::Tape)).
    pub async fn recall_current_as<B: FromBody>(
        &self,
        query: &str,
        args: &TemporalArgs,
    ) -> Result<B> {
        validate::query(query, "query")?;
        args.validate()?;
        self.call(Op::RecallCurrent { query, args }).await
    }

    /// 0.2.x `POST …/recall/recent`: the newest memories.
    pub async fn recall_recent(&self, args: &TemporalArgs) -> Result<Value> {
        self.recall_recent_as(args).await
    }

    /// [`Session::recall_recent`] with the reply kept as `B` (a `Value` or a [`Tape`](crate::Tape)).
    pub async fn recall_recent_as<B: FromBody>(&self, args: &TemporalArgs) -> Result<B> {
        args.validate()?;
        self.call(Op::RecallRecent(args)).await
    }

    /// 0.2.x `POST …/recall/all`: every memory, newest first (the limit is not capped at 100).
    pub async fn recall_all(&self, args: &TemporalArgs) -> Result<Value> {
        self.recall_all_as(args).await
    }

    /// [`Session::recall_all`] with the reply kept as `B` (a `Value` or a [`Tape`](crate::Tape)).
    pub async fn recall_all_as<B: FromBody>(&self, args: &TemporalArgs) -> Result<B> {
        if let Some(0) = args.limit {
            return Err(Error::validation("limit must be at least 1"));
        }
        let capped = TemporalArgs {
            limit: None,
            ..args.clone()
        };
        capped.validate()?;
        self.call(Op::RecallAll(args)).await
    }

    /// `POST …/answer`.
    pub async fn answer(&self, args: &AnswerArgs) -> Result<Value> {
        self.answer_as(args).await
    }

    /// [`Session::answer`] with the reply kept as `B` (a `Value` or a [`Tape`](crate::Tape)).
    pub async fn answer_as<B: FromBody>(&self, args: &AnswerArgs) -> Result<B> {
        args.validate()?;
        self.call(Op::Answer(args)).await
    }

    /// 0.0.x `POST …/validate/{memory_id}`.
    pub async fn validate_memory(&self, memory_id: &str) -> Result<Value> {
        validate::memory_id(memory_id)?;
        self.call(Op::Validate(memory_id)).await
    }

    /// 0.0.x `POST …/supersede/{old_memory_id}`, with `new_memory_id` as a query parameter or
    /// the new memory's fields as the body (stored in the same call).
    pub async fn supersede(&self, old_memory_id: &str, replacement: &Replacement) -> Result<Value> {
        validate::memory_id(old_memory_id)?;
        match replacement {
            Replacement::Existing(new_id) => {
                validate::memory_id(new_id)?;
                if new_id == old_memory_id {
                    return Err(Error::validation("a memory cannot supersede itself"));
                }
            }
            Replacement::New(memory) => memory.validate()?,
        }
        self.call(Op::Supersede {
            old: old_memory_id,
            replacement,
        })
        .await
    }

    /// 0.0.x `POST …/contradict/{memory_id}`.
    pub async fn contradict(
        &self,
        memory_id: &str,
        reason: Option<&str>,
        contradicting_memory_id: Option<&str>,
    ) -> Result<Value> {
        validate::memory_id(memory_id)?;
        if let Some(c) = contradicting_memory_id {
            validate::memory_id(c)?;
        }
        if let Some(r) = reason {
            validate::content(r, "reason")?;
        }
        self.call(Op::Contradict {
            memory_id,
            reason,
            contradicting: contradicting_memory_id,
        })
        .await
    }

    /// Change fields in place (0.0.x `PATCH /api/v1/memory/{id}`, 0.2.x
    /// `PATCH …/memories/{memory_id}`).
    pub async fn update_memory(&self, memory_id: &str, update: &MemoryUpdate) -> Result<Value> {
        validate::memory_id(memory_id)?;
        update.validate()?;
        self.call(Op::Update { memory_id, update }).await
    }

    /// Delete (0.0.x `DELETE /api/v1/memory/{id}`, 0.2.x `DELETE …/memories/{memory_id}`).
    pub async fn delete_memory(&self, memory_id: &str) -> Result<Value> {
        validate::memory_id(memory_id)?;
        self.call(Op::Delete(memory_id)).await
    }

    /// 0.2.x `POST …/memories/{memory_id}/expire` (reversible with restore).
    pub async fn expire_memory(&self, memory_id: &str, reason: Option<&str>) -> Result<Value> {
        validate::memory_id(memory_id)?;
        if let Some(r) = reason {
            validate::reason(r)?;
        }
        self.call(Op::Expire { memory_id, reason }).await
    }

    /// 0.2.x `POST …/memories/{memory_id}/restore`.
    pub async fn restore_memory(&self, memory_id: &str) -> Result<Value> {
        validate::memory_id(memory_id)?;
        self.call(Op::Restore(memory_id)).await
    }

    /// 0.2.x `POST …/remember/extract`.
    pub async fn extract(&self, args: &ExtractArgs) -> Result<Value> {
        args.validate()?;
        self.call(Op::Extract(args)).await
    }

    /// `POST …/upload-file` (multipart field `file`).
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
        self.call(Op::Upload {
            name: &name,
            bytes: &bytes,
        })
        .await
    }

    /// 0.2.x `POST …/daily-summary` (`date` YYYY-MM-DD, default today UTC).
    pub async fn daily_summary(&self, date: Option<&str>) -> Result<Value> {
        if let Some(d) = date {
            validate::day("date", d)?;
        }
        self.call(Op::DailySummary { date }).await
    }

    /// 0.2.x `POST …/conflicts/generate`.
    pub async fn generate_conflicts(&self, date: Option<&str>) -> Result<Value> {
        if let Some(d) = date {
            validate::day("date", d)?;
        }
        self.call(Op::GenerateConflicts { date }).await
    }

    /// 0.2.x `GET …/conflicts`.
    pub async fn conflicts(&self, date: Option<&str>) -> Result<Value> {
        if let Some(d) = date {
            validate::day("date", d)?;
        }
        self.call(Op::Conflicts { date }).await
    }

    /// 0.2.x `POST …/conflicts/resolve`.
    pub async fn resolve_conflict(&self, resolution: &ConflictResolution) -> Result<Value> {
        resolution.validate()?;
        self.call(Op::ResolveConflict(resolution)).await
    }

    /// 0.2.x `GET …/policy`.
    pub async fn get_policy(&self) -> Result<Value> {
        self.call(Op::GetPolicy).await
    }

    /// 0.2.x `PUT …/policy` with the policy object.
    pub async fn set_policy(&self, policy: &Value) -> Result<Value> {
        if !policy.is_object() {
            return Err(Error::validation(
                "policy must be a dict such as {\"retention\": {\"event\": \"30d\"}, \"rules\": []}",
            ));
        }
        validate::policy(policy)?;
        self.call(Op::PutPolicy(policy)).await
    }

    /// 0.2.x `GET …/policy/presets`.
    pub async fn policy_presets(&self) -> Result<Value> {
        self.call(Op::PolicyPresets).await
    }

    /// 0.2.x `GET …/policy/presets/{name}`.
    pub async fn policy_preset(&self, name: &str) -> Result<Value> {
        validate::preset(name)?;
        self.call(Op::PolicyPreset(name)).await
    }

    /// 0.2.x `POST …/policy/preset`.
    pub async fn apply_policy_preset(&self, name: &str) -> Result<Value> {
        validate::preset(name)?;
        self.call(Op::ApplyPolicyPreset(name)).await
    }

    /// 0.2.x `POST …/policy/apply`.
    pub async fn apply_policy(&self, dry_run: bool) -> Result<Value> {
        self.call(Op::ApplyPolicy { dry_run }).await
    }

    /// 0.2.x `POST …/policy/purge` (permanent).
    pub async fn purge_expired(&self, dry_run: bool) -> Result<Value> {
        self.call(Op::PurgeExpired { dry_run }).await
    }
}
