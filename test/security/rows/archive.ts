// Attacks on the archive pipeline and what surrounds it: hostile backup files that would fill
// memory, folders and files swapped for symbolic links by another process while Lifeboat extracts
// or backs up, and secrets that would reach the logs. Each row runs the attack for real (files on
// disk, the real reader, extractor, backup job, logger and command) and checks the refusal and that
// nothing landed outside where it belongs.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createGzip } from 'node:zlib';
import { expect } from 'vitest';
import { BackupReader } from '../../../src/archive/backup-reader.js';
import { FileByteSource } from '../../../src/archive/byte-source.js';
import { PAUSE_BEFORE_ENTRY } from '../../../src/archive/safe-extract.js';
import { unpackBackup } from '../../../src/archive/unpack.js';
import { asLogger, createPino } from '../../../src/cli/service-logger.js';
import { collect } from '../../../src/util/chunks.js';
import { ArchiveLimitExceeded, UnsafeEntryError } from '../../../src/util/errors.js';
import { onPausePoint } from '../../../src/util/pause-point.js';
import type { AttackRow } from '../attack-row.js';
import { runCli } from '../../helpers/cli.js';
import { CountingSource } from '../../helpers/counting-source.js';
import { TYPE, craftBackup, craftBackupWithMembers, craftTar, stackedPaxHeaders, writeHugeBackupJson, writeStackedPaxBackup } from '../../helpers/craft-archive.js';
import { makeInstallation } from '../../helpers/installation.js';
import { openManager } from '../../helpers/manager.js';
import { tmpDir } from '../../helpers/tmp.js';
import { describeTree, makeTree } from '../../helpers/tree.js';

const MiB = 1 << 20;
const SECRET = 'root:$6$attack-target-hash:19000:0:99999:7:::\n';

/** A folder with an `outside` tree holding a secret; `snapshot` lists everything but `ignore`. */
async function arena(ignore: string[]) {
  const base = await tmpDir('lifeboat-attack-');
  const outside = join(base, 'outside');
  await makeTree(outside, { 'shadow': SECRET, 'keep/me.txt': 'keep\n' });
  const snapshot = () => describeTree(base, { ignore, mtimes: true });
  return { base, outside, before: await snapshot(), snapshot };
}

/** Opens a backup file counting what the reader reads from it. */
async function countedReader(path: string): Promise<{ source: CountingSource; refusal: unknown }> {
  const source = new CountingSource(await FileByteSource.open(path));
  try {
    const reader = await BackupReader.fromSource(source);
    try {
      const out = join(path, '..', 'unpacked');
      return { source, refusal: await unpackBackup(reader, out, null).then(() => null, (e: unknown) => e) };
    } finally {
      await reader.close();
    }
  } catch (err) {
    await source.close();
    return { source, refusal: err };
  }
}

async function expectCliRefuses(path: string, out: string, message: RegExp): Promise<void> {
  const r = await runCli(['archive', 'unpack', path, out]);
  expect(r.code, r.stderr).toBe(4);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/\[archive_limit_exceeded\]/);
}

