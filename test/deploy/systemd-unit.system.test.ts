// The systemd unit for Home Assistant Core installations passes `systemd-analyze verify` (with
// ExecStart pointing at this checkout's `bin/lifeboat`), keeps its exposure score low in
// `systemd-analyze security`, and its polkit rule lets the user stop and start only their own
// Home Assistant unit.

import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const UNIT = join(PROJECT_ROOT, 'deploy', 'systemd', 'lifeboat@.service');
const RULES = join(PROJECT_ROOT, 'deploy', 'systemd', '50-lifeboat.rules');

/** The unit as installed for the user `homeassistant`, with ExecStart at this checkout. */
async function installedUnit(): Promise<string> {
  const text = (await readFile(UNIT, 'utf8')).replaceAll('/opt/lifeboat/bin/lifeboat', join(PROJECT_ROOT, 'bin', 'lifeboat'));
  const path = join(await tmpDir('lifeboat-systemd-'), 'lifeboat@homeassistant.service');
  await writeFile(path, text);
  return path;
}

describe('the systemd unit', () => {
  it('passes systemd-analyze verify without a warning', async () => {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', await installedUnit()]);
    expect(stdout + stderr).toBe('');
  });

  it('is hardened: the exposure score of systemd-analyze security stays at most 2.5', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--threshold=25', '--no-pager', await installedUnit()]);
    const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(2.5);
    expect(await readFile(UNIT, 'utf8')).toMatch(/^ProtectSystem=strict$/m);
    expect(await readFile(UNIT, 'utf8')).toMatch(/^ReadWritePaths=\/home\/%i\/\.homeassistant$/m);
  });
});

describe('the polkit rule', () => {
  async function decide(user: string, unit: string, verb: string, id = 'org.freedesktop.systemd1.manage-units'): Promise<string | undefined> {
    const rules: ((action: unknown, subject: unknown) => string | undefined)[] = [];
    const polkit = { Result: { YES: 'yes', NO: 'no' }, addRule: (fn: (a: unknown, s: unknown) => string | undefined) => rules.push(fn) };
    runInNewContext(await readFile(RULES, 'utf8'), { polkit });
    const action = { id, lookup: (key: string) => ({ unit, verb })[key] };
    return rules[0]?.(action, { user });
  }

  it("lets a user stop and start their own Home Assistant unit, and nothing else", async () => {
    expect(await decide('homeassistant', 'home-assistant@homeassistant.service', 'stop')).toBe('yes');
    expect(await decide('homeassistant', 'home-assistant@homeassistant.service', 'start')).toBe('yes');
    expect(await decide('homeassistant', 'home-assistant@homeassistant.service', 'restart')).toBeUndefined();
    expect(await decide('homeassistant', 'home-assistant@other.service', 'stop')).toBeUndefined();
    expect(await decide('homeassistant', 'sshd.service', 'stop')).toBeUndefined();
    expect(await decide('mallory', 'home-assistant@homeassistant.service', 'stop')).toBeUndefined();
    expect(await decide('homeassistant', 'home-assistant@homeassistant.service', 'stop', 'org.freedesktop.systemd1.manage-unit-files')).toBeUndefined();
  });
});
