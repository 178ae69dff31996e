#!/usr/bin/env bash
# A local three-node Apache Kafka cluster in KRaft mode, without Docker: each node is broker and
# controller in one JVM (scripts/kafka/start.sh with a node's settings), the controllers form a
# static quorum of three, and the internal topics (consumer offsets, transaction state, share
# state) have 3 replicas with min ISR 2; so do new topics by default (default.replication.factor,
# min.insync.replicas). One node may be away and every acknowledged write is still kept.
#
# Usage: cluster.sh start [--keep-data]   start every node (fresh storage unless --keep-data)
#        cluster.sh stop [--kill]         stop every node (SIGTERM, as stop.sh; --kill: SIGKILL at once)
#        cluster.sh stop-node N           stop node N (1-3) cleanly: its partitions move first
#        cluster.sh kill-node N           SIGKILL node N, as in a crash
#        cluster.sh start-node N          start node N again on its data (start.sh --keep-data)
#        cluster.sh status                each node: pid and whether it answers
#        cluster.sh brokers               the bootstrap list for KAFKA_BROKERS
#
# Env: KAFKA_CLUSTER_BASE_PORT (default 19092): node N's broker listens on BASE + 2(N-1) and its
#      controller on the port after (19092/19093, 19094/19095, 19096/19097); or give the ports as
#      lists: KAFKA_CLUSTER_BROKER_PORTS and KAFKA_CLUSTER_CONTROLLER_PORTS ("p1,p2,p3");
#      KAFKA_CLUSTER_RUN_DIR (default ~/.cache/commerce-kafka/cluster: node1/, node2/, node3/ and
#      the cluster id); KAFKA_HEAP_OPTS per node (default "-Xms128m -Xmx384m"); and every variable
#      of start.sh/stop.sh that is not per node (KAFKA_VERSION, KAFKA_CACHE_DIR, KAFKA_START_TIMEOUT,
#      KAFKA_STOP_TIMEOUT). Loopback only, like start.sh.
#
# Point the app at it with KAFKA_BROKERS="$(scripts/kafka/cluster.sh brokers)",
# KAFKA_REPLICATION_FACTOR=3 and KAFKA_MIN_INSYNC_REPLICAS=2 (docs/operations.md#kafka-replication).
set -euo pipefail

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODES=3
REPLICATION=3
MIN_ISR=2
RUN_ROOT="${KAFKA_CLUSTER_RUN_DIR:-${HOME:-/root}/.cache/commerce-kafka/cluster}"
BASE_PORT="${KAFKA_CLUSTER_BASE_PORT:-19092}"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}"

die() { echo "[kafka-cluster] ERROR: $*" >&2; exit "${2:-1}"; }
log() { echo "[kafka-cluster] $*"; }

