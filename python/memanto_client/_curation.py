"""The session calls that only the 0.2.x server generation offers: expiring and restoring
memories, extracting memories from a conversation, the daily summary, conflicts, and expiry
policies. On a 0.0.x server each raises :class:`UnsupportedOperationError` before sending,
naming the server version and the alternative. The default LocalServer offers them all."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping, TypeVar

from ._network import check_json, network
from ._types import ConflictList, DailySummary, ExtractResult, MemoryOperation, PolicyResult, json_object
from .exceptions import ValidationError

T = TypeVar("T")


def _messages(messages: Iterable[Mapping[str, Any] | tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(messages, (str, bytes, Mapping)):
        raise ValidationError("messages must be a list of {'role': ..., 'content': ...} dicts")
    out: list[tuple[str, str]] = []
    for i, m in enumerate(messages):
        if isinstance(m, Mapping):
            role, content = m.get("role"), m.get("content")
        elif isinstance(m, tuple) and len(m) == 2:
            role, content = m
        else:
            raise ValidationError(f"messages[{i}] must be a dict with 'role' and 'content'")
        if not isinstance(role, str) or not isinstance(content, str):
            raise ValidationError(f"messages[{i}]: 'role' and 'content' must be strings")
        out.append((role, content))
    return out


def _day(value: str | date | None) -> str | None:
    """A ``YYYY-MM-DD`` day from a string, a ``date`` or an aware ``datetime`` (its UTC day)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError("date is a naive datetime; pass an aware one or a date")
        return value.astimezone(timezone.utc).date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise ValidationError(f"date must be a 'YYYY-MM-DD' string or a date, got {type(value).__name__}")


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, got {value!r}"[:120])
    return value


