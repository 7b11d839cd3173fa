// A restore begins deriving its archive's key while the program still loads: the root salt is read
// from the outer tar alone, and the key derived ahead is the one the archive is then opened with —
// taken once, and never handed to another password.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withBackupReader } from '../../src/archive/backup-reader.js';
import { homeAssistantRootSalt } from '../../src/archive/root-salt.js';
import { argon2id, deriveAhead, openV3RootContext, parseV3Fields } from '../../src/archive/securetar/securetar-v3.js';
import { deriveRestoreKeyAhead } from '../../src/core/restore-warm-up.js';
import { IncorrectPasswordError } from '../../src/util/errors.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';

const KAT_ROOT_KEY = 'd0d9eefb7c21757a8fd51278566203dcd716f2961b6e5cdae86e92efd2edfe40';

async function katFields() {
  return parseV3Fields(await readFile(fixture('reference-made/kat_v3.bin')));
}

describe('the root salt of a backup, read ahead', () => {
  it("is the salt of the Home Assistant archive that the backup reader opens", async () => {
    const file = fixture('reference-made/backup_core_v3_hunter2.tar');
    const salt = await homeAssistantRootSalt(file);
    const readerSalt = await withBackupReader(file, async (reader) => {
      const encryption = await reader.encryption(reader.homeAssistantArchive()!);
      return encryption.kind === 'v3' ? Buffer.from(encryption.fields.rootSalt) : null;
    });
    expect(readerSalt).not.toBeNull();
    expect(salt?.toString('hex')).toBe(readerSalt?.toString('hex'));
  });

  it('is none for a SecureTar v2 or unencrypted backup, or one without a Home Assistant archive', async () => {
    expect(await homeAssistantRootSalt(fixture('reference-made/backup_core_v2_hunter2.tar'))).toBeNull();
    expect(await homeAssistantRootSalt(fixture('reference-made/backup_core_plain.tar'))).toBeNull();
    expect(await homeAssistantRootSalt(fixture('supervisor/backup_example_sec_v3.tar'))).toBeNull();
  });

  it('is left to the restore to report when the file is missing or not a backup', async () => {
    const dir = await tmpDir();
    await expect(homeAssistantRootSalt(fixture('reference-made/kat_plain.txt'))).rejects.toThrow();
    expect(await deriveRestoreKeyAhead(join(dir, 'missing.tar'), 'hunter2')).toBe(false);
    expect(await deriveRestoreKeyAhead(fixture('reference-made/kat_plain.txt'), 'hunter2')).toBe(false);
    expect(await deriveRestoreKeyAhead(fixture('reference-made/backup_core_v2_hunter2.tar'), 'hunter2')).toBe(false);
  });
});

describe('a root key derived ahead', () => {
  it('is the one the archive is opened with, and only once', async () => {
    const fields = await katFields();
    const early = deriveAhead('hunter2', fields.rootSalt);
    expect(early).not.toBeNull();
    expect(argon2id('hunter2', fields.rootSalt)).toBe(early);
    expect(argon2id('hunter2', fields.rootSalt)).not.toBe(early);
    deriveAhead('hunter2', fields.rootSalt);
    expect((await openV3RootContext(fields, 'hunter2')).rootKey.toString('hex')).toBe(KAT_ROOT_KEY);
  });

  it('is never given to another password: a wrong one is still refused, the right one still opens', async () => {
    const fields = await katFields();
    const early = deriveAhead('hunter2', fields.rootSalt);
    expect(argon2id('hunter3', fields.rootSalt)).not.toBe(early);
    deriveAhead('hunter2', fields.rootSalt);
    await expect(openV3RootContext(fields, 'hunter3')).rejects.toBeInstanceOf(IncorrectPasswordError);
    deriveAhead('hunter3', fields.rootSalt);
    expect((await openV3RootContext(fields, 'hunter2')).rootKey.toString('hex')).toBe(KAT_ROOT_KEY);
  });

  it('is begun from the backup file by the restore warm-up, and the archive opens with it', async () => {
    const file = fixture('reference-made/backup_core_v3_hunter2.tar');
    expect(await deriveRestoreKeyAhead(file, 'hunter2')).toBe(true);
    const salt = (await homeAssistantRootSalt(file))!;
    // One derivation per salt at a time: the warm-up's is the one under way.
    expect(deriveAhead('hunter2', salt)).toBeNull();
    await withBackupReader(file, async (reader) => {
      await reader.checkSecret(reader.homeAssistantArchive()!, 'hunter2');
    });
    expect(deriveAhead('hunter2', salt)).not.toBeNull(); // taken by the reader
    argon2id('hunter2', salt); // and this one taken here, so no other test finds it
  });
});
