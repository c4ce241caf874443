#!/usr/bin/env bash
# Engine tests: make sure the venv is set up (fast when it is), then run pytest on test/engine.
# Extra arguments go to pytest (e.g. scripts/test-engine.sh -k protocol).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup-engine.sh" || exit $?
cd "$ROOT"
export HF_HUB_OFFLINE=1
"${LORABIAS_VENV:-$ROOT/.venv}/bin/python" -m pytest test/engine -q -p no:cacheprovider "$@"
exit $?
