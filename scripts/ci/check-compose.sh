#!/usr/bin/env bash
# The compose files and the Dockerfile, checked without a Docker engine:
# - `docker-compose config` (Debian's docker-compose; installed with apt when missing) validates
#   docker-compose.yml alone, with the opt-in docker-compose.host-ports.yml, and with the opt-in
#   docker-compose.kafka-cluster.yml (three KRaft nodes instead of one broker);
# - by default only the proxy (nginx in front of the api replicas) publishes a port to the network;
#   the operator UIs (LOOPBACK_SERVICES: Prometheus, Grafana) only on 127.0.0.1, and the opt-in file
#   binds engines to 127.0.0.1 only;
# - the api and worker services (SCALABLE_SERVICES) publish no port and set no container_name, in both
#   files, so `docker compose up --scale api=3` can start several;
# - every service has a health check with a start_period;
# - Kafka (services of the apache/kafka image): the api and worker's KAFKA_BROKERS names every node
#   and nothing else, and both wait for each to be healthy; several nodes share one CLUSTER_ID, have
#   distinct node ids and the same quorum (every node, by id); KAFKA_REPLICATION_FACTOR is at most
#   the nodes and KAFKA_MIN_INSYNC_REPLICAS below it (one node may be away);
# - ops/nginx/nginx.conf (scripts/ci/check-nginx.py): agrees with the compose file, passes `nginx -t`
#   of a real nginx (Debian's, installed with apt when missing) and, run by that nginx in front of two
#   stub replicas, passes X-Forwarded-For and X-Request-Id, retries a dropped GET and never a POST;
# - the Dockerfile passes dockerfile-utils' lint (hadolint is packaged neither in Debian nor on npm).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

apt_updated=""
install() {
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v docker-compose >/dev/null || install docker-compose
if ! command -v nginx >/dev/null; then
  install nginx-light
  # The package may start its own service where services start on install: that one is not ours to keep.
  if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
    systemctl disable --now nginx || true
  fi
fi

# Services whose ports are published by default (the proxy; add a UI here only on purpose).
PUBLIC_SERVICES="${PUBLIC_SERVICES:-proxy}"
# Services that may publish by default, but only on the loopback address (the operator's own host).
LOOPBACK_SERVICES="${LOOPBACK_SERVICES:-prometheus grafana}"
# Services that scale (`--scale api=3`): no published port, no container_name.
SCALABLE_SERVICES="${SCALABLE_SERVICES:-api worker}"

# $1: default | host-ports; the rest: docker-compose file arguments.
check() {
  local mode="$1"
  shift
  docker-compose "$@" config -q
  docker-compose "$@" config | python3 -c '
import sys, yaml
mode, public, loopback, scalable = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split()
services = yaml.safe_load(sys.stdin)["services"]
problems = []
for name in scalable:
    service = services.get(name)
    if service is None:
        problems.append(f"{name}: no such service")
    else:
        if service.get("ports"):
            problems.append("%s: publishes %s; its replicas are reached on the compose network only" % (name, service["ports"]))
        if service.get("container_name"):
            problems.append("%s: container_name %s; a second replica could not start" % (name, service["container_name"]))
for name, service in services.items():
    health = service.get("healthcheck") or {}
    if not health.get("test") or not health.get("start_period"):
        problems.append(f"{name}: no health check with a start_period")
    for port in service.get("ports", []):
        published = port if isinstance(port, str) else "%s:%s" % (port.get("host_ip", "*"), port.get("published"))
        on_loopback = str(published).startswith("127.0.0.1:")
        if name not in public and not (on_loopback and (mode != "default" or name in loopback)):
            problems.append(f"{name} publishes {published}")
nodes = {name: s for name, s in services.items() if str(s.get("image", "")).startswith("apache/kafka:")}
def env(service, key):
    value = (service.get("environment") or {}).get(key)
    return None if value in (None, "") else str(value)
for name in scalable:
    service = services.get(name) or {}
    brokers = env(service, "KAFKA_BROKERS") or ""
    hosts = {entry.rsplit(":", 1)[0] for entry in brokers.split(",") if entry}
    if hosts != set(nodes):
        problems.append(f"{name}: KAFKA_BROKERS {brokers!r} does not name exactly the Kafka nodes {sorted(nodes)}")
    for node in nodes:
        if (service.get("depends_on") or {}).get(node, {}).get("condition") != "service_healthy":
            problems.append(f"{name}: does not wait for {node} to be healthy")
    factor, min_isr = env(service, "KAFKA_REPLICATION_FACTOR"), env(service, "KAFKA_MIN_INSYNC_REPLICAS")
    if factor is not None and int(factor) > len(nodes):
        problems.append(f"{name}: KAFKA_REPLICATION_FACTOR {factor} but {len(nodes)} Kafka node(s)")
    if len(nodes) > 1 and (factor is None or min_isr is None or int(min_isr) >= int(factor)):
        problems.append(f"{name}: with {len(nodes)} Kafka nodes, set KAFKA_REPLICATION_FACTOR and a KAFKA_MIN_INSYNC_REPLICAS below it")
if len(nodes) > 1:
    ids = {name: env(s, "KAFKA_NODE_ID") for name, s in nodes.items()}
    expected_voters = {f"{ids[name]}@{name}:9093" for name in nodes}
    if len(set(ids.values())) != len(nodes):
        problems.append(f"Kafka nodes need distinct KAFKA_NODE_IDs: {ids}")
    if len({env(s, "CLUSTER_ID") for s in nodes.values()} - {None}) != 1 or any(env(s, "CLUSTER_ID") is None for s in nodes.values()):
        problems.append("Kafka nodes must share one CLUSTER_ID")
    for name, s in nodes.items():
        voters = set((env(s, "KAFKA_CONTROLLER_QUORUM_VOTERS") or "").split(","))
        if voters != expected_voters:
            problems.append(f"{name}: KAFKA_CONTROLLER_QUORUM_VOTERS {sorted(voters)}, expected {sorted(expected_voters)}")
if problems:
    sys.exit(f"compose check ({mode}) failed:\n  " + "\n  ".join(problems))
names = ", ".join(scalable)
print(f"compose ({mode}): valid; {len(services)} services with health checks and start_period; ports as intended; {names} scalable; {len(nodes)} Kafka node(s) as the app expects")
' "$mode" "$PUBLIC_SERVICES" "$LOOPBACK_SERVICES" "$SCALABLE_SERVICES"
}
check default -f docker-compose.yml
check host-ports -f docker-compose.yml -f docker-compose.host-ports.yml
check kafka-cluster -f docker-compose.yml -f docker-compose.kafka-cluster.yml

resolved="$(mktemp)"
trap 'rm -f "$resolved"' EXIT
docker-compose -f docker-compose.yml config >"$resolved"
python3 scripts/ci/check-nginx.py "$resolved"

findings="$(npx --no-install dockerfile-utils lint Dockerfile)"
if [ -n "$findings" ]; then
  printf 'Dockerfile lint:\n%s\n' "$findings" >&2
  exit 1
fi
echo "Dockerfile: dockerfile-utils lint clean"
