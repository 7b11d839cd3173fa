// Writes a Home Assistant Core backup file in one streaming pass: `./backup.json` first, then
// `homeassistant.tar.gz` (inner tar → parallel gzip → SecureTar v3/v2 or plain). Sizes, the
// SecureTar plaintext size and the SHA-256 digest are only known at the end, so their fields are
// reserved up front and patched in place (as Home Assistant does). Memory stays flat. The inner
// archive's index (entries, gzip checkpoints) is gathered on the way, at almost no cost.

import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import {
  buildCoreBackupJson,
  deriveAgentBackup,
  digestExtraKey,
  serializeBackupJson,
  type AgentBackup,
  type BackupJson,
  type CoreBackupJsonInput,
  type ExtraMetadata,
  formatUnpackedSize,
  unpackedSizeExtraKey,
} from './backup-json.js';
import { ArchiveIndexBuilder, type ArchiveIndexBody } from './archive-index.js';
import { BackupReaderWriterError } from '../util/errors.js';
import { innerTarStream, type InnerEntry } from './inner-tar-writer.js';
import { INNER_HEADER_SIZE, backupJsonHeader, endOfArchive, innerMemberHeader, paddingFor } from './outer-tar.js';
import { parallelGzip } from './parallel-gzip.js';
import type { WholeDeflater } from './libdeflate.js';
import { SegmentPlan } from './segment-plan.js';
import type { SegmentStore } from './segment-store.js';
import { encryptWhenReady } from './securetar/deferred-encryption.js';
import { createArchiveEncryptor, type ArchiveEncryptor } from './securetar/member-encryptor.js';
import { V2_HEADER_SIZE, V3_HEADER_SIZE } from './securetar/securetar-header.js';
import { padTo512 } from './tar-header.js';
import { systemClock, type Clock } from '../util/clock.js';
import { FileWriter } from '../util/file-writer.js';
import { tap } from '../util/chunks.js';

export const HOMEASSISTANT_MEMBER = 'homeassistant.tar.gz';
const DIGEST_PLACEHOLDER = '0'.repeat(64);
/** Compressed bytes gathered at most while the encryption key is being derived. */
const GATHER_WHILE_KEYING = 8 << 20;

export type BackupMeta = Omit<CoreBackupJsonInput, 'protected'>;

export interface WriteProgress {
  /** Uncompressed inner-tar bytes produced so far. */
  inputBytes: number;
  /** Bytes written to the file so far. */
  outputBytes: number;
}

export interface BackupWriteOptions {
  entries: AsyncIterable<InnerEntry>;
  meta: BackupMeta;
  /** Encrypts when set (an empty string is a valid password). */
  password?: string | null;
  secureTarVersion?: 2 | 3;
  /**
   * The encryptor for `password` and `secureTarVersion` when the caller began making it (deriving
   * its key) earlier, so that it is ready sooner; otherwise it is begun here, as the archive begins.
   * One encryptor serves one archive: its members' parameters are made once and kept.
   */
  encryptor?: Promise<ArchiveEncryptor>;
  /** gzip level 1–9, default 6. */
  level?: number;
  signal?: AbortSignal;
  onProgress?: (progress: WriteProgress) => void;
  /** Dates the archive's members (default: the machine's clock). */
  clock?: Clock;
  /**
   * Values of `extra_metadata` known only once every entry was read. Each key must be in
   * `meta.extra` already, with a placeholder of the same length: backup.json is patched in place.
   */
  finalExtra?: () => ExtraMetadata;
  /** Large files are compressed as segments, looked up here and kept here (segment-plan.ts). */
  segments?: SegmentStore;
  /** The whole-buffer compressor; null: zlib. Default: libdeflate where it can be loaded. */
  engine?: WholeDeflater | null;
}

export interface WrittenBackup {
  backup: AgentBackup;
  json: BackupJson;
  size: number;
  /** Size of the inner archive's plaintext (the gzip stream). */
  plaintextSize: number;
  sha256: string;
  /** The inner archive's index (entries and checkpoints), for its keeper to tie to the file. */
  index: ArchiveIndexBody;
}

async function* abortable<T>(source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  for await (const item of source) {
    signal?.throwIfAborted();
    yield item;
  }
}

