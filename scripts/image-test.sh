#!/usr/bin/env bash
# Builds the container image from deploy/docker/Dockerfile with podman and starts it.
#
# No image registry is reachable here, so the base images are made locally: a Debian bookworm
# minbase (debootstrap) as the runtime base, and the same plus gcc, this machine's Rust
# toolchain and its Node.js as the build base (for both the Rust and the web stage). Crates and
# npm packages are still downloaded from their registries by the build. `podman run` is refused
# by the sandbox, so the image's own entry point and command are started with `podman mount` +
# `chroot`, as the image's user, with the image's environment, on a read-only root; `/health`
# and `/ready` must answer and the image's HEALTHCHECK command must pass. Also checks: the
# non-root user, the web directory, the volumes, a clean exit on SIGTERM.
# Needs root. First run about 7 minutes (debootstrap and a release build on two cores); with
# podman's layer cache, a source change rebuilds only our crates (~1.5 min) and no change ~3 s.
#
#   KONQER_IMAGE_CACHE   where the base root filesystems are kept (default /var/tmp/konqer-image)
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${KONQER_IMAGE_CACHE:-/var/tmp/konqer-image}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
port=$(free_port)
admin_port=$(free_port)
image=localhost/konqer:test
base=localhost/konqer-base:bookworm
builder=localhost/konqer-rust:bookworm
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }

