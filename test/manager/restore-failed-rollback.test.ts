// A restore whose swap fails and whose rollback fails too leaves Home Assistant stopped, and noted
// as stopped: starting it on a half-swapped installation could let it write new files where the old
// ones are to come back. Both failures are real: an entry of the staged tree is taken away while
// Home Assistant stops (the swap fails half-way), and a folder appears where an old one is to go
// back (as a process still writing could make it), so the rollback cannot put that one back.

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataFolder } from '../../src/manager/data-folder.js';
import type { HaControl } from '../../src/manager/ha-control.js';
import { onPausePoint } from '../../src/util/pause-point.js';
import { makeInstallation } from '../helpers/installation.js';
import { openManager } from '../helpers/manager.js';
import { tmpDir } from '../helpers/tmp.js';

let unhook: (() => void) | null = null;
afterEach(() => {
  unhook?.();
  unhook = null;
});

describe('a restore whose rollback fails', () => {
  it('leaves Home Assistant stopped, and noted so, instead of starting it on a half-swapped installation', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const errors: string[] = [];
    const log = { info() {}, warn() {}, error: (m: string) => void errors.push(m) };
    const manager = await openManager({ installation: inst, log });
    const created = await manager.create({});
    await writeFile(join(inst, 'configuration.yaml'), 'edited: true\n');
    const calls: string[] = [];
    const control: HaControl = {
      target: 'a recorded Home Assistant',
      check: async () => void calls.push('check'),
      stop: async () => {
        calls.push('stop');
        const staging = (await readdir(inst)).find((n) => n.startsWith('.lifeboat-restore-')) as string;
        await rm(join(inst, staging, 'new', 'configuration.yaml'));
        return true;
      },
      start: async () => void calls.push('start'),
    };
    // `links` comes after configuration.yaml: moved out, not yet in, when the swap fails.
    unhook = onPausePoint('restore:before-rollback', async () => {
      await mkdir(join(inst, 'links'));
      await writeFile(join(inst, 'links', 'written-meanwhile'), 'x');
    });
    await expect(manager.restore({ backupId: created.backupId, control })).rejects.toThrow();
    expect(calls).toEqual(['check', 'stop']);
    expect(errors).toContain('Home Assistant is left stopped: the installation could not be put back as it was; see the error above');
    const note = JSON.parse(await readFile(dataFolder(inst).homeAssistantStopped, 'utf8')) as { target: string };
    expect(note.target).toBe('a recorded Home Assistant');
  });
});
