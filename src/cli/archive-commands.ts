// `lifeboat archive …`: the emergency tools that work on backup files alone, without a running
// Lifeboat — pack a folder, unpack, inspect and verify a backup.

import { randomBytes } from 'node:crypto';
import { access, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { backupName } from '../archive/backup-json.js';
import { READ_CHUNK } from '../archive/byte-source.js';
import { withBackupReader } from '../archive/backup-reader.js';
import { writeBackupFile } from '../archive/backup-writer.js';
import { inspectBackup, type Inspection } from '../archive/inspect.js';
import { unpackBackup } from '../archive/unpack.js';
import { verifyBackup, type VerifyReport } from '../archive/verify.js';
import { ExcludeRules } from '../source/exclude-rules.js';
import { FALLBACK_HA_VERSION, newInstanceId, readHaVersion, readInstanceId } from '../source/installation-info.js';
import { walkInstallation } from '../source/tree-walk.js';
import { formatIsoLocal } from '../util/time.js';
import { systemClock } from '../util/clock.js';
import { addPasswordOptions, parseIntOption, resolvePassword, UsageError, type PasswordOptions } from './common.js';
import { formatBytes, ProgressLine } from './progress.js';

interface PackOptions extends PasswordOptions {
  securetarVersion: number;
  name?: string;
  level: number;
  exclude: string[];
  database: boolean;
  force?: boolean;
  json?: boolean;
}

function collectRepeated(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function pack(dir: string, out: string, opts: PackOptions): Promise<void> {
  const installation = resolve(dir);
  const target = resolve(out);
  if (!opts.force && (await access(target).then(() => true, () => false))) {
    throw new UsageError(`${target} already exists (use --force to replace it)`);
  }
  const password = await resolvePassword(opts);
  const haVersion = (await readHaVersion(installation)) ?? FALLBACK_HA_VERSION;
  const instanceId = (await readInstanceId(installation)) ?? newInstanceId();
  const name = backupName(opts.name, false, haVersion);
  const date = formatIsoLocal(systemClock.now(), null); // this machine's zone, as TZ or the system sets it
  const partial = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.partial`);
  const progress = new ProgressLine(!opts.json && process.stderr.isTTY === true);
  const warnings: string[] = [];
  progress.setStage('Packing');
  try {
    const written = await writeBackupFile(partial, {
      entries: walkInstallation({
        root: installation,
        rules: ExcludeRules.forBackup({ includeDatabase: opts.database, extra: opts.exclude }),
        onWarning: (w) => warnings.push(w),
      }),
      meta: {
        date,
        name,
        haVersion,
        instanceId,
        withAutomaticSettings: false,
        excludeDatabase: !opts.database,
      },
      password,
      secureTarVersion: opts.securetarVersion as 2 | 3,
      level: opts.level,
      onProgress: (p) => progress.set(p.inputBytes),
    });
    await rename(partial, target);
    progress.finish();
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ path: target, ...written.backup, sha256: written.sha256 })}\n`);
    } else {
      const how = password === null ? 'not encrypted' : `encrypted (SecureTar v${opts.securetarVersion})`;
      process.stdout.write(
        `Wrote ${target}\n  backup id ${written.backup.backup_id}, "${written.backup.name}", ${formatBytes(written.size)}, ${how}\n`,
      );
    }
  } catch (err) {
    progress.finish();
    await rm(partial, { force: true });
    throw err;
  }
}

