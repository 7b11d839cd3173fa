// A restore begins deriving its archive's key while the program still loads: the root salt is read
// from the outer tar alone — of the backup file, or of the backup with the id asked for in the backup
// folder — and the key derived ahead is the one the archive is then opened with — taken once, and
// never handed to another password. A backup's key begun early is the one its archive is written with.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withBackupReader } from '../../src/archive/backup-reader.js';
import { writeBackupFile } from '../../src/archive/backup-writer.js';
import { homeAssistantRootSalt, homeAssistantRootSaltById } from '../../src/archive/root-salt.js';
import { createArchiveEncryptor } from '../../src/archive/securetar/member-encryptor.js';
import { argon2id, deriveAhead, openV3RootContext, parseV3Fields } from '../../src/archive/securetar/securetar-v3.js';
import { deriveRestoreKeyAhead, deriveRestoreKeyAheadById } from '../../src/core/restore-warm-up.js';
import { IncorrectPasswordError } from '../../src/util/errors.js';
import { META } from '../helpers/meta.js';
import { fixture } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';

async function* noEntries() {
  yield* [];
}

/** A backup folder: a v2 and a v3 backup of one small file, and files and folders that are no backups; the two backups' ids. */
async function backupFolder(): Promise<{ folder: string; v2: string; v3: string }> {
  const dir = await tmpDir();
  const folder = join(dir, 'backups');
  await mkdir(folder);
  const written = async (name: string, file: string, version: 2 | 3) =>
    (await writeBackupFile(join(folder, file), { entries: noEntries(), meta: { ...META, name }, password: 'hunter2', secureTarVersion: version })).backup.backup_id;
  await writeFile(join(folder, 'broken.tar'), randomBytes(4096));
  await mkdir(join(folder, 'folder.tar'));
  execFileSync('mkfifo', [join(folder, 'pipe.tar')]);
  const v2 = await written('Older backup', 'Older_backup.tar', 2);
  const v3 = await written('Newer backup', 'Newer_backup.tar', 3);
  return { folder, v2, v3 };
}

/**
 * The time the reads are given where a test needs them to finish: the default budget is short, and a
 * busy machine can stall this thread longer than that (a test of the budget itself gives it 0).
 */
const ROOMY = 10_000;

const KAT_ROOT_KEY = 'd0d9eefb7c21757a8fd51278566203dcd716f2961b6e5cdae86e92efd2edfe40';

async function katFields() {
  return parseV3Fields(await readFile(fixture('reference-made/kat_v3.bin')));
}

describe('the root salt of a backup, read ahead', () => {
  it("is the salt of the Home Assistant archive that the backup reader opens", async () => {
    const file = fixture('reference-made/backup_core_v3_hunter2.tar');
    const salt = await homeAssistantRootSalt(file, ROOMY);
    const readerSalt = await withBackupReader(file, async (reader) => {
      const encryption = await reader.encryption(reader.homeAssistantArchive()!);
      return encryption.kind === 'v3' ? Buffer.from(encryption.fields.rootSalt) : null;
    });
    expect(readerSalt).not.toBeNull();
    expect(salt?.toString('hex')).toBe(readerSalt?.toString('hex'));
  });

  it('is none for a SecureTar v2 or unencrypted backup, or one without a Home Assistant archive', async () => {
    expect(await homeAssistantRootSalt(fixture('reference-made/backup_core_v2_hunter2.tar'), ROOMY)).toBeNull();
    expect(await homeAssistantRootSalt(fixture('reference-made/backup_core_plain.tar'), ROOMY)).toBeNull();
    expect(await homeAssistantRootSalt(fixture('supervisor/backup_example_sec_v3.tar'), ROOMY)).toBeNull();
  });

  it('is left to the restore to report when the file is missing or not a backup', async () => {
    const dir = await tmpDir();
    await expect(homeAssistantRootSalt(fixture('reference-made/kat_plain.txt'), ROOMY)).rejects.toThrow();
    expect(await deriveRestoreKeyAhead(join(dir, 'missing.tar'), 'hunter2', ROOMY)).toBe(false);
    expect(await deriveRestoreKeyAhead(fixture('reference-made/kat_plain.txt'), 'hunter2', ROOMY)).toBe(false);
    expect(await deriveRestoreKeyAhead(fixture('reference-made/backup_core_v2_hunter2.tar'), 'hunter2', ROOMY)).toBe(false);
  });
});

