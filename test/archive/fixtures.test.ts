// Every real Home Assistant / Supervisor / SecureTar fixture: metadata, password check, full
// extraction; the broken ones fail with their own clear error.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupReader, withBackupReader } from '../../src/archive/backup-reader.js';
import { unpackBackup } from '../../src/archive/unpack.js';
import { verifyBackup } from '../../src/archive/verify.js';
import { BackupError, IncorrectPasswordError, InvalidBackupArchive } from '../../src/util/errors.js';
import type { Secret } from '../../src/archive/securetar/securetar-header.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';

interface Case {
  file: string;
  secret: Secret | null;
  id: string | null;
  inner: Record<string, 'none' | 'v1' | 'v2' | 'v3'>;
  /** A path each inner archive must contain after extraction. */
  contains?: string[];
}

const readable: Case[] = [
  { file: 'reference-made/backup_core_plain.tar', secret: null, id: 'd76bc010', inner: { 'homeassistant.tar.gz': 'none' } },
  { file: 'reference-made/backup_core_v2_hunter2.tar', secret: 'hunter2', id: 'd76bc010', inner: { 'homeassistant.tar.gz': 'v2' } },
  { file: 'reference-made/backup_core_v3_hunter2.tar', secret: 'hunter2', id: 'd76bc010', inner: { 'homeassistant.tar.gz': 'v3' } },
  { file: 'supervisor/backup_example.tar', secret: null, id: '7fed74c8', inner: { 'a0d7b954_example.tar.gz': 'none' }, contains: ['a0d7b954_example/addon.json'] },
  { file: 'supervisor/backup_example_enc.tar', secret: 'test', id: '93b462f8', inner: { 'ssl.tar.gz': 'v2' } },
  { file: 'supervisor/backup_example_sec_v3.tar', secret: 'supervisor', id: 'f92f0339', inner: { 'a0d7b954_example.tar.gz': 'v3' }, contains: ['a0d7b954_example/addon.json'] },
  { file: 'third-party/test_protected.tar', secret: 'XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX', id: 'bc54cb3d', inner: { 'test.tar.gz': 'v1' }, contains: ['test/test.txt'] },
  { file: 'third-party/test_unprotected.tar', secret: null, id: 'bc54cb3d', inner: { 'test.tar.gz': 'none' }, contains: ['test/test1.txt'] },
  { file: 'third-party/test_unprotected_with_links.tar', secret: null, id: 'bc54cb3d', inner: { 'test.tar.gz': 'none' }, contains: ['test/test1-symbolic-link.txt'] },
  {
    file: 'securetar/backup_encrypted_gzipped_legacy_format.tar',
    secret: { aesKey: Buffer.from('0123456789abcdef') },
    id: null,
    inner: { 'core.tar.gz': 'v1', 'core2.tar.gz': 'v1', 'core3.tar.gz': 'v1' },
    contains: ['core/test1/script.sh', 'core3/README.md'],
  },
  { file: 'reference-made/homeassistant_v2_hunter2.tar.gz', secret: 'hunter2', id: null, inner: { 'homeassistant_v2_hunter2.tar.gz': 'v2' } },
  { file: 'reference-made/homeassistant_v3_hunter2.tar.gz', secret: 'hunter2', id: null, inner: { 'homeassistant_v3_hunter2.tar.gz': 'v3' } },
  { file: 'supervisor/backup_local_ssh_stopped.tar.gz', secret: null, id: null, inner: { 'backup_local_ssh_stopped.tar.gz': 'none' } },
];

