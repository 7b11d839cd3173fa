// Reads a recorder dump back from a restored tree (`lifeboat-recorder-dump/`): its manifest, then
// its parts in order as one stream, checked against the manifest's size and SHA-256 as they pass —
// a loader fed from here fails before the end of input when a byte is wrong or missing.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveCorruptError } from '../../util/errors.js';
import { DUMP_MANIFEST, DumpManifestSchema, partName, type DumpManifest } from './dump-entries.js';

/** The dump's manifest in `folder`, or null when the folder holds no dump. */
export async function readDumpManifest(folder: string): Promise<DumpManifest | null> {
  let text: string;
  try {
    text = await readFile(join(folder, DUMP_MANIFEST), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = DumpManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new ArchiveCorruptError('The recorder dump in this backup has an unreadable manifest');
  return parsed.data;
}

/** The dump's bytes, part after part; throws ArchiveCorruptError at the end when they are not the recorded ones. */
export async function* readDumpParts(folder: string, manifest: DumpManifest): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let bytes = 0;
  for (let i = 1; i <= manifest.parts; i++) {
    for await (const chunk of createReadStream(join(folder, partName(i)), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      if (bytes > manifest.bytes) throw new ArchiveCorruptError('The recorder dump in this backup is longer than its manifest says');
      yield chunk;
    }
  }
  if (bytes !== manifest.bytes || hash.digest('hex') !== manifest.sha256) {
    throw new ArchiveCorruptError('The recorder dump in this backup does not match its recorded size and SHA-256');
  }
}
