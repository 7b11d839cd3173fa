// A generated installation-like tree with the awkward cases (empty files and folders, symlinks,
// names over 100 bytes, non-ASCII names, sizes at 1 MiB ± 1, files the exclude rules drop) and
// how the archive tests pack it, for no password, SecureTar v2 and v3.

import { randomBytes } from 'node:crypto';
import { writeBackupFile } from '../../src/archive/backup-writer.js';
import type { WholeDeflater } from '../../src/archive/libdeflate.js';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { META } from './meta.js';
import { makeTree } from './tree.js';
const MiB = 1 << 20;

export async function generatedTree(root: string): Promise<void> {
  const long = `${'a-very-long-folder-name-'.repeat(4)}/${'and-an-even-longer-file-name-'.repeat(4)}.yaml`;
  await makeTree(root, {
    'configuration.yaml': 'homeassistant:\n  name: Home\n',
    'empty.txt': '',
    'empty-dir': { dir: true },
    'private/secrets.yaml': { content: 'api_key: 123\n', mode: 0o600, mtime: 1700000000.25 },
    'scripts/run.sh': { content: '#!/bin/sh\necho hi\n', mode: 0o755 },
    [long]: 'long: true\n',
    'blueprints/ünïcödé/名前.yaml': 'x: ü\n',
    'www/just-under.bin': randomBytes(MiB - 1),
    'www/exactly.bin': randomBytes(MiB),
    'www/just-over.bin': randomBytes(MiB + 1),
    'www/two.bin': Buffer.alloc(2 * MiB, 'z'),
    'links/relative': { symlink: '../configuration.yaml' },
    'links/absolute': { symlink: '/etc/hostname' },
    'links/dangling': { symlink: 'does/not/exist' },
    'links/to-dir': { symlink: '../www' },
    'home-assistant.log': 'excluded\n',
    'custom_components/foo/debug.log': 'kept: not top level\n',
    'custom_components/foo/__pycache__/x.pyc': 'excluded',
  });
}

/** Packs `root` as a backup does; `engine` as parallel gzip takes it (default: libdeflate where it loads). */
export async function pack(root: string, out: string, password: string | null, version: 2 | 3, engine?: WholeDeflater | null) {
  return writeBackupFile(out, {
    entries: walkInstallation({ root, rules: ExcludeRules.forBackup({ includeDatabase: true }) }),
    meta: META,
    password,
    secureTarVersion: version,
    engine,
  });
}

export const variants = [
  ['no password', null, 3],
  ['SecureTar v2', 'hunter2', 2],
  ['SecureTar v3', 'hunter2', 3],
] as const;

/** The generated files Home Assistant's exclude rules leave out of a backup. */
export const GENERATED_EXCLUDED = ['home-assistant.log', 'custom_components/foo/__pycache__/x.pyc'];
