// Reads a Home Assistant backup file: metadata without decrypting, the password check Home
// Assistant performs before a restore, and each inner archive as a plaintext stream, tar bytes or
// entries — for Core and Supervisor layouts and SecureTar v1, v2 and v3.

import { basename } from 'node:path';
import { FileByteSource, readRange, type ByteSource } from './byte-source.js';
import { deriveAgentBackup, parseBackupJson, type AgentBackup, type BackupJson } from './backup-json.js';
import { MAX_BACKUP_JSON_BYTES, checkLimit } from './archive-limits.js';
import {
  ArchiveCorruptError,
  ArchiveLimitExceeded,
  ArchiveTruncatedError,
  IncorrectPasswordError,
  InvalidBackupArchive,
  PasswordRequiredError,
} from '../util/errors.js';
import { innerTarBytes, isGzip } from './inner-decompress.js';
import { readTarEntries, type TarEntry } from './inner-tar-reader.js';
import { HOME_ASSISTANT_ARCHIVES, indexOuterTar, normaliseMemberName, type OuterMember } from './outer-tar.js';
import {
  V2_HEADER_SIZE,
  V3_HEADER_SIZE,
  V3_MESSAGE_SIZE,
  aesIv,
  aesKeyFromSecret,
  encryptedMemberSize,
  hasMagic,
  parseCommonHeader,
  v3MessageCount,
  type Secret,
} from './securetar/securetar-header.js';
import { checkAesPassword, decryptAesCbc, decryptAesCbcFrom } from './securetar/securetar-v2.js';
import {
  V3_CIPHER_MESSAGE_SIZE,
  decryptV3,
  openV3RootContext,
  parseV3Fields,
  type V3HeaderFields,
  type V3RootContext,
} from './securetar/securetar-v3.js';

export type Encryption =
  | { kind: 'none'; compressed: boolean; plaintextSize: number }
  | { kind: 'v1' }
  | { kind: 'v2'; plaintextSize: number }
  | { kind: 'v3'; plaintextSize: number; fields: V3HeaderFields };

export interface InnerArchive {
  member: OuterMember;
  /** Base name without a leading `./`, e.g. `homeassistant.tar.gz`. */
  name: string;
  /** The part before the first dot: `homeassistant`, an add-on slug, a folder name. */
  prefix: string;
}

const INNER_RE = /^([^./\\\0]+)\.(?:tar\.gz|tgz|tar)$/;
const HEAD_BYTES = V3_HEADER_SIZE + 512;

export class BackupReader {
  private readonly v3Contexts = new Map<string, V3RootContext>();
  private readonly encryptions = new Map<OuterMember, Encryption>();

  private constructor(
    readonly source: ByteSource,
    readonly members: OuterMember[],
    readonly jsonMember: OuterMember | null,
    readonly json: BackupJson | null,
    private readonly jsonError: Error | null,
  ) {}

  /** Opens a backup file. Only headers and backup.json are read. */
  static async open(path: string): Promise<BackupReader> {
    const src = await FileByteSource.open(path);
    try {
      return await BackupReader.fromSource(src, basename(path));
    } catch (err) {
      await src.close();
      throw err;
    }
  }

