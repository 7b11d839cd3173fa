// The `seq` / `seq_part` tables the recorder-writer child commits to, and a checker that reads a
// (copied) database and tells whether it holds a consistent prefix of those commits.

import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';

/** `seq_part` rows written in the same transaction as each `seq` row. */
export const PARTS = 3;

export interface DbStats {
  path: string;
  commits: number;
  maxCommitMs: number;
  windowMaxCommitMs: number;
  commitsAtWindowStart: number;
  commitsAtWindowEnd: number;
}

export interface WriterSummary extends DbStats {
  /** Commits to the main database during the window (between `start` and `end`). */
  commitsDuringWindow: number;
  windowMs: number;
  /** The longest time between two consecutive main-database commits inside the window. */
  windowMaxGapMs: number;
  extra: DbStats | null;
}

export function seqValue(id: number): number {
  return (id * 7919) % 100003;
}

/** The checksum stored with each seq row. */
export function seqChecksum(id: number, value: number): string {
  return createHash('sha256').update(`${id}:${value}`).digest('hex').slice(0, 16);
}

export interface SeqReport {
  integrity: string;
  /** Rows in seq. */
  rows: number;
  minId: number | null;
  maxId: number | null;
  /** seq rows whose value or checksum is wrong. */
  badRows: number;
  partRows: number;
  /** seq ids that do not have exactly PARTS seq_part rows, and seq_part rows without a seq row. */
  tornIds: number;
}

/** Opens a database read-only and checks integrity and the seq tables. */
export function checkSeqDatabase(path: string): SeqReport {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true }) as string;
    const agg = db.prepare('SELECT COUNT(*) AS rows, MIN(id) AS minId, MAX(id) AS maxId FROM seq').get() as {
      rows: number;
      minId: number | null;
      maxId: number | null;
    };
    let badRows = 0;
    for (const r of db.prepare('SELECT id, value, checksum FROM seq').iterate() as Iterable<{ id: number; value: number; checksum: string }>) {
      if (r.value !== seqValue(r.id) || r.checksum !== seqChecksum(r.id, r.value)) badRows++;
    }
    const partRows = (db.prepare('SELECT COUNT(*) AS n FROM seq_part').get() as { n: number }).n;
    const tornIds =
      (db.prepare(`SELECT COUNT(*) AS n FROM seq LEFT JOIN (SELECT seq_id, COUNT(*) AS c FROM seq_part GROUP BY seq_id) p ON p.seq_id = seq.id WHERE COALESCE(p.c, 0) != ${PARTS}`).get() as { n: number }).n +
      (db.prepare('SELECT COUNT(*) AS n FROM seq_part WHERE seq_id NOT IN (SELECT id FROM seq)').get() as { n: number }).n;
    return { integrity, ...agg, badRows, partRows, tornIds };
  } finally {
    db.close();
  }
}
