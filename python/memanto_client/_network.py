"""What every network method shares: the marker that gives async twins real coroutine
functions, and the check that turns text Python cannot encode (a ``str`` holding a lone
surrogate) into a :class:`ValidationError` naming the argument and the position, before
anything is sent."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Iterator, TypeVar

from .exceptions import ValidationError

__all__ = ["network", "make_coroutine_functions", "check_text"]

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


def _explain(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> ValidationError | None:
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
    except TypeError:
        return None
    for name, value in bound.arguments.items():
        if name == "self":
            continue
        try:
            check_text(name, value)
        except ValidationError as e:
            return e
    return None


def network(fn: F) -> F:
    """Mark a method that sends a request (its async twin becomes a coroutine function), and
    report unencodable text in its arguments as a :class:`ValidationError`."""

    @functools.wraps(fn)
    def method(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UnicodeEncodeError:
            explained = _explain(fn, args, kwargs)
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
