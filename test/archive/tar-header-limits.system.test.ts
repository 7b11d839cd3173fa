// Owners and times beyond what a ustar header holds (a uid of a directory service, a file dated
// past the year 2242) do not stop a backup: they go into PAX records, which both Python's tarfile
// (Home Assistant's reader) and Lifeboat's own reader take back exactly.

import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { innerTarStream, type InnerEntry } from '../../src/archive/inner-tar-writer.js';
import { readTarEntries } from '../../src/archive/inner-tar-reader.js';
import { collect } from '../../src/util/chunks.js';
import { tmpDir } from '../helpers/tmp.js';

const PYTHON = '/usr/bin/python3';

async function* list<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

const FAR = 9_000_000_000n * 1_000_000_000n; // 2255-03-12, in nanoseconds
const entries: InnerEntry[] = [
  { path: 'data/idmapped.yaml', type: 'file', mode: 0o644, mtimeNs: 1_767_225_600n * 1_000_000_000n, uid: 1_234_567_890, gid: 3_000_000, size: 3, data: Buffer.from('a\n\n') },
  { path: 'data/future.yaml', type: 'file', mode: 0o600, mtimeNs: FAR, uid: 1000, gid: 1000, size: 2, data: Buffer.from('b\n') },
];

describe('tar headers beyond the ustar fields', () => {
  it('carries a large uid, gid and a far-future mtime in PAX records that Python and Lifeboat read back', async () => {
    const tar = await collect(innerTarStream(list(entries)));
    const read = [];
    for await (const e of readTarEntries(list([tar]))) {
      read.push({ path: e.path, uid: e.uid, gid: e.gid, mtimeNs: e.mtimeNs, body: (await collect(e.body)).toString() });
    }
    expect(read).toEqual([
      { path: 'data/idmapped.yaml', uid: 1_234_567_890, gid: 3_000_000, mtimeNs: 1_767_225_600n * 1_000_000_000n, body: 'a\n\n' },
      { path: 'data/future.yaml', uid: 1000, gid: 1000, mtimeNs: FAR, body: 'b\n' },
    ]);

    const file = join(await tmpDir(), 'inner.tar');
    await writeFile(file, tar);
    const script = 'import sys, tarfile\nfor m in tarfile.open(sys.argv[1]): print(m.name, m.uid, m.gid, int(m.mtime), m.size)';
    const python = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
    expect(python.stderr).toBe('');
    expect(python.stdout.trim().split('\n')).toEqual(['data/idmapped.yaml 1234567890 3000000 1767225600 3', 'data/future.yaml 1000 1000 9000000000 2']);
  });
});
