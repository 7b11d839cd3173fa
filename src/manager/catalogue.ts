// What Lifeboat remembers about the backups it made: locations that failed, databases that could
// not be copied, the digest of the file as written. Backups made elsewhere are simply absent.
// `lifeboat serve` and a command beside it share the file: each read takes in what the other wrote
// since (the file is replaced whole on every write, so a new inode, time or size tells), and each
// change is made under a lock file to what is on disk at that moment, so neither puts back an older
// copy over the other's entry.

import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { Turns } from '../util/concurrency.js';
import { writeJsonAtomic } from '../util/durable-fs.js';
import { QUICK_CHANGE_MAX_HOLD_MS, withFileLock } from '../util/file-lock.js';

export const CatalogueEntrySchema = z.object({
  backup_id: z.string(),
  failed_agent_ids: z.array(z.string()).default([]),
  /** Databases left out because they could not be copied, with the reason. */
  database_warnings: z.array(z.object({ path: z.string(), error: z.string() })).default([]),
  created_at: z.string().optional(),
  /** No location took the backup when it was made: the local folder holds it until every queued copy lands. */
  kept_locally_for_retry: z.boolean().optional(),
});
export type CatalogueEntry = z.infer<typeof CatalogueEntrySchema>;

const CatalogueSchema = z.object({
  version: z.literal(1),
  backups: z.array(CatalogueEntrySchema),
});

export class Catalogue {
  private entries = new Map<string, CatalogueEntry>();
  /** The file as last read or written (inode, time, size); null before the first look. */
  private seen: string | null = null;
  private readonly turns = new Turns();

  private constructor(private readonly path: string) {}

  static async load(path: string): Promise<Catalogue> {
    const c = new Catalogue(path);
    c.fresh();
    return c;
  }

  /** The file's identity now: what a write by anyone changes. */
  private signature(): string {
    const st = statSync(this.path, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : 'none';
  }

  /** Reads the file again when someone wrote it since; a damaged or missing file holds nothing. */
  private fresh(): void {
    const now = this.signature();
    if (now === this.seen) return;
    this.seen = now;
    this.entries = new Map();
    let doc: z.infer<typeof CatalogueSchema> | null = null;
    try {
      doc = CatalogueSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
    } catch {
      doc = null;
    }
    for (const e of doc?.backups ?? []) this.entries.set(e.backup_id, e);
  }

  get(id: string): CatalogueEntry | undefined {
    this.fresh();
    return this.entries.get(id);
  }

  put(entry: CatalogueEntry): Promise<void> {
    return this.change((entries) => (entries.set(entry.backup_id, entry), true));
  }

  remove(id: string): Promise<void> {
    return this.change((entries) => entries.delete(id));
  }

  /** Changes the entry of `id` as saved at that moment (none: nothing changes). */
  update(id: string, change: (entry: CatalogueEntry) => CatalogueEntry): Promise<void> {
    return this.change((entries) => {
      const entry = entries.get(id);
      if (entry) entries.set(id, change(entry));
      return entry !== undefined;
    });
  }

  /** Applies `change` to the entries as saved now, holding the lock file; saves them when it says so. */
  private change(change: (entries: Map<string, CatalogueEntry>) => boolean): Promise<void> {
    return this.turns.run(() =>
      withFileLock(
        `${this.path}.lock`,
        async () => {
          this.seen = null; // read it again, whatever its signature: only the lock makes it current
          this.fresh();
          if (change(this.entries)) await this.save();
        },
        { what: 'The catalogue', maxHoldMs: QUICK_CHANGE_MAX_HOLD_MS },
      ),
    );
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(this.path, { version: 1, backups: [...this.entries.values()] });
    this.seen = this.signature();
  }
}