  static async fromSource(src: ByteSource, fileName?: string): Promise<BackupReader> {
    const members = await indexOrBare(src, fileName);
    const jsonMember =
      members.find((m) => m.name === './backup.json') ??
      members.find((m) => normaliseMemberName(m.name) === 'backup.json') ??
      null;
    let json: BackupJson | null = null;
    let jsonError: Error | null = null;
    if (jsonMember) {
      try {
        json = parseBackupJson((await readBackupJson(src, jsonMember)).toString('utf8'));
      } catch (err) {
        jsonError = err as Error;
      }
    }
    return new BackupReader(src, members, jsonMember, json, jsonError);
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  /** The derived record (Home Assistant's reader rules); throws when backup.json is unusable. */
  get backup(): AgentBackup {
    if (this.jsonError) throw this.jsonError;
    if (!this.json) throw new InvalidBackupArchive('The archive has no backup.json, so it is not a Home Assistant backup');
    return deriveAgentBackup(this.json, this.source.size);
  }

  /** backup.json as stored (null when there is none); refused when implausibly large. */
  async backupJsonBytes(): Promise<Buffer | null> {
    return this.jsonMember ? readBackupJson(this.source, this.jsonMember) : null;
  }

  /** True when backup.json is stored as `./backup.json`, as Home Assistant requires. */
  get strictLayout(): boolean {
    return this.jsonMember?.name === './backup.json';
  }

  innerArchives(): InnerArchive[] {
    const out: InnerArchive[] = [];
    for (const member of this.members) {
      if (member === this.jsonMember || member.type !== '0') continue;
      const name = normaliseMemberName(member.name);
      if (name.includes('/')) continue;
      const m = INNER_RE.exec(name);
      if (m) out.push({ member, name, prefix: m[1] as string });
    }
    return out;
  }

  /** The Home Assistant inner archive: `homeassistant.tar` first, then `homeassistant.tar.gz`. */
  homeAssistantArchive(): InnerArchive | null {
    const inner = this.innerArchives();
    for (const name of HOME_ASSISTANT_ARCHIVES) {
      const found = inner.find((a) => a.name === name);
      if (found) return found;
    }
    return null;
  }

  /** How an inner archive is stored, from its first bytes. */
  async encryption(inner: InnerArchive): Promise<Encryption> {
    const cached = this.encryptions.get(inner.member);
    if (cached) return cached;
    const { member } = inner;
    const head = await this.source.read(member.dataOffset, Math.min(member.size, HEAD_BYTES));
    let enc: Encryption;
    if (hasMagic(head)) {
      const common = parseCommonHeader(head);
      if (common.version === 2) {
        if (member.size < V2_HEADER_SIZE) throw new ArchiveTruncatedError(`${inner.name}: SecureTar header is truncated`);
        enc = { kind: 'v2', plaintextSize: common.plaintextSize };
      } else {
        if (member.size < V3_HEADER_SIZE) throw new ArchiveTruncatedError(`${inner.name}: SecureTar header is truncated`);
        enc = { kind: 'v3', plaintextSize: common.plaintextSize, fields: parseV3Fields(Buffer.from(head)) };
      }
    } else if (isGzip(head)) {
      enc = { kind: 'none', compressed: true, plaintextSize: member.size };
    } else if (head.length >= 262 && head.subarray(257, 262).toString('binary') === 'ustar') {
      enc = { kind: 'none', compressed: false, plaintextSize: member.size };
    } else if (member.size >= 32 && member.size % 16 === 0) {
      enc = { kind: 'v1' };
    } else {
      throw new ArchiveCorruptError(`${inner.name} is neither gzip, tar nor SecureTar data`);
    }
    this.encryptions.set(inner.member, enc);
    return enc;
  }

  private async v3Context(fields: V3HeaderFields, password: string): Promise<V3RootContext> {
    const key = `${fields.rootSalt.toString('hex')}:${fields.validationSalt.toString('hex')}:${password}`;
    let ctx = this.v3Contexts.get(key);
    if (!ctx) {
      ctx = await openV3RootContext(fields, password);
      this.v3Contexts.set(key, ctx);
    }
    return ctx;
  }

  /**
   * Checks a secret against one inner archive without decrypting its body (v3: validation key;
   * v1/v2: the first 512 bytes must look like gzip or tar). Unencrypted archives accept anything.
   */
  async checkSecret(inner: InnerArchive, secret: Secret | null): Promise<void> {
    const enc = await this.encryption(inner);
    if (enc.kind === 'none') return;
    if (secret === null) throw new PasswordRequiredError(`${inner.name} is encrypted and no password was provided.`);
    if (enc.kind === 'v3') {
      if (typeof secret !== 'string') throw new IncorrectPasswordError('SecureTar v3 needs a password, not a raw key.');
      await this.v3Context(enc.fields, secret);
      return;
    }
    const offset = enc.kind === 'v2' ? V2_HEADER_SIZE : 16;
    const salt = await this.source.read(inner.member.dataOffset + (enc.kind === 'v2' ? 32 : 0), 16);
    const first = await this.source.read(inner.member.dataOffset + offset, 512);
    checkAesPassword(first, aesKeyFromSecret(secret), salt);
  }

  /**
   * Home Assistant's restore check on the Home Assistant inner archive: a wrong password, a
   * missing one for an encrypted backup, and one given for an unencrypted backup all fail.
   */
  async validatePassword(password: string | null): Promise<void> {
    const inner = this.homeAssistantArchive();
    if (!inner) throw new InvalidBackupArchive('The backup contains no Home Assistant archive (homeassistant.tar.gz)');
    const enc = await this.encryption(inner);
    if (enc.kind === 'none') {
      if (password !== null) throw new IncorrectPasswordError('The backup is not encrypted, but a password was provided.');
      return;
    }
    await this.checkSecret(inner, password);
  }

  /** The inner archive's plaintext: exactly P bytes for v2/v3/plain; v1 yields padded data. */
  async plaintext(inner: InnerArchive, secret: Secret | null): Promise<AsyncIterable<Buffer>> {
    const enc = await this.encryption(inner);
    const { member } = inner;
    if (enc.kind === 'none') return readRange(this.source, member.dataOffset, member.size);
    await this.checkSecret(inner, secret);
    const s = secret as Secret;
    if (enc.kind === 'v3') {
      const needed = encryptedMemberSize(3, enc.plaintextSize);
      if (member.size < needed) {
        throw new ArchiveTruncatedError(
          member.size === V3_HEADER_SIZE
            ? `${inner.name}: SecureTar v3 ciphertext is too short (the encrypted body is missing)`
            : `${inner.name}: SecureTar v3 ciphertext is too short (${needed - member.size} bytes missing; truncated)`,
        );
      }
      const ctx = await this.v3Context(enc.fields, s as string);
      // Whole messages per read, so none has to be joined from two reads.
      const body = readRange(this.source, member.dataOffset + V3_HEADER_SIZE, needed - V3_HEADER_SIZE, V3_CIPHER_MESSAGE_SIZE);
      return decryptV3(body, ctx, enc.fields.derivationSalt, enc.fields.streamHeader, enc.plaintextSize);
    }
    const key = aesKeyFromSecret(s);
    if (enc.kind === 'v2') {
      // Every v2 writer pads with 1–16 bytes, so the size is exact; a member cut by whole blocks
      // (even one holding only padding) is truncated, as Home Assistant's reader would find.
      const needed = encryptedMemberSize(2, enc.plaintextSize);
      if (member.size < needed) {
        throw new ArchiveTruncatedError(
          `${inner.name}: SecureTar v2 ciphertext is too short (${needed - member.size} bytes missing; truncated)`,
        );
      }
      const salt = await this.source.read(member.dataOffset + 32, 16);
      const body = readRange(this.source, member.dataOffset + V2_HEADER_SIZE, member.size - V2_HEADER_SIZE);
      return decryptAesCbc(body, key, salt, enc.plaintextSize);
    }
    const salt = await this.source.read(member.dataOffset, 16);
    return decryptAesCbc(readRange(this.source, member.dataOffset + 16, member.size - 16), key, salt);
  }

  /**
   * The inner archive's plaintext from byte `offset` on, decrypting only from there: v2 takes the
   * ciphertext block before as IV, v3 starts at the message holding `offset` with the stream state
   * rebuilt from the MACs before it. Null for SecureTar v1 (whose plaintext is read whole).
   */
  async plaintextFrom(inner: InnerArchive, secret: Secret | null, offset: number): Promise<AsyncIterable<Buffer> | null> {
    const enc = await this.encryption(inner);
    const { member } = inner;
    if (enc.kind === 'v1') return null;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > enc.plaintextSize) throw new RangeError('plaintext offset out of range');
    if (enc.kind === 'none') return readRange(this.source, member.dataOffset + offset, member.size - offset);
    await this.checkSecret(inner, secret);
    const s = secret as Secret;
    if (enc.kind === 'v3') {
      const needed = encryptedMemberSize(3, enc.plaintextSize);
      if (member.size < needed) throw new ArchiveTruncatedError(`${inner.name}: SecureTar v3 ciphertext is too short (truncated)`);
      const ctx = await this.v3Context(enc.fields, s as string);
      const message = Math.min(Math.floor(offset / V3_MESSAGE_SIZE), v3MessageCount(enc.plaintextSize) - 1);
      const macXor = await this.v3MacXor(member, message);
      const start = V3_HEADER_SIZE + message * V3_CIPHER_MESSAGE_SIZE;
      const body = readRange(this.source, member.dataOffset + start, needed - start, V3_CIPHER_MESSAGE_SIZE);
      return skipBytes(decryptV3(body, ctx, enc.fields.derivationSalt, enc.fields.streamHeader, enc.plaintextSize, { message, macXor }), offset - message * V3_MESSAGE_SIZE);
    }
    const key = aesKeyFromSecret(s);
    const needed = encryptedMemberSize(2, enc.plaintextSize);
    if (member.size < needed) throw new ArchiveTruncatedError(`${inner.name}: SecureTar v2 ciphertext is too short (truncated)`);
    const block = Math.floor(offset / 16);
    const bodyStart = member.dataOffset + V2_HEADER_SIZE;
    const iv = block === 0 ? aesIv(key, await this.source.read(member.dataOffset + 32, 16)) : await this.source.read(bodyStart + (block - 1) * 16, 16);
    const body = readRange(this.source, bodyStart + block * 16, needed - V2_HEADER_SIZE - block * 16);
    return skipBytes(decryptAesCbcFrom(body, key, iv, enc.plaintextSize - block * 16), offset - block * 16);
  }

