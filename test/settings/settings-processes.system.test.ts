// Settings changed by other processes: keys rotated by two processes at once are all kept (the
// settings lock file), and the command line names the field it refuses.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretsStore } from '../../src/settings/secrets-store.js';
import { SettingsService } from '../../src/settings/settings-service.js';
import { runCli } from '../helpers/cli.js';
import { runSettingsWriter } from '../helpers/settings-writer.js';
import { tmpDir } from '../helpers/tmp.js';

async function openService(dir: string) {
  return SettingsService.open({ settings: join(dir, 'data', 'settings.json'), secrets: join(dir, 'data', 'secrets.json') });
}

describe('settings changed by two processes', () => {
  it('keeps every key two processes rotate at the same time (the settings lock file)', async () => {
    const dir = await tmpDir();
    const data = join(dir, 'data');
    await openService(dir).then((s) => s.update({ automatic_backups_configured: true }));
    const codes = await Promise.all([runSettingsWriter('rotate', data, 15), runSettingsWriter('rotate', data, 15)]);
    expect(codes).toEqual([0, 0]);
    const secrets = await SecretsStore.open(join(data, 'secrets.json'));
    const keys = secrets.keyring.map((k) => k.key);
    expect(new Set(keys).size).toBe(31); // the first key and 30 rotations: none lost
    expect(secrets.keyring.filter((k) => k.retired_at === null)).toHaveLength(1);
    expect((await openService(dir)).config.create_backup.encrypted).toBe(true);
  }, 60_000);

});

describe('lifeboat settings update (CLI)', () => {
  it('names the offending field when it rejects an update', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await mkdir(inst);
    const r = await runCli(['-c', inst, 'settings', 'update', '{"retention":{"copies":0}}']);
    expect(r.code).toBe(2);
    // The message is built from `zodError.message.split('\n')[0]`, which for zod 4 is just "[".
    expect(r.stderr).toMatch(/copies/);
  });
});

