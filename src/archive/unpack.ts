// Extracts inner archives to folders: one inner archive into a target (optionally only its `data/`
// subtree, as a restore needs), or a whole backup into `OUT/backup.json` + `OUT/<inner name>/`.
// The plaintext's SHA-256 is checked against the digest recorded in backup.json on the way.

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digestExtraKey } from './backup-json.js';
import type { BackupReader, InnerArchive } from './backup-reader.js';
import { IntegrityError } from '../util/errors.js';
import { innerTarBytes } from './inner-decompress.js';
import { readTarEntries, type TarEntry } from './inner-tar-reader.js';
import { extractEntries, type ExtractResult } from './safe-extract.js';
import type { Secret } from './securetar/securetar-header.js';
import { tap } from '../util/chunks.js';

export interface ExtractInnerOptions {
  stripPrefix?: string;
  /** Only entries whose archive path passes are extracted (the others are read and skipped). */
  filter?: (path: string) => boolean;
  signal?: AbortSignal;
  /** Called with plaintext bytes as they are read (for progress). */
  onBytes?: (bytes: number) => void;
  /** Everything extracted is on disk (fsynced) when this resolves. */
  durable?: boolean;
}

export interface ExtractInnerResult extends ExtractResult {
  sha256: string | null;
}

async function* filterEntries(entries: AsyncIterable<TarEntry>, keep: (path: string) => boolean): AsyncGenerator<TarEntry> {
  for await (const entry of entries) {
    if (keep(entry.path)) yield entry;
    else for await (const _ of entry.body); // read past it; the digest covers every byte
  }
}

/** Recorded digest of an inner archive, if backup.json has one. */
export function recordedDigest(reader: BackupReader, inner: InnerArchive): string | null {
  const v = reader.json?.extra?.[digestExtraKey(inner.name)];
  return typeof v === 'string' ? v : null;
}

export async function extractInner(
  reader: BackupReader,
  inner: InnerArchive,
  secret: Secret | null,
  target: string,
  opts: ExtractInnerOptions = {},
): Promise<ExtractInnerResult> {
  const enc = await reader.encryption(inner);
  const hash = createHash('sha256');
  const plain = tap(await reader.plaintext(inner, secret), (c) => {
    hash.update(c);
    opts.onBytes?.(c.length);
  });
  const entries = readTarEntries(innerTarBytes(plain, { lenient: enc.kind === 'v1' }));
  const result = await extractEntries(opts.filter ? filterEntries(entries, opts.filter) : entries, {
    target,
    stripPrefix: opts.stripPrefix,
    signal: opts.signal,
    durable: opts.durable,
  });
  if (enc.kind === 'v1') return { ...result, sha256: null };
  const sha256 = hash.digest('hex');
  const recorded = recordedDigest(reader, inner);
  if (recorded && recorded !== sha256) {
    throw new IntegrityError(`${inner.name} does not match its recorded SHA-256 digest (the backup is corrupt)`);
  }
  return { ...result, sha256 };
}

export function innerFolderName(inner: InnerArchive): string {
  return inner.name.replace(/\.(tar\.gz|tgz|tar)$/, '');
}

export interface UnpackResult {
  members: { name: string; folder: string; result: ExtractInnerResult }[];
}

/** Writes OUT/backup.json and each inner archive's content under OUT/<inner name>/. */
export async function unpackBackup(
  reader: BackupReader,
  outDir: string,
  secret: Secret | null,
  opts: Omit<ExtractInnerOptions, 'stripPrefix'> = {},
): Promise<UnpackResult> {
  await mkdir(outDir, { recursive: true });
  const json = await reader.backupJsonBytes();
  if (json) await writeFile(join(outDir, 'backup.json'), json);
  const members: UnpackResult['members'] = [];
  for (const inner of reader.innerArchives()) {
    const folder = innerFolderName(inner);
    const result = await extractInner(reader, inner, secret, join(outDir, folder), opts);
    members.push({ name: inner.name, folder, result });
  }
  return { members };
}
