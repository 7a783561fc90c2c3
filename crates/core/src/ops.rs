//! The typed operations of the SDK, each already validated by the caller (`args.rs`,
//! `validate.rs`). A generation module (`wire/legacy.rs`, `wire/current.rs`) turns one into a
//! request, or says that its server generation has no such call.

use serde_json::Value;

use crate::args::{
    AnswerArgs, ConflictResolution, ExtractArgs, MemoryInput, MemoryUpdate, RecallArgs,
    Replacement, TemporalArgs,
};

/// One operation. Agent-scoped operations take the agent id from the dispatcher.
#[derive(Debug, Clone, Copy)]
pub enum Op<'a> {
    // --- service and agents (API key / management gate) ---
    Health,
    CreateAgent {
        agent_id: &'a str,
        pattern: Option<&'a str>,
        description: Option<&'a str>,
        metadata: Option<&'a serde_json::Map<String, Value>>,
    },
    ListAgents,
    GetAgent(&'a str),
    DeleteAgent(&'a str),
    Activate {
        agent_id: &'a str,
        duration_hours: Option<f64>,
    },
    Deactivate(&'a str),
    /// 0.0.x `GET /sessions`.
    ListSessions,
    /// 0.2.x `GET /status` (the server-wide most recent session).
    Status,

    // --- session (token) ---
    SessionCurrent,
    Extend {
        hours: u32,
    },
    Remember(&'a MemoryInput),
    BatchRemember(&'a [MemoryInput]),
    Recall(&'a RecallArgs),
    RecallAsOf {
        query: Option<&'a str>,
        as_of: &'a str,
        args: &'a TemporalArgs,
    },
    RecallChangedSince {
        since: &'a str,
        args: &'a TemporalArgs,
    },
    RecallCurrent {
        query: &'a str,
        args: &'a TemporalArgs,
    },
    RecallRecent(&'a TemporalArgs),
    RecallAll(&'a TemporalArgs),
    Answer(&'a AnswerArgs),
    Validate(&'a str),
    Supersede {
        old: &'a str,
        replacement: &'a Replacement,
    },
    Contradict {
        memory_id: &'a str,
        reason: Option<&'a str>,
        contradicting: Option<&'a str>,
    },
    Update {
        memory_id: &'a str,
        update: &'a MemoryUpdate,
    },
    Delete(&'a str),
    Expire {
        memory_id: &'a str,
        reason: Option<&'a str>,
    },
    Restore(&'a str),
    Extract(&'a ExtractArgs),
    Upload {
        name: &'a str,
        bytes: &'a [u8],
    },
    DailySummary {
        date: Option<&'a str>,
    },
    GenerateConflicts {
        date: Option<&'a str>,
    },
    Conflicts {
        date: Option<&'a str>,
    },
    ResolveConflict(&'a ConflictResolution),
    GetPolicy,
    PutPolicy(&'a Value),
    PolicyPresets,
    PolicyPreset(&'a str),
    ApplyPolicyPreset(&'a str),
    ApplyPolicy {
        dry_run: bool,
    },
    PurgeExpired {
        dry_run: bool,
    },
}

impl Op<'_> {
    /// The SDK's name for the call, used in messages (`session.recall()`).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Health => "client.health()",
            Op::CreateAgent { .. } => "client.agents.create()",
            Op::ListAgents => "client.agents.list()",
            Op::GetAgent(_) => "client.agents.get()",
            Op::DeleteAgent(_) => "client.agents.delete()",
            Op::Activate { .. } => "agent.activate()",
            Op::Deactivate(_) => "deactivate()",
            Op::ListSessions => "client.sessions()",
            Op::Status => "client.status()",
            Op::SessionCurrent => "session.current()",
            Op::Extend { .. } => "session.extend()",
            Op::Remember(_) => "session.remember()",
            Op::BatchRemember(_) => "session.batch_remember()",
            Op::Recall(_) => "session.recall()",
            Op::RecallAsOf { .. } => "session.recall_as_of()",
            Op::RecallChangedSince { .. } => "session.recall_changed_since()",
            Op::RecallCurrent { .. } => "session.recall_current()",
            Op::RecallRecent(_) => "session.recall_recent()",
            Op::RecallAll(_) => "session.recall_all()",
            Op::Answer(_) => "session.answer()",
            Op::Validate(_) => "session.validate()",
            Op::Supersede { .. } => "session.supersede()",
            Op::Contradict { .. } => "session.contradict()",
            Op::Update { .. } => "session.update()",
            Op::Delete(_) => "session.delete()",
            Op::Expire { .. } => "session.expire()",
            Op::Restore(_) => "session.restore()",
            Op::Extract(_) => "session.extract()",
            Op::Upload { .. } => "session.upload_file()",
            Op::DailySummary { .. } => "session.daily_summary()",
            Op::GenerateConflicts { .. } => "session.generate_conflicts()",
            Op::Conflicts { .. } => "session.conflicts()",
            Op::ResolveConflict(_) => "session.resolve_conflict()",
            Op::GetPolicy => "session.policy()",
            Op::PutPolicy(_) => "session.set_policy()",
            Op::PolicyPresets => "session.policy_presets()",
            Op::PolicyPreset(_) => "session.policy_preset()",
            Op::ApplyPolicyPreset(_) => "session.apply_policy_preset()",
            Op::ApplyPolicy { .. } => "session.apply_policy()",
            Op::PurgeExpired { .. } => "session.purge_expired()",
        }
    }

    /// True for calls that send the session token.
    pub fn needs_token(&self) -> bool {
        !matches!(
            self,
            Op::Health
                | Op::CreateAgent { .. }
                | Op::ListAgents
                | Op::GetAgent(_)
                | Op::DeleteAgent(_)
                | Op::Activate { .. }
                | Op::Deactivate(_)
                | Op::ListSessions
                | Op::Status
        )
    }
}
