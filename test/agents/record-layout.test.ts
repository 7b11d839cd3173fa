// A location's backup records are small: one beyond backup.json's size limit is never listed, and
// reading it stops at the limit (even when the location says it is small and streams without end).

import { describe, expect, it } from 'vitest';
import { RecordLayout } from '../../src/agents/record-layout.js';
import type { BlobStore } from '../../src/agents/blob-store.js';
import { MAX_BACKUP_JSON_BYTES } from '../../src/archive/archive-limits.js';
import { ArchiveLimitExceeded } from '../../src/util/errors.js';

/** A store with one backup whose record streams 64 KiB chunks without end; counts what was read. */
function endlessRecordStore(listedSize: number): { store: BlobStore; read: () => number } {
  let read = 0;
  const store = {
    where: 'memory://test',
    async list() {
      return [
        { name: 'aaaaaaaa.tar', size: 10240 },
        { name: 'aaaaaaaa.metadata.json', size: listedSize },
      ];
    },
    async get() {
      return (async function* () {
        for (;;) {
          read += 65536;
          yield Buffer.alloc(65536, 0x20);
        }
      })();
    },
  } as unknown as BlobStore;
  return { store, read: () => read };
}

describe('backup records on a location', () => {
  it('are not listed, nor read, when the location lists one larger than the limit', async () => {
    const { store, read } = endlessRecordStore(MAX_BACKUP_JSON_BYTES + 1);
    expect(await new RecordLayout().list(store)).toEqual([]);
    expect(read()).toBe(0);
  });

  it('are read only up to the limit, with a clear error, when one turns out larger than listed', async () => {
    const { store, read } = endlessRecordStore(500);
    const err = await new RecordLayout().find(store, 'aaaaaaaa').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveLimitExceeded);
    expect((err as Error).message).toContain('memory://test/aaaaaaaa.metadata.json');
    expect(read()).toBeLessThanOrEqual(MAX_BACKUP_JSON_BYTES + 65536);
  });
});
