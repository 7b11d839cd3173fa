// A backup's flat listing (lifeboat/backup/files/list) as a tree for the Files view: folders hold
// their entries (a folder the listing only implies is made up), folders first then by name, each
// folder with the total size of the files below it; and a selection of files and folders reduced
// to the paths a restore needs (nothing under a folder that is chosen whole).

import type { BackupFileEntry } from './api/types.js';

export interface TreeNode {
  name: string;
  path: string;
  /** The listing's entry; null for a folder the listing only implies. */
  entry: BackupFileEntry | null;
  folder: boolean;
  /** A file's size; a folder's: the sum of the files below it. */
  size: number;
  children: TreeNode[];
}

function sortTree(nodes: TreeNode[]): void {
  nodes.sort((a, b) => (a.folder === b.folder ? a.name.localeCompare(b.name) : a.folder ? -1 : 1));
  for (const n of nodes) sortTree(n.children);
}

function total(node: TreeNode): number {
  if (!node.folder) return node.size;
  node.size = node.children.reduce((sum, c) => sum + total(c), 0);
  return node.size;
}

export function buildTree(entries: readonly BackupFileEntry[]): TreeNode[] {
  const root: TreeNode = { name: '', path: '', entry: null, folder: true, size: 0, children: [] };
  const byPath = new Map<string, TreeNode>([['', root]]);
  const nodeAt = (path: string): TreeNode => {
    const found = byPath.get(path);
    if (found) return found;
    const cut = path.lastIndexOf('/');
    const node: TreeNode = { name: path.slice(cut + 1), path, entry: null, folder: true, size: 0, children: [] };
    nodeAt(cut < 0 ? '' : path.slice(0, cut)).children.push(node);
    byPath.set(path, node);
    return node;
  };
  for (const entry of entries) {
    if (entry.path === '' || entry.path === '.') continue;
    const node = nodeAt(entry.path);
    node.entry = entry;
    node.folder = entry.type === 'directory';
    node.size = entry.size;
  }
  sortTree(root.children);
  total(root);
  return root.children;
}

/** Whether `path` is `folder` or lies below it. */
export function isUnder(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

/** The chosen paths without those below another chosen one, sorted. */
export function restorePaths(selected: Iterable<string>): string[] {
  const all = [...new Set(selected)].sort();
  return all.filter((p) => !all.some((q) => q !== p && isUnder(p, q)));
}
