#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: Rust unit tests of the core and the server,
# then the package built and installed into a virtual environment, then pytest against real
# servers over loopback. README's test command and .ci/run both run exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${MEMANTO_TEST_VENV:-.venv-test}"
PY="${PYTHON:-python3}"

echo "== cargo test (memanto-core, memanto-server)"
cargo test --locked -p memanto-core -p memanto-server

echo "== build and install the package into $VENV"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet ".[test]"

echo "== pytest"
"$VENV/bin/python" -m pytest -q tests
