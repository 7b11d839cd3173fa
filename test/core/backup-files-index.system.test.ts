// The archive index through the core: a listing of a backup with an index reads no archive data
// and equals the scan's; a read through it equals the scan's bytes; the index is 0600 in the data
// folder; a backup replaced by another file with the same id is not described by the old index,
// a damaged index file is ignored (and rebuilt by the next listing), and a deleted backup's goes.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BackupReader } from '../../src/archive/backup-reader.js';
import { LifeboatCore } from '../../src/core/lifeboat-core.js';
import { ArchiveIndexStore } from '../../src/manager/archive-index-store.js';
import { dataFolder } from '../../src/manager/data-folder.js';
import { pack } from '../helpers/generated-backup.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeTree } from '../helpers/tree.js';

const MiB = 1 << 20;
const ID = '2618f96d';

const opened: LifeboatCore[] = [];
afterEach(async () => {
  for (const core of opened.splice(0)) await core.close();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

interface Setup {
  core: LifeboatCore;
  file: string;
  indexDir: string;
  /** Writes a backup of `spec` as the backup file (same id every time), its index kept as the writer's. */
  write(spec: Parameters<typeof makeTree>[1], keepIndex: boolean): Promise<void>;
}

async function setup(password: string | null, version: 2 | 3): Promise<Setup> {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  await mkdir(join(inst, 'backups'), { recursive: true });
  const file = join(inst, 'backups', 'b.tar');
  const df = dataFolder(inst, join(dir, 'data'));
  let n = 0;
  const write = async (spec: Parameters<typeof makeTree>[1], keepIndex: boolean) => {
    const src = join(dir, `src${n++}`);
    await makeTree(src, spec);
    const written = await pack(src, `${file}.new`, password, version);
    const { rename } = await import('node:fs/promises');
    await rename(`${file}.new`, file);
    if (keepIndex) {
      const reader = await BackupReader.open(file);
      try {
        await new ArchiveIndexStore(df.index).save(written.backup.backup_id, reader, reader.homeAssistantArchive()!, written.index);
      } finally {
        await reader.close();
      }
    }
  };
  await write({ 'configuration.yaml': 'homeassistant:\n', 'media/a.bin': randomBytes(20 * MiB), 'zz/last.yaml': 'x: 1\n' }, true);
  const core = await LifeboatCore.open({ installation: inst, data: df.root });
  opened.push(core);
  return { core, file, indexDir: df.index, write };
}

describe('listing and reading through the archive index', () => {
  it.each([
    ['no password', null, 3],
    ['SecureTar v2', 'hunter2', 2],
    ['SecureTar v3', 'hunter2', 3],
  ] as const)('%s: the index gives the scan\'s listing and bytes, and is kept 0600', async (_label, password, version) => {
    const { core, indexDir } = await setup(password, version);
    const request = { password };
    const [name] = await readdir(indexDir);
    expect(name).toMatch(new RegExp(`^${ID}-[0-9a-f]{16}\\.index$`));
    expect((await stat(join(indexDir, name!))).mode & 0o777).toBe(0o600);
    const indexed = await core.files.list(ID, request);
    const last = await collect((await core.files.read(ID, 'zz/last.yaml', request)).stream);
    const big = sha256(await collect((await core.files.read(ID, 'media/a.bin', request)).stream));
    await new ArchiveIndexStore(indexDir).remove(ID);
    expect(await readdir(indexDir)).toEqual([]);
    expect(await core.files.list(ID, request)).toEqual(indexed); // scanned (and the index gathered again)
    expect((await readdir(indexDir)).length).toBe(1);
    await new ArchiveIndexStore(indexDir).remove(ID);
    expect(await collect((await core.files.read(ID, 'zz/last.yaml', request)).stream)).toEqual(last);
    expect(sha256(await collect((await core.files.read(ID, 'media/a.bin', request)).stream))).toBe(big);
    expect(last.toString()).toBe('x: 1\n');
  }, 60_000);

  it('lists from the index without reading the archive data (damaged data in the middle goes unnoticed)', async () => {
    const { core, file } = await setup(null, 3);
    const before = await core.files.list(ID);
    const fh = await open(file, 'r+');
    await fh.write(Buffer.alloc(4096, 0x55), 0, 4096, 10 * MiB);
    await fh.close();
    expect(await core.files.list(ID)).toEqual(before);
  });

  it('does not use the index of another file with the same backup id', async () => {
    const { core, indexDir, write } = await setup(null, 3);
    await core.files.list(ID);
    await write({ 'configuration.yaml': 'other: true\n', 'other.yaml': 'y: 2\n' }, false);
    const paths = (await core.files.list(ID)).map((e) => e.path);
    expect(paths).toEqual(['configuration.yaml', 'other.yaml']);
    expect((await collect((await core.files.read(ID, 'configuration.yaml')).stream)).toString()).toBe('other: true\n');
    await expect(core.files.read(ID, 'zz/last.yaml')).rejects.toThrow(/not found/);
    expect((await readdir(indexDir)).length).toBe(2); // the old one stays unused until pruned
  });

  it('ignores a damaged index file and gathers a new one at the next listing', async () => {
    const { core, indexDir } = await setup(null, 3);
    const [name] = await readdir(indexDir);
    await writeFile(join(indexDir, name!), '{"format":"lifeboat-archive-index","version":1,"entries":[[');
    expect((await core.files.list(ID)).map((e) => e.path)).toEqual(['configuration.yaml', 'media', 'media/a.bin', 'zz', 'zz/last.yaml']);
    expect((await readdir(indexDir)).length).toBe(1);
    expect((await collect((await core.files.read(ID, 'zz/last.yaml')).stream)).toString()).toBe('x: 1\n');
    const text = await import('node:fs/promises').then((fs) => fs.readFile(join(indexDir, name!), 'utf8'));
    expect(JSON.parse(text.slice(0, text.indexOf('\n'))).format).toBe('lifeboat-archive-index'); // the head; the windows follow
  });

  it('drops a backup\'s index when the backup is deleted', async () => {
    const { core, indexDir } = await setup(null, 3);
    expect((await readdir(indexDir)).length).toBe(1);
    await core.backups.delete(ID);
    expect(await readdir(indexDir)).toEqual([]);
  });
});
