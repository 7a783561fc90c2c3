"""``python -m memanto_client.mcp``: the same as ``memanto-client mcp``."""

from __future__ import annotations

import sys

from .server import main

if __name__ == "__main__":
    sys.exit(main())
