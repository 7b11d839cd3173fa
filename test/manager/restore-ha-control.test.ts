// A restore with a Home Assistant control (the add-on's: the Supervisor) stops Home Assistant just
// before the swap, while the old files are still in place, and starts it on the restored ones; when
// the swap fails and is rolled back it starts Home Assistant again all the same; a control that
// cannot reach Home Assistant, or cannot stop it, fails the restore with nothing replaced.

import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HaControlError, type HaControl } from '../../src/manager/ha-control.js';
import { BackupError } from '../../src/util/errors.js';
import { makeInstallation } from '../helpers/installation.js';
import { openManager } from '../helpers/manager.js';
import { tmpDir } from '../helpers/tmp.js';

async function setup() {
  const inst = join(await tmpDir(), 'config');
  await makeInstallation(inst);
  const manager = await openManager({ installation: inst });
  const created = await manager.create({});
  const original = await readFile(join(inst, 'configuration.yaml'), 'utf8');
  await writeFile(join(inst, 'configuration.yaml'), 'edited: true\n');
  return { inst, manager, created, original };
}

/** A control that records each call with the configuration file as it was at that moment. */
function recordingControl(inst: string, overrides: Partial<HaControl> = {}): HaControl & { calls: string[] } {
  const calls: string[] = [];
  const note = async (what: string) => calls.push(`${what}: ${(await readFile(join(inst, 'configuration.yaml'), 'utf8').catch(() => 'gone')).trim()}`);
  return {
    calls,
    target: 'a recorded Home Assistant',
    check: async () => void (await note('check')),
    stop: async () => {
      await note('stop');
      return true;
    },
    start: async () => void (await note('start')),
    ...overrides,
  };
}

describe('a restore with a Home Assistant control', () => {
  it('stops Home Assistant right before the swap and starts it on the restored files', async () => {
    const { inst, manager, created, original } = await setup();
    const control = recordingControl(inst);
    await manager.restore({ backupId: created.backupId, control });
    expect(control.calls).toEqual(['check: edited: true', 'stop: edited: true', `start: ${original.trim()}`]);
  });

  it('starts Home Assistant again after a swap that failed and was rolled back', async () => {
    const { inst, manager, created } = await setup();
    const control = recordingControl(inst);
    // Stopping takes a file away under the swap's feet, so moving it out fails.
    control.stop = async () => {
      control.calls.push('stop');
      await rm(join(inst, 'configuration.yaml'));
      return true;
    };
    const err = await manager.restore({ backupId: created.backupId, control }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(control.calls[0]).toBe('check: edited: true');
    expect(control.calls.slice(1, 2)).toEqual(['stop']);
    expect(control.calls.at(-1)).toMatch(/^start: /);
    expect(manager.lastActionEvent).toMatchObject({ manager_state: 'restore_backup', state: 'failed' });
  });

  it('refuses to restore, with nothing replaced, when Home Assistant cannot be reached or stopped', async () => {
    const { inst, manager, created } = await setup();
    const unreachable = recordingControl(inst, {
      check: async () => {
        throw new HaControlError('the Supervisor did not answer', 'home_assistant_unavailable');
      },
    });
    const first = await manager.restore({ backupId: created.backupId, control: unreachable }).catch((e: unknown) => e);
    expect((first as BackupError).code).toBe('home_assistant_unavailable');
    expect(unreachable.calls).toEqual([]);

    const stuck = recordingControl(inst, {
      stop: async () => {
        throw new HaControlError('Home Assistant could not be stopped', 'stop_failed');
      },
    });
    const second = await manager.restore({ backupId: created.backupId, control: stuck }).catch((e: unknown) => e);
    expect((second as BackupError).code).toBe('stop_failed');
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe('edited: true\n');
    // A stop was asked for, so Home Assistant is started again whatever state the stop left it in.
    expect(stuck.calls).toEqual(['check: edited: true', 'start: edited: true']);
  });
});
