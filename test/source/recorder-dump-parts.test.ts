// The recorder dump's shape in the archive and its way back: parts of a fixed size in order, a
// manifest with the total size and SHA-256, the facts for backup.json at fixed widths, and a
// reader that refuses a dump whose bytes are not the recorded ones.

import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ArchiveCorruptError } from '../../src/util/errors.js';
import { DUMP_FOLDER, dumpEntries, recorderExtra, type DumpManifest } from '../../src/source/external-db/dump-entries.js';
import { readDumpManifest, readDumpParts } from '../../src/source/external-db/dump-reader.js';
import type { ExternalRecorder } from '../../src/source/external-db/external-recorder.js';
import type { RunningTool } from '../../src/source/external-db/db-process.js';
import { tmpDir } from '../helpers/tmp.js';

/** A recorder whose dump tool writes `bytes` in uneven chunks, or fails after `failAfter` bytes. */
function fakeRecorder(bytes: Buffer, opts: { failAfter?: number } = {}): ExternalRecorder & { killed: boolean } {
  const state = { killed: false };
  const startDump = (): RunningTool => {
    let settle!: (err?: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    done.catch(() => undefined);
    async function* chunks() {
      let at = 0;
      let n = 1;
      while (at < bytes.length) {
        if (opts.failAfter !== undefined && at >= opts.failAfter) {
          settle(new Error('mariadb-dump failed (exit code 2): Lost connection'));
          return;
        }
        const size = Math.min(bytes.length - at, 1000 + ((n++ * 7919) % 30_000));
        yield bytes.subarray(at, at + size);
        at += size;
      }
      settle();
    }
    const child = Object.assign(new EventEmitter(), {
      stdout: Readable.from(chunks()),
      kill: () => {
        state.killed = true;
        settle(new Error('killed'));
        return true;
      },
    });
    return { child: child as unknown as RunningTool['child'], done };
  };
  return Object.assign(state, {
    kind: 'mysql' as const,
    serverVersion: async () => 'MariaDB 10.11.19',
    startDump,
    load: async () => undefined,
    swapIn: async () => undefined,
    swapBack: async () => undefined,
    dropOld: async () => undefined,
    discardLoaded: async () => undefined,
    settle: async () => undefined,
  }) as ExternalRecorder & { killed: boolean };
}

/** Writes the dump's file entries into `dir` as Home Assistant's restore would. */
async function extract(entries: AsyncIterable<{ path: string; type: string; data?: unknown }>, dir: string): Promise<string[]> {
  const names: string[] = [];
  await mkdir(join(dir, DUMP_FOLDER), { recursive: true });
  for await (const e of entries) {
    names.push(e.path);
    if (e.type === 'file') await writeFile(join(dir, e.path.replace(/^data\//, '')), e.data as Buffer);
  }
  return names;
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of source) out.push(c);
  return Buffer.concat(out);
}

describe('the recorder dump in the archive', () => {
  const dump = randomBytes(2.5 * 65536);

  it('is cut into parts of the set size, in order, followed by a manifest with its size and digest', async () => {
    const dir = await tmpDir();
    const inArchive = dumpEntries(fakeRecorder(dump), 'MariaDB 10.11.19', { mtimeNs: 0n, partBytes: 65536 });
    const names = await extract(inArchive.entries, dir);
    expect(names).toEqual([
      `data/${DUMP_FOLDER}`,
      `data/${DUMP_FOLDER}/README.txt`,
      `data/${DUMP_FOLDER}/000001.sql`,
      `data/${DUMP_FOLDER}/000002.sql`,
      `data/${DUMP_FOLDER}/000003.sql`,
      `data/${DUMP_FOLDER}/manifest.json`,
    ]);
    expect((await readFile(join(dir, DUMP_FOLDER, '000002.sql'))).length).toBe(65536);
    expect((await readFile(join(dir, DUMP_FOLDER, '000003.sql'))).length).toBe(32768);
    const manifest = inArchive.manifest() as DumpManifest;
    expect(manifest).toEqual({ format: 1, kind: 'mysql', server_version: 'MariaDB 10.11.19', parts: 3, bytes: dump.length, sha256: createHash('sha256').update(dump).digest('hex') });
    expect(await readDumpManifest(join(dir, DUMP_FOLDER))).toEqual(manifest);
    expect((await collect(readDumpParts(join(dir, DUMP_FOLDER), manifest))).equals(dump)).toBe(true);
  });

  it('records its facts in backup.json at the same length before and after the dump', () => {
    const before = JSON.stringify(recorderExtra('postgresql', 'PostgreSQL 15.18'));
    const after = JSON.stringify(recorderExtra('postgresql', 'PostgreSQL 15.18', 123_456_789, 'ab'.repeat(32)));
    expect(after.length).toBe(before.length);
    expect(after).not.toMatch(/password|hass|127\.0\.0\.1/);
  });

  it('fails the archive when the dump tool fails part-way, and gives no manifest', async () => {
    const inArchive = dumpEntries(fakeRecorder(dump, { failAfter: 70_000 }), 'v', { mtimeNs: 0n, partBytes: 65536 });
    await expect(extract(inArchive.entries, await tmpDir())).rejects.toThrow(/Lost connection/);
    expect(inArchive.manifest()).toBeNull();
  });

  it('stops the dump tool when the archive stops reading', async () => {
    const recorder = fakeRecorder(dump);
    const inArchive = dumpEntries(recorder, 'v', { mtimeNs: 0n, partBytes: 65536 });
    for await (const e of inArchive.entries) if (e.path.endsWith('000001.sql')) break;
    expect(recorder.killed).toBe(true);
  });

  it('is refused on the way back when one byte of a part changed, or a part is short', async () => {
    const dir = await tmpDir();
    const inArchive = dumpEntries(fakeRecorder(dump), 'v', { mtimeNs: 0n, partBytes: 65536 });
    await extract(inArchive.entries, dir);
    const manifest = inArchive.manifest() as DumpManifest;
    const part = join(dir, DUMP_FOLDER, '000002.sql');
    const original = await readFile(part);
    const flipped = Buffer.from(original);
    flipped[100] = (flipped[100] as number) ^ 1;
    await writeFile(part, flipped);
    await expect(collect(readDumpParts(join(dir, DUMP_FOLDER), manifest))).rejects.toThrow(ArchiveCorruptError);
    await writeFile(part, original.subarray(0, 1000));
    await expect(collect(readDumpParts(join(dir, DUMP_FOLDER), manifest))).rejects.toThrow(ArchiveCorruptError);
  });
});
