// On Linux, the real thread pool, /proc and priorities that poolPriority() works with: the threads
// found are the pool's (no other thread ever runs its work), all of them, and they alone end up
// nine nice levels below the main thread.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POOL_NICE_STEP } from '../../src/util/pool-priority.js';
import { PROJECT_ROOT } from '../helpers/paths.js';

interface Seen {
  main: number;
  mainBefore: number;
  mainAfter: number;
  found: number[];
  answered: number[];
  nice: Record<string, number>;
}

describe.runIf(process.platform === 'linux')('the thread pool below the main thread, on Linux', () => {
  it('finds every thread of the pool and lowers those, and only those, below the main thread', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/helpers/pool-priority-child.ts')], {
      encoding: 'utf8',
      env: { ...process.env, UV_THREADPOOL_SIZE: '3' },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const seen = JSON.parse(r.stdout) as Seen;
    expect(new Set(seen.found).size).toBe(3);
    expect(seen.found).not.toContain(seen.main);
    // 600 readlinks later, still only those three threads have run the pool's work.
    expect(seen.answered.every((tid) => seen.found.includes(tid))).toBe(true);
    const lowered = Math.min(19, seen.mainBefore + POOL_NICE_STEP);
    expect(seen.mainAfter).toBe(seen.mainBefore);
    for (const [tid, nice] of Object.entries(seen.nice)) {
      expect(nice, `thread ${tid}`).toBe(seen.found.includes(Number(tid)) ? lowered : seen.mainBefore);
    }
    expect(Object.keys(seen.nice).length).toBeGreaterThan(4); // the main thread, V8's and the pool's
  });
});
