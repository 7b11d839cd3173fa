// Backups reuse the compressed segments of the last backup only for bytes that are the same now:
// a file changed in place — same size, same modification time — shows its new bytes in the next
// backup, and a backup from a warm cache restores to exactly the installation.
import { open, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withBackupReader } from '../../src/archive/backup-reader.js';
import { unpackBackup } from '../../src/archive/unpack.js';
import { openManager } from '../helpers/manager.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';

const SIZE = 1_000_000;

async function fileInBackup(path: string, out: string, name: string): Promise<Buffer> {
  await withBackupReader(path, (reader) => unpackBackup(reader, out, 'key'));
  return readFile(join(out, 'homeassistant', 'data', name));
}

describe('segments reused between backups', () => {
  it('puts a byte changed without a change of size or modification time into the next backup', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const media = join(inst, 'media.bin');
    const content = Buffer.alloc(SIZE);
    for (let i = 0; i < SIZE; i++) content[i] = (i * 7919) % 251;
    await writeFile(media, content);
    const when = new Date('2026-11-30T08:00:00Z');
    await utimes(media, when, when);
    const manager = await openManager({ installation: inst });

    const first = await manager.create({ password: 'key' });
    const before = await stat(media);
    const handle = await open(media, 'r+');
    await handle.write(Buffer.from([0xee]), 0, 1, 654_321);
    await handle.close();
    await utimes(media, when, when);
    const after = await stat(media);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);

    const second = await manager.create({ password: 'key' });
    const old = await fileInBackup(first.path as string, join(dir, 'first'), 'media.bin');
    const now = await fileInBackup(second.path as string, join(dir, 'second'), 'media.bin');
    expect(old[654_321]).toBe(content[654_321]);
    expect(now[654_321]).toBe(0xee);
    expect(now.equals(await readFile(media))).toBe(true);
  });
});
