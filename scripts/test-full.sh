#!/usr/bin/env bash
# `npm run test:full`: the slow tests — whole recipes on full-size SD1.5/SDXL single files (random weights in the
# layouts users download), through `lorabias run` on the CPU. Minutes and gigabytes; not part of `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
PYTHONPATH="$PWD/engine" HF_HUB_OFFLINE=1 OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" \
  .venv/bin/python -m pytest test/full -s -p no:cacheprovider -rs "$@"
