// Long-lived access tokens for the API: shown once when created, stored only as SHA-256 hashes in a
// 0600 file, compared in constant time, listed by name and id, revocable. The file is re-read when
// another process (a `lifeboat token` command) changes it. A token file that exists but cannot be
// read or parsed fails closed: every token is refused and `count` throws, so nothing (onboarding
// included) mistakes a damaged file for "no tokens yet".

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { Turns } from '../util/concurrency.js';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import { BackupError } from '../util/errors.js';
import { QUICK_CHANGE_MAX_HOLD_MS, withFileLock } from '../util/file-lock.js';

const TokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
  /** Read-only tokens may only read (metrics, states). */
  scope: z.enum(['admin', 'read']).default('admin'),
});
type StoredToken = z.infer<typeof TokenSchema>;
export type TokenInfo = Omit<StoredToken, 'hash'>;

const FileSchema = z.object({ version: z.literal(1), tokens: z.array(TokenSchema) });

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** The token file exists but cannot be read or is not a token file: every token is refused. */
export class TokenStoreUnreadable extends BackupError {
  override readonly code: string = 'token_store_unreadable';
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `The access tokens in ${path} cannot be read (${cause instanceof Error ? cause.message : String(cause)}); ` +
        'every token is refused and onboarding stays closed until the file is repaired, or moved away and tokens are created again with `lifeboat token create`',
      { cause },
    );
  }
}

export class TokenStore {
  private tokens: StoredToken[] = [];
  private problem: TokenStoreUnreadable | null = null;
  private mtime = -1;
  private checked = 0;
  private readonly listeners = new Set<() => void>();
  /** Re-reads and changes, one at a time: a re-read never brings back what a change replaced. */
  private readonly turns = new Turns();

  constructor(private readonly path: string) {}

  /**
   * Reads the file again: `throttled` when it changed and was last looked at over a second ago,
   * `changed` when it changed, `always` unconditionally.
   */
  private refresh(mode: 'throttled' | 'changed' | 'always' = 'throttled'): Promise<void> {
    return this.turns.run(() => this.read(mode));
  }

  private async read(mode: 'throttled' | 'changed' | 'always'): Promise<void> {
    const now = Date.now();
    if (mode === 'throttled' && now - this.checked < 1000) return;
    this.checked = now;
    const st = await stat(this.path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : err));
    if (st instanceof Error) return this.adopt([], new TokenStoreUnreadable(this.path, st), -2);
    const mtime = st?.mtimeMs ?? 0;
    if (mtime === this.mtime && mode !== 'always') return;
    try {
      this.adopt((await readJson(this.path, FileSchema))?.tokens ?? [], null, mtime);
    } catch (err) {
      this.adopt([], new TokenStoreUnreadable(this.path, err), mtime);
    }
  }

  private adopt(tokens: StoredToken[], problem: TokenStoreUnreadable | null, mtime: number): void {
    const before = this.fingerprint();
    this.tokens = tokens;
    this.problem = problem;
    this.mtime = mtime;
    if (this.fingerprint() !== before) for (const listener of [...this.listeners]) listener();
  }

  private fingerprint(): string {
    return `${this.problem?.message ?? ''}\n${this.tokens.map((t) => `${t.id}:${t.hash}:${t.scope}`).join(',')}`;
  }

  /** Throws when the file cannot be read, so a change never overwrites tokens it could not see. */
  private usable(): void {
    if (this.problem) throw this.problem;
  }

  /**
   * Reads the file, applies `change` to its tokens and, when it returns a new list, saves that,
   * holding the lock file (a `lifeboat token` command beside `serve` changes the same file); the
   * list is used here only once it is in the file.
   */
  private change<T>(change: (tokens: readonly StoredToken[]) => { tokens: StoredToken[] | null; result: T }): Promise<T> {
    const step = async (): Promise<T> => {
      await this.read('always');
      this.usable();
      const { tokens, result } = change(this.tokens);
      if (tokens === null) return result;
      await writeJsonAtomic(this.path, { version: 1, tokens }, 0o600);
      this.tokens = tokens;
      this.mtime = -1;
      for (const listener of [...this.listeners]) listener();
      return result;
    };
    return this.turns.run(() => withFileLock(`${this.path}.lock`, step, { what: 'The access tokens', maxHoldMs: QUICK_CHANGE_MAX_HOLD_MS }));
  }

  /** Called whenever the set of valid tokens may have changed (a revoke here, or the file changed). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the file again now if it changed. */
  async reload(): Promise<void> {
    await this.refresh('changed');
  }

  /** The reason every token is refused, or null when the token file is fine. */
  async unreadable(): Promise<TokenStoreUnreadable | null> {
    await this.refresh();
    return this.problem;
  }

  /** Creates a token and returns it — the only time it is ever available in clear. */
  create(name: string, scope: 'admin' | 'read' = 'admin', now = new Date()): Promise<{ token: string; info: TokenInfo }> {
    const token = `lbt_${randomBytes(32).toString('base64url')}`;
    const entry = { id: randomBytes(6).toString('hex'), name, hash: hashOf(token).toString('hex'), created_at: now.toISOString(), scope };
    const { hash: _h, ...info } = entry;
    return this.change((tokens) => ({ tokens: [...tokens, entry], result: { token, info } }));
  }

  async list(): Promise<TokenInfo[]> {
    await this.refresh('always');
    this.usable();
    return this.tokens.map(({ hash: _h, ...info }) => info);
  }

  revoke(idOrName: string): Promise<boolean> {
    return this.change((tokens) => {
      const kept = tokens.filter((t) => t.id !== idOrName && t.name !== idOrName);
      return kept.length === tokens.length ? { tokens: null, result: false } : { tokens: kept, result: true };
    });
  }

  /** The token with this id, or null when there is none (or the file cannot be read). */
  async byId(id: string): Promise<TokenInfo | null> {
    await this.refresh();
    const t = this.tokens.find((x) => x.id === id);
    if (!t) return null;
    const { hash: _h, ...info } = t;
    return info;
  }

  /** How many tokens exist; throws TokenStoreUnreadable when that cannot be known. */
  async count(): Promise<number> {
    await this.refresh();
    this.usable();
    return this.tokens.length;
  }

  /** The token's record when it is valid; every stored hash is compared, in constant time. */
  async verify(token: string | undefined | null): Promise<TokenInfo | null> {
    if (!token) return null;
    await this.refresh();
    // A token created a moment ago by `lifeboat token create` works at once: an unknown token makes
    // the file be looked at again (a stat; it is read only when it changed).
    return this.match(token) ?? (await this.refresh('changed'), this.match(token));
  }

  private match(token: string): TokenInfo | null {
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
