// throughTransform with a real inflater: the bytes come through exact; each owned input chunk is
// released once the inflater has consumed it, and the last view of each of the inflater's output
// buffers is handed over, so a consumer that releases every chunk it used up frees them all. The
// next input chunk is written while the transform works on one, and no more than that.
import { Transform } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handOver, release } from '../../src/util/owned-chunks.js';
import { throughTransform } from '../../src/util/streams.js';
import { prng } from '../helpers/craft-archive.js';

const MiB = 1 << 20;

/** 6 MiB of text-like data (compresses about 3:1), so that it inflates into several output buffers. */
function plaintext(): Buffer {
  const rand = prng(7);
  const out = Buffer.alloc(6 * MiB);
  for (let i = 0; i < out.length; i++) out[i] = 97 + Math.floor(rand() * 8);
  return out;
}

/** The plaintext and its gzip, made once (beforeAll): every test reads them and feeds copies of the gzip. */
let plain: Buffer = Buffer.alloc(0);
let gzipped: Buffer = Buffer.alloc(0);

async function* fresh(data: Buffer, size: number, pass: boolean, handed: Buffer[]) {
  for (let at = 0; at < data.length; at += size) {
    const chunk = Buffer.from(data.subarray(at, at + size)); // a copy in a buffer of its own
    handed.push(pass ? handOver(chunk) : chunk);
    yield chunk;
  }
}

async function inflate(pass: boolean, releaseOutput: boolean) {
  const inputs: Buffer[] = [];
  const outputs: Buffer[] = [];
  const copies: Buffer[] = [];
  const gunzip = createGunzip({ chunkSize: MiB });
  for await (const chunk of throughTransform(fresh(gzipped, 256 * 1024, pass, inputs), gunzip)) {
    outputs.push(chunk);
    copies.push(Buffer.from(chunk)); // the consumer copies, and keeps no view
    if (releaseOutput) release(chunk);
  }
  return { plain, inputs, outputs, inflated: Buffer.concat(copies) };
}

describe('throughTransform', () => {
  beforeAll(() => {
    plain = plaintext();
    gzipped = gzipSync(plain);
  });
  afterAll(() => {
    plain = gzipped = Buffer.alloc(0);
  });

  it('frees the inflater output the consumer released and the handed-over input once consumed; the bytes are exact', async () => {
    const r = await inflate(true, true);
    expect(r.inflated.equals(r.plain)).toBe(true);
    expect(new Set(r.outputs.map((c) => c.buffer)).size).toBeGreaterThan(3);
    expect(r.outputs.every((c) => c.byteLength === 0)).toBe(true);
    expect(r.inputs.every((c) => c.byteLength === 0)).toBe(true);
  });

  it('leaves input that was not handed over alone', async () => {
    const r = await inflate(false, true);
    expect(r.inflated.equals(r.plain)).toBe(true);
    expect(r.inputs.every((c) => c.byteLength > 0)).toBe(true);
  });

  it('frees no output the consumer did not release', async () => {
    const r = await inflate(true, false);
    expect(r.inflated.equals(r.plain)).toBe(true);
    expect(Buffer.concat(r.outputs).equals(r.plain)).toBe(true); // every output chunk still readable
  });

  it('writes the next input while the transform works on one, and reads no further ahead', async () => {
    const events: string[] = [];
    async function* source() {
      for (let i = 1; i <= 4; i++) {
        events.push(`read ${i}`);
        yield Buffer.from(`chunk ${i};`);
      }
    }
    // Works on each chunk for a while (off this thread, as zlib does); every chunk fills its buffer.
    const slow = new Transform({
      writableHighWaterMark: 1,
      transform(chunk: Buffer, _enc, done) {
        events.push(`start ${chunk.toString()}`);
        setTimeout(() => {
          events.push(`done ${chunk.toString()}`);
          done(null, chunk);
        }, 20);
      },
    });
    const out: string[] = [];
    for await (const chunk of throughTransform(source(), slow, { ahead: 2 })) out.push(chunk.toString());
    expect(out.join('')).toBe('chunk 1;chunk 2;chunk 3;chunk 4;');
    // Chunk 2 is read while chunk 1 is being transformed, and taken up as soon as chunk 1 is done;
    // chunk 3 is read only then.
    expect(events.slice(0, 6)).toEqual(['read 1', 'start chunk 1;', 'read 2', 'done chunk 1;', 'start chunk 2;', 'read 3']);
  });
});
