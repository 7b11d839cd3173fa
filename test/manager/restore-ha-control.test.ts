// A restore with a Home Assistant control (the add-on's: the Supervisor) stops Home Assistant just
// before the swap, while the old files are still in place, and starts it on the restored ones; when
// the swap fails and is rolled back it starts Home Assistant again all the same; a control that
// cannot reach Home Assistant, or cannot stop it, fails the restore with nothing replaced.

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dataFolder } from '../../src/manager/data-folder.js';
import { HaControlError, type HaControl } from '../../src/manager/ha-control.js';
import { BackupError } from '../../src/util/errors.js';
import { countRows, makeInstallation } from '../helpers/installation.js';
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

  it('replaces what is there once Home Assistant stopped: the recorder\'s -wal and -shm files, gone at the stop, are not looked for', async () => {
    const { inst, manager, created, original } = await setup();
    // Home Assistant runs: its recorder holds the database open in WAL mode, with its -wal and -shm files.
    const recorder = new Database(join(inst, 'home-assistant_v2.db'));
    recorder.pragma('journal_mode = WAL');
    recorder.prepare('INSERT INTO states (v) VALUES (?)').run('written after the backup');
    const sidecars = async () => (await readdir(inst)).filter((n) => n.startsWith('home-assistant_v2.db-')).sort();
    expect(await sidecars()).toEqual(['home-assistant_v2.db-shm', 'home-assistant_v2.db-wal']);
    const control = recordingControl(inst, {
      stop: async () => {
        recorder.close(); // as the recorder does on the way out: SQLite removes both files
        control.calls.push(`stop: ${(await sidecars()).length} sidecars left`);
        return true;
      },
    });
    await manager.restore({ backupId: created.backupId, control });
    expect(control.calls).toEqual(['check: edited: true', 'stop: 0 sidecars left', `start: ${original.trim()}`]);
    expect(countRows(inst)).toBe(500);
  });

  it('starts Home Assistant again after a swap that failed and was rolled back', async () => {
    const { inst, manager, created } = await setup();
    const control = recordingControl(inst);
    // Stopping takes an entry of the staged tree away, so moving it in fails half-way through the swap.
    control.stop = async () => {
      control.calls.push('stop');
      const staging = (await readdir(inst)).find((n) => n.startsWith('.lifeboat-restore-')) as string;
      await rm(join(inst, staging, 'new', 'configuration.yaml'));
      return true;
    };
    const err = await manager.restore({ backupId: created.backupId, control }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(control.calls[0]).toBe('check: edited: true');
    expect(control.calls.slice(1, 2)).toEqual(['stop']);
    expect(control.calls.at(-1)).toBe('start: edited: true');
    expect(manager.lastActionEvent).toMatchObject({ manager_state: 'restore_backup', state: 'failed' });
  });

  it('starts Home Assistant after the restore when an interrupted restore had left it stopped, though it was not running at the stop', async () => {
    const { inst, manager, created, original } = await setup();
    const note = dataFolder(inst).homeAssistantStopped;
    await mkdir(dirname(note), { recursive: true });
    await writeFile(note, JSON.stringify({ version: 1, target: 'a recorded Home Assistant', spec: null, at: '2026-07-01T04:45:00.000Z' }));
    const control = recordingControl(inst, {
      stop: async () => {
        control.calls.push('stop: not running');
        return false;
      },
    });
    await manager.restore({ backupId: created.backupId, control });
    expect(control.calls).toEqual(['check: edited: true', 'stop: not running', `start: ${original.trim()}`]);
    await expect(readFile(note)).rejects.toThrow(/ENOENT/);
  });

  it('notes in the data folder that Home Assistant is stopped while it is, and not after', async () => {
    const { inst, manager, created } = await setup();
    const note = dataFolder(inst).homeAssistantStopped;
    const noted = () => readFile(note, 'utf8').then((t) => (JSON.parse(t) as { target: string }).target, () => 'no note');
    const control = recordingControl(inst, {
      stop: async () => {
        control.calls.push(`stop: ${await noted()}`);
        return true;
      },
      start: async () => void control.calls.push(`start: ${await noted()}`),
    });
    await manager.restore({ backupId: created.backupId, control });
    expect(control.calls.slice(1)).toEqual(['stop: a recorded Home Assistant', 'start: a recorded Home Assistant']);
    expect(await noted()).toBe('no note');
  });

  it('starts Home Assistant at the next start when a restore died after stopping it, with the control it names', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const note = dataFolder(inst).homeAssistantStopped;
    const spec = { kind: 'docker', container: 'homeassistant' } as const;
    const left = { version: 1, target: 'the container homeassistant', spec, at: '2026-07-01T04:45:00.000Z' };
    await mkdir(dirname(note), { recursive: true });
    await writeFile(note, JSON.stringify(left));
    const asked: unknown[] = [];
    const warnings: string[] = [];
    const log = { info() {}, error() {}, warn: (m: string) => void warnings.push(m) };
    await openManager({
      installation: inst,
      log,
      controlFor: (named) => {
        asked.push(named);
        return recordingControl(inst, { start: async () => void asked.push('started') });
      },
    });
    expect(asked).toEqual([spec, 'started']);
    expect(warnings).toEqual(['An interrupted restore left Home Assistant (a recorded Home Assistant) stopped; starting it']);
    await expect(readFile(note)).rejects.toThrow(/ENOENT/);

    // Without a way to start it here, or when starting fails, someone is told, and the note stays for the next start.
    await writeFile(note, JSON.stringify({ ...left, spec: null }));
    warnings.length = 0;
    await openManager({ installation: inst, log });
    expect(warnings).toEqual([
      'An interrupted restore left Home Assistant (the container homeassistant) stopped, and this command has no way to start it: start Home Assistant yourself, or start `lifeboat serve`, which will',
    ]);
    const failing = recordingControl(inst, {
      start: async () => {
        throw new HaControlError('the Supervisor did not answer', 'start_failed');
      },
    });
    warnings.length = 0;
    await openManager({ installation: inst, log, controlFor: () => failing });
    expect(warnings).toEqual([
      'An interrupted restore left Home Assistant (a recorded Home Assistant) stopped; starting it',
      'Home Assistant could not be started; Lifeboat tries again at its next start, or start it yourself',
    ]);
    asked.length = 0;
    await openManager({ installation: inst, log, controlFor: () => recordingControl(inst, { start: async () => void asked.push('started') }) });
    expect(asked).toEqual(['started']);
    await expect(readFile(note)).rejects.toThrow(/ENOENT/);
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
