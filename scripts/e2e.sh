#!/usr/bin/env bash
# End-to-end suite in a real VS Code workbench (code-server in Chromium, driven by playwright-core):
# installs what it needs (test/e2e/setup.sh, fast once done), builds and packages the extension as a VSIX,
# installs it into a fresh code-server and runs test/e2e/*.test.ts. Screenshots and logs: test-results/e2e/.
# Exits non-zero on failure; whatever happens, the code-servers it started are stopped.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export LORABIAS_E2E_HOME="${LORABIAS_E2E_HOME:-$HOME/.cache/lorabias-e2e}"
export ONNXRUNTIME_NODE_INSTALL=skip

[ -f scripts/setup-node.sh ] && bash scripts/setup-node.sh   # the project's npm packages (playwright-core, vsce)
bash test/e2e/setup.sh

# this run's code-servers live (and are cleaned up) under their own folder
export LORABIAS_E2E_RUNS="$LORABIAS_E2E_HOME/runs/e2e-$$"
cleanup() {
  local pidfile pid
  for pidfile in "$LORABIAS_E2E_RUNS"/*/code-server.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # each code-server was started in its own process group (pgid = pid): stop the whole group
    if kill -TERM -- "-$pid" 2>/dev/null; then
      sleep 1
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -rf "${TMPDIR:-/tmp}/lorabias-e2e-$(basename "$(dirname "$pidfile")")"   # its IPC socket folder
  done
  rm -rf "$LORABIAS_E2E_RUNS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf test-results/e2e
mkdir -p test-results/e2e
started=$(date +%s)
echo "e2e: production build + vsce package"
LORABIAS_E2E_VSIX="$(node --import tsx test/e2e/package.ts)"
export LORABIAS_E2E_VSIX

echo "e2e: running the suite"
status=0
# arguments pick test files (default: all of them)
if [ $# -gt 0 ]; then files=("$@"); else files=(test/e2e/*.test.ts); fi
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}" || status=$?
echo "e2e: $(( $(date +%s) - started )) s; screenshots and logs in test-results/e2e/"
exit $status
