# Shared settings and helpers for scripts/kafka/start.sh and stop.sh (sourced, not run).
# shellcheck shell=bash disable=SC2034 # variables are used by the sourcing scripts

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_MAJOR="${KAFKA_VERSION%%.*}"
# Jar cache and run dir live outside the repo so clones/CI runs reuse them.
KAFKA_CACHE_ROOT="${KAFKA_CACHE_DIR:-${HOME:-/root}/.cache/commerce-kafka}"
KAFKA_VERSION_DIR="$KAFKA_CACHE_ROOT/$KAFKA_VERSION"
KAFKA_LIB_DIR="$KAFKA_VERSION_DIR/libs"
KAFKA_RUN_DIR="${KAFKA_RUN_DIR:-${HOME:-/root}/.cache/commerce-kafka/run}"
KAFKA_DATA_DIR="$KAFKA_RUN_DIR/data"
KAFKA_LOG_DIR="$KAFKA_RUN_DIR/logs"
KAFKA_CONF_DIR="$KAFKA_RUN_DIR/config"
KAFKA_PID_FILE="$KAFKA_RUN_DIR/kafka.pid"
# Loopback only. The ports default to the ones the app's config and the docs use; a second broker
# (e.g. CI's, for a test suite running beside another) takes its own ports and KAFKA_RUN_DIR.
KAFKA_HOST=127.0.0.1
KAFKA_BROKER_PORT="${KAFKA_BROKER_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
[[ "$KAFKA_BROKER_PORT" =~ ^[0-9]+$ && "$KAFKA_CONTROLLER_PORT" =~ ^[0-9]+$ ]] || { echo "[kafka] ERROR: KAFKA_BROKER_PORT and KAFKA_CONTROLLER_PORT must be port numbers" >&2; exit 2; }
# One node of a cluster (scripts/kafka/cluster.sh): its id, the static controller quorum, the
# cluster id every node is formatted with, and the internal topics' replicas and min ISR (also the
# broker's defaults for new topics). Unset: a single node with a one-voter quorum of its own.
KAFKA_NODE_ID="${KAFKA_NODE_ID:-1}"
KAFKA_QUORUM_VOTERS="${KAFKA_QUORUM_VOTERS:-}"
KAFKA_CLUSTER_ID="${KAFKA_CLUSTER_ID:-}"
KAFKA_REPLICATION="${KAFKA_REPLICATION:-1}"
KAFKA_MIN_ISR="${KAFKA_MIN_ISR:-1}"
[[ "$KAFKA_NODE_ID" =~ ^[0-9]+$ && "$KAFKA_REPLICATION" =~ ^[1-9][0-9]*$ && "$KAFKA_MIN_ISR" =~ ^[1-9][0-9]*$ ]] || { echo "[kafka] ERROR: KAFKA_NODE_ID, KAFKA_REPLICATION and KAFKA_MIN_ISR must be numbers (the last two 1 or more)" >&2; exit 2; }
[[ -z "$KAFKA_QUORUM_VOTERS" || "$KAFKA_QUORUM_VOTERS" =~ ^[0-9]+@[^,@]+:[0-9]+(,[0-9]+@[^,@]+:[0-9]+)*$ ]] || { echo "[kafka] ERROR: KAFKA_QUORUM_VOTERS must look like 1@host:port,2@host:port" >&2; exit 2; }
# How this broker's lines start (cluster.sh starts its nodes side by side: kafka-1, kafka-2, ...).
KAFKA_LOG_TAG="${KAFKA_LOG_TAG:-kafka}"

JAVA_BIN="${JAVA_HOME:+$JAVA_HOME/bin/}java"

log() { echo "[$KAFKA_LOG_TAG] $*"; }
die() { echo "[$KAFKA_LOG_TAG] ERROR: $*" >&2; exit 1; }

# True if something accepts TCP connections on host:port.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# Minimal Kafka wire-protocol probe over bash's /dev/tcp (no client tools needed):
# kafka_probe <host> <port> <request as printf format> <reply bytes to read> <glob>
# sends one request and is true if the first reply bytes (as hex) match <glob>.
kafka_probe() {
  local reply
  # shellcheck disable=SC2016 # $0..$3 are expanded by the inner bash
  reply=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "$2" >&3
    head -c "$3" <&3 | od -An -tx1 | tr -d " \n"
  ' "$1" "$2" "$3" "$4" 2>/dev/null) || return 1
  # shellcheck disable=SC2053 # $5 is a glob on purpose
  [[ ${#reply} -eq $(( $4 * 2 )) && "$reply" == $5 ]]
}
# Request header used below: api_key, api_version, correlation_id, client_id "ci".
# Replies start with size(4) and correlation_id(4).

# True if a broker really serves requests: a bare TCP connect can succeed before
# the broker processes requests (the listener socket is bound early), so send
# ApiVersions v0 (size 12, api_key 18, correlation id 42) and wait for the reply.
kafka_answers() {
  kafka_probe "$1" "$2" '\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x02ci' 8 '????????0000002a'
}

# FindCoordinator v1 (size 21, api_key 10) for key "warmup", key_type $3
# (0 = group, 1 = transaction): the first one makes the broker create
# __consumer_offsets / __transaction_state; true once it answers error_code 0
# (reply: size, correlation id 43, throttle_time_ms(4), error_code(2)).
kafka_coordinator_ready() {
  kafka_probe "$1" "$2" "\\x00\\x00\\x00\\x15\\x00\\x0a\\x00\\x01\\x00\\x00\\x00\\x2b\\x00\\x02ci\\x00\\x06warmup\\x0$3" 14 '????????0000002b????????0000'
}

# InitProducerId v0 (size 18, api_key 22) without transactional id, as idempotent
# producers send it: the first one makes the broker fetch a producer-id block from
# the controller (answering COORDINATOR_LOAD_IN_PROGRESS until then); true on
# error_code 0 (reply: size, correlation id 44, throttle_time_ms(4), error_code(2)).
kafka_producer_ids_ready() {
  kafka_probe "$1" "$2" '\x00\x00\x00\x12\x00\x16\x00\x00\x00\x00\x00\x2c\x00\x02ci\xff\xff\x00\x00\xea\x60' 14 '????????0000002c????????0000'
}

# Pid of the broker started by start.sh, if that process is still alive
# (checks the command line so a recycled pid is never mistaken for ours).
running_broker_pid() {
  [[ -f "$KAFKA_PID_FILE" ]] || return 1
  local pid
  pid=$(cat "$KAFKA_PID_FILE" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $KAFKA_CONF_DIR/server.properties" || return 1
  echo "$pid"
}

# True if pid is a live process (a zombie, e.g. a dead child of start.sh, is not).
pid_alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

# Who holds a TCP port (for error messages).
port_owner() {
  ss -ltnpH "sport = :$1" 2>/dev/null || true
}
