// A file whose name is not valid UTF-8 (a Latin-1 name copied from an old share) cannot be named
// faithfully in the archive: the walk leaves it out and says so, instead of losing it in silence.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeTree } from '../helpers/tree.js';

describe('names that are not UTF-8', () => {
  it('are left out of the walk with a warning that names them', async () => {
    const root = join(await tmpDir(), 'config');
    await makeTree(root, { 'media/café.txt': 'utf-8 name\n', 'a.yaml': 'a: 1\n' });
    await writeFile(Buffer.from(`${root}/media/caf\xe9-latin1.txt`, 'latin1'), 'latin-1 name\n');
    const warnings: string[] = [];
    const paths: string[] = [];
    for await (const e of walkInstallation({ root, rules: ExcludeRules.forBackup({ includeDatabase: true }), onWarning: (w) => warnings.push(w) })) paths.push(e.path);
    expect(paths).toEqual(['data', 'data/a.yaml', 'data/media', 'data/media/café.txt']);
    expect(warnings).toEqual(['media/caf\ufffd-latin1.txt is left out: its name is not valid UTF-8 (rename it to back it up)']);
  });
});
