// Long-lived access tokens for the API: shown once when created, stored only as SHA-256 hashes in a
// 0600 file, compared in constant time, listed by name and id, revocable. The file is re-read when
// another process (a `lifeboat token` command) changes it.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';

const TokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
  /** Read-only tokens may only read (metrics, states). */
  scope: z.enum(['admin', 'read']).default('admin'),
});
export type TokenInfo = Omit<z.infer<typeof TokenSchema>, 'hash'>;

const FileSchema = z.object({ version: z.literal(1), tokens: z.array(TokenSchema) });

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export class TokenStore {
  private tokens: z.infer<typeof TokenSchema>[] = [];
  private mtime = -1;
  private checked = 0;

  constructor(private readonly path: string) {}

  private async refresh(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.checked < 1000) return;
    this.checked = now;
    const st = await stat(this.path).catch(() => null);
    const mtime = st?.mtimeMs ?? 0;
    if (mtime === this.mtime && !force) return;
    this.mtime = mtime;
    this.tokens = (await readJson(this.path, FileSchema).catch(() => null))?.tokens ?? [];
  }

  private async save(): Promise<void> {
    await writeJsonAtomic(this.path, { version: 1, tokens: this.tokens }, 0o600);
    this.mtime = -1;
  }

  /** Creates a token and returns it — the only time it is ever available in clear. */
  async create(name: string, scope: 'admin' | 'read' = 'admin', now = new Date()): Promise<{ token: string; info: TokenInfo }> {
    await this.refresh(true);
    const token = `lbt_${randomBytes(32).toString('base64url')}`;
    const entry = { id: randomBytes(6).toString('hex'), name, hash: hashOf(token).toString('hex'), created_at: now.toISOString(), scope };
    this.tokens.push(entry);
    await this.save();
    const { hash: _h, ...info } = entry;
    return { token, info };
  }

  async list(): Promise<TokenInfo[]> {
    await this.refresh(true);
    return this.tokens.map(({ hash: _h, ...info }) => info);
  }

  async revoke(idOrName: string): Promise<boolean> {
    await this.refresh(true);
    const before = this.tokens.length;
    this.tokens = this.tokens.filter((t) => t.id !== idOrName && t.name !== idOrName);
    if (this.tokens.length === before) return false;
    await this.save();
    return true;
  }

  async byId(id: string): Promise<TokenInfo | null> {
    await this.refresh();
    const t = this.tokens.find((x) => x.id === id);
    if (!t) return null;
    const { hash: _h, ...info } = t;
    return info;
  }

  async count(): Promise<number> {
    await this.refresh();
    return this.tokens.length;
  }

  /** The token's record when it is valid; every stored hash is compared, in constant time. */
  async verify(token: string | undefined | null): Promise<TokenInfo | null> {
    if (!token) return null;
    await this.refresh();
    const presented = hashOf(token);
    let found: TokenInfo | null = null;
    for (const t of this.tokens) {
      if (timingSafeEqual(presented, Buffer.from(t.hash, 'hex'))) {
        const { hash: _h, ...info } = t;
        found = info;
      }
    }
    return found;
  }
}
