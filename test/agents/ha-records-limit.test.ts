// A location's backup records are small: one beyond backup.json's size limit is never listed nor
// read, and reading one stops at the limit (even when the location says it is small and streams
// without end), with the reason logged.

import { describe, expect, it } from 'vitest';
import { HaLayout } from '../../src/agents/ha-layout.js';
import type { BlobStore } from '../../src/agents/blob-store.js';
import { MAX_BACKUP_JSON_BYTES } from '../../src/archive/archive-limits.js';
import type { Logger } from '../../src/util/logger.js';

/** A store with one backup whose record streams 64 KiB chunks without end; counts what was read. */
function endlessRecordStore(listedSize: number): { store: BlobStore; read: () => number } {
  let read = 0;
  const store = {
    where: 'memory://test',
    async list() {
      return [
        { name: 'Backup_2026-01-01_00.00_00000000.tar', size: 10240 },
        { name: 'Backup_2026-01-01_00.00_00000000.metadata.json', size: listedSize },
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

function recordingLog(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log = { warn: (m: string) => warnings.push(m), info: () => undefined, error: () => undefined, debug: () => undefined } as unknown as Logger;
  return { log, warnings };
}

describe('backup records on a location', () => {
  it('are not listed, nor read, when the location lists one larger than the limit', async () => {
    const { store, read } = endlessRecordStore(MAX_BACKUP_JSON_BYTES + 1);
    expect(await new HaLayout({ style: 'bare' }).list(store)).toEqual([]);
    expect(read()).toBe(0);
  });

  it('are read only up to the limit when one turns out larger than listed, and the reason is logged', async () => {
    const { store, read } = endlessRecordStore(500);
    const { log, warnings } = recordingLog();
    expect(await new HaLayout({ style: 'bare', log }).find(store, 'aaaaaaaa')).toBeNull();
    expect(read()).toBeLessThanOrEqual(MAX_BACKUP_JSON_BYTES + 65536);
    expect(warnings.join('\n')).toMatch(/Backup_2026-01-01_00\.00_00000000\.metadata\.json on memory:\/\/test: not a backup record \(.*record size/);
  });
});
