// Memory stays flat as backups grow: writing and verifying a 1 GiB backup peaks at about the same
// RSS as a 64 MiB one (measured in separate processes).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';

function run(mib: number): { maxRssKiB: number; size: number; problems: number; bytes: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/helpers/pack-memory-child.ts'), String(mib)], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

describe('memory', () => {
  it('stays flat while writing and verifying an encrypted 1 GiB backup', () => {
    const small = run(64);
    const big = run(1024);
    expect(small.problems).toBe(0);
    expect(big.problems).toBe(0);
    expect(big.bytes).toBe(1024 * 1024 * 1024);
    const smallMiB = small.maxRssKiB / 1024;
    const bigMiB = big.maxRssKiB / 1024;
    console.log(`peak RSS: 64 MiB backup ${smallMiB.toFixed(0)} MiB, 1 GiB backup ${bigMiB.toFixed(0)} MiB`);
    expect(bigMiB - smallMiB).toBeLessThan(48);
    expect(bigMiB).toBeLessThan(200);
  });
});
