#!/usr/bin/env bash
# Bring up everything the "full" app profile needs, on 127.0.0.1, without Docker:
#   MariaDB (or MySQL) :3306, Redis :6379, Kafka :9092 (scripts/kafka/start.sh).
# Installs MariaDB/Redis with apt-get if missing, starts them if stopped, creates the
# app database and user, and remembers which engines IT started so that
# scripts/engines/down.sh stops only those.
#
# Env: DB_NAME (default commerce), DB_USER (commerce), DB_PASSWORD (commerce),
# DB_ROOT_PASSWORD (default empty), plus the KAFKA_* variables of scripts/kafka/start.sh.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB_NAME="${DB_NAME:-commerce}"
DB_USER="${DB_USER:-commerce}"
DB_PASSWORD="${DB_PASSWORD:-commerce}"
DB_ROOT_PASSWORD="${DB_ROOT_PASSWORD:-}"

# Values go into SQL literals below: keep them boring.
[[ "$DB_NAME" =~ ^[A-Za-z0-9_]+$ ]] || die "DB_NAME must match [A-Za-z0-9_]+: $DB_NAME"
[[ "$DB_USER" =~ ^[A-Za-z0-9_]+$ ]] || die "DB_USER must match [A-Za-z0-9_]+: $DB_USER"
[[ "$DB_PASSWORD" != *[\'\\]* ]] || die "DB_PASSWORD must not contain quotes or backslashes"

has_systemd() { [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; }
mysql_server_bin() {
  local b
  for b in /usr/sbin/mariadbd /usr/sbin/mysqld; do [[ -x "$b" ]] && { echo "$b"; return 0; }; done
  return 1
}
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# Append "<engine> <how>" to the state file, unless already recorded: a second
# up.sh must not forget that the first one started it.
record_started() {
  mkdir -p "$(dirname "$ENGINES_STATE_FILE")"
  state_has "$1" || echo "$1 $2" >>"$ENGINES_STATE_FILE"
}

wait_until() { # <name> <timeout s> <check command...>
  local name=$1 timeout=$2 start=$SECONDS
  shift 2
  until "$@"; do
    if (( SECONDS - start >= timeout )); then return 1; fi
    sleep 1
  done
  log "$name answers after $((SECONDS - start))s"
}

INSTALLED_NOW=" "
install_missing() {
  local need=()
  # Server only if nothing answers on the port already (e.g. a MySQL elsewhere).
  if ! mysql_server_bin >/dev/null && ! port_open "$DB_HOST" "$DB_PORT"; then need+=(mariadb-server); fi
  command -v "$(mysqladmin_client)" >/dev/null 2>&1 || need+=(mariadb-client)
  if ! command -v redis-server >/dev/null 2>&1 && ! port_open "$REDIS_HOST" "$REDIS_PORT"; then need+=(redis-server); fi
  command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
  (( ${#need[@]} )) || return 0
  command -v apt-get >/dev/null 2>&1 || die "need ${need[*]} but apt-get is not available"
  log "installing ${need[*]} with apt-get..."
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
  INSTALLED_NOW=" ${need[*]} "
}

start_mariadb() {
  if mysql_answers; then
    # A package's postinst may start the server it installs: then it is ours too.
    if [[ $INSTALLED_NOW == *" mariadb-server "* ]]; then
      log "MariaDB was started by its package install just now"
      record_started mariadb direct
    else
      log "MariaDB/MySQL already running on $DB_HOST:$DB_PORT (left as is)"
    fi
    return
  fi
  port_open "$DB_HOST" "$DB_PORT" && die "port $DB_PORT is open but does not answer mysqladmin ping"
  local bin how
  bin=$(mysql_server_bin) || die "no mariadbd/mysqld found after install"
  if has_systemd; then
    how=systemctl
    log "starting MariaDB with systemctl..."
    systemctl start mariadb 2>/dev/null || systemctl start mysql
  else
    how=direct
    local out
    out="$(dirname "$ENGINES_STATE_FILE")/mariadbd.out"
    mkdir -p "$(dirname "$out")"
    # Normally created by the init system: the socket/pid dir, owned by mysql.
    if id mysql >/dev/null 2>&1; then install -d -o mysql -g mysql -m 0755 /run/mysqld; fi
    log "starting $bin with start-stop-daemon (output in $out)..."
    start-stop-daemon --start --oknodo --background --output "$out" --exec "$bin"
  fi
  # Recorded before waiting: down.sh must clean up even if up.sh fails below.
  record_started mariadb "$how"
  if ! wait_until MariaDB 60 mysql_answers; then
    # Last resort: the package's init script, if there is one.
    if [[ $how == direct && -x /etc/init.d/mariadb ]] && command -v service >/dev/null 2>&1; then
      log "MariaDB did not answer within 60s; trying 'service mariadb start'"
      service mariadb start || true
      wait_until MariaDB 30 mysql_answers || die "MariaDB does not answer on $DB_HOST:$DB_PORT"
    else
      [[ -n "${out:-}" && -s "$out" ]] && tail -n 30 "$out" >&2
      die "MariaDB does not answer on $DB_HOST:$DB_PORT"
    fi
  fi
}

start_redis() {
  if redis_answers; then
    if [[ $INSTALLED_NOW == *" redis-server "* ]]; then
      log "Redis was started by its package install just now"
      record_started redis direct
    else
      log "Redis already running on $REDIS_HOST:$REDIS_PORT (left as is)"
    fi
    return
  fi
  port_open "$REDIS_HOST" "$REDIS_PORT" && die "port $REDIS_PORT is open but does not answer redis-cli ping"
  local how
  if has_systemd; then
    how=systemctl
    log "starting Redis with systemctl..."
    systemctl start redis-server
  else
    how=direct
    log "starting redis-server (daemonized, no persistence)..."
    install -d /var/lib/redis /var/log/redis
    # No RDB/AOF: it is a throwaway cache for dev/CI.
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
  record_started redis "$how"
  wait_until Redis 20 redis_answers || { tail -n 20 /var/log/redis/ci.log >&2 2>/dev/null || true; die "Redis does not answer on $REDIS_HOST:$REDIS_PORT"; }
}

# Root access: TCP first, then the unix socket (Debian's root@localhost uses
# unix_socket auth, which works for the OS root user).
ROOT_ARGS=()
find_root_access() {
  local c
  c=$(mysql_client)
  export MYSQL_PWD="$DB_ROOT_PASSWORD"
  if "$c" --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u root --connect-timeout=5 -e 'SELECT 1' >/dev/null 2>&1; then
    ROOT_ARGS=(--protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u root)
    log "connected as root over TCP $DB_HOST:$DB_PORT"
  elif "$c" --protocol=socket -u root -e 'SELECT 1' >/dev/null 2>&1; then
    ROOT_ARGS=(--protocol=socket -u root)
    log "connected as root over the unix socket"
  else
    die "cannot log in to MariaDB as root (tried $DB_HOST:$DB_PORT and the socket; set DB_ROOT_PASSWORD?)"
  fi
}

setup_database() {
  find_root_access
  log "ensuring database '$DB_NAME' and user '$DB_USER' (@'%' and @'localhost') with ALL on \`${DB_NAME}%\`.*"
  # @'localhost' too: otherwise a socket/localhost login could match an anonymous
  # ''@'localhost' account first. ALTER USER keeps the password in sync if the user
  # already existed. The grant pattern lets tests create ${DB_NAME}_test_xxx databases.
  "$(mysql_client)" "${ROOT_ARGS[@]}" <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`${DB_NAME}%\`.* TO '$DB_USER'@'%';
GRANT ALL PRIVILEGES ON \`${DB_NAME}%\`.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
  # Prove the app credentials work over TCP, including creating a test database.
  MYSQL_PWD="$DB_PASSWORD" "$(mysql_client)" --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -e \
    "CREATE DATABASE IF NOT EXISTS \`${DB_NAME}_test_upcheck\`; DROP DATABASE \`${DB_NAME}_test_upcheck\`; USE \`$DB_NAME\`;" \
    || die "app user '$DB_USER' cannot log in over TCP or create ${DB_NAME}_test_* databases"
  unset MYSQL_PWD
  log "database ready: $DB_USER@$DB_HOST:$DB_PORT/$DB_NAME"
}

install_missing
start_mariadb
start_redis
setup_database
"$KAFKA_SCRIPTS/start.sh"

if [[ -f "$ENGINES_STATE_FILE" ]]; then
  log "started by this script (down.sh will stop them): $(awk '{print $1}' "$ENGINES_STATE_FILE" | paste -sd' ')"
fi
log "all engines up. Use:"
echo "export APP_PROFILE=full DB_HOST=$DB_HOST DB_PORT=$DB_PORT DB_USER=$DB_USER DB_PASSWORD=$DB_PASSWORD DB_NAME=$DB_NAME REDIS_URL=redis://$REDIS_HOST:$REDIS_PORT KAFKA_BROKERS=127.0.0.1:9092"
