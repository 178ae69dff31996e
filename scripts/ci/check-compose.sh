#!/usr/bin/env bash
# The compose files and the Dockerfile, checked without a Docker engine:
# - `docker compose config` (Compose v2, see find_compose below) validates docker-compose.yml alone,
#   with the opt-in docker-compose.host-ports.yml, and with the opt-in docker-compose.kafka-cluster.yml
#   (three KRaft nodes instead of one broker), each without and with `--profile monitoring`;
# - profiles: the app and its engines start by default; the MONITORING_SERVICES (Prometheus, Grafana, Jaeger)
#   are in the `monitoring` profile, absent without it and present with it; no other service has a
#   profile;
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
# - one Kafka, MySQL and Redis everywhere: the images the tests start with testcontainers
#   (test/support/engine-images.json) are the ones compose runs, and the Kafka image's version is
#   the one scripts/kafka/common.sh runs from Maven Central's jars;
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

# Compose v2, the `docker compose` users run. Debian 12's docker-compose package is v1 (1.29): it
# accepts --profile but its `config` ignores profiles (it prints every service), so it cannot check
# them. Debian 13's docker-compose package is v2, a Go binary needing only glibc 2.34 or later
# (Debian 12 has 2.36): where no v2 is installed, its package is downloaded from Debian's trixie
# suite with a private apt list (the system's apt sources are left alone) and unpacked into
# COMPOSE_CACHE, once.
COMPOSE_CACHE="${COMPOSE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/commerce-compose}"
COMPOSE=()
is_v2() { "$@" version --short 2>/dev/null | grep -Eq '^v?([2-9]|[1-9][0-9])\.'; }
find_compose() {
  if docker compose version >/dev/null 2>&1 && is_v2 docker compose; then COMPOSE=(docker compose); return; fi
  if command -v docker-compose >/dev/null && is_v2 docker-compose; then COMPOSE=(docker-compose); return; fi
  local cached="$COMPOSE_CACHE/usr/libexec/docker/cli-plugins/docker-compose"
  if [ ! -x "$cached" ] || ! is_v2 "$cached"; then
    local apt_dir="$COMPOSE_CACHE/apt"
    rm -rf "$apt_dir" && mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$apt_dir/sources.list"
    local apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=$apt_dir/none"
      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
      -o "APT::Sandbox::User=root")
    apt-get "${apt_opts[@]}" update -qq
    (cd "$apt_dir" && apt-get "${apt_opts[@]}" download docker-compose >/dev/null)
    dpkg-deb -x "$apt_dir"/docker-compose_*.deb "$COMPOSE_CACHE"
    rm -rf "$apt_dir"
  fi
  is_v2 "$cached" || { echo "no Compose v2: $cached does not run" >&2; exit 1; }
  COMPOSE=("$cached")
}
find_compose
echo "compose: $("${COMPOSE[@]}" version)"
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
LOOPBACK_SERVICES="${LOOPBACK_SERVICES:-prometheus grafana jaeger}"
# Services that scale (`--scale api=3`): no published port, no container_name.
SCALABLE_SERVICES="${SCALABLE_SERVICES:-api worker}"
# The `monitoring` profile's services (metrics, dashboard, traces): started only by `docker compose --profile monitoring up`.
MONITORING_SERVICES="${MONITORING_SERVICES:-prometheus grafana jaeger}"
# The Kafka version scripts/kafka/*.sh run (Maven Central's jars), as that file sets it.
SCRIPTS_KAFKA_VERSION="$(sed -n 's/^KAFKA_VERSION="\${KAFKA_VERSION:-\([^}]*\)}"$/\1/p' scripts/kafka/common.sh)"
[ -n "$SCRIPTS_KAFKA_VERSION" ] || { echo "scripts/kafka/common.sh: no KAFKA_VERSION default found" >&2; exit 1; }
export PUBLIC_SERVICES LOOPBACK_SERVICES SCALABLE_SERVICES MONITORING_SERVICES SCRIPTS_KAFKA_VERSION

