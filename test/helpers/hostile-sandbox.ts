// The harness of the hostile and damaged archive tests: each attempt runs in a sandbox holding the
// output folder next to an "outside" folder (with a secret file) and a sibling file, and a listing
// of everything but the output folder is compared before and after; an attempt that runs longer
// than ATTEMPT_TIMEOUT_MS counts as a hang, and a failure must be a typed BackupError.

import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BackupError } from '../../src/util/errors.js';
import { tmpDir } from './tmp.js';
import { describeTree, makeTree } from './tree.js';

const ATTEMPT_TIMEOUT_MS = 5_000;
/** A name that would only exist above the sandbox if an entry climbed that far. */
export const FAR_ESCAPE = `lifeboat-escape-${process.pid}.txt`;

export class AttemptTimedOut extends Error {}

/** Runs `fn`; returns what it threw, or null. A run longer than the timeout counts as a hang. */
export async function failureOf(fn: () => Promise<unknown>, what: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimedOut(`${what} did not finish within ${ATTEMPT_TIMEOUT_MS} ms (hang)`)), ATTEMPT_TIMEOUT_MS);
  });
  try {
    await Promise.race([fn(), timeout]);
    return null;
  } catch (err) {
    return err;
  } finally {
    clearTimeout(timer);
  }
}

export function describeError(err: unknown): string {
  if (err === null) return 'no error';
  if (err instanceof Error) return `${err.constructor.name}${(err as { code?: string }).code ? ` [${(err as { code?: string }).code}]` : ''}: ${err.message}`;
  return String(err);
}

/** Asserts a typed BackupError with one of the codes (never a hang, never an untyped error). */
export function expectTypedError(err: unknown, codes: string | readonly string[], context: string): asserts err is BackupError {
  if (err instanceof AttemptTimedOut) expect.fail(`${context}: ${err.message}`);
  expect(err, `${context}: expected a typed error, got ${describeError(err)}`).toBeInstanceOf(BackupError);
  const allowed = typeof codes === 'string' ? [codes] : codes;
  expect(allowed, `${context}: unexpected ${describeError(err)}`).toContain((err as BackupError).code);
}

export interface Sandbox {
  root: string;
  /** The output folder given to unpackBackup. */
  out: string;
  /** Where an inner archive's content goes (`out/homeassistant`); extractEntries uses it too. */
  target: string;
  outside: string;
  secret: string;
  sibling: string;
  before: Awaited<ReturnType<typeof listOutside>>;
}

const SECRET = 'top secret\n';

async function listOutside(root: string) {
  return describeTree(root, { ignore: ['out/'], mtimes: true });
}

export async function makeSandbox(): Promise<Sandbox> {
  const root = await tmpDir('lifeboat-hostile-');
  const out = join(root, 'out');
  const outside = join(root, 'outside');
  await mkdir(out);
  await makeTree(outside, { 'secret.txt': SECRET, 'keep/me.txt': 'keep\n' });
  await writeFile(join(root, 'sibling.txt'), 'sibling\n');
  return {
    root,
    out,
    target: join(out, 'homeassistant'),
    outside,
    secret: join(outside, 'secret.txt'),
    sibling: join(root, 'sibling.txt'),
    before: await listOutside(root),
  };
}

/** Nothing but the output folder changed: no new, removed or modified file or link anywhere. */
export async function expectNothingOutside(sb: Sandbox): Promise<void> {
  expect(await listOutside(sb.root)).toEqual(sb.before);
  const st = await lstat(sb.secret);
  expect(st.nlink, 'the outside file gained a hard link').toBe(1);
  expect(await readFile(sb.secret, 'utf8')).toBe(SECRET);
  expect(existsSync(join(sb.root, '..', FAR_ESCAPE)), 'an entry escaped above the sandbox').toBe(false);
}

/** Paths below `dir` whose last component is `name`. */
export async function findNamed(dir: string, name: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return Object.keys(await describeTree(dir)).filter((p) => p.split('/').pop() === name);
}
