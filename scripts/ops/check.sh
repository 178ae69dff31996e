#!/usr/bin/env bash
# The monitoring check (docs/operations.md#the-monitoring-check), without Docker:
#   promtool check config / check rules on ops/prometheus, then scripts/ops/check-monitoring.ts:
#   two app instances (lock and queue strategy) on real MariaDB/Redis/Kafka under a short load,
#   a Prometheus on 127.0.0.1 scraping them, every PromQL expression of the dashboard and the
#   rules run against it (each must return data), and the dashboard JSON's structure checked.
# Needs the engines (scripts/engines/up.sh) and a build (npm run build). Installs Debian's
# prometheus package with apt-get when promtool/prometheus are missing.
# usage: bash scripts/ops/check.sh [--load-seconds N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing Debian's prometheus package (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package may start its own service where services start on install: that one is not ours to keep.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    $SUDO systemctl disable --now prometheus || true
  fi
fi
prometheus --version 2>&1 | head -1

promtool check config ops/prometheus/prometheus.yml
promtool check rules ops/prometheus/rules.yml
[ -f dist/main.js ] || npm run build
exec node -r ts-node/register/transpile-only scripts/ops/check-monitoring.ts "$@"