  /** XOR of the first 8 MAC bytes of the v3 messages before `message` (read from the file). */
  private async v3MacXor(member: OuterMember, message: number): Promise<Buffer> {
    const xor = Buffer.alloc(8);
    const base = member.dataOffset + V3_HEADER_SIZE;
    for (let i = 0; i < message; i += 1) {
      const mac = await this.source.read(base + (i + 1) * V3_CIPHER_MESSAGE_SIZE - 16, 8);
      if (mac.length < 8) throw new ArchiveTruncatedError('SecureTar v3 ciphertext is too short (truncated)');
      for (let j = 0; j < 8; j++) xor[j] = (xor[j] as number) ^ (mac[j] as number);
    }
    return xor;
  }

  /** The inner archive as tar bytes (decrypted and decompressed). */
  async tarBytes(inner: InnerArchive, secret: Secret | null): Promise<AsyncIterable<Buffer>> {
    const enc = await this.encryption(inner);
    return innerTarBytes(await this.plaintext(inner, secret), { lenient: enc.kind === 'v1' });
  }

  /**
   * The inner archive's entries; each entry's body must be consumed before the next, and each piece
   * of a body is valid only until the next piece is asked for (copy what you keep).
   */
  async entries(inner: InnerArchive, secret: Secret | null): Promise<AsyncIterable<TarEntry>> {
    return readTarEntries(await this.tarBytes(inner, secret));
  }
}

