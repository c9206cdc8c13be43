# Start a throwaway Redis (Debian's redis-server) on a free loopback port, without persistence; stopped when the
# shell exits or on stop_redis. Usage: source .ci/redis.sh; start_redis; then use $REDIS_URL.

start_redis() {
  if ! command -v redis-server >/dev/null; then
    echo "redis-server not found; installing Debian's redis-server with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  REDIS_DIR=$(mktemp -d /tmp/treatyapi-redis.XXXXXX)
  REDIS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  trap stop_redis EXIT
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$REDIS_DIR" \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  echo "$(redis-server --version | awk '{print $1, $2, $3}') on 127.0.0.1:$REDIS_PORT ($REDIS_DIR)"
}

stop_redis() {
  if [ -n "${REDIS_DIR:-}" ] && [ -d "$REDIS_DIR" ]; then
    [ -f "$REDIS_DIR/redis.pid" ] && kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
    rm -rf "$REDIS_DIR"
  fi
}
