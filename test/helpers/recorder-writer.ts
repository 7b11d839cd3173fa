// A separate process that writes to SQLite databases like Home Assistant's recorder (WAL mode,
// synchronous=NORMAL, one transaction per tick), for the live-database tests. Run with
// `node --import tsx test/helpers/recorder-writer.ts --db <file> --summary <file>
// [--extra <file>] [--interval-ms 10] [--autocheckpoint PAGES]`.
//
// Every tick commits one transaction per database: a row into `seq(id, value, checksum)` with the
// next id (1, 2, 3, …) plus PARTS rows into `seq_part` for that id, so a torn copy is visible. The
// duration of every commit is measured. Protocol on stdin/stdout (one line each):
//   → prints `ready <commits>` once the tables exist and the first commits are done;
//   ← `start`  → prints `started <commits>` (commits made before the window);
//   ← `end`    → prints `ended <commits>`;
//   SIGTERM    → writes the JSON summary (WriterSummary) to --summary, closes and exits 0.

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { PARTS, seqChecksum, seqValue, type DbStats, type WriterSummary } from './seq-db.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

class SeqWriter {
  private readonly db: Database.Database;
  private readonly commit: (id: number) => void;
  private next: number;
  readonly stats: DbStats;
  inWindow = false;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL'); // what Home Assistant's recorder sets for SQLite
    this.db.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS seq (id INTEGER PRIMARY KEY, value INTEGER NOT NULL, checksum TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS seq_part (seq_id INTEGER NOT NULL, part INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (seq_id, part));
    `);
    const row = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM seq').get() as { n: number };
    this.next = row.n + 1;
    const insertSeq = this.db.prepare('INSERT INTO seq (id, value, checksum) VALUES (?, ?, ?)');
    const insertPart = this.db.prepare('INSERT INTO seq_part (seq_id, part, payload) VALUES (?, ?, ?)');
    this.commit = this.db.transaction((id: number) => {
      const value = seqValue(id);
      insertSeq.run(id, value, seqChecksum(id, value));
      for (let p = 0; p < PARTS; p++) insertPart.run(id, p, randomBytes(200));
    });
    this.stats = { path, commits: 0, maxCommitMs: 0, windowMaxCommitMs: 0, commitsAtWindowStart: 0, commitsAtWindowEnd: 0 };
  }

  tick(): void {
    const started = performance.now();
    this.commit(this.next);
    const ms = performance.now() - started;
    this.next++;
    this.stats.commits++;
    this.stats.maxCommitMs = Math.max(this.stats.maxCommitMs, ms);
    if (this.inWindow) this.stats.windowMaxCommitMs = Math.max(this.stats.windowMaxCommitMs, ms);
  }

  close(): void {
    this.db.close();
  }
}

const dbPath = arg('--db');
const summaryPath = arg('--summary');
if (!dbPath || !summaryPath) {
  process.stderr.write('usage: recorder-writer --db <file> --summary <file> [--extra <file>] [--interval-ms N] [--autocheckpoint PAGES]\n');
  process.exit(2);
}
const extraPath = arg('--extra');
const intervalMs = Number(arg('--interval-ms') ?? 10);
/** WAL pages after which a commit checkpoints (SQLite's default 1000). */
const autocheckpoint = Number(arg('--autocheckpoint') ?? 1000);

const main = new SeqWriter(dbPath);
const extra = extraPath ? new SeqWriter(extraPath) : null;
let windowStarted = 0;
let windowEnded = 0;
let lastCommitAt = 0;
let windowMaxGapMs = 0;

function tick(): void {
  main.tick();
  extra?.tick();
  const now = performance.now();
  if (main.inWindow && lastCommitAt) windowMaxGapMs = Math.max(windowMaxGapMs, now - lastCommitAt);
  lastCommitAt = now;
}

for (let i = 0; i < 5; i++) tick();
const timer = setInterval(tick, intervalMs);
process.stdout.write(`ready ${main.stats.commits}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if (command === 'start') {
    for (const w of [main, extra]) {
      if (!w) continue;
      w.inWindow = true;
      w.stats.commitsAtWindowStart = w.stats.commits;
    }
    windowStarted = performance.now();
    process.stdout.write(`started ${main.stats.commits}\n`);
  } else if (command === 'end') {
    for (const w of [main, extra]) {
      if (!w) continue;
      w.inWindow = false;
      w.stats.commitsAtWindowEnd = w.stats.commits;
    }
    windowEnded = performance.now();
    process.stdout.write(`ended ${main.stats.commits}\n`);
  }
});

process.once('SIGTERM', () => {
  clearInterval(timer);
  main.close();
  extra?.close();
  const summary: WriterSummary = {
    ...main.stats,
    commitsDuringWindow: main.stats.commitsAtWindowEnd - main.stats.commitsAtWindowStart,
    windowMs: windowEnded - windowStarted,
    windowMaxGapMs,
    extra: extra?.stats ?? null,
  };
  writeFileSync(summaryPath, JSON.stringify(summary));
  process.exit(0);
});
