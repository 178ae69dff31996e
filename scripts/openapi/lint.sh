#!/usr/bin/env bash
# Lints docs/openapi.json with Redocly's recommended rules (redocly.yaml, exceptions with their
# reasons in .redocly.lint-ignore.yaml) and fails on any error or warning, not only on errors.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
report=$(mktemp)
trap 'rm -f "$report"' EXIT
# The verdict is read from the JSON report; the readable one is printed when it is not clean.
npx --no-install redocly lint commerce --format=json >"$report" 2>/dev/null || true
node -e '
  const { totals } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`openapi lint: ${totals.errors} errors, ${totals.warnings} warnings, ${totals.ignored} ignored with a reason`);
  process.exit(totals.errors + totals.warnings === 0 ? 0 : 1);
' "$report" || { npx --no-install redocly lint commerce --format=stylish 2>&1 | grep -E '^\s+[0-9]+:[0-9]+|^docs/' ; exit 1; }
