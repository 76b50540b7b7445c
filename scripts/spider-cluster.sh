#!/usr/bin/env bash
# A local MariaDB Spider cluster for tests and demos: two data nodes and a head.
#
#   scripts/spider-cluster.sh start    # start (or reuse) the cluster, write its env file
#   scripts/spider-cluster.sh status   # exit 0 when all three servers answer
#   scripts/spider-cluster.sh stop     # stop all three by their pid files
#   scripts/spider-cluster.sh kill NODE    # SIGKILL one server (node1, node2, head)
#   scripts/spider-cluster.sh restart NODE # start one stopped server again
#
# Every server is a plain `mariadbd` with its own data folder under $AKASA_SPIDER_DIR
# (default: akasa-spider in the system's temporary folder), listening on a free port of
# its own loopback address (head 127.0.0.1, node1 127.0.0.2, node2 127.0.0.3), root with
# an empty password. The head loads the Spider engine
# (`plugin-load-add=ha_spider`) and knows the nodes as `CREATE SERVER node1` / `node2`.
# $AKASA_SPIDER_DIR/cluster.env gives the ports, the head's URL and AKASA_SPIDER_NODES
# (shell syntax, one NAME=value a line), for the tests and for `source`.
#
# Needs mariadbd, mariadb-install-db and the Spider plugin (Debian: mariadb-server,
# mariadb-plugin-spider). As root, the servers run as root (`--user=root`).
set -euo pipefail

DIR="${AKASA_SPIDER_DIR:-${TMPDIR:-/tmp}/akasa-spider}"
ENV_FILE="$DIR/cluster.env"
SERVERS=(node1 node2 head)
NODES=(node1 node2)

die() { printf 'spider-cluster: %s\n' "$*" >&2; exit 1; }

free_port() {  # free_port ADDRESS
  python3 -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

port_of() { cat "$DIR/$1/port" 2>/dev/null; }

# Each server has its own loopback address: Spider's XA bookkeeping
# (mysql.spider_xa_member) tells the nodes of a transaction apart by host, not by port.
host_of() {
  case $1 in head) echo 127.0.0.1 ;; node1) echo 127.0.0.2 ;; node2) echo 127.0.0.3 ;; esac
}

client() {  # client SERVER [mariadb options...]: root over TCP
  local name=$1; shift
  mariadb --no-defaults --protocol=tcp -h "$(host_of "$name")" -P "$(port_of "$name")" -u root "$@"
}

answers() {
  mariadb-admin --no-defaults --protocol=tcp -h "$(host_of "$1")" -P "$(port_of "$1")" -u root \
    ping >/dev/null 2>&1
}

