// Durable file writes: atomic replacement (temp file, fsync, rename, folder fsync) with a chosen
// mode, folder fsync after renames, and JSON read back through a zod schema before it is trusted.
// (A restore's extracted tree is flushed by the extraction itself: archive/extract-syncs.ts.)

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';

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
