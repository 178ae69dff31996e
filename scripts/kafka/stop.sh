#!/usr/bin/env bash
# Stop the broker started by scripts/kafka/start.sh (pid file). SIGTERM first (clean
# shutdown), SIGKILL after KAFKA_STOP_TIMEOUT seconds (default 20). Not running is fine.
# Usage: stop.sh [--kill]
#   --kill  SIGKILL at once: the broker dies as in a crash (no controlled shutdown), for fault tests.
set -euo pipefail

KILL_NOW=0
for arg in "$@"; do
  case "$arg" in
    --kill) KILL_NOW=1 ;;
    *) echo "[kafka] ERROR: unknown argument: $arg (usage: stop.sh [--kill])" >&2; exit 2 ;;
  esac
done

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"

if ! pid=$(running_broker_pid); then
  [[ -f "$KAFKA_PID_FILE" ]] && log "removing stale pid file $KAFKA_PID_FILE"
  rm -f "$KAFKA_PID_FILE"
  log "broker not running; nothing to stop"
  exit 0
fi

start=$SECONDS
if [[ $KILL_NOW == 1 ]]; then
  log "killing broker (pid $pid) with SIGKILL..."
  kill -KILL "$pid" 2>/dev/null || true
else
  log "stopping broker (pid $pid)..."
  kill -TERM "$pid" 2>/dev/null || true
fi
while pid_alive "$pid" && (( SECONDS - start < STOP_TIMEOUT )); do
  sleep 0.5
done
if pid_alive "$pid"; then
  log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pid_alive "$pid" || break
    sleep 0.5
  done
fi
if pid_alive "$pid"; then
  die "could not stop broker pid $pid"
fi
rm -f "$KAFKA_PID_FILE"
log "broker stopped after $((SECONDS - start))s"
