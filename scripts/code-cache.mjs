#!/usr/bin/env node
// Makes the bundled program's code cache, dist/bundle/cli.cache (see src/cli/cached-program.ts):
// loads the program, runs what a user runs most — a backup, a restore, the list of backups, the
// help — on a small demo installation in a temporary folder, and saves what V8 compiled for it.
// That is also a check of the bundle: the build fails if one of these commands fails.
// scripts/bundle.mjs runs this with the V8 flags bin/lifeboat gives Node.js, since V8 uses a code
// cache only under the flags it was made with.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bundle = join(root, 'dist', 'bundle');
const { loadProgram, CACHE_FILE } = await import(pathToFileURL(join(root, 'dist', 'cli', 'cached-program.js')).href);

const loaded = loadProgram(bundle);
const work = mkdtempSync(join(tmpdir(), 'lifeboat-code-cache-'));
try {
  const run = async (...args) => {
    const code = await loaded.program.main(['node', 'lifeboat', ...args]);
    if (code !== 0) throw new Error(`lifeboat ${args.join(' ')} ended with exit code ${code}`);
  };
  const config = join(work, 'config');
  await run('demo', 'init', config, '--db-mib', '2');
  await run('-c', config, '-d', join(work, 'data'), 'backup', 'create', '--password', 'code-cache-key', '--json');
  await run('-c', config, '-d', join(work, 'data'), 'backup', 'list');
  const backup = readdirSync(join(config, 'backups')).find((name) => name.endsWith('.tar'));
  if (!backup) throw new Error('the backup made for the code cache was not found');
  await run('-c', join(work, 'fresh'), '-d', join(work, 'fresh-data'), 'restore', join(config, 'backups', backup), '--password', 'code-cache-key', '--yes');
  await run('--help');
  writeFileSync(join(bundle, CACHE_FILE), loaded.makeCache());
} finally {
  rmSync(work, { recursive: true, force: true });
}
