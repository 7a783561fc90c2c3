"""Typed, immutable result objects. Each keeps the server's fields it knows as attributes,
every other field in ``extra``, and gives the server's JSON back with ``to_dict()``.
All timestamps are timezone-aware ``datetime`` objects in UTC."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, ClassVar, Iterator, Mapping, Sequence, TypeVar, overload

from . import _native

__all__ = [
    "AgentInfo",
    "Answer",
    "BatchRememberResult",
    "BatchItemResult",
    "Health",
    "Memory",
    "MemoryOperation",
    "RecallResult",
    "TemporalResult",
    "UploadResult",
    "RememberResult",
    "ServerInfo",
    "ExtractResult",
    "Conflict",
    "ConflictList",
    "DailySummary",
    "PolicyResult",
    "SessionClaims",
    "SessionInfo",
    "SessionRecord",
    "SessionSummary",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})

# The native layer's lazy ``extra`` mapping is a read-only Mapping like MappingProxyType.
import collections.abc as _abc  # noqa: E402

_abc.Mapping.register(_native.Extra)


def parse_time(value: Any) -> datetime | None:
    """A server timestamp (naive = UTC, ``Z``, offsets, date-only) as an aware UTC datetime."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    # Fast path: the common RFC 3339 shapes ("...Z", "+00:00", naive = UTC) that
    # datetime.fromisoformat reads directly; anything else goes through the Rust parser.
    try:
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        dt = datetime.fromisoformat(text)
        if "T" in text and len(text) >= 19:
            return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        pass
    iso = _native.normalize_timestamp(value)
    try:
        return datetime.fromisoformat(iso) if iso is not None else None
    except ValueError:  # outside the years datetime can hold
        return None


def json_object(data: Any, what: str) -> Mapping[str, Any]:
    """The server's JSON object, or a ServerError saying the response had another shape."""
    if type(data) is not dict and not isinstance(data, Mapping):
        from .exceptions import ServerError

        raise ServerError(
            f"The server sent an unexpected response for {what}: expected a JSON object, got "
            f"{type(data).__name__}. Check that base_url points at a Memanto server."
        )
    return data


_SIMPLE: dict[str, tuple[type, ...]] = {"str": (str,), "float": (int, float), "int": (int,), "bool": (bool,)}
_plans: dict[type, dict[str, str]] = {}


def _plan(cls: type) -> dict[str, str]:
    """For each field of a result class, how to convert the server's value (computed once)."""
    plan: dict[str, str] = {}
    for f in dataclasses.fields(cls):
        if f.name in ("extra", "_raw"):
            continue
        if f.name in getattr(cls, "_TIMES", ()):
            plan[f.name] = "time"
        elif f.name in getattr(cls, "_TUPLES", ()):
            plan[f.name] = "tuple"
        else:
            base = str(f.type).split("|")[0].strip()
            plan[f.name] = base if base in _SIMPLE else "any"
    _plans[cls] = plan
    return plan


def _convert(value: Any, kind: str) -> Any:
    """A server value for a typed field: parsed times, tuples of strings, and None where the
    value has another type than the field's (the raw value stays in ``to_dict()``)."""
    if value is None or kind == "any":
        return value
    if kind == "time":
        return parse_time(value)
    if kind == "tuple":
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, (list, tuple)) else ()
    if kind == "str":
        return value if isinstance(value, str) else None
    if kind == "bool":
        return value if isinstance(value, bool) else None
    ok = isinstance(value, _SIMPLE[kind]) and not isinstance(value, bool)
    return value if ok else None


def _now() -> datetime:
    return datetime.now(timezone.utc)


T = TypeVar("T", bound="_Result")
R = TypeVar("R", bound="RecallResult")


