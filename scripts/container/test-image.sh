#!/usr/bin/env bash
# Builds Lifeboat's container image from the repository's Dockerfile and proves it works, without
# a Docker daemon: buildah builds it (chroot isolation) on a base made locally by make-base.sh, then
# runs it with a demo installation at /config and a private /data: `lifeboat --version`, a backup,
# a restore that brings back a file changed after the backup, `serve` answering /healthz from the
# host and the image's own HEALTHCHECK from inside, the Host allowlist refusing a foreign name, and
# the entry point started as root handing a fresh /data to the owner of /config. It also checks the
# image's settings (non-root user, volumes, port, health check) and that no compiler made it into
# the runtime stage, and prints the image's size and how long each part took.
#
#   scripts/container/test-image.sh
#
# Fails at the first step that fails, and removes what it made (containers, images, folders);
# LIFEBOAT_KEEP_IMAGES=1 keeps the images, LIFEBOAT_REUSE_BASE=1 uses a base image made earlier.
# Needs root, buildah and debootstrap (scripts/test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."

BASE=localhost/lifeboat-base:test
IMAGE=localhost/lifeboat:test
VERSION=$(node -p 'require("./package.json").version')

say() { printf 'container-test: %s\n' "$*"; }
fail() {
  printf 'container-test: FAILED: %s\n' "$*" >&2
  exit 1
}
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" -eq 0 ] || fail "needs root (buildah, debootstrap)"
for tool in buildah debootstrap node; do command -v "$tool" >/dev/null || fail "$tool is missing"; done

work=$(mktemp -d /var/tmp/lifeboat-container-test.XXXXXX)
chmod 755 "$work"
ctr=""
serve_pid=""
made_base=""
stop_serve() {
  if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  serve_pid=""
}
cleanup() {
  local rc=$?
  stop_serve
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

started=$(now)

# ---- the base ----
t=$(now)
if [ "${LIFEBOAT_REUSE_BASE:-}" = 1 ] && buildah inspect --type image "$BASE" >/dev/null 2>&1; then
  say "using the base image $BASE made earlier"
else
  scripts/container/make-base.sh "$BASE" || fail "making the base image"
  made_base=1
fi
base_s=$(took "$t")

# ---- the build ----
t=$(now)
say "building the Dockerfile on $BASE …"
# docker format: OCI image configs have no HEALTHCHECK.
if ! buildah bud --isolation chroot --format docker --build-arg BUILD_FROM="$BASE" -t "$IMAGE" -f Dockerfile . >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  fail "buildah bud"
fi
build_s=$(took "$t")
size=$(buildah images --format '{{.Size}}' "$IMAGE")
base_size=$(buildah images --format '{{.Size}}' "$BASE")
say "built $IMAGE: $size (the base: $base_size)"

# ---- runs ----
t=$(now)
config=$(buildah inspect --type image "$IMAGE" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.stringify(JSON.parse(s).Docker.config)))')
node -e '
  const c = JSON.parse(process.argv[1]);
  const need = (ok, what) => { if (!ok) { console.error(`container-test: FAILED: image config: ${what}`); process.exit(1); } };
  need(c.User && !/^(0|root)(:|$)/.test(c.User), `runs as a non-root user (User=${c.User})`);
  need(c.Volumes && "/config" in c.Volumes && "/data" in c.Volumes, "declares the volumes /config and /data");
  need(c.ExposedPorts && "8124/tcp" in c.ExposedPorts, "exposes 8124");
  need(c.Healthcheck && c.Healthcheck.Test && c.Healthcheck.Test.join(" ").includes("/healthz"), "has a HEALTHCHECK on /healthz");
  for (const e of ["LIFEBOAT_CONFIG=/config", "LIFEBOAT_DATA=/data", "LIFEBOAT_HOST=0.0.0.0"]) need(c.Env.includes(e), e);
  need(JSON.stringify(c.Cmd) === "[\"serve\"]", "CMD is serve");
