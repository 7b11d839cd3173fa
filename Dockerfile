# Lifeboat's container image: `lifeboat serve` (web UI, API, automatic backups) beside a Home
# Assistant installation mounted at /config, with Lifeboat's own state in /data.
#
#   docker build -t lifeboat .
#   docker run -d --name lifeboat -p 127.0.0.1:8124:8124 \
#     -v /path/to/homeassistant/config:/config -v lifeboat-data:/data lifeboat
#
# The base is an argument, as in Home Assistant's own images: any Debian-based image with Node.js
# 20.19 or later under /usr/local, laid out as the official node images are (node, npm, and
# Node's headers in /usr/local/include/node). The tests build it on a base made locally
# (scripts/container/make-base.sh). See the README's "Install → In a container".
ARG BUILD_FROM=docker.io/library/node:20-bookworm-slim

# ---- build: compile the native modules, build dist/, keep only the production dependencies ----
FROM ${BUILD_FROM} AS build

# Compilers for better-sqlite3's native module. They stay in this stage.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

# node-gyp compiles against the headers that come with Node.js in the base, and downloads none.
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts run only for the packages that need them (as package.json's allowScripts says):
# better-sqlite3 is compiled here from its source (its prebuilt binaries are downloads, which a
# build must not depend on); argon2 takes the binary shipped inside its package, or compiles.
RUN npm ci --ignore-scripts \
  && npm rebuild better-sqlite3 --build-from-source \
  && npm rebuild argon2 esbuild

COPY tsconfig.json ./
COPY scripts/bundle.mjs scripts/code-cache.mjs ./scripts/
COPY bin ./bin
COPY src ./src
COPY web ./web
# Then the development dependencies go; of better-sqlite3 only the compiled module is kept.
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts \
  && cd node_modules/better-sqlite3 \
  && rm -rf deps src build/Release/obj build/Release/obj.target build/Release/.deps build/Release/test_extension.node build/Release/sqlite3.a build/deps \
  && node -e "require('better-sqlite3')(':memory:').close()"

# ---- runtime: Node.js, the built application and its production dependencies, nothing else ----
FROM ${BUILD_FROM} AS runtime

# The database clients of the recorder databases Lifeboat dumps and loads (MariaDB/MySQL and
# PostgreSQL: mariadb-dump, mariadb, pg_dump, psql), and libdeflate, which compresses backups.
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-client postgresql-client libdeflate0 \
  && rm -rf /var/lib/apt/lists/*

# The user Lifeboat runs as by default. Where a user with this id exists already (`node` in the
# official node images) it is used as it is. /data holds keys: private to that user, as Lifeboat
# requires (a new named volume starts out as this folder is).
ARG LIFEBOAT_UID=1000
ARG LIFEBOAT_GID=1000
RUN set -eu; \
  getent group "${LIFEBOAT_GID}" >/dev/null || groupadd --gid "${LIFEBOAT_GID}" lifeboat; \
  getent passwd "${LIFEBOAT_UID}" >/dev/null \
    || useradd --uid "${LIFEBOAT_UID}" --gid "${LIFEBOAT_GID}" --no-create-home --home-dir /data --shell /usr/sbin/nologin lifeboat; \
  install -d -m 0700 -o "${LIFEBOAT_UID}" -g "${LIFEBOAT_GID}" /data; \
  install -d -m 0755 /config

WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/node_modules ./node_modules
COPY container/entrypoint.sh /usr/local/bin/lifeboat-entrypoint
RUN chmod 0755 /usr/local/bin/lifeboat-entrypoint ./bin/lifeboat \
  && ln -s /app/bin/lifeboat /usr/local/bin/lifeboat \
  && lifeboat --version

# Inside the container Lifeboat listens on every address; publish the port on the host's
# 127.0.0.1 (-p 127.0.0.1:8124:8124) unless other machines must reach it. Names other than
# localhost and 127.0.0.1 must be allowed (--allowed-host or the allowed_hosts setting).
ENV NODE_ENV=production \
    LIFEBOAT_CONFIG=/config \
    LIFEBOAT_DATA=/data \
    LIFEBOAT_HOST=0.0.0.0 \
    LIFEBOAT_PORT=8124

VOLUME ["/config", "/data"]
EXPOSE 8124
USER ${LIFEBOAT_UID}:${LIFEBOAT_GID}

# /healthz answers whatever the host name; node itself asks, no curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.LIFEBOAT_PORT || 8124}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["lifeboat-entrypoint"]
CMD ["serve"]