describe('readable fixtures', () => {
  it.each(readable)('$file: metadata, password check and full extraction', async (c) => {
    const out = await tmpDir();
    await withBackupReader(fixture(c.file), async (reader) => {
      if (c.id) expect(reader.backup.backup_id).toBe(c.id);
      else expect(() => reader.backup).toThrow(InvalidBackupArchive);
      const kinds: Record<string, string> = {};
      for (const inner of reader.innerArchives()) {
        kinds[inner.name] = (await reader.encryption(inner)).kind;
        await reader.checkSecret(inner, c.secret);
      }
      expect(kinds).toEqual(c.inner);
      const result = await unpackBackup(reader, out, c.secret);
      expect(result.members.map((m) => m.name).sort()).toEqual(Object.keys(c.inner).sort());
      const tree = await describeTree(out);
      for (const p of c.contains ?? []) expect(tree[p], p).toBeDefined();
      const report = await verifyBackup(reader, c.secret);
      expect(report.members.every((m) => m.error === null)).toBe(true);
    });
  });

  it.each([
    ['reference-made/backup_core_plain.tar', null],
    ['reference-made/backup_core_v2_hunter2.tar', 'hunter2'],
    ['reference-made/backup_core_v3_hunter2.tar', 'hunter2'],
  ])('%s extracts identical to config_src minus the excluded log', async (file, password) => {
    const out = await tmpDir();
    await withBackupReader(fixture(file), (reader) => unpackBackup(reader, out, password));
    const expected = await describeTree(fixture('reference-made/config_src'), { ignore: ['home-assistant.log'] });
    const got = await describeTree(join(out, 'homeassistant', 'data'));
    // Fixture files are read-only in the shared folder; compare content and structure.
    const strip = (t: typeof got) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { ...v, mode: undefined }]));
    expect(strip(got)).toEqual(strip(expected));
  });

  it.each([
    ['reference-made/backup_core_v3_hunter2.tar', 'hunter3'],
    ['reference-made/backup_core_v2_hunter2.tar', 'hunter3'],
    ['supervisor/backup_example_enc.tar', 'wrong'],
    ['third-party/test_protected.tar', 'wrong'],
  ])('%s refuses a wrong password with password_incorrect', async (file, password) => {
    await withBackupReader(fixture(file), async (reader) => {
      const inner = reader.innerArchives()[0]!;
      const err = await reader.checkSecret(inner, password).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IncorrectPasswordError);
      expect((err as BackupError).code).toBe('password_incorrect');
    });
  });

  it('applies Home Assistant restore-check rules: missing password, and a password for an unencrypted backup', async () => {
    await withBackupReader(fixture('reference-made/backup_core_v3_hunter2.tar'), async (r) => {
      await expect(r.validatePassword(null)).rejects.toBeInstanceOf(IncorrectPasswordError);
      await expect(r.validatePassword('hunter2')).resolves.toBeUndefined();
    });
    await withBackupReader(fixture('reference-made/backup_core_plain.tar'), async (r) => {
      await expect(r.validatePassword('hunter2')).rejects.toBeInstanceOf(IncorrectPasswordError);
      await expect(r.validatePassword(null)).resolves.toBeUndefined();
    });
  });

  it('reads backup.json without the ./ prefix but says Home Assistant would not', async () => {
    await withBackupReader(fixture('third-party/test_protected.tar'), async (r) => {
      expect(r.backup.name).toBe('Custom backup 2025.5.1');
      expect(r.strictLayout).toBe(false);
    });
    await withBackupReader(fixture('reference-made/backup_core_plain.tar'), async (r) => expect(r.strictLayout).toBe(true));
  });
});

describe('broken fixtures', () => {
  it.each([
    ['securetar/backup_empty.tar', 'archive_truncated', /ciphertext is too short/],
    ['securetar/core_empty.tar.gz', 'archive_truncated', /ciphertext is too short/],
    ['securetar/backup_truncated.tar', 'archive_truncated', /truncated/],
    ['securetar/backup_no_final_tag.tar', 'archive_corrupt', /missing final tag/],
    ['securetar/backup_early_final_tag.tar', 'archive_corrupt', /unexpected final tag/],
  ])('%s fails with %s', async (file, code, message) => {
    const out = await tmpDir();
    const reader = await BackupReader.open(fixture(file));
    try {
      const err = await unpackBackup(reader, out, 'hunter2').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackupError);
      expect((err as BackupError).code).toBe(code);
      expect((err as Error).message).toMatch(message);
      const report = await verifyBackup(reader, 'hunter2');
      expect(report.members[0]?.error?.code).toBe(code);
    } finally {
      await reader.close();
    }
  });
});
