// Helpers shared by the benchmarks in bench/: paths of the built CLI, its launcher and the RSS probe, option
// parsing bits, file manifests (size + SHA-256 of every file) and their comparison, what a backup of
// an installation holds (Home Assistant's exclude rules), running and timing commands (the Lifeboat
// CLI with its peak RSS recorded, `backup create --json`'s answer), medians and plain-text tables.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(REPO, 'dist', 'bundle', 'main.cjs');
/** The `lifeboat` command as installed: runs CLI with its memory settings. */
export const LAUNCHER = join(REPO, 'bin', 'lifeboat');
export const PROBE = join(REPO, 'bench', 'rss-probe.mjs');

// ---------------------------------------------------------------------------------------------
// Options and messages

export class UsageError extends Error {}

/** A failed correctness check (the benchmark exits with status 1). */
export class VerifyError extends Error {}

export function positiveInt(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return n;
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The options of every benchmark with a work folder, for parseArgs: --work, --regen, --json, --keep, --help. */
export const COMMON_OPTIONS = {
  work: { type: 'string' },
  regen: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface CommonOptions {
  work: string;
  regen: boolean;
  json: boolean;
  keep: boolean;
}

/** The common options' values, the work folder `bench/<defaultWork>` unless --work names one. */
export function commonOptions(values: { work?: string; regen?: boolean; json?: boolean; keep?: boolean }, defaultWork: string): CommonOptions {
  return {
    work: values.work ? resolve(values.work) : join(REPO, 'bench', defaultWork),
    regen: values.regen ?? false,
    json: values.json ?? false,
    keep: values.keep ?? false,
  };
}

/** Parses a JSON marker file; null when it is missing or unreadable. */
export function readMarker<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Manifests (for warm-up reads and correctness checks)

export interface ManifestEntry {
  size: number;
  sha256: string;
  /**
   * For SQLite files, with `sqliteDigest`: SHA-256 with the header fields that SQLite's online
   * backup API rewrites in a copy zeroed (file change counter, schema cookie, version-valid-for:
   * bytes 24–27, 40–43 and 92–95). Equal values mean "the same pages, copied by SQLite".
   */
  sqliteSha256?: string;
}

export interface Manifest {
  files: Map<string, ManifestEntry>;
  dirs: Set<string>;
  bytes: number;
}

export interface ManifestOptions {
  /** Leaves out a path (and, for a folder, everything below it); `rel` is POSIX, root-relative. */
  skip?: (rel: string, isDir: boolean) => boolean;
  /** Also compute `sqliteSha256` for files that start with SQLite's header. */
  sqliteDigest?: boolean;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\u0000', 'latin1');
const SQLITE_COPY_FIELDS = [24, 40, 92] as const; // 4-byte header fields a backup-API copy rewrites

function sqliteDigestOf(data: Buffer): string | undefined {
  if (data.length < 100 || !data.subarray(0, 16).equals(SQLITE_MAGIC)) return undefined;
  const header = Buffer.from(data.subarray(0, 100));
  for (const offset of SQLITE_COPY_FIELDS) header.fill(0, offset, offset + 4);
  return createHash('sha256').update(header).update(data.subarray(100)).digest('hex');
}

export function manifestOf(root: string, options: ManifestOptions = {}): Manifest {
  const m: Manifest = { files: new Map(), dirs: new Set(), bytes: 0 };
  const walk = (abs: string, rel: string): void => {
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      const childAbs = join(abs, d.name);
      if (options.skip?.(childRel, d.isDirectory())) continue;
      if (d.isDirectory()) {
        m.dirs.add(childRel);
        walk(childAbs, childRel);
      } else {
        const data = readFileSync(childAbs);
        const entry: ManifestEntry = { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
        if (options.sqliteDigest) {
          const sqlite = sqliteDigestOf(data);
          if (sqlite) entry.sqliteSha256 = sqlite;
        }
        m.files.set(childRel, entry);
        m.bytes += data.length;
      }
    }
  };
  walk(root, '');
  return m;
}

/** The bytes of every file below `root` (what `du -sb` counts for files, without reading them). */
export function folderBytes(root: string): number {
  let bytes = 0;
  for (const d of readdirSync(root, { withFileTypes: true })) {
    const abs = join(root, d.name);
    if (d.isDirectory()) bytes += folderBytes(abs);
    else if (d.isFile()) bytes += statSync(abs).size;
  }
  return bytes;
}

/**
 * Lists the differences between two manifests. Files whose bytes differ only in the SQLite
 * header fields a backup-API copy rewrites (both sides need `sqliteSha256`) are not problems;
 * they are described in `notes`, when given.
 */
export function compareManifests(expected: Manifest, actual: Manifest, notes?: string[]): string[] {
  const problems: string[] = [];
  for (const [rel, want] of expected.files) {
    const got = actual.files.get(rel);
    if (!got) problems.push(`missing file ${rel}`);
    else if (got.size !== want.size) problems.push(`${rel}: ${got.size} bytes, expected ${want.size}`);
    else if (got.sha256 !== want.sha256) {
      if (want.sqliteSha256 !== undefined && want.sqliteSha256 === got.sqliteSha256) {
        notes?.push(`${rel}: identical except the SQLite header fields a backup-API copy rewrites (change counter, schema cookie, version-valid-for)`);
      } else problems.push(`${rel}: content differs (sha256)`);
    }
  }
  for (const rel of actual.files.keys()) if (!expected.files.has(rel)) problems.push(`unexpected file ${rel}`);
  for (const rel of expected.dirs) if (!actual.dirs.has(rel)) problems.push(`missing folder ${rel}`);
  for (const rel of actual.dirs) if (!expected.dirs.has(rel)) problems.push(`unexpected folder ${rel}`);
  if (expected.files.size !== actual.files.size) problems.unshift(`${actual.files.size} files, expected ${expected.files.size}`);
  if (expected.bytes !== actual.bytes) problems.unshift(`${actual.bytes} bytes, expected ${expected.bytes}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// What a backup of an installation holds: everything but backups/, less what Home Assistant's
// exclude rules drop (a small, independent matcher: `*` stays within one segment, `**/` spans any
// number of leading folders; a path is dropped when it or a parent matches)

/** Top-level folders no side archives: the backups themselves. */
const NOT_ARCHIVED = new Set(['backups']);

/**
 * Home Assistant's EXCLUDE_FROM_BACKUP (homeassistant/components/backup/const.py), root-anchored:
 * files it matches are not in a backup, so a restore does not bring them back. Written out here
 * rather than taken from src/source/exclude-rules.ts: the checks must not take their expectations
 * from the code they check.
 */
const HA_EXCLUDES = [
  '**/__pycache__/*',
  '**/.DS_Store',
  '.HA_RESTORE',
  '*.db-shm',
  '*.log.*',
  '*.log',
  'backups/*.tar',
  'tmp_backups/*.tar',
  'OZW_Log.txt',
  'tts/*',
] as const;

/**
 * The live companions of a SQLite database. A backup takes a consistent copy of the database
 * instead of the live file and its sidecars, so they are not compared either (the database is).
 */
const SQLITE_SIDECARS = ['*.db-wal', '*.db-journal'] as const;

function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (pattern.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += /[\\^$.+()[\]{}|]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${re}$`);
}

const DROPPED = [...HA_EXCLUDES, ...SQLITE_SIDECARS].map(globRegExp);

/** True when a backup leaves `rel` out (the path itself or one of its parent folders matches). */
export function droppedByBackup(rel: string): boolean {
  const parts = rel.split('/');
  for (let n = 1; n <= parts.length; n++) {
    const prefix = parts.slice(0, n).join('/');
    if (DROPPED.some((re) => re.test(prefix))) return true;
  }
  return false;
}

/** The part of a manifest that a backup holds and a restore must give back. */
export function restorable(m: Manifest): { manifest: Manifest; dropped: string[] } {
  const out: Manifest = { files: new Map(), dirs: new Set(), bytes: 0 };
  const dropped: string[] = [];
  for (const [rel, entry] of m.files) {
    if (droppedByBackup(rel)) dropped.push(rel);
    else {
      out.files.set(rel, entry);
      out.bytes += entry.size;
    }
  }
  for (const rel of m.dirs) if (!droppedByBackup(rel)) out.dirs.add(rel);
  return { manifest: out, dropped: dropped.sort() };
}

/** Reads (and hashes) every file of the installation that tar would archive (all but `backups/`). */
export function installationManifest(root: string, options: Omit<ManifestOptions, 'skip'> = {}): Manifest {
  return manifestOf(root, { ...options, skip: (rel, isDir) => isDir && NOT_ARCHIVED.has(rel) });
}

// ---------------------------------------------------------------------------------------------
// Running and timing commands

export interface Timed {
  seconds: number;
  stdout: string;
  stderr: string;
}

export function runTimed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<Timed> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolvePromise({ seconds, stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stderr || stdout}`));
    });
  });
}

/** Flushes dirty pages (untimed) so one operation's writeback does not slow the next one. */
export function syncDisks(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

/** Removes a file or folder, then flushes (untimed), so an output's deletion does not slow the next command. */
export function fresh(path: string): void {
  rmSync(path, { recursive: true, force: true });
  syncDisks();
}

/** The first line a command prints when asked its version (`args`), or null when it cannot run. */
export function hasCommand(cmd: string, args: readonly string[] = ['--version']): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() || cmd;
}

export interface LifeboatRun extends Timed {
  rssKiB: number | null;
}

/**
 * Runs the `lifeboat` command as a user would (bin/lifeboat, which starts the built CLI), with
 * bench/rss-probe.mjs preloaded through NODE_OPTIONS; `rssKiB` is the process's peak RSS.
 */
export async function runLifeboat(args: string[], rssFile: string): Promise<LifeboatRun> {
  rmSync(rssFile, { force: true });
  const nodeOptions = [process.env.NODE_OPTIONS, `--import ${PROBE}`].filter(Boolean).join(' ');
  const env = { ...process.env, LIFEBOAT_RSS_FILE: rssFile, NODE_OPTIONS: nodeOptions };
  const timed = await runTimed(LAUNCHER, args, env);
  const raw = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim()) : NaN;
  return { ...timed, rssKiB: Number.isFinite(raw) ? raw : null };
}

/** The JSON `backup create --json` prints (only the fields used here). */
export interface CreateOutput {
  path: string;
  backup_id: string;
  size: number;
  protected: boolean;
  databases: { path: string; ok: boolean; error?: string }[];
}

export function parseCreateOutput(stdout: string): CreateOutput {
  const line = stdout.trim().split('\n').pop() ?? '';
  let out: CreateOutput;
  try {
    out = JSON.parse(line) as CreateOutput;
  } catch {
    throw new Error(`lifeboat backup create --json printed no JSON:\n${stdout}`);
  }
  if (typeof out.path !== 'string' || typeof out.backup_id !== 'string') throw new Error(`lifeboat backup create --json: no path or backup_id in ${line}`);
  return out;
}

/** The commit the CLI was presumably built from, `+changes` when src/ differs from it. */
export function sourceRevision(): string | null {
  const head = spawnSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.error || head.status !== 0) return null;
  const status = spawnSync('git', ['-C', REPO, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' });
  return `${head.stdout.trim()}${status.stdout.trim() ? '+changes in src/' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Numbers and tables

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Column 0 and the columns in `left` are left-aligned, the rest right-aligned. */
export function table(rows: string[][], left: readonly number[] = []): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  const align = (cell: string, c: number): string =>
    c === 0 || left.includes(c) ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0);
  return rows.map((r) => r.map(align).join('  ').trimEnd()).join('\n');
}

// ---------------------------------------------------------------------------------------------
// A benchmark's main

export interface BenchProgram<O extends { json: boolean }, R> {
  usage: string;
  /** Parses the command line; null for --help; throws (UsageError) on a bad option. */
  parse: (argv: string[]) => O | null;
  /** Checks before the work starts (e.g. tools it needs): a message stops it with exit status 1. */
  preflight?: (opts: O) => string | null;
  run: (opts: O) => Promise<R>;
  format: (results: R) => string;
}

/**
 * Runs a benchmark as a program: parses its options (exit status 2 on a bad one, the usage for
 * --help), checks that the CLI is built, runs it and prints the text (with --json: JSON on stdout,
 * the text on stderr). Exit status 1 when it fails, `VERIFICATION FAILED` for a failed check.
 */
export function benchMain<O extends { json: boolean }, R>(program: BenchProgram<O, R>): void {
  const main = async (): Promise<number> => {
    let opts: O | null;
    try {
      opts = program.parse(process.argv.slice(2));
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n\n${program.usage}`);
      return 2;
    }
    if (!opts) {
      process.stdout.write(program.usage);
      return 0;
    }
    const missing = existsSync(CLI) ? (program.preflight?.(opts) ?? null) : `${CLI} is missing: run npm run build first`;
    if (missing) {
      process.stderr.write(`${missing}\n`);
      return 1;
    }
    try {
      const results = await program.run(opts);
      const text = program.format(results);
      if (opts.json) {
        process.stderr.write(`\n${text}`);
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      } else process.stdout.write(`\n${text}`);
      return 0;
    } catch (err) {
      const head = err instanceof VerifyError ? 'VERIFICATION FAILED' : 'BENCHMARK FAILED';
      process.stderr.write(`\n${head}: ${(err as Error).message}\n`);
      return 1;
    }
  };
  void main().then((code) => {
    process.exitCode = code;
  });
}
