// `lifeboat demo …`: a realistic demo installation to try Lifeboat on, optionally with a database
// that keeps being written like Home Assistant's recorder; and a one-command tour.

import { access, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createDemoInstallation, DEMO_DB, startRecorderWriter } from '../core/demo.js';
import { LifeboatCore } from '../core/lifeboat-core.js';
import { parseIntOption } from './common.js';
import { formatBytes } from './progress.js';

/** Writes to the demo database like a recorder until stopped; resolves when stopped. */
export async function runLiveWriter(dir: string, commitsPerSecond = 50): Promise<void> {
  const writer = startRecorderWriter(dir, commitsPerSecond);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write(`live writer stopped after ${writer.stop()} commits\n`);
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
  // The tour keeps Lifeboat's own state beside the demo installation, so one folder holds it all.
  const core = await LifeboatCore.open({ installation: config, data: join(base, 'data') });
  const key = 'DEMO-K7Q2-9XWD-M4T8-ZP1R-H6NC-3VBY';
  let started = performance.now();
  const created = await core.create.run({ password: key, name: 'Demo backup' });
  say(`Backed up ${config} in ${Math.round(performance.now() - started)} ms:`);
  say(`  ${created.path} (${formatBytes(created.backup.size)}, encrypted with SecureTar v3)`);
  for (const db of created.databases) say(`  database ${db.path}: copied live (${formatBytes(db.bytes)}, ${db.ms} ms)`);

  const configuration = join(config, 'configuration.yaml');
  const original = await readFile(configuration, 'utf8');
  await writeFile(configuration, '# oops, an edit that broke everything\n');
  say('Broke configuration.yaml on purpose; restoring the backup …');
  started = performance.now();
  await core.restore.run({ backupId: created.backupId, password: key });
  const back = (await readFile(configuration, 'utf8')) === original;
  say(`Restored in ${Math.round(performance.now() - started)} ms: configuration.yaml is ${back ? 'back as it was' : 'NOT restored'}.`);
  if (!back) throw new Error('The demo restore did not bring configuration.yaml back');
  const listing = await core.backups.list();
  await core.close();
  say(`${listing.backups.length} backup(s) in ${join(config, 'backups')}. Try:`);
  say(`  bin/lifeboat -c ${config} -d ${join(base, 'data')} backup list`);
  say(`  bin/lifeboat archive inspect ${created.path}`);
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
    .description('create a demo installation, back it up encrypted, break it, and restore it')
    .option('--dir <dir>', 'working folder', 'demo')
    .action((opts: { dir: string }) => tour(opts.dir));
}
