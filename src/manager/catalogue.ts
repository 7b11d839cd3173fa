// What Lifeboat remembers about the backups it made: locations that failed, databases that could
// not be copied, the digest of the file as written. Backups made elsewhere are simply absent.

import { z } from 'zod';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';

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

  private constructor(private readonly path: string) {}

  static async load(path: string): Promise<Catalogue> {
    const c = new Catalogue(path);
    const doc = await readJson(path, CatalogueSchema).catch(() => null);
    for (const e of doc?.backups ?? []) c.entries.set(e.backup_id, e);
    return c;
  }

  get(id: string): CatalogueEntry | undefined {
    return this.entries.get(id);
  }

  async put(entry: CatalogueEntry): Promise<void> {
    this.entries.set(entry.backup_id, entry);
    await this.save();
  }

  async remove(id: string): Promise<void> {
    if (this.entries.delete(id)) await this.save();
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(this.path, { version: 1, backups: [...this.entries.values()] });
  }
}
