// `lifeboat demo …`: a realistic demo installation to try Lifeboat on, optionally with a database
// that keeps being written like Home Assistant's recorder; and a one-command tour.

import { access, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { withBackupReader } from '../archive/backup-reader.js';
import { writeBackupFile } from '../archive/backup-writer.js';
import { unpackBackup } from '../archive/unpack.js';
import { verifyBackup } from '../archive/verify.js';
import { createDemoInstallation, DEMO_DB, DEMO_HA_VERSION, openRecorderDb } from '../source/demo-installation.js';
import { ExcludeRules } from '../source/exclude-rules.js';
import { readInstanceId } from '../source/installation-info.js';
import { walkInstallation } from '../source/tree-walk.js';
import { formatIsoLocal, localTimeZone, nowInstant } from '../util/time.js';
import { parseIntOption } from './common.js';
import { formatBytes } from './progress.js';

/** Writes to the demo database like a recorder until stopped; resolves when stopped. */
export async function runLiveWriter(dir: string, commitsPerSecond = 50): Promise<void> {
  const db = openRecorderDb(join(dir, DEMO_DB));
  let commits = 0;
  const timer = setInterval(() => {
    db.writeBatch(3, Date.now());
    commits++;
  }, Math.max(1, Math.floor(1000 / commitsPerSecond)));
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  clearInterval(timer);
  db.close();
  process.stderr.write(`live writer stopped after ${commits} commits\n`);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function tour(dirOption: string): Promise<void> {
  const base = resolve(dirOption);
  const config = join(base, 'config');
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (!(await exists(config))) {
    say(`Creating a demo installation in ${config} …`);
    await createDemoInstallation(config, { dbMiB: 16 });
  }
  const backup = join(base, 'demo-backup.tar');
  await rm(backup, { force: true });
  const key = 'DEMO-K7Q2-9XWD-M4T8-ZP1R-H6NC-3VBY';
  const started = Date.now();
  const written = await writeBackupFile(backup, {
    entries: walkInstallation({ root: config, rules: ExcludeRules.forBackup({ includeDatabase: true }) }),
    meta: {
      date: formatIsoLocal(nowInstant(), localTimeZone()),
      name: `Custom backup ${DEMO_HA_VERSION}`,
      haVersion: DEMO_HA_VERSION,
      instanceId: (await readInstanceId(config)) ?? '0'.repeat(32),
      withAutomaticSettings: false,
      excludeDatabase: false,
    },
    password: key,
  });
  say(`Backed up ${config} → ${backup} (${formatBytes(written.size)}, SecureTar v3, ${Date.now() - started} ms)`);
  const restored = join(base, 'restored');
  await rm(restored, { recursive: true, force: true });
  await withBackupReader(backup, async (reader) => {
    const report = await verifyBackup(reader, key);
    if (report.problems.length) throw report.problems[0];
    say(`Verified: digest ${report.members[0]?.sha256?.slice(0, 16)}…, ${report.members[0]?.entries} entries`);
    await unpackBackup(reader, restored, key);
  });
  say(`Unpacked into ${join(restored, 'homeassistant', 'data')}`);
  say(`Inspect it with: node dist/cli/main.js archive inspect ${backup}`);
}

export function registerDemoCommands(program: Command): void {
  const demo = program.command('demo').description('a demo installation to try Lifeboat on');

  demo
    .command('init')
    .description('create a realistic Home Assistant-style installation (YAML, .storage, media, a recorder database)')
    .argument('<dir>', 'folder to create')
    .option('--db-mib <n>', 'approximate size of the recorder database', parseIntOption('--db-mib', 1, 65536), 16)
    .option('--live', 'then keep writing to the database like a recorder until stopped (Ctrl-C)')
    .option('--commits-per-second <n>', 'write rate with --live', parseIntOption('--commits-per-second', 1, 1000), 50)
    .action(async (dir: string, opts: { dbMib: number; live?: boolean; commitsPerSecond: number }) => {
      const target = resolve(dir);
      await createDemoInstallation(target, { dbMiB: opts.dbMib });
      process.stdout.write(`Demo installation ready in ${target}\n`);
      if (opts.live) {
        process.stdout.write(`Writing to ${DEMO_DB} like a recorder (${opts.commitsPerSecond} commits/s); Ctrl-C to stop\n`);
        await runLiveWriter(target, opts.commitsPerSecond);
      }
    });

  demo
    .command('run')
    .description('create a demo installation, back it up encrypted, verify the backup and unpack it')
    .option('--dir <dir>', 'working folder', 'demo')
    .action((opts: { dir: string }) => tour(opts.dir));
}
