// Re-encodes a whole backup as a stream: encrypts an unencrypted backup or decrypts an encrypted
// one (per-location protection, decrypt-on-download). Only `protected` changes in backup.json; the
// inner plaintext — and so its recorded digest — is unchanged. The exact output size is known
// before the first byte, and every opening of the stream yields identical bytes.

import { serializeBackupJson, type AgentBackup } from './backup-json.js';
import type { BackupReader, InnerArchive } from './backup-reader.js';
import { readRange } from './byte-source.js';
import { DecryptOnDownloadNotSupported, InvalidBackupArchive } from '../util/errors.js';
import { backupJsonHeader, endOfArchive, memberHeader, paddingFor } from './outer-tar.js';
import { createArchiveEncryptor } from './securetar/member-encryptor.js';
import { padTo512 } from './tar-header.js';

export interface ReencodeOptions {
  /** true: encrypt an unencrypted backup; false: decrypt an encrypted one. */
  protect: boolean;
  password: string;
  secureTarVersion?: 2 | 3;
}

export interface ReencodePlan {
  /** Exact size of the re-encoded backup. */
  size: number;
  /** The record of the re-encoded backup (protected flag and size updated). */
  backup: AgentBackup;
  /** Opens the stream; may be called more than once, always yielding the same bytes. */
  open(): AsyncGenerator<Buffer>;
}

type Part = { header: Buffer; size: number; body: () => AsyncIterable<Buffer> };

/** Inner archives Home Assistant expects: homeassistant, each add-on slug, each folder. */
function expectedPrefixes(reader: BackupReader): Set<string> {
  const b = reader.backup;
  const out = new Set<string>();
  if (b.homeassistant_included) out.add('homeassistant');
  for (const a of b.addons) out.add(a.slug);
  for (const f of b.folders) out.add(f.replace(/\//g, '_'));
  return out;
}

export async function planReencode(reader: BackupReader, opts: ReencodeOptions): Promise<ReencodePlan> {
  if (!reader.json || !reader.jsonMember) throw new InvalidBackupArchive('The archive has no backup.json');
  const source = reader.backup;
  const expected = expectedPrefixes(reader);
  const innerByMember = new Map(reader.innerArchives().map((a) => [a.member, a] as const));
  const encryptor = opts.protect ? await createArchiveEncryptor(opts.password, opts.secureTarVersion ?? 3) : null;

  const parts: Part[] = [];
  let encryptedIndex = 0;
  for (const member of reader.members) {
    const mtime = member.mtime;
    if (member === reader.jsonMember) {
      const json = Buffer.from(serializeBackupJson({ ...reader.json, protected: opts.protect }), 'utf8');
      parts.push({ header: backupJsonHeader(json.length, mtime), size: json.length, body: async function* () { yield json; } });
      continue;
    }
    if (member.type !== '0') continue; // directories and links in an outer archive carry nothing
    const inner: InnerArchive | undefined = innerByMember.get(member);
    const isExpected = !!inner && expected.has(inner.prefix);
    const copy = (): Part => ({
      header: memberHeader(member.name, member.size, mtime),
      size: member.size,
      body: () => readRange(reader.source, member.dataOffset, member.size),
    });
    if (!inner) {
      parts.push(copy());
      continue;
    }
    const enc = await reader.encryption(inner);
    if (encryptor) {
      if (!isExpected) continue; // unknown inner archives are dropped when encrypting
      if (enc.kind !== 'none') {
        parts.push(copy());
        continue;
      }
      const me = await encryptor.forMember(encryptedIndex++);
      const plainSize = member.size;
      parts.push({
        header: memberHeader(member.name, me.memberSize(plainSize), mtime),
        size: me.memberSize(plainSize),
        body: async function* () {
          yield me.header(plainSize);
          yield* me.encrypt(readRange(reader.source, member.dataOffset, plainSize));
        },
      });
      continue;
    }
    if (enc.kind === 'none' || !isExpected) {
      parts.push(copy());
      continue;
    }
    if (enc.kind === 'v1') {
      throw new DecryptOnDownloadNotSupported(
        `${inner.name} uses SecureTar v1, which cannot be decrypted as a stream; restore it or unpack it instead`,
      );
    }
    await reader.checkSecret(inner, opts.password);
    const plainSize = enc.plaintextSize;
    parts.push({
      header: memberHeader(member.name, plainSize, mtime),
      size: plainSize,
      body: async function* () {
        yield* await reader.plaintext(inner, opts.password);
      },
    });
  }

  let position = 0;
  for (const p of parts) position += p.header.length + padTo512(p.size);
  const tail = endOfArchive(position);
  const size = position + tail.length;

  async function* open(): AsyncGenerator<Buffer> {
    let written = 0;
    for (const p of parts) {
      yield p.header;
      let n = 0;
      for await (const chunk of p.body()) {
        n += chunk.length;
        yield chunk;
      }
      if (n !== p.size) throw new InvalidBackupArchive(`Re-encoded member produced ${n} bytes, expected ${p.size}`);
      const pad = paddingFor(n);
      if (pad.length) yield pad;
      written += p.header.length + n + pad.length;
    }
    yield tail;
    written += tail.length;
    if (written !== size) throw new InvalidBackupArchive('Re-encoded backup size differs from the announced size');
  }

  return { size, backup: { ...source, protected: opts.protect, size }, open };
}
