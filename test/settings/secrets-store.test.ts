// The secrets file read again while this process changes it: readers of the secrets (the recorder
// setting, the MQTT password) re-read the file outside the settings lock, so a re-read that started
// before a change must never put the old secrets back, in memory or on disk.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKey } from '../../src/settings/encryption-key.js';
import { SecretsStore } from '../../src/settings/secrets-store.js';
import { tmpDir } from '../helpers/tmp.js';

async function openStore(): Promise<{ store: SecretsStore; path: string }> {
  const path = join(await tmpDir('lifeboat-secrets-'), 'data', 'secrets.json');
  const store = await SecretsStore.open(path);
  await store.setKey(generateKey(), new Date('2026-01-01T00:00:00Z'));
  return { store, path };
}

describe('SecretsStore', () => {
  it('keeps a new key, in memory and in the file, when the file is re-read while the key is saved', async () => {
    const { store, path } = await openStore();
    for (let round = 0; round < 20; round++) {
      const key = generateKey();
      await Promise.all([store.reload(), store.setKey(key, new Date()), store.reload(), store.reload()]);
      expect(store.currentKey).toBe(key);
      expect((await SecretsStore.open(path)).currentKey).toBe(key);
    }
  });

  it('keeps new credentials, in memory and in the file, when the file is re-read while they are saved', async () => {
    const { store, path } = await openStore();
    for (let round = 0; round < 20; round++) {
      const secret = { password: `p${round}` };
      await Promise.all([store.reload(), store.setLocationSecrets('sftp.nas', secret), store.reload()]);
      expect(store.locationSecrets('sftp.nas')).toEqual(secret);
      expect((await SecretsStore.open(path)).locationSecrets('sftp.nas')).toEqual(secret);
    }
  });

  it('shows a new key only once it is in the file', async () => {
    const { store, path } = await openStore();
    const key = generateKey();
    let saved = false;
    const saving = store.setKey(key, new Date()).then(() => (saved = true));
    const seenBeforeFile: number[] = [];
    for (let tick = 0; !saved; tick++) {
      if (store.currentKey === key && !readFileSync(path, 'utf8').includes(key)) seenBeforeFile.push(tick);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await saving;
    expect(seenBeforeFile).toEqual([]);
    expect(store.currentKey).toBe(key);
  });
});
