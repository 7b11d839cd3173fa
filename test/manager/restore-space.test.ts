// How much a restore will write: the unpacked size Lifeboat recorded, else (a backup made by Home
// Assistant) the compressed member's size, never a value that is not a whole positive number.

import { describe, expect, it } from 'vitest';
import { unpackedBytes } from '../../src/manager/restore-space.js';

const withExtra = (extra: Record<string, string>) => ({ extra_metadata: extra });
const KEY = 'lifeboat.unpacked_size:homeassistant.tar.gz';

describe('the bytes a restore writes', () => {
  it('are the unpacked size Lifeboat recorded', () => {
    expect(unpackedBytes(withExtra({ [KEY]: '0000000123456789' }), 'homeassistant.tar.gz', 1000)).toBe(123456789);
  });
  it.each([[{}], [{ [KEY]: 'lots' }], [{ [KEY]: '-5' }], [{ [KEY]: '0000000000000000' }], [{ [KEY]: '1e400' }]])(
    'are at least the compressed size when nothing usable was recorded (%j)',
    (extra) => {
      expect(unpackedBytes(withExtra(extra), 'homeassistant.tar.gz', 1000)).toBe(1000);
    },
  );
});
