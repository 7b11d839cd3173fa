// An installation may hold read-only folders (a vendored library, files a container made), and
// Lifeboat often runs as a user without the power to write into them anyway. A restore must then
// still clean up after itself, and a staging folder it cannot remove must never stop Lifeboat from
// starting. Run in a child process that cannot bypass file permissions, as such a user.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeInstallation } from '../helpers/installation.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

/** Runs the child script without bypassing permissions: as root, without CAP_DAC_OVERRIDE and CAP_FOWNER. */
async function child(...args: string[]): Promise<Record<string, unknown>> {
  const node = [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'test/helpers/read-only-restore-child.ts'), ...args];
  const cmd = asRoot ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search,-fowner', ...node] : node;
  const { stdout } = await run(cmd[0] as string, cmd.slice(1), { cwd: PROJECT_ROOT });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}

async function installationWithReadOnlyFolder(): Promise<string> {
  const inst = join(await tmpDir(), 'config');
  await makeInstallation(inst);
  await mkdir(join(inst, 'www/vendor'), { recursive: true });
  await writeFile(join(inst, 'www/vendor/lib.js'), 'library\n');
  await chmod(join(inst, 'www/vendor'), 0o555);
  return inst;
}

describe('read-only folders in the installation', () => {
  it('a restore replaces the installation and removes its staging folder, read-only folders and all; a refused one leaves none', async () => {
    const inst = await installationWithReadOnlyFolder();
    const seen = await child(inst);
    expect(seen).toEqual({
      afterFull: { result: 'restored', restored: true, staging: [], journal: false },
      afterRefused: { result: 'PathNotInBackup', staging: [] },
      reopened: true,
      warnings: [],
    });
  });

  // Another user's folder can only be made by root.
  it.runIf(asRoot)('a staging folder that cannot be removed is reported, and Lifeboat starts all the same', async () => {
    const inst = await installationWithReadOnlyFolder();
    // What a restore left: a staging folder holding a read-only folder of another user, which
    // this one can neither write into nor make writable.
    const foreign = join(inst, '.lifeboat-restore-AbC123', 'old', 'www', 'vendor');
    await mkdir(foreign, { recursive: true, mode: 0o700 });
    await writeFile(join(foreign, 'lib.js'), 'library\n');
    await chown(foreign, 65534, 65534);
    await chmod(foreign, 0o555);
    const seen = await child(inst, 'open-only');
    expect(seen.opened).toBe(true);
    expect(seen.staging).toEqual(['.lifeboat-restore-AbC123']);
    expect(seen.warnings).toEqual([expect.stringMatching(/^Could not remove the restore's staging folder .*\.lifeboat-restore-AbC123 \((EACCES|EPERM)/)]);
  });
});
