#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests.
#   tests/infra/postgres.sh start DIR [OWNER_PID]   initdb + start on a free loopback port; prints the Npgsql connection
#                                                   string. With OWNER_PID the cluster is stopped when that process is gone,
#                                                   however it ended (a test host killed by its runner skips its exit handlers).
#   tests/infra/postgres.sh stop DIR                stop it (by the postmaster's PID, forcibly if it does not go) and delete DIR
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user (runuser).
set -euo pipefail
cmd="${1:?start|stop}"; dir="${2:?cluster folder}"

bin=""
for candidate in /usr/lib/postgresql/15/bin /usr/local/bin; do
  if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then bin="$candidate"; break; fi
done
[[ -n "$bin" ]] || { echo "PostgreSQL 15 (initdb, pg_ctl) not found" >&2; exit 1; }

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" --auth=trust --no-sync -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    mkdir -p "$dir/socket"; [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/socket"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    if [[ -n "${3:-}" ]]; then
      # Detached, its output nowhere (the caller reads this script's output to its end).
      setsid "$0" watch "$dir" "$3" >/dev/null 2>&1 </dev/null &
    fi
    echo "Host=127.0.0.1;Port=$port;Username=postgres"
    ;;
  watch)
    owner="${3:?owner pid}"
    while kill -0 "$owner" 2>/dev/null && [[ -d "$dir" ]]; do sleep 2; done
    if [[ -d "$dir" ]]; then exec "$0" stop "$dir"; fi
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      pid="$(head -n 1 "$dir/data/postmaster.pid")"
      # Fast shutdown; then immediate (a loaded disk can hold the shutdown checkpoint for long); then SIGKILL. The folder
      # goes only once the postmaster has, or a server would be left running on a deleted folder.
      for signal in INT QUIT KILL; do
        kill "-$signal" "$pid" 2>/dev/null || break
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break 2; sleep 0.1; done
      done
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start DIR [OWNER_PID] | stop DIR" >&2; exit 2 ;;
esac
