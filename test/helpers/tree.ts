// Builds file trees for tests and describes a tree (type, mode, content digest, link target,
// mtime) so two trees can be compared exactly.

import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type TreeSpec = Record<
  string,
  | string
  | Buffer
  | { dir: true; mode?: number }
  | { symlink: string }
  | { content: string | Buffer; mode?: number; mtime?: number }
>;

export async function makeTree(root: string, spec: TreeSpec): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const [rel, value] of Object.entries(spec)) {
    const abs = join(root, rel);
    await mkdir(dirname(abs), { recursive: true });
    if (typeof value === 'string' || Buffer.isBuffer(value)) {
      await writeFile(abs, value);
    } else if ('dir' in value) {
      await mkdir(abs, { recursive: true });
      if (value.mode !== undefined) await chmod(abs, value.mode);
    } else if ('symlink' in value) {
      await symlink(value.symlink, abs);
    } else {
      await writeFile(abs, value.content);
      if (value.mode !== undefined) await chmod(abs, value.mode);
      if (value.mtime !== undefined) await utimes(abs, value.mtime, value.mtime);
    }
  }
}

export interface NodeInfo {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode?: number;
  size?: number;
  sha256?: string;
  link?: string;
  mtimeMs?: number;
}

export interface DescribeOptions {
  mtimes?: boolean;
  /** Relative paths (or prefixes ending in /) to leave out. */
  ignore?: string[];
}

export async function describeTree(root: string, opts: DescribeOptions = {}): Promise<Record<string, NodeInfo>> {
  const out: Record<string, NodeInfo> = {};
  const ignored = (rel: string) => (opts.ignore ?? []).some((i) => (i.endsWith('/') ? rel.startsWith(i) || `${rel}/` === i : rel === i));
  async function walk(dir: string, rel: string) {
    for (const name of (await readdir(dir)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (ignored(r)) continue;
      const abs = join(dir, name);
      const st = await lstat(abs);
      const info: NodeInfo = { type: 'other', mode: st.mode & 0o7777 };
      if (opts.mtimes && !st.isDirectory()) info.mtimeMs = Math.floor(st.mtimeMs);
      if (st.isSymbolicLink()) {
        info.type = 'symlink';
        info.link = await readlink(abs);
        delete info.mode;
      } else if (st.isDirectory()) {
        info.type = 'dir';
        out[r] = info;
        await walk(abs, r);
        continue;
      } else if (st.isFile()) {
        info.type = 'file';
        info.size = st.size;
        info.sha256 = createHash('sha256').update(await readFile(abs)).digest('hex');
      }
      out[r] = info;
    }
  }
  await walk(root, '');
  return out;
}

/** One digest for a whole tree description. */
export function treeDigest(desc: Record<string, NodeInfo>): string {
  return createHash('sha256').update(JSON.stringify(desc)).digest('hex');
}
