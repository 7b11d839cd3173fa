#!/bin/sh
# The container image's entry point: runs `lifeboat` with the arguments given (the image's CMD is
# `serve`) as the user that should own Lifeboat's files.
#
# By default the image runs as the unprivileged user 1000, and this only starts Lifeboat. Started
# as root (compose `user: "0:0"`, docker run --user 0:0) — needed when the config folder belongs
# to another user, as with Home Assistant's own container, which runs as root — it runs Lifeboat
# as the owner of /config (or as $PUID:$PGID when set; root when /config is root's), so Lifeboat
# can read every file Home Assistant writes and replace them on a restore. An empty /data (a fresh
# volume) is then handed to that user with mode 0700; a /data that already holds something is
# never changed here: Lifeboat checks it and says how to fix it.
set -eu

if [ "$(id -u)" = 0 ]; then
  uid=${PUID:-$(stat -c %u "${LIFEBOAT_CONFIG:-/config}" 2>/dev/null || echo 0)}
  gid=${PGID:-$(stat -c %g "${LIFEBOAT_CONFIG:-/config}" 2>/dev/null || echo 0)}
  data=${LIFEBOAT_DATA:-/data}
  if [ -d "$data" ] && [ -z "$(ls -A "$data")" ]; then
    chown "$uid:$gid" "$data"
    chmod 700 "$data"
  fi
  if [ "$uid" != 0 ]; then
    # Supplementary groups given to the container (e.g. the docker socket's group) are kept; root's are not.
    groups=$(id -G | tr ' ' '\n' | grep -vx 0 | paste -sd, -)
    if [ -n "$groups" ]; then set -- --groups="$groups" lifeboat "$@"; else set -- --clear-groups lifeboat "$@"; fi
    exec setpriv --reuid="$uid" --regid="$gid" "$@"
  fi
fi
exec lifeboat "$@"
