#!/usr/bin/env bash
# The compose files and the Dockerfile, checked without a Docker engine:
# - `docker-compose config` (Debian's docker-compose; installed with apt when missing) validates
#   docker-compose.yml alone and with the opt-in docker-compose.host-ports.yml;
# - by default only the app publishes a port to the network; the operator UIs (LOOPBACK_SERVICES:
#   Prometheus, Grafana) only on 127.0.0.1, and the opt-in file binds engines to 127.0.0.1 only;
# - every service has a health check with a start_period;
# - the Dockerfile passes dockerfile-utils' lint (hadolint is packaged neither in Debian nor on npm).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v docker-compose >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

# Services whose ports are published by default (the app; add a UI here only on purpose).
PUBLIC_SERVICES="${PUBLIC_SERVICES:-app}"
# Services that may publish by default, but only on the loopback address (the operator's own host).
LOOPBACK_SERVICES="${LOOPBACK_SERVICES:-prometheus grafana}"

# $1: default | host-ports; the rest: docker-compose file arguments.
check() {
  local mode="$1"
  shift
  docker-compose "$@" config -q
  docker-compose "$@" config | python3 -c '
import sys, yaml
mode, public, loopback = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
services = yaml.safe_load(sys.stdin)["services"]
problems = []
for name, service in services.items():
    health = service.get("healthcheck") or {}
    if not health.get("test") or not health.get("start_period"):
        problems.append(f"{name}: no health check with a start_period")
    for port in service.get("ports", []):
        published = port if isinstance(port, str) else "%s:%s" % (port.get("host_ip", "*"), port.get("published"))
        on_loopback = str(published).startswith("127.0.0.1:")
        if name not in public and not (on_loopback and (mode != "default" or name in loopback)):
            problems.append(f"{name} publishes {published}")
if problems:
    sys.exit(f"compose check ({mode}) failed:\n  " + "\n  ".join(problems))
print(f"compose ({mode}): valid; {len(services)} services with health checks and start_period; ports as intended")
' "$mode" "$PUBLIC_SERVICES" "$LOOPBACK_SERVICES"
}
check default -f docker-compose.yml
check host-ports -f docker-compose.yml -f docker-compose.host-ports.yml

findings="$(npx --no-install dockerfile-utils lint Dockerfile)"
if [ -n "$findings" ]; then
  printf 'Dockerfile lint:\n%s\n' "$findings" >&2
  exit 1
fi
echo "Dockerfile: dockerfile-utils lint clean"
