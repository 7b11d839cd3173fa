// Run by test/manager/read-only-folders.system.test.ts without the power to bypass file permissions
// (as a user that is not root, or as root without CAP_DAC_OVERRIDE and CAP_FOWNER), as Lifeboat runs
// beside a Core installation: restores into INSTALLATION, which holds a read-only folder, and prints
// what it saw as one JSON line. With `open-only`, it only opens the manager on the installation.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PathNotInBackup } from '../../src/util/errors.js';
import { dataFolder } from '../../src/manager/data-folder.js';
import type { Logger } from '../../src/util/logger.js';
import { openManager } from './manager.js';

const [inst, mode] = process.argv.slice(2) as [string, string | undefined];
const warnings: string[] = [];
const log: Logger = { info() {}, error() {}, warn: (message) => void warnings.push(message) };
const staging = async () => (await readdir(inst)).filter((n) => n.startsWith('.lifeboat-restore-'));
const journal = () => readFile(dataFolder(inst).restoreJournal).then(() => true, () => false);

if (mode === 'open-only') {
  const opened = await openManager({ installation: inst, log }).then(() => true, (e: unknown) => String(e));
  console.log(JSON.stringify({ opened, warnings, staging: await staging(), journal: await journal() }));
} else {
  const manager = await openManager({ installation: inst, log });
  const created = await manager.create({});
  const original = await readFile(join(inst, 'configuration.yaml'), 'utf8');
  await writeFile(join(inst, 'configuration.yaml'), 'edited: true\n');
  const full = await manager.restore({ backupId: created.backupId }).then(() => 'restored', (e: unknown) => String(e));
  const afterFull = {
    result: full,
    restored: (await readFile(join(inst, 'configuration.yaml'), 'utf8')) === original,
    staging: await staging(),
    journal: await journal(),
  };
  // A refused partial restore: its staged tree (with the read-only folder) is discarded.
  const refused = await manager.restore({ backupId: created.backupId, paths: ['www', 'not-in-the-backup'] }).then(
    () => 'restored',
    (e: unknown) => (e instanceof PathNotInBackup ? 'PathNotInBackup' : String(e)),
  );
  const afterRefused = { result: refused, staging: await staging() };
  const reopened = await openManager({ installation: inst, log }).then(() => true, (e: unknown) => String(e));
  console.log(JSON.stringify({ afterFull, afterRefused, reopened, warnings }));
}
