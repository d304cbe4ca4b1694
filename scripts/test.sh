#!/usr/bin/env bash
# Installs what the tests need (redis-server, python3, Go, Chromium, buildah, pnpm, dependencies), builds, and runs every test
# against one real redis-server on a free port. Usage: bash scripts/test.sh [jest args]
source "$(dirname "$0")/lib.sh"

ensure_redis_server
# docs/receivers.md's Python and Go receivers are run against real deliveries (standard libraries only).
ensure_debian_packages python3 golang-go
# The admin console's tests drive Debian's headless Chromium (playwright-core, no browser download).
ensure_debian_packages chromium
# The container images are built and run (packages/release/test/images.test.ts) with buildah, on a
# base image made once with debootstrap: no Docker engine needed.
ensure_debian_packages buildah debootstrap
install_dependencies
build_all

log "type-checking and linting"
(cd "$REPO_ROOT" && pnpm typecheck --output-logs=errors-only && pnpm lint --output-logs=errors-only)

log "running the tests"
run_jest "$@"
