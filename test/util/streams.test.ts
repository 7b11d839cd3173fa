// throughTransform with a real inflater: the bytes come through exact, and with the release
// options the inflater's input and output buffers are freed as soon as they are done with.
import { createGunzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { passOwnership } from '../../src/util/release-buffer.js';
import { throughTransform, type ThroughOptions } from '../../src/util/streams.js';
import { prng } from '../helpers/craft-archive.js';

const MiB = 1 << 20;

/** 6 MiB of text-like data (compresses about 3:1), so that it inflates into several output buffers. */
function plaintext(): Buffer {
  const rand = prng(7);
  const out = Buffer.alloc(6 * MiB);
  for (let i = 0; i < out.length; i++) out[i] = 97 + Math.floor(rand() * 8);
  return out;
}

async function* fresh(data: Buffer, size: number, pass: boolean, handed: Buffer[]) {
  for (let at = 0; at < data.length; at += size) {
    const chunk = Buffer.from(data.subarray(at, at + size)); // a copy in a buffer of its own
    handed.push(pass ? passOwnership(chunk) : chunk);
    yield chunk;
  }
}

async function inflate(options: ThroughOptions, pass: boolean) {
  const plain = plaintext();
  const inputs: Buffer[] = [];
  const outputs: Buffer[] = [];
  const copies: Buffer[] = [];
  const gunzip = createGunzip({ chunkSize: MiB });
  for await (const chunk of throughTransform(fresh(gzipSync(plain), 256 * 1024, pass, inputs), gunzip, options)) {
    outputs.push(chunk);
    copies.push(Buffer.from(chunk)); // the consumer copies, and keeps no view
  }
  return { plain, inputs, outputs, inflated: Buffer.concat(copies) };
}

describe('throughTransform', () => {
  it('frees the inflater output and the passed-on input once done with, and the bytes are exact', async () => {
    const r = await inflate({ releaseInput: true, releaseOutput: true }, true);
    expect(r.inflated.equals(r.plain)).toBe(true);
    expect(new Set(r.outputs.map((c) => c.buffer)).size).toBeGreaterThan(3);
    expect(r.outputs.every((c) => c.byteLength === 0)).toBe(true);
    expect(r.inputs.every((c) => c.byteLength === 0)).toBe(true);
  });

  it('leaves input that was not passed on alone', async () => {
    const r = await inflate({ releaseInput: true }, false);
    expect(r.inflated.equals(r.plain)).toBe(true);
    expect(r.inputs.every((c) => c.byteLength > 0)).toBe(true);
  });

  it('frees nothing without the options', async () => {
    const r = await inflate({}, true);
    expect(r.inflated.equals(r.plain)).toBe(true);
    expect(r.inputs.every((c) => c.byteLength > 0)).toBe(true);
    expect(Buffer.concat(r.outputs).equals(r.plain)).toBe(true); // every output chunk still readable
  });
});
