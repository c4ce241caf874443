#!/usr/bin/env bash
# Installs the npm packages when package-lock.json changed since the last install; seconds when nothing did.
set -euo pipefail
cd "$(dirname "$0")/.."
# onnxruntime-node's install script fetches CUDA libraries from a host that may be unreachable; the CPU
# provider ships in the npm package itself.
export ONNXRUNTIME_NODE_INSTALL=skip
stamp=node_modules/.lorabias-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
echo "[setup] npm ci"
npm ci --no-audit --no-fund
echo "$want" > "$stamp"
