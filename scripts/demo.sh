#!/usr/bin/env bash
# `npm run demo`: installs what is missing (npm packages, the engine's Python venv), builds, then runs
# recipes/demo.lorabias end to end on the CPU with the embedded builtin:tiny-shapes model, printing each cell,
# the leakage table and where the grid is. `npm run demo -- --fresh` ignores the cache; `--update-docs` copies
# the grid to docs/demo-grid.png (the picture in the README).
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
fresh=0; docs=0
for a in "$@"; do case "$a" in --fresh) fresh=1 ;; --update-docs) docs=1 ;; *) echo "unknown option $a" >&2; exit 2 ;; esac; done
t0=$SECONDS
bash scripts/setup-node.sh
bash scripts/setup-engine.sh
npm run --silent build
recipe=recipes/demo.lorabias
echo "== lorabias validate $recipe"
node dist/cli.js validate "$recipe" && echo "no problems"
echo
echo "== lorabias run $recipe"
args=(run "$recipe")
[ "$fresh" = 1 ] && args+=(--force)
node dist/cli.js "${args[@]}" | tee /tmp/lorabias-demo.$$.txt
grid=$(sed -n 's/^  grid: //p' /tmp/lorabias-demo.$$.txt | tail -n 1)
rm -f /tmp/lorabias-demo.$$.txt
if [ "$docs" = 1 ] && [ -n "$grid" ]; then cp "$grid" docs/demo-grid.png; echo "copied the grid to docs/demo-grid.png"; fi
echo
echo "demo finished in $((SECONDS - t0)) s; the grid: ${grid:-none}"
