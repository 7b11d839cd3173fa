// A running `lifeboat serve` follows what other processes write to its settings and secrets files
// (`lifeboat settings update`, `lifeboat key rotate`): a rotated key encrypts the next automatic
// backup at once, not after a restart, and serve's own writes keep the other process's changes.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type ServeHandle } from '../../src/cli/serve-runner.js';
import { dataFolder } from '../../src/manager/data-folder.js';
import { keyFingerprint } from '../../src/settings/encryption-key.js';
import { SettingsService } from '../../src/settings/settings-service.js';
import { makeInstallation } from '../helpers/installation.js';
import { eventually } from '../helpers/serve-integrations.js';
import { tmpDir } from '../helpers/tmp.js';

let handle: ServeHandle | null = null;
afterEach(async () => {
  await handle?.stop();
  handle = null;
});

/** The settings as another process (the CLI) opens them. */
function otherProcess(inst: string): Promise<SettingsService> {
  const df = dataFolder(inst);
  return SettingsService.open({ settings: df.settings, secrets: df.secrets });
}

describe('lifeboat serve and the settings files', () => {
  it('takes in a key rotated and settings changed by another process, and keeps them when it writes', async () => {
    process.env.LIFEBOAT_LOG_LEVEL ??= 'error';
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    handle = await startServe({ installation: inst });
    const { core } = handle;
    const automaticKey = () => (core.settings.config.create_backup.encrypted ? core.keys.show()?.key : null);

    const cli = await otherProcess(inst);
    await cli.update({ automatic_backups_configured: true, create_backup: { agent_ids: ['backup.local'] } });
    const first = cli.secrets.currentKey as string;
    await eventually(() => automaticKey() === first, 'serve to take in the first key', 10_000);

    const rotated = await (await otherProcess(inst)).rotateKey();
    await eventually(() => automaticKey() === rotated, 'serve to take in the rotated key', 10_000);
    expect(core.status.keyFingerprint).toBe(keyFingerprint(rotated));

    await (await otherProcess(inst)).update({ retention: { copies: 3 } });
    await eventually(() => core.settings.config.retention.copies === 3, 'serve to take in the retention', 10_000);
    // serve writes (an automatic backup's times) on top of what the other process saved; that
    // backup is encrypted with the rotated key.
    const made = await (await core.create.automatic()).done;
    const saved = (await otherProcess(inst)).config;
    expect(saved.retention.copies).toBe(3);
    expect(saved.create_backup.agent_ids).toEqual(['backup.local']);
    expect(saved.last_attempted_automatic_backup).toBe(core.settings.config.last_attempted_automatic_backup);
    expect(saved.last_attempted_automatic_backup).toEqual(expect.any(String));
    expect(made.backup.protected).toBe(true);
    expect(made.backup.extra_metadata['lifeboat.key_fingerprint']).toBe(keyFingerprint(rotated));
  }, 60_000);
});
