// The live writer of the external-database tests, from the test's side: starts
// db-writer-child.ts (a recorder-like writer committing ≥ 50 transactions a second to MariaDB or
// PostgreSQL) and talks its line protocol, and reads a database's writer rows to tell whether a
// dump or a restore holds a consistent prefix of its commits.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openSession, type DbTarget } from './db-session.js';
import { PROJECT_ROOT } from './paths.js';

const CHILD = join(PROJECT_ROOT, 'test/helpers/db-writer-child.ts');

/** The one-row table (id = 1, last_seq) the writer updates in every transaction. */
export const PROGRESS_TABLE = 'lifeboat_writer_progress';
/** The entity (states_meta) of the writer's states rows. */
export const WRITER_ENTITY = 'sensor.lifeboat_writer';
/** The `hash` of the writer's state_attributes rows, which finds them by index. */
export const WRITER_HASH = 1;

/** The writer's shared_attrs for sequence number n. */
export function writerAttributes(n: number): string {
  return `{"lifeboat_writer_seq":${n},"friendly_name":"Lifeboat writer","unit_of_measurement":"commits"}`;
}

export interface DbWriterSummary {
  commits: number;
  /** Transactions that failed (the connection is then opened again). */
  errors: number;
  lastError: string | null;
  /** The last sequence number committed. */
  lastSeq: number;
  seconds: number;
  commitsPerSecond: number;
  /** The longest transaction, BEGIN to COMMIT answered, over the whole run and inside the window. */
  maxCommitMs: number;
  windowMaxCommitMs: number;
  /** The longest time between two commits inside the window. */
  windowMaxGapMs: number;
  seqAtWindowStart: number;
  seqAtWindowEnd: number;
  commitsAtWindowStart: number;
  commitsAtWindowEnd: number;
  commitsDuringWindow: number;
  windowMs: number;
  windowCommitsPerSecond: number;
}

export interface DbWriter {
  readonly pid: number;
  /** last_seq when the writer said `ready`. */
  readonly readySeq: number;
  /** Opens the window of interest; resolves with last_seq then. */
  start(): Promise<number>;
  /** Closes the window; resolves with last_seq then. */
  end(): Promise<number>;
  /** SIGTERM; resolves with the writer's summary once it has exited. */
  stop(): Promise<DbWriterSummary>;
  /** SIGKILL, as a crash would end it (perhaps in the middle of a transaction). */
  kill(): Promise<void>;
}

export async function startDbWriter(server: DbTarget, opts: { intervalMs?: number } = {}): Promise<DbWriter> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-db-writer-'));
  const summaryFile = join(dir, 'summary.json');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, '--kind', server.kind, '--url', server.url, '--summary', summaryFile, '--interval-ms', String(opts.intervalMs ?? 10)],
    { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    wake?.();
  });
  void exited.then(() => wake?.());

  /** The number after the next line `<word> <n>`. */
  const answer = async (word: string, timeoutMs = 30_000): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = lines.findIndex((l) => l.startsWith(`${word} `));
      if (at !== -1) return Number(lines.splice(at, 1)[0]!.slice(word.length + 1));
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`db writer ended before "${word}": ${stderr}`);
      if (Date.now() > deadline) throw new Error(`db writer did not say "${word}" within ${timeoutMs} ms: ${stderr}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250);
      });
    }
  };
  const ask = (command: string, word: string) => {
    child.stdin.write(`${command}\n`);
    return answer(word);
  };

  const readySeq = await answer('ready').catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    pid: child.pid!,
    readySeq,
    start: () => ask('start', 'started'),
    end: () => ask('end', 'ended'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      try {
        if (child.exitCode !== 0) throw new Error(`db writer exited with ${child.exitCode ?? child.signalCode}: ${stderr}`);
        return JSON.parse(await readFile(summaryFile, 'utf8')) as DbWriterSummary;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface WriterRows {
  /** last_seq of the progress row. */
  lastSeq: number;
  /** The sequence numbers of the writer's states rows, ascending. */
  seqs: number[];
  /** Writer rows without their partner: a states row without its attributes row or the other way. */
  torn: number;
}

/** The writer's rows in a database (default: the one `server.url` names), read in one snapshot. */
export async function writerRows(server: DbTarget, opts: { database?: string } = {}): Promise<WriterRows> {
  const db = await openSession(server, { database: opts.database });
  const p = (i: number) => (db.kind === 'mariadb' ? '?' : `$${i}`);
  try {
    await db.query(db.kind === 'mariadb' ? 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY' : 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const [progress] = await db.query<{ last_seq: number | string }>(`SELECT last_seq FROM ${PROGRESS_TABLE} WHERE id = 1`);
    const states = await db.query<{ state: string; attrs: string | null }>(
      `SELECT s.state AS state, a.shared_attrs AS attrs FROM states s
       JOIN states_meta m ON m.metadata_id = s.metadata_id
       LEFT JOIN state_attributes a ON a.attributes_id = s.attributes_id
       WHERE m.entity_id = ${p(1)}`,
      [WRITER_ENTITY],
    );
    const attrs = await db.query<{ attrs: string }>(`SELECT shared_attrs AS attrs FROM state_attributes WHERE hash = ${p(1)} AND shared_attrs LIKE ${p(2)}`, [
      WRITER_HASH,
      '{"lifeboat_writer_seq":%',
    ]);
    await db.query('COMMIT');
    const seqs = states.map((r) => Number(r.state)).sort((a, b) => a - b);
    const stateSeqs = new Set(seqs);
    const attrSeq = (json: string | null) => (json === null ? null : (JSON.parse(json) as { lifeboat_writer_seq?: number }).lifeboat_writer_seq ?? null);
    const torn = states.filter((r) => attrSeq(r.attrs) !== Number(r.state)).length + attrs.filter((r) => !stateSeqs.has(attrSeq(r.attrs) ?? -1)).length;
    return { lastSeq: Number(progress?.last_seq ?? 0), seqs, torn };
  } finally {
    await db.close();
  }
}

/** Whether the rows are the commits 1..lastSeq, each whole: what a consistent copy holds. */
export function isConsistentPrefix(rows: WriterRows): boolean {
  return rows.torn === 0 && rows.seqs.length === rows.lastSeq && rows.seqs.every((s, i) => s === i + 1);
}
