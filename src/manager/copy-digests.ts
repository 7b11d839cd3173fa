// What Lifeboat itself sent to each remote location: the size and SHA-256 of every copy, recorded
// in the private data folder when the upload finished. A copy fetched back (to restore or verify)
// is checked against this record, not only against the digest the location stores beside it — a
// location, or whoever can write to it, could replace both the archive and its digest.

import { z } from 'zod';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';

const CopySchema = z.object({
  agent_id: z.string(),
  backup_id: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type CopyDigest = Pick<z.infer<typeof CopySchema>, 'size' | 'sha256'>;

const FileSchema = z.object({ version: z.literal(1), copies: z.array(CopySchema) });

const keyOf = (agentId: string, backupId: string) => `${agentId}\n${backupId}`;

export class CopyDigests {
  private readonly copies = new Map<string, z.infer<typeof CopySchema>>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string) {}

  static async load(path: string): Promise<CopyDigests> {
    const store = new CopyDigests(path);
    const doc = await readJson(path, FileSchema).catch(() => null);
    for (const c of doc?.copies ?? []) store.copies.set(keyOf(c.agent_id, c.backup_id), c);
    return store;
  }

  get(agentId: string, backupId: string): CopyDigest | null {
    const c = this.copies.get(keyOf(agentId, backupId));
    return c ? { size: c.size, sha256: c.sha256 } : null;
  }

  put(agentId: string, backupId: string, digest: CopyDigest): Promise<void> {
    this.copies.set(keyOf(agentId, backupId), { agent_id: agentId, backup_id: backupId, ...digest });
    return this.save();
  }

  /** Forgets the copies of a backup: on one location, or on all. */
  remove(backupId: string, agentId?: string): Promise<void> {
    let changed = false;
    for (const [key, c] of this.copies) {
      if (c.backup_id === backupId && (agentId === undefined || c.agent_id === agentId)) changed = this.copies.delete(key) || changed;
    }
    return changed ? this.save() : Promise.resolve();
  }

  /** Writes are chained, so concurrent uploads never lose each other's records. */
  private save(): Promise<void> {
    this.saving = this.saving.catch(() => undefined).then(() => writeJsonAtomic(this.path, { version: 1, copies: [...this.copies.values()] }, 0o600));
    return this.saving;
  }
}
