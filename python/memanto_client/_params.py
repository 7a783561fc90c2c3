"""Argument normalisation shared by the sync and async classes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Mapping

from . import _native
from .exceptions import ValidationError

#: The wire contract's limits (from memanto-protocol, via the native module).
LIMITS = _native.LIMITS
_MAX_LIMIT: int = LIMITS["max_limit"]


def time_param(name: str, value: datetime | str | None, *, required: bool = False) -> str | None:
    """An aware datetime (converted to UTC) or an ISO-8601 string; naive datetimes are refused
    rather than silently relabelled."""
    if value is None:
        if required:
            raise ValidationError(f"{name} is required")
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                f"{name} is a naive datetime; pass an aware one, e.g. datetime.now(timezone.utc) "
                "or dt.replace(tzinfo=timezone.utc)"
            )
        try:
            return value.astimezone(timezone.utc).isoformat()
        except OverflowError as e:
            raise ValidationError(f"{name} is out of range once converted to UTC: {value!r}") from e
    raise ValidationError(f"{name} must be a datetime or an ISO-8601 string, got {type(value).__name__}")


def str_list(name: str, value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ValidationError(f"{name} must be a string or a list of strings, got {type(value).__name__}")
    items = list(value)
    if not all(isinstance(v, str) for v in items):
        raise ValidationError(f"{name} must be a string or a list of strings")
    return items




def limit_param(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ValidationError(f"limit must be an integer, got {limit!r}")
    if not 1 <= limit <= _MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {_MAX_LIMIT}, got {limit}")
    return limit


def type_name(value: object) -> str:
    return type(value).__name__
