#!/usr/bin/env bash
# Start Debian's redis-server on loopback, on a free port, for tests and development; print its URL.
#   url=$(.ci/redis.sh start DIR)   # runs in the background; DIR holds redis.pid, redis.log
#   .ci/redis.sh stop DIR
# The tests start their own through the same command (tests/test_service_redis.py).
set -euo pipefail
cmd=${1:-start}
dir=${2:-${TMPDIR:-/tmp}/briefreel-redis}
mkdir -p "$dir"
case "$cmd" in
  start)
    command -v redis-server >/dev/null 2>&1 || bash "$(dirname "$0")/system-deps.sh"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --protected-mode yes \
      --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --daemonize yes
    for _ in $(seq 1 50); do
      if redis-cli -p "$port" ping >/dev/null 2>&1; then echo "redis://127.0.0.1:$port/0"; exit 0; fi
      sleep 0.1
    done
    echo "redis-server did not start; see $dir/redis.log" >&2; exit 1 ;;
  stop)
    [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
