// Durable file writes: atomic replacement (temp file, fsync, rename, folder fsync) with a chosen
// mode, folder fsync after renames, a whole extracted tree flushed to disk before it is swapped in,
// and JSON read back through a zod schema before it is trusted.

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { forEachLimit } from './concurrency.js';

export async function writeFileAtomic(path: string, data: string | Buffer | readonly Buffer[], mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 }); // folders it makes are private (Lifeboat's state)
  const temp = join(dir, `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(temp, 'wx', mode);
  try {
    // Pieces are written one after the other (each writeFile continues where the last one ended).
    for (const piece of typeof data === 'string' || Buffer.isBuffer(data) ? [data] : data) await fh.writeFile(piece);
    await fh.chmod(mode);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(temp, path);
  await chmod(path, mode);
  await syncDir(dir);
}

/** fsync a folder so that renames and creations in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeJsonAtomic(path: string, value: unknown, mode = 0o644): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);
}

/** Reads and validates a JSON file; returns null when it does not exist. */
export async function readJson<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not valid: ${parsed.error.issues[0]?.message ?? 'bad content'}`);
  return parsed.data;
}

/**
 * Flushes every regular file and folder below `root` (itself included) to disk, several at once on
 * the thread pool; links are not followed. Renaming a tree into place is only durable once its
 * content is: otherwise a power cut soon after could leave files empty where the old ones were.
 */
export async function syncTree(root: string): Promise<void> {
  const paths: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    paths.push(dir);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) paths.push(path);
    }
  };
  await walk(root);
  await forEachLimit(paths, 8, async (path) => {
    const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}
