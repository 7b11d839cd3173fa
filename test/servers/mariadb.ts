// A real MariaDB server for tests, standing in for the external database of a Home Assistant
// recorder: `mariadb-install-db` into a temp folder, `mariadbd --no-defaults` on a free port of
// 127.0.0.1 and a socket in that folder, small buffers, no binary log. A database `homeassistant`
// and a user `hass` (see database-server.ts) owning it and the helper databases a restore makes
// (`homeassistant__lifeboat…`).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { HASS_DATABASE, HASS_PASSWORD, HASS_USER, type DatabaseServer } from './database-server.js';
import { freePort } from './net-helpers.js';
import { serverControls, spawnServer } from './server-process.js';

const run = promisify(execFile);

/** How mysql2 connections return values exactly as stored: text times, 64-bit integers as strings. */
export const MYSQL_EXACT_VALUES = { charset: 'utf8mb4', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true } as const;

export interface MariadbServer extends DatabaseServer {
  readonly kind: 'mariadb';
  /** The server's socket; `hass` signs in on it with the password. */
  socket: string;
  /** The same socket: root signs in on it (unix_socket authentication, or the root password). */
  rootSocket: string;
  /** Root's password, for clients that cannot use unix_socket authentication. */
  rootPassword: string;
  /** mysql://hass:<percent-encoded password>@127.0.0.1:PORT/homeassistant?charset=utf8mb4 */
  url: string;
  /** mysql://hass:…@localhost/homeassistant?unix_socket=SOCKET&charset=utf8mb4, as Home Assistant writes it */
  socketUrl: string;
}

export interface MariadbOptions {
  /** InnoDB buffer pool (default 128M). */
  bufferPool?: string;
}

const quote = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

export async function start(opts: MariadbOptions = {}): Promise<MariadbServer> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-mariadb-'));
  const dataDir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const asRoot = process.getuid?.() === 0;
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--skip-test-db',
    ...(asRoot ? ['--user=root', '--auth-root-authentication-method=socket'] : ['--auth-root-authentication-method=normal']),
  ]);
  const port = await freePort();
  const server = await spawnServer(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      `--tmpdir=${dir}`,
      ...(asRoot ? ['--user=root'] : []),
      '--skip-log-bin',
      '--skip-name-resolve',
      '--performance-schema=OFF',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      `--innodb-buffer-pool-size=${opts.bufferPool ?? '128M'}`,
      '--innodb-log-file-size=256M',
      '--innodb-log-buffer-size=16M',
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-doublewrite=OFF',
      '--max-allowed-packet=64M',
    ],
    { log: join(dir, 'mariadbd.log') },
  );
  const cli = (sql: string) => run('mariadb', ['--no-defaults', '-S', socket, '-uroot', '-e', sql]);
  try {
    await server.waitUntil(async () => (await cli('SELECT 1'), true), 'answering on its socket');
    const rootPassword = randomBytes(12).toString('hex');
    const user = `${quote(HASS_USER)}@'%'`;
    await cli(
      [
        `ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(${quote(rootPassword)})`,
        `CREATE DATABASE ${HASS_DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        `CREATE USER ${user} IDENTIFIED BY ${quote(HASS_PASSWORD)}`,
        `GRANT ALL ON ${HASS_DATABASE}.* TO ${user}`,
        // The helper databases a restore makes next to the live one (`_` escaped: a wildcard in grants).
        `GRANT ALL ON \`${HASS_DATABASE}\\_\\_lifeboat%\`.* TO ${user}`,
        '',
      ].join(';\n'),
    );
    const pool = mysql.createPool({
      socketPath: socket,
      user: 'root',
      password: rootPassword,
      database: HASS_DATABASE,
      ...MYSQL_EXACT_VALUES,
      connectionLimit: 2,
    });
    const password = encodeURIComponent(HASS_PASSWORD);
    return {
      kind: 'mariadb',
      port,
      socket,
      rootSocket: socket,
      rootPassword,
      dataDir,
      user: HASS_USER,
      password: HASS_PASSWORD,
      database: HASS_DATABASE,
      url: `mysql://${HASS_USER}:${password}@127.0.0.1:${port}/${HASS_DATABASE}?charset=utf8mb4`,
      socketUrl: `mysql://${HASS_USER}:${password}@localhost/${HASS_DATABASE}?unix_socket=${socket}&charset=utf8mb4`,
      query: async <T>(sql: string, params?: unknown[]) => {
        const [rows] = await pool.query(sql, params);
        return (Array.isArray(rows) ? rows : []) as T[];
      },
      ...serverControls(server, dir, 'SIGTERM', () => pool.end()),
    };
  } catch (err) {
    await server.kill();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
