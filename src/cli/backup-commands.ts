// `lifeboat backup …` and `lifeboat restore`: thin commands over the application core (looking
// inside a backup — ls, cat, diff — is in backup-files-commands.ts).

import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { FileWriter } from '../util/file-writer.js';
import { LOCAL_AGENT_ID, type ManagerBackup } from '../core/types.js';
import { registerBackupFileCommands } from './backup-files-commands.js';
import { backupsOf, globals, installationOf, openCore, showProgress } from './context.js';
import { addPasswordOptions, parseIntOption, resolvePassword, UsageError, type PasswordOptions } from './common.js';
import { addHaControlOptions, haControlSpec, type HaControlOptions } from './ha-control-options.js';
import { formatBytes } from './progress.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function totalSize(b: ManagerBackup): number {
  return Math.max(0, ...Object.values(b.agents).map((a) => a.size));
}

function describe(b: ManagerBackup): string {
  const enc = Object.values(b.agents).some((a) => a.protected) ? 'encrypted' : 'not encrypted';
  const kind = b.with_automatic_settings ? 'automatic' : 'manual';
  return `${b.backup_id}  ${b.date}  ${b.name}  (${formatBytes(totalSize(b))}, ${enc}, ${kind}, database ${b.database_included ? 'included' : 'not included'}, ${Object.keys(b.agents).join(', ')})`;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup').description('create, list, inspect, look inside, compare, download and delete backups of the installation');

  addPasswordOptions(
    backup
      .command('create')
      .description('back up the installation now (like backup.create: local folder, database included, not encrypted unless a password is given)'),
  )
    .option('--name <name>', 'backup name (default "Custom backup <version>")')
    .option('--no-database', 'leave out the Home Assistant database')
    .option('--exclude <glob>', 'also leave out paths matching this glob (root-anchored; ** spans folders); repeatable', collect, [])
    .option('--securetar-version <n>', 'SecureTar version when encrypting (3, or 2 for Home Assistant before 2026.3)', parseIntOption('--securetar-version', 2, 3), 3)
    .option('--level <n>', 'gzip level 1–9', parseIntOption('--level', 1, 9), 6)
    .option('--location <id>', 'also store it on this location (see `lifeboat location list`); repeatable', collect, [])
    .option('--automatic', 'use the saved automatic-backup settings (locations, database, name, encryption key), like backup.create_automatic')
    .option('--json', 'print the result as JSON')
    .action(async (opts: PasswordOptions & { name?: string; database: boolean; exclude: string[]; location: string[]; securetarVersion: number; level: number; automatic?: boolean; json?: boolean }, cmd: Command) => {
      const password = await resolvePassword(opts);
      const core = await openCore(cmd);
      if (opts.automatic && (password !== null || opts.name || !opts.database || opts.exclude.length || opts.location.length)) {
        throw new UsageError('--automatic takes everything from the saved settings; leave out --name, --password, --no-database, --exclude and --location');
      }
      const stop = showProgress(core, !opts.json);
      let result;
      try {
        result = opts.automatic
          ? await (await core.create.automatic()).done
          : await core.create.run({
              locations: opts.location,
              name: opts.name,
              password,
              includeDatabase: opts.database,
              excludes: opts.exclude,
              secureTarVersion: opts.securetarVersion as 2 | 3,
              level: opts.level,
            });
      } finally {
        stop();
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ path: result.path, ...result.backup, databases: result.databases, failed_agent_ids: result.failedAgentIds, reason: result.reason })}\n`);
        return;
      }
      process.stdout.write(`Created backup ${result.backupId} "${result.backup.name}" (${formatBytes(result.backup.size)}${result.backup.protected ? ', encrypted' : ''})\n`);
      if (result.path) process.stdout.write(`  ${result.path}\n`);
      for (const db of result.databases.filter((d) => !d.ok)) {
        process.stdout.write(`  warning: database ${db.path} could not be copied and is not in this backup: ${db.error}\n`);
      }
    });

  backup
    .command('list')
    .description('list the backups in every location, newest first')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const core = await openCore(cmd);
      const listing = await core.backups.list();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ backups: listing.backups, agent_errors: listing.agentErrors }, null, 2)}\n`);
        return;
      }
      if (listing.backups.length === 0) process.stdout.write('No backups yet.\n');
      for (const b of listing.backups) process.stdout.write(`${describe(b)}\n`);
      for (const [agent, message] of Object.entries(listing.agentErrors)) process.stderr.write(`warning: ${agent}: ${message}\n`);
    });

  backup
    .command('info')
    .description('show one backup')
    .argument('<backup-id>')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const core = await openCore(cmd);
      const { backup: b } = await core.backups.details(id);
      if (!b) throw new UsageError(`No backup with id ${id}`);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(b, null, 2)}\n`);
        return;
      }
      const lines = [
        describe(b),
        `  Home Assistant ${b.homeassistant_version ?? 'not included'}; database ${b.database_included ? 'included' : 'not included'}`,
        ...Object.entries(b.agents).map(([agent, a]) => `  ${agent}: ${formatBytes(a.size)}, ${a.protected ? 'encrypted' : 'not encrypted'}`),
        ...(b.failed_agent_ids.length ? [`  failed locations: ${b.failed_agent_ids.join(', ')}`] : []),
        ...core.backups.databaseWarnings(id).map((w) => `  database not copied: ${w.path}: ${w.error}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  backup
    .command('delete')
    .description('delete a backup from every location')
    .argument('<backup-id>')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const core = await openCore(cmd);
      const { backup: b } = await core.backups.details(id);
      if (!b) throw new UsageError(`No backup with id ${id}`);
      const { agentErrors } = await core.backups.delete(id);
      for (const [agent, message] of Object.entries(agentErrors)) process.stderr.write(`warning: ${agent}: ${message}\n`);
      process.stdout.write(`Deleted backup ${id}\n`);
    });

  addPasswordOptions(
    backup
      .command('download')
      .description('copy a backup to a file, as stored or decrypted')
      .argument('<backup-id>')
      .argument('<file>', 'where to write the backup'),
  )
    .option('--decrypt', "write it decrypted (with the password given, or Lifeboat's key for it)")
    .option('--location <id>', 'the location to take it from (default backup.local)')
    .action(async (id: string, file: string, opts: PasswordOptions & { decrypt?: boolean; location?: string }, cmd: Command) => {
      const core = await openCore(cmd);
      const password = await resolvePassword(opts);
      const target = resolve(file);
      const temp = `${target}.partial`;
      const out = await FileWriter.create(temp);
      try {
        const download = await core.downloads.open({ backupId: id, agentId: opts.location ?? LOCAL_AGENT_ID, decrypt: opts.decrypt === true, password });
        try {
          for await (const chunk of download.stream) await out.write(chunk);
        } finally {
          await download.close();
        }
        await out.finish();
        await rename(temp, target);
      } catch (err) {
        await out.abandon();
        await rm(temp, { force: true });
        throw err;
      }
      process.stdout.write(`Wrote ${target}\n`);
    });

  addPasswordOptions(backup.command('verify').description('check a stored backup end to end (digests, decryption)').argument('<backup-id>'))
    .option('--location <id>', 'the location whose copy to check (default backup.local)')
    .action(async (id: string, opts: PasswordOptions & { location?: string }, cmd: Command) => {
      const core = await openCore(cmd);
      const password = await resolvePassword(opts);
      const report = await core.verify.run({ backupId: id, agentId: opts.location, password });
      if (report.problems.length) throw report.problems[0];
      process.stdout.write(`Backup ${id} verified: ${report.members.map((m) => `${m.name} ${m.digestMatches ? 'digest ok' : 'read ok'}`).join(', ')}\n`);
    });

  registerBackupFileCommands(backup);

  const restore = addPasswordOptions(
    program
      .command('restore')
      .description('restore a backup (by id from the backup folder, or a .tar file) into the installation, all or nothing')
      .argument('<backup>', 'backup id or path to a backup file'),
  )
    .option('--path <path>', 'restore only this file or folder (relative to the installation, e.g. automations.yaml); repeatable', collect, [])
    .option('--config-only', 'restore the configuration and keep the current database')
    .option('--database-only', 'restore only the database')
    .option('--allow-newer', 'restore even if the backup was made by a newer Home Assistant than the installation')
    .option('--location <id>', 'restore the copy on this location (default backup.local; remote copies are downloaded and checked first)')
    .option('--allow-unencrypted', 'restore an unencrypted copy from a remote location that Lifeboat did not send there, although Lifeboat encrypts its backups')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON');
  addHaControlOptions(restore)
    .addHelpText(
      'after',
      '\nThe backup is fully checked and unpacked next to the installation before anything is replaced;\nthe swap itself is journaled, so an interruption is rolled back or completed at the next start.\nHome Assistant must not run during the swap: with --ha-container (or the commands) it is stopped\nright before it and started again after, also when the swap failed and was rolled back; a\ncontainer that was not running is left stopped. -v shows each step.\n\nWith --path only the chosen files and folders are restored, each whole and all of them or none;\neverything else stays as it is, the database too unless a path names it (home-assistant_v2.db):\n  $ lifeboat -c /config restore 1a2b3c4d --path automations.yaml --path custom_components/foo',
    )
    .action(
      async (
        target: string,
        opts: PasswordOptions & HaControlOptions & { path: string[]; configOnly?: boolean; databaseOnly?: boolean; allowNewer?: boolean; allowUnencrypted?: boolean; location?: string; yes?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        if (opts.configOnly && opts.databaseOnly) throw new UsageError('Use --config-only or --database-only, not both');
        const partial = opts.path.length > 0;
        if (partial && (opts.configOnly || opts.databaseOnly)) {
          throw new UsageError('--path chooses what is restored; leave out --config-only and --database-only (name home-assistant_v2.db to restore the database)');
        }
        const homeAssistant = haControlSpec(opts, cmd);
        const warmUp = await import('../core/restore-warm-up.js');
        warmUp.warmUpRestore();
        const password = await resolvePassword(opts);
        const isFile = target.endsWith('.tar') || target.includes('/');
        if (password !== null && isFile) void warmUp.deriveRestoreKeyAhead(resolve(target), password);
        else if (password !== null && (opts.location ?? LOCAL_AGENT_ID) === LOCAL_AGENT_ID) {
          void warmUp.deriveRestoreKeyAheadById(backupsOf() ?? join(installationOf(globals(cmd)), 'backups'), target, password);
        }
        const core = await openCore(cmd);
        const installation = core.status.installation;
        if (!opts.yes && process.stdin.isTTY) {
          const what = partial
            ? opts.path.join(', ')
            : opts.databaseOnly
              ? 'the database'
              : opts.configOnly
                ? 'the configuration (keeping the current database)'
                : 'the configuration and the database';
          if (!(await confirm(`Replace ${what} of ${installation} with backup ${target}?`))) throw new UsageError('Restore cancelled');
        }
        const stop = showProgress(core, !opts.json);
        let result;
        try {
          result = await core.restore.run({
            ...(isFile ? { file: resolve(target) } : { backupId: target, agentId: opts.location }),
            password,
            ...(partial ? { paths: opts.path } : { restoreHomeassistant: !opts.databaseOnly, restoreDatabase: !opts.configOnly }),
            homeAssistant,
            allowNewerVersion: opts.allowNewer,
            allowUnencrypted: opts.allowUnencrypted,
          });
        } finally {
          stop();
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          const which = result.paths ? `${result.paths.join(', ')} from backup` : 'backup';
          process.stdout.write(`Restored ${which} ${result.backupId} "${result.name}" into ${installation}\n`);
          if (result.startCommandError) process.stdout.write(`  warning: ${result.startCommandError}\n`);
        }
      },
    );
}