running() {  # the pid file names a live mariadbd (a killed one may linger as a zombie)
  local pid
  pid=$(cat "$DIR/$1/mariadbd.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*zombie' "/proc/$pid/status"
}

init_server() {
  local name=$1 folder="$DIR/$1"
  mkdir -p "$folder/tmp"
  [ -f "$folder/port" ] || free_port "$(host_of "$name")" >"$folder/port"
  if [ ! -d "$folder/data/mysql" ]; then
    # Its own temporary folder: the system one is shared with whatever else runs.
    mariadb-install-db --no-defaults --datadir="$folder/data" --user="$(id -un)" \
      --auth-root-authentication-method=normal --skip-test-db --tmpdir="$folder/tmp" \
      >"$folder/install.log" 2>&1 || {
      rm -rf "$folder/data"  # half-installed: the next start installs again
      die "mariadb-install-db failed for $name (see $folder/install.log)"
    }
  fi
}

start_server() {
  local name=$1 folder="$DIR/$1" extra=()
  running "$name" && return 0
  if [ "$name" = head ]; then
    # Spider's own XA: a transaction over several nodes commits with two-phase commit.
    # Ping each node connection at the start of every transaction, so a connection to a
    # node that was restarted is opened again instead of failing the statement.
    extra=(--plugin-load-add=ha_spider --spider-internal-xa=1
      --spider-ping-interval-at-trx-start=0)
  fi
  mariadbd --no-defaults --datadir="$folder/data" --user="$(id -un)" \
    --bind-address="$(host_of "$name")" --port="$(port_of "$name")" --socket="$folder/mariadbd.sock" \
    --pid-file="$folder/mariadbd.pid" --log-error="$folder/error.log" --tmpdir="$folder/tmp" \
    --innodb-buffer-pool-size=128M --innodb-log-file-size=64M --max-connections=200 \
    --character-set-server=utf8mb4 --skip-name-resolve=0 "${extra[@]}" \
    >/dev/null 2>&1 </dev/null &
  disown
}

wait_for() {
  local name=$1
  for _ in $(seq 1 240); do
    answers "$name" && return 0
    sleep 0.25
  done
  die "$name did not start on port $(port_of "$name") (see $DIR/$name/error.log)"
}

grant_tcp_root() {  # install-db creates root@localhost; allow root from loopback as well
  mariadb --no-defaults -S "$DIR/$1/mariadbd.sock" -u root -e \
    "CREATE USER IF NOT EXISTS 'root'@'127.%'; GRANT ALL ON *.* TO 'root'@'127.%' WITH GRANT OPTION;"
}

create_servers() {
  local node sql=""
  for node in "${NODES[@]}"; do
    sql+="CREATE OR REPLACE SERVER $node FOREIGN DATA WRAPPER mysql OPTIONS "
    sql+="(HOST '$(host_of "$node")', PORT $(port_of "$node"), USER 'root', PASSWORD '', DATABASE 'akasa');"
  done
  client head -e "$sql"
}

write_env() {
  local tmp="$ENV_FILE.tmp" name
  {
    echo "AKASA_SPIDER_DIR=$DIR"
    echo "AKASA_SPIDER_NODES=$(IFS=,; echo "${NODES[*]}")"
    for name in "${SERVERS[@]}"; do
      echo "AKASA_SPIDER_${name^^}_URL=mysql+mysqldb://root@$(host_of "$name"):$(port_of "$name")/?charset=utf8mb4"
      echo "AKASA_SPIDER_${name^^}_PID_FILE=$DIR/$name/mariadbd.pid"
    done
  } >"$tmp"
  mv "$tmp" "$ENV_FILE"
}

start() {
  command -v mariadbd >/dev/null || die "mariadbd not found (install mariadb-server)"
  local name
  for name in "${SERVERS[@]}"; do init_server "$name" & done
  wait
  for name in "${SERVERS[@]}"; do
    [ -d "$DIR/$name/data/mysql" ] || die "no data folder for $name (see $DIR/$name/install.log)"
  done
  for name in "${SERVERS[@]}"; do start_server "$name"; done
  for name in "${SERVERS[@]}"; do
    wait_for "$name"
    grant_tcp_root "$name"
  done
  local spider
  spider=$(client head -N -e "SELECT COUNT(*) FROM information_schema.engines
    WHERE engine = 'SPIDER' AND support <> 'NO'")
  [ "$spider" = 1 ] || die "the head has no Spider engine (see $DIR/head/error.log)"
  create_servers
  write_env
  echo "spider cluster up in $DIR ($ENV_FILE)"
}

stop_server() {
  local name=$1 pid
  pid=$(cat "$DIR/$name/mariadbd.pid" 2>/dev/null) || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$DIR/$name/mariadbd.pid"
}

stop() {
  local name
  for name in head "${NODES[@]}"; do stop_server "$name"; done
  rm -f "$ENV_FILE"
  echo "spider cluster in $DIR stopped"
}

status() {
  local name ok=0
  for name in "${SERVERS[@]}"; do
    if [ -f "$DIR/$name/port" ] && running "$name" && answers "$name"; then
      echo "$name: up on $(host_of "$name"):$(port_of "$name")"
    else
      echo "$name: down"; ok=1
    fi
  done
  return $ok
}

one_server() {
  case "${1:-}" in node1|node2|head) ;; *) die "which server? node1, node2 or head" ;; esac
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  kill)
    one_server "${2:-}"
    kill -KILL "$(cat "$DIR/$2/mariadbd.pid")"
    ;;
  restart)
    one_server "${2:-}"
    start_server "$2"
    wait_for "$2"
    ;;
  *) die "usage: $0 start|stop|status|kill NODE|restart NODE" ;;
esac
