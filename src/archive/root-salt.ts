// The SecureTar v3 root salt of a backup's Home Assistant archive, read from the outer tar's
// headers and the archive's first bytes only, without the backup reader's checks or its modules:
// all a restore needs to begin deriving the archive's key while the rest of the program loads —
// given the backup file, or its id and the folder it lies in (each `.tar` there is asked for its
// backup.json's id until one names it). The few small reads this takes are made synchronously: the
// program that loads meanwhile keeps this thread busy, and reads that waited for it to yield would
// begin the derivation only when the key is already wanted.

import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ByteSource } from './byte-source.js';
import { HOME_ASSISTANT_ARCHIVES, indexOuterTar, normaliseMemberName, type OuterMember } from './outer-tar.js';
import { V3_HEADER_SIZE, hasMagic, parseCommonHeader } from './securetar/securetar-header.js';
import { parseV3Fields } from './securetar/securetar-v3.js';

/** A backup.json larger than this is not read for its id here (the backup reader reports on it). */
const MAX_BACKUP_JSON = 1024 * 1024;

/** A regular file read by position, synchronously (each read resolves at once). */
class SyncFileSource implements ByteSource {
  private readonly fd: number;
  readonly size: number;

  constructor(path: string) {
    // Non-blocking, so that a FIFO given as the backup cannot hold the thread up; it is refused below.
    this.fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile()) throw new Error(`${path} is not a regular file`);
      this.size = st.size;
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  read(position: number, length: number): Promise<Buffer> {
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
  if (!json || json.size > MAX_BACKUP_JSON) return null;
  // Home Assistant's backup.json names the backup's id `slug`.
  const id = (JSON.parse((await src.read(json.dataOffset, json.size)).toString('utf8')) as { slug?: unknown } | null)?.slug;
  return typeof id === 'string' ? id : null;
}

/** Opens `file`'s outer tar and answers `ask` of its regular members. */
async function withMembers<T>(file: string, ask: (src: ByteSource, members: OuterMember[]) => Promise<T>): Promise<T> {
  const src = new SyncFileSource(file);
  try {
    return await ask(src, (await indexOuterTar(src)).filter((m) => m.type === '0'));
  } finally {
    await src.close();
  }
}

/** The root salt of `file`'s Home Assistant archive when it is SecureTar v3, else null. */
export function homeAssistantRootSalt(file: string): Promise<Buffer | null> {
  return withMembers(file, saltOf);
}

/** How long the search by id may hold the thread up (a slow or crowded folder): then the key is derived when wanted. */
const SEARCH_BUDGET_MS = 50;

/**
 * The root salt, as homeAssistantRootSalt, of the backup `backupId` among the `.tar` files of
 * `folder`; null when none of them names it, or none did within `budgetMs`. Files that cannot be
 * read as backups are passed over.
 */
export async function homeAssistantRootSaltById(folder: string, backupId: string, budgetMs = SEARCH_BUDGET_MS): Promise<Buffer | null> {
  const started = performance.now();
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (performance.now() - started >= budgetMs) return null;
    if (!entry.isFile() || !entry.name.endsWith('.tar')) continue;
    const found = await withMembers(join(folder, entry.name), async (src, members) =>
      (await idOf(src, members)) === backupId ? { salt: await saltOf(src, members) } : null,
    ).catch(() => null);
    if (found) return found.salt;
  }
  return null;
}