/** `source` without its first `count` bytes. */
async function* skipBytes(source: AsyncIterable<Buffer>, count: number): AsyncGenerator<Buffer> {
  let left = count;
  for await (const chunk of source) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left > 0 ? chunk.subarray(left) : chunk;
    left = 0;
  }
}

/** Reads backup.json whole, once its size is known to be plausible (never a huge read). */
async function readBackupJson(src: ByteSource, member: OuterMember): Promise<Buffer> {
  checkLimit(member.size, MAX_BACKUP_JSON_BYTES, 'the size of backup.json (bytes)', 'the backup');
  return src.read(member.dataOffset, member.size);
}

/**
 * Indexes the outer tar. A file that is not a tar but a bare inner archive (gzip or SecureTar
 * v2/v3, e.g. `homeassistant.tar.gz` taken out of a backup) is read as a one-member backup.
 */
async function indexOrBare(src: ByteSource, fileName?: string): Promise<OuterMember[]> {
  try {
    return await indexOuterTar(src);
  } catch (err) {
    if (!(err instanceof InvalidBackupArchive) || err instanceof ArchiveLimitExceeded) throw err;
    const head = await src.read(0, 16);
    if (!hasMagic(head) && !isGzip(head)) throw err;
    const name = fileName && INNER_RE.test(fileName) ? fileName : 'archive.tar.gz';
    return [{ name, headerOffset: 0, dataOffset: 0, size: src.size, mtime: 0, mode: 0o644, type: '0' }];
  }
}

/** Opens, runs `fn`, and always closes. */
export async function withBackupReader<T>(path: string, fn: (reader: BackupReader) => Promise<T>): Promise<T> {
  const reader = await BackupReader.open(path);
  try {
    return await fn(reader);
  } finally {
    await reader.close();
  }
}
