#!/usr/bin/env bash
# Prepares everything the end-to-end suite needs to run a real VS Code workbench on this machine:
#   - Debian packages: chromium (the browser playwright drives), ripgrep (VS Code's search binary) and
#     the toolchain that builds code-server's native modules;
#   - code-server (VS Code 1.100 for the browser) from npm, installed WITHOUT lifecycle scripts because
#     they download binaries from GitHub, which is not reachable here; the native modules are built from
#     source with node-gyp against the local Node headers instead.
# Everything lands under $LORABIAS_E2E_HOME (default ~/.cache/lorabias-e2e). Idempotent: each step checks
# for its result first, so a second run takes a second or two. Safe to run as root on a fresh CI machine.
set -euo pipefail

E2E_HOME=${LORABIAS_E2E_HOME:-$HOME/.cache/lorabias-e2e}
CS_VERSION=4.100.3            # the last code-server for Node 20; carries VS Code 1.100
CS_ROOT=$E2E_HOME/code-server
CS_PKG=$CS_ROOT/node_modules/code-server
VSCODE_DIR=$CS_PKG/lib/vscode
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { echo "[e2e-setup $(date +%H:%M:%S)] $*"; }
# run a noisy build step quietly; show its output only when it fails
quiet() { local log; log=$(mktemp); if "$@" >"$log" 2>&1; then rm -f "$log"; else cat "$log" >&2; rm -f "$log"; return 1; fi; }

if [ "$(node -p 'process.versions.node.split(".")[0]')" != 20 ]; then
  echo "e2e setup: code-server $CS_VERSION needs Node 20, found $(node -v)" >&2
  exit 1
fi

# code-server writes its default config/data under XDG dirs; keep them inside our cache
export XDG_CONFIG_HOME=$E2E_HOME/xdg/config XDG_DATA_HOME=$E2E_HOME/xdg/data
export JOBS=max
NODE_GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
NODE_PREFIX=$(dirname "$(dirname "$(node -p process.execPath)")")
GYP_FLAGS=()
# without --nodedir node-gyp would fetch headers from nodejs.org
[ -f "$NODE_PREFIX/include/node/node.h" ] && GYP_FLAGS+=("--nodedir=$NODE_PREFIX")

# ---- 1. Debian packages ----
need=()
for p in chromium ripgrep build-essential python3 pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "apt-get install ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

mkdir -p "$CS_ROOT"

# ---- 2. code-server itself, no lifecycle scripts ----
installed=$(node -p "try{require('$CS_PKG/package.json').version}catch{''}")
if [ "$installed" != "$CS_VERSION" ]; then
  say "npm install code-server@$CS_VERSION (--ignore-scripts)"
  [ -f "$CS_ROOT/package.json" ] || echo '{"name":"lorabias-e2e-code-server","private":true}' > "$CS_ROOT/package.json"
  (cd "$CS_ROOT" && npm install --ignore-scripts --no-audit --no-fund "code-server@$CS_VERSION")
  rm -f "$VSCODE_DIR/.lorabias-ready" "$VSCODE_DIR/extensions/.lorabias-ready"
fi

# argon2 is code-server's own native dependency (password hashing); build it rather than fetch a prebuilt
if ! compgen -G "$CS_ROOT/node_modules/argon2/lib/binding/napi-v*/argon2.node" >/dev/null; then
  say "build argon2 from source"
  # npm rebuild runs argon2's node-pre-gyp install, which builds locally when told to build from source
  (cd "$CS_ROOT" && quiet npm rebuild argon2 --build-from-source "${GYP_FLAGS[@]}")
fi

# ---- 3. the VS Code server's dependencies (what code-server's postinstall would do) ----
if [ ! -f "$VSCODE_DIR/.lorabias-ready" ]; then
  say "npm install --omit=dev in lib/vscode (--ignore-scripts)"
  (cd "$VSCODE_DIR" && npm install --omit=dev --ignore-scripts --no-audit --no-fund)
  # @vscode/ripgrep's postinstall would download rg from GitHub; use Debian's
  mkdir -p "$VSCODE_DIR/node_modules/@vscode/ripgrep/bin"
  cp -f "$(command -v rg)" "$VSCODE_DIR/node_modules/@vscode/ripgrep/bin/rg"
  for mod in kerberos @parcel/watcher @vscode/spdlog native-watchdog node-pty \
             @vscode/deviceid @vscode/windows-process-tree @vscode/windows-registry; do
    [ -d "$VSCODE_DIR/node_modules/$mod" ] || continue
    say "node-gyp rebuild $mod"
    (cd "$VSCODE_DIR/node_modules/$mod" && quiet node "$NODE_GYP" rebuild "${GYP_FLAGS[@]}")
  done
  touch "$VSCODE_DIR/.lorabias-ready"
fi

# links code-server's postinstall creates
[ -L "$VSCODE_DIR/node_modules.asar" ] || { rm -rf "$VSCODE_DIR/node_modules.asar"; ln -s node_modules "$VSCODE_DIR/node_modules.asar"; }
ln -sfn code-linux.sh "$VSCODE_DIR/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$VSCODE_DIR/bin/helpers/browser.sh"

# ---- 4. built-in extensions' dependencies (typescript for the TS/JS language features) ----
if [ ! -f "$VSCODE_DIR/extensions/.lorabias-ready" ]; then
  say "npm install --omit=dev in lib/vscode/extensions"
  (cd "$VSCODE_DIR/extensions" && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
     && node ./postinstall.mjs >/dev/null)
  touch "$VSCODE_DIR/extensions/.lorabias-ready"
fi

# ---- 5. the project's own node modules (playwright-core drives Chromium, vsce packages the VSIX) ----
if [ ! -d "$ROOT/node_modules/playwright-core" ] || [ ! -d "$ROOT/node_modules/@vscode/vsce" ]; then
  say "npm ci in the project (playwright-core, @vscode/vsce)"
  (cd "$ROOT" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund)
fi

# ---- 6. smoke check, once ----
if [ ! -f "$E2E_HOME/.smoke-ok" ]; then
  (cd "$VSCODE_DIR" && node -e "for (const m of ['node-pty','@vscode/spdlog','@parcel/watcher','kerberos','native-watchdog']) require('./node_modules/' + m)")
  node "$CS_PKG/out/node/entry.js" --version >/dev/null
  touch "$E2E_HOME/.smoke-ok"
  say "code-server $CS_VERSION ready under $E2E_HOME"
fi
