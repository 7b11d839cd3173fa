// The operation lock: a second operation fails at once with Home Assistant's busy message naming
// the running one; a lock left behind by a crash is taken over, also when this process has the pid
// that left it (a restarted container's pid 1), in the current and in the older record format.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, readLock } from '../../src/manager/operation-lock.js';
import { tmpDir } from '../helpers/tmp.js';

describe('operation lock', () => {
  it('refuses a second operation in this process with "Backup manager busy: <operation>"', async () => {
    const lock = join(await tmpDir(), 'operation.lock');
    const release = await acquireLock(lock, 'create_backup');
    await expect(acquireLock(lock, 'restore_backup')).rejects.toThrow(/^Backup manager busy: create_backup$/);
    expect(await readLock(lock)).toMatchObject({ pid: process.pid, operation: 'create_backup' });
    await release();
    expect(await readLock(lock)).toBeNull();
    await (await acquireLock(lock, 'restore_backup'))();
  });

  it('refuses while a live process holds it, naming that process', async () => {
    const lock = join(await tmpDir(), 'operation.lock');
    await writeFile(lock, JSON.stringify({ pid: 1, token: 'abcd', operation: 'restore_backup', since: new Date().toISOString() }));
    await expect(acquireLock(lock, 'create_backup')).rejects.toThrow(/^Backup manager busy: restore_backup \(process 1\)$/);
    expect(await readLock(lock)).toMatchObject({ pid: 1, operation: 'restore_backup' });
  });

  it.each([
    ['with a token', (pid: number) => ({ pid, token: 'feedfacecafebeef', operation: 'create_backup', since: new Date().toISOString() })],
    ['in the older format', (pid: number) => ({ pid, operation: 'create_backup', since: new Date().toISOString() })],
  ])('takes over a lock this pid left behind before a restart (%s)', async (_label, record) => {
    const lock = join(await tmpDir(), 'operation.lock');
    await writeFile(lock, JSON.stringify(record(process.pid)));
    expect(await readLock(lock)).toBeNull(); // left behind: not a running operation
    const release = await acquireLock(lock, 'create_backup');
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ pid: process.pid, operation: 'create_backup' });
    await release();
  });
});
