// The recorder's dump as entries of the backup's inner archive, streamed: a tar entry needs its
// size before its bytes, and a dump's size is known only at its end, so the dump is cut into parts
// of a fixed size (a few parts in memory at a time, read ahead so the dump never waits for the
// compression) in `data/lifeboat-recorder-dump/`, followed by a
// manifest with the kind, the server's version, the total size and the SHA-256 of the whole dump.
// Home Assistant's own restore leaves the folder in the configuration folder as plain files, from
// which the dump can be loaded by hand (`cat *.sql | mariadb …`, see docs/recorder-databases.md).

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatUnpackedSize, LIFEBOAT_EXTRA_PREFIX, type ExtraMetadata } from '../../archive/backup-json.js';
import type { InnerEntry } from '../../archive/inner-tar-writer.js';
import { ARCHIVE_ROOT } from '../tree-walk.js';
import { rechunk, tap } from '../../util/chunks.js';
import { readAhead } from '../../util/concurrency.js';
import type { ExternalKind, ExternalRecorder } from './external-recorder.js';

/** The dump's folder in the installation's tree (and in the archive, under `data/`). */
export const DUMP_FOLDER = 'lifeboat-recorder-dump';
export const DUMP_MANIFEST = 'manifest.json';
const DEFAULT_PART_BYTES = 4 << 20;
/** Parts read ahead of the archive (memory: this many parts, plus the one being filled). */
const PARTS_AHEAD = 2;
/** Part file names sort in their order: `000001.sql`, `000002.sql`, … */
export const partName = (index: number) => `${String(index).padStart(6, '0')}.sql`;

export const DumpManifestSchema = z.object({
  format: z.literal(1),
  kind: z.enum(['mysql', 'postgresql']),
  server_version: z.string(),
  parts: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type DumpManifest = z.infer<typeof DumpManifestSchema>;

/** The facts of the dump in backup.json's `extra_metadata` (strings, fixed widths: patched in place). */
export const RECORDER_EXTRA = {
  kind: `${LIFEBOAT_EXTRA_PREFIX}recorder_kind`,
  serverVersion: `${LIFEBOAT_EXTRA_PREFIX}recorder_server_version`,
  size: `${LIFEBOAT_EXTRA_PREFIX}recorder_dump_size`,
  sha256: `${LIFEBOAT_EXTRA_PREFIX}recorder_dump_sha256`,
} as const;

export function recorderExtra(kind: ExternalKind, serverVersion: string, bytes = 0, sha256 = '0'.repeat(64)): ExtraMetadata {
  return {
    [RECORDER_EXTRA.kind]: kind,
    [RECORDER_EXTRA.serverVersion]: serverVersion,
    [RECORDER_EXTRA.size]: formatUnpackedSize(bytes),
    [RECORDER_EXTRA.sha256]: sha256,
  };
}

const README = (kind: ExternalKind) =>
  [
    "Home Assistant's recorder database, dumped by Lifeboat when this backup was made.",
    '',
    'Lifeboat loads it back when it restores this backup. To load it by hand into an empty database:',
    kind === 'mysql' ? '  cat [0-9]*.sql | mariadb --default-character-set=utf8mb4 -u USER -p DATABASE' : '  cat [0-9]*.sql | psql -U USER -d DATABASE  (after DROP SCHEMA public CASCADE)',
    '',
    'manifest.json holds the dump\'s size and SHA-256. This folder can be deleted.',
    '',
  ].join('\n');

export interface DumpInArchive {
  entries: AsyncIterable<InnerEntry>;
  /** The dump's facts once its entries have all been read (null before). */
  manifest(): DumpManifest | null;
}

/**
 * The entries of one dump. The dump starts when the entries are first read; a dump that fails
 * part-way fails the iteration (and so the backup) with the tool's error.
 */
export function dumpEntries(recorder: ExternalRecorder, serverVersion: string, opts: { mtimeNs: bigint; signal?: AbortSignal; partBytes?: number }): DumpInArchive {
  const partBytes = opts.partBytes ?? DEFAULT_PART_BYTES;
  const dir = `${ARCHIVE_ROOT}/${DUMP_FOLDER}`;
  // A dump is made afresh each time and shifts with every change: not worth keeping as segments.
  const file = (name: string, data: Buffer): InnerEntry => ({ path: `${dir}/${name}`, type: 'file', mode: 0o600, mtimeNs: opts.mtimeNs, size: data.length, data, reusable: false });
  let done: DumpManifest | null = null;

  async function* entries(): AsyncGenerator<InnerEntry> {
    yield { path: dir, type: 'directory', mode: 0o700, mtimeNs: opts.mtimeNs };
    yield file('README.txt', Buffer.from(README(recorder.kind)));
    const tool = recorder.startDump(opts.signal);
    const hash = createHash('sha256');
    let bytes = 0;
    let parts = 0;
    const dumped = tap(tool.child.stdout as AsyncIterable<Buffer>, (chunk) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    let finished = false;
    try {
      // Read ahead: the dump goes on while the archive compresses and encrypts the parts before.
      for await (const part of readAhead(rechunk(dumped, partBytes), PARTS_AHEAD)) yield file(partName(++parts), part);
      await tool.done;
      finished = true;
    } finally {
      // A failed dump, or an archive that stopped reading (an error, a cancel): the tool goes too.
      if (!finished) {
        tool.child.kill('SIGKILL');
        await tool.done.catch(() => undefined);
      }
    }
    done = { format: 1, kind: recorder.kind, server_version: serverVersion, parts, bytes, sha256: hash.digest('hex') };
    yield file(DUMP_MANIFEST, Buffer.from(`${JSON.stringify(done, null, 2)}\n`));
  }

  return { entries: entries(), manifest: () => done };
}
