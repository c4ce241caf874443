#!/usr/bin/env bash
# `npm run demo`: installs what is missing, then takes recipes/demo.lorabias as far as lorabias can today.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
bash scripts/setup-node.sh
npm run --silent build
recipe=recipes/demo.lorabias
echo "== lorabias validate $recipe"
node dist/cli.js validate "$recipe" && echo "no problems"
echo
echo "== lorabias plan $recipe"
node dist/cli.js plan "$recipe"
echo
cat <<'TXT'
Not run yet: this version validates and plans recipes but cannot train or sample. Running cells needs the
engine (Python worker), the cell runner (`lorabias run`) and the trained builtin:tiny-shapes weights, which
are still being built; `npm run demo` will run the whole recipe on the CPU once they land.
TXT
