// A separate process that commits to a recorder database on MariaDB or PostgreSQL the way Home
// Assistant's recorder does, for the live external-database tests (a process of its own, so the
// test's event loop does not disturb commit timing). Run with `node --import tsx
// test/helpers/db-writer-child.ts --kind mariadb|postgresql --url URL --summary FILE [--interval-ms 10]`.
//
// Every tick commits one transaction with sequence number n = 1, 2, 3, …: a state_attributes row
// ({"lifeboat_writer_seq": n, …}, hash WRITER_HASH), a states row (state "n", for the entity WRITER_ENTITY, pointing to
// that attributes row and to the writer's previous state) and `last_seq = n` in the one-row table
// PROGRESS_TABLE. A copy is consistent when its writer rows are exactly 1..last_seq. Each
// commit's duration (BEGIN to COMMIT answered) is measured. Protocol on stdin/stdout (a line each):
//   → `ready <last seq>` once the writer's tables exist and the first commits are done;
//   ← `start` → `started <last seq>` (the window of interest begins);
//   ← `end`   → `ended <last seq>`;
//   SIGTERM   → writes the JSON summary (DbWriterSummary) to --summary, closes and exits 0.
// A failed transaction is counted and the connection opened again; numbering goes on from the
// server's last_seq, so it stays gap-free whatever happened to the commit in flight.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { openSession, type DbKind, type DbSession } from './db-session.js';
import { PROGRESS_TABLE, WRITER_ENTITY, WRITER_HASH, writerAttributes, type DbWriterSummary } from './db-writer.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const kind = arg('--kind') as DbKind | undefined;
const url = arg('--url');
const summaryPath = arg('--summary');
if ((kind !== 'mariadb' && kind !== 'postgresql') || !url || !summaryPath) {
  process.stderr.write('usage: db-writer-child --kind mariadb|postgresql --url URL --summary FILE [--interval-ms N]\n');
  process.exit(2);
}
const intervalMs = Number(arg('--interval-ms') ?? 10);

const SQL =
  kind === 'mariadb'
    ? {
        progressTable: `CREATE TABLE IF NOT EXISTS ${PROGRESS_TABLE} (id INTEGER NOT NULL PRIMARY KEY, last_seq BIGINT NOT NULL) ENGINE=InnoDB`,
        progressRow: `INSERT IGNORE INTO ${PROGRESS_TABLE} (id, last_seq) VALUES (1, 0)`,
        entity: 'INSERT IGNORE INTO states_meta (entity_id) VALUES (?)',
        metadataId: 'SELECT metadata_id FROM states_meta WHERE entity_id = ?',
        lastState: 'SELECT MAX(state_id) AS id FROM states WHERE metadata_id = ?',
        lastSeq: `SELECT last_seq FROM ${PROGRESS_TABLE} WHERE id = 1`,
        attributes: 'INSERT INTO state_attributes (hash, shared_attrs) VALUES (?, ?) RETURNING attributes_id',
        state:
          'INSERT INTO states (state, last_updated_ts, old_state_id, attributes_id, origin_idx, context_id_bin, metadata_id) VALUES (?, ?, ?, ?, 0, ?, ?) RETURNING state_id',
        progress: `UPDATE ${PROGRESS_TABLE} SET last_seq = ? WHERE id = 1`,
      }
    : {
        progressTable: `CREATE TABLE IF NOT EXISTS ${PROGRESS_TABLE} (id INTEGER NOT NULL PRIMARY KEY, last_seq BIGINT NOT NULL)`,
        progressRow: `INSERT INTO ${PROGRESS_TABLE} (id, last_seq) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`,
        entity: 'INSERT INTO states_meta (entity_id) VALUES ($1) ON CONFLICT (entity_id) DO NOTHING',
        metadataId: 'SELECT metadata_id FROM states_meta WHERE entity_id = $1',
        lastState: 'SELECT MAX(state_id) AS id FROM states WHERE metadata_id = $1',
        lastSeq: `SELECT last_seq FROM ${PROGRESS_TABLE} WHERE id = 1`,
        attributes: 'INSERT INTO state_attributes (hash, shared_attrs) VALUES ($1, $2) RETURNING attributes_id',
        state:
          'INSERT INTO states (state, last_updated_ts, old_state_id, attributes_id, origin_idx, context_id_bin, metadata_id) VALUES ($1, $2, $3, $4, 0, $5, $6) RETURNING state_id',
        progress: `UPDATE ${PROGRESS_TABLE} SET last_seq = $1 WHERE id = 1`,
      };

/** The connection and where the writer's chain stands on the server. */
interface Position {
  db: DbSession;
  /** Ids are BIGINT: strings from both drivers. */
  metadataId: string;
  lastStateId: string | null;
  lastSeq: number;
}

