# Shared steps of Herald's scripts: toolchain, system packages, dependencies, build. Sourced, not run.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export COREPACK_INTEGRITY_KEYS=0   # corepack 0.34 cannot verify the registry's pnpm signatures
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0

log() { printf '\033[1;34m[herald]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[herald]\033[0m %s\n' "$*" >&2; exit 1; }

require_node() {
  command -v node >/dev/null || die "Node.js 20 or newer is required (none found on PATH)."
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js 20 or newer is required (found $(node --version))."
}

# pnpm, pinned by package.json's packageManager, through corepack.
ensure_pnpm() {
  require_node
  if ! pnpm --version >/dev/null 2>&1; then
    log "enabling pnpm through corepack"
    corepack enable >/dev/null 2>&1 || npm install -g corepack >/dev/null && corepack enable
  fi
  pnpm --version >/dev/null || die "pnpm could not be set up through corepack."
}

apt_updated=0
# Installs Debian packages that are missing, when running as root; otherwise says how.
ensure_debian_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  fi
  log "installing Debian packages: ${missing[*]}"
  if [ "$apt_updated" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_redis_server() {
  command -v redis-server >/dev/null && return 0
  ensure_debian_packages redis-server
  command -v redis-server >/dev/null || die "redis-server is still missing after installing the redis-server package."
}

install_dependencies() {
  ensure_pnpm
  log "installing dependencies (pnpm install --frozen-lockfile)"
  (cd "$REPO_ROOT" && pnpm install --frozen-lockfile --reporter=append-only >/dev/null)
}

build_all() {
  log "building (pnpm build)"
  (cd "$REPO_ROOT" && pnpm build --output-logs=errors-only)
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Runs jest from the repository's root with the given arguments: jest's own report, then one plain
# closing line (scripts/jest-closing-line.js), printed after jest has exited so that it is the last;
# returns jest's status. jest's global setup starts one redis-server for the whole run and stops it.
run_jest() {
  local summary status=0
  summary="$(mktemp)"
  (cd "$REPO_ROOT" && HERALD_JEST_SUMMARY="$summary" pnpm exec jest --ci --testResultsProcessor="$REPO_ROOT/scripts/jest-closing-line.js" "$@") || status=$?
  cat "$summary"
  rm -f "$summary"
  return "$status"
}
