// The archive index keeps a bounded number of checkpoints: past its limit it keeps every other
// one and doubles the spacing, so the windows it holds while a backup is written stay small.
import { describe, expect, it } from 'vitest';
import { ArchiveIndexBuilder } from '../../src/archive/archive-index.js';

describe('the archive index checkpoints', () => {
  it('stay within the limit, evenly spread from the start, each with its own window', () => {
    const builder = new ArchiveIndexBuilder('gzip', 1000, 4);
    for (let i = 0; i < 40; i++) {
      builder.block({ inputOffset: i * 1000, outputOffset: i * 300, dictionary: Buffer.alloc(16, i) });
    }
    const { checkpoints, windows } = builder.finish();
    expect(checkpoints.length).toBeLessThanOrEqual(4);
    // 40 block starts 1000 apart: thinned three times, 16 000 apart at the end.
    expect(checkpoints.map(([, tar]) => tar)).toEqual([0, 16000, 32000]);
    for (const [gzip, tar, start, length] of checkpoints) {
      expect(gzip).toBe((tar / 1000) * 300);
      expect(windows.subarray(start, start + length)).toEqual(Buffer.alloc(16, tar / 1000));
    }
  });
});
