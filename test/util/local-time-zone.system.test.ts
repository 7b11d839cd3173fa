// The machine's time zone is handed to browsers and to the schedule, so it must always be a zone
// name they accept, whatever `TZ` holds: container images often set POSIX forms or leave it empty.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTimeZone } from '../../src/util/time.js';
import { tmpDir } from '../helpers/tmp.js';

// The zone the settings report when none is saved, read in a process started with `TZ` set.
const SCRIPT = `
const { SettingsService } = await import('./src/settings/settings-service.ts');
const dir = process.argv[1];
const settings = await SettingsService.open({ settings: dir + '/settings.json', secrets: dir + '/secrets.json' });
process.stdout.write(settings.timeZone);
`;
const zoneUnder = async (tz: string): Promise<string> =>
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, join(await tmpDir('lifeboat-tz-'))], {
    env: { ...process.env, TZ: tz },
    encoding: 'utf8',
  });

describe('the time zone settings report when none is saved', () => {
  it.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['UTC0', 'UTC'],
    ['', null],
    [':/etc/localtime', null],
    ['Bogus/Zone', 'UTC'],
  ])('is a zone every client accepts when TZ=%j', async (tz, expected) => {
    const zone = await zoneUnder(tz);
    expect(isTimeZone(zone)).toBe(true);
    if (expected) expect(zone).toBe(expected);
  });
});
