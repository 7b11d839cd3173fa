// The pool's threads, found by rounds of readlinks, each lowered once below the main thread; the
// search ends when the pool is found, after sixteen rounds, at a failure, or at a thread of another
// process. The real pool and priorities: pool-priority.system.test.ts.
import { describe, expect, it } from 'vitest';
import { POOL_NICE_STEP, PoolPriority, ROUNDS, threadPoolSize } from '../../src/util/pool-priority.js';

const PID = 100;

/** A pool whose readlinks answer with `answers` in turn (a number: that thread of this process; a string: that link; an Error: a failure). */
function fakePool(answers: (number | string | Error)[], options: { poolSize?: number; mainNice?: number } = {}) {
  const lowered: [number, number][] = [];
  let asked = 0;
  const priority = new PoolPriority({
    poolSize: options.poolSize ?? 4,
    whoAmI: () => {
      const answer = answers[asked++ % answers.length] as number | string | Error;
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve(typeof answer === 'string' ? answer : `${PID}/task/${answer}`);
    },
    mainNice: () => options.mainNice ?? 10,
    lower: (tid, nice) => lowered.push([tid, nice]),
    pid: PID,
  });
  return { priority, lowered, asked: () => asked };
}

/** Lets a round's answers in. */
const answersIn = () => new Promise((resolve) => setImmediate(resolve));

/** Asks for `times` rounds, each once the previous one is in. */
async function rounds(p: ReturnType<typeof fakePool>, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    p.priority.lowerPool();
    await answersIn();
  }
}

describe('the thread pool below the main thread', () => {
  it('lowers each thread the pool names to nine levels below the main thread, once, and never the main thread', async () => {
    const p = fakePool([201, 202, 201, PID, 203, 202, 204, 204]);
    await rounds(p, 2);
    expect(p.lowered).toEqual([
      [201, 10 + POOL_NICE_STEP],
      [202, 10 + POOL_NICE_STEP],
      [203, 10 + POOL_NICE_STEP],
      [204, 10 + POOL_NICE_STEP],
    ]);
    expect(p.priority.threads()).toEqual([201, 202, 203, 204]);
  });

  it('asks as many readlinks at once as the pool has threads, one round at a time', async () => {
    const p = fakePool([1, 1, 1, 2], { poolSize: 4 });
    p.priority.lowerPool();
    p.priority.lowerPool();
    expect(p.asked()).toBe(4);
    await answersIn();
    p.priority.lowerPool();
    expect(p.asked()).toBe(8);
  });

  it('stops asking once it has found as many threads as the pool has', async () => {
    const p = fakePool([1, 2, 3, 4, 5, 6], { poolSize: 3 });
    await rounds(p, 5);
    expect(p.asked()).toBe(3);
    expect(p.priority.threads()).toEqual([1, 2, 3]);
  });

  it('gives up after sixteen rounds when the same threads keep answering', async () => {
    const p = fakePool([7], { poolSize: 2 });
    await rounds(p, 40);
    expect(p.asked()).toBe(ROUNDS * 2);
    expect(ROUNDS).toBe(16);
    expect(p.lowered).toEqual([[7, 19]]);
  });

  it('goes no lower than 19', async () => {
    const p = fakePool([1, 2], { poolSize: 2, mainNice: 15 });
    await rounds(p, 1);
    expect(p.lowered).toEqual([
      [1, 19],
      [2, 19],
    ]);
  });

  it('stops for good where /proc/thread-self cannot be read', async () => {
    const p = fakePool([new Error('ENOENT'), 1, 2], { poolSize: 1 });
    await rounds(p, 5);
    expect(p.asked()).toBe(1);
    expect(p.lowered).toEqual([]);
  });

  it('lowers no thread of another process, and stops, where /proc belongs to another pid namespace', async () => {
    const p = fakePool(['7/task/8', '7/task/9'], { poolSize: 2 });
    await rounds(p, 5);
    expect(p.asked()).toBe(2);
    expect(p.lowered).toEqual([]);
  });

  it('reads UV_THREADPOOL_SIZE as libuv does: 4 unless set, at least 1, at most 1024', () => {
    expect(threadPoolSize(undefined)).toBe(4);
    expect(threadPoolSize('8')).toBe(8);
    expect(threadPoolSize(' 6')).toBe(6);
    expect(threadPoolSize('')).toBe(1);
    expect(threadPoolSize('0')).toBe(1);
    expect(threadPoolSize('many')).toBe(1);
    expect(threadPoolSize('5000')).toBe(1024);
    expect(threadPoolSize('-3')).toBe(1024);
  });
});
