// Extraction's file-system side (folders, files and hard links created in order on a worker
// thread): exact modes whatever the umask, contents that span many transfer batches, and
// failures reported with their system error code; a worker started ahead serves the next extraction.
import { lstat, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TarEntry } from '../../src/archive/inner-tar-reader.js';
import { warmUpExtractWorker } from '../../src/archive/extract-writer.js';
import { extractEntries } from '../../src/archive/safe-extract.js';
import { fromBuffers } from '../../src/util/chunks.js';
import { tmpDir } from '../helpers/tmp.js';

const MTIME_NS = 1_700_000_000_123_456_000n;

function entry(path: string, type: TarEntry['type'], mode: number, data: Buffer[] = [], linkname = ''): TarEntry {
  const size = data.reduce((n, b) => n + b.length, 0);
  return { path, type, rawType: type, mode, uid: 0, gid: 0, size, mtimeNs: MTIME_NS, linkname, body: fromBuffers(...data) };
}

async function* entries(list: TarEntry[]): AsyncGenerator<TarEntry> {
  yield* list;
}

/** Entries that start a turn of the event loop late, as from a decrypting reader. */
async function* late(list: TarEntry[]): AsyncGenerator<TarEntry> {
  await new Promise((r) => setImmediate(r));
  yield* list;
}

describe('extraction on the writer thread', () => {
  it('gives small and large files exactly their modes, including bits the umask strips', async () => {
    expect(process.umask() & 0o022).toBe(0o022); // the case that matters: group and world write stripped on creation
    const out = await tmpDir();
    const big = Buffer.alloc((1 << 20) + 1, 7);
    const modes = [0o777, 0o666, 0o444, 0o1755, 0o600];
    const list = [entry('data/', 'directory', 0o755)];
    for (const mode of modes) {
      list.push(entry(`data/small-${mode.toString(8)}`, 'file', mode, [Buffer.from('x')]));
      list.push(entry(`data/large-${mode.toString(8)}`, 'file', mode, [big]));
    }
    await extractEntries(entries(list), { target: out, stripPrefix: 'data' });
    for (const mode of modes) {
      for (const kind of ['small', 'large']) {
        const st = await lstat(join(out, `${kind}-${mode.toString(8)}`));
        expect(`${kind} ${(st.mode & 0o7777).toString(8)}`).toBe(`${kind} ${mode.toString(8)}`);
        expect(st.mtimeMs).toBe(1_700_000_000_123.456);
      }
    }
  });

  it('writes contents that span many transfer batches, interleaved with small files and hard links, in order', async () => {
    const out = await tmpDir();
    const pieces = Array.from({ length: 9 }, (_, i) => Buffer.alloc(700_000 + i, i + 1));
    const list: TarEntry[] = [];
    for (let i = 0; i < 40; i++) list.push(entry(`d${i % 3}/f${i}`, 'file', 0o644, [Buffer.from(`file ${i}\n`.repeat(i * 100))]));
    list.push(entry('d1/huge.bin', 'file', 0o640, pieces));
    list.push(entry('d2/huge-link', 'link', 0o640, [], 'd1/huge.bin'));
    list.push(entry('d0/after', 'file', 0o644, [Buffer.from('after')]));
    await extractEntries(entries(list), { target: out });
    expect((await readFile(join(out, 'd1/huge.bin'))).equals(Buffer.concat(pieces))).toBe(true);
    expect((await stat(join(out, 'd2/huge-link'))).ino).toBe((await stat(join(out, 'd1/huge.bin'))).ino);
    for (let i = 0; i < 40; i++) expect(await readFile(join(out, `d${i % 3}/f${i}`), 'utf8')).toBe(`file ${i}\n`.repeat(i * 100));
    expect(await readFile(join(out, 'd0/after'), 'utf8')).toBe('after');
  });

  it('writes files larger than the background datasync stretch exactly in a durable extraction, one closing while the next is begun', async () => {
    const out = await tmpDir();
    const list: TarEntry[] = [];
    const expected = new Map<string, Buffer>();
    for (let i = 0; i < 3; i++) {
      const pieces = Array.from({ length: 21 }, (_, n) => Buffer.alloc(1 << 20, (i * 31 + n) & 0xff));
      expected.set(`big${i}.bin`, Buffer.concat(pieces));
      list.push(entry(`big${i}.bin`, 'file', 0o600, pieces));
      list.push(entry(`small${i}`, 'file', 0o644, [Buffer.from(`small ${i}`)]));
    }
    await extractEntries(late(list), { target: out, durable: true });
    for (const [name, bytes] of expected) expect((await readFile(join(out, name))).equals(bytes), name).toBe(true);
    for (let i = 0; i < 3; i++) expect(await readFile(join(out, `small${i}`), 'utf8')).toBe(`small ${i}`);
  });

  it('reports a failed system call with its error code, and creates nothing after it', async () => {
    const out = await tmpDir();
    const tooLong = `${'n'.repeat(300)}.txt`;
    const list = [entry('ok.txt', 'file', 0o644, [Buffer.from('ok')]), entry(tooLong, 'file', 0o644, [Buffer.from('x')]), entry('later.txt', 'file', 0o644, [Buffer.from('later')])];
    await expect(extractEntries(entries(list), { target: out })).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    expect(await readFile(join(out, 'ok.txt'), 'utf8')).toBe('ok');
    await expect(lstat(join(out, 'later.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('extracts the next archive completely after one refused while its operations were still queued', async () => {
    const first = await tmpDir();
    // The target goes out alone; a.txt is still queued when the refusal comes.
    const refused = [entry('a.txt', 'file', 0o644, [Buffer.from('a')]), entry('../escape.txt', 'file', 0o644, [Buffer.from('x')])];
    await expect(extractEntries(late(refused), { target: first })).rejects.toThrow(/leaves the target folder/);
    const second = await tmpDir();
    await extractEntries(entries([entry('b.txt', 'file', 0o644, [Buffer.from('b')]), entry('d/c.txt', 'file', 0o644, [Buffer.from('c')])]), { target: second });
    expect(await readFile(join(second, 'b.txt'), 'utf8')).toBe('b');
    expect(await readFile(join(second, 'd/c.txt'), 'utf8')).toBe('c');
  });

  it('extracts with a worker started ahead (asking twice starts one)', async () => {
    warmUpExtractWorker();
    warmUpExtractWorker();
    const out = await tmpDir();
    await extractEntries(late([entry('warm.txt', 'file', 0o600, [Buffer.from('warm')])]), { target: out });
    expect(await readFile(join(out, 'warm.txt'), 'utf8')).toBe('warm');
    expect((await lstat(join(out, 'warm.txt'))).mode & 0o777).toBe(0o600);
  });
});
