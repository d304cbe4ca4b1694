#!/usr/bin/env bash
# Installs what Herald needs, then runs it: a local redis-server (data under .herald/), the API
# and HERALD_WORKERS workers (default 2). Ctrl-C stops everything, draining the workers first.
#
# Settings (environment): HERALD_API_PORT (8080), HERALD_WORKERS (2), HERALD_REDIS_PORT (6390),
# REDIS_URL (use an existing Redis instead of starting one), HERALD_ADMIN_TOKEN (generated once
# and kept in .herald/admin-token), and every variable the API and worker read (see README).
source "$(dirname "$0")/lib.sh"

DATA_DIR="$REPO_ROOT/.herald"
mkdir -p "$DATA_DIR/redis" "$DATA_DIR/logs"

[ -n "${REDIS_URL:-}" ] || ensure_redis_server
install_dependencies
build_all

pids=()
redis_pid=""
stopping=0
cleanup() {
  trap - INT TERM EXIT
  stopping=1
  log "stopping Herald (workers drain in-flight deliveries first)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  log "stopped"
}
trap cleanup INT TERM EXIT

if [ -z "${REDIS_URL:-}" ]; then
  redis_port="${HERALD_REDIS_PORT:-6390}"
  if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    die "Something already answers on port $redis_port; set HERALD_REDIS_PORT to a free port or REDIS_URL to use it."
  fi
  log "starting redis-server on 127.0.0.1:$redis_port (data in .herald/redis, append-only file on)"
  # setsid: Ctrl-C reaches only this script, which stops Redis last, after the workers drained.
  setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$DATA_DIR/redis" \
    --appendonly yes --appendfsync everysec --save 900 1 \
    --logfile "$DATA_DIR/logs/redis.log" &
  redis_pid=$!
  export REDIS_URL="redis://127.0.0.1:$redis_port"
  for _ in $(seq 1 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    kill -0 "$redis_pid" 2>/dev/null || die "redis-server failed to start; see .herald/logs/redis.log"
    sleep 0.1
  done
fi

if [ -z "${HERALD_ADMIN_TOKEN:-}" ]; then
  if [ ! -s "$DATA_DIR/admin-token" ]; then
    node -e 'process.stdout.write("hrld_" + require("crypto").randomBytes(24).toString("base64url"))' > "$DATA_DIR/admin-token"
    chmod 600 "$DATA_DIR/admin-token"
  fi
  HERALD_ADMIN_TOKEN="$(cat "$DATA_DIR/admin-token")"
fi
export HERALD_ADMIN_TOKEN
export HERALD_API_PORT="${HERALD_API_PORT:-8080}"
export HERALD_ALLOW_PRIVATE_TARGETS="${HERALD_ALLOW_PRIVATE_TARGETS:-true}"

setsid node "$REPO_ROOT/apps/api/dist/index.js" >>"$DATA_DIR/logs/api.log" 2>&1 &
pids+=($!)
metrics_port="${HERALD_METRICS_PORT:-9464}"
for i in $(seq 1 "${HERALD_WORKERS:-2}"); do
  HERALD_METRICS_PORT=$((metrics_port + i - 1)) setsid node "$REPO_ROOT/apps/worker/dist/index.js" >>"$DATA_DIR/logs/worker-$i.log" 2>&1 &
  pids+=($!)
done

api_url="http://127.0.0.1:$HERALD_API_PORT"
http_ok() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }
for _ in $(seq 1 100); do
  http_ok "$api_url/readyz" && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || die "a Herald process exited at start; see .herald/logs/"; done
  sleep 0.1
done
http_ok "$api_url/readyz" || die "the API did not become ready; see .herald/logs/api.log"

cat <<MSG

  Herald is running.
    API:          $api_url   (see README for the API and the herald CLI)
    Admin token:  $HERALD_ADMIN_TOKEN
    Workers:      ${HERALD_WORKERS:-2} (metrics on ports $metrics_port and up)
    Redis:        $REDIS_URL
    Logs:         .herald/logs/

  Try:
    curl -s -X POST $api_url/v1/webhooks -H "Authorization: Bearer $HERALD_ADMIN_TOKEN" \\
      -H 'content-type: application/json' -d '{"url":"https://example.com/hook","events":["*"]}'
    curl -s -X POST $api_url/v1/events -H "Authorization: Bearer $HERALD_ADMIN_TOKEN" \\
      -H 'content-type: application/json' -d '{"type":"order.created","data":{"id":1}}'

  Press Ctrl-C to stop.
MSG

# Stop everything when any process ends unexpectedly.
wait -n "${pids[@]}" || true
[ "$stopping" -eq 1 ] || log "a Herald process exited unexpectedly; see .herald/logs/"
