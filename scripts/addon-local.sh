#!/usr/bin/env bash
# Makes a local Home Assistant app (add-on) folder of Lifeboat: the app's files (addon/) and, in its
# source/ folder, the sources its Dockerfile builds from — both as committed at HEAD. Copy the
# folder into the Supervisor's `addons` share (`/addons/lifeboat`, e.g. with the Samba or SSH app)
# and install "Lifeboat" from the app store's "Local apps"; the Supervisor builds it on the machine.
#
#   scripts/addon-local.sh <new folder>
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/addon-local.sh <new folder>}
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "addon-local: $out exists and is not empty; give a new folder" >&2
  exit 2
fi
mkdir -p "$out/source"
git archive --format=tar HEAD addon | tar -x -C "$out" --strip-components=1
git archive --format=tar HEAD package.json package-lock.json tsconfig.json scripts/bundle.mjs scripts/code-cache.mjs bin src web | tar -x -C "$out/source"
echo "Lifeboat $(node -p "require('./package.json').version") as a local app in $out"
