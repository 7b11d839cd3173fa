// The SecureTar v3 root salt of a backup's Home Assistant archive, read from the outer tar's
// headers and the archive's first bytes only, without the backup reader's checks or its modules:
// all a restore needs to begin deriving the archive's key while the rest of the program loads —
// given the backup file, or its id and the folder it lies in (each backup file there is asked for
// its backup.json's id; the newest that names it counts). The few small reads this takes are made
// synchronously, within a time budget: the program that loads meanwhile keeps this thread busy, and
// reads that waited for it to yield would begin the derivation only when the key is already wanted.

import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_BACKUP_JSON_BYTES } from './archive-limits.js';
import type { ByteSource } from './byte-source.js';
import { HOME_ASSISTANT_ARCHIVES, indexOuterTar, normaliseMemberName, type OuterMember } from './outer-tar.js';
import { V3_HEADER_SIZE, hasMagic, parseCommonHeader } from './securetar/securetar-header.js';
import { parseV3Fields } from './securetar/securetar-v3.js';

/**
 * How long reading ahead may hold the thread up (a slow disk, a crowded folder, a file of many
 * headers): past it, reads fail and the key is derived when it is wanted. (A read that hangs, as on
 * a stalled network mount, is not cut short: the restore would wait for that folder as well.)
 */
const READ_BUDGET_MS = 50;

/** A regular file read by position, synchronously (each read resolves at once), until `deadline` (performance.now()). */
class SyncFileSource implements ByteSource {
  private readonly fd: number;
  readonly size: number;
  readonly mtimeMs: number;

  constructor(
    path: string,
    private readonly deadline: number,
  ) {
    // Only a regular file (a link to one too) is opened — no device, whose opening may do something;
    // non-blocking, so that a FIFO put there in between cannot hold the thread up; checked again once open.
    if (!statSync(path).isFile()) throw new Error(`${path} is not a regular file`);
    this.fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile()) throw new Error(`${path} is not a regular file`);
      this.size = st.size;
      this.mtimeMs = st.mtimeMs;
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  read(position: number, length: number): Promise<Buffer> {
    if (performance.now() > this.deadline) return Promise.reject(new Error('no time left to read ahead'));
    const buf = Buffer.alloc(Math.max(0, Math.min(length, this.size - position)));
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return Promise.resolve(buf.subarray(0, done));
  }

  close(): Promise<void> {
    closeSync(this.fd);
    return Promise.resolve();
  }
}

async function saltOf(src: ByteSource, members: OuterMember[]): Promise<Buffer | null> {
  for (const name of HOME_ASSISTANT_ARCHIVES) {
    const member = members.find((m) => normaliseMemberName(m.name) === name);
    if (!member) continue;
    if (member.size < V3_HEADER_SIZE) return null;
    const head = await src.read(member.dataOffset, V3_HEADER_SIZE);
    return hasMagic(head) && parseCommonHeader(head).version === 3 ? Buffer.from(parseV3Fields(head).rootSalt) : null;
  }
  return null;
}

async function idOf(src: ByteSource, members: OuterMember[]): Promise<string | null> {
  const json = members.find((m) => normaliseMemberName(m.name) === 'backup.json');
  if (!json || json.size > MAX_BACKUP_JSON_BYTES) return null;
  // Home Assistant's backup.json names the backup's id `slug`.
  const id = (JSON.parse((await src.read(json.dataOffset, json.size)).toString('utf8')) as { slug?: unknown } | null)?.slug;
  return typeof id === 'string' ? id : null;
}

/** Opens `file`'s outer tar and answers `ask` of its regular members. */
async function withMembers<T>(file: string, deadline: number, ask: (src: SyncFileSource, members: OuterMember[]) => Promise<T>): Promise<T> {
  const src = new SyncFileSource(file, deadline);
  try {
    return await ask(src, (await indexOuterTar(src)).filter((m) => m.type === '0'));
  } finally {
    await src.close();
  }
}

/** The root salt of `file`'s Home Assistant archive when it is SecureTar v3, else null. */
export function homeAssistantRootSalt(file: string, budgetMs = READ_BUDGET_MS): Promise<Buffer | null> {
  return withMembers(file, performance.now() + budgetMs, saltOf);
}

/**
 * The root salt, as homeAssistantRootSalt, of the backup `backupId` among the backup files of
 * `folder` — of the newest file that names it, as the local location lists them (hidden files, such
 * as those still being written, are not listed) — as far as `budgetMs` allows; null when none does.
 * Files that cannot be read as backups are passed over.
 */
export async function homeAssistantRootSaltById(folder: string, backupId: string, budgetMs = READ_BUDGET_MS): Promise<Buffer | null> {
  const deadline = performance.now() + budgetMs;
  let newest: { mtimeMs: number; salt: Buffer | null } | null = null;
  for (const name of readdirSync(folder)) {
    if (performance.now() >= deadline) break;
    if (name.startsWith('.') || !name.endsWith('.tar')) continue;
    const found = await withMembers(join(folder, name), deadline, async (src, members) =>
      (await idOf(src, members)) === backupId ? { mtimeMs: src.mtimeMs, salt: await saltOf(src, members) } : null,
    ).catch(() => null);
    if (found && (!newest || found.mtimeMs >= newest.mtimeMs)) newest = found;
  }
  return newest?.salt ?? null;
}
