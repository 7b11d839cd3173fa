// The walk's buffers belong to the compressor once yielded: a small file read whole is handed over
// like a large file's reads, so the compressor frees it the moment it has copied it, instead of
// leaving megabytes of photos to the collector while the next stretch of the database is read.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { release } from '../../src/util/owned-chunks.js';
import { makeTree } from '../helpers/tree.js';
import { tmpDir } from '../helpers/tmp.js';

describe('a small file read by the walk', () => {
  it('is handed over with its content intact, and freed at once when the compressor releases it', async () => {
    const root = join(await tmpDir(), 'config');
    const photo = Buffer.alloc(200 * 1024, 0xa5);
    photo.write('JFIF', 6);
    await makeTree(root, { 'www/camera.jpg': photo, 'configuration.yaml': 'homeassistant:\n' });
    const rules = ExcludeRules.forBackup({ includeDatabase: true });
    let seen = 0;
    for await (const entry of walkInstallation({ root, rules })) {
      if (entry.path !== 'data/www/camera.jpg') continue;
      const data = entry.data;
      if (!Buffer.isBuffer(data)) throw new Error('a small file is read whole');
      expect(data.equals(photo)).toBe(true);
      release(data);
      expect(data.buffer.byteLength).toBe(0); // detached: its memory is returned
      seen++;
    }
    expect(seen).toBe(1);
  });
});
