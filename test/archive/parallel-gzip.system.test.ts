import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parallelGzip } from '../../src/archive/parallel-gzip.js';
import { collect } from '../../src/util/chunks.js';
import { ENGINES } from '../helpers/libdeflate.js';

async function* pieces(data: Buffer, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

function gzipMembers(gz: Buffer): number {
  // Python's gzip module reads members one by one; count how many there are.
  const py = spawnSync('python3', ['-c', `
import sys, zlib
data = sys.stdin.buffer.read(); n = 0
while data:
    d = zlib.decompressobj(31); d.decompress(data); n += 1; data = d.unused_data
print(n)`], { input: gz });
  if (py.status !== 0) throw new Error(py.stderr.toString());
  return Number(py.stdout.toString().trim());
}

const text = Buffer.from(Array.from({ length: 60000 }, (_, i) => `sensor.temp_${i % 40}: ${(i * 7) % 1000}\n`).join(''));
const random = randomBytes(3 << 20);

describe.each(ENGINES)('parallel gzip with %s', (_engineName, engineOf) => {
  it.each([
    ['empty input', Buffer.alloc(0)],
    ['one byte', Buffer.from('x')],
    ['text across many blocks', text],
    ['random data (stored blocks)', random],
    ['text, random, text', Buffer.concat([text, random, text])],
  ])('%s: decompresses to the input and is a single gzip member', async (_label, input) => {
    const gz = await collect(parallelGzip(pieces(input, 100_000), { blockSize: 256 * 1024, engine: engineOf() }));
    expect(gunzipSync(gz).equals(input)).toBe(true);
    expect(gzipMembers(gz)).toBe(1);
  });

  it('compresses text about as well as one-stream gzip and does not inflate random data', async () => {
    const gz = await collect(parallelGzip(pieces(text, 1 << 20), { engine: engineOf() }));
    expect(gz.length).toBeLessThan(text.length * 0.3);
    const gzRandom = await collect(parallelGzip(pieces(random, 1 << 20), { engine: engineOf() }));
    expect(gzRandom.length).toBeLessThan(random.length * 1.001);
  });

  it('writes the header Home Assistant streaming writer uses (FNAME with empty name, OS 255)', async () => {
    const gz = await collect(parallelGzip(pieces(text, 1 << 20), { level: 9, mtime: 0x01020304 }));
    expect([...gz.subarray(0, 11)]).toEqual([0x1f, 0x8b, 8, 8, 4, 3, 2, 1, 2, 0xff, 0]);
  });

  it('rejects a level outside 1–9', async () => {
    await expect(collect(parallelGzip(pieces(text, 1000), { level: 0 }))).rejects.toThrow(/1–9/);
  });
});
