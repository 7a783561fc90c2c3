#!/usr/bin/env bash
# The whole test suite, from a fresh checkout. README's test command and .ci/run both run
# exactly this:
#   1. Rust unit and loopback tests of the core and the LocalServer;
#   2. the abi3 wheel (release) and the sdist, built with maturin;
#   3. the wheel installed into a fresh virtual environment (no source tree on its path) and
#      smoke-tested from another directory;
#   4. type checks: mypy --strict on the examples and tests, mypy.stubtest on the package;
#   5. pytest against real servers over loopback, from that environment.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="${PYTHON:-python3}"
BUILD_VENV="${MEMANTO_BUILD_VENV:-.venv-build}"
TEST_VENV="${MEMANTO_TEST_VENV:-.venv-test}"

echo "== cargo test (memanto-protocol, memanto-core, memanto-server)"
cargo test --locked -p memanto-protocol -p memanto-core -p memanto-server

echo "== build the wheel and the sdist"
[ -x "$BUILD_VENV/bin/python" ] || "$PY" -m venv "$BUILD_VENV"
"$BUILD_VENV/bin/python" -m pip install --quiet "maturin>=1.7,<2"
rm -rf dist
"$BUILD_VENV/bin/maturin" build --release --locked --out dist
"$BUILD_VENV/bin/maturin" sdist --out dist
ls -l dist

echo "== install the wheel into a fresh environment"
rm -rf "$TEST_VENV"
"$PY" -m venv "$TEST_VENV"
"$TEST_VENV/bin/python" -m pip install --quiet --upgrade pip
WHEEL="$(ls dist/*.whl)"
"$TEST_VENV/bin/python" -m pip install --quiet "${WHEEL}[test,langchain]"

echo "== smoke test of the installed wheel (from outside the source tree)"
(cd "$(mktemp -d)" && "$ROOT/$TEST_VENV/bin/python" - <<'PY'
import memanto_client, os
assert "site-packages" in memanto_client.__file__, memanto_client.__file__
from memanto_client import LocalServer
with LocalServer() as server:
    client = server.client()
    agent = client.agents.create("smoke")
    with agent.activate() as session:
        session.remember("the wheel works")
        assert session.recall("wheel")[0].content == "the wheel works"
print("wheel smoke test ok:", memanto_client.__version__, os.path.basename(memanto_client._native.__file__))
PY
)

echo "== type checks"
"$TEST_VENV/bin/python" -m mypy --strict examples/quickstart.py tests/
(cd "$(mktemp -d)" && "$ROOT/$TEST_VENV/bin/python" -m mypy.stubtest memanto_client --allowlist "$ROOT/stubtest-allowlist.txt")

echo "== pytest"
"$TEST_VENV/bin/python" -m pytest -q tests
