// Onboarding opens only on a machine shown to be fresh, and fails closed: a damaged token file or
// an installation folder that cannot be listed closes it and logs why (once per cause).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Onboarding } from '../../src/core/onboarding.js';
import { dataFolder } from '../../src/manager/data-folder.js';
import { TokenStore } from '../../src/settings/token-store.js';
import type { Logger } from '../../src/util/logger.js';
import { tmpDir } from '../helpers/tmp.js';

function recordingLog(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, info() {}, warn() {}, error: (m, f) => errors.push(`${m} ${JSON.stringify(f ?? {})}`) };
}

async function setup(prepare: (installation: string) => Promise<void> = async () => undefined) {
  const dir = await tmpDir();
  const installation = join(dir, 'config');
  await prepare(installation);
  const df = dataFolder(installation, join(dir, 'data'));
  await mkdir(df.root, { recursive: true });
  const log = recordingLog();
  const tokens = new TokenStore(join(df.root, 'tokens.json'));
  return { df, log, tokens, onboarding: new Onboarding({ df, log }, tokens) };
}

describe('onboarding', () => {
  it('is open on an empty installation and on a missing one, without tokens', async () => {
    expect(await (await setup((i) => mkdir(i).then(() => undefined))).onboarding.isOpen()).toBe(true);
    expect(await (await setup()).onboarding.isOpen()).toBe(true);
  });

  it('is closed, with an error logged once, when the token file is damaged', async () => {
    const { df, log, onboarding } = await setup((i) => mkdir(i).then(() => undefined));
    await writeFile(join(df.root, 'tokens.json'), '{"version":1,"tokens":[{"id":');
    expect(await onboarding.isOpen()).toBe(false);
    expect(await onboarding.isOpen()).toBe(false);
    expect(log.errors).toHaveLength(1);
    expect(log.errors[0]).toMatch(/Onboarding is closed.*tokens\.json cannot be read/);
  });

  it('is closed, with an error logged, when the installation exists but cannot be listed', async () => {
    // A file where the installation folder should be: it exists, and readdir fails (ENOTDIR) —
    // as it fails with EACCES for a folder this user may not read.
    const { log, onboarding } = await setup((i) => writeFile(i, 'not a folder'));
    expect(await onboarding.isOpen()).toBe(false);
    expect(log.errors.join('\n')).toMatch(/installation folder .* cannot be read \(ENOTDIR\)/);
  });
});
