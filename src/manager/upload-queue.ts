// Copies that did not reach a location, kept in `<data>/upload-queue.json` and retried in the
// background (by `lifeboat serve`) with exponential backoff and jitter, not only at the next
// scheduled backup. An entry leaves the queue when its copy lands, when the backup is gone, or
// after MAX_ATTEMPTS; the copy then stays recorded as failed in the catalogue. A CLI command and
// `serve` both change the file: every change reads it, changes it and writes it under a lock file,
// and within a process re-reads and changes take turns, so no entry is lost or brought back.

import { z } from 'zod';
import { Turns } from '../util/concurrency.js';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import { QUICK_CHANGE_MAX_HOLD_MS, withFileLock } from '../util/file-lock.js';

export const QueueEntrySchema = z.object({
  backup_id: z.string(),
  agent_id: z.string(),
  /** A received backup goes to every location byte for byte, whatever their protection. */
  as_is: z.boolean(),
  attempts: z.number().int().min(0),
  next_at: z.string(),
  last_error: z.string(),
  added_at: z.string(),
});
export type QueueEntry = z.infer<typeof QueueEntrySchema>;

const QueueSchema = z.object({ version: z.literal(1), entries: z.array(QueueEntrySchema) });

export const MAX_ATTEMPTS = 20;
const BASE_MS = 60_000;
const MAX_MS = 6 * 3600_000;

/** When to try again after `attempts` failures: 1 min, 2, 4, … up to 6 h, with jitter. */
export function nextRetryAt(attempts: number, now: Date, random: () => number = Math.random): Date {
  const cap = Math.min(MAX_MS, BASE_MS * 2 ** Math.max(0, attempts - 1));
  return new Date(now.getTime() + Math.round(cap / 2 + (cap / 2) * random()));
}

export class UploadQueue {
  private entries: QueueEntry[] = [];
  private readonly turns = new Turns();

  private constructor(
    private readonly path: string,
    private readonly random: () => number,
  ) {}

  static async load(path: string, random: () => number = Math.random): Promise<UploadQueue> {
    const q = new UploadQueue(path, random);
    q.entries = (await readJson(path, QueueSchema).catch(() => null))?.entries ?? [];
    return q;
  }

  /** Re-reads the file (a CLI command in another process may have added entries). */
  reload(): Promise<void> {
    return this.turns.run(async () => void (await this.read()));
  }

  private async read(): Promise<QueueEntry[]> {
    this.entries = (await readJson(this.path, QueueSchema).catch(() => null))?.entries ?? this.entries;
    return this.entries;
  }

  /** Applies `change` to the entries as saved now and saves the result, holding the lock file. */
  private change(change: (saved: QueueEntry[]) => QueueEntry[] | null): Promise<void> {
    return this.turns.run(() =>
      withFileLock(
        `${this.path}.lock`,
        async () => {
          const next = change(await this.read());
          if (next === null) return;
          await writeJsonAtomic(this.path, { version: 1, entries: next });
          this.entries = next;
        },
        { what: 'The upload queue', maxHoldMs: QUICK_CHANGE_MAX_HOLD_MS },
      ),
    );
  }

  list(): readonly QueueEntry[] {
    return this.entries;
  }

  due(now: Date): QueueEntry[] {
    return this.entries.filter((e) => Date.parse(e.next_at) <= now.getTime());
  }

  /** Records a failed copy; returns false when it has failed too often and leaves the queue. */
  async failed(backupId: string, agentId: string, asIs: boolean, error: string, now: Date): Promise<boolean> {
    let keep = true;
    await this.change((saved) => {
      const existing = saved.find((e) => e.backup_id === backupId && e.agent_id === agentId);
      const attempts = (existing?.attempts ?? 0) + 1;
      keep = attempts < MAX_ATTEMPTS;
      const rest = saved.filter((e) => e !== existing);
      if (!keep) return rest;
      const entry = {
        backup_id: backupId,
        agent_id: agentId,
        as_is: asIs,
        attempts,
        next_at: nextRetryAt(attempts, now, this.random).toISOString(),
        last_error: error,
        added_at: existing?.added_at ?? now.toISOString(),
      };
      return [...rest, entry];
    });
    return keep;
  }

  remove(backupId: string, agentId?: string): Promise<void> {
    return this.change((saved) => {
      const kept = saved.filter((e) => !(e.backup_id === backupId && (agentId === undefined || e.agent_id === agentId)));
      return kept.length === saved.length ? null : kept;
    });
  }
}
