#!/bin/sh
# The app's entry point under the Supervisor (started by tini, see the Dockerfile). Lifeboat finds
# everything else itself: app mode from SUPERVISOR_TOKEN, the options in /data/options.json, the
# folders from the image's environment (LIFEBOAT_CONFIG=/homeassistant, LIFEBOAT_DATA=/data,
# LIFEBOAT_BACKUPS=/backup). It listens on the ingress port and answers only the Supervisor's
# ingress proxy (172.30.32.2).
set -eu

# /data holds Lifeboat's keys; Lifeboat refuses a data folder other users could read. The
# Supervisor creates it for the app, owned by root (whom the app runs as), but not private.
chmod 700 /data

exec lifeboat serve --host 0.0.0.0 --port 8099
