# Shared settings for scripts/engines/up.sh and down.sh (sourced, not run).
# shellcheck shell=bash

ENGINES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_SCRIPTS="$(cd "$ENGINES_DIR/../kafka" && pwd)"
# State lives next to Kafka's run dir, outside the repo.
_run_dir="${KAFKA_RUN_DIR:-$HOME/.cache/commerce-kafka/run}"
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

# mysqladmin ping exits 0 when the server is up, even if access is denied.
mysql_answers() {
  command -v "$(mysqladmin_client)" >/dev/null 2>&1 || return 1
  "$(mysqladmin_client)" --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u root --connect-timeout=2 ping >/dev/null 2>&1
}

redis_answers() {
  command -v redis-cli >/dev/null 2>&1 || return 1
  [[ "$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

state_has() { [[ -f "$ENGINES_STATE_FILE" ]] && grep -q "^$1 " "$ENGINES_STATE_FILE"; }
state_method() { awk -v s="$1" '$1 == s { print $2; exit }' "$ENGINES_STATE_FILE" 2>/dev/null; }
