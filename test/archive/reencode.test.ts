// Whole-backup re-encoding: encrypt-on-the-fly and decrypt-on-the-fly streams with a size known in
// advance, identical bytes on every opening, and only `protected` changed in backup.json.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withBackupReader } from '../../src/archive/backup-reader.js';
import { writeBackupFile } from '../../src/archive/backup-writer.js';
import { DecryptOnDownloadNotSupported, IncorrectPasswordError } from '../../src/util/errors.js';
import { planReencode } from '../../src/archive/reencode.js';
import { unpackBackup } from '../../src/archive/unpack.js';
import { verifyBackup } from '../../src/archive/verify.js';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { collect } from '../../src/util/chunks.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';
import { META } from '../helpers/meta.js';

async function makeBackup(dir: string, password: string | null, version: 2 | 3 = 3): Promise<string> {
  const out = join(dir, `src-${password ?? 'plain'}-${version}.tar`);
  await writeBackupFile(out, {
    entries: walkInstallation({ root: fixture('reference-made/config_src'), rules: ExcludeRules.forBackup({ includeDatabase: true }) }),
    meta: META,
    password,
    secureTarVersion: version,
  });
  return out;
}

async function reencodeToFile(src: string, out: string, opts: Parameters<typeof planReencode>[1]) {
  return withBackupReader(src, async (reader) => {
    const plan = await planReencode(reader, opts);
    const first = await collect(plan.open());
    const second = await collect(plan.open());
    await writeFile(out, first);
    return { plan, first, second };
  });
}

describe('re-encoding a backup as a stream', () => {
  it.each([2, 3] as const)('encrypts an unencrypted backup with SecureTar v%i, same content and digest', async (version) => {
    const dir = await tmpDir();
    const src = await makeBackup(dir, null);
    const out = join(dir, 'enc.tar');
    const { plan, first, second } = await reencodeToFile(src, out, { protect: true, password: 'key', secureTarVersion: version });
    expect(first.length).toBe(plan.size);
    expect(first.equals(second)).toBe(true);
    await withBackupReader(out, async (reader) => {
      expect(reader.backup.protected).toBe(true);
      expect(reader.backup.size).toBe(plan.size);
      expect((await reader.encryption(reader.homeAssistantArchive()!)).kind).toBe(`v${version}`);
      const report = await verifyBackup(reader, 'key');
      expect(report.problems).toEqual([]);
      expect(report.members[0]?.digestMatches).toBe(true);
      await unpackBackup(reader, join(dir, 'x'), 'key');
    });
    await withBackupReader(src, (r) => unpackBackup(r, join(dir, 'y'), null));
    expect(await describeTree(join(dir, 'x', 'homeassistant'), { mtimes: true })).toEqual(
      await describeTree(join(dir, 'y', 'homeassistant'), { mtimes: true }),
    );
  });

  it.each([2, 3] as const)('decrypts a SecureTar v%i backup into the same tree as unpack', async (version) => {
    const dir = await tmpDir();
    const src = await makeBackup(dir, 'key', version);
    const out = join(dir, 'dec.tar');
    const { plan, first } = await reencodeToFile(src, out, { protect: false, password: 'key' });
    expect(first.length).toBe(plan.size);
    await withBackupReader(out, async (reader) => {
      expect(reader.backup.protected).toBe(false);
      await reader.validatePassword(null);
      expect((await verifyBackup(reader, null)).problems).toEqual([]);
      await unpackBackup(reader, join(dir, 'x'), null);
    });
    await withBackupReader(src, (r) => unpackBackup(r, join(dir, 'y'), 'key'));
    expect(await describeTree(join(dir, 'x', 'homeassistant'), { mtimes: true })).toEqual(
      await describeTree(join(dir, 'y', 'homeassistant'), { mtimes: true }),
    );
  });

  it('refuses a wrong password before producing a byte', async () => {
    const dir = await tmpDir();
    const src = await makeBackup(dir, 'key');
    await withBackupReader(src, async (reader) => {
      await expect(planReencode(reader, { protect: false, password: 'nope' })).rejects.toBeInstanceOf(IncorrectPasswordError);
    });
  });

  it('copies inner archives it does not expect unchanged when decrypting', async () => {
    await withBackupReader(fixture('third-party/test_protected.tar'), async (reader) => {
      // test.tar.gz is not an expected inner archive, so it would be copied; make it expected:
      await expect(planReencode(reader, { protect: false, password: 'XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX' })).resolves.toBeDefined();
    });
    await withBackupReader(fixture('supervisor/backup_example_enc.tar'), async (reader) => {
      const plan = await planReencode(reader, { protect: false, password: 'test' });
      expect(plan.backup.protected).toBe(false);
    });
  });

  it('decrypts a Supervisor v3 backup (add-on archive) and drops unknown archives when encrypting', async () => {
    const dir = await tmpDir();
    const { plan } = await reencodeToFile(fixture('supervisor/backup_example_sec_v3.tar'), join(dir, 'dec.tar'), {
      protect: false,
      password: 'supervisor',
    });
    expect(plan.backup.protected).toBe(false);
    await withBackupReader(join(dir, 'dec.tar'), async (r) => {
      expect((await verifyBackup(r, null)).problems).toEqual([]);
    });
    await reencodeToFile(fixture('third-party/test_unprotected.tar'), join(dir, 'enc.tar'), { protect: true, password: 'k' });
    await withBackupReader(join(dir, 'enc.tar'), async (r) => {
      expect(r.innerArchives()).toEqual([]);
    });
  });

  it('reports v1 as not decryptable on download', async () => {
    const dir = await tmpDir();
    // Build an outer archive around the v1 legacy inner archive with a backup.json that expects it.
    const { writeLegacyV1Backup } = await import('../helpers/legacy-v1.js');
    const file = await writeLegacyV1Backup(dir);
    await withBackupReader(file, async (reader) => {
      await expect(
        planReencode(reader, { protect: false, password: 'XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX' }),
      ).rejects.toBeInstanceOf(DecryptOnDownloadNotSupported);
    });
  });
});
