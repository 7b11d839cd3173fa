// `lifeboat backup ls | cat | diff`: looking inside a backup from the command line — its files as
// `ls -l` shows them, one file's bytes on standard output, and what changed between two backups or
// since a backup (with unified diffs of text files on request). Thin commands over core.files.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { LIVE, patchText, type BackupDiff, type BackupFileEntry, type FilePatch } from '../core/types.js';
import { openCore } from './context.js';
import { addPasswordOptions, resolvePassword, type PasswordOptions } from './common.js';

interface OpenOptions extends PasswordOptions {
  location?: string;
  archive?: string;
}

const TYPE_CHARS: Record<BackupFileEntry['type'], string> = { file: '-', directory: 'd', symlink: 'l', hardlink: 'h', other: '?' };

/** `-rw-r--r--`, with setuid, setgid and sticky bits as `ls` shows them. */
export function modeString(type: BackupFileEntry['type'], mode: number): string {
  const bit = (mask: number, ch: string) => (mode & mask ? ch : '-');
  const special = (exec: number, flag: number, set: string) => (mode & flag ? (mode & exec ? set : set.toUpperCase()) : bit(exec, 'x'));
  return [
    TYPE_CHARS[type],
    bit(0o400, 'r'),
    bit(0o200, 'w'),
    special(0o100, 0o4000, 's'),
    bit(0o040, 'r'),
    bit(0o020, 'w'),
    special(0o010, 0o2000, 's'),
    bit(0o004, 'r'),
    bit(0o002, 'w'),
    special(0o001, 0o1000, 't'),
  ].join('');
}

/** `2026-07-02 04:45`, in this machine's time zone (as `ls` shows times). */
function shortTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function listingLines(entries: readonly BackupFileEntry[], digests: boolean): string[] {
  const width = Math.max(1, ...entries.map((e) => String(e.size).length));
  return entries.map((e) => {
    const link = e.type === 'symlink' ? ` -> ${e.linkname}` : e.type === 'hardlink' ? ` link to ${e.linkname}` : '';
    const digest = digests ? `${e.sha256 ?? '-'.padEnd(64)}  ` : '';
    return `${modeString(e.type, e.mode)}  ${String(e.size).padStart(width)}  ${shortTime(e.mtime)}  ${digest}${e.path}${link}`;
  });
}

/** `A path`, `D path`, `M path (content, mode)`, in path order. */
function diffLines(diff: BackupDiff): string[] {
  const lines = [
    ...diff.added.map((path) => ({ path, line: `A ${path}` })),
    ...diff.removed.map((path) => ({ path, line: `D ${path}` })),
    ...diff.changed.map((c) => ({ path: c.path, line: `M ${c.path} (${c.what.join(', ')})` })),
  ];
  return lines.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)).map((l) => l.line);
}

/** The paths whose content a patch can show: files added, removed, or changed in content or type. */
function patchPaths(diff: BackupDiff): string[] {
  const changed = diff.changed.filter((c) => c.what.includes('content') || c.what.includes('type')).map((c) => c.path);
  return [...diff.added, ...diff.removed, ...changed].sort();
}

/** The patches that show something (a file whose text did not change shows nothing). */
async function* changedTexts(patches: AsyncIterable<FilePatch>): AsyncGenerator<FilePatch> {
  for await (const p of patches) if (p.kind !== 'text' || p.patch !== '') yield p;
}

function addOpenOptions(cmd: Command): Command {
  return addPasswordOptions(cmd)
    .option('--location <id>', 'the location whose copy to read (default backup.local; a remote copy is downloaded first)')
    .option('--archive <name>', 'the inner archive to look into, e.g. an add-on slug or ssl (default: Home Assistant, paths relative to the installation)');
}

