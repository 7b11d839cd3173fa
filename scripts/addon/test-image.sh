#!/usr/bin/env bash
# Builds the Home Assistant app's image from addon/ as the Supervisor would (the folder made by
# scripts/addon-local.sh as the build context) and runs it as the Supervisor runs it, without a
# Docker daemon: buildah builds on a base made locally by scripts/container/make-base.sh, then the
# image's entry point (tini, run.sh) starts with the Supervisor's environment (SUPERVISOR_TOKEN, a
# fake Supervisor's address), a demo installation at /homeassistant, /backup, and a /data the
# Supervisor left open to others. It checks that run.sh made /data private, that Lifeboat answers
# only the ingress proxy (127.0.0.2 here) and signs in the user it names, and that a backup lands
# in /backup, named with the Home Assistant version the Supervisor reported, with the Supervisor
# asked to reload its list.
#
#   scripts/addon/test-image.sh
#
# Removes what it made; LIFEBOAT_KEEP_IMAGES=1 keeps the images. Needs root, buildah, debootstrap,
# curl and the ingress port 8099 free (the app listens on the host's network here).
set -euo pipefail
cd "$(dirname "$0")/../.."

# LIFEBOAT_REUSE_BASE=1 builds on the container test's base (localhost/lifeboat-base:test) when it exists.
BASE=localhost/lifeboat-addon-base:test
made_base=""
if [ "${LIFEBOAT_REUSE_BASE:-}" = 1 ] && buildah inspect --type image localhost/lifeboat-base:test >/dev/null 2>&1; then
  BASE=localhost/lifeboat-base:test
fi
IMAGE=localhost/lifeboat-addon:test
PORT=8099
PROXY=127.0.0.2
CORE_VERSION=2026.9.2

