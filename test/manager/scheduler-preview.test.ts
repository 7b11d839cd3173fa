// The next run as a command sees it: the time zone is resolved only when the schedule (or the
// saved state) needs it, so a command that never looks at times does not load the time zone data.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { previewNextRun } from '../../src/manager/scheduler.js';
import { defaultConfig } from '../../src/settings/schemas.js';
import { tmpDir } from '../helpers/tmp.js';

const NOW = new Date('2026-03-10T12:00:00Z');

describe('previewNextRun', () => {
  it('asks for no time zone when nothing is scheduled', async () => {
    const state = join(await tmpDir(), 'schedule.json');
    let asked = 0;
    const zone = () => {
      asked++;
      return 'Europe/Berlin';
    };
    const config = defaultConfig();
    expect(config.schedule.recurrence).toBe('never');
    expect(await previewNextRun(state, config, zone, NOW)).toEqual({ next: null, additional: false });
    expect(asked).toBe(0);
  });

  it('gives the next run in the time zone when something is scheduled', async () => {
    const state = join(await tmpDir(), 'schedule.json');
    const config = defaultConfig();
    config.schedule = { ...config.schedule, recurrence: 'daily', time: '04:45' };
    const info = await previewNextRun(state, config, () => 'Europe/Berlin', NOW);
    expect(info.next).toBe('2026-03-11T04:45:00+01:00');
  });
});
