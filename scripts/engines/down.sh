#!/usr/bin/env bash
# Undo scripts/engines/up.sh: always stop Kafka; stop MariaDB/Redis only if up.sh
# started them (state file), so engines that were already running are left alone.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$KAFKA_SCRIPTS/stop.sh"

forget() { # drop an engine's line from the state file
  [[ -f "$ENGINES_STATE_FILE" ]] || return 0
  grep -v "^$1 " "$ENGINES_STATE_FILE" >"$ENGINES_STATE_FILE.tmp" || true
  mv -f "$ENGINES_STATE_FILE.tmp" "$ENGINES_STATE_FILE"
  [[ -s "$ENGINES_STATE_FILE" ]] || rm -f "$ENGINES_STATE_FILE"
}

wait_gone() { # <check command...>: wait up to 30 s until it fails
  local _
  for _ in $(seq 1 30); do "$@" || return 0; sleep 1; done
  return 1
}

stop_mariadb() {
  if ! state_has mariadb; then
    log "MariaDB not recorded as started by up.sh: leaving it alone"
    return
  fi
  if [[ "$(state_method mariadb)" == systemctl ]]; then
    log "stopping MariaDB (systemctl)..."
    systemctl stop mariadb 2>/dev/null || systemctl stop mysql
  else
    log "stopping MariaDB..."
    # Clean shutdown as root (TCP, else socket); start-stop-daemon as a fallback.
    "$(mysqladmin_client)" --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u root shutdown 2>/dev/null \
      || "$(mysqladmin_client)" --protocol=socket -u root shutdown 2>/dev/null \
      || start-stop-daemon --stop --oknodo --retry TERM/30/KILL/5 --pidfile /run/mysqld/mysqld.pid \
      || true
  fi
  wait_gone mysql_answers || die "MariaDB still answers after 30s"
  forget mariadb
  log "MariaDB stopped"
}

stop_redis() {
  if ! state_has redis; then
    log "Redis not recorded as started by up.sh: leaving it alone"
    return
  fi
  if [[ "$(state_method redis)" == systemctl ]]; then
    log "stopping Redis (systemctl)..."
    systemctl stop redis-server
  else
    log "stopping Redis..."
    redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  fi
  wait_gone redis_answers || die "Redis still answers after 30s"
  forget redis
  log "Redis stopped"
}

stop_mariadb
stop_redis
log "down"
