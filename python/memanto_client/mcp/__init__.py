"""Memanto memory for any MCP-capable agent: ``memanto-client mcp`` (or ``python -m
memanto_client.mcp``). Needs the ``mcp`` extra: ``pip install 'memanto-client[mcp]' (from a checkout: pip install '.[mcp]')``.

Offline by default: without ``MEMANTO_BASE_URL`` the memories live in an embedded LocalServer
on a per-user database file (``--db`` to choose another), so they survive restarts.
"""

from __future__ import annotations

import importlib.util as _util

if _util.find_spec("mcp") is None:
    raise ImportError("memanto_client.mcp needs the `mcp` package: pip install 'memanto-client[mcp]' (from a checkout: pip install '.[mcp]')", name="mcp")

from .backend import Backend, default_db_path
from .server import build_app, main

__all__ = ["Backend", "build_app", "default_db_path", "main"]
