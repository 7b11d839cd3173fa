// The backup walk never reads through a link another process swaps in while it runs: a file
// replaced by a symlink (to a secret outside the installation) after the walk looked at it is
// stored as that link or left out, with a warning; a folder replaced by a link to an outside
// folder is neither listed nor read from. Each swap happens at a pause point, at the exact moment
// a racing process would need.

import { rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InnerEntry } from '../../src/archive/inner-tar-writer.js';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { collect } from '../../src/util/chunks.js';
import { onPausePoint } from '../../src/util/pause-point.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeTree } from '../helpers/tree.js';

const SECRET = 'root:$6$secret-hash:19000:0:99999:7:::\n';

let unhook: (() => void) | null = null;
afterEach(() => {
  unhook?.();
  unhook = null;
});

interface Walked {
  entries: Map<string, InnerEntry & { content?: Buffer }>;
  warnings: string[];
}

async function walk(root: string): Promise<Walked> {
  const warnings: string[] = [];
  const entries = new Map<string, InnerEntry & { content?: Buffer }>();
  for await (const e of walkInstallation({ root, rules: ExcludeRules.forBackup({ includeDatabase: true }), onWarning: (w) => warnings.push(w) })) {
    const content = e.data === undefined ? undefined : Buffer.isBuffer(e.data) ? e.data : await collect(e.data());
    entries.set(e.path, { ...e, content });
  }
  return { entries, warnings };
}

function expectNoSecret(w: Walked): void {
  for (const e of w.entries.values()) expect(e.content?.toString('latin1') ?? '', `${e.path} holds the secret`).not.toContain('secret-hash');
}

async function setup(): Promise<{ root: string; outside: string; secret: string }> {
  const base = await tmpDir('lifeboat-walk-swap-');
  const root = join(base, 'config');
  const outside = join(base, 'outside');
  await makeTree(outside, { 'shadow': SECRET, 'f.txt': SECRET });
  await makeTree(root, { 'a.txt': 'plain\n', 'sub/f.txt': 'mine\n', 'big.bin': Buffer.alloc((1 << 20) + 10, 1) });
  return { root, outside, secret: join(outside, 'shadow') };
}

describe('the backup walk and files swapped for links', () => {
  it('stores a small file swapped for a symlink as that link, never its target', async () => {
    const { root, secret } = await setup();
    unhook = onPausePoint('walk:before-open', async (rel) => {
      if (rel !== 'a.txt') return;
      await unlink(join(root, 'a.txt'));
      await symlink(secret, join(root, 'a.txt'));
    });
    const w = await walk(root);
    const a = w.entries.get('data/a.txt');
    expect(a?.type).toBe('symlink');
    expect(a?.linkname).toBe(secret);
    expect(w.warnings.join('\n')).toMatch(/a\.txt was replaced by a symbolic link while the backup ran; it is stored as that link/);
    expectNoSecret(w);
  });

  it('leaves out the content of a large file swapped for a symlink (zeros, with a warning)', async () => {
    const { root, outside } = await setup();
    await writeFile(join(outside, 'big-secret'), Buffer.concat([Buffer.from(SECRET), Buffer.alloc(1 << 20)]));
    unhook = onPausePoint('walk:before-open', async (rel) => {
      if (rel !== 'big.bin') return;
      await unlink(join(root, 'big.bin'));
      await symlink(join(outside, 'big-secret'), join(root, 'big.bin'));
    });
    const w = await walk(root);
    const big = w.entries.get('data/big.bin');
    expect(big?.content?.every((b) => b === 0)).toBe(true);
    expect(w.warnings.join('\n')).toMatch(/big\.bin was replaced by a symbolic link while the backup ran; its content is left out/);
    expectNoSecret(w);
  });

  it('reads a small file from its real folder when the folder is swapped for a link just before the read', async () => {
    const { root, outside } = await setup();
    unhook = onPausePoint('walk:before-open', async (rel) => {
      if (rel !== 'sub/f.txt') return;
      await rename(join(root, 'sub'), join(root, 'sub.moved'));
      await symlink(outside, join(root, 'sub'));
    });
    const w = await walk(root);
    expect(w.entries.get('data/sub/f.txt')?.content?.toString()).toBe('mine\n');
    expectNoSecret(w);
  });

  it('leaves out a large file whose folder was swapped for a link to an outside folder before it is read', async () => {
    const { root, outside } = await setup();
    await makeTree(root, { 'sub/big.bin': Buffer.alloc((1 << 20) + 10, 2) });
    await writeFile(join(outside, 'big.bin'), Buffer.concat([Buffer.from(SECRET), Buffer.alloc(1 << 20)]));
    unhook = onPausePoint('walk:before-open', async (rel) => {
      if (rel !== 'sub/big.bin') return;
      await rename(join(root, 'sub'), join(root, 'sub.moved'));
      await symlink(outside, join(root, 'sub'));
    });
    const w = await walk(root);
    expect(w.entries.get('data/sub/big.bin')?.content?.every((b) => b === 0)).toBe(true);
    expect(w.warnings.join('\n')).toMatch(/sub\/big\.bin was replaced by a file from elsewhere .*; its content is left out/);
    expectNoSecret(w);
  });

  it('keeps walking the real folder, never the outside one, when the folder being walked is swapped for a link', async () => {
    const { root, outside } = await setup();
    await makeTree(root, { 'sub/g.txt': 'mine too\n' });
    unhook = onPausePoint('walk:before-look', async (rel) => {
      if (rel !== 'sub/f.txt') return;
      await rename(join(root, 'sub'), join(root, 'sub.moved'));
      await symlink(outside, join(root, 'sub'));
    });
    const w = await walk(root);
    expect(w.entries.has('data/sub/shadow'), 'the outside folder was listed').toBe(false);
    expect(w.entries.get('data/sub/f.txt')?.content?.toString()).toBe('mine\n');
    expect(w.entries.get('data/sub/g.txt')?.content?.toString()).toBe('mine too\n');
    expectNoSecret(w);
  });
});