async function connect(): Promise<Position> {
  const db = await openSession({ kind: kind!, url: url! });
  await db.query(SQL.progressTable);
  await db.query(SQL.progressRow);
  await db.query(SQL.entity, [WRITER_ENTITY]);
  const [meta] = await db.query<{ metadata_id: string }>(SQL.metadataId, [WRITER_ENTITY]);
  const [state] = await db.query<{ id: string | null }>(SQL.lastState, [meta!.metadata_id]);
  const [progress] = await db.query<{ last_seq: number | string }>(SQL.lastSeq);
  return { db, metadataId: meta!.metadata_id, lastStateId: state?.id ?? null, lastSeq: Number(progress!.last_seq) };
}

const stats = {
  commits: 0,
  errors: 0,
  lastError: null as string | null,
  maxCommitMs: 0,
  windowMaxCommitMs: 0,
  windowMaxGapMs: 0,
  seqAtWindowStart: 0,
  seqAtWindowEnd: 0,
  commitsAtWindowStart: 0,
  commitsAtWindowEnd: 0,
};
let inWindow = false;
let windowStarted = 0;
let windowEnded = 0;
let lastCommitAt = 0;
let position: Position | null = null;
const began = performance.now();

async function commitOne(at: Position): Promise<void> {
  const n = at.lastSeq + 1;
  const started = performance.now();
  await at.db.query('BEGIN');
  try {
    const [attrs] = await at.db.query<{ attributes_id: string }>(SQL.attributes, [WRITER_HASH, writerAttributes(n)]);
    const [state] = await at.db.query<{ state_id: string }>(SQL.state, [
      String(n),
      Date.now() / 1000,
      at.lastStateId,
      attrs!.attributes_id,
      randomBytes(16),
      at.metadataId,
    ]);
    await at.db.query(SQL.progress, [n]);
    await at.db.query('COMMIT');
    at.lastSeq = n;
    at.lastStateId = state!.state_id;
  } catch (err) {
    await at.db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  const now = performance.now();
  const ms = now - started;
  stats.commits++;
  stats.maxCommitMs = Math.max(stats.maxCommitMs, ms);
  if (inWindow) {
    stats.windowMaxCommitMs = Math.max(stats.windowMaxCommitMs, ms);
    if (lastCommitAt) stats.windowMaxGapMs = Math.max(stats.windowMaxGapMs, now - lastCommitAt);
  }
  lastCommitAt = now;
}

async function tick(): Promise<void> {
  try {
    position ??= await connect();
    await commitOne(position);
  } catch (err) {
    stats.errors++;
    stats.lastError = err instanceof Error ? err.message : String(err);
    await position?.db.close();
    position = null; // opened again (and last_seq read again) on the next tick
  }
}

let running = true;
const loopDone = (async () => {
  while (stats.commits < 5) {
    await tick();
    if (stats.errors >= 5) {
      process.stderr.write(`db-writer: cannot commit: ${stats.lastError}\n`);
      process.exit(1);
    }
  }
  process.stdout.write(`ready ${position!.lastSeq}\n`);
  while (running) {
    const started = performance.now();
    await tick();
    const rest = intervalMs - (performance.now() - started);
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  }
})();

/** Opens (`start`) or closes (`end`) the window of interest and answers with last_seq. */
function markWindow(open: boolean): void {
  const seq = position?.lastSeq ?? 0;
  inWindow = open;
  if (open) {
    windowStarted = performance.now();
    stats.seqAtWindowStart = seq;
    stats.commitsAtWindowStart = stats.commits;
  } else {
    windowEnded = performance.now();
    stats.seqAtWindowEnd = seq;
    stats.commitsAtWindowEnd = stats.commits;
  }
  process.stdout.write(`${open ? 'started' : 'ended'} ${seq}\n`);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if (command === 'start' || command === 'end') markWindow(command === 'start');
});

process.once('SIGTERM', () => {
  running = false;
  void loopDone.then(async () => {
    const lastSeq = position?.lastSeq ?? 0;
    await position?.db.close();
    const seconds = (performance.now() - began) / 1000;
    const windowMs = (windowEnded || performance.now()) - windowStarted;
    const commitsDuringWindow = (windowEnded ? stats.commitsAtWindowEnd : stats.commits) - stats.commitsAtWindowStart;
    const summary: DbWriterSummary = {
      ...stats,
      lastSeq,
      seconds,
      commitsPerSecond: stats.commits / seconds,
      windowMs: windowStarted ? windowMs : 0,
      commitsDuringWindow: windowStarted ? commitsDuringWindow : 0,
      windowCommitsPerSecond: windowStarted && windowMs > 0 ? (commitsDuringWindow * 1000) / windowMs : 0,
    };
    writeFileSync(summaryPath, JSON.stringify(summary));
    process.exit(0);
  });
});
