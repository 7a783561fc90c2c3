import os
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from ._types import (
    Answer,
    BatchRememberResult,
    MemoryOperation,
    RecallResult,
    RememberResult,
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

class _SessionBase:
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
        self, query: str, as_of: _Time, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None
    ) -> TemporalResult: ...
    def recall_changed_since(
        self, since: _Time, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None
    ) -> TemporalResult: ...
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
        self, query: str, as_of: _Time, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None
    ) -> TemporalResult: ...
    async def recall_changed_since(
        self, since: _Time, *, limit: int | None = None, types: _Strs = None, tags: _Strs = None
    ) -> TemporalResult: ...
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
