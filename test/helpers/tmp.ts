// Temporary folders for tests, removed after each test file (test/helpers/tmp-cleanup.ts, a setup
// file, asks for that in every file: a hook here would be registered only by the first file of a
// worker that shares its modules with the next ones, and the others' folders would stay behind).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

export async function tmpDir(prefix = 'lifeboat-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes the folders made since the last call. */
export async function removeTmpDirs(): Promise<void> {
  const dirs = made.splice(0);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}
