# Shared settings for scripts/engines/up.sh and down.sh (sourced, not run).
# shellcheck shell=bash disable=SC2034 # variables are used by the sourcing scripts

ENGINES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_SCRIPTS="$(cd "$ENGINES_DIR/../kafka" && pwd)"
# State lives next to Kafka's run dir, outside the repo.
_run_dir="${KAFKA_RUN_DIR:-${HOME:-/root}/.cache/commerce-kafka/run}"
ENGINES_STATE_FILE="${ENGINES_STATE_FILE:-$(dirname "$_run_dir")/engines-started}"

DB_HOST=127.0.0.1
DB_PORT=3306
REDIS_HOST=127.0.0.1
REDIS_PORT=6379

log() { echo "[engines] $*"; }
die() { echo "[engines] ERROR: $*" >&2; exit 1; }

# Prefer the mariadb-* names, fall back to the classic mysql ones (MySQL server).
mysql_client() { if command -v mariadb >/dev/null 2>&1; then echo mariadb; else echo mysql; fi; }
mysqladmin_client() { if command -v mariadb-admin >/dev/null 2>&1; then echo mariadb-admin; else echo mysqladmin; fi; }

# True if a MySQL/MariaDB server answers on DB_HOST:DB_PORT. mysqladmin ping exits 0
# even on "Access denied", but not on "Host '127.0.0.1' is not allowed to connect"
# (a fresh Debian MariaDB has only root@localhost, and with skip-name-resolve a TCP
# login from 127.0.0.1 gets that error): the server answered, so it is up too.
mysql_answers() {
  command -v "$(mysqladmin_client)" >/dev/null 2>&1 || return 1
  local out
  out=$("$(mysqladmin_client)" --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u root --connect-timeout=2 ping 2>&1) && return 0
  [[ "$out" == *"is not allowed to connect"* || "$out" == *"Access denied"* ]]
}

redis_answers() {
  command -v redis-cli >/dev/null 2>&1 || return 1
  [[ "$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

state_has() { [[ -f "$ENGINES_STATE_FILE" ]] && grep -q "^$1 " "$ENGINES_STATE_FILE"; }
state_method() { awk -v s="$1" '$1 == s { print $2; exit }' "$ENGINES_STATE_FILE" 2>/dev/null; }
