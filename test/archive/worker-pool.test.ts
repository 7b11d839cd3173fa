// The worker pool behind parallel compression: ordered results, transfers, and failures that stay
// contained to their job or worker.
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/util/worker-pool.js';
import { startModuleWorker } from '../../src/util/worker.js';
import type { EchoJob, EchoResult } from '../helpers/echo-worker.js';

const ECHO = new URL('../helpers/echo-worker.ts', import.meta.url);
const pools: WorkerPool<EchoJob, EchoResult>[] = [];

function pool(size: number): WorkerPool<EchoJob, EchoResult> {
  const p = new WorkerPool<EchoJob, EchoResult>(() => startModuleWorker(ECHO), size);
  pools.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('WorkerPool', () => {
  it('returns every result to its own job, in order when awaited in order, though later jobs finish first', async () => {
    const p = pool(2);
    const jobs = [0, 1, 2, 3, 4, 5].map((value) => p.run({ value, delayMs: value === 0 ? 150 : 5 }));
    const finished: number[] = [];
    jobs.forEach((j) => void j.then((r) => finished.push(r.value)));
    const inOrder: number[] = [];
    for (const j of jobs) inOrder.push((await j).value);
    expect(inOrder).toEqual([0, 1, 2, 3, 4, 5]);
    expect(finished[0]).not.toBe(0); // the slow first job was overtaken
  });

  it('moves buffers into the worker and back instead of copying them', async () => {
    const p = pool(1);
    const buffer = new ArrayBuffer(4096);
    new Uint8Array(buffer).fill(7);
    const result = await p.run({ value: 1, buffer }, [buffer]);
    expect(buffer.byteLength).toBe(0); // detached: it was transferred
    expect(result.bytes).toBe(4096);
    expect(new Uint8Array(result.buffer as ArrayBuffer)[4095]).toBe(7);
  });

  it('rejects only the job that throws and keeps serving the others', async () => {
    const p = pool(1);
    const bad = p.run({ value: 1, fail: true });
    const good = p.run({ value: 2 });
    await expect(bad).rejects.toThrow('job 1 failed');
    expect((await good).value).toBe(2);
    expect((await p.run({ value: 3 })).value).toBe(3);
  });

  it('rejects the jobs of a worker that dies and replaces it for later jobs', async () => {
    const p = pool(1);
    const dying = p.run({ value: 1, exit: true });
    await expect(dying).rejects.toThrow(/exited with code 3/);
    expect((await p.run({ value: 2 })).value).toBe(2);
  });

  it('rejects outstanding and later jobs once closed', async () => {
    const p = pool(1);
    const slow = expect(p.run({ value: 1, delayMs: 300 })).rejects.toThrow(/closed/);
    await p.close();
    await slow;
    await expect(p.run({ value: 2 })).rejects.toThrow(/closed/);
  });
});
