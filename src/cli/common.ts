// Shared CLI plumbing: the password options and reading a password from them (a file, standard input,
// $LIFEBOAT_BACKUP_PASSWORD or the command line), exit codes by error kind, and one-line error reporting.

import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { findKeyInText } from '../util/key-text.js';
import {
  ArchiveCorruptError,
  ArchiveTruncatedError,
  BackupError,
  BackupManagerError,
  BackupNotFound,
  IncorrectPasswordError,
  InvalidBackupArchive,
  InvalidRequestError,
  NotAFileInBackup,
  PathNotInBackup,
  UnsafeEntryError,
} from '../util/errors.js';

/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  password: 3,
  corrupt: 4,
  notFound: 5,
  busy: 6,
} as const;

export class UsageError extends Error {}

export interface PasswordOptions {
  password?: string;
  passwordFile?: string;
}

/**
 * The password options of a command, the safe ones first: a file (or - for standard input) and
 * $LIFEBOAT_BACKUP_PASSWORD stay private, while --password is visible to other users of the machine
 * (in the process list) and lands in the shell's history.
 */
export function addPasswordOptions(cmd: Command): Command {
  return cmd
    .option('--password-file <file>', 'read the password (the backup key) from the first line of a file, or - for standard input; also $LIFEBOAT_BACKUP_PASSWORD')
    .option('-p, --password <password>', 'the password on the command line: visible to other users of this machine; prefer --password-file');
}

/** All of standard input as text (a password or an address given with `-`). */
export async function readStdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readPasswordText(file: string): Promise<string> {
  return file === '-' ? readStdinText() : readFile(file, 'utf8');
}

/**
 * The password from --password or --password-file: the file's first line, or the key in an
 * emergency kit.
 */
export async function resolvePassword(opts: PasswordOptions): Promise<string | null> {
  if (opts.password !== undefined && opts.passwordFile !== undefined) {
    throw new UsageError('Give either --password or --password-file, not both');
  }
  if (opts.password !== undefined) return opts.password;
  if (opts.passwordFile !== undefined) {
    const text = await readPasswordText(opts.passwordFile).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`Cannot read the password file ${opts.passwordFile}: ${err.code ?? err.message}`);
    });
    // An emergency kit holds the key on a line of its own among other lines.
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.length > 1) {
      const key = findKeyInText(text);
      if (key) return key;
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  return process.env.LIFEBOAT_BACKUP_PASSWORD || null;
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError || err instanceof InvalidRequestError || err instanceof NotAFileInBackup) return EXIT.usage;
  if (err instanceof IncorrectPasswordError) return EXIT.password;
  if (
    err instanceof ArchiveCorruptError ||
    err instanceof ArchiveTruncatedError ||
    err instanceof InvalidBackupArchive ||
    err instanceof UnsafeEntryError
  ) {
    return EXIT.corrupt;
  }
  if (err instanceof BackupNotFound || err instanceof PathNotInBackup) return EXIT.notFound;
  if (err instanceof BackupManagerError && /busy/i.test(err.message)) return EXIT.busy;
  return EXIT.failure;
}

/** One line for the user: `lifeboat: <message> [<code>]`. */
export function describeError(err: unknown): string {
  if (err instanceof BackupError) return `${err.message} [${err.code}]`;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' && e.path) return `No such file or folder: ${e.path}`;
  if (e?.code === 'EACCES' && e.path) return `Permission denied: ${e.path}`;
  if (e?.code === 'ENOSPC') return 'The disk is full (no space left on device)';
  if (err instanceof Error) return err.message;
  return String(err);
}

export function parseIntOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A number of seconds (fractions allowed) from min to max, as milliseconds. */
export function parseSecondsOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number of seconds from ${min} to ${max}`);
    return Math.round(n * 1000);
  };
}