export const rows: AttackRow[] = [
  {
    attack: 'a backup whose backup.json claims 100 MiB (read into memory by a naive reader)',
    async prove() {
      const a = await arena(['files/']);
      const path = join(a.base, 'files', 'huge-json.tar');
      await mkdir(join(a.base, 'files'));
      await writeHugeBackupJson(path, 100 * MiB);
      const started = Date.now();
      const { source, refusal } = await countedReader(path);
      expect(refusal).toBeInstanceOf(ArchiveLimitExceeded);
      expect((refusal as Error).message).toMatch(/size of backup\.json \(bytes\) is 104857600, over Lifeboat's limit of 1048576/);
      expect(source.largestRead, 'a read as large as backup.json').toBeLessThanOrEqual(64 * 1024);
      expect(source.bytesRead).toBeLessThan(MiB);
      expect(Date.now() - started).toBeLessThan(5_000);
      await expectCliRefuses(path, join(a.base, 'files', 'cli-out'), /backup\.json/);
      expect(existsSync(join(a.base, 'files', 'unpacked', 'backup.json'))).toBe(false);
      expect(await a.snapshot()).toEqual(a.before);
    },
  },
  {
    attack: 'a backup with 100 000 PAX headers in a row in its outer tar',
    async prove() {
      const a = await arena(['files/']);
      await mkdir(join(a.base, 'files'));
      const path = join(a.base, 'files', 'pax-flood.tar');
      await writeStackedPaxBackup(path, 100_000);
      const started = Date.now();
      const { source, refusal } = await countedReader(path);
      expect(refusal).toBeInstanceOf(ArchiveLimitExceeded);
      expect((refusal as Error).message).toMatch(/extended headers before one member is 65, over Lifeboat's limit of 64/);
      expect(source.bytesRead, 'the reader went through the flood').toBeLessThan(256 * 1024);
      expect(Date.now() - started).toBeLessThan(5_000);
      await expectCliRefuses(path, join(a.base, 'files', 'cli-out'), /extended headers before one member/);
      expect(await a.snapshot()).toEqual(a.before);
    },
  },
  {
    attack: "a backup whose homeassistant.tar.gz holds 100 000 PAX headers before one entry",
    async prove() {
      const a = await arena(['files/']);
      await mkdir(join(a.base, 'files'));
      const gz = createGzip();
      const compressed = collect(gz);
      for await (const chunk of stackedPaxHeaders(100_000, craftTar([{ name: 'data/a', data: 'x' }]))) if (!gz.write(chunk)) await new Promise((r) => gz.once('drain', r));
      gz.end();
      const path = join(a.base, 'files', 'inner-pax-flood.tar');
      await writeFile(path, craftBackupWithMembers([{ name: 'homeassistant.tar.gz', data: await compressed }]));
      const { refusal } = await countedReader(path);
      expect(refusal).toBeInstanceOf(ArchiveLimitExceeded);
      expect((refusal as Error).message).toMatch(/inner tar archive: the number of extended headers before one member is 65/);
      expect(existsSync(join(a.base, 'files', 'unpacked', 'homeassistant', 'data', 'a'))).toBe(false);
      expect(await a.snapshot()).toEqual(a.before);
    },
  },
  {
    attack: 'a folder of the extraction swapped for a symbolic link to an outside folder between two entries',
    async prove() {
      const a = await arena(['files/', 'out/']);
      await mkdir(join(a.base, 'files'));
      const path = join(a.base, 'files', 'backup.tar');
      await writeFile(
        path,
        craftBackup([
          { name: 'data/', type: TYPE.directory },
          { name: 'data/sub/', type: TYPE.directory, mode: 0o700 },
          { name: 'data/sub/first.txt', data: 'first' },
          { name: 'data/sub/shadow', data: 'overwritten by the backup\n' },
        ]),
      );
      const out = join(a.base, 'out');
      const sub = join(out, 'homeassistant', 'data', 'sub');
      const unhook = onPausePoint(PAUSE_BEFORE_ENTRY, async (entry) => {
        if (entry !== 'data/sub/shadow') return;
        await rename(sub, `${sub}.moved`);
        await symlink(a.outside, sub);
      });
      let refusal: unknown = null;
      try {
        const reader = await BackupReader.open(path);
        try {
          await unpackBackup(reader, out, null).catch((e: unknown) => (refusal = e));
        } finally {
          await reader.close();
        }
      } finally {
        unhook();
      }
      expect(refusal).toBeInstanceOf(UnsafeEntryError);
      expect((refusal as Error).message).toMatch(/The folder data\/sub was replaced .* refusing to write through it/);
      expect(await readFile(join(a.outside, 'shadow'), 'utf8')).toBe(SECRET);
      expect(await a.snapshot(), 'something outside the output folder changed').toEqual(a.before);
    },
  },
  {
    attack: 'a file of the installation swapped for a symbolic link to a secret while the backup walks it',
    async prove() {
      const a = await arena(['config/', 'files/']);
      const inst = join(a.base, 'config');
      await makeInstallation(inst);
      await writeFile(join(inst, 'notes.txt'), 'my notes\n');
      const warnings: string[] = [];
      const manager = await openManager({ installation: inst, log: { info() {}, warn: (m) => void warnings.push(m), error() {} } });
      const unhook = onPausePoint('walk:before-open', async (rel) => {
        if (rel !== 'notes.txt') return;
        await unlink(join(inst, 'notes.txt'));
        await symlink(join(a.outside, 'shadow'), join(inst, 'notes.txt'));
      });
      let created;
      try {
        created = await manager.create({});
      } finally {
        unhook();
      }
      expect(warnings.join('\n')).toMatch(/notes\.txt was replaced by a symbolic link while the backup ran; it is stored as that link/);
      const out = join(a.base, 'files', 'unpacked');
      const reader = await BackupReader.open(created.path as string);
      try {
        await unpackBackup(reader, out, null);
      } finally {
        await reader.close();
      }
      expect(await readlink(join(out, 'homeassistant', 'data', 'notes.txt'))).toBe(join(a.outside, 'shadow'));
      const secretDigest = createHash('sha256').update(SECRET).digest('hex');
      const inBackup = Object.entries(await describeTree(out)).filter(([, n]) => n.sha256 === secretDigest);
      expect(inBackup, "the secret's content is in the backup").toEqual([]);
      expect(await a.snapshot()).toEqual(a.before);
    },
  },
  {
    attack: 'a secret in a nested field of a log record (and in a URL in its message)',
    async prove() {
      const sink = new PassThrough();
      const written: Buffer[] = [];
      sink.on('data', (b: Buffer) => written.push(b));
      const log = asLogger(createPino({ destination: sink }));
      log.error('Upload to https://nas-user:Hunter2Pass@dav.example/remote.php failed', {
        location: { kind: 's3', settings: { bucket: 'b', access_key_id: 'AKIAVISIBLE' }, attempts: [{ credentials: { secretAccessKey: 'S3CR3T-KEY-VALUE' } }, { config: { sftp: { private_key: 'PEM-BODY', passphrase: 'PASS-PHRASE' } } }] },
        notify: { webhook_url: 'https://ha.local/api/webhook/WEBHOOKID123' },
      });
      await new Promise((r) => setImmediate(r));
      const text = Buffer.concat(written).toString('utf8');
      expect(JSON.parse(text).location.settings.access_key_id).toBe('AKIAVISIBLE');
      for (const secret of ['Hunter2Pass', 'S3CR3T-KEY-VALUE', 'PEM-BODY', 'PASS-PHRASE', 'WEBHOOKID123']) expect(text, `${secret} reached the log`).not.toContain(secret);
      expect(text).toContain('**REDACTED**');
    },
  },
];