say() { printf 'addon-image-test: %s\n' "$*"; }
fail() {
  printf 'addon-image-test: FAILED: %s\n' "$*" >&2
  [ -z "${work:-}" ] || { tail -n 20 "$work/run.log" 2>/dev/null >&2 || true; }
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "needs root (buildah, debootstrap)"
for tool in buildah debootstrap node curl ss; do command -v "$tool" >/dev/null || fail "$tool is missing"; done
if ss -ltn "sport = :$PORT" | grep -q LISTEN; then fail "port $PORT is in use"; fi

work=$(mktemp -d /var/tmp/lifeboat-addon-test.XXXXXX)
chmod 755 "$work"
ctr=""
run_pid=""
fake_pid=""
# The app's process on the ingress port (buildah's chroot runs do not always end with buildah).
app_pid() { ss -ltnpH "sport = :$PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1; }
cleanup() {
  local rc=$?
  [ -z "$run_pid" ] || kill "$run_pid" 2>/dev/null || true
  local pid
  pid=$(app_pid)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  [ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true
  [ -z "$ctr" ] || buildah rm "$ctr" >/dev/null 2>&1 || true
  if [ "${LIFEBOAT_KEEP_IMAGES:-}" != 1 ]; then
    buildah rmi "$IMAGE" >/dev/null 2>&1 || true
    [ -z "$made_base" ] || buildah rmi "$BASE" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  if [ "$rc" -ne 0 ]; then say "failed (exit $rc); cleaned up"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the image, built from the local app folder ----
if [ "$BASE" = localhost/lifeboat-base:test ]; then
  say "using the base image $BASE made earlier"
else
  scripts/container/make-base.sh "$BASE" >"$work/base.log" 2>&1 || { tail -n 20 "$work/base.log" >&2; fail "making the base image"; }
  made_base=1
fi
scripts/addon-local.sh "$work/app" >/dev/null
say "building addon/Dockerfile on $BASE …"
(cd "$work/app" && buildah bud --isolation chroot --format docker --build-arg BUILD_FROM="$BASE" -t "$IMAGE" -f Dockerfile .) >"$work/build.log" 2>&1 \
  || { tail -n 40 "$work/build.log" >&2; fail "buildah bud"; }
say "built $IMAGE: $(buildah images --format '{{.Size}}' "$IMAGE")"

# ---- what the Supervisor gives the app ----
mkdir -p "$work/backup" "$work/data"
chmod 755 "$work/data" # as the Supervisor creates it: not private
echo '{"mqtt_discovery": false, "log_level": "info"}' >"$work/data/options.json"
node --import tsx src/cli/main.ts demo init "$work/homeassistant" --db-mib 2 >/dev/null || fail "demo init"
node --import tsx test/servers/fake-supervisor-main.ts "$work/supervisor.json" "$CORE_VERSION" >"$work/supervisor.out" 2>&1 &
fake_pid=$!
for _ in $(seq 1 100); do [ -s "$work/supervisor.json" ] && break; sleep 0.1; done
[ -s "$work/supervisor.json" ] || fail "the fake Supervisor did not start"
sup_url=$(node -p "require('$work/supervisor.json').url")
sup_token=$(node -p "require('$work/supervisor.json').token")

# ---- the app, started as its image says: tini, run.sh ----
ctr=$(buildah from "$IMAGE")
entrypoint=$(buildah inspect --type image "$IMAGE" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { const c = JSON.parse(s).Docker.config; console.log([...c.Entrypoint, ...c.Cmd].join(" ")); })')
[ "$entrypoint" = "/usr/bin/tini -- /run.sh" ] || fail "the image starts '$entrypoint', not tini and run.sh"
libdeflate_loads="const { libdeflate } = await import('/app/dist/archive/libdeflate.js'); if (!libdeflate()) process.exit(1)"
buildah run --isolation chroot "$ctr" -- node --input-type=module -e "$libdeflate_loads" || fail "libdeflate (koffi and libdeflate.so.0) cannot be loaded in the image"
say "backups are compressed with libdeflate"
buildah run --isolation chroot --network host \
  -v "$work/homeassistant:/homeassistant" -v "$work/backup:/backup" -v "$work/data:/data" \
  --env SUPERVISOR_TOKEN="$sup_token" --env LIFEBOAT_SUPERVISOR_URL="$sup_url" --env LIFEBOAT_INGRESS_PROXY="$PROXY" \
  "$ctr" -- $entrypoint >"$work/run.log" 2>&1 &
run_pid=$!
for _ in $(seq 1 120); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.5; done
curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" || fail "the app does not answer on port $PORT"
say "the app answers on port $PORT"

mode=$(stat -c %a "$work/data")
[ "$mode" = 700 ] || fail "run.sh left /data with mode $mode"
say "run.sh made /data private (700)"

user=(-H 'X-Remote-User-Id: 6d5c4b3a' -H 'X-Remote-User-Name: ada')
direct=$(curl -s -o /dev/null -w '%{http_code}' "${user[@]}" "http://127.0.0.1:$PORT/api/states")
[ "$direct" = 403 ] || fail "a request from 127.0.0.1 with user headers got $direct, not 403"
proxied=$(curl -s -o /dev/null -w '%{http_code}' --interface "$PROXY" "${user[@]}" "http://127.0.0.1:$PORT/api/states")
[ "$proxied" = 200 ] || fail "a request from the proxy's address got $proxied, not 200"
say "only the ingress proxy is answered (403 from elsewhere, 200 from $PROXY with the user)"

code=$(curl -s -o /dev/null -w '%{http_code}' --interface "$PROXY" "${user[@]}" -X POST "http://127.0.0.1:$PORT/api/services/backup/create")
[ "$code" = 200 ] || fail "backup.create through the proxy got $code"
tar=$(ls "$work/backup"/*.tar 2>/dev/null | head -n 1)
[ -n "$tar" ] || fail "no backup in /backup"
case "$(basename "$tar")" in *"_${CORE_VERSION}_"*) ;; *) fail "the backup $(basename "$tar") is not named with the Supervisor's version $CORE_VERSION" ;; esac
for _ in $(seq 1 100); do grep -q '^POST /backups/reload$' "$work/supervisor.json.log" && break; sleep 0.1; done
grep -q '^POST /backups/reload$' "$work/supervisor.json.log" || fail "the Supervisor was not asked to reload its backups: $(tr '\n' ' ' <"$work/supervisor.json.log")"
say "a backup landed in /backup as $(basename "$tar") and the Supervisor reloaded its list"
say "passed"
