//! `NativeSession`: memory calls with the session token. Python's `Session` wraps it.

use std::sync::Arc;

use std::future::Future;
use std::path::PathBuf;

use memanto_core::Tape;
use memanto_core::{
    AnswerArgs, ConflictResolution, ExtractArgs, MemoryInput, MemoryUpdate, Message, RecallArgs,
    Replacement, Session, TemporalArgs,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::claims_to_py;
use crate::errors::{check, to_pyerr};

/// Run a call whose reply is built into a result: parsed into a tape on the I/O thread for
/// async calls, handed back as bytes for sync ones (parsed once the call is done).
macro_rules! body {
    ($self:ident, $py:ident, |$s:ident| $s2:ident . $call:ident ( $($arg:expr),* )) => {
        if $self.asynchronous {
            $self.run($py, move |$s| async move { $s2.$call::<Tape>($($arg),*).await })
        } else {
            $self.run($py, move |$s| async move { $s2.$call::<memanto_core::Deferred>($($arg),*).await })
        }
    };
}

#[pyclass(frozen, module = "memanto_client._native")]
pub struct NativeSession {
    inner: Arc<Session>,
    asynchronous: bool,
}

impl NativeSession {
    pub fn new(s: Arc<Session>, asynchronous: bool) -> Self {
        NativeSession {
            inner: s,
            asynchronous,
        }
    }

    /// Run one core call on this session (blocking or as an awaitable, by mode).
    fn run<'py, B, F, Fut>(&self, py: Python<'py>, f: F) -> PyResult<Bound<'py, PyAny>>
    where
        B: crate::results::IntoRoot,
        F: FnOnce(Arc<Session>) -> Fut,
        Fut: Future<Output = memanto_core::Result<B>> + Send + 'static,
    {
        crate::bridge::run_reply(py, self.asynchronous, f(self.inner.clone()))
    }
}

fn memory_from_dict(py: Python<'_>, d: &Bound<'_, PyAny>, index: usize) -> PyResult<MemoryInput> {
    let bad = |msg: String| {
        to_pyerr(
            py,
            memanto_core::Error::validation(format!("memory {index}: {msg}")),
        )
    };
    let d = d
        .cast::<PyDict>()
        .map_err(|_| bad("each memory must be a dict with at least a 'content' key".into()))?;
    let get_str = |k: &str| -> PyResult<Option<String>> {
        match d.get_item(k)? {
            Some(v) if !v.is_none() => v
                .extract::<String>()
                .map(Some)
                .map_err(|_| bad(format!("'{k}' must be a string"))),
            _ => Ok(None),
        }
    };
    let content = get_str("content")?.ok_or_else(|| bad("'content' is required".into()))?;
    let confidence = match d.get_item("confidence")? {
        Some(v) if !v.is_none() => Some(
            v.extract::<f64>()
                .map_err(|_| bad("'confidence' must be a number".into()))?,
        ),
        _ => None,
    };
    let tags = match d.get_item("tags")? {
        Some(v) if !v.is_none() => {
            if v.extract::<String>().is_ok() {
                return Err(bad("'tags' must be a list of strings, not a string".into()));
            }
            v.extract::<Vec<String>>()
                .map_err(|_| bad("'tags' must be a list of strings".into()))?
        }
        _ => Vec::new(),
    };
    let memory_type = match get_str("type")? {
        Some(t) => Some(t),
        None => get_str("memory_type")?,
    };
    for key in d.keys() {
        let k: String = key.extract()?;
        if !matches!(
            k.as_str(),
            "content"
                | "type"
                | "memory_type"
                | "title"
                | "confidence"
                | "tags"
                | "source"
                | "provenance"
        ) {
            return Err(bad(format!("unknown key '{k}'")));
        }
    }
    Ok(MemoryInput {
        content,
        memory_type,
        title: get_str("title")?,
        confidence,
        tags,
        source: get_str("source")?,
        provenance: get_str("provenance")?,
    })
}

fn temporal(
    limit: Option<u32>,
    memory_types: Vec<String>,
    tags: Vec<String>,
    status: Option<String>,
    created_after: Option<String>,
    created_before: Option<String>,
) -> TemporalArgs {
    TemporalArgs {
        limit,
        memory_types,
        tags,
        status,
        created_after,
        created_before,
    }
}

#[pymethods]
impl NativeSession {
    #[getter]
    fn agent_id(&self) -> String {
        self.inner.agent_id().to_string()
    }

