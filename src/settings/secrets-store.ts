// Secrets kept apart from the settings, in a 0600 file in a 0700 folder that is never archived: the
// current encryption key, the keyring of earlier keys (so older backups still restore and decrypt
// without asking), and credentials of backup locations and integrations (the MQTT broker). Every
// change re-reads the file first; SettingsService makes each change under the settings lock file,
// so a CLI command and `serve` never overwrite each other's secrets. Within this process, re-reads
// (which readers start at any time) and changes take turns, and memory takes a change only once it
// is in the file: a re-read can never bring back what a change replaced.

import { chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { Turns } from '../util/concurrency.js';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import { keyFingerprint } from './encryption-key.js';

const KeyEntrySchema = z.object({
  key: z.string(),
  fingerprint: z.string(),
  added_at: z.string(),
  retired_at: z.string().nullable(),
});
export type KeyEntry = z.infer<typeof KeyEntrySchema>;

const SecretsSchema = z.object({
  version: z.literal(1),
  /** Current key first; earlier keys follow, newest first. */
  keyring: z.array(KeyEntrySchema),
  locations: z.record(z.string(), z.record(z.string(), z.string())),
  integrations: z.record(z.string(), z.record(z.string(), z.string())).default({}),
});
export type Secrets = z.infer<typeof SecretsSchema>;

export class SecretsStore {
  private constructor(
    private readonly path: string,
    private data: Secrets,
  ) {}

  static async open(path: string): Promise<SecretsStore> {
    const data = (await readJson(path, SecretsSchema)) ?? { version: 1 as const, keyring: [], locations: {}, integrations: {} };
    await chmod(dirname(path), 0o700).catch(() => undefined);
    return new SecretsStore(path, data);
  }

  /** Re-reads and changes, one at a time. */
  private readonly turns = new Turns();

  /** Re-reads the file, applies `change` to what it holds, saves that, and only then uses it. */
  private change(change: (saved: Secrets) => Secrets | null): Promise<void> {
    return this.turns.run(async () => {
      const next = change(structuredClone(await this.read()));
      if (next === null) return;
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await chmod(dirname(this.path), 0o700);
      await writeJsonAtomic(this.path, next, 0o600);
      this.data = next;
    });
  }

  private async read(): Promise<Secrets> {
    this.data = (await readJson(this.path, SecretsSchema)) ?? this.data;
    return this.data;
  }

  /** Re-reads the file (another process may have changed it). */
  reload(): Promise<void> {
    return this.turns.run(async () => void (await this.read()));
  }

  /** The current key, or null. */
  get currentKey(): string | null {
    return currentOf(this.data);
  }

  get keyring(): readonly KeyEntry[] {
    return this.data.keyring;
  }

  /** Makes `key` the current key; the previous one is kept in the keyring as retired. */
  setKey(key: string, now: Date): Promise<void> {
    return this.change((saved) => {
      if (currentOf(saved) === key) return null;
      const at = now.toISOString();
      const rest = saved.keyring.filter((k) => k.key !== key).map((k) => (k.retired_at ? k : { ...k, retired_at: at }));
      return { ...saved, keyring: [{ key, fingerprint: keyFingerprint(key), added_at: at, retired_at: null }, ...rest] };
    });
  }

  /** Keys to try for a backup, the one with a matching fingerprint first. */
  candidateKeys(fingerprint?: string | null): string[] {
    const keys = [...this.data.keyring];
    keys.sort((a, b) => Number(b.fingerprint === fingerprint) - Number(a.fingerprint === fingerprint));
    return keys.map((k) => k.key);
  }

  locationSecrets(agentId: string): Record<string, string> {
    return { ...(this.data.locations[agentId] ?? {}) };
  }

  async setLocationSecrets(agentId: string, secrets: Record<string, string> | null): Promise<void> {
    await this.setEntry('locations', agentId, secrets);
  }

  integrationSecrets(name: string): Record<string, string> {
    return { ...(this.data.integrations[name] ?? {}) };
  }

  async setIntegrationSecrets(name: string, secrets: Record<string, string> | null): Promise<void> {
    await this.setEntry('integrations', name, secrets);
  }

  private setEntry(section: 'locations' | 'integrations', name: string, secrets: Record<string, string> | null): Promise<void> {
    return this.change((saved) => {
      if (secrets) saved[section][name] = secrets;
      else delete saved[section][name];
      return saved;
    });
  }
}

function currentOf(secrets: Secrets): string | null {
  const head = secrets.keyring[0];
  return head && head.retired_at === null ? head.key : null;
}
