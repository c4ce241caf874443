#!/usr/bin/env bash
# Engine tests: make sure the venv is set up (fast when it is), then run pytest on test/engine.
# Extra arguments go to pytest (e.g. scripts/test-engine.sh -k protocol).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup-engine.sh" || exit $?
cd "$ROOT"
export HF_HUB_OFFLINE=1
# One pytest-xdist worker per core (at most 4; each holds its own models), one thread each (conftest.py);
# LORABIAS_TEST_WORKERS=0 runs everything in this process. The tests of a module (or of a class) stay on one
# worker, so a module-scope fixture (a trained LoRA, a loaded model, an engine process) is built once.
cores=$(nproc 2>/dev/null || echo 1)
workers=${LORABIAS_TEST_WORKERS:-$(( cores > 4 ? 4 : cores ))}
"${LORABIAS_VENV:-$ROOT/.venv}/bin/python" -m pytest test/engine -q -p no:cacheprovider -n "$workers" --dist loadscope \
  --durations=15 "$@"
exit $?
