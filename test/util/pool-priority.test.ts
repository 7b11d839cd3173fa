// The pool's threads, found one readlink at a time, each lowered once below the main thread and
// never raised; the search ends when the pool is found, when it keeps naming the same threads, or
// when /proc/thread-self cannot be read. The real pool and priorities: pool-priority.system.test.ts.
import { describe, expect, it } from 'vitest';
import { POOL_NICE_STEP, PoolPriority, type PoolPriorityDeps } from '../../src/util/pool-priority.js';

const MAIN = 100;

/** A pool whose readlinks answer with `answers` in turn (a number: that thread; an Error: a failure), and the priorities it sets. */
function fakePool(answers: (number | Error)[], options: { poolSize?: number; mainNice?: number; nice?: Record<number, number> } = {}) {
  const nice: Record<number, number> = { ...options.nice };
  const set: [number, number][] = [];
  let asked = 0;
  const deps: PoolPriorityDeps = {
    poolSize: options.poolSize ?? 4,
    whoAmI: () => {
      const answer = answers[asked++ % answers.length] as number | Error;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(`${MAIN}/task/${answer}`);
    },
    mainNice: () => options.mainNice ?? 10,
    getNice: (tid) => nice[tid] ?? options.mainNice ?? 10,
    setNice: (tid, value) => {
      set.push([tid, value]);
      nice[tid] = value;
    },
    mainTid: MAIN,
  };
  return { priority: new PoolPriority(deps), set, asked: () => asked };
}

/** Asks `times` times, each once the previous answer is in. */
async function ask(p: ReturnType<typeof fakePool>, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const before = p.asked();
    p.priority.lowerOne();
    if (p.asked() === before) return; // it has stopped asking
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('the thread pool below the main thread', () => {
  it('lowers each thread the pool names to nine levels below the main thread, once, and never the main thread', async () => {
    const p = fakePool([201, 202, 201, MAIN, 203, 202, 204]);
    await ask(p, 7);
    expect(p.set).toEqual([
      [201, 10 + POOL_NICE_STEP],
      [202, 10 + POOL_NICE_STEP],
      [203, 10 + POOL_NICE_STEP],
      [204, 10 + POOL_NICE_STEP],
    ]);
    expect(p.priority.threads().sort()).toEqual([201, 202, 203, 204]);
  });

  it('stops asking once it has found as many threads as the pool has', async () => {
    const p = fakePool([1, 2, 3, 4, 5, 6], { poolSize: 3 });
    await ask(p, 20);
    expect(p.asked()).toBe(3);
    expect(p.priority.threads()).toEqual([1, 2, 3]);
  });

  it('gives up after sixteen readlinks per thread of the pool when the same threads keep answering', async () => {
    const p = fakePool([7], { poolSize: 2 });
    await ask(p, 100);
    expect(p.asked()).toBe(32);
    expect(p.set).toEqual([[7, 19]]);
  });

  it('asks one readlink at a time', () => {
    const p = fakePool([1, 2, 3]);
    p.priority.lowerOne();
    p.priority.lowerOne();
    p.priority.lowerOne();
    expect(p.asked()).toBe(1);
  });

  it('goes no lower than 19, and leaves a thread that is already lower where it is', async () => {
    const p = fakePool([1, 2, 3], { mainNice: 15, nice: { 2: 19 } });
    await ask(p, 3);
    expect(p.set).toEqual([
      [1, 19],
      [3, 19],
    ]);
  });

  it('stops for good where /proc/thread-self cannot be read', async () => {
    const p = fakePool([new Error('ENOENT'), 1, 2]);
    p.priority.lowerOne();
    await new Promise((resolve) => setImmediate(resolve)); // the failure seen
    await ask(p, 5);
    expect(p.asked()).toBe(1);
    expect(p.set).toEqual([]);
  });
});