function printInspection(file: string, info: Inspection): void {
  const lines = [`${file} (${formatBytes(info.size)})`];
  if (info.backup) {
    const b = info.backup;
    lines.push(
      `  backup id:  ${b.backup_id}`,
      `  name:       ${b.name}`,
      `  date:       ${b.date}`,
      `  protected:  ${b.protected ? 'yes (encrypted)' : 'no'}`,
      `  contents:   ${b.homeassistant_included ? `Home Assistant ${b.homeassistant_version ?? ''}` : 'no Home Assistant'}, database ${b.database_included ? 'included' : 'not included'}` +
        (b.addons.length ? `, add-ons: ${b.addons.map((a) => a.slug).join(', ')}` : '') +
        (b.folders.length ? `, folders: ${b.folders.join(', ')}` : ''),
    );
    if (!info.homeAssistantReadable) lines.push('  note:       backup.json lacks the ./ prefix; Home Assistant will not list this file');
  } else {
    lines.push(`  backup.json: ${info.backupError}`);
  }
  lines.push('  members:');
  for (const m of info.members) lines.push(`    ${m.name}  ${formatBytes(m.size)}`);
  for (const i of info.inner) {
    const enc = i.encryption === 'none' ? (i.compressed ? 'gzip, not encrypted' : 'tar, not encrypted') : `SecureTar ${i.encryption}`;
    lines.push(`  ${i.name}: ${enc}${i.plaintextSize !== null ? `, plaintext ${i.plaintextSize} bytes` : ''}${i.error ? `, ${i.error}` : ''}`);
    if (i.v3) lines.push(`    root salt ${i.v3.rootSalt}, validation salt ${i.v3.validationSalt}`);
    if (i.recordedSha256) lines.push(`    recorded sha256 ${i.recordedSha256}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printVerify(file: string, report: VerifyReport): void {
  const lines: string[] = [];
  for (const m of report.members) {
    const digest = m.digestMatches === true ? 'digest ok' : m.digestMatches === false ? 'DIGEST MISMATCH' : 'no recorded digest';
    lines.push(
      m.error
        ? `  ${m.name}: FAILED — ${m.error.message}`
        : `  ${m.name}: ok (${m.encryption === 'none' ? 'not encrypted' : `SecureTar ${m.encryption}`}, ${m.entries} entries, ${formatBytes(m.bytes)}, ${digest})`,
    );
  }
  const head = report.problems.length ? `${file}: FAILED` : `${file}: verified`;
  process.stdout.write(`${[head, ...lines].join('\n')}\n`);
}

export function registerArchiveCommands(program: Command): void {
  const archive = program
    .command('archive')
    .description('work on backup files directly (no running Lifeboat needed): pack, unpack, inspect, verify');

  addPasswordOptions(
    archive
      .command('pack')
      .description("pack a folder as a Home Assistant backup (Home Assistant's exclude rules apply)")
      .argument('<dir>', 'the installation folder to pack')
      .argument('<out>', 'the backup file to write (.tar)'),
  )
    .option('--securetar-version <n>', 'SecureTar version when encrypting: 3 (Home Assistant 2026.3+) or 2 (older)', parseIntOption('--securetar-version', 2, 3), 3)
    .option('--name <name>', 'backup name (default "Custom backup <version>")')
    .option('--level <n>', 'gzip level 1 (fastest) to 9 (smallest)', parseIntOption('--level', 1, 9), 6)
    .option('--exclude <glob>', 'also leave out paths matching this glob (root-anchored; ** spans folders); repeatable', collectRepeated, [])
    .option('--no-database', 'leave out the Home Assistant database')
    .option('--force', 'replace <out> if it exists')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  lifeboat archive pack /config backup.tar\n  lifeboat archive pack /config backup.tar --password-file key.txt --exclude "www/cams/**"')
    .action(pack);

  addPasswordOptions(
    archive
      .command('unpack')
      .description('extract a backup: OUT/backup.json and each inner archive under OUT/<name>/ (a Core backup lands in OUT/homeassistant/data/)')
      .argument('<backup>', 'backup file (.tar)')
      .argument('<out-dir>', 'folder to extract into'),
  ).action(async (file: string, outDir: string, opts: PasswordOptions) => {
    const password = await resolvePassword(opts);
    await withBackupReader(resolve(file), async (reader) => {
      const progress = new ProgressLine();
      progress.setStage('Unpacking', reader.source.size);
      const res = await unpackBackup(reader, resolve(outDir), password, { onBytes: (n) => progress.add(n) });
      progress.finish();
      for (const m of res.members) {
        process.stdout.write(
          `${m.name} → ${join(resolve(outDir), m.folder)}: ${m.result.files} files, ${m.result.directories} folders, ${m.result.symlinks} links, ${formatBytes(m.result.bytes)}\n`,
        );
      }
    });
  });

  archive
    .command('inspect')
    .description('show metadata and SecureTar headers (no password needed)')
    .argument('<backup>', 'backup file (.tar)')
    .option('--json', 'print as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      await withBackupReader(resolve(file), async (reader) => {
        const info = await inspectBackup(reader);
        if (opts.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        else printInspection(file, info);
      });
    });

  addPasswordOptions(
    archive
      .command('verify')
      .description('check digests, full decryption and decompression, without writing anything')
      .argument('<backup>', 'backup file (.tar)'),
  )
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: PasswordOptions & { json?: boolean }) => {
      const password = await resolvePassword(opts);
      await withBackupReader(resolve(file), async (reader) => {
        const progress = new ProgressLine(!opts.json && process.stderr.isTTY === true);
        progress.setStage('Verifying', reader.source.size);
        const report = await verifyBackup(reader, password, { onBytes: (n) => progress.add(n) });
        progress.finish();
        if (opts.json) {
          const json = {
            ok: report.problems.length === 0,
            backup: report.backup,
            members: report.members.map((m) => ({ ...m, error: m.error && { code: m.error.code, message: m.error.message } })),
            problems: report.problems.map((p) => ({ code: p.code, message: p.message })),
          };
          process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        } else printVerify(file, report);
        if (report.problems.length) throw report.problems[0];
      });
    });
}
