"""What every network method shares: the marker that gives async twins real coroutine
functions, and the check that turns text Python cannot encode (a ``str`` holding a lone
surrogate) into a :class:`ValidationError` naming the argument and the position, before
anything is sent."""

from __future__ import annotations

import functools
import inspect
import math
import types
import typing
from datetime import date, datetime
from typing import Any, Callable, Iterator, TypeVar

from .exceptions import ValidationError

__all__ = ["network", "make_coroutine_functions", "check_text", "check_json"]

#: How deep a JSON argument (a policy, agent metadata) may nest.
MAX_JSON_DEPTH = 32

F = TypeVar("F", bound=Callable[..., Any])


def _surrogate_at(text: str) -> int | None:
    for i, ch in enumerate(text):
        if "\ud800" <= ch <= "\udfff":
            return i
    return None


def _strings(name: str, value: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield name, value
    elif depth < 4 and isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(f"{name}[{k!r}]", k, depth + 1) if isinstance(k, str) else iter(())
            yield from _strings(f"{name}[{k!r}]", v, depth + 1)
    elif depth < 4 and isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(f"{name}[{i}]", v, depth + 1)


def _invalid(name: str, text: str, pos: int) -> ValidationError:
    return ValidationError(
        f"{name} is not valid Unicode text: it holds a lone surrogate ({text[pos]!r}) at position "
        f"{pos}. Such strings come from decoding bytes with errors='surrogateescape' or from half "
        "of an escaped emoji; repair the text first, e.g. text.encode('utf-8', 'replace').decode()."
    )


def check_text(name: str, value: Any) -> None:
    """Raise :class:`ValidationError` if ``value`` (a str, or lists/dicts of them) holds a
    lone surrogate."""
    for where, text in _strings(name, value):
        pos = _surrogate_at(text)
        if pos is not None:
            raise _invalid(where, text, pos)


def check_json(name: str, value: Any) -> None:
    """Raise :class:`ValidationError` unless ``value`` is plain JSON: dicts with string keys,
    lists, strings, finite numbers within 64 bits, booleans and None, at most
    ``MAX_JSON_DEPTH`` levels deep and without cycles (the native conversion must never see
    anything else)."""

    def walk(v: Any, where: str, depth: int, seen: set[int]) -> None:
        if depth > MAX_JSON_DEPTH:
            raise ValidationError(f"{name} nests more than {MAX_JSON_DEPTH} levels deep (at {where}); flatten it")
        if v is None or isinstance(v, (bool, str)):
            if isinstance(v, str):
                check_text(where, v)
            return
        if isinstance(v, int):
            if not -(2**63) <= v < 2**64:
                raise ValidationError(f"{where} is an integer too large for JSON numbers here: {str(v)[:20]}...")
            return
        if isinstance(v, float):
            if not math.isfinite(v):
                raise ValidationError(f"{where} is {v}, which JSON cannot carry (it would be sent as null); use a finite number")
            return
        if isinstance(v, (dict, list, tuple)):
            if id(v) in seen:
                raise ValidationError(f"{name} contains itself (a cycle at {where}); pass a tree of dicts and lists")
            seen.add(id(v))
            if isinstance(v, dict):
                for k, item in v.items():
                    if not isinstance(k, str):
                        raise ValidationError(f"{where} has a key of type {type(k).__name__} ({k!r}); JSON keys are strings")
                    walk(item, f"{where}[{k!r}]", depth + 1, seen)
            else:
                for i, item in enumerate(v):
                    walk(item, f"{where}[{i}]", depth + 1, seen)
            seen.discard(id(v))
            return
        raise ValidationError(
            f"{where} is a {type(v).__name__}, which is not JSON; use str, int, float, bool, None, list or dict"
        )

    walk(value, name, 0, set())


_hints: dict[Callable[..., Any], dict[str, Any]] = {}


def _accepts(value: Any, hint: Any) -> bool:
    """A loose isinstance for the annotations the public methods use."""
    if hint is Any or hint is None:
        return True
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_accepts(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is not None:
        hint = origin
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is datetime or hint is date:
        return isinstance(value, (datetime, date))
    try:
        return isinstance(value, hint)
    except TypeError:
        return True


def _explain_type(fn: Callable[..., Any], bound: inspect.BoundArguments, overflow: bool) -> ValidationError | None:
    if fn not in _hints:
        try:
            _hints[fn] = typing.get_type_hints(fn)
        except Exception:
            _hints[fn] = {}
    hints = _hints[fn]
    for name, value in bound.arguments.items():
        if name == "self":
            continue
        if overflow and isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < 2**32:
            return ValidationError(f"{name} is out of range: {str(value)[:30]}")
        hint = hints.get(name)
        if hint is not None and not overflow and not _accepts(value, hint):
            shown = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
            return ValidationError(f"{name} must be {shown}, got {type(value).__name__}")
    return None


def _explain(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
             error: BaseException) -> ValidationError | None:
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
    except TypeError:
        return None
    if isinstance(error, UnicodeEncodeError):
        for name, value in bound.arguments.items():
            if name == "self":
                continue
            try:
                check_text(name, value)
            except ValidationError as e:
                return e
        return None
    return _explain_type(fn, bound, overflow=isinstance(error, OverflowError))


def network(fn: F) -> F:
    """Mark a method that sends a request (its async twin becomes a coroutine function), and
    report an argument the native layer cannot take (unencodable text, a wrong type, an
    integer out of range) as a :class:`ValidationError` naming it."""

    @functools.wraps(fn)
    def method(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (UnicodeEncodeError, TypeError, OverflowError) as e:
            # The native conversion refused an argument: say which, as a ValidationError.
            explained = _explain(fn, args, kwargs, e)
            if explained is None:
                raise
            raise explained from None

    method._network = True  # type: ignore[attr-defined]
    return method  # type: ignore[return-value]


def make_coroutine_functions(cls: type, *bases: type) -> None:
    """Give ``cls`` a real ``async def`` for each network method it inherits from ``bases``
    (whose bodies return awaitables there), so that ``inspect.iscoroutinefunction``, ``help()``
    and frameworks that look for coroutine functions see them as such. Same signature and
    docstring as the sync twin."""
    for base in bases:
        for name, fn in list(vars(base).items()):
            if name.startswith("_") or not callable(fn) or name in vars(cls) or not getattr(fn, "_network", False):
                continue

            def bind(fn: Callable[..., Any]) -> Callable[..., Any]:
                @functools.wraps(fn)
                async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
                    return await fn(self, *args, **kwargs)

                return method

            setattr(cls, name, bind(fn))
