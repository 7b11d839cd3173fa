// Digests of every table of a MariaDB or PostgreSQL database, to prove that a restored database
// holds exactly the rows that were backed up: columns (names and types) and every row read in
// primary-key order inside one consistent snapshot, each value encoded without loss (NULL apart
// from '', doubles to their last bit, binary as bytes) and hashed with SHA-256.

import { createHash, type Hash } from 'node:crypto';
import { openSession, type DbSession, type DbTarget, type Row } from './db-session.js';

export interface TableDigest {
  rows: number;
  sha256: string;
}

const PAGE = 5000;

function encode(value: unknown): string {
  if (value === null || value === undefined) return 'N;';
  if (Buffer.isBuffer(value)) return `b${value.length}:${value.toString('hex')};`;
  if (typeof value === 'number') return `n${Object.is(value, -0) ? '-0' : String(value)};`;
  if (typeof value === 'bigint') return `i${value};`;
  if (typeof value === 'boolean') return value ? 't;' : 'f;';
  if (typeof value === 'string') return `s${value.length}:${value};`;
  if (value instanceof Date) return `d${value.toISOString()};`;
  const json = JSON.stringify(value);
  return `j${json.length}:${json};`;
}

interface TableShape {
  columns: { name: string; type: string }[];
  key: string[];
}

async function shape(db: DbSession, table: string): Promise<TableShape> {
  if (db.kind === 'mariadb') {
    const columns = await db.query<{ name: string; type: string }>(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [table],
    );
    const key = await db.query<{ name: string }>(
      "SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
      [table],
    );
    return { columns, key: key.map((k) => k.name) };
  }
  const columns = await db.query<{ name: string; type: string }>(
    'SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
    [db.ident(table)],
  );
  const key = await db.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [db.ident(table)],
  );
  return { columns, key: key.map((k) => k.name) };
}

/** Hashes the rows of one table in primary-key order, a page at a time (keyset paging). */
async function digestTable(db: DbSession, table: string): Promise<TableDigest> {
  const { columns, key } = await shape(db, table);
  const hash: Hash = createHash('sha256');
  hash.update(columns.map((c) => `${c.name} ${c.type}`).join(',') + '\n');
  const select = `SELECT ${columns.map((c) => db.ident(c.name)).join(', ')} FROM ${db.ident(table)}`;
  const add = (row: Row) => hash.update(columns.map((c) => encode(row[c.name])).join('') + '\n');
  if (key.length === 0) {
    // No primary key: every column orders the rows (such tables are small).
    const all = await db.query(`${select} ORDER BY ${columns.map((c) => db.ident(c.name)).join(', ')}`);
    for (const row of all) add(row);
    return { rows: all.length, sha256: hash.digest('hex') };
  }
  const keyList = key.map((k) => db.ident(k)).join(', ');
  const placeholders = key.map((_k, i) => (db.kind === 'mariadb' ? '?' : `$${i + 1}`)).join(', ');
  // A row comparison for a composite key; a plain one for a single column, which every index serves.
  const next = key.length === 1 ? `${keyList} > ${placeholders}` : `(${keyList}) > (${placeholders})`;
  let after: unknown[] | null = null;
  let rows = 0;
  for (;;) {
    const where: string = after ? ` WHERE ${next}` : '';
    const page: Row[] = await db.query(`${select}${where} ORDER BY ${keyList} LIMIT ${PAGE}`, after ?? []);
    for (const row of page) add(row);
    rows += page.length;
    if (page.length < PAGE) break;
    const last = page[page.length - 1]!;
    after = key.map((k) => last[k]);
  }
  return { rows, sha256: hash.digest('hex') };
}

/**
 * A digest per table of the database `hass` reaches at `server.url` (or of `database` on the same
 * server), all read in one snapshot. `tables` limits it to those; by default every base table.
 */
export async function tableDigests(server: DbTarget, opts: { database?: string; tables?: string[] } = {}): Promise<Record<string, TableDigest>> {
  const db = await openSession(server, { database: opts.database });
  try {
    await db.query(db.kind === 'mariadb' ? 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY' : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const names =
      opts.tables ??
      (
        await db.query<{ name: string }>(
          db.kind === 'mariadb'
            ? "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
            : "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
      ).map((r) => r.name);
    const digests: Record<string, TableDigest> = {};
    for (const table of [...names].sort()) digests[table] = await digestTable(db, table);
    await db.query('COMMIT');
    return digests;
  } finally {
    await db.close();
  }
}
