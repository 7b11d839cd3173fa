// Lifeboat's data folder of a test installation, wherever the default puts it; the restore staging
// folders a restore makes inside an installation; and a copy of an installation with its data folder.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { dataFolder, isStagingName } from '../../src/manager/data-folder.js';

export const dataDir = (installation: string): string => dataFolder(installation).root;

/** Names of restore staging folders inside the installation. */
export async function stagingFolders(installation: string): Promise<string[]> {
  return (await readdir(installation).catch(() => [] as string[])).filter(isStagingName);
}

/** `cp -a` of an installation and of its data folder (keys, catalogue) to the new one's. */
export async function copyInstallation(from: string, to: string): Promise<void> {
  await promisify(execFile)('cp', ['-a', from, to]);
  if (existsSync(dataDir(from))) {
    await mkdir(dirname(dataDir(to)), { recursive: true, mode: 0o700 });
    await promisify(execFile)('cp', ['-a', dataDir(from), dataDir(to)]);
  }
}
