#!/usr/bin/env bash
# Builds and packs the two packages Herald publishes to npm, @herald/sdk and @herald/cli, as the
# tarballs a release carries: pnpm turns their workspace: ranges into versions, and the CLI's
# tarball holds the whole command in one file (no dependency to install). Prints each tarball's path.
# Usage: bash scripts/pack.sh [out-dir]      (default: dist-packages/ at the repository root)
# Install one elsewhere with `npm install /path/to/herald-sdk-<version>.tgz`, or
# `npm install -g /path/to/herald-cli-<version>.tgz`.
source "$(dirname "$0")/lib.sh"

out="${1:-$REPO_ROOT/dist-packages}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
ensure_pnpm
cd "$REPO_ROOT"
pnpm exec turbo run build --filter=@herald/sdk --filter=@herald/cli --output-logs=errors-only >&2
for package in @herald/sdk @herald/cli; do
  # pnpm pack names the tarball it wrote on its last line.
  pnpm --filter "$package" pack --pack-destination "$out" | tail -n 1
done