[[ "$BASE_PORT" =~ ^[0-9]+$ ]] || die "KAFKA_CLUSTER_BASE_PORT must be a port number" 2
IFS=, read -r -a BROKER_PORTS <<<"${KAFKA_CLUSTER_BROKER_PORTS:-$BASE_PORT,$((BASE_PORT + 2)),$((BASE_PORT + 4))}"
IFS=, read -r -a CONTROLLER_PORTS <<<"${KAFKA_CLUSTER_CONTROLLER_PORTS:-$((BASE_PORT + 1)),$((BASE_PORT + 3)),$((BASE_PORT + 5))}"
[[ ${#BROKER_PORTS[@]} == "$NODES" && ${#CONTROLLER_PORTS[@]} == "$NODES" ]] ||
  die "KAFKA_CLUSTER_BROKER_PORTS and KAFKA_CLUSTER_CONTROLLER_PORTS need $NODES ports each" 2
for port in "${BROKER_PORTS[@]}" "${CONTROLLER_PORTS[@]}"; do
  [[ "$port" =~ ^[0-9]+$ ]] || die "not a port number: $port" 2
done

VOTERS=""
for ((n = 1; n <= NODES; n++)); do VOTERS+="${VOTERS:+,}$n@127.0.0.1:${CONTROLLER_PORTS[n - 1]}"; done

brokers() {
  local list="" port
  for port in "${BROKER_PORTS[@]}"; do list+="${list:+,}127.0.0.1:$port"; done
  echo "$list"
}

# Runs a start.sh/stop.sh command as node $1 (the rest: the script and its arguments).
as_node() {
  local n="$1"
  shift
  env KAFKA_NODE_ID="$n" KAFKA_LOG_TAG="kafka-$n" \
    KAFKA_BROKER_PORT="${BROKER_PORTS[n - 1]}" KAFKA_CONTROLLER_PORT="${CONTROLLER_PORTS[n - 1]}" \
    KAFKA_RUN_DIR="$RUN_ROOT/node$n" KAFKA_QUORUM_VOTERS="$VOTERS" KAFKA_CLUSTER_ID="$(cat "$RUN_ROOT/cluster.id")" \
    KAFKA_REPLICATION="$REPLICATION" KAFKA_MIN_ISR="$MIN_ISR" \
    bash "$@"
}

node_arg() {
  [[ "${1:-}" =~ ^[1-9][0-9]*$ && "$1" -le "$NODES" ]] || die "give a node number, 1 to $NODES" 2
}

# The nodes start side by side: a node's broker serves requests only once the quorum (two of
# three controllers) has elected a leader, so one started alone would wait for the others.
start_nodes() { on_nodes start.sh START_ARGS "$@"; }

stop_nodes() { on_nodes stop.sh STOP_ARGS "$@"; }

# on_nodes SCRIPT ARGS_ARRAY_NAME NODE...: the script for each node at once; fails if any failed.
on_nodes() {
  local script="$1" n pid failed=0 pids=()
  local -n extra_args="$2"
  shift 2
  for n in "$@"; do
    as_node "$n" "$SCRIPTS/$script" "${extra_args[@]}" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  return "$failed"
}

ALL_NODES=()
for ((n = 1; n <= NODES; n++)); do ALL_NODES+=("$n"); done
START_ARGS=()
STOP_ARGS=()

command="${1:-}"
shift || true
case "$command" in
  start)
    [[ "${1:-}" == "" || "${1:-}" == "--keep-data" ]] || die "usage: cluster.sh start [--keep-data]" 2
    mkdir -p "$RUN_ROOT"
    bash "$SCRIPTS/start.sh" --resolve-only # once, before the nodes start side by side
    if [[ "${1:-}" == "--keep-data" && -s "$RUN_ROOT/cluster.id" ]]; then
      START_ARGS=(--keep-data)
    else
      # Every node is formatted with the same cluster id, or they would refuse each other: 16 random
      # bytes in URL-safe base64 without padding, as Kafka's own random-uuid prints them.
      head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$RUN_ROOT/cluster.id.new"
      mv "$RUN_ROOT/cluster.id.new" "$RUN_ROOT/cluster.id"
    fi
    log "starting $NODES nodes (brokers $(brokers), quorum $VOTERS), run dir $RUN_ROOT"
    if ! start_nodes "${ALL_NODES[@]}"; then
      STOP_ARGS=()
      stop_nodes "${ALL_NODES[@]}" || true
      die "the cluster did not start (node logs in $RUN_ROOT/node*/logs)"
    fi
    log "cluster up: KAFKA_BROKERS=$(brokers) (replication $REPLICATION, min ISR $MIN_ISR)"
    ;;
  stop)
    [[ "${1:-}" == "" || "${1:-}" == "--kill" ]] || die "usage: cluster.sh stop [--kill]" 2
    [[ -s "$RUN_ROOT/cluster.id" ]] || { log "no cluster in $RUN_ROOT; nothing to stop"; exit 0; }
    [[ "${1:-}" == "--kill" ]] && STOP_ARGS=(--kill)
    stop_nodes "${ALL_NODES[@]}"
    log "cluster stopped"
    ;;
  stop-node | kill-node)
    node_arg "${1:-}"
    [[ "$command" == kill-node ]] && STOP_ARGS=(--kill)
    stop_nodes "$1"
    ;;
  start-node)
    node_arg "${1:-}"
    [[ -s "$RUN_ROOT/cluster.id" ]] || die "no cluster in $RUN_ROOT: run cluster.sh start first"
    START_ARGS=(--keep-data)
    start_nodes "$1"
    ;;
  status)
    [[ -s "$RUN_ROOT/cluster.id" ]] || { log "no cluster in $RUN_ROOT"; exit 0; }
    for n in "${ALL_NODES[@]}"; do
      # shellcheck disable=SC2016 # expanded by the inner bash, after common.sh is sourced there
      as_node "$n" -c 'source "$0/common.sh"
        if pid=$(running_broker_pid); then
          if kafka_answers "$KAFKA_HOST" "$KAFKA_BROKER_PORT"; then state="answering"; else state="not answering"; fi
          echo "node $KAFKA_NODE_ID: pid $pid, $KAFKA_HOST:$KAFKA_BROKER_PORT $state"
        else
          echo "node $KAFKA_NODE_ID: stopped ($KAFKA_HOST:$KAFKA_BROKER_PORT)"
        fi' "$SCRIPTS"
    done
    ;;
  brokers) brokers ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "usage: cluster.sh start [--keep-data] | stop [--kill] | stop-node N | kill-node N | start-node N | status | brokers" 2 ;;
esac