export function registerBackupFileCommands(backup: Command): void {
  addOpenOptions(
    backup
      .command('ls')
      .description("list the files in a backup, like ls -l (mode, size, time, path, -> a link's target)")
      .argument('<backup-id>')
      .argument('[path]', 'only this file or folder and what lies below it'),
  )
    .option('--sha256', "also show each file's SHA-256 (reads every file's content)")
    .option('--json', 'print as JSON (path, type, size, mode, mtime, linkname, sha256)')
    .addHelpText(
      'after',
      `
Paths are relative to the installation. The backup is read as it streams by, never unpacked;
an encrypted backup opens with the password given or Lifeboat's key for it.

Examples:
  lifeboat -c /config backup ls 1a2b3c4d
  lifeboat -c /config backup ls 1a2b3c4d .storage
  lifeboat -c /config backup ls 1a2b3c4d --location s3.offsite --password-file kit.txt --json`,
    )
    .action(async (id: string, path: string | undefined, opts: OpenOptions & { sha256?: boolean; json?: boolean }, cmd: Command) => {
      const password = await resolvePassword(opts);
      const core = await openCore(cmd);
      const entries = await core.files.list(id, { agentId: opts.location, password, archive: opts.archive, path, digests: opts.sha256 === true });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ entries }, null, 2)}\n`);
        return;
      }
      const lines = listingLines(entries, opts.sha256 === true);
      if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
    });

  addOpenOptions(
    backup
      .command('cat')
      .description('write one file of a backup to standard output, byte for byte')
      .argument('<backup-id>')
      .argument('<path>', 'the file, relative to the installation (e.g. automations.yaml)'),
  )
    .addHelpText(
      'after',
      `
The backup is read only up to the file. A folder, a symbolic link or a path the backup does not
hold is an error (exit code 2 or 5).

Examples:
  lifeboat -c /config backup cat 1a2b3c4d automations.yaml
  lifeboat -c /config backup cat 1a2b3c4d .storage/core.config | jq .
  lifeboat -c /config backup cat 1a2b3c4d www/floorplan.png > floorplan.png`,
    )
    .action(async (id: string, path: string, opts: OpenOptions, cmd: Command) => {
      const password = await resolvePassword(opts);
      const core = await openCore(cmd);
      const file = await core.files.read(id, path, { agentId: opts.location, password, archive: opts.archive });
      try {
        await pipeline(Readable.from(file.stream), process.stdout, { end: false });
      } catch (err) {
        // A reader that went away (`| head`) has all it wanted.
        if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      } finally {
        await file.close();
      }
    });

  addPasswordOptions(
    backup
      .command('diff')
      .description('show what changed between two backups, or since a backup in the live installation')
      .argument('<backup-id>', 'the earlier backup')
      .argument('[other-backup-id]', 'the later backup; without it, the live installation'),
  )
    .option('--location <id>', 'the location of the first backup (default backup.local)')
    .option('--other-location <id>', 'the location of the second backup (default: --location)')
    .option('--path <path>', 'compare only this file or folder and what lies below it')
    .option('--no-database', 'leave the recorder database (and a recorder dump) out of the comparison')
    .option('--patch', 'also show unified diffs of the text files that changed')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `
Lines: A path (added), D path (removed), M path (what changed: content, size, mode, target, type).
Times are not compared. The live installation is taken as a backup made now would hold it (the
same exclude rules; databases as consistent snapshots), so a fresh backup shows no changes. Binary
files show as "Binary files … differ". The exit code is 0 whether or not anything changed.

Examples:
  lifeboat -c /config backup diff 1a2b3c4d                   # what changed since backup 1a2b3c4d
  lifeboat -c /config backup diff 1a2b3c4d 5e6f7a8b --patch  # between two backups, with diffs
  lifeboat -c /config backup diff 1a2b3c4d --path .storage --json`,
    )
    .action(
      async (
        a: string,
        b: string | undefined,
        opts: PasswordOptions & { location?: string; otherLocation?: string; path?: string; database: boolean; patch?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const password = await resolvePassword(opts);
        const core = await openCore(cmd);
        const other = b ?? LIVE;
        const request = {
          agentId: opts.location,
          otherAgentId: opts.otherLocation,
          password,
          path: opts.path,
          ...(opts.database ? {} : { includeDatabase: false }),
        };
        const diff = await core.files.diff(a, other, request);
        const patches = opts.patch ? changedTexts(core.files.patches(a, other, patchPaths(diff), request)) : null;
        if (opts.json) {
          const collected: FilePatch[] = [];
          for await (const p of patches ?? []) collected.push(p);
          const out = { added: diff.added, removed: diff.removed, changed: diff.changed, not_compared: diff.notCompared, ...(patches ? { patches: collected } : {}) };
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          return;
        }
        const lines = diffLines(diff);
        if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
        else process.stderr.write('No differences.\n');
        for (const path of diff.notCompared) process.stderr.write(`note: ${path} was not compared\n`);
        for await (const p of patches ?? []) process.stdout.write(`\n${patchText(p)}`);
      },
    );
}
