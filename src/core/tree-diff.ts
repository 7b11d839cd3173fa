// Comparing two trees of files — two backups, or a backup and the live installation — by what a
// restore would bring back: type, permission bits, a symbolic link's target, size and the SHA-256
// of the content. Times are not compared (a folder's changes whenever a file in it comes or goes;
// a file's says nothing its digest does not), nor a link's own mode (Linux ignores it). Databases
// are compared by size and digest only. Pure: the trees come in as maps, the differences go out.

export type ChangeKind = 'content' | 'size' | 'mode' | 'target' | 'type';

/** What is compared of one path. A hard link is given as the file it shares content with. */
export interface FileFacts {
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** Permission bits. */
  mode: number;
  size: number;
  linkname?: string;
  /** Files: SHA-256 of the content; null when it could not be known. */
  sha256?: string | null;
}

export interface ChangedPath {
  path: string;
  what: ChangeKind[];
}

export interface TreeDiff {
  /** In b, not in a. */
  added: string[];
  /** In a, not in b. */
  removed: string[];
  changed: ChangedPath[];
}

export interface CompareOptions {
  /** Paths compared by size and digest only (databases). */
  digestOnly?: (path: string) => boolean;
}

/** What differs between two versions of a path; empty when nothing does. */
export function compareFacts(a: FileFacts, b: FileFacts, digestOnly = false): ChangeKind[] {
  if (a.type !== b.type) return ['type'];
  const what: ChangeKind[] = [];
  if (a.type === 'file') {
    if ((a.sha256 ?? null) !== (b.sha256 ?? null)) what.push('content');
    if (a.size !== b.size) what.push('size');
  }
  if (digestOnly) return what;
  if (a.type !== 'symlink' && (a.mode & 0o7777) !== (b.mode & 0o7777)) what.push('mode');
  if (a.type === 'symlink' && a.linkname !== b.linkname) what.push('target');
  return what;
}

const byPath = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** The differences from tree a to tree b, each list sorted by path. */
export function diffTrees(a: ReadonlyMap<string, FileFacts>, b: ReadonlyMap<string, FileFacts>, opts: CompareOptions = {}): TreeDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: ChangedPath[] = [];
  for (const [path, before] of a) {
    const after = b.get(path);
    if (!after) {
      removed.push(path);
      continue;
    }
    const what = compareFacts(before, after, opts.digestOnly?.(path) ?? false);
    if (what.length) changed.push({ path, what });
  }
  for (const path of b.keys()) if (!a.has(path)) added.push(path);
  return { added: added.sort(byPath), removed: removed.sort(byPath), changed: changed.sort((x, y) => byPath(x.path, y.path)) };
}
