// Restored modification times keep their microsecond, also where the nearest double to it lies
// just below (times in the first microsecond of a millisecond), through the real utimes call.
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { utimeSeconds } from '../../src/archive/safe-extract.js';
import { prng } from '../helpers/craft-archive.js';
import { tmpDir } from '../helpers/tmp.js';

describe('utimeSeconds', () => {
  it('sets exactly the microsecond of a time given in nanoseconds', async () => {
    const file = join(await tmpDir(), 'f');
    writeFileSync(file, '');
    const random = prng(0x7157);
    const wrong: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const seconds = 1_000_000_000n + BigInt(Math.floor(random() * 1_000_000_000));
      const ms = BigInt(Math.floor(random() * 1000));
      // Half of them in the first microsecond of a millisecond, where a plain division loses one.
      const usInMs = i % 2 ? 0n : BigInt(Math.floor(random() * 1000));
      const ns = seconds * 1_000_000_000n + ms * 1_000_000n + usInMs * 1000n + BigInt(Math.floor(random() * 1000));
      const t = utimeSeconds(ns);
      utimesSync(file, t, t);
      const got = statSync(file, { bigint: true }).mtimeNs;
      if (got / 1000n !== ns / 1000n) wrong.push(`${ns} → ${got}`);
    }
    expect(wrong).toEqual([]);
  });
});
