// The pure parts of the Files view: a flat listing as a tree (implied folders made up, folders
// first, folder sizes summed), a selection reduced to the paths a restore needs, and a unified
// diff as side-by-side rows with line numbers and removed lines paired with added ones.

import { describe, expect, it } from 'vitest';
import type { BackupFileEntry } from '../../web/src/api/types.js';
import { buildTree, restorePaths } from '../../web/src/file-tree.js';
import { patchRows } from '../../web/src/patch-rows.js';

const entry = (path: string, type: BackupFileEntry['type'], size = 0): BackupFileEntry => ({ path, type, size, mode: 0o644, mtime: '2026-01-01T00:00:00.000Z' });

describe('the tree of a backup listing', () => {
  it('puts folders first, makes up implied folders and sums their sizes', () => {
    const tree = buildTree([entry('b.yaml', 'file', 5), entry('.storage', 'directory'), entry('.storage/core.config', 'file', 7), entry('www/images/a.png', 'file', 100)]);
    expect(tree.map((n) => [n.name, n.folder, n.size])).toEqual([
      ['.storage', true, 7],
      ['www', true, 100],
      ['b.yaml', false, 5],
    ]);
    expect(tree[1]?.entry).toBeNull();
    expect(tree[1]?.children[0]?.children[0]?.path).toBe('www/images/a.png');
  });

  it('drops chosen paths that lie below a chosen folder', () => {
    expect(restorePaths(['www/images/a.png', 'www', 'b.yaml', 'wwwx'])).toEqual(['b.yaml', 'www', 'wwwx']);
  });
});

describe('side-by-side rows of a unified diff', () => {
  it('numbers both sides and pairs removed lines with the added ones after them', () => {
    const patch = ['--- a/c.yaml\tbackup x', '+++ b/c.yaml\tlive installation', '@@ -1,3 +1,4 @@', ' one', '-two', '+TWO', '+two and a half', ' three', '\\ No newline at end of file', ''].join('\n');
    expect(patchRows(patch)).toEqual([
      { kind: 'hunk', text: '@@ -1,3 +1,4 @@' },
      { kind: 'same', left: { n: 1, text: 'one' }, right: { n: 1, text: 'one' } },
      { kind: 'changed', left: { n: 2, text: 'two' }, right: { n: 2, text: 'TWO' } },
      { kind: 'added', left: null, right: { n: 3, text: 'two and a half' } },
      { kind: 'same', left: { n: 3, text: 'three' }, right: { n: 4, text: 'three' } },
    ]);
  });
});