class _CurationCalls:
    """0.2.x memory curation (mixed into the sync and async sessions)."""

    _native: Any

    def _finish(self, raw: Any, parse: Any, **overrides: Any) -> Any:
        raise NotImplementedError

    @network
    def expire(self, memory_id: str, *, reason: str | None = None) -> MemoryOperation:
        """Mark a memory expired, keeping it (``POST /api/v2/agents/{agent_id}/memories/{memory_id}/expire``):
        it then shows ``status == "expired"`` with ``expired_at`` / ``expired_by``, drops out of
        ``recall(status="active")``, and :meth:`restore` brings it back.

        Args:
            memory_id: the memory's id.
            reason: why (1 to 64 letters, digits, ``.``, ``_``, ``-``; server default ``"manual"``).

        Returns:
            A :class:`MemoryOperation` (``status == "expired"``; ``extra["expired_at"]``).

        Raises:
            ValidationError: a bad reason (before sending). NotFoundError: unknown memory id.
            UnsupportedOperationError: a 0.0.x server (memories there do not expire).
        """
        return self._finish(self._native.expire_memory(memory_id, reason), MemoryOperation._builder)

    @network
    def restore(self, memory_id: str) -> MemoryOperation:
        """Make an expired memory active again (``POST /api/v2/agents/{agent_id}/memories/{memory_id}/restore``).

        Raises:
            NotFoundError: unknown memory id. UnsupportedOperationError: a 0.0.x server.
        """
        return self._finish(self._native.restore_memory(memory_id), MemoryOperation._builder)

    @network
    def extract(
        self,
        messages: Iterable[Mapping[str, Any] | tuple[str, str]],
        *,
        dry_run: bool = False,
        max_memories: int | None = None,
        ai_model: str | None = None,
    ) -> ExtractResult:
        """Find memories worth keeping in a conversation and store them
        (``POST /api/v2/agents/{agent_id}/remember/extract``). Memanto servers use a language
        model; the LocalServer extracts sentences by simple rules.

        Args:
            messages: 1 to 200 ``{"role": "user", "content": "..."}`` dicts (or (role, content)
                pairs); role 1 to 50 characters, content 1 to 10,000.
            dry_run: only return the candidates, store nothing.
            max_memories: 1 to 100 (server default 20).
            ai_model: the model a Memanto server uses.

        Returns:
            An :class:`ExtractResult` (``candidates``; ``successful`` when stored).

        Raises:
            ValidationError: bad messages (before sending). ServerError: on 0.2.x servers also
            when the conversation held nothing worth remembering. UnsupportedOperationError: 0.0.x.
        """
        pairs = _messages(messages)
        if max_memories is not None and (isinstance(max_memories, bool) or not isinstance(max_memories, int)
                                         or not 1 <= max_memories <= 100):
            raise ValidationError(f"max_memories must be an integer between 1 and 100, got {max_memories!r}"[:120])
        raw = self._native.extract(pairs, _flag("dry_run", dry_run), max_memories, ai_model)
        return self._finish(raw, ExtractResult._parse)

    @network
    def daily_summary(self, date: str | date | None = None) -> DailySummary:
        """Summarise a day's memories (``POST /api/v2/agents/{agent_id}/daily-summary``).

        Args:
            date: ``YYYY-MM-DD`` (UTC); default today.

        Raises:
            ValidationError: a malformed date (before sending). UnsupportedOperationError: 0.0.x.
        """
        return self._finish(self._native.daily_summary(_day(date)), DailySummary._builder)

    @network
    def generate_conflicts(self, date: str | date | None = None) -> dict[str, Any]:
        """Detect conflicting memories and write the day's conflict report, replacing an earlier
        one and its resolutions (``POST /api/v2/agents/{agent_id}/conflicts/generate``).

        Returns:
            The server's reply, e.g. ``{"conflicts": {"status": "success", "conflict_count": 2}}``.
        """
        return self._finish(self._native.generate_conflicts(_day(date)), lambda d: dict(json_object(d, "conflicts")))

    @network
    def conflicts(self, date: str | date | None = None) -> ConflictList:
        """The unresolved conflicts of a day's report (``GET /api/v2/agents/{agent_id}/conflicts``).

        Args:
            date: ``YYYY-MM-DD``; default today (UTC).

        Returns:
            A :class:`ConflictList` of :class:`Conflict` (empty when there is no report).
        """
        return self._finish(self._native.conflicts(_day(date)), ConflictList._builder)

    @network
    def resolve_conflict(
        self,
        index: int,
        action: str,
        *,
        date: str | date | None = None,
        manual_content: str | None = None,
        manual_type: str | None = None,
    ) -> dict[str, Any]:
        """Resolve one conflict of a day's report (``POST /api/v2/agents/{agent_id}/conflicts/resolve``).

        Args:
            index: the conflict's ``index`` in :meth:`conflicts`.
            action: ``keep_old``, ``keep_new``, ``keep_both``, ``remove_both``, ``expire_old``,
                ``expire_new``, ``expire_both`` or ``manual`` (needs ``manual_content``).
            date: the report's day, ``YYYY-MM-DD`` (default today).
            manual_content / manual_type: the memory that replaces both (``manual`` only).

        Returns:
            The server's reply (``status == "resolved"`` and what was deleted or expired).

        Raises:
            ValidationError: an unknown action, a negative index, or ``manual`` without content.
        """
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 2**63:
            raise ValidationError(f"index must be an integer >= 0 (a conflict's index), got {index!r}"[:120])
        raw = self._native.resolve_conflict(index, action, _day(date), manual_content, manual_type)
        return self._finish(raw, lambda d: dict(json_object(d, "resolution")))

    @network
    def policy(self) -> PolicyResult:
        """The agent's expiry policy (``GET /api/v2/agents/{agent_id}/policy``); ``is_empty`` when
        none was set."""
        return self._finish(self._native.get_policy(), PolicyResult._builder)

    @network
    def set_policy(self, policy: Mapping[str, Any]) -> PolicyResult:
        """Replace the agent's expiry policy (``PUT /api/v2/agents/{agent_id}/policy``). Nothing
        expires until :meth:`apply_policy`.

        Args:
            policy: ``{"retention": {memory type: duration}, "rules": [{"name", "match",
                "expire_after"}], "purge_expired_after": duration}``; a duration is ``"never"``
                or a count and unit such as ``"30d"``, ``"12h"``, ``"6mo"``, ``"1y"``.

        Raises:
            ValidationError: a policy the server refuses (422).
        """
        if not isinstance(policy, Mapping):
            raise ValidationError("policy must be a dict")
        check_json("policy", dict(policy))
        return self._finish(self._native.set_policy(dict(policy)), PolicyResult._builder)

    @network
    def policy_presets(self) -> list[dict[str, Any]]:
        """The server's ready-made policies (``GET /api/v2/agents/{agent_id}/policy/presets``)."""

        def parse(d: Any) -> list[dict[str, Any]]:
            items = json_object(d, "presets").get("presets")
            return [dict(p) for p in items if isinstance(p, Mapping)] if isinstance(items, list) else []

        return self._finish(self._native.policy_presets(), parse)

    @network
    def policy_preset(self, name: str) -> PolicyResult:
        """One preset's policy (``GET /api/v2/agents/{agent_id}/policy/presets/{name}``).
        Raises :class:`NotFoundError` for an unknown name."""
        return self._finish(self._native.policy_preset(name), PolicyResult._builder)

    @network
    def apply_policy_preset(self, name: str) -> PolicyResult:
        """Make a preset the agent's policy (``POST /api/v2/agents/{agent_id}/policy/preset``).
        Raises :class:`ValidationError` for an unknown name."""
        return self._finish(self._native.apply_policy_preset(name), PolicyResult._builder)

    @network
    def apply_policy(self, *, dry_run: bool = False) -> PolicyResult:
        """Expire the active memories the policy says are due
        (``POST /api/v2/agents/{agent_id}/policy/apply``); ``dry_run`` only reports them.

        Returns:
            A :class:`PolicyResult` with ``matched``, ``expired`` and the affected ``memories``.
        """
        return self._finish(self._native.apply_policy(_flag("dry_run", dry_run)), PolicyResult._builder)

    @network
    def purge_expired(self, *, dry_run: bool = False) -> PolicyResult:
        """Delete, permanently, memories that have been expired longer than the policy's
        ``purge_expired_after`` (``POST /api/v2/agents/{agent_id}/policy/purge``).

        Returns:
            A :class:`PolicyResult` with ``matched``, ``purged`` and the affected ``memories``.
        """
        return self._finish(self._native.purge_expired(_flag("dry_run", dry_run)), PolicyResult._builder)
