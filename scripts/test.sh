#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, then runs every suite (unit, engine, end-to-end in a real
# VS Code workbench). All suites run even when one fails; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
bash scripts/setup-node.sh || exit 1
npm run --silent build || exit 1
# the engine's venv first: some unit tests compare with the engine (image decoding) or start it through the CLI
bash scripts/setup-engine.sh || exit 1

declare -A result
run_suite() {
  local name=$1; shift
  echo; echo "=== $name ==="
  local t0=$SECONDS
  if "$@"; then result[$name]="passed"; else result[$name]="FAILED"; fi
  result[$name]="${result[$name]} ($((SECONDS - t0)) s)"
}

run_suite typecheck npx tsc -p . --noEmit
mapfile -t unit < <(find test/unit -name '*.test.ts' | sort)
run_suite unit node --import tsx --test --test-reporter=spec "${unit[@]}"
# the browser suites need Chromium and the workbench (apt + npm; idempotent, a second when done)
bash test/e2e/setup.sh || exit 1
mapfile -t browser < <(find test/browser -name '*.test.ts' | sort)
run_suite browser node --import tsx --test --test-concurrency=1 --test-reporter=spec "${browser[@]}"
[ -f scripts/test-engine.sh ] && run_suite engine bash scripts/test-engine.sh
mapfile -t integration < <(find test/integration -name '*.test.ts' | sort)
# each file starts its own engine on one thread: two at a time
run_suite integration node --import tsx --test --test-concurrency=2 --test-reporter=spec "${integration[@]}"
[ -f scripts/e2e.sh ] && run_suite e2e bash scripts/e2e.sh

echo; echo "=== summary ==="
failed=0
for s in typecheck unit browser engine integration e2e; do
  [ -n "${result[$s]:-}" ] || continue
  echo "$s: ${result[$s]}"
  case "${result[$s]}" in FAILED*) failed=1 ;; esac
done
exit $failed
