#!/usr/bin/env bash
# Sets up a fresh machine and runs the whole test suite: Debian packages the tests need (test
# servers, tools), npm dependencies, a build, then `npm test`, then the container image's and the
# Home Assistant app's image's build and run (scripts/container/test-image.sh,
# scripts/addon/test-image.sh; LIFEBOAT_SKIP_CONTAINER_TEST=1 leaves both out). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages used by the tests: python3 with python3-nacl and python3-cryptography (an
# independent reader decrypts and extracts our archives with Python's tarfile, libsodium and
# OpenSSL, as Home Assistant's own stack does), sqlite3, openssl (test certificates), the real
# servers the location and MQTT tests start on 127.0.0.1 (OpenSSH for SFTP, Apache mod_dav for
# WebDAV, Mosquitto for MQTT), Chromium for the web UI tests, and libfaketime (faketime), with
# which the tests of `lifeboat serve` set the clock of the processes they start. python3-boto3 and
# python3-paramiko: test/helpers/ha_storage.py lists and writes S3 and SFTP locations as Home
# Assistant's storage integrations do, to prove Home Assistant and Lifeboat see each other's backups.
# buildah, debootstrap and debian-archive-keyring: the container test makes a Debian base image
# without an image registry and builds and runs the Dockerfile without a Docker daemon.
# systemd: `systemd-analyze verify` and `security` check the unit in deploy/systemd. nginx plays
# Home Assistant's ingress proxy in front of the add-on in the browser tests, python3-yaml reads
# the add-on's YAML files (addon/) in the tests that check them, and curl and iproute2 (ss) let
# scripts/addon/test-image.sh talk to the add-on's image from the proxy's address. The
# recorder-database tests start real MariaDB and PostgreSQL servers on 127.0.0.1.
PACKAGES=(python3 python3-nacl python3-cryptography python3-boto3 python3-paramiko python3-yaml sqlite3 openssl openssh-server apache2 apache2-utils mosquitto mosquitto-clients chromium faketime buildah debootstrap debian-archive-keyring systemd nginx curl iproute2 strace mariadb-server mariadb-client postgresql libdeflate0)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
npm run build
npm run typecheck
npm run check:deps
npm test
if [ "${LIFEBOAT_SKIP_CONTAINER_TEST:-}" != 1 ]; then
  # Both images build on one base image, made once here and removed at the end.
  AS_ROOT=""
  [ "$(id -u)" -eq 0 ] || AS_ROOT="sudo"
  $AS_ROOT scripts/container/make-base.sh localhost/lifeboat-base:test
  trap '$AS_ROOT buildah rmi localhost/lifeboat-base:test >/dev/null 2>&1 || true' EXIT
  $AS_ROOT env LIFEBOAT_REUSE_BASE=1 scripts/container/test-image.sh
  $AS_ROOT env LIFEBOAT_REUSE_BASE=1 scripts/addon/test-image.sh
fi
