// A real PostgreSQL 15 server for tests, standing in for the external database of a Home Assistant
// recorder: `initdb` into a temp folder and `postgres` on a free port of 127.0.0.1 with its socket
// in that folder, run as the `postgres` user (it refuses root), fsync off. The role `hass` (see
// database-server.ts; its password required on TCP and socket) owns the database `homeassistant`;
// the superuser `postgres` signs in on the socket without one.

import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { HASS_DATABASE, HASS_PASSWORD, HASS_USER, type DatabaseServer } from './database-server.js';
import { freePort } from './net-helpers.js';
import { serverControls, spawnServer } from './server-process.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresqlServer extends DatabaseServer {
  readonly kind: 'postgresql';
  /** The folder holding the socket (`.s.PGSQL.PORT`). */
  socketDir: string;
  /** postgresql://hass:<percent-encoded password>@127.0.0.1:PORT/homeassistant */
  url: string;
  /** postgresql://hass:…@/homeassistant?host=SOCKET_DIR&port=PORT (the socket file is named by the port) */
  socketUrl: string;
}

async function postgresUser(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function start(): Promise<PostgresqlServer> {
  // Under /tmp itself (not $TMPDIR, which may sit in root's home): the postgres user must reach it.
  const dir = await mkdtemp('/tmp/lifeboat-postgresql-');
  await chmod(dir, 0o755);
  const owner = await postgresUser();
  if (owner) await chown(dir, owner.uid, owner.gid);
  const dataDir = join(dir, 'data');
  const env = { PATH: process.env.PATH, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', HOME: dir };
  const asPostgres = { cwd: dir, env, uid: owner?.uid, gid: owner?.gid };
  await new Promise<void>((resolve, reject) =>
    execFile(`${BIN}/initdb`, ['-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--auth-local=trust', '--auth-host=scram-sha-256'], asPostgres, (err, _out, stderr) =>
      err ? reject(new Error(`initdb failed: ${stderr}`)) : resolve(),
    ),
  );
  await writeFile(
    join(dataDir, 'pg_hba.conf'),
    ['local all postgres trust', 'local all all scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'),
  );
  const port = await freePort();
  const log = join(dir, 'postgres.log');
  await writeFile(log, '');
  if (owner) await chown(log, owner.uid, owner.gid);
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    full_page_writes: 'off',
    shared_buffers: '128MB',
    max_wal_size: '1GB',
    max_connections: '50',
  };
  const server = await spawnServer(
    `${BIN}/postgres`,
    ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    { log, ...asPostgres },
  );
  const superuser = (database: string) => ({ host: dir, port, user: 'postgres', database });
  try {
    await server.waitUntil(async () => {
      const client = new pg.Client(superuser('postgres'));
      await client.connect();
      await client.end();
      return true;
    }, 'accepting connections');
    const setup = new pg.Client(superuser('postgres'));
    await setup.connect();
    try {
      await setup.query(`CREATE ROLE ${HASS_USER} LOGIN PASSWORD '${HASS_PASSWORD.replaceAll("'", "''")}'`);
      await setup.query(`CREATE DATABASE ${HASS_DATABASE} OWNER ${HASS_USER} ENCODING 'UTF8'`);
    } finally {
      await setup.end();
    }
    const pool = new pg.Pool({ ...superuser(HASS_DATABASE), max: 2 });
    pool.on('error', () => undefined); // an idle client losing its server (kill) is no test failure
    const password = encodeURIComponent(HASS_PASSWORD);
    return {
      kind: 'postgresql',
      port,
      socketDir: dir,
      dataDir,
      user: HASS_USER,
      password: HASS_PASSWORD,
      database: HASS_DATABASE,
      url: `postgresql://${HASS_USER}:${password}@127.0.0.1:${port}/${HASS_DATABASE}`,
      socketUrl: `postgresql://${HASS_USER}:${password}@/${HASS_DATABASE}?host=${dir}&port=${port}`,
      query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
      // SIGINT: the fast shutdown, which ends sessions instead of waiting for them.
      ...serverControls(server, dir, 'SIGINT', () => pool.end()),
    };
  } catch (err) {
    await server.kill();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
