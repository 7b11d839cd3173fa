// The failed-login limiter keeps bounded memory: what has expired is forgotten, and however many
// addresses fail, at most the cap is followed — while an address still locks out after repeated
// failures.
import { describe, expect, it } from 'vitest';
import { FailedAuthLimiter } from '../../src/server/auth.js';

describe('failed-login limiter', () => {
  it('locks an address out after five failures, and lets it in again after the lockout', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter(() => now);
    for (let i = 0; i < 5; i++) limiter.recordFailure('10.0.0.1');
    expect(limiter.isLocked('10.0.0.1')).toBe(true);
    expect(limiter.isLocked('10.0.0.2')).toBe(false);
    now += 61_000;
    expect(limiter.isLocked('10.0.0.1')).toBe(false);
  });

  it('forgets failures and lockouts once they expired', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter(() => now);
    for (let a = 0; a < 200; a++) limiter.recordFailure(`10.0.${a >> 8}.${a & 255}`);
    for (let i = 0; i < 5; i++) limiter.recordFailure('10.9.9.9');
    expect(limiter.tracked).toEqual({ failures: 200, lockouts: 1 });
    now += 61_000;
    expect(limiter.tracked).toEqual({ failures: 0, lockouts: 0 });
  });

  it('follows at most the cap of addresses, however many fail within the window', () => {
    let now = 0;
    const limiter = new FailedAuthLimiter(() => now, 100);
    for (let a = 0; a < 1000; a++) {
      now += 1;
      limiter.recordFailure(`fd00::${a.toString(16)}`);
    }
    expect(limiter.tracked.failures).toBeLessThanOrEqual(100);
    for (let a = 0; a < 300; a++) for (let i = 0; i < 5; i++) limiter.recordFailure(`fd01::${a.toString(16)}`);
    expect(limiter.tracked.lockouts).toBeLessThanOrEqual(100);
    // The newest lockouts are kept.
    expect(limiter.isLocked('fd01::12b')).toBe(true);
  });
});