@dataclass(frozen=True)
class _Result:
    """Base: build from a JSON object, keep unknown fields, give the JSON back."""

    _TIMES: ClassVar[frozenset[str]] = frozenset()
    _TUPLES: ClassVar[frozenset[str]] = frozenset()
    #: Fields holding a tuple of result objects built from a list of JSON objects.
    _NESTED: ClassVar[Mapping[str, type]] = _EMPTY
    #: How the native layer builds this class from the server's JSON (set at import).
    _builder: ClassVar[Any] = None

    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False, compare=False)
    #: The server's JSON: a mapping, or (for results built by the native layer) a
    #: ``_native.RawJson`` that converts it only when ``to_dict()`` asks.
    _raw: Any = field(default_factory=lambda: _EMPTY, repr=False, compare=False)

    @classmethod
    def _from(cls: type[T], data: Any, **overrides: Any) -> T:
        data = json_object(data, cls.__name__)
        plan = _plans.get(cls) or _plan(cls)
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            kind = plan.get(key)
            if kind is None:
                extra[key] = value
            elif key not in overrides:
                kwargs[key] = _convert(value, kind)
        kwargs.update(overrides)
        return cls(**kwargs, extra=MappingProxyType(extra), _raw=MappingProxyType(dict(data)))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object the server sent (a deep copy), unknown fields included."""
        raw = self._raw
        if isinstance(raw, _native.RawJson):
            return raw.to_dict()  # type: ignore[no-any-return]
        return copy.deepcopy(dict(raw))


@dataclass(frozen=True)
class Memory(_Result):
    """One memory as returned by recall/answer. ``score`` is the similarity (0..1) when the
    memory came from a search; ``tags`` is a tuple of strings."""

    _TIMES: ClassVar[frozenset[str]] = frozenset(
        {"created_at", "updated_at", "expires_at", "validated_at", "superseded_at", "expired_at"}
    )
    _TUPLES: ClassVar[frozenset[str]] = frozenset({"tags"})

    id: str = ""
    content: str = ""
    title: str | None = None
    type: str | None = None
    confidence: float | None = None
    tags: tuple[str, ...] = ()
    source: str | None = None
    provenance: str | None = None
    status: str | None = None
    score: float | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None
    validation_count: int | None = None
    validated_at: datetime | None = None
    superseded_by: str | None = None
    superseded_at: datetime | None = None
    supersedes: str | None = None
    contradiction_detected: bool | None = None
    change_type: str | None = None
    #: 0.2.x: when and why the memory expired (``status == "expired"``); cleared by restore.
    expired_at: datetime | None = None
    expired_by: str | None = None
    agent_id: str | None = None

    @property
    def is_expired(self) -> bool:
        """True for a memory that was expired (0.2.x ``status == "expired"``)."""
        return self.status == "expired"

    @property
    def is_superseded(self) -> bool:
        return self.status == "superseded" or bool(self.superseded_by)

    @property
    def is_contradicted(self) -> bool:
        return bool(self.contradiction_detected) or self.extra.get("_warning") == "contradicted"


def _objects(cls: type[T], items: Any) -> tuple[T, ...]:
    """The JSON objects of the array `items` as `cls` (anything else in it, or an `items`
    that is not an array, is skipped): the one reading of every nested list of results."""
    if not isinstance(items, (list, tuple)):
        return ()
    return tuple(cls._from(m) for m in items if type(m) is dict or isinstance(m, Mapping))


def _memories(items: Any) -> tuple[Memory, ...]:
    return _objects(Memory, items)


@dataclass(frozen=True)
class RecallResult(_Result):
    """The memories recall found, best first. Iterable and indexable like a sequence of
    :class:`Memory` (``len(result)``, ``result[0]``, ``for m in result``); ``count`` is the
    server's count."""

    _NESTED: ClassVar[Mapping[str, type]] = MappingProxyType({"memories": Memory})

    memories: tuple[Memory, ...] = ()
    count: int = 0
    query: str | None = None
    agent_id: str | None = None
    session_id: str | None = None
    #: Matches before the limit, when the server reports it (the LocalServer does).
    total_available: int | None = None
    #: The limit that was asked for (None: the server's default, 10).
    limit: int | None = None

    @classmethod
    def _parse(cls: type[R], data: Any, *, limit: int | None = None) -> R:
        data = json_object(data, cls.__name__)
        return cls._from(data, memories=_memories(data.get("memories")), limit=limit)

    @property
    def truncated(self) -> bool:
        """True when the limit cut the result short: more memories matched than were returned
        (or, for servers that do not report ``total_available``, the result filled the limit)."""
        if self.total_available is not None:
            return self.total_available > len(self.memories)
        return len(self.memories) >= (self.limit or 10)

    @overload
    def __getitem__(self, i: int) -> Memory: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Memory]: ...
    def __getitem__(self, i: int | slice) -> Memory | Sequence[Memory]:
        return self.memories[i]

    def __len__(self) -> int:
        return len(self.memories)

    def __iter__(self) -> Iterator[Memory]:
        return iter(self.memories)


