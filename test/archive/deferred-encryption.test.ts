// Encryption that starts before its key is derived: the plaintext produced meanwhile is kept
// (copied, though its producer reuses its buffers) and encrypted once the key is there.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encryptWhenReady } from '../../src/archive/securetar/deferred-encryption.js';
import type { MemberEncryptor } from '../../src/archive/securetar/member-encryptor.js';
import { collect } from '../../src/util/chunks.js';

/** An "encryptor" that brackets each chunk, so the order and the bytes can be checked. */
const tagging: MemberEncryptor = {
  version: 3,
  headerSize: 0,
  header: () => Buffer.alloc(0),
  memberSize: (n) => n,
  encrypt: async function* (plain) {
    for await (const c of plain) yield Buffer.concat([Buffer.from('['), c, Buffer.from(']')]);
  },
};

/** Yields the same buffer over and over with new content, as a producer that reuses its buffers. */
async function* reusing(count: number, log: string[]) {
  const buf = Buffer.alloc(3);
  try {
    for (let i = 0; i < count; i++) {
      buf.write(`c${i}`.padEnd(3, '.'));
      log.push(`made ${i}`);
      yield buf;
    }
  } finally {
    log.push('closed');
  }
}

/** A key that arrives after `ms` on the fake clock: the tests move time on instead of waiting. */
const later = <T>(value: T, ms: number) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('encryptWhenReady', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('encrypts what was produced before the key arrived, in order and intact', async () => {
    const log: string[] = [];
    const out = collect(encryptWhenReady(later(tagging, 30), reusing(5, log), 1 << 20));
    await vi.advanceTimersByTimeAsync(30);
    expect((await out).toString()).toBe('[c0.][c1.][c2.][c3.][c4.]');
  });

  it('stops gathering at its limit and waits for the key', async () => {
    const log: string[] = [];
    const key = later(tagging, 40);
    const it = encryptWhenReady(key, reusing(100, log), 6)[Symbol.asyncIterator]();
    const first = it.next();
    await vi.advanceTimersByTimeAsync(20);
    expect(log.filter((l) => l.startsWith('made')).length).toBeLessThanOrEqual(3);
    await vi.advanceTimersByTimeAsync(20);
    expect((await first).value?.toString()).toBe('[c0.]');
    await it.return?.(undefined);
    expect(log).toContain('closed');
  });

  it('fails when the key cannot be derived, and stops the producer', async () => {
    const log: string[] = [];
    const failing = Promise.reject(new Error('no key'));
    failing.catch(() => undefined);
    await expect(collect(encryptWhenReady(failing, reusing(3, log), 1 << 20))).rejects.toThrow('no key');
    expect(log).toContain('closed');
  });
});
