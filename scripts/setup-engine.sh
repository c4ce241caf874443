#!/usr/bin/env bash
# Create (or refresh) the engine's venv at .venv: torch first, then the engine package with its test extras.
# Idempotent: a stamp in .venv holds a hash of engine/pyproject.toml and the torch spec; when it matches,
# this script returns in well under a second.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LORABIAS_VENV:-$ROOT/.venv}"
# CPU build by default; users with a GPU set e.g.
#   LORABIAS_TORCH_SPEC="torch" LORABIAS_TORCH_INDEX="https://download.pytorch.org/whl/cu124"
TORCH_SPEC="${LORABIAS_TORCH_SPEC:-torch==2.13.0}"
TORCH_INDEX="${LORABIAS_TORCH_INDEX:-}"
PY="${PYTHON:-python3}"

want="$( (cat "$ROOT/engine/pyproject.toml"; echo "$TORCH_SPEC $TORCH_INDEX") | sha256sum | cut -d' ' -f1)"
stamp="$VENV/.lorabias-engine-stamp"
if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup-engine: creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "setup-engine: installing $TORCH_SPEC" >&2
  if [[ -n "$TORCH_INDEX" ]]; then
    "${PIP[@]}" install "$TORCH_SPEC" --index-url "$TORCH_INDEX"
  else
    "${PIP[@]}" install "$TORCH_SPEC"
  fi
fi
echo "setup-engine: installing engine[test]" >&2
"${PIP[@]}" install -e "$ROOT/engine[test]"
echo "$want" > "$stamp"