# $1: default | host-ports | kafka-cluster; $2: the profile given (or none); the rest: compose file arguments.
check() {
  local files="$1" profile="$2"
  shift 2
  local args=(--project-name commerce "$@")
  [ "$profile" = none ] || args+=(--profile "$profile")
  "${COMPOSE[@]}" "${args[@]}" config -q
  "${COMPOSE[@]}" "${args[@]}" config | python3 -c '
import json, os, sys, yaml
files, profile = sys.argv[1], sys.argv[2]
public, loopback, scalable, monitoring = (os.environ[k].split() for k in ("PUBLIC_SERVICES", "LOOPBACK_SERVICES", "SCALABLE_SERVICES", "MONITORING_SERVICES"))
mode = files if profile == "none" else f"{files}, --profile {profile}"
services = yaml.safe_load(sys.stdin)["services"]
problems = []
# Profiles: compose leaves out a service whose profiles are all off, so the monitoring services
# must be absent without the profile and present with it; every other service starts by default.
for name in monitoring:
    if profile == "monitoring" and name not in services:
        problems.append(f"{name}: missing with --profile monitoring")
    if profile != "monitoring" and name in services:
        problems.append(f"{name}: started without --profile monitoring")
for name, service in services.items():
    profiles = service.get("profiles") or []
    if name in monitoring and profiles != ["monitoring"]:
        problems.append(f"{name}: profiles {profiles}, expected [monitoring]")
    if name not in monitoring and profiles:
        problems.append(f"{name}: profiles {profiles}; the app and its engines start by default")
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
        if name not in public and not (on_loopback and (files != "default" or name in loopback)):
            problems.append(f"{name} publishes {published}")
# One Kafka, MySQL and Redis everywhere: compose runs the images the tests start (testcontainers).
with open("test/support/engine-images.json") as f:
    images = {k: v for k, v in json.load(f).items() if not k.startswith("/")}
by_repository = {image.rsplit(":", 1)[0]: image for image in images.values()}
for name, service in services.items():
    image = str(service.get("image", ""))
    expected = by_repository.get(image.rsplit(":", 1)[0])
    if expected and image != expected:
        problems.append(f"{name}: image {image}, but the tests start {expected} (test/support/engine-images.json)")
for engine in ("mysql", "redis", "kafka"):
    if not any(str(s.get("image", "")) == images[engine] for s in services.values()):
        problems.append(f"no service runs {images[engine]}, the {engine} image of the tests (test/support/engine-images.json)")
kafka_version, scripts_kafka_version = images["kafka"].rsplit(":", 1)[1], os.environ["SCRIPTS_KAFKA_VERSION"]
if kafka_version != scripts_kafka_version:
    problems.append(f"Kafka {kafka_version} in containers, {scripts_kafka_version} in scripts/kafka/common.sh")
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
shown = ", ".join(n for n in monitoring if n in services) or "none"
print(f"compose ({mode}): valid; {len(services)} services with health checks and start_period; ports as intended; "
      f"{names} scalable; monitoring: {shown}; {len(nodes)} Kafka node(s) as the app expects, "
      f"engine images as the tests start them, Kafka {kafka_version} as scripts/kafka")
' "$files" "$profile"
}
for profile in none monitoring; do
  check default "$profile" -f docker-compose.yml
  check host-ports "$profile" -f docker-compose.yml -f docker-compose.host-ports.yml
  check kafka-cluster "$profile" -f docker-compose.yml -f docker-compose.kafka-cluster.yml
done

resolved="$(mktemp)"
trap 'rm -f "$resolved"' EXIT
"${COMPOSE[@]}" --project-name commerce -f docker-compose.yml config >"$resolved"
python3 scripts/ci/check-nginx.py "$resolved"

findings="$(npx --no-install dockerfile-utils lint Dockerfile)"
if [ -n "$findings" ]; then
  printf 'Dockerfile lint:\n%s\n' "$findings" >&2
  exit 1
fi
echo "Dockerfile: dockerfile-utils lint clean"