' "$config"
image_user=$(node -e 'console.log(JSON.parse(process.argv[1]).User)' "$config")
uid=${image_user%%:*}
gid=${image_user##*:}
say "image config: user $image_user, volumes /config and /data, port 8124, health check on /healthz"

ctr=$(buildah from "$IMAGE")
# buildah 1.28 mounts an empty volume over every VOLUME of the image, hiding the folders given with
# -v; this working container drops them, so the folders below are what /config and /data are.
buildah config --volume /config- --volume /data- "$ctr"
mkdir -p "$work/config" "$work/data"
chown "$uid:$gid" "$work/config" "$work/data"
chmod 700 "$work/data"
run() { buildah run --isolation chroot -v "$work/config:/config" -v "$work/data:/data" "$@"; }

got=$(run "$ctr" -- lifeboat --version) || fail "lifeboat --version"
[ "$got" = "$VERSION" ] || fail "lifeboat --version printed '$got', expected $VERSION"
say "lifeboat --version: $got"
# The program starts from the code cache the image's build made, under the launcher's Node.js flags.
flags=$(sed -n 's/.*${LIFEBOAT_NODE_FLAGS-\([^}]*\)}.*/\1/p' bin/lifeboat)
[ -n "$flags" ] || fail "bin/lifeboat: its default Node.js flags were not found"
# shellcheck disable=SC2086 # the flags are meant to be split into words
cache=$(run "$ctr" -- node $flags --input-type=module -e "const { loadProgram } = await import('/app/dist/cli/cached-program.js'); process.stdout.write(loadProgram('/app/dist/bundle').cache)") ||
  fail "loading the program with its code cache"
[ "$cache" = used ] || fail "the program does not start from its code cache (${cache:-no answer})"
say "the program starts from its code cache (flags: $flags)"
for tool in mariadb-dump mariadb pg_dump psql; do
  v=$(run "$ctr" -- "$tool" --version) || fail "$tool (a recorder database client) is missing from the image"
  say "$tool: ${v%%$'\n'*}"
done

libdeflate_loads="const { libdeflate } = await import('/app/dist/archive/libdeflate.js'); if (!libdeflate()) process.exit(1)"
run "$ctr" -- node --input-type=module -e "$libdeflate_loads" || fail "libdeflate (koffi and libdeflate.so.0) cannot be loaded in the image"
say "backups are compressed with libdeflate"

for tool in g++ make python3; do
  if run "$ctr" -- sh -c "command -v $tool" >/dev/null 2>&1; then fail "$tool is in the runtime image"; fi
done
say "no compiler, make or python3 in the runtime image"

run "$ctr" -- lifeboat demo init /config >/dev/null || fail "lifeboat demo init /config"
created=$(run "$ctr" -- lifeboat backup create --name "Container test" --json) || fail "lifeboat backup create"
backup_id=$(node -e 'console.log(JSON.parse(process.argv[1]).backup_id)' "$created")
[ -n "$(ls "$work/config/backups/"*.tar 2>/dev/null)" ] || fail "no backup file in /config/backups"
say "backup create: $backup_id"

cp "$work/config/configuration.yaml" "$work/configuration.yaml.before"
echo "# changed after the backup" >"$work/config/configuration.yaml"
run "$ctr" -- lifeboat restore "$backup_id" --yes >/dev/null || fail "lifeboat restore $backup_id"
cmp -s "$work/config/configuration.yaml" "$work/configuration.yaml.before" || fail "the restore did not bring configuration.yaml back"
say "restore: configuration.yaml changed after the backup is back as it was"

# serve, as the image starts it (entry point and CMD), on a free port of the shared network.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
entrypoint=$(node -e 'const c = JSON.parse(process.argv[1]); console.log([...c.Entrypoint, ...c.Cmd].join(" "))' "$config")
# buildah itself in the background (not a function's subshell), so that stopping it stops serve.
buildah run --isolation chroot -v "$work/config:/config" -v "$work/data:/data" --env LIFEBOAT_PORT="$port" "$ctr" -- $entrypoint >"$work/serve.log" 2>&1 &
serve_pid=$!
if ! node -e '
  const url = process.argv[1];
  const deadline = Date.now() + 60_000;
  const poll = () => fetch(url).then((r) => r.status === 200 ? r.text().then((t) => { console.log(t); process.exit(0); }) : retry(), retry);
  const retry = () => { if (Date.now() > deadline) process.exit(1); setTimeout(poll, 200); };
  poll();
' "http://127.0.0.1:$port/healthz" >"$work/healthz.txt"; then
  tail -n 20 "$work/serve.log" >&2
  fail "serve did not answer /healthz with 200 within 60 s"
fi
say "serve: /healthz from the host: 200 $(cat "$work/healthz.txt")"
healthcheck=$(node -e 'const t = JSON.parse(process.argv[1]).Healthcheck.Test; console.log(JSON.stringify(t.slice(1)))' "$config")
mapfile -t hc < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$healthcheck")
run --env LIFEBOAT_PORT="$port" "$ctr" -- "${hc[@]}" || fail "the image's HEALTHCHECK command failed against the running serve"
say "serve: the image's HEALTHCHECK passes inside the container"
status=$(node -e '
  require("http").get({ host: "127.0.0.1", port: Number(process.argv[1]), path: "/api/", headers: { host: "attacker.example" } }, (r) => { console.log(r.statusCode); r.resume(); })
    .on("error", () => console.log("error"));
' "$port")
[ "$status" = 421 ] || fail "a request for a foreign host name got $status, expected 421"
say "serve: a request for a foreign host name is refused (421), although it listens on 0.0.0.0"
stop_serve
node -e '
  const net = require("net");
  const deadline = Date.now() + 10_000;
  const probe = () => net.connect(Number(process.argv[1]), "127.0.0.1").on("connect", function () { this.destroy(); if (Date.now() > deadline) process.exit(1); setTimeout(probe, 200); }).on("error", () => process.exit(0));
  probe();
' "$port" || fail "serve still answers after its container process was stopped"
say "serve: stopped"

# Started as root (compose user: "0:0"): runs as the owner of /config and hands it an empty /data.
mkdir -p "$work/data-fresh"
chmod 755 "$work/data-fresh"
buildah run --isolation chroot --user 0:0 -v "$work/config:/config" -v "$work/data-fresh:/data" "$ctr" -- lifeboat-entrypoint backup list >/dev/null ||
  fail "the entry point started as root"
owner=$(stat -c '%u:%g %a' "$work/data-fresh")
[ "$owner" = "$uid:$gid 700" ] || fail "started as root, the entry point left /data as $owner, expected $uid:$gid 700"
[ -n "$(ls -A "$work/data-fresh")" ] || fail "started as root, Lifeboat wrote nothing into /data"
[ -z "$(find "$work/data-fresh" ! -uid "$uid")" ] || fail "started as root, Lifeboat did not run as the owner of /config: $(find "$work/data-fresh" ! -uid "$uid" | head -3)"
say "entry point as root: ran Lifeboat as the owner of /config ($uid) and gave it the empty /data (0700)"
run_s=$(took "$t")

say "image $IMAGE: $size (base $base_size)"
say "timings: base ${base_s} s, build ${build_s} s, runs ${run_s} s, total $(took "$started") s"
say "passed"
