// Moves one copy stored in Lifeboat's first layout (`<id>.tar` and `<id>.metadata.json`, a record
// Home Assistant's parsers reject) to Home Assistant's layout. Each step leaves a state that the
// next listing reads and the next run finishes, so a process killed at any point loses nothing:
//   1. the archive gets its new name (a rename where the store can, else a copy under the new name),
//   2. the new record is written,
//   3. the old record is removed, then the old archive if a copy was made.
// Until step 3 the old record still lists the backup, with its archive under either name.

import type { StoredCopy } from './backup-layout.js';
import { BlobNotFound, MoveUnsupported, type BlobStore } from './blob-store.js';
import { haArchiveName } from './ha-records.js';

/** A copy as a layout found it: whether its record is a legacy one, and the archives beside it (name → size). */
export interface FoundCopy {
  copy: StoredCopy;
  legacy: boolean;
  archives: Map<string, number>;
}

/** Renames a blob in place where the store can, else copies it through this machine and removes the old one. */
async function moveBlob(store: BlobStore, from: string, to: string, size: number, signal?: AbortSignal): Promise<void> {
  if (store.move) {
    try {
      await store.move(from, to, { signal });
      return;
    } catch (err) {
      if (!(err instanceof MoveUnsupported)) throw err;
    }
  }
  await store.put(to, await store.get(from, { signal }), { size, signal });
}

export async function migrateLegacyCopy(
  store: BlobStore,
  found: FoundCopy,
  writeRecord: (copy: StoredCopy) => Promise<unknown>,
  signal?: AbortSignal,
): Promise<void> {
  const { backup, archive: current, sha256, record } = found.copy;
  const target = haArchiveName(backup);
  if (current !== target && found.archives.get(target) !== backup.size) await moveBlob(store, current, target, backup.size, signal);
  await writeRecord({ backup, archive: target, sha256 });
  const ignoreMissing = (err: unknown) => {
    if (!(err instanceof BlobNotFound)) throw err;
  };
  if (record) await store.remove(record, { signal }).catch(ignoreMissing);
  if (current !== target) await store.remove(current, { signal }).catch(ignoreMissing);
}