@dataclass(frozen=True)
class TemporalResult(RecallResult):
    """The result of a temporal query (as-of, changed-since, current): a :class:`RecallResult`
    plus the mode and the reference time the server used."""

    temporal_mode: str | None = None
    as_of_date: str | None = None
    since_date: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class MemoryOperation(_Result):
    """The outcome of validate / supersede / contradict / update / delete. Fields the operation
    does not concern are None."""

    _TIMES: ClassVar[frozenset[str]] = frozenset({"validated_at", "superseded_at"})
    _TUPLES: ClassVar[frozenset[str]] = frozenset({"updated_fields"})

    memory_id: str | None = None
    status: str | None = None
    message: str | None = None
    agent_id: str | None = None
    session_id: str | None = None
    validation_count: int | None = None
    validated_at: datetime | None = None
    old_memory_id: str | None = None
    new_memory_id: str | None = None
    superseded_at: datetime | None = None
    updated_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadResult(_Result):
    """The outcome of upload_file."""

    _TUPLES: ClassVar[frozenset[str]] = frozenset({"memory_ids"})

    file_name: str | None = None
    file_size: int | None = None
    status: str | None = None
    message: str | None = None
    memories_created: int | None = None
    memory_ids: tuple[str, ...] = ()
    agent_id: str | None = None
    session_id: str | None = None


@dataclass(frozen=True)
class Answer(_Result):
    """An answer to a question, with the memories it drew on (``sources``). ``str(answer)``
    is the answer text."""

    _NESTED: ClassVar[Mapping[str, type]] = MappingProxyType({"sources": Memory})

    answer: str = ""
    question: str | None = None
    sources: tuple[Memory, ...] = ()
    agent_id: str | None = None
    session_id: str | None = None
    namespace: str | None = None

    @classmethod
    def _parse(cls, data: Any) -> "Answer":
        data = json_object(data, "Answer")
        return cls._from(data, sources=_memories(data.get("sources")))

    @property
    def text(self) -> str:
        return self.answer

    def __str__(self) -> str:
        return self.answer


@dataclass(frozen=True)
class RememberResult(_Result):
    """What remember stored: the new ``memory_id`` and the server's echo."""

    memory_id: str = ""
    agent_id: str | None = None
    session_id: str | None = None
    namespace: str | None = None
    status: str | None = None
    type: str | None = None
    provenance: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class BatchItemResult(_Result):
    """The outcome for one memory of a batch (``id``, ``status``)."""

    id: str | None = None
    status: str | None = None
    action: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class BatchRememberResult(_Result):
    """The outcome of batch_remember: counts and one :class:`BatchItemResult` per memory, in
    the order sent."""

    _NESTED: ClassVar[Mapping[str, type]] = MappingProxyType({"results": BatchItemResult})

    total_submitted: int = 0
    successful: int = 0
    failed: int = 0
    results: tuple[BatchItemResult, ...] = ()
    agent_id: str | None = None
    session_id: str | None = None
    namespace: str | None = None

    @classmethod
    def _parse(cls, data: Any) -> "BatchRememberResult":
        data = json_object(data, "BatchRememberResult")
        return cls._from(data, results=_objects(BatchItemResult, data.get("results")))

    @property
    def memory_ids(self) -> list[str]:
        """The ids of the stored memories, in the order sent."""
        return [r.id for r in self.results if r.id]