[ "$(id -u)" -eq 0 ] || { echo "image-test: needs root (debootstrap, podman mount, chroot)" >&2; exit 1; }
want=()
command -v podman >/dev/null || want+=(podman)
command -v debootstrap >/dev/null || want+=(debootstrap)
if [ ${#want[@]} -gt 0 ]; then
  echo "installing: ${want[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi

# ---- base images ------------------------------------------------------------------------
mkdir -p "$cache"
rootfs() { # name [packages] — a cached debootstrap root filesystem
  local dir="$cache/$1"
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"
    echo "image-test: debootstrap $1 ${2:+(with $2)}"
    debootstrap --variant=minbase ${2:+--include="$2"} bookworm "$dir" http://deb.debian.org/debian >"$cache/$1.log" 2>&1 \
      || { tail -n 20 "$cache/$1.log" >&2; exit 1; }
    rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
    touch "$dir/.complete"
  fi
}
import() { # dir tag [--change …]
  local dir=$1 tag=$2
  shift 2
  tar --exclude=./.complete -C "$dir" -c . | podman import --quiet "$@" - "$tag" >/dev/null
}
if ! podman image exists "$base"; then
  rootfs runtime
  import "$cache/runtime" "$base"
fi
if ! podman image exists "$builder"; then
  rootfs builder gcc,libc6-dev,libstdc++6,ca-certificates
  toolchain=$(rustc --print sysroot)
  node=$(command -v node)
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  echo "image-test: adding Rust $(rustc --version | cut -d' ' -f2) from $toolchain and Node.js $(node --version)"
  staging="$cache/builder-with-tools"
  rm -rf "$staging"
  cp -a "$cache/builder" "$staging"
  tar -C "$toolchain" --exclude=./share/doc -c . | tar -C "$staging/usr/local" -x
  install -D -m 0755 "$node" "$staging/usr/local/bin/node"
  mkdir -p "$staging/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$staging/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$staging/usr/local/bin/npm"
  # The build downloads crates and npm packages through this machine's network, so it trusts
  # what this machine trusts (an intercepting proxy's CA included). Build base only: the
  # runtime image keeps Debian's store (the binary itself uses webpki roots).
  cp /etc/ssl/certs/ca-certificates.crt "$staging/etc/ssl/certs/ca-certificates.crt"
  import "$staging" "$builder" --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$staging"
fi
echo "image-test: base images ready ($(elapsed))"

# ---- build ------------------------------------------------------------------------------
build_start=$(date +%s)
# The host's crate cache is lent to the build (a volume, never part of a layer), so crates are
# not downloaded again; the layers are cached by podman between runs.
# Docker format: the OCI format has no HEALTHCHECK.
podman rmi -f "$image" >/dev/null 2>&1 || true
if ! podman build --isolation=chroot --layers --format docker \
  -f deploy/docker/Dockerfile --ignorefile deploy/docker/Dockerfile.dockerignore \
  --build-arg RUST_IMAGE="$builder" --build-arg NODE_IMAGE="$builder" --build-arg RUNTIME_IMAGE="$base" \
  -v "${CARGO_HOME:-$HOME/.cargo}/registry:/root/.cargo/registry" \
  -t "$image" . >"$cache/build.log" 2>&1; then
  grep -vE '^ +(Compiling|Downloaded) ' "$cache/build.log" | tail -n 40 >&2
  echo "image-test: the build failed (log: $cache/build.log)" >&2
  exit 1
fi
grep -E '^(STEP|COMMIT|--> Using cache)' "$cache/build.log" | sed 's/^/    /' | tail -n 40
echo "image-test: image built in $(($(date +%s) - build_start)) s ($(podman image inspect "$image" --format '{{.Size}}' | awk '{printf "%.0f MB", $1 / 1e6}'))"

# ---- inspect ----------------------------------------------------------------------------
config=$(podman image inspect "$image" --format '{{json .Config}}')
field() { python3 -c 'import json,sys; c=json.loads(sys.argv[1]); print(json.dumps(c.get(sys.argv[2])))' "$config" "$1"; }
user=$(field User | tr -d '"')
[ "$user" = "10001:10001" ] || { echo "image-test: the image must run as 10001:10001, not '$user'" >&2; exit 1; }
[ "$(field Entrypoint)" = '["/usr/local/bin/konqer"]' ] || { echo "image-test: entry point $(field Entrypoint)" >&2; exit 1; }
[ "$(field Cmd)" = '["serve"]' ] || { echo "image-test: command $(field Cmd)" >&2; exit 1; }
field Volumes | grep -q /var/lib/konqer || { echo "image-test: /var/lib/konqer must be a volume" >&2; exit 1; }
healthcheck=$(podman image inspect "$image" --format '{{json .HealthCheck}}')
echo "$healthcheck" | grep -q '/health' || { echo "image-test: no HEALTHCHECK on /health" >&2; exit 1; }

# ---- run the entry point ----------------------------------------------------------------
container=$(podman create "$image")
mnt=""
pid=""
cleanup() {
  local rc=$?
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  if [ -n "$mnt" ]; then
    for m in proc dev tmp var/lib/konqer; do umount "$mnt/$m" 2>/dev/null || true; done
    umount "$mnt" 2>/dev/null || true
  fi
  podman umount "$container" >/dev/null 2>&1 || true
  podman rm -f "$container" >/dev/null 2>&1 || true
  exit $rc
}
trap cleanup EXIT INT TERM
mnt=$(podman mount "$container")
[ -x "$mnt/usr/local/bin/konqer" ] || { echo "image-test: no /usr/local/bin/konqer in the image" >&2; exit 1; }
[ -d "$mnt/srv/konqer/web" ] || { echo "image-test: no web directory in the image" >&2; exit 1; }
# What Kubernetes gives the pod: a read-only root (`readOnlyRootFilesystem: true`), /proc, a
# minimal /dev, and writable volumes for the data directory and /tmp (owned by the image's user).
mount --bind "$mnt" "$mnt"
mount -o remount,bind,ro "$mnt"
if touch "$mnt/.rw-probe" 2>/dev/null; then
  rm -f "$mnt/.rw-probe"
  echo "image-test: could not make the root read-only" >&2
  exit 1
fi
mount -t proc proc "$mnt/proc"
mount --bind /dev "$mnt/dev"
mount -t tmpfs -o size=64m tmpfs "$mnt/tmp"
mount -t tmpfs -o size=64m,uid=10001,gid=10001 tmpfs "$mnt/var/lib/konqer"
mapfile -t env < <(python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1]).get("Env") or []))' "$config")
entry=$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); print(" ".join(c["Entrypoint"] + c["Cmd"]))' "$config")
workdir=$(field WorkingDir | tr -d '"')
# The image listens on 0.0.0.0:4000/4001; here the host's network is shared, so the test moves
# the listeners to free loopback ports (an override any deployment may make).
# shellcheck disable=SC2086 # the entry point is split into words, as the runtime would
env -i "${env[@]}" KONQER_LISTEN="127.0.0.1:$port" KONQER_ADMIN_LISTEN="127.0.0.1:$admin_port" \
  chroot --userspec=10001:10001 "$mnt" /bin/sh -c "cd $workdir && exec $entry" >"$cache/run.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/health" && break
  kill -0 "$pid" 2>/dev/null || { echo "image-test: the entry point exited:" >&2; cat "$cache/run.log" >&2; exit 1; }
  sleep 0.2
done
health=$(curl -fsS "http://127.0.0.1:$port/health")
ready=$(curl -fsS "http://127.0.0.1:$port/ready")
curl -fsS -o /dev/null "http://127.0.0.1:$admin_port/metrics"
# The image's HEALTHCHECK command, run inside the image against the default port: point it
# at the test port instead.
check_cmd=$(python3 -c 'import json,sys; h=json.loads(sys.argv[1]); print(h["Test"][-1])' "$healthcheck" | sed "s#/127.0.0.1/4000#/127.0.0.1/$port#")
chroot --userspec=10001:10001 "$mnt" bash -c "$check_cmd" || { echo "image-test: the HEALTHCHECK command failed" >&2; exit 1; }
whoami_in=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
kill -TERM "$pid"
wait "$pid" && code=0 || code=$?
pid=""
[ "$code" -eq 0 ] || { echo "image-test: konqer exited with $code after SIGTERM:" >&2; tail -n 20 "$cache/run.log" >&2; exit 1; }
echo "image-test: the image's entry point served /health ($health) and /ready ($ready) as uid ${whoami_in:-?} on a read-only root, passed its HEALTHCHECK, and stopped cleanly on SIGTERM"
echo "image-test: ok in $(elapsed)"