/** Writes the backup to `path` (which must not exist); the file is removed again on failure. */
export async function writeBackupFile(path: string, opts: BackupWriteOptions): Promise<WrittenBackup> {
  const encrypted = opts.password !== undefined && opts.password !== null;
  const version = opts.secureTarVersion ?? 3;
  // The key is derived (unless the caller began that earlier) while the archive is already being read and compressed.
  const pendingMember = encrypted
    ? (opts.encryptor ?? createArchiveEncryptor(opts.password as string, version)).then((e) => {
        if (e.version !== version) throw new BackupReaderWriterError(`Internal error: a SecureTar v${e.version} encryptor for a v${version} archive`);
        return e.forMember(0);
      })
    : null;
  pendingMember?.catch(() => undefined); // observed where it is awaited

  const json = buildCoreBackupJson({
    ...opts.meta,
    protected: encrypted,
    extra: {
      ...opts.meta.extra,
      [digestExtraKey(HOMEASSISTANT_MEMBER)]: DIGEST_PLACEHOLDER,
      [unpackedSizeExtraKey(HOMEASSISTANT_MEMBER)]: formatUnpackedSize(0),
    },
  });
  const jsonText = serializeBackupJson(json);
  const jsonBytes = Buffer.from(jsonText, 'utf8');
  const nowS = (opts.clock ?? systemClock).now().epochMs / 1000;

  const out = await FileWriter.create(path);
  let ok = false;
  try {
    await out.write(backupJsonHeader(jsonBytes.length, nowS));
    const jsonOffset = out.position;
    await out.write(jsonBytes);
    await out.write(paddingFor(jsonBytes.length));
    const memberHeaderOffset = out.position;
    await out.write(Buffer.alloc(INNER_HEADER_SIZE));
    const dataOffset = out.position;
    if (encrypted) await out.write(Buffer.alloc(version === 2 ? V2_HEADER_SIZE : V3_HEADER_SIZE));

    const hash = createHash('sha256');
    let inputBytes = 0;
    let plaintextSize = 0;
    const index = new ArchiveIndexBuilder('gzip');
    const plan = opts.segments ? new SegmentPlan() : undefined;
    const tar = innerTarStream(abortable(opts.entries, opts.signal), { onContent: plan && ((start, size) => plan.add(start, size)) });
    const tarBytes = tap(tar, (c) => {
      inputBytes += c.length;
      index.tar(c);
    });
    const compressed = parallelGzip(tarBytes, {
      level: opts.level ?? 6,
      mtime: Math.floor(nowS),
      onBlock: (b) => index.block(b),
      plan,
      segments: opts.segments,
      engine: opts.engine,
    });
    const gzipped = tap(compressed, (c) => {
      hash.update(c);
      plaintextSize += c.length;
    });
    const body = pendingMember ? encryptWhenReady(pendingMember, gzipped, GATHER_WHILE_KEYING) : gzipped;
    for await (const chunk of body) {
      await out.write(chunk); // copies and releases it
      opts.onProgress?.({ inputBytes, outputBytes: out.position });
    }
    opts.signal?.throwIfAborted();

    const member = pendingMember ? await pendingMember : null;
    const memberSize = out.position - dataOffset;
    if (member && memberSize !== member.memberSize(plaintextSize)) {
      throw new BackupReaderWriterError('Internal error: encrypted member size does not match its plaintext size');
    }
    await out.write(paddingFor(memberSize));
    await out.write(endOfArchive(out.position));
    const size = out.position;

    const sha256 = hash.digest('hex');
    const finalJson = buildCoreBackupJson({
      ...opts.meta,
      protected: encrypted,
      extra: {
        ...opts.meta.extra,
        ...opts.finalExtra?.(),
        [digestExtraKey(HOMEASSISTANT_MEMBER)]: sha256,
        [unpackedSizeExtraKey(HOMEASSISTANT_MEMBER)]: formatUnpackedSize(inputBytes),
      },
    });
    const finalBytes = Buffer.from(serializeBackupJson(finalJson), 'utf8');
    if (finalBytes.length !== jsonBytes.length) throw new Error('backup.json changed length while patching');
    await out.patch(jsonOffset, finalBytes);
    await out.patch(memberHeaderOffset, innerMemberHeader(HOMEASSISTANT_MEMBER, memberSize, nowS));
    if (member) await out.patch(dataOffset, member.header(plaintextSize));
    if (padTo512(jsonBytes.length) + 512 !== memberHeaderOffset) throw new Error('unexpected layout');
    await out.finish();
    ok = true;
    return { backup: deriveAgentBackup(finalJson, size), json: finalJson, size, plaintextSize, sha256, index: index.finish() };
  } finally {
    if (!ok) {
      await out.abandon();
      await unlink(path).catch(() => undefined);
    }
  }
}
