#!/usr/bin/env bash
# Builds Herald's container images, herald-api and herald-worker (the two targets of
# docker/Dockerfile), with buildah: no Docker engine or daemon needed. As root, from anywhere:
#   bash scripts/build-images.sh [--tag TAG] [api|worker ...]      (default: both, tag "dev")
# The images are localhost/herald-api:TAG and localhost/herald-worker:TAG in buildah's local
# storage, in the docker format (the OCI format has no HEALTHCHECK). Run one with
#   buildah run --isolation chroot --env REDIS_URL=redis://127.0.0.1:6379 \
#     --env HERALD_ADMIN_TOKEN=... $(buildah from localhost/herald-api:dev) -- node dist/index.js
# (chroot isolation shares this machine's network), or copy it elsewhere with `buildah push`.
#
# The Dockerfile starts from node:20-bookworm-slim. An image of that name already in local storage
# (pulled from Docker Hub, or made by an earlier run) is used as it is. Otherwise, since Docker Hub
# may be out of reach, a stand-in is made once and kept: a Debian bookworm root filesystem from
# debootstrap (a Debian mirror is enough) with this machine's own Node, npm and corepack copied in,
# and a `node` user (uid 1000), as in the official image. Herald's images copy only Node and the
# libraries it links out of it, so their size does not depend on which base was used.
#
# Steps are cached (buildah's --layers): a second target reuses the first's build stage, and a
# rebuild after a source change reuses the downloaded packages. The cache keeps the last build's
# steps only (their ids in .herald/image-build-steps); `buildah rmi --prune` frees it all.
#
# Environment: HERALD_DEBIAN_MIRROR (default http://deb.debian.org/debian) for debootstrap.
source "$(dirname "$0")/lib.sh"

BASE_IMAGE=docker.io/library/node:20-bookworm-slim
tag=dev
apps=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    api|worker) apps+=("$1"); shift ;;
    *) die "unknown argument: $1 (usage: bash scripts/build-images.sh [--tag TAG] [api|worker ...])" ;;
  esac
done
[ ${#apps[@]} -gt 0 ] || apps=(api worker)

[ "$(id -u)" -eq 0 ] || die "building images with buildah's chroot isolation needs root"
ensure_debian_packages buildah debootstrap

# The stand-in for node:20-bookworm-slim, made once per machine.
make_stand_in_base() {
  local rootfs modules ctr mnt extra=()
  rootfs="$(mktemp -d)"
  log "making a stand-in for $BASE_IMAGE (debootstrap bookworm + this machine's Node $(node --version)); once per machine"
  debootstrap --variant=minbase bookworm "$rootfs" "${HERALD_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/lib"
  cp "$(readlink -f "$(command -v node)")" "$rootfs/usr/local/bin/node"
  # The folder holding npm and corepack, wherever this machine's Node keeps it.
  modules="$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")")"
  cp -a "$modules" "$rootfs/usr/local/lib/node_modules"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  ln -sf ../lib/node_modules/corepack/dist/corepack.js "$rootfs/usr/local/bin/corepack"
  chroot "$rootfs" sh -c 'groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/bash node'
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # A machine whose registry traffic goes through a TLS-inspecting proxy trusts its CA through
  # NODE_EXTRA_CA_CERTS; the stand-in trusts it too, so that pnpm can download in the build.
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    mkdir -p "$rootfs/etc/ssl" && cp "$NODE_EXTRA_CA_CERTS" "$rootfs/etc/ssl/extra-ca.pem"
    extra=(--env NODE_EXTRA_CA_CERTS=/etc/ssl/extra-ca.pem)
  fi
  ctr="$(buildah from scratch)"
  mnt="$(buildah mount "$ctr")"
  cp -a "$rootfs/." "$mnt/"
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${extra[@]}" \
    --label org.herald.stand-in="node $(node --version)" --cmd node "$ctr"
  buildah commit -q "$ctr" "$BASE_IMAGE" >/dev/null
  buildah rm "$ctr" >/dev/null
  rm -rf "$rootfs"
}

# Several builds at once (two terminals, a test run) make the stand-in once between them.
exec 9>/tmp/herald-build-images.lock
flock 9
if buildah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  log "using $BASE_IMAGE from local storage"
else
  make_stand_in_base
fi
flock -u 9

# Every step of a build is kept as an untagged image: that is buildah's cache. The steps of this
# clone's previous build that this one did not reuse are removed afterwards, so the cache holds
# one build, not one per source change. (Other untagged images on the machine are left alone.)
steps_file="$REPO_ROOT/.herald/image-build-steps"
steps=()
for app in "${apps[@]}"; do
  image="localhost/herald-$app:$tag"
  log "building $image (docker/Dockerfile, target $app)"
  output="$(mktemp)"
  if ! buildah bud --layers --format docker --isolation chroot --pull=never \
      -f "$REPO_ROOT/docker/Dockerfile" --target "$app" -t "$image" "$REPO_ROOT" >"$output" 2>&1; then
    tail -n 40 "$output" >&2
    rm -f "$output"
    die "building $image failed"
  fi
  # buildah names each step's image on a line "--> <id>".
  mapfile -t -O "${#steps[@]}" steps < <(sed -n 's/^--> \([0-9a-f]\{11,\}\)$/\1/p' "$output")
  rm -f "$output"
  log "built $image: $(buildah images --format '{{.Size}}' "$image")"
done

if [ -f "$steps_file" ]; then
  untagged="$(buildah images --all --noheading --format '{{.ID}} {{.Name}}:{{.Tag}}' | awk '$2 == "<none>:<none>" { print $1 }')"
  while read -r step; do
    [ -n "$step" ] || continue
    case " ${steps[*]} " in *" $step "*) continue ;; esac
    grep -q "^$step" <<<"$untagged" && buildah rmi "$step" >/dev/null 2>&1 || true
  done <"$steps_file"
fi
mkdir -p "$(dirname "$steps_file")"
printf '%s\n' "${steps[@]}" >"$steps_file"
