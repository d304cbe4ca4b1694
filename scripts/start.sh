#!/usr/bin/env bash
# Installs what Herald needs, then runs it: a local redis-server (data under .herald/), the API
# and HERALD_WORKERS workers (default 2). Ctrl-C (or SIGTERM) stops everything, draining the
# workers first, and exits 0. A worker that exits on its own (SIGTERM to scale in, or a crash) is
# reported and the rest keep running, and so is the Redis it started exiting; the API exiting
# stops the run (status 1).
#
# Settings (environment): HERALD_API_PORT (8080), HERALD_WORKERS (2), HERALD_REDIS_PORT (6390),
# REDIS_URL (use an existing Redis instead of starting one), HERALD_ADMIN_TOKEN (generated once
# and kept in .herald/admin-token), HERALD_DATA_DIR (.herald: Redis data, logs, admin token),
# HERALD_SKIP_INSTALL=true (dependencies installed and built already), and every variable the
# API and worker read (see README).
source "$(dirname "$0")/lib.sh"

DATA_DIR="${HERALD_DATA_DIR:-$REPO_ROOT/.herald}"
LOG_DIR="$DATA_DIR/logs"
mkdir -p "$DATA_DIR/redis" "$LOG_DIR"

[ -n "${REDIS_URL:-}" ] || ensure_redis_server
if [ "${HERALD_SKIP_INSTALL:-}" != "true" ]; then
  install_dependencies
  build_all
fi

pids=()
declare -A names=()   # pid → "api" or "worker <n>"
redis_pid=""
cleanup() {
  trap - INT TERM EXIT
  log "stopping Herald (workers drain in-flight deliveries first)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  log "stopped"
}
# Ctrl-C and SIGTERM are how a run is meant to end: everything stops, and the script exits 0.
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

if [ -z "${REDIS_URL:-}" ]; then
  redis_port="${HERALD_REDIS_PORT:-6390}"
  if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    die "Something already answers on port $redis_port; set HERALD_REDIS_PORT to a free port or REDIS_URL to use it."
  fi
  log "starting redis-server on 127.0.0.1:$redis_port (data in .herald/redis, append-only file on)"
  # setsid: Ctrl-C reaches only this script, which stops Redis last, after the workers drained.
  setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$DATA_DIR/redis" \
    --appendonly yes --appendfsync everysec --save 900 1 \
    --logfile "$LOG_DIR/redis.log" &
  redis_pid=$!
  export REDIS_URL="redis://127.0.0.1:$redis_port"
  for _ in $(seq 1 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    kill -0 "$redis_pid" 2>/dev/null || die "redis-server failed to start; see $LOG_DIR/redis.log"
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

setsid node "$REPO_ROOT/apps/api/dist/index.js" >>"$LOG_DIR/api.log" 2>&1 &
pids+=($!)
names[$!]="api"
metrics_port="${HERALD_METRICS_PORT:-9464}"
for i in $(seq 1 "${HERALD_WORKERS:-2}"); do
  HERALD_METRICS_PORT=$((metrics_port + i - 1)) setsid node "$REPO_ROOT/apps/worker/dist/index.js" >>"$LOG_DIR/worker-$i.log" 2>&1 &
  pids+=($!)
  names[$!]="worker $i"
done

api_url="http://127.0.0.1:$HERALD_API_PORT"
http_ok() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }
for _ in $(seq 1 100); do
  http_ok "$api_url/readyz" && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || die "a Herald process exited at start; see $LOG_DIR/"; done
  sleep 0.1
done
http_ok "$api_url/readyz" || die "the API did not become ready; see $LOG_DIR/api.log"

cat <<MSG

  Herald is running.
    API:          $api_url   (see README for the API and the herald CLI)
    Console:      $api_url/admin/   (sign in with the admin token; Bull Board at /admin/queues)
    Admin token:  $HERALD_ADMIN_TOKEN
    Workers:      ${HERALD_WORKERS:-2} (metrics on ports $metrics_port and up)
    Redis:        $REDIS_URL
    Logs:         $LOG_DIR/

  Try:
    curl -s -X POST $api_url/v1/webhooks -H "Authorization: Bearer $HERALD_ADMIN_TOKEN" \\
      -H 'content-type: application/json' -d '{"url":"https://example.com/hook","events":["*"]}'
    curl -s -X POST $api_url/v1/events -H "Authorization: Bearer $HERALD_ADMIN_TOKEN" \\
      -H 'content-type: application/json' -d '{"type":"order.created","data":{"id":1}}'

  Press Ctrl-C to stop.
MSG

# A worker that exits (scaled in with SIGTERM, or crashed) is reported and the others keep running:
# stopping one worker is how the README scales in. Redis exiting is reported too: the API answers
# 503 and the workers retry until a Redis answers there again. The API exiting ends the run with
# status 1 (the EXIT trap stops the rest). Ctrl-C and SIGTERM run the INT/TERM trap instead.
while [ ${#pids[@]} -gt 0 ]; do
  exited=""
  status=0
  # -p leaves `exited` unset when wait returns for any other reason than a child's exit.
  wait -n -p exited "${pids[@]}" ${redis_pid:+"$redis_pid"} || status=$?
  [ -n "${exited:-}" ] || break
  if [ "$exited" = "$redis_pid" ]; then
    redis_pid=""
    log "redis-server (pid $exited) exited with status $status: the API answers 503 and the workers retry until Redis answers on $REDIS_URL again. See $LOG_DIR/redis.log"
    continue
  fi
  name="${names[$exited]}"
  remaining=()
  for pid in "${pids[@]}"; do [ "$pid" = "$exited" ] || remaining+=("$pid"); done
  pids=("${remaining[@]}")
  if [ "$name" = "api" ]; then
    log "the API (pid $exited) exited with status $status; stopping Herald. See $LOG_DIR/api.log"
    exit 1
  fi
  log "$name (pid $exited) exited with status $status; the API and the other workers keep running. See $LOG_DIR/worker-${name#worker }.log"
  [ ${#pids[@]} -gt 1 ] || log "no worker is running now: events wait in the stream until one starts"
done
