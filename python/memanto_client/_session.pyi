import os
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from ._types import (
    Answer,
    BatchRememberResult,
    ConflictList,
    DailySummary,
    ExtractResult,
    PolicyResult,
    MemoryOperation,
    RecallResult,
    RememberResult,
    ServerInfo,
    SessionClaims,
    SessionInfo,
    SessionRecord,
    SessionSummary,
    TemporalResult,
    UploadResult,
)

__all__ = ["Session", "AsyncSession"]

_Memories = Iterable[str | Mapping[str, Any]]
_Strs = str | Sequence[str] | None
_Time = datetime | str

class _CurationCalls: ...

class _SessionBase(_CurationCalls):
    record: SessionRecord | None
    def __init__(self, client: Any, native: Any, *, record: SessionRecord | None, owned: bool) -> None: ...
    @property
    def agent_id(self) -> str: ...
    @property
    def claims(self) -> SessionClaims: ...
    @property
    def session_id(self) -> str | None: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def time_remaining(self) -> timedelta: ...
    @property
    def is_expired(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def server(self) -> ServerInfo | None: ...
    @property
    def session_token(self) -> str: ...

class Session(_SessionBase):
    def __enter__(self) -> Session: ...
    def __exit__(self, *exc: object) -> None: ...
    def close(self) -> None: ...
    def current(self) -> SessionInfo: ...
    def extend(self, hours: int = 6) -> SessionRecord: ...
    def deactivate(self) -> SessionSummary: ...
    def remember(
        self,
        content: str,
        *,
        type: str | None = None,
        title: str | None = None,
        confidence: float | None = None,
        tags: _Strs = None,
        source: str | None = None,
        provenance: str | None = None,
    ) -> RememberResult: ...
    def batch_remember(self, memories: _Memories) -> BatchRememberResult: ...
    def recall(
        self,
        query: str,
        *,
        limit: int | None = None,
        min_similarity: float | None = None,
        created_after: _Time | None = None,
        created_before: _Time | None = None,
        types: _Strs = None,
        tags: _Strs = None,
        status: str | None = None,
    ) -> RecallResult: ...
    def answer(
        self,
        question: str,
        *,
        limit: int | None = None,
        threshold: float | None = None,
        temperature: float | None = None,
        ai_model: str | None = None,
        kiosk_mode: bool | None = None,
        header_prompt: str | None = None,
        footer_prompt: str | None = None,
    ) -> Answer: ...
    def recall_as_of(
        self, query: str | None = None, as_of: _Time | None = None, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None
    ) -> TemporalResult: ...
    def recall_changed_since(
        self, since: _Time, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None, status: str | None = None
    ) -> TemporalResult: ...
    def recall_recent(
        self,
        *,
        limit: int | None = None,
        types: _Strs = None,
        tags: _Strs = None,
        status: str | None = None,
        created_after: _Time | None = None,
        created_before: _Time | None = None,
    ) -> TemporalResult: ...
    def recall_all(
        self,
        *,
        limit: int | None = None,
        types: _Strs = None,
        tags: _Strs = None,
        status: str | None = None,
        created_after: _Time | None = None,
        created_before: _Time | None = None,
    ) -> TemporalResult: ...
    def expire(self, memory_id: str, *, reason: str | None = None) -> MemoryOperation: ...
    def restore(self, memory_id: str) -> MemoryOperation: ...
    def extract(
        self,
        messages: Iterable[Mapping[str, Any] | tuple[str, str]],
        *,
        dry_run: bool = False,
        max_memories: int | None = None,
        ai_model: str | None = None,
    ) -> ExtractResult: ...
    def daily_summary(self, date: str | date | None = None) -> DailySummary: ...
    def generate_conflicts(self, date: str | date | None = None) -> dict[str, Any]: ...
    def conflicts(self, date: str | date | None = None) -> ConflictList: ...
    def resolve_conflict(
        self,
        index: int,
        action: str,
        *,
        date: str | date | None = None,
        manual_content: str | None = None,
        manual_type: str | None = None,
    ) -> dict[str, Any]: ...
    def policy(self) -> PolicyResult: ...
    def set_policy(self, policy: Mapping[str, Any]) -> PolicyResult: ...
    def policy_presets(self) -> list[dict[str, Any]]: ...
    def policy_preset(self, name: str) -> PolicyResult: ...
    def apply_policy_preset(self, name: str) -> PolicyResult: ...
    def apply_policy(self, *, dry_run: bool = False) -> PolicyResult: ...
    def purge_expired(self, *, dry_run: bool = False) -> PolicyResult: ...
    def recall_current(
        self, query: str, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None
    ) -> TemporalResult: ...
    def validate(self, memory_id: str) -> MemoryOperation: ...
    def supersede(
        self,
        old_memory_id: str,
        content: str | None = None,
        *,
        new_memory_id: str | None = None,
        type: str | None = None,
        title: str | None = None,
        confidence: float | None = None,
        tags: _Strs = None,
        source: str | None = None,
        provenance: str | None = None,
    ) -> MemoryOperation: ...
    def contradict(
        self, memory_id: str, *, reason: str | None = None, contradicting_memory_id: str | None = None
    ) -> MemoryOperation: ...
    def update(
        self,
        memory_id: str,
        *,
        content: str | None = None,
        type: str | None = None,
        title: str | None = None,
        confidence: float | None = None,
        tags: _Strs = None,
        source: str | None = None,
        provenance: str | None = None,
    ) -> MemoryOperation: ...
    def delete(self, memory_id: str) -> MemoryOperation: ...
    def upload_file(self, path: str | os.PathLike[str]) -> UploadResult: ...

class AsyncSession(_SessionBase):
    async def __aenter__(self) -> AsyncSession: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def close(self) -> None: ...
    async def current(self) -> SessionInfo: ...
    async def extend(self, hours: int = 6) -> SessionRecord: ...
    async def deactivate(self) -> SessionSummary: ...
    async def remember(
        self,
        content: str,
        *,
        type: str | None = None,
        title: str | None = None,
        confidence: float | None = None,
        tags: _Strs = None,
        source: str | None = None,
        provenance: str | None = None,
    ) -> RememberResult: ...
    async def batch_remember(self, memories: _Memories) -> BatchRememberResult: ...
    async def recall(
        self,
        query: str,
        *,
        limit: int | None = None,
        min_similarity: float | None = None,
        created_after: _Time | None = None,
        created_before: _Time | None = None,
        types: _Strs = None,
        tags: _Strs = None,
        status: str | None = None,
    ) -> RecallResult: ...
    async def answer(
        self,
        question: str,
        *,
        limit: int | None = None,
        threshold: float | None = None,
        temperature: float | None = None,
        ai_model: str | None = None,
        kiosk_mode: bool | None = None,
        header_prompt: str | None = None,
        footer_prompt: str | None = None,
    ) -> Answer: ...
    async def recall_as_of(
        self, query: str | None = None, as_of: _Time | None = None, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None
    ) -> TemporalResult: ...
    async def recall_changed_since(
        self, since: _Time, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None, status: str | None = None
    ) -> TemporalResult: ...
    async def recall_recent(
        self,
        *,
        limit: int | None = None,
        types: _Strs = None,
        tags: _Strs = None,
        status: str | None = None,
        created_after: _Time | None = None,
        created_before: _Time | None = None,
    ) -> TemporalResult: ...
    async def recall_all(
        self,
        *,
        limit: int | None = None,
        types: _Strs = None,
        tags: _Strs = None,
        status: str | None = None,
        created_after: _Time | None = None,
        created_before: _Time | None = None,
    ) -> TemporalResult: ...
    async def expire(self, memory_id: str, *, reason: str | None = None) -> MemoryOperation: ...
    async def restore(self, memory_id: str) -> MemoryOperation: ...
    async def extract(
        self,
        messages: Iterable[Mapping[str, Any] | tuple[str, str]],
        *,
        dry_run: bool = False,
        max_memories: int | None = None,
        ai_model: str | None = None,
    ) -> ExtractResult: ...
    async def daily_summary(self, date: str | date | None = None) -> DailySummary: ...
    async def generate_conflicts(self, date: str | date | None = None) -> dict[str, Any]: ...
    async def conflicts(self, date: str | date | None = None) -> ConflictList: ...
    async def resolve_conflict(
        self,
        index: int,
        action: str,
        *,
        date: str | date | None = None,
        manual_content: str | None = None,
        manual_type: str | None = None,
    ) -> dict[str, Any]: ...
    async def policy(self) -> PolicyResult: ...
    async def set_policy(self, policy: Mapping[str, Any]) -> PolicyResult: ...
    async def policy_presets(self) -> list[dict[str, Any]]: ...
    async def policy_preset(self, name: str) -> PolicyResult: ...
    async def apply_policy_preset(self, name: str) -> PolicyResult: ...
    async def apply_policy(self, *, dry_run: bool = False) -> PolicyResult: ...
    async def purge_expired(self, *, dry_run: bool = False) -> PolicyResult: ...
    async def recall_current(
        self, query: str, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None
    ) -> TemporalResult: ...
    async def validate(self, memory_id: str) -> MemoryOperation: ...
    async def supersede(
        self,
        old_memory_id: str,
        content: str | None = None,
        *,
        new_memory_id: str | None = None,
        type: str | None = None,
        title: str | None = None,
        confidence: float | None = None,
        tags: _Strs = None,
        source: str | None = None,
        provenance: str | None = None,
    ) -> MemoryOperation: ...
    async def contradict(
        self, memory_id: str, *, reason: str | None = None, contradicting_memory_id: str | None = None
    ) -> MemoryOperation: ...
    async def update(
        self,
        memory_id: str,
        *,
        content: str | None = None,
        type: str | None = None,
        title: str | None = None,
        confidence: float | None = None,
        tags: _Strs = None,
        source: str | None = None,
        provenance: str | None = None,
    ) -> MemoryOperation: ...
    async def delete(self, memory_id: str) -> MemoryOperation: ...
    async def upload_file(self, path: str | os.PathLike[str]) -> UploadResult: ...