    #[getter]
    fn has_token(&self) -> bool {
        self.inner.has_token()
    }

    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = check(py, self.inner.claims())?;
        claims_to_py(py, &c)
    }

    fn token(&self, py: Python<'_>) -> PyResult<String> {
        Ok(check(py, self.inner.token())?.expose().to_string())
    }

    fn forget(&self) {
        self.inner.forget();
    }

    #[pyo3(signature = (content, memory_type, title, confidence, tags, source, provenance))]
    #[allow(clippy::too_many_arguments)]
    fn remember<'py>(
        &self,
        py: Python<'py>,
        content: String,
        memory_type: Option<String>,
        title: Option<String>,
        confidence: Option<f64>,
        tags: Vec<String>,
        source: Option<String>,
        provenance: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m = MemoryInput {
            content,
            memory_type,
            title,
            confidence,
            tags,
            source,
            provenance,
        };
        body!(self, py, |s| s.remember_as(&m))
    }

    fn batch_remember<'py>(
        &self,
        py: Python<'py>,
        memories: Bound<'py, PyList>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let items = memories
            .iter()
            .enumerate()
            .map(|(i, d)| memory_from_dict(py, &d, i))
            .collect::<PyResult<Vec<_>>>()?;
        body!(self, py, |s| s.batch_remember_as(&items))
    }

    #[pyo3(signature = (query, limit, min_similarity, created_after, created_before, memory_types, tags, status))]
    #[allow(clippy::too_many_arguments)]
    fn recall<'py>(
        &self,
        py: Python<'py>,
        query: String,
        limit: Option<u32>,
        min_similarity: Option<f64>,
        created_after: Option<String>,
        created_before: Option<String>,
        memory_types: Vec<String>,
        tags: Vec<String>,
        status: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = RecallArgs {
            query,
            limit,
            min_similarity,
            created_after,
            created_before,
            memory_types,
            tags,
            status,
        };
        body!(self, py, |s| s.recall_as(&args))
    }

    #[pyo3(signature = (question, limit, threshold, temperature, ai_model, kiosk_mode, header_prompt, footer_prompt))]
    #[allow(clippy::too_many_arguments)]
    fn answer<'py>(
        &self,
        py: Python<'py>,
        question: String,
        limit: Option<u32>,
        threshold: Option<f64>,
        temperature: Option<f64>,
        ai_model: Option<String>,
        kiosk_mode: Option<bool>,
        header_prompt: Option<String>,
        footer_prompt: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = AnswerArgs {
            question,
            limit,
            threshold,
            temperature,
            ai_model,
            kiosk_mode,
            header_prompt,
            footer_prompt,
        };
        body!(self, py, |s| s.answer_as(&args))
    }

    fn current<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.current().await })
    }

    fn extend<'py>(&self, py: Python<'py>, additional_hours: u32) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.extend(additional_hours).await })
    }

    fn deactivate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.deactivate().await })
    }

    #[pyo3(signature = (query, as_of, limit, memory_types, tags))]
    fn recall_as_of<'py>(
        &self,
        py: Python<'py>,
        query: Option<String>,
        as_of: String,
        limit: Option<u32>,
        memory_types: Vec<String>,
        tags: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = temporal(limit, memory_types, tags, None, None, None);
        body!(self, py, |s| s.recall_as_of_as(
            query.as_deref(),
            &as_of,
            &args
        ))
    }

    #[pyo3(signature = (since, limit, memory_types, tags, status))]
    fn recall_changed_since<'py>(
        &self,
        py: Python<'py>,
        since: String,
        limit: Option<u32>,
        memory_types: Vec<String>,
        tags: Vec<String>,
        status: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = temporal(limit, memory_types, tags, status, None, None);
        body!(self, py, |s| s.recall_changed_since_as(&since, &args))
    }

    #[pyo3(signature = (query, limit, memory_types, tags))]
    fn recall_current<'py>(
        &self,
        py: Python<'py>,
        query: String,
        limit: Option<u32>,
        memory_types: Vec<String>,
        tags: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = temporal(limit, memory_types, tags, None, None, None);
        body!(self, py, |s| s.recall_current_as(&query, &args))
    }

    /// `all`: the 0.2.x `recall/all` route (limit not capped); else `recall/recent`.
    #[pyo3(signature = (all, limit, memory_types, tags, status, created_after, created_before))]
    #[allow(clippy::too_many_arguments)]
    fn recall_recent<'py>(
        &self,
        py: Python<'py>,
        all: bool,
        limit: Option<u32>,
        memory_types: Vec<String>,
        tags: Vec<String>,
        status: Option<String>,
        created_after: Option<String>,
        created_before: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = temporal(
            limit,
            memory_types,
            tags,
            status,
            created_after,
            created_before,
        );
        self.run(py, |s| async move {
            if all {
                s.recall_all_as::<Tape>(&args).await
            } else {
                s.recall_recent_as::<Tape>(&args).await
            }
        })
    }

    #[pyo3(signature = (memory_id, reason))]
    fn expire_memory<'py>(
        &self,
        py: Python<'py>,
        memory_id: String,
        reason: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move {
            s.expire_memory(&memory_id, reason.as_deref()).await
        })
    }

    fn restore_memory<'py>(
        &self,
        py: Python<'py>,
        memory_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.restore_memory(&memory_id).await })
    }

    /// `messages`: (role, content) pairs.
    #[pyo3(signature = (messages, dry_run, max_memories, ai_model))]
    fn extract<'py>(
        &self,
        py: Python<'py>,
        messages: Vec<(String, String)>,
        dry_run: bool,
        max_memories: Option<u32>,
        ai_model: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = ExtractArgs {
            messages: messages
                .into_iter()
                .map(|(role, content)| Message { role, content })
                .collect(),
            dry_run,
            max_memories,
            ai_model,
        };
        self.run(py, |s| async move { s.extract(&args).await })
    }

    #[pyo3(signature = (date))]
    fn daily_summary<'py>(
        &self,
        py: Python<'py>,
        date: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(
            py,
            |s| async move { s.daily_summary(date.as_deref()).await },
        )
    }

    #[pyo3(signature = (date))]
    fn generate_conflicts<'py>(
        &self,
        py: Python<'py>,
        date: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move {
            s.generate_conflicts(date.as_deref()).await
        })
    }

    #[pyo3(signature = (date))]
    fn conflicts<'py>(&self, py: Python<'py>, date: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.conflicts(date.as_deref()).await })
    }

    #[pyo3(signature = (conflict_index, action, date, manual_content, manual_type))]
    fn resolve_conflict<'py>(
        &self,
        py: Python<'py>,
        conflict_index: u64,
        action: String,
        date: Option<String>,
        manual_content: Option<String>,
        manual_type: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let r = ConflictResolution {
            conflict_index,
            action,
            date,
            manual_content,
            manual_type,
        };
        self.run(py, |s| async move { s.resolve_conflict(&r).await })
    }

    fn get_policy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.get_policy().await })
    }

    fn set_policy<'py>(
        &self,
        py: Python<'py>,
        policy: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let policy = crate::convert::from_py(&policy)?;
        self.run(py, |s| async move { s.set_policy(&policy).await })
    }

    fn policy_presets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.policy_presets().await })
    }

    fn policy_preset<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.policy_preset(&name).await })
    }

    fn apply_policy_preset<'py>(
        &self,
        py: Python<'py>,
        name: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.apply_policy_preset(&name).await })
    }

    fn apply_policy<'py>(&self, py: Python<'py>, dry_run: bool) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.apply_policy(dry_run).await })
    }

    fn purge_expired<'py>(&self, py: Python<'py>, dry_run: bool) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.purge_expired(dry_run).await })
    }

    /// A handle that activated the session closes it: the last one deactivates (resolves to
    /// True when it did).
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move {
            s.close().await.map(serde_json::Value::Bool)
        })
    }

    fn validate_memory<'py>(
        &self,
        py: Python<'py>,
        memory_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.validate_memory(&memory_id).await })
    }

    /// `new_memory`: an existing memory id (str) or a dict of new memory fields.
    fn supersede<'py>(
        &self,
        py: Python<'py>,
        old_memory_id: String,
        new_memory: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let replacement = match new_memory.extract::<String>() {
            Ok(id) => Replacement::Existing(id),
            Err(_) => Replacement::New(memory_from_dict(py, &new_memory, 0)?),
        };
        self.run(py, |s| async move {
            s.supersede(&old_memory_id, &replacement).await
        })
    }

    #[pyo3(signature = (memory_id, reason, contradicting_memory_id))]
    fn contradict<'py>(
        &self,
        py: Python<'py>,
        memory_id: String,
        reason: Option<String>,
        contradicting_memory_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move {
            s.contradict(
                &memory_id,
                reason.as_deref(),
                contradicting_memory_id.as_deref(),
            )
            .await
        })
    }

    #[pyo3(signature = (memory_id, content, memory_type, title, confidence, tags, source, provenance))]
    #[allow(clippy::too_many_arguments)]
    fn update_memory<'py>(
        &self,
        py: Python<'py>,
        memory_id: String,
        content: Option<String>,
        memory_type: Option<String>,
        title: Option<String>,
        confidence: Option<f64>,
        tags: Option<Vec<String>>,
        source: Option<String>,
        provenance: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let update = MemoryUpdate {
            content,
            memory_type,
            title,
            confidence,
            tags,
            source,
            provenance,
        };
        self.run(
            py,
            |s| async move { s.update_memory(&memory_id, &update).await },
        )
    }

    fn delete_memory<'py>(
        &self,
        py: Python<'py>,
        memory_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.delete_memory(&memory_id).await })
    }

    fn upload_file<'py>(&self, py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, |s| async move { s.upload_file(&path).await })
    }
}
