// Backup dates in this machine's own time zone (no zone name given) come out as the named zone
// would give them, summer and winter: checked in child processes with TZ set.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('ISO dates in the machine zone', () => {
  it("formats in this machine's zone (null) as the named zone would, summer and winter", () => {
    // A child process with TZ set, so the machine zone is one with daylight saving time.
    const script = `
      import { formatIsoLocal } from ${JSON.stringify(pathToFileURL(resolve('src/util/time.ts')).href)};
      const at = [Date.UTC(2026, 0, 15, 23, 30), Date.UTC(2026, 6, 2, 2, 45, 13, 123), Date.UTC(2026, 2, 29, 1, 0)];
      console.log(JSON.stringify(at.map((epochMs) => [formatIsoLocal({ epochMs, micros: 7 }, null), formatIsoLocal({ epochMs, micros: 7 }, process.env.TZ)])));`;
    for (const tz of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC']) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
      const pairs = JSON.parse(out) as [string, string][];
      for (const [machine, named] of pairs) expect(machine).toBe(named);
      if (tz === 'Europe/Berlin') expect(pairs.map((p) => p[0].slice(-6))).toEqual(['+01:00', '+02:00', '+02:00']);
    }
  });
});
