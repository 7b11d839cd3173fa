// The pure rules behind the fan-out and its retries: which stream each location gets (Home
// Assistant's protection table, and received backups always as is), the backoff of upload retries
// and of the background queue, and the pace of the bandwidth limit.

import { describe, expect, it } from 'vitest';
import { streamPlan } from '../../src/manager/upload-fanout.js';
import { nextRetryAt, MAX_ATTEMPTS, UploadQueue } from '../../src/manager/upload-queue.js';
import { backoffDelay } from '../../src/agents/retrying-agent.js';
import { paced } from '../../src/agents/throttled-agent.js';
import { isTransient, LocationAuthError, VerificationError } from '../../src/agents/agent-errors.js';
import { BackupAgentUnreachableError, BackupNotFound, IncorrectPasswordError } from '../../src/util/errors.js';
import { tmpDir } from '../helpers/tmp.js';
import { join } from 'node:path';

describe('stream per location', () => {
  it.each([
    // asIs, password, file protected, desired → plan
    [false, null, false, true, 'as_is'],
    [false, null, true, false, 'as_is'],
    [false, 'k', true, true, 'as_is'],
    [false, 'k', false, false, 'as_is'],
    [false, 'k', false, true, 'encrypt'],
    [false, 'k', true, false, 'decrypt'],
    [false, 'k', false, undefined, 'encrypt'],
    [false, 'k', true, undefined, 'as_is'],
    [true, 'k', true, false, 'as_is'],
    [true, 'k', false, true, 'as_is'],
  ] as const)('asIs=%s password=%s file protected=%s desired=%s → %s', (asIs, password, fileProtected, desired, plan) => {
    expect(streamPlan({ asIs, password, fileProtected, desired })).toBe(plan);
  });
});

describe('retry timing', () => {
  it('backs off exponentially with jitter, capped', () => {
    const policy = { baseMs: 1000, maxMs: 8000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(policy, a, () => 0))).toEqual([500, 1000, 2000, 4000, 4000]);
  });

  it('queues failed copies with growing delays and gives up after MAX_ATTEMPTS', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(nextRetryAt(1, now, () => 1).getTime() - now.getTime()).toBe(60_000);
    expect(nextRetryAt(20, now, () => 1).getTime() - now.getTime()).toBe(6 * 3600_000);
    const q = await UploadQueue.load(join(await tmpDir(), 'q.json'), () => 1);
    for (let i = 1; i < MAX_ATTEMPTS; i++) expect(await q.failed('b1', 's3.x', false, 'down', now)).toBe(true);
    expect(q.list()).toHaveLength(1);
    expect(q.due(now)).toEqual([]);
    expect(await q.failed('b1', 's3.x', false, 'down', now)).toBe(false);
    expect(q.list()).toEqual([]);
  });

  it('tells passing failures from lasting ones', () => {
    expect(isTransient(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient({ $metadata: { httpStatusCode: 503 }, name: 'ServiceUnavailable', message: '' })).toBe(true);
    expect(isTransient(new BackupAgentUnreachableError())).toBe(true);
    expect(isTransient(new VerificationError('x'))).toBe(true);
    expect(isTransient({ status: 401, message: 'Invalid response: 401' })).toBe(false);
    expect(isTransient(new LocationAuthError('x'))).toBe(false);
    expect(isTransient(new BackupNotFound('x'))).toBe(false);
    expect(isTransient(new IncorrectPasswordError())).toBe(false);
  });
});

describe('bandwidth limit', () => {
  it('paces a stream to the given rate', async () => {
    const rate = 4 * 1024 * 1024;
    // A clock that moves only when the pacer waits: the time it takes is the time it waited.
    let clock = 0;
    const pace = { now: () => clock, sleep: async (ms: number) => void (clock += ms) };
    let n = 0;
    for await (const c of paced((async function* () { for (let i = 0; i < 12; i++) yield Buffer.alloc(1024 * 1024); })(), rate, pace)) n += c.length;
    const seconds = clock / 1000;
    expect(n).toBe(12 * 1024 * 1024);
    // One second of burst, then 8 MiB at 4 MiB/s.
    expect(seconds).toBeGreaterThan(1.7);
    expect(seconds).toBeLessThan(3.5);
  });
});