@dataclass(frozen=True)
class AgentInfo(_Result):
    """An agent as the server describes it."""

    _TIMES: ClassVar[frozenset[str]] = frozenset({"created_at", "last_session"})

    agent_id: str = ""
    namespace: str | None = None
    pattern: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    last_session: datetime | None = None
    memory_count: int | None = None
    session_count: int | None = None
    status: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SessionRecord(_Result):
    """A session as activate/extend return it, without its token."""

    _TIMES: ClassVar[frozenset[str]] = frozenset({"started_at", "expires_at"})

    session_id: str = ""
    agent_id: str | None = None
    namespace: str | None = None
    started_at: datetime | None = None
    expires_at: datetime | None = None
    pattern: str | None = None
    status: str | None = None

    @classmethod
    def _parse(cls, data: Any) -> "SessionRecord":
        data = json_object(data, "SessionRecord")
        # The token is kept in the Session object only, never in a result or its dict.
        clean = {k: v for k, v in data.items() if k != "session_token"}
        return cls._from(clean)


@dataclass(frozen=True)
class SessionInfo(_Result):
    """``GET /api/v2/session/current``: the server's view of the session."""

    _TIMES: ClassVar[frozenset[str]] = frozenset({"started_at", "expires_at"})

    session_id: str = ""
    agent_id: str | None = None
    namespace: str | None = None
    started_at: datetime | None = None
    expires_at: datetime | None = None
    status: str | None = None
    time_remaining_seconds: int | None = None
    pattern: str | None = None

    @property
    def time_remaining(self) -> timedelta:
        return timedelta(seconds=self.time_remaining_seconds or 0)


@dataclass(frozen=True)
class SessionSummary(_Result):
    """What deactivate reports about the ended session."""

    _TIMES: ClassVar[frozenset[str]] = frozenset({"started_at", "ended_at"})

    session_id: str | None = None
    agent_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_hours: float | None = None
    memories_created: int | None = None
    summary_memory_id: str | None = None


@dataclass(frozen=True)
class Health(_Result):
    """``GET /health``. ``ok`` is True only for ``status == "healthy"``."""

    status: str = ""
    service: str | None = None
    version: str | None = None
    moorcheh_connected: bool | None = None

    @property
    def ok(self) -> bool:
        return self.status == "healthy"


@dataclass(frozen=True)
class SessionClaims(_Result):
    """The decoded claims of a session token (read without the server's secret, so they are
    information, not proof). ``expires_at`` comes from ``exp`` when present, else from the
    ``expires_at`` claim (no offset means UTC)."""

    _TIMES: ClassVar[frozenset[str]] = frozenset({"started_at", "expires_at", "issued_at"})

    agent_id: str | None = None
    namespace: str | None = None
    session_id: str | None = None
    started_at: datetime | None = None
    expires_at: datetime = datetime.min.replace(tzinfo=timezone.utc)
    issued_at: datetime | None = None

    @classmethod
    def _parse(cls, decoded: Mapping[str, Any]) -> "SessionClaims":
        raw = dict(decoded.get("raw") or {})
        fields_ = {k: decoded.get(k) for k in ("agent_id", "namespace", "session_id", "started_at", "expires_at", "issued_at")}
        known = {"agent_id", "namespace", "session_id", "started_at", "expires_at", "exp", "iat"}
        obj = cls._from(fields_)
        extra = {k: v for k, v in raw.items() if k not in known}
        return dataclasses.replace(obj, extra=MappingProxyType(extra), _raw=MappingProxyType(raw))

    @property
    def time_remaining(self) -> timedelta:
        """Time until expiry by this machine's clock (zero once expired)."""
        return max(self.expires_at - _now(), timedelta(0))

    @property
    def is_expired(self) -> bool:
        return _now() >= self.expires_at


@dataclass(frozen=True)
class ServerInfo(_Result):
    """Which Memanto server generation the client speaks to: ``generation`` is ``"0.0"`` (the
    documented API) or ``"0.2"`` (the current servers); ``version`` is what ``GET /`` reported
    (None when pinned with ``api_version``); ``serves_both`` is True for a LocalServer that
    offers both generations' routes; ``detected`` is False when pinned."""

    generation: str = "0.0"
    version: str | None = None
    serves_both: bool | None = None
    detected: bool | None = None