describe('the root salt of a backup found by its id, read ahead', () => {
  it('is the salt of the backup file whose backup.json names the id', async () => {
    const { folder, v3 } = await backupFolder();
    const salt = await homeAssistantRootSaltById(folder, v3, ROOMY);
    expect(salt).not.toBeNull();
    expect(salt?.toString('hex')).toBe((await homeAssistantRootSalt(join(folder, 'Newer_backup.tar'), ROOMY))?.toString('hex'));
  });

  it('is none for an id no backup there has (every file and folder that is no backup passed over) and for a SecureTar v2 backup', async () => {
    const { folder, v2 } = await backupFolder();
    expect(await homeAssistantRootSaltById(folder, 'deadbeef', ROOMY)).toBeNull();
    expect(await homeAssistantRootSaltById(folder, v2, ROOMY)).toBeNull();
  });

  it('is that of the newest file with the id, as the local location lists them: hidden files are not', async () => {
    const { folder, v3 } = await backupFolder();
    const again = async (file: string) => {
      await writeBackupFile(join(folder, file), { entries: noEntries(), meta: { ...META, name: 'Newer backup' }, password: 'hunter2', secureTarVersion: 3 });
      return (await homeAssistantRootSalt(join(folder, file), ROOMY))!.toString('hex');
    };
    const newer = await again('Newer_backup_2.tar');
    const older = (await homeAssistantRootSalt(join(folder, 'Newer_backup.tar'), ROOMY))!.toString('hex');
    expect(newer).not.toBe(older); // the same id, another salt
    await utimes(join(folder, 'Newer_backup_2.tar'), 2_000_000_000, 2_000_000_000);
    await utimes(join(folder, 'Newer_backup.tar'), 1_000_000_000, 1_000_000_000);
    expect((await homeAssistantRootSaltById(folder, v3, ROOMY))?.toString('hex')).toBe(newer);
    await utimes(join(folder, 'Newer_backup.tar'), 2_100_000_000, 2_100_000_000);
    expect((await homeAssistantRootSaltById(folder, v3, ROOMY))?.toString('hex')).toBe(older);
    await copyFile(join(folder, 'Newer_backup_2.tar'), join(folder, '.Newer_backup_2.tar'));
    await utimes(join(folder, '.Newer_backup_2.tar'), 2_200_000_000, 2_200_000_000);
    expect((await homeAssistantRootSaltById(folder, v3, ROOMY))?.toString('hex')).toBe(older);
  });

  it('reads no longer than its time allows', async () => {
    const { folder, v3 } = await backupFolder();
    expect(await homeAssistantRootSaltById(folder, v3, 0)).toBeNull();
    await expect(homeAssistantRootSalt(join(folder, 'Newer_backup.tar'), 0)).rejects.toThrow(/no time left/);
  });

  it('leaves a missing folder, or a FIFO given as the backup file, to the restore to report (without waiting on the FIFO)', async () => {
    const { folder, v3 } = await backupFolder();
    expect(await deriveRestoreKeyAheadById(join(folder, 'missing'), v3, 'hunter2', ROOMY)).toBe(false);
    expect(await deriveRestoreKeyAhead(join(folder, 'pipe.tar'), 'hunter2', ROOMY)).toBe(false);
  });

  it('begins the derivation that opening the backup then takes', async () => {
    const { folder, v3 } = await backupFolder();
    expect(await deriveRestoreKeyAheadById(folder, v3, 'hunter2', ROOMY)).toBe(true);
    const salt = (await homeAssistantRootSaltById(folder, v3, ROOMY))!;
    expect(deriveAhead('hunter2', salt)).toBeNull(); // the one under way
    await withBackupReader(join(folder, 'Newer_backup.tar'), async (reader) => {
      await reader.checkSecret(reader.homeAssistantArchive()!, 'hunter2');
    });
    expect(deriveAhead('hunter2', salt)).not.toBeNull(); // taken by the reader
    argon2id('hunter2', salt); // and this one taken here, so no other test finds it
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
    expect(await deriveRestoreKeyAhead(file, 'hunter2', ROOMY)).toBe(true);
    const salt = (await homeAssistantRootSalt(file, ROOMY))!;
    // One derivation per salt at a time: the warm-up's is the one under way.
    expect(deriveAhead('hunter2', salt)).toBeNull();
    await withBackupReader(file, async (reader) => {
      await reader.checkSecret(reader.homeAssistantArchive()!, 'hunter2');
    });
    expect(deriveAhead('hunter2', salt)).not.toBeNull(); // taken by the reader
    argon2id('hunter2', salt); // and this one taken here, so no other test finds it
  });
});

describe("a backup's key, begun before its archive", () => {
  it('is the key the archive is written with, and the backup opens with the password', async () => {
    const file = join(await tmpDir(), 'backup.tar');
    const encryptor = createArchiveEncryptor('hunter2', 3);
    const begun = parseV3Fields((await (await encryptor).forMember(0)).header(0)).rootSalt;
    await writeBackupFile(file, { entries: noEntries(), meta: META, password: 'hunter2', secureTarVersion: 3, encryptor });
    expect((await homeAssistantRootSalt(file, ROOMY))?.toString('hex')).toBe(Buffer.from(begun).toString('hex'));
    await withBackupReader(file, async (reader) => {
      await reader.checkSecret(reader.homeAssistantArchive()!, 'hunter2');
    });
  });

  it('is refused when it was begun for another SecureTar version, and no file is left', async () => {
    const file = join(await tmpDir(), 'backup.tar');
    const encryptor = createArchiveEncryptor('hunter2', 2);
    await expect(writeBackupFile(file, { entries: noEntries(), meta: META, password: 'hunter2', secureTarVersion: 3, encryptor })).rejects.toThrow(/v2 encryptor for a v3 archive/);
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
