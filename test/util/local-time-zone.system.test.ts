// The machine's time zone is handed to browsers and to the schedule, so it must always be a zone
// name they accept, whatever `TZ` holds: container images often set POSIX forms or leave it empty.
// Backup dates and retention's calendar are computed in the machine's own zone without its name
// (no Intl time-zone data in a backup process): that must give the very same times as the name.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTimeZone } from '../../src/util/time.js';
import { tmpDir } from '../helpers/tmp.js';

// Read in a process started with `TZ` set: the zone the settings report when none is saved, the
// zone they compute in, and every quarter hour of 2026 (and its wall time read back) where the
// two give different dates or wall times.
const SCRIPT = `
const { SettingsService } = await import('./src/settings/settings-service.ts');
const { formatIsoLocal } = await import('./src/util/time.ts');
const { toWall, fromWall } = await import('./src/policy/zoned-time.ts');
const dir = process.argv[1];
const settings = await SettingsService.open({ settings: dir + '/settings.json', secrets: dir + '/secrets.json' });
const name = settings.timeZone;
const zone = settings.zone;
const differences = [];
for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 15 * 60_000) {
  const at = { epochMs: t, micros: 0 };
  const wall = toWall(t, name);
  if (formatIsoLocal(at, zone) !== formatIsoLocal(at, name) || toWall(t, zone) !== wall || fromWall(wall, zone) !== fromWall(wall, name)) {
    differences.push(new Date(t).toISOString());
  }
}
process.stdout.write(JSON.stringify({ name, zone, differences: differences.slice(0, 3) }));
`;
const settingsUnder = async (tz: string): Promise<{ name: string; zone: string | null; differences: string[] }> =>
  JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, join(await tmpDir('lifeboat-tz-'))], {
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    }),
  ) as { name: string; zone: string | null; differences: string[] };

describe('the time zone settings report when none is saved', () => {
  it.each([
    ['Europe/Berlin', 'Europe/Berlin'],
    ['America/New_York', 'America/New_York'],
    ['Australia/Lord_Howe', 'Australia/Lord_Howe'],
    ['Asia/Kolkata', null], // ICU may name it Asia/Calcutta
    ['UTC0', 'UTC'],
    ['', null],
    [':/etc/localtime', null],
    ['Bogus/Zone', 'UTC'],
  ])('is a zone every client accepts, and dates computed without its name are the same, when TZ=%j', async (tz, expected) => {
    const seen = await settingsUnder(tz);
    expect(isTimeZone(seen.name)).toBe(true);
    if (expected) expect(seen.name).toBe(expected);
    expect(seen.zone).toBeNull();
    expect(seen.differences).toEqual([]);
  });
});