@dataclass(frozen=True)
class ExtractResult(_Result):
    """The memories ``extract`` found in a conversation (``candidates``, each a dict with
    ``type``, ``title``, ``content``, ``confidence``) and, unless ``dry_run``, what storing them
    did (``successful``, ``failed``, ``results``)."""

    dry_run: bool | None = None
    candidates: tuple[Any, ...] = ()
    count: int | None = None
    total_submitted: int | None = None
    successful: int | None = None
    failed: int | None = None
    results: tuple[Any, ...] = ()
    agent_id: str | None = None
    session_id: str | None = None

    @classmethod
    def _parse(cls, data: Any) -> "ExtractResult":
        data = json_object(data, "ExtractResult")
        seq = lambda k: tuple(data.get(k) or ()) if isinstance(data.get(k), list) else ()  # noqa: E731
        return cls._from(data, candidates=seq("candidates"), results=seq("results"))


@dataclass(frozen=True)
class Conflict(_Result):
    """Two memories that disagree, as the server's conflict report lists them. Pass ``index``
    to :meth:`Session.resolve_conflict`."""

    index: int | None = None
    type: str | None = None
    title: str | None = None
    description: str | None = None
    old_memory_id: str | None = None
    old_content: str | None = None
    new_memory_id: str | None = None
    new_content: str | None = None
    recommendation: str | None = None
    resolved: bool | None = None


@dataclass(frozen=True)
class ConflictList(_Result):
    """The unresolved conflicts of a day's report (a sequence of :class:`Conflict`)."""

    _NESTED: ClassVar[Mapping[str, type]] = MappingProxyType({"conflicts": Conflict})

    conflicts: tuple[Conflict, ...] = ()
    count: int = 0
    date: str | None = None
    agent_id: str | None = None
    session_id: str | None = None

    @classmethod
    def _parse(cls, data: Any) -> "ConflictList":
        data = json_object(data, "ConflictList")
        return cls._from(data, conflicts=_objects(Conflict, data.get("conflicts")))

    def __len__(self) -> int:
        return len(self.conflicts)

    def __iter__(self) -> Iterator[Conflict]:
        return iter(self.conflicts)

    def __getitem__(self, i: int) -> Conflict:
        return self.conflicts[i]


@dataclass(frozen=True)
class DailySummary(_Result):
    """What ``daily_summary`` reports: ``summary`` (a dict with ``status``, e.g. ``"success"``
    or ``"no_sessions"``) and ``export`` (``total_memories``, ``per_type_counts``)."""

    date: str | None = None
    summary: Any = None
    export: Any = None
    agent_id: str | None = None
    session_id: str | None = None


@dataclass(frozen=True)
class PolicyResult(_Result):
    """The reply of the expiry-policy calls: ``policy`` (the policy dict) where the call returns
    one, and for ``apply_policy`` / ``purge_expired`` the sweep's counts (``matched``,
    ``expired``, ``purged``) and the affected ``memories``; everything else is in ``extra``."""

    policy: Any = None
    is_empty: bool | None = None
    dry_run: bool | None = None
    matched: int | None = None
    expired: int | None = None
    purged: int | None = None
    memories: Any = None
    agent_id: str | None = None


def _register(cls: type[_Result]) -> Any:
    """Describe ``cls`` to the native layer once: each field's conversion (nested result classes
    first) and the defaults of every field."""
    if "_builder" in vars(cls) and cls._builder is not None:
        return cls._builder
    plan: dict[str, Any] = dict(_plans.get(cls) or _plan(cls))
    for name, inner in cls._NESTED.items():
        plan[name] = _register(inner)
    template: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            template[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            template[f.name] = f.default_factory()
    builder = _native.Builder(cls, plan, template)
    cls._builder = builder
    return builder


def _register_all() -> None:
    pending: list[type[_Result]] = [_Result]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not _Result:
            _register(cls)


_register_all()
