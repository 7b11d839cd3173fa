// The inner tar reader: names from ustar, PAX and GNU records, bodies as slices whatever the
// chunking, unread bodies skipped, and corruption or truncation reported as such.
import { describe, expect, it } from 'vitest';
import { ArchiveCorruptError, ArchiveTruncatedError } from '../../src/util/errors.js';
import { readTarEntries } from '../../src/archive/inner-tar-reader.js';
import { collect } from '../../src/util/chunks.js';
import { freeNow } from '../../src/util/owned-chunks.js';
import { craftTar, TYPE, type CraftEntry } from '../helpers/craft-archive.js';

async function* chunked(data: Buffer, size: number) {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function read(tar: Buffer, chunk: number, readBodies = true) {
  const out: { path: string; type: string; rawType: string; linkname: string; size: number; mtimeNs: bigint; body: string }[] = [];
  for await (const e of readTarEntries(chunked(tar, chunk))) {
    const body = readBodies ? (await collect(e.body)).toString() : '';
    out.push({ path: e.path, type: e.type, rawType: e.rawType, linkname: e.linkname, size: e.size, mtimeNs: e.mtimeNs, body });
  }
  return out;
}

const longName = `data/${'deep/'.repeat(30)}file.txt`;
const entries: CraftEntry[] = [
  { name: 'data/', type: TYPE.directory },
  { name: 'data/a.txt', data: 'alpha\n', pax: { mtime: '1767225600.25' } },
  { name: longName, data: 'x'.repeat(1500) },
  { name: 'data/gnu', gnuLongName: 'data/gnu-long-name.txt', data: 'gnu' },
  { name: 'data/old-dir/' }, // a regular-file flag with a trailing slash: a folder in old tars
  { name: 'data/link', type: TYPE.symlink, linkname: 'a.txt' },
  { name: 'data/hard', type: TYPE.hardLink, linkname: 'data/a.txt' },
  { name: 'data/fifo', type: TYPE.fifo },
];

describe('readTarEntries', () => {
  it.each([1, 7, 512, 1000, 1 << 20])('reads every kind of entry the same way in %i-byte chunks', async (chunk) => {
    const got = await read(craftTar(entries), chunk);
    expect(got.map((e) => [e.path, e.type, e.rawType])).toEqual([
      ['data/', 'directory', 'directory'],
      ['data/a.txt', 'file', 'file'],
      [longName, 'file', 'file'],
      ['data/gnu-long-name.txt', 'file', 'file'],
      ['data/old-dir/', 'directory', 'directory'],
      ['data/link', 'symlink', 'symlink'],
      ['data/hard', 'link', 'link'],
      ['data/fifo', 'other', 'fifo'],
    ]);
    expect(got[1]?.mtimeNs).toBe(1_767_225_600_250_000_000n);
    expect(got[2]?.mtimeNs).toBe(1_767_225_600_000_000_000n);
    expect(got.map((e) => e.body)).toEqual(['', 'alpha\n', 'x'.repeat(1500), 'gnu', '', '', '', '']);
    expect(got[5]?.linkname).toBe('a.txt');
  });

  it('skips bodies the caller does not read', async () => {
    const got = await read(craftTar(entries), 100, false);
    expect(got.map((e) => e.path)).toEqual(entries.map((e) => e.gnuLongName ?? e.name));
  });

  it('reports a header with a wrong checksum as corruption', async () => {
    const tar = craftTar(entries);
    tar[600] = (tar[600] as number) ^ 0x40; // inside the second entry's header
    await expect(read(tar, 4096)).rejects.toBeInstanceOf(ArchiveCorruptError);
  });

  it('reports a stream that ends inside a body or a header as truncation', async () => {
    const tar = craftTar(entries);
    await expect(read(tar.subarray(0, 512 * 3 + 100), 4096)).rejects.toBeInstanceOf(ArchiveTruncatedError);
    await expect(read(tar.subarray(0, 512 + 300), 4096)).rejects.toBeInstanceOf(ArchiveTruncatedError);
  });

  it('reports an extended header that is never followed by its entry as truncation', async () => {
    const tar = craftTar([{ name: 'data/a', data: 'x', pax: { path: 'data/b' } }]);
    await expect(read(tar.subarray(0, 1024), 4096)).rejects.toBeInstanceOf(ArchiveTruncatedError);
  });
});

describe('readTarEntries over a source that frees each chunk once the next is asked for', () => {
  /** Yields copies of `parts`, each in a buffer of its own, and frees each when the next is requested. */
  async function* freedWhenPassed(parts: Buffer[], handed: Buffer[]) {
    for (const part of parts) {
      const chunk = Buffer.alloc(part.length);
      part.copy(chunk);
      handed.push(chunk);
      yield chunk;
      freeNow(chunk.buffer);
    }
  }

  it('uses an extended header before reading past it, so a chunk that ends with it may be freed', async () => {
    const name = `data/${'long/'.repeat(30)}name.txt`;
    const tar = craftTar([
      { name: 'data/first', data: 'x'.repeat(20_000) },
      { name, data: 'after' },
    ]);
    const record = Buffer.from(`path=${name}\n`);
    // The first chunk ends exactly where the PAX record ends; its padding is in the second.
    const end = tar.indexOf(record) + record.length;
    const handed: Buffer[] = [];
    const got: [string, string][] = [];
    for await (const e of readTarEntries(freedWhenPassed([tar.subarray(0, end), tar.subarray(end)], handed))) {
      let body = '';
      for await (const piece of e.body) body += piece.toString(); // copied before the next is asked for
      got.push([e.path, body]);
    }
    expect(got).toEqual([
      ['data/first', 'x'.repeat(20_000)],
      [name, 'after'],
    ]);
    expect(handed[0]?.byteLength).toBe(0); // the first chunk really was freed while being read
  });
});
