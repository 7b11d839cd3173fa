// One connection to a recorder database on MariaDB or PostgreSQL, opened from the URL Home
// Assistant would be given (`db_url`), for the test helpers that fill, digest and write to it.
// Values come back exactly as stored: date/time columns as the server's text, 64-bit integers as
// strings, binary columns as Buffers, doubles as the numbers they are.

import mysql from 'mysql2/promise';
import pg from 'pg';
import type { DatabaseServer } from '../servers/database-server.js';
import { MYSQL_EXACT_VALUES } from '../servers/mariadb.js';

export type DbKind = DatabaseServer['kind'];

/** What the helpers need of a test server: its kind and the URL `hass` signs in with. */
export type DbTarget = Pick<DatabaseServer, 'kind' | 'url'>;

export type Row = Record<string, unknown>;

export interface DbSession {
  readonly kind: DbKind;
  /** Runs one statement (`?` placeholders on MariaDB, `$1` on PostgreSQL); its rows, [] for none. */
  query<T = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Quotes a table or column name for this server. */
  ident(name: string): string;
  close(): Promise<void>;
}

/** The URL with another database name in its path. */
export function withDatabase(url: string, database: string): string {
  return url.replace(/^([a-z0-9+]+:\/\/[^/]*\/)[^?]*/i, (_m, head: string) => head + encodeURIComponent(database));
}

function mysqlOptions(url: string): mysql.ConnectionOptions {
  const u = new URL(url);
  const socketPath = u.searchParams.get('unix_socket') ?? undefined;
  return {
    host: socketPath ? undefined : u.hostname,
    port: u.port ? Number(u.port) : 3306,
    socketPath,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    ...MYSQL_EXACT_VALUES,
    timezone: 'Z',
  };
}

const PG_TEXT_TYPES = new Set([1082, 1083, 1114, 1184, 1186, 1266]); // date, time, timestamp(tz), interval, timetz
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    PG_TEXT_TYPES.has(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export async function openSession(target: DbTarget, opts: { database?: string } = {}): Promise<DbSession> {
  const url = opts.database ? withDatabase(target.url, opts.database) : target.url;
  if (target.kind === 'mariadb') {
    const conn = await mysql.createConnection(mysqlOptions(url));
    conn.on('error', () => undefined); // a lost connection fails the next query instead
    await conn.query("SET time_zone = '+00:00'");
    return {
      kind: 'mariadb',
      query: async <T>(sql: string, params?: unknown[]) => {
        const [rows] = await conn.query(sql, params);
        return (Array.isArray(rows) ? rows : []) as T[];
      },
      ident: (name) => `\`${name.replaceAll('`', '``')}\``,
      close: () => conn.end().catch(() => conn.destroy()),
    };
  }
  const client = new pg.Client({ connectionString: url, types: pgTypes });
  client.on('error', () => undefined);
  await client.connect();
  await client.query("SET TIME ZONE 'UTC'");
  return {
    kind: 'postgresql',
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    ident: (name) => `"${name.replaceAll('"', '""')}"`,
    close: () => client.end().catch(() => undefined),
  };
}
