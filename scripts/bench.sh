#!/usr/bin/env bash
# Prints every benchmark figure; see docs/benchmarks.md for the figures recorded so far.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-node.sh
npm run --silent build
for b in bench/*.ts; do echo "== $b"; npx tsx "$b"; done
for b in bench/engine/*.py; do [ -f "$b" ] || continue; echo "== $b"; .venv/bin/python "$b"; done
